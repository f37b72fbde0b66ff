"""A minimal central system built on the ``ocpp`` library, to test the simulator on its own."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from ocpp.routing import on
from ocpp.v16 import ChargePoint
from ocpp.v16 import call_result as result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.http11 import Request, Response
from websockets.typing import Subprotocol

from tools.simulator.meter import utc_timestamp


@dataclass
class FakeCsms:
    heartbeat_interval: int = 300
    boot_statuses: list[RegistrationStatus] = field(default_factory=list)
    """Answers to successive BootNotifications; Accepted once exhausted."""
    known_tags: set[str] = field(default_factory=lambda: {"TAG-OK"})
    required_authorization: str | None = None
    messages: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(station id, action, payload) of every CALL from a charger."""
    sessions: dict[str, ChargePoint] = field(default_factory=dict)
    connections: dict[str, ServerConnection] = field(default_factory=dict)
    connection_count: int = 0
    transaction_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1001))
    server: Server | None = None

    def of(self, action: str) -> list[dict[str, Any]]:
        return [payload for _, name, payload in self.messages if name == action]

    async def wait_for(self, action: str, count: int = 1) -> list[dict[str, Any]]:
        async with asyncio.timeout(10):
            while len(self.of(action)) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        return self.of(action)

    @property
    def url(self) -> str:
        assert self.server is not None
        port = next(iter(self.server.sockets)).getsockname()[1]
        return f"ws://127.0.0.1:{port}/ocpp"


def _central_system(csms: FakeCsms, station_id: str, socket: ServerConnection) -> ChargePoint:
    class CentralSystem(ChargePoint):
        def _record(self, action: str, payload: dict[str, Any]) -> None:
            csms.messages.append((station_id, action, payload))

        @on(Action.boot_notification)
        def on_boot(self, **payload: Any) -> Any:
            self._record("BootNotification", payload)
            status = csms.boot_statuses.pop(0) if csms.boot_statuses else RegistrationStatus.accepted
            interval = csms.heartbeat_interval if status == RegistrationStatus.accepted else 1
            return result.BootNotification(current_time=utc_timestamp(), interval=interval, status=status)

        @on(Action.heartbeat)
        def on_heartbeat(self) -> Any:
            self._record("Heartbeat", {})
            return result.Heartbeat(current_time=utc_timestamp())

        @on(Action.status_notification)
        def on_status(self, **payload: Any) -> Any:
            self._record("StatusNotification", payload)
            return result.StatusNotification()

        @on(Action.authorize)
        def on_authorize(self, id_tag: str) -> Any:
            self._record("Authorize", {"id_tag": id_tag})
            known = id_tag in csms.known_tags
            status = AuthorizationStatus.accepted if known else AuthorizationStatus.invalid
            return result.Authorize(id_tag_info={"status": status})

        @on(Action.start_transaction)
        def on_start(self, **payload: Any) -> Any:
            self._record("StartTransaction", payload)
            return result.StartTransaction(
                transaction_id=next(csms.transaction_ids),
                id_tag_info={"status": AuthorizationStatus.accepted},
            )

        @on(Action.meter_values)
        def on_meter_values(self, **payload: Any) -> Any:
            self._record("MeterValues", payload)
            return result.MeterValues()

        @on(Action.stop_transaction)
        def on_stop(self, **payload: Any) -> Any:
            self._record("StopTransaction", payload)
            return result.StopTransaction()

        @on(Action.diagnostics_status_notification)
        def on_diagnostics(self, **payload: Any) -> Any:
            self._record("DiagnosticsStatusNotification", payload)
            return result.DiagnosticsStatusNotification()

    return CentralSystem(station_id, socket)


@asynccontextmanager
async def running_csms(csms: FakeCsms) -> AsyncIterator[FakeCsms]:
    def check_authorization(connection: ServerConnection, request: Request) -> Response | None:
        if (
            csms.required_authorization
            and request.headers.get("Authorization") != csms.required_authorization
        ):
            return connection.respond(401, "Unauthorized\n")
        return None

    async def handle(socket: ServerConnection) -> None:
        assert socket.request is not None
        station_id = socket.request.path.rsplit("/", 1)[-1]
        csms.connection_count += 1
        central = _central_system(csms, station_id, socket)
        csms.sessions[station_id] = central
        csms.connections[station_id] = socket
        await central.start()

    async def run(socket: ServerConnection) -> None:
        try:
            await handle(socket)
        except Exception:  # the connection closing ends ChargePoint.start with an exception
            return

    async with serve(
        run,
        "127.0.0.1",
        0,
        subprotocols=[Subprotocol("ocpp1.6")],
        process_request=check_authorization,
    ) as server:
        csms.server = server
        yield csms
