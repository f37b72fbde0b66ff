"""Builds the platform's adapters once per warm container; tests build their own with ``build_platform``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from shared.domain.base import utc_now
from shared.gateway.connections import ConnectionGateway, FramePoster, management_api_client
from shared.gateway.events import EventBridgePublisher, EventPublisher, LoggingPublisher, eventbridge_client
from shared.settings import Settings, get_settings
from shared.storage.commands import CommandRepository, StationMessageRepository
from shared.storage.dynamo import DynamoDBClient, dynamodb_client
from shared.storage.sessions import MeterValuesRepository, SessionRepository
from shared.storage.stations import StationRepository
from shared.storage.tables import (
    COMMANDS,
    ID_TOKENS,
    METER_VALUES,
    SESSIONS,
    SITES,
    STATION_MESSAGES,
    STATIONS,
)
from shared.storage.tenant_records import IdTokenRepository, SiteRepository


class LastSeenThrottle:
    """Remembers, per warm container, when each station's lastSeen was last written.

    Most heartbeats then write nothing: a station's lastSeen is refreshed at most once per interval by
    each container (and by every message that writes the station anyway).
    """

    def __init__(self, interval: timedelta) -> None:
        self._interval = interval
        self._written: dict[str, datetime] = {}
        self._lock = threading.Lock()

    def should_write(self, station_id: str, now: datetime) -> bool:
        with self._lock:
            last = self._written.get(station_id)
            if last is not None and now - last < self._interval:
                return False
            self._written[station_id] = now
            return True


@dataclass
class Platform:
    settings: Settings
    dynamodb: DynamoDBClient
    stations: StationRepository
    sessions: SessionRepository
    meter_values: MeterValuesRepository
    id_tokens: IdTokenRepository
    sites: SiteRepository
    commands: CommandRepository
    station_messages: StationMessageRepository
    events: EventPublisher
    connections: FramePoster | None
    last_seen: LastSeenThrottle
    clock: Callable[[], datetime] = field(default=utc_now)


def build_platform(
    settings: Settings,
    *,
    dynamodb: DynamoDBClient | None = None,
    events: EventPublisher | None = None,
    connections: FramePoster | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> Platform:
    client = dynamodb if dynamodb is not None else dynamodb_client()
    if events is None:
        events = (
            EventBridgePublisher(eventbridge_client(), settings.event_bus_name)
            if settings.event_bus_name
            else LoggingPublisher()
        )
    if connections is None and settings.management_api_endpoint:
        connections = ConnectionGateway(management_api_client(settings.management_api_endpoint))
    return Platform(
        settings=settings,
        dynamodb=client,
        stations=StationRepository(client, settings.table_name(STATIONS)),
        sessions=SessionRepository(client, settings.table_name(SESSIONS)),
        meter_values=MeterValuesRepository(client, settings.table_name(METER_VALUES)),
        id_tokens=IdTokenRepository(client, settings.table_name(ID_TOKENS)),
        sites=SiteRepository(client, settings.table_name(SITES)),
        commands=CommandRepository(client, settings.table_name(COMMANDS)),
        station_messages=StationMessageRepository(client, settings.table_name(STATION_MESSAGES)),
        events=events,
        connections=connections,
        last_seen=LastSeenThrottle(timedelta(seconds=settings.last_seen_write_interval_seconds)),
        clock=clock,
    )


@lru_cache(maxsize=1)
def get_platform() -> Platform:
    return build_platform(get_settings())
