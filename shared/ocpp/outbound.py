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

from shared.charging.command_effects import CommandEffects
from shared.domain.commands import Command, CommandError, CommandStatus
from shared.domain.errors import ConflictError, InvalidRequestError, PayloadTooLargeError
from shared.domain.events import CommandCompleted
from shared.domain.stations import RegistrationPolicy, Station, StationContext, station_key
from shared.observability import logger
from shared.ocpp.dispatch import check_storable, validate_payload
from shared.ocpp.plugin import OutboundCall, OutboundMappers, ProtocolPlugin
from shared.ocpp.protocols import entries, plugin_for
from shared.ports import (
    Clock,
    CommandStore,
    EventPublisher,
    FramePoster,
    OutboundLanes,
    SendFailedError,
    StationStore,
    StationUnreachableError,
    WorkflowCallbacks,
)
from shared.settings import Settings

MAX_FRAME_BYTES = 128 * 1024
"""API Gateway's WebSocket message limit: a bigger call would close the station's socket (1009)."""

Intent = Callable[[OutboundMappers], OutboundCall]
Intents = Callable[[OutboundMappers], list[OutboundCall]]
_MAX_DRAIN = 128


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
        lanes: OutboundLanes | None = None,
        effects: CommandEffects | None = None,
    ) -> None:
        self._stations = stations
        self._commands = commands
        self._connections = connections
        self._events = events
        self._workflows = workflows
        self._settings = settings
        self._clock = clock
        self._lanes = lanes
        self._effects = effects

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
        self,
        tenant_id: str,
        station_id: str,
        intent: Intent,
        task_token: str | None = None,
        *,
        command_id: str | None = None,
    ) -> Command:
        """A neutral intent (remote start, reset, ...), mapped by the station's protocol. ``command_id``:
        the caller's own (a new UUID), for a caller that records the call before it leaves."""
        station = self._stations.get_for_tenant(tenant_id, station_id)
        protocol = station.protocol
        if protocol is None:
            # Never connected: its protocol is unknown, and nothing could be sent anyway.
            return self._record_offline(station, intent(_NEUTRAL_MAPPERS), task_token, command_id)
        return self._send(station, intent(plugin_for(protocol).mappers), task_token, command_id)

    def check_intent(self, tenant_id: str, station_id: str, intent: Intent) -> None:
        """Raises what ``send_intent`` would (the protocol cannot express it, the payload is invalid),
        without sending: for what must be stored before its call leaves (a reservation)."""
        station = self._stations.get_for_tenant(tenant_id, station_id)
        if station.protocol is not None:
            plugin = plugin_for(station.protocol)
            _check_call(plugin, intent(plugin.mappers))

    def send_intents(self, tenant_id: str, station_id: str, intents: Intents) -> list[Command]:
        """An intent that some protocol expresses as several calls (1.6 ChangeConfiguration changes one
        key per call): one command per call, sent one after the other through the station's lane."""
        station = self._stations.get_for_tenant(tenant_id, station_id)
        protocol = station.protocol
        if protocol is None:
            return [self._record_offline(station, call, None) for call in intents(_NEUTRAL_MAPPERS)]
        calls = intents(plugin_for(protocol).mappers)
        plugin = plugin_for(protocol)
        for call in calls:
            _check_call(plugin, call)  # all valid before any is sent
        return [self._send(station, call, None) for call in calls]

    def _send(
        self, station: Station, call: OutboundCall, task_token: str | None, command_id: str | None = None
    ) -> Command:
        protocol = station.protocol
        if protocol is None:
            _check_in_some_protocol(call)
            return self._record_offline(station, call, task_token, command_id)
        plugin = plugin_for(protocol)
        _check_call(plugin, call)
        _check_registration(plugin, station, call)
        now = self._clock()
        command = self._new_command(station, call, protocol, task_token, command_id)
        if station.connection is None:
            command = command.model_copy(update={"status": CommandStatus.OFFLINE, "completed_at": now})
            self._commands.create(command)
            self._announce(command)
            return command
        if self._connections is None:
            self._commands.create(command)
            raise ConflictError(
                "this deployment has no Management API endpoint configured (MANAGEMENT_API_ENDPOINT)"
            )
        connection_id = station.connection.connection_id
        if self._lanes is None:
            self._commands.create(command)
            return self._post(station.station_id, connection_id, command)
        lane = station_key(station.station_id, station.registration_id)
        if self._lanes.try_acquire(lane, command.command_id, command.timeout_at, now):
            # The record exists before the frame leaves, so even an instant answer finds it.
            self._commands.create(command)
            return self._post(station.station_id, connection_id, command)
        # Another call is in flight: this one waits its turn (OCPP-J: one CALL at a time per station).
        queued = command.model_copy(
            update={
                "status": CommandStatus.QUEUED,
                "timeout_at": now + timedelta(seconds=self._settings.command_queue_seconds),
            }
        )
        self._commands.create(queued)
        try:
            self._lanes.enqueue(lane, queued.command_id)
        except ConflictError:
            self._commands.complete(
                queued.command_id,
                station.station_id,
                CommandStatus.FAILED,
                now,
                error=CommandError(code="QueueFull", description="too many calls waiting for this station"),
            )
            raise
        # The lane may have been released between the attempt above and the enqueue: take it if so.
        self._drain(lane, station.station_id, connection_id)
        return self._commands.get(queued.command_id) or queued

    def _post(self, station_id: str, connection_id: str, command: Command, drain: bool = True) -> Command:
        assert self._connections is not None
        frame = json.dumps(
            [MessageType.Call, command.command_id, command.action, command.payload], separators=(",", ":")
        )
        try:
            self._connections.post_frame(connection_id, frame)
        except StationUnreachableError:
            self._stations.clear_connection(station_id, connection_id, self._clock())
            return self._finish(command, CommandStatus.OFFLINE, None, None, connection_id=None, drain=drain)
        except SendFailedError as error:
            return self._finish(
                command,
                CommandStatus.FAILED,
                None,
                CommandError(code=error.code, description=str(error)),
                connection_id=connection_id,
                drain=drain,
            )
        return command

    def _drain(self, lane: str, station_id: str, connection_id: str | None) -> None:
        """Sends the next queued calls while the lane is free: the first one sent successfully holds it
        until its answer (whose completion drains again)."""
        assert self._lanes is not None
        for _ in range(_MAX_DRAIN):
            now = self._clock()
            until = now + timedelta(seconds=self._settings.command_timeout_seconds)
            taken = self._lanes.take_next(lane, until, now)
            if taken is None:
                return
            sent = self._commands.mark_sent(taken, until, now)
            if sent is None:  # it timed out while it waited: skip it
                if not self._lanes.release(lane, taken):
                    return
                continue
            if connection_id is None:
                self._finish(sent, CommandStatus.OFFLINE, None, None, drain=False)
                continue
            posted = self._post(station_id, connection_id, sent, drain=False)
            if posted.status is CommandStatus.PENDING:
                return
            if posted.status is CommandStatus.OFFLINE:
                connection_id = None

    def _new_command(
        self,
        station: Station,
        call: OutboundCall,
        protocol: str | None,
        task_token: str | None,
        command_id: str | None = None,
    ) -> Command:
        now = self._clock()
        retention = self._settings.command_retention_days * 24 * 3600
        return Command(
            command_id=command_id or str(uuid.uuid4()),
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

    def _record_offline(
        self, station: Station, call: OutboundCall, task_token: str | None, command_id: str | None = None
    ) -> Command:
        command = self._new_command(station, call, None, task_token, command_id).model_copy(
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
        self._finish(
            command,
            status,
            response,
            error,
            answer={"result": response} if response else None,
            connection_id=station.connection_id,
        )

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
        self._finish(
            command,
            CommandStatus.FAILED,
            None,
            error,
            answer={"error": error.to_document()},
            connection_id=station.connection_id,
        )

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
                if command.status is CommandStatus.PENDING:
                    self._release_lane(completed, connection_id=None, drain=True)
        return expired

    def _finish(
        self,
        command: Command,
        status: CommandStatus,
        response: dict[str, Any] | None,
        error: CommandError | None,
        answer: dict[str, Any] | None = None,
        connection_id: str | None = None,
        drain: bool = True,
    ) -> Command:
        if response is not None and command.status is CommandStatus.PENDING:
            # Before the outcome is recorded, so whoever sees it also sees what it changed (a stored
            # variable, a confirmed reservation). A second answer racing this one may apply the same
            # effects again: they are idempotent.
            self._apply_effects(command, response)
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
        if command.status is CommandStatus.PENDING:
            self._release_lane(completed, connection_id, drain)
        return completed

    def _release_lane(self, command: Command, connection_id: str | None, drain: bool) -> None:
        if self._lanes is None or command.registration_id is None:
            return
        lane = station_key(command.station_id, command.registration_id)
        if not self._lanes.release(lane, command.command_id) or not drain:
            return
        if connection_id is None:
            station = self._stations.get(command.station_id)
            if station is None or station.registration_id != command.registration_id:
                return
            connection_id = station.connection.connection_id if station.connection else None
        self._drain(lane, command.station_id, connection_id)

    def _apply_effects(self, command: Command, response: dict[str, Any]) -> None:
        """What the answer changes in the station's stored picture (its variables, list, reservations...).
        A failure here must not lose the outcome, which is already recorded: it is logged."""
        if self._effects is None or command.registration_id is None or command.protocol is None:
            return
        try:
            effects = plugin_for(command.protocol).effects_of(
                command.action, command.payload, response, self._clock()
            )
            if effects:
                self._effects.apply(command.station_id, command.registration_id, effects)
        except Exception:
            logger.exception(
                "answer's effects not applied",
                extra={"commandId": command.command_id, "action": command.action},
            )

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
            f"action: {call.action} is not a call the CSMS can send over {plugin.subprotocol} "
            f"(OCPP {plugin.ocpp_version}, the station's protocol); one of: "
            f"{', '.join(sorted(plugin.csms_initiated_actions))}"
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


def _check_registration(plugin: ProtocolPlugin, station: Station, call: OutboundCall) -> None:
    """OCPP: the CSMS initiates nothing while a station is Rejected, and while it is Pending only what
    does not start or stop charging (changing the policy drops the connection, so it is what the station
    was told)."""
    if station.connection is None:
        return
    registration = station.registration
    if registration is RegistrationPolicy.REJECTED or (
        registration is RegistrationPolicy.PENDING and call.action in plugin.not_sent_while_pending
    ):
        raise ConflictError(
            f"action: {call.action} cannot be sent while the station is {registration.value} "
            f"(OCPP {plugin.ocpp_version}); accept the station first"
        )


def _check_in_some_protocol(call: OutboundCall) -> None:
    """For a station that never connected (its protocol is unknown): valid in at least one version."""
    plugins = [plugin_for(entry.subprotocol) for entry in entries()]
    if not any(call.action in plugin.csms_initiated_actions for plugin in plugins):
        known = sorted(set().union(*(plugin.csms_initiated_actions for plugin in plugins)))
        raise InvalidRequestError(
            f"action: {call.action} is not a call the CSMS can send over "
            f"{' or '.join(plugin.subprotocol for plugin in plugins)} (the station has not connected yet, "
            f"so its protocol is not known); one of: {', '.join(known)}"
        )
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
    """Records an intent for a station that never connected (no protocol to map it to): the command is
    kept, offline, under the intent's neutral name."""

    @staticmethod
    def _intent(name: str, **arguments: Any) -> OutboundCall:
        document = {
            key: value.to_document() if hasattr(value, "to_document") else value
            for key, value in arguments.items()
            if value is not None
        }
        return OutboundCall(name, json.loads(json.dumps(document, default=str)))

    def remote_start(
        self,
        id_token: str,
        evse_id: int | None,
        remote_start_id: int,
        id_token_type: str | None = None,
        charging_profile: Any = None,
    ) -> OutboundCall:
        return self._intent("RemoteStart", idToken=id_token, evseId=evse_id, remoteStartId=remote_start_id)

    def remote_stop(self, session: Any) -> OutboundCall:
        return self._intent("RemoteStop", sessionId=session.session_id)

    def reset(self, kind: str, evse_id: int | None) -> OutboundCall:
        return self._intent("Reset", type=kind, evseId=evse_id)

    def unlock(self, evse_id: int, connector_id: int | None) -> OutboundCall:
        return self._intent("Unlock", evseId=evse_id, connectorId=connector_id)

    def change_availability(
        self, operative: bool, evse_id: int | None, connector_id: int | None
    ) -> OutboundCall:
        return self._intent(
            "ChangeAvailability", operative=operative, evseId=evse_id, connectorId=connector_id
        )

    def trigger_message(self, message: str, evse_id: int | None, connector_id: int | None) -> OutboundCall:
        return self._intent("TriggerMessage", message=message, evseId=evse_id, connectorId=connector_id)

    def reserve(self, reservation: Any) -> OutboundCall:
        return self._intent("Reserve", reservationId=reservation.reservation_id)

    def cancel_reservation(self, reservation_id: int) -> OutboundCall:
        return self._intent("CancelReservation", reservationId=reservation_id)

    def clear_cache(self) -> OutboundCall:
        return self._intent("ClearCache")

    def send_local_list(self, push: Any) -> OutboundCall:
        return self._intent("SendLocalList", version=push.version, updateType=push.update_type.value)

    def get_local_list_version(self) -> OutboundCall:
        return self._intent("GetLocalListVersion")

    def read_variables(self, queries: Any) -> OutboundCall:
        return self._intent("ReadVariables", variables=[query.to_document() for query in queries])

    def write_variables(self, writes: Any) -> list[OutboundCall]:
        return [self._intent("WriteVariables", variables=[write.to_document() for write in writes])]

    def request_report(self, request_id: int, report_base: str) -> OutboundCall:
        return self._intent("RequestReport", requestId=request_id, reportBase=report_base)

    def set_charging_profile(self, evse_id: int, profile: Any) -> OutboundCall:
        return self._intent("SetChargingProfile", evseId=evse_id, profile=profile)

    def clear_charging_profile(self, criteria: Any) -> OutboundCall:
        return self._intent("ClearChargingProfile", criteria=criteria)

    def get_charging_profiles(self, request_id: int, criteria: Any) -> OutboundCall:
        return self._intent("GetChargingProfiles", requestId=request_id, criteria=criteria)

    def get_composite_schedule(self, query: Any) -> OutboundCall:
        return self._intent("GetCompositeSchedule", query=query)

    def update_firmware(self, update: Any) -> OutboundCall:
        return self._intent("UpdateFirmware", update=update)

    def upload_log(self, upload: Any) -> OutboundCall:
        return self._intent("UploadLog", upload=upload)

    def data_transfer(self, vendor_id: str, message_id: str | None, data: Any) -> OutboundCall:
        return self._intent("DataTransfer", vendorId=vendor_id, messageId=message_id, data=data)

    def diagnostics_file_name(self, response: dict[str, Any]) -> str | None:
        return None

    def request_charging_capabilities(self) -> OutboundCall:
        return self._intent("RequestChargingCapabilities")

    def charging_capabilities(self, response: dict[str, Any]) -> Any:
        raise InvalidRequestError("a station that never connected reported no capabilities")


_NEUTRAL_MAPPERS = _NeutralMappers()
