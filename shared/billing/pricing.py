"""Price a session with a tariff: SessionUsage + Tariff → CDR (pure, deterministic).

How a session is cut into charging periods (mod_cdrs, "ChargingPeriod"): a new period starts at
every moment something that matters for the price changes — a restriction's local time of day, a
local midnight (weekday or date change), a kWh threshold (the moment is interpolated on the energy
register, as OCPI allows), a duration threshold, a power or current sample, and the moment the EV
stops charging. Consecutive pieces priced by the same components are merged again.

Quantities: energy in a period is the register's rise across it, interpolated linearly between
readings (exact, with ``Fraction``); charging time is the time before the EV stopped drawing power
for good (the end of the last rise of the register, or ``charging_ended_at``), parking time the
rest. Pauses in the middle of a session are charging time: PARKING_TIME is "the vehicle is not
requesting power" (mod_cdrs errata), which a meter cannot tell from a paused EVSE.

Step size (mod_cdrs, "step_size"): applied once per session to the total of ENERGY, and once to
TIME and PARKING_TIME together — to the parking total when the last time-based component that
priced anything was PARKING_TIME, else to the charging total — using the step size of the last
component that priced that dimension; the rounded-up remainder is billed in the last period priced
by it. FLAT is charged once, by the first period in which a FLAT component applies.

Rounding (OCPI leaves it to law, contract and currency; mod_tariffs, Tariff object): costs are
exact until the end; the total excl. VAT and the total VAT are each rounded once to the currency's
minor unit, half away from zero, and the lines are rounded so that they add up to those totals
(largest remainder; each line within one minor unit of its exact value). So pricing a session in
more periods never changes its total, and total = sum of the lines (+ the adjustment) exactly.
VAT is computed per line from its component's rate; incl. VAT = excl. VAT + VAT.

min/max price (mod_tariffs, Tariff object notes): the excl.-VAT total is clamped to
``[minPrice.exclVat, maxPrice.exclVat]`` and the incl.-VAT total to the inclVat bounds (equal to the
exclVat ones when no component has VAT), independently, as OCPI says; the difference is one
``adjustment`` line.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

from shared.billing.cdrs import (
    Cdr,
    CdrDimension,
    CdrDimensionType,
    CdrFlag,
    ChargingPeriod,
    CostLine,
    Price,
    PriceAdjustment,
    cdr_id_for,
)
from shared.billing.coverage import time_of_day_intervals
from shared.billing.money import allocate_rounded, quantum
from shared.billing.tariffs import Tariff, TariffDimension, TariffElement
from shared.billing.usage import SessionUsage

DEFAULT_MAX_READING_GAP = timedelta(minutes=15)
_MICRO = timedelta(microseconds=1)
_SIX_PLACES = Decimal("0.000001")
_DIMENSION_ORDER = (
    TariffDimension.FLAT,
    TariffDimension.ENERGY,
    TariffDimension.TIME,
    TariffDimension.PARKING_TIME,
)


@dataclass(frozen=True)
class _Point:
    at: datetime
    wh: Fraction


class _Timeline:
    """The energy register as a piecewise-linear function of time (flat before/after the data)."""

    def __init__(self, points: list[_Point]) -> None:
        self.points = points

    def wh(self, moment: datetime) -> Fraction:
        points = self.points
        if not points:
            return Fraction(0)
        if moment <= points[0].at:
            return points[0].wh
        for left, right in itertools.pairwise(points):
            if moment <= right.at:
                span = _micros(right.at - left.at)
                return left.wh + (right.wh - left.wh) * Fraction(_micros(moment - left.at), span)
        return points[-1].wh

    def crossing(self, target_wh: Fraction) -> datetime | None:
        """The first moment the register reaches ``target_wh`` (None if it never does)."""
        for left, right in zip(self.points, self.points[1:], strict=False):
            if left.wh < target_wh <= right.wh:
                fraction = (target_wh - left.wh) / (right.wh - left.wh)
                return left.at + timedelta(microseconds=math.floor(fraction * _micros(right.at - left.at)))
        return None

    def last_rise_end(self) -> datetime | None:
        final = self.points[-1].wh if self.points else None
        for point in self.points:
            if point.wh == final:
                return point.at
        return None

    def average_kw(self, moment: datetime) -> Fraction:
        for left, right in zip(self.points, self.points[1:], strict=False):
            if left.at <= moment < right.at:
                hours = Fraction(_micros(right.at - left.at), 3_600_000_000)
                return (right.wh - left.wh) / 1000 / hours
        return Fraction(0)


def _micros(delta: timedelta) -> int:
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _fraction(value: Decimal) -> Fraction:
    return Fraction(value)


@dataclass(frozen=True)
class _Moment:
    """Everything a restriction can test, at one instant."""

    weekday: int
    date_: date
    minute_of_day: Fraction
    consumed_kwh: Fraction
    duration_s: Fraction
    power_kw: Fraction | None
    current_a: Fraction | None


def _matches(element: TariffElement, moment: _Moment) -> bool:
    r = element.restrictions
    if r is None:
        return True
    if r.day_of_week and moment.weekday not in {day.weekday for day in r.day_of_week}:
        return False
    if r.start_date is not None and moment.date_ < r.start_date:
        return False
    if r.end_date is not None and moment.date_ >= r.end_date:
        return False
    if (r.start_time or r.end_time) and not any(
        low <= moment.minute_of_day < high for low, high in time_of_day_intervals(r)
    ):
        return False
    checks: list[tuple[Fraction | None, Decimal | int | None, Decimal | int | None]] = [
        (moment.consumed_kwh, r.min_kwh, r.max_kwh),
        (moment.duration_s, r.min_duration, r.max_duration),
        (moment.power_kw, r.min_power, r.max_power),
        (moment.current_a, r.min_current, r.max_current),
    ]
    for value, low, high in checks:
        if low is None and high is None:
            continue
        if value is None:
            return False  # unknown (current without samples): the element does not apply
        if low is not None and value < Fraction(low):
            return False
        if high is not None and value >= Fraction(high):
            return False
    return True


@dataclass
class _Period:
    start: datetime
    end: datetime
    charging: bool
    selection: dict[TariffDimension, int]
    energy_wh: Fraction = Fraction(0)


def price_session(
    usage: SessionUsage,
    tariff: Tariff,
    *,
    priced_at: datetime,
    cdr_id: str | None = None,
    max_reading_gap: timedelta = DEFAULT_MAX_READING_GAP,
) -> Cdr:
    flags: set[CdrFlag] = set()
    zone = usage.zone
    start = usage.started_at
    timeline = _build_timeline(usage, flags, max_reading_gap)
    stop = usage.stopped_at
    if stop is None:
        flags.add(CdrFlag.MISSING_STOP_TIME)
        stop = max([start, *(p.at for p in timeline.points)])
    stop = max(stop, start)
    charging_end = _charging_end(usage, timeline, start, stop)
    power_at = _power_function(usage, timeline, tariff, flags)
    current_at = _current_function(usage, tariff, flags)

    cuts = _boundaries(usage, tariff, timeline, start, stop, charging_end, zone)
    start_wh = timeline.wh(start)
    pieces: list[_Period] = []
    edges = [start, *[cut for cut in cuts if start < cut < stop], stop]
    for left, right in itertools.pairwise(edges):
        if right <= left:
            continue
        middle = left + (right - left) / 2
        pieces.append(
            _piece(tariff, usage, timeline, left, right, middle, charging_end, start_wh, power_at, current_at)
        )
    if not pieces:  # a zero-length session: one empty period, still able to carry a FLAT fee
        pieces.append(
            _piece(tariff, usage, timeline, start, start, start, charging_end, start_wh, power_at, current_at)
        )
    periods = _merge(pieces)
    priced = {c.type for element in tariff.elements for c in element.price_components}
    for period in periods:
        period.energy_wh = timeline.wh(period.end) - timeline.wh(period.start)
        time_dimension = TariffDimension.TIME if period.charging else TariffDimension.PARKING_TIME
        if period.end > period.start and time_dimension in priced and time_dimension not in period.selection:
            flags.add(CdrFlag.UNPRICED_PERIOD)
        if (
            period.energy_wh > 0
            and TariffDimension.ENERGY in priced
            and TariffDimension.ENERGY not in period.selection
        ):
            flags.add(CdrFlag.UNPRICED_PERIOD)
    return _cdr(usage, tariff, periods, flags, start, stop, priced_at, cdr_id)


def _build_timeline(usage: SessionUsage, flags: set[CdrFlag], max_gap: timedelta) -> _Timeline:
    start, stop = usage.started_at, usage.stopped_at
    raw: list[_Point] = []
    if usage.meter_start_wh is not None:
        raw.append(_Point(start, _fraction(usage.meter_start_wh)))
    for reading in usage.energy_readings:
        if reading.timestamp < start or (stop is not None and reading.timestamp > stop):
            continue  # outside the session: belongs to no one's bill
        raw.append(_Point(reading.timestamp, _fraction(reading.wh)))
    if usage.meter_stop_wh is not None and stop is not None:
        raw.append(_Point(stop, _fraction(usage.meter_stop_wh)))
    raw.sort(key=lambda point: point.at)
    points: list[_Point] = []
    for point in raw:
        if points and point.wh < points[-1].wh:
            flags.add(CdrFlag.METER_DECREASED)
            continue
        if points and point.at == points[-1].at:
            points[-1] = point  # same instant twice: keep the later (higher or equal) reading
            continue
        points.append(point)
    if not points:
        flags.add(CdrFlag.MISSING_METER_DATA)
        return _Timeline([])
    if points[0].at > start:
        flags.add(CdrFlag.MISSING_METER_START)
    if stop is not None and points[-1].at < stop:
        flags.add(CdrFlag.MISSING_METER_STOP)
    if any(right.at - left.at > max_gap for left, right in itertools.pairwise(points)):
        flags.add(CdrFlag.METER_GAP)
    return _Timeline(points)


def _charging_end(usage: SessionUsage, timeline: _Timeline, start: datetime, stop: datetime) -> datetime:
    if usage.charging_ended_at is not None:
        return min(max(usage.charging_ended_at, start), stop)
    if not timeline.points:
        return stop  # no meter data: nothing says the EV stopped charging, so it is all charging time
    end = timeline.last_rise_end()
    return stop if end is None else min(max(end, start), stop)


def _uses(tariff: Tariff, attribute: str) -> bool:
    return any(
        element.restrictions is not None and getattr(element.restrictions, attribute) is not None
        for element in tariff.elements
    )


def _power_function(
    usage: SessionUsage, timeline: _Timeline, tariff: Tariff, flags: set[CdrFlag]
) -> _StepFunction | _Timeline:
    if usage.power_samples:
        return _StepFunction([(s.timestamp, Fraction(s.watts) / 1000) for s in usage.power_samples])
    if _uses(tariff, "min_power") or _uses(tariff, "max_power"):
        flags.add(CdrFlag.POWER_DERIVED)
    return timeline


def _current_function(usage: SessionUsage, tariff: Tariff, flags: set[CdrFlag]) -> _StepFunction | None:
    if usage.current_samples:
        return _StepFunction([(s.timestamp, Fraction(s.amps)) for s in usage.current_samples])
    if _uses(tariff, "min_current") or _uses(tariff, "max_current"):
        flags.add(CdrFlag.CURRENT_UNKNOWN)
    return None


class _StepFunction:
    """A sampled value that holds until the next sample (the first sample also covers before it)."""

    def __init__(self, samples: Sequence[tuple[datetime, Fraction]]) -> None:
        self.samples = sorted(samples, key=lambda sample: sample[0])

    def at(self, moment: datetime) -> Fraction:
        value = self.samples[0][1]
        for timestamp, sample in self.samples:
            if timestamp > moment:
                break
            value = sample
        return value

    @property
    def changes(self) -> list[datetime]:
        return [timestamp for timestamp, _ in self.samples]


def _boundaries(
    usage: SessionUsage,
    tariff: Tariff,
    timeline: _Timeline,
    start: datetime,
    stop: datetime,
    charging_end: datetime,
    zone: ZoneInfo,
) -> list[datetime]:
    cuts: set[datetime] = {charging_end}
    minutes = {0}
    for element in tariff.elements:
        r = element.restrictions
        if r is None:
            continue
        for low, high in time_of_day_intervals(r):
            minutes.update({int(low), int(high) % 1440})
        start_wh = timeline.wh(start)
        for kwh in (r.min_kwh, r.max_kwh):
            if kwh is not None:
                crossing = timeline.crossing(start_wh + Fraction(kwh) * 1000)
                if crossing is not None:
                    cuts.add(crossing)
        for seconds in (r.min_duration, r.max_duration):
            if seconds is not None:
                cuts.add(start + timedelta(seconds=seconds))
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = stop.astimezone(zone).date() + timedelta(days=1)
    while day <= last_day:
        for minute in minutes:
            local = datetime(day.year, day.month, day.day, tzinfo=zone) + timedelta(minutes=minute)
            # Wall-clock arithmetic on an aware datetime, then to UTC: a boundary in a DST gap lands
            # on a real instant; an extra cut is harmless (identical pieces are merged again).
            cuts.add(local.astimezone(UTC))
        day += timedelta(days=1)
    if _uses(tariff, "min_power") or _uses(tariff, "max_power"):
        cuts.update(sample.timestamp for sample in usage.power_samples)
        cuts.update(point.at for point in timeline.points)
    if _uses(tariff, "min_current") or _uses(tariff, "max_current"):
        cuts.update(sample.timestamp for sample in usage.current_samples)
    return sorted(cuts)


def _piece(
    tariff: Tariff,
    usage: SessionUsage,
    timeline: _Timeline,
    left: datetime,
    right: datetime,
    middle: datetime,
    charging_end: datetime,
    start_wh: Fraction,
    power_at: _StepFunction | _Timeline,
    current_at: _StepFunction | None,
) -> _Period:
    local = middle.astimezone(usage.zone)
    power = power_at.at(middle) if isinstance(power_at, _StepFunction) else power_at.average_kw(middle)
    moment = _Moment(
        weekday=local.weekday(),
        date_=local.date(),
        minute_of_day=Fraction(local.hour * 60 + local.minute)
        + Fraction(local.second * 1_000_000 + local.microsecond, 60_000_000),
        consumed_kwh=(timeline.wh(middle) - start_wh) / 1000,
        duration_s=Fraction(_micros(middle - usage.started_at), 1_000_000),
        power_kw=power,
        current_a=current_at.at(middle) if current_at is not None else None,
    )
    charging = middle < charging_end or (left == right and left < charging_end)
    active = {TariffDimension.ENERGY, TariffDimension.FLAT}
    active.add(TariffDimension.TIME if charging else TariffDimension.PARKING_TIME)
    selection: dict[TariffDimension, int] = {}
    for dimension in active:
        for index, element in enumerate(tariff.elements):
            if element.component(dimension) is not None and _matches(element, moment):
                selection[dimension] = index
                break
    return _Period(start=left, end=right, charging=charging, selection=selection)


def _merge(pieces: list[_Period]) -> list[_Period]:
    merged: list[_Period] = []
    for piece in pieces:
        previous = merged[-1] if merged else None
        if (
            previous is not None
            and previous.charging == piece.charging
            and previous.selection == piece.selection
        ):
            previous.end = piece.end
        else:
            merged.append(piece)
    return merged


@dataclass
class _Line:
    period: int
    dimension: TariffDimension
    element: int
    quantity: Fraction  # Wh, seconds, or 1
    excl: Fraction
    vat: Fraction


def _cdr(
    usage: SessionUsage,
    tariff: Tariff,
    periods: list[_Period],
    flags: set[CdrFlag],
    start: datetime,
    stop: datetime,
    priced_at: datetime,
    cdr_id: str | None,
) -> Cdr:
    seconds = [Fraction(_micros(p.end - p.start), 1_000_000) for p in periods]
    billed: dict[tuple[int, TariffDimension], Fraction] = {}
    for index, period in enumerate(periods):
        if TariffDimension.ENERGY in period.selection:
            billed[(index, TariffDimension.ENERGY)] = period.energy_wh
        time_dimension = TariffDimension.TIME if period.charging else TariffDimension.PARKING_TIME
        if time_dimension in period.selection:
            billed[(index, time_dimension)] = seconds[index]
    _apply_step(tariff, periods, billed, (TariffDimension.ENERGY,))
    _apply_step(tariff, periods, billed, (TariffDimension.TIME, TariffDimension.PARKING_TIME))
    first_flat = next((i for i, p in enumerate(periods) if TariffDimension.FLAT in p.selection), None)
    if first_flat is not None:
        billed[(first_flat, TariffDimension.FLAT)] = Fraction(1)

    lines: list[_Line] = []
    for index in range(len(periods)):
        for dimension in _DIMENSION_ORDER:
            if (index, dimension) not in billed:
                continue
            element = periods[index].selection[dimension]
            component = tariff.elements[element].component(dimension)
            assert component is not None
            quantity = billed[(index, dimension)]
            per_unit = {
                TariffDimension.ENERGY: Fraction(1, 1000),
                TariffDimension.TIME: Fraction(1, 3600),
                TariffDimension.PARKING_TIME: Fraction(1, 3600),
                TariffDimension.FLAT: Fraction(1),
            }[dimension]
            excl = quantity * per_unit * Fraction(component.price)
            vat = excl * Fraction(component.vat) / 100 if component.vat is not None else Fraction(0)
            lines.append(_Line(index, dimension, element, quantity * per_unit, excl, vat))

    currency = tariff.currency
    total_excl, excl_parts = allocate_rounded([line.excl for line in lines], currency)
    total_vat, vat_parts = allocate_rounded([line.vat for line in lines], currency)
    breakdown = [
        CostLine(
            period=line.period,
            dimension=line.dimension,
            element=line.element,
            unit_price=_component_price(tariff, line),
            vat_rate=_component_vat(tariff, line),
            quantity=_six(line.quantity),
            excl_vat=excl,
            vat=vat,
            incl_vat=excl + vat,
        )
        for line, excl, vat in zip(lines, excl_parts, vat_parts, strict=True)
    ]
    adjustment = _price_limits(tariff, total_excl, total_excl + total_vat)
    final_excl = total_excl + (adjustment.excl_vat if adjustment else 0)
    final_incl = total_excl + total_vat + (adjustment.incl_vat if adjustment else 0)

    def subtotal(*dimensions: TariffDimension) -> Price:
        chosen = [line for line in breakdown if line.dimension in dimensions]
        zero = Decimal(0).quantize(quantum(currency))
        return Price(
            excl_vat=sum((line.excl_vat for line in chosen), zero),
            incl_vat=sum((line.incl_vat for line in chosen), zero),
        )

    charging_periods = [
        ChargingPeriod(
            start_date_time=period.start,
            end_date_time=period.end,
            charging=period.charging,
            tariff_id=tariff.tariff_id if period.selection else None,
            dimensions=[
                CdrDimension(type=CdrDimensionType.ENERGY, volume=_six(period.energy_wh / 1000)),
                CdrDimension(
                    type=CdrDimensionType.TIME if period.charging else CdrDimensionType.PARKING_TIME,
                    volume=_six(seconds[index] / 3600),
                ),
            ],
        )
        for index, period in enumerate(periods)
    ]
    total_seconds = sum(seconds, Fraction(0))
    parking_seconds = sum((s for s, p in zip(seconds, periods, strict=True) if not p.charging), Fraction(0))
    return Cdr(
        cdr_id=cdr_id or cdr_id_for(usage.tenant_id, usage.session_id),
        tenant_id=usage.tenant_id,
        session_id=usage.session_id,
        station_id=usage.station_id,
        site_id=usage.site_id,
        id_token=usage.id_token,
        start_date_time=start,
        end_date_time=stop,
        time_zone=usage.time_zone,
        currency=currency,
        tariff=tariff.model_dump(mode="json", by_alias=True, exclude_none=True),
        charging_periods=charging_periods,
        breakdown=breakdown,
        adjustment=adjustment,
        total_cost=Price(excl_vat=final_excl, incl_vat=final_incl),
        total_energy_cost=subtotal(TariffDimension.ENERGY),
        total_time_cost=subtotal(TariffDimension.TIME),
        total_parking_cost=subtotal(TariffDimension.PARKING_TIME),
        total_fixed_cost=subtotal(TariffDimension.FLAT),
        total_vat=final_incl - final_excl,
        total_energy=_six(sum((p.energy_wh for p in periods), Fraction(0)) / 1000),
        total_time=_six(total_seconds / 3600),
        total_parking_time=_six(parking_seconds / 3600),
        flags=sorted(flags),
        last_updated=priced_at,
    )


def _apply_step(
    tariff: Tariff,
    periods: list[_Period],
    billed: dict[tuple[int, TariffDimension], Fraction],
    dimensions: tuple[TariffDimension, ...],
) -> None:
    """Round the session total of a dimension group up to the step size of its last priced period."""
    keys = [key for key in billed if key[1] in dimensions]
    if not keys:
        return
    last_index, last_dimension = max(keys, key=lambda key: key[0])
    component = tariff.elements[periods[last_index].selection[last_dimension]].component(last_dimension)
    assert component is not None
    total = sum((billed[key] for key in keys if key[1] is last_dimension), Fraction(0))
    step = Fraction(component.step_size)
    rounded = math.ceil(total / step) * step
    billed[(last_index, last_dimension)] += rounded - total


def _price_limits(tariff: Tariff, excl: Decimal, incl: Decimal) -> PriceAdjustment | None:
    limits: list[str] = []
    new_excl, new_incl = excl, incl
    low, high = tariff.min_price, tariff.max_price
    if low is not None:
        if new_excl < low.excl_vat:
            new_excl = low.excl_vat
            limits.append("minPrice.exclVat")
        low_incl = low.incl_vat if low.incl_vat is not None else low.excl_vat
        if new_incl < low_incl:
            new_incl = low_incl
            limits.append("minPrice.inclVat")
    if high is not None:
        if new_excl > high.excl_vat:
            new_excl = high.excl_vat
            limits.append("maxPrice.exclVat")
        high_incl = high.incl_vat if high.incl_vat is not None else high.excl_vat
        if new_incl > high_incl:
            new_incl = high_incl
            limits.append("maxPrice.inclVat")
    if not limits:
        return None
    places = quantum(tariff.currency)
    excl_delta = (new_excl - excl).quantize(places)
    incl_delta = (new_incl - incl).quantize(places)
    return PriceAdjustment(
        limits=limits, excl_vat=excl_delta, vat=incl_delta - excl_delta, incl_vat=incl_delta
    )


def _component_price(tariff: Tariff, line: _Line) -> Decimal:
    component = tariff.elements[line.element].component(line.dimension)
    assert component is not None
    return component.price


def _component_vat(tariff: Tariff, line: _Line) -> Decimal | None:
    component = tariff.elements[line.element].component(line.dimension)
    assert component is not None
    return component.vat


def _six(value: Fraction) -> Decimal:
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(
        _SIX_PLACES, rounding=ROUND_HALF_UP
    )
