"""Does a tariff price every moment of every possible session? Which elements can never apply?

"Overlapping restrictions that leave a period unpriced", operationally:

The condition space of a session moment has six axes: local date, local weekday + time of day
(one "minute of the week" axis), energy consumed so far (kWh), current (A, sum over phases),
power (kW) and duration since the start (s). Every restriction is a half-open range on one axis
(``start``/``min`` inclusive, ``end``/``max`` exclusive, as OCPI defines them), an element is the
logical AND of its restrictions (a box, or a union of boxes when the time window wraps midnight or
several weekdays are listed), and each restriction is checked against the moment itself: a
``FRIDAY`` element with ``22:00``-``06:00`` matches Friday 00:00-06:00 and Friday 22:00-24:00.

1. *Unpriced*: for each of ENERGY, TIME and PARKING_TIME that some element prices, the union of
   the elements that price it must cover the whole space. Otherwise the tariff is rejected with a
   witness, e.g. ``elements: ENERGY is unpriced on MONDAY 07:00-08:00``. (FLAT is a once-per-
   session fee and may be conditional.) ``allowUnpricedPeriods`` turns this check off.
2. *Shadowed*: a component (any dimension) whose element's region lies entirely inside the union
   of earlier elements pricing the same dimension never applies (first match wins): rejected,
   ``elements[1].priceComponents[0]: never applies ...``. An element that matches no moment at all
   is rejected the same way.

Dates: the date axis is cut at every ``startDate``/``endDate``; within a piece shorter than a week
only its own weekdays exist, so "MONDAY only, during a Tuesday-only date range" is seen as empty,
not as a gap. The check is exact on these axes; it does not know that a session's kWh and duration
grow together (a tariff that prices energy only above 10 kWh *and* only after one hour leaves
"10 kWh in the first hour" unpriced, and is rejected, even if no charger can deliver that).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from shared.billing.tariffs import Tariff, TariffElement, TariffRestrictions

INFINITY = Decimal("Infinity")
MINUTES_PER_DAY = 1440
MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY
_WEEK, _KWH, _CURRENT, _POWER, _DURATION = range(5)
_AXIS_NAMES = {_KWH: ("energy", "kWh"), _CURRENT: ("current", "A"), _POWER: ("power", "kW")}
_DAYS = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
_MAX_SPLITS = 200_000

Interval = tuple[Decimal, Decimal]
Box = tuple[Interval, Interval, Interval, Interval, Interval]


class DateSegment:
    """A run of local dates between two consecutive date boundaries of the tariff."""

    def __init__(self, first: date | None, end: date | None) -> None:
        self.first = first  # None: unbounded towards the past
        self.end = end  # exclusive; None: unbounded towards the future

    @property
    def sample(self) -> date | None:
        """A date inside the segment (None for the one segment of a tariff without dates)."""
        if self.first is not None:
            return self.first
        return None if self.end is None else self.end - timedelta(days=1)

    def weekdays(self) -> set[int]:
        if self.first is None or self.end is None or (self.end - self.first).days >= 7:
            return set(range(7))
        return {
            (self.first + timedelta(days=offset)).weekday() for offset in range((self.end - self.first).days)
        }

    def describe(self) -> str:
        if self.first is None and self.end is None:
            return ""
        if self.first is None:
            return f" before {self.end}"
        if self.end is None:
            return f" from {self.first}"
        return f" from {self.first} until {self.end}"


def coverage_problems(tariff: Tariff) -> list[str]:
    from shared.billing.tariffs import CONTINUOUS_DIMENSIONS

    segments = date_segments(tariff.elements)
    problems: list[str] = []
    regions = [[element_boxes(element, segment) for segment in segments] for element in tariff.elements]
    for index, element in enumerate(tariff.elements):
        if all(not boxes for boxes in regions[index]):
            problems.append(f"elements[{index}].restrictions: match no moment of any session")
            continue
        for position, component in enumerate(element.price_components):
            earlier = [j for j in range(index) if tariff.elements[j].component(component.type) is not None]
            if earlier and all(
                _covered_union(regions[index][s], [box for j in earlier for box in regions[j][s]])
                for s in range(len(segments))
            ):
                problems.append(
                    f"elements[{index}].priceComponents[{position}]: never applies, earlier elements "
                    f"pricing {component.type} match wherever this one does (the first match wins)"
                )
    if tariff.allow_unpriced_periods:
        return problems
    for dimension in CONTINUOUS_DIMENSIONS:
        pricing = [i for i, element in enumerate(tariff.elements) if element.component(dimension) is not None]
        if not pricing:
            continue
        for s, segment in enumerate(segments):
            boxes = [box for i in pricing for box in regions[i][s]]
            for domain in _domain_boxes(segment):
                gap = uncovered_part(domain, boxes)
                if gap is not None:
                    problems.append(
                        f"elements: {dimension} is unpriced {describe(gap)}{segment.describe()} "
                        "(add an element for it, a fallback element without restrictions, "
                        "or set allowUnpricedPeriods)"
                    )
                    break
            else:
                continue
            break
    return problems


def date_segments(elements: Sequence[TariffElement]) -> list[DateSegment]:
    boundaries = sorted(
        {
            day
            for element in elements
            if element.restrictions is not None
            for day in (element.restrictions.start_date, element.restrictions.end_date)
            if day is not None
        }
    )
    if not boundaries:
        return [DateSegment(None, None)]
    cuts: list[date | None] = [None, *boundaries, None]
    return [DateSegment(cuts[i], cuts[i + 1]) for i in range(len(cuts) - 1)]


def _domain_boxes(segment: DateSegment) -> list[Box]:
    full = (Decimal(0), INFINITY)
    return [
        (week, full, full, full, full)
        for week in _merge([_day_interval(day) for day in sorted(segment.weekdays())])
    ]


def _day_interval(day: int) -> Interval:
    return (Decimal(day * MINUTES_PER_DAY), Decimal((day + 1) * MINUTES_PER_DAY))


def _merge(intervals: Iterable[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for low, high in sorted(intervals):
        if merged and merged[-1][1] >= low:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def element_boxes(element: TariffElement, segment: DateSegment) -> list[Box]:
    restrictions = element.restrictions
    if restrictions is None:
        return _domain_boxes(segment)
    sample = segment.sample
    if sample is not None and restrictions.start_date is not None and sample < restrictions.start_date:
        return []
    if sample is not None and restrictions.end_date is not None and sample >= restrictions.end_date:
        return []
    days = [day.weekday for day in restrictions.day_of_week] or list(range(7))
    present = segment.weekdays()
    week = _merge(
        (Decimal(day * MINUTES_PER_DAY) + low, Decimal(day * MINUTES_PER_DAY) + high)
        for day in days
        if day in present
        for low, high in time_of_day_intervals(restrictions)
    )
    others = (
        _range(restrictions.min_kwh, restrictions.max_kwh),
        _range(restrictions.min_current, restrictions.max_current),
        _range(restrictions.min_power, restrictions.max_power),
        _range(restrictions.min_duration, restrictions.max_duration),
    )
    return [(interval, *others) for interval in week]


def time_of_day_intervals(restrictions: TariffRestrictions) -> list[Interval]:
    """The restriction's local time window as minute ranges of one day (two when it wraps)."""
    from shared.billing.tariffs import minutes_of_day

    start = Decimal(minutes_of_day(restrictions.start_time)) if restrictions.start_time else Decimal(0)
    end = (
        Decimal(minutes_of_day(restrictions.end_time)) if restrictions.end_time else Decimal(MINUTES_PER_DAY)
    )
    if end == 0:
        end = Decimal(MINUTES_PER_DAY)  # "To stop at end of the day use: 00:00"
    if start < end:
        return [(start, end)]
    return [(Decimal(0), end), (start, Decimal(MINUTES_PER_DAY))]


def _range(low: Decimal | int | None, high: Decimal | int | None) -> Interval:
    return (Decimal(low) if low is not None else Decimal(0), Decimal(high) if high is not None else INFINITY)


def _intersects(a: Box, b: Box) -> bool:
    return all(a[axis][0] < b[axis][1] and b[axis][0] < a[axis][1] for axis in range(5))


def _contains(outer: Box, inner: Box) -> bool:
    return all(outer[axis][0] <= inner[axis][0] and inner[axis][1] <= outer[axis][1] for axis in range(5))


def uncovered_part(domain: Box, boxes: Sequence[Box]) -> Box | None:
    """A sub-box of ``domain`` that no box covers, or None when the union covers it."""
    stack = [domain]
    splits = 0
    while stack:
        current = stack.pop()
        hits = [box for box in boxes if _intersects(box, current)]
        if not hits:
            return current
        if any(_contains(box, current) for box in hits):
            continue
        splits += 1
        if splits > _MAX_SPLITS:
            raise ValueError("elements: restrictions are too intricate to check; simplify the tariff")
        stack.extend(reversed(_split(current, hits[0])))
    return None


def _covered_union(targets: Sequence[Box], boxes: Sequence[Box]) -> bool:
    return all(uncovered_part(target, boxes) is None for target in targets)


def _split(current: Box, by: Box) -> tuple[Box, Box]:
    for axis in range(5):
        low, high = current[axis]
        for cut in by[axis]:
            if low < cut < high:
                first = list(current)
                second = list(current)
                first[axis] = (low, cut)
                second[axis] = (cut, high)
                return _as_box(first), _as_box(second)
    raise AssertionError("a box that intersects but does not contain has a bound inside")


def _as_box(parts: list[Interval]) -> Box:
    return (parts[0], parts[1], parts[2], parts[3], parts[4])


def describe(box: Box) -> str:
    low, high = box[_WEEK]
    parts = [_describe_week(int(low), int(high))]
    for axis, (name, unit) in _AXIS_NAMES.items():
        bottom, top = box[axis]
        if (bottom, top) != (0, INFINITY):
            parts.append(f"when {name} is {_range_text(bottom, top)} {unit}")
    bottom, top = box[_DURATION]
    if (bottom, top) != (0, INFINITY):
        parts.append(f"when the session has lasted {_range_text(bottom, top)} s")
    return " ".join(parts)


def _range_text(low: Decimal, high: Decimal) -> str:
    return f"at least {low}" if high == INFINITY else f"from {low} to below {high}"


def _describe_week(low: int, high: int) -> str:
    first_day, first_minute = divmod(low, MINUTES_PER_DAY)
    last_day, last_minute = divmod(high, MINUTES_PER_DAY)
    if last_minute == 0 and last_day > first_day:
        last_day, last_minute = last_day - 1, MINUTES_PER_DAY
    if first_day == last_day:
        return f"on {_DAYS[first_day]} {_clock(first_minute)}-{_clock(last_minute)}"
    return f"from {_DAYS[first_day]} {_clock(first_minute)} to {_DAYS[last_day]} {_clock(last_minute)}"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"
