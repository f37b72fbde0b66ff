"""Operator intents as OCPP 2.0.1 calls, and what a 2.0.1 answer means: for the command that sent it
(``interpret_result``) and for what the platform stores about the station (``effects_of``)."""

from __future__ import annotations

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
    ComponentRef,
    DeviceVariable,
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

CENTRAL = "Central"
"""The idToken type of a token the CSMS names itself (a remote start, a group) when it knows no other."""
_RESETS: dict[str, str] = {
    "Immediate": "Immediate",
    "OnIdle": "OnIdle",
    "Soft": "Immediate",
    "Hard": "Immediate",
}
_TRIGGERS: dict[str, str] = {
    "BootNotification": "BootNotification",
    "Heartbeat": "Heartbeat",
    "StatusNotification": "StatusNotification",
    "MeterValues": "MeterValues",
    "FirmwareStatusNotification": "FirmwareStatusNotification",
    "LogStatusNotification": "LogStatusNotification",
    "DiagnosticsStatusNotification": "LogStatusNotification",
    "TransactionEvent": "TransactionEvent",
}
_GET_FAILED = frozenset({"Rejected", "UnknownComponent", "UnknownVariable", "NotSupportedAttributeType"})
_SET_APPLIED = frozenset({"Accepted", "RebootRequired"})


def _refuse(what: str) -> InvalidRequestError:
    return InvalidRequestError(f"{what} (the station speaks OCPP 2.0.1)")


_SMART_CHARGING = "SmartChargingCtrlr"
_SMART_CHARGING_VARIABLES = ("RateUnit", "ProfileStackLevel", "PeriodsPerSchedule")

_MAX_LOCATION = 512  # FirmwareType.location, LogParametersType.remoteLocation


def _location(field: str, location: str) -> str:
    if len(location) > _MAX_LOCATION:
        raise _refuse(f"{field}: {len(location)} characters, OCPP 2.0.1 allows {_MAX_LOCATION}")
    return location


def _token(value: str, token_type: str | None) -> dict[str, Any]:
    return {"idToken": value, "type": token_type or CENTRAL}


def id_token_info(info: IdTokenInfo) -> dict[str, Any]:
    """The 2.0.1 IdTokenInfoType, snake_case (the reply is camelCased on its way out)."""
    document: dict[str, Any] = {"status": info.status.value}
    if info.expires_at is not None:
        document["cache_expiry_date_time"] = to_iso(info.expires_at)
    if info.parent_id_token is not None:
        document["group_id_token"] = {"id_token": info.parent_id_token, "type": CENTRAL}
    if info.language is not None:
        document["language1"] = info.language
    if info.personal_message is not None:
        document["personal_message"] = {"format": "UTF8", "content": info.personal_message[:512]}
        if info.language is not None:
            document["personal_message"]["language"] = info.language
    return document


def _wire_id_token_info(info: IdTokenInfo) -> dict[str, Any]:
    """The same, camelCase (for a payload the CSMS sends: SendLocalList)."""
    document: dict[str, Any] = {"status": info.status.value}
    if info.expires_at is not None:
        document["cacheExpiryDateTime"] = to_iso(info.expires_at)
    if info.parent_id_token is not None:
        document["groupIdToken"] = {"idToken": info.parent_id_token, "type": CENTRAL}
    return document


def _component(component: ComponentRef) -> dict[str, Any]:
    document: dict[str, Any] = {"name": component.name}
    if component.instance is not None:
        document["instance"] = component.instance
    if component.evse_id is not None:
        document["evse"] = {"id": component.evse_id}
        if component.connector_id is not None:
            document["evse"]["connectorId"] = component.connector_id
    return document


def component_from_v201(raw: dict[str, Any]) -> ComponentRef:
    evse = raw.get("evse") or {}
    return ComponentRef(
        name=raw["name"],
        instance=raw.get("instance"),
        evse_id=evse.get("id"),
        connector_id=evse.get("connectorId"),
    )


def _variable(variable: VariableRef) -> dict[str, Any]:
    document: dict[str, Any] = {"name": variable.name}
    if variable.instance is not None:
        document["instance"] = variable.instance
    return document


def _variable_from(raw: dict[str, Any]) -> VariableRef:
    return VariableRef(name=raw["name"], instance=raw.get("instance"))


def _needs_component(component: ComponentRef | None) -> ComponentRef:
    if component is None:
        raise _refuse("component: a 2.0.1 variable belongs to a component (e.g. OCPPCommCtrlr)")
    return component


def profile_payload(profile: ChargingProfile) -> dict[str, Any]:
    schedules = []
    for schedule in profile.schedules:
        wire: dict[str, Any] = {
            "id": schedule.id,
            "chargingRateUnit": schedule.rate_unit,
            "chargingSchedulePeriod": [
                {
                    "startPeriod": period.start_period,
                    "limit": period.limit,
                    **({"numberPhases": period.number_phases} if period.number_phases is not None else {}),
                    **({"phaseToUse": period.phase_to_use} if period.phase_to_use is not None else {}),
                }
                for period in schedule.periods
            ],
        }
        if schedule.start_schedule is not None:
            wire["startSchedule"] = to_iso(schedule.start_schedule)
        if schedule.duration is not None:
            wire["duration"] = schedule.duration
        if schedule.min_charging_rate is not None:
            wire["minChargingRate"] = schedule.min_charging_rate
        schedules.append(wire)
    payload: dict[str, Any] = {
        "id": profile.id,
        "stackLevel": profile.stack_level,
        "chargingProfilePurpose": profile.purpose.value,
        "chargingProfileKind": profile.kind.value,
        "chargingSchedule": schedules,
    }
    if profile.recurrency is not None:
        payload["recurrencyKind"] = profile.recurrency
    if profile.valid_from is not None:
        payload["validFrom"] = to_iso(profile.valid_from)
    if profile.valid_to is not None:
        payload["validTo"] = to_iso(profile.valid_to)
    if profile.transaction_id is not None:
        payload["transactionId"] = profile.transaction_id
    return payload


def profile_from_v201(wire: dict[str, Any]) -> ChargingProfile:
    """A profile as 2.0.1 carries it (camelCase), neutral."""
    return ChargingProfile(
        id=wire["id"],
        stack_level=wire["stackLevel"],
        purpose=ProfilePurpose(wire["chargingProfilePurpose"]),
        kind=ProfileKind(wire["chargingProfileKind"]),
        recurrency=wire.get("recurrencyKind"),
        valid_from=parse_timestamp(wire["validFrom"]) if wire.get("validFrom") else None,
        valid_to=parse_timestamp(wire["validTo"]) if wire.get("validTo") else None,
        transaction_id=wire.get("transactionId"),
        schedules=[
            ChargingSchedule(
                id=schedule["id"],
                start_schedule=parse_timestamp(schedule["startSchedule"])
                if schedule.get("startSchedule")
                else None,
                duration=schedule.get("duration"),
                rate_unit=schedule["chargingRateUnit"],
                min_charging_rate=schedule.get("minChargingRate"),
                periods=[
                    SchedulePeriod(
                        start_period=period["startPeriod"],
                        limit=period["limit"],
                        number_phases=period.get("numberPhases"),
                        phase_to_use=period.get("phaseToUse"),
                    )
                    for period in schedule["chargingSchedulePeriod"]
                ],
            )
            for schedule in wire["chargingSchedule"]
        ],
    )


def _evse(evse_id: int | None, connector_id: int | None) -> dict[str, Any] | None:
    if evse_id is None or evse_id == 0:
        if connector_id is not None:
            raise _refuse("connectorId: a connector is named within its EVSE (give evseId)")
        return None
    evse: dict[str, Any] = {"id": evse_id}
    if connector_id is not None:
        evse["connectorId"] = connector_id
    return evse


class V201Mappers:
    def remote_start(
        self,
        id_token: str,
        evse_id: int | None,
        remote_start_id: int,
        id_token_type: str | None = None,
        charging_profile: ChargingProfile | None = None,
    ) -> OutboundCall:
        payload: dict[str, Any] = {
            "idToken": _token(id_token, id_token_type),
            "remoteStartId": remote_start_id,
        }
        if evse_id is not None:
            payload["evseId"] = evse_id
        if charging_profile is not None:
            if charging_profile.purpose is not ProfilePurpose.TX:
                raise _refuse("chargingProfile: a remote start carries a TxProfile")
            payload["chargingProfile"] = profile_payload(charging_profile)
        return OutboundCall("RequestStartTransaction", payload)

    def remote_stop(self, session: Session) -> OutboundCall:
        return OutboundCall("RequestStopTransaction", {"transactionId": session.transaction_id})

    def reset(self, kind: ResetKind, evse_id: int | None) -> OutboundCall:
        """1.6's Soft and Hard both stop transactions and restart now: 2.0.1's Immediate."""
        payload: dict[str, Any] = {"type": _RESETS[kind]}
        if evse_id is not None:
            payload["evseId"] = evse_id
        return OutboundCall("Reset", payload)

    def unlock(self, evse_id: int, connector_id: int | None) -> OutboundCall:
        return OutboundCall("UnlockConnector", {"evseId": evse_id, "connectorId": connector_id or 1})

    def change_availability(
        self, operative: bool, evse_id: int | None, connector_id: int | None
    ) -> OutboundCall:
        payload: dict[str, Any] = {"operationalStatus": "Operative" if operative else "Inoperative"}
        evse = _evse(evse_id, connector_id)
        if evse is not None:
            payload["evse"] = evse
        return OutboundCall("ChangeAvailability", payload)

    def trigger_message(
        self, message: TriggerableMessage, evse_id: int | None, connector_id: int | None
    ) -> OutboundCall:
        if message not in _TRIGGERS:
            raise _refuse(f"requestedMessage: {message} cannot be triggered")
        payload: dict[str, Any] = {"requestedMessage": _TRIGGERS[message]}
        evse = _evse(evse_id, connector_id)
        if evse is not None:
            payload["evse"] = evse
        return OutboundCall("TriggerMessage", payload)

    def reserve(self, reservation: Reservation) -> OutboundCall:
        payload: dict[str, Any] = {
            "id": reservation.reservation_id,
            "expiryDateTime": to_iso(reservation.expires_at),
            "idToken": _token(reservation.id_token, reservation.id_token_type),
        }
        if reservation.evse_id is not None:
            payload["evseId"] = reservation.evse_id
        if reservation.connector_type is not None:
            payload["connectorType"] = reservation.connector_type
        if reservation.group_id_token is not None:
            payload["groupIdToken"] = _token(reservation.group_id_token, None)
        return OutboundCall("ReserveNow", payload)

    def cancel_reservation(self, reservation_id: int) -> OutboundCall:
        return OutboundCall("CancelReservation", {"reservationId": reservation_id})

    def clear_cache(self) -> OutboundCall:
        return OutboundCall("ClearCache", {})

    def send_local_list(self, push: LocalListPush) -> OutboundCall:
        payload: dict[str, Any] = {"versionNumber": push.version, "updateType": push.update_type.value}
        if push.entries:  # the list, when given, has at least one entry (a Full push of none empties it)
            payload["localAuthorizationList"] = [
                {
                    "idToken": _token(entry.id_token, entry.id_token_type),
                    **({"idTokenInfo": _wire_id_token_info(entry.info)} if entry.info is not None else {}),
                }
                for entry in push.entries
            ]
        return OutboundCall("SendLocalList", payload)

    def get_local_list_version(self) -> OutboundCall:
        return OutboundCall("GetLocalListVersion", {})

    def read_variables(self, queries: Sequence[VariableQuery]) -> OutboundCall:
        if not queries:
            raise _refuse("variables: name the variables to read (a whole report is GetBaseReport)")
        return OutboundCall(
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": _component(_needs_component(query.component)),
                        "variable": _variable(query.variable),
                        **({"attributeType": query.attribute_type} if query.attribute_type else {}),
                    }
                    for query in queries
                ]
            },
        )

    def write_variables(self, writes: Sequence[VariableWrite]) -> list[OutboundCall]:
        if not writes:
            raise _refuse("variables: name the variables to write")
        return [
            OutboundCall(
                "SetVariables",
                {
                    "setVariableData": [
                        {
                            "attributeValue": write.value,
                            "component": _component(_needs_component(write.component)),
                            "variable": _variable(write.variable),
                            **({"attributeType": write.attribute_type} if write.attribute_type else {}),
                        }
                        for write in writes
                    ]
                },
            )
        ]

    def request_report(self, request_id: int, report_base: ReportBase) -> OutboundCall:
        return OutboundCall("GetBaseReport", {"requestId": request_id, "reportBase": report_base})

    def set_charging_profile(self, evse_id: int, profile: ChargingProfile) -> OutboundCall:
        if profile.purpose is ProfilePurpose.EXTERNAL_CONSTRAINTS:
            raise _refuse("chargingProfilePurpose: ChargingStationExternalConstraints are set by others")
        return OutboundCall(
            "SetChargingProfile", {"evseId": evse_id, "chargingProfile": profile_payload(profile)}
        )

    def clear_charging_profile(self, criteria: ProfileCriteria) -> OutboundCall:
        if criteria.profile_id is not None:
            return OutboundCall("ClearChargingProfile", {"chargingProfileId": criteria.profile_id})
        wire: dict[str, Any] = {}
        if criteria.evse_id is not None:
            wire["evseId"] = criteria.evse_id
        if criteria.purpose is not None:
            wire["chargingProfilePurpose"] = criteria.purpose.value
        if criteria.stack_level is not None:
            wire["stackLevel"] = criteria.stack_level
        return OutboundCall("ClearChargingProfile", {"chargingProfileCriteria": wire} if wire else {})

    def get_charging_profiles(self, request_id: int, criteria: ProfileCriteria) -> OutboundCall:
        wire: dict[str, Any] = {}
        if criteria.profile_id is not None:
            wire["chargingProfileId"] = [criteria.profile_id]
        if criteria.purpose is not None:
            wire["chargingProfilePurpose"] = criteria.purpose.value
        if criteria.stack_level is not None:
            wire["stackLevel"] = criteria.stack_level
        payload: dict[str, Any] = {"requestId": request_id, "chargingProfile": wire}
        if criteria.evse_id is not None:
            payload["evseId"] = criteria.evse_id
        return OutboundCall("GetChargingProfiles", payload)

    def get_composite_schedule(self, query: CompositeScheduleQuery) -> OutboundCall:
        payload: dict[str, Any] = {"duration": query.duration, "evseId": query.evse_id}
        if query.rate_unit is not None:
            payload["chargingRateUnit"] = query.rate_unit
        return OutboundCall("GetCompositeSchedule", payload)

    def update_firmware(self, update: FirmwareUpdate) -> OutboundCall:
        firmware: dict[str, Any] = {
            "location": _location("location", update.location),
            "retrieveDateTime": to_iso(update.retrieve_at),
        }
        if update.install_at is not None:
            firmware["installDateTime"] = to_iso(update.install_at)
        if update.signing_certificate is not None:
            firmware["signingCertificate"] = update.signing_certificate
        if update.signature is not None:
            firmware["signature"] = update.signature
        payload: dict[str, Any] = {"requestId": update.request_id, "firmware": firmware}
        if update.retries is not None:
            payload["retries"] = update.retries
        if update.retry_interval is not None:
            payload["retryInterval"] = update.retry_interval
        return OutboundCall("UpdateFirmware", payload)

    def upload_log(self, upload: LogUpload) -> OutboundCall:
        log: dict[str, Any] = {"remoteLocation": _location("location", upload.location)}
        if upload.oldest is not None:
            log["oldestTimestamp"] = to_iso(upload.oldest)
        if upload.latest is not None:
            log["latestTimestamp"] = to_iso(upload.latest)
        payload: dict[str, Any] = {"log": log, "logType": upload.log_type, "requestId": upload.request_id}
        if upload.retries is not None:
            payload["retries"] = upload.retries
        if upload.retry_interval is not None:
            payload["retryInterval"] = upload.retry_interval
        return OutboundCall("GetLog", payload)

    def data_transfer(self, vendor_id: str, message_id: str | None, data: Any) -> OutboundCall:
        payload: dict[str, Any] = {"vendorId": vendor_id}
        if message_id is not None:
            payload["messageId"] = message_id
        if data is not None:
            payload["data"] = data
        return OutboundCall("DataTransfer", payload)

    def request_charging_capabilities(self) -> OutboundCall:
        return OutboundCall(
            "GetVariables",
            {
                "getVariableData": [
                    {"component": {"name": _SMART_CHARGING}, "variable": {"name": name}}
                    for name in _SMART_CHARGING_VARIABLES
                ]
            },
        )

    def charging_capabilities(self, response: dict[str, Any]) -> ChargerCapabilities:
        """GetVariablesResponse: SmartChargingCtrlr's RateUnit (a member list of A and W),
        ProfileStackLevel and PeriodsPerSchedule, where the station accepted the read."""
        from shared.energy.profiles import RateUnit, capabilities_from

        values = {
            str(result.get("variable", {}).get("name")): str(result.get("attributeValue", ""))
            for result in response.get("getVariableResult") or []
            if result.get("attributeStatus") == "Accepted"
            and result.get("component", {}).get("name") == _SMART_CHARGING
        }
        units = values.get("RateUnit", "").replace(" ", "").split(",")
        return capabilities_from(
            [RateUnit(unit) for unit in units if unit in ("A", "W")],
            values.get("ProfileStackLevel"),
            values.get("PeriodsPerSchedule"),
        )

    def diagnostics_file_name(self, response: dict[str, Any]) -> str | None:
        """GetLogResponse: Accepted or AcceptedCanceled (an earlier upload stopped for this one) with the
        file's name; Rejected, or no filename, means nothing will be uploaded."""
        name = response.get("filename")
        accepted = response.get("status") in ("Accepted", "AcceptedCanceled")
        return str(name) if accepted and name else None


def interpret_result(action: str, payload: dict[str, Any]) -> CommandStatus:
    """Per-variable answers: a call is rejected only when every variable was refused (the per-variable
    results stay in the command's response)."""
    if action == "GetVariables":
        results = payload.get("getVariableResult") or []
        failed = all(result.get("attributeStatus") in _GET_FAILED for result in results)
        return CommandStatus.REJECTED if failed else CommandStatus.ACCEPTED
    if action == "SetVariables":
        results = payload.get("setVariableResult") or []
        applied = any(result.get("attributeStatus") in _SET_APPLIED for result in results)
        return CommandStatus.ACCEPTED if applied else CommandStatus.REJECTED
    return status_from_call_result(payload)


def _local_list_push(request: dict[str, Any]) -> LocalListPush:
    entries = []
    for entry in request.get("localAuthorizationList") or []:
        info = entry.get("idTokenInfo")
        group = (info or {}).get("groupIdToken")
        entries.append(
            LocalListEntry(
                id_token=entry["idToken"]["idToken"],
                id_token_type=entry["idToken"]["type"],
                info=IdTokenInfo(
                    status=AuthorizationStatus(info["status"]),
                    expires_at=parse_timestamp(info["cacheExpiryDateTime"])
                    if info.get("cacheExpiryDateTime")
                    else None,
                    parent_id_token=group["idToken"] if group else None,
                )
                if info
                else None,
            )
        )
    return LocalListPush(
        version=request["versionNumber"], update_type=LocalListUpdate(request["updateType"]), entries=entries
    )


def _observed(
    component: dict[str, Any],
    variable: dict[str, Any],
    attribute_type: str | None,
    value: str | None,
    source: str,
    now: datetime,
) -> DeviceVariable:
    return DeviceVariable(
        component=component_from_v201(component),
        variable=_variable_from(variable),
        attributes=[VariableAttribute(type=attribute_type or "Actual", value=value)],
        source=source,
        reported_at=now,
    )


def _same_target(request: dict[str, Any], result: dict[str, Any]) -> bool:
    return (
        request["component"] == result["component"]
        and request["variable"] == result["variable"]
        and request.get("attributeType", "Actual") == result.get("attributeType", "Actual")
    )


def effects_of(
    action: str, request: dict[str, Any], response: dict[str, Any], now: datetime
) -> Sequence[CommandEffect]:
    """What a 2.0.1 answer changes in what the platform stores about the station."""
    status = response.get("status")
    if action == "GetVariables":
        observed = tuple(
            _observed(
                result["component"],
                result["variable"],
                result.get("attributeType"),
                result.get("attributeValue"),
                action,
                now,
            )
            for result in response.get("getVariableResult") or []
            if result.get("attributeStatus") == "Accepted"
        )
        return (VariablesObserved(observed),) if observed else ()
    if action == "SetVariables":
        written = []
        for result in response.get("setVariableResult") or []:
            if result.get("attributeStatus") not in _SET_APPLIED:
                continue
            asked = next((item for item in request["setVariableData"] if _same_target(item, result)), None)
            if asked is not None:
                written.append(
                    _observed(
                        asked["component"],
                        asked["variable"],
                        asked.get("attributeType"),
                        asked["attributeValue"],
                        action,
                        now,
                    )
                )
        return (VariablesObserved(tuple(written)),) if written else ()
    if action == "SendLocalList" and status == "Accepted":
        return (LocalListApplied(_local_list_push(request)),)
    if action == "GetLocalListVersion" and "versionNumber" in response:
        return (LocalListVersionReported(response["versionNumber"]),)
    if action == "ReserveNow" and status is not None:
        return (ReservationAnswered(request["id"], status == "Accepted", status),)
    if action == "CancelReservation" and status == "Accepted":
        return (ReservationCancelled(request["reservationId"]),)
    if action == "ChangeAvailability" and status in ("Accepted", "Scheduled"):
        evse = request.get("evse") or {}
        return (
            AvailabilitySet(
                evse_id=evse.get("id", 0),
                connector_id=evse.get("connectorId"),
                operative=request["operationalStatus"] == "Operative",
                scheduled=status == "Scheduled",
            ),
        )
    if action == "SetChargingProfile" and status == "Accepted":
        installed = InstalledProfile(
            evse_id=request["evseId"],
            profile=profile_from_v201(request["chargingProfile"]),
            source=action,
            charging_limit_source="CSO",
            recorded_at=now,
        )
        return (ProfileInstalled(installed),)
    if action == "ClearChargingProfile" and status == "Accepted":
        criteria = request.get("chargingProfileCriteria") or {}
        purpose = criteria.get("chargingProfilePurpose")
        return (
            ProfilesCleared(
                ProfileCriteria(
                    profile_id=request.get("chargingProfileId"),
                    evse_id=criteria.get("evseId"),
                    purpose=ProfilePurpose(purpose) if purpose else None,
                    stack_level=criteria.get("stackLevel"),
                )
            ),
        )
    return ()
