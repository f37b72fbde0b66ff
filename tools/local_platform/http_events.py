"""API Gateway HTTP API (payload format 2.0) events and response mapping for the operator Lambda.

Shapes follow "Working with AWS Lambda proxy integrations for HTTP APIs" (API Gateway developer
guide): lower-cased headers with duplicates comma-joined, cookies in their own field, query
parameters comma-joined, JWT claims under ``requestContext.authorizer.jwt``.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from tools.local_platform.time_format import clf_time


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    raw_query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def render_claim(value: Any) -> str:
    """How the HTTP API JWT authorizer renders a claim: every value becomes a string, and arrays
    come out as ``[a b]`` (space-separated in brackets), not JSON. Code that reads
    ``cognito:groups`` must parse that form."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + " ".join(render_claim(item) for item in value) + "]"
    if isinstance(value, Mapping):
        return "map[" + " ".join(f"{key}:{render_claim(value[key])}" for key in sorted(value)) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def jwt_authorizer_context(claims: Mapping[str, Any]) -> dict[str, Any]:
    scope = claims.get("scope")
    scopes = str(scope).split() if isinstance(scope, str) and scope else None
    return {"jwt": {"claims": {key: render_claim(value) for key, value in claims.items()}, "scopes": scopes}}


def _comma_joined(pairs: Iterable[tuple[str, str]], lower_keys: bool) -> dict[str, str]:
    joined: dict[str, str] = {}
    for key, value in pairs:
        name = key.lower() if lower_keys else key
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def _is_text(body: bytes) -> bool:
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def build_http_event(
    request: HttpRequest,
    *,
    route_key: str,
    path_parameters: dict[str, str] | None,
    authorizer: dict[str, Any] | None,
    api_id: str,
    account_id: str,
    stage: str = "$default",
) -> dict[str, Any]:
    now = time.time()
    cookie_headers = [value for name, value in request.headers if name.lower() == "cookie"]
    cookies = [part.strip() for header in cookie_headers for part in header.split(";") if part.strip()]
    headers = _comma_joined(
        ((name, value) for name, value in request.headers if name.lower() != "cookie"), lower_keys=True
    )
    domain_name = headers.get("host", "localhost")
    trace_id = f"Root=1-{int(now):08x}-{uuid.uuid4().hex[:24]}"
    headers.setdefault("x-amzn-trace-id", trace_id)
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-port", domain_name.rpartition(":")[2] if ":" in domain_name else "80")
    headers.setdefault("x-forwarded-proto", "http")
    query = parse_qsl(request.raw_query_string, keep_blank_values=True)
    request_context: dict[str, Any] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": domain_name,
        "domainPrefix": domain_name.split(".")[0],
        "http": {
            "method": request.method,
            "path": request.path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": base64.b64encode(uuid.uuid4().bytes[:12]).decode(),
        "routeKey": route_key,
        "stage": stage,
        "time": clf_time(now),
        "timeEpoch": int(now * 1000),
    }
    if authorizer is not None:
        request_context["authorizer"] = authorizer
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.path,
        "rawQueryString": request.raw_query_string,
        "headers": headers,
        "requestContext": request_context,
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if query:
        event["queryStringParameters"] = _comma_joined(query, lower_keys=False)
    if path_parameters:
        event["pathParameters"] = path_parameters
    if request.body:
        if _is_text(request.body):
            event["body"] = request.body.decode("utf-8")
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    return event


def map_lambda_result(result: Any) -> HttpResponse:
    """Format 2.0 response rules: a dict with ``statusCode`` is a proxy response; any other valid
    JSON is the body of a 200 ``application/json`` response."""
    if isinstance(result, Mapping) and "statusCode" in result:
        headers = [(str(name), str(value)) for name, value in (result.get("headers") or {}).items()]
        for name, values in (result.get("multiValueHeaders") or {}).items():
            headers.extend((str(name), str(value)) for value in values)
        headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
        raw_body = result.get("body")
        if raw_body is None:
            body = b""
        elif result.get("isBase64Encoded"):
            body = base64.b64decode(raw_body)
        else:
            body = (raw_body if isinstance(raw_body, str) else json.dumps(raw_body)).encode("utf-8")
        return HttpResponse(int(result["statusCode"]), headers, body)
    body_text = result if isinstance(result, str) else json.dumps(result)
    return HttpResponse(200, [("Content-Type", "application/json")], body_text.encode("utf-8"))


def json_error(status: int, message: str, extra_headers: list[tuple[str, str]] | None = None) -> HttpResponse:
    headers = [("Content-Type", "application/json"), *(extra_headers or [])]
    return HttpResponse(status, headers, json.dumps({"message": message}).encode())
