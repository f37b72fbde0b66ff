"""The one pipeline for CSMS-initiated calls.

Send: validate the payload, write a pending command (its id is the CALL's message id), post the frame
through @connections. Complete: when the station's CALLRESULT or CALLERROR arrives — in another Lambda
invocation — find the command by message id and record the outcome. Everything that later sends calls
(smart charging, firmware campaigns, workflows) goes through here.
"""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallResult, MessageType, _validate_payload

from shared.domain.commands import Command, CommandError, CommandStatus, status_from_call_result
from shared.domain.errors import ConflictError, InvalidRequestError
from shared.domain.stations import StationContext
from shared.gateway.connections import SendFailedError, StationUnreachableError
from shared.observability import logger
from shared.ocpp.protocols import protocol_for
from shared.wiring import Platform


def send_command(
    platform: Platform, tenant_id: str, station_id: str, action: str, payload: dict[str, Any]
) -> Command:
    station = platform.stations.get_for_tenant(tenant_id, station_id)
    now = platform.clock()
    protocol_name = station.connection.protocol if station.connection else "ocpp1.6"
    protocol = protocol_for(protocol_name)
    if action not in protocol.csms_initiated_actions:
        raise InvalidRequestError(
            f"{action} is not a call the CSMS can send over {protocol_name}; "
            f"one of: {', '.join(sorted(protocol.csms_initiated_actions))}"
        )
    command_id = str(uuid.uuid4())
    call = Call(command_id, action, payload)
    try:
        _validate_payload(call, protocol.ocpp_version)
    except OCPPError as error:
        cause = (error.details or {}).get("cause", error.description)
        raise InvalidRequestError(f"payload is not a valid {action} request: {cause}") from error
    retention = platform.settings.command_retention_days * 24 * 3600
    command = Command(
        command_id=command_id,
        tenant_id=tenant_id,
        station_id=station_id,
        action=action,
        payload=payload,
        protocol=protocol_name,
        status=CommandStatus.PENDING if station.connection else CommandStatus.OFFLINE,
        created_at=now,
        timeout_at=now + timedelta(seconds=platform.settings.command_timeout_seconds),
        completed_at=None if station.connection else now,
        expires_at=int(now.timestamp()) + retention,
    )
    # The record exists before the frame leaves, so even an instant answer finds it.
    platform.commands.create(command)
    if station.connection is None:
        return command
    if platform.connections is None:
        raise ConflictError(
            "this deployment has no Management API endpoint configured (MANAGEMENT_API_ENDPOINT)"
        )
    frame = json.dumps([MessageType.Call, command_id, action, payload], separators=(",", ":"))
    try:
        platform.connections.post_frame(station.connection.connection_id, frame)
    except StationUnreachableError:
        platform.stations.clear_connection(station_id, station.connection.connection_id, now)
        return _finish(platform, command, CommandStatus.OFFLINE, None)
    except SendFailedError as error:
        return _finish(
            platform, command, CommandStatus.FAILED, CommandError(code=error.code, description=str(error))
        )
    return command


def _finish(
    platform: Platform, command: Command, status: CommandStatus, error: CommandError | None
) -> Command:
    completed = platform.commands.complete(
        command.command_id, command.station_id, status, platform.clock(), error=error
    )
    return completed or command


def complete_from_call_result(platform: Platform, station: StationContext, result: CallResult) -> None:
    command = platform.commands.get(result.unique_id)
    if command is None or command.station_id != station.station_id:
        logger.warning("answer to an unknown call", extra={"messageId": result.unique_id})
        return
    protocol = protocol_for(command.protocol)
    status = status_from_call_result(result.payload)
    error = None
    try:
        _validate_payload(CallResult(result.unique_id, result.payload, command.action), protocol.ocpp_version)
    except OCPPError as validation_error:
        status = CommandStatus.FAILED
        error = CommandError(
            code=protocol.error_code(validation_error.code),
            description="the station's answer does not match the OCPP schema",
            details={"cause": str((validation_error.details or {}).get("cause", ""))[:200]},
        )
    platform.commands.complete(
        command.command_id, station.station_id, status, platform.clock(), response=result.payload, error=error
    )


def complete_from_call_error(
    platform: Platform,
    station: StationContext,
    message_id: str,
    code: str,
    description: str,
    details: dict[str, Any],
) -> None:
    completed = platform.commands.complete(
        message_id,
        station.station_id,
        CommandStatus.FAILED,
        platform.clock(),
        error=CommandError(code=code, description=description, details=details or None),
    )
    if completed is None:
        logger.warning("error answer to an unknown call", extra={"messageId": message_id, "code": code})
