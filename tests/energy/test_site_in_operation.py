"""Ten 1.6J chargers of 32 A on a site limited to 48 A per phase, through the gateway, the allocator
and the operator API on moto: arrivals, departures, a car drawing less than offered and a grid signal.
From the chargers' side (the profiles they received), the limits in force never exceed the site's.

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
from shared.energy.service import SiteAllocator
from shared.gateway.passwords import hash_password
from tests.builders import PlatformUnderTest, a_station, an_id_token, platform_on_moto
from tests.energy.test_site_allocator import Charger, deliver_answers
from tests.events import claims_for, http_event, lambda_context

ALICE = claims_for("tenant-a", "admin")
TENANT, SITE = "tenant-a", "depot"
SITE_AMPS, STATION_AMPS = 48.0, 32.0
FAIL_SAFE_AMPS = 0.0
"""A new transaction waits for the allocator's early run: with a fail-safe above 0, an arrival adds it on
top of an allocation that already uses the whole site until that run (51 A with 3 A here)."""
CHARGERS = 10


def call(method: str, path: str, body: Any = None, query: dict[str, str] | None = None) -> tuple[int, Any]:
    response = handler(
        http_event(method, path, body=body, claims=ALICE, query=query), lambda_context(OPERATOR_API)
    )
    text = response.get("body") or ""
    return response["statusCode"], json.loads(text) if text else None


class SiteCharger(Charger):
    def limit_now(self) -> float:
        """What this charger enforces now: the TxProfile of its transaction, else its TxDefaultProfile,
        else its own maximum (OCPP 1.6 section 3.13.2: the stack's most specific profile)."""
        if self.transaction_id is None:
            return 0.0
        received = [call[3]["csChargingProfiles"] for call in self.calls() if call[2] == "SetChargingProfile"]
        tx = [
            p
            for p in received
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


def test_ten_chargers_never_exceed_the_site_limit(env: PlatformUnderTest) -> None:
    status, body = call(
        "POST",
        "/v1/sites",
        {"siteId": SITE, "name": "Depot", "gridLimitAmps": SITE_AMPS, "failSafeCurrentAmps": FAIL_SAFE_AMPS},
    )
    assert status == 201, body
    chargers = []
    for number in range(1, CHARGERS + 1):
        station_id = f"CP-{number:02d}"
        env.platform.stations.create(
            a_station(station_id=station_id, site_id=SITE, password_hash=hash_password("s3cret-s3cret"))
        )
        status, body = call("PATCH", f"/v1/stations/{station_id}", {"maxCurrentAmps": STATION_AMPS})
        assert status == 200, body
        charger = SiteCharger(env, station_id)
        charger.connect()
        chargers.append(charger)
    allocator: SiteAllocator = env.platform.site_allocator
    worst: list[float] = []

    def check() -> float:
        total = sum(c.limit_now() for c in chargers)
        worst.append(total)
        assert total <= SITE_AMPS + 1e-6, [c.limit_now() for c in chargers]
        return total

    def run_and_settle(trigger: str, limit: float = SITE_AMPS) -> None:
        allocator.run_site(TENANT, SITE, trigger)
        assert sum(c.limit_now() for c in chargers) <= limit + 1e-6
        for _ in range(4):
            for charger in chargers:
                charger.answer_all()
                check()
            if not deliver_answers(env, allocator):
                break
        check()

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

    # a car that draws less than offered
    drawing = next(c for c in chargers if c.limit_now() >= 12)
    for _ in range(3):
        env.clock.advance(30)
        for charger in chargers[:8]:
            charger.meter(env, 8.0 if charger is drawing else max(charger.limit_now() - 0.5, 0))
        env.deliver_meter_stream()
        run_and_settle("draw-changed")
    # what it does not draw goes to the others (the allocator learns its ceiling)
    assert drawing.limit_now() < STATION_AMPS
    assert check() >= SITE_AMPS - 8

    # departures
    for charger in chargers[:3]:
        env.clock.advance(60)
        charger.stop()
        run_and_settle("session-stopped")
    check()

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

    assert max(worst) <= SITE_AMPS + 1e-6
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
