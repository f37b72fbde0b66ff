"""Drives the operator API's Lambda handler in-process on moto with raw bodies and any headers, the way
API Gateway's HTTP API (payload 2.0) would deliver a hostile client's request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlencode

from functions.operator_api.handler import handler
from shared.api.app import app
from shared.api.dependencies import current_platform
from shared.catalog import OPERATOR_API
from tests.builders import PlatformUnderTest, platform_on_moto
from tests.events import ACCOUNT, claims_for, lambda_context
from tools.local_platform import http_events

ADMIN_A = claims_for("tenant-a", "admin")
ADMIN_B = claims_for("tenant-b", "admin")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def body(self) -> Any:
        return json.loads(self.text) if self.text else None


def send(
    method: str,
    path: str,
    *,
    body: bytes | str | Any = None,
    claims: dict[str, Any] | None = ADMIN_A,
    query: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """``body`` bytes or str go as they are; anything else is JSON-encoded."""
    if body is None:
        raw = b""
    elif isinstance(body, bytes):
        raw = body
    elif isinstance(body, str):
        raw = body.encode("utf-8", "surrogatepass")
    else:
        raw = json.dumps(body).encode()
    request = http_events.HttpRequest(
        method=method,
        path=path,
        raw_query_string=urlencode(query or {}),
        headers=[
            ("content-type", "application/json"),
            ("host", "api.example.com"),
            *((name.lower(), value) for name, value in (headers or {}).items()),
        ],
        body=raw,
        source_ip="198.51.100.1",
    )
    event = http_events.build_http_event(
        request,
        route_key="ANY /v1/{proxy+}",
        path_parameters={"proxy": path.removeprefix("/v1/")},
        authorizer=http_events.jwt_authorizer_context(claims or {}),
        api_id="httpapi",
        account_id=ACCOUNT,
    )
    response = handler(event, lambda_context(OPERATOR_API))
    return Answer(response["statusCode"], dict(response.get("headers") or {}), response.get("body") or "")


@contextmanager
def operator_api_on_moto(**settings: Any) -> Iterator[PlatformUnderTest]:
    with platform_on_moto(**settings) as test_platform:
        app.dependency_overrides[current_platform] = lambda: test_platform.platform
        try:
            yield test_platform
        finally:
            app.dependency_overrides.pop(current_platform, None)


def wsgi_app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """The operator Lambda as a WSGI application, for tools that speak WSGI (schemathesis): each
    request becomes the HTTP API event API Gateway would send, with ADMIN_A's verified claims."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    headers = [
        (name[5:].replace("_", "-").lower(), str(value))
        for name, value in environ.items()
        if name.startswith("HTTP_")
    ]
    if environ.get("CONTENT_TYPE"):
        headers.append(("content-type", environ["CONTENT_TYPE"]))
    # WSGI hands the path over decoded as latin-1; API Gateway's rawPath is the UTF-8 text.
    path = environ.get("PATH_INFO", "/").encode("latin-1").decode("utf-8", "replace")
    request = http_events.HttpRequest(
        method=environ["REQUEST_METHOD"],
        path=path,
        raw_query_string=environ.get("QUERY_STRING", ""),
        headers=headers,
        body=body,
        source_ip="198.51.100.1",
    )
    event = http_events.build_http_event(
        request,
        route_key="ANY /v1/{proxy+}",
        path_parameters={"proxy": path.removeprefix("/v1/")},
        authorizer=http_events.jwt_authorizer_context(ADMIN_A),
        api_id="httpapi",
        account_id=ACCOUNT,
    )
    answer = http_events.map_lambda_result(handler(event, lambda_context(OPERATOR_API)))
    start_response(f"{answer.status} {HTTPStatus(answer.status).phrase}", answer.headers)
    return [answer.body]
