"""OCPP 2.0.1 messages from a station, mapped onto the version-neutral services.

As for 1.6 (``shared/ocpp/v16/station.py``): each handler turns the 2.0.1 payload into neutral terms, calls
one service of ``shared.charging`` and maps the answer back; ``shared.ocpp.dispatch`` validates payload and
reply against the 2.0.1 schemas. Keyword arguments arrive snake_case, nested objects too.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ocpp.charge_point import snake_to_camel_case
from ocpp.exceptions import TypeConstraintViolationError
from ocpp.routing import create_route_map, on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action
from pydantic import ValidationError

from shared.charging.authorization import ConcurrentScope
from shared.charging.services import ChargingServices
from shared.domain.base import parse_timestamp, to_iso
from shared.domain.charging_profiles import InstalledProfile
from shared.domain.device_model import (
    ComponentRef,
    DeviceVariable,
    Mutability,
    VariableAttribute,
    VariableCharacteristics,
    VariableRef,
)
from shared.domain.id_tokens import IdTokenRef
from shared.domain.sessions import ChargingNeeds, MeterValue, SampledValue
from shared.domain.stations import ChargerInfo, ConnectorState
from shared.domain.transactions import TransactionEvent, TransactionEventKind
from shared.ocpp.dispatch import MessageContext
from shared.ocpp.v201.mappers import id_token_info, profile_from_v201


def _timestamp(value: str, field: str) -> datetime:
    try:
        return parse_timestamp(value)
    except (ValueError, OverflowError) as error:
        raise TypeConstraintViolationError(
            details={"cause": f"{field} is not an RFC 3339 date-time in years 1 to 9999 (UTC)"}
        ) from error


def _number_text(value: Any) -> str:
    """A 2.0.1 sampled value is a JSON number: kept as its JSON text (1.6 sends text already)."""
    return value if isinstance(value, str) else json.dumps(value)


def _sampled_value(raw: dict[str, Any]) -> SampledValue:
    unit = raw.get("unit_of_measure") or {}
    signed = raw.get("signed_meter_value")
    return SampledValue(
        value=_number_text(raw["value"]),
        context=raw.get("context"),
        measurand=raw.get("measurand"),
        phase=raw.get("phase"),
        location=raw.get("location"),
        unit=unit.get("unit"),
        multiplier=unit.get("multiplier"),
        signed_meter_value=snake_to_camel_case(signed) if signed else None,
    )


def _meter_values(raw: list[dict[str, Any]] | None) -> list[MeterValue]:
    try:
        return [
            MeterValue(
                timestamp=_timestamp(entry["timestamp"], "meterValue.timestamp"),
                sampled_value=[_sampled_value(sample) for sample in entry["sampled_value"]],
            )
            for entry in raw or []
        ]
    except (ValidationError, OverflowError) as error:
        message = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        raise TypeConstraintViolationError(details={"cause": f"meterValue: {message}"}) from error


def _id_token(raw: dict[str, Any] | None) -> IdTokenRef | None:
    return IdTokenRef(value=raw["id_token"], type=raw["type"]) if raw is not None else None


def _component(raw: dict[str, Any]) -> ComponentRef:
    evse = raw.get("evse") or {}
    return ComponentRef(
        name=raw["name"],
        instance=raw.get("instance"),
        evse_id=evse.get("id"),
        connector_id=evse.get("connector_id"),
    )


def _report_variable(entry: dict[str, Any], request_id: int, now: datetime) -> DeviceVariable:
    characteristics = entry.get("variable_characteristics")
    return DeviceVariable(
        component=_component(entry["component"]),
        variable=VariableRef(name=entry["variable"]["name"], instance=entry["variable"].get("instance")),
        attributes=[
            VariableAttribute(
                type=attribute.get("type", "Actual"),
                value=attribute.get("value"),
                mutability=Mutability(attribute["mutability"]) if attribute.get("mutability") else None,
                persistent=attribute.get("persistent"),
                constant=attribute.get("constant"),
            )
            for attribute in entry["variable_attribute"]
        ],
        characteristics=VariableCharacteristics(
            unit=characteristics.get("unit"),
            data_type=characteristics["data_type"],
            min_limit=characteristics.get("min_limit"),
            max_limit=characteristics.get("max_limit"),
            values_list=characteristics.get("values_list"),
            supports_monitoring=characteristics.get("supports_monitoring"),
        )
        if characteristics
        else None,
        source="NotifyReport",
        request_id=request_id,
        reported_at=now,
    )


def _charging_needs(raw: dict[str, Any], max_schedule_tuples: int | None, now: datetime) -> ChargingNeeds:
    ac = raw.get("ac_charging_parameters") or {}
    dc = raw.get("dc_charging_parameters") or {}
    departure = raw.get("departure_time")
    return ChargingNeeds(
        requested_energy_transfer=raw["requested_energy_transfer"],
        energy_wh=ac.get("energy_amount", dc.get("energy_amount")),
        departure_at=_timestamp(departure, "chargingNeeds.departureTime") if departure else None,
        min_current_a=ac.get("ev_min_current"),
        max_current_a=ac.get("ev_max_current", dc.get("ev_max_current")),
        max_voltage_v=ac.get("ev_max_voltage", dc.get("ev_max_voltage")),
        max_power_w=dc.get("ev_max_power"),
        state_of_charge=dc.get("state_of_charge"),
        ev_energy_capacity_wh=dc.get("ev_energy_capacity"),
        full_soc=dc.get("full_soc"),
        bulk_soc=dc.get("bulk_soc"),
        max_schedule_tuples=max_schedule_tuples,
        reported_at=now,
    )


class V201StationHandler:
    def __init__(self, services: ChargingServices) -> None:
        self._services = services
        self.route_map = create_route_map(self)

    def _keep(self, message: MessageContext, action: str, **flat: Any) -> None:
        """Kept for the operator as sent (camelCase), with a few fields at the top for filtering."""
        self._services.station_messages.keep(
            message.station, action, message.message_id, {**flat, "payload": dict(message.payload)}
        )

    # --- B: provisioning ---------------------------------------------------------------------------

    @on(Action.boot_notification)
    def on_boot_notification(
        self, message: MessageContext, charging_station: dict[str, Any], reason: str, **_: Any
    ) -> call_result.BootNotification:
        modem = charging_station.get("modem") or {}
        charger = ChargerInfo(
            vendor=charging_station["vendor_name"],
            model=charging_station["model"],
            serial_number=charging_station.get("serial_number"),
            firmware_version=charging_station.get("firmware_version"),
            iccid=modem.get("iccid"),
            imsi=modem.get("imsi"),
            boot_reason=reason,
        )
        decision = self._services.provisioning.boot(message.station, charger)
        return call_result.BootNotification(
            current_time=to_iso(decision.current_time),
            interval=decision.interval_seconds,
            status=decision.status.value,
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, message: MessageContext, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(
            current_time=to_iso(self._services.provisioning.heartbeat(message.station))
        )

    @on(Action.status_notification)
    def on_status_notification(
        self,
        message: MessageContext,
        timestamp: str,
        connector_status: str,
        evse_id: int,
        connector_id: int,
        **_: Any,
    ) -> call_result.StatusNotification:
        self._services.availability.record_status(
            message.station,
            ConnectorState(
                evse_id=evse_id,
                connector_id=connector_id,
                status=connector_status,
                reported_at=_timestamp(timestamp, "timestamp"),
            ),
        )
        return call_result.StatusNotification()

    @on(Action.notify_report)
    def on_notify_report(
        self,
        message: MessageContext,
        request_id: int,
        generated_at: str,
        seq_no: int,
        report_data: list[dict[str, Any]] | None = None,
        tbc: bool = False,
        **_: Any,
    ) -> call_result.NotifyReport:
        now = _timestamp(generated_at, "generatedAt")
        variables = [_report_variable(entry, request_id, now) for entry in report_data or []]
        self._services.device_model.record_report(message.station, request_id, seq_no, tbc, variables)
        return call_result.NotifyReport()

    @on(Action.notify_monitoring_report)
    def on_notify_monitoring_report(
        self, message: MessageContext, request_id: int, seq_no: int, **_: Any
    ) -> call_result.NotifyMonitoringReport:
        self._keep(message, "NotifyMonitoringReport", requestId=request_id, seqNo=seq_no)
        return call_result.NotifyMonitoringReport()

    # --- C: authorization --------------------------------------------------------------------------

    @on(Action.authorize)
    def on_authorize(
        self, message: MessageContext, id_token: dict[str, Any], **_: Any
    ) -> call_result.Authorize:
        token = _id_token(id_token)
        assert token is not None
        charge = self._services.authorization.authorize_to_charge(
            message.station, token, None, ConcurrentScope.OTHER_STATIONS
        )
        return call_result.Authorize(id_token_info=id_token_info(charge.info))

    # --- E, J: transactions and meter values -------------------------------------------------------

    @on(Action.transaction_event)
    def on_transaction_event(
        self,
        message: MessageContext,
        event_type: str,
        timestamp: str,
        trigger_reason: str,
        seq_no: int,
        transaction_info: dict[str, Any],
        meter_value: list[dict[str, Any]] | None = None,
        offline: bool = False,
        reservation_id: int | None = None,
        evse: dict[str, Any] | None = None,
        id_token: dict[str, Any] | None = None,
        **_: Any,
    ) -> call_result.TransactionEvent:
        evse_id = evse["id"] if evse else None
        connector_id = evse.get("connector_id") if evse else None
        if evse_id is not None:
            self._services.availability.check_evse(evse_id, connector_id)
        transaction_id = transaction_info["transaction_id"]
        event = TransactionEvent(
            kind=TransactionEventKind(event_type),
            action="TransactionEvent",
            message_id=message.message_id,
            timestamp=_timestamp(timestamp, "timestamp"),
            transaction_id=transaction_id,
            evse_id=evse_id,
            connector_id=connector_id,
            seq_no=seq_no,
            trigger_reason=trigger_reason,
            charging_state=transaction_info.get("charging_state"),
            id_token=_id_token(id_token),
            meter_values=_meter_values(meter_value),
            stopped_reason=transaction_info.get("stopped_reason"),
            offline=bool(offline),
            reservation_id=reservation_id,
            remote_start_id=transaction_info.get("remote_start_id"),
            names_evse=evse is not None,
            # A resent event (offline queue, retry) is the same record whatever its message id.
            record_key=f"{transaction_id}#{seq_no}",
        )
        outcome = self._services.transactions.record_transaction_event(message.station, event)
        info = id_token_info(outcome.token) if outcome.token is not None else None
        # totalCost is a JSON number: a money Decimal of at most a few decimals is exact as a float's repr.
        total_cost = float(outcome.total_cost) if outcome.total_cost is not None else None
        return call_result.TransactionEvent(id_token_info=info, total_cost=total_cost)

    @on(Action.meter_values)
    def on_meter_values(
        self, message: MessageContext, evse_id: int, meter_value: list[dict[str, Any]], **_: Any
    ) -> call_result.MeterValues:
        self._services.availability.check_evse(evse_id)
        values = _meter_values(meter_value)
        event = TransactionEvent(
            kind=TransactionEventKind.UPDATED,
            action="MeterValues",
            message_id=message.message_id,
            timestamp=max((value.timestamp for value in values), default=self._services.clock()),
            evse_id=evse_id,
            meter_values=values,
        )
        # 2.0.1 MeterValues are never part of a transaction (those travel in TransactionEvent).
        self._services.transactions.record_meter_values(message.station, event, None)
        return call_result.MeterValues()

    # --- H: reservations ---------------------------------------------------------------------------

    @on(Action.reservation_status_update)
    def on_reservation_status_update(
        self, message: MessageContext, reservation_id: int, reservation_update_status: str, **_: Any
    ) -> call_result.ReservationStatusUpdate:
        self._services.reservations.station_update(message.station, reservation_id, reservation_update_status)
        return call_result.ReservationStatusUpdate()

    # --- K: smart charging -------------------------------------------------------------------------

    @on(Action.notify_ev_charging_needs)
    def on_notify_ev_charging_needs(
        self,
        message: MessageContext,
        charging_needs: dict[str, Any],
        evse_id: int,
        max_schedule_tuples: int | None = None,
        **_: Any,
    ) -> call_result.NotifyEVChargingNeeds:
        self._services.availability.check_evse(evse_id)
        needs = _charging_needs(charging_needs, max_schedule_tuples, self._services.clock())
        stored = self._services.smart_charging.record_charging_needs(message.station, evse_id, needs)
        # Processing: the needs are in; the allocator sends the schedule (SetChargingProfile) when it plans.
        return call_result.NotifyEVChargingNeeds(status="Processing" if stored else "Rejected")

    @on(Action.report_charging_profiles)
    def on_report_charging_profiles(
        self,
        message: MessageContext,
        request_id: int,
        charging_limit_source: str,
        evse_id: int,
        charging_profile: list[dict[str, Any]],
        tbc: bool = False,
        **_: Any,
    ) -> call_result.ReportChargingProfiles:
        self._services.availability.check_evse(evse_id)
        raw_profiles = message.payload.get("chargingProfile") or []
        now = self._services.clock()
        self._services.smart_charging.record_reported_profiles(
            message.station,
            [
                InstalledProfile(
                    evse_id=evse_id,
                    profile=profile_from_v201(raw),
                    source="ReportChargingProfiles",
                    charging_limit_source=charging_limit_source,
                    recorded_at=now,
                )
                for raw in raw_profiles
            ],
        )
        return call_result.ReportChargingProfiles()

    @on(Action.notify_charging_limit)
    def on_notify_charging_limit(
        self, message: MessageContext, charging_limit: dict[str, Any], evse_id: int | None = None, **_: Any
    ) -> call_result.NotifyChargingLimit:
        self._services.smart_charging.keep(
            message.station,
            "NotifyChargingLimit",
            message.message_id,
            {"evseId": evse_id, "payload": dict(message.payload)},
        )
        return call_result.NotifyChargingLimit()

    @on(Action.cleared_charging_limit)
    def on_cleared_charging_limit(
        self, message: MessageContext, charging_limit_source: str, evse_id: int | None = None, **_: Any
    ) -> call_result.ClearedChargingLimit:
        self._keep(message, "ClearedChargingLimit", evseId=evse_id, status=charging_limit_source)
        return call_result.ClearedChargingLimit()

    @on(Action.notify_ev_charging_schedule)
    def on_notify_ev_charging_schedule(
        self, message: MessageContext, evse_id: int, **_: Any
    ) -> call_result.NotifyEVChargingSchedule:
        self._keep(message, "NotifyEVChargingSchedule", evseId=evse_id)
        return call_result.NotifyEVChargingSchedule(status="Accepted")

    # --- L, N: firmware, logs, events --------------------------------------------------------------

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(
        self, message: MessageContext, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.FirmwareStatusNotification:
        self._services.firmware.firmware_status(
            message.station,
            message.message_id,
            status,
            request_id,
            {"status": status, "requestId": request_id},
        )
        return call_result.FirmwareStatusNotification()

    @on(Action.log_status_notification)
    def on_log_status_notification(
        self, message: MessageContext, status: str, request_id: int | None = None, **_: Any
    ) -> call_result.LogStatusNotification:
        self._services.firmware.log_status(
            message.station,
            "LogStatusNotification",
            message.message_id,
            status,
            request_id,
            {"status": status, "requestId": request_id},
        )
        return call_result.LogStatusNotification()

    @on(Action.publish_firmware_status_notification)
    def on_publish_firmware_status_notification(
        self, message: MessageContext, status: str, **_: Any
    ) -> call_result.PublishFirmwareStatusNotification:
        self._keep(message, "PublishFirmwareStatusNotification", status=status)
        return call_result.PublishFirmwareStatusNotification()

    @on(Action.notify_event)
    def on_notify_event(
        self, message: MessageContext, generated_at: str, seq_no: int, **_: Any
    ) -> call_result.NotifyEvent:
        self._keep(message, "NotifyEvent", seqNo=seq_no)
        return call_result.NotifyEvent()

    @on(Action.security_event_notification)
    def on_security_event_notification(
        self, message: MessageContext, type: str, timestamp: str, tech_info: str | None = None, **_: Any
    ) -> call_result.SecurityEventNotification:
        self._services.signals.security_event(
            message.station, message.message_id, type, _timestamp(timestamp, "timestamp"), tech_info
        )
        return call_result.SecurityEventNotification()

    @on(Action.notify_customer_information)
    def on_notify_customer_information(
        self, message: MessageContext, request_id: int, seq_no: int, **_: Any
    ) -> call_result.NotifyCustomerInformation:
        self._keep(message, "NotifyCustomerInformation", requestId=request_id, seqNo=seq_no)
        return call_result.NotifyCustomerInformation()

    @on(Action.notify_display_messages)
    def on_notify_display_messages(
        self, message: MessageContext, request_id: int, **_: Any
    ) -> call_result.NotifyDisplayMessages:
        self._keep(message, "NotifyDisplayMessages", requestId=request_id)
        return call_result.NotifyDisplayMessages()

    # --- P: vendor data ----------------------------------------------------------------------------

    @on(Action.data_transfer)
    def on_data_transfer(
        self, message: MessageContext, vendor_id: str, message_id: str | None = None, **_: Any
    ) -> call_result.DataTransfer:
        # ``data`` is any JSON in 2.0.1: taken as sent, not with its keys snake_cased.
        status = self._services.data_transfers.receive(
            message.station, message.message_id, vendor_id, message_id, message.payload.get("data")
        )
        return call_result.DataTransfer(status=status.value)
