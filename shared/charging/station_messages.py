"""What stations send that operators and support need to read later (DataTransfer, firmware and
diagnostics notifications), kept per station registration for the retention period."""

from __future__ import annotations

from typing import Any

from shared.domain.base import to_iso
from shared.domain.stations import StationContext, station_key
from shared.ports import Clock, StationMessageStore
from shared.settings import Settings


class StationMessages:
    def __init__(self, store: StationMessageStore, settings: Settings, clock: Clock) -> None:
        self._store = store
        self._settings = settings
        self._clock = clock

    def keep(
        self, station: StationContext, kind: str, ocpp_message_id: str, document: dict[str, Any]
    ) -> None:
        now = self._clock()
        retention = self._settings.station_message_retention_days * 24 * 3600
        self._store.record(
            station_key(station.station_id, station.registration_id),
            kind,
            now,
            ocpp_message_id,
            {
                **{key: value for key, value in document.items() if value is not None},
                "kind": kind,
                "tenantId": station.tenant_id,
                "receivedAt": to_iso(now),
                "expiresAt": int(now.timestamp()) + retention,
            },
        )
