"""Request and response bodies of firmware, campaigns, diagnostics and alerts (camelCase JSON)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictInt, model_validator

from shared.api.schemas import (
    IDENTIFIER_PATTERN,
    ApiDatetime,
    ApiModel,
    TimeZoneName,
    ViewModel,
)
from shared.catalog import STATION_ID_PATTERN
from shared.domain.base import UtcDatetime
from shared.firmware.models import CampaignStatus, DiagnosticsStatus, StationUpdateState
from shared.monitoring.models import AlertKind, AlertSeverity, AlertStatus

PRINTABLE_50 = r"^[\x20-\x7e]{1,50}$"
"""OCPP CiString50 (firmware version, model): printable ASCII."""
CLOCK_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
CAMPAIGN_ID_PATTERN = r"^fc-[0-9a-f]{16}$"
ALERT_ID_PATTERN = r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$"
MAX_CAMPAIGN_STATIONS = 5000

StationIdItem = Annotated[str, Field(pattern=STATION_ID_PATTERN)]
ModelName = Annotated[str, Field(pattern=PRINTABLE_50)]


# --- firmware ---------------------------------------------------------------------------------------


class FirmwareCreate(ApiModel):
    firmware_id: str | None = Field(
        default=None, pattern=IDENTIFIER_PATTERN, description="Generated when omitted"
    )
    version: str = Field(pattern=PRINTABLE_50, description="What the station reports at boot once it runs it")
    vendor: str = Field(pattern=PRINTABLE_50, description="The charge point vendor it is built for")
    models: list[ModelName] = Field(min_length=1, max_length=50, description="Charge point models it fits")
    checksum_sha256: str = Field(pattern=r"^[0-9a-fA-F]{64}$", description="SHA-256 of the image, hex")
    size_bytes: StrictInt | None = Field(default=None, ge=1, le=10 * 1024**3)
    description: str | None = Field(default=None, max_length=500)
    signing_certificate: str | None = Field(
        default=None, max_length=5500, description="PEM; OCPP 2.0.1 signed updates"
    )
    signature: str | None = Field(
        default=None, max_length=800, description="Base64; OCPP 2.0.1 signed updates"
    )


class UploadInstructions(ViewModel):
    url: str
    method: Literal["PUT"]
    headers: dict[str, str] = Field(
        description="Send each exactly: they are signed (the checksum among them)"
    )
    expires_at: UtcDatetime


class ImageView(ViewModel):
    uploaded: bool
    size_bytes: int | None = None


class FirmwareView(ViewModel):
    firmware_id: str
    version: str
    vendor: str
    models: list[str]
    checksum_sha256: str
    size_bytes: int | None = None
    description: str | None = None
    signed: bool = Field(description="Whether a signing certificate and signature were registered")
    created_at: UtcDatetime
    image: ImageView | None = Field(default=None, description="Whether the image is in the bucket (GET one)")


class FirmwareRegistered(FirmwareView):
    upload: UploadInstructions


class FirmwareList(ViewModel):
    items: list[FirmwareView]
    next_cursor: str | None = None


# --- campaigns --------------------------------------------------------------------------------------


class TargetBody(ApiModel):
    """``stationIds``, or filters (all must match); nothing selects every compatible station."""

    station_ids: list[StationIdItem] | None = Field(
        default=None, min_length=1, max_length=MAX_CAMPAIGN_STATIONS
    )
    site_id: str | None = Field(default=None, pattern=IDENTIFIER_PATTERN)
    vendor: str | None = Field(default=None, pattern=PRINTABLE_50)
    model: str | None = Field(default=None, pattern=PRINTABLE_50)
    firmware_version: str | None = Field(default=None, pattern=PRINTABLE_50, description="Currently running")


class WindowBody(ApiModel):
    start: str = Field(pattern=CLOCK_PATTERN, description="HH:MM local time; 22:00-05:00 runs overnight")
    end: str = Field(pattern=CLOCK_PATTERN)
    time_zone: TimeZoneName = Field(
        default="UTC", description="For stations without a site (else the site's)"
    )

    @model_validator(mode="after")
    def _not_empty(self) -> WindowBody:
        if self.start == self.end:
            raise ValueError("start and end must differ (an empty window never opens)")
        return self


class CampaignCreate(ApiModel):
    firmware_id: str = Field(pattern=IDENTIFIER_PATTERN)
    target: TargetBody = Field(default_factory=TargetBody)
    canary_size: StrictInt = Field(default=1, ge=1, le=1000, description="Stations of the first wave")
    max_concurrent: StrictInt = Field(default=10, ge=1, le=1000, description="Stations updating at once")
    failure_threshold_percent: float = Field(
        default=10.0, ge=0, le=100, description="Halts once failed stations exceed this share of the targets"
    )
    wave_growth: float = Field(default=2.0, ge=1, le=10, description="Each wave this many times the last")
    window: WindowBody | None = None
    station_timeout_seconds: StrictInt = Field(
        default=7200, ge=1, le=30 * 24 * 3600, description="Each station's deadline, from its start"
    )
    retries: StrictInt | None = Field(default=None, ge=0, le=100, description="UpdateFirmware retries")
    retry_interval_seconds: StrictInt | None = Field(default=None, ge=0, le=86_400)


class HistoryView(ViewModel):
    at: UtcDatetime
    state: str
    detail: str | None = None


class CampaignCounts(ViewModel):
    pending: int
    downloading: int
    installing: int
    installed: int
    failed: int
    offline: int
    skipped: int


class CampaignStationView(ViewModel):
    station_id: str
    wave: int
    state: StationUpdateState
    detail: str | None = None
    waiting: str | None = None
    firmware_status: str | None = Field(default=None, description="The last status the station reported")
    started_at: UtcDatetime | None = None
    deadline_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    attempts: int
    history: list[HistoryView]


class TargetView(ViewModel):
    station_ids: list[str] | None = None
    site_id: str | None = None
    vendor: str | None = None
    model: str | None = None
    firmware_version: str | None = None


class WindowView(ViewModel):
    start: str
    end: str
    time_zone: str


class CampaignSummary(ViewModel):
    campaign_id: str
    firmware_id: str
    firmware_version: str
    status: CampaignStatus
    status_detail: str | None = None
    target: TargetView
    canary_size: int
    max_concurrent: int
    failure_threshold_percent: float
    wave_growth: float
    window: WindowView | None = None
    station_timeout_seconds: int
    total_stations: int
    wave_count: int
    created_at: UtcDatetime
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None


class CampaignView(CampaignSummary):
    counts: CampaignCounts
    history: list[HistoryView]
    stations: list[CampaignStationView] = Field(description="A page of the targets (limit, cursor)")
    next_cursor: str | None = None


class CampaignList(ViewModel):
    items: list[CampaignSummary]
    next_cursor: str | None = None


# --- diagnostics ------------------------------------------------------------------------------------


class DiagnosticsCreate(ApiModel):
    log_type: Literal["Diagnostics", "Security"] = Field(
        default="Diagnostics", description="Security: OCPP 2.0.1 stations only"
    )
    start_time: ApiDatetime | None = Field(default=None, description="Oldest entries wanted")
    stop_time: ApiDatetime | None = Field(default=None, description="Newest entries wanted")
    retries: StrictInt | None = Field(default=None, ge=0, le=100)
    retry_interval_seconds: StrictInt | None = Field(default=None, ge=0, le=86_400)
    timeout_seconds: StrictInt = Field(
        default=3600, ge=1, le=7 * 24 * 3600, description="How long the upload may take"
    )

    @model_validator(mode="after")
    def _ordered(self) -> DiagnosticsCreate:
        if self.start_time and self.stop_time and self.stop_time < self.start_time:
            raise ValueError("stopTime is before startTime")
        return self


class DiagnosticsView(ViewModel):
    request_id: int
    station_id: str
    log_type: str
    status: DiagnosticsStatus
    detail: str | None = None
    file_name: str | None = None
    size_bytes: int | None = None
    download_url: str | None = Field(default=None, description="Presigned GET, once uploaded")
    requested_at: UtcDatetime
    completed_at: UtcDatetime | None = None
    history: list[HistoryView]


class DiagnosticsList(ViewModel):
    items: list[DiagnosticsView]
    next_cursor: str | None = None


# --- alerts -----------------------------------------------------------------------------------------


class AlertView(ViewModel):
    alert_id: str
    kind: AlertKind
    severity: AlertSeverity
    station_id: str
    subject: str
    message: str
    details: dict[str, Any]
    status: AlertStatus
    raised_at: UtcDatetime
    last_raised_at: UtcDatetime
    occurrences: int
    acknowledged_at: UtcDatetime | None = None
    acknowledged_by: str | None = None


class AlertList(ViewModel):
    items: list[AlertView]
    next_cursor: str | None = None
