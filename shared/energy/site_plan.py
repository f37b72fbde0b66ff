"""The look-ahead with the grid connection's other flows: EV load, base load, solar and a battery.

One linear program over the same blocks as the profit plan (this period, quarter hours for two
hours, then hours). Per block: each session's current (up to what it can take; in sum no more
energy than it still wants), the import ``g`` and the export ``e`` at the connection, and the
battery's charge ``c`` and discharge ``d``:

    EV + base - solar + c - d = g - e,   0 <= g <= import limit,   0 <= e <= solar surplus
    SoC_0 + sum over blocks so far of (eta_c c - d / eta_d) hours  within [min SoC, max SoC]
    g <= q (the peak), q >= this billing period's peak so far

It maximises the value of the EV energy (each session's by its priority weight) less the import's
time-of-use cost, the demand charge on ``q``, the battery's wear per kWh discharged, plus what the
energy left in the battery at the end is worth (the horizon's lowest price, after losses): so the
battery charges in cheap hours or from solar, and discharges to shave the peak or to let cars
charge under an import limit. Export earns nothing, so the battery only exports solar it has no
room for. With no energy value given (the energy objective), every kWh a car can take is worth
more than any price and any peak: the plan delivers all it can and only shapes when.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.energy.linear_program import LinearProgram, solver_modules
from shared.energy.models import Battery, Tariff
from shared.energy.network import CompiledNetwork
from shared.energy.profit_plan import EARLINESS_PER_KWH, PlannedSession, block_lengths, demand_charge_weight
from shared.energy.site_power import PeriodInputs


@dataclass(frozen=True)
class SitePlan:
    ev_power_now_kw: float
    battery_kw: tuple[float, ...]
    """Per period (+ charge, - discharge); empty without a battery."""
    import_now_kw: float
    delivered_kwh: float
    """EV energy the plan delivers over the horizon."""


def plan_site(
    sessions: Sequence[PlannedSession],
    weights: Sequence[float],
    inputs: PeriodInputs,
    battery: Battery | None,
    tariff: Tariff,
    now: datetime,
    period_minutes: float,
    compiled: CompiledNetwork,
    polygon_sides: int,
    ev_limit_kw: float | None,
    with_network: bool,
    connection_kw: float | None = None,
) -> SitePlan | None:
    """The plan's power now (EV, battery, import); None when HiGHS is missing or fails.

    ``weights`` (per session) scale each session's energy value: priorities. ``ev_limit_kw``
    bounds the EV load of every block (a hard cap, or what the site's lines can deliver);
    ``connection_kw`` the import in every block (the connection's per-phase limit, balanced), so
    the battery is never planned into room the EVs need at the connection."""
    modules = solver_modules()
    if modules is None:
        return None
    np = modules[1]
    kept = [
        (s, w)
        for s, w in zip(sessions, weights, strict=True)
        if s.energy_kwh > 1e-9 and s.periods_left > 0 and s.max_amps_now > 0
    ]
    hours = period_minutes / 60.0
    horizon = len(inputs.import_limit_kw)
    if battery is None:
        # Without a battery nothing after the last departure matters.
        horizon = min(horizon, max((s.periods_left for s, _ in kept), default=1))
    lengths = block_lengths(horizon, period_minutes)
    starts = np.cumsum([0, *lengths[:-1]])
    prices = np.asarray(inputs.prices[:horizon], dtype=float)
    peak_cost = demand_charge_weight(tariff, now)
    value = tariff.energy_value_per_kwh
    if value is None:
        value = float(prices.max(initial=0.0)) + peak_cost / hours + 1.0

    program = LinearProgram(*modules)
    peak = program.add_columns([peak_cost], [tariff.peak_so_far_kw], [program.infinity])
    terminal_value = 0.0
    if battery is not None:
        terminal_value = float(prices.min(initial=0.0)) * battery.discharge_efficiency
    energy_terms: list[list[tuple[int, float]]] = [[] for _ in kept]
    now_ev_columns: list[int] = []
    import_now_column = 0
    battery_blocks: list[tuple[int, int, float]] = []
    soc_columns: list[int] = []
    soc_coefficients: list[float] = []
    soc0 = battery.state_of_charge_kwh if battery is not None else 0.0
    for block, (start, length) in enumerate(zip(starts, lengths, strict=True)):
        block_hours = hours * length
        window = slice(int(start), int(start + length))
        price = float(prices[window].mean())
        base = float(np.mean(inputs.base_kw[window]))
        solar = float(np.mean(inputs.solar_kw[window]))
        given = [v for v in inputs.import_limit_kw[window] if v is not None]
        # Every period of the block must hold the limit, so the block's average may not exceed
        # its tightest period's.
        limit = min(given) if given else None
        if connection_kw is not None:
            limit = connection_kw if limit is None else min(limit, connection_kw)
        net = base - solar
        import_upper = program.infinity if limit is None else max(limit, net)
        present = [(k, s, w) for k, (s, w) in enumerate(kept) if s.periods_left > start]
        kwh_per_amp = [s.voltage / 1000.0 * block_hours for _, s, _ in present]
        if block == 0:
            upper = [s.max_amps_now for _, s, _ in present]
        else:
            upper = [s.max_amps_later * min(s.periods_left - start, length) / length for _, s, _ in present]
        earliness = EARLINESS_PER_KWH * (horizon - start) / horizon
        first = program.add_columns(
            [-(value * w + earliness) * e for (_, _, w), e in zip(present, kwh_per_amp, strict=True)],
            [0.0] * len(present),
            upper,
        )
        ev_columns = list(range(first, first + len(present)))
        if block == 0:
            now_ev_columns = ev_columns
        for (k, _, _), column, e in zip(present, ev_columns, kwh_per_amp, strict=True):
            energy_terms[k].append((column, e))
        grid = program.add_columns(
            [price * block_hours, 0.0], [0.0, 0.0], [import_upper, max(solar - base, 0.0)]
        )
        if block == 0:
            import_now_column = grid
        balance_columns = [*ev_columns, grid, grid + 1]
        balance_values = [*(s.voltage / 1000.0 for _, s, _ in present), -1.0, 1.0]
        if battery is not None:
            # Charging stores energy worth the terminal value; discharging wears the battery and
            # uses up stored energy worth as much.
            charge = program.add_columns(
                [
                    -terminal_value * battery.charge_efficiency * block_hours,
                    (battery.cycle_cost_per_kwh + terminal_value / battery.discharge_efficiency)
                    * block_hours,
                ],
                [0.0, 0.0],
                [battery.max_charge_kw, battery.max_discharge_kw],
            )
            balance_columns += [charge, charge + 1]
            balance_values += [1.0, -1.0]
            battery_blocks.append((charge, int(length), block_hours))
            soc_columns += [charge, charge + 1]
            soc_coefficients += [
                battery.charge_efficiency * block_hours,
                -block_hours / battery.discharge_efficiency,
            ]
            lowest = min(battery.min_state_of_charge_kwh, soc0) - soc0
            highest = max(battery.upper_kwh, soc0) - soc0
            program.add_row(list(soc_columns), list(soc_coefficients), lowest, highest)
        program.add_row(balance_columns, balance_values, -net, -net)
        program.add_row([grid, peak], [1.0, -1.0], -program.infinity, 0.0)
        if ev_columns and ev_limit_kw is not None:
            program.add_row(
                ev_columns, [s.voltage / 1000.0 for _, s, _ in present], -program.infinity, ev_limit_kw
            )
        if with_network and ev_columns:
            column_of = {s.evse_index: column for (_, s, _), column in zip(present, ev_columns, strict=True)}
            program.add_network_limits(compiled, column_of, {}, polygon_sides)
    for (s, _), terms in zip(kept, energy_terms, strict=True):
        if terms:
            program.add_row([c for c, _ in terms], [e for _, e in terms], -program.infinity, s.energy_kwh)
    solution = program.solve()
    if solution is None:
        return None
    ev_now = sum(
        float(solution[c]) * s.voltage / 1000.0 for c, (s, _) in zip(now_ev_columns, kept, strict=True)
    )
    delivered = sum(float(solution[c]) * e for terms in energy_terms for c, e in terms)
    schedule: list[float] = []
    for charge, length, _ in battery_blocks:
        # Watt-hour rounding would add up over a long block; keep the plan within its charge bounds.
        schedule += [round(float(solution[charge]) - float(solution[charge + 1]), 6) + 0.0] * length
    return SitePlan(
        ev_power_now_kw=round(ev_now, 3),
        battery_kw=tuple(schedule),
        import_now_kw=float(solution[import_now_column]) - float(solution[import_now_column + 1]),
        delivered_kwh=delivered,
    )
