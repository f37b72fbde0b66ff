"""Site load allocation: the current to offer at each EVSE now, within every limit of the site.

The method, chosen on the benchmark in ``bench/energy``:

1. Bounds per session: the EVSE's and the car's maximum, what the car is observed to take when it
   takes less than offered, and what it still needs this period.
2. Cars already charging keep at least their minimum current while the site can hold it, most
   urgent first, so they are not paused and left unable to resume.
3. One linear program (HiGHS) maximises delivered current weighted by urgency (least laxity
   first). A line that mixes phase angles is limited by the regular polygon inscribed in its
   current circle, which is conservative: every point inside it is inside the circle. A line whose
   loads all share one angle is limited exactly by their sum.
4. A top-up pass uses the sliver between polygon and circle, with exact magnitudes.
5. Currents are rounded down into each EVSE's allowed pilots (0 or at least the minimum), then
   the rounding loss is handed back a pilot step at a time, most urgent first, while it fits.
6. The result is checked against every limit with exact magnitudes; if the solver fails or the
   check does, the same passes run without the program (a greedy fill), which is feasible by
   construction.

For ``profit`` the site's load now is capped at what a look-ahead plan draws now
(``profit_plan``): the plan weighs the energy's value against time-of-use prices and the demand
charge up to each car's estimated departure. Without HiGHS the cap is the least constant power that
meets every departure, with a margin (or this month's peak so far, if higher).

The energy objective with time-of-use prices that vary (``tou_shaping``) holds back, car by car,
only what can surely wait for cheaper periods (``_defer_to_cheaper_periods``); the room goes to
the other cars first.

With site power (``SitePower``: base load, solar, a battery, an import limit) and grid signals,
the plan is ``site_plan``'s (import = EV + base - solar + battery); the battery's set point now
comes from it (or, without HiGHS, from ``site_power.rule_battery_kw``), the EV load now is capped
at the import limit less the other flows, and those flows (balanced over the phases) and the draw
of chargers that ignore their limit (``ActiveSession.fixed_draw_amps``) load the connection's
rows before any EVSE gets current.

Priorities: a session's weight is its urgency times its ``priority_weight``, plus
``Tuning.fleet_weight`` for a fleet vehicle, so fleet vehicles are served first.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from dataclasses import dataclass

from shared.energy.linear_program import LinearProgram, solver_modules
from shared.energy.models import ActiveSession, Allocation, Evse, SiteSnapshot, Tariff
from shared.energy.network import (
    TOLERANCE_AMPS,
    CompiledNetwork,
    compile_network,
    connection_offsets,
    evse_offsets,
    max_increase,
    violations,
    with_offsets,
)
from shared.energy.profit_plan import PlannedSession, periods_until, plan_now, plan_with_network
from shared.energy.site_plan import SitePlan, plan_site
from shared.energy.site_power import PeriodInputs, period_inputs, rule_battery_kw


@dataclass(frozen=True)
class Tuning:
    urgency_weight: float = 5.0
    """How much more an ampere to the most urgent car is worth than one to a car with time to spare."""
    urgency_scale_minutes: float = 60.0
    polygon_sides: int = 24
    unknown_stay_minutes: float = 8 * 60
    """Assumed time left for a car whose departure is not known."""
    released_headroom_amps: float = 1.0
    """A car drawing this much less than offered is capped at its draw plus this much."""
    profit_power_margin: float = 0.15
    """Only without HiGHS: the margin over the least constant power that meets every departure."""
    plan_polygon_sides: int = 12
    """The profit plan's line limits: coarser than the allocation's, as the plan only sets a cap."""
    use_linear_program: bool = True
    greedy_step_amps: float = 1.0
    """Without the linear program, currents rise by this much per round, to keep phases balanced."""
    fleet_weight: float = 1000.0
    """Added to a fleet vehicle's weight: more than any other car's can reach."""
    share_step_amps: float = 4.0
    share_decay: float = 0.99
    """The linear program values each further ``share_step_amps`` of a car's current at
    ``share_decay`` times the one before: cars of about the same urgency share the room instead of the
    most urgent by a hair taking it all. Without it the winner flips as soon as it has charged a little
    (its laxity grows), and the whole site's current swings from car to car every run."""
    share_segments: int = 8
    """At most this many steps per car (the last takes the rest of its range)."""
    tou_deferral_share: float = 0.5
    """Energy objective's time-of-use shaping: a car waits for cheaper periods only if it could
    get all it wants in them at this share of what it can take."""
    report_energy_given_up: bool = True
    """Profit objective: also plan as the energy objective would, to report the energy profit gives up."""


DEFAULT_TUNING = Tuning()


@dataclass
class _Demand:
    index: int
    evse: Evse
    session: ActiveSession
    upper: float
    lower: float
    cap: float
    """What the car can take in any period (the soft cap); ``upper`` also holds what it needs now."""
    weight: float
    laxity_minutes: float
    hours_left: float


def _floor_to(values: tuple[float, ...], x: float) -> float:
    position = bisect.bisect_right(values, x + TOLERANCE_AMPS)
    return values[max(position - 1, 0)]


def _ceil_to(values: tuple[float, ...], x: float) -> float:
    position = bisect.bisect_left(values, x - TOLERANCE_AMPS)
    return values[min(position, len(values) - 1)]


def _vehicle_caps(evse: Evse, session: ActiveSession, tuning: Tuning) -> tuple[float, float]:
    """The hard cap (what the EVSE and the car can take) and the soft one (what the car is seen to
    take when it takes less than offered, plus a little headroom to notice it taking more)."""
    hard = evse.max_current_amps
    if session.vehicle_max_current_amps is not None:
        hard = min(hard, session.vehicle_max_current_amps)
    soft = hard
    offered, observed = session.offered_current_amps, session.observed_current_amps
    if offered is not None and observed is not None and observed < offered - tuning.released_headroom_amps:
        soft = min(hard, observed + tuning.released_headroom_amps)
    return hard, soft


def _car_pilot_cap(pilots: tuple[float, ...], hard: float) -> float:
    """The largest pilot worth offering a car that takes at most ``hard``: the pilot nearest to it
    (the one above on a tie). A car draws no more than it can take whatever the pilot, so a pilot a
    little above its maximum only reserves the difference, where flooring (a 6.6 kW car, 31.7 A,
    on pilots of 8 A steps) would throw away most of a step."""
    below = _floor_to(pilots, hard)
    above = _ceil_to(pilots, hard)
    return above if above - hard <= hard - below + TOLERANCE_AMPS else below


def _upper_bound(evse: Evse, session: ActiveSession, hard: float, soft: float, period_hours: float) -> float:
    """The most this session may be offered: never above what the car can take, and no more than
    the smallest allowed value that covers what it still needs and is seen to draw this period."""
    if session.energy_wanted_kwh <= 1e-9:
        return 0.0
    needed = session.energy_wanted_kwh * 1000.0 / (evse.watts_per_amp * period_hours)
    pilots = evse.pilot_values
    if pilots is not None:
        return min(_ceil_to(pilots, min(needed, soft)), _car_pilot_cap(pilots, hard))
    wanted = min(needed, soft)
    if wanted < evse.min_current_amps:
        return evse.min_current_amps if evse.min_current_amps <= hard else 0.0
    return wanted


def _demands(snapshot: SiteSnapshot, compiled: CompiledNetwork, tuning: Tuning) -> list[_Demand]:
    period_hours = snapshot.period_minutes / 60.0
    index_of = {evse_id: i for i, evse_id in enumerate(compiled.evse_ids)}
    evses = snapshot.network.evses
    demands = []
    for session in sorted(snapshot.sessions, key=lambda s: s.evse_id):
        if session.fixed_draw_amps is not None:
            continue
        index = index_of[session.evse_id]
        evse = evses[index]
        cap, soft_cap = _vehicle_caps(evse, session, tuning)
        upper = _upper_bound(evse, session, cap, soft_cap, period_hours)
        if session.estimated_departure is not None:
            minutes_left = max((session.estimated_departure - snapshot.now).total_seconds() / 60.0, 0.0)
        else:
            minutes_left = tuning.unknown_stay_minutes
        full_rate_minutes = (
            session.energy_wanted_kwh * 1000.0 / (evse.watts_per_amp * cap) * 60.0 if cap > 0 else math.inf
        )
        laxity = minutes_left - full_rate_minutes
        urgency = 1.0 + tuning.urgency_weight / (1.0 + max(laxity, 0.0) / tuning.urgency_scale_minutes)
        weight = urgency * session.priority_weight + (tuning.fleet_weight if session.fleet else 0.0)
        demands.append(
            _Demand(
                index,
                evse,
                session,
                upper,
                0.0,
                soft_cap,
                weight,
                laxity,
                max(minutes_left, snapshot.period_minutes) / 60,
            )
        )
    return demands


class _Loads:
    """Per-EVSE currents with the running phasor sum of every limited line."""

    def __init__(
        self,
        compiled: CompiledNetwork,
        currents: list[float],
        power_limit_kw: float | None,
        volts: list[float],
        offsets: tuple[complex, ...],
    ):
        self.compiled = compiled
        self.currents = currents
        self.row_sums = [0j] * len(compiled.rows)
        for j, row in enumerate(compiled.rows):
            self.row_sums[j] = offsets[j] + sum(
                (c * currents[i] for i, c in zip(row.members, row.coefficients, strict=True)), 0j
            )
        self.power_limit_kw = power_limit_kw
        self.volts = volts
        self.power_kw = sum(v * a for v, a in zip(volts, currents, strict=True)) / 1000.0

    def headroom(self, index: int) -> float:
        """How much more current this EVSE can take before any line (or the power cap) is full."""
        rows = self.compiled.rows_of_evse[index]
        room = max_increase(
            [self.row_sums[j] for j in rows],
            [self.compiled.rows[j] for j in rows],
            self.compiled.coefficients_of_evse[index],
        )
        if self.power_limit_kw is not None:
            room = min(room, max(self.power_limit_kw - self.power_kw, 0.0) * 1000.0 / self.volts[index])
        return room

    def change(self, index: int, new_current: float) -> None:
        delta = new_current - self.currents[index]
        for j, coefficient in zip(
            self.compiled.rows_of_evse[index], self.compiled.coefficients_of_evse[index], strict=True
        ):
            self.row_sums[j] += coefficient * delta
        self.power_kw += self.volts[index] * delta / 1000.0
        self.currents[index] = new_current


def _critical_power_kw(demands: list[_Demand]) -> float:
    """The least constant site power that meets every departure, if every car could take any share
    (earliest departure first, so the tightest prefix of departures sets it)."""
    needed = 0.0
    critical = 0.0
    for demand in sorted(demands, key=lambda d: (d.hours_left, d.evse.evse_id)):
        needed += demand.session.energy_wanted_kwh
        critical = max(critical, needed / demand.hours_left)
    return critical


def _deliverable_power_kw(demands: list[_Demand], compiled: CompiledNetwork, tuning: Tuning) -> float | None:
    """The most power the site's lines let these cars take at once."""
    most_power = [
        dataclasses.replace(d, upper=d.cap, lower=0.0, weight=d.evse.watts_per_amp / 1000.0) for d in demands
    ]
    currents = _solve_linear_program(most_power, compiled, None, tuning, None)
    if currents is None:
        return None
    return sum(d.evse.watts_per_amp * amps for d, amps in zip(demands, currents, strict=True)) / 1000.0


def _planned_sessions(snapshot: SiteSnapshot, demands: list[_Demand]) -> list[PlannedSession]:
    return [
        PlannedSession(
            evse_index=d.index,
            voltage=d.evse.watts_per_amp,
            energy_kwh=d.session.energy_wanted_kwh,
            periods_left=periods_until(d.hours_left, snapshot.period_minutes, snapshot.horizon_periods),
            max_amps_now=d.upper,
            max_amps_later=d.cap,
        )
        for d in demands
    ]


@dataclass(frozen=True)
class _Plan:
    ev_power_now_kw: float
    delivered_kwh: float
    site: SitePlan | None = None


def _plan(
    snapshot: SiteSnapshot,
    demands: list[_Demand],
    compiled: CompiledNetwork,
    tuning: Tuning,
    inputs: PeriodInputs | None,
    tariff: Tariff,
) -> _Plan | None:
    """The look-ahead: ``site_plan`` when the site has other flows or grid signals, else the EV-only
    ``profit_plan``; ``tariff`` says what a kWh is worth (None: deliver all that fits)."""
    planned = _planned_sessions(snapshot, demands)
    ev_limit = snapshot.peak_limit_kw
    with_network = plan_with_network(planned, compiled)
    if not with_network:
        deliverable = _deliverable_power_kw(demands, compiled, tuning)
        if deliverable is not None:
            ev_limit = deliverable if ev_limit is None else min(ev_limit, deliverable)
    if inputs is not None:
        power = snapshot.site_power
        site = plan_site(
            planned,
            [d.weight if tariff.energy_value_per_kwh is None else 1.0 for d in demands],
            inputs,
            power.battery if power is not None else None,
            tariff,
            snapshot.now,
            snapshot.period_minutes,
            compiled,
            tuning.plan_polygon_sides,
            ev_limit,
            with_network,
            _connection_kw(snapshot),
        )
        return None if site is None else _Plan(site.ev_power_now_kw, site.delivered_kwh, site)
    ev_only = plan_now(
        planned,
        tariff,
        snapshot.now,
        snapshot.period_minutes,
        compiled,
        tuning.plan_polygon_sides,
        ev_limit,
        with_network,
    )
    return None if ev_only is None else _Plan(*ev_only)


def _connection_kw(snapshot: SiteSnapshot) -> float | None:
    """The grid connection's per-phase limit as power, for flows taken as balanced."""
    power, transformer = snapshot.site_power, snapshot.network.transformer
    if power is None or transformer is None or not power.flows_through_transformer:
        return None
    return transformer.secondary_limit_amps * power.phases * power.line_to_neutral_volts / 1000.0


def _fallback_target_kw(snapshot: SiteSnapshot, demands: list[_Demand], tuning: Tuning) -> float:
    return max(snapshot.tariff.peak_so_far_kw, _critical_power_kw(demands) * (1 + tuning.profit_power_margin))


@dataclass(frozen=True)
class _Targets:
    ev_target_kw: float | None
    """The cap on the EV load now the objective sets (None: as much as the limits allow)."""
    battery_kw: tuple[float, ...] | None
    """The plan's battery set point per period (now first), if it planned one."""
    energy_given_up_kwh: float | None = None


def _targets(
    snapshot: SiteSnapshot,
    demands: list[_Demand],
    compiled: CompiledNetwork,
    tuning: Tuning,
    inputs: PeriodInputs | None,
) -> _Targets:
    """What the objective asks of the EV load now, and of the battery."""
    power = snapshot.site_power
    has_battery = power is not None and power.battery is not None
    tariff = snapshot.tariff
    if inputs is not None:
        tariff = tariff.model_copy(update={"energy_prices_per_kwh": inputs.prices})
    deliver_all = tariff.model_copy(update={"energy_value_per_kwh": None})
    solve = tuning.use_linear_program
    if snapshot.objective == "profit":
        plan = _plan(snapshot, demands, compiled, tuning, inputs, tariff) if solve else None
        if plan is None:
            return _Targets(_fallback_target_kw(snapshot, demands, tuning), None)
        given_up = None
        if tuning.report_energy_given_up:
            energy_plan = _plan(snapshot, demands, compiled, tuning, inputs, deliver_all)
            if energy_plan is not None:
                given_up = max(energy_plan.delivered_kwh - plan.delivered_kwh, 0.0)
        battery = plan.site.battery_kw if plan.site is not None and plan.site.battery_kw else None
        return _Targets(plan.ev_power_now_kw, battery, given_up)
    prices_vary = inputs.prices_vary if inputs is not None else _tariff_prices_vary(tariff)
    if snapshot.tou_shaping and prices_vary:
        _defer_to_cheaper_periods(snapshot, demands, inputs, tariff, tuning)
    if not has_battery or not solve:
        return _Targets(None, None)
    plan = _plan(snapshot, demands, compiled, tuning, inputs, deliver_all)
    if plan is None:
        return _Targets(None, None)
    battery = plan.site.battery_kw if plan.site is not None and plan.site.battery_kw else None
    return _Targets(None, battery)


def _defer_to_cheaper_periods(
    snapshot: SiteSnapshot,
    demands: list[_Demand],
    inputs: PeriodInputs | None,
    tariff: Tariff,
    tuning: Tuning,
) -> None:
    """Time-of-use shaping for the energy objective, car by car: a car waits (at its minimum if
    it is already charging) when energy is cheaper later in its stay and it could still get all
    it wants in those cheaper periods at ``tou_deferral_share`` of what it can take. The room it
    leaves goes to the other cars first; the site's load only falls when no other car wants it.
    A site-level cap from a plan blind to the cars still to arrive gave up a third of the energy
    on the Caltech data (bench/energy/README.md)."""
    prices = inputs.prices if inputs is not None else tariff.energy_prices_per_kwh
    if not prices:
        return
    hours = snapshot.period_minutes / 60.0
    now_price = prices[0]
    for demand in demands:
        periods = periods_until(demand.hours_left, snapshot.period_minutes, snapshot.horizon_periods)
        cheaper = sum(1 for k in range(1, periods) if prices[min(k, len(prices) - 1)] < now_price - 1e-9)
        if cheaper == 0:
            continue
        kwh_then = (
            cheaper * hours * demand.cap * demand.evse.watts_per_amp / 1000.0 * tuning.tou_deferral_share
        )
        if kwh_then >= demand.session.energy_wanted_kwh:
            minimum = demand.evse.smallest_nonzero_amps if demand.session.is_charging else 0.0
            demand.upper = min(demand.upper, minimum)


def _tariff_prices_vary(tariff: Tariff) -> bool:
    prices = tariff.energy_prices_per_kwh
    return bool(prices) and max(prices) - min(prices) > 1e-9


def _start_loads(
    demands: list[_Demand],
    compiled: CompiledNetwork,
    volts: list[float],
    hard_limit_kw: float | None,
    target: float | None,
    offsets: tuple[complex, ...],
) -> _Loads:
    """Cars already charging keep their minimum first, within the hard limits; the objective's
    target only caps what comes on top, since pausing a car costs more than a little peak."""
    loads = _Loads(compiled, [0.0] * len(compiled.evse_ids), hard_limit_kw, volts, offsets)
    _keep_charging_cars_on(demands, loads)
    if target is not None:
        # a hard limit of 0 kW (a grid signal "nothing now") is a limit, not the absence of one
        hard = math.inf if hard_limit_kw is None else hard_limit_kw
        loads.power_limit_kw = min(hard, max(target, loads.power_kw))
    return loads


def _keep_charging_cars_on(demands: list[_Demand], loads: _Loads) -> None:
    for demand in sorted(demands, key=lambda d: (d.laxity_minutes, d.evse.evse_id)):
        minimum = demand.evse.smallest_nonzero_amps
        if not demand.session.is_charging or minimum <= 0 or demand.upper < minimum:
            continue
        if loads.headroom(demand.index) >= minimum - TOLERANCE_AMPS:
            loads.change(demand.index, minimum)
            demand.lower = minimum


def _solve_linear_program(
    demands: list[_Demand],
    compiled: CompiledNetwork,
    power_limit_kw: float | None,
    tuning: Tuning,
    offsets: tuple[complex, ...] | None,
) -> list[float] | None:
    """Weighted maximum current under the (conservative) polygon limits; None if HiGHS fails or
    is not installed (the greedy fill then does the work)."""
    modules = solver_modules()
    if modules is None:
        return None
    free_positions = [p for p, d in enumerate(demands) if d.upper > d.lower + TOLERANCE_AMPS]
    if not free_positions:
        return [d.lower for d in demands]
    free = [demands[p] for p in free_positions]
    program = LinearProgram(*modules)
    program.add_columns([0.0] * len(free), [d.lower for d in free], [d.upper for d in free])
    _add_sharing_steps(program, free, tuning)
    column_of = {d.index: k for k, d in enumerate(free)}
    fixed = {d.index: d.lower for d in demands if d.index not in column_of}
    program.add_network_limits(compiled, column_of, fixed, tuning.polygon_sides, offsets)
    if power_limit_kw is not None:
        fixed_kw = sum(d.evse.watts_per_amp * d.lower for d in demands if d.index not in column_of) / 1000.0
        program.add_row(
            list(range(len(free))),
            [d.evse.watts_per_amp / 1000.0 for d in free],
            -program.infinity,
            power_limit_kw - fixed_kw,
        )
    solution = program.solve()
    if solution is None:
        return None
    currents = [d.lower for d in demands]
    for k, position in enumerate(free_positions):
        d = demands[position]
        currents[position] = min(max(float(solution[k]), d.lower), d.upper)
    return currents


def _add_sharing_steps(program: LinearProgram, free: list[_Demand], tuning: Tuning) -> None:
    """Column k (car k's current) = its lower bound + its steps; the objective values the steps, each
    worth ``share_decay`` times the one before (a concave, piecewise-linear value of current)."""
    for k, demand in enumerate(free):
        span = demand.upper - demand.lower
        # The first step reaches the car's minimum: less than that is no current at all (rounded to 0),
        # so steps below it would spread the room into currents no car can take.
        first_width = min(span, max(tuning.share_step_amps, demand.evse.smallest_nonzero_amps - demand.lower))
        rest = span - first_width
        count = 1 + max(0, min(tuning.share_segments - 1, math.ceil(rest / tuning.share_step_amps - 1e-9)))
        widths = [first_width, *([tuning.share_step_amps] * (count - 2))]
        if count > 1:
            widths.append(span - sum(widths))
        first = program.add_columns(
            [-demand.weight * tuning.share_decay**j for j in range(count)], [0.0] * count, widths
        )
        program.add_row(
            [k, *range(first, first + count)], [1.0, *([-1.0] * count)], demand.lower, demand.lower
        )


def _fill(demands: list[_Demand], loads: _Loads, order: list[_Demand], step_amps: float = math.inf) -> None:
    """Raise each session, in the given order, by up to ``step_amps`` (one pilot step for discrete
    EVSEs) as far as its bounds and the exact limits allow; repeat while anything moved. Small
    steps share the room out round by round, which keeps the phases balanced."""
    moving = list(order)
    while moving:
        still_moving = []
        for demand in moving:
            current = loads.currents[demand.index]
            if current >= demand.upper - TOLERANCE_AMPS:
                continue
            room = loads.headroom(demand.index)
            pilots = demand.evse.pilot_values
            if pilots is not None:
                target = _floor_to(pilots, min(current + room, demand.upper))
                if target > current:
                    # One step at a time, so the room is shared out before anyone takes it all.
                    target = min(target, pilots[bisect.bisect_right(pilots, current + TOLERANCE_AMPS)])
                    loads.change(demand.index, target)
                    still_moving.append(demand)
                continue
            target = min(current + room, demand.upper, current + max(step_amps, demand.evse.min_current_amps))
            if current == 0 and target < demand.evse.min_current_amps - TOLERANCE_AMPS:
                continue
            if target > current + TOLERANCE_AMPS:
                loads.change(demand.index, target)
                if target < demand.upper - TOLERANCE_AMPS and math.isfinite(step_amps):
                    still_moving.append(demand)
        moving = still_moving


def _round_into_allowed(demands: list[_Demand], loads: _Loads) -> None:
    for demand in demands:
        current = loads.currents[demand.index]
        pilots = demand.evse.pilot_values
        if pilots is not None:
            rounded = _floor_to(pilots, current)
        elif current < demand.evse.min_current_amps - TOLERANCE_AMPS:
            rounded = 0.0
        else:
            rounded = current
        rounded = max(rounded, demand.lower)
        if rounded != current:
            loads.change(demand.index, rounded)


def _project_schedule(
    snapshot: SiteSnapshot, demands: list[_Demand], currents: list[float]
) -> dict[str, tuple[float, ...]]:
    """Hold each session's current until its energy is delivered or it leaves; the periods after
    the plan's end are zero."""
    period_hours = snapshot.period_minutes / 60.0
    schedule: dict[str, tuple[float, ...]] = {}
    for demand in demands:
        amps = currents[demand.index]
        periods_left = min(snapshot.horizon_periods, max(1, math.ceil(demand.hours_left / period_hours)))
        if amps <= 0:
            schedule[demand.evse.evse_id] = ()
            continue
        kwh_per_period = amps * demand.evse.watts_per_amp * period_hours / 1000.0
        full_periods = min(int(demand.session.energy_wanted_kwh / kwh_per_period + 1e-9), periods_left)
        plan = [amps] * full_periods
        rest = demand.session.energy_wanted_kwh - full_periods * kwh_per_period
        if full_periods < periods_left and rest > 1e-9:
            plan.append(amps * rest / kwh_per_period)
        schedule[demand.evse.evse_id] = tuple(plan)
    return schedule


def _priority(demands: list[_Demand]) -> list[_Demand]:
    return sorted(demands, key=lambda d: (-d.weight, d.laxity_minutes, d.evse.evse_id))


def _fill_by_urgency_tier(demands: list[_Demand], loads: _Loads, step_amps: float) -> None:
    """The greedy path: most urgent tier first; inside a tier, small steps round by round."""
    tiers: dict[float, list[_Demand]] = {}
    for demand in _priority(demands):
        tiers.setdefault(round(demand.weight, 1), []).append(demand)
    for tier in sorted(tiers, reverse=True):
        _fill(demands, loads, tiers[tier], step_amps)


@dataclass(frozen=True)
class _SiteFlows:
    """Everything at the connection the allocator does not hand out as EVSE current."""

    offsets: tuple[complex, ...]
    ev_limit_kw: float | None
    """The hard cap on the EV load now: the peak limit and the import limit less the other flows."""
    battery_kw: float
    other_kw: float
    """Base load - solar + battery + the draw of chargers that ignore their limit."""
    import_limit_kw: float | None


def _site_flows(
    snapshot: SiteSnapshot,
    compiled: CompiledNetwork,
    demands: list[_Demand],
    inputs: PeriodInputs | None,
    planned_battery_kw: float | None,
) -> _SiteFlows:
    hours = snapshot.period_minutes / 60.0
    evses = snapshot.network.evses
    index_of = {evse_id: i for i, evse_id in enumerate(compiled.evse_ids)}
    uncontrolled = {
        index_of[s.evse_id]: s.fixed_draw_amps for s in snapshot.sessions if s.fixed_draw_amps is not None
    }
    uncontrolled_kw = sum(evses[i].watts_per_amp * a for i, a in uncontrolled.items()) / 1000.0
    offsets = evse_offsets(compiled, uncontrolled)
    power = snapshot.site_power
    limit = inputs.import_limit_kw[0] if inputs is not None else None
    battery_kw = 0.0
    net_kw = 0.0
    if inputs is not None:
        net_kw = inputs.base_kw[0] - inputs.solar_kw[0]
    if power is not None and power.battery is not None:
        most_discharge, most_charge = power.battery.power_bounds_kw(hours)
        caps = [c for c in (limit, _connection_kw(snapshot)) if c is not None]
        headroom = min(caps) - net_kw - uncontrolled_kw if caps else None
        if planned_battery_kw is None:
            demand_kw = sum(d.upper * d.evse.watts_per_amp for d in demands) / 1000.0
            assert inputs is not None
            planned_battery_kw = rule_battery_kw(power.battery, hours, demand_kw, inputs, headroom)
        battery_kw = min(max(planned_battery_kw, -most_discharge), most_charge)
        if headroom is not None:
            # Charging never takes the import over its limit; past it, discharge all it can.
            battery_kw = max(min(battery_kw, headroom), -most_discharge)
        if abs(battery_kw) < 1e-6:
            battery_kw = 0.0
    other_kw = net_kw + battery_kw + uncontrolled_kw
    if power is not None and power.flows_through_transformer and (net_kw + battery_kw) != 0:
        amps_per_line = (net_kw + battery_kw) * 1000.0 / (power.phases * power.line_to_neutral_volts)
        site = connection_offsets(snapshot.network, compiled, amps_per_line, power.phases)
        offsets = tuple(a + b for a, b in zip(offsets, site, strict=True))
    ev_limit = snapshot.peak_limit_kw
    if limit is not None:
        room = max(limit - other_kw, 0.0)
        ev_limit = room if ev_limit is None else min(ev_limit, room)
    return _SiteFlows(offsets, ev_limit, battery_kw, other_kw, limit)


def allocate(snapshot: SiteSnapshot, tuning: Tuning = DEFAULT_TUNING) -> Allocation:
    """Currents for every EVSE now, never breaking a limit of the site; deterministic."""
    network_rows = compile_network(snapshot.network)
    demands = _demands(snapshot, network_rows, tuning)
    volts = [e.watts_per_amp for e in snapshot.network.evses]
    inputs = period_inputs(snapshot) if snapshot.site_power is not None or snapshot.grid_signals else None
    targets = _targets(snapshot, demands, network_rows, tuning, inputs)
    planned_battery = targets.battery_kw
    flows = _site_flows(
        snapshot, network_rows, demands, inputs, planned_battery[0] if planned_battery else None
    )
    compiled = with_offsets(network_rows, flows.offsets)
    offsets = flows.offsets
    target = targets.ev_target_kw
    loads = _start_loads(demands, compiled, volts, flows.ev_limit_kw, target, offsets)

    method = "greedy"
    planned = None
    if tuning.use_linear_program and demands:
        planned = _solve_linear_program(demands, compiled, loads.power_limit_kw, tuning, offsets)
    if planned is not None:
        method = "lp"
        for demand, amps in zip(demands, planned, strict=True):
            loads.change(demand.index, amps)
        if loads.power_limit_kw is not None and loads.power_kw > loads.power_limit_kw:
            loads.power_limit_kw = loads.power_kw
    if method == "lp":
        _fill(demands, loads, [d for d in _priority(demands) if d.evse.pilot_values is None])
        _round_into_allowed(demands, loads)
        _fill(demands, loads, _priority(demands))
    else:
        _fill_by_urgency_tier(demands, loads, tuning.greedy_step_amps)

    hard_limit = flows.ev_limit_kw
    over_power = hard_limit is not None and loads.power_kw > hard_limit + 1e-6
    if violations(compiled, loads.currents, offsets) or over_power:
        method = "greedy"
        for demand in demands:
            demand.lower = 0.0
        loads = _start_loads(demands, compiled, volts, flows.ev_limit_kw, target, offsets)
        _fill_by_urgency_tier(demands, loads, tuning.greedy_step_amps)
    currents = list(loads.currents)
    index_of = {evse_id: i for i, evse_id in enumerate(network_rows.evse_ids)}
    for session in snapshot.sessions:
        if session.fixed_draw_amps is not None:
            currents[index_of[session.evse_id]] = session.fixed_draw_amps
    ev_kw = sum(v * a for v, a in zip(volts, loads.currents, strict=True)) / 1000.0
    battery = snapshot.site_power.battery if snapshot.site_power is not None else None
    schedule: tuple[float, ...] = ()
    if battery is not None:
        schedule = (flows.battery_kw,)
        if planned_battery and abs(planned_battery[0] - flows.battery_kw) < 1e-6:
            # The plan's later periods assume its first; a set point held back for a limit
            # leaves no valid plan beyond now.
            schedule += planned_battery[1:]
    return Allocation(
        currents_amps={evse_id: currents[i] for i, evse_id in enumerate(network_rows.evse_ids)},
        schedule_amps=_project_schedule(snapshot, demands, currents),
        method=method,
        ev_power_kw=round(ev_kw, 6),
        battery_power_kw=flows.battery_kw,
        battery_schedule_kw=schedule,
        import_kw=round(ev_kw + flows.other_kw, 6) if inputs is not None else None,
        import_limit_kw=flows.import_limit_kw,
        energy_given_up_kwh=targets.energy_given_up_kwh,
    )
