"""One simulated OCPP 1.6J charge point: connects, boots, heartbeats, charges, answers the CSMS, and
reconnects whenever the socket closes (API Gateway closes every connection after two hours).

Usable as a library: ``start()``/``stop()``, the recorded state below, and ``wait_until``.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
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
    CancelReservationStatus,
    ChargePointErrorCode,
    ChargePointStatus,
    ChargingProfileStatus,
    ClearCacheStatus,
    ClearChargingProfileStatus,
    DataTransferStatus,
    DiagnosticsStatus,
    FirmwareStatus,
    GetCompositeScheduleStatus,
    MessageTrigger,
    Reason,
    RegistrationStatus,
    RemoteStartStopStatus,
    ReservationStatus,
    ResetStatus,
    TriggerMessageStatus,
    UnlockStatus,
    UpdateStatus,
)
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tools.simulator.base import ChargerBase, ConnectionLostError, ReceivedCall
from tools.simulator.call_log import CallLogging
from tools.simulator.configuration import ConfigurationKeys
from tools.simulator.meter import NOMINAL_VOLTAGE, ConnectorMeter, EvBattery, utc_timestamp
from tools.simulator.settings import ChargerSettings

log = logging.getLogger(__name__)

OCPP16 = Subprotocol("ocpp1.6")
_CHARGING_STATES = frozenset({ChargePointStatus.preparing, ChargePointStatus.charging})
__all__ = ["CompletedTransaction", "ConnectionLostError", "ReceivedCall", "SimulatedCharger"]


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
    reservation_id: int | None = None


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


class _OcppSession(CallLogging, ChargePoint):
    """The ``ocpp`` library's ChargePoint over one WebSocket connection; the CSMS's calls are
    answered by the owning ``SimulatedCharger``."""

    def __init__(self, owner: SimulatedCharger, socket: ClientConnection) -> None:
        super().__init__(
            owner.settings.station_id, socket, response_timeout=owner.settings.response_timeout_seconds
        )
        self._owner = owner
        self.call_log = owner.call_log

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

    @on(Action.update_firmware)
    def on_update_firmware(self, location: str, retrieve_date: str, **arguments: Any) -> Any:
        self._owner.record(
            Action.update_firmware, location=location, retrieve_date=retrieve_date, **arguments
        )
        return result.UpdateFirmware()

    @after(Action.update_firmware)
    def after_update_firmware(self, location: str, retrieve_date: str, **_: Any) -> None:
        self._owner.spawn(self._owner.device_management.update_firmware(location, retrieve_date))

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, location: str, **arguments: Any) -> Any:
        self._owner.record(Action.get_diagnostics, location=location, **arguments)
        return result.GetDiagnostics(file_name=f"{self._owner.settings.station_id}-diagnostics.log")

    @after(Action.get_diagnostics)
    def after_get_diagnostics(self, location: str, **_: Any) -> None:
        file_name = f"{self._owner.settings.station_id}-diagnostics.log"
        self._owner.spawn(self._owner.device_management.upload_diagnostics(location, file_name))

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **arguments: Any) -> Any:
        self._owner.record(Action.data_transfer, vendor_id=vendor_id, **arguments)
        return result.DataTransfer(status=DataTransferStatus.unknown_vendor_id)

    @on(Action.clear_cache)
    def on_clear_cache(self) -> Any:
        self._owner.record(Action.clear_cache)
        return result.ClearCache(status=ClearCacheStatus.accepted)

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self) -> Any:
        self._owner.record(Action.get_local_list_version)
        return result.GetLocalListVersion(list_version=self._owner.local_list_version)

    @on(Action.send_local_list)
    def on_send_local_list(self, list_version: int, update_type: str, **arguments: Any) -> Any:
        self._owner.record(
            Action.send_local_list, list_version=list_version, update_type=update_type, **arguments
        )
        entries = {entry["id_tag"]: entry for entry in arguments.get("local_authorization_list") or []}
        if update_type == "Full":
            self._owner.local_list = entries
        elif list_version <= self._owner.local_list_version:
            return result.SendLocalList(status=UpdateStatus.version_mismatch)
        else:
            for tag, entry in entries.items():
                if entry.get("id_tag_info"):
                    self._owner.local_list[tag] = entry
                else:
                    self._owner.local_list.pop(tag, None)
        self._owner.local_list_version = list_version
        return result.SendLocalList(status=UpdateStatus.accepted)

    @on(Action.reserve_now)
    def on_reserve_now(
        self, connector_id: int, expiry_date: str, id_tag: str, reservation_id: int, **arguments: Any
    ) -> Any:
        self._owner.record(
            Action.reserve_now,
            connector_id=connector_id,
            id_tag=id_tag,
            reservation_id=reservation_id,
            **arguments,
        )
        return result.ReserveNow(status=self._owner.reserve(connector_id, id_tag, reservation_id))

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id: int) -> Any:
        self._owner.record(Action.cancel_reservation, reservation_id=reservation_id)
        cancelled = self._owner.cancel_reservation(reservation_id)
        return result.CancelReservation(
            status=CancelReservationStatus.accepted if cancelled else CancelReservationStatus.rejected
        )

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id: int, cs_charging_profiles: dict[str, Any]) -> Any:
        self._owner.record(
            Action.set_charging_profile, connector_id=connector_id, profile=cs_charging_profiles
        )
        purpose = cs_charging_profiles["charging_profile_purpose"]
        if purpose == "TxProfile" and connector_id not in self._owner.active:
            return result.SetChargingProfile(status=ChargingProfileStatus.rejected)
        # One with the same purpose and stack level on the connector is replaced (OCPP 1.6 section 5.16)
        for key, held in list(self._owner.profiles.items()):
            if (
                key[0] == connector_id
                and held["charging_profile_purpose"] == purpose
                and held["stack_level"] == cs_charging_profiles["stack_level"]
            ):
                del self._owner.profiles[key]
        self._owner.profiles[(connector_id, cs_charging_profiles["charging_profile_id"])] = (
            cs_charging_profiles
        )
        return result.SetChargingProfile(status=ChargingProfileStatus.accepted)

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(self, **criteria: Any) -> Any:
        self._owner.record(Action.clear_charging_profile, **criteria)
        matching = [
            key
            for key, profile in self._owner.profiles.items()
            if (criteria.get("id") is None or profile["charging_profile_id"] == criteria["id"])
            and (criteria.get("connector_id") is None or key[0] == criteria["connector_id"])
            and (
                criteria.get("charging_profile_purpose") is None
                or profile["charging_profile_purpose"] == criteria["charging_profile_purpose"]
            )
            and (criteria.get("stack_level") is None or profile["stack_level"] == criteria["stack_level"])
        ]
        for key in matching:
            del self._owner.profiles[key]
        return result.ClearChargingProfile(
            status=ClearChargingProfileStatus.accepted if matching else ClearChargingProfileStatus.unknown
        )

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, connector_id: int, duration: int, **arguments: Any) -> Any:
        self._owner.record(
            Action.get_composite_schedule, connector_id=connector_id, duration=duration, **arguments
        )
        if connector_id not in (0, *self._owner.connector_ids):
            return result.GetCompositeSchedule(status=GetCompositeScheduleStatus.rejected)
        limit = self._owner.composite_limit_a(connector_id)
        return result.GetCompositeSchedule(
            status=GetCompositeScheduleStatus.accepted,
            connector_id=connector_id,
            schedule_start=utc_timestamp(),
            charging_schedule={
                "duration": duration,
                "charging_rate_unit": arguments.get("charging_rate_unit") or "A",
                "charging_schedule_period": [{"start_period": 0, "limit": limit}],
            },
        )


class SimulatedCharger(ChargerBase[_OcppSession]):
    subprotocol = OCPP16

    def __init__(self, settings: ChargerSettings) -> None:
        super().__init__(settings)
        self.configuration = ConfigurationKeys.defaults(settings)
        self.meters = {
            connector: ConnectorMeter(max_power_w=settings.max_power_w) for connector in self.connector_ids
        }
        self.connector_status: dict[int, ChargePointStatus] = dict.fromkeys(
            self.connector_ids, ChargePointStatus.available
        )
        self.active: dict[int, Transaction] = {}
        self.transaction_ids: list[int] = []
        self.completed_transactions: list[CompletedTransaction] = []
        self.local_list: dict[str, dict[str, Any]] = {}
        self.local_list_version = 0
        self.reservations: dict[int, tuple[int, str]] = {}
        """reservationId -> (connectorId, idTag)"""
        self.profiles: dict[tuple[int, int], dict[str, Any]] = {}
        self._pending_availability: dict[int, ChargePointStatus] = {}

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

    def _new_session(self, socket: ClientConnection) -> _OcppSession:
        return _OcppSession(self, socket)

    def _heartbeat_seconds(self) -> float:
        return float(self.configuration.value("HeartbeatInterval"))

    async def _heartbeat(self) -> None:
        await self.call(call.Heartbeat(), retry_until_delivered=False)

    async def _after_boot(self) -> None:
        # Every connector's status first (OCPP 1.6 §4.9), then the planned sessions, in this order.
        for connector_id in (0, *self.connector_ids):
            await self.send_status(connector_id)
        if not self._planned_started:
            self._planned_started = True
            await self._run_planned_sessions()

    async def _boot(self, session: _OcppSession) -> bool:
        boot = call.BootNotification(
            charge_point_vendor=self.settings.vendor,
            charge_point_model=self.settings.model,
            charge_point_serial_number=f"SN-{self.settings.station_id}",
            firmware_version=self.firmware_version,
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
            if await self.closed_within(self.settings.heartbeat_seconds or interval):
                return False  # the CSMS closed the socket while it waited (an approval, say): reconnect
        return False

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

    def free_connector(self, wanted: int | None, id_tag: str | None = None) -> int | None:
        """An available connector (a reserved one only for its reservation's idTag)."""
        candidates = [wanted] if wanted else list(self.connector_ids)
        for connector_id in candidates:
            if connector_id not in self.connector_status or connector_id in self.active:
                continue
            status = self.connector_status[connector_id]
            if status == ChargePointStatus.available:
                return connector_id
            if status == ChargePointStatus.reserved and self.reservation_on(connector_id, id_tag) is not None:
                return connector_id
        return None

    def reservation_on(self, connector_id: int, id_tag: str | None) -> int | None:
        for reservation_id, (reserved, tag) in self.reservations.items():
            if reserved == connector_id and id_tag is not None and tag.upper() == id_tag.upper():
                return reservation_id
        return None

    def reserve(self, connector_id: int, id_tag: str, reservation_id: int) -> ReservationStatus:
        if connector_id == 0:
            free = self.free_connector(None)
            if free is None:
                return ReservationStatus.occupied
            connector_id = free
        if connector_id not in self.connector_status:
            return ReservationStatus.rejected
        status = self.connector_status[connector_id]
        if connector_id in self.active or status in _CHARGING_STATES:
            return ReservationStatus.occupied
        if status == ChargePointStatus.faulted:
            return ReservationStatus.faulted
        if status == ChargePointStatus.unavailable:
            return ReservationStatus.unavailable
        self.reservations[reservation_id] = (connector_id, id_tag)
        self.spawn(self._set_status(connector_id, ChargePointStatus.reserved))
        return ReservationStatus.accepted

    def cancel_reservation(self, reservation_id: int) -> bool:
        reserved = self.reservations.pop(reservation_id, None)
        if reserved is None:
            return False
        if self.connector_status.get(reserved[0]) == ChargePointStatus.reserved:
            self.spawn(self._set_status(reserved[0], ChargePointStatus.available))
        return True

    def limit_in_force_a(self, connector_id: int) -> float:
        """What the connector may draw now (OCPP 1.6 section 3.13.2): the TxProfile of its transaction,
        else its TxDefaultProfile (the connector's over the station's), else the charger's maximum; a
        ChargePointMaxProfile caps either. 0 without a transaction. Only a schedule's first period is
        read: the CSMS's profiles here start now."""
        transaction = self.active.get(connector_id)
        if transaction is None:
            return 0.0

        def limit(profile: dict[str, Any]) -> float:
            return float(profile["charging_schedule"]["charging_schedule_period"][0]["limit"])

        def held(purpose: str, connectors: tuple[int, ...]) -> list[dict[str, Any]]:
            return [
                profile
                for (connector, _), profile in sorted(self.profiles.items(), key=lambda item: item[0][0])
                if connector in connectors and profile["charging_profile_purpose"] == purpose
            ]

        own = [
            profile
            for profile in held("TxProfile", (connector_id,))
            if profile.get("transaction_id") in (None, transaction.transaction_id)
        ]
        chosen = own or held("TxDefaultProfile", (connector_id,)) or held("TxDefaultProfile", (0,))
        # the highest stack level of the chosen purpose wins
        in_force = max(chosen, key=lambda p: p["stack_level"]) if chosen else None
        maximum = round(self.settings.max_power_w / 3 / 230, 1)
        caps = [limit(p) for p in held("ChargePointMaxProfile", (0,))]
        return min([limit(in_force) if in_force else maximum, *caps])

    def composite_limit_a(self, connector_id: int) -> float:
        """The lowest first-period limit of the profiles on the connector or the station (A)."""
        limits = [
            float(profile["charging_schedule"]["charging_schedule_period"][0]["limit"])
            for (connector, _), profile in self.profiles.items()
            if connector in (0, connector_id)
        ]
        return min(limits, default=round(self.settings.max_power_w / 3 / 230, 1))

    async def send_firmware_status(self, status: str, request_id: int | None) -> None:
        await self.call(call.FirmwareStatusNotification(status=status))

    async def send_log_status(self, status: str, request_id: int | None) -> None:
        await self.call(call.DiagnosticsStatusNotification(status=status))

    async def reboot_after_firmware_update(self) -> None:
        await self.reset("Hard")

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
        transaction.reservation_id = self.reservation_on(connector_id, id_tag)
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
                reservation_id=transaction.reservation_id,
            )
        )
        if transaction.reservation_id is not None:
            self.reservations.pop(transaction.reservation_id, None)
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
            offered_w = self.limit_in_force_a(transaction.connector_id) * 3 * NOMINAL_VOLTAGE
            meter.advance(transaction.battery, step, offered_w)
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
        # a TxProfile ends with its transaction (OCPP 1.6 section 3.13.1)
        for key, held in list(self.profiles.items()):
            if key[0] == transaction.connector_id and held["charging_profile_purpose"] == "TxProfile":
                del self.profiles[key]
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
