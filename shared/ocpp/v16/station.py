"""OCPP 1.6J messages from a station, handled in one Lambda invocation each.

Built on the ocpp package's ChargePoint: its routing, schema validation and NotImplemented/NotSupported
rules apply unchanged; its reply goes to a capture instead of a socket because API Gateway's route
response carries it back.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from ocpp.exceptions import TypeConstraintViolationError
from ocpp.messages import Call
from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, DataTransferStatus, RegistrationStatus
from pydantic import ValidationError

from shared.charging import availability, provisioning, transactions
from shared.charging.authorization import authorize_id_token
from shared.domain.base import parse_timestamp, to_iso
from shared.domain.id_tokens import AuthorizationStatus, IdTokenInfo
from shared.domain.sessions import MeterValue
from shared.domain.stations import ConnectorState, StationContext
from shared.storage.commands import message_key
from shared.storage.tables import IDEMPOTENCY
from shared.wiring import Platform

# A station resends an unanswered StartTransaction; the same start must get the same transaction id
# for as long as a station could plausibly retry (it may queue transactions while offline for days).
START_TRANSACTION_IDEMPOTENCY = IdempotencyConfig(
    event_key_jmespath="[stationId, connectorId, idTag, meterStart, timestamp]",
    raise_on_no_idempotency_key=True,
    expires_after_seconds=7 * 24 * 3600,
)


def _timestamp(value: str, field: str) -> datetime:
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise TypeConstraintViolationError(
            details={"cause": f"{field} is not an RFC 3339 date-time"}
        ) from error


def _meter_values(raw: list[dict[str, Any]] | None) -> list[MeterValue]:
    try:
        return [MeterValue.model_validate(entry) for entry in raw or []]
    except ValidationError as error:
        raise TypeConstraintViolationError(
            details={"cause": f"meterValue: {error.errors()[0]['msg']}"}
        ) from error


def _id_tag_info(info: IdTokenInfo) -> dict[str, Any]:
    return {
        "status": info.status.value,
        "expiry_date": to_iso(info.expires_at) if info.expires_at else None,
        "parent_id_tag": info.parent_id_token,
    }


class V16Station(ChargePoint):
    def __init__(self, platform: Platform, station: StationContext) -> None:
        super().__init__(station.station_id, connection=None)
        self._platform = platform
        self._station = station
        self.replies: list[str] = []

    async def _send(self, message: str) -> None:
        self.replies.append(message)

    async def handle_call(self, call: Call) -> str | None:
        await self.route_message(call.to_json())
        return self.replies[0] if self.replies else None

    # --- Core profile -----------------------------------------------------------------------------

    @on(Action.boot_notification)
    def on_boot_notification(
        self,
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
        info = provisioning.ChargerInfo(
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=charge_point_serial_number or charge_box_serial_number,
            firmware_version=firmware_version,
            iccid=iccid,
            imsi=imsi,
            meter_type=meter_type,
            meter_serial_number=meter_serial_number,
        )
        decision = provisioning.handle_boot(self._platform, self._station, info)
        return call_result.BootNotification(
            current_time=to_iso(decision.current_time),
            interval=decision.interval_seconds,
            status=RegistrationStatus(decision.status.value),
        )

    @on(Action.heartbeat)
    def on_heartbeat(self, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(
            current_time=to_iso(provisioning.handle_heartbeat(self._platform, self._station))
        )

    @on(Action.status_notification)
    def on_status_notification(
        self,
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
            reported_at=_timestamp(timestamp, "timestamp") if timestamp else self._platform.clock(),
        )
        availability.handle_status_notification(self._platform, self._station, state)
        return call_result.StatusNotification()

    @on(Action.authorize)
    def on_authorize(self, id_tag: str, **_: Any) -> call_result.Authorize:
        info = authorize_id_token(self._platform, self._station, id_tag)
        return call_result.Authorize(id_tag_info=_id_tag_info(info))

    @on(Action.start_transaction)
    def on_start_transaction(
        self,
        connector_id: int,
        id_tag: str,
        meter_start: int,
        timestamp: str,
        reservation_id: int | None = None,
        **_: Any,
    ) -> call_result.StartTransaction:
        started_at = _timestamp(timestamp, "timestamp")
        persistence = DynamoDBPersistenceLayer(
            table_name=self._platform.settings.table_name(IDEMPOTENCY),
            boto3_client=self._platform.dynamodb,
        )
        start_once = idempotent_function(
            data_keyword_argument="request",
            persistence_store=persistence,
            config=START_TRANSACTION_IDEMPOTENCY,
            key_prefix="StartTransaction",
        )(self._start_transaction)
        result: dict[str, Any] = start_once(
            request={
                "stationId": self._station.station_id,
                "connectorId": connector_id,
                "idTag": id_tag,
                "meterStart": meter_start,
                "timestamp": to_iso(started_at),
                "reservationId": reservation_id,
            }
        )
        return call_result.StartTransaction(
            transaction_id=result["transactionId"], id_tag_info=result["idTagInfo"]
        )

    def _start_transaction(self, request: dict[str, Any]) -> dict[str, Any]:
        transaction_id = self._platform.stations.allocate_transaction_id(self._station.station_id)
        _, token_info = transactions.start_session(
            self._platform,
            self._station,
            transactions.SessionStart(
                evse_id=request["connectorId"],
                connector_id=1,
                transaction_id=str(transaction_id),
                id_token=request["idTag"],
                meter_start_wh=request["meterStart"],
                started_at=parse_timestamp(request["timestamp"]),
                reservation_id=request["reservationId"],
            ),
        )
        info = token_info or IdTokenInfo(status=AuthorizationStatus.INVALID)
        return {"transactionId": transaction_id, "idTagInfo": _id_tag_info(info)}

    @on(Action.meter_values)
    def on_meter_values(
        self,
        connector_id: int,
        meter_value: list[dict[str, Any]],
        call_unique_id: str,
        transaction_id: int | None = None,
        **_: Any,
    ) -> call_result.MeterValues:
        transactions.record_meter_values(
            self._platform,
            self._station,
            evse_id=connector_id,
            transaction_id=str(transaction_id) if transaction_id is not None else None,
            meter_values=_meter_values(meter_value),
            message_id=call_unique_id,
        )
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    def on_stop_transaction(
        self,
        meter_stop: int,
        timestamp: str,
        transaction_id: int,
        call_unique_id: str,
        reason: str | None = None,
        id_tag: str | None = None,
        transaction_data: list[dict[str, Any]] | None = None,
        **_: Any,
    ) -> call_result.StopTransaction:
        info = transactions.stop_session(
            self._platform,
            self._station,
            transactions.SessionStop(
                transaction_id=str(transaction_id),
                meter_stop_wh=meter_stop,
                stopped_at=_timestamp(timestamp, "timestamp"),
                reason=reason,
                id_token=id_tag,
                transaction_data=_meter_values(transaction_data),
                message_id=call_unique_id,
            ),
        )
        return call_result.StopTransaction(id_tag_info=_id_tag_info(info) if info else None)

    @on(Action.data_transfer)
    def on_data_transfer(
        self,
        vendor_id: str,
        call_unique_id: str,
        message_id: str | None = None,
        data: str | None = None,
        **_: Any,
    ) -> call_result.DataTransfer:
        self._keep_message(
            "DataTransfer", call_unique_id, {"vendorId": vendor_id, "messageId": message_id, "data": data}
        )
        return call_result.DataTransfer(status=DataTransferStatus.accepted)

    # --- Firmware management: kept for operators now, drives OTA campaigns later ------------------

    @on(Action.firmware_status_notification)
    def on_firmware_status_notification(
        self, status: str, call_unique_id: str, **_: Any
    ) -> call_result.FirmwareStatusNotification:
        self._keep_message("FirmwareStatusNotification", call_unique_id, {"status": status})
        return call_result.FirmwareStatusNotification()

    @on(Action.diagnostics_status_notification)
    def on_diagnostics_status_notification(
        self, status: str, call_unique_id: str, **_: Any
    ) -> call_result.DiagnosticsStatusNotification:
        self._keep_message("DiagnosticsStatusNotification", call_unique_id, {"status": status})
        return call_result.DiagnosticsStatusNotification()

    def _keep_message(self, kind: str, ocpp_message_id: str, document: dict[str, Any]) -> None:
        now = self._platform.clock()
        retention = self._platform.settings.station_message_retention_days * 24 * 3600
        self._platform.station_messages.record(
            self._station.station_id,
            message_key(kind, now, ocpp_message_id),
            {
                **{key: value for key, value in document.items() if value is not None},
                "kind": kind,
                "tenantId": self._station.tenant_id,
                "receivedAt": to_iso(now),
                "expiresAt": int(now.timestamp()) + retention,
            },
        )
