"""Provisioning reports (OCPP 2.0.1 block B, and 1.6 configuration): what a station reports about itself
is stored as its device model, one variable per record, with multi-part reports tracked until complete."""

from __future__ import annotations

from collections.abc import Sequence

from shared.domain.device_model import DeviceVariable, ReportProgress
from shared.domain.stations import StationContext, station_key
from shared.observability import logger
from shared.ports import Clock, DeviceModelStore


class DeviceModel:
    def __init__(self, store: DeviceModelStore, clock: Clock) -> None:
        self._store = store
        self._clock = clock

    def record_report(
        self,
        station: StationContext,
        request_id: int,
        seq_no: int,
        tbc: bool,
        variables: Sequence[DeviceVariable],
    ) -> ReportProgress:
        """One NotifyReport part: its variables are stored (a resent part overwrites itself), then the
        part is counted. Parts may arrive in any order; the report is complete once all have."""
        key = station_key(station.station_id, station.registration_id)
        self._store.record_variables(key, variables)
        progress = self._store.record_report_part(key, request_id, seq_no, tbc, len(variables), self._clock())
        if progress.complete and progress.completed_at == self._clock():
            logger.info(
                "device model report complete",
                extra={
                    "stationId": station.station_id,
                    "requestId": request_id,
                    "parts": len(progress.parts),
                },
            )
        return progress
