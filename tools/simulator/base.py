"""What every simulated charger does whatever its protocol: connect (Basic auth, one subprotocol),
boot, heartbeat, reconnect whenever the socket closes (API Gateway closes every connection after two
hours), go offline for a while on request, and answer the CSMS through the ``ocpp`` package's
ChargePoint of its protocol. ``charger.py`` (1.6) and ``charger_v201.py`` (2.0.1) add the protocol."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from ocpp.charge_point import ChargePoint
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from tools.simulator.call_log import CallLog
from tools.simulator.device_management import DeviceManagement
from tools.simulator.settings import ChargerSettings

log = logging.getLogger(__name__)

_MAX_RECONNECT_DELAY_SECONDS = 30.0
SessionT = TypeVar("SessionT", bound=ChargePoint)
ChargerT = TypeVar("ChargerT", bound="ChargerBase[Any]")


class ConnectionLostError(Exception):
    """The socket closed while a call waited for its answer."""


@dataclass(frozen=True)
class ReceivedCall:
    action: str
    arguments: dict[str, Any]
    received_at: float = field(default_factory=time.time)


class ChargerBase(ABC, Generic[SessionT]):
    subprotocol: Subprotocol

    def __init__(self, settings: ChargerSettings) -> None:
        self.settings = settings
        # What tests and the CLI inspect.
        self.boot_status: str | None = None
        self.boot_count = 0
        self.connect_count = 0
        self.connect_failures: list[str] = []
        self.received_calls: list[ReceivedCall] = []
        self.authorize_results: list[str] = []
        self.transaction_ids: list[Any] = []
        self.completed_transactions: list[Any] = []
        """Each with ``energy_wh``."""
        self.planned_sessions_done = asyncio.Event()
        self.call_log = CallLog()
        self.firmware_version = settings.firmware_version
        """What the charger runs: a firmware update that installs changes it (and the next boot says so)."""
        self.firmware_outcome = settings.firmware_outcome
        """Mutable: a test may change how the next UpdateFirmware ends."""
        self.device_management = DeviceManagement(self)

        self._heartbeat_interval = 300.0
        self._session: SessionT | None = None
        self._socket: ClientConnection | None = None
        self._session_closed: asyncio.Event = asyncio.Event()
        self._online = asyncio.Event()
        self._stopping = False
        self._reconnect_now = asyncio.Event()
        self._offline_until = 0.0
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._planned_started = False

    @property
    def connector_ids(self) -> range:
        return range(1, self.settings.connectors + 1)

    @property
    def online(self) -> bool:
        return self._online.is_set()

    # --- what each protocol provides -------------------------------------------------------------

    @abstractmethod
    def _new_session(self, socket: ClientConnection) -> SessionT: ...

    @abstractmethod
    async def _boot(self, session: SessionT) -> bool:
        """BootNotification until Accepted (True), or until the connection fails (False)."""

    @abstractmethod
    async def _heartbeat(self) -> None: ...

    @abstractmethod
    async def _after_boot(self) -> None:
        """Statuses first, then (once) the planned sessions."""

    @abstractmethod
    async def send_firmware_status(self, status: str, request_id: int | None) -> None: ...

    @abstractmethod
    async def send_log_status(self, status: str, request_id: int | None) -> None:
        """1.6 DiagnosticsStatusNotification, 2.0.1 LogStatusNotification."""

    @abstractmethod
    async def reboot_after_firmware_update(self) -> None:
        """Into the new firmware: transactions end, the charger reconnects and boots again."""

    async def _back_online(self) -> None:
        """Called after each boot that follows a reconnection (2.0.1 flushes its offline queue here)."""

    # --- lifecycle -------------------------------------------------------------------------------

    async def start(self) -> None:
        self._stopping = False
        self._runner = asyncio.create_task(
            self._connection_loop(), name=f"charger {self.settings.station_id}"
        )

    async def stop(self) -> None:
        self._stopping = True
        self._reconnect_now.set()
        for task in list(self._tasks):
            task.cancel()
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()
        if self._runner is not None:
            self._runner.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._runner
        # Again: a boot answered while the socket closed may have spawned a task meanwhile (one that
        # would wait for the charger to be online again, forever).
        for _ in range(5):
            tasks = list(self._tasks)
            if not tasks:
                break
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_until(self, condition: Callable[[Any], bool], within: float = 10.0) -> None:
        """Polls ``condition``; state changes come from the charger's own tasks and the CSMS."""
        async with asyncio.timeout(within):
            while not condition(self):  # noqa: ASYNC110
                await asyncio.sleep(0.02)

    def spawn(self, coroutine: Any) -> asyncio.Task[Any]:
        task: asyncio.Task[Any] = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)
        return task

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: task failed", self.settings.station_id, exc_info=task.exception())

    def record(self, action: str, **arguments: Any) -> None:
        self.received_calls.append(ReceivedCall(str(action), arguments))
        log.info("%s ← %s %s", self.settings.station_id, action, arguments)

    def calls_received(self, action: str) -> list[ReceivedCall]:
        return [received for received in self.received_calls if received.action == action]

    async def go_offline(self, seconds: float) -> None:
        """Drops the connection and stays away for ``seconds`` (real time); meanwhile the charger keeps
        charging and queues what it must deliver."""
        self._offline_until = time.monotonic() + seconds
        if self._socket is not None:
            await self._socket.close()

    async def reconnect(self) -> None:
        """Closes the socket; the connection loop connects and boots again (a reset)."""
        if self._socket is not None:
            await self._socket.close()
        self._reconnect_now.set()

    # --- the connection --------------------------------------------------------------------------

    def _handshake_headers(self) -> dict[str, str]:
        if self.settings.password is None:
            return {}
        credentials = f"{self.settings.station_id}:{self.settings.password}".encode()
        return {"Authorization": "Basic " + base64.b64encode(credentials).decode()}

    async def _connection_loop(self) -> None:
        delay = self.settings.reconnect_delay_seconds
        url = f"{self.settings.url.rstrip('/')}/{self.settings.station_id}"
        while not self._stopping:
            self._reconnect_now.clear()
            away = self._offline_until - time.monotonic()
            if away > 0:
                await asyncio.sleep(away)
            try:
                async with connect(
                    url,
                    subprotocols=[self.subprotocol],
                    additional_headers=self._handshake_headers(),
                    user_agent_header=f"{self.settings.vendor}/{self.firmware_version}",
                    open_timeout=10,
                ) as socket:
                    if socket.subprotocol != self.subprotocol:
                        self.connect_failures.append(f"subprotocol {socket.subprotocol!r}")
                    else:
                        self.connect_count += 1
                        delay = self.settings.reconnect_delay_seconds
                        await self._serve(socket)
            except InvalidStatus as refused:
                self.connect_failures.append(str(refused.response.status_code))
                log.warning(
                    "%s: connection refused with HTTP %s",
                    self.settings.station_id,
                    refused.response.status_code,
                )
            except (OSError, InvalidHandshake, TimeoutError, ConnectionClosed) as error:
                self.connect_failures.append(type(error).__name__)
                log.warning("%s: connection failed: %s", self.settings.station_id, error)
            if self._stopping:
                return
            if self._offline_until > time.monotonic():
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reconnect_now.wait(), delay)
            delay = min(delay * 2, _MAX_RECONNECT_DELAY_SECONDS)

    async def _serve(self, socket: ClientConnection) -> None:
        session = self._new_session(socket)
        self._session = session
        self._socket = socket
        self._session_closed = asyncio.Event()
        reader = asyncio.create_task(session.start())
        reader.add_done_callback(lambda _: self._session_closed.set())
        heartbeat: asyncio.Task[None] | None = None
        try:
            if await self._boot(session):
                self._online.set()
                heartbeat = asyncio.create_task(self._heartbeat_loop())
                self.spawn(self._after_boot_and_flush())
            with contextlib.suppress(ConnectionClosed):
                await reader
        finally:
            self._online.clear()
            for task in (heartbeat, reader):
                if task is not None:
                    task.cancel()
            self._session = None
            self._socket = None
            log.info("%s: disconnected (%s)", self.settings.station_id, socket.close_code)

    async def closed_within(self, seconds: float) -> bool:
        """Waits ``seconds`` unless the connection closes first; whether it closed."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._session_closed.wait(), seconds)
        return self._session_closed.is_set()

    async def _after_boot_and_flush(self) -> None:
        await self._back_online()
        await self._after_boot()

    async def _call_on(self, session: SessionT, payload: Any) -> Any:
        """One CALL on one connection; fails fast when that connection closes meanwhile."""
        pending = asyncio.ensure_future(session.call(payload, suppress=False))
        closed = asyncio.ensure_future(self._session_closed.wait())
        try:
            done, _ = await asyncio.wait({pending, closed}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            closed.cancel()
        if pending in done:
            return pending.result()
        pending.cancel()
        raise ConnectionLostError

    async def call(self, payload: Any, *, retry_until_delivered: bool = True) -> Any:
        """A CALL when online. Transaction messages must reach the CSMS, so by default the call waits
        for reconnection and retries until it is answered."""
        while True:
            await self._online.wait()
            session = self._session
            if session is None:
                continue
            try:
                return await self._call_on(session, payload)
            except (ConnectionLostError, ConnectionClosed, TimeoutError):
                if not retry_until_delivered:
                    return None
                await asyncio.sleep(0.05)

    def _heartbeat_seconds(self) -> float:
        return self._heartbeat_interval

    async def _heartbeat_loop(self) -> None:
        while True:
            interval = self.settings.heartbeat_seconds or self._heartbeat_seconds()
            await asyncio.sleep(max(interval, 0.05))
            await self._heartbeat()
