"""One simulated OCPP 1.6J charge point: connects, boots, heartbeats, charges, answers the CSMS, and
reconnects whenever the socket closes (API Gateway closes every connection after two hours).

Usable as a library: ``start()``/``stop()``, the recorded state below, and ``wait_until``.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.routing import after, on
from ocpp.v16 import ChargePoint, call
from ocpp.v16 import call_result as result
from ocpp.v16.enums import (
    Action,
    AuthorizationStatus,
    AvailabilityStatus,
    AvailabilityType,
    ChargePointErrorCode,
    ChargePointStatus,
    DataTransferStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    MessageTrigger,
    Reason,
    RegistrationStatus,
    RemoteStartStopStatus,
    ResetStatus,
    TriggerMessageStatus,
    UnlockStatus,
)
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus
from websockets.typing import Subprotocol

from tools.simulator.call_log import CallLog
from tools.simulator.configuration import ConfigurationKeys
from tools.simulator.meter import ConnectorMeter, EvBattery, utc_timestamp
from tools.simulator.settings import ChargerSettings

log = logging.getLogger(__name__)

OCPP16 = Subprotocol("ocpp1.6")
_MAX_RECONNECT_DELAY_SECONDS = 30.0
_CHARGING_STATES = frozenset({ChargePointStatus.preparing, ChargePointStatus.charging})


class ConnectionLostError(Exception):
    """The socket closed while a call waited for its answer."""


@dataclass(frozen=True)
class ReceivedCall:
    action: str
    arguments: dict[str, Any]
    received_at: float = field(default_factory=time.time)


@dataclass
class Transaction:
    connector_id: int
    id_tag: str
    meter_start: int
    battery: EvBattery
    transaction_id: int = 0
    stop_reason: Reason = Reason.local
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)
    samples: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class CompletedTransaction:
    transaction_id: int
    connector_id: int
    id_tag: str
    meter_start: int
    meter_stop: int
    reason: str

    @property
    def energy_wh(self) -> int:
        return self.meter_stop - self.meter_start


class _OcppSession(ChargePoint):
    """The ``ocpp`` library's ChargePoint over one WebSocket connection; the CSMS's calls are
    answered by the owning ``SimulatedCharger``."""

    def __init__(self, owner: SimulatedCharger, socket: ClientConnection) -> None:
        super().__init__(
            owner.settings.station_id, socket, response_timeout=owner.settings.response_timeout_seconds
        )
        self._owner = owner

    async def _send(self, message: str) -> None:
        self._owner.call_log.sent(message)
        try:
            await super()._send(message)
        except BaseException:
            self._owner.call_log.not_sent(message)
            raise

    async def route_message(self, raw_msg: str | bytes) -> None:
        self._owner.call_log.received(raw_msg)
        await super().route_message(raw_msg)

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag: str, connector_id: int | None = None, **_: Any) -> Any:
        self._owner.record(Action.remote_start_transaction, id_tag=id_tag, connector_id=connector_id)
        chosen = self._owner.free_connector(connector_id)
        status = RemoteStartStopStatus.accepted if chosen else RemoteStartStopStatus.rejected
        return result.RemoteStartTransaction(status=status)

    @after(Action.remote_start_transaction)
    def after_remote_start(self, id_tag: str, connector_id: int | None = None, **_: Any) -> None:
        chosen = self._owner.free_connector(connector_id)
        if chosen:
            self._owner.spawn(self._owner.run_session(chosen, id_tag, remote=True))

    @on(Action.remote_stop_transaction)
    def on_remote_stop(self, transaction_id: int) -> Any:
        self._owner.record(Action.remote_stop_transaction, transaction_id=transaction_id)
        stopped = self._owner.request_stop(transaction_id, Reason.remote)
        return result.RemoteStopTransaction(
            status=RemoteStartStopStatus.accepted if stopped else RemoteStartStopStatus.rejected
        )

    @on(Action.reset)
    def on_reset(self, type: str) -> Any:
        self._owner.record(Action.reset, type=type)
        return result.Reset(status=ResetStatus.accepted)

    @after(Action.reset)
    def after_reset(self, type: str) -> None:
        self._owner.spawn(self._owner.reset(type))

    @on(Action.unlock_connector)
    def on_unlock(self, connector_id: int) -> Any:
        self._owner.record(Action.unlock_connector, connector_id=connector_id)
        if not 1 <= connector_id <= self._owner.settings.connectors:
            return result.UnlockConnector(status=UnlockStatus.not_supported)
        transaction = self._owner.active.get(connector_id)
        if transaction is not None:
            self._owner.request_stop(transaction.transaction_id, Reason.unlock_command)
        return result.UnlockConnector(status=UnlockStatus.unlocked)

    @on(Action.change_availability)
    def on_change_availability(self, connector_id: int, type: str) -> Any:
        self._owner.record(Action.change_availability, connector_id=connector_id, type=type)
        return result.ChangeAvailability(status=self._owner.change_availability(connector_id, type))

    @on(Action.change_configuration)
    def on_change_configuration(self, key: str, value: str) -> Any:
        self._owner.record(Action.change_configuration, key=key, value=value)
        return result.ChangeConfiguration(status=self._owner.configuration.change(key, value))

    @on(Action.get_configuration)
    def on_get_configuration(self, key: list[str] | None = None) -> Any:
        self._owner.record(Action.get_configuration, key=key)
        known, unknown = self._owner.configuration.describe(key)
        return result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, connector_id: int | None = None) -> Any:
        self._owner.record(
            Action.trigger_message, requested_message=requested_message, connector_id=connector_id
        )
        supported = requested_message in self._owner.triggerable_messages
        return result.TriggerMessage(
            status=TriggerMessageStatus.accepted if supported else TriggerMessageStatus.not_implemented
        )

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message: str, connector_id: int | None = None) -> None:
        if requested_message in self._owner.triggerable_messages:
            self._owner.spawn(self._owner.send_triggered(requested_message, connector_id))

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **arguments: Any) -> Any:
        self._owner.record(Action.data_transfer, vendor_id=vendor_id, **arguments)
        return result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)


class SimulatedCharger:
    def __init__(self, settings: ChargerSettings) -> None:
        self.settings = settings
        self.configuration = ConfigurationKeys.defaults(settings)
        self.meters = {
            connector: ConnectorMeter(max_power_w=settings.max_power_w) for connector in self.connector_ids
        }
        self.connector_status: dict[int, ChargePointStatus] = dict.fromkeys(
            self.connector_ids, ChargePointStatus.available
        )
        self.active: dict[int, Transaction] = {}

        # What tests and the CLI inspect.
        self.boot_status: str | None = None
        self.boot_count = 0
        self.connect_count = 0
        self.connect_failures: list[str] = []
        self.received_calls: list[ReceivedCall] = []
        self.authorize_results: list[str] = []
        self.transaction_ids: list[int] = []
        self.completed_transactions: list[CompletedTransaction] = []
        self.planned_sessions_done = asyncio.Event()
        self.call_log = CallLog()

        self._heartbeat_interval = 300.0
        self._session: _OcppSession | None = None
        self._socket: ClientConnection | None = None
        self._session_closed: asyncio.Event = asyncio.Event()
        self._online = asyncio.Event()
        self._stopping = False
        self._reconnect_now = asyncio.Event()
        self._pending_availability: dict[int, ChargePointStatus] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        self._runner: asyncio.Task[None] | None = None
        self._planned_started = False

    @property
    def connector_ids(self) -> range:
        return range(1, self.settings.connectors + 1)

    @property
    def online(self) -> bool:
        return self._online.is_set()

    @property
    def triggerable_messages(self) -> frozenset[str]:
        return frozenset(
            {
                MessageTrigger.boot_notification,
                MessageTrigger.heartbeat,
                MessageTrigger.status_notification,
                MessageTrigger.meter_values,
                MessageTrigger.diagnostics_status_notification,
                MessageTrigger.firmware_status_notification,
            }
        )

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
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def wait_until(self, condition: Callable[[SimulatedCharger], bool], within: float = 10.0) -> None:
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
            try:
                async with connect(
                    url,
                    subprotocols=[OCPP16],
                    additional_headers=self._handshake_headers(),
                    user_agent_header=f"{self.settings.vendor}/{self.settings.firmware_version}",
                    open_timeout=10,
                ) as socket:
                    if socket.subprotocol != OCPP16:
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
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._reconnect_now.wait(), delay)
            delay = min(delay * 2, _MAX_RECONNECT_DELAY_SECONDS)

    async def _serve(self, socket: ClientConnection) -> None:
        session = _OcppSession(self, socket)
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
                self.spawn(self._after_boot())
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

    async def _after_boot(self) -> None:
        # Every connector's status first (OCPP 1.6 §4.9), then the planned sessions, in this order.
        for connector_id in (0, *self.connector_ids):
            await self.send_status(connector_id)
        if not self._planned_started:
            self._planned_started = True
            await self._run_planned_sessions()

    async def _call_on(self, session: _OcppSession, payload: Any) -> Any:
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
        """A CALL when online. Transaction messages must reach the CSMS (OCPP 1.6 §4.x), so by
        default the call waits for reconnection and retries until it is answered."""
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

    async def _boot(self, session: _OcppSession) -> bool:
        boot = call.BootNotification(
            charge_point_vendor=self.settings.vendor,
            charge_point_model=self.settings.model,
            charge_point_serial_number=f"SN-{self.settings.station_id}",
            firmware_version=self.settings.firmware_version,
        )
        while not self._stopping:
            try:
                response = await self._call_on(session, boot)
            except (ConnectionLostError, ConnectionClosed, TimeoutError, OCPPError) as error:
                log.warning("%s: BootNotification failed: %r", self.settings.station_id, error)
                return False
            self.boot_count += 1
            self.boot_status = str(response.status)
            interval = float(response.interval) or 60.0
            log.info(
                "%s: boot %s (interval %s s)", self.settings.station_id, response.status, response.interval
            )
            if response.status == RegistrationStatus.accepted:
                self._heartbeat_interval = interval
                self.configuration.set_value("HeartbeatInterval", str(int(interval)))
                return True
            # Pending or Rejected: the CSMS says when to ask again (OCPP 1.6 §4.2).
            await asyncio.sleep(self.settings.heartbeat_seconds or interval)
        return False

    async def _heartbeat_loop(self) -> None:
        while True:
            interval = self.settings.heartbeat_seconds or float(self.configuration.value("HeartbeatInterval"))
            await asyncio.sleep(max(interval, 0.05))
            await self.call(call.Heartbeat(), retry_until_delivered=False)

    async def reset(self, reset_type: str) -> None:
        reason = Reason.hard_reset if reset_type == "Hard" else Reason.soft_reset
        stopping = [transaction.transaction_id for transaction in self.active.values()]
        for transaction_id in stopping:
            self.request_stop(transaction_id, reason)
        await self.wait_until(lambda charger: not charger.active, within=60)
        if self._socket is not None:
            await self._socket.close()
        self._reconnect_now.set()

    # --- connectors and sessions -----------------------------------------------------------------

    def free_connector(self, wanted: int | None) -> int | None:
        candidates = [wanted] if wanted else list(self.connector_ids)
        for connector_id in candidates:
            if (
                connector_id in self.connector_status
                and self.connector_status[connector_id] == ChargePointStatus.available
                and connector_id not in self.active
            ):
                return connector_id
        return None

    async def send_status(self, connector_id: int) -> None:
        # Connector 0 is the charge point itself (OCPP 1.6 §4.9).
        status = ChargePointStatus.available if connector_id == 0 else self.connector_status[connector_id]
        await self.call(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=ChargePointErrorCode.no_error,
                status=status,
                timestamp=utc_timestamp(),
            ),
            retry_until_delivered=False,
        )

    async def _set_status(self, connector_id: int, status: ChargePointStatus) -> None:
        self.connector_status[connector_id] = status
        await self.send_status(connector_id)

    def change_availability(self, connector_id: int, availability: str) -> AvailabilityStatus:
        targets = list(self.connector_ids) if connector_id == 0 else [connector_id]
        if any(target not in self.connector_status for target in targets):
            return AvailabilityStatus.rejected
        wanted = (
            ChargePointStatus.unavailable
            if availability == AvailabilityType.inoperative
            else ChargePointStatus.available
        )
        scheduled = False
        for target in targets:
            if target in self.active:
                self._pending_availability[target] = wanted
                scheduled = True
            elif self.connector_status[target] != wanted:
                self.spawn(self._set_status(target, wanted))
        return AvailabilityStatus.scheduled if scheduled else AvailabilityStatus.accepted

    def request_stop(self, transaction_id: int, reason: Reason) -> bool:
        for transaction in self.active.values():
            if transaction.transaction_id == transaction_id:
                transaction.stop_reason = reason
                transaction.stop_requested.set()
                return True
        return False

    async def _run_planned_sessions(self) -> None:
        connectors = itertools.cycle(self.connector_ids)
        for number in range(self.settings.sessions):
            if number:
                await asyncio.sleep(self.settings.real_seconds(self.settings.pause_between_sessions_seconds))
            connector_id = next(connectors)
            while self.free_connector(connector_id) is None:  # noqa: ASYNC110 - freed by other tasks
                await asyncio.sleep(0.1)
            await self.run_session(connector_id, self.settings.id_tag)
        self.planned_sessions_done.set()

    async def run_session(
        self, connector_id: int, id_tag: str, *, remote: bool = False
    ) -> CompletedTransaction | None:
        await self._set_status(connector_id, ChargePointStatus.preparing)
        authorize_first = not remote or self.configuration.value("AuthorizeRemoteTxRequests") == "true"
        if authorize_first:
            authorized = await self.call(call.Authorize(id_tag=id_tag))
            status = str(authorized.id_tag_info["status"])
            self.authorize_results.append(status)
            if status != AuthorizationStatus.accepted:
                log.info("%s: id tag %s %s", self.settings.station_id, id_tag, status)
                await self._set_status(connector_id, ChargePointStatus.available)
                return None

        meter = self.meters[connector_id]
        transaction = Transaction(connector_id, id_tag, meter.register, EvBattery(soc_percent=25.0))
        self.active[connector_id] = transaction
        try:
            return await self._charge(transaction)
        finally:
            del self.active[connector_id]
            pending = self._pending_availability.pop(connector_id, None)
            await self._set_status(connector_id, pending or ChargePointStatus.available)

    async def _charge(self, transaction: Transaction) -> CompletedTransaction:
        settings = self.settings
        meter = self.meters[transaction.connector_id]
        transaction.samples.append(meter.sample("Transaction.Begin", transaction.battery))
        started = await self.call(
            call.StartTransaction(
                connector_id=transaction.connector_id,
                id_tag=transaction.id_tag,
                meter_start=transaction.meter_start,
                timestamp=utc_timestamp(),
            )
        )
        transaction.transaction_id = int(started.transaction_id)
        self.transaction_ids.append(transaction.transaction_id)
        log.info(
            "%s: transaction %s started on connector %s",
            settings.station_id,
            started.transaction_id,
            transaction.connector_id,
        )
        if started.id_tag_info["status"] != AuthorizationStatus.accepted:
            transaction.stop_reason = Reason.de_authorized
            transaction.stop_requested.set()
        else:
            await self._set_status(transaction.connector_id, ChargePointStatus.charging)

        simulated_elapsed = 0.0
        while simulated_elapsed < settings.session_seconds and not transaction.stop_requested.is_set():
            interval = (
                float(self.configuration.value("MeterValueSampleInterval")) or settings.meter_interval_seconds
            )
            step = min(interval, settings.session_seconds - simulated_elapsed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(transaction.stop_requested.wait(), settings.real_seconds(step))
            meter.advance(transaction.battery, step)
            simulated_elapsed += step
            if transaction.stop_requested.is_set():
                break
            await self.call(
                call.MeterValues(
                    connector_id=transaction.connector_id,
                    transaction_id=transaction.transaction_id,
                    meter_value=[meter.sample("Sample.Periodic", transaction.battery)],
                )
            )

        await self._set_status(transaction.connector_id, ChargePointStatus.finishing)
        meter.advance(None, 0)
        transaction.samples.append(meter.sample("Transaction.End", transaction.battery))
        stop = call.StopTransaction(
            meter_stop=meter.register,
            timestamp=utc_timestamp(),
            transaction_id=transaction.transaction_id,
            reason=transaction.stop_reason,
            id_tag=transaction.id_tag,
            transaction_data=transaction.samples,
        )
        for _ in range(max(1, settings.stop_transaction_deliveries)):
            await self.call(stop)
        completed = CompletedTransaction(
            transaction.transaction_id,
            transaction.connector_id,
            transaction.id_tag,
            transaction.meter_start,
            meter.register,
            str(transaction.stop_reason),
        )
        self.completed_transactions.append(completed)
        log.info(
            "%s: transaction %s stopped (%s), %s Wh",
            settings.station_id,
            completed.transaction_id,
            completed.reason,
            completed.energy_wh,
        )
        return completed

    async def send_triggered(self, message: str, connector_id: int | None) -> None:
        connectors = [connector_id] if connector_id else list(self.connector_ids)
        if message == MessageTrigger.boot_notification:
            session = self._session
            if session is not None:
                await self._boot(session)
        elif message == MessageTrigger.heartbeat:
            await self.call(call.Heartbeat(), retry_until_delivered=False)
        elif message == MessageTrigger.status_notification:
            for connector in connectors:
                await self.send_status(connector)
        elif message == MessageTrigger.meter_values:
            for connector in connectors:
                transaction = self.active.get(connector)
                battery = transaction.battery if transaction else None
                await self.call(
                    call.MeterValues(
                        connector_id=connector,
                        transaction_id=transaction.transaction_id if transaction else None,
                        meter_value=[self.meters[connector].sample("Trigger", battery)],
                    ),
                    retry_until_delivered=False,
                )
        elif message == MessageTrigger.diagnostics_status_notification:
            await self.call(call.DiagnosticsStatusNotification(status=DiagnosticsStatus.idle))
        elif message == MessageTrigger.firmware_status_notification:
            await self.call(call.FirmwareStatusNotification(status=FirmwareStatus.idle))
