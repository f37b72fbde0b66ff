"""Firmware updates and log (1.6: diagnostics) uploads as operators ask for them, protocol-neutral. The
station's progress comes back as status notifications (``shared.domain.stations.DeviceStatus``)."""

from __future__ import annotations

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime

MAX_LOCATION_LENGTH = 2048
"""1.6 takes any URI; 2.0.1 allows 512 characters (its mappers refuse longer). A presigned S3 URL signed
with a Lambda role's session token is about 1,200."""


class FirmwareUpdate(DomainModel):
    request_id: int = Field(ge=0)
    """2.0.1 requestId (echoed in FirmwareStatusNotification); 1.6 has none."""
    location: str = Field(min_length=1, max_length=MAX_LOCATION_LENGTH)
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
    location: str = Field(min_length=1, max_length=MAX_LOCATION_LENGTH)
    oldest: UtcDatetime | None = None
    latest: UtcDatetime | None = None
    retries: int | None = Field(default=None, ge=0)
    retry_interval: int | None = Field(default=None, ge=0)
