"""Commands operators send to stations, and the remote start/stop/reset shortcuts."""

from __future__ import annotations

from typing import Any

from shared.api.schemas import CommandView, RemoteStart, RemoteStop
from shared.domain.commands import Command
from shared.domain.errors import ConflictError, InvalidRequestError
from shared.domain.tenancy import Principal
from shared.ocpp import outbound
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
    principal.require_write()
    return command_view(
        platform, outbound.send_command(platform, principal.tenant_id, station_id, action, payload)
    )


def remote_start(
    platform: Platform, principal: Principal, station_id: str, request: RemoteStart
) -> CommandView:
    payload: dict[str, Any] = {"idTag": request.id_token}
    if request.evse_id is not None:
        payload["connectorId"] = request.evse_id
    return send(platform, principal, station_id, "RemoteStartTransaction", payload)


def remote_stop(
    platform: Platform, principal: Principal, station_id: str, request: RemoteStop
) -> CommandView:
    principal.require_write()
    if request.session_id is not None:
        session = platform.sessions.get_for_tenant(principal.tenant_id, request.session_id)
        if session.station_id != station_id:
            raise InvalidRequestError(f"session {request.session_id} is not on station {station_id}")
    elif request.evse_id is not None:
        platform.stations.get_for_tenant(principal.tenant_id, station_id)
        found = platform.sessions.active_for_evse(station_id, request.evse_id)
        if found is None:
            raise ConflictError(f"no active session on EVSE {request.evse_id} of station {station_id}")
        session = found
    else:
        raise InvalidRequestError("give sessionId or evseId")
    if not session.transaction_id.isdigit():
        raise InvalidRequestError("this session's transaction id is not an OCPP 1.6 transaction id")
    return send(
        platform,
        principal,
        station_id,
        "RemoteStopTransaction",
        {"transactionId": int(session.transaction_id)},
    )
