"""OCPP 1.6J messages from a station, mapped onto the version-neutral services.

Nothing here persists, allocates ids or keeps messages itself: each handler turns the 1.6 payload into
neutral terms (``shared.domain``), calls one service of ``shared.charging``, and maps the answer back.
Handlers are registered with the ocpp package's ``@on``; ``shared.ocpp.dispatch`` validates the payload
against the 1.6 schema before calling them and the reply after.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ocpp.exceptions import TypeConstraintViolationError
from ocpp.routing import create_route_map, on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action, DataTransferStatus, RegistrationStatus
from pydantic import ValidationError

from shared.charging.authorization import ConcurrentScope
from shared.charging.services import ChargingServices
from shared.domain.base import parse_timestamp, to_iso
from shared.domain.id_tokens import AuthorizationStatus, IdTokenInfo, IdTokenRef
from shared.domain.sessions import MeterValue
from shared.domain.stations import ChargerInfo, ConnectorState
from shared.domain.transactions import TransactionEvent, TransactionEventKind
from shared.ocpp.dispatch import MessageContext
from shared.ocpp.v16.mappers import status_for_v16


def _timestamp(value: str, field: str) -> datetime:
    try:
        return parse_timestamp(value)
    except (ValueError, OverflowError) as error:
        raise TypeConstraintViolationError(
            details={"cause": f"{field} is not an RFC 3339 date-time in years 1 to 9999 (UTC)"}
        ) from error


def _meter_values(raw: list[dict[str, Any]] | None) -> list[MeterValue]:
    try:
        return [MeterValue.model_validate(entry) for entry in raw or []]
    except (ValidationError, OverflowError) as error:
        message = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        raise TypeConstraintViolationError(details={"cause": f"meterValue: {message}"}) from error


def _id_tag(value: str | None) -> IdTokenRef | None:
    return IdTokenRef(value=value) if value is not None else None


def _id_tag_info(info: IdTokenInfo) -> dict[str, Any]:
    return {
        "status": status_for_v16(info.status),
        "expiry_date": to_iso(info.expires_at) if info.expires_at else None,
        "parent_id_tag": info.parent_id_token,
    }


class V16StationHandler:
    def __init__(self, services: ChargingServices) -> None:
        self._services = services
        self.route_map = create_route_map(self)

    # --- Core profile: provisioning ---------------------------------------------------------------

    @on(Action.boot_notification)
    def on_boot_notification(
        self,
        message: MessageContext,
        charge_point_vendor: str,
        charge_point_model: str,
        charge_point_serial_number: str | None = None,
        charge_box_serial_number: str | None = None,
        firmware_version: str | None = None,
        iccid: str | None = None,
        imsi: str | None = None,
        meter_type: str | None = None,
        meter_serial_number: str | None = None,
        **_: Any,
    ) -> call_result.BootNotification:
        charger = ChargerInfo(
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=charge_point_serial_number or charge_box_serial_number,
            firmware_version=firmware_version,
            iccid=iccid,
            imsi=imsi,
            meter_type=meter_type,
            meter_serial_number=meter_serial_number,
        )
        decision = self._services.provisioning.boot(message.station, charger)
        return call_result.BootNotification(
            current_time=to_iso(decision.current_time),
            interval=decision.interval_seconds,
            status=RegistrationStatus(decision.status.value),
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, message: MessageContext, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(
            current_time=to_iso(self._services.provisioning.heartbeat(message.station))
        )

    # --- Core profile: availability ---------------------------------------------------------------

    @on(Action.status_notification)
    def on_status_notification(
        self,
        message: MessageContext,
        connector_id: int,
        error_code: str,
        status: str,
        timestamp: str | None = None,
        info: str | None = None,
        vendor_id: str | None = None,
        vendor_error_code: str | None = None,
        **_: Any,
    ) -> call_result.StatusNotification:
        state = ConnectorState(
            # 1.6 connector N is EVSE N with one connector; connector 0 is the station itself.
            evse_id=connector_id,
            connector_id=0 if connector_id == 0 else 1,
            status=status,
            error_code=error_code,
            info=info,
            vendor_id=vendor_id,
            vendor_error_code=vendor_error_code,
            reported_at=_timestamp(timestamp, "timestamp") if timestamp else self._services.clock(),
        )
        self._services.availability.record_status(message.station, state)
        return call_result.StatusNotification()

    # --- Core profile: authorization and transactions ----------------------------------------------

    @on(Action.authorize)
    def on_authorize(self, message: MessageContext, id_tag: str, **_: Any) -> call_result.Authorize:
        # Charging elsewhere, or every EVSE reserved for others: not Accepted (SteVe's rule for the first:
        # at its own station the token may be authorized again, to stop its transaction).
        charge = self._services.authorization.authorize_to_charge(
            message.station, IdTokenRef(value=id_tag), None, ConcurrentScope.OTHER_STATIONS
        )
        return call_result.Authorize(id_tag_info=_id_tag_info(charge.info))

    @on(Action.start_transaction)
    def on_start_transaction(
        self,
        message: MessageContext,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        timestamp: str,
        reservation_id: int | None = None,
        **_: Any,
    ) -> call_result.StartTransaction:
        if connector_id <= 0:
            # The schema allows any integer; a transaction happens on a connector, never on 0 (the station).
            raise TypeConstraintViolationError(details={"cause": "connectorId must be 1 or more"})
        self._services.availability.check_evse(connector_id)
        started = self._services.transactions.start_with_csms_id(
            message.station,
            TransactionEvent(
                kind=TransactionEventKind.STARTED,
                action="StartTransaction",
                message_id=message.message_id,
                timestamp=_timestamp(timestamp, "timestamp"),
                evse_id=connector_id,
                connector_id=1,
                id_token=_id_tag(id_tag),
                register_wh=meter_start,
                reservation_id=reservation_id,
            ),
        )
        info = started.token or IdTokenInfo(status=AuthorizationStatus.INVALID)
        return call_result.StartTransaction(
            transaction_id=int(started.transaction_id), id_tag_info=_id_tag_info(info)
        )

    @on(Action.meter_values)
    def on_meter_values(
        self,
        message: MessageContext,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        transaction_id: int | None = None,
        **_: Any,
    ) -> call_result.MeterValues:
        self._services.availability.check_evse(connector_id)
        values = _meter_values(meter_value)
        event = TransactionEvent(
            kind=TransactionEventKind.UPDATED,
            action="MeterValues",
            message_id=message.message_id,
            timestamp=max((value.timestamp for value in values), default=self._services.clock()),
            transaction_id=str(transaction_id) if transaction_id is not None else None,
            evse_id=connector_id,
            meter_values=values,
        )
        if event.transaction_id is None:
            self._services.transactions.record_meter_values(message.station, event, None)
        else:
            self._services.transactions.record_event(message.station, event)
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop_transaction(
        self,
        message: MessageContext,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.StopTransaction:
        event = TransactionEvent(
            kind=TransactionEventKind.ENDED,
            action="StopTransaction",
            message_id=message.message_id,
            timestamp=_timestamp(timestamp, "timestamp"),
            transaction_id=str(transaction_id),
            id_token=_id_tag(id_tag),
            register_wh=meter_stop,
            stopped_reason=reason,
            meter_values=_meter_values(transaction_data),
        )
        self._services.transactions.record_event(message.station, event)
        info = self._services.transactions.token_info(message.station, event)
        return call_result.StopTransaction(id_tag_info=_id_tag_info(info) if info else None)

    # --- Core profile: vendor data ------------------------------------------------------------------

    @on(Action.data_transfer)
    def on_data_transfer(
        self,
        message: MessageContext,
        vendor_id: str,
        message_id: str | None = None,
        data: str | None = None,
        **_: Any,
    ) -> call_result.DataTransfer:
        status = self._services.data_transfers.receive(
            message.station, message.message_id, vendor_id, message_id, data
        )
        return call_result.DataTransfer(status=DataTransferStatus(status.value))

    # --- Firmware management: updates and diagnostics (shared/charging/firmware.py) -----------------

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(
        self, message: MessageContext, status: str, **_: Any
    ) -> call_result.FirmwareStatusNotification:
        self._services.firmware.firmware_status(
            message.station, message.message_id, status, None, {"status": status}
        )
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(
        self, message: MessageContext, status: str, **_: Any
    ) -> call_result.DiagnosticsStatusNotification:
        self._services.firmware.log_status(
            message.station,
            "DiagnosticsStatusNotification",
            message.message_id,
            status,
            None,
            {"status": status},
        )
        return call_result.DiagnosticsStatusNotification()

    # --- Security (the 1.6 security whitepaper's SecurityEventNotification) -------------------------

    @on(Action.security_event_notification)
    def on_security_event_notification(
        self, message: MessageContext, type: str, timestamp: str, tech_info: str | None = None, **_: Any
    ) -> call_result.SecurityEventNotification:
        self._services.signals.security_event(
            message.station, message.message_id, type, _timestamp(timestamp, "timestamp"), tech_info
        )
        return call_result.SecurityEventNotification()
