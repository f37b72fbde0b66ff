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
    """How an EVSE is connected: line-to-neutral on one phase, or line-to-line across two."""

    A = "A"
    B = "B"
    C = "C"
    AB = "AB"
    BC = "BC"
    CA = "CA"


# Phase angle of the current each wiring draws, for an ABC sequence with phase A at 0 degrees and a
# unity power factor load; line-to-line currents lead their first phase by 30 degrees.
PHASE_ANGLE_DEGREES: dict[Wiring, float] = {
    Wiring.A: 0.0,
    Wiring.B: -120.0,
    Wiring.C: 120.0,
    Wiring.AB: 30.0,
    Wiring.BC: -90.0,
    Wiring.CA: 150.0,
}

# A line-to-line charger's current leaves on its first line and returns on its second.
LINE_SIGNS: dict[Wiring, dict[str, int]] = {
    Wiring.A: {"A": 1},
    Wiring.B: {"B": 1},
    Wiring.C: {"C": 1},
    Wiring.AB: {"A": 1, "B": -1},
    Wiring.BC: {"B": 1, "C": -1},
    Wiring.CA: {"C": 1, "A": -1},
}


def line_phasors(wiring: Wiring) -> dict[str, complex]:
    """The phasor each ampere of this EVSE adds to each line it uses."""
    unit = cmath.exp(1j * math.radians(PHASE_ANGLE_DEGREES[wiring]))
    return {line: sign * unit for line, sign in LINE_SIGNS[wiring].items()}


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
