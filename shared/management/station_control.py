"""The daily work on a station, whatever protocol it speaks: availability, unlock, trigger a message,
clear its cache, vendor data, firmware, logs, charging-profile transport — each a neutral intent that
the station's protocol maps to its own call (``shared/ocpp/<version>/mappers.py``)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from shared.domain.charging_profiles import (
    ChargingProfile,
    CompositeScheduleQuery,
    InstalledProfile,
    ProfileCriteria,
)
from shared.domain.commands import Command
from shared.domain.errors import NotFoundError
from shared.domain.firmware import FirmwareUpdate, LogUpload
from shared.domain.sessions import Session
from shared.domain.stations import station_key
from shared.domain.tenancy import Principal

if TYPE_CHECKING:
    from shared.ocpp.plugin import TriggerableMessage
    from shared.wiring import Platform

_MAX_REQUEST_ID = 2**31 - 1
_REMOTE_START_ACTIONS = frozenset({"RemoteStartTransaction", "RequestStartTransaction"})
_CORRELATION_WINDOW = timedelta(minutes=10)


def new_request_id() -> int:
    """A 2.0.1 requestId (GetBaseReport, GetLog, UpdateFirmware...): echoed in the station's follow-ups."""
    return secrets.randbelow(_MAX_REQUEST_ID) + 1


def change_availability(
    platform: Platform,
    principal: Principal,
    station_id: str,
    operative: bool,
    evse_id: int | None,
    connector_id: int | None,
) -> Command:
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.change_availability(operative, evse_id, connector_id)
    )


def unlock(
    platform: Platform, principal: Principal, station_id: str, evse_id: int, connector_id: int | None
) -> Command:
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.unlock(evse_id, connector_id)
    )


def trigger(
    platform: Platform,
    principal: Principal,
    station_id: str,
    message: TriggerableMessage,
    evse_id: int | None,
    connector_id: int | None,
) -> Command:
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.trigger_message(message, evse_id, connector_id)
    )


def clear_cache(platform: Platform, principal: Principal, station_id: str) -> Command:
    return platform.outbound.send_intent(principal.tenant_id, station_id, lambda m: m.clear_cache())


def data_transfer(
    platform: Platform,
    principal: Principal,
    station_id: str,
    vendor_id: str,
    message_id: str | None,
    data: Any,
) -> Command:
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.data_transfer(vendor_id, message_id, data)
    )


def update_firmware(
    platform: Platform, principal: Principal, station_id: str, update: FirmwareUpdate
) -> Command:
    return platform.outbound.send_intent(principal.tenant_id, station_id, lambda m: m.update_firmware(update))


def upload_log(platform: Platform, principal: Principal, station_id: str, upload: LogUpload) -> Command:
    return platform.outbound.send_intent(principal.tenant_id, station_id, lambda m: m.upload_log(upload))


def set_charging_profile(
    platform: Platform, principal: Principal, station_id: str, evse_id: int, profile: ChargingProfile
) -> Command:
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.set_charging_profile(evse_id, profile)
    )


def clear_charging_profile(
    platform: Platform, principal: Principal, station_id: str, criteria: ProfileCriteria
) -> Command:
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.clear_charging_profile(criteria)
    )


def request_charging_profiles(
    platform: Platform, principal: Principal, station_id: str, criteria: ProfileCriteria
) -> Command:
    request_id = new_request_id()
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.get_charging_profiles(request_id, criteria)
    )


def composite_schedule(
    platform: Platform, principal: Principal, station_id: str, query: CompositeScheduleQuery
) -> Command:
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda m: m.get_composite_schedule(query)
    )


def installed_profiles(platform: Platform, principal: Principal, station_id: str) -> list[InstalledProfile]:
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    return platform.charging_profiles.list(station_key(station.station_id, station.registration_id))


def session_started_by(platform: Platform, principal: Principal, command_id: str) -> Session:
    """The session a remote start began: by its remoteStartId (2.0.1), or (1.6, which has none) the first
    session with its token on its EVSE that started after the call."""
    command = platform.commands.get_for_tenant(principal.tenant_id, command_id)
    if command.action not in _REMOTE_START_ACTIONS:
        raise NotFoundError(f"command {command_id} is no remote start")
    station = platform.stations.get_for_tenant(principal.tenant_id, command.station_id)
    candidates = platform.sessions.started_since(command.station_id, command.created_at - _CORRELATION_WINDOW)
    remote_start_id = command.payload.get("remoteStartId")
    token = command.payload.get("idTag") or (command.payload.get("idToken") or {}).get("idToken")
    evse = command.payload.get("connectorId", command.payload.get("evseId"))
    for session in candidates:
        if session.registration_id != station.registration_id or session.tenant_id != principal.tenant_id:
            continue
        if remote_start_id is not None and session.remote_start_id == remote_start_id:
            return session
        if (
            remote_start_id is None
            and session.started_at >= command.created_at - timedelta(seconds=60)
            and session.id_token is not None
            and token is not None
            and session.id_token.upper() == str(token).upper()
            and (evse is None or session.evse_id == evse)
        ):
            return session
    raise NotFoundError(f"no session started by command {command_id} (yet)")
