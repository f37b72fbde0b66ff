"""What the platform keeps about a managed site besides its electrical model, in neutral terms.

The pure allocator reads a ``SiteSnapshot``; these are the records the platform builds one from on
every run and what each run leaves behind:

- ``SiteEnergy``: the operator's configuration (the ``EnergySite``, time-of-use prices, the OpenADR
  program it follows, defaults for sessions nobody described).
- ``EvseState``: the limit each EVSE accepted, its recent draw when it drew above it, and what the
  supervision found (``Finding``).
- ``StationEnergyState``: what the station's smart charging accepts, and whether its boot profiles
  (the fail-safe) are in force on its current connection.
- ``ProfileCommand``: a SetChargingProfile (or GetConfiguration) in flight, until its answer.
- ``SessionDemand`` records, grid signals, measurements, the site's learned history.
- ``AllocationRun`` and ``LoadPoint``: every run, and the site's load at that moment.
- ``Alert``: a charger the allocator cannot steer, for the operator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator

from shared.domain.base import DomainModel, UtcDatetime, to_iso
from shared.energy.models import GridSignal, GridSignalKind, Tariff
from shared.energy.profiles import ChargerCapabilities, LimitInForce
from shared.energy.site import EnergySite, SiteMeasurements, StationPlacement
from shared.energy.supervision import DrawSample, Finding

MAX_PRICE = 1_000.0
"""Per kWh, in any currency: above is a typo."""


def site_key(tenant_id: str, site_id: str) -> str:
    """The partition of everything the platform keeps about one site's energy."""
    return f"{tenant_id}:{site_id}"


# --- configuration -------------------------------------------------------------------------------


class TimeOfUsePrice(DomainModel):
    starts_at: time
    """Local time of day (the site's time zone) from which the price holds, until the next one."""
    price_per_kwh: float = Field(ge=-MAX_PRICE, le=MAX_PRICE)

    @field_validator("starts_at")
    @classmethod
    def _no_zone(cls, value: time) -> time:
        if value.tzinfo is not None:
            raise ValueError("a time of day in the site's time zone, without an offset")
        return value


class SiteTariff(DomainModel):
    """A daily time-of-use schedule, plus what the allocator's profit objective weighs."""

    time_of_use: list[TimeOfUsePrice] = Field(default_factory=list, max_length=96)
    demand_charge_per_kw: float = Field(default=0.0, ge=0, le=MAX_PRICE)
    energy_value_per_kwh: float | None = Field(default=None, ge=0, le=MAX_PRICE)

    def price_at(self, moment: datetime, zone: ZoneInfo) -> float | None:
        if not self.time_of_use:
            return None
        local = moment.astimezone(zone).time().replace(tzinfo=None)
        ordered = sorted(self.time_of_use, key=lambda p: p.starts_at)
        current = ordered[-1]  # before the first start of the day, yesterday's last price holds
        for price in ordered:
            if price.starts_at <= local:
                current = price
        return current.price_per_kwh

    def tariff(self, now: datetime, zone: ZoneInfo, periods: int, period_minutes: float) -> Tariff:
        """The allocator's tariff: one price per coming period, from now."""
        step = timedelta(minutes=period_minutes)
        prices: tuple[float, ...] = ()
        if self.time_of_use:
            prices = tuple(self.price_at(now + i * step, zone) or 0.0 for i in range(periods))
        return Tariff(
            energy_prices_per_kwh=prices,
            demand_charge_per_kw=self.demand_charge_per_kw,
            energy_value_per_kwh=self.energy_value_per_kwh,
        )


class OpenAdrProgram(DomainModel):
    """The OpenADR 3 program a site follows, the platform acting as its VEN."""

    vtn_url: str = Field(pattern=r"^https?://[^\s]{1,500}$")
    program_name: str = Field(min_length=1, max_length=128)
    token_url: str | None = Field(default=None, pattern=r"^https?://[^\s]{1,500}$")
    client_id: str | None = Field(default=None, max_length=200)
    client_secret: str | None = Field(default=None, max_length=500)
    """Write-only: never shown by the API."""
    target_type: str | None = Field(default=None, max_length=128)
    target_values: list[str] = Field(default_factory=list, max_length=20)


class SiteEnergy(DomainModel):
    """A managed site: what the operator configured for its load management."""

    tenant_id: str
    site_id: str
    site: EnergySite
    timezone: str = "UTC"
    tariff: SiteTariff | None = None
    openadr: OpenAdrProgram | None = None
    default_energy_wanted_kwh: float | None = Field(default=None, gt=0, le=1_000)
    """For a session nobody described (no driver or fleet input): this, else what the site's history
    says, else ``FALLBACK_ENERGY_WANTED_KWH``."""
    default_stay_minutes: float | None = Field(default=None, gt=0, le=7 * 24 * 60)
    updated_at: UtcDatetime

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


# --- what each EVSE and station is doing ---------------------------------------------------------


class EvseState(DomainModel):
    """One EVSE of a placed station, as the allocator last saw and told it."""

    station_id: str
    evse_id: int
    session_id: str | None = None
    """The session its limit and samples are for; a new session starts afresh."""
    limit: LimitInForce | None = None
    """The last limit the charger accepted for this session (None: its fail-safe holds)."""
    accepted_seq: int = 0
    """The sequence number of that limit's command: an older answer arriving late never replaces it."""
    samples: list[DrawSample] = Field(default_factory=list, max_length=10)
    """Draw samples above the limit in force (kept only while it draws above it)."""
    finding: Finding | None = None
    car_ceiling_amps: float | None = Field(default=None, ge=0)
    """The most the car was seen to draw while offered clearly more (its own limit): the allocator
    offers it that plus a little headroom, and the rest goes to other cars. Cleared when the car
    takes all it is offered again."""

    @property
    def evse_key(self) -> str:
        return f"{self.station_id}/{self.evse_id}"


class StationEnergyState(DomainModel):
    station_id: str
    capabilities: ChargerCapabilities | None = None
    """From GetConfiguration (1.6) once the station answered; the defaults (amperes) until then."""
    capabilities_requested_at: UtcDatetime | None = None
    boot_profiles_connection_id: str | None = None
    """The connection its boot profiles (ChargePointMaxProfile, TxDefaultProfile) were last sent on."""
    boot_profiles_accepted_at: UtcDatetime | None = None
    """When the station accepted both on that connection."""
    boot_profiles_rejected: bool = False
    default_amps: float | None = None
    """The TxDefaultProfile limit (A) it accepted last; None: none accepted on record (its fail-safe
    counts)."""
    default_seq: int = 0
    """The ``seq`` of that TxDefaultProfile: an older answer arriving late never replaces it."""
    default_refused_amps: float | None = None
    """A TxDefaultProfile limit the station refused (rejected, not supported): not sent again to it
    before ``default_refused_at`` plus the allocator's ``rejected_retry_seconds``."""
    default_refused_at: UtcDatetime | None = None


ProfileCommandKind = Literal["tx", "boot", "default", "configuration"]
"""``default``: a TxDefaultProfile sent in operation (``station_defaults``), after the boot ones."""


class ProfileCommand(DomainModel):
    """A call the allocator sent whose answer it waits for (at most ``seq``-ordered per EVSE)."""

    command_id: str
    tenant_id: str
    site_id: str
    station_id: str
    kind: ProfileCommandKind
    evse_id: int | None = None
    session_id: str | None = None
    amps: float | None = None
    """The limit sent (tx, default, and a boot TxDefaultProfile: amperes)."""
    tx_default: bool = False
    """A TxDefaultProfile (a boot command, or every ``default`` one)."""
    seq: int = 0
    run_key: str | None = None
    """The run that sent it (its answer is recorded there)."""
    stage: Literal["first", "then"] | None = None
    rerun_on_accept: bool = False
    """Its run held increases back until the decreases are accepted: an acceptance runs the site again."""
    connection_id: str | None = None
    sent_at: UtcDatetime
    expires_at: int
    """Epoch seconds (DynamoDB TTL): an answer never comes after the command's own timeout sweep."""

    @property
    def evse_key(self) -> str | None:
        return None if self.evse_id is None else f"{self.station_id}/{self.evse_id}"


# --- inputs --------------------------------------------------------------------------------------


DEMAND_RETENTION_SECONDS = 7 * 24 * 3600
"""A session's demand record outlives any session (DynamoDB TTL)."""


class SessionDemandRecord(DomainModel):
    """What a driver or fleet said about one session (``PATCH /v1/sessions/{id}/demand``)."""

    session_id: str
    energy_wanted_kwh: float | None = Field(default=None, ge=0, le=1_000)
    """Requested for the whole session (delivered energy is subtracted at each run)."""
    departure_at: UtcDatetime | None = None
    fleet: bool = False
    priority_group: str | None = Field(default=None, max_length=64)
    vehicle_max_current_amps: float | None = Field(default=None, gt=0, le=1_000)
    vehicle_id: str | None = None
    """The fleet's registered vehicle the session's ID token belongs to (set at its start)."""
    updated_at: UtcDatetime
    expires_at: int


class GridSignalRecord(DomainModel):
    signal_id: str
    kind: GridSignalKind
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    value: float
    source: str
    created_at: UtcDatetime
    expires_at: int

    def signal(self) -> GridSignal:
        return GridSignal(
            kind=self.kind,
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            value=self.value,
            source=self.source,
        )


class OpenAdrSignals(DomainModel):
    """The latest poll of the site's OpenADR program: it replaces the previous one as a whole."""

    signals: list[GridSignalRecord] = Field(default_factory=list)
    polled_at: UtcDatetime
    error: str | None = None


class MeasurementsRecord(DomainModel):
    measurements: SiteMeasurements
    received_at: UtcDatetime


class SiteHistory(DomainModel):
    """What the site's completed sessions say, for sessions nobody described: exponentially weighted
    means (recent sessions count most), learned at every SessionStopped."""

    sessions: int = 0
    mean_energy_kwh: float = 0.0
    mean_stay_minutes: float = 0.0

    def learn(self, energy_kwh: float, stay_minutes: float, weight: float = 0.2) -> SiteHistory:
        if self.sessions == 0:
            return SiteHistory(sessions=1, mean_energy_kwh=energy_kwh, mean_stay_minutes=stay_minutes)
        return SiteHistory(
            sessions=self.sessions + 1,
            mean_energy_kwh=(1 - weight) * self.mean_energy_kwh + weight * energy_kwh,
            mean_stay_minutes=(1 - weight) * self.mean_stay_minutes + weight * stay_minutes,
        )


# --- results -------------------------------------------------------------------------------------


class EvseOutcome(DomainModel):
    """One EVSE in one run: why it got what it got."""

    evse: str
    """``stationId/evseId``."""
    session_id: str | None = None
    allocated_amps: float
    in_force_amps: float | None = None
    """The limit in force before the run (worst case while an answer was outstanding)."""
    sent_amps: float | None = None
    drawn_amps: float | None = None
    """The car's draw (highest phase) the run saw, if a recent reading was on record."""
    car_ceiling_amps: float | None = None
    """What the car was seen to take at most while offered more (the allocator offers it about that)."""
    reason: str
    """new, increase, decrease, pause, resume, refresh; below-threshold, min-pause, unchanged,
    within-slack; held (an increase waiting for decreases to be accepted); uncontrolled; offline."""
    command_id: str | None = None
    answer: str | None = None
    """What the charger answered (accepted, rejected, failed, timeout, offline), once it did."""


class RunInputs(DomainModel):
    sessions: int
    charging: int
    offline_stations: list[str] = Field(default_factory=list)
    uncontrolled: list[str] = Field(default_factory=list)
    grid_limit_amps: float | None = None
    import_limit_kw: float | None = None
    base_load_kw: float | None = None
    solar_kw: float | None = None
    battery_soc_percent: float | None = None
    signals: list[str] = Field(default_factory=list)
    """Grid signals in force (or about to be): ``kind value from..to (source)``."""
    objective: str = "energy"


class AllocationRun(DomainModel):
    tenant_id: str
    site_id: str
    run_id: str
    at: UtcDatetime
    trigger: str
    method: str
    duration_ms: float = 0.0
    inputs: RunInputs
    evses: list[EvseOutcome] = Field(default_factory=list)
    ev_power_kw: float = 0.0
    battery_power_kw: float = 0.0
    import_kw: float | None = None
    held: int = 0
    """Increases held back until the decreases sent before them are accepted."""
    answers: dict[str, str] = Field(default_factory=dict)
    """Command id to the charger's answer (filled in as the answers arrive)."""
    error: str | None = None
    expires_at: int

    @property
    def run_key(self) -> str:
        return run_record_key(self.at, self.run_id)


def run_record_key(at: datetime, run_id: str) -> str:
    return f"run#{to_iso(at)}#{run_id}"


class LoadPoint(DomainModel):
    """The site's load when a run happened (kW, and amperes per phase at the grid connection)."""

    at: UtcDatetime
    limit_kw: float | None = None
    """The import limit in force: the connection's (or a grid signal's), solar not counted."""
    limit_amps: float | None = None
    allocated_kw: float = 0.0
    allocated_amps: float | None = None
    """The highest line current at the grid connection with every EVSE at its new limit."""
    drawn_kw: float = 0.0
    drawn_amps: float | None = None
    solar_kw: float = 0.0
    base_load_kw: float = 0.0
    battery_kw: float = 0.0
    """+ charging, - discharging."""
    expires_at: int


AlertKind = Literal["ignores-limit", "rejected-profile"]


class Alert(DomainModel):
    """A charger the allocator could not steer: flagged to the operator, allocated around."""

    alert_id: str
    """``<kind>:<stationId>/<evseId>`` (evse 0: the station's boot profiles)."""
    tenant_id: str
    site_id: str
    station_id: str
    evse_id: int
    kind: AlertKind
    detail: str
    count_at_amps: float | None = None
    since: UtcDatetime
    last_seen: UtcDatetime
    active: bool = True
    cleared_at: UtcDatetime | None = None


@dataclass
class SitePartition:
    """Everything stored for one managed site, as one run reads it."""

    config: SiteEnergy | None = None
    placements: list[StationPlacement] = field(default_factory=list)
    evses: dict[str, tuple[EvseState, int]] = field(default_factory=dict)
    """By ``stationId/evseId``: the state and the version it was read at."""
    stations: dict[str, tuple[StationEnergyState, int]] = field(default_factory=dict)
    commands: list[ProfileCommand] = field(default_factory=list)
    demands: dict[str, SessionDemandRecord] = field(default_factory=dict)
    signals: list[GridSignalRecord] = field(default_factory=list)
    openadr: OpenAdrSignals | None = None
    measurements: MeasurementsRecord | None = None
    history: SiteHistory | None = None
    alerts: list[Alert] = field(default_factory=list)
