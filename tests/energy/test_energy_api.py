"""Load management through the operator API (its Lambda handler, on moto): the site model, station
placements, grid signals, allocation runs and the load series."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.operator_api.handler import handler
from shared.api.app import app
from shared.api.dependencies import current_platform
from shared.catalog import OPERATOR_API
from shared.domain.events import SiteInputsChanged
from tests.builders import PlatformUnderTest, platform_on_moto
from tests.events import claims_for, http_event, lambda_context

ALICE = claims_for("tenant-a", "admin")
BOB = claims_for("tenant-b", "admin")
SITE_BODY: dict[str, Any] = {
    "siteId": "depot",
    "name": "Depot",
    "gridLimitAmps": 48,
    "phases": 3,
    "failSafeCurrentAmps": 6,
    "circuits": [
        {"circuitId": "panel-a", "limitAmps": 40},
        {"circuitId": "row-1", "parentId": "panel-a", "limitAmps": 32},
    ],
}


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto() as test_platform:
        app.dependency_overrides[current_platform] = lambda: test_platform.platform
        yield test_platform
        app.dependency_overrides.clear()


def call(
    method: str, path: str, body: Any = None, query: dict[str, str] | None = None, claims: Any = ALICE
) -> tuple[int, Any]:
    response = handler(
        http_event(method, path, body=body, claims=claims, query=query), lambda_context(OPERATOR_API)
    )
    text = response.get("body") or ""
    return response["statusCode"], json.loads(text) if text else None


def test_site_with_grid_limit_and_circuits_is_managed(env: PlatformUnderTest) -> None:
    status, site = call("POST", "/v1/sites", SITE_BODY)
    assert status == 201, site
    management = site["loadManagement"]
    assert management["gridLimitAmps"] == 48
    assert [c["circuitId"] for c in management["circuits"]] == ["panel-a", "row-1"]
    assert any(isinstance(e, SiteInputsChanged) for e in env.events.events)

    status, patched = call("PATCH", "/v1/sites/depot", {"gridLimitAmps": 63})
    assert status == 200, patched
    assert patched["loadManagement"]["gridLimitAmps"] == 63
    assert patched["loadManagement"]["circuits"], "fields left out are unchanged"
    status, read = call("GET", "/v1/sites/depot")
    assert status == 200 and read["loadManagement"]["gridLimitAmps"] == 63


@pytest.mark.parametrize(
    ("circuits", "field"),
    [
        (
            [
                {"circuitId": "a", "parentId": "b", "limitAmps": 10},
                {"circuitId": "b", "parentId": "a", "limitAmps": 10},
            ],
            "circuits",
        ),
        ([{"circuitId": "a", "parentId": "nowhere", "limitAmps": 10}], "parentId"),
        ([{"circuitId": "a", "limitAmps": -3}], "limitAmps"),
    ],
)
def test_inconsistent_circuits_are_400_naming_the_field(
    env: PlatformUnderTest, circuits: list[dict[str, Any]], field: str
) -> None:
    status, body = call("POST", "/v1/sites", {**SITE_BODY, "circuits": circuits})
    assert status == 400, body
    assert field in json.dumps(body)
    assert call("GET", "/v1/sites/depot")[0] == 404, "nothing created"


def test_station_placement_checked_against_its_site(env: PlatformUnderTest) -> None:
    assert call("POST", "/v1/sites", SITE_BODY)[0] == 201
    assert (
        call(
            "POST",
            "/v1/sites",
            {**SITE_BODY, "siteId": "other", "circuits": [{"circuitId": "elsewhere", "limitAmps": 20}]},
        )[0]
        == 201
    )

    status, body = call(
        "POST",
        "/v1/stations",
        {"stationId": "CP-1", "siteId": "depot", "circuitId": "elsewhere", "maxCurrentAmps": 32},
    )
    assert status == 400 and "circuitId" in body["message"], body
    assert call("GET", "/v1/stations/CP-1")[0] == 404, "an inconsistent placement registers nothing"

    status, body = call(
        "POST",
        "/v1/stations",
        {"stationId": "CP-1", "siteId": "depot", "circuitId": "row-1", "maxCurrentAmps": 32, "phases": 3},
    )
    assert status == 201, body
    assert body["placement"]["circuitId"] == "row-1"
    placement = env.platform.energy.get_placement("tenant-a", "depot", "CP-1")
    assert placement is not None and placement.max_current_amps == 32

    status, body = call("PATCH", "/v1/stations/CP-1", {"maxCurrentAmps": 16})
    assert status == 200, body
    assert body["placement"]["maxCurrentAmps"] == 16 and body["placement"]["circuitId"] == "row-1"

    status, body = call("PATCH", "/v1/stations/CP-1", {"siteId": "other"})
    assert status == 200, body
    assert env.platform.energy.get_placement("tenant-a", "depot", "CP-1") is None
    moved = env.platform.energy.get_placement("tenant-a", "other", "CP-1")
    assert moved is not None and moved.circuit_id is None


def test_grid_signals(env: PlatformUnderTest) -> None:
    assert call("POST", "/v1/sites", SITE_BODY)[0] == 201
    signal = {
        "kind": "importLimit",
        "startsAt": "2026-11-27T17:00:00Z",
        "endsAt": "2026-11-27T19:00:00Z",
        "value": 20,
    }
    status, created = call("POST", "/v1/sites/depot/grid-signals", signal)
    assert status == 201, created
    status, listed = call("GET", "/v1/sites/depot/grid-signals")
    assert status == 200 and [s["signalId"] for s in listed["items"]] == [created["signalId"]]

    status, body = call("POST", "/v1/sites/depot/grid-signals", {**signal, "endsAt": "2026-11-27T16:00:00Z"})
    assert status == 400 and "endsAt" in body["message"], body
    assert call("POST", "/v1/sites/nowhere/grid-signals", signal)[0] == 404
    assert call("GET", "/v1/sites/depot/grid-signals", claims=BOB)[0] == 404

    assert call("DELETE", f"/v1/sites/depot/grid-signals/{created['signalId']}")[0] == 204
    assert call("GET", "/v1/sites/depot/grid-signals")[1]["items"] == []


def test_allocations_and_load_readable(env: PlatformUnderTest) -> None:
    assert call("POST", "/v1/sites", SITE_BODY)[0] == 201
    result = env.platform.site_allocator.run_site("tenant-a", "depot", "test")
    assert result is not None

    status, runs = call("GET", "/v1/sites/depot/allocations")
    assert status == 200, runs
    assert [r["runId"] for r in runs["items"]] == [result.run.run_id]
    assert runs["items"][0]["inputs"]["gridLimitAmps"] == 48

    status, load = call(
        "GET",
        "/v1/sites/depot/load",
        query={"from": "2026-11-27T07:30:00Z", "to": "2026-11-27T08:30:00Z", "periodMinutes": "15"},
    )
    assert status == 200, load
    assert len(load["items"]) == 4
    assert [p["runs"] for p in load["items"]] == [0, 0, 1, 0]
    assert load["items"][2]["limitAmps"] == 48

    status, body = call(
        "GET", "/v1/sites/depot/load", query={"from": "2026-11-27T09:00:00Z", "to": "2026-11-27T08:00:00Z"}
    )
    assert status == 400 and "to" in body["message"]


def test_measurements(env: PlatformUnderTest) -> None:
    # Given a managed site with a battery
    site = {**SITE_BODY, "battery": {"capacityKwh": 50, "maxChargeKw": 10, "maxDischargeKw": 10}}
    assert call("POST", "/v1/sites", site)[0] == 201
    assert call("GET", "/v1/sites/depot/measurements")[0] == 404, "nothing reported yet"
    env.events.events.clear()

    # When its meter reports base load, solar now and ahead, and the battery's state of charge
    reading = {
        "measuredAt": "2026-11-27T08:00:00Z",
        "baseLoadKw": [4.5, 4.0],
        "solarKw": [12.0, 11.5, 11.0],
        "batterySocPercent": 55,
    }
    status, created = call("POST", "/v1/sites/depot/measurements", reading)

    # Then it is stored, readable and the allocator is told to run the site early
    assert status == 201, created
    assert created["solarKw"] == [12.0, 11.5, 11.0] and created["batterySocPercent"] == 55
    status, latest = call("GET", "/v1/sites/depot/measurements")
    assert status == 200 and latest == created
    stored = env.platform.energy.get_measurements("tenant-a", "depot")
    assert stored is not None and stored.measurements.base_load_kw == [4.5, 4.0]
    announced = [e for e in env.events.events if isinstance(e, SiteInputsChanged)]
    assert [(e.site_id, e.reason) for e in announced] == [("depot", "measurements")]

    # a newer reading replaces it
    status, _ = call("POST", "/v1/sites/depot/measurements", {"solarKw": [3.0]})
    assert status == 201
    assert call("GET", "/v1/sites/depot/measurements")[1]["solarKw"] == [3.0]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"solarKw": [-1.0]}, "solarKw"),
        ({"baseLoadKw": [1.0] * 289}, "baseLoadKw"),
        ({"batterySocPercent": 101}, "batterySocPercent"),
        ({"batterySocPercent": 50}, "batterySocPercent"),  # the site has no battery
        ({"measuredAt": "2026-11-28T08:00:00Z"}, "measuredAt"),  # a day ahead of the clock
        ({"solarKw": "lots"}, "solarKw"),
    ],
)
def test_bad_measurements_are_400_naming_the_field(
    env: PlatformUnderTest, body: dict[str, Any], field: str
) -> None:
    assert call("POST", "/v1/sites", SITE_BODY)[0] == 201
    status, answer = call("POST", "/v1/sites/depot/measurements", body)
    assert status == 400, answer
    assert field in json.dumps(answer)
    assert env.platform.energy.get_measurements("tenant-a", "depot") is None, "nothing stored"


def test_measurements_of_another_tenants_site_are_404(env: PlatformUnderTest) -> None:
    assert call("POST", "/v1/sites", SITE_BODY)[0] == 201
    assert call("POST", "/v1/sites/depot/measurements", {"solarKw": [5.0]}, claims=BOB)[0] == 404
    assert call("GET", "/v1/sites/depot/measurements", claims=BOB)[0] == 404
    assert call("POST", "/v1/sites/nowhere/measurements", {"solarKw": [5.0]})[0] == 404
    status, body = call("POST", "/v1/sites", {"siteId": "plain", "name": "Plain"})
    assert status == 201, body
    status, body = call("POST", "/v1/sites/plain/measurements", {"solarKw": [5.0]})
    assert status == 400 and "siteId" in body["message"], "a site without load management"


def _a_session_on(env: PlatformUnderTest, site_id: str | None, **overrides: Any) -> str:
    from shared.domain.sessions import Session

    values: dict[str, Any] = {
        "session_id": "CP-1:reg1:7",
        "tenant_id": "tenant-a",
        "station_id": "CP-1",
        "registration_id": "reg1",
        "site_id": site_id,
        "evse_id": 1,
        "connector_id": 1,
        "transaction_id": "7",
        "protocol": "ocpp1.6",
        "started_at": env.clock(),
        "created_at": env.clock(),
    }
    values.update(overrides)
    assert env.platform.sessions.create(Session(**values)) is None, "a new session"
    return str(values["session_id"])


def test_session_demand(env: PlatformUnderTest) -> None:
    # Given an active session on a managed site
    assert call("POST", "/v1/sites", SITE_BODY)[0] == 201
    session_id = _a_session_on(env, "depot")
    assert call("GET", f"/v1/sessions/{session_id}/demand")[0] == 404, "nobody described it yet"
    env.events.events.clear()

    # When the driver says how much energy the car wants and when it leaves
    status, demand = call(
        "PATCH",
        f"/v1/sessions/{session_id}/demand",
        {"energyWantedKwh": 18.5, "departureAt": "2026-11-27T17:30:00Z", "priorityGroup": "fleet-a"},
    )

    # Then the allocator's store has it (keyed by the session's site) and runs the site early
    assert status == 200, demand
    assert demand["siteId"] == "depot" and demand["energyWantedKwh"] == 18.5
    assert demand["departureAt"] == "2026-11-27T17:30:00.000Z" and demand["fleet"] is False
    stored = env.platform.energy.get_demand("tenant-a", "depot", session_id)
    assert stored is not None and stored.energy_wanted_kwh == 18.5
    announced = [e for e in env.events.events if isinstance(e, SiteInputsChanged)]
    assert [(e.site_id, e.reason, e.station_id) for e in announced] == [("depot", "session-demand", "CP-1")]

    # fields left out are unchanged, null removes one
    status, changed = call(
        "PATCH", f"/v1/sessions/{session_id}/demand", {"fleet": True, "priorityGroup": None}
    )
    assert status == 200, changed
    assert (
        changed["fleet"] is True and changed["priorityGroup"] is None and changed["energyWantedKwh"] == 18.5
    )
    status, read = call("GET", f"/v1/sessions/{session_id}/demand")
    assert status == 200 and read == changed


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"energyWantedKwh": -1}, "energyWantedKwh"),
        ({"energyWantedKwh": 5000}, "energyWantedKwh"),
        ({"departureAt": "2026-11-27T07:00:00Z"}, "departureAt"),  # before the clock (08:00)
        ({"departureAt": "tomorrow"}, "departureAt"),
        ({"fleet": None}, "fleet"),
        ({"vehicleMaxCurrentAmps": 0}, "vehicleMaxCurrentAmps"),
        ({"priorityGroup": "no spaces allowed"}, "priorityGroup"),
    ],
)
def test_bad_session_demand_is_400_naming_the_field(
    env: PlatformUnderTest, body: dict[str, Any], field: str
) -> None:
    assert call("POST", "/v1/sites", SITE_BODY)[0] == 201
    session_id = _a_session_on(env, "depot")
    status, answer = call("PATCH", f"/v1/sessions/{session_id}/demand", body)
    assert status == 400, answer
    assert field in json.dumps(answer)
    assert env.platform.energy.get_demand("tenant-a", "depot", session_id) is None, "nothing stored"


def test_session_demand_of_another_tenant_or_off_site_or_ended(env: PlatformUnderTest) -> None:
    from shared.domain.sessions import SessionStatus

    assert call("POST", "/v1/sites", SITE_BODY)[0] == 201
    session_id = _a_session_on(env, "depot")
    assert call("PATCH", f"/v1/sessions/{session_id}/demand", {"energyWantedKwh": 5}, claims=BOB)[0] == 404
    assert call("GET", f"/v1/sessions/{session_id}/demand", claims=BOB)[0] == 404
    assert call("PATCH", "/v1/sessions/CP-9:reg1:1/demand", {"energyWantedKwh": 5})[0] == 404

    off_site = _a_session_on(env, None, session_id="CP-2:reg1:8", station_id="CP-2", transaction_id="8")
    status, body = call("PATCH", f"/v1/sessions/{off_site}/demand", {"energyWantedKwh": 5})
    assert status == 400 and "sessionId" in body["message"], body

    ended = _a_session_on(
        env,
        "depot",
        session_id="CP-3:reg1:9",
        station_id="CP-3",
        transaction_id="9",
        status=SessionStatus.COMPLETED,
        stopped_at=env.clock(),
    )
    status, body = call("PATCH", f"/v1/sessions/{ended}/demand", {"energyWantedKwh": 5})
    assert status == 400 and "sessionId" in body["message"], body
