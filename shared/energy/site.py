"""The site as an operator describes it, and its translation into what the allocator reads.

``EnergySite`` (the grid connection, the tree of circuits below it, an optional battery, the
objective) and ``StationPlacement`` (where a charger hangs and how it is wired) are what the API
accepts; ``check_site`` / ``check_station`` find what pydantic cannot see on one field (a loop, a
circuit above its parent, a station on a circuit of another site) and name the offending field;
``fail_safe_warnings`` tells when the stations' fail-safe currents together would overload a
line. ``site_network`` and ``site_snapshot`` turn them,
with the open sessions and the site's measurements, into the allocator's ``SiteNetwork`` and
``SiteSnapshot``.

Voltages are line-to-neutral (230 V in Europe, 120 V or 277 V on American wye services); a
charger wired line-to-line draws across sqrt(3) times that. Phase rotation follows OCPP's
``ConnectorPhaseRotation``: the letters say which site phase (R = L1, S = L2, T = L3) the
charger's L1, L2 and L3 are connected to.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, ValidationError

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.errors import InvalidRequestError
from shared.energy.models import (
    ActiveSession,
    Battery,
    Circuit,
    Evse,
    GridSignal,
    Objective,
    SiteNetwork,
    SitePower,
    SiteSnapshot,
    Tariff,
    Transformer,
    Wiring,
)
from shared.energy.network import compile_network, row_magnitudes

MAX_AMPS = 10_000.0
"""Per phase: a 7 MVA connection at 230 V. Anything above is a typo."""
MAX_KW = 100_000.0
MAX_STATION_AMPS = 1_000.0
IDENTIFIER = r"^[A-Za-z0-9_.:\-]{1,64}$"

PhaseRotation = Literal["RST", "RTS", "SRT", "STR", "TRS", "TSR"]
Connection = Literal["lineToNeutral", "lineToLine"]
SITE_LINE = {"R": "A", "S": "B", "T": "C"}
PAIR_WIRING = {frozenset("AB"): Wiring.AB, frozenset("BC"): Wiring.BC, frozenset("CA"): Wiring.CA}


class CircuitSpec(DomainModel):
    """A panel, feeder or branch circuit below the grid connection."""

    circuit_id: str = Field(pattern=IDENTIFIER)
    parent_id: str | None = Field(default=None, pattern=IDENTIFIER)
    """The circuit it is fed from; None when fed straight from the grid connection."""
    limit_amps: float = Field(gt=0, le=MAX_AMPS)
    """Per phase (its breaker's rating, or less)."""


class BatterySpec(DomainModel):
    capacity_kwh: float = Field(gt=0, le=MAX_KW)
    max_charge_kw: float = Field(ge=0, le=MAX_KW)
    max_discharge_kw: float = Field(ge=0, le=MAX_KW)
    round_trip_efficiency: float = Field(default=0.9, gt=0, le=1)
    min_soc_percent: float = Field(default=10.0, ge=0, le=100)
    max_soc_percent: float = Field(default=100.0, ge=0, le=100)


MAX_MIN_PAUSE_SECONDS = 3600.0


class EnergySite(DomainModel):
    """A site's electrical side, as ``POST /v1/sites`` (and PATCH) take it."""

    site_id: str = Field(pattern=IDENTIFIER)
    grid_limit_amps: float | None = Field(default=None, gt=0, le=MAX_AMPS)
    """The grid connection's limit per phase."""
    grid_limit_kw: float | None = Field(default=None, gt=0, le=MAX_KW)
    """Or its limit in power (turned into amperes per phase with ``voltage`` and ``phases``)."""
    voltage: float = Field(default=230.0, ge=100, le=1_000)
    """Nominal line-to-neutral voltage."""
    phases: Literal[1, 3] = 3
    circuits: list[CircuitSpec] = Field(default_factory=list, max_length=500)
    fail_safe_current_amps: float = Field(default=6.0, ge=0, le=MAX_STATION_AMPS)
    """Per station, for when the platform is unreachable (its TxDefaultProfile); a station may
    set its own."""
    battery: BatterySpec | None = None
    min_pause_seconds: float = Field(default=300.0, ge=0, le=MAX_MIN_PAUSE_SECONDS)
    """How long a paused car stays paused before it may be resumed: limits never flap between pause
    and resume (some cars give up charging after a few pause/resume cycles)."""
    objective: Objective = "energy"
    """``energy`` (the default): deliver what drivers asked for, shifted to cheap hours where the
    departures allow. ``profit`` is an operator's explicit choice; each run reports the energy it
    gives up (``Allocation.energy_given_up_kwh``)."""
    tou_shaping: bool = True
    priority_groups: dict[str, float] = Field(default_factory=dict, max_length=100)
    """Group weight per group id (1 when not listed): an ampere to a car of a weight-2 group is
    worth two to a weight-1 car of the same urgency. Fleet vehicles come before every group."""

    @property
    def grid_limit_per_phase_amps(self) -> float | None:
        """The connection's per-phase limit: the stricter of the two ways to give it."""
        limits = []
        if self.grid_limit_amps is not None:
            limits.append(self.grid_limit_amps)
        if self.grid_limit_kw is not None:
            limits.append(self.grid_limit_kw * 1000.0 / (self.phases * self.voltage))
        return min(limits) if limits else None

    @property
    def import_limit_kw(self) -> float | None:
        amps = self.grid_limit_per_phase_amps
        return None if amps is None else amps * self.phases * self.voltage / 1000.0


class StationPlacement(DomainModel):
    """Where a station hangs and how it is wired, as ``POST /v1/stations`` (and PATCH) take it."""

    station_id: str
    site_id: str = Field(pattern=IDENTIFIER)
    circuit_id: str | None = Field(default=None, pattern=IDENTIFIER)
    """None: straight below the grid connection."""
    max_current_amps: float = Field(gt=0, le=MAX_STATION_AMPS)
    """Per phase, for the whole station (its EVSEs share it)."""
    min_current_amps: float = Field(default=6.0, ge=0, le=MAX_STATION_AMPS)
    """The least non-zero current it can offer (IEC 61851: 6 A)."""
    phases: Literal[1, 3] = 3
    phase_rotation: PhaseRotation = "RST"
    connection: Connection = "lineToNeutral"
    evse_ids: list[int] = Field(default_factory=lambda: [1], min_length=1, max_length=16)
    evse_max_current_amps: float | None = Field(default=None, gt=0, le=MAX_STATION_AMPS)
    """Per EVSE (cable, socket); None: the station's maximum."""
    allowed_currents_amps: list[float] | None = Field(default=None, max_length=100)
    """A finite set of currents it can offer, when it cannot offer any value in its range."""
    fail_safe_current_amps: float | None = Field(default=None, ge=0, le=MAX_STATION_AMPS)
    """None: the site's."""


class FieldProblem(DomainModel):
    field: str
    """The offending field, camelCase and dotted (``circuits.2.parentId``)."""
    problem: str


class SiteModelError(InvalidRequestError):
    """Inconsistent site or station input; ``problems`` names every offending field."""

    def __init__(self, problems: Sequence[FieldProblem]) -> None:
        self.problems = list(problems)
        first = self.problems[0] if self.problems else FieldProblem(field="request", problem="invalid")
        super().__init__(f"{first.field}: {first.problem}")


def _from_validation_error(error: ValidationError, prefix: str = "") -> list[FieldProblem]:
    return [
        FieldProblem(
            field=prefix + (".".join(str(part) for part in problem["loc"]) or "request"),
            problem=str(problem["msg"]),
        )
        for problem in error.errors()
    ]


def parse_site(document: Mapping[str, Any]) -> EnergySite:
    """An ``EnergySite`` from an API body, or ``SiteModelError`` naming every bad field."""
    try:
        site = EnergySite.model_validate(document)
    except ValidationError as error:
        raise SiteModelError(_from_validation_error(error)) from None
    problems = check_site(site)
    if problems:
        raise SiteModelError(problems)
    return site


def parse_station(document: Mapping[str, Any], site: EnergySite | None) -> StationPlacement:
    """A ``StationPlacement`` from an API body, checked against its site (None: not found); or
    ``SiteModelError``."""
    try:
        station = StationPlacement.model_validate(document)
    except ValidationError as error:
        raise SiteModelError(_from_validation_error(error)) from None
    problems = check_station(station, site)
    if problems:
        raise SiteModelError(problems)
    return station


def _circuit_problems(site: EnergySite) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    position: dict[str, int] = {}
    for i, circuit in enumerate(site.circuits):
        if circuit.circuit_id in position:
            problems.append(
                FieldProblem(
                    field=f"circuits.{i}.circuitId", problem=f"duplicate circuit {circuit.circuit_id}"
                )
            )
        else:
            position[circuit.circuit_id] = i
    by_id = {c.circuit_id: c for c in site.circuits}
    grid = site.grid_limit_per_phase_amps
    for i, circuit in enumerate(site.circuits):
        parent_id = circuit.parent_id
        if parent_id is None:
            if grid is not None and circuit.limit_amps > grid + 1e-9:
                problems.append(
                    FieldProblem(
                        field=f"circuits.{i}.limitAmps",
                        problem=f"{circuit.limit_amps:g} A is above the grid connection's {grid:g} A",
                    )
                )
            continue
        if parent_id == circuit.circuit_id:
            problems.append(
                FieldProblem(field=f"circuits.{i}.parentId", problem="a circuit cannot feed itself")
            )
            continue
        parent = by_id.get(parent_id)
        if parent is None:
            problems.append(
                FieldProblem(field=f"circuits.{i}.parentId", problem=f"unknown circuit {parent_id}")
            )
            continue
        if circuit.limit_amps > parent.limit_amps + 1e-9:
            problems.append(
                FieldProblem(
                    field=f"circuits.{i}.limitAmps",
                    problem=f"{circuit.limit_amps:g} A is above its parent {parent_id}'s "
                    f"{parent.limit_amps:g} A",
                )
            )
    reported: set[str] = set()
    for i, circuit in enumerate(site.circuits):
        chain = [circuit.circuit_id]
        node = circuit.parent_id
        while node is not None and node in by_id and node not in chain:
            chain.append(node)
            node = by_id[node].parent_id
        if node is not None and node in chain and not reported.intersection(chain):
            loop = [*chain[chain.index(node) :], node]
            reported.update(loop)
            problems.append(
                FieldProblem(
                    field=f"circuits.{i}.parentId", problem="circuits form a loop: " + " -> ".join(loop)
                )
            )
    return problems


def check_site(site: EnergySite) -> list[FieldProblem]:
    """What is inconsistent in a site (an empty list when nothing is)."""
    problems = []
    if site.grid_limit_amps is None and site.grid_limit_kw is None:
        problems.append(FieldProblem(field="gridLimitAmps", problem="give gridLimitAmps or gridLimitKw"))
    problems += _circuit_problems(site)
    battery = site.battery
    if battery is not None and battery.min_soc_percent > battery.max_soc_percent:
        problems.append(FieldProblem(field="battery.minSocPercent", problem="is above battery.maxSocPercent"))
    for group, weight in site.priority_groups.items():
        if not 0 < weight <= 100:
            problems.append(
                FieldProblem(field=f"priorityGroups.{group}", problem="a weight is above 0 and at most 100")
            )
    return problems


def _station_problems(station: StationPlacement, site: EnergySite | None) -> list[FieldProblem]:
    if site is None:
        return [FieldProblem(field="siteId", problem=f"unknown site {station.site_id}")]
    problems = []
    if station.site_id != site.site_id:
        problems.append(FieldProblem(field="siteId", problem=f"is not site {site.site_id}"))
    if station.circuit_id is not None and station.circuit_id not in {c.circuit_id for c in site.circuits}:
        problems.append(
            FieldProblem(
                field="circuitId", problem=f"{station.circuit_id} is not a circuit of site {site.site_id}"
            )
        )
    if site.phases == 1 and station.phases == 3:
        problems.append(FieldProblem(field="phases", problem="a three-phase station on a single-phase site"))
    if site.phases == 1 and station.connection == "lineToLine":
        problems.append(FieldProblem(field="connection", problem="a single-phase site has no second line"))
    if station.min_current_amps > station.max_current_amps:
        problems.append(FieldProblem(field="minCurrentAmps", problem="is above maxCurrentAmps"))
    if station.evse_max_current_amps is not None and station.evse_max_current_amps > station.max_current_amps:
        problems.append(FieldProblem(field="evseMaxCurrentAmps", problem="is above maxCurrentAmps"))
    if (
        station.fail_safe_current_amps is not None
        and station.fail_safe_current_amps > station.max_current_amps
    ):
        problems.append(FieldProblem(field="failSafeCurrentAmps", problem="is above maxCurrentAmps"))
    if len(set(station.evse_ids)) != len(station.evse_ids) or any(e < 1 for e in station.evse_ids):
        problems.append(FieldProblem(field="evseIds", problem="EVSE ids are distinct and start at 1"))
    allowed = station.allowed_currents_amps
    if allowed is not None and any(a < 0 or a > station.max_current_amps for a in allowed):
        problems.append(
            FieldProblem(field="allowedCurrentsAmps", problem="every value is between 0 and maxCurrentAmps")
        )
    return problems


def check_station(station: StationPlacement, site: EnergySite | None) -> list[FieldProblem]:
    """What is wrong with a station's placement on its site (None: the site does not exist)."""
    return _station_problems(station, site)


def fail_safe_warnings(
    station: StationPlacement, site: EnergySite, other_stations: Sequence[StationPlacement] = ()
) -> list[FieldProblem]:
    """The lines that this station's fail-safe current, with the site's other stations at theirs,
    would overload if the platform became unreachable. Not an error: ten 6 A fail-safes on a
    48 A connection are a common, knowing choice (the fuse rides out a short outage), but the
    operator should see it."""
    others = [s for s in other_stations if s.station_id != station.station_id]
    return [
        FieldProblem(
            field="failSafeCurrentAmps", problem=f"with every station at its fail-safe current, {line}"
        )
        for line in fail_safe_overloads(site, [*others, station])
    ]


def fail_safe_current(station: StationPlacement, site: EnergySite) -> float:
    amps = (
        site.fail_safe_current_amps
        if station.fail_safe_current_amps is None
        else station.fail_safe_current_amps
    )
    return min(amps, station.max_current_amps)


def fail_safe_overloads(site: EnergySite, stations: Sequence[StationPlacement]) -> list[str]:
    """The lines (with their load and limit) that every station at its fail-safe current at once
    would overload: what a platform outage would trip."""
    network = site_network(site, stations)
    compiled = compile_network(network)
    per_evse = _fail_safe_per_evse(site, stations)
    currents = [per_evse[evse_id] for evse_id in compiled.evse_ids]
    return [
        f"{row.name} carries {magnitude:.1f} A, above its {row.limit_amps:g} A"
        for row, magnitude in zip(compiled.rows, row_magnitudes(compiled, currents), strict=True)
        if magnitude > row.limit_amps + 1e-6
    ]


def _fail_safe_per_evse(site: EnergySite, stations: Sequence[StationPlacement]) -> dict[str, float]:
    """What each EVSE may draw on its fail-safe: every transaction gets the TxDefaultProfile's
    limit, and the ChargePointMaxProfile caps the station at its maximum, so together its EVSEs
    draw at most the smaller of the two totals (the same wiring: spread evenly)."""
    return {
        evse_key(s.station_id, e): min(fail_safe_current(s, site), s.max_current_amps / len(s.evse_ids))
        for s in stations
        for e in s.evse_ids
    }


def evse_key(station_id: str, evse_id: int) -> str:
    """The allocator's EVSE id; station ids never contain '/'."""
    return f"{station_id}/{evse_id}"


def parse_evse_key(key: str) -> tuple[str, int]:
    station_id, _, evse_id = key.rpartition("/")
    return station_id, int(evse_id)


def station_wiring(station: StationPlacement, site: EnergySite) -> tuple[Wiring, float]:
    """The allocator's wiring and the voltage its current flows across."""
    if site.phases == 1:
        return Wiring.A, site.voltage
    if station.phases == 3:
        # Balanced on the three lines whatever the rotation: line currents at each line's phase.
        return Wiring.ABC, site.voltage
    first, second = (SITE_LINE[letter] for letter in station.phase_rotation[:2])
    if station.connection == "lineToNeutral":
        return Wiring(first), site.voltage
    return PAIR_WIRING[frozenset((first, second))], site.voltage * math.sqrt(3)


def station_circuit_id(station_id: str) -> str:
    return f"station:{station_id}"


def site_network(site: EnergySite, stations: Sequence[StationPlacement]) -> SiteNetwork:
    """The allocator's network: the grid connection as the transformer (its per-phase limit),
    the circuits as they are, each station with several EVSEs as one more circuit limited to the
    station's maximum."""
    grid = site.grid_limit_per_phase_amps
    circuits = [
        Circuit(circuit_id=c.circuit_id, parent_id=c.parent_id, limit_amps=c.limit_amps)
        for c in site.circuits
    ]
    evses = []
    for station in sorted(stations, key=lambda s: s.station_id):
        wiring, voltage = station_wiring(station, site)
        parent = station.circuit_id
        if len(station.evse_ids) > 1:
            circuits.append(
                Circuit(
                    circuit_id=station_circuit_id(station.station_id),
                    parent_id=parent,
                    limit_amps=station.max_current_amps,
                )
            )
            parent = station_circuit_id(station.station_id)
        evse_max = station.evse_max_current_amps or station.max_current_amps
        pilots = None
        if station.allowed_currents_amps is not None:
            pilots = tuple(sorted({a for a in station.allowed_currents_amps if a <= evse_max}))
        for evse_id in sorted(station.evse_ids):
            evses.append(
                Evse(
                    evse_id=evse_key(station.station_id, evse_id),
                    circuit_id=parent,
                    wiring=wiring,
                    voltage=voltage,
                    max_current_amps=evse_max,
                    min_current_amps=0.0 if pilots is not None else min(station.min_current_amps, evse_max),
                    allowed_pilots_amps=pilots,
                )
            )
    return SiteNetwork(
        transformer=Transformer(secondary_limit_amps=grid) if grid is not None else None,
        circuits=tuple(circuits),
        evses=tuple(evses),
    )


class SessionDemand(DomainModel):
    """One open session as the platform knows it, for the allocator."""

    station_id: str
    evse_id: int = Field(ge=1)
    energy_wanted_kwh: float = Field(ge=0, le=MAX_KW)
    """Still wanted: requested (driver, fleet API, NotifyEVChargingNeeds, or the site's default)
    minus delivered so far."""
    departure: UtcDatetime | None = None
    vehicle_max_current_amps: float | None = Field(default=None, gt=0, le=MAX_STATION_AMPS)
    offered_current_amps: float | None = Field(default=None, ge=0)
    """The limit in force at the charger (the last accepted profile)."""
    drawn_amps_per_phase: list[float] = Field(default_factory=list, max_length=3)
    """From the latest MeterValues (Current.Import per phase)."""
    fleet: bool = False
    priority_group: str | None = None
    fixed_draw_amps: float | None = Field(default=None, ge=0)
    """Set when the charger ignores its limit or rejected its profile (see ``supervision``)."""

    @property
    def drawn_amps(self) -> float | None:
        return max(self.drawn_amps_per_phase) if self.drawn_amps_per_phase else None


class SiteMeasurements(DomainModel):
    """What the site meter, the inverter and the battery report, with forecasts."""

    measured_at: UtcDatetime | None = None
    base_load_kw: list[float] = Field(default_factory=list, max_length=2_000)
    """Non-EV load now, then per period ahead."""
    solar_kw: list[float] = Field(default_factory=list, max_length=2_000)
    """Production now (measured), then forecast per period ahead."""
    battery_soc_percent: float | None = Field(default=None, ge=0, le=100)


def site_battery(spec: BatterySpec, soc_percent: float) -> Battery:
    one_way = math.sqrt(spec.round_trip_efficiency)
    return Battery(
        capacity_kwh=spec.capacity_kwh,
        state_of_charge_kwh=spec.capacity_kwh * soc_percent / 100.0,
        min_state_of_charge_kwh=spec.capacity_kwh * spec.min_soc_percent / 100.0,
        max_state_of_charge_kwh=max(spec.capacity_kwh * spec.max_soc_percent / 100.0, 1e-9),
        max_charge_kw=spec.max_charge_kw,
        max_discharge_kw=spec.max_discharge_kw,
        charge_efficiency=one_way,
        discharge_efficiency=one_way,
    )


def site_snapshot(
    site: EnergySite,
    stations: Sequence[StationPlacement],
    sessions: Iterable[SessionDemand],
    now: datetime,
    *,
    measurements: SiteMeasurements | None = None,
    grid_signals: Sequence[GridSignal] = (),
    tariff: Tariff | None = None,
    offline_station_ids: Iterable[str] = (),
    period_minutes: float = 5.0,
    horizon_periods: int = 288,
) -> SiteSnapshot:
    """The allocator's input for one run of a site.

    Sessions at unknown EVSEs are left out (the station was moved or its placement deleted: it
    gets no profile until it is placed again). Every EVSE of an offline station counts at its
    share of the station's fail-safe current (what its TxDefaultProfile lets it draw), and gets
    no new limit. Signals that ended before ``now`` are dropped."""
    network = site_network(site, stations)
    known = {e.evse_id for e in network.evses}
    offline = set(offline_station_ids)
    fail_safe = _fail_safe_per_evse(site, stations)
    active: dict[str, ActiveSession] = {}
    for demand in sessions:
        key = evse_key(demand.station_id, demand.evse_id)
        if key not in known or demand.station_id in offline:
            continue
        drawn = demand.drawn_amps
        active[key] = ActiveSession(
            evse_id=key,
            energy_wanted_kwh=demand.energy_wanted_kwh,
            estimated_departure=demand.departure,
            vehicle_max_current_amps=demand.vehicle_max_current_amps,
            offered_current_amps=demand.offered_current_amps,
            observed_current_amps=drawn,
            is_charging=drawn is not None and drawn > 0.5,
            fleet=demand.fleet,
            priority_weight=site.priority_groups.get(demand.priority_group or "", 1.0),
            fixed_draw_amps=demand.fixed_draw_amps,
        )
    for station in stations:
        if station.station_id in offline:
            for evse_id in station.evse_ids:
                key = evse_key(station.station_id, evse_id)
                active[key] = ActiveSession(
                    evse_id=key, energy_wanted_kwh=0.0, fixed_draw_amps=fail_safe[key]
                )
    power = None
    measured = measurements or SiteMeasurements()
    battery = None
    if site.battery is not None and measured.battery_soc_percent is not None:
        battery = site_battery(site.battery, measured.battery_soc_percent)
    if measured.base_load_kw or measured.solar_kw or battery is not None or site.import_limit_kw is not None:
        power = SitePower(
            import_limit_kw=site.import_limit_kw,
            base_load_kw=tuple(measured.base_load_kw),
            solar_kw=tuple(measured.solar_kw),
            battery=battery,
            line_to_neutral_volts=site.voltage,
            phases=site.phases,
        )
    return SiteSnapshot(
        now=now,
        period_minutes=period_minutes,
        network=network,
        sessions=tuple(sorted(active.values(), key=lambda s: s.evse_id)),
        tariff=tariff or Tariff(),
        objective=site.objective,
        tou_shaping=site.tou_shaping,
        horizon_periods=horizon_periods,
        site_power=power,
        grid_signals=tuple(s for s in grid_signals if s.ends_at > now),
    )


class GridSignalRequest(DomainModel):
    """``POST /v1/sites/{siteId}/grid-signals``: "at most 40 kW from 17:00 to 19:00", or a price."""

    kind: Literal["importLimit", "price"]
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    value: float = Field(ge=-MAX_KW, le=MAX_KW)
    """kW for an import limit, currency per kWh for a price."""
    source: str | None = Field(default=None, max_length=200)


def parse_grid_signal(document: Mapping[str, Any]) -> GridSignal:
    """A grid signal from an API body, or ``SiteModelError`` naming the field."""
    try:
        request = GridSignalRequest.model_validate(document)
    except ValidationError as error:
        raise SiteModelError(_from_validation_error(error)) from None
    problems = []
    if request.starts_at.tzinfo is None or request.ends_at.tzinfo is None:
        problems.append(FieldProblem(field="startsAt", problem="give times with their offset (or Z)"))
    elif request.ends_at <= request.starts_at:
        problems.append(FieldProblem(field="endsAt", problem="ends before (or when) it starts"))
    if request.kind == "importLimit" and request.value < 0:
        problems.append(FieldProblem(field="value", problem="an import limit is not negative"))
    if problems:
        raise SiteModelError(problems)
    return GridSignal(
        kind="import_limit" if request.kind == "importLimit" else "price",
        starts_at=request.starts_at,
        ends_at=request.ends_at,
        value=request.value,
        source=request.source or "api",
    )
