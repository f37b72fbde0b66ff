"""Commands operators send to stations, and the remote start/stop/reset shortcuts."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from shared.domain.commands import Command
from shared.domain.errors import ConflictError, DomainError, InvalidRequestError
from shared.domain.tenancy import Principal

if TYPE_CHECKING:
    from shared.wiring import Platform

WEBSOCKET_MESSAGE_LIMIT_BYTES = 128 * 1024
"""API Gateway closes a WebSocket (code 1009) on a message over 128 KB, and @connections refuses to
post one: a command whose frame is bigger can never reach the charger."""

_LONGEST_MESSAGE_ID = "00000000-0000-0000-0000-000000000000"


class CommandTooLargeError(DomainError):
    pass


def frame_size(action: str, payload: dict[str, Any]) -> int:
    """Bytes of the CALL frame as the outbound pipeline writes it (compact JSON, ASCII escapes)."""
    return len(json.dumps([2, _LONGEST_MESSAGE_ID, action, payload], separators=(",", ":")))


def send(
    platform: Platform, principal: Principal, station_id: str, action: str, payload: dict[str, Any]
) -> Command:
    size = frame_size(action, payload)
    if size > WEBSOCKET_MESSAGE_LIMIT_BYTES:
        raise CommandTooLargeError(
            f"payload: the {action} frame would be {size} bytes; API Gateway's WebSocket message limit "
            f"is {WEBSOCKET_MESSAGE_LIMIT_BYTES} bytes (128 KB)"
        )
    # Imported here: the ocpp package's schemas (jsonschema) cost cold start that only commands need.
    from shared.ocpp import outbound

    return outbound.send_command(platform, principal.tenant_id, station_id, action, payload)


# --- OCPP 1.6 payloads of the shortcuts (one function each; they move to the 1.6 mappers) -----------


def remote_start_payload_v16(id_token: str, evse_id: int | None) -> dict[str, Any]:
    payload: dict[str, Any] = {"idTag": id_token}
    if evse_id is not None:
        payload["connectorId"] = evse_id
    return payload


def remote_stop_payload_v16(transaction_id: str) -> dict[str, Any]:
    if not transaction_id.isdigit():
        raise InvalidRequestError("this session's transaction id is not an OCPP 1.6 transaction id")
    return {"transactionId": int(transaction_id)}


def reset_payload_v16(reset_type: Literal["Soft", "Hard"]) -> dict[str, Any]:
    return {"type": reset_type}


# --- the shortcuts ---------------------------------------------------------------------------------


def remote_start(
    platform: Platform, principal: Principal, station_id: str, id_token: str, evse_id: int | None
) -> Command:
    return send(
        platform, principal, station_id, "RemoteStartTransaction", remote_start_payload_v16(id_token, evse_id)
    )


def remote_stop(
    platform: Platform,
    principal: Principal,
    station_id: str,
    *,
    session_id: str | None,
    evse_id: int | None,
) -> Command:
    if session_id is not None:
        session = platform.sessions.get_for_tenant(principal.tenant_id, session_id)
        if session.station_id != station_id:
            raise InvalidRequestError(f"session {session_id} is not on station {station_id}")
    elif evse_id is not None:
        platform.stations.get_for_tenant(principal.tenant_id, station_id)
        found = platform.sessions.active_for_evse(station_id, evse_id)
        if found is None:
            raise ConflictError(f"no active session on EVSE {evse_id} of station {station_id}")
        session = found
    else:
        raise InvalidRequestError("give sessionId or evseId")
    return send(
        platform,
        principal,
        station_id,
        "RemoteStopTransaction",
        remote_stop_payload_v16(session.transaction_id),
    )


def reset(
    platform: Platform, principal: Principal, station_id: str, reset_type: Literal["Soft", "Hard"]
) -> Command:
    return send(platform, principal, station_id, "Reset", reset_payload_v16(reset_type))


def list_for_station(platform: Platform, principal: Principal, station_id: str, limit: int) -> list[Command]:
    platform.stations.get_for_tenant(principal.tenant_id, station_id)
    return [
        command
        for command in platform.commands.list_for_station(station_id, limit)
        if command.tenant_id == principal.tenant_id
    ]
