"""API Gateway WebSocket events as AWS delivers them (docs: 'WebSocket API Lambda proxy integration')."""

from __future__ import annotations

import base64
import json
from typing import Any

API_ID = "abc123"
STAGE = "prod"


def authorizer_event(
    station_id: str | None,
    *,
    protocols: str | None = "ocpp1.6",
    password: str | None = None,
    user: str | None = None,
) -> dict[str, Any]:
    headers: dict[str, str] = {"Host": f"{API_ID}.execute-api.us-east-1.amazonaws.com"}
    if protocols is not None:
        headers["Sec-WebSocket-Protocol"] = protocols
    if password is not None:
        token = base64.b64encode(f"{user or station_id}:{password}".encode()).decode()
        headers["Authorization"] = f"Basic {token}"
    return {
        "type": "REQUEST",
        "methodArn": f"arn:aws:execute-api:us-east-1:000000000000:{API_ID}/{STAGE}/$connect",
        "headers": headers,
        "queryStringParameters": {"stationId": station_id} if station_id is not None else {},
        "requestContext": {
            "routeKey": "$connect",
            "eventType": "CONNECT",
            "connectionId": "conn-1",
            "apiId": API_ID,
            "stage": STAGE,
        },
    }


def _request_context(
    route: str, event_type: str, connection_id: str, authorizer: dict[str, Any]
) -> dict[str, Any]:
    return {
        "routeKey": route,
        "eventType": event_type,
        "connectionId": connection_id,
        "apiId": API_ID,
        "stage": STAGE,
        "domainName": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
        "requestTimeEpoch": 1764230400000,
        "identity": {"sourceIp": "198.51.100.7"},
        "authorizer": {"principalId": authorizer.get("stationId", ""), **authorizer},
    }


def connect_event(
    authorizer: dict[str, Any], connection_id: str = "conn-1", protocols: str | None = "ocpp1.6"
) -> dict[str, Any]:
    headers = {"Sec-WebSocket-Protocol": protocols} if protocols is not None else {}
    return {
        "headers": headers,
        "requestContext": _request_context("$connect", "CONNECT", connection_id, authorizer),
        "isBase64Encoded": False,
    }


def message_event(authorizer: dict[str, Any], frame: Any, connection_id: str = "conn-1") -> dict[str, Any]:
    body = frame if isinstance(frame, str) else json.dumps(frame)
    return {
        "body": body,
        "requestContext": _request_context("$default", "MESSAGE", connection_id, authorizer),
        "isBase64Encoded": False,
    }


def disconnect_event(authorizer: dict[str, Any], connection_id: str = "conn-1") -> dict[str, Any]:
    context = _request_context("$disconnect", "DISCONNECT", connection_id, authorizer)
    context.update({"disconnectStatusCode": 1001, "disconnectReason": "Going away"})
    return {"headers": {}, "requestContext": context, "isBase64Encoded": False}


def http_event(
    method: str,
    path: str,
    *,
    body: Any = None,
    claims: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> dict[str, Any]:
    """HTTP API payload format 2.0; claims rendered as API Gateway does (strings, lists as "[a b]")."""
    from urllib.parse import urlencode

    return {
        "version": "2.0",
        "routeKey": "ANY /v1/{proxy+}",
        "rawPath": path,
        "rawQueryString": urlencode(query or {}),
        "headers": {"content-type": "application/json", "host": "api.example.com"},
        "queryStringParameters": query,
        "pathParameters": {"proxy": path.removeprefix("/v1/")},
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "httpapi",
            "domainName": "api.example.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.1",
                "userAgent": "pytest",
            },
            "requestId": "req-1",
            "routeKey": "ANY /v1/{proxy+}",
            "stage": "$default",
            "time": "27/Nov/2026:08:00:00 +0000",
            "timeEpoch": 1764230400000,
            "authorizer": {"jwt": {"claims": claims or {}, "scopes": None}},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }


def claims_for(tenant: str, *roles: str) -> dict[str, str]:
    return {
        "sub": f"user-of-{tenant}",
        "tenant_id": tenant,
        "cognito:groups": f"[{' '.join(roles or ('admin',))}]",
    }
