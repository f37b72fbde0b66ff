"""Publishing domain events to the platform's EventBridge bus."""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.aws_clients import client
from shared.catalog import EVENT_SOURCE
from shared.domain.events import DomainEvent
from shared.observability import logger, metrics

if TYPE_CHECKING:
    from mypy_boto3_events import EventBridgeClient
else:
    EventBridgeClient = Any

_MAX_ENTRIES_PER_CALL = 10


@lru_cache(maxsize=1)
def eventbridge_client() -> EventBridgeClient:
    built: EventBridgeClient = client("events")
    return built


class EventBridgePublisher:
    def __init__(self, client: EventBridgeClient, bus_name: str) -> None:
        self._client = client
        self._bus = bus_name

    def publish(self, events: Sequence[DomainEvent]) -> None:
        """Events follow the state change they describe; a failed publish is logged and counted, never
        turned into an error for the charger, whose message is already stored."""
        for start in range(0, len(events), _MAX_ENTRIES_PER_CALL):
            batch = events[start : start + _MAX_ENTRIES_PER_CALL]
            entries = [
                {
                    "Source": EVENT_SOURCE,
                    "DetailType": event.detail_type,
                    "Detail": json.dumps(event.to_document()),
                    "EventBusName": self._bus,
                    "Resources": [],
                }
                for event in batch
            ]
            try:
                response = self._client.put_events(Entries=entries)  # type: ignore[arg-type]
                failed = int(response.get("FailedEntryCount", 0))
            except (ClientError, BotoCoreError):
                logger.exception("domain events not published", extra={"count": len(batch)})
                failed = len(batch)
            if failed:
                metrics.add_metric(name="DomainEventsNotPublished", unit="Count", value=failed)


class LoggingPublisher:
    """Used when no bus is configured: the events still show in the logs."""

    def publish(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            logger.info(
                "domain event", extra={"detailType": event.detail_type, "detail": event.to_document()}
            )


class RecordingPublisher:
    """Keeps events in memory; for tests and benchmarks."""

    def __init__(self) -> None:
        self.events: list[DomainEvent] = []

    def publish(self, events: Sequence[DomainEvent]) -> None:
        self.events.extend(events)
