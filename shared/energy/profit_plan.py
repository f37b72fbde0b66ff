"""The profit objective's look-ahead: how much power the site should draw now.

One linear program over the time left until the last car's estimated departure: each session
gets a current per block of time up to what it can take and, in sum, no more energy than it still
wants; every block respects the site's line limits (the same rows as the per-period allocation;
on very large sites just the most power the site can deliver); the site's peak ``q`` is never
below this billing period's peak so far. It maximises the value of the energy delivered, less
its time-of-use cost, less the demand charge on ``q``. The charge is weighted by
1 / (billing days left), as Caltech's ASA does, because today's plan sees only today's cars while
the charge is paid once per billing period. A tiny reward for charging sooner picks, among
equally good plans, the one that leaves the most room for cars that have not arrived yet.

Blocks are the current period, then quarter hours for two hours, then hours: later hours matter
less precisely, and the program stays small (quarter hours throughout took twice as long a call on
the benchmark for about $2 a week more profit at 50 kW).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.energy.linear_program import LinearProgram, solver_modules
from shared.energy.models import Tariff
from shared.energy.network import CompiledNetwork

EARLINESS_PER_KWH = 1e-4
"""Small enough never to outweigh a price difference of a hundredth of a cent."""
NETWORK_ROWS_UP_TO = 64
"""Sites whose cars load more lines than this are planned against their total deliverable power:
one copy of every line's rows per block would make the plan cost more than it saves."""


def plan_with_network(sessions: Sequence[PlannedSession], compiled: CompiledNetwork) -> bool:
    return len({row for s in sessions for row in compiled.rows_of_evse[s.evse_index]}) <= NETWORK_ROWS_UP_TO


@dataclass(frozen=True)
class PlannedSession:
    evse_index: int
    voltage: float
    """Watts per ampere (the EVSE's ``watts_per_amp``)."""
    energy_kwh: float
    periods_left: int
    max_amps_now: float
    max_amps_later: float


def demand_charge_weight(tariff: Tariff, now: datetime) -> float:
    """The demand charge per kW as today's plan should see it."""
    if tariff.billing_period_ends is None:
        return tariff.demand_charge_per_kw
    days_left = max((tariff.billing_period_ends - now).total_seconds() / 86_400.0, 1.0)
    return tariff.demand_charge_per_kw / days_left


def block_lengths(horizon_periods: int, period_minutes: float) -> list[int]:
    """Periods per block: this one, then quarter hours for two hours, then hours."""
    quarter = max(1, round(15 / period_minutes))
    hour = max(1, round(60 / period_minutes))
    lengths = [1]
    covered = 1
    while covered < horizon_periods:
        length = quarter if covered * period_minutes < 120 else hour
        lengths.append(min(length, horizon_periods - covered))
        covered += lengths[-1]
    return lengths


def plan_power_now_kw(
    sessions: Sequence[PlannedSession],
    tariff: Tariff,
    now: datetime,
    period_minutes: float,
    compiled: CompiledNetwork,
    polygon_sides: int,
    site_limit_kw: float | None,
    with_network: bool,
) -> float | None:
    """The site power the best plan draws in the current period (see ``plan_now``)."""
    planned = plan_now(
        sessions, tariff, now, period_minutes, compiled, polygon_sides, site_limit_kw, with_network
    )
    return None if planned is None else planned[0]


def plan_now(
    sessions: Sequence[PlannedSession],
    tariff: Tariff,
    now: datetime,
    period_minutes: float,
    compiled: CompiledNetwork,
    polygon_sides: int,
    site_limit_kw: float | None,
    with_network: bool,
) -> tuple[float, float] | None:
    """The site power the best plan draws in the current period, and the energy it delivers over
    the horizon; None if HiGHS is not installed or does not reach the optimum (the caller then
    falls back to a simpler cap).

    ``site_limit_kw`` bounds every block's total power: a hard cap and, on sites planned without
    their line limits (``with_network`` False), what the site can deliver at most."""
    modules = solver_modules()
    if modules is None:
        return None
    np = modules[1]
    sessions = [s for s in sessions if s.energy_kwh > 1e-9 and s.periods_left > 0 and s.max_amps_now > 0]
    if not sessions:
        return 0.0, 0.0
    hours = period_minutes / 60.0
    horizon = max(s.periods_left for s in sessions)
    lengths = block_lengths(horizon, period_minutes)
    block_starts = np.cumsum([0, *lengths[:-1]])
    prices = np.zeros(horizon)
    if tariff.energy_prices_per_kwh:
        given = np.asarray(tariff.energy_prices_per_kwh[:horizon], dtype=float)
        prices[: len(given)] = given
        prices[len(given) :] = given[-1]
    peak_cost = demand_charge_weight(tariff, now)
    value = tariff.energy_value_per_kwh
    if value is None:
        # Worth more than any price plus the most a kWh can add to the peak: deliver all that fits.
        value = float(prices.max(initial=0.0)) + peak_cost / hours + 1.0

    program = LinearProgram(*modules)
    peak_column = program.add_columns(
        [peak_cost],
        [tariff.peak_so_far_kw],
        [max(site_limit_kw, tariff.peak_so_far_kw) if site_limit_kw else program.infinity],
    )
    energy_terms: list[list[tuple[int, float]]] = [[] for _ in sessions]
    now_columns: list[int] = []
    for block, (start, length) in enumerate(zip(block_starts, lengths, strict=True)):
        block_hours = hours * length
        price = float(prices[start : start + length].mean())
        reward = value - price + EARLINESS_PER_KWH * (horizon - start) / horizon
        present = [(k, s) for k, s in enumerate(sessions) if s.periods_left > start]
        kwh_per_amp = [s.voltage / 1000.0 * block_hours for _, s in present]
        if block == 0:
            upper = [s.max_amps_now for _, s in present]
        else:
            # Average current over the block, so a car leaving halfway gets half the room.
            upper = [s.max_amps_later * min(s.periods_left - start, length) / length for _, s in present]
        first = program.add_columns([-reward * e for e in kwh_per_amp], [0.0] * len(present), upper)
        columns = list(range(first, first + len(present)))
        if block == 0:
            now_columns = columns
        for (k, _), column, e in zip(present, columns, kwh_per_amp, strict=True):
            energy_terms[k].append((column, e))
        # The block's average power stays under the peak.
        program.add_row(
            [*columns, peak_column],
            [*(s.voltage / 1000.0 for _, s in present), -1.0],
            -program.infinity,
            0.0,
        )
        if with_network:
            column_of = {s.evse_index: column for (_, s), column in zip(present, columns, strict=True)}
            program.add_network_limits(compiled, column_of, {}, polygon_sides)
    for s, terms in zip(sessions, energy_terms, strict=True):
        program.add_row([c for c, _ in terms], [e for _, e in terms], -program.infinity, s.energy_kwh)
    solution = program.solve()
    if solution is None:
        return None
    power_now = sum(
        float(solution[c]) * s.voltage / 1000.0 for c, s in zip(now_columns, sessions, strict=True)
    )
    delivered = sum(float(solution[c]) * e for terms in energy_terms for c, e in terms)
    # To the watt: solver noise must not turn into a trickle of current.
    return round(power_now, 3), delivered


def periods_until(hours_left: float, period_minutes: float, horizon_periods: int) -> int:
    return min(horizon_periods, max(1, math.ceil(hours_left * 60.0 / period_minutes - 1e-9)))
