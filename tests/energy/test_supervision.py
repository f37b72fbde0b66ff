"""Chargers that do not follow: flagged, and counted at what they may draw."""

from __future__ import annotations

from datetime import timedelta

from shared.energy.profiles import ProfileOutcome
from shared.energy.supervision import DrawSample, ignored_limit, rejected_profile, still_ignoring
from tests.energy.builders import NOW


def samples(*amps: float, start_seconds: float = 40, every: float = 60) -> list[DrawSample]:
    return [
        DrawSample(at=NOW + timedelta(seconds=start_seconds + n * every), drawn_amps=a)
        for n, a in enumerate(amps)
    ]


def test_a_car_drawing_above_its_limit_for_three_samples_is_flagged_at_its_draw() -> None:
    finding = ignored_limit("SIM-1/1", 10, NOW, samples(16, 24, 23.5))

    assert finding is not None
    assert (finding.kind, finding.count_at_amps) == ("ignores-limit", 24)
    assert "10 A limit" in finding.detail


def test_samples_within_the_grace_or_the_tolerance_do_not_count() -> None:
    # right after the limit changed the car is still ramping down
    assert ignored_limit("e", 10, NOW, samples(24, 24, 24, start_seconds=0, every=10)) is None
    # 10.8 A on a 10 A limit is metering, not disobedience
    assert ignored_limit("e", 10, NOW, samples(10.8, 10.9, 10.7)) is None
    # one sample back within the limit breaks the run
    assert ignored_limit("e", 10, NOW, samples(24, 9, 24)) is None
    assert ignored_limit("e", 10, NOW, samples(24, 24)) is None


def test_a_flag_stays_until_the_car_follows_again() -> None:
    finding = ignored_limit("e", 10, NOW, samples(24, 24, 24))
    assert finding is not None
    later = [DrawSample(at=NOW + timedelta(minutes=10 + n), drawn_amps=a) for n, a in enumerate((24, 9, 9))]
    following = [
        DrawSample(at=NOW + timedelta(minutes=10 + n), drawn_amps=a) for n, a in enumerate((9, 9, 9))
    ]

    assert still_ignoring(finding, 10, later)
    assert not still_ignoring(finding, 10, following)


def test_a_rejected_profile_counts_at_the_limit_still_in_force_or_the_maximum() -> None:
    assert rejected_profile("e", ProfileOutcome.ACCEPTED, 10, 16, 32, NOW) is None
    kept = rejected_profile("e", ProfileOutcome.REJECTED, 10, 16, 32, NOW)
    unknown = rejected_profile("e", ProfileOutcome.NOT_SUPPORTED, 10, None, 32, NOW)
    timeout = rejected_profile("e", "timeout", 20, 16, 32, NOW)

    assert kept is not None and kept.count_at_amps == 16
    assert unknown is not None and unknown.count_at_amps == 32
    assert timeout is not None and timeout.count_at_amps == 20
