"""What a simulated charger does for UpdateFirmware and GetDiagnostics / GetLog (OCPP 1.6 Firmware
Management, 2.0.1 blocks L and N); each charger sends the status notifications in its protocol.

UpdateFirmware: from retrieveDate on, Downloading; an HTTP GET of the location; the image's SHA-256
checked against the one its server sends (``x-amz-meta-sha256``, or S3's ``x-amz-checksum-sha256``):
a mismatch is DownloadFailed; Downloaded, Installing, then Installed and a reboot into the new version
(the image's first line ``csms-sim-firmware version=<version>`` says which), or InstallationFailed.
``firmware_outcome`` plays the faults a CSMS must survive:

- ``Installed`` (default), ``InstallationFailed``, ``DownloadFailed``;
- ``CorruptDownload``: a byte flips in transit, so the checksum does not match (DownloadFailed);
- ``LoseInstalledNotification``: installs and reboots into the new version without sending Installed.

GetDiagnostics / GetLog: answers a file name, then Uploading, an HTTP PUT of a small log to the location
as given (a presigned URL: nothing is appended to it), and Uploaded or UploadFailed (2.0.1:
UploadFailure).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import urllib.error
import urllib.request
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tools.simulator.base import ChargerBase

log = logging.getLogger(__name__)

IMAGE_MAGIC = b"csms-sim-firmware version="
FIRMWARE_OUTCOMES = frozenset(
    {"Installed", "InstallationFailed", "DownloadFailed", "CorruptDownload", "LoseInstalledNotification"}
)
_HTTP_TIMEOUT_SECONDS = 30


def simulator_image(version: str, size_bytes: int = 4096) -> bytes:
    """A firmware image the simulator installs: its first line names the version it becomes."""
    header = IMAGE_MAGIC + version.encode() + b"\n"
    return header + bytes(index % 251 for index in range(max(0, size_bytes - len(header))))


def image_version(image: bytes) -> str | None:
    first_line = image.split(b"\n", 1)[0]
    return (
        first_line[len(IMAGE_MAGIC) :].decode(errors="replace")
        if first_line.startswith(IMAGE_MAGIC)
        else None
    )


def _expected_sha256(headers: Any) -> str | None:
    if headers.get("x-amz-meta-sha256"):
        return str(headers["x-amz-meta-sha256"]).lower()
    checksum = headers.get("x-amz-checksum-sha256")
    return base64.b64decode(checksum).hex() if checksum else None


def _download(url: str) -> tuple[bytes, str | None]:
    with urllib.request.urlopen(url, timeout=_HTTP_TIMEOUT_SECONDS) as response:
        return response.read(), _expected_sha256(response.headers)


def _upload(url: str, body: bytes) -> int:
    request = urllib.request.Request(
        url, data=body, method="PUT", headers={"Content-Type": "application/octet-stream"}
    )
    with urllib.request.urlopen(request, timeout=_HTTP_TIMEOUT_SECONDS) as response:
        return int(response.status)


class DeviceManagement:
    def __init__(self, charger: ChargerBase[Any]) -> None:
        self._charger = charger
        self.firmware_statuses: list[str] = []
        self.diagnostics_statuses: list[str] = []
        self.uploads: list[str] = []
        """Locations the charger uploaded diagnostics to."""

    def _step(self) -> float:
        return self._charger.settings.real_seconds(self._charger.settings.firmware_step_seconds)

    async def update_firmware(self, location: str, retrieve_date: str, request_id: int | None = None) -> None:
        charger = self._charger

        async def _firmware_status(status: str) -> None:
            self.firmware_statuses.append(status)
            await charger.send_firmware_status(status, request_id)

        outcome = charger.firmware_outcome
        retrieve_at = datetime.fromisoformat(retrieve_date.replace("Z", "+00:00"))
        delay = (retrieve_at - datetime.now(UTC)).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)
        await _firmware_status("Downloading")
        await asyncio.sleep(self._step())
        if outcome == "DownloadFailed":
            await _firmware_status("DownloadFailed")
            return
        try:
            image, expected = await asyncio.to_thread(_download, location)
        except (OSError, urllib.error.URLError) as error:
            log.warning("%s: firmware download failed: %s", charger.settings.station_id, error)
            await _firmware_status("DownloadFailed")
            return
        if outcome == "CorruptDownload" and image:
            image = bytes([image[0] ^ 0xFF]) + image[1:]
        if expected is not None and hashlib.sha256(image).hexdigest() != expected:
            log.warning("%s: firmware checksum mismatch", charger.settings.station_id)
            await _firmware_status("DownloadFailed")
            return
        await _firmware_status("Downloaded")
        await _firmware_status("Installing")
        await asyncio.sleep(self._step())
        if outcome == "InstallationFailed":
            await _firmware_status("InstallationFailed")
            return
        if outcome != "LoseInstalledNotification":
            await _firmware_status("Installed")
        charger.firmware_version = image_version(image) or charger.firmware_version
        await charger.reboot_after_firmware_update()  # reconnect and boot again

    async def upload_diagnostics(self, location: str, file_name: str, request_id: int | None = None) -> None:
        charger = self._charger
        await asyncio.sleep(self._step())
        self.diagnostics_statuses.append("Uploading")
        await charger.send_log_status("Uploading", request_id)
        lines = [f"{file_name}: diagnostics of {charger.settings.station_id}"]
        lines += [
            f"{received.received_at:.3f} {received.action} {received.arguments}"
            for received in charger.received_calls
        ]
        body = "\n".join(lines).encode()
        try:
            await asyncio.to_thread(_upload, location, body)
        except (OSError, urllib.error.URLError) as error:
            log.warning("%s: diagnostics upload failed: %s", charger.settings.station_id, error)
            status = "UploadFailed"
        else:
            self.uploads.append(location)
            status = "Uploaded"
        self.diagnostics_statuses.append(status)
        await charger.send_log_status(status, request_id)
