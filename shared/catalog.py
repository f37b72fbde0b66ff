"""The platform's Lambda functions and API routes, declared once.

The CDK stack creates one function per entry of ``FUNCTIONS`` with exactly the table access listed
here; the local platform imports the same handlers and wires them to the same routes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from shared.storage.tables import (
    COMMANDS,
    ID_TOKENS,
    IDEMPOTENCY,
    METER_VALUES,
    SESSIONS,
    SITES,
    STATION_MESSAGES,
    STATIONS,
    TableDefinition,
)

TableAccess = Literal["read", "write"]


@dataclass(frozen=True)
class FunctionSpec:
    name: str
    """Folder under ``functions/`` and the CDK construct id stem."""
    handler: str
    """Import path of the handler callable, as Lambda's ``handler`` setting spells it."""
    description: str
    tables: dict[TableDefinition, TableAccess] = field(default_factory=dict)
    manages_connections: bool = False
    """Whether it posts frames to chargers through the API Gateway Management API."""
    publishes_events: bool = False
    """Whether it publishes domain events to the platform's EventBridge bus."""
    memory_mb: int = 256
    timeout_seconds: int = 29


WS_AUTHORIZER = FunctionSpec(
    name="ws_authorizer",
    handler="functions.ws_authorizer.handler.handler",
    description="WebSocket $connect REQUEST authorizer: known, unblocked station, OCPP Basic auth",
    tables={STATIONS: "read"},
    memory_mb=256,
    timeout_seconds=10,
)
WS_CONNECT = FunctionSpec(
    name="ws_connect",
    handler="functions.ws_connect.handler.handler",
    description="WebSocket $connect: negotiates the OCPP subprotocol and records the connection",
    tables={STATIONS: "write"},
    timeout_seconds=10,
)
WS_DISCONNECT = FunctionSpec(
    name="ws_disconnect",
    handler="functions.ws_disconnect.handler.handler",
    description="WebSocket $disconnect: clears the station's connection if it is still this one",
    tables={STATIONS: "write"},
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
        IDEMPOTENCY: "write",
    },
    manages_connections=True,
    publishes_events=True,
)
OPERATOR_API = FunctionSpec(
    name="operator_api",
    handler="functions.operator_api.handler.handler",
    description="Operator HTTP API (v1)",
    tables={
        STATIONS: "write",
        SESSIONS: "read",
        METER_VALUES: "read",
        ID_TOKENS: "write",
        SITES: "write",
        COMMANDS: "write",
        IDEMPOTENCY: "write",
    },
    manages_connections=True,
    memory_mb=512,
)

FUNCTIONS: tuple[FunctionSpec, ...] = (WS_AUTHORIZER, WS_CONNECT, WS_DISCONNECT, WS_DEFAULT, OPERATOR_API)

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

SUPPORTED_SUBPROTOCOLS: tuple[str, ...] = ("ocpp1.6",)
"""In order of preference when a charger offers several."""

# --- Operator HTTP API ---------------------------------------------------------------------------

HTTP_API_PREFIX = "/v1"
OPENAPI_PATH = "/v1/openapi.json"


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    authorized: bool = True


HTTP_ROUTES: tuple[HttpRoute, ...] = (
    HttpRoute("GET", OPENAPI_PATH, authorized=False),
    HttpRoute("ANY", "/v1/{proxy+}"),
)
"""All operator routes go to the operator Lambda, which routes them itself (powertools resolver)."""
