"""Solar and battery scenarios on the ACN data: a PV curve and a battery sized to the site.

The site: Caltech's garage as in the grid scenario, behind a grid connection whose import limit
is the capacity (10/30/50 kW). A PV array of the same peak power (1 kWp per kW of import limit)
and, in ``solar-battery``, a battery of two hours of the import limit (capacity x 2 kWh, half the
capacity in kW, 90 % round trip, 10-100 % state of charge, starting half full) sit at the
building's meter, upstream of the garage's transformer; the transformer is sized for what the
cars may then draw (import limit + PV peak + battery power), so acnportal's feasibility check
stays the physical one.

Baselines (LLF, EDF, round robin) know nothing of PV or battery: they keep the EV load within the
import limit as in the grid scenario, and the PV only lowers what the site imports. Ours gets the
import limit, the PV (measured now, a perfect forecast ahead) and the battery, with the platform's
default objective (energy, time-of-use shaping, the tariff's prices and demand charge).

PV: a clear-sky curve (sine to the power 1.5 between sunrise and sunset, Pasadena in March: solar
noon 12:10 standard time, 11.8 hours of daylight) times a daily cloud factor between 0.35 and 1,
drawn from a seeded generator per date, so every run and every algorithm sees the same sun.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np

from shared.energy.models import Battery

STANDARD_TIME = timezone(timedelta(hours=-8))
SOLAR_NOON_HOURS = 12 + 10 / 60
DAYLIGHT_HOURS = 11.8
SEED = 2019


@dataclass(frozen=True)
class SiteScenario:
    name: str
    pv_peak_per_kw: float = 1.0
    """PV peak power per kW of import limit."""
    battery_hours: float = 0.0
    """Battery capacity in hours of the import limit (0: no battery)."""
    battery_power_share: float = 0.5
    round_trip_efficiency: float = 0.9
    min_soc: float = 0.1
    initial_soc: float = 0.5

    def pv_peak_kw(self, capacity_kw: float) -> float:
        return self.pv_peak_per_kw * capacity_kw

    def battery(self, capacity_kw: float, state_of_charge_kwh: float | None = None) -> Battery | None:
        if self.battery_hours <= 0:
            return None
        size = self.battery_hours * capacity_kw
        one_way = math.sqrt(self.round_trip_efficiency)
        return Battery(
            capacity_kwh=size,
            state_of_charge_kwh=size * self.initial_soc
            if state_of_charge_kwh is None
            else state_of_charge_kwh,
            min_state_of_charge_kwh=size * self.min_soc,
            max_charge_kw=self.battery_power_share * capacity_kw,
            max_discharge_kw=self.battery_power_share * capacity_kw,
            charge_efficiency=one_way,
            discharge_efficiency=one_way,
        )

    def physical_capacity_kw(self, capacity_kw: float) -> float:
        """What the garage's transformer must carry: the cars may draw the import limit plus
        the PV and the battery."""
        share = self.battery_power_share if self.battery_hours > 0 else 0.0
        return capacity_kw * (1 + self.pv_peak_per_kw + share)


SCENARIOS = {
    "solar": SiteScenario("solar"),
    "solar-battery": SiteScenario("solar-battery", battery_hours=2.0),
}


def _cloud_factor(day: datetime) -> float:
    return random.Random(SEED * 10_000 + day.toordinal()).uniform(0.35, 1.0)


def pv_kw(moment: datetime, peak_kw: float) -> float:
    """PV production at ``moment`` (timezone-aware) for an array of ``peak_kw``."""
    standard = moment.astimezone(STANDARD_TIME)
    hours = standard.hour + standard.minute / 60 + standard.second / 3600
    phase = (hours - (SOLAR_NOON_HOURS - DAYLIGHT_HOURS / 2)) / DAYLIGHT_HOURS
    if not 0 < phase < 1:
        return 0.0
    return peak_kw * math.sin(math.pi * phase) ** 1.5 * _cloud_factor(standard)


def pv_series(start: datetime, periods: int, period_minutes: float, peak_kw: float) -> np.ndarray:
    step = timedelta(minutes=period_minutes)
    return np.array([pv_kw(start + n * step, peak_kw) for n in range(periods)])


def import_metrics(
    ev_kw: np.ndarray,
    pv: np.ndarray,
    battery_kw: np.ndarray,
    prices: np.ndarray,
    demand_charge_per_kw: float,
    import_limit_kw: float,
    period_minutes: float,
    delivered_kwh: float,
    revenue_per_kwh: float,
) -> dict[str, Any]:
    """What the grid connection sees: import = EV + battery - PV; export earns nothing."""
    hours = period_minutes / 60
    net = ev_kw + battery_kw - pv
    grid_in = np.clip(net, 0, None)
    exported = np.clip(-net, 0, None)
    peak = float(grid_in.max(initial=0.0))
    cost = float((grid_in * prices).sum() * hours)
    demand = peak * demand_charge_per_kw
    return {
        "peak_import_kw": peak,
        "import_energy_kwh": float(grid_in.sum() * hours),
        "import_cost_usd": cost,
        "import_demand_charge_usd": demand,
        "import_profit_usd": revenue_per_kwh * delivered_kwh - cost - demand,
        "exported_kwh": float(exported.sum() * hours),
        "pv_kwh": float(pv.sum() * hours),
        "pv_used_pct": 100 * (1 - float(exported.sum()) / float(pv.sum())) if pv.sum() > 0 else None,
        "battery_discharged_kwh": float(np.clip(-battery_kw, 0, None).sum() * hours),
        "import_limit_violations": int((net > import_limit_kw + 1e-3).sum()),
    }
