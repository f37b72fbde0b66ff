"""One simulated OCPP 2.0.1 charging station: boots, reports its status per EVSE and connector, charges
through TransactionEvents (Started / Updated / Ended, with seqNo), keeps its device model, answers every
CSMS-initiated call the platform sends, and queues its transaction events while offline, delivering them
(offline=true) when it is back — shuffled with a duplicate when ``replay_out_of_order`` is set.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call
from ocpp.v201 import call_result as result
from ocpp.v201.enums import Action
from websockets.asyncio.client import ClientConnection
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from tools.simulator.base import ChargerBase, ConnectionLostError
from tools.simulator.call_log import CallLogging
from tools.simulator.device_model import SimulatedDeviceModel
from tools.simulator.meter import ConnectorMeter, EvBattery, utc_timestamp
from tools.simulator.settings import ChargerSettings

log = logging.getLogger(__name__)

OCPP201 = Subprotocol("ocpp2.0.1")
TRIGGERABLE = frozenset(
    {
        "BootNotification",
        "Heartbeat",
        "StatusNotification",
        "MeterValues",
        "TransactionEvent",
        "FirmwareStatusNotification",
        "LogStatusNotification",
    }
)


@dataclass
class Transaction201:
    evse_id: int
    id_token: dict[str, Any] | None
    transaction_id: str
    meter_start: int
    battery: EvBattery
    remote_start_id: int | None = None
    reservation_id: int | None = None
    seq_no: int = 0
    stopped_reason: str = "Local"
    stop_trigger: str = "StopAuthorized"
    stop_requested: asyncio.Event = field(default_factory=asyncio.Event)

    def next_seq(self) -> int:
        seq = self.seq_no
        self.seq_no += 1
        return seq


@dataclass(frozen=True)
class CompletedTransaction201:
    transaction_id: str
    evse_id: int
    meter_start: int
    meter_stop: int
    stopped_reason: str
    total_cost: float | None = None
    """The CSMS's totalCost in its answer to the Ended event (None: none given, or the end was queued)."""

    @property
    def energy_wh(self) -> int:
        return self.meter_stop - self.meter_start


def _sample_201(sample: dict[str, Any]) -> dict[str, Any]:
    """The simulator's meter sample (1.6 shape, text values) as a 2.0.1 MeterValueType (snake_case)."""
    values = []
    for value in sample["sampledValue"]:
        converted: dict[str, Any] = {
            "value": float(value["value"]),
            "context": value["context"],
            "measurand": value["measurand"],
            "unit_of_measure": {"unit": value["unit"]},
        }
        for key in ("phase", "location"):
            if key in value:
                converted[key] = value[key]
        values.append(converted)
    return {"timestamp": sample["timestamp"], "sampled_value": values}


def _log_file_name(charger: ChargerBase[Any], log_type: str) -> str:
    return f"{charger.settings.station_id}-{log_type}.log"


class _Session201(CallLogging, ChargePoint):
    """The ``ocpp`` library's 2.0.1 ChargePoint over one connection; calls are answered by the owner."""

    def __init__(self, owner: SimulatedCharger201, socket: ClientConnection) -> None:
        super().__init__(
            owner.settings.station_id, socket, response_timeout=owner.settings.response_timeout_seconds
        )
        self._owner = owner
        self.call_log = owner.call_log

    # --- B: provisioning ---------------------------------------------------------------------------

    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        self._owner.record(Action.get_variables, get_variable_data=get_variable_data)
        results = []
        for entry in get_variable_data:
            variable, problem = self._owner.device_model.find(entry["component"], entry["variable"])
            outcome: dict[str, Any] = {"component": entry["component"], "variable": entry["variable"]}
            if entry.get("attribute_type") not in (None, "Actual"):
                outcome["attribute_status"] = "NotSupportedAttributeType"
            elif variable is None:
                outcome["attribute_status"] = problem
            elif variable.mutability == "WriteOnly":
                outcome["attribute_status"] = "Rejected"
            else:
                outcome["attribute_status"] = "Accepted"
                outcome["attribute_value"] = variable.value
            if entry.get("attribute_type"):
                outcome["attribute_type"] = entry["attribute_type"]
            results.append(outcome)
        return result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data: list[dict[str, Any]], **_: Any) -> Any:
        self._owner.record(Action.set_variables, set_variable_data=set_variable_data)
        results = []
        for entry in set_variable_data:
            variable, problem = self._owner.device_model.find(entry["component"], entry["variable"])
            outcome: dict[str, Any] = {"component": entry["component"], "variable": entry["variable"]}
            if entry.get("attribute_type") not in (None, "Actual"):
                outcome["attribute_status"] = "NotSupportedAttributeType"
            elif variable is None:
                outcome["attribute_status"] = problem
            elif variable.mutability == "ReadOnly" or (
                variable.data_type == "integer" and not str(entry["attribute_value"]).lstrip("-").isdigit()
            ):
                outcome["attribute_status"] = "Rejected"
            else:
                variable.value = entry["attribute_value"]
                outcome["attribute_status"] = "Accepted"
                if variable.component == "OCPPCommCtrlr" and variable.name == "HeartbeatInterval":
                    self._owner.set_heartbeat_interval(float(variable.value))
            results.append(outcome)
        return result.SetVariables(set_variable_result=results)

    @on(Action.get_base_report)
    def on_get_base_report(self, request_id: int, report_base: str, **_: Any) -> Any:
        self._owner.record(Action.get_base_report, request_id=request_id, report_base=report_base)
        if report_base not in ("FullInventory", "ConfigurationInventory", "SummaryInventory"):
            return result.GetBaseReport(status="NotSupported")
        return result.GetBaseReport(status="Accepted")

    @after(Action.get_base_report)
    def after_get_base_report(self, request_id: int, report_base: str, **_: Any) -> None:
        variables = self._owner.device_model.all()
        if report_base == "ConfigurationInventory":
            variables = [variable for variable in variables if variable.mutability != "ReadOnly"]
        elif report_base == "SummaryInventory":
            variables = [variable for variable in variables if variable.name == "Available"]
        self._owner.spawn(self._owner.send_report(request_id, variables))

    @on(Action.get_report)
    def on_get_report(
        self,
        request_id: int,
        component_criteria: list[str] | None = None,
        component_variable: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> Any:
        self._owner.record(
            Action.get_report,
            request_id=request_id,
            component_criteria=component_criteria,
            component_variable=component_variable,
        )
        chosen = self._owner.device_model.matching(component_criteria, component_variable)
        return result.GetReport(status="Accepted" if chosen else "EmptyResultSet")

    @after(Action.get_report)
    def after_get_report(
        self,
        request_id: int,
        component_criteria: list[str] | None = None,
        component_variable: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> None:
        chosen = self._owner.device_model.matching(component_criteria, component_variable)
        if chosen:
            self._owner.spawn(self._owner.send_report(request_id, chosen))

    @on(Action.reset)
    def on_reset(self, type: str, evse_id: int | None = None, **_: Any) -> Any:
        self._owner.record(Action.reset, type=type, evse_id=evse_id)
        busy = bool(self._owner.transactions_on(evse_id))
        return result.Reset(status="Scheduled" if type == "OnIdle" and busy else "Accepted")

    @after(Action.reset)
    def after_reset(self, type: str, evse_id: int | None = None, **_: Any) -> None:
        # After the answer has left: a reset closes the connection.
        if type == "OnIdle" and self._owner.transactions_on(evse_id):
            self._owner.spawn(self._owner.reset_when_idle(evse_id))
        else:
            self._owner.spawn(self._owner.reset(type, evse_id))

    # --- C, D: authorization and local lists -------------------------------------------------------

    @on(Action.clear_cache)
    def on_clear_cache(self, **_: Any) -> Any:
        self._owner.record(Action.clear_cache)
        return result.ClearCache(status="Accepted")

    @on(Action.send_local_list)
    def on_send_local_list(self, version_number: int, update_type: str, **arguments: Any) -> Any:
        self._owner.record(
            Action.send_local_list, version_number=version_number, update_type=update_type, **arguments
        )
        entries = {
            entry["id_token"]["id_token"]: entry for entry in arguments.get("local_authorization_list") or []
        }
        if update_type == "Full":
            self._owner.local_list = entries
        elif version_number <= self._owner.local_list_version:
            return result.SendLocalList(status="VersionMismatch")
        else:
            for token, entry in entries.items():
                if entry.get("id_token_info"):
                    self._owner.local_list[token] = entry
                else:
                    self._owner.local_list.pop(token, None)
        self._owner.local_list_version = version_number
        return result.SendLocalList(status="Accepted")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **_: Any) -> Any:
        self._owner.record(Action.get_local_list_version)
        return result.GetLocalListVersion(version_number=self._owner.local_list_version)

    # --- F: remote control -------------------------------------------------------------------------

    @on(Action.request_start_transaction)
    def on_request_start_transaction(
        self, id_token: dict[str, Any], remote_start_id: int, evse_id: int | None = None, **arguments: Any
    ) -> Any:
        self._owner.record(
            Action.request_start_transaction,
            id_token=id_token,
            remote_start_id=remote_start_id,
            evse_id=evse_id,
            **arguments,
        )
        chosen = self._owner.free_evse(evse_id, id_token["id_token"])
        return result.RequestStartTransaction(status="Accepted" if chosen else "Rejected")

    @after(Action.request_start_transaction)
    def after_request_start_transaction(
        self, id_token: dict[str, Any], remote_start_id: int, evse_id: int | None = None, **_: Any
    ) -> None:
        chosen = self._owner.free_evse(evse_id, id_token["id_token"])
        if chosen:
            self._owner.spawn(self._owner.run_session(chosen, id_token, remote_start_id=remote_start_id))

    @on(Action.request_stop_transaction)
    def on_request_stop_transaction(self, transaction_id: str, **_: Any) -> Any:
        self._owner.record(Action.request_stop_transaction, transaction_id=transaction_id)
        stopped = self._owner.request_stop(transaction_id, "Remote", "RemoteStop")
        return result.RequestStopTransaction(status="Accepted" if stopped else "Rejected")

    @on(Action.unlock_connector)
    def on_unlock_connector(self, evse_id: int, connector_id: int, **_: Any) -> Any:
        self._owner.record(Action.unlock_connector, evse_id=evse_id, connector_id=connector_id)
        if evse_id not in self._owner.connector_ids or connector_id != 1:
            return result.UnlockConnector(status="UnknownConnector")
        if evse_id in self._owner.active:
            return result.UnlockConnector(status="OngoingAuthorizedTransaction")
        return result.UnlockConnector(status="Unlocked")

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any) -> Any:
        self._owner.record(Action.trigger_message, requested_message=requested_message, evse=evse)
        if requested_message not in TRIGGERABLE:
            return result.TriggerMessage(status="NotImplemented")
        if evse is not None and evse["id"] not in self._owner.connector_ids:
            return result.TriggerMessage(status="Rejected")
        return result.TriggerMessage(status="Accepted")

    @after(Action.trigger_message)
    def after_trigger_message(
        self, requested_message: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> None:
        if requested_message in TRIGGERABLE and (evse is None or evse["id"] in self._owner.connector_ids):
            self._owner.spawn(self._owner.send_triggered(requested_message, evse["id"] if evse else None))

    @on(Action.get_transaction_status)
    def on_get_transaction_status(self, transaction_id: str | None = None, **_: Any) -> Any:
        self._owner.record(Action.get_transaction_status, transaction_id=transaction_id)
        queued = bool(self._owner.queued_events)
        if transaction_id is None:
            return result.GetTransactionStatus(messages_in_queue=queued)
        ongoing = any(tx.transaction_id == transaction_id for tx in self._owner.active.values())
        return result.GetTransactionStatus(messages_in_queue=queued, ongoing_indicator=ongoing)

    @on(Action.cost_updated)
    def on_cost_updated(self, total_cost: float, transaction_id: str, **_: Any) -> Any:
        self._owner.record(Action.cost_updated, total_cost=total_cost, transaction_id=transaction_id)
        return result.CostUpdated()

    # --- G: availability ---------------------------------------------------------------------------

    @on(Action.change_availability)
    def on_change_availability(
        self, operational_status: str, evse: dict[str, Any] | None = None, **_: Any
    ) -> Any:
        self._owner.record(Action.change_availability, operational_status=operational_status, evse=evse)
        return result.ChangeAvailability(
            status=self._owner.change_availability(operational_status, evse["id"] if evse else None)
        )

    # --- H: reservations ---------------------------------------------------------------------------

    @on(Action.reserve_now)
    def on_reserve_now(
        self, id: int, expiry_date_time: str, id_token: dict[str, Any], **arguments: Any
    ) -> Any:
        self._owner.record(
            Action.reserve_now, id=id, expiry_date_time=expiry_date_time, id_token=id_token, **arguments
        )
        return result.ReserveNow(
            status=self._owner.reserve(id, arguments.get("evse_id"), id_token["id_token"], expiry_date_time)
        )

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id: int, **_: Any) -> Any:
        self._owner.record(Action.cancel_reservation, reservation_id=reservation_id)
        cancelled = self._owner.cancel_reservation(reservation_id)
        return result.CancelReservation(status="Accepted" if cancelled else "Rejected")

    # --- K: smart charging -------------------------------------------------------------------------

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, evse_id: int, charging_profile: dict[str, Any], **_: Any) -> Any:
        self._owner.record(Action.set_charging_profile, evse_id=evse_id, charging_profile=charging_profile)
        if charging_profile["charging_profile_purpose"] == "TxProfile" and evse_id not in self._owner.active:
            return result.SetChargingProfile(status="Rejected")
        self._owner.profiles[(evse_id, charging_profile["id"])] = charging_profile
        return result.SetChargingProfile(status="Accepted")

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self,
        charging_profile_id: int | None = None,
        charging_profile_criteria: dict[str, Any] | None = None,
        **_: Any,
    ) -> Any:
        self._owner.record(
            Action.clear_charging_profile,
            charging_profile_id=charging_profile_id,
            charging_profile_criteria=charging_profile_criteria,
        )
        criteria = charging_profile_criteria or {}
        matching = [
            key
            for key, profile in self._owner.profiles.items()
            if (charging_profile_id is None or profile["id"] == charging_profile_id)
            and (criteria.get("evse_id") is None or key[0] == criteria["evse_id"])
            and (
                criteria.get("charging_profile_purpose") is None
                or profile["charging_profile_purpose"] == criteria["charging_profile_purpose"]
            )
            and (criteria.get("stack_level") is None or profile["stack_level"] == criteria["stack_level"])
        ]
        for key in matching:
            del self._owner.profiles[key]
        return result.ClearChargingProfile(status="Accepted" if matching else "Unknown")

    @on(Action.get_charging_profiles)
    def on_get_charging_profiles(
        self, request_id: int, charging_profile: dict[str, Any], **arguments: Any
    ) -> Any:
        self._owner.record(
            Action.get_charging_profiles,
            request_id=request_id,
            charging_profile=charging_profile,
            **arguments,
        )
        matching = self._owner.profiles_matching(arguments.get("evse_id"), charging_profile)
        return result.GetChargingProfiles(status="Accepted" if matching else "NoProfiles")

    @after(Action.get_charging_profiles)
    def after_get_charging_profiles(
        self, request_id: int, charging_profile: dict[str, Any], **arguments: Any
    ) -> None:
        matching = self._owner.profiles_matching(arguments.get("evse_id"), charging_profile)
        if matching:
            self._owner.spawn(self._owner.report_profiles(request_id, matching))

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, duration: int, evse_id: int, **arguments: Any) -> Any:
        self._owner.record(Action.get_composite_schedule, duration=duration, evse_id=evse_id, **arguments)
        if evse_id not in (0, *self._owner.connector_ids):
            return result.GetCompositeSchedule(status="Rejected")
        return result.GetCompositeSchedule(
            status="Accepted",
            schedule={
                "evse_id": evse_id,
                "duration": duration,
                "schedule_start": utc_timestamp(),
                "charging_rate_unit": arguments.get("charging_rate_unit") or "A",
                "charging_schedule_period": [
                    {"start_period": 0, "limit": self._owner.composite_limit(evse_id)}
                ],
            },
        )

    # --- L, N: firmware and logs -------------------------------------------------------------------

    @on(Action.update_firmware)
    def on_update_firmware(self, request_id: int, firmware: dict[str, Any], **arguments: Any) -> Any:
        self._owner.record(Action.update_firmware, request_id=request_id, firmware=firmware, **arguments)
        return result.UpdateFirmware(status="Accepted")

    @after(Action.update_firmware)
    def after_update_firmware(self, request_id: int, firmware: dict[str, Any], **_: Any) -> None:
        self._owner.spawn(
            self._owner.device_management.update_firmware(
                firmware["location"], firmware["retrieve_date_time"], request_id
            )
        )

    @on(Action.get_log)
    def on_get_log(self, log: dict[str, Any], log_type: str, request_id: int, **arguments: Any) -> Any:
        self._owner.record(Action.get_log, log=log, log_type=log_type, request_id=request_id, **arguments)
        return result.GetLog(status="Accepted", filename=_log_file_name(self._owner, log_type))

    @after(Action.get_log)
    def after_get_log(self, log: dict[str, Any], log_type: str, request_id: int, **_: Any) -> None:
        self._owner.spawn(
            self._owner.device_management.upload_diagnostics(
                log["remote_location"], _log_file_name(self._owner, log_type), request_id
            )
        )

    # --- P: vendor data ----------------------------------------------------------------------------

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id: str, **arguments: Any) -> Any:
        self._owner.record(Action.data_transfer, vendor_id=vendor_id, **arguments)
        return result.DataTransfer(status="UnknownVendorId")


class SimulatedCharger201(ChargerBase[_Session201]):
    subprotocol = OCPP201

    def __init__(self, settings: ChargerSettings) -> None:
        super().__init__(settings)
        self.device_model = SimulatedDeviceModel.defaults(settings)
        self.meters = {evse: ConnectorMeter(max_power_w=settings.max_power_w) for evse in self.connector_ids}
        self.connector_status: dict[int, str] = dict.fromkeys(self.connector_ids, "Available")
        self.inoperative: set[int] = set()
        self.active: dict[int, Transaction201] = {}
        self.transaction_ids: list[str] = []
        self.completed_transactions: list[CompletedTransaction201] = []
        self.local_list: dict[str, dict[str, Any]] = {}
        self.local_list_version = 0
        self.reservations: dict[int, tuple[int | None, str]] = {}
        self.profiles: dict[tuple[int, int], dict[str, Any]] = {}
        self.queued_events: list[Any] = []
        """TransactionEvent requests waiting for the connection (sent offline=true)."""
        self.delivered_offline: list[Any] = []
        self.boot_reason = "PowerUp"
        self._transaction_numbers = itertools.count(1)
        self._idle_resets: list[int | None] = []

    # --- the protocol's part of the connection -----------------------------------------------------

    def _new_session(self, socket: ClientConnection) -> _Session201:
        return _Session201(self, socket)

    def set_heartbeat_interval(self, seconds: float) -> None:
        self._heartbeat_interval = seconds

    async def _heartbeat(self) -> None:
        await self.call(call.Heartbeat(), retry_until_delivered=False)

    async def _boot(self, session: _Session201) -> bool:
        boot = call.BootNotification(
            charging_station={
                "model": self.settings.model,
                "vendor_name": self.settings.vendor,
                "serial_number": f"SN-{self.settings.station_id}",
                "firmware_version": self.firmware_version,
            },
            reason=self.boot_reason,
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
            if response.status == "Accepted":
                self._heartbeat_interval = interval
                self.boot_reason = "PowerUp"
                return True
            # Pending or Rejected: ask again after the interval the CSMS gave (B02.FR.04, B03.FR.03).
            if await self.closed_within(self.settings.heartbeat_seconds or interval):
                return False  # the CSMS closed the socket while it waited (an approval, say): reconnect
        return False

    async def _back_online(self) -> None:
        """Delivers what was queued while offline, before anything else (E04.FR.01). Events stay queued
        until delivered, so what the charger records meanwhile waits behind them."""
        shuffle = self.settings.replay_out_of_order
        while self.queued_events:
            batch = list(self.queued_events)
            order = batch
            if shuffle and len(batch) > 1:
                order = [*batch, batch[len(batch) // 2]]  # one delivered twice
                random.shuffle(order)
                shuffle = False
            for request in order:
                request.offline = True
                await self.call(request)
                self.delivered_offline.append(request)
            self.queued_events = [request for request in self.queued_events if request not in batch]

    async def _after_boot(self) -> None:
        for evse in self.connector_ids:
            await self.send_status(evse)
        if not self._planned_started:
            self._planned_started = True
            await self._run_planned_sessions()

    # --- statuses, availability, reservations ------------------------------------------------------

    async def send_status(self, evse_id: int) -> None:
        await self.call(
            call.StatusNotification(
                timestamp=utc_timestamp(),
                connector_status=self.connector_status[evse_id],
                evse_id=evse_id,
                connector_id=1,
            ),
            retry_until_delivered=False,
        )

    async def _set_status(self, evse_id: int, status: str) -> None:
        self.connector_status[evse_id] = status
        await self.send_status(evse_id)

    def transactions_on(self, evse_id: int | None) -> list[Transaction201]:
        return [tx for evse, tx in self.active.items() if evse_id in (None, 0, evse)]

    def free_evse(self, wanted: int | None, token: str | None = None) -> int | None:
        candidates = [wanted] if wanted else list(self.connector_ids)
        for evse in candidates:
            if evse not in self.connector_status or evse in self.active or evse in self.inoperative:
                continue
            status = self.connector_status[evse]
            if status == "Available" or (
                status == "Reserved" and self.reservation_for(evse, token) is not None
            ):
                return evse
        return None

    def reservation_for(self, evse_id: int, token: str | None) -> int | None:
        for reservation_id, (reserved, holder) in self.reservations.items():
            if reserved in (None, evse_id) and token is not None and holder.upper() == token.upper():
                return reservation_id
        return None

    def change_availability(self, operational_status: str, evse_id: int | None) -> str:
        targets = list(self.connector_ids) if not evse_id else [evse_id]
        if any(target not in self.connector_status for target in targets):
            return "Rejected"
        scheduled = False
        for target in targets:
            if operational_status == "Inoperative":
                self.inoperative.add(target)
            else:
                self.inoperative.discard(target)
            if target in self.active:
                scheduled = True
                continue
            wanted = "Unavailable" if operational_status == "Inoperative" else "Available"
            if self.connector_status[target] != wanted:
                self.spawn(self._set_status(target, wanted))
        return "Scheduled" if scheduled else "Accepted"

    def reserve(self, reservation_id: int, evse_id: int | None, token: str, expiry: str) -> str:
        if self.device_model.value("ReservationCtrlr", "Enabled") != "true":
            return "Rejected"
        if evse_id is not None:
            if evse_id not in self.connector_status:
                return "Rejected"
            status = self.connector_status[evse_id]
            if evse_id in self.active or status == "Occupied":
                return "Occupied"
            if status == "Faulted":
                return "Faulted"
            if status == "Unavailable" or evse_id in self.inoperative:
                return "Unavailable"
        elif self.free_evse(None) is None:
            return "Occupied"
        self.reservations[reservation_id] = (evse_id, token)
        if evse_id is not None:
            self.spawn(self._set_status(evse_id, "Reserved"))
        self.spawn(self._expire_reservation(reservation_id, expiry))
        return "Accepted"

    async def _expire_reservation(self, reservation_id: int, expiry: str) -> None:
        moment = datetime.fromisoformat(expiry.replace("Z", "+00:00"))
        await asyncio.sleep(max((moment - datetime.now(UTC)).total_seconds(), 0))
        held = self.reservations.pop(reservation_id, None)
        if held is None:
            return
        if held[0] is not None and self.connector_status.get(held[0]) == "Reserved":
            await self._set_status(held[0], "Available")
        await self.call(
            call.ReservationStatusUpdate(reservation_id=reservation_id, reservation_update_status="Expired"),
            retry_until_delivered=False,
        )

    def cancel_reservation(self, reservation_id: int) -> bool:
        held = self.reservations.pop(reservation_id, None)
        if held is None:
            return False
        if held[0] is not None and self.connector_status.get(held[0]) == "Reserved":
            self.spawn(self._set_status(held[0], "Available"))
        return True

    # --- reports, profiles, firmware, logs ---------------------------------------------------------

    async def send_report(self, request_id: int, variables: list[Any]) -> None:
        size = max(self.settings.report_items_per_message, 1)
        parts = [variables[start : start + size] for start in range(0, len(variables), size)] or [[]]
        for seq_no, part in enumerate(parts):
            await self.call(
                call.NotifyReport(
                    request_id=request_id,
                    generated_at=utc_timestamp(),
                    seq_no=seq_no,
                    report_data=[variable.report_entry() for variable in part] or None,
                    tbc=seq_no < len(parts) - 1,
                )
            )

    def profiles_matching(
        self, evse_id: int | None, criterion: dict[str, Any]
    ) -> list[tuple[int, dict[str, Any]]]:
        return [
            (evse, profile)
            for (evse, _), profile in self.profiles.items()
            if (evse_id is None or evse == evse_id)
            and (criterion.get("charging_profile_purpose") in (None, profile["charging_profile_purpose"]))
            and (criterion.get("stack_level") in (None, profile["stack_level"]))
            and (
                not criterion.get("charging_profile_id") or profile["id"] in criterion["charging_profile_id"]
            )
        ]

    async def report_profiles(self, request_id: int, matching: list[tuple[int, dict[str, Any]]]) -> None:
        by_evse: dict[int, list[dict[str, Any]]] = {}
        for evse, profile in matching:
            by_evse.setdefault(evse, []).append(profile)
        for index, (evse, profiles) in enumerate(sorted(by_evse.items())):
            await self.call(
                call.ReportChargingProfiles(
                    request_id=request_id,
                    charging_limit_source="CSO",
                    charging_profile=profiles,
                    evse_id=evse,
                    tbc=index < len(by_evse) - 1,
                )
            )

    def composite_limit(self, evse_id: int) -> float:
        limits = [
            float(profile["charging_schedule"][0]["charging_schedule_period"][0]["limit"])
            for (evse, _), profile in self.profiles.items()
            if evse in (0, evse_id)
        ]
        return min(limits, default=round(self.settings.max_power_w / 3 / 230, 1))

    async def send_firmware_status(self, status: str, request_id: int | None) -> None:
        await self.call(call.FirmwareStatusNotification(status=status, request_id=request_id))

    async def send_log_status(self, status: str, request_id: int | None) -> None:
        # 2.0.1 names the failure UploadFailure (1.6: UploadFailed).
        status = "UploadFailure" if status == "UploadFailed" else status
        await self.call(call.LogStatusNotification(status=status, request_id=request_id))

    async def reboot_after_firmware_update(self) -> None:
        for tx in self.transactions_on(None):
            self.request_stop(tx.transaction_id, "Reboot", "ResetCommand")
        await self.wait_until(lambda charger: not charger.transactions_on(None), within=60)
        self.boot_reason = "FirmwareUpdate"
        await self.reconnect()

    async def send_triggered(self, message: str, evse_id: int | None) -> None:
        evses = [evse_id] if evse_id else list(self.connector_ids)
        if message == "BootNotification":
            session = self._session
            if session is not None:
                self.boot_reason = "Triggered"
                await self._boot(session)
        elif message == "Heartbeat":
            await self.call(call.Heartbeat(), retry_until_delivered=False)
        elif message == "StatusNotification":
            for evse in evses:
                await self.send_status(evse)
        elif message == "MeterValues":
            for evse in evses:
                tx = self.active.get(evse)
                sample = self.meters[evse].sample("Trigger", tx.battery if tx else None)
                await self.call(
                    call.MeterValues(evse_id=evse, meter_value=[_sample_201(sample)]),
                    retry_until_delivered=False,
                )
        elif message == "TransactionEvent":
            for evse in evses:
                tx = self.active.get(evse)
                if tx is not None:
                    await self._transaction_event(tx, "Updated", "Trigger", "Trigger")
        elif message == "FirmwareStatusNotification":
            await self.call(call.FirmwareStatusNotification(status="Idle"))
        elif message == "LogStatusNotification":
            await self.call(call.LogStatusNotification(status="Idle"))

    # --- resets ------------------------------------------------------------------------------------

    async def reset(self, reset_type: str, evse_id: int | None) -> None:
        for tx in self.transactions_on(evse_id):
            self.request_stop(tx.transaction_id, "ImmediateReset", "ResetCommand")
        await self.wait_until(lambda charger: not charger.transactions_on(evse_id), within=60)
        if evse_id:
            return  # an EVSE resets on its own; the station stays connected
        self.boot_reason = "RemoteReset"
        await self.reconnect()

    async def reset_when_idle(self, evse_id: int | None) -> None:
        await self.wait_until(lambda charger: not charger.transactions_on(evse_id), within=3600)
        await self.reset("OnIdle", evse_id)

    # --- transactions ------------------------------------------------------------------------------

    def request_stop(self, transaction_id: str, reason: str, trigger: str) -> bool:
        for tx in self.active.values():
            if tx.transaction_id == transaction_id:
                tx.stopped_reason, tx.stop_trigger = reason, trigger
                tx.stop_requested.set()
                return True
        return False

    async def _transaction_event(
        self,
        tx: Transaction201,
        event_type: str,
        trigger: str,
        context: str | None,
        *,
        charging_state: str | None = None,
        with_token: bool = False,
    ) -> Any:
        info: dict[str, Any] = {"transaction_id": tx.transaction_id}
        if charging_state is not None:
            info["charging_state"] = charging_state
        if event_type == "Ended":
            info["stopped_reason"] = tx.stopped_reason
        if tx.remote_start_id is not None and event_type == "Started":
            info["remote_start_id"] = tx.remote_start_id
        meter = self.meters[tx.evse_id]
        request = call.TransactionEvent(
            event_type=event_type,
            timestamp=utc_timestamp(),
            trigger_reason=trigger,
            seq_no=tx.next_seq(),
            transaction_info=info,
            meter_value=[_sample_201(meter.sample(context, tx.battery))] if context else None,
            evse={"id": tx.evse_id, "connector_id": 1} if event_type == "Started" else None,
            id_token=tx.id_token if with_token else None,
            reservation_id=tx.reservation_id if event_type == "Started" else None,
        )
        return await self.deliver(request)

    async def deliver(self, request: Any) -> Any:
        """A transaction event reaches the CSMS now, or is queued until the station is back online."""
        if not self.online or self.queued_events:
            self.queued_events.append(request)
            return None
        session = self._session
        if session is None:
            self.queued_events.append(request)
            return None
        try:
            return await self._call_on(session, request)
        except (ConnectionLostError, ConnectionClosed, TimeoutError):
            self.queued_events.append(request)
            return None

    async def _run_planned_sessions(self) -> None:
        evses = itertools.cycle(self.connector_ids)
        for number in range(self.settings.sessions):
            if number:
                await asyncio.sleep(self.settings.real_seconds(self.settings.pause_between_sessions_seconds))
            evse = next(evses)
            while self.free_evse(evse) is None:  # noqa: ASYNC110 - freed by other tasks
                await asyncio.sleep(0.1)
            await self.run_session(evse, {"id_token": self.settings.id_tag, "type": "ISO14443"})
        self.planned_sessions_done.set()

    async def run_session(
        self, evse_id: int, id_token: dict[str, Any], *, remote_start_id: int | None = None
    ) -> CompletedTransaction201 | None:
        reservation_id = self.reservation_for(evse_id, id_token["id_token"])
        await self._set_status(evse_id, "Occupied")
        authorize_first = (
            remote_start_id is None or self.device_model.value("AuthCtrlr", "AuthorizeRemoteStart") == "true"
        )
        if authorize_first:
            authorized = await self.call(call.Authorize(id_token=id_token))
            status = str(authorized.id_token_info["status"])
            self.authorize_results.append(status)
            if status != "Accepted":
                await self._set_status(evse_id, "Available")
                return None
        meter = self.meters[evse_id]
        tx = Transaction201(
            evse_id=evse_id,
            id_token=id_token,
            transaction_id=f"{self.settings.station_id}-{next(self._transaction_numbers)}",
            meter_start=meter.register,
            battery=EvBattery(soc_percent=25.0),
            remote_start_id=remote_start_id,
            reservation_id=reservation_id,
        )
        if reservation_id is not None:
            self.reservations.pop(reservation_id, None)
        self.active[evse_id] = tx
        try:
            return await self._charge(tx)
        finally:
            del self.active[evse_id]
            await self._set_status(evse_id, "Unavailable" if evse_id in self.inoperative else "Available")

    async def _charge(self, tx: Transaction201) -> CompletedTransaction201:
        settings = self.settings
        meter = self.meters[tx.evse_id]
        self.transaction_ids.append(tx.transaction_id)
        started = await self._transaction_event(
            tx,
            "Started",
            "RemoteStart" if tx.remote_start_id is not None else "Authorized",
            "Transaction.Begin",
            charging_state="Charging",
            with_token=True,
        )
        token_status = (started.id_token_info or {}).get("status") if started is not None else "Accepted"
        if token_status not in (None, "Accepted"):
            tx.stopped_reason, tx.stop_trigger = "DeAuthorized", "Deauthorized"
            tx.stop_requested.set()
        elapsed = 0.0
        while elapsed < settings.session_seconds and not tx.stop_requested.is_set():
            interval = float(self.device_model.value("SampledDataCtrlr", "TxUpdatedInterval")) or (
                settings.meter_interval_seconds
            )
            step = min(interval, settings.session_seconds - elapsed)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(tx.stop_requested.wait(), settings.real_seconds(step))
            meter.advance(tx.battery, step)
            elapsed += step
            if tx.stop_requested.is_set():
                break
            await self._transaction_event(tx, "Updated", "MeterValuePeriodic", "Sample.Periodic")
        meter.advance(None, 0)
        if tx.stop_trigger == "StopAuthorized" and not tx.stop_requested.is_set():
            tx.stop_trigger, tx.stopped_reason = "EVDeparted", "EVDisconnected"
        ended = await self._transaction_event(
            tx, "Ended", tx.stop_trigger, "Transaction.End", charging_state="Idle"
        )
        completed = CompletedTransaction201(
            tx.transaction_id,
            tx.evse_id,
            tx.meter_start,
            meter.register,
            tx.stopped_reason,
            ended.total_cost if ended is not None else None,
        )
        self.completed_transactions.append(completed)
        return completed
