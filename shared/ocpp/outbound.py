"""The one pipeline for CSMS-initiated calls.

Send: map the intent to the station's protocol, validate the payload, write a pending command (its id is
the CALL's message id), post the frame through @connections. Complete: when the station's CALLRESULT or
CALLERROR arrives — in another Lambda invocation — find the command by message id and record the outcome,
once: the first answer wins, later ones are kept as ignored. Every outcome (accepted, rejected, failed,
offline, timeout) publishes ``CommandCompleted`` and, when a Step Functions execution waits on the command
(its task token), resumes it. Everything that sends calls — the operator API, workflows, the allocator —
goes through here.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ocpp.exceptions import OCPPError
from ocpp.messages import CallResult, MessageType

from shared.domain.commands import Command, CommandError, CommandStatus
from shared.domain.errors import ConflictError, InvalidRequestError, PayloadTooLargeError
from shared.domain.events import CommandCompleted
from shared.domain.stations import Station, StationContext
from shared.observability import logger
from shared.ocpp.dispatch import check_storable, validate_payload
from shared.ocpp.plugin import OutboundCall, OutboundMappers, ProtocolPlugin
from shared.ocpp.protocols import entries, plugin_for
from shared.ports import (
    Clock,
    CommandStore,
    EventPublisher,
    FramePoster,
    SendFailedError,
    StationStore,
    StationUnreachableError,
    WorkflowCallbacks,
)
from shared.settings import Settings

MAX_FRAME_BYTES = 128 * 1024
"""API Gateway's WebSocket message limit: a bigger call would close the station's socket (1009)."""

Intent = Callable[[OutboundMappers], OutboundCall]


class OutboundCommands:
    def __init__(
        self,
        stations: StationStore,
        commands: CommandStore,
        connections: FramePoster | None,
        events: EventPublisher,
        workflows: WorkflowCallbacks | None,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._stations = stations
        self._commands = commands
        self._connections = connections
        self._events = events
        self._workflows = workflows
        self._settings = settings
        self._clock = clock

    # --- send -------------------------------------------------------------------------------------

    def send(
        self,
        tenant_id: str,
        station_id: str,
        action: str,
        payload: dict[str, Any],
        task_token: str | None = None,
    ) -> Command:
        """A call in the station's own protocol (its action names and payload shapes)."""
        station = self._stations.get_for_tenant(tenant_id, station_id)
        return self._send(station, OutboundCall(action, payload), task_token)

    def send_intent(
        self, tenant_id: str, station_id: str, intent: Intent, task_token: str | None = None
    ) -> Command:
        """A neutral intent (remote start, reset, ...), mapped by the station's protocol."""
        station = self._stations.get_for_tenant(tenant_id, station_id)
        protocol = station.protocol
        if protocol is None:
            # Never connected: its protocol is unknown, and nothing could be sent anyway.
            return self._record_offline(station, intent(_NEUTRAL_MAPPERS), task_token)
        return self._send(station, intent(plugin_for(protocol).mappers), task_token)

    def _send(self, station: Station, call: OutboundCall, task_token: str | None) -> Command:
        protocol = station.protocol
        if protocol is None:
            _check_in_some_protocol(call)
            return self._record_offline(station, call, task_token)
        plugin = plugin_for(protocol)
        _check_call(plugin, call)
        now = self._clock()
        command = self._new_command(station, call, protocol, task_token)
        if station.connection is None:
            command = command.model_copy(update={"status": CommandStatus.OFFLINE, "completed_at": now})
        # The record exists before the frame leaves, so even an instant answer finds it.
        self._commands.create(command)
        if station.connection is None:
            self._announce(command)
            return command
        if self._connections is None:
            raise ConflictError(
                "this deployment has no Management API endpoint configured (MANAGEMENT_API_ENDPOINT)"
            )
        frame = json.dumps(
            [MessageType.Call, command.command_id, call.action, call.payload], separators=(",", ":")
        )
        try:
            self._connections.post_frame(station.connection.connection_id, frame)
        except StationUnreachableError:
            self._stations.clear_connection(station.station_id, station.connection.connection_id, now)
            return self._finish(command, CommandStatus.OFFLINE, None, None)
        except SendFailedError as error:
            return self._finish(
                command, CommandStatus.FAILED, None, CommandError(code=error.code, description=str(error))
            )
        return command

    def _new_command(
        self, station: Station, call: OutboundCall, protocol: str | None, task_token: str | None
    ) -> Command:
        now = self._clock()
        retention = self._settings.command_retention_days * 24 * 3600
        return Command(
            command_id=str(uuid.uuid4()),
            tenant_id=station.tenant_id,
            station_id=station.station_id,
            registration_id=station.registration_id,
            action=call.action,
            payload=call.payload,
            protocol=protocol,
            created_at=now,
            timeout_at=now + timedelta(seconds=self._settings.command_timeout_seconds),
            expires_at=int(now.timestamp()) + retention,
            task_token=task_token,
        )

    def _record_offline(self, station: Station, call: OutboundCall, task_token: str | None) -> Command:
        command = self._new_command(station, call, None, task_token).model_copy(
            update={"status": CommandStatus.OFFLINE, "completed_at": self._clock()}
        )
        self._commands.create(command)
        self._announce(command)
        return command

    # --- complete ---------------------------------------------------------------------------------

    def complete_from_call_result(self, station: StationContext, result: CallResult) -> None:
        command = self._commands.get(result.unique_id)
        if command is None or command.station_id != station.station_id:
            logger.warning("answer to an unknown call", extra={"messageId": result.unique_id[:36]})
            return
        plugin = plugin_for(command.protocol or station.protocol)
        error = None
        try:
            check_storable(result.payload)
            validate_payload(plugin, MessageType.CallResult, command.action, result.payload)
            status = plugin.interpret_result(command.action, result.payload)
            response: dict[str, Any] | None = result.payload
        except OCPPError as validation_error:
            status, response = CommandStatus.FAILED, None
            error = CommandError(
                code=plugin.error_code(validation_error.code),
                description="the station's answer does not match the OCPP schema",
                details={"cause": str((validation_error.details or {}).get("cause", ""))[:200]},
            )
        self._finish(command, status, response, error, answer={"result": response} if response else None)

    def complete_from_call_error(
        self, station: StationContext, message_id: str, code: str, description: str, details: dict[str, Any]
    ) -> None:
        command = self._commands.get(message_id)
        if command is None or command.station_id != station.station_id:
            logger.warning(
                "error answer to an unknown call", extra={"messageId": message_id[:36], "code": code[:40]}
            )
            return
        try:
            check_storable(details)
        except OCPPError:
            details = {}
        error = CommandError(code=code[:64], description=description[:500], details=details or None)
        self._finish(command, CommandStatus.FAILED, None, error, answer={"error": error.to_document()})

    def expire_overdue(self, limit: int = 500) -> list[Command]:
        """Records ``timeout`` for pending commands whose answer is overdue, so that their workflows resume
        and CommandCompleted is published (the scheduled sweep calls this every minute). A reading in
        between shows ``timeout`` already (``Command.effective_status``)."""
        expired = []
        for command in self._commands.overdue(self._clock(), limit):
            completed = self._commands.complete(
                command.command_id, command.station_id, CommandStatus.TIMEOUT, self._clock()
            )
            if completed is not None:  # an answer may have won the race
                self._announce(completed)
                expired.append(completed)
        return expired

    def _finish(
        self,
        command: Command,
        status: CommandStatus,
        response: dict[str, Any] | None,
        error: CommandError | None,
        answer: dict[str, Any] | None = None,
    ) -> Command:
        completed = self._commands.complete(
            command.command_id, command.station_id, status, self._clock(), response=response, error=error
        )
        if completed is None:
            # Not pending any more: the first outcome stands; keep this one for support.
            logger.info(
                "later answer ignored", extra={"commandId": command.command_id, "status": status.value}
            )
            self._commands.record_ignored_answer(
                command.command_id, command.station_id, {"status": status.value, **(answer or {})}
            )
            return command
        self._announce(completed)
        return completed

    def _announce(self, command: Command) -> None:
        self._events.publish(
            [
                CommandCompleted(
                    tenant_id=command.tenant_id,
                    station_id=command.station_id,
                    occurred_at=command.completed_at or self._clock(),
                    command_id=command.command_id,
                    action=command.action,
                    status=command.status,
                    response=command.response,
                    error=command.error,
                )
            ]
        )
        if command.task_token and self._workflows is not None:
            outcome = {
                "commandId": command.command_id,
                "action": command.action,
                "status": command.status.value,
                "response": command.response,
                "error": command.error.to_document() if command.error else None,
            }
            # The execution decides what a rejection means; only a call that never got an answer fails it.
            if command.status in (CommandStatus.ACCEPTED, CommandStatus.REJECTED, CommandStatus.FAILED):
                self._workflows.succeed(command.task_token, outcome)
            else:
                self._workflows.fail(
                    command.task_token, f"Command.{command.status.value.capitalize()}", json.dumps(outcome)
                )


def _check_call(plugin: ProtocolPlugin, call: OutboundCall) -> None:
    if call.action not in plugin.csms_initiated_actions:
        raise InvalidRequestError(
            f"action: {call.action} is not a call the CSMS can send over {plugin.subprotocol}; "
            f"one of: {', '.join(sorted(plugin.csms_initiated_actions))}"
        )
    try:
        check_storable(call.payload)
        validate_payload(plugin, MessageType.Call, call.action, call.payload)
    except OCPPError as error:
        cause = (error.details or {}).get("cause", error.description)
        raise InvalidRequestError(f"payload is not a valid {call.action} request: {cause}") from error
    size = len(
        json.dumps([2, str(uuid.UUID(int=0)), call.action, call.payload], separators=(",", ":")).encode()
    )
    if size > MAX_FRAME_BYTES:
        raise PayloadTooLargeError(
            f"payload: the call would be {size} bytes; a WebSocket message to a station holds at most "
            f"{MAX_FRAME_BYTES} bytes"
        )


def _check_in_some_protocol(call: OutboundCall) -> None:
    """For a station that never connected (its protocol is unknown): valid in at least one version."""
    problem: InvalidRequestError | None = None
    for entry in entries():
        try:
            _check_call(plugin_for(entry.subprotocol), call)
        except InvalidRequestError as error:
            problem = problem or error
        else:
            return
    raise problem or InvalidRequestError(f"action: {call.action} is not a call the CSMS can send")


class _NeutralMappers:
    """Records an intent for a station that never connected (no protocol to map it to)."""

    def remote_start(self, id_token: str, evse_id: int | None, remote_start_id: int) -> OutboundCall:
        return OutboundCall("RemoteStart", {"idToken": id_token, "evseId": evse_id})

    def remote_stop(self, session: Any) -> OutboundCall:
        return OutboundCall("RemoteStop", {"sessionId": session.session_id})

    def reset(self, kind: str, evse_id: int | None) -> OutboundCall:
        return OutboundCall("Reset", {"type": kind, "evseId": evse_id})

    def set_charging_profile(self, profile: Any) -> OutboundCall:
        return OutboundCall(
            "SetChargingProfile", {"evseId": profile.evse_id, "profileId": profile.profile_id}
        )

    def clear_charging_profile(
        self,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: Any = None,
        stack_level: int | None = None,
    ) -> OutboundCall:
        return OutboundCall("ClearChargingProfile", {"profileId": profile_id, "evseId": evse_id})

    def request_charging_capabilities(self) -> OutboundCall:
        return OutboundCall("GetChargingCapabilities", {})


_NEUTRAL_MAPPERS = _NeutralMappers()
