"""The load allocator in the loop: one run of one site, and what happens when chargers answer.

A run (``SiteAllocator.run_site``), under the site's lease so that two triggers never send
contradictory profiles:

1. reads the site's partition (model, placements, EVSE states, commands in flight, demands,
   signals, measurements) in one query, its active sessions from the sparse index, and its placed
   stations (their connection) in batches of 100;
2. sends the boot profiles (ChargePointMaxProfile, TxDefaultProfile: the fail-safe) to a station
   on a connection that has not had them, and asks what its smart charging accepts;
3. builds the allocator's snapshot: each session's energy still wanted (what the driver or fleet
   said, else the site's default or history), departure, the limit in force, the car's observed
   draw (and the ceiling it showed), chargers that ignore their limit or rejected their profile at
   their fixed draw, offline stations at their fail-safe, grid signals (an import limit from up to
   ``signal_lead_seconds`` before it starts), measurements (solar only while fresh), prices;
4. allocates, decides which limits are worth sending (``profiles.decide_limits``), and sends
   decreases first; an increase only when the worst case of what may then be in force (every
   limit accepted or sent and not yet answered) stays within every limit of the site
   (``feasibility.limits_within``). Increases that do not fit yet wait: the acceptance of the
   decreases runs the site again;
5. records the run (inputs summary, per-EVSE limit and reason, what was sent) and the site's load.

Answers (``CommandCompleted``) update the EVSE's limit in force, flag a charger that rejected its
profile (an ``Alert``, allocated around), and complete the run's record. A run that fails leaves the
profiles in force as they are (everything it sent was safe on its own) and the next minute retries.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.domain.base import utc_now
from shared.domain.commands import Command, CommandStatus
from shared.domain.events import (
    CommandCompleted,
    SessionDrawChanged,
    SessionStarted,
    SessionStopped,
    SiteInputsChanged,
    StationConnected,
)
from shared.domain.sessions import Session, projected_energy
from shared.domain.stations import RegistrationPolicy, Station
from shared.energy.allocator import allocate
from shared.energy.feasibility import connection_amps, limits_within
from shared.energy.models import Allocation, GridSignal, SiteSnapshot
from shared.energy.profiles import (
    PAUSED_BELOW_AMPS,
    ChargerCapabilities,
    ChargingProfile,
    LimitDecision,
    LimitInForce,
    ProfileOutcome,
    ProfilePurpose,
    ProfileRules,
    after_sending,
    boot_profiles,
    decide_limits,
    default_amps_per_evse,
    default_profile,
    profile_outcome,
    profiles_for,
    staged,
    station_defaults,
    to_transport,
)
from shared.energy.records import (
    DEMAND_RETENTION_SECONDS,
    Alert,
    AllocationRun,
    EvseOutcome,
    EvseState,
    LoadPoint,
    ProfileCommand,
    RunInputs,
    SessionDemandRecord,
    SiteEnergy,
    SiteHistory,
    SitePartition,
    StationEnergyState,
    run_record_key,
)
from shared.energy.site import (
    EnergySite,
    SessionDemand,
    SiteMeasurements,
    StationPlacement,
    evse_key,
    fail_safe_current,
    site_snapshot,
)
from shared.energy.supervision import DrawSample, Finding, ignored_limit, rejected_profile, still_ignoring
from shared.observability import logger
from shared.ocpp.protocols import plugin_for
from shared.ports import (
    AllocationRunStore,
    CommandSender,
    EnergyStore,
    EventPublisher,
    StationBatchReader,
    VehicleFinder,
    VersionConflictError,
)

FALLBACK_ENERGY_WANTED_KWH = 60.0
"""For a session nobody described at a site without configured default or enough history: as much
as a car battery takes (the car stops drawing when full, and the allocator then offers it less)."""
MIN_UNDESCRIBED_REMAINING_KWH = 5.0
"""A session nobody described is never taken as done: it may still want more than the default."""
HISTORY_MIN_SESSIONS = 5
STEP_AMPS = 0.1
"""OCPP 1.6 limits carry one decimal (its mappers round to it)."""
SMART_CHARGING_ACTIONS = frozenset({"SetChargingProfile", "GetConfiguration", "GetVariables"})
"""1.6 reads the capabilities with GetConfiguration, 2.0.1 with GetVariables."""


class SessionReader(Protocol):
    def get(self, session_id: str) -> Session | None: ...

    def active_for_site(self, tenant_id: str, site_id: str) -> list[Session]: ...


class StationReader(Protocol):
    def get(self, station_id: str) -> Station | None: ...


class CommandReader(Protocol):
    def get(self, command_id: str) -> Command | None: ...


@dataclass(frozen=True)
class AllocatorSettings:
    lease_seconds: float = 90.0
    """Longer than the function's timeout: a crashed run's lease frees itself."""
    signal_lead_seconds: float = 90.0
    """An import limit applies from this long before it starts: one scheduled run (a minute apart)
    always falls in between, with time for the chargers to accept the decreases."""
    measurement_max_age_seconds: float = 900.0
    """Older measurements keep their base load, but not their solar or battery state."""
    live_max_age_seconds: float = 300.0
    """An older live reading says nothing about the car's draw now."""
    follow_grace_seconds: float = 15.0
    """A car follows a new limit within 5 s (IEC 61851-1) and meters lag: readings from sooner
    after a limit took effect say nothing about the car."""
    rejected_retry_seconds: float = 600.0
    """A charger that rejected its profile is counted at its fixed draw; this long after, it is sent
    one again (an acceptance clears the finding)."""
    stale_command_seconds: float = 180.0
    """A command unanswered this long has an outcome by now (the timeout sweep records one): the run
    reads it from the commands table instead of waiting for its event."""
    run_retention_days: int = 7
    load_retention_days: int = 90
    command_record_seconds: int = 3600
    demand_retention_days: int = 3
    max_rounds: int = 3
    """Runs one trigger may do back to back while others ask for a rerun."""
    rules: ProfileRules = field(default_factory=ProfileRules)


@dataclass
class RunResult:
    run: AllocationRun
    allocation: Allocation | None
    sent: dict[str, float] = field(default_factory=dict)
    defaults_sent: dict[str, float] = field(default_factory=dict)
    """Station ids to the TxDefaultProfile limit (A) this run sent them."""


@dataclass
class _Evse:
    """One EVSE with an active session, during a run."""

    key: str
    placement: StationPlacement
    evse_id: int
    session: Session
    state: EvseState
    version: int
    changed: bool
    pending: list[ProfileCommand]
    base_amps: float
    """What holds without any TxProfile accepted: its fail-safe when the station accepted its boot
    profiles before this session began, else its maximum."""
    new_session: bool = False
    """Its stored state is of no session or of an earlier one: this run starts the session's state."""

    @property
    def latest_amps(self) -> float | None:
        """What it will hold once the outstanding answers are in (the last sent, else accepted)."""
        if self.pending:
            return max(self.pending, key=lambda c: c.seq).amps
        return self.state.limit.limit_amps if self.state.limit is not None else None

    @property
    def worst_amps(self) -> float:
        """The most it may be holding now."""
        accepted = self.state.limit.limit_amps if self.state.limit is not None else self.base_amps
        return max([accepted, *(c.amps or 0.0 for c in self.pending)])


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _drawn_amps(session: Session, now: datetime, max_age: float) -> tuple[float | None, list[float]]:
    live = session.live
    if live is None or live.current_a is None or (now - live.at).total_seconds() > max_age:
        return None, []
    currents = live.current_a
    per_phase = [currents[p] for p in ("L1", "L2", "L3") if p in currents] or list(currents.values())
    return (max(per_phase) if per_phase else None), per_phase


class SiteAllocator:
    def __init__(
        self,
        energy: EnergyStore,
        runs: AllocationRunStore,
        sessions: SessionReader,
        stations: StationReader,
        placed_stations: StationBatchReader,
        commands: CommandReader,
        outbound: CommandSender,
        events: EventPublisher,
        settings: AllocatorSettings = AllocatorSettings(),
        clock: Callable[[], datetime] = utc_now,
        allocate_site: Callable[[SiteSnapshot], Allocation] = allocate,
        vehicles: VehicleFinder | None = None,
    ) -> None:
        self._energy = energy
        self._runs = runs
        self._sessions = sessions
        self._stations = stations
        self._placed = placed_stations
        self._commands = commands
        self._outbound = outbound
        self._events = events
        self.settings = settings
        self._clock = clock
        self._allocate = allocate_site
        self._vehicles = vehicles

    # --- triggers ---------------------------------------------------------------------------------

    def run_due_sites(self) -> dict[str, int]:
        """The scheduled run: every managed site with active sessions."""
        summary = {"sites": 0, "runs": 0, "skipped": 0, "failed": 0}
        for tenant_id, site_id in self._energy.managed_sites():
            summary["sites"] += 1
            if not self._sessions.active_for_site(tenant_id, site_id):
                summary["skipped"] += 1
                continue
            try:
                result = self.run_site(tenant_id, site_id, "schedule")
            except Exception:
                # One site's failure must not starve the others; its profiles stay as they are.
                logger.exception("allocation run failed", extra={"tenantId": tenant_id, "siteId": site_id})
                summary["failed"] += 1
                continue
            summary["runs" if result is not None else "skipped"] += 1
        return summary

    def handle_event(self, detail_type: str, detail: dict[str, Any]) -> str:
        """A domain event from the platform's bus (EventBridge rule); returns what was done."""
        if detail_type == CommandCompleted.detail_type:
            return self.on_command_completed(CommandCompleted.model_validate(detail))
        if detail_type == StationConnected.detail_type:
            return self.on_station_connected(StationConnected.model_validate(detail))
        if detail_type == SessionStopped.detail_type:
            stopped = SessionStopped.model_validate(detail)
            self._learn(stopped.session)
            return self._run_for(stopped.session.tenant_id, stopped.session.site_id, "session-stopped")
        if detail_type == SessionStarted.detail_type:
            started = SessionStarted.model_validate(detail)
            self._describe_fleet_vehicle(started.session)
            return self._run_for(started.session.tenant_id, started.session.site_id, "session-started")
        if detail_type == SessionDrawChanged.detail_type:
            changed = SessionDrawChanged.model_validate(detail)
            session = self._sessions.get(changed.session_id)
            if session is None or session.tenant_id != changed.tenant_id:
                return "unknown session"
            return self._run_for(session.tenant_id, session.site_id, "draw-changed")
        if detail_type == SiteInputsChanged.detail_type:
            inputs = SiteInputsChanged.model_validate(detail)
            return self._run_for(inputs.tenant_id, inputs.site_id, f"inputs:{inputs.reason}")
        return f"ignored {detail_type}"

    def _describe_fleet_vehicle(self, session: Session) -> None:
        """A session charging with a registered vehicle's ID token is the fleet's (prioritized) and
        limited to the car's own maximum current from its first run, unless someone described the
        session already."""
        if self._vehicles is None or session.id_token is None or session.site_id is None:
            return
        vehicle = self._vehicles.vehicle_charging_with(session.tenant_id, session.id_token)
        if vehicle is None or self._energy.get_site(session.tenant_id, session.site_id) is None:
            return
        if self._energy.get_demand(session.tenant_id, session.site_id, session.session_id) is not None:
            return
        now = self._clock()
        demand = SessionDemandRecord(
            session_id=session.session_id,
            fleet=True,
            vehicle_max_current_amps=vehicle.max_current_amps,
            vehicle_id=vehicle.vehicle_id,
            updated_at=now,
            expires_at=_epoch(now) + DEMAND_RETENTION_SECONDS,
        )
        self._energy.put_demand(session.tenant_id, session.site_id, demand)

    def _run_for(self, tenant_id: str, site_id: str | None, trigger: str) -> str:
        if site_id is None:
            return "no site"
        result = self.run_site(tenant_id, site_id, trigger)
        return "ran" if result is not None else "coalesced"

    # --- one run, under the lease -----------------------------------------------------------------

    def run_site(self, tenant_id: str, site_id: str, trigger: str) -> RunResult | None:
        """None when another run holds the site (it runs once more for this trigger) or the site is
        not managed."""
        holder = uuid.uuid4().hex
        seconds = self.settings.lease_seconds
        if not self._energy.acquire_lease(tenant_id, site_id, holder, time.time(), seconds):
            if self._energy.request_rerun(tenant_id, site_id, time.time()):
                return None
            if not self._energy.acquire_lease(tenant_id, site_id, holder, time.time(), seconds):
                return None
        result: RunResult | None = None
        released = False
        try:
            for round_number in range(self.settings.max_rounds):
                result = self._run_once(tenant_id, site_id, trigger if round_number == 0 else "rerun")
                released = self._energy.release_lease(tenant_id, site_id, holder)
                if released:
                    return result
        finally:
            if not released:  # a failed run, or reruns beyond max_rounds: let go all the same
                self._energy.release_lease(tenant_id, site_id, holder, force=True)
        return result

    def _run_once(self, tenant_id: str, site_id: str, trigger: str) -> RunResult | None:
        started = time.perf_counter()
        now = self._clock()
        partition = self._energy.load_site(tenant_id, site_id)
        config = partition.config
        if config is None:
            return None
        self._settle_stale_commands(partition, now)
        placements = partition.placements
        stations = self._placed.get_many([p.station_id for p in placements]) if placements else {}
        online = {
            p.station_id: stations[p.station_id]
            for p in placements
            if p.station_id in stations and _steerable(stations[p.station_id], tenant_id, site_id)
        }
        offline = sorted(p.station_id for p in placements if p.station_id not in online)
        for station in online.values():
            self._ensure_boot_profiles(config, partition, station, now)

        evses = self._evses(config, partition, online, now)
        uncontrolled: dict[str, Finding] = {}
        demands = []
        for evse in evses.values():
            finding = self._supervise(evse, now)
            if finding is not None:
                uncontrolled[evse.key] = finding
            demands.append(self._demand(config, partition, evse, finding, now))

        snapshot = site_snapshot(
            config.site,
            placements,
            demands,
            now,
            measurements=self._measurements(partition, now),
            grid_signals=self._signals(partition, now),
            tariff=config.tariff.tariff(now, config.zone, 288, 5.0) if config.tariff else None,
            offline_station_ids=offline,
        )
        allocation = self._allocate(snapshot)

        controlled = {k: e for k, e in evses.items() if k not in uncontrolled}
        rules = replace(self.settings.rules, min_pause_seconds=config.site.min_pause_seconds)
        decisions, in_force = self._decide(controlled, allocation, snapshot, now, rules)
        worst = {k: e.worst_amps for k, e in controlled.items()}
        idle = self._idle_evses(partition, online, evses)
        worst.update(idle)
        first, then, held = self._stage(decisions, in_force, worst, controlled, snapshot, allocation)
        defaults, held_defaults = self._station_defaults(
            config, partition, online, controlled, idle, worst, snapshot, allocation, now
        )
        held = [*held, *held_defaults]
        send = [*first, *then]
        for key in send:
            if controlled[key].new_session:
                self._claim_evse(tenant_id, site_id, controlled[key])
        profiles = profiles_for(
            allocation,
            {k: decisions[k] for k in send},
            config.site,
            placements,
            {sid: _capabilities(partition, sid) for sid in online},
            now,
            {k: e.session.transaction_id for k, e in controlled.items() if e.session.transaction_id},
            self.settings.rules,
        )
        run_id = uuid.uuid4().hex[:12]
        run_key = run_record_key(now, run_id)
        commands: dict[str, ProfileCommand] = {}
        sent: dict[str, float] = {}
        for profile in profiles:
            key = evse_key(profile.station_id, profile.evse_id)
            evse = controlled[key]
            command = self._send_tx(
                tenant_id,
                site_id,
                evse,
                profile,
                decisions[key].send_amps or 0.0,
                run_key,
                "first" if key in first else "then",
                rerun=bool(held),
                now=now,
            )
            if command is not None:
                commands[key] = command
                sent[key] = profile.limit_now
        defaults_sent = self._send_defaults(config, partition, online, defaults, run_key, bool(held), now)
        for evse in evses.values():
            if evse.changed:
                self._save_evse(tenant_id, site_id, evse)
        self._forget_ended(tenant_id, site_id, partition, evses)

        run = self._record(
            config,
            partition,
            snapshot,
            allocation,
            evses,
            decisions,
            worst,
            sent,
            commands,
            held,
            uncontrolled,
            offline,
            trigger,
            run_id,
            now,
            started,
        )
        return RunResult(run, allocation, sent, defaults_sent)

    # --- building the run -------------------------------------------------------------------------

    def _evses(
        self, config: SiteEnergy, partition: SitePartition, online: Mapping[str, Station], now: datetime
    ) -> dict[str, _Evse]:
        placements = {p.station_id: p for p in partition.placements}
        sessions = self._sessions.active_for_site(config.tenant_id, config.site_id)
        chosen: dict[str, Session] = {}
        for session in sessions:
            station = online.get(session.station_id)
            placement = placements.get(session.station_id)
            if station is None or placement is None or session.registration_id != station.registration_id:
                continue
            if session.evse_id not in placement.evse_ids:
                continue
            key = evse_key(session.station_id, session.evse_id)
            if key not in chosen or session.started_at > chosen[key].started_at:
                chosen[key] = session
        evses: dict[str, _Evse] = {}
        for key, session in chosen.items():
            placement = placements[session.station_id]
            state, version = partition.evses.get(
                key, (EvseState(station_id=session.station_id, evse_id=session.evse_id), 0)
            )
            new_session = state.session_id != session.session_id
            if new_session:
                state = EvseState(
                    station_id=session.station_id, evse_id=session.evse_id, session_id=session.session_id
                )
            pending = [
                c
                for c in partition.commands
                if c.kind == "tx"
                and c.evse_key == key
                and c.session_id == session.session_id
                and c.amps is not None
            ]
            evses[key] = _Evse(
                key=key,
                placement=placement,
                evse_id=session.evse_id,
                session=session,
                state=state,
                version=version,
                changed=new_session,
                pending=pending,
                new_session=new_session,
                base_amps=self._base_amps(config.site, partition, placement, session),
            )
        return evses

    def _base_amps(
        self, site: EnergySite, partition: SitePartition, placement: StationPlacement, session: Session
    ) -> float:
        evse_max = placement.evse_max_current_amps or placement.max_current_amps
        station_state = partition.stations.get(placement.station_id)
        accepted_at = station_state[0].boot_profiles_accepted_at if station_state else None
        if accepted_at is not None and session.started_at >= accepted_at - timedelta(seconds=1):
            return min(_default_worst(partition, placement, site), evse_max)
        return evse_max

    def _supervise(self, evse: _Evse, now: datetime) -> Finding | None:
        """Updates the EVSE's samples, ceiling and findings from its newest reading; the finding that
        makes it uncontrolled (counted at its fixed draw), if any."""
        state = evse.state
        settings = self.settings
        finding = state.finding
        if finding is not None and finding.kind == "rejected-profile":
            since = finding.since or now
            if (now - since).total_seconds() < settings.rejected_retry_seconds and not evse.pending:
                return finding
            return None  # send it one again: an acceptance clears the finding
        limit = state.limit
        drawn, _ = _drawn_amps(evse.session, now, settings.live_max_age_seconds)
        live = evse.session.live
        if limit is None or drawn is None or live is None:
            return finding
        if evse.pending:
            # a limit is in flight: the car may already follow it, so its draw says nothing about this one
            return finding
        followed_from = max(limit.sent_at, limit.accepted_at or limit.sent_at)
        if (live.at - followed_from).total_seconds() < settings.follow_grace_seconds:
            return finding
        self._learn_ceiling(evse, limit.limit_amps, drawn)
        allowed = limit.limit_amps + max(1.0, 0.05 * limit.limit_amps)
        known = {s.at for s in state.samples}
        if live.at not in known and (drawn > allowed or state.samples or finding is not None):
            state.samples = [*state.samples, DrawSample(at=live.at, drawn_amps=drawn)][-6:]
            evse.changed = True
        if finding is not None:
            if still_ignoring(finding, limit.limit_amps, state.samples):
                return finding
            state.finding, state.samples = None, []
            evse.changed = True
            self._clear_alert(evse, "ignores-limit", now)
            return None
        found = ignored_limit(evse.key, limit.limit_amps, limit.sent_at, state.samples, grace_seconds=0.0)
        if found is not None:
            state.finding = found
            evse.changed = True
            self._raise_alert(
                evse.session.tenant_id,
                evse.session.site_id or "",
                evse.placement.station_id,
                evse.evse_id,
                found,
                now,
            )
            return found
        if state.samples and drawn <= allowed:
            state.samples = []
            evse.changed = True
        return None

    def _learn_ceiling(self, evse: _Evse, offered: float, drawn: float) -> None:
        headroom = 1.0
        state = evse.state
        ceiling = state.car_ceiling_amps
        if drawn < offered - headroom:
            if ceiling is None or drawn > ceiling + 0.5 or drawn < ceiling - 0.5:
                state.car_ceiling_amps = round(drawn, 2)
                evse.changed = True
        elif ceiling is not None and drawn >= offered - 0.3 and offered <= ceiling + headroom + 0.05:
            state.car_ceiling_amps = None  # it takes all it is offered: it may take more
            evse.changed = True

    def _demand(
        self,
        config: SiteEnergy,
        partition: SitePartition,
        evse: _Evse,
        finding: Finding | None,
        now: datetime,
    ) -> SessionDemand:
        session = evse.session
        described = partition.demands.get(session.session_id)
        # What the EV itself asked for (2.0.1 NotifyEVChargingNeeds) counts where no one described it.
        needs = session.charging_needs
        history = partition.history
        learned = history is not None and history.sessions >= HISTORY_MIN_SESSIONS
        delivered_kwh = (projected_energy(session) or 0.0) / 1000.0
        if described is not None and described.energy_wanted_kwh is not None:
            wanted = max(described.energy_wanted_kwh - delivered_kwh, 0.0)
        elif needs is not None and needs.energy_wh is not None:
            wanted = max(needs.energy_wh / 1000.0 - delivered_kwh, 0.0)
        else:
            default = config.default_energy_wanted_kwh or (
                history.mean_energy_kwh if learned and history else FALLBACK_ENERGY_WANTED_KWH
            )
            wanted = max(default - delivered_kwh, MIN_UNDESCRIBED_REMAINING_KWH)
        departure = described.departure_at if described is not None else None
        if departure is None and needs is not None:
            departure = needs.departure_at
        if departure is None:
            stay = config.default_stay_minutes or (history.mean_stay_minutes if learned and history else None)
            if stay:
                departure = max(session.started_at + timedelta(minutes=stay), now + timedelta(minutes=5))
        _, per_phase = _drawn_amps(session, now, self.settings.live_max_age_seconds)
        vehicle_max = described.vehicle_max_current_amps if described is not None else None
        if vehicle_max is None and needs is not None:
            vehicle_max = needs.max_current_a
        if evse.state.car_ceiling_amps is not None:
            ceiling = evse.state.car_ceiling_amps + 1.0
            vehicle_max = ceiling if vehicle_max is None else min(vehicle_max, ceiling)
        latest = evse.latest_amps
        return SessionDemand(
            station_id=evse.placement.station_id,
            evse_id=evse.evse_id,
            energy_wanted_kwh=min(wanted, 1_000.0),
            departure=departure,
            vehicle_max_current_amps=vehicle_max,
            offered_current_amps=latest if latest is not None else evse.base_amps,
            drawn_amps_per_phase=per_phase,
            fleet=described.fleet if described is not None else False,
            priority_group=described.priority_group if described is not None else None,
            fixed_draw_amps=min(finding.count_at_amps, evse.placement.max_current_amps) if finding else None,
        )

    def _measurements(self, partition: SitePartition, now: datetime) -> SiteMeasurements | None:
        record = partition.measurements
        if record is None:
            return None
        measured = record.measurements
        at = measured.measured_at or record.received_at
        if (now - at).total_seconds() <= self.settings.measurement_max_age_seconds:
            return measured
        return SiteMeasurements(measured_at=measured.measured_at, base_load_kw=measured.base_load_kw)

    def _signals(self, partition: SitePartition, now: datetime) -> list[GridSignal]:
        lead = timedelta(seconds=self.settings.signal_lead_seconds)
        records = [*partition.signals, *(partition.openadr.signals if partition.openadr else [])]
        signals = []
        for record in records:
            signal = record.signal()
            if signal.ends_at <= now:
                continue
            if signal.kind == "import_limit" and now < signal.starts_at <= now + lead:
                signal = signal.model_copy(update={"starts_at": now})
            signals.append(signal)
        return signals

    def _decide(
        self,
        evses: Mapping[str, _Evse],
        allocation: Allocation,
        snapshot: SiteSnapshot,
        now: datetime,
        rules: ProfileRules,
    ) -> tuple[dict[str, LimitDecision], dict[str, float]]:
        desired = {k: round(allocation.currents_amps.get(k, 0.0), 6) for k in evses}
        in_force: dict[str, LimitInForce] = {}
        for key, evse in evses.items():
            latest = evse.latest_amps
            if latest is None:
                continue
            limit = evse.state.limit
            if evse.pending:
                newest = max(evse.pending, key=lambda c: c.seq)
                paused_since = None
                if latest < PAUSED_BELOW_AMPS and limit is not None:
                    # pausing now if it may charge, else as paused as it was (never, for a car waiting)
                    paused = limit.limit_amps < PAUSED_BELOW_AMPS
                    paused_since = limit.paused_since if paused else newest.sent_at
                in_force[key] = LimitInForce(
                    limit_amps=latest, sent_at=newest.sent_at, paused_since=paused_since
                )
            elif limit is not None:
                in_force[key] = limit
        steps = dict.fromkeys(evses, STEP_AMPS)

        def feasible(limits: Mapping[str, float]) -> bool:
            return limits_within(snapshot, allocation, limits)

        decisions = decide_limits(desired, in_force, now, rules, steps, feasible)
        return decisions, {k: v.limit_amps for k, v in in_force.items()}

    def _stage(
        self,
        decisions: Mapping[str, LimitDecision],
        in_force: Mapping[str, float],
        worst: dict[str, float],
        evses: Mapping[str, _Evse],
        snapshot: SiteSnapshot,
        allocation: Allocation,
    ) -> tuple[list[str], list[str], list[str]]:
        """The EVSEs to send to now: decreases first, then the increases that fit the worst case;
        and the increases held until the decreases are accepted."""
        as_limits = {k: LimitInForce(limit_amps=v, sent_at=self._clock()) for k, v in in_force.items()}
        fail_safe = {k: e.base_amps for k, e in evses.items()}
        first, candidates = staged(decisions, as_limits, fail_safe)
        then: list[str] = []
        held: list[str] = []
        # Cars waiting at zero first, then the rest in a stable order.
        candidates.sort(key=lambda k: (in_force.get(k, fail_safe[k]) >= PAUSED_BELOW_AMPS, k))
        for key in candidates:
            amps = decisions[key].send_amps or 0.0
            trial = {**worst, key: max(worst.get(key, 0.0), amps)}
            if trial[key] <= worst.get(key, 0.0) + 1e-9 or limits_within(snapshot, allocation, trial):
                worst[key] = trial[key]
                then.append(key)
            else:
                held.append(key)
        return first, then, held

    def _idle_evses(
        self, partition: SitePartition, online: Mapping[str, Station], evses: Mapping[str, _Evse]
    ) -> dict[str, float]:
        """The EVSEs of online stations without a session: the most a transaction starting there may
        draw before any run (its station's TxDefaultProfile, in force or sent)."""
        site = partition.config.site if partition.config else None
        assert site is not None
        idle = {}
        for placement in partition.placements:
            if placement.station_id not in online:
                continue
            amps = default_amps_per_evse(placement, _default_worst(partition, placement, site))
            for evse_id in placement.evse_ids:
                key = evse_key(placement.station_id, evse_id)
                if key not in evses:
                    idle[key] = amps
        return idle

    def _station_defaults(
        self,
        config: SiteEnergy,
        partition: SitePartition,
        online: Mapping[str, Station],
        controlled: Mapping[str, _Evse],
        idle: Mapping[str, float],
        worst: dict[str, float],
        snapshot: SiteSnapshot,
        allocation: Allocation,
        now: datetime,
    ) -> tuple[dict[str, tuple[float, str]], list[str]]:
        """The TxDefaultProfiles to send (station id to its limit and stage): each online station's
        fail-safe where the site has room for it besides the allocation, else 0
        (``profiles.station_defaults``). Decreases go first; an increase only when the worst case
        with it stays within the site's limits (``worst`` is updated), else it is held."""
        site = config.site
        placements = [p for p in partition.placements if p.station_id in online]
        fail_safes = {p.station_id: fail_safe_current(p, site) for p in placements}
        # The allocation first: what the TxProfiles may hold now, or will once it is sent.
        upper = {k: max(worst.get(k, 0.0), allocation.currents_amps.get(k, 0.0)) for k in controlled}
        share = {p.station_id: default_amps_per_evse(p, fail_safes[p.station_id]) for p in placements}

        def fits(keeping: Collection[str]) -> bool:
            kept = set(keeping)
            limits = dict(upper)
            for placement in placements:
                if placement.station_id not in kept:
                    continue
                for evse_id in placement.evse_ids:
                    key = evse_key(placement.station_id, evse_id)
                    limits[key] = max(limits.get(key, 0.0), share[placement.station_id])
            return limits_within(snapshot, allocation, limits)

        holding = [s for s in fail_safes if _default_latest(partition, s) >= fail_safes[s] - 1e-9]
        targets = station_defaults(fail_safes, holding, fits)
        sends: dict[str, tuple[float, str]] = {}
        raises: dict[str, dict[str, float]] = {}
        for placement in sorted(placements, key=lambda p: p.station_id):
            station_id = placement.station_id
            target = targets[station_id]
            latest = _default_latest(partition, station_id)
            if abs(target - latest) < 1e-9 or self._refused_lately(partition, station_id, target, now):
                continue
            if target < latest:
                sends[station_id] = (target, "first")
                continue
            per_evse = default_amps_per_evse(placement, target)
            raises[station_id] = {
                key: max(worst.get(key, 0.0), per_evse)
                for key in (evse_key(station_id, e) for e in placement.evse_ids)
                if key in idle or (key in controlled and controlled[key].state.limit is None)
            }
        # All the increases at once (the targets fit besides the allocation, so they usually do);
        # one by one only when some must wait for the decreases.
        together = {k: v for raised in raises.values() for k, v in raised.items()}
        if raises and limits_within(snapshot, allocation, {**worst, **together}):
            worst.update(together)
            sends.update({s: (targets[s], "then") for s in raises})
            return sends, []
        held: list[str] = []
        for station_id, raised in raises.items():
            if limits_within(snapshot, allocation, {**worst, **raised}):
                worst.update(raised)
                sends[station_id] = (targets[station_id], "then")
            else:
                held.append(f"{station_id}/default")
        return sends, held

    def _refused_lately(self, partition: SitePartition, station_id: str, amps: float, now: datetime) -> bool:
        found = partition.stations.get(station_id)
        state = found[0] if found else None
        if state is None or state.default_refused_at is None or state.default_refused_amps is None:
            return False
        since = (now - state.default_refused_at).total_seconds()
        return abs(state.default_refused_amps - amps) < 1e-9 and since < self.settings.rejected_retry_seconds

    def _send_defaults(
        self,
        config: SiteEnergy,
        partition: SitePartition,
        online: Mapping[str, Station],
        sends: Mapping[str, tuple[float, str]],
        run_key: str,
        rerun: bool,
        now: datetime,
    ) -> dict[str, float]:
        placements = {p.station_id: p for p in partition.placements}
        sent: dict[str, float] = {}
        for station_id, (amps, stage) in sorted(sends.items()):
            placement = placements[station_id]
            profile = default_profile(
                placement, config.site, _capabilities(partition, station_id), amps, self.settings.rules
            )
            record = self._command_record(
                config, online[station_id], "default", now, amps, _default_seq(partition, station_id)
            ).model_copy(
                update={
                    "run_key": run_key,
                    "stage": "first" if stage == "first" else "then",
                    "rerun_on_accept": rerun and stage == "first",
                }
            )
            if not self._send_recorded(record, _set_profile(profile)):
                continue
            partition.commands.append(record)
            sent[station_id] = amps
        return sent

    # --- sending ----------------------------------------------------------------------------------

    def _send_tx(
        self,
        tenant_id: str,
        site_id: str,
        evse: _Evse,
        profile: ChargingProfile,
        amps: float,
        run_key: str,
        stage: str,
        *,
        rerun: bool,
        now: datetime,
    ) -> ProfileCommand | None:
        seq = max([evse.state.accepted_seq, *(c.seq for c in evse.pending)]) + 1
        record = ProfileCommand(
            command_id=str(uuid.uuid4()),
            tenant_id=tenant_id,
            site_id=site_id,
            station_id=profile.station_id,
            kind="tx",
            evse_id=profile.evse_id,
            session_id=evse.session.session_id,
            amps=min(amps, profile.limit_now) if profile.rate_unit == "A" else amps,
            seq=seq,
            run_key=run_key,
            stage="first" if stage == "first" else "then",
            rerun_on_accept=rerun,
            sent_at=now,
            expires_at=_epoch(now) + self.settings.command_record_seconds,
        )
        if not self._send_recorded(record, _set_profile(profile)):
            return None  # nothing left: what is in force stays, and the worst case never counted on it
        evse.pending.append(record)
        return record

    def _ensure_boot_profiles(
        self, config: SiteEnergy, partition: SitePartition, station: Station, now: datetime
    ) -> None:
        connection = station.connection
        if connection is None:
            return
        state, version = partition.stations.get(
            station.station_id, (StationEnergyState(station_id=station.station_id), 0)
        )
        if state.boot_profiles_connection_id == connection.connection_id:
            return
        placement = next((p for p in partition.placements if p.station_id == station.station_id), None)
        if placement is None:
            return
        updated = self.send_boot_profiles(config, placement, station, state, version, now, partition.commands)
        if updated is not None:
            partition.stations[station.station_id] = updated

    def send_boot_profiles(
        self,
        config: SiteEnergy,
        placement: StationPlacement,
        station: Station,
        state: StationEnergyState,
        version: int,
        now: datetime,
        sent: list[ProfileCommand] | None = None,
    ) -> tuple[StationEnergyState, int] | None:
        """ChargePointMaxProfile and TxDefaultProfile on this connection (and the smart charging
        configuration, once); None when another run or event already did it. The commands' records
        are added to ``sent`` (the run's view of what is in flight)."""
        connection = station.connection
        assert connection is not None
        claimed = state.model_copy(
            update={
                "boot_profiles_connection_id": connection.connection_id,
                "boot_profiles_accepted_at": None,
                "boot_profiles_rejected": False,
            }
        )
        ask = state.capabilities is None and (
            state.capabilities_requested_at is None
            or (now - state.capabilities_requested_at).total_seconds() > 3600
        )
        if ask:
            claimed.capabilities_requested_at = now
        try:
            new_version = self._energy.put_station_state(config.tenant_id, config.site_id, claimed, version)
        except VersionConflictError:
            return None
        records = []
        if ask:
            asking = self._command_record(config, station, "configuration", now)
            if self._send_recorded(asking, lambda m: m.request_charging_capabilities()):
                records.append(asking)
        capabilities = state.capabilities or ChargerCapabilities()
        # The default the site allowed it last (a reconnect keeps it); 0 for a station no run has
        # decided on yet: the next run gives it its fail-safe where the site has room.
        default = state.default_amps if state.default_amps is not None else 0.0
        default_seq = (
            max(
                [
                    state.default_seq,
                    *(c.seq for c in (sent or []) if c.tx_default and c.station_id == station.station_id),
                ]
            )
            + 1
        )
        for profile in boot_profiles(placement, config.site, capabilities, now, self.settings.rules, default):
            if profile.purpose == ProfilePurpose.TX_DEFAULT:
                fail_safe = fail_safe_current(placement, config.site)
                record = self._command_record(
                    config, station, "boot", now, min(default, fail_safe), default_seq
                )
                # Below its fail-safe: once in force, a run gives it back where the site has room.
                record = record.model_copy(update={"rerun_on_accept": default < fail_safe})
            else:
                record = self._command_record(config, station, "boot", now, profile.limit_now)
            if self._send_recorded(record, _set_profile(profile)):
                records.append(record)
        if sent is not None:
            sent.extend(records)
        return claimed, new_version

    def _command_record(
        self,
        config: SiteEnergy,
        station: Station,
        kind: str,
        now: datetime,
        amps: float | None = None,
        default_seq: int | None = None,
    ) -> ProfileCommand:
        """``default_seq``: a TxDefaultProfile (a boot one, or ``kind`` default) and its order."""
        return ProfileCommand(
            command_id=str(uuid.uuid4()),
            tenant_id=config.tenant_id,
            site_id=config.site_id,
            station_id=station.station_id,
            kind="boot" if kind == "boot" else "default" if kind == "default" else "configuration",
            amps=amps,
            tx_default=default_seq is not None,
            seq=default_seq or 0,
            connection_id=station.connection.connection_id if station.connection else None,
            sent_at=now,
            expires_at=_epoch(now) + self.settings.command_record_seconds,
        )

    def _send_recorded(self, record: ProfileCommand, intent: Callable[[Any], Any]) -> bool:
        """Writes the call's record, then sends the call under the record's id: its answer, however
        quick, finds the record (an answer that found none would be dropped, and the limit it
        accepted missing from every later worst case). Whether it was sent; a call that could not be
        leaves no record."""
        self._energy.put_commands([record])
        try:
            self._outbound.send_intent(
                record.tenant_id, record.station_id, intent, command_id=record.command_id
            )
        except Exception:
            logger.exception("smart charging call not sent", extra={"stationId": record.station_id})
            self._energy.delete_command(record)
            return False
        return True

    # --- answers ----------------------------------------------------------------------------------

    def on_command_completed(self, event: CommandCompleted) -> str:
        if event.action not in SMART_CHARGING_ACTIONS:
            return "not a smart charging call"
        station = self._stations.get(event.station_id)
        if station is None or station.tenant_id != event.tenant_id or station.site_id is None:
            return "station not on a site"
        # The run writes its record before the call leaves (``_send_recorded``): one read tells.
        record = self._energy.get_command(
            event.tenant_id, station.site_id, event.station_id, event.command_id
        )
        if record is None:
            return "not the allocator's"
        return self.apply_answer(record, event.status, event.response)

    def apply_answer(
        self, record: ProfileCommand, status: CommandStatus, response: Mapping[str, Any] | None
    ) -> str:
        now = self._clock()
        outcome = _outcome(status, response)
        if record.kind == "tx":
            rerun = self._answer_tx(record, outcome, now)
        elif record.kind == "boot":
            self._answer_boot(record, outcome, now)
            rerun = record.tx_default and record.rerun_on_accept and outcome == "accepted"
        elif record.kind == "default":
            self._answer_default(record, outcome, now)
            rerun = record.rerun_on_accept
        else:
            self._answer_configuration(record, status, response, now)
            rerun = False
        self._energy.delete_command(record)
        if record.run_key is not None:
            self._runs.record_answer(
                record.tenant_id, record.site_id, record.run_key, record.command_id, outcome
            )
        if rerun:
            self.run_site(record.tenant_id, record.site_id, "answer")
            return f"{outcome}, ran again"
        return outcome

    def _answer_tx(self, record: ProfileCommand, outcome: str, now: datetime) -> bool:
        assert record.evse_key is not None and record.amps is not None
        for _ in range(5):
            found = self._energy.get_evse(record.tenant_id, record.site_id, record.evse_key)
            if found is None:
                return False
            state, version = found
            if state.session_id != record.session_id:
                return False  # the session ended: its limit no longer matters
            if outcome == "accepted":
                if record.seq > state.accepted_seq:
                    before = {record.evse_key: state.limit} if state.limit is not None else {}
                    limit = after_sending(before, {record.evse_key: record.amps}, record.sent_at)[
                        record.evse_key
                    ]
                    state.limit = limit.model_copy(update={"accepted_at": now})
                    state.accepted_seq = record.seq
                if state.finding is not None and state.finding.kind == "rejected-profile":
                    state.finding = None
                    self._clear_alert_for(record, "rejected-profile", now)
            elif outcome == "offline":
                pass  # never reached the charger: what was in force stays
            else:
                in_force = state.limit.limit_amps if state.limit is not None else None
                evse_max = self._evse_max(record)
                if outcome == "timeout":
                    # Either may be in force: count the higher.
                    state.limit = LimitInForce(
                        limit_amps=max(in_force or 0.0, record.amps), sent_at=record.sent_at
                    )
                finding = rejected_profile(
                    record.evse_key,
                    "timeout" if outcome == "timeout" else _profile_outcome(outcome),
                    record.amps,
                    in_force,
                    evse_max,
                    now,
                )
                if finding is not None:
                    state.finding = finding
                    self._raise_alert(
                        record.tenant_id, record.site_id, record.station_id, record.evse_id or 0, finding, now
                    )
            try:
                self._energy.put_evse(record.tenant_id, record.site_id, state, version)
            except VersionConflictError:
                continue
            return record.rerun_on_accept
        return record.rerun_on_accept

    def _evse_max(self, record: ProfileCommand) -> float:
        placement = self._energy.get_placement(record.tenant_id, record.site_id, record.station_id)
        if placement is None:
            return 1_000.0
        return placement.evse_max_current_amps or placement.max_current_amps

    def _answer_boot(self, record: ProfileCommand, outcome: str, now: datetime) -> None:
        for _ in range(5):
            found = self._energy.get_station_state(record.tenant_id, record.site_id, record.station_id)
            if found is None:
                return
            state, version = found
            if state.boot_profiles_connection_id != record.connection_id:
                return
            if record.tx_default:
                _record_default(state, record, outcome, now)
            if outcome == "accepted":
                others = self._energy.pending_boot_commands(
                    record.tenant_id, record.site_id, record.station_id, record.command_id
                )
                if not others and not state.boot_profiles_rejected:
                    state.boot_profiles_accepted_at = now
                    self._clear_alert_for(record, "rejected-profile", now)
            elif outcome != "offline":
                state.boot_profiles_rejected = True
                self._raise_alert(
                    record.tenant_id,
                    record.site_id,
                    record.station_id,
                    0,
                    Finding(
                        evse_id=f"{record.station_id}/0",
                        kind="rejected-profile",
                        count_at_amps=record.amps or 0.0,
                        detail=f"boot profile (fail-safe) not accepted: {outcome}; counted at its maximum",
                        since=now,
                    ),
                    now,
                )
            try:
                self._energy.put_station_state(record.tenant_id, record.site_id, state, version)
            except VersionConflictError:
                continue
            return

    def _answer_default(self, record: ProfileCommand, outcome: str, now: datetime) -> None:
        for _ in range(5):
            found = self._energy.get_station_state(record.tenant_id, record.site_id, record.station_id)
            if found is None:
                return
            state, version = found
            if not _record_default(state, record, outcome, now):
                return
            try:
                self._energy.put_station_state(record.tenant_id, record.site_id, state, version)
            except VersionConflictError:
                continue
            return

    def _answer_configuration(
        self, record: ProfileCommand, status: CommandStatus, response: Mapping[str, Any] | None, now: datetime
    ) -> None:
        if status is not CommandStatus.ACCEPTED or not response:
            return
        station = self._stations.get(record.station_id)
        if station is None or station.protocol is None:
            return
        capabilities = plugin_for(station.protocol).mappers.charging_capabilities(dict(response))
        for _ in range(5):
            found = self._energy.get_station_state(record.tenant_id, record.site_id, record.station_id)
            state, version = found if found else (StationEnergyState(station_id=record.station_id), 0)
            changed_unit = capabilities.rate_unit != (state.capabilities or ChargerCapabilities()).rate_unit
            state.capabilities = capabilities
            if changed_unit:
                # The boot profiles went out in the default unit: send them again in the right one.
                state.boot_profiles_connection_id = None
                state.boot_profiles_accepted_at = None
            try:
                self._energy.put_station_state(record.tenant_id, record.site_id, state, version)
            except VersionConflictError:
                continue
            return

    def _settle_stale_commands(self, partition: SitePartition, now: datetime) -> None:
        """Commands whose answer event never found their record: their outcome is in the commands
        table by now."""
        stale = [
            c
            for c in partition.commands
            if (now - c.sent_at).total_seconds() > self.settings.stale_command_seconds
        ]
        for record in stale:
            command = self._commands.get(record.command_id)
            status = command.effective_status(now) if command is not None else CommandStatus.TIMEOUT
            if status is CommandStatus.PENDING:
                continue
            self.apply_answer(
                record.model_copy(update={"rerun_on_accept": False}),
                status,
                command.response if command else None,
            )
            partition.commands.remove(record)
        if stale:
            fresh = (
                self._energy.load_site(partition.config.tenant_id, partition.config.site_id)
                if partition.config
                else None
            )
            if fresh is not None:
                partition.evses, partition.stations = fresh.evses, fresh.stations

    # --- alerts -----------------------------------------------------------------------------------

    def _raise_alert(
        self, tenant_id: str, site_id: str, station_id: str, evse_id: int, finding: Finding, now: datetime
    ) -> None:
        alert_id = f"{finding.kind}:{station_id}/{evse_id}"
        existing = self._energy.get_alert(tenant_id, site_id, alert_id)
        since = existing.since if existing is not None and existing.active else (finding.since or now)
        self._energy.put_alert(
            Alert(
                alert_id=alert_id,
                tenant_id=tenant_id,
                site_id=site_id,
                station_id=station_id,
                evse_id=evse_id,
                kind=finding.kind,
                detail=finding.detail,
                count_at_amps=finding.count_at_amps,
                since=since,
                last_seen=now,
            )
        )
        logger.warning(
            "charger not steerable", extra={"stationId": station_id, "evseId": evse_id, "kind": finding.kind}
        )

    def _clear_alert(self, evse: _Evse, kind: str, now: datetime) -> None:
        self._clear(evse.session.tenant_id, evse.session.site_id or "", f"{kind}:{evse.key}", now)

    def _clear_alert_for(self, record: ProfileCommand, kind: str, now: datetime) -> None:
        self._clear(
            record.tenant_id, record.site_id, f"{kind}:{record.station_id}/{record.evse_id or 0}", now
        )

    def _clear(self, tenant_id: str, site_id: str, alert_id: str, now: datetime) -> None:
        existing = self._energy.get_alert(tenant_id, site_id, alert_id)
        if existing is not None and existing.active:
            self._energy.put_alert(
                existing.model_copy(update={"active": False, "cleared_at": now, "last_seen": now})
            )

    # --- events other than answers ----------------------------------------------------------------

    def on_station_connected(self, event: StationConnected) -> str:
        """Boot profiles as soon as a placed station connects (every reboot reconnects; a reconnect
        without reboot gets the same profile ids again, which replace themselves)."""
        station = self._stations.get(event.station_id)
        if station is None or station.tenant_id != event.tenant_id or station.site_id is None:
            return "station not on a site"
        if not _steerable(station, event.tenant_id, station.site_id):
            return "not connected"
        config = self._energy.get_site(event.tenant_id, station.site_id)
        placement = self._energy.get_placement(event.tenant_id, station.site_id, station.station_id)
        if config is None or placement is None:
            return "not placed on a managed site"
        found = self._energy.get_station_state(event.tenant_id, station.site_id, station.station_id)
        state, version = found if found else (StationEnergyState(station_id=station.station_id), 0)
        assert station.connection is not None
        if state.boot_profiles_connection_id == station.connection.connection_id:
            return "boot profiles already sent"
        sent = self.send_boot_profiles(config, placement, station, state, version, self._clock())
        return "boot profiles sent" if sent is not None else "boot profiles already sent"

    def _learn(self, session: Session) -> None:
        """A completed session teaches the site's defaults (energy, stay) and frees its demand."""
        if session.site_id is None or session.stopped_at is None:
            return
        config = self._energy.get_site(session.tenant_id, session.site_id)
        if config is None:
            return
        self._energy.delete_demand(session.tenant_id, session.site_id, session.session_id)
        if session.energy_wh is None or session.energy_wh <= 0:
            return
        stay = (session.stopped_at - session.started_at).total_seconds() / 60.0
        if stay <= 0:
            return
        history = self._energy.get_history(session.tenant_id, session.site_id)
        learned = (history or SiteHistory()).learn(session.energy_wh / 1000.0, stay)
        self._energy.put_history(session.tenant_id, session.site_id, learned)

    # --- records ----------------------------------------------------------------------------------

    def _claim_evse(self, tenant_id: str, site_id: str, evse: _Evse) -> None:
        """Stores a new session's state before its first profile leaves: the charger's answer may come
        before the run ends, and an answer finding no record of its session would be dropped (the
        limit it accepted then unknown to every later run's worst case)."""
        for _ in range(5):
            try:
                evse.version = self._energy.put_evse(tenant_id, site_id, evse.state, evse.version)
            except VersionConflictError:
                # a late answer of the session before changed the old record meanwhile: replace it
                found = self._energy.get_evse(tenant_id, site_id, evse.key)
                evse.version = found[1] if found is not None else 0
                continue
            evse.new_session, evse.changed = False, False
            return
        logger.warning("evse state not claimed for its new session", extra={"evse": evse.key})

    def _save_evse(self, tenant_id: str, site_id: str, evse: _Evse) -> None:
        try:
            evse.version = self._energy.put_evse(tenant_id, site_id, evse.state, evse.version)
        except VersionConflictError:
            # An answer changed it meanwhile (its limit): keep the answer, merge what the run saw.
            found = self._energy.get_evse(tenant_id, site_id, evse.key)
            if found is None:
                return
            stored, version = found
            if stored.session_id != evse.state.session_id:
                return
            stored.samples, stored.car_ceiling_amps = evse.state.samples, evse.state.car_ceiling_amps
            ours, theirs = evse.state.finding, stored.finding
            if (ours is None or ours.kind == "ignores-limit") and (
                theirs is None or theirs.kind == "ignores-limit"
            ):
                stored.finding = ours
            try:
                evse.version = self._energy.put_evse(tenant_id, site_id, stored, version)
            except VersionConflictError:
                logger.info(
                    "evse state changed twice during a run; the next run sees it", extra={"evse": evse.key}
                )

    def _forget_ended(
        self, tenant_id: str, site_id: str, partition: SitePartition, evses: Mapping[str, _Evse]
    ) -> None:
        for key in partition.evses:
            if key not in evses:
                self._energy.delete_evse(tenant_id, site_id, key)

    def _record(
        self,
        config: SiteEnergy,
        partition: SitePartition,
        snapshot: SiteSnapshot,
        allocation: Allocation,
        evses: Mapping[str, _Evse],
        decisions: Mapping[str, LimitDecision],
        worst: Mapping[str, float],
        sent: Mapping[str, float],
        commands: Mapping[str, ProfileCommand],
        held: Sequence[str],
        uncontrolled: Mapping[str, Finding],
        offline: Sequence[str],
        trigger: str,
        run_id: str,
        now: datetime,
        started: float,
    ) -> AllocationRun:
        site = config.site
        outcomes = []
        for key in sorted(evses):
            evse = evses[key]
            reason: str
            if key in uncontrolled:
                reason = uncontrolled[key].kind
            elif key in held:
                reason = "held"
            else:
                reason = decisions[key].reason if key in decisions else "unchanged"
            command = commands.get(key)
            outcomes.append(
                EvseOutcome(
                    evse=key,
                    session_id=evse.session.session_id,
                    allocated_amps=round(allocation.currents_amps.get(key, 0.0), 3),
                    in_force_amps=round(evse.worst_amps, 3),
                    sent_amps=sent.get(key),
                    drawn_amps=_drawn_amps(evse.session, now, self.settings.live_max_age_seconds)[0],
                    car_ceiling_amps=evse.state.car_ceiling_amps,
                    reason=reason,
                    command_id=command.command_id if command else None,
                )
            )
        measured = self._measurements(partition, now)
        solar = measured.solar_kw[0] if measured and measured.solar_kw else 0.0
        base = measured.base_load_kw[0] if measured and measured.base_load_kw else 0.0
        limit_kw = allocation.import_limit_kw
        phases, volts = site.phases, site.voltage
        grid_amps = site.grid_limit_per_phase_amps
        limit_amps = grid_amps
        if limit_kw is not None:
            by_power = limit_kw * 1000.0 / (phases * volts)
            limit_amps = by_power if limit_amps is None else min(limit_amps, by_power)
        drawn_kw, drawn_phase = _drawn(evses.values(), now, self.settings.live_max_age_seconds, volts)
        run = AllocationRun(
            tenant_id=config.tenant_id,
            site_id=config.site_id,
            run_id=run_id,
            at=now,
            trigger=trigger,
            method=allocation.method,
            duration_ms=round((time.perf_counter() - started) * 1000.0, 1),
            inputs=RunInputs(
                sessions=len(evses),
                charging=sum(1 for s in snapshot.sessions if s.is_charging),
                offline_stations=list(offline),
                uncontrolled=sorted(uncontrolled),
                grid_limit_amps=grid_amps,
                import_limit_kw=limit_kw,
                base_load_kw=base if measured else None,
                solar_kw=solar if measured else None,
                battery_soc_percent=measured.battery_soc_percent if measured else None,
                signals=[
                    f"{s.kind} {s.value:g} {s.starts_at.isoformat()}..{s.ends_at.isoformat()} ({s.source})"
                    for s in snapshot.grid_signals
                ],
                objective=site.objective,
            ),
            evses=outcomes,
            ev_power_kw=allocation.ev_power_kw,
            battery_power_kw=allocation.battery_power_kw,
            import_kw=allocation.import_kw,
            held=len(held),
            expires_at=_epoch(now) + self.settings.run_retention_days * 86_400,
        )
        load = LoadPoint(
            at=now,
            limit_kw=limit_kw if limit_kw is not None else site.import_limit_kw,
            limit_amps=limit_amps,
            allocated_kw=allocation.ev_power_kw,
            allocated_amps=connection_amps(snapshot, allocation, allocation.currents_amps),
            drawn_kw=drawn_kw,
            drawn_amps=drawn_phase,
            solar_kw=solar,
            base_load_kw=base,
            battery_kw=allocation.battery_power_kw,
            expires_at=_epoch(now) + self.settings.load_retention_days * 86_400,
        )
        self._runs.record(run, load)
        return run


def _drawn(evses: Iterable[_Evse], now: datetime, max_age: float, volts: float) -> tuple[float, float | None]:
    kw = 0.0
    phases = [0.0, 0.0, 0.0]
    seen = False
    for evse in evses:
        live = evse.session.live
        if live is None or (now - live.at).total_seconds() > max_age:
            continue
        currents = live.current_a or {}
        if live.power_w is not None:
            kw += live.power_w / 1000.0
        else:
            kw += sum(currents.values()) * volts / 1000.0
        for index, phase in enumerate(("L1", "L2", "L3")):
            if phase in currents:
                phases[index] += currents[phase]
                seen = True
    return round(kw, 3), (round(max(phases), 2) if seen else None)


def _set_profile(profile: ChargingProfile) -> Callable[[Any], Any]:
    transport = to_transport(profile)

    def intent(mappers: Any) -> Any:
        return mappers.set_charging_profile(profile.evse_id, transport)

    return intent


def _steerable(station: Station, tenant_id: str, site_id: str) -> bool:
    return (
        station.tenant_id == tenant_id
        and station.site_id == site_id
        and station.connection is not None
        and station.protocol is not None
        and not station.blocked
        and station.registration is RegistrationPolicy.ACCEPTED
    )


def _capabilities(partition: SitePartition, station_id: str) -> ChargerCapabilities:
    found = partition.stations.get(station_id)
    return (found[0].capabilities if found else None) or ChargerCapabilities()


def _outcome(status: CommandStatus, response: Mapping[str, Any] | None) -> str:
    if status is CommandStatus.ACCEPTED:
        return "accepted"
    if status is CommandStatus.REJECTED and response is not None:
        outcome = profile_outcome(response)
        return "not_supported" if outcome is ProfileOutcome.NOT_SUPPORTED else "rejected"
    return status.value


def _profile_outcome(outcome: str) -> ProfileOutcome | Any:
    if outcome == "not_supported":
        return ProfileOutcome.NOT_SUPPORTED
    if outcome == "rejected":
        return ProfileOutcome.REJECTED
    return "error"


def handle_allocator_event(allocator: SiteAllocator, event: Mapping[str, Any]) -> dict[str, Any]:
    """The allocator function's one entry: EventBridge's scheduled event runs every due site, a domain
    event (its rule delivers EventBridge's envelope) the site it concerns."""
    if event.get("source") == "aws.events" or event.get("detail-type") == "Scheduled Event":
        return {"scheduled": allocator.run_due_sites()}
    detail_type = str(event.get("detail-type", ""))
    detail = event.get("detail")
    if not isinstance(detail, dict):
        return {"ignored": "no detail"}
    return {detail_type: allocator.handle_event(detail_type, detail)}


def _pending_defaults(partition: SitePartition, station_id: str) -> list[ProfileCommand]:
    return [
        c for c in partition.commands if c.tx_default and c.station_id == station_id and c.amps is not None
    ]


def _accepted_default(partition: SitePartition, placement: StationPlacement, site: EnergySite) -> float:
    found = partition.stations.get(placement.station_id)
    accepted = found[0].default_amps if found else None
    return fail_safe_current(placement, site) if accepted is None else accepted


def _default_worst(partition: SitePartition, placement: StationPlacement, site: EnergySite) -> float:
    """The highest TxDefaultProfile limit the station may hold: the one it accepted (its fail-safe
    when none is on record) or any sent and not answered yet."""
    pending = [c.amps or 0.0 for c in _pending_defaults(partition, placement.station_id)]
    return max([_accepted_default(partition, placement, site), *pending])


def _default_latest(partition: SitePartition, station_id: str) -> float:
    """What the station's TxDefaultProfile will be once the answers are in (the last sent, else the
    one accepted, else its fail-safe)."""
    pending = _pending_defaults(partition, station_id)
    if pending:
        return max(pending, key=lambda c: c.seq).amps or 0.0
    placement = next(p for p in partition.placements if p.station_id == station_id)
    assert partition.config is not None
    return _accepted_default(partition, placement, partition.config.site)


def _default_seq(partition: SitePartition, station_id: str) -> int:
    found = partition.stations.get(station_id)
    accepted = found[0].default_seq if found else 0
    return max([accepted, *(c.seq for c in _pending_defaults(partition, station_id))]) + 1


def _record_default(state: StationEnergyState, record: ProfileCommand, outcome: str, now: datetime) -> bool:
    """Applies a TxDefaultProfile's answer to the station's state; whether it changed."""
    if record.amps is None or (record.seq <= state.default_seq and outcome == "accepted"):
        return False
    if outcome == "accepted":
        state.default_amps, state.default_seq = record.amps, record.seq
        state.default_refused_amps = state.default_refused_at = None
        return True
    if outcome in ("rejected", "not_supported"):
        # the one in force stays (and counts); sending the same limit every run would only be refused
        state.default_refused_amps, state.default_refused_at = record.amps, now
        return True
    if outcome == "timeout" and state.default_amps is not None:
        # Either may be in force: count the higher (none on record counts the fail-safe, the highest).
        state.default_amps = max(state.default_amps, record.amps)
        return True
    return False  # rejected or never delivered: the one in force stays
