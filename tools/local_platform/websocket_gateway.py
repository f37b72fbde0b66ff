"""The API Gateway WebSocket API in front of the charger Lambdas: ``ws://<host>/ocpp/<stationId>``.

Per connection: authorizer → ``$connect`` → one ``$default`` invocation per message (concurrent, as
in the cloud, where invocations are independent) → ``$disconnect``. The station id is moved from the
path into a query-string parameter, which is what the CloudFront function does in front of the
real API (API Gateway WebSocket APIs route no path beyond the stage).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import WSMsgType, hdrs, web
from aiohttp.http_websocket import WebSocketError

from shared.catalog import (
    STATION_ID_QUERY_PARAMETER,
    WEBSOCKET_ROUTES,
    WEBSOCKET_ROUTES_WITH_RESPONSE,
    WS_AUTHORIZER,
)
from tools.local_platform.authorizer_policy import is_allowed
from tools.local_platform.config import PlatformConfig
from tools.local_platform.connections import ConnectionRegistry, LiveConnection
from tools.local_platform.gateway_socket import GatewayWebSocket
from tools.local_platform.lambda_runtime import FunctionUnavailableError, LambdaRuntime
from tools.local_platform.websocket_events import (
    AuthorizerConfigurationError,
    ConnectionIdentity,
    authorizer_context,
    authorizer_event,
    connect_event,
    disconnect_event,
    message_event,
    new_connection_id,
)

log = logging.getLogger(__name__)

GOING_AWAY = (1001, "Going away")
_DRAIN_SECONDS = 1.0
CLOSED_BY_DELETE = (1000, "Connection Closed Normally")
_CLOSE_REASONS = {
    1000: "Connection Closed Normally",
    1001: "Going away",
    1006: "Connection Closed Abnormally",
    1009: "Message too big",
}


def _json_response(status: int, message: str) -> web.Response:
    return web.json_response({"message": message}, status=status)


def _header(headers: Mapping[str, Any] | None, name: str) -> str | None:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return str(value)
    return None


class WebSocketGateway:
    def __init__(self, config: PlatformConfig, runtime: LambdaRuntime, registry: ConnectionRegistry) -> None:
        self._config = config
        self._runtime = runtime
        self._registry = registry
        self._message_tasks: set[asyncio.Task[None]] = set()
        self._draining = False

    async def handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get(hdrs.UPGRADE, "").lower() != "websocket":
            return _json_response(426, "Upgrade Required")
        identity = self._identity(request)

        refusal = await self._authorize(identity)
        if refusal is not None:
            return refusal

        try:
            connect_result = await self._runtime.invoke(
                WEBSOCKET_ROUTES["$connect"].name, connect_event(identity)
            )
        except Exception:
            log.exception("$connect failed for %s", identity.connection_id)
            return _json_response(500, "Internal server error")
        status = int(connect_result.get("statusCode", 200)) if isinstance(connect_result, Mapping) else 200
        if not 200 <= status < 300:
            return web.Response(status=status)
        headers = connect_result.get("headers") if isinstance(connect_result, Mapping) else None
        socket = GatewayWebSocket(selected_protocol=_header(headers, hdrs.SEC_WEBSOCKET_PROTOCOL))
        await socket.prepare(request)

        connection = LiveConnection(identity=identity, socket=socket)
        self._registry.add(connection)
        watchdog = asyncio.create_task(self._enforce_time_limits(connection))
        try:
            close_code, close_reason = await self._receive_until_closed(connection)
        finally:
            watchdog.cancel()
            self._registry.remove(identity.connection_id)
        if connection.server_close is not None:
            close_code, close_reason = connection.server_close
        if not self._draining:
            await self._invoke_disconnect(identity, close_code, close_reason)
        return socket

    def _identity(self, request: web.Request) -> ConnectionIdentity:
        station_id = request.match_info["station_id"]
        query = [(key, value) for key, value in request.query.items() if key != STATION_ID_QUERY_PARAMETER]
        query.append((STATION_ID_QUERY_PARAMETER, station_id))
        peer = request.transport.get_extra_info("peername") if request.transport else None
        return ConnectionIdentity(
            connection_id=new_connection_id(),
            api_id=self._config.websocket_api_id,
            stage=self._config.websocket_stage,
            domain_name=request.host,
            source_ip=str(peer[0]) if peer else "127.0.0.1",
            user_agent=request.headers.get(hdrs.USER_AGENT, ""),
            connected_at=time.time(),
            headers=list(request.headers.items()),
            query=query,
        )

    async def _authorize(self, identity: ConnectionIdentity) -> web.Response | None:
        """Runs the REQUEST authorizer; returns the refusal response, or None when allowed."""
        event = authorizer_event(identity, self._config.region, self._config.account_id)
        try:
            result = await self._runtime.invoke(WS_AUTHORIZER.name, event)
        except FunctionUnavailableError:
            log.exception("authorizer unavailable")
            return _json_response(500, "Internal server error")
        except Exception as error:
            # A Lambda authorizer signals "no credentials / bad credentials" by failing with exactly
            # this message; API Gateway turns it into 401 and any other failure into 500.
            if str(error) == "Unauthorized":
                return _json_response(401, "Unauthorized")
            log.exception("authorizer failed")
            return _json_response(500, "Internal server error")
        if not isinstance(result, Mapping):
            return _json_response(500, "Internal server error")
        if not is_allowed(result.get("policyDocument"), event["methodArn"]):
            return _json_response(403, "Forbidden")
        try:
            identity.authorizer = authorizer_context(result)
        except AuthorizerConfigurationError:
            log.exception("authorizer returned an unusable context")
            return _json_response(500, "Internal server error")
        return None

    async def _receive_until_closed(self, connection: LiveConnection) -> tuple[int, str]:
        socket = connection.socket
        while True:
            message = await socket.receive()
            if message.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                connection.touch()
                task = asyncio.create_task(self._route_message(connection, message.data))
                self._message_tasks.add(task)
                task.add_done_callback(self._message_tasks.discard)
                continue
            if message.type == WSMsgType.CLOSE:
                code = int(message.data or 1005)
                return code, str(message.extra or "") or _CLOSE_REASONS.get(code, "")
            error = message.data if message.type == WSMsgType.ERROR else None
            code = int(error.code if isinstance(error, WebSocketError) else socket.close_code or 1006)
            return code, _CLOSE_REASONS.get(code, "")

    async def _route_message(self, connection: LiveConnection, data: str | bytes) -> None:
        identity = connection.identity
        spec = WEBSOCKET_ROUTES["$default"]
        event = message_event(identity, data)
        try:
            result = await self._runtime.invoke(spec.name, event)
        except Exception:
            log.exception("$default failed on %s", identity.connection_id)
            # What API Gateway sends a client when the integration fails.
            reply: str | None = json.dumps(
                {
                    "message": "Internal server error",
                    "connectionId": identity.connection_id,
                    "requestId": event["requestContext"]["requestId"],
                }
            )
        else:
            reply = None
            if "$default" in WEBSOCKET_ROUTES_WITH_RESPONSE and isinstance(result, Mapping):
                body = result.get("body")
                reply = body if isinstance(body, str) and body else None
        if reply is not None and not connection.socket.closed:
            connection.touch()
            await connection.socket.send_str(reply)

    async def _enforce_time_limits(self, connection: LiveConnection) -> None:
        idle = self._config.idle_timeout_seconds
        lifetime = self._config.max_connection_seconds
        while not connection.socket.closed:
            now = time.monotonic()
            deadline = min(connection.last_active_monotonic + idle, connection.opened_monotonic + lifetime)
            if now >= deadline:
                await self.close(connection, GOING_AWAY)
                return
            await asyncio.sleep(deadline - now)

    async def close(self, connection: LiveConnection, code_and_reason: tuple[int, str]) -> None:
        connection.server_close = code_and_reason
        code, reason = code_and_reason
        await connection.socket.close(code=code, message=reason.encode())

    async def _invoke_disconnect(self, identity: ConnectionIdentity, code: int, reason: str) -> None:
        try:
            await self._runtime.invoke(
                WEBSOCKET_ROUTES["$disconnect"].name, disconnect_event(identity, code, reason)
            )
        except Exception:
            # $disconnect is best effort in API Gateway too: a failure changes nothing for the client.
            log.exception("$disconnect failed for %s", identity.connection_id)

    async def drain(self) -> None:
        """Closes every connection at once (the platform is stopping): a charger that does not answer
        the close frame within a second is cut off. No $disconnect is invoked from now on."""
        timeout = _DRAIN_SECONDS
        self._draining = True
        connections = self._registry.all()
        if connections:
            await asyncio.wait(
                [asyncio.ensure_future(self.close(connection, GOING_AWAY)) for connection in connections],
                timeout=timeout,
            )
        if self._message_tasks:
            await asyncio.wait(set(self._message_tasks), timeout=timeout)
