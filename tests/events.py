"""API Gateway events for handler tests, built by the local platform's own event builders so that the
shapes the tests use and the shapes the local platform sends are one and the same."""

from __future__ import annotations

import base64
import json
import time
from typing import Any
from urllib.parse import urlencode

from shared.catalog import STATION_ID_QUERY_PARAMETER, FunctionSpec
from tools.local_platform import http_events, websocket_events
from tools.local_platform.lambda_runtime import LambdaContext

API_ID = "abc123"
STAGE = "prod"
REGION = "us-east-1"
ACCOUNT = "000000000000"


def _identity(
    station_id: str | None,
    connection_id: str,
    headers: list[tuple[str, str]] | None = None,
    authorizer: dict[str, Any] | None = None,
) -> websocket_events.ConnectionIdentity:
    return websocket_events.ConnectionIdentity(
        connection_id=connection_id,
        api_id=API_ID,
        stage=STAGE,
        domain_name=f"{API_ID}.execute-api.{REGION}.amazonaws.com",
        source_ip="198.51.100.7",
        user_agent="pytest-charger",
        connected_at=time.time(),
        headers=headers or [],
        query=[(STATION_ID_QUERY_PARAMETER, station_id)] if station_id is not None else [],
        authorizer=(
            {"principalId": str(authorizer.get("stationId", "")), **authorizer}
            if authorizer is not None
            else None
        ),
    )


def authorizer_event(
    station_id: str | None,
    *,
    protocols: str | None = "ocpp1.6",
    password: str | None = None,
    user: str | None = None,
    connection_id: str = "conn-1",
) -> dict[str, Any]:
    headers = [("Host", f"{API_ID}.execute-api.{REGION}.amazonaws.com")]
    if protocols is not None:
        headers.append(("Sec-WebSocket-Protocol", protocols))
    if password is not None:
        token = base64.b64encode(f"{user or station_id}:{password}".encode()).decode()
        headers.append(("Authorization", f"Basic {token}"))
    return websocket_events.authorizer_event(_identity(station_id, connection_id, headers), REGION, ACCOUNT)


def connect_event(
    authorizer: dict[str, Any], connection_id: str = "conn-1", protocols: str | None = "ocpp1.6"
) -> dict[str, Any]:
    headers = [("Sec-WebSocket-Protocol", protocols)] if protocols is not None else []
    identity = _identity(authorizer.get("stationId"), connection_id, headers, authorizer)
    return websocket_events.connect_event(identity)


def message_event(authorizer: dict[str, Any], frame: Any, connection_id: str = "conn-1") -> dict[str, Any]:
    body = frame if isinstance(frame, str) else json.dumps(frame)
    identity = _identity(authorizer.get("stationId"), connection_id, authorizer=authorizer)
    return websocket_events.message_event(identity, body)


def disconnect_event(authorizer: dict[str, Any], connection_id: str = "conn-1") -> dict[str, Any]:
    identity = _identity(authorizer.get("stationId"), connection_id, authorizer=authorizer)
    return websocket_events.disconnect_event(identity, 1001, "Going away")


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    claims: dict[str, Any] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """HTTP API payload format 2.0; claims rendered as API Gateway does (strings, lists as "[a b]")."""
    request = http_events.HttpRequest(
        method=method,
        path=path,
        raw_query_string=urlencode(query or {}),
        headers=[("content-type", "application/json"), ("host", "api.example.com"), ("user-agent", "pytest")],
        body=json.dumps(body).encode() if body is not None else b"",
        source_ip="198.51.100.1",
    )
    return http_events.build_http_event(
        request,
        route_key="ANY /v1/{proxy+}",
        path_parameters={"proxy": path.removeprefix("/v1/")},
        authorizer=http_events.jwt_authorizer_context(claims or {}),
        api_id="httpapi",
        account_id=ACCOUNT,
    )


def claims_for(tenant: str, *roles: str) -> dict[str, Any]:
    """Claims as the token carries them; http_event renders them the way API Gateway delivers them."""
    return {"sub": f"user-of-{tenant}", "tenant_id": tenant, "cognito:groups": list(roles or ("admin",))}


def lambda_context(spec: FunctionSpec) -> LambdaContext:
    """The context object the Lambda runtime hands the function's handler."""
    return LambdaContext(
        function_name=spec.name,
        memory_limit_in_mb=spec.memory_mb,
        invoked_function_arn=f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{spec.name}",
        aws_request_id="test-request",
        timeout_seconds=spec.timeout_seconds,
    )
