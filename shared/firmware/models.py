"""The firmware catalogue, campaigns and the state of each target station, diagnostics requests."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime, to_iso

# --- the catalogue ----------------------------------------------------------------------------------


class Firmware(DomainModel):
    """One firmware version an operator may roll out; its image is one object in the firmware bucket."""

    tenant_id: str
    firmware_id: str
    version: str
    """What a station reports in BootNotification once it runs this firmware."""
    vendor: str
    models: list[str]
    checksum_sha256: str
    """Hex SHA-256 of the image: S3 refuses an upload that does not match, chargers check downloads."""
    size_bytes: int | None = None
    description: str | None = None
    signing_certificate: str | None = None
    """PEM, for OCPP 2.0.1 signed updates (UpdateFirmware.firmware.signingCertificate)."""
    signature: str | None = None
    """Base64 signature of the image, for 2.0.1 signed updates."""
    object_key: str
    created_at: UtcDatetime

    def supports(self, vendor: str | None, model: str | None) -> bool:
        """OCPP vendor and model strings compare case-insensitively (CiString)."""
        if vendor is None or model is None:
            return False
        return vendor.casefold() == self.vendor.casefold() and model.casefold() in {
            known.casefold() for known in self.models
        }


def firmware_object_key(tenant_id: str, firmware_id: str) -> str:
    return f"firmware/{tenant_id}/{firmware_id}/image"


# --- campaigns --------------------------------------------------------------------------------------


class CampaignStatus(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    HALTED = "halted"
    """More stations failed than the failure threshold allows: no new station is started."""
    CANCELLED = "cancelled"


FINAL_CAMPAIGN_STATUSES = frozenset(
    {CampaignStatus.COMPLETED, CampaignStatus.HALTED, CampaignStatus.CANCELLED}
)


class StationUpdateState(StrEnum):
    PENDING = "pending"
    DOWNLOADING = "downloading"
    INSTALLING = "installing"
    INSTALLED = "installed"
    FAILED = "failed"
    OFFLINE = "offline"
    """The station was not reachable until its deadline: not a failure of the firmware."""
    SKIPPED = "skipped"


FINAL_STATION_STATES = frozenset(
    {
        StationUpdateState.INSTALLED,
        StationUpdateState.FAILED,
        StationUpdateState.OFFLINE,
        StationUpdateState.SKIPPED,
    }
)

WaitReason = Literal["offline", "charging", "busy"]
"""Why a started station is not updating yet: it holds no slot of ``maxConcurrent`` meanwhile."""


class UpdateWindow(DomainModel):
    """Local wall-clock hours during which stations may start updating (``22:00``-``05:00`` runs
    overnight); each station uses its site's time zone, ``time_zone`` when it has no site."""

    start: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    end: str = Field(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    time_zone: str = "UTC"


class CampaignTarget(DomainModel):
    """Which stations: an explicit list, or every station of the tenant matching all given filters."""

    station_ids: list[str] | None = None
    site_id: str | None = None
    vendor: str | None = None
    model: str | None = None
    firmware_version: str | None = None
    """Stations currently running this version."""


class HistoryEntry(DomainModel):
    at: UtcDatetime
    state: str
    detail: str | None = None


def new_campaign_id() -> str:
    return f"fc-{secrets.token_hex(8)}"


class Campaign(DomainModel):
    campaign_id: str
    tenant_id: str
    firmware_id: str
    firmware_version: str
    status: CampaignStatus = CampaignStatus.CREATED
    status_detail: str | None = None
    target: CampaignTarget
    canary_size: int
    max_concurrent: int
    failure_threshold_percent: float
    wave_growth: float = 2.0
    window: UpdateWindow | None = None
    station_timeout_seconds: int
    """Each station's deadline, from the moment its update starts: reach Installed by then, or be
    reported offline (unreachable) or failed (reachable, but never installed)."""
    retries: int | None = None
    retry_interval_seconds: int | None = None
    total_stations: int
    wave_count: int
    created_at: UtcDatetime
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    history: list[HistoryEntry] = Field(default_factory=list)


class CampaignStation(DomainModel):
    """One target station of a campaign, and how its update went."""

    campaign_id: str
    station_id: str
    tenant_id: str
    wave: int
    position: int
    """Order within the campaign (canary first)."""
    state: StationUpdateState = StationUpdateState.PENDING
    detail: str | None = None
    time_zone: str = "UTC"
    """The station's site time zone when the campaign was created (for the window)."""
    started_at: UtcDatetime | None = None
    deadline_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    waiting: WaitReason | None = None
    attempts: int = 0
    firmware_status: str | None = None
    """The last status the station reported (its protocol's word)."""
    history: list[HistoryEntry] = Field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.state in FINAL_STATION_STATES

    @property
    def updating(self) -> bool:
        """Started, not finished, and not merely waiting: one of the campaign's ``maxConcurrent`` slots."""
        return self.started_at is not None and not self.final and self.waiting is None


class UpdateOutcome(DomainModel):
    """How a station's update ended, as the station told it."""

    outcome: Literal["installed", "failed"]
    status: str
    via: Literal["FirmwareStatusNotification", "BootNotification"]
    at: UtcDatetime

    def task_output(self) -> dict[str, Any]:
        return {"outcome": self.outcome, "status": self.status, "via": self.via, "at": to_iso(self.at)}


class StationUpdate(DomainModel):
    """A station's firmware update in progress: what its notifications complete. At most one per
    station (a second campaign waits until the first is done with it)."""

    station_id: str
    tenant_id: str
    registration_id: str
    campaign_id: str
    target_version: str
    deadline_at: UtcDatetime
    task_token: str | None = None
    """Set once the update waits (AwaitInstallation); a notification arriving before leaves ``reported``."""
    reported: UpdateOutcome | None = None


# --- diagnostics ------------------------------------------------------------------------------------


class DiagnosticsStatus(StrEnum):
    REQUESTED = "requested"
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    FAILED = "failed"
    NO_DIAGNOSTICS = "no-diagnostics"
    """The station answered without a file name: it has nothing to upload."""
    OFFLINE = "offline"
    TIMEOUT = "timeout"


FINAL_DIAGNOSTICS_STATUSES = frozenset(
    {
        DiagnosticsStatus.UPLOADED,
        DiagnosticsStatus.FAILED,
        DiagnosticsStatus.NO_DIAGNOSTICS,
        DiagnosticsStatus.OFFLINE,
        DiagnosticsStatus.TIMEOUT,
    }
)

LogType = Literal["Diagnostics", "Security"]
"""2.0.1 GetLog's DiagnosticsLog / SecurityLog; 1.6 GetDiagnostics has diagnostics only."""


class DiagnosticsRequest(DomainModel):
    request_id: int
    """Also OCPP 2.0.1 GetLog's requestId (1.6 has none: one request per station at a time)."""
    tenant_id: str
    station_id: str
    registration_id: str
    log_type: LogType = "Diagnostics"
    start_time: UtcDatetime | None = None
    stop_time: UtcDatetime | None = None
    retries: int | None = None
    retry_interval_seconds: int | None = None
    timeout_seconds: int
    object_key: str
    status: DiagnosticsStatus = DiagnosticsStatus.REQUESTED
    detail: str | None = None
    file_name: str | None = None
    """What the station said it uploads (1.6 GetDiagnostics.conf fileName, 2.0.1 GetLog.conf filename)."""
    size_bytes: int | None = None
    requested_at: UtcDatetime
    completed_at: UtcDatetime | None = None
    history: list[HistoryEntry] = Field(default_factory=list)

    @property
    def final(self) -> bool:
        return self.status in FINAL_DIAGNOSTICS_STATUSES


def diagnostics_object_key(tenant_id: str, station_id: str, registration_id: str, request_id: int) -> str:
    return f"diagnostics/{tenant_id}/{station_id}/{registration_id}/{request_id}"


class ActiveDiagnostics(DomainModel):
    """The request a station's upload notifications report on, and the token its workflow waits with."""

    station_id: str
    registration_id: str
    tenant_id: str
    request_id: int
    requested_at: UtcDatetime
    deadline_at: UtcDatetime
    task_token: str | None = None
    reported: str | None = None
    """A final upload status that arrived before the workflow waited for it."""


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(0, int((moment - now).total_seconds()))
