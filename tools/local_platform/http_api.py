"""The operator HTTP API (API Gateway HTTP API, payload format 2.0, JWT authorizer) at ``/v1``."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from aiohttp import web

from shared.catalog import HTTP_ROUTES, OPERATOR_API, HttpRoute
from tools.local_platform.config import PlatformConfig
from tools.local_platform.http_events import (
    HttpRequest,
    HttpResponse,
    build_http_event,
    json_error,
    jwt_authorizer_context,
    map_lambda_result,
)
from tools.local_platform.lambda_runtime import LambdaRuntime
from tools.local_platform.operator_tokens import InvalidTokenError, TokenIssuer

log = logging.getLogger(__name__)

_UNAUTHORIZED_HEADERS = [("www-authenticate", 'Bearer error="invalid_token"')]


@dataclass(frozen=True)
class _CompiledRoute:
    route: HttpRoute
    pattern: re.Pattern[str]

    @property
    def route_key(self) -> str:
        return f"{self.route.method} {self.route.path}"


def _compile(route: HttpRoute) -> _CompiledRoute:
    regex = ""
    for literal, name, greedy in re.findall(r"([^{]*)(?:\{(\w+)(\+?)\})?", route.path):
        regex += re.escape(literal)
        if name:
            regex += f"(?P<{name}>.+)" if greedy else f"(?P<{name}>[^/]+)"
    return _CompiledRoute(route, re.compile(regex + "$"))


class RouteTable:
    """API Gateway's choice: the most specific route wins, so greedy ``{proxy+}`` routes come last."""

    def __init__(self, routes: tuple[HttpRoute, ...]) -> None:
        self._routes = sorted(
            (_compile(route) for route in routes), key=lambda compiled: "+}" in compiled.route.path
        )

    def match(self, method: str, path: str) -> tuple[_CompiledRoute, dict[str, str]] | None:
        for compiled in self._routes:
            if compiled.route.method not in ("ANY", method):
                continue
            found = compiled.pattern.match(path)
            if found:
                return compiled, found.groupdict()
        return None


def _bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    # The JWT authorizer accepts the token with or without the "Bearer " prefix.
    return token.strip() if scheme.lower() == "bearer" else authorization.strip()


class OperatorHttpApi:
    def __init__(self, config: PlatformConfig, runtime: LambdaRuntime, tokens: TokenIssuer) -> None:
        self._config = config
        self._runtime = runtime
        self._tokens = tokens
        self._routes = RouteTable(HTTP_ROUTES)

    async def handle(self, request: web.Request) -> web.Response:
        response = await self._respond(request)
        return web.Response(status=response.status, headers=response.headers, body=response.body)

    async def _respond(self, request: web.Request) -> HttpResponse:
        raw_path, _, raw_query = request.raw_path.partition("?")
        matched = self._routes.match(request.method, request.path)
        if matched is None:
            return json_error(404, "Not Found")
        compiled, path_parameters = matched

        authorizer = None
        if compiled.route.authorized:
            token = _bearer_token(request.headers.get("Authorization"))
            if token is None:
                return json_error(401, "Unauthorized")
            try:
                claims = self._tokens.verify(token)
            except InvalidTokenError:
                return json_error(401, "Unauthorized", _UNAUTHORIZED_HEADERS)
            authorizer = jwt_authorizer_context(claims)

        peer = request.transport.get_extra_info("peername") if request.transport else None
        http_request = HttpRequest(
            method=request.method,
            path=raw_path,
            raw_query_string=raw_query,
            headers=list(request.headers.items()),
            body=await request.read(),
            source_ip=str(peer[0]) if peer else "127.0.0.1",
            protocol=f"HTTP/{request.version.major}.{request.version.minor}",
        )
        event = build_http_event(
            http_request,
            route_key=compiled.route_key,
            path_parameters=path_parameters or None,
            authorizer=authorizer,
            api_id=self._config.http_api_id,
            account_id=self._config.account_id,
        )
        try:
            result = await self._runtime.invoke(OPERATOR_API.name, event)
        except Exception:
            log.exception("operator API failed on %s %s", request.method, request.path)
            return json_error(500, "Internal Server Error")
        try:
            return map_lambda_result(result)
        except (TypeError, ValueError, KeyError):
            log.exception("operator API returned a malformed response")
            return json_error(500, "Internal Server Error")
