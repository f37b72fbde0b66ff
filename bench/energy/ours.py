"""Our allocator behind acnportal's algorithm interface, on the Caltech ACN's network."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from acnportal.algorithms import BaseAlgorithm

from bench.energy.scenarios import MAX_BATTERY_POWER_KW, REVENUE_PER_KWH, VOLTAGE
from bench.energy.site_scenarios import SiteScenario, pv_series
from shared.energy import (
    ActiveSession,
    Allocation,
    Circuit,
    Evse,
    SiteNetwork,
    SiteSnapshot,
    Tariff,
    Transformer,
    Tuning,
    Wiring,
    allocate,
)
from shared.energy.models import Battery, Objective, SitePower

WIRING_BY_ANGLE = {30: Wiring.AB, -90: Wiring.BC, 150: Wiring.CA}
CC_POD = ("CA-322", "CA-493", "CA-496", "CA-320", "CA-495", "CA-321", "CA-323", "CA-494")
AV_POD = ("CA-324", "CA-325", "CA-326", "CA-327", "CA-489", "CA-490", "CA-491", "CA-492")
POD_LIMIT_AMPS = 80.0


def caltech_network(interface: Any, capacity_kw: float) -> SiteNetwork:
    """The Caltech ACN as circuits: two 80 A pods under a 277 V delta / 120 V wye transformer."""
    info = interface.infrastructure_info()
    evses = []
    for i, station_id in enumerate(info.station_ids):
        pod = "cc-pod" if station_id in CC_POD else "av-pod" if station_id in AV_POD else None
        pilots = None
        if not info.is_continuous[i]:
            pilots = tuple(float(p) for p in info.allowable_pilots[i])
        evses.append(
            Evse(
                evse_id=station_id,
                circuit_id=pod,
                wiring=WIRING_BY_ANGLE[round(float(info.phases[i]))],
                voltage=float(info.voltages[i]),
                max_current_amps=float(info.max_pilot[i]),
                min_current_amps=float(info.min_pilot[i]),
                allowed_pilots_amps=pilots,
            )
        )
    return SiteNetwork(
        transformer=Transformer(
            secondary_limit_amps=capacity_kw * 1000 / 3 / 120,
            primary_limit_amps=capacity_kw * 1000 / 3 / 277,
            turns_ratio=4.0,
        ),
        circuits=(
            Circuit(circuit_id="cc-pod", limit_amps=POD_LIMIT_AMPS),
            Circuit(circuit_id="av-pod", limit_amps=POD_LIMIT_AMPS),
        ),
        evses=tuple(evses),
    )


def _first_of_next_month(moment: datetime) -> datetime:
    """SCE bills the demand charge per calendar month."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    return moment.replace(year=year, month=month, day=1, hour=0, minute=0, second=0, microsecond=0)


class OurAllocator(BaseAlgorithm):  # type: ignore[misc]
    """Builds a site snapshot from the simulator each period and applies the allocation.

    With a ``site`` scenario it also knows the grid connection's import limit (the capacity),
    the PV and the battery, and runs the platform's default objective (energy with time-of-use
    shaping, the tariff's prices and demand charge); it keeps the battery's state of charge from
    period to period and records the battery's power per period for scoring."""

    def __init__(
        self,
        capacity_kw: float,
        objective: Objective = "energy",
        tuning: Tuning | None = None,
        site: SiteScenario | None = None,
    ):
        super().__init__()
        self.capacity_kw = capacity_kw
        self.objective = objective
        self.tuning = tuning or Tuning(report_energy_given_up=False)
        self.max_recompute = 1
        self._network: SiteNetwork | None = None
        self.methods: dict[str, int] = {}
        self.site = site
        self.knows_site = site is not None
        self._battery: Battery | None = site.battery(capacity_kw) if site is not None else None
        self.battery_kw_by_period: dict[int, float] = {}

    def _site_power(self, now: datetime, period: float) -> SitePower:
        assert self.site is not None
        horizon = 288
        peak = self.site.pv_peak_kw(self.capacity_kw)
        return SitePower(
            import_limit_kw=self.capacity_kw,
            solar_kw=tuple(float(v) for v in pv_series(now, horizon, period, peak)),
            battery=self._battery,
            line_to_neutral_volts=VOLTAGE / 3**0.5,
            flows_through_transformer=False,
        )

    def _tariff(self, now: datetime, horizon: int) -> Tariff:
        interface = self.interface
        return Tariff(
            energy_prices_per_kwh=tuple(float(p) for p in interface.get_prices(max(horizon, 1))),
            demand_charge_per_kw=float(interface.get_demand_charge()),
            peak_so_far_kw=self._peak_import_so_far,
            billing_period_ends=_first_of_next_month(now),
            energy_value_per_kwh=REVENUE_PER_KWH if self.objective == "profit" else None,
        )

    _peak_import_so_far = 0.0

    def schedule(self, active_sessions: list[Any]) -> dict[str, list[float]]:
        interface = self.interface
        if self._network is None:
            capacity = self.site.physical_capacity_kw(self.capacity_kw) if self.site else self.capacity_kw
            self._network = caltech_network(interface, capacity)
        now = interface.current_datetime
        period = interface.period
        offered = interface.last_applied_pilot_signals
        observed = interface.last_actual_charging_rate
        sessions = []
        for s in active_sessions:
            drawn = observed.get(s.session_id)
            sessions.append(
                ActiveSession(
                    evse_id=s.station_id,
                    energy_wanted_kwh=max(float(s.remaining_demand), 0.0),
                    estimated_departure=now
                    + timedelta(minutes=period * (s.estimated_departure - s.current_time)),
                    vehicle_max_current_amps=_car_max_amps(s),
                    offered_current_amps=offered.get(s.session_id),
                    observed_current_amps=drawn,
                    is_charging=drawn is not None and drawn > 0,
                )
            )
        tariff = Tariff()
        site_power = None
        if self.site is not None:
            site_power = self._site_power(now, period)
            tariff = self._tariff(now, 288)
        elif self.objective == "profit":
            horizon = max((s.estimated_departure - s.current_time for s in active_sessions), default=1)
            tariff = Tariff(
                energy_prices_per_kwh=tuple(float(p) for p in interface.get_prices(max(horizon, 1))),
                demand_charge_per_kw=float(interface.get_demand_charge()),
                peak_so_far_kw=float(interface.get_prev_peak()) * VOLTAGE / 1000,
                billing_period_ends=_first_of_next_month(now),
                energy_value_per_kwh=REVENUE_PER_KWH,
            )
        snapshot = SiteSnapshot(
            now=now,
            period_minutes=period,
            network=self._network,
            sessions=tuple(sessions),
            tariff=tariff,
            objective=self.objective,
            site_power=site_power,
        )
        allocation = allocate(snapshot, self.tuning)
        self.methods[allocation.method] = self.methods.get(allocation.method, 0) + 1
        if self.site is not None:
            self._record_site(interface.current_time, allocation, period)
        return {evse_id: [amps] for evse_id, amps in allocation.currents_amps.items()}

    def _record_site(self, period_index: int, allocation: Allocation, period: float) -> None:
        self.battery_kw_by_period[period_index] = allocation.battery_power_kw
        if self._battery is not None:
            self._battery = self._battery.model_copy(
                update={
                    "state_of_charge_kwh": min(
                        max(self._battery.state_after(allocation.battery_power_kw, period / 60), 0.0),
                        self._battery.capacity_kwh,
                    )
                }
            )
        if allocation.import_kw is not None:
            # The allocation's import counts offered current; the peak so far is what the site
            # committed to, a cautious stand-in for the metered peak.
            self._peak_import_so_far = max(self._peak_import_so_far, allocation.import_kw)


def _car_max_amps(session: Any) -> float:
    """What the car can take: its battery's 6.6 kW at 208 V, 31.7 A (acnportal gives algorithms
    no car maximum: ``SessionInfo.max_rates`` is infinite). The allocator offers such a car the
    nearest allowed pilot, 32 A on the realistic variant's {0, 8, 16, 24, 32} A EVSEs (it then
    draws 31.7 A), not the 24 A below it; on the ideal variant's continuous EVSEs, 31.7 A."""
    del session
    return MAX_BATTERY_POWER_KW * 1000 / VOLTAGE
