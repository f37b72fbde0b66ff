"""Domain events: what the rest of the platform (allocation, billing, dashboards) reacts to."""

from __future__ import annotations

from typing import Any, ClassVar

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.commands import CommandError, CommandStatus
from shared.domain.sessions import Session


class DomainEvent(DomainModel):
    detail_type: ClassVar[str]
    tenant_id: str
    station_id: str
    occurred_at: UtcDatetime


class SessionStarted(DomainEvent):
    detail_type: ClassVar[str] = "SessionStarted"
    session: Session


class SessionStopped(DomainEvent):
    detail_type: ClassVar[str] = "SessionStopped"
    session: Session


class MeterValuesReceived(DomainEvent):
    detail_type: ClassVar[str] = "MeterValuesReceived"
    session_id: str | None
    evse_id: int
    energy_wh: float | None
    power_w: float | None


class StationConnected(DomainEvent):
    detail_type: ClassVar[str] = "StationConnected"
    protocol: str


class StationDisconnected(DomainEvent):
    detail_type: ClassVar[str] = "StationDisconnected"


class CommandCompleted(DomainEvent):
    """A CSMS-initiated call has its outcome (accepted, rejected, failed, timeout or offline)."""

    detail_type: ClassVar[str] = "CommandCompleted"
    command_id: str
    action: str
    status: CommandStatus
    response: dict[str, Any] | None = None
    error: CommandError | None = None
