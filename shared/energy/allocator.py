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

For ``profit`` the site's load is also capped at the least constant power that still meets every
car's estimated departure (or this month's peak so far, which is already paid for, if higher).
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass

from shared.energy.models import ActiveSession, Allocation, Evse, SiteSnapshot
from shared.energy.network import TOLERANCE_AMPS, CompiledNetwork, compile_network, max_increase, violations


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
    use_linear_program: bool = True
    greedy_step_amps: float = 1.0
    """Without the linear program, currents rise by this much per round, to keep phases balanced."""


DEFAULT_TUNING = Tuning()


@dataclass
class _Demand:
    index: int
    evse: Evse
    session: ActiveSession
    upper: float
    lower: float
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


def _upper_bound(evse: Evse, session: ActiveSession, hard: float, soft: float, period_hours: float) -> float:
    """The most this session may be offered: never above what the car can take, and no more than
    the smallest allowed value that covers what it still needs and is seen to draw this period."""
    if session.energy_wanted_kwh <= 1e-9:
        return 0.0
    needed = session.energy_wanted_kwh * 1000.0 / (evse.voltage * period_hours)
    pilots = evse.pilot_values
    if pilots is not None:
        return min(_ceil_to(pilots, min(needed, soft)), _floor_to(pilots, hard))
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
        index = index_of[session.evse_id]
        evse = evses[index]
        cap, soft_cap = _vehicle_caps(evse, session, tuning)
        upper = _upper_bound(evse, session, cap, soft_cap, period_hours)
        if session.estimated_departure is not None:
            minutes_left = max((session.estimated_departure - snapshot.now).total_seconds() / 60.0, 0.0)
        else:
            minutes_left = tuning.unknown_stay_minutes
        full_rate_minutes = (
            session.energy_wanted_kwh * 1000.0 / (evse.voltage * cap) * 60.0 if cap > 0 else math.inf
        )
        laxity = minutes_left - full_rate_minutes
        weight = 1.0 + tuning.urgency_weight / (1.0 + max(laxity, 0.0) / tuning.urgency_scale_minutes)
        demands.append(
            _Demand(
                index,
                evse,
                session,
                upper,
                0.0,
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
    ):
        self.compiled = compiled
        self.currents = currents
        self.row_sums = [0j] * len(compiled.rows)
        self.position = [dict(zip(r.members, range(len(r.members)), strict=True)) for r in compiled.rows]
        for j, row in enumerate(compiled.rows):
            self.row_sums[j] = sum(
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
            [self.compiled.rows[j].coefficients[self.position[j][index]] for j in rows],
        )
        if self.power_limit_kw is not None:
            room = min(room, max(self.power_limit_kw - self.power_kw, 0.0) * 1000.0 / self.volts[index])
        return room

    def change(self, index: int, new_current: float) -> None:
        delta = new_current - self.currents[index]
        for j in self.compiled.rows_of_evse[index]:
            self.row_sums[j] += self.compiled.rows[j].coefficients[self.position[j][index]] * delta
        self.power_kw += self.volts[index] * delta / 1000.0
        self.currents[index] = new_current


def _critical_power_kw(demands: list[_Demand]) -> float:
    """The least constant site power that meets every departure, if every car could take any share
    (earliest departure first, so the tightest prefix of departures sets it)."""
    needed = 0.0
    critical = 0.0
    for demand in sorted(demands, key=lambda d: d.hours_left):
        needed += demand.session.energy_wanted_kwh
        critical = max(critical, needed / demand.hours_left)
    return critical


def _power_limit_kw(snapshot: SiteSnapshot, demands: list[_Demand], tuning: Tuning) -> float | None:
    limit = snapshot.peak_limit_kw
    if snapshot.objective == "profit":
        target = max(
            snapshot.tariff.peak_so_far_kw, _critical_power_kw(demands) * (1 + tuning.profit_power_margin)
        )
        limit = target if limit is None else min(limit, target)
    return limit


def _keep_charging_cars_on(demands: list[_Demand], loads: _Loads) -> None:
    for demand in sorted(demands, key=lambda d: (d.laxity_minutes, d.evse.evse_id)):
        minimum = demand.evse.smallest_nonzero_amps
        if not demand.session.is_charging or minimum <= 0 or demand.upper < minimum:
            continue
        if loads.headroom(demand.index) >= minimum - TOLERANCE_AMPS:
            loads.change(demand.index, minimum)
            demand.lower = minimum


def _solve_linear_program(
    demands: list[_Demand], compiled: CompiledNetwork, power_limit_kw: float | None, tuning: Tuning
) -> list[float] | None:
    """Weighted maximum current under the (conservative) polygon limits; None if HiGHS fails or
    is not installed (the greedy fill then does the work)."""
    try:
        # Deferred: the models and the greedy path must not pay for importing them.
        import highspy
        import numpy as np
    except ImportError:
        return None

    free_positions = [p for p, d in enumerate(demands) if d.upper > d.lower + TOLERANCE_AMPS]
    if not free_positions:
        return [d.lower for d in demands]
    free = [demands[p] for p in free_positions]
    column_of = {d.index: k for k, d in enumerate(free)}
    fixed = {d.index: d.lower for d in demands if d.index not in column_of}
    sides = tuning.polygon_sides
    # Edge normals half a side off the axes put polygon corners on multiples of 360/sides degrees,
    # where balanced three-phase line currents point, so the polygon costs nothing there.
    normals = np.exp(1j * (2 * np.arange(sides) + 1) * np.pi / sides)
    shrink = math.cos(math.pi / sides)
    starts = [0]
    indexes: list[np.ndarray] = []
    values: list[np.ndarray] = []
    lowers: list[float] = []
    uppers: list[float] = []
    # A mixed-angle line gets two helper columns holding the real and imaginary parts of its
    # phasor sum; its polygon rows then touch only those two, which keeps the matrix small.
    helper_count = 0

    def add_row(columns: np.ndarray, coefficients: np.ndarray, lower: float, upper: float) -> None:
        indexes.append(columns)
        values.append(coefficients)
        lowers.append(lower)
        uppers.append(upper)
        starts.append(starts[-1] + len(columns))

    for row in compiled.rows:
        members = [
            (column_of[i], c) for i, c in zip(row.members, row.coefficients, strict=True) if i in column_of
        ]
        if not members:
            continue
        fixed_sum = sum(
            (c * fixed[i] for i, c in zip(row.members, row.coefficients, strict=True) if i in fixed), 0j
        )
        columns = np.array([m[0] for m in members], dtype=np.int32)
        coefficients = np.array([m[1] for m in members], dtype=complex)
        if row.single_angle and abs(fixed_sum) == 0:
            add_row(columns, np.abs(coefficients), -highspy.kHighsInf, row.limit_amps)
            continue
        real_column = len(free) + helper_count
        helper_count += 2
        helpers = np.array([real_column, real_column + 1], dtype=np.int32)
        # helper_re - sum Re(c) r = Re(fixed), helper_im - sum Im(c) r = Im(fixed)
        for part, column in ((np.real, real_column), (np.imag, real_column + 1)):
            target = float(part(fixed_sum))
            add_row(
                np.append(columns, column).astype(np.int32),
                np.append(-part(coefficients), 1.0),
                target,
                target,
            )
        bound = row.limit_amps * shrink
        for k in range(sides):
            add_row(helpers, np.array([normals[k].real, normals[k].imag]), -highspy.kHighsInf, bound)
    if power_limit_kw is not None:
        fixed_kw = sum(d.evse.voltage * d.lower for d in demands if d.index not in column_of) / 1000.0
        add_row(
            np.arange(len(free), dtype=np.int32),
            np.array([d.evse.voltage / 1000.0 for d in free]),
            -highspy.kHighsInf,
            power_limit_kw - fixed_kw,
        )

    lp = highspy.HighsLp()
    lp.num_col_ = len(free) + helper_count
    lp.num_row_ = len(uppers)
    lp.col_cost_ = np.concatenate([np.array([-d.weight for d in free]), np.zeros(helper_count)])
    lp.col_lower_ = np.concatenate(
        [np.array([d.lower for d in free]), np.full(helper_count, -highspy.kHighsInf)]
    )
    lp.col_upper_ = np.concatenate(
        [np.array([d.upper for d in free]), np.full(helper_count, highspy.kHighsInf)]
    )
    lp.row_lower_ = np.array(lowers)
    lp.row_upper_ = np.array(uppers)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.array(starts, dtype=np.int32)
    lp.a_matrix_.index_ = np.concatenate(indexes) if indexes else np.array([], dtype=np.int32)
    lp.a_matrix_.value_ = np.concatenate(values) if values else np.array([])
    solver = highspy.Highs()
    solver.setOptionValue("output_flag", False)
    solver.setOptionValue("random_seed", 0)
    solver.setOptionValue("threads", 1)
    solver.passModel(lp)
    solver.run()
    if solver.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    solution = solver.getSolution().col_value
    currents = [d.lower for d in demands]
    for k, position in enumerate(free_positions):
        d = demands[position]
        currents[position] = min(max(float(solution[k]), d.lower), d.upper)
    return currents


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
        kwh_per_period = amps * demand.evse.voltage * period_hours / 1000.0
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


def allocate(snapshot: SiteSnapshot, tuning: Tuning = DEFAULT_TUNING) -> Allocation:
    """Currents for every EVSE now, never breaking a limit of the site; deterministic."""
    compiled = compile_network(snapshot.network)
    demands = _demands(snapshot, compiled, tuning)
    volts = [e.voltage for e in snapshot.network.evses]
    power_limit = _power_limit_kw(snapshot, demands, tuning)
    zero = [0.0] * len(compiled.evse_ids)

    loads = _Loads(compiled, list(zero), power_limit, volts)
    _keep_charging_cars_on(demands, loads)

    method = "greedy"
    planned = None
    if tuning.use_linear_program and demands:
        planned = _solve_linear_program(demands, compiled, power_limit, tuning)
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

    if violations(compiled, loads.currents):
        method = "greedy"
        loads = _Loads(compiled, list(zero), power_limit, volts)
        for demand in demands:
            demand.lower = 0.0
        _keep_charging_cars_on(demands, loads)
        _fill_by_urgency_tier(demands, loads, tuning.greedy_step_amps)
    currents = loads.currents
    return Allocation(
        currents_amps={evse_id: currents[i] for i, evse_id in enumerate(compiled.evse_ids)},
        schedule_amps=_project_schedule(snapshot, demands, currents),
        method=method,
    )
