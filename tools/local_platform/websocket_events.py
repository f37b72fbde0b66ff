"""API Gateway WebSocket API events: the REQUEST authorizer input and the $connect, $default and
$disconnect Lambda proxy events, in the shapes the cloud sends (API Gateway developer guide,
"Control access to WebSocket APIs with AWS Lambda REQUEST authorizers", and captured events)."""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from tools.local_platform.time_format import clf_time

# The $connect event carries the client's handshake headers minus the hop-by-hop upgrade ones,
# which only the authorizer sees.
_AUTHORIZER_ONLY_HEADERS = frozenset({"connection", "upgrade"})


def new_connection_id() -> str:
    """Looks like API Gateway's ids (16 characters of base64 ending in ``=``)."""
    return base64.urlsafe_b64encode(os.urandom(11)).decode()


def _request_id() -> str:
    return base64.b64encode(uuid.uuid4().bytes[:12]).decode().rstrip("=") + "="


@dataclass
class ConnectionIdentity:
    """What API Gateway knows about a connection from its handshake."""

    connection_id: str
    api_id: str
    stage: str
    domain_name: str
    source_ip: str
    user_agent: str
    connected_at: float
    headers: list[tuple[str, str]]
    query: list[tuple[str, str]]
    authorizer: dict[str, Any] | None = field(default=None)


def _single_and_multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str], dict[str, list[str]]]:
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for key, value in pairs:
        single[key] = value
        multi.setdefault(key, []).append(value)
    return single, multi


def _request_context(identity: ConnectionIdentity, route_key: str, event_type: str) -> dict[str, Any]:
    now = time.time()
    return {
        "routeKey": route_key,
        "eventType": event_type,
        "extendedRequestId": _request_id(),
        "requestTime": clf_time(now),
        "messageDirection": "IN",
        "stage": identity.stage,
        "connectedAt": int(identity.connected_at * 1000),
        "requestTimeEpoch": int(now * 1000),
        "identity": {"userAgent": identity.user_agent, "sourceIp": identity.source_ip},
        "requestId": _request_id(),
        "domainName": identity.domain_name,
        "connectionId": identity.connection_id,
        "apiId": identity.api_id,
    }


def _with_authorizer(context: dict[str, Any], identity: ConnectionIdentity) -> dict[str, Any]:
    if identity.authorizer is not None:
        context["authorizer"] = identity.authorizer
    return context


def _forwarded_headers(identity: ConnectionIdentity) -> list[tuple[str, str]]:
    trace_id = f"Root=1-{int(identity.connected_at):08x}-{uuid.uuid4().hex[:24]}"
    return [
        ("X-Amzn-Trace-Id", trace_id),
        ("X-Forwarded-For", identity.source_ip),
        (
            "X-Forwarded-Port",
            identity.domain_name.rpartition(":")[2] if ":" in identity.domain_name else "80",
        ),
        ("X-Forwarded-Proto", "http"),
    ]


def _query_fields(identity: ConnectionIdentity) -> dict[str, Any]:
    if not identity.query:
        return {}
    single, multi = _single_and_multi(identity.query)
    return {"queryStringParameters": single, "multiValueQueryStringParameters": multi}


def authorizer_event(identity: ConnectionIdentity, region: str, account_id: str) -> dict[str, Any]:
    headers, multi_headers = _single_and_multi(identity.headers + _forwarded_headers(identity))
    return {
        "type": "REQUEST",
        "methodArn": (
            f"arn:aws:execute-api:{region}:{account_id}:{identity.api_id}/{identity.stage}/$connect"
        ),
        "headers": headers,
        "multiValueHeaders": multi_headers,
        **_query_fields(identity),
        "stageVariables": {},
        "requestContext": _request_context(identity, "$connect", "CONNECT"),
    }


def connect_event(identity: ConnectionIdentity) -> dict[str, Any]:
    pairs = [(k, v) for k, v in identity.headers if k.lower() not in _AUTHORIZER_ONLY_HEADERS]
    headers, multi_headers = _single_and_multi(pairs + _forwarded_headers(identity))
    return {
        "headers": headers,
        "multiValueHeaders": multi_headers,
        **_query_fields(identity),
        "requestContext": _with_authorizer(_request_context(identity, "$connect", "CONNECT"), identity),
        "isBase64Encoded": False,
    }


def message_event(identity: ConnectionIdentity, data: str | bytes) -> dict[str, Any]:
    context = _request_context(identity, "$default", "MESSAGE")
    context["messageId"] = _request_id()
    is_binary = isinstance(data, bytes)
    body = base64.b64encode(data).decode() if isinstance(data, bytes) else data
    return {
        "requestContext": _with_authorizer(context, identity),
        "body": body,
        "isBase64Encoded": is_binary,
    }


def disconnect_event(identity: ConnectionIdentity, status_code: int, reason: str) -> dict[str, Any]:
    # Captured $disconnect events carry only these placeholder headers, not the handshake's.
    host = next((v for k, v in identity.headers if k.lower() == "host"), identity.domain_name)
    pairs = [("Host", host), ("x-api-key", ""), ("X-Forwarded-For", ""), ("x-restapi", "")]
    headers, multi_headers = _single_and_multi(pairs)
    context = _request_context(identity, "$disconnect", "DISCONNECT")
    context["disconnectStatusCode"] = status_code
    context["disconnectReason"] = reason
    return {
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "requestContext": _with_authorizer(context, identity),
        "isBase64Encoded": False,
    }


class AuthorizerConfigurationError(Exception):
    """The authorizer returned something API Gateway cannot use (it answers 500)."""


def authorizer_context(result: Mapping[str, Any]) -> dict[str, Any]:
    """``requestContext.authorizer`` for the connection's later events: principalId plus the context
    map with every value stringified, as API Gateway does; objects and arrays are refused."""
    context: dict[str, Any] = {"principalId": result.get("principalId")}
    for key, value in (result.get("context") or {}).items():
        if value is None:
            context[key] = None
        elif isinstance(value, bool):
            context[key] = "true" if value else "false"
        elif isinstance(value, str | int | float):
            context[key] = str(value)
        else:
            raise AuthorizerConfigurationError(f"authorizer context value {key!r} is not a scalar")
    context["integrationLatency"] = 0
    return context
