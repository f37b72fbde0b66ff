"""The API Gateway Management API (``@connections``) as a boto3 ``apigatewaymanagementapi`` client
calls it with ``endpoint_url`` pointing at the gateway.

Errors carry ``x-amzn-ErrorType`` so botocore raises the modelled exceptions (GoneException 410,
PayloadTooLargeException 413, ForbiddenException 403). SigV4 signatures are required to be present
but are not verified.
"""

from __future__ import annotations

import json

from aiohttp import web

from tools.local_platform.config import MESSAGE_LIMIT_BYTES
from tools.local_platform.connections import ConnectionRegistry, LiveConnection
from tools.local_platform.time_format import iso8601_millis
from tools.local_platform.websocket_gateway import CLOSED_BY_DELETE, WebSocketGateway


def _error(status: int, error_type: str, message: str | None) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps({"message": message}).encode(),
        content_type="application/json",
        headers={"x-amzn-ErrorType": error_type},
    )


class ManagementApi:
    def __init__(self, registry: ConnectionRegistry, gateway: WebSocketGateway) -> None:
        self._registry = registry
        self._gateway = gateway

    def _connection(self, request: web.Request) -> LiveConnection | web.Response:
        if not request.headers.get("Authorization", "").startswith("AWS4-HMAC-SHA256"):
            return _error(403, "ForbiddenException", "Missing Authentication Token")
        connection = self._registry.get(request.match_info["connection_id"])
        if connection is None:
            return _error(410, "GoneException", None)
        return connection

    async def post(self, request: web.Request) -> web.Response:
        found = self._connection(request)
        if isinstance(found, web.Response):
            return found
        data = await request.read()
        if len(data) > MESSAGE_LIMIT_BYTES:
            return _error(413, "PayloadTooLargeException", "Message too long")
        try:
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                await found.socket.send_bytes(data)
            else:
                await found.socket.send_str(text)
        except (ConnectionError, RuntimeError):
            # The socket closed between the lookup and the send: to the caller it is already gone.
            return _error(410, "GoneException", None)
        found.touch()
        return web.Response(status=200)

    async def get(self, request: web.Request) -> web.Response:
        found = self._connection(request)
        if isinstance(found, web.Response):
            return found
        identity = found.identity
        return web.json_response(
            {
                "connectedAt": iso8601_millis(identity.connected_at),
                "identity": {"sourceIp": identity.source_ip, "userAgent": identity.user_agent},
                "lastActiveAt": iso8601_millis(found.last_active_at),
            }
        )

    async def delete(self, request: web.Request) -> web.Response:
        found = self._connection(request)
        if isinstance(found, web.Response):
            return found
        await self._gateway.close(found, CLOSED_BY_DELETE)
        return web.Response(status=204)
