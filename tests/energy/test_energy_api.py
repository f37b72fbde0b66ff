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
