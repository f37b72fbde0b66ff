"""What one OCPP version plugs into the platform: its station handler, its outbound mappers and the
rules of its RPC framework. ``shared/ocpp/<version>/plugin.py`` builds one :class:`ProtocolPlugin`;
the registry (``protocols.py``) finds it by subprotocol."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol

from shared.charging.services import ChargingServices
from shared.domain.commands import CommandStatus
from shared.domain.sessions import Session
from shared.domain.stations import RegistrationPolicy

if TYPE_CHECKING:
    # Annotations only: the charger-facing functions import this module and never build profiles.
    from shared.energy.profiles import ChargingProfile, ProfilePurpose

ResetKind = Literal["Soft", "Hard", "Immediate", "OnIdle"]
"""Neutral reset kinds: 1.6 speaks Soft/Hard, 2.0.1 OnIdle/Immediate; each protocol maps or refuses."""


@dataclass(frozen=True)
class OutboundCall:
    action: str
    payload: dict[str, Any]


class OutboundMappers(Protocol):
    """Operator intents in neutral terms, as the calls this protocol sends for them. A mapper raises
    ``InvalidRequestError`` naming the protocol when the intent cannot be expressed in it."""

    def remote_start(self, id_token: str, evse_id: int | None, remote_start_id: int) -> OutboundCall: ...

    def remote_stop(self, session: Session) -> OutboundCall: ...

    def reset(self, kind: ResetKind, evse_id: int | None) -> OutboundCall: ...

    # Smart charging, as the load allocator uses it (``shared.energy.profiles``: a neutral profile
    # carries its station, EVSE, purpose, rate unit, periods and validity).
    def set_charging_profile(self, profile: ChargingProfile) -> OutboundCall: ...

    def clear_charging_profile(
        self,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: ProfilePurpose | None = None,
        stack_level: int | None = None,
    ) -> OutboundCall:
        """No criteria clears every profile the station holds."""
        ...

    def request_charging_capabilities(self) -> OutboundCall:
        """What the station's smart charging accepts (rate units, stack levels, periods)."""
        ...


class StationHandler(Protocol):
    """Handlers registered with ``ocpp.routing.on``: each takes the message context first, then the
    payload as snake_case keyword arguments, and returns the ocpp package's ``call_result`` dataclass."""

    route_map: dict[str, dict[str, Any]]


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
    decimal_actions: frozenset[tuple[int, str]] = frozenset()
    """(message type, action) whose schemas need floats parsed as Decimal to validate (1.6 schedules)."""
