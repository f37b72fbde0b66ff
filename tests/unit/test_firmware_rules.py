"""Campaign rules: waves, windows in a site's time zone, the failure threshold and the driver's next step."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from shared.firmware.models import (
    Campaign,
    CampaignStation,
    CampaignStatus,
    CampaignTarget,
    StationUpdateState,
    UpdateWindow,
)
from shared.firmware.rules import (
    assign_waves,
    in_window,
    next_window_opening,
    plan_advance,
    threshold_exceeded,
    wave_sizes,
)
from shared.firmware.status import FirmwarePhase, UploadPhase, firmware_phase, upload_phase

T0 = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def a_campaign(**overrides: Any) -> Campaign:
    values: dict[str, Any] = {
        "campaign_id": "fc-0000000000000001",
        "tenant_id": "tenant-a",
        "firmware_id": "fw-1",
        "firmware_version": "2.0",
        "status": CampaignStatus.RUNNING,
        "target": CampaignTarget(),
        "canary_size": 2,
        "max_concurrent": 3,
        "failure_threshold_percent": 20.0,
        "station_timeout_seconds": 600,
        "total_stations": 20,
        "wave_count": 4,
        "created_at": T0,
    }
    values.update(overrides)
    return Campaign(**values)


def stations_of(count: int, canary: int = 2, **overrides: Any) -> list[CampaignStation]:
    waves = assign_waves(count, canary, 2.0)
    return [
        CampaignStation(
            campaign_id="fc-0000000000000001",
            station_id=f"CP-{n:02d}",
            tenant_id="tenant-a",
            wave=wave,
            position=n,
            **overrides,
        )
        for n, wave in enumerate(waves)
    ]


def with_state(station: CampaignStation, state: StationUpdateState, started: bool = True) -> CampaignStation:
    return station.model_copy(update={"state": state, "started_at": T0 if started else None})


# --- waves --------------------------------------------------------------------------------------------


def test_waves_grow_from_the_canary() -> None:
    assert wave_sizes(20, 2, 2.0) == [2, 4, 8, 6]
    assert wave_sizes(1000, 10, 2.0) == [10, 20, 40, 80, 160, 320, 370]
    assert wave_sizes(3, 5, 2.0) == [3]
    assert wave_sizes(5, 1, 1.0) == [1, 1, 1, 1, 1]


@given(st.integers(1, 3000), st.integers(1, 500), st.floats(1.0, 10.0))
def test_waves_cover_every_target_once_canary_first(total: int, canary: int, growth: float) -> None:
    sizes = wave_sizes(total, canary, growth)
    assert sum(sizes) == total
    assert sizes[0] == min(canary, total)
    assert all(size >= 1 for size in sizes)
    assert all(later >= earlier for earlier, later in itertools.pairwise(sizes[:-1]))  # the last is the rest
    waves = assign_waves(total, canary, growth)
    assert waves == sorted(waves) and len(waves) == total


# --- windows ------------------------------------------------------------------------------------------


def test_an_overnight_window_in_the_sites_time_zone() -> None:
    night = UpdateWindow(start="22:00", end="05:00")
    # 21:30 UTC is 22:30 in Berlin (winter): inside; 21:30 in UTC itself is outside
    evening = datetime(2026, 11, 27, 21, 30, tzinfo=UTC)
    assert in_window(evening, night, "Europe/Berlin")
    assert not in_window(evening, night, "UTC")
    assert in_window(datetime(2026, 11, 28, 3, 59, tzinfo=UTC), night, "Europe/Berlin")
    assert not in_window(datetime(2026, 11, 28, 4, 0, tzinfo=UTC), night, "Europe/Berlin")  # 05:00 local
    assert next_window_opening(evening, night, "UTC") == datetime(2026, 11, 27, 22, 0, tzinfo=UTC)


def test_a_window_opening_in_a_skipped_hour_opens_right_after_it() -> None:
    # Europe/Berlin skips 02:00-03:00 on 29 March 2026
    window = UpdateWindow(start="02:30", end="04:00")
    before = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 00:00 local
    opening = next_window_opening(before, window, "Europe/Berlin")
    assert in_window(opening, window, "Europe/Berlin")
    assert opening - before < timedelta(hours=4)


@given(
    st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)),
    st.sampled_from(["00:00", "02:30", "09:15", "22:00", "23:59"]),
    st.sampled_from(["00:30", "05:00", "12:00", "23:00"]),
    st.sampled_from(["UTC", "Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]),
)
def test_the_next_opening_is_open_and_never_in_the_past(
    now: datetime, start: str, end: str, zone: str
) -> None:
    if start == end:
        return
    window = UpdateWindow(start=start, end=end)
    opening = next_window_opening(now, window, zone)
    assert opening >= now
    assert in_window(opening, window, zone)
    assert opening - now <= timedelta(days=1, hours=2)


# --- the threshold and the driver ----------------------------------------------------------------------


def test_the_threshold_counts_failures_only_and_halts_when_exceeded() -> None:
    campaign = a_campaign()
    stations = stations_of(20)
    four_failed = [with_state(s, StationUpdateState.FAILED) for s in stations[:4]] + stations[4:]
    assert not threshold_exceeded(campaign, four_failed)  # 20 % is not more than 20 %
    five_failed = [with_state(s, StationUpdateState.FAILED) for s in stations[:5]] + stations[5:]
    assert threshold_exceeded(campaign, five_failed)
    offline = [with_state(s, StationUpdateState.OFFLINE) for s in stations[:10]] + stations[10:]
    assert not threshold_exceeded(campaign, offline)

    plan = plan_advance(campaign, five_failed, T0, 60)
    assert plan.new_status is CampaignStatus.HALTED and plan.finished
    assert {s.station_id for s in plan.skip} == {s.station_id for s in stations[5:]}
    assert plan.status_detail == "5 of 20 stations failed, more than 20 %"


def test_the_canary_wave_runs_alone_within_max_concurrent() -> None:
    plan = plan_advance(a_campaign(), stations_of(20), T0, 60)
    assert [s.station_id for s in plan.candidates] == ["CP-00", "CP-01"]
    assert plan.free_slots == 3 and plan.wait_seconds == 60


def test_the_next_wave_waits_for_the_last_station_of_the_one_before() -> None:
    stations = stations_of(20)
    stations[0] = with_state(stations[0], StationUpdateState.INSTALLED)
    stations[1] = with_state(stations[1], StationUpdateState.INSTALLING)
    plan = plan_advance(a_campaign(), stations, T0, 60)
    assert plan.candidates == [] and plan.free_slots == 2
    stations[1] = with_state(stations[1], StationUpdateState.FAILED)
    plan = plan_advance(a_campaign(), stations, T0, 60)
    assert [s.station_id for s in plan.candidates] == ["CP-02", "CP-03", "CP-04", "CP-05"]


def test_a_station_waiting_offline_holds_no_slot() -> None:
    stations = stations_of(4, canary=4)
    stations[0] = stations[0].model_copy(update={"started_at": T0, "waiting": "offline"})
    stations[1] = with_state(stations[1], StationUpdateState.DOWNLOADING)
    plan = plan_advance(a_campaign(max_concurrent=2, total_stations=4), stations, T0, 60)
    assert plan.free_slots == 1
    assert [s.station_id for s in plan.candidates] == ["CP-02", "CP-03"]


def test_paused_cancelled_and_completed() -> None:
    stations = stations_of(4)
    paused = plan_advance(a_campaign(status=CampaignStatus.PAUSED), stations, T0, 7)
    assert paused.candidates == [] and not paused.finished and paused.wait_seconds == 7
    cancelled = plan_advance(a_campaign(status=CampaignStatus.CANCELLED), stations, T0, 7)
    assert cancelled.finished and len(cancelled.skip) == 4
    done = [with_state(s, StationUpdateState.INSTALLED) for s in stations]
    assert plan_advance(a_campaign(total_stations=4), done, T0, 7).new_status is CampaignStatus.COMPLETED


def test_outside_the_window_the_driver_sleeps_until_it_opens_at_most_an_hour() -> None:
    window = UpdateWindow(start="12:30", end="13:00")
    plan = plan_advance(a_campaign(window=window), stations_of(4), T0, 60)
    assert plan.candidates == [] and plan.wait_seconds == 1800
    late = UpdateWindow(start="22:00", end="23:00")
    assert plan_advance(a_campaign(window=late), stations_of(4), T0, 60).wait_seconds == 3600


# --- what stations report -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "phase"),
    [
        ("Downloading", FirmwarePhase.DOWNLOADING),
        ("Downloaded", FirmwarePhase.DOWNLOADING),
        ("Installing", FirmwarePhase.INSTALLING),
        ("InstallRebooting", FirmwarePhase.INSTALLING),
        ("Installed", FirmwarePhase.INSTALLED),
        ("DownloadFailed", FirmwarePhase.FAILED),
        ("InstallationFailed", FirmwarePhase.FAILED),
        ("InvalidSignature", FirmwarePhase.FAILED),
        ("Idle", FirmwarePhase.IDLE),
    ],
)
def test_firmware_statuses_of_both_versions(status: str, phase: FirmwarePhase) -> None:
    assert firmware_phase(status) is phase


def test_upload_statuses_of_both_versions() -> None:
    assert upload_phase("Uploaded") is UploadPhase.UPLOADED
    assert upload_phase("UploadFailed") is upload_phase("UploadFailure") is UploadPhase.FAILED
    assert upload_phase("Uploading") is UploadPhase.UPLOADING
    assert upload_phase("Nonsense") is None
