"""A re-implementation of Caltech's Adaptive Scheduling Algorithm (ASA) and its offline optimum.

``adacharge`` is not on PyPI, so this module rebuilds ASA from the published formulation
(Lee, Lee, Low, "Adaptive Charging Networks: A Framework for Smart Electric Vehicle Charging",
IEEE Trans. Smart Grid 2021, and "ACN-Sim", same journal, 2021): at every period, maximise a
weighted sum of objective terms over an N x T matrix of future charging currents subject to

* per-session rate bounds inside the session's window, zero outside it;
* delivered energy <= remaining demand;
* the network's second-order-cone constraints: for each constraint row ``v`` with limit ``c``,
  ``|| [v cos(phi); v sin(phi)] r(t) ||_2 <= c`` for every period ``t`` (exact three-phase magnitudes);

then apply only the first column. The realistic configuration adds acnportal's ramp-down upper
bound estimate, the minimum-rate pre-processing for uninterrupted charging, and rounds the first
column into each EVSE's allowed pilots with a reallocation pass (largest rounding loss first),
as the paper's scenario V does. The solver is CLARABEL through cvxpy (the paper used MOSEK/ECOS).
"""

from __future__ import annotations

import bisect
import copy
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np
from acnportal.acnsim.interface import InfrastructureInfo, Interface, SessionInfo
from acnportal.algorithms import (
    BaseAlgorithm,
    SimpleRampdown,
    apply_minimum_charging_rate,
    apply_upper_bound_estimate,
    enforce_pilot_limit,
)

SOLVER = "CLARABEL"
DAYS_IN_BILLING_MONTH = 30

ObjectiveFunction = Callable[[cp.Variable, InfrastructureInfo, Interface, float], cp.Expression]


@dataclass(frozen=True)
class ObjectiveTerm:
    function: ObjectiveFunction
    weight: float = 1.0


def _power_kw(rates: cp.Variable, infrastructure: InfrastructureInfo) -> cp.Expression:
    return cp.multiply(rates, np.asarray(infrastructure.voltages)[:, None] / 1000.0)


def _period_energy_kwh(
    rates: cp.Variable, infrastructure: InfrastructureInfo, period: float
) -> cp.Expression:
    return _power_kw(rates, infrastructure) * (period / 60.0)


def quick_charge(rates: cp.Variable, infra: InfrastructureInfo, iface: Interface, prev_peak: float) -> Any:
    """Rewards current early in the horizon: weight (T - t) / T on aggregate current at t."""
    horizon = rates.shape[1]
    earliness = (horizon - np.arange(horizon)) / horizon
    return earliness @ cp.sum(rates, axis=0)


def equal_share(rates: cp.Variable, infra: InfrastructureInfo, iface: Interface, prev_peak: float) -> Any:
    return -cp.sum_squares(rates)


def total_energy(rates: cp.Variable, infra: InfrastructureInfo, iface: Interface, prev_peak: float) -> Any:
    return cp.sum(_period_energy_kwh(rates, infra, iface.period))


def tou_energy_cost(rates: cp.Variable, infra: InfrastructureInfo, iface: Interface, prev_peak: float) -> Any:
    prices = np.asarray(iface.get_prices(rates.shape[1]))
    return -prices @ cp.sum(_period_energy_kwh(rates, infra, iface.period), axis=0)


def demand_charge_days_remaining(
    rates: cp.Variable, infra: InfrastructureInfo, iface: Interface, prev_peak: float
) -> Any:
    """Demand charge on the horizon's peak (never below the month's peak so far), scaled by
    1 / (days left in the billing month) so early days do not pay the whole month's charge."""
    peak_kw = cp.maximum(
        cp.max(cp.sum(_power_kw(rates, infra), axis=0)), prev_peak * float(infra.voltages[0]) / 1000.0
    )
    day_index = min(iface.current_datetime.day - 1, DAYS_IN_BILLING_MONTH - 1)
    return -(iface.get_demand_charge() / (DAYS_IN_BILLING_MONTH - day_index)) * peak_kw


ENERGY_OBJECTIVE = (ObjectiveTerm(quick_charge), ObjectiveTerm(equal_share, 1e-12))
PROFIT_OBJECTIVE = (
    ObjectiveTerm(total_energy, 0.30),
    ObjectiveTerm(tou_energy_cost),
    ObjectiveTerm(demand_charge_days_remaining),
    ObjectiveTerm(quick_charge, 1e-4),
    ObjectiveTerm(equal_share, 1e-12),
)
OFFLINE_OBJECTIVE = (ObjectiveTerm(total_energy),)


class SolveFailedError(RuntimeError):
    pass


def solve_schedule(
    sessions: Sequence[SessionInfo],
    infrastructure: InfrastructureInfo,
    interface: Interface,
    objective: Sequence[ObjectiveTerm],
    prev_peak: float,
    solver: str = SOLVER,
) -> np.ndarray:
    """The convex program; returns the N x T matrix of currents (A).

    Only stations with a session get variables: the others are pinned to zero in the published
    formulation, and leaving them out gives the same optimum with a smaller problem.
    """
    horizon = max(s.arrival_offset + s.remaining_time for s in sessions)
    station_count = len(infrastructure.station_ids)
    used = sorted({infrastructure.get_station_index(s.station_id) for s in sessions})
    row_of = {station: row for row, station in enumerate(used)}
    rates = cp.Variable((len(used), horizon))
    lower = np.zeros((len(used), horizon))
    upper = np.zeros((len(used), horizon))
    energy_rows: list[Any] = []
    demands = []
    for s in sessions:
        i = infrastructure.get_station_index(s.station_id)
        window = slice(s.arrival_offset, s.arrival_offset + s.remaining_time)
        lower[row_of[i], window] = s.min_rates
        upper[row_of[i], window] = s.max_rates
        kwh_per_amp_period = float(infrastructure.voltages[i]) * interface.period / 60.0 / 1000.0
        energy_rows.append(cp.sum(rates[row_of[i], window]) * kwh_per_amp_period)
        demands.append(s.remaining_demand)
    upper = np.maximum(upper, lower)
    constraints = [rates >= lower, rates <= upper, cp.hstack(energy_rows) <= np.asarray(demands)]
    phases = np.deg2rad(np.asarray(infrastructure.phases, dtype=float))[used]
    for row, limit in zip(infrastructure.constraint_matrix, infrastructure.constraint_limits, strict=True):
        coefficients = np.asarray(row)[used]
        if not coefficients.any():
            continue
        phasor = np.stack([coefficients * np.cos(phases), coefficients * np.sin(phases)])
        constraints.append(cp.norm(phasor @ rates, 2, axis=0) <= limit)
    reduced_infrastructure = copy.copy(infrastructure)
    reduced_infrastructure.voltages = np.asarray(infrastructure.voltages)[used]
    expression = sum(
        (
            term.weight * term.function(rates, reduced_infrastructure, interface, prev_peak)
            for term in objective
        ),
        cp.Constant(0),
    )
    problem = cp.Problem(cp.Maximize(expression), constraints)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        problem.solve(solver=solver)
    if problem.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE) or rates.value is None:
        raise SolveFailedError(f"solve ended with status {problem.status}")
    full = np.zeros((station_count, horizon))
    full[used] = np.asarray(rates.value)
    return full


def _feasible(currents: np.ndarray, infrastructure: InfrastructureInfo) -> bool:
    phases = np.deg2rad(np.asarray(infrastructure.phases, dtype=float))
    for row, limit in zip(infrastructure.constraint_matrix, infrastructure.constraint_limits, strict=True):
        magnitude = abs(np.sum(row * currents * np.exp(1j * phases)))
        if magnitude > limit + 1e-7:
            return False
    return True


def _floor_to_allowed(value: float, allowed: Sequence[float], tolerance: float = 0.05) -> float:
    """Largest allowed pilot not above ``value`` (within ``tolerance``), the smallest if none is."""
    position = bisect.bisect_right(allowed, value + tolerance)
    return float(allowed[max(position - 1, 0)])


def _next_allowed(value: float, allowed: Sequence[float]) -> float:
    position = bisect.bisect_right(allowed, value)
    return float(allowed[min(position, len(allowed) - 1)])


def quantize_with_reallocation(
    first_column: np.ndarray,
    sessions: Sequence[SessionInfo],
    infrastructure: InfrastructureInfo,
    interface: Interface,
) -> np.ndarray:
    """Round each pilot down into its allowed set, then hand back the rounding loss one pilot step
    at a time, biggest loss first, while the total stays within the optimiser's total and the
    network stays feasible."""
    allowed = [sorted(float(a) for a in pilots) for pilots in infrastructure.allowable_pilots]
    rounded = np.array([_floor_to_allowed(v, allowed[i]) for i, v in enumerate(first_column)])
    total_budget = float(first_column.sum())
    ceiling = np.zeros(len(first_column))
    candidates = []
    for s in sessions:
        if s.arrival_offset != 0:
            continue
        i = infrastructure.get_station_index(s.station_id)
        ceiling[i] = min(interface.remaining_amp_periods(s), s.max_rates[0], infrastructure.max_pilot[i])
        candidates.append(i)
    candidates.sort(key=lambda i: -(first_column[i] - rounded[i]))
    open_stations = list(candidates)
    while open_stations:
        still_open = []
        for i in open_stations:
            if rounded[i] >= ceiling[i]:
                continue
            trial = rounded.copy()
            trial[i] = _next_allowed(rounded[i], allowed[i])
            if trial[i] <= ceiling[i] and trial.sum() <= total_budget and _feasible(trial, infrastructure):
                rounded = trial
                still_open.append(i)
        open_stations = still_open
    return rounded


class AdaptiveSchedulingAlgorithm(BaseAlgorithm):  # type: ignore[misc]
    """Model-predictive ASA: re-solves the convex program every period and applies the first column."""

    def __init__(self, objective: Sequence[ObjectiveTerm], realistic: bool = False, solver: str = SOLVER):
        super().__init__()
        self.objective = tuple(objective)
        self.realistic = realistic
        self.solver = solver
        self.max_recompute = 1
        self.failed_solves = 0
        self.max_rate_estimator = SimpleRampdown() if realistic else None

    def register_interface(self, interface: Interface) -> None:
        self._interface = interface
        if self.max_rate_estimator is not None:
            self.max_rate_estimator.register_interface(interface)

    def schedule(self, active_sessions: list[SessionInfo]) -> dict[str, list[float]]:
        if not active_sessions:
            return {}
        infrastructure = self.interface.infrastructure_info()
        sessions = enforce_pilot_limit(active_sessions, infrastructure)
        if self.realistic:
            sessions = apply_upper_bound_estimate(self.max_rate_estimator, sessions)
            sessions = apply_minimum_charging_rate(sessions, infrastructure, self.interface.period)
        try:
            rates = solve_schedule(
                sessions,
                infrastructure,
                self.interface,
                self.objective,
                self.interface.get_prev_peak(),
                self.solver,
            )
        except SolveFailedError:
            self.failed_solves += 1
            return {station_id: [0.0] for station_id in infrastructure.station_ids}
        if self.realistic:
            first = quantize_with_reallocation(rates[:, 0], sessions, infrastructure, self.interface)
            rates = first[:, None]
        else:
            rates = np.clip(rates, 0, np.asarray(infrastructure.max_pilot)[:, None])
        rates = np.maximum(rates, 0)
        return {station_id: list(rates[i, :]) for i, station_id in enumerate(infrastructure.station_ids)}


class OfflineOptimal(BaseAlgorithm):  # type: ignore[misc]
    """The same program solved once over every session of the run with perfect foresight."""

    def __init__(self, objective: Sequence[ObjectiveTerm] = OFFLINE_OBJECTIVE, solver: str = SOLVER):
        super().__init__()
        self.objective = tuple(objective)
        self.solver = solver
        self.max_recompute = 1
        self._plan: dict[str, np.ndarray] = {}

    def solve_offline(self, events: Any) -> None:
        infrastructure = self.interface.infrastructure_info()
        evs = [copy.deepcopy(item[1].ev) for item in events.queue if item[1].event_type == "Plugin"]
        sessions = [
            SessionInfo(
                ev.station_id,
                ev.session_id,
                ev.requested_energy,
                0.0,
                ev.arrival,
                ev.departure,
                current_time=0,
            )
            for ev in evs
        ]
        sessions = enforce_pilot_limit(sessions, infrastructure)
        rates = solve_schedule(sessions, infrastructure, self.interface, self.objective, 0.0, self.solver)
        rates = np.clip(rates, 0, np.asarray(infrastructure.max_pilot)[:, None])
        self._plan = {station_id: rates[i] for i, station_id in enumerate(infrastructure.station_ids)}

    def schedule(self, active_sessions: list[SessionInfo]) -> dict[str, list[float]]:
        now = self.interface.current_time
        return {
            s.station_id: [
                float(self._plan[s.station_id][now]) if now < len(self._plan[s.station_id]) else 0.0
            ]
            for s in active_sessions
        }


def prepare_offline(algorithm: Any, events: Any) -> None:
    algorithm.solve_offline(events)
