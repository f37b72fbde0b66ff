"""How a campaign rolls out: waves, time windows, the failure threshold and the next step (pure).

A campaign's targets are split into waves: a canary wave of ``canary_size``, then waves growing by
``wave_growth`` (2: 2, 4, 8, ...). A wave starts when the one before it has finished (every station
installed, failed, offline or skipped); within a wave at most ``max_concurrent`` stations update at once,
each only inside the window in its own site's time zone. Once more stations have failed than
``failure_threshold_percent`` of the targets, no station is started again: the campaign halts.
Offline and skipped stations are not failures.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from shared.firmware.models import (
    Campaign,
    CampaignStation,
    CampaignStatus,
    StationUpdateState,
    UpdateWindow,
)

MAX_IDLE_WAIT_SECONDS = 3600
"""A driver waiting for a window to open looks again at least hourly (a pause or cancel needs no look)."""


def wave_sizes(total: int, canary_size: int, growth: float) -> list[int]:
    """Sizes of the waves, canary first; they add up to ``total``."""
    sizes: list[int] = []
    size = float(max(1, canary_size))
    remaining = total
    while remaining > 0:
        wave = min(remaining, max(1, math.ceil(size)))
        sizes.append(wave)
        remaining -= wave
        size *= growth
    return sizes


def assign_waves(total: int, canary_size: int, growth: float) -> list[int]:
    """The wave of each target, in target order."""
    waves: list[int] = []
    for number, size in enumerate(wave_sizes(total, canary_size, growth)):
        waves.extend([number] * size)
    return waves


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def in_window(now: datetime, window: UpdateWindow | None, time_zone: str) -> bool:
    if window is None:
        return True
    local = now.astimezone(ZoneInfo(time_zone)).time().replace(second=0, microsecond=0)
    start, end = _clock(window.start), _clock(window.end)
    if start < end:
        return start <= local < end
    return local >= start or local < end  # overnight, e.g. 22:00-05:00


def next_window_opening(now: datetime, window: UpdateWindow, time_zone: str) -> datetime:
    """The first moment after ``now`` at which the window is open (``now`` itself if it is)."""
    if in_window(now, window, time_zone):
        return now
    zone = ZoneInfo(time_zone)
    today: date = now.astimezone(zone).date()
    start = _clock(window.start)
    for offset in range(0, 3):
        candidate = datetime.combine(today + timedelta(days=offset), start, tzinfo=zone)
        # A start hour skipped by a daylight-saving jump maps forward; step minute by minute to the
        # first open one.
        for minute in range(0, 120):
            moment = (candidate + timedelta(minutes=minute)).astimezone(now.tzinfo)
            if moment > now and in_window(moment, window, time_zone):
                return moment
    raise ValueError(f"window {window.start}-{window.end} never opens in {time_zone}")


def counts(stations: Sequence[CampaignStation]) -> dict[str, int]:
    tally = Counter(station.state.value for station in stations)
    return {state.value: tally.get(state.value, 0) for state in StationUpdateState}


def threshold_exceeded(campaign: Campaign, stations: Sequence[CampaignStation]) -> bool:
    failed = sum(1 for station in stations if station.state is StationUpdateState.FAILED)
    return failed * 100 > campaign.failure_threshold_percent * max(1, campaign.total_stations)


@dataclass(frozen=True)
class AdvancePlan:
    """What the campaign's driver does now."""

    new_status: CampaignStatus | None = None
    status_detail: str | None = None
    skip: list[CampaignStation] = field(default_factory=list)
    skip_detail: str | None = None
    candidates: list[CampaignStation] = field(default_factory=list)
    """Stations that may start now, in order (the driver still checks each is not charging)."""
    free_slots: int = 0
    wait_seconds: int = 60
    finished: bool = False
    """Nothing more to start: the driver ends (stations still updating record their own outcome)."""


def plan_advance(
    campaign: Campaign, stations: Sequence[CampaignStation], now: datetime, tick_seconds: int
) -> AdvancePlan:
    pending = [station for station in stations if station.state is StationUpdateState.PENDING]
    unstarted = [station for station in pending if station.started_at is None]
    status = campaign.status
    if status is CampaignStatus.CANCELLED:
        return AdvancePlan(skip=unstarted, skip_detail="campaign cancelled", finished=True)
    if status in (CampaignStatus.COMPLETED, CampaignStatus.HALTED):
        return AdvancePlan(finished=True)
    if status is CampaignStatus.CREATED:
        return AdvancePlan(wait_seconds=tick_seconds)
    if threshold_exceeded(campaign, stations):
        failed = counts(stations)[StationUpdateState.FAILED.value]
        detail = (
            f"{failed} of {campaign.total_stations} stations failed, more than "
            f"{campaign.failure_threshold_percent:g} %"
        )
        return AdvancePlan(
            new_status=CampaignStatus.HALTED,
            status_detail=detail,
            skip=unstarted,
            skip_detail="campaign halted: " + detail,
            finished=True,
        )
    if all(station.final for station in stations):
        return AdvancePlan(new_status=CampaignStatus.COMPLETED, finished=True)
    if status is CampaignStatus.PAUSED:
        return AdvancePlan(wait_seconds=tick_seconds)

    current_wave = min(station.wave for station in stations if not station.final)
    waiting_in_wave = [station for station in unstarted if station.wave == current_wave]
    candidates = [
        station for station in waiting_in_wave if in_window(now, campaign.window, station.time_zone)
    ]
    updating = sum(1 for station in stations if station.updating)
    started_not_final = any(station.started_at is not None and not station.final for station in stations)
    wait = tick_seconds
    if not candidates and not started_not_final and waiting_in_wave and campaign.window is not None:
        window = campaign.window
        opening = min(next_window_opening(now, window, station.time_zone) for station in waiting_in_wave)
        wait = min(MAX_IDLE_WAIT_SECONDS, max(tick_seconds, math.ceil((opening - now).total_seconds())))
    return AdvancePlan(
        candidates=candidates,
        free_slots=max(0, campaign.max_concurrent - updating),
        wait_seconds=wait,
    )
