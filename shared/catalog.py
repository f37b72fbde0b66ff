"""The platform's Lambda functions and API routes, declared once.

The CDK stack creates one function per entry of ``FUNCTIONS`` with exactly the table access listed
here; the local platform imports the same handlers and wires them to the same routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from shared.ocpp.protocols import preferred_subprotocols
from shared.storage.buckets import DIAGNOSTICS_UPLOADS, FIRMWARE_IMAGES, BucketDefinition
from shared.storage.tables import (
    ALERTS,
    ALLOCATION_RUNS,
    BILLING_ACCOUNTS,
    BILLING_ALERTS,
    BILLING_SETTINGS,
    CDRS,
    COMMANDS,
    DIAGNOSTICS,
    ENERGY,
    FIRMWARE,
    FIRMWARE_CAMPAIGNS,
    ID_TOKENS,
    IDEMPOTENCY,
    INVOICES,
    LEDGER,
    METER_VALUES,
    ONBOARDING,
    RESERVATIONS,
    SESSIONS,
    SITES,
    STATION_DATA,
    STATION_MESSAGES,
    STATIONS,
    TableDefinition,
)
from shared.workflows.schedules import parse_schedule

TableAccess = Literal["read", "write"]
BucketAccess = Literal["read", "write"]

_READ_ACTIONS = ("dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:ConditionCheckItem")
TABLE_ACCESS_ACTIONS: dict[TableAccess, tuple[str, ...]] = {
    "read": _READ_ACTIONS,
    "write": (
        *_READ_ACTIONS,
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "dynamodb:BatchWriteItem",
    ),
}
"""The IAM actions each access level grants (CDK) and allows (the local platform): no Scan, no streams, no
DescribeTable; TransactWriteItems is authorised per item by these same actions."""

BUCKET_ACCESS_ACTIONS: dict[BucketAccess, tuple[str, ...]] = {
    # ListBucket only so that HeadObject on a missing key answers 404 (without it S3 answers 403).
    "read": ("s3:GetObject", "s3:ListBucket"),
    "write": ("s3:GetObject", "s3:ListBucket", "s3:PutObject"),
}
"""What a bucket grant allows. A presigned URL carries its signer's permissions: signing a download needs
GetObject, signing an upload PutObject, though the Lambda itself never moves the bytes."""


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    """Folder under ``functions/`` and the CDK construct id stem."""
    handler: str
    """Import path of the handler callable, as Lambda's ``handler`` setting spells it."""
    description: str
    tables: dict[TableDefinition, TableAccess] = field(default_factory=dict)
    buckets: dict[BucketDefinition, BucketAccess] = field(default_factory=dict)
    """S3 buckets it reads (HeadObject, presigned downloads) or writes (presigned uploads)."""
    manages_connections: bool = False
    """Whether it posts frames to chargers through the API Gateway Management API."""
    publishes_events: bool = False
    """Whether it publishes domain events to the platform's EventBridge bus."""
    starts_workflows: tuple[str, ...] = ()
    """Names of the workflows (``shared.workflows.registry``) it starts; it finds each one's ARN in
    ``WorkflowSpec.state_machine_arn_env_var``."""
    completes_workflow_tasks: bool = False
    """Whether it resumes waiting workflow executions (SendTaskSuccess/Failure/Heartbeat, task token):
    it completes commands that executions wait on."""
    reads_payment_secret: bool = False
    """Whether it reads the payment provider's secret (Stripe API key, webhook signing secret) from
    Secrets Manager (``STRIPE_SECRET_ARN``)."""
    tells_charger_url: bool = False
    """Whether it tells operators the public charger URL (OCPP_PUBLIC_URL: the edge's, never the API's)."""
    stream_of: TableDefinition | None = None
    """A table whose DynamoDB stream invokes the function (batched, partial batch responses)."""
    stream_batching_window_seconds: int = 0
    bundle_extras: tuple[str, ...] = ()
    """Optional-dependency groups of pyproject.toml bundled with this function alone (``energy``: the
    allocator's HiGHS and numpy); CDK gives each distinct set its own code asset."""
    memory_mb: int = 256
    timeout_seconds: int = 29


WS_AUTHORIZER = FunctionSpec(
    name="ws_authorizer",
    handler="functions.ws_authorizer.handler.handler",
    description="WebSocket $connect REQUEST authorizer: known, unblocked station, OCPP Basic auth; an "
    "unknown one with its tenant's enrollment secret waits for approval",
    # Onboarding: the enrollment secret's tenant, and the pending entry it records for each attempt.
    tables={STATIONS: "read", ONBOARDING: "write"},
    memory_mb=256,
    timeout_seconds=10,
)
WS_CONNECT = FunctionSpec(
    name="ws_connect",
    handler="functions.ws_connect.handler.handler",
    description="WebSocket $connect: negotiates the OCPP subprotocol, records the connection, closes an "
    "older one of the same station",
    tables={STATIONS: "write", ONBOARDING: "write"},  # a waiting station's connection id
    manages_connections=True,
    publishes_events=True,  # StationConnected
    timeout_seconds=10,
)
WS_DISCONNECT = FunctionSpec(
    name="ws_disconnect",
    handler="functions.ws_disconnect.handler.handler",
    description="WebSocket $disconnect: clears the station's connection if it is still this one",
    tables={STATIONS: "write"},
    publishes_events=True,  # StationDisconnected
    timeout_seconds=10,
)
WS_DEFAULT = FunctionSpec(
    name="ws_default",
    handler="functions.ws_default.handler.handler",
    description="WebSocket $default: every OCPP-J frame from a charger",
    tables={
        STATIONS: "write",
        SESSIONS: "write",
        METER_VALUES: "write",
        ID_TOKENS: "read",
        COMMANDS: "write",
        STATION_MESSAGES: "write",
        STATION_DATA: "write",
        RESERVATIONS: "write",
        IDEMPOTENCY: "write",
        # Firmware and diagnostics status notifications move their update or upload along.
        FIRMWARE_CAMPAIGNS: "write",
        DIAGNOSTICS: "write",
        # A 2.0.1 transaction end is answered with its cost (totalCost): the site's time zone, the
        # driver's groups and the tariffs, read as the billing workflow reads them.
        SITES: "read",
        BILLING_SETTINGS: "read",
        BILLING_ACCOUNTS: "read",
        ONBOARDING: "write",  # the BootNotification of a station waiting for approval
    },
    manages_connections=True,
    publishes_events=True,
    completes_workflow_tasks=True,
)
_BILLING_TABLES: dict[TableDefinition, TableAccess] = {
    BILLING_SETTINGS: "write",
    BILLING_ACCOUNTS: "write",
    CDRS: "write",
    INVOICES: "write",
    LEDGER: "write",
    BILLING_ALERTS: "write",
}
OPERATOR_API = FunctionSpec(
    name="operator_api",
    handler="functions.operator_api.handler.handler",
    description="Operator HTTP API (v1)",
    tables={
        STATIONS: "write",
        SESSIONS: "write",  # deleting a station closes its active sessions
        METER_VALUES: "read",
        STATION_MESSAGES: "read",
        ID_TOKENS: "write",
        SITES: "write",
        COMMANDS: "write",
        STATION_DATA: "write",
        RESERVATIONS: "write",
        IDEMPOTENCY: "write",
        FIRMWARE: "write",
        FIRMWARE_CAMPAIGNS: "write",
        DIAGNOSTICS: "write",
        ALERTS: "write",
        **_BILLING_TABLES,  # tariffs, accounts, top-ups, refunds, the Stripe webhook
        ENERGY: "write",
        ALLOCATION_RUNS: "read",
        ONBOARDING: "write",
    },
    buckets={FIRMWARE_IMAGES: "write", DIAGNOSTICS_UPLOADS: "read"},
    manages_connections=True,
    publishes_events=True,
    # Campaigns and diagnostics; re-driving what billing parked (a session, an invoice's payment, a month).
    starts_workflows=(
        "firmware_campaign",
        "station_diagnostics",
        "billing_session",
        "billing_payment_retry",
        "billing_monthly",
    ),
    completes_workflow_tasks=True,
    reads_payment_secret=True,
    tells_charger_url=True,
    memory_mb=512,
)
COMMAND_SENDER = FunctionSpec(
    name="command_sender",
    handler="functions.command_sender.handler.handler",
    description="Workflow task (.waitForTaskToken): sends an OCPP call; the station's answer resumes "
    "the execution",
    tables={STATIONS: "write", COMMANDS: "write", STATION_DATA: "write"},
    manages_connections=True,
    publishes_events=True,
    completes_workflow_tasks=True,
)
COMMAND_TIMEOUTS = FunctionSpec(
    name="command_timeouts",
    handler="functions.command_timeouts.handler.handler",
    description="Scheduled: records timeout for calls no station answered in time, resuming their workflows, "
    "and sends the calls that waited behind them",
    tables={STATIONS: "write", COMMANDS: "write", STATION_DATA: "write"},
    manages_connections=True,
    publishes_events=True,
    completes_workflow_tasks=True,
    timeout_seconds=60,
)

SESSION_PROJECTION = FunctionSpec(
    name="session_projection",
    handler="functions.session_projection.handler.handler",
    description="Meter-values stream: projects each active session's newest reading onto the session",
    tables={SESSIONS: "write"},
    publishes_events=True,  # SessionDrawChanged: the load allocator runs the session's site early
    stream_of=METER_VALUES,
    # One projection per session per minute at most: the list and the allocator are a minute fresh at
    # a cost of at most one write per active session per minute (see README, cost).
    stream_batching_window_seconds=60,
    timeout_seconds=60,
)

FIRMWARE_TASKS = FunctionSpec(
    name="firmware_tasks",
    handler="functions.firmware_tasks.handler.handler",
    description="Workflow tasks of firmware campaigns: the driver's advance, a station's prepare, await "
    "(.waitForTaskToken) and finish",
    tables={STATIONS: "read", SESSIONS: "read", FIRMWARE: "read", FIRMWARE_CAMPAIGNS: "write"},
    buckets={FIRMWARE_IMAGES: "read"},
    publishes_events=True,  # FirmwareUpdateFailed
    starts_workflows=("firmware_campaign", "firmware_station_update"),
    completes_workflow_tasks=True,
    timeout_seconds=60,
)
DIAGNOSTICS_TASKS = FunctionSpec(
    name="diagnostics_tasks",
    handler="functions.diagnostics_tasks.handler.handler",
    description="Workflow tasks of diagnostics requests: prepare, answered, await (.waitForTaskToken), "
    "finish",
    tables={STATIONS: "read", DIAGNOSTICS: "write"},
    buckets={DIAGNOSTICS_UPLOADS: "write"},
    completes_workflow_tasks=True,
)
ALERT_EVENTS = FunctionSpec(
    name="alert_events",
    handler="functions.alert_events.handler.handler",
    description="EventBridge rule fleet_alerts: raises alerts from faults, failed updates, boot loops and "
    "security events; watches disconnected stations",
    tables={ALERTS: "write"},
    publishes_events=True,  # AlertRaised
)
ALERT_SWEEP = FunctionSpec(
    name="alert_sweep",
    handler="functions.alert_sweep.handler.handler",
    description="Scheduled: stations still away after their reconnect grace are offline (an alert)",
    tables={ALERTS: "write", STATIONS: "read"},
    publishes_events=True,  # AlertRaised
    timeout_seconds=60,
)
BILLING_TASKS = FunctionSpec(
    name="billing_tasks",
    handler="functions.billing_tasks.handler.handler",
    description="Billing workflow tasks: price a session into a CDR, invoice, collect payment, split "
    "revenue, park for an operator, the monthly invoice",
    tables={**_BILLING_TABLES, SESSIONS: "read", METER_VALUES: "read", SITES: "read"},
    starts_workflows=("billing_payment_retry",),
    reads_payment_secret=True,
    memory_mb=256,
    timeout_seconds=30,
)
BILLING_TRIGGERS = FunctionSpec(
    name="billing_triggers",
    handler="functions.billing_triggers.handler.handler",
    description="Starts billing workflows: per stopped session (SessionStopped) and monthly (schedule)",
    starts_workflows=("billing_session", "billing_monthly"),
    memory_mb=128,
    timeout_seconds=10,
)
ALLOCATOR = FunctionSpec(
    name="allocator",
    handler="functions.allocator.handler.handler",
    description="Site load allocation: every minute for sites with active sessions, early on session and "
    "site events; charging profiles through the outbound pipeline, answers tracked",
    tables={
        ENERGY: "write",
        ALLOCATION_RUNS: "write",
        SESSIONS: "read",
        # The outbound pipeline reads the station and clears a connection that turned out to be gone.
        STATIONS: "write",
        COMMANDS: "write",
        # ... and holds the station's outbound lane (one call in flight), with what answers change.
        STATION_DATA: "write",
        # A fleet vehicle's session (its ID token's account and vehicles): prioritized, the car's limit.
        BILLING_ACCOUNTS: "read",
    },
    manages_connections=True,
    publishes_events=True,  # CommandCompleted of calls that could not be posted
    bundle_extras=("energy",),
    memory_mb=1024,
    timeout_seconds=60,
)
OPENADR_POLLER = FunctionSpec(
    name="openadr_poller",
    handler="functions.openadr_poller.handler.handler",
    description="Scheduled: the platform as OpenADR 3 VEN, each site's program events as grid signals",
    tables={ENERGY: "write"},
    publishes_events=True,  # SiteInputsChanged when a site's signals changed
    timeout_seconds=60,
)

FUNCTIONS: tuple[FunctionSpec, ...] = (
    WS_AUTHORIZER,
    WS_CONNECT,
    WS_DISCONNECT,
    WS_DEFAULT,
    OPERATOR_API,
    COMMAND_SENDER,
    COMMAND_TIMEOUTS,
    SESSION_PROJECTION,
    FIRMWARE_TASKS,
    DIAGNOSTICS_TASKS,
    ALERT_EVENTS,
    ALERT_SWEEP,
    BILLING_TASKS,
    BILLING_TRIGGERS,
    ALLOCATOR,
    OPENADR_POLLER,
)

# --- WebSocket API -------------------------------------------------------------------------------

WEBSOCKET_ROUTES: dict[str, FunctionSpec] = {
    "$connect": WS_CONNECT,
    "$disconnect": WS_DISCONNECT,
    "$default": WS_DEFAULT,
}
"""OCPP-J frames are JSON arrays, so no route selection expression can match them: all go to $default."""

WEBSOCKET_ROUTES_WITH_RESPONSE = frozenset({"$default"})
"""Routes with a route response: the Lambda's return value is sent back on the socket."""

OCPP_PATH_PREFIX = "/ocpp/"
"""Chargers connect to ``wss://<domain>/ocpp/<stationId>``."""

STATION_ID_QUERY_PARAMETER = "stationId"
"""API Gateway WebSocket APIs route no path segments, so the edge (CloudFront in the cloud, the local
gateway here) moves the station id from the URL path into this query-string parameter."""

SUPPORTED_SUBPROTOCOLS: tuple[str, ...] = preferred_subprotocols()
"""In order of preference when a charger offers several; derived from the protocol registry."""

STATION_ID_PATTERN = r"^[A-Za-z0-9*\-_=+|@.]{1,48}$"
"""OCPP identifierString without ':' (the station id is the HTTP Basic auth user name, RFC 7617) and
without '/' (it is the last segment of the connection URL). The CloudFront function checks it too."""

# --- Domain events -------------------------------------------------------------------------------

EVENT_SOURCE = "csms.stations"
"""``source`` of every domain event the platform publishes to its EventBridge bus."""

# --- Operator identity ---------------------------------------------------------------------------

TENANT_CLAIMS: tuple[str, ...] = ("tenant_id", "custom:tenant_id")
"""JWT claims that carry the caller's tenant, in order (Cognito puts custom attributes under custom:)."""
ROLE_CLAIMS: tuple[str, ...] = ("cognito:groups", "roles")
"""JWT claims that carry the caller's roles."""
SITE_SCOPE_CLAIMS: tuple[str, ...] = ("site_ids", "custom:site_ids")
"""JWT claims listing the sites a property owner's token may see (space or comma separated)."""
ACCOUNT_SCOPE_CLAIMS: tuple[str, ...] = ("account_id", "custom:account_id")
"""JWT claims naming the billing account a fleet manager's or driver's token acts for."""
ROLE_NAMES: tuple[str, ...] = (
    "admin",
    "operator",
    "viewer",
    "property_owner",
    "energy_provider",
    "fleet_manager",
    "driver",
)
"""Operator roles, as Cognito group names."""

# --- Operator HTTP API ---------------------------------------------------------------------------

HTTP_API_PREFIX = "/v1"
OPENAPI_PATH = "/v1/openapi.json"


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    authorized: bool = True


STRIPE_WEBHOOK_PATH = "/v1/webhooks/stripe"
"""Stripe's calls carry no operator token: the route is public and the handler verifies the
``Stripe-Signature`` with the endpoint's signing secret before reading anything."""

HTTP_ROUTES: tuple[HttpRoute, ...] = (
    HttpRoute("GET", OPENAPI_PATH, authorized=False),
    HttpRoute("POST", STRIPE_WEBHOOK_PATH, authorized=False),
    HttpRoute("ANY", "/v1/{proxy+}"),
)
"""All operator routes go to the operator Lambda, which routes them itself (powertools resolver)."""

# --- EventBridge rules and schedules -----------------------------------------------------------

EVENT_SOURCE = "csms.stations"
"""``source`` of every domain event the handlers publish to the platform's bus."""


@dataclass(frozen=True)
class EventRule:
    """Domain events on the platform's bus, matched by source and detail type, delivered to a function
    (asynchronously, as EventBridge invokes Lambda: retried on error, then kept in its DLQ)."""

    name: str
    """snake_case; the CDK construct id stem and the local rule's name."""
    detail_types: tuple[str, ...]
    """``DomainEvent.detail_type`` values (``shared.domain.events``)."""
    target: FunctionSpec
    description: str = ""
    source: str = EVENT_SOURCE
    detail: dict[str, Any] | None = None
    """An EventBridge pattern on the event's detail, e.g. ``{"action": ["SetChargingProfile"]}``."""

    def __post_init__(self) -> None:
        if not self.detail_types:
            raise ValueError(f"{self.name}: a rule needs at least one detail type")

    def event_pattern(self) -> dict[str, Any]:
        """The EventBridge pattern, as CDK deploys it and moto matches it locally."""
        pattern: dict[str, Any] = {"source": [self.source], "detail-type": list(self.detail_types)}
        if self.detail is not None:
            pattern["detail"] = self.detail
        return pattern


@dataclass(frozen=True)
class ScheduleRule:
    """A ``rate(...)`` or ``cron(...)`` rule (UTC, on the default bus) invoking a function with the
    scheduled-event shape, or with ``input`` instead when given (a rule target's constant input)."""

    name: str
    expression: str
    target: FunctionSpec
    description: str = ""
    input: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        parse_schedule(self.expression)  # a malformed expression fails at import, everywhere


FLEET_ALERT_DETAIL_TYPES: tuple[str, ...] = (
    "StationConnected",
    "StationDisconnected",
    "StationBooted",
    "ConnectorFaulted",
    "FirmwareUpdateFailed",
    "SecurityEventReported",
)
"""The domain events alerts are raised from (``shared.monitoring.alerts``)."""

EVENT_RULES: tuple[EventRule, ...] = (
    EventRule(
        "fleet_alerts",
        FLEET_ALERT_DETAIL_TYPES,
        ALERT_EVENTS,
        description="Alerts: faulted connectors, failed firmware updates, boot loops, security events, "
        "stations that disconnect",
    ),
    EventRule(
        "billing_sessions",
        ("SessionStopped",),
        BILLING_TRIGGERS,
        description="Every stopped session is priced, invoiced, paid and split (billing_session workflow)",
    ),
    EventRule(
        "allocator_triggers",
        ("SessionStarted", "SessionStopped", "SessionDrawChanged", "SiteInputsChanged", "StationConnected"),
        ALLOCATOR,
        description="Runs a site's load allocation early (and boot profiles for a station that connects)",
    ),
    EventRule(
        "allocator_answers",
        ("CommandCompleted",),
        ALLOCATOR,
        description="What chargers answered to the allocator's smart charging calls",
        # shared.energy.service.SMART_CHARGING_ACTIONS (1.6 GetConfiguration, 2.0.1 GetVariables)
        detail={"action": ["GetConfiguration", "GetVariables", "SetChargingProfile"]},
    ),
)
SCHEDULES: tuple[ScheduleRule, ...] = (
    ScheduleRule(
        "command_timeouts",
        "rate(1 minute)",
        COMMAND_TIMEOUTS,
        description="Records timeout for calls no station answered, resuming the workflows waiting on them",
    ),
    ScheduleRule(
        "alert_sweep",
        "rate(1 minute)",
        ALERT_SWEEP,
        description="Raises StationOffline for stations still away after their reconnect grace",
    ),
    ScheduleRule(
        "billing_monthly",
        "cron(0 2 1 * ? *)",
        BILLING_TRIGGERS,
        description="On the 1st, 02:00 UTC: invoices last month's subscription fees and postpaid usage",
    ),
    ScheduleRule(
        "allocator",
        "rate(1 minute)",
        ALLOCATOR,
        description="Load allocation of every managed site with active sessions",
    ),
    ScheduleRule(
        "openadr_poller",
        "rate(5 minutes)",
        OPENADR_POLLER,
        description="Polls each site's OpenADR 3 program for import limits and prices",
    ),
)
