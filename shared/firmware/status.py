"""What stations report about a firmware update or a log upload, in neutral terms.

OCPP 1.6 FirmwareStatusNotification statuses are a subset of 2.0.1's FirmwareStatusEnumType, and 1.6
DiagnosticsStatus overlaps 2.0.1's UploadLogStatusEnumType; one table each covers both versions. A 1.6
station has no status for a checksum or signature mismatch: it reports DownloadFailed or
InstallationFailed, and 2.0.1 InvalidSignature or InstallVerificationFailed.
"""

from __future__ import annotations

from enum import StrEnum


class FirmwarePhase(StrEnum):
    DOWNLOADING = "downloading"
    INSTALLING = "installing"
    INSTALLED = "installed"
    FAILED = "failed"
    IDLE = "idle"
    """Nothing is going on (1.6: only when triggered, or after a failure)."""


_FIRMWARE_PHASES: dict[str, FirmwarePhase] = {
    "Downloading": FirmwarePhase.DOWNLOADING,
    "DownloadScheduled": FirmwarePhase.DOWNLOADING,
    "DownloadPaused": FirmwarePhase.DOWNLOADING,
    "Downloaded": FirmwarePhase.DOWNLOADING,
    "SignatureVerified": FirmwarePhase.DOWNLOADING,
    "Installing": FirmwarePhase.INSTALLING,
    "InstallRebooting": FirmwarePhase.INSTALLING,
    "InstallScheduled": FirmwarePhase.INSTALLING,
    "Installed": FirmwarePhase.INSTALLED,
    "DownloadFailed": FirmwarePhase.FAILED,
    "InstallationFailed": FirmwarePhase.FAILED,
    "InstallVerificationFailed": FirmwarePhase.FAILED,
    "InvalidSignature": FirmwarePhase.FAILED,
    "Idle": FirmwarePhase.IDLE,
}

FIRMWARE_STATUSES: frozenset[str] = frozenset(_FIRMWARE_PHASES)


def firmware_phase(status: str) -> FirmwarePhase | None:
    """None for a status no OCPP version defines (the schema refuses those before they get here)."""
    return _FIRMWARE_PHASES.get(status)


class UploadPhase(StrEnum):
    UPLOADING = "uploading"
    UPLOADED = "uploaded"
    FAILED = "failed"
    IDLE = "idle"


_UPLOAD_PHASES: dict[str, UploadPhase] = {
    "Uploading": UploadPhase.UPLOADING,
    "Uploaded": UploadPhase.UPLOADED,
    "UploadFailed": UploadPhase.FAILED,  # 1.6
    "UploadFailure": UploadPhase.FAILED,  # 2.0.1
    "BadMessage": UploadPhase.FAILED,
    "NotSupportedOperation": UploadPhase.FAILED,
    "PermissionDenied": UploadPhase.FAILED,
    "AcceptedCanceled": UploadPhase.FAILED,
    "Idle": UploadPhase.IDLE,
}

UPLOAD_STATUSES: frozenset[str] = frozenset(_UPLOAD_PHASES)


def upload_phase(status: str) -> UploadPhase | None:
    return _UPLOAD_PHASES.get(status)
