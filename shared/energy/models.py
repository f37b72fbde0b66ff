"""What the site load allocator reads and returns.

Shaped so the platform can fill it from its own records: stations and their connectors give the
EVSEs and the wiring, open sessions give the energy still wanted and the estimated departure, and
the latest meter values give the observed draw.
"""

from __future__ import annotations

import cmath
import math
from datetime import datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Wiring(StrEnum):
    """How an EVSE is connected: line-to-neutral on one phase, line-to-line across two, or on all
    three phases (a three-phase charger, line-to-neutral, the same current on each line)."""

    A = "A"
    B = "B"
    C = "C"
    AB = "AB"
    BC = "BC"
    CA = "CA"
    ABC = "ABC"


# Phase angle of the current each wiring draws on each line it uses, for an ABC sequence with
# phase A at 0 degrees and a unity power factor load. A line-to-line current leads its first phase
# by 30 degrees and returns (180 degrees on) on its second line; a three-phase charger draws each
# line's own phase.
LINE_ANGLES_DEGREES: dict[Wiring, dict[str, float]] = {
    Wiring.A: {"A": 0.0},
    Wiring.B: {"B": -120.0},
    Wiring.C: {"C": 120.0},
    Wiring.AB: {"A": 30.0, "B": 210.0},
    Wiring.BC: {"B": -90.0, "C": 90.0},
    Wiring.CA: {"C": 150.0, "A": -30.0},
    Wiring.ABC: {"A": 0.0, "B": -120.0, "C": 120.0},
}
LINE_ANGLE_DEGREES: dict[str, float] = {"A": 0.0, "B": -120.0, "C": 120.0}
"""Each line's own (line-to-neutral) phase angle: where a balanced load or generator's current points."""


def line_phasors(wiring: Wiring) -> dict[str, complex]:
    """The phasor each ampere of this EVSE adds to each line it uses."""
    return {line: cmath.exp(1j * math.radians(angle)) for line, angle in LINE_ANGLES_DEGREES[wiring].items()}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Circuit(_Frozen):
    """A panel, feeder or branch circuit: every line it carries is limited to ``limit_amps``."""

    circuit_id: str
    parent_id: str | None = None
    """None for a circuit fed straight from the transformer (or the grid connection)."""
    limit_amps: float = Field(gt=0)


class Transformer(_Frozen):
    """The site's supply. Secondary line currents are the sum of everything below it; with a
    delta-wye transformer each primary line carries the difference of two secondary lines over the
    turns ratio (e.g. primary A = (secondary A - secondary C) / ratio)."""

    secondary_limit_amps: float = Field(gt=0)
    primary_limit_amps: float | None = Field(default=None, gt=0)
    turns_ratio: float = Field(default=1.0, gt=0)


class Evse(_Frozen):
    evse_id: str
    circuit_id: str | None = None
    """The circuit it hangs from; None when it hangs straight from the transformer."""
    wiring: Wiring
    voltage: float = Field(default=230.0, gt=0)
    """The voltage its current flows across: line-to-neutral for A/B/C and ABC, line-to-line for
    AB/BC/CA."""
    max_current_amps: float = Field(gt=0)
    min_current_amps: float = Field(default=0.0, ge=0)
    """The smallest non-zero current it can offer (IEC 61851: 6 A); 0 is always allowed."""
    allowed_pilots_amps: tuple[float, ...] | None = None
    """A finite set of pilot values, when the EVSE cannot offer any current in its range."""

    @model_validator(mode="after")
    def _consistent_limits(self) -> Evse:
        if self.min_current_amps > self.max_current_amps:
            raise ValueError("min_current_amps is above max_current_amps")
        if self.allowed_pilots_amps is not None:
            if any(p < 0 for p in self.allowed_pilots_amps):
                raise ValueError("allowed pilots must not be negative")
            if max(self.allowed_pilots_amps, default=0.0) > self.max_current_amps + 1e-9:
                raise ValueError("an allowed pilot is above max_current_amps")
        return self

    @property
    def watts_per_amp(self) -> float:
        """Power per ampere of offered current (a three-phase charger draws it on every line)."""
        return self.voltage * 3 if self.wiring == Wiring.ABC else self.voltage

    @property
    def pilot_values(self) -> tuple[float, ...] | None:
        """Allowed pilots, sorted, always including 0; None when the range is continuous."""
        if self.allowed_pilots_amps is None:
            return None
        return tuple(sorted({0.0, *self.allowed_pilots_amps}))

    @property
    def smallest_nonzero_amps(self) -> float:
        values = self.pilot_values
        if values is not None:
            nonzero = [v for v in values if v > 0]
            return nonzero[0] if nonzero else 0.0
        return self.min_current_amps


class SiteNetwork(_Frozen):
    transformer: Transformer | None = None
    circuits: tuple[Circuit, ...] = ()
    evses: tuple[Evse, ...]

    @model_validator(mode="after")
    def _references_resolve(self) -> SiteNetwork:
        circuit_ids = [c.circuit_id for c in self.circuits]
        if len(set(circuit_ids)) != len(circuit_ids):
            raise ValueError("circuit ids must be unique")
        evse_ids = [e.evse_id for e in self.evses]
        if len(set(evse_ids)) != len(evse_ids):
            raise ValueError("evse ids must be unique")
        known = set(circuit_ids)
        for circuit in self.circuits:
            if circuit.parent_id is not None and circuit.parent_id not in known:
                raise ValueError(f"circuit {circuit.circuit_id} has unknown parent {circuit.parent_id}")
        for evse in self.evses:
            if evse.circuit_id is not None and evse.circuit_id not in known:
                raise ValueError(f"evse {evse.evse_id} hangs from unknown circuit {evse.circuit_id}")
        parents = {c.circuit_id: c.parent_id for c in self.circuits}
        for start in circuit_ids:
            seen: set[str] = set()
            node: str | None = start
            while node is not None:
                if node in seen:
                    raise ValueError(f"circuit {start} is in a cycle")
                seen.add(node)
                node = parents[node]
        return self


class ActiveSession(_Frozen):
    """A car plugged in at an EVSE."""

    evse_id: str
    energy_wanted_kwh: float = Field(ge=0)
    """Energy still wanted in this session (requested minus delivered so far)."""
    estimated_departure: datetime | None = None
    vehicle_max_current_amps: float | None = Field(default=None, gt=0)
    offered_current_amps: float | None = Field(default=None, ge=0)
    """The pilot last sent; with ``observed_current_amps`` it tells how much the car leaves unused."""
    observed_current_amps: float | None = Field(default=None, ge=0)
    is_charging: bool = False
    """Already drawing current: pausing it risks the car not resuming, so keep it at least at the minimum."""
    fleet: bool = False
    """A fleet vehicle: served before every other car the site cannot serve in full."""
    priority_weight: float = Field(default=1.0, gt=0, le=100)
    """Its group's weight: an ampere to this car is worth this many times one to a weight-1 car
    of the same urgency."""
    fixed_draw_amps: float | None = Field(default=None, ge=0)
    """A charger that ignores its limit (or rejected its profile): it is not allocated, and this
    draw counts against every line it loads."""


class Tariff(_Frozen):
    """Prices over the coming periods, the first one being now."""

    energy_prices_per_kwh: tuple[float, ...] = ()
    demand_charge_per_kw: float = 0.0
    peak_so_far_kw: float = 0.0
    """This billing period's highest demand so far: demand up to it costs nothing more."""
    billing_period_ends: datetime | None = None
    """When the demand charge's billing period ends; a plan for today weighs the charge by the days
    left. None weighs the whole charge against today's load."""
    energy_value_per_kwh: float | None = Field(default=None, ge=0)
    """What a delivered kWh earns (what drivers pay). None: every kWh the site can deliver is
    wanted, and ``profit`` only shapes the load; a value lets it leave energy undelivered where
    delivering it would cost more in demand charge and energy than it earns."""


Objective = Literal["energy", "profit"]


class Battery(_Frozen):
    """A stationary battery at the grid connection: positive power charges it, negative discharges."""

    capacity_kwh: float = Field(gt=0, le=1_000_000)
    state_of_charge_kwh: float = Field(ge=0)
    min_state_of_charge_kwh: float = Field(default=0.0, ge=0)
    """The reserve it never goes below (backup, cell health)."""
    max_state_of_charge_kwh: float | None = Field(default=None, gt=0)
    """None: the capacity."""
    max_charge_kw: float = Field(ge=0, le=1_000_000)
    max_discharge_kw: float = Field(ge=0, le=1_000_000)
    charge_efficiency: float = Field(default=0.95, gt=0, le=1)
    discharge_efficiency: float = Field(default=0.95, gt=0, le=1)
    cycle_cost_per_kwh: float = Field(default=0.01, ge=0)
    """Wear per kWh discharged: keeps it from cycling for nothing."""

    @model_validator(mode="after")
    def _consistent_bounds(self) -> Battery:
        if self.state_of_charge_kwh > self.capacity_kwh + 1e-9:
            raise ValueError("state_of_charge_kwh is above capacity_kwh")
        if self.upper_kwh < self.min_state_of_charge_kwh:
            raise ValueError("the state-of-charge bounds are inverted")
        return self

    @property
    def upper_kwh(self) -> float:
        top = self.max_state_of_charge_kwh
        return self.capacity_kwh if top is None else min(top, self.capacity_kwh)

    def power_bounds_kw(self, hours: float) -> tuple[float, float]:
        """(most discharge, most charge) in kW over ``hours`` within its power and SoC limits."""
        stored_above = max(self.state_of_charge_kwh - self.min_state_of_charge_kwh, 0.0)
        room_below = max(self.upper_kwh - self.state_of_charge_kwh, 0.0)
        discharge = min(self.max_discharge_kw, stored_above * self.discharge_efficiency / hours)
        charge = min(self.max_charge_kw, room_below / (self.charge_efficiency * hours))
        return discharge, charge

    def state_after(self, power_kw: float, hours: float) -> float:
        """Its state of charge after ``power_kw`` (+ charge, - discharge) for ``hours``."""
        if power_kw >= 0:
            return self.state_of_charge_kwh + power_kw * hours * self.charge_efficiency
        return self.state_of_charge_kwh + power_kw * hours / self.discharge_efficiency


class SitePower(_Frozen):
    """What flows through the grid connection besides the EVs.

    Import = EV load + base load - solar + battery power. The first value of each series is now
    (measured), the next ones a forecast per period; the last value is held to the horizon. Base
    load, solar and the battery are taken as balanced over the connection's three phases (one
    phase on a single-phase site), and they load the transformer rows (the grid connection's
    per-phase limit) as well as the import limit."""

    import_limit_kw: float | None = Field(default=None, gt=0)
    """The connection's (or contract's) power limit on import; grid signals can lower it."""
    base_load_kw: tuple[float, ...] = ()
    solar_kw: tuple[float, ...] = ()
    battery: Battery | None = None
    line_to_neutral_volts: float = Field(default=230.0, gt=0)
    """To turn base load, solar and battery power into line currents at the connection."""
    phases: Literal[1, 3] = 3
    flows_through_transformer: bool = True
    """Whether base load, solar and the battery hang below the network's transformer (the usual
    case: the transformer stands for the grid connection) and so share its rows. False when they
    sit upstream of it, e.g. a garage transformer on its own feeder behind a building's meter:
    then only the import limit sees them."""

    @model_validator(mode="after")
    def _non_negative(self) -> SitePower:
        if any(v < 0 for v in self.base_load_kw):
            raise ValueError("base_load_kw must not be negative")
        if any(v < 0 for v in self.solar_kw):
            raise ValueError("solar_kw must not be negative")
        return self


GridSignalKind = Literal["import_limit", "price"]


class GridSignal(_Frozen):
    """A time-bounded instruction from the grid: an import limit (kW) or an energy price (per kWh),
    in force from ``starts_at`` until ``ends_at``."""

    kind: GridSignalKind
    starts_at: datetime
    ends_at: datetime
    value: float
    source: str | None = None
    """Where it came from (``api``, ``openadr:<eventId>``), for the run's record."""

    @model_validator(mode="after")
    def _window_and_value(self) -> GridSignal:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        if self.kind == "import_limit" and self.value < 0:
            raise ValueError("an import limit must not be negative")
        return self

    def overlap_hours(self, start: datetime, end: datetime) -> float:
        """How long, in hours, it is in force within [start, end)."""
        seconds = (min(self.ends_at, end) - max(self.starts_at, start)).total_seconds()
        return max(seconds, 0.0) / 3600.0


class SiteSnapshot(_Frozen):
    now: datetime
    period_minutes: float = Field(default=5.0, gt=0)
    network: SiteNetwork
    sessions: tuple[ActiveSession, ...] = ()
    tariff: Tariff = Tariff()
    peak_limit_kw: float | None = Field(default=None, gt=0)
    """A hard cap on the site's EV load, e.g. from the grid connection agreement."""
    objective: Objective = "energy"
    """``energy``: deliver as much as the site can; ``profit``: plan the load up to each car's
    departure for the most value net of time-of-use cost and demand charge (see ``Tariff``)."""
    horizon_periods: int = Field(default=288, ge=1)
    site_power: SitePower | None = None
    """Base load, solar, a battery and an import limit at the grid connection (None: EVs only)."""
    grid_signals: tuple[GridSignal, ...] = ()
    tou_shaping: bool = True
    """With the energy objective and time-of-use prices: among plans that deliver as much, prefer
    cheap periods, never drawing now less than every departure needs (see ``allocator``)."""

    @model_validator(mode="after")
    def _sessions_at_known_evses(self) -> SiteSnapshot:
        known = {e.evse_id for e in self.network.evses}
        seen: set[str] = set()
        for session in self.sessions:
            if session.evse_id not in known:
                raise ValueError(f"session at unknown evse {session.evse_id}")
            if session.evse_id in seen:
                raise ValueError(f"two sessions at evse {session.evse_id}")
            seen.add(session.evse_id)
        return self


class Allocation(_Frozen):
    currents_amps: dict[str, float]
    """The current to offer at each EVSE now (0 for EVSEs without a session)."""
    schedule_amps: dict[str, tuple[float, ...]]
    """Per session, the planned current for each coming period (a projection of the current
    allocation); zero after the plan's last period."""
    method: str
    """Which path produced it (``lp`` or the ``greedy`` fallback), for logs and metrics."""
    ev_power_kw: float = 0.0
    """The EV load these currents allow at most (offered, not drawn)."""
    battery_power_kw: float = 0.0
    """The battery's set point now: + charging, - discharging."""
    battery_schedule_kw: tuple[float, ...] = ()
    """The battery's planned power per coming period (empty without a battery)."""
    import_kw: float | None = None
    """The expected import now with every EV at its offered current (with site power only)."""
    import_limit_kw: float | None = None
    """The import limit in force now (connection and grid signals), if any."""
    energy_given_up_kwh: float | None = None
    """Profit objective only: how much less energy its plan delivers than the energy objective's
    plan would, the price of choosing profit."""
