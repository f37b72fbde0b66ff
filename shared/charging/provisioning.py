"""Provisioning: BootNotification and Heartbeat."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.domain.stations import ChargerInfo, RegistrationPolicy, StationContext
from shared.ports import Clock, PendingBootRecorder, StationStore
from shared.settings import Settings


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
            if len(self._written) > 100_000:  # a container serving a huge fleet forgets, it never grows
                self._written.clear()
            self._written[station_id] = now
            return True


@dataclass(frozen=True)
class BootDecision:
    status: RegistrationPolicy
    interval_seconds: int
    current_time: datetime


def decide_boot(policy: RegistrationPolicy, settings: Settings, now: datetime) -> BootDecision:
    """Accepted stations heartbeat at the interval that keeps API Gateway's 10-minute idle timer from
    closing the socket; Pending/Rejected ones are told when to boot again."""
    interval = (
        settings.heartbeat_interval_seconds
        if policy is RegistrationPolicy.ACCEPTED
        else settings.boot_retry_interval_seconds
    )
    return BootDecision(status=policy, interval_seconds=interval, current_time=now)


BootObserver = Callable[[StationContext, ChargerInfo, datetime], None]
"""Told of every recorded boot: firmware updates (a boot into the new version) and fleet monitoring."""


class Provisioning:
    def __init__(
        self,
        stations: StationStore,
        settings: Settings,
        clock: Clock,
        last_seen: LastSeenThrottle,
        boot_observers: Sequence[BootObserver] = (),
        pending: PendingBootRecorder | None = None,
    ) -> None:
        self._stations = stations
        self._settings = settings
        self._clock = clock
        self.last_seen = last_seen
        self._boot_observers = tuple(boot_observers)
        self._pending = pending

    def boot(self, station: StationContext, charger: ChargerInfo) -> BootDecision:
        """The answer follows the operator's registration policy, which the connection carries (changing
        it drops the connection): one write records what the station said and what it was told."""
        now = self._clock()
        if station.enrolling:
            # Not a station yet: what it says goes to its tenant's pending list, and it waits.
            if self._pending is not None:
                self._pending.record_boot(station.tenant_id, station.station_id, charger, now)
            return decide_boot(RegistrationPolicy.PENDING, self._settings, now)
        decision = decide_boot(station.registration, self._settings, now)
        self._stations.record_boot(station.station_id, station.registration_id, charger, decision.status, now)
        self.last_seen.should_write(station.station_id, now)
        for observer in self._boot_observers:
            observer(station, charger, now)
        return decision

    def heartbeat(self, station: StationContext) -> datetime:
        """Writes nothing most of the time: see LastSeenThrottle."""
        now = self._clock()
        if station.enrolling:
            return now
        if self.last_seen.should_write(station.station_id, now):
            self._stations.touch_last_seen(station.station_id, station.registration_id, now)
        return now
