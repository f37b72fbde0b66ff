"""Availability: connector status as stations report it."""

from __future__ import annotations

from shared.domain.stations import ConnectorState, StationContext
from shared.observability import logger
from shared.wiring import Platform


def handle_status_notification(platform: Platform, station: StationContext, state: ConnectorState) -> None:
    now = platform.clock()
    platform.last_seen.should_write(station.station_id, now)  # the status write refreshes lastSeen too
    if not platform.stations.record_connector_status(station.station_id, state, now):
        logger.info(
            "older status ignored",
            extra={
                "stationId": station.station_id,
                "evseId": state.evse_id,
                "connectorId": state.connector_id,
            },
        )
