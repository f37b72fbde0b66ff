"""Provisioning: BootNotification and Heartbeat."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.domain.base import DomainModel
from shared.domain.stations import RegistrationPolicy, StationContext
from shared.settings import Settings
from shared.wiring import Platform


class ChargerInfo(DomainModel):
    """What a station says about itself at boot, in neutral field names."""

    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None


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


def handle_boot(platform: Platform, station: StationContext, info: ChargerInfo) -> BootDecision:
    now = platform.clock()
    stored = platform.stations.record_boot(station.station_id, info.to_document(), now)
    decision = decide_boot(stored.registration, platform.settings, now)
    if stored.boot_status is not decision.status:
        platform.stations.record_boot_status(station.station_id, decision.status)
    return decision


def handle_heartbeat(platform: Platform, station: StationContext) -> datetime:
    """Writes nothing most of the time: see LastSeenThrottle."""
    now = platform.clock()
    if platform.last_seen.should_write(station.station_id, now):
        platform.stations.touch_last_seen(station.station_id, now)
    return now
