"""The load allocator in the loop (``shared.energy.service``): 1.6J stations through the gateway on moto,
profiles through the outbound pipeline, answers as CommandCompleted events."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from shared.billing.wallets import AccountType
from shared.domain.events import CommandCompleted, SessionStarted
from shared.domain.sessions import ChargingNeeds
from shared.domain.tenancy import Principal, Role
from shared.energy.models import Allocation, SiteSnapshot
from shared.energy.records import SessionDemandRecord, SiteEnergy
from shared.energy.service import SiteAllocator
from shared.energy.site import EnergySite, StationPlacement
from shared.gateway import websocket
from shared.gateway.passwords import hash_password
from shared.management.billing import create_account
from shared.management.vehicles import create_vehicle
from tests.builders import T0, PlatformUnderTest, a_station, an_id_token, platform_on_moto
from tests.events import authorizer_event, connect_event, disconnect_event, message_event

TENANT, SITE = "tenant-a", "site-1"
PASSWORD = "s3cret-s3cret"
SITE_LIMIT_AMPS = 48.0
STATION_AMPS = 32.0


class Charger:
    """One 1.6J station on its own connection, answering what the platform sends."""

    def __init__(self, env: PlatformUnderTest, station_id: str) -> None:
        self.env = env
        self.station_id = station_id
        self.connection_id = f"conn-{station_id}"
        self.authorizer: dict[str, Any] = {}
        self.answered = 0
        self.transaction_id: int | None = None

    def connect(self) -> None:
        decision = websocket.authorize_connection(
            self.env.platform, authorizer_event(self.station_id, password=PASSWORD)
        )
        self.authorizer = decision["context"]
        websocket.connect(self.env.platform, connect_event(self.authorizer, self.connection_id))
        self.send([2, "b1", "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "X"}])

    def disconnect(self) -> None:
        websocket.disconnect(self.env.platform, disconnect_event(self.authorizer, self.connection_id))

    def send(self, frame: Any) -> Any:
        event = message_event(self.authorizer, frame, self.connection_id)
        response = websocket.handle_message(self.env.platform, event)
        return json.loads(response["body"]) if "body" in response else None

    def start(self) -> None:
        answer = self.send(
            [
                2,
                "s1",
                "StartTransaction",
                {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0, "timestamp": "2026-11-27T08:00:00Z"},
            ]
        )
        self.transaction_id = answer[2]["transactionId"]

    def calls(self) -> list[list[Any]]:
        return [f for f in self.env.connections.frames_to(self.connection_id) if f[0] == 2]

    def profiles(self, purpose: str) -> list[dict[str, Any]]:
        """The charging profiles of ``purpose`` it was sent, oldest first."""
        return [
            call[3]["csChargingProfiles"]
            for call in self.calls()
            if call[2] == "SetChargingProfile"
            and call[3]["csChargingProfiles"]["chargingProfilePurpose"] == purpose
        ]

    def tx_profiles(self) -> list[dict[str, Any]]:
        return self.profiles("TxProfile")

    def limit_in_force(self) -> float | None:
        profiles = self.tx_profiles()
        if not profiles:
            return None
        return float(profiles[-1]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"])

    def answer_all(self, status: str = "Accepted") -> None:
        """Answers every call not answered yet (SetChargingProfile with ``status``)."""
        calls = self.calls()
        for call in calls[self.answered :]:
            if call[2] == "GetConfiguration":
                payload: dict[str, Any] = {
                    "configurationKey": [
                        {
                            "key": "ChargingScheduleAllowedChargingRateUnit",
                            "readonly": True,
                            "value": "Current",
                        }
                    ]
                }
            else:
                payload = {"status": status}
            self.send([3, call[1], payload])
        self.answered = len(calls)


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto() as test_platform:
        platform = test_platform.platform
        platform.id_tokens.create(an_id_token())
        placements = []
        for number in range(1, 4):
            station_id = f"CP-{number}"
            platform.stations.create(
                a_station(station_id=station_id, site_id=SITE, password_hash=hash_password(PASSWORD))
            )
            placements.append(
                StationPlacement(station_id=station_id, site_id=SITE, max_current_amps=STATION_AMPS)
            )
        platform.energy.put_site(
            SiteEnergy(
                tenant_id=TENANT,
                site_id=SITE,
                site=EnergySite(site_id=SITE, grid_limit_amps=SITE_LIMIT_AMPS, fail_safe_current_amps=6.0),
                updated_at=T0,
            )
        )
        for placement in placements:
            platform.energy.put_placement(TENANT, placement)
        yield test_platform


@pytest.fixture
def chargers(env: PlatformUnderTest) -> list[Charger]:
    chargers = [Charger(env, f"CP-{n}") for n in range(1, 4)]
    for charger in chargers:
        charger.connect()
    return chargers


def deliver_answers(env: PlatformUnderTest, allocator: SiteAllocator) -> list[str]:
    """What the allocator's answers rule would deliver: the CommandCompleted events published so far."""
    done = []
    events, env.events.events[:] = list(env.events.events), []
    for event in events:
        if isinstance(event, CommandCompleted):
            done.append(
                allocator.handle_event(event.detail_type, event.model_dump(mode="json", by_alias=True))
            )
    return done


def settle(env: PlatformUnderTest, chargers: list[Charger], allocator: SiteAllocator) -> None:
    for _ in range(4):
        for charger in chargers:
            charger.answer_all()
        if not deliver_answers(env, allocator):
            return


def in_force_sum(chargers: list[Charger]) -> float:
    return sum(c.limit_in_force() or 0.0 for c in chargers)


def test_a_run_sends_tx_profiles_within_the_site_limit(
    env: PlatformUnderTest, chargers: list[Charger]
) -> None:
    allocator = env.platform.site_allocator
    for charger in chargers:
        charger.start()
    # boot profiles (fail-safe) and the smart charging configuration first
    allocator.run_site(TENANT, SITE, "test")
    settle(env, chargers, allocator)
    allocator.run_site(TENANT, SITE, "test")
    settle(env, chargers, allocator)

    for charger in chargers:
        purposes = {
            call[3]["csChargingProfiles"]["chargingProfilePurpose"]
            for call in charger.calls()
            if call[2] == "SetChargingProfile"
        }
        assert {"TxDefaultProfile", "TxProfile"} <= purposes
        profile = charger.tx_profiles()[-1]
        assert profile["transactionId"] == charger.transaction_id
    assert in_force_sum(chargers) <= SITE_LIMIT_AMPS + 1e-6
    # the site's capacity is used: 48 A over three cars, none at its 32 A maximum
    assert in_force_sum(chargers) >= SITE_LIMIT_AMPS - 1.5

    runs, _ = env.platform.allocation_runs.runs(
        TENANT, SITE, started_from=None, started_to=None, limit=10, cursor=None
    )
    assert runs, "every run is stored"
    assert any(outcome.sent_amps is not None for run in runs for outcome in run.evses)


def test_a_small_change_is_not_sent_again(env: PlatformUnderTest, chargers: list[Charger]) -> None:
    allocator = env.platform.site_allocator
    for charger in chargers:
        charger.start()
    for _ in range(3):
        allocator.run_site(TENANT, SITE, "test")
        settle(env, chargers, allocator)
    sent_before = sum(len(c.tx_profiles()) for c in chargers)
    env.clock.advance(60)
    allocator.run_site(TENANT, SITE, "schedule")
    settle(env, chargers, allocator)
    assert sum(len(c.tx_profiles()) for c in chargers) == sent_before


def test_a_held_lease_coalesces_the_second_trigger(env: PlatformUnderTest, chargers: list[Charger]) -> None:
    allocator = env.platform.site_allocator
    for charger in chargers:
        charger.start()
    assert env.platform.energy.acquire_lease(TENANT, SITE, "other-run", time.time(), 90)
    frames_before = len(env.connections.posted)

    assert allocator.run_site(TENANT, SITE, "session-started") is None
    assert len(env.connections.posted) == frames_before, "a second run never sends while one holds the site"


def test_a_failed_run_leaves_the_previous_profiles(env: PlatformUnderTest, chargers: list[Charger]) -> None:
    platform = env.platform
    allocator = platform.site_allocator
    for charger in chargers:
        charger.start()
    for _ in range(2):
        allocator.run_site(TENANT, SITE, "test")
        settle(env, chargers, allocator)
    limits = [c.limit_in_force() for c in chargers]
    frames_before = len(env.connections.posted)

    def broken(snapshot: SiteSnapshot) -> Allocation:
        raise RuntimeError("solver failed")

    failing = SiteAllocator(
        platform.energy,
        platform.allocation_runs,
        platform.sessions,
        platform.stations,
        platform.placed_stations,
        platform.commands,
        platform.outbound,
        platform.events,
        allocator.settings,
        env.clock,
        allocate_site=broken,
    )
    env.clock.advance(60)
    summary = failing.run_due_sites()

    assert summary["failed"] == 1
    assert len(env.connections.posted) == frames_before
    assert [c.limit_in_force() for c in chargers] == limits
    # the lease is free again: the next minute's run goes ahead
    env.clock.advance(60)
    assert allocator.run_site(TENANT, SITE, "schedule") is not None


def test_an_offline_charger_counts_at_its_fail_safe(env: PlatformUnderTest, chargers: list[Charger]) -> None:
    allocator = env.platform.site_allocator
    for charger in chargers:
        charger.start()
    allocator.run_site(TENANT, SITE, "test")
    settle(env, chargers, allocator)
    chargers[2].disconnect()
    env.clock.advance(60)
    for _ in range(2):
        result = allocator.run_site(TENANT, SITE, "test")
        settle(env, chargers[:2], allocator)
    assert result is not None
    assert result.run.inputs.offline_stations == ["CP-3"]
    # 48 A less the offline charger's 6 A fail-safe, shared by the two online cars (a paused car may
    # stay paused a while rather than flap: the allocation uses it all, the limits in force within it)
    allocated = sum(outcome.allocated_amps for outcome in result.run.evses)
    assert SITE_LIMIT_AMPS - 6.0 - 1.5 <= allocated <= SITE_LIMIT_AMPS - 6.0 + 1e-6
    assert in_force_sum(chargers[:2]) <= SITE_LIMIT_AMPS - 6.0 + 1e-6


def test_what_the_ev_asked_for_is_its_demand(env: PlatformUnderTest, chargers: list[Charger]) -> None:
    """2.0.1 NotifyEVChargingNeeds, stored on the session: an EV that needs nothing more is paused and
    the others get what it leaves (the same path a 2.0.1 station's message takes, on a 1.6 session)."""
    allocator = env.platform.site_allocator
    for charger in chargers:
        charger.start()
    for _ in range(2):
        allocator.run_site(TENANT, SITE, "test")
        settle(env, chargers, allocator)
    before = {c.station_id: c.limit_in_force() or 0.0 for c in chargers}
    full = max(chargers, key=lambda c: before[c.station_id])
    others = [c for c in chargers if c is not full]
    assert before[full.station_id] > 0
    active = env.platform.sessions.active_for_site(TENANT, SITE)
    (session,) = [s for s in active if s.station_id == full.station_id]
    needs = ChargingNeeds(requested_energy_transfer="AC_three_phase", energy_wh=0, reported_at=env.clock())
    assert env.platform.sessions.record_charging_needs(session.session_id, needs)

    env.clock.advance(60)
    allocator.run_site(TENANT, SITE, "inputs:charging-needs")
    settle(env, chargers, allocator)

    assert full.limit_in_force() == 0.0
    assert sum(c.limit_in_force() or 0.0 for c in others) > sum(before[c.station_id] for c in others)
    assert sum(c.limit_in_force() or 0.0 for c in chargers) <= SITE_LIMIT_AMPS + 1e-6


def test_answers_that_arrive_while_the_run_is_still_sending_are_kept(
    env: PlatformUnderTest, chargers: list[Charger], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chargers that answer each call at once, before the run that sent it has finished (a quick
    charger, a slow run): every limit a charger accepted is on record, so later runs count it."""
    allocator = env.platform.site_allocator
    by_connection = {c.connection_id: c for c in chargers}
    post = env.connections.post_frame

    def answered_at_once(connection_id: str, frame: str) -> None:
        post(connection_id, frame)
        by_connection[connection_id].answer_all()
        deliver_answers(env, allocator)

    monkeypatch.setattr(env.connections, "post_frame", answered_at_once)
    for charger in chargers:
        charger.start()
    for _ in range(3):
        allocator.run_site(TENANT, SITE, "test")
        env.clock.advance(30)

    for charger in chargers:
        held = charger.limit_in_force()
        assert held is not None
        found = env.platform.energy.get_evse(TENANT, SITE, f"{charger.station_id}/1")
        assert found is not None
        limit = found[0].limit
        assert limit is not None and limit.accepted_at is not None, charger.station_id
        assert limit.limit_amps == pytest.approx(held), charger.station_id
        station = env.platform.energy.get_station_state(TENANT, SITE, charger.station_id)
        assert station is not None and station[0].boot_profiles_accepted_at is not None
    assert in_force_sum(chargers) <= SITE_LIMIT_AMPS + 1e-6


def _tx_defaults_sent(charger: Charger) -> list[float]:
    return [
        float(profile["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"])
        for profile in charger.profiles("TxDefaultProfile")
    ]


def test_a_refused_tx_default_is_retried_after_a_while_not_every_run(
    env: PlatformUnderTest, chargers: list[Charger]
) -> None:
    # Given three charging cars on their fail-safe TxDefaultProfiles (6 A, accepted at boot)
    allocator = env.platform.site_allocator
    for charger in chargers:
        charger.start()
    for _ in range(2):
        allocator.run_site(TENANT, SITE, "test")
        settle(env, chargers, allocator)
    leaving = chargers[2]
    assert _tx_defaults_sent(leaving)[-1] == 6.0

    # When one car leaves, the site has no room for its station's fail-safe besides the others, and
    # the station refuses the lower TxDefaultProfile it is sent (a firmware that takes one at boot only)
    stop = {"transactionId": leaving.transaction_id, "meterStop": 10, "timestamp": "2026-11-27T09:00:00Z"}
    leaving.send([2, "t9", "StopTransaction", stop])
    sent_before = len(_tx_defaults_sent(leaving))
    for _ in range(5):
        env.clock.advance(60)
        allocator.run_site(TENANT, SITE, "schedule")
        for charger in chargers:
            charger.answer_all("Rejected" if charger is leaving else "Accepted")
        deliver_answers(env, allocator)

    # Then it was sent once, not once a run; its 6 A still count, and the limit is asked again later
    assert _tx_defaults_sent(leaving)[sent_before:] == [0.0]
    assert sum(c.limit_in_force() or 0.0 for c in chargers[:2]) + 6.0 <= SITE_LIMIT_AMPS + 1e-6
    env.clock.advance(allocator.settings.rejected_retry_seconds)
    allocator.run_site(TENANT, SITE, "schedule")
    assert _tx_defaults_sent(leaving)[sent_before:] == [0.0, 0.0]


@pytest.fixture
def fleet_van(env: PlatformUnderTest) -> None:
    """The fleet's van, registered with the ID token it charges with and its 10 A on-board charger."""
    admin = Principal(tenant_id=TENANT, subject="admin", roles=frozenset({Role.ADMIN}))
    create_account(
        env.platform, admin, billing_account_id="fleet-1", type=AccountType.POSTPAID, currency="EUR",
        id_tokens=["TAG-1"], driver_groups=[], provider=None, provider_customer_id=None,
        provider_payment_method_id=None, overdraft_limit=Decimal(0),
    )  # fmt: skip
    van = {"vehicle_id": "van-1", "name": "Van 1", "max_current_amps": 10.0, "id_tokens": ["tag-1"]}
    create_vehicle(env.platform, admin, "fleet-1", van)


def _deliver_session_started(env: PlatformUnderTest) -> str:
    started = [e for e in env.events.events if isinstance(e, SessionStarted)]
    assert len(started) == 1
    env.platform.site_allocator.handle_event(
        started[0].detail_type, started[0].model_dump(mode="json", by_alias=True)
    )
    return started[0].session.session_id


@pytest.mark.usefixtures("fleet_van")
def test_a_fleet_vehicle_is_prioritized_and_offered_no_more_than_it_takes(
    env: PlatformUnderTest, chargers: list[Charger]
) -> None:
    # When the van starts charging on one station (the session-started event reaches the allocator)
    allocator = env.platform.site_allocator
    van = chargers[0]
    van.start()
    session_id = _deliver_session_started(env)
    settle(env, chargers, allocator)
    allocator.run_site(TENANT, SITE, "test")
    settle(env, chargers, allocator)

    # Then its session is the fleet's, with the van's own limit, and it is never offered more
    demand = env.platform.energy.get_demand(TENANT, SITE, session_id)
    assert demand is not None and demand.fleet and demand.vehicle_id == "van-1"
    assert demand.vehicle_max_current_amps == 10.0
    limit = van.limit_in_force()
    assert limit is not None and limit <= 10.0 + 1e-6


@pytest.mark.usefixtures("fleet_van")
def test_a_session_someone_described_keeps_what_was_said(
    env: PlatformUnderTest, chargers: list[Charger]
) -> None:
    chargers[0].start()
    session = env.platform.sessions.active_for_site(TENANT, SITE)[0]
    said = SessionDemandRecord(
        session_id=session.session_id, energy_wanted_kwh=12, updated_at=T0, expires_at=0
    )
    env.platform.energy.put_demand(TENANT, SITE, said)

    _deliver_session_started(env)

    assert env.platform.energy.get_demand(TENANT, SITE, session.session_id) == said
