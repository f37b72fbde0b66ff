"""Operator intents as OCPP 1.6 calls, and what a 1.6 answer means: for the command that sent it
(``interpret_result``) and for what the platform stores about the station (``effects_of``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from shared.domain.base import parse_timestamp, to_iso
from shared.domain.charging_profiles import (
    ChargingProfile,
    ChargingSchedule,
    CompositeScheduleQuery,
    InstalledProfile,
    ProfileCriteria,
    ProfileKind,
    ProfilePurpose,
    SchedulePeriod,
)
from shared.domain.command_effects import (
    AvailabilitySet,
    CommandEffect,
    LocalListApplied,
    LocalListVersionReported,
    ProfileInstalled,
    ProfilesCleared,
    ReservationAnswered,
    ReservationCancelled,
    VariablesObserved,
)
from shared.domain.commands import CommandStatus, status_from_call_result
from shared.domain.device_model import (
    DeviceVariable,
    Mutability,
    VariableAttribute,
    VariableQuery,
    VariableRef,
    VariableWrite,
)
from shared.domain.errors import InvalidRequestError
from shared.domain.firmware import FirmwareUpdate, LogUpload
from shared.domain.id_tokens import AuthorizationStatus, IdTokenInfo
from shared.domain.local_lists import LocalListEntry, LocalListPush, LocalListUpdate
from shared.domain.reservations import Reservation
from shared.domain.sessions import Session
from shared.ocpp.plugin import OutboundCall, ReportBase, ResetKind, TriggerableMessage

if TYPE_CHECKING:
    from shared.energy.profiles import ChargerCapabilities

SMART_CHARGING_KEYS = (
    "ChargingScheduleAllowedChargingRateUnit",
    "ChargeProfileMaxStackLevel",
    "ChargingScheduleMaxPeriods",
)
"""OCPP 1.6 section 9.4: the Smart Charging profile's configuration keys."""

# 2.0.1's Immediate reset stops transactions and restarts at once, as a 1.6 Hard reset does; OnIdle
# (wait for transactions to end) has no 1.6 counterpart.
_RESET_TYPES: dict[str, str] = {"Soft": "Soft", "Hard": "Hard", "Immediate": "Hard"}
_TRIGGERS: dict[str, str] = {
    "BootNotification": "BootNotification",
    "Heartbeat": "Heartbeat",
    "StatusNotification": "StatusNotification",
    "MeterValues": "MeterValues",
    "FirmwareStatusNotification": "FirmwareStatusNotification",
    "DiagnosticsStatusNotification": "DiagnosticsStatusNotification",
    "LogStatusNotification": "DiagnosticsStatusNotification",
}
V16_AUTHORIZATION_STATUSES = frozenset({"Accepted", "Blocked", "Expired", "Invalid", "ConcurrentTx"})
_PURPOSES = {
    ProfilePurpose.STATION_MAX: "ChargePointMaxProfile",
    ProfilePurpose.TX_DEFAULT: "TxDefaultProfile",
    ProfilePurpose.TX: "TxProfile",
}
_PURPOSES_BACK = {wire: neutral for neutral, wire in _PURPOSES.items()}
_NO_EVSE_IN_16 = "an OCPP 1.6 station's connector N is its EVSE N, with one connector"


def _refuse(what: str) -> InvalidRequestError:
    return InvalidRequestError(f"{what} (the station speaks OCPP 1.6)")


def _one_connector(connector_id: int | None) -> None:
    if connector_id not in (None, 1):
        raise _refuse(f"connectorId: {_NO_EVSE_IN_16}")


def status_for_v16(status: AuthorizationStatus) -> str:
    """2.0.1-only statuses (NotAtThisTime, Unknown, ...) are Invalid to a 1.6 station."""
    return status.value if status.value in V16_AUTHORIZATION_STATUSES else "Invalid"


def id_tag_info(info: IdTokenInfo) -> dict[str, Any]:
    """The 1.6 IdTagInfo (camelCase, as it goes on the wire)."""
    document: dict[str, Any] = {"status": status_for_v16(info.status)}
    if info.expires_at is not None:
        document["expiryDate"] = to_iso(info.expires_at)
    if info.parent_id_token is not None:
        document["parentIdTag"] = info.parent_id_token
    return document


def _profile_payload(profile: ChargingProfile) -> dict[str, Any]:
    if len(profile.schedules) != 1:
        raise _refuse("chargingProfile: an OCPP 1.6 profile has exactly one schedule")
    if profile.purpose not in _PURPOSES:
        raise _refuse(f"chargingProfile.purpose: {profile.purpose.value} does not exist in OCPP 1.6")
    schedule = profile.schedules[0]
    periods: list[dict[str, Any]] = []
    for period in schedule.periods:
        if period.phase_to_use is not None:
            raise _refuse("phaseToUse: OCPP 1.6 schedules do not choose the phase")
        entry: dict[str, Any] = {"startPeriod": period.start_period, "limit": round(period.limit, 1)}
        if period.number_phases is not None:
            entry["numberPhases"] = period.number_phases
        periods.append(entry)
    wire_schedule: dict[str, Any] = {
        "chargingRateUnit": schedule.rate_unit,
        "chargingSchedulePeriod": periods,
    }
    if schedule.duration is not None:
        wire_schedule["duration"] = schedule.duration
    if schedule.start_schedule is not None:
        wire_schedule["startSchedule"] = to_iso(schedule.start_schedule)
    if schedule.min_charging_rate is not None:
        wire_schedule["minChargingRate"] = round(schedule.min_charging_rate, 1)
    payload: dict[str, Any] = {
        "chargingProfileId": profile.id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": _PURPOSES[profile.purpose],
        "chargingProfileKind": profile.kind.value,
        "chargingSchedule": wire_schedule,
    }
    if profile.transaction_id is not None:
        if not profile.transaction_id.isdigit():
            raise _refuse("transactionId: an OCPP 1.6 transaction id is an integer")
        payload["transactionId"] = int(profile.transaction_id)
    if profile.recurrency is not None:
        payload["recurrencyKind"] = profile.recurrency
    if profile.valid_from is not None:
        payload["validFrom"] = to_iso(profile.valid_from)
    if profile.valid_to is not None:
        payload["validTo"] = to_iso(profile.valid_to)
    return payload


def profile_from_v16(wire: dict[str, Any]) -> ChargingProfile:
    schedule = wire["chargingSchedule"]
    return ChargingProfile(
        id=wire["chargingProfileId"],
        stack_level=wire["stackLevel"],
        purpose=_PURPOSES_BACK[wire["chargingProfilePurpose"]],
        kind=ProfileKind(wire["chargingProfileKind"]),
        recurrency=wire.get("recurrencyKind"),
        valid_from=parse_timestamp(wire["validFrom"]) if wire.get("validFrom") else None,
        valid_to=parse_timestamp(wire["validTo"]) if wire.get("validTo") else None,
        transaction_id=str(wire["transactionId"]) if wire.get("transactionId") is not None else None,
        schedules=[
            ChargingSchedule(
                id=1,
                start_schedule=parse_timestamp(schedule["startSchedule"])
                if schedule.get("startSchedule")
                else None,
                duration=schedule.get("duration"),
                rate_unit=schedule["chargingRateUnit"],
                min_charging_rate=float(schedule["minChargingRate"])
                if "minChargingRate" in schedule
                else None,
                periods=[
                    SchedulePeriod(
                        start_period=period["startPeriod"],
                        limit=float(period["limit"]),
                        number_phases=period.get("numberPhases"),
                    )
                    for period in schedule["chargingSchedulePeriod"]
                ],
            )
        ],
    )


def _local_list_entry(entry: LocalListEntry) -> dict[str, Any]:
    document: dict[str, Any] = {"idTag": entry.id_token}
    if entry.info is not None:
        document["idTagInfo"] = id_tag_info(entry.info)
    return document


class V16Mappers:
    def remote_start(
        self,
        id_token: str,
        evse_id: int | None,
        remote_start_id: int,
        id_token_type: str | None = None,
        charging_profile: ChargingProfile | None = None,
    ) -> OutboundCall:
        """1.6 has no remoteStartId: the session is matched by its token and connector instead."""
        payload: dict[str, Any] = {"idTag": id_token}
        if evse_id is not None:
            payload["connectorId"] = evse_id
        if charging_profile is not None:
            if charging_profile.purpose is not ProfilePurpose.TX:
                raise _refuse("chargingProfile: a remote start carries a TxProfile")
            payload["chargingProfile"] = _profile_payload(charging_profile)
        return OutboundCall("RemoteStartTransaction", payload)

    def remote_stop(self, session: Session) -> OutboundCall:
        if not session.transaction_id.isdigit():
            raise InvalidRequestError(
                f"session {session.session_id} has transaction id {session.transaction_id!r}, "
                "which an OCPP 1.6 station cannot have"
            )
        return OutboundCall("RemoteStopTransaction", {"transactionId": int(session.transaction_id)})

    def reset(self, kind: ResetKind, evse_id: int | None) -> OutboundCall:
        if evse_id is not None:
            raise InvalidRequestError("evseId: an OCPP 1.6 station resets as a whole (no per-EVSE reset)")
        if kind not in _RESET_TYPES:
            raise InvalidRequestError(f"type: OCPP 1.6 resets are Soft or Hard, not {kind}")
        return OutboundCall("Reset", {"type": _RESET_TYPES[kind]})

    def unlock(self, evse_id: int, connector_id: int | None) -> OutboundCall:
        _one_connector(connector_id)
        return OutboundCall("UnlockConnector", {"connectorId": evse_id})

    def change_availability(
        self, operative: bool, evse_id: int | None, connector_id: int | None
    ) -> OutboundCall:
        _one_connector(connector_id)
        return OutboundCall(
            "ChangeAvailability",
            {"connectorId": evse_id or 0, "type": "Operative" if operative else "Inoperative"},
        )

    def trigger_message(
        self, message: TriggerableMessage, evse_id: int | None, connector_id: int | None
    ) -> OutboundCall:
        _one_connector(connector_id)
        if message not in _TRIGGERS:
            raise _refuse(f"requestedMessage: {message} cannot be triggered")
        payload: dict[str, Any] = {"requestedMessage": _TRIGGERS[message]}
        if evse_id is not None:
            payload["connectorId"] = evse_id
        return OutboundCall("TriggerMessage", payload)

    def reserve(self, reservation: Reservation) -> OutboundCall:
        if reservation.connector_type is not None:
            raise _refuse("connectorType: OCPP 1.6 reserves a connector, not a connector type")
        payload: dict[str, Any] = {
            "connectorId": reservation.evse_id or 0,
            "expiryDate": to_iso(reservation.expires_at),
            "idTag": reservation.id_token,
            "reservationId": reservation.reservation_id,
        }
        if reservation.group_id_token is not None:
            payload["parentIdTag"] = reservation.group_id_token
        return OutboundCall("ReserveNow", payload)

    def cancel_reservation(self, reservation_id: int) -> OutboundCall:
        return OutboundCall("CancelReservation", {"reservationId": reservation_id})

    def clear_cache(self) -> OutboundCall:
        return OutboundCall("ClearCache", {})

    def send_local_list(self, push: LocalListPush) -> OutboundCall:
        return OutboundCall(
            "SendLocalList",
            {
                "listVersion": push.version,
                "updateType": push.update_type.value,
                "localAuthorizationList": [_local_list_entry(entry) for entry in push.entries],
            },
        )

    def get_local_list_version(self) -> OutboundCall:
        return OutboundCall("GetLocalListVersion", {})

    def read_variables(self, queries: Sequence[VariableQuery]) -> OutboundCall:
        if any(query.component is not None for query in queries):
            raise _refuse("component: OCPP 1.6 configuration keys belong to no component")
        keys = [query.variable.name for query in queries]
        return OutboundCall("GetConfiguration", {"key": keys} if keys else {})

    def write_variables(self, writes: Sequence[VariableWrite]) -> list[OutboundCall]:
        if any(write.component is not None for write in writes):
            raise _refuse("component: OCPP 1.6 configuration keys belong to no component")
        return [
            OutboundCall("ChangeConfiguration", {"key": write.variable.name, "value": write.value})
            for write in writes
        ]

    def request_report(self, request_id: int, report_base: ReportBase) -> OutboundCall:
        """1.6's whole report is every configuration key."""
        return OutboundCall("GetConfiguration", {})

    def set_charging_profile(self, evse_id: int, profile: ChargingProfile) -> OutboundCall:
        return OutboundCall(
            "SetChargingProfile", {"connectorId": evse_id, "csChargingProfiles": _profile_payload(profile)}
        )

    def clear_charging_profile(self, criteria: ProfileCriteria) -> OutboundCall:
        payload: dict[str, Any] = {}
        if criteria.profile_id is not None:
            payload["id"] = criteria.profile_id
        if criteria.evse_id is not None:
            payload["connectorId"] = criteria.evse_id
        if criteria.purpose is not None:
            if criteria.purpose not in _PURPOSES:
                raise _refuse(f"chargingProfilePurpose: {criteria.purpose.value} does not exist in OCPP 1.6")
            payload["chargingProfilePurpose"] = _PURPOSES[criteria.purpose]
        if criteria.stack_level is not None:
            payload["stackLevel"] = criteria.stack_level
        return OutboundCall("ClearChargingProfile", payload)

    def get_charging_profiles(self, request_id: int, criteria: ProfileCriteria) -> OutboundCall:
        raise _refuse("GetChargingProfiles: OCPP 1.6 cannot report the profiles a station holds")

    def get_composite_schedule(self, query: CompositeScheduleQuery) -> OutboundCall:
        payload: dict[str, Any] = {"connectorId": query.evse_id, "duration": query.duration}
        if query.rate_unit is not None:
            payload["chargingRateUnit"] = query.rate_unit
        return OutboundCall("GetCompositeSchedule", payload)

    def update_firmware(self, update: FirmwareUpdate) -> OutboundCall:
        if update.signing_certificate is not None or update.signature is not None:
            raise _refuse("signature: signed firmware needs the OCPP 1.6 security extension, not supported")
        payload: dict[str, Any] = {"location": update.location, "retrieveDate": to_iso(update.retrieve_at)}
        if update.retries is not None:
            payload["retries"] = update.retries
        if update.retry_interval is not None:
            payload["retryInterval"] = update.retry_interval
        return OutboundCall("UpdateFirmware", payload)

    def upload_log(self, upload: LogUpload) -> OutboundCall:
        if upload.log_type != "DiagnosticsLog":
            raise _refuse("logType: OCPP 1.6 uploads diagnostics only (GetDiagnostics)")
        payload: dict[str, Any] = {"location": upload.location}
        if upload.retries is not None:
            payload["retries"] = upload.retries
        if upload.retry_interval is not None:
            payload["retryInterval"] = upload.retry_interval
        if upload.oldest is not None:
            payload["startTime"] = to_iso(upload.oldest)
        if upload.latest is not None:
            payload["stopTime"] = to_iso(upload.latest)
        return OutboundCall("GetDiagnostics", payload)

    def data_transfer(self, vendor_id: str, message_id: str | None, data: Any) -> OutboundCall:
        payload: dict[str, Any] = {"vendorId": vendor_id}
        if message_id is not None:
            payload["messageId"] = message_id
        if data is not None:
            # 1.6 data is text: anything else travels as its JSON.
            payload["data"] = data if isinstance(data, str) else json.dumps(data, separators=(",", ":"))
        return OutboundCall("DataTransfer", payload)

    def diagnostics_file_name(self, response: dict[str, Any]) -> str | None:
        """GetDiagnostics.conf: no fileName means no diagnostics are available (section 6.22)."""
        name = response.get("fileName")
        return str(name) if name else None

    def request_charging_capabilities(self) -> OutboundCall:
        return OutboundCall("GetConfiguration", {"key": list(SMART_CHARGING_KEYS)})

    def charging_capabilities(self, response: dict[str, Any]) -> ChargerCapabilities:
        """GetConfiguration.conf's configurationKey list (section 9.4)."""
        from shared.energy.profiles import RateUnit, capabilities_from

        values = {
            str(key.get("key")): str(key.get("value", "")) for key in response.get("configurationKey") or []
        }
        units = values.get("ChargingScheduleAllowedChargingRateUnit", "").replace(" ", "").split(",")
        known = {"Current": RateUnit.AMPS, "Power": RateUnit.WATTS}
        return capabilities_from(
            [known[unit] for unit in units if unit in known],
            values.get("ChargeProfileMaxStackLevel"),
            values.get("ChargingScheduleMaxPeriods"),
        )


def interpret_result(action: str, payload: dict[str, Any]) -> CommandStatus:
    """Per action where the generic status rule is not enough."""
    if action == "GetConfiguration" and not payload.get("configurationKey") and payload.get("unknownKey"):
        return CommandStatus.REJECTED  # every key asked for is unknown to the station
    if action == "GetLocalListVersion" and payload.get("listVersion", 0) < 0:
        return CommandStatus.REJECTED  # -1: the station has no local list support
    return status_from_call_result(payload)


def _local_list_push(request: dict[str, Any]) -> LocalListPush:
    entries = []
    for entry in request.get("localAuthorizationList") or []:
        info = entry.get("idTagInfo")
        entries.append(
            LocalListEntry(
                id_token=entry["idTag"],
                info=IdTokenInfo(
                    status=AuthorizationStatus(info["status"]),
                    expires_at=parse_timestamp(info["expiryDate"]) if info.get("expiryDate") else None,
                    parent_id_token=info.get("parentIdTag"),
                )
                if info
                else None,
            )
        )
    return LocalListPush(
        version=request["listVersion"], update_type=LocalListUpdate(request["updateType"]), entries=entries
    )


def _configuration_key(
    key: str, value: str | None, readonly: bool | None, source: str, now: datetime
) -> DeviceVariable:
    return DeviceVariable(
        variable=VariableRef(name=key),
        attributes=[
            VariableAttribute(
                type="Actual",
                value=value,
                mutability=None
                if readonly is None
                else Mutability.READ_ONLY
                if readonly
                else Mutability.READ_WRITE,
            )
        ],
        source=source,
        reported_at=now,
    )


def effects_of(
    action: str, request: dict[str, Any], response: dict[str, Any], now: datetime
) -> Sequence[CommandEffect]:
    """What a 1.6 answer changes in what the platform stores about the station."""
    status = response.get("status")
    if action == "GetConfiguration":
        keys = [
            _configuration_key(entry["key"], entry.get("value"), entry.get("readonly"), action, now)
            for entry in response.get("configurationKey") or []
        ]
        return (VariablesObserved(tuple(keys)),) if keys else ()
    if action == "ChangeConfiguration" and status in ("Accepted", "RebootRequired"):
        return (
            VariablesObserved((_configuration_key(request["key"], request["value"], None, action, now),)),
        )
    if action == "SendLocalList" and status == "Accepted":
        return (LocalListApplied(_local_list_push(request)),)
    if action == "GetLocalListVersion" and response.get("listVersion", -1) >= 0:
        return (LocalListVersionReported(response["listVersion"]),)
    if action == "ReserveNow" and status is not None:
        return (ReservationAnswered(request["reservationId"], status == "Accepted", status),)
    if action == "CancelReservation" and status == "Accepted":
        return (ReservationCancelled(request["reservationId"]),)
    if action == "ChangeAvailability" and status in ("Accepted", "Scheduled"):
        return (
            AvailabilitySet(
                evse_id=request["connectorId"],
                connector_id=None,
                operative=request["type"] == "Operative",
                scheduled=status == "Scheduled",
            ),
        )
    if action == "SetChargingProfile" and status == "Accepted":
        installed = InstalledProfile(
            evse_id=request["connectorId"],
            profile=profile_from_v16(request["csChargingProfiles"]),
            source=action,
            recorded_at=now,
        )
        return (ProfileInstalled(installed),)
    if action == "ClearChargingProfile" and status == "Accepted":
        purpose = request.get("chargingProfilePurpose")
        return (
            ProfilesCleared(
                ProfileCriteria(
                    profile_id=request.get("id"),
                    evse_id=request.get("connectorId"),
                    purpose=_PURPOSES_BACK[purpose] if purpose else None,
                    stack_level=request.get("stackLevel"),
                )
            ),
        )
    return ()
