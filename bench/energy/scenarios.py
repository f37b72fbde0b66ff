"""The benchmark's inputs and its one way of running and scoring a simulation.

Both the fast benchmark and the ASA baseline sweep go through ``run_simulation`` so every
algorithm is scored by the same code on the same machine.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pytz
from acnportal import acnsim
from acnportal.acnsim import analysis
from acnportal.acnsim.models.battery import Battery, Linear2StageBattery, batt_cap_fn
from acnportal.signals.tariffs import TimeOfUseTariff

from bench.energy.site_scenarios import SiteScenario, import_metrics, pv_series

TIMEZONE = pytz.timezone("America/Los_Angeles")
PERIOD_MINUTES = 5
PERIODS_PER_DAY = 24 * 60 // PERIOD_MINUTES
VOLTAGE = 208
MAX_BATTERY_POWER_KW = 6.6
TARIFF_NAME = "sce_tou_ev_4_march_2019"
REVENUE_PER_KWH = 0.30
BUSY_CALL_THRESHOLD = 25
"""Time per call is reported over calls with more than this many active EVs."""
CAPACITIES_KW = (10, 20, 30, 40, 50, 60, 80, 150)

REPO_ROOT = Path(__file__).resolve().parents[2]
# The data set lives beside the repository (../shared/data/acn); ACN_DATA_DIR points elsewhere.
ACN_DATA_DIR = Path(os.environ.get("ACN_DATA_DIR", REPO_ROOT.parent / "shared" / "data" / "acn"))
ACN_DATA_FILE = ACN_DATA_DIR / "caltech_20190301T000000_20190401T000000_5m_208V_6.6kW.json.gz"
RESULTS_DIR = REPO_ROOT / "bench" / "results"

Variant = Literal["ideal", "realistic"]


@dataclass(frozen=True)
class Job:
    """One simulation: an algorithm in a variant, on a window of sessions, at a capacity."""

    algorithm: str
    variant: Variant
    window: str
    capacity_kw: int
    scenario: str = "grid"
    """``grid`` (EVs only, the published comparison's setting), or a ``site_scenarios`` name."""

    @property
    def key(self) -> str:
        key = f"{self.algorithm}|{self.variant}|{self.window}|{self.capacity_kw}"
        return key if self.scenario == "grid" else f"{key}|{self.scenario}"

    @classmethod
    def of(cls, result: dict[str, Any]) -> Job:
        """The job a stored result came from."""
        return cls(
            result["algorithm"],
            result["variant"],
            result["window"],
            result["capacity_kw"],
            result.get("scenario", "grid"),
        )


@dataclass(frozen=True)
class SessionRecord:
    """One charging session, in periods since the data set's start (1 March 2019, 00:00 local)."""

    session_id: str
    station_id: str
    arrival: int
    departure: int
    requested_kwh: float


@dataclass(frozen=True)
class Window:
    name: str
    start: datetime
    end: datetime


MARCH_2019 = Window("month", TIMEZONE.localize(datetime(2019, 3, 1)), TIMEZONE.localize(datetime(2019, 4, 1)))
WEEK_4_10_MARCH = Window(
    "week", TIMEZONE.localize(datetime(2019, 3, 4)), TIMEZONE.localize(datetime(2019, 3, 11))
)
BUSY_DAY_5_MARCH = Window(
    "day", TIMEZONE.localize(datetime(2019, 3, 5)), TIMEZONE.localize(datetime(2019, 3, 6))
)
SYNTHETIC_MONTH = Window(
    "synthetic-month", TIMEZONE.localize(datetime(2019, 4, 1)), TIMEZONE.localize(datetime(2019, 5, 1))
)
# The month's other full weeks (Monday to Sunday), to see the allocator on data it was not tuned on.
OTHER_WEEKS = tuple(
    Window(
        f"week-{day}",
        TIMEZONE.localize(datetime(2019, 3, day)),
        TIMEZONE.localize(datetime(2019, 3, day) + timedelta(days=7)),
    )
    for day in (11, 18, 25)
)
WINDOWS = {w.name: w for w in (MARCH_2019, WEEK_4_10_MARCH, BUSY_DAY_5_MARCH, *OTHER_WEEKS)}


def _period_index(moment: datetime, origin: datetime) -> int:
    # Periods count elapsed time, as acnportal does, so the DST change on 10 March is an hour short.
    return int((moment - origin).total_seconds() // (60 * PERIOD_MINUTES))


def load_acn_sessions(path: Path = ACN_DATA_FILE) -> list[SessionRecord]:
    with gzip.open(path, "rt") as handle:
        dump = json.loads(json.loads(handle.read()))
    objects = dump["context_dict"]
    sessions = []
    for entry in objects.values():
        if entry["class"] != "acnportal.acnsim.models.ev.EV":
            continue
        attributes = entry["attributes"]
        sessions.append(
            SessionRecord(
                session_id=attributes["_session_id"],
                station_id=attributes["_station_id"],
                arrival=int(attributes["_arrival"]),
                departure=int(attributes["_departure"]),
                requested_kwh=float(attributes["_requested_energy"]),
            )
        )
    return sorted(sessions, key=lambda s: (s.arrival, s.station_id, s.session_id))


def sessions_in_window(sessions: list[SessionRecord], window: Window) -> list[SessionRecord]:
    """Sessions arriving inside the window, re-indexed to the window's start."""
    offset = _period_index(window.start, MARCH_2019.start)
    length = _period_index(window.end, window.start)
    return [
        SessionRecord(s.session_id, s.station_id, s.arrival - offset, s.departure - offset, s.requested_kwh)
        for s in sessions
        if 0 <= s.arrival - offset < length
    ]


def synthetic_workplace_sessions(seed: int = 2019) -> list[SessionRecord]:
    """A seeded month of a 54-EVSE workplace: weekday arrivals around 07:45, ~8.5 h stays, ~9.4 kWh median.

    Uses the Caltech station ids so the same three-phase network applies.
    """
    rng = random.Random(seed)
    station_ids = acnsim.sites.caltech_acn(basic_evse=True).station_ids
    window = SYNTHETIC_MONTH
    sessions: list[SessionRecord] = []
    day = window.start
    while day < window.end:
        if day.weekday() < 5:
            free_stations = list(station_ids)
            rng.shuffle(free_stations)
            drivers = rng.randint(38, 50)
            for index in range(min(drivers, len(free_stations))):
                arrival_hours = min(max(rng.gauss(7.75, 1.1), 5.0), 14.0)
                stay_hours = min(max(rng.gauss(8.5, 1.8), 1.0), 12.0)
                arrival = _period_index(day + timedelta(hours=arrival_hours), window.start)
                departure = arrival + max(2, round(stay_hours * 60 / PERIOD_MINUTES))
                # Lognormal with median 9.4 kWh; what a 6.6 kW charger can deliver in the stay caps it.
                requested = min(rng.lognormvariate(math.log(9.4), 0.55), 45.0)
                requested = min(requested, MAX_BATTERY_POWER_KW * (departure - arrival) * PERIOD_MINUTES / 60)
                sessions.append(
                    SessionRecord(
                        f"synthetic-{day:%Y%m%d}-{index:02d}",
                        free_stations[index],
                        arrival,
                        departure,
                        round(requested, 3),
                    )
                )
        day = TIMEZONE.normalize(day + timedelta(days=1))
        day = TIMEZONE.localize(datetime(day.year, day.month, day.day))
    return sorted(sessions, key=lambda s: (s.arrival, s.station_id, s.session_id))


def build_events(sessions: list[SessionRecord], variant: Variant) -> acnsim.EventQueue:
    events = []
    for s in sessions:
        battery: Battery
        requested = s.requested_kwh
        if variant == "ideal":
            battery = Battery(requested, 0, MAX_BATTERY_POWER_KW)
        else:
            # As the paper's practical scenarios do (force_feasible): no car asks for more than
            # 6.6 kW could deliver in its stay, which a two-stage battery needs to be sized at all.
            requested = min(requested, MAX_BATTERY_POWER_KW * (s.departure - s.arrival) * PERIOD_MINUTES / 60)
            try:
                capacity, initial = batt_cap_fn(requested, s.departure - s.arrival, VOLTAGE, PERIOD_MINUTES)
                battery = Linear2StageBattery(capacity, initial, MAX_BATTERY_POWER_KW)
            except ValueError:
                battery = Battery(requested, 0, MAX_BATTERY_POWER_KW)
        ev = acnsim.EV(s.arrival, s.departure, requested, s.station_id, s.session_id, battery)
        events.append(acnsim.PluginEvent(s.arrival, ev))
    return acnsim.EventQueue(events)


def build_network(variant: Variant, capacity_kw: float) -> acnsim.ChargingNetwork:
    return acnsim.sites.caltech_acn(
        basic_evse=variant == "ideal", voltage=VOLTAGE, transformer_cap=capacity_kw
    )


def tariff_prices(start: datetime, periods: int) -> np.ndarray:
    return np.asarray(TimeOfUseTariff(TARIFF_NAME).get_tariffs(start, periods, PERIOD_MINUTES), dtype=float)


def demand_charge_per_kw(start: datetime) -> float:
    return float(TimeOfUseTariff(TARIFF_NAME).get_demand_charge(start))


def jain_fairness(values: list[float]) -> float:
    if not values:
        return 1.0
    squares = sum(v * v for v in values)
    return 1.0 if squares == 0 else sum(values) ** 2 / (len(values) * squares)


def count_violations(sim: acnsim.Simulator) -> int:
    """Periods whose applied pilots break a network constraint, by acnportal's own feasibility check."""
    pilots = sim.pilot_signals
    if sim.network.is_feasible(pilots):
        return 0
    return sum(0 if sim.network.is_feasible(pilots[:, [t]]) else 1 for t in range(pilots.shape[1]))


def call_time_stats(solve_stats: list[dict[str, float]]) -> dict[str, Any]:
    busy = [s["solve_time"] for s in solve_stats if s["active_sessions"] > BUSY_CALL_THRESHOLD]
    every = [s["solve_time"] for s in solve_stats]
    return {
        "calls": len(every),
        "busy_calls": len(busy),
        "mean_s": float(np.mean(busy)) if busy else None,
        "p95_s": float(np.percentile(busy, 95)) if busy else None,
        "mean_all_s": float(np.mean(every)) if every else None,
    }


def run_simulation(
    make_algorithm: Callable[[], Any],
    sessions: list[SessionRecord],
    window_start: datetime,
    variant: Variant,
    capacity_kw: float,
    prepare: Callable[[Any, acnsim.EventQueue], None] | None = None,
    site: SiteScenario | None = None,
) -> dict[str, Any]:
    """Run one simulation and score it; ``prepare`` lets an offline algorithm see the events
    first. With a ``site`` scenario the garage's transformer is sized for PV and battery when the
    algorithm knows them (``knows_site``), and the grid connection's import is scored too."""
    algorithm = make_algorithm()
    events = build_events(sessions, variant)
    aware = site is not None and getattr(algorithm, "knows_site", False)
    network = build_network(
        variant, site.physical_capacity_kw(capacity_kw) if aware and site else capacity_kw
    )
    sim = acnsim.Simulator(
        network,
        algorithm,
        events,
        window_start,
        period=PERIOD_MINUTES,
        signals={"tariff": TimeOfUseTariff(TARIFF_NAME)},
        verbose=False,
    )
    started = time.perf_counter()
    if prepare is not None:
        prepare(algorithm, events)
    sim.run()
    wall = time.perf_counter() - started
    delivered = analysis.total_energy_delivered(sim)
    requested = analysis.total_energy_requested(sim)
    shares = [
        min(ev.energy_delivered / ev.requested_energy, 1.0)
        for ev in sim.ev_history.values()
        if ev.requested_energy > 0
    ]
    energy_cost = float(analysis.energy_cost(sim))
    demand_charge = float(analysis.demand_charge(sim))
    power = analysis.aggregate_power(sim)
    site_metrics: dict[str, Any] = {}
    if site is not None:
        periods = len(power)
        battery = np.zeros(periods)
        for index, kw in getattr(algorithm, "battery_kw_by_period", {}).items():
            if index < periods:
                battery[index] = kw
        site_metrics = {
            "scenario": site.name,
            **import_metrics(
                np.asarray(power, dtype=float),
                pv_series(window_start, periods, PERIOD_MINUTES, site.pv_peak_kw(capacity_kw)),
                battery,
                tariff_prices(window_start, periods),
                demand_charge_per_kw(window_start),
                capacity_kw,
                PERIOD_MINUTES,
                float(delivered),
                REVENUE_PER_KWH,
            ),
        }
    return {
        **site_metrics,
        "energy_delivered_pct": 100 * delivered / requested,
        "sessions_fully_served_pct": 100 * analysis.proportion_of_demands_met(sim),
        "energy_delivered_kwh": float(delivered),
        "energy_requested_kwh": float(requested),
        "energy_cost_usd": energy_cost,
        "demand_charge_usd": demand_charge,
        "profit_usd": REVENUE_PER_KWH * float(delivered) - energy_cost - demand_charge,
        "peak_kw": float(np.max(power)) if len(power) else 0.0,
        "violations": count_violations(sim),
        "jain_fairness": jain_fairness(shares),
        "time_per_call": call_time_stats(getattr(algorithm, "solve_stats", [])),
        "wall_s": wall,
        "sessions": len(sessions),
    }
