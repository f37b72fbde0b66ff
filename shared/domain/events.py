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


class StationBooted(DomainEvent):
    """A BootNotification: what the monitoring counts boot loops from."""

    detail_type: ClassVar[str] = "StationBooted"
    firmware_version: str | None = None
    boot_reason: str | None = None


class ConnectorFaulted(DomainEvent):
    detail_type: ClassVar[str] = "ConnectorFaulted"
    evse_id: int
    connector_id: int
    error_code: str | None = None
    info: str | None = None
    vendor_error_code: str | None = None


class FirmwareUpdateFailed(DomainEvent):
    detail_type: ClassVar[str] = "FirmwareUpdateFailed"
    status: str
    """What the station reported (DownloadFailed, InstallationFailed, InvalidSignature, ...), or Timeout."""
    campaign_id: str | None = None
    firmware_version: str | None = None
    detail: str | None = None


class SecurityEventReported(DomainEvent):
    """A station's SecurityEventNotification (1.6 security extension, 2.0.1)."""

    detail_type: ClassVar[str] = "SecurityEventReported"
    event_type: str
    tech_info: str | None = None
    reported_at: UtcDatetime | None = None


class SessionDrawChanged(DomainEvent):
    """An active session's draw moved a lot (the session projection saw it): the load allocator runs
    its site early instead of at the next minute."""

    detail_type: ClassVar[str] = "SessionDrawChanged"
    session_id: str
    previous_amps: float | None
    drawn_amps: float | None


class SiteInputsChanged(DomainEvent):
    """An operator (or the OpenADR poller) changed what a site's allocation depends on: its electrical
    model, a station placement, a grid signal, a measurement, a session's energy wanted."""

    detail_type: ClassVar[str] = "SiteInputsChanged"
    station_id: str = ""
    """Empty: the change is the site's, not one station's."""
    site_id: str
    reason: str
