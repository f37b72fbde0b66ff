"""What one OCPP version plugs into the platform: its station handler, its outbound mappers and the
rules of its RPC framework. ``shared/ocpp/<version>/plugin.py`` builds one :class:`ProtocolPlugin`;
the registry (``protocols.py``) finds it by subprotocol."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from shared.charging.services import ChargingServices
from shared.domain.commands import CommandStatus
from shared.domain.sessions import Session
from shared.domain.stations import RegistrationPolicy

ResetKind = Literal["Soft", "Hard", "Immediate", "OnIdle"]
"""Neutral reset kinds: 1.6 speaks Soft/Hard, 2.0.1 OnIdle/Immediate; each protocol maps or refuses."""
LogKind = Literal["Diagnostics", "Security"]
"""2.0.1 GetLog's DiagnosticsLog / SecurityLog; 1.6 GetDiagnostics uploads diagnostics only."""


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

    def update_firmware(
        self,
        *,
        request_id: int,
        location: str,
        retrieve_at: datetime,
        install_at: datetime | None = None,
        retries: int | None = None,
        retry_interval_seconds: int | None = None,
        signing_certificate: str | None = None,
        signature: str | None = None,
    ) -> OutboundCall:
        """Download the image at ``location`` (an HTTPS GET URL) from ``retrieve_at`` on and install it.
        ``request_id`` identifies the update in the station's status notifications where the protocol
        has one (2.0.1 requestId); the signing certificate and signature are for signed updates."""
        ...

    def request_diagnostics(
        self,
        *,
        request_id: int,
        upload_location: str,
        log_kind: LogKind = "Diagnostics",
        oldest: datetime | None = None,
        latest: datetime | None = None,
        retries: int | None = None,
        retry_interval_seconds: int | None = None,
    ) -> OutboundCall:
        """Upload the station's log to ``upload_location``: a presigned HTTP PUT URL, used as it is (the
        station must not append its own file name to it)."""
        ...

    def diagnostics_file_name(self, response: dict[str, Any]) -> str | None:
        """The file the station says it uploads, from its answer to ``request_diagnostics``; None when it
        has nothing to upload (or refused)."""
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
