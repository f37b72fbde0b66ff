"""Availability: connector status as stations report it."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from shared.charging.provisioning import LastSeenThrottle
from shared.domain.errors import OutOfRangeError
from shared.domain.stations import ConnectorState, StationContext
from shared.observability import logger
from shared.ports import Clock, StationStore
from shared.settings import Settings

StatusObserver = Callable[[StationContext, ConnectorState], None]
"""Told of every status recorded (not of older ones ignored): fleet monitoring's faulted connectors."""


class Availability:
    def __init__(
        self,
        stations: StationStore,
        settings: Settings,
        clock: Clock,
        last_seen: LastSeenThrottle,
        status_observers: Sequence[StatusObserver] = (),
    ) -> None:
        self._stations = stations
        self._settings = settings
        self._clock = clock
        self._last_seen = last_seen
        self._status_observers = tuple(status_observers)

    def check_evse(self, evse_id: int, connector_id: int | None = None) -> None:
        """Every EVSE and connector id is stored on the station item: ids beyond what a station can have
        would grow it to DynamoDB's 400 KB item limit and lock the station out (it could never boot or
        connect again), so they are refused before anything is written."""
        if not 0 <= evse_id <= self._settings.max_evses_per_station:
            raise OutOfRangeError(
                f"EVSE/connector id {evse_id} is outside 0..{self._settings.max_evses_per_station} "
                "(MAX_EVSES_PER_STATION)"
            )
        if connector_id is not None and not 0 <= connector_id <= self._settings.max_connectors_per_evse:
            raise OutOfRangeError(
                f"connector id {connector_id} is outside 0..{self._settings.max_connectors_per_evse} "
                "(MAX_CONNECTORS_PER_EVSE)"
            )

    def record_status(self, station: StationContext, state: ConnectorState) -> None:
        self.check_evse(state.evse_id, state.connector_id)
        now = self._clock()
        self._last_seen.should_write(station.station_id, now)  # the status write refreshes lastSeen too
        if self._stations.record_connector_status(station.station_id, station.registration_id, state, now):
            for observer in self._status_observers:
                observer(station, state)
        else:
            logger.info(
                "older status ignored",
                extra={
                    "stationId": station.station_id,
                    "evseId": state.evse_id,
                    "connectorId": state.connector_id,
                },
            )
