"""Request and response bodies of load management: the site's electrical model, station placements,
grid signals, measurements, session demand, allocations, the load series and alerts.

Field-level rules are here (what pydantic checks per field); the rules across fields (a circuit above
its parent, a loop, a station on a circuit of another site, a signal ending before it starts) are the
energy package's (``shared.energy.site``), and answer 400 naming the field just the same.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictBool, StrictInt
from pydantic.json_schema import SkipJsonSchema

from shared.api.schemas import (
    IDENTIFIER_PATTERN,
    NOT_NULL,
    ApiDatetime,
    ApiModel,
    Latitude,
    Longitude,
    SiteCreate,
    SiteView,
    StationCreate,
    StationRegistered,
    StationUpdate,
    StationView,
    TimeZoneName,
    ViewModel,
)
from shared.api.schemas import SiteUpdate as BillingSiteUpdate
from shared.domain.base import UtcDatetime

CIRCUIT_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"
TIME_OF_DAY_PATTERN = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"
URL_PATTERN = r"^https?://[\x21-\x7e]{1,500}$"
MAX_AMPS = 10_000.0
MAX_KW = 100_000.0
MAX_STATION_AMPS = 1_000.0
MAX_MIN_PAUSE_SECONDS = 3_600.0
MAX_PRICE = 1_000.0

Amps = Annotated[float, Field(gt=0, le=MAX_AMPS)]
StationAmps = Annotated[float, Field(gt=0, le=MAX_STATION_AMPS)]
Phases = Literal[1, 3]
Objective = Literal["energy", "profit"]
PhaseRotation = Literal["RST", "RTS", "SRT", "STR", "TRS", "TSR"]
Connection = Literal["lineToNeutral", "lineToLine"]


# --- the site's electrical model -------------------------------------------------------------------


class CircuitBody(ApiModel):
    circuit_id: str = Field(pattern=CIRCUIT_PATTERN)
    parent_id: str | None = Field(
        default=None, pattern=CIRCUIT_PATTERN, description="The circuit feeding it; none: the grid connection"
    )
    limit_amps: Amps = Field(description="Per phase (its breaker's rating, or less)")


class BatteryBody(ApiModel):
    capacity_kwh: float = Field(gt=0, le=MAX_KW)
    max_charge_kw: float = Field(ge=0, le=MAX_KW)
    max_discharge_kw: float = Field(ge=0, le=MAX_KW)
    round_trip_efficiency: float = Field(default=0.9, gt=0, le=1)
    min_soc_percent: float = Field(default=10.0, ge=0, le=100)
    max_soc_percent: float = Field(default=100.0, ge=0, le=100)


class TimeOfUseBody(ApiModel):
    starts_at: str = Field(pattern=TIME_OF_DAY_PATTERN, description="HH:MM in the site's time zone")
    price_per_kwh: float = Field(ge=-MAX_PRICE, le=MAX_PRICE)


class TariffBody(ApiModel):
    time_of_use: list[TimeOfUseBody] = Field(default_factory=list, max_length=96)
    demand_charge_per_kw: float = Field(default=0.0, ge=0, le=MAX_PRICE)
    energy_value_per_kwh: float | None = Field(default=None, ge=0, le=MAX_PRICE)


class OpenAdrBody(ApiModel):
    vtn_url: str = Field(pattern=URL_PATTERN, description="The VTN's base URL (OpenADR 3.0 REST API)")
    program_name: str = Field(min_length=1, max_length=128)
    token_url: str | None = Field(default=None, pattern=URL_PATTERN)
    client_id: str | None = Field(default=None, min_length=1, max_length=200)
    client_secret: str | None = Field(
        default=None, min_length=1, max_length=500, description="Write-only: never shown again"
    )
    target_type: str | None = Field(default=None, min_length=1, max_length=128)
    target_values: list[Annotated[str, Field(min_length=1, max_length=128)]] = Field(
        default_factory=list, max_length=20
    )


PriorityGroups = dict[
    Annotated[str, Field(pattern=IDENTIFIER_PATTERN)], Annotated[float, Field(gt=0, le=100)]
]


class SiteEnergyFields(ApiModel):
    """Load management: a site with ``gridLimitAmps`` or ``gridLimitKw`` is managed."""

    grid_limit_amps: Amps | None = Field(default=None, description="The grid connection's limit per phase")
    grid_limit_kw: float | None = Field(default=None, gt=0, le=MAX_KW)
    voltage: Annotated[float | SkipJsonSchema[None], NOT_NULL] = Field(
        default=None, ge=100, le=1_000, description="Line-to-neutral (default 230)"
    )
    phases: Annotated[Phases | SkipJsonSchema[None], NOT_NULL] = None
    circuits: Annotated[list[CircuitBody] | SkipJsonSchema[None], NOT_NULL] = Field(
        default=None, max_length=500
    )
    fail_safe_current_amps: Annotated[float | SkipJsonSchema[None], NOT_NULL] = Field(
        default=None,
        ge=0,
        le=MAX_STATION_AMPS,
        description="Per station, what a new transaction draws before the allocator's run and while the "
        "platform is unreachable (its TxDefaultProfile; default 6). A station holds it only while the "
        "site has room for it besides the allocation, else 0 (a new transaction there waits for the "
        "allocator), so the limits in force never exceed the site's",
    )
    battery: BatteryBody | None = None
    min_pause_seconds: Annotated[float | SkipJsonSchema[None], NOT_NULL] = Field(
        default=None,
        ge=0,
        le=MAX_MIN_PAUSE_SECONDS,
        description="How long a paused car stays paused before it may resume (default 300), so limits "
        "never flap between pause and resume",
    )
    objective: Annotated[Objective | SkipJsonSchema[None], NOT_NULL] = Field(
        default=None, description="energy (default): deliver what drivers asked; profit: an explicit choice"
    )
    tou_shaping: Annotated[StrictBool | SkipJsonSchema[None], NOT_NULL] = None
    priority_groups: Annotated[PriorityGroups | SkipJsonSchema[None], NOT_NULL] = Field(
        default=None, max_length=100
    )
    tariff: TariffBody | None = None
    open_adr: OpenAdrBody | None = None
    default_energy_wanted_kwh: float | None = Field(default=None, gt=0, le=1_000)
    default_stay_minutes: float | None = Field(default=None, gt=0, le=7 * 24 * 60)


ENERGY_FIELDS = frozenset(SiteEnergyFields.model_fields)


class SiteCreateWithEnergy(SiteCreate, SiteEnergyFields):
    """A site; with ``gridLimitAmps``/``gridLimitKw`` (or the older ``maxCurrentAmps``) its load is
    managed."""


class SiteUpdate(BillingSiteUpdate, SiteEnergyFields):
    """Fields left out are unchanged; a nullable field set to null is removed."""

    name: Annotated[str | SkipJsonSchema[None], NOT_NULL] = Field(default=None, min_length=1, max_length=200)
    address: str | None = Field(default=None, max_length=500)
    timezone: Annotated[TimeZoneName | SkipJsonSchema[None], NOT_NULL] = None
    max_current_amps: float | None = Field(default=None, gt=0, le=100_000)
    latitude: Latitude | None = Field(default=None, description="With longitude; null removes both")
    longitude: Longitude | None = None


class CircuitView(ViewModel):
    circuit_id: str
    parent_id: str | None = None
    limit_amps: float


class BatteryView(ViewModel):
    capacity_kwh: float
    max_charge_kw: float
    max_discharge_kw: float
    round_trip_efficiency: float
    min_soc_percent: float
    max_soc_percent: float


class TimeOfUseView(ViewModel):
    starts_at: str
    price_per_kwh: float


class TariffView(ViewModel):
    time_of_use: list[TimeOfUseView]
    demand_charge_per_kw: float
    energy_value_per_kwh: float | None = None


class OpenAdrView(ViewModel):
    vtn_url: str
    program_name: str
    token_url: str | None = None
    client_id: str | None = None
    has_client_secret: bool
    target_type: str | None = None
    target_values: list[str]


class SiteEnergyView(ViewModel):
    grid_limit_amps: float | None = None
    grid_limit_kw: float | None = None
    grid_limit_per_phase_amps: float | None = Field(
        default=None, description="The stricter of the two limits, per phase"
    )
    voltage: float
    phases: int
    circuits: list[CircuitView]
    fail_safe_current_amps: float
    battery: BatteryView | None = None
    min_pause_seconds: float
    objective: Objective
    tou_shaping: bool
    priority_groups: dict[str, float]
    tariff: TariffView | None = None
    open_adr: OpenAdrView | None = None
    default_energy_wanted_kwh: float | None = None
    default_stay_minutes: float | None = None
    learned_energy_wanted_kwh: float | None = Field(
        default=None, description="What the site's completed sessions took (once there are five)"
    )
    learned_stay_minutes: float | None = None


class SiteDetail(SiteView):
    load_management: SiteEnergyView | None = Field(
        default=None, description="Present when the site's load is managed"
    )
    warnings: list[str] = Field(
        default_factory=list,
        description="Lines that every station at its fail-safe current at once would overload",
    )


# --- station placement ---------------------------------------------------------------------------


class StationPlacementFields(ApiModel):
    """Where the station hangs on its site and how it is wired (``maxCurrentAmps`` places it)."""

    circuit_id: str | None = Field(default=None, pattern=CIRCUIT_PATTERN)
    max_current_amps: StationAmps | None = Field(
        default=None, description="Per phase, for the whole station: places it on its site's load management"
    )
    min_current_amps: Annotated[float | SkipJsonSchema[None], NOT_NULL] = Field(
        default=None, ge=0, le=MAX_STATION_AMPS, description="Least non-zero current (default 6)"
    )
    phases: Annotated[Phases | SkipJsonSchema[None], NOT_NULL] = None
    phase_rotation: Annotated[PhaseRotation | SkipJsonSchema[None], NOT_NULL] = Field(
        default=None, description="Which site phase (R, S, T) the charger's L1, L2, L3 are on"
    )
    connection: Annotated[Connection | SkipJsonSchema[None], NOT_NULL] = Field(
        default=None, description="lineToNeutral (default) or lineToLine"
    )
    evse_ids: Annotated[list[Annotated[StrictInt, Field(ge=1, le=32)]] | SkipJsonSchema[None], NOT_NULL] = (
        Field(default=None, min_length=1, max_length=16)
    )
    evse_max_current_amps: StationAmps | None = None
    allowed_currents_amps: list[Annotated[float, Field(ge=0, le=MAX_STATION_AMPS)]] | None = Field(
        default=None, max_length=100
    )
    fail_safe_current_amps: float | None = Field(
        default=None,
        ge=0,
        le=MAX_STATION_AMPS,
        description="This station's own fail-safe (default: the site's)",
    )


PLACEMENT_FIELDS = frozenset(StationPlacementFields.model_fields)


class StationCreateWithPlacement(StationCreate, StationPlacementFields):
    pass


class StationUpdateWithPlacement(StationUpdate, StationPlacementFields):
    """``maxCurrentAmps`` set to null takes the station off its site's load management."""


class StationPlacementView(ViewModel):
    site_id: str
    circuit_id: str | None = None
    max_current_amps: float
    min_current_amps: float
    phases: int
    phase_rotation: str
    connection: str
    evse_ids: list[int]
    evse_max_current_amps: float | None = None
    allowed_currents_amps: list[float] | None = None
    fail_safe_current_amps: float | None = None


class StationDetail(StationView):
    placement: StationPlacementView | None = None
    warnings: list[str] = Field(default_factory=list)


class StationRegisteredWithPlacement(StationRegistered):
    placement: StationPlacementView | None = None
    warnings: list[str] = Field(default_factory=list)


# --- grid signals, measurements, demand ----------------------------------------------------------


class GridSignalCreate(ApiModel):
    """ "At most 40 kW from 17:00 to 19:00" (``importLimit``, kW), or a price (per kWh)."""

    kind: Literal["importLimit", "price"]
    starts_at: ApiDatetime
    ends_at: ApiDatetime
    value: float = Field(ge=-MAX_KW, le=MAX_KW)
    source: str | None = Field(default=None, min_length=1, max_length=200)


class GridSignalView(ViewModel):
    signal_id: str
    kind: Literal["importLimit", "price"]
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    value: float
    source: str
    origin: Literal["api", "openadr"]
    created_at: UtcDatetime


class GridSignalList(ViewModel):
    items: list[GridSignalView]
    openadr_polled_at: UtcDatetime | None = None
    openadr_error: str | None = None


Series = list[Annotated[float, Field(ge=0, le=MAX_KW)]]


class MeasurementsCreate(ApiModel):
    """The site meter, inverter and battery: the first value of each series is now, the next ones a
    forecast per 5 minutes."""

    measured_at: ApiDatetime | None = None
    base_load_kw: Series = Field(default_factory=list, max_length=288, description="Non-EV load")
    solar_kw: Series = Field(default_factory=list, max_length=288)
    battery_soc_percent: float | None = Field(default=None, ge=0, le=100)


class MeasurementsView(ViewModel):
    measured_at: UtcDatetime | None = None
    base_load_kw: list[float]
    solar_kw: list[float]
    battery_soc_percent: float | None = None
    received_at: UtcDatetime


class SessionDemandUpdate(ApiModel):
    """What the driver or fleet says about a session (fields left out unchanged, null removes)."""

    energy_wanted_kwh: float | None = Field(default=None, ge=0, le=1_000, description="For the whole session")
    departure_at: ApiDatetime | None = None
    fleet: Annotated[StrictBool | SkipJsonSchema[None], NOT_NULL] = None
    priority_group: str | None = Field(default=None, pattern=IDENTIFIER_PATTERN)
    vehicle_max_current_amps: float | None = Field(default=None, gt=0, le=MAX_STATION_AMPS)


class SessionDemandView(ViewModel):
    session_id: str
    site_id: str
    energy_wanted_kwh: float | None = None
    departure_at: UtcDatetime | None = None
    fleet: bool
    priority_group: str | None = None
    vehicle_max_current_amps: float | None = None
    vehicle_id: str | None = Field(
        default=None, description="The fleet's registered vehicle whose ID token started the session"
    )
    updated_at: UtcDatetime


# --- what the allocator did ----------------------------------------------------------------------


class EvseOutcomeView(ViewModel):
    evse: str = Field(description="stationId/evseId")
    session_id: str | None = None
    allocated_amps: float
    in_force_amps: float | None = Field(default=None, description="Before the run (the most it may hold)")
    sent_amps: float | None = None
    drawn_amps: float | None = Field(default=None, description="The car's draw the run saw (highest phase)")
    car_ceiling_amps: float | None = Field(
        default=None, description="The most the car took while offered more: it is offered about that"
    )
    reason: str
    command_id: str | None = None
    answer: str | None = Field(default=None, description="What the charger answered, once it did")


class RunInputsView(ViewModel):
    sessions: int
    charging: int
    offline_stations: list[str]
    uncontrolled: list[str]
    grid_limit_amps: float | None = None
    import_limit_kw: float | None = None
    base_load_kw: float | None = None
    solar_kw: float | None = None
    battery_soc_percent: float | None = None
    signals: list[str]
    objective: str


class AllocationRunView(ViewModel):
    run_id: str
    at: UtcDatetime
    trigger: str
    method: str
    duration_ms: float
    inputs: RunInputsView
    evses: list[EvseOutcomeView]
    ev_power_kw: float
    battery_power_kw: float
    import_kw: float | None = None
    held: int


class AllocationRunList(ViewModel):
    items: list[AllocationRunView]
    next_cursor: str | None = None


class LoadPeriodView(ViewModel):
    start: UtcDatetime
    end: UtcDatetime
    runs: int = Field(description="Allocation runs in the period (0: nothing ran, values are null)")
    limit_kw: float | None = Field(default=None, description="The lowest import limit in force")
    limit_amps: float | None = None
    allocated_kw: float | None = Field(default=None, description="Mean EV load the limits allow")
    allocated_amps: float | None = None
    drawn_kw: float | None = None
    drawn_amps: float | None = None
    solar_kw: float | None = None
    base_load_kw: float | None = None
    battery_kw: float | None = None


class LoadSeries(ViewModel):
    site_id: str
    period_minutes: int
    items: list[LoadPeriodView]


class AlertView(ViewModel):
    alert_id: str
    station_id: str
    evse_id: int
    kind: Literal["ignores-limit", "rejected-profile"]
    detail: str
    count_at_amps: float | None = None
    since: UtcDatetime
    last_seen: UtcDatetime
    active: bool
    cleared_at: UtcDatetime | None = None


class AlertList(ViewModel):
    items: list[AlertView]
