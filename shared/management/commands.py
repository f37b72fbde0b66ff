"""Commands operators send to stations, and the remote start/stop/reset shortcuts.

The shortcuts are neutral intents: each station's protocol maps them to its own calls
(``shared/ocpp/<version>/mappers.py``); ``send`` takes the station protocol's own action and payload.
"""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING, Any

from shared.domain.commands import Command
from shared.domain.errors import ConflictError, InvalidRequestError
from shared.domain.tenancy import Principal

if TYPE_CHECKING:
    from shared.ocpp.plugin import ResetKind
    from shared.wiring import Platform

_MAX_REMOTE_START_ID = 2**31 - 1


def send(
    platform: Platform, principal: Principal, station_id: str, action: str, payload: dict[str, Any]
) -> Command:
    """A call in the station's own protocol; refused up front (413) if its frame exceeds what a
    WebSocket message to the station can hold."""
    return platform.outbound.send(principal.tenant_id, station_id, action, payload)


def remote_start(
    platform: Platform,
    principal: Principal,
    station_id: str,
    id_token: str,
    evse_id: int | None,
    id_token_type: str | None = None,
) -> Command:
    """2.0.1 carries a remoteStartId that the station echoes in the transaction it starts, which is how
    the session is found again (``station_control.session_started_by``); the token's registered type
    goes with it when the caller gives none."""
    remote_start_id = secrets.randbelow(_MAX_REMOTE_START_ID) + 1
    if id_token_type is None:
        registered = platform.id_tokens.find(principal.tenant_id, id_token)
        id_token_type = registered.type if registered is not None else None
    return platform.outbound.send_intent(
        principal.tenant_id,
        station_id,
        lambda mappers: mappers.remote_start(id_token, evse_id, remote_start_id, id_token_type),
    )


def remote_stop(
    platform: Platform,
    principal: Principal,
    station_id: str,
    *,
    session_id: str | None,
    evse_id: int | None,
) -> Command:
    if session_id is None and evse_id is None:
        raise InvalidRequestError("give sessionId or evseId")
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    if session_id is not None:
        session = platform.sessions.get_for_tenant(principal.tenant_id, session_id)
        if session.station_id != station_id:
            raise InvalidRequestError(f"session {session_id} is not on station {station_id}")
    else:
        assert evse_id is not None
        found = platform.sessions.find_active(station_id, station.registration_id, evse_id)
        if found is None:
            raise ConflictError(f"no active session on EVSE {evse_id} of station {station_id}")
        session = found
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda mappers: mappers.remote_stop(session)
    )


def reset(
    platform: Platform, principal: Principal, station_id: str, kind: ResetKind, evse_id: int | None = None
) -> Command:
    """A whole station, or (2.0.1 only) one EVSE."""
    return platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda mappers: mappers.reset(kind, evse_id)
    )


def list_for_station(platform: Platform, principal: Principal, station_id: str, limit: int) -> list[Command]:
    platform.stations.get_for_tenant(principal.tenant_id, station_id)
    return [
        command
        for command in platform.commands.list_for_station(station_id, limit)
        if command.tenant_id == principal.tenant_id
    ]
