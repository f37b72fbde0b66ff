"""EventBridge schedule expressions: the grammar, and next firing times checked against brute force."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.catalog import FunctionSpec, ScheduleRule
from shared.workflows.schedules import CronSchedule, ScheduleExpressionError, parse_schedule

START = datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "after", "expected"),
    [
        ("rate(1 minute)", START, START + timedelta(minutes=1)),
        ("rate(2 hours)", START, START + timedelta(hours=2)),
        ("rate(7 days)", START, START + timedelta(days=7)),
        (
            "cron(0 12 * * ? *)",
            datetime(2026, 1, 1, 12, 0, tzinfo=UTC),
            datetime(2026, 1, 2, 12, 0, tzinfo=UTC),
        ),
        ("cron(15 10 ? * 6L 2026)", START, datetime(2026, 1, 30, 10, 15, tzinfo=UTC)),  # last Friday
        ("cron(0 8 ? * 2#1 *)", START, datetime(2026, 1, 5, 8, 0, tzinfo=UTC)),  # first Monday
        ("cron(0 0 L * ? *)", START, datetime(2026, 1, 31, 0, 0, tzinfo=UTC)),  # last day of the month
        ("cron(0 9 LW * ? *)", datetime(2026, 5, 1, tzinfo=UTC), datetime(2026, 5, 29, 9, 0, tzinfo=UTC)),
        (
            "cron(0 9 15W * ? *)",
            datetime(2026, 2, 1, tzinfo=UTC),
            datetime(2026, 2, 16, 9, 0, tzinfo=UTC),
        ),  # Sun 15th
        (
            "cron(0/15 * * * ? *)",
            datetime(2026, 1, 1, 0, 7, tzinfo=UTC),
            datetime(2026, 1, 1, 0, 15, tzinfo=UTC),
        ),
        (
            "cron(0 18 ? * MON-FRI *)",
            datetime(2026, 1, 2, 19, 0, tzinfo=UTC),
            datetime(2026, 1, 5, 18, 0, tzinfo=UTC),
        ),
        ("cron(0 0 1 JAN ? 2027)", START, datetime(2027, 1, 1, tzinfo=UTC)),
        ("cron(0 0 1 1 ? 2025)", START, None),  # only in the past
    ],
)
def test_next_firing_times(expression: str, after: datetime, expected: datetime | None) -> None:
    assert parse_schedule(expression).next_after(after) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "rate(1 minutes)",
        "rate(5 minute)",
        "rate(0 minutes)",
        "rate(5 weeks)",
        "cron(0 12 * * * *)",  # both day fields set
        "cron(0 12 ? * ? *)",  # neither
        "cron(0 12 * *)",
        "cron(60 12 * * ? *)",
        "cron(0 24 * * ? *)",
        "cron(0 12 * 13 ? *)",
        "cron(0 12 ? * 8 *)",
        "cron(0 12 5-1 * ? *)",
        "every 5 minutes",
    ],
)
def test_malformed_expressions_are_refused(expression: str) -> None:
    with pytest.raises(ScheduleExpressionError):
        parse_schedule(expression)


def test_a_malformed_schedule_fails_at_declaration() -> None:
    target = FunctionSpec(name="t", handler="x.y", description="d")
    with pytest.raises(ScheduleExpressionError):
        ScheduleRule("broken", "rate(1 minutes)", target=target)


def _brute_force(schedule: CronSchedule, after: datetime, horizon: timedelta) -> datetime | None:
    moment = after.replace(second=0, microsecond=0) + timedelta(minutes=1)
    while moment <= after + horizon:
        if (
            moment.minute in schedule.minutes
            and moment.hour in schedule.hours
            and moment.month in schedule.months
            and moment.year in schedule.years
            and schedule.days.matches(moment.date())
        ):
            return moment
        moment += timedelta(minutes=1)
    return None


_field = st.one_of(
    st.just("*"),
    st.builds(lambda a, b: f"{min(a, b)}-{max(a, b)}", st.integers(0, 59), st.integers(0, 59)),
    st.builds(lambda a, s: f"{a}/{s}", st.integers(0, 59), st.integers(1, 30)),
    st.lists(st.integers(0, 59), min_size=1, max_size=3).map(lambda xs: ",".join(map(str, xs))),
)
_hours = st.sampled_from(["*", "0", "0-12", "6/6", "1,13,23"])
_day_fields = st.sampled_from(
    [
        ("*", "?"),
        ("1,15", "?"),
        ("L", "?"),
        ("?", "MON-FRI"),
        ("?", "1,7"),
        ("?", "6L"),
        ("?", "3#2"),
        ("10W", "?"),
    ]
)


@settings(max_examples=60, deadline=None)
@given(minutes=_field, hours=_hours, days=_day_fields, start_minutes=st.integers(0, 60 * 24 * 60))
def test_next_after_is_the_first_matching_minute(
    minutes: str, hours: str, days: tuple[str, str], start_minutes: int
) -> None:
    # Given any expression of these shapes and any start in the first two months of 2026
    schedule = parse_schedule(f"cron({minutes} {hours} {days[0]} * {days[1]} *)")
    assert isinstance(schedule, CronSchedule)
    after = START + timedelta(minutes=start_minutes, seconds=17)
    # Then the next firing is the first minute strictly after it that every field matches
    found = schedule.next_after(after)
    assert found is not None and found > after
    assert _brute_force(schedule, after, found - after) == found
