"""Ten 1.6J chargers of 32 A on a site limited to 48 A per phase, through the gateway, the allocator
and the operator API on moto: arrivals, departures, a car drawing less than offered, a grid signal, a
fail-safe above 0, a solar surplus and what drivers say they want. From the chargers' side (the
profiles they received), the limits in force never exceed the site's (plus what solar gives).

Not the local-platform variant of issue 14's end-to-end test (EventBridge rules, scheduler and the
simulator): the rules' deliveries are played here by calling the allocator as its rule would."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from functions.operator_api.handler import handler
from shared.api.app import app
from shared.api.dependencies import current_platform
from shared.catalog import OPERATOR_API
from shared.domain.base import to_iso
from shared.domain.events import SiteInputsChanged
from shared.energy.service import SiteAllocator
from shared.gateway.passwords import hash_password
from tests.builders import PlatformUnderTest, a_station, an_id_token, platform_on_moto, session_id_of
from tests.energy.test_site_allocator import Charger, deliver_answers
from tests.events import claims_for, http_event, lambda_context

ALICE = claims_for("tenant-a", "admin")
TENANT, SITE = "tenant-a", "depot"
SITE_AMPS, STATION_AMPS = 48.0, 32.0
FAIL_SAFE_AMPS = 0.0
"""A new transaction waits for the allocator's early run. With a fail-safe above 0 (the tests below),
each station's TxDefaultProfile holds it only while the site has room for it besides the allocation."""
CHARGERS = 10


def call(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> tuple[int, Any]:
    response = handler(
        http_event(method, path, body=body, claims=ALICE, query=query), lambda_context(OPERATOR_API)
    )
    text = response.get("body") or ""
    return response["statusCode"], json.loads(text) if text else None


class SiteCharger(Charger):
    transaction_calls_from = 0
    """Where the current transaction's calls begin: a TxProfile ends with its transaction (OCPP 1.6
    section 3.13.1), and this harness's identical StartTransactions get the same id again."""

    def start(self) -> None:
        self.transaction_calls_from = len(self.calls())
        super().start()

    def limit_now(self) -> float:
        """What this charger enforces now: the TxProfile of its transaction, else its TxDefaultProfile,
        else its own maximum (OCPP 1.6 section 3.13.2: the stack's most specific profile)."""
        if self.transaction_id is None:
            return 0.0
        received = [call[3]["csChargingProfiles"] for call in self.calls() if call[2] == "SetChargingProfile"]
        this_transaction = [
            call[3]["csChargingProfiles"]
            for call in self.calls()[self.transaction_calls_from :]
            if call[2] == "SetChargingProfile"
        ]
        tx = [
            p
            for p in this_transaction
            if p["chargingProfilePurpose"] == "TxProfile" and p.get("transactionId") == self.transaction_id
        ]
        default = [p for p in received if p["chargingProfilePurpose"] == "TxDefaultProfile"]
        chosen = tx or default
        if not chosen:
            return STATION_AMPS
        return float(chosen[-1]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"])

    def stop(self) -> None:
        assert self.transaction_id is not None
        self.send(
            [
                2,
                "x1",
                "StopTransaction",
                {
                    "transactionId": self.transaction_id,
                    "meterStop": 5000,
                    "timestamp": "2026-11-27T09:00:00Z",
                },
            ]
        )
        self.transaction_id = None

    def meter(self, env: PlatformUnderTest, amps: float) -> None:
        assert self.transaction_id is not None
        at = to_iso(env.clock())
        sampled = [
            {"value": str(amps), "measurand": "Current.Import", "unit": "A", "phase": phase}
            for phase in ("L1", "L2", "L3")
        ]
        self.send(
            [
                2,
                "m1",
                "MeterValues",
                {
                    "connectorId": 1,
                    "transactionId": self.transaction_id,
                    "meterValue": [{"timestamp": at, "sampledValue": sampled}],
                },
            ]
        )


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto() as test_platform:
        app.dependency_overrides[current_platform] = lambda: test_platform.platform
        test_platform.platform.id_tokens.create(an_id_token())
        yield test_platform
        app.dependency_overrides.clear()


class Site:
    """The site of ten chargers, set up through the operator API, and the checks from their side."""

    def __init__(
        self, env: PlatformUnderTest, fail_safe_amps: float = FAIL_SAFE_AMPS, **site_fields: Any
    ) -> None:
        self.env = env
        body = {
            "siteId": SITE,
            "name": "Depot",
            "gridLimitAmps": SITE_AMPS,
            "failSafeCurrentAmps": fail_safe_amps,
        }
        status, answer = call("POST", "/v1/sites", {**body, **site_fields})
        assert status == 201, answer
        self.chargers: list[SiteCharger] = []
        for number in range(1, CHARGERS + 1):
            station_id = f"CP-{number:02d}"
            env.platform.stations.create(
                a_station(station_id=station_id, site_id=SITE, password_hash=hash_password("s3cret-s3cret"))
            )
            status, answer = call("PATCH", f"/v1/stations/{station_id}", {"maxCurrentAmps": STATION_AMPS})
            assert status == 200, answer
            charger = SiteCharger(env, station_id)
            charger.connect()
            self.chargers.append(charger)
        self.allocator: SiteAllocator = env.platform.site_allocator
        self.worst: list[float] = []
        self.limit = SITE_AMPS
        """What the limits in force may add up to now (the grid's limit, plus what solar gives)."""
        self.checks = 0

    def in_force(self) -> float:
        return sum(c.limit_now() for c in self.chargers)

    def check(self) -> float:
        """The limits in force now (every charging car may draw its limit in full at once)."""
        total = self.in_force()
        self.worst.append(total - self.limit)
        self.checks += 1
        assert total <= self.limit + 1e-6, [c.limit_now() for c in self.chargers]
        return total

    def run_and_settle(self, trigger: str) -> None:
        self.allocator.run_site(TENANT, SITE, trigger)
        self.check()
        for _ in range(6):
            for charger in self.chargers:
                charger.answer_all()
                self.check()
            if not deliver_answers(self.env, self.allocator):
                break
        self.check()


def test_ten_chargers_never_exceed_the_site_limit(env: PlatformUnderTest) -> None:
    site = Site(env)
    chargers, check, run_and_settle = site.chargers, site.check, site.run_and_settle
    worst = site.worst

    run_and_settle("boot")  # boot profiles: every charger gets its fail-safe TxDefaultProfile
    for charger in chargers:
        assert charger.limit_now() == 0.0  # no transaction yet

    # arrivals, one a minute
    for charger in chargers[:8]:
        env.clock.advance(60)
        charger.start()
        check()  # a new transaction starts at its fail-safe (0: it waits for the run)
        run_and_settle("session-started")
    used = check()
    assert used >= SITE_AMPS - 8, "the site's capacity is used"
    for charger in chargers[:8]:
        limit = charger.limit_now()
        assert limit == 0.0 or limit >= 6.0, "every car gets at least its minimum or is paused"

    # departures: what they free goes to the cars that stay
    for charger in chargers[:3]:
        env.clock.advance(60)
        charger.stop()
        run_and_settle("session-stopped")
    staying = chargers[3:8]
    assert check() >= SITE_AMPS - 8

    # a car that draws less than offered: what it does not draw goes to the others (the allocator
    # learns its ceiling)
    drawing = max(staying, key=lambda c: c.limit_now())
    others_before = sum(c.limit_now() for c in staying if c is not drawing)
    assert drawing.limit_now() >= 8.0
    for _ in range(3):
        env.clock.advance(30)
        for charger in staying:
            charger.meter(env, 6.0 if charger is drawing else max(charger.limit_now() - 0.5, 0))
        env.deliver_meter_stream()
        run_and_settle("draw-changed")
    assert drawing.limit_now() <= 6.0 + 2
    assert sum(c.limit_now() for c in staying if c is not drawing) > others_before
    assert check() >= SITE_AMPS - 8

    # a grid signal: at most 20 kW from now for an hour
    now = env.clock()
    status, body = call(
        "POST",
        f"/v1/sites/{SITE}/grid-signals",
        {
            "kind": "importLimit",
            "startsAt": to_iso(now),
            "endsAt": to_iso(now + timedelta(hours=1)),
            "value": 20,
        },
    )
    assert status == 201, body
    signal_amps = 20_000 / (230 * 3)
    for _ in range(3):
        env.clock.advance(60)
        run_and_settle("inputs:grid-signal")
    under_signal = sum(c.limit_now() for c in chargers)
    assert signal_amps - 8 <= under_signal <= signal_amps + 0.5, [c.limit_now() for c in chargers]

    assert max(worst) <= 1e-6
    status, runs = call("GET", f"/v1/sites/{SITE}/allocations", query={"limit": "100"})
    assert status == 200 and len(runs["items"]) >= 10
    assert any(run["inputs"]["signals"] for run in runs["items"])
    status, load = call(
        "GET",
        f"/v1/sites/{SITE}/load",
        query={
            "from": to_iso(now - timedelta(hours=1)),
            "to": to_iso(env.clock() + timedelta(minutes=1)),
            "periodMinutes": "5",
        },
    )
    assert status == 200, load
    assert sum(p["runs"] for p in load["items"]) >= 10
    assert all(p["allocatedAmps"] is None or p["allocatedAmps"] <= SITE_AMPS + 1e-6 for p in load["items"])


def tx_default_of(charger: SiteCharger) -> float | None:
    received = [
        call[3]["csChargingProfiles"]
        for call in charger.calls()
        if call[2] == "SetChargingProfile"
        and call[3]["csChargingProfiles"]["chargingProfilePurpose"] == "TxDefaultProfile"
    ]
    return float(received[-1]["chargingSchedule"]["chargingSchedulePeriod"][0]["limit"]) if received else None


def test_a_fail_safe_above_zero_never_takes_the_site_over_its_limit(env: PlatformUnderTest) -> None:
    # Given ten chargers whose fail-safe (6 A each, 60 A in all) is more than the site's 48 A
    site = Site(env, fail_safe_amps=6.0)
    chargers, check = site.chargers, site.check
    site.run_and_settle("boot")
    # the site has room for eight fail-safes: the other two stations' defaults are 0
    assert sorted(tx_default_of(c) or 0.0 for c in chargers) == [0.0] * 2 + [6.0] * 8
    assert all(tx_default_of(c) is not None for c in chargers)

    # When cars arrive one a minute, each starting on its TxDefaultProfile before any run
    started_at: list[float] = []
    for charger in chargers:
        env.clock.advance(60)
        charger.start()
        started_at.append(charger.limit_now())
        check()  # the new transaction's fail-safe on top of what is in force: still within 48 A
        site.run_and_settle("session-started")

    # Then the site's limit held at every check, the fail-safe was used where there was room (the
    # first car charges from its first second) and a car arriving on a full site waited for the run
    assert site.checks > 100 and max(site.worst) <= 1e-6
    assert started_at[0] == 6.0 and 0.0 in started_at
    used = check()
    assert used >= SITE_AMPS - 8, "the site's capacity is used"
    assert all(c.limit_now() == 0.0 or c.limit_now() >= 6.0 for c in chargers)

    # departures free room: the fail-safe comes back where it fits besides the allocation
    for charger in chargers[:9]:
        env.clock.advance(60)
        charger.stop()
        site.run_and_settle("session-stopped")
    assert max(site.worst) <= 1e-6
    assert 6.0 in [tx_default_of(c) for c in chargers[:9]], "room for a fail-safe again"
    for charger in chargers[:9]:
        env.clock.advance(60)
        charger.start()
        check()
    assert max(site.worst) <= 1e-6, "even nine cars arriving at once before any run"


def test_a_solar_surplus_raises_the_limits_and_session_demand_is_honoured(env: PlatformUnderTest) -> None:
    # Given six cars on the 48 A site: they want far more than the grid connection gives
    site = Site(env)
    chargers, check = site.chargers, site.check
    site.run_and_settle("boot")
    for charger in chargers[:6]:
        env.clock.advance(60)
        charger.start()
        site.run_and_settle("session-started")
    from_grid = check()
    assert from_grid >= SITE_AMPS - 8

    # When the inverter reports 11 kW of solar (16 A per phase) and no other load on the site
    solar_kw = 16 * 230 * 3 / 1000
    env.events.events.clear()
    status, body = call(
        "POST", f"/v1/sites/{SITE}/measurements", {"solarKw": [solar_kw] * 12, "baseLoadKw": [0]}
    )
    assert status == 201, body
    assert [e.reason for e in env.events.events if isinstance(e, SiteInputsChanged)] == ["measurements"]
    site.limit = SITE_AMPS + 16  # the grid import (in force minus solar) stays within 48 A
    for _ in range(3):
        env.clock.advance(60)
        site.run_and_settle("inputs:measurements")

    # Then from the chargers' side the limits in force rise by what solar allows, and no further
    with_solar = check()
    assert with_solar >= from_grid + 16 - 8, (from_grid, with_solar)
    assert with_solar - 16 <= SITE_AMPS + 1e-6, "the grid import stays within its limit"
    status, runs = call("GET", f"/v1/sites/{SITE}/allocations", query={"limit": "1"})
    assert status == 200 and runs["items"][0]["inputs"]["solarKw"] == pytest.approx(solar_kw)

    # When drivers say what they want: one car little (leaving in 8 h), one a lot (leaving in 2 h),
    # and one that has what it needs
    little, much, done = chargers[0], chargers[1], chargers[2]
    now = env.clock()
    wants = {
        little: {"energyWantedKwh": 1, "departureAt": to_iso(now + timedelta(hours=8))},
        much: {"energyWantedKwh": 60, "departureAt": to_iso(now + timedelta(hours=2))},
        done: {"energyWantedKwh": 0},
    }
    for charger, demand in wants.items():
        session_id = session_id_of(env.platform, charger.station_id, charger.transaction_id)
        status, body = call("PATCH", f"/v1/sessions/{session_id}/demand", demand)
        assert status == 200, body
    for _ in range(3):
        env.clock.advance(60)
        site.run_and_settle("inputs:session-demand")

    # Then the allocation honours it, still within the site's limits
    assert much.limit_now() > little.limit_now(), [c.limit_now() for c in chargers]
    assert done.limit_now() == 0.0, "a car whose demand is met is not given more"
    assert check() >= SITE_AMPS + 16 - 8, "what the others do not take goes to the rest"

    # When the sun goes: the limits come down to the grid's again
    status, _ = call("POST", f"/v1/sites/{SITE}/measurements", {"solarKw": [0], "baseLoadKw": [0]})
    assert status == 201
    env.clock.advance(60)
    site.run_and_settle("inputs:measurements")
    site.limit = SITE_AMPS
    check()
    assert max(site.worst) <= 1e-6
