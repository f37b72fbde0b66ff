"""What one OCPP version plugs into the platform: its station handler, its outbound mappers and the
rules of its RPC framework. ``shared/ocpp/<version>/plugin.py`` builds one :class:`ProtocolPlugin`;
the registry (``protocols.py``) finds it by subprotocol."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ocpp.exceptions import OCPPError, ProtocolError

from shared.charging.services import ChargingServices
from shared.domain.charging_profiles import ChargingProfile, CompositeScheduleQuery, ProfileCriteria
from shared.domain.command_effects import CommandEffect
from shared.domain.commands import CommandStatus
from shared.domain.device_model import VariableQuery, VariableWrite
from shared.domain.firmware import FirmwareUpdate, LogUpload
from shared.domain.local_lists import LocalListPush
from shared.domain.reservations import Reservation
from shared.domain.sessions import Session
from shared.domain.stations import RegistrationPolicy

if TYPE_CHECKING:
    # Annotations only: the charger-facing functions import this module and never read capabilities.
    from shared.energy.profiles import ChargerCapabilities

ResetKind = Literal["Soft", "Hard", "Immediate", "OnIdle"]
"""Neutral reset kinds: 1.6 speaks Soft/Hard, 2.0.1 OnIdle/Immediate; each protocol maps or refuses."""

ReportBase = Literal["ConfigurationInventory", "FullInventory", "SummaryInventory"]

TriggerableMessage = Literal[
    "BootNotification",
    "Heartbeat",
    "StatusNotification",
    "MeterValues",
    "FirmwareStatusNotification",
    "LogStatusNotification",
    "DiagnosticsStatusNotification",
    "TransactionEvent",
]
"""Messages an operator may ask a station to send now. Log and Diagnostics status are one message in two
protocols' names (1.6 DiagnosticsStatusNotification, 2.0.1 LogStatusNotification): either name works."""


@dataclass(frozen=True)
class OutboundCall:
    action: str
    payload: dict[str, Any]


class OutboundMappers(Protocol):
    """Operator intents in neutral terms, as the calls this protocol sends for them. A mapper raises
    ``InvalidRequestError`` naming the protocol when the intent cannot be expressed in it."""

    def remote_start(
        self,
        id_token: str,
        evse_id: int | None,
        remote_start_id: int,
        id_token_type: str | None = None,
        charging_profile: ChargingProfile | None = None,
    ) -> OutboundCall: ...

    def remote_stop(self, session: Session) -> OutboundCall: ...

    def reset(self, kind: ResetKind, evse_id: int | None) -> OutboundCall: ...

    def unlock(self, evse_id: int, connector_id: int | None) -> OutboundCall: ...

    def change_availability(
        self, operative: bool, evse_id: int | None, connector_id: int | None
    ) -> OutboundCall: ...

    def trigger_message(
        self, message: TriggerableMessage, evse_id: int | None, connector_id: int | None
    ) -> OutboundCall: ...

    def reserve(self, reservation: Reservation) -> OutboundCall: ...

    def cancel_reservation(self, reservation_id: int) -> OutboundCall: ...

    def clear_cache(self) -> OutboundCall: ...

    def send_local_list(self, push: LocalListPush) -> OutboundCall: ...

    def get_local_list_version(self) -> OutboundCall: ...

    def read_variables(self, queries: Sequence[VariableQuery]) -> OutboundCall: ...

    def write_variables(self, writes: Sequence[VariableWrite]) -> list[OutboundCall]:
        """1.6 changes one key per ChangeConfiguration: one call per write there."""
        ...

    def request_report(self, request_id: int, report_base: ReportBase) -> OutboundCall: ...

    def set_charging_profile(self, evse_id: int, profile: ChargingProfile) -> OutboundCall: ...

    def clear_charging_profile(self, criteria: ProfileCriteria) -> OutboundCall: ...

    def get_charging_profiles(self, request_id: int, criteria: ProfileCriteria) -> OutboundCall: ...

    def get_composite_schedule(self, query: CompositeScheduleQuery) -> OutboundCall: ...

    def update_firmware(self, update: FirmwareUpdate) -> OutboundCall: ...

    def upload_log(self, upload: LogUpload) -> OutboundCall: ...

    def data_transfer(self, vendor_id: str, message_id: str | None, data: Any) -> OutboundCall: ...

    def diagnostics_file_name(self, response: dict[str, Any]) -> str | None:
        """The file the station says it uploads, from its answer to ``upload_log``; None when it has
        nothing to upload (or refused)."""
        ...

    def request_charging_capabilities(self) -> OutboundCall:
        """What the station's smart charging accepts (rate units, stack levels, periods per schedule)."""
        ...

    def charging_capabilities(self, response: dict[str, Any]) -> ChargerCapabilities:
        """The answer to ``request_charging_capabilities``; what the station did not report keeps the
        defaults."""
        ...


class StationHandler(Protocol):
    """Handlers registered with ``ocpp.routing.on``: each takes the message context first, then the
    payload as snake_case keyword arguments, and returns the ocpp package's ``call_result`` dataclass."""

    route_map: dict[str, dict[str, Any]]


def _no_effects(
    action: str, request: dict[str, Any], response: dict[str, Any], now: datetime
) -> Sequence[CommandEffect]:
    return ()


@dataclass(frozen=True)
class ProtocolPlugin:
    subprotocol: str
    ocpp_version: str
    actions: frozenset[str]
    """Every action the version defines: any other is unknown (NotImplemented)."""
    csms_initiated_actions: frozenset[str]
    allowed_before_acceptance: Mapping[RegistrationPolicy, frozenset[str]]
    """What a station may send while the CSMS has not accepted it (anything else: SecurityError)."""
    error_code: Callable[[str], str]
    """An error code as this version spells it (1.6: FormationViolation, OccurenceConstraintViolation)."""
    build_handler: Callable[[ChargingServices], StationHandler]
    mappers: OutboundMappers
    interpret_result: Callable[[str, dict[str, Any]], CommandStatus]
    """The outcome of a CSMS-initiated call from the station's answer, per action."""
    not_sent_while_pending: frozenset[str] = frozenset()
    """CSMS-initiated calls the version forbids while a station is Pending (none at all while Rejected)."""
    decimal_actions: frozenset[tuple[int, str]] = frozenset()
    """(message type, action) whose schemas need floats parsed as Decimal to validate (1.6 schedules)."""
    effects_of: Callable[[str, dict[str, Any], dict[str, Any], datetime], Sequence[CommandEffect]] = (
        _no_effects
    )
    """What a station's answer (to the call with this action and request payload) changes in what the
    platform stores about the station, in neutral terms."""
    missing_field_error: type[OCPPError] = ProtocolError
    """The error for a payload that lacks a required field (1.6: ProtocolError, "payload is incomplete";
    2.0.1: OccurrenceConstraintViolation)."""
