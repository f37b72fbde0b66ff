"""Commands operators send to stations, and the remote start/stop/reset shortcuts."""

from __future__ import annotations

import secrets
from typing import Any

from shared.api.schemas import CommandView, RemoteStart, RemoteStop
from shared.domain.commands import Command
from shared.domain.errors import ConflictError, InvalidRequestError
from shared.domain.tenancy import Principal
from shared.ocpp.plugin import ResetKind
from shared.wiring import Platform


def command_view(platform: Platform, command: Command) -> CommandView:
    return CommandView(
        command_id=command.command_id,
        station_id=command.station_id,
        action=command.action,
        payload=command.payload,
        status=command.effective_status(platform.clock()),
        response=command.response,
        error=command.error.to_document() if command.error else None,
        created_at=command.created_at,
        completed_at=command.completed_at,
    )


def send(
    platform: Platform, principal: Principal, station_id: str, action: str, payload: dict[str, Any]
) -> CommandView:
    """A call in the station's own protocol (its action names and payload shapes)."""
    principal.require_write()
    return command_view(platform, platform.outbound.send(principal.tenant_id, station_id, action, payload))


def remote_start(
    platform: Platform, principal: Principal, station_id: str, request: RemoteStart
) -> CommandView:
    principal.require_write()
    remote_start_id = secrets.randbelow(2**31 - 1) + 1
    command = platform.outbound.send_intent(
        principal.tenant_id,
        station_id,
        lambda mappers: mappers.remote_start(request.id_token, request.evse_id, remote_start_id),
    )
    return command_view(platform, command)


def remote_stop(
    platform: Platform, principal: Principal, station_id: str, request: RemoteStop
) -> CommandView:
    principal.require_write()
    if request.session_id is None and request.evse_id is None:
        raise InvalidRequestError("give sessionId or evseId")
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    if request.session_id is not None:
        session = platform.sessions.get_for_tenant(principal.tenant_id, request.session_id)
        if session.station_id != station_id:
            raise InvalidRequestError(f"session {request.session_id} is not on station {station_id}")
    else:
        assert request.evse_id is not None
        found = platform.sessions.find_active(station_id, station.registration_id, request.evse_id)
        if found is None:
            raise ConflictError(f"no active session on EVSE {request.evse_id} of station {station_id}")
        session = found
    command = platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda mappers: mappers.remote_stop(session)
    )
    return command_view(platform, command)


def reset(platform: Platform, principal: Principal, station_id: str, kind: ResetKind) -> CommandView:
    principal.require_write()
    command = platform.outbound.send_intent(
        principal.tenant_id, station_id, lambda mappers: mappers.reset(kind, None)
    )
    return command_view(platform, command)
