"""Every name, size and threshold of the CDK stack, in one place.

What the Lambdas and the local platform must agree on (tables, functions, routes, the station-id query
parameter) lives in ``shared/``; this module holds only what is the stack's own business.
"""

from __future__ import annotations

from typing import Final

from shared.catalog import TABLE_ACCESS_ACTIONS

# --- Stack and context ----------------------------------------------------------------------------

DEFAULT_STACK_NAME: Final = "Csms"
SERVICE_NAME: Final = "csms"
"""POWERTOOLS_SERVICE_NAME; ``shared/observability.py`` uses the same value."""
METRICS_NAMESPACE: Final = "Csms"
"""POWERTOOLS_METRICS_NAMESPACE; ``shared/observability.py`` uses the same value."""
DEFAULT_LOG_LEVEL: Final = "INFO"
DEFAULT_HEARTBEAT_INTERVAL_SECONDS: Final = 300
"""OCPP heartbeat interval handed to chargers: below API Gateway's 10 min idle timeout, ~5 min is the
cost sweet spot (see infra/README.md)."""


class ContextKey:
    """``cdk.json`` / ``-c key=value`` context values the stack reads (all optional)."""

    STACK_NAME: Final = "stackName"
    BUNDLE_DEPENDENCIES: Final = "bundleDependencies"
    """``false`` skips ``pip install`` of the runtime dependencies (tests: fast, no network)."""
    DOMAIN_NAME: Final = "domainName"
    CERTIFICATE_ARN: Final = "certificateArn"
    HOSTED_ZONE_ID: Final = "hostedZoneId"
    HOSTED_ZONE_NAME: Final = "hostedZoneName"
    WEB_ACL_ARN: Final = "webAclArn"
    ALARM_EMAIL: Final = "alarmEmail"
    ALERT_EMAIL: Final = "alertEmail"
    """Where fleet alerts (AlertRaised: offline stations, faults, failed updates...) are e-mailed."""
    CORS_ALLOWED_ORIGINS: Final = "corsAllowedOrigins"
    LOG_LEVEL: Final = "logLevel"
    HEARTBEAT_INTERVAL_SECONDS: Final = "heartbeatIntervalSeconds"
    MANAGE_API_GATEWAY_ACCOUNT: Final = "manageApiGatewayAccount"


# --- Lambda ---------------------------------------------------------------------------------------

LAMBDA_PYTHON_VERSION: Final = "3.11"
LAMBDA_PIP_PLATFORM: Final = "manylinux2014_aarch64"
LOG_RETENTION_DAYS: Final = 30
"""Lambda, API Gateway and Step Functions log groups."""
ASYNC_RETRY_ATTEMPTS: Final = 2
ASYNC_MAX_EVENT_AGE_SECONDS: Final = 6 * 3600
DLQ_RETENTION_DAYS: Final = 14
STREAM_BATCH_SIZE: Final = 500
"""DynamoDB stream records per invocation of a stream consumer (its batching window is in the catalog)."""
STREAM_RETRY_ATTEMPTS: Final = 5
DYNAMODB_READ_ACTIONS: Final = TABLE_ACCESS_ACTIONS["read"]
"""What ``"read"`` in shared.catalog grants (declared there: the local platform enforces the same)."""
DYNAMODB_WRITE_ACTIONS: Final = TABLE_ACCESS_ACTIONS["write"]
CODE_ASSET_PACKAGES: Final = ("shared", "functions")
"""Top-level packages copied into the one code asset all functions share."""

# --- WebSocket API (chargers) ---------------------------------------------------------------------

WEBSOCKET_API_NAME: Final = "csms-ocpp"
WEBSOCKET_STAGE_NAME: Final = "prod"
WEBSOCKET_THROTTLE_RATE_PER_SECOND: Final = 500
"""Steady-state messages/s across all chargers (10,000 chargers at one frame per 20 s)."""
WEBSOCKET_THROTTLE_BURST: Final = 1000
"""Room for a reconnect storm after a regional blip (the account-wide new-connection quota is 500/s)."""

# --- HTTP API (operators) -------------------------------------------------------------------------

HTTP_API_NAME: Final = "csms-operator"
HTTP_THROTTLE_RATE_PER_SECOND: Final = 50
HTTP_THROTTLE_BURST: Final = 100
CORS_MAX_AGE_SECONDS: Final = 3600
CORS_ALLOWED_HEADERS: Final = ("Authorization", "Content-Type", "Idempotency-Key")
CORS_ALLOWED_METHODS: Final = ("GET", "POST", "PUT", "PATCH", "DELETE")
LOCAL_DASHBOARD_ORIGIN: Final = "http://localhost:5173"
"""Not added by default: pass it through ``corsAllowedOrigins`` when developing the dashboard locally."""

# --- Cognito (operator identities) ----------------------------------------------------------------

USER_POOL_NAME: Final = "csms-operators"
TENANT_ATTRIBUTE: Final = "tenant_id"
"""Custom attribute; appears in the ID token as ``custom:tenant_id`` (shared/api/auth.py TENANT_CLAIMS).
The Cognito groups are the roles of ``shared.domain.tenancy.Role`` (claim ``cognito:groups``)."""
SITE_SCOPE_ATTRIBUTE: Final = "site_ids"
"""Custom attribute: a property owner's or energy provider's sites, comma separated (``custom:site_ids``,
shared/catalog.py SITE_SCOPE_CLAIMS)."""
ACCOUNT_SCOPE_ATTRIBUTE: Final = "account_id"
"""Custom attribute: the billing account a fleet manager or driver acts for (``custom:account_id``,
shared/catalog.py ACCOUNT_SCOPE_CLAIMS)."""
SITE_SCOPE_MAX_LENGTH: Final = 2048
"""Cognito's limit for a custom string attribute: some sixty site ids of 32 characters."""
PASSWORD_MIN_LENGTH: Final = 12
ID_TOKEN_VALIDITY_MINUTES: Final = 60
REFRESH_TOKEN_VALIDITY_HOURS: Final = 12

# --- Edge (CloudFront) ----------------------------------------------------------------------------

WEBSOCKET_FORWARDED_HEADERS: Final = (
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Extensions",
)
"""Forwarded to the API by the origin request policy. ``Authorization`` (OCPP Basic auth) cannot be:
CloudFront rejects it there, so it is part of the cache policy instead."""
EDGE_CACHE_MAX_TTL_SECONDS: Final = 1
"""A cache policy with headers in its key needs max TTL > 0; default TTL 0 keeps nothing cached."""

# --- Object storage -------------------------------------------------------------------------------

DIAGNOSTICS_EXPIRATION_DAYS: Final = 90
FIRMWARE_NONCURRENT_VERSION_EXPIRATION_DAYS: Final = 90
ACCESS_LOGS_EXPIRATION_DAYS: Final = 365

# --- Events ---------------------------------------------------------------------------------------

EVENT_ARCHIVE_RETENTION_DAYS: Final = 30

# --- Operations -----------------------------------------------------------------------------------

DASHBOARD_NAME: Final = "csms-operations"
ALARM_PERIOD_MINUTES: Final = 5
HANDLER_ERROR_RATE_PERCENT: Final = 5
"""Alarm when more than this share of a function's invocations fail over one period."""
HANDLER_ERROR_MIN_INVOCATIONS: Final = 10
"""…and at least this many invocations happened, so one failure at night does not page anyone."""


class CustomMetric:
    """Powertools metrics (namespace METRICS_NAMESPACE, dimension service=SERVICE_NAME) on the dashboard.

    A metric nobody emits yet shows an empty graph, not an error.
    """

    # Emitted by shared/ today.
    STATION_CONNECTIONS: Final = "StationConnections"
    CONNECTIONS_REFUSED: Final = "ConnectionsRefused"
    STATION_MESSAGES: Final = "StationMessages"
    REJECTED_FRAMES: Final = "RejectedFrames"
    DOMAIN_EVENTS_NOT_PUBLISHED: Final = "DomainEventsNotPublished"
    # Expected from shared/ (not emitted yet): a gauge of open connections, session starts/stops,
    # allocator runs (the allocator does not exist yet).
    CONNECTED_STATIONS: Final = "ConnectedStations"
    SESSIONS_STARTED: Final = "SessionsStarted"
    SESSIONS_STOPPED: Final = "SessionsStopped"
    ALLOCATION_RUNS: Final = "AllocationRuns"
