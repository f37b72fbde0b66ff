"""The grid connection's other flows, period by period: import limits, prices, base load, solar.

Grid signals (``GridSignal``) apply to every period their window overlaps: an import limit that
starts halfway through a period already holds for all of it (the current set now stays in force
until the next run), and one that ended before the period starts no longer counts. A price
signal replaces the tariff's price for the share of the period it covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from shared.energy.models import Battery, SiteSnapshot


@dataclass(frozen=True)
class PeriodInputs:
    """Per period, from now (index 0) to the horizon."""

    import_limit_kw: tuple[float | None, ...]
    prices: tuple[float, ...]
    base_kw: tuple[float, ...]
    solar_kw: tuple[float, ...]
    has_prices: bool
    """Whether any price is known (the tariff's or a signal's); without, ``prices`` are zeros."""

    @property
    def prices_vary(self) -> bool:
        return self.has_prices and max(self.prices) - min(self.prices) > 1e-9

    @property
    def any_import_limit(self) -> bool:
        return any(limit is not None for limit in self.import_limit_kw)


def _held(series: tuple[float, ...], index: int) -> float:
    """The series' value at ``index``, its last value held beyond its end (0 when empty)."""
    if not series:
        return 0.0
    return series[min(index, len(series) - 1)]


def period_inputs(snapshot: SiteSnapshot) -> PeriodInputs:
    periods = snapshot.horizon_periods
    period = timedelta(minutes=snapshot.period_minutes)
    hours = snapshot.period_minutes / 60.0
    power = snapshot.site_power
    tariff_prices = snapshot.tariff.energy_prices_per_kwh
    limit_signals = [s for s in snapshot.grid_signals if s.kind == "import_limit"]
    price_signals = [s for s in snapshot.grid_signals if s.kind == "price"]
    limits: list[float | None] = []
    prices: list[float] = []
    for index in range(periods):
        start = snapshot.now + index * period
        end = start + period
        limit = power.import_limit_kw if power is not None else None
        for signal in limit_signals:
            if signal.overlap_hours(start, end) > 0:
                limit = signal.value if limit is None else min(limit, signal.value)
        limits.append(limit)
        price = _held(tariff_prices, index)
        covering = [s for s in price_signals if s.overlap_hours(start, end) > 0]
        if covering:
            # Overlapping price signals: the highest one counts (the cautious reading).
            covered = min(sum(s.overlap_hours(start, end) for s in covering), hours)
            price = price * (1 - covered / hours) + max(s.value for s in covering) * covered / hours
        prices.append(price)
    base = power.base_load_kw if power is not None else ()
    solar = power.solar_kw if power is not None else ()
    return PeriodInputs(
        import_limit_kw=tuple(limits),
        prices=tuple(prices),
        base_kw=tuple(_held(base, i) for i in range(periods)),
        solar_kw=tuple(_held(solar, i) for i in range(periods)),
        has_prices=bool(tariff_prices) or bool(price_signals),
    )


def rule_battery_kw(
    battery: Battery,
    hours: float,
    ev_demand_kw: float,
    inputs: PeriodInputs,
    headroom_kw: float | None,
) -> float:
    """The battery's power now without a solver (+ charge, - discharge), within its limits:
    discharge to cover EV demand above the import headroom, charge from a solar surplus, or from
    the grid in the cheapest quarter of the coming periods while there is headroom left."""
    most_discharge, most_charge = battery.power_bounds_kw(hours)
    net_now = inputs.base_kw[0] - inputs.solar_kw[0]
    if headroom_kw is not None and ev_demand_kw > headroom_kw:
        return -min(ev_demand_kw - headroom_kw, most_discharge)
    surplus = -(net_now + ev_demand_kw)
    if surplus > 0:
        return min(surplus, most_charge)
    if inputs.prices_vary:
        ordered = sorted(inputs.prices)
        cheap = ordered[max(len(ordered) // 4 - 1, 0)]
        if inputs.prices[0] <= cheap + 1e-12:
            room = most_charge if headroom_kw is None else max(headroom_kw - ev_demand_kw, 0.0)
            return min(room, most_charge)
    return 0.0
