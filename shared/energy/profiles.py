"""From an allocation to what each charger should be told: protocol-neutral charging profiles.

- ``ChargingProfile``: purpose (TxProfile, TxDefaultProfile, ChargePointMaxProfile), stack level,
  rate unit (A or W, whichever the charger accepts), number of phases, schedule periods, validity.
  ``to_transport`` gives the platform's neutral ``shared.domain.charging_profiles`` profile, which each
  protocol's mappers turn into its SetChargingProfile (``shared/ocpp/<version>/mappers.py``).
- ``boot_profiles``: what a charger gets when it boots, the fail-safe for when the platform is
  unreachable. ChargePointMaxProfile caps the station at what its placement allows;
  TxDefaultProfile holds every new transaction at the fail-safe current until the allocator
  sends its TxProfile (which is valid for a limited time only, so a platform outage falls back
  to the fail-safe rather than to the last allocation).
- ``station_defaults``: the TxDefaultProfile in operation: the fail-safe where the site has room for
  it besides the allocation, else 0 (``default_profile``), so that a transaction starting on a full
  site never adds its fail-safe on top of the limits in force.
- ``decide_limits``: which allocated limits are worth sending. A limit is floored to the
  charger's step; an increase smaller than the change threshold is not sent (the lower limit in
  force is safe); a decrease is always sent, since holding a higher limit than allocated could
  take a line over its limit, unless a caller-supplied check says the limits in force stay
  feasible; and a paused EVSE is not resumed until it has stayed paused for the minimum pause,
  so limits never flap between pause and resume. Everything sent is at most what was allocated.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, model_validator

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.charging_profiles import ChargingProfile as TransportProfile
from shared.domain.charging_profiles import ChargingSchedule, ProfileKind
from shared.domain.charging_profiles import ProfilePurpose as TransportPurpose
from shared.domain.charging_profiles import SchedulePeriod as TransportPeriod
from shared.energy.models import Allocation, Wiring
from shared.energy.site import EnergySite, StationPlacement, evse_key, fail_safe_current, station_wiring

PAUSED_BELOW_AMPS = 0.05
"""A limit below this is a pause (OCPP: a limit of 0 suspends charging)."""


class ProfilePurpose(StrEnum):
    TX = "TxProfile"
    TX_DEFAULT = "TxDefaultProfile"
    STATION_MAX = "ChargePointMaxProfile"


class RateUnit(StrEnum):
    AMPS = "A"
    WATTS = "W"


_TRANSPORT_PURPOSES = {
    ProfilePurpose.TX: TransportPurpose.TX,
    ProfilePurpose.TX_DEFAULT: TransportPurpose.TX_DEFAULT,
    ProfilePurpose.STATION_MAX: TransportPurpose.STATION_MAX,
}


class SchedulePeriod(DomainModel):
    start_seconds: int = Field(ge=0)
    """Offset from the schedule's start."""
    limit: float = Field(ge=0)
    """In the profile's rate unit."""
    number_phases: int | None = Field(default=None, ge=1, le=3)


class ChargingProfile(DomainModel):
    """One charging profile for one EVSE (0: the whole station), protocol-neutral."""

    profile_id: int = Field(ge=1)
    station_id: str
    evse_id: int = Field(ge=0)
    purpose: ProfilePurpose
    stack_level: int = Field(ge=0)
    rate_unit: RateUnit
    periods: list[SchedulePeriod] = Field(min_length=1)
    start_schedule: UtcDatetime | None = None
    """None: relative to when the charger applies it (the transaction's start for a TxDefaultProfile)."""
    duration_seconds: int | None = Field(default=None, ge=1)
    valid_from: UtcDatetime | None = None
    valid_to: UtcDatetime | None = None
    transaction_id: str | None = None
    """TxProfile only: the transaction it is for, as the charger named it (1.6: digits)."""

    @model_validator(mode="after")
    def _consistent(self) -> ChargingProfile:
        starts = [p.start_seconds for p in self.periods]
        if starts[0] != 0 or starts != sorted(set(starts)):
            raise ValueError("periods start at 0 and rise")
        if self.purpose == ProfilePurpose.STATION_MAX and self.evse_id != 0:
            raise ValueError("a ChargePointMaxProfile is for the whole station (evse 0)")
        if self.purpose != ProfilePurpose.TX and self.transaction_id is not None:
            raise ValueError("only a TxProfile names a transaction")
        return self

    @property
    def limit_now(self) -> float:
        return self.periods[0].limit


class ChargerCapabilities(DomainModel):
    """What a charger's smart charging accepts (1.6: ChargingScheduleAllowedChargingRateUnit,
    ChargeProfileMaxStackLevel, ChargingScheduleMaxPeriods; 2.0.1: its device model)."""

    rate_units: list[RateUnit] = Field(default_factory=lambda: [RateUnit.AMPS], min_length=1)
    max_stack_level: int = Field(default=8, ge=0)
    max_periods: int = Field(default=24, ge=1)
    limit_step_amps: float = Field(default=0.1, gt=0)
    """The resolution it honours (1.6 limits carry one decimal)."""

    @property
    def rate_unit(self) -> RateUnit:
        return RateUnit.AMPS if RateUnit.AMPS in self.rate_units else RateUnit.WATTS


class ProfileOutcome(StrEnum):
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    NOT_SUPPORTED = "not_supported"
    """The charger has no smart charging (or not for this profile; 1.6 only)."""


def profile_outcome(response: Mapping[str, Any]) -> ProfileOutcome:
    """SetChargingProfile's answer in either protocol (1.6 adds NotSupported; anything else is a
    rejection)."""
    status = response.get("status")
    if status == "Accepted":
        return ProfileOutcome.ACCEPTED
    return ProfileOutcome.NOT_SUPPORTED if status == "NotSupported" else ProfileOutcome.REJECTED


def capabilities_from(
    rate_units: Sequence[RateUnit], max_stack_level: str | None, max_periods: str | None
) -> ChargerCapabilities:
    """What a charger reported (each protocol reads its own keys or variables); what it did not
    report, or reported as something other than a count, keeps the default."""
    fields: dict[str, Any] = {}
    if rate_units:
        fields["rate_units"] = list(rate_units)
    for field, raw in (("max_stack_level", max_stack_level), ("max_periods", max_periods)):
        if raw is not None and raw.strip().isdigit():
            fields[field] = int(raw)
    return ChargerCapabilities(**fields)


def to_transport(profile: ChargingProfile) -> TransportProfile:
    """The platform's neutral profile, for the station's protocol to map (the EVSE travels beside it)."""
    return TransportProfile(
        id=profile.profile_id,
        stack_level=profile.stack_level,
        purpose=_TRANSPORT_PURPOSES[profile.purpose],
        kind=ProfileKind.ABSOLUTE if profile.start_schedule is not None else ProfileKind.RELATIVE,
        valid_from=profile.valid_from,
        valid_to=profile.valid_to,
        transaction_id=profile.transaction_id,
        schedules=[
            ChargingSchedule(
                id=1,
                start_schedule=profile.start_schedule,
                duration=profile.duration_seconds,
                rate_unit=profile.rate_unit.value,
                periods=[
                    TransportPeriod(
                        start_period=period.start_seconds,
                        limit=period.limit,
                        number_phases=period.number_phases,
                    )
                    for period in profile.periods
                ],
            )
        ],
    )


@dataclass(frozen=True)
class ProfileRules:
    tx_stack_level: int = 1
    default_stack_level: int = 0
    validity_seconds: int = 900
    """A TxProfile's life: the platform refreshes it well before; an outage falls back to the
    fail-safe."""
    refresh_after_seconds: int = 450
    """An unchanged TxProfile is sent again once it is this old."""
    change_threshold_amps: float = 1.0
    change_threshold_fraction: float = 0.1
    """An increase is sent when it is at least the larger of the two (amperes, share of the limit
    in force)."""
    min_pause_seconds: float = 300.0


STATION_MAX_PROFILE_ID = 1
TX_DEFAULT_PROFILE_ID = 2


def tx_profile_id(evse_id: int) -> int:
    """One id per EVSE, so each new TxProfile replaces the last one there."""
    return 100 + evse_id


def _watts_per_amp(station: StationPlacement, site: EnergySite) -> float:
    wiring, voltage = station_wiring(station, site)
    return voltage * 3 if wiring == Wiring.ABC else voltage


def _in_unit(amps: float, unit: RateUnit, watts_per_amp: float, step_amps: float) -> float:
    """Amperes floored to the charger's step (never above what was allocated), in its unit."""
    floored = math.floor(amps / step_amps + 1e-9) * step_amps
    floored = max(round(floored, 3), 0.0)
    if unit == RateUnit.AMPS:
        return floored
    return float(math.floor(floored * watts_per_amp))


def _station_profile(
    station: StationPlacement,
    site: EnergySite,
    capabilities: ChargerCapabilities,
    profile_id: int,
    purpose: ProfilePurpose,
    amps: float,
    start: datetime | None,
    rules: ProfileRules,
) -> ChargingProfile:
    unit = capabilities.rate_unit
    return ChargingProfile(
        profile_id=profile_id,
        station_id=station.station_id,
        evse_id=0,
        purpose=purpose,
        stack_level=min(rules.default_stack_level, capabilities.max_stack_level),
        rate_unit=unit,
        periods=[
            SchedulePeriod(
                start_seconds=0,
                limit=_in_unit(amps, unit, _watts_per_amp(station, site), capabilities.limit_step_amps),
                number_phases=1 if site.phases == 1 or station.phases == 1 else 3,
            )
        ],
        start_schedule=start,
    )


def boot_profiles(
    station: StationPlacement,
    site: EnergySite,
    capabilities: ChargerCapabilities,
    now: datetime,
    rules: ProfileRules = ProfileRules(),
    default_amps: float | None = None,
) -> list[ChargingProfile]:
    """The fail-safe a charger gets at boot: a station cap from now on, and a default for every
    new transaction (relative to its start): ``default_amps`` when the site has room for less than
    the station's fail-safe (see ``station_defaults``), else the fail-safe."""
    fail_safe = fail_safe_current(station, site)
    default = fail_safe if default_amps is None else min(default_amps, fail_safe)
    return [
        _station_profile(
            station,
            site,
            capabilities,
            STATION_MAX_PROFILE_ID,
            ProfilePurpose.STATION_MAX,
            station.max_current_amps,
            now,
            rules,
        ),
        default_profile(station, site, capabilities, default, rules),
    ]


def default_profile(
    station: StationPlacement,
    site: EnergySite,
    capabilities: ChargerCapabilities,
    amps: float,
    rules: ProfileRules = ProfileRules(),
) -> ChargingProfile:
    """The TxDefaultProfile: what a new transaction (and one without a TxProfile) may draw."""
    return _station_profile(
        station, site, capabilities, TX_DEFAULT_PROFILE_ID, ProfilePurpose.TX_DEFAULT, amps, None, rules
    )


def default_amps_per_evse(station: StationPlacement, default_amps: float) -> float:
    """What each EVSE may draw on a TxDefaultProfile of ``default_amps``: every transaction gets it,
    and the ChargePointMaxProfile caps the station at its maximum (spread evenly)."""
    return min(default_amps, station.max_current_amps / len(station.evse_ids))


def station_defaults(
    fail_safes: Mapping[str, float], holding: Iterable[str], fits: Callable[[Collection[str]], bool]
) -> dict[str, float]:
    """The TxDefaultProfile limit of each station (ids to its configured fail-safe): its fail-safe, or
    0 where the site has no room for it.

    A fail-safe above 0 is what a new transaction draws from its first second, before any run: on a
    site whose allocation already uses the whole limit, every EVSE that could start one adds it on
    top. So the allocation comes first and the defaults get what it leaves: ``fits(stations)`` says
    whether the worst case of the TxProfiles (what is in force or sent, and what the allocation
    wants) with every EVSE of those stations at least at its fail-safe (an idle one could start a
    transaction at it, one without a TxProfile holds it, and a TxProfile that expires falls back to
    it) stays within every limit of the site. The most
    stations that fit keep their fail-safe, those already holding it first (``holding``: no message
    for them), then by id; the rest get 0, so a car arriving there waits for the allocator's early
    run, as with a fail-safe of 0, and the limits in force never exceed the site's at any moment.

    Not a partial default (a share of what is left): below the car's minimum (6 A) it only pauses
    it, and a level that follows every change of the allocation would send a profile to every
    station at every run. Capping the defaults, rather than keeping headroom for them in the
    allocation, leaves the whole site to the cars that are charging: the fail-safe only ever uses
    room nobody else wants. While the platform is unreachable a station keeps its last default (0
    on a full site): a new car there waits, which is the price of never tripping the breaker.
    """
    held = set(holding)
    order = sorted(fail_safes, key=lambda s: (s not in held, s))
    order = [s for s in order if fail_safes[s] > 0]
    low, high = 0, len(order)  # fits(order[:low]) holds (no station at all is the allocation alone)
    if fits(order):
        low = high
    else:
        while high - low > 1:
            middle = (low + high) // 2
            if fits(order[:middle]):
                low = middle
            else:
                high = middle
    keeping = set(order[:low])
    return {s: fail_safes[s] if s in keeping else 0.0 for s in fail_safes}


def tx_profile(
    station: StationPlacement,
    site: EnergySite,
    evse_id: int,
    amps: float,
    capabilities: ChargerCapabilities,
    now: datetime,
    transaction_id: str | None = None,
    rules: ProfileRules = ProfileRules(),
) -> ChargingProfile:
    """The allocator's limit for one EVSE as a TxProfile, valid from now for ``validity_seconds``."""
    unit = capabilities.rate_unit
    phases = 1 if site.phases == 1 or station.phases == 1 else 3
    return ChargingProfile(
        profile_id=tx_profile_id(evse_id),
        station_id=station.station_id,
        evse_id=evse_id,
        purpose=ProfilePurpose.TX,
        stack_level=min(rules.tx_stack_level, capabilities.max_stack_level),
        rate_unit=unit,
        periods=[
            SchedulePeriod(
                start_seconds=0,
                limit=_in_unit(amps, unit, _watts_per_amp(station, site), capabilities.limit_step_amps),
                number_phases=phases,
            )
        ],
        start_schedule=now,
        duration_seconds=rules.validity_seconds,
        valid_from=now,
        valid_to=now + timedelta(seconds=rules.validity_seconds),
        transaction_id=transaction_id,
    )


class LimitInForce(DomainModel):
    """What an EVSE was last told and accepted."""

    limit_amps: float = Field(ge=0)
    sent_at: UtcDatetime
    accepted_at: UtcDatetime | None = None
    """When the charger's acceptance was handled: a car follows its limit only once the charger has it,
    which under load can be well after ``sent_at``."""
    paused_since: UtcDatetime | None = None
    """When its limit went below the minimum after the car had charged (None while it may charge, and
    for a car that has waited for room since it arrived: it was never paused, so it may start at once)."""


LimitReason = Literal["new", "increase", "decrease", "pause", "resume", "refresh"]
HoldReason = Literal["below-threshold", "min-pause", "unchanged", "within-slack"]


@dataclass(frozen=True)
class LimitDecision:
    evse_id: str
    send_amps: float | None
    """The limit to send now; None: keep the one in force."""
    reason: LimitReason | HoldReason


def _floor_step(amps: float, step: float) -> float:
    return max(round(math.floor(amps / step + 1e-9) * step, 3), 0.0)


def decide_limits(
    desired_amps: Mapping[str, float],
    in_force: Mapping[str, LimitInForce],
    now: datetime,
    rules: ProfileRules = ProfileRules(),
    step_amps: Mapping[str, float] | None = None,
    feasible: Callable[[Mapping[str, float]], bool] | None = None,
) -> dict[str, LimitDecision]:
    """Per EVSE (allocator ids), whether to send a new limit, and which.

    ``feasible``, when given, says whether a set of limits (allocator ids to amperes) keeps every
    line within its limit; small decreases are then held as long as the limits in force stay
    feasible. Without it every decrease is sent."""
    decisions: dict[str, LimitDecision] = {}
    for evse_id in sorted(desired_amps):
        step = (step_amps or {}).get(evse_id, 0.1)
        want = _floor_step(desired_amps[evse_id], step)
        current = in_force.get(evse_id)
        if current is None:
            decisions[evse_id] = LimitDecision(evse_id, want, "new")
            continue
        had = current.limit_amps
        paused = had < PAUSED_BELOW_AMPS
        stale = (now - current.sent_at).total_seconds() >= rules.refresh_after_seconds
        if want < had - 1e-9:
            reason: LimitReason = "pause" if want < PAUSED_BELOW_AMPS else "decrease"
            decisions[evse_id] = LimitDecision(evse_id, want, reason)
        elif want > had + 1e-9 and paused:
            since = current.paused_since
            if since is not None and (now - since).total_seconds() < rules.min_pause_seconds:
                decisions[evse_id] = LimitDecision(evse_id, None, "min-pause")
            else:
                decisions[evse_id] = LimitDecision(evse_id, want, "resume")
        elif want > had + max(rules.change_threshold_amps, rules.change_threshold_fraction * had) - 1e-9:
            decisions[evse_id] = LimitDecision(evse_id, want, "increase")
        elif want > had + 1e-9:
            decisions[evse_id] = LimitDecision(evse_id, None, "below-threshold")
        else:
            decisions[evse_id] = LimitDecision(evse_id, None, "unchanged")
        if decisions[evse_id].send_amps is None and stale:
            decisions[evse_id] = LimitDecision(evse_id, had, "refresh")
    if feasible is not None:
        _hold_small_decreases(decisions, desired_amps, in_force, rules, feasible)
    return decisions


def _hold_small_decreases(
    decisions: dict[str, LimitDecision],
    desired: Mapping[str, float],
    in_force: Mapping[str, LimitInForce],
    rules: ProfileRules,
    feasible: Callable[[Mapping[str, float]], bool],
) -> None:
    """Keep small decreases unsent, one at a time (largest limit first), while what stays in
    force is feasible."""

    def resulting() -> dict[str, float]:
        limits = {}
        for evse_id in desired:
            decision = decisions[evse_id]
            if decision.send_amps is not None:
                limits[evse_id] = decision.send_amps
            elif evse_id in in_force:
                limits[evse_id] = in_force[evse_id].limit_amps
        return limits

    small = [
        d
        for d in decisions.values()
        if d.reason == "decrease"
        and d.send_amps is not None
        and in_force[d.evse_id].limit_amps - d.send_amps
        < max(rules.change_threshold_amps, rules.change_threshold_fraction * in_force[d.evse_id].limit_amps)
    ]
    for decision in sorted(small, key=lambda d: (-in_force[d.evse_id].limit_amps, d.evse_id)):
        decisions[decision.evse_id] = LimitDecision(decision.evse_id, None, "within-slack")
        if not feasible(resulting()):
            decisions[decision.evse_id] = decision


def staged(
    decisions: Mapping[str, LimitDecision],
    in_force: Mapping[str, LimitInForce],
    fail_safe_amps: Mapping[str, float] | None = None,
) -> tuple[list[str], list[str]]:
    """The EVSEs to send to first (decreases and pauses: the room they free) and those to send to
    only once the first are accepted (increases, resumes, refreshes). A first limit for an EVSE
    replaces its fail-safe (its TxDefaultProfile): below it, it goes first."""
    first: list[str] = []
    then: list[str] = []
    for evse_id, decision in sorted(decisions.items()):
        if decision.send_amps is None:
            continue
        if evse_id in in_force:
            had = in_force[evse_id].limit_amps
        else:
            had = (fail_safe_amps or {}).get(evse_id, -math.inf)
        (first if decision.send_amps < had else then).append(evse_id)
    return first, then


def after_sending(
    in_force: Mapping[str, LimitInForce], accepted: Mapping[str, float], now: datetime
) -> dict[str, LimitInForce]:
    """The limits in force once the chargers accepted ``accepted`` (allocator ids to amperes)."""
    updated = dict(in_force)
    for evse_id, amps in accepted.items():
        before = in_force.get(evse_id)
        paused_since = None
        if amps < PAUSED_BELOW_AMPS and before is not None:
            paused_since = before.paused_since if before.limit_amps < PAUSED_BELOW_AMPS else now
        updated[evse_id] = LimitInForce(limit_amps=amps, sent_at=now, paused_since=paused_since)
    return updated


def profiles_for(
    allocation: Allocation,
    decisions: Mapping[str, LimitDecision],
    site: EnergySite,
    stations: Sequence[StationPlacement],
    capabilities: Mapping[str, ChargerCapabilities],
    now: datetime,
    transaction_ids: Mapping[str, str] | None = None,
    rules: ProfileRules = ProfileRules(),
    uncontrolled: Sequence[str] = (),
) -> list[ChargingProfile]:
    """The TxProfiles to send for the decisions that send something; none for chargers that
    ignore their limit or rejected their profile (``uncontrolled``, allocator ids)."""
    by_key = {evse_key(s.station_id, e): (s, e) for s in stations for e in s.evse_ids}
    profiles = []
    for evse_id, decision in sorted(decisions.items()):
        if decision.send_amps is None or evse_id in uncontrolled or evse_id not in by_key:
            continue
        station, number = by_key[evse_id]
        profiles.append(
            tx_profile(
                station,
                site,
                number,
                min(decision.send_amps, allocation.currents_amps.get(evse_id, 0.0)),
                capabilities.get(station.station_id, ChargerCapabilities()),
                now,
                (transaction_ids or {}).get(evse_id),
                rules,
            )
        )
    return profiles
