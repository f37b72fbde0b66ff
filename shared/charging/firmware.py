"""Firmware management and diagnostics (OCPP 2.0.1 blocks L and N, 1.6 Firmware Management): the station's
progress is kept as its current firmware / log status (for the operator and campaigns) and as a message."""

from __future__ import annotations

from typing import Any

from shared.charging.station_messages import StationMessages
from shared.domain.stations import DeviceStatus, StationContext
from shared.ports import Clock, StationStore


class FirmwareAndLogs:
    def __init__(self, stations: StationStore, messages: StationMessages, clock: Clock) -> None:
        self._stations = stations
        self._messages = messages
        self._clock = clock

    def firmware_status(
        self,
        station: StationContext,
        message_id: str,
        status: str,
        request_id: int | None,
        kept: dict[str, Any],
    ) -> None:
        self._record(station, "firmware", "FirmwareStatusNotification", message_id, status, request_id, kept)

    def log_status(
        self,
        station: StationContext,
        action: str,
        message_id: str,
        status: str,
        request_id: int | None,
        kept: dict[str, Any],
    ) -> None:
        """1.6 DiagnosticsStatusNotification and 2.0.1 LogStatusNotification: one neutral state."""
        self._record(station, "diagnostics", action, message_id, status, request_id, kept)

    def _record(
        self,
        station: StationContext,
        kind: str,
        action: str,
        message_id: str,
        status: str,
        request_id: int | None,
        kept: dict[str, Any],
    ) -> None:
        self._stations.record_device_status(
            station.station_id,
            station.registration_id,
            kind,
            DeviceStatus(status=status, request_id=request_id, reported_at=self._clock()),
        )
        self._messages.keep(station, action, message_id, kept)
