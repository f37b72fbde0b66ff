"""Firmware updates and log (1.6: diagnostics) uploads as operators ask for them, protocol-neutral. The
station's progress comes back as status notifications (``shared.domain.stations.DeviceStatus``)."""

from __future__ import annotations

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime


class FirmwareUpdate(DomainModel):
    request_id: int = Field(ge=0)
    """2.0.1 requestId (echoed in FirmwareStatusNotification); 1.6 has none."""
    location: str = Field(min_length=1, max_length=512)
    retrieve_at: UtcDatetime
    install_at: UtcDatetime | None = None
    retries: int | None = Field(default=None, ge=0)
    retry_interval: int | None = Field(default=None, ge=0)
    signing_certificate: str | None = Field(default=None, max_length=5500)
    signature: str | None = Field(default=None, max_length=800)


class LogUpload(DomainModel):
    request_id: int = Field(ge=0)
    log_type: str = Field(default="DiagnosticsLog", pattern="^(DiagnosticsLog|SecurityLog)$")
    """1.6 GetDiagnostics uploads diagnostics only."""
    location: str = Field(min_length=1, max_length=512)
    oldest: UtcDatetime | None = None
    latest: UtcDatetime | None = None
    retries: int | None = Field(default=None, ge=0)
    retry_interval: int | None = Field(default=None, ge=0)
