"""EventBridge schedule expressions: ``rate(...)`` and ``cron(...)``, parsed once and evaluated in UTC.

The catalog validates every declared schedule with :func:`parse_schedule` (a typo fails at import,
in CDK and locally alike) and the local platform's scheduler asks :meth:`Schedule.next_after` when
to fire. The grammar is EventBridge's, not Unix cron's: six fields (minutes, hours, day of month,
month, day of week, year), day of week 1-7 = SUN-SAT, exactly one of the two day fields ``?``, and
``L``/``W``/``#`` (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-scheduled-rule-pattern.html).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

_RATE = re.compile(r"^rate\((?P<value>[1-9][0-9]*) (?P<unit>minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((?P<fields>[^()]+)\)$")
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), 1
    )
}
_WEEKDAYS = {"SUN": 1, "MON": 2, "TUE": 3, "WED": 4, "THU": 5, "FRI": 6, "SAT": 7}
_FIRST_YEAR, _LAST_YEAR = 1970, 2199


class ScheduleExpressionError(ValueError):
    """Not an expression EventBridge accepts (the message names the part at fault)."""


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule; subclasses say when it fires next."""

    expression: str

    def next_after(self, moment: datetime) -> datetime | None:
        """The first firing time strictly after ``moment`` (aware, UTC), or None when none is left."""
        raise NotImplementedError


@dataclass(frozen=True)
class RateSchedule(Schedule):
    period: timedelta

    def next_after(self, moment: datetime) -> datetime | None:
        # EventBridge starts counting when the rule is created; the scheduler passes that moment.
        return moment + self.period


@dataclass(frozen=True)
class _DayRule:
    """Day of month or day of week, whichever is not ``?``."""

    any_day: bool
    days_of_month: frozenset[int]
    last_day_of_month: bool
    nearest_weekdays: frozenset[int]
    """``15W``: the weekday nearest the 15th, within the month."""
    last_weekday_of_month: bool
    """``LW``."""
    days_of_week: frozenset[int]
    """1 = Sunday … 7 = Saturday."""
    last_weekday_in_month: frozenset[int]
    """``6L``: the last Friday of the month."""
    nth_weekday: frozenset[tuple[int, int]]
    """``2#1``: the first Monday of the month."""

    def matches(self, day: date) -> bool:
        if self.any_day:
            return True
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        weekday = (day.isoweekday() % 7) + 1  # Monday=1..Sunday=7 → Sunday=1..Saturday=7
        return (
            day.day in self.days_of_month
            or (self.last_day_of_month and day.day == days_in_month)
            or any(
                _nearest_weekday(day.year, day.month, wanted) == day.day for wanted in self.nearest_weekdays
            )
            or (self.last_weekday_of_month and day.day == _last_weekday(day.year, day.month))
            or weekday in self.days_of_week
            or (weekday in self.last_weekday_in_month and day.day + 7 > days_in_month)
            or (weekday, (day.day - 1) // 7 + 1) in self.nth_weekday
        )


@dataclass(frozen=True)
class CronSchedule(Schedule):
    minutes: frozenset[int]
    hours: frozenset[int]
    months: frozenset[int]
    years: frozenset[int]
    days: _DayRule

    def next_after(self, moment: datetime) -> datetime | None:
        start = moment.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(minutes=1)
        day = start.date()
        while day.year <= max(self.years, default=_LAST_YEAR):
            if day.year not in self.years:
                day = date(day.year + 1, 1, 1)
                continue
            if day.month not in self.months:
                day = _first_of_next_month(day)
                continue
            if self.days.matches(day):
                for hour in sorted(self.hours):
                    for minute in sorted(self.minutes):
                        candidate = datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)
                        if candidate >= start:
                            return candidate
            day += timedelta(days=1)
        return None


def parse_schedule(expression: str) -> Schedule:
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate["value"]), rate["unit"]
        if (value == 1) != (not unit.endswith("s")):
            raise ScheduleExpressionError(
                f"{expression!r}: use the singular unit for 1 and the plural otherwise"
            )
        return RateSchedule(expression, timedelta(seconds=value * _UNIT_SECONDS[unit.rstrip("s")]))
    cron = _CRON.match(expression)
    if not cron:
        raise ScheduleExpressionError(f"{expression!r}: expected rate(<n> <unit>) or cron(<6 fields>)")
    fields = cron["fields"].split()
    if len(fields) != 6:
        raise ScheduleExpressionError(f"{expression!r}: cron takes 6 fields, got {len(fields)}")
    minutes, hours, day_of_month, month, day_of_week, year = fields
    if (day_of_month == "?") == (day_of_week == "?"):
        raise ScheduleExpressionError(
            f"{expression!r}: exactly one of day-of-month and day-of-week must be '?'"
        )
    return CronSchedule(
        expression,
        minutes=_values(minutes, 0, 59, {}, "minutes"),
        hours=_values(hours, 0, 23, {}, "hours"),
        months=_values(month, 1, 12, _MONTHS, "month"),
        years=_values(year, _FIRST_YEAR, _LAST_YEAR, {}, "year"),
        days=_day_rule(day_of_month, day_of_week),
    )


def _values(field: str, low: int, high: int, names: dict[str, int], what: str) -> frozenset[int]:
    values: set[int] = set()
    for part in field.split(","):
        values |= _part(part, low, high, names, what)
    return frozenset(values)


def _part(part: str, low: int, high: int, names: dict[str, int], what: str) -> set[int]:
    base, _, step_text = part.partition("/")
    step = _number(step_text, 1, high - low + 1, what) if step_text else 1
    if base == "*":
        first, last = low, high
    elif "-" in base:
        first_text, _, last_text = base.partition("-")
        first, last = _value(first_text, low, high, names, what), _value(last_text, low, high, names, what)
        if last < first:
            raise ScheduleExpressionError(f"{what}: range {base!r} runs backwards")
    else:
        first = _value(base, low, high, names, what)
        last = high if step_text else first
    return set(range(first, last + 1, step))


def _value(text: str, low: int, high: int, names: dict[str, int], what: str) -> int:
    named = names.get(text.upper())
    return named if named is not None else _number(text, low, high, what)


def _number(text: str, low: int, high: int, what: str) -> int:
    if not text.isdigit() or not low <= int(text) <= high:
        raise ScheduleExpressionError(f"{what}: {text!r} is not a value from {low} to {high}")
    return int(text)


def _day_rule(day_of_month: str, day_of_week: str) -> _DayRule:
    days_of_month: set[int] = set()
    nearest: set[int] = set()
    last_day = last_weekday_of_month = any_day = False
    days_of_week: set[int] = set()
    last_in_month: set[int] = set()
    nth: set[tuple[int, int]] = set()
    if day_of_month != "?":
        for part in day_of_month.split(","):
            if part == "L":
                last_day = True
            elif part == "LW":
                last_weekday_of_month = True
            elif part.endswith("W"):
                nearest.add(_number(part[:-1], 1, 31, "day-of-month"))
            else:
                days_of_month |= _part(part, 1, 31, {}, "day-of-month")
        any_day = days_of_month == set(range(1, 32))
    else:
        for part in day_of_week.split(","):
            if "#" in part:
                weekday_text, _, nth_text = part.partition("#")
                nth.add((_value(weekday_text, 1, 7, _WEEKDAYS, "day-of-week"), _number(nth_text, 1, 5, "#")))
            elif part.endswith("L") and part != "L":
                last_in_month.add(_value(part[:-1], 1, 7, _WEEKDAYS, "day-of-week"))
            elif part == "L":
                days_of_week.add(7)  # alone, L in day-of-week means Saturday
            else:
                days_of_week |= _part(part, 1, 7, _WEEKDAYS, "day-of-week")
        any_day = days_of_week == set(range(1, 8))
    return _DayRule(
        any_day=any_day,
        days_of_month=frozenset(days_of_month),
        last_day_of_month=last_day,
        nearest_weekdays=frozenset(nearest),
        last_weekday_of_month=last_weekday_of_month,
        days_of_week=frozenset(days_of_week),
        last_weekday_in_month=frozenset(last_in_month),
        nth_weekday=frozenset(nth),
    )


def _first_of_next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def _nearest_weekday(year: int, month: int, wanted: int) -> int | None:
    days_in_month = calendar.monthrange(year, month)[1]
    if wanted > days_in_month:
        return None
    weekday = date(year, month, wanted).weekday()  # Monday = 0
    if weekday < 5:
        return wanted
    if weekday == 5:  # Saturday: Friday before, unless that leaves the month
        return wanted - 1 if wanted > 1 else wanted + 2
    return wanted + 1 if wanted < days_in_month else wanted - 2  # Sunday


def _last_weekday(year: int, month: int) -> int:
    day = calendar.monthrange(year, month)[1]
    while date(year, month, day).weekday() >= 5:
        day -= 1
    return day
