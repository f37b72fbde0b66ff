"""The gateway's open WebSocket connections, keyed by API Gateway connection id."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aiohttp import web

from tools.local_platform.websocket_events import ConnectionIdentity


@dataclass
class LiveConnection:
    identity: ConnectionIdentity
    socket: web.WebSocketResponse
    opened_monotonic: float = field(default_factory=time.monotonic)
    last_active_monotonic: float = field(default_factory=time.monotonic)
    last_active_at: float = field(default_factory=time.time)
    server_close: tuple[int, str] | None = None
    """Set when the gateway itself closes the socket (timeouts, DeleteConnection, oversize)."""

    @property
    def connection_id(self) -> str:
        return self.identity.connection_id

    def touch(self) -> None:
        self.last_active_monotonic = time.monotonic()
        self.last_active_at = time.time()


class ConnectionRegistry:
    def __init__(self) -> None:
        self._connections: dict[str, LiveConnection] = {}

    def add(self, connection: LiveConnection) -> None:
        self._connections[connection.connection_id] = connection

    def get(self, connection_id: str) -> LiveConnection | None:
        connection = self._connections.get(connection_id)
        if connection is None or connection.socket.closed:
            return None
        return connection

    def remove(self, connection_id: str) -> None:
        self._connections.pop(connection_id, None)

    def all(self) -> list[LiveConnection]:
        return list(self._connections.values())

    def __len__(self) -> int:
        return len(self._connections)
