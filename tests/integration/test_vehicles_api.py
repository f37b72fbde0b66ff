"""A fleet's vehicles under its billing account (/v1/billing-accounts/{id}/vehicles): an operator
registers them for any account, a fleet manager for its own only; a vehicle charges with the account's
ID tokens, never another's."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.builders import PlatformUnderTest
from tests.events import claims_for
from tests.robustness.api_client import operator_api_on_moto, send

FLEET, OTHER = "fleet-1", "fleet-2"
VEHICLES = f"/v1/billing-accounts/{FLEET}/vehicles"


def fleet_manager(account_id: str) -> dict[str, Any]:
    return {**claims_for("tenant-a", "fleet_manager"), "account_id": account_id}


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with operator_api_on_moto() as test_platform:
        for account, tokens in ((FLEET, ["TAG-VAN-1", "TAG-VAN-2"]), (OTHER, ["TAG-CAB-1"])):
            for token in tokens:
                assert send("POST", "/v1/id-tokens", body={"idToken": token}).status == 201
            body = {"billingAccountId": account, "type": "POSTPAID", "currency": "EUR", "idTokens": tokens}
            assert send("POST", "/v1/billing-accounts", body=body).status == 201
        yield test_platform


def test_an_operator_registers_changes_lists_and_removes_a_vehicle(env: PlatformUnderTest) -> None:
    body = {
        "vehicleId": "van-1",
        "name": "Van 1",
        "registration": "B-EV 101",
        "make": "Acme",
        "model": "E-Van",
        "batteryKwh": 75,
        "maxCurrentAmps": 16,
        "idTokens": ["tag-van-1"],
    }
    created = send("POST", VEHICLES, body=body)
    assert created.status == 201, created.text
    assert created.body["idTokens"] == ["TAG-VAN-1"] and created.body["billingAccountId"] == FLEET
    assert send("POST", VEHICLES, body=body).status == 409

    changed = send("PATCH", f"{VEHICLES}/van-1", body={"maxCurrentAmps": 32, "registration": None})
    assert changed.status == 200, changed.text
    assert changed.body["maxCurrentAmps"] == 32 and changed.body["registration"] is None
    assert changed.body["name"] == "Van 1" and changed.body["batteryKwh"] == 75

    generated = send("POST", VEHICLES, body={"name": "Van 2", "idTokens": ["TAG-VAN-2"]})
    assert generated.status == 201 and generated.body["vehicleId"].startswith("veh-")
    listed = send("GET", VEHICLES)
    assert sorted(v["name"] for v in listed.body["items"]) == ["Van 1", "Van 2"]
    assert send("GET", f"/v1/billing-accounts/{OTHER}/vehicles").body["items"] == []

    assert send("DELETE", f"{VEHICLES}/van-1").status == 204
    assert send("GET", f"{VEHICLES}/van-1").status == 404
    assert send("DELETE", f"{VEHICLES}/van-1").status == 404


def test_a_vehicle_charges_with_its_own_account_s_tokens_only(env: PlatformUnderTest) -> None:
    refused = send("POST", VEHICLES, body={"name": "Van", "idTokens": ["TAG-VAN-1", "TAG-CAB-1"]})
    assert refused.status == 400
    assert "idTokens" in refused.text and "TAG-CAB-1" in refused.text and "TAG-VAN-1" not in refused.text
    assert send("POST", VEHICLES, body={"vehicleId": "van", "name": "Van"}).status == 201
    patched = send("PATCH", f"{VEHICLES}/van", body={"idTokens": ["TAG-CAB-1"]})
    assert patched.status == 400 and "TAG-CAB-1" in patched.text
    assert send("PATCH", f"{VEHICLES}/van", body={"name": None}).status == 400


@pytest.mark.parametrize(
    "body",
    [
        {"name": ""},
        {"name": "Van", "batteryKwh": 0},
        {"name": "Van", "maxCurrentAmps": -6},
        {"name": "Van", "vehicleId": "has space"},
        {"name": "Van", "idTokens": ["x" * 300]},
    ],
)
def test_bad_vehicle_input_is_a_400(env: PlatformUnderTest, body: dict[str, Any]) -> None:
    assert send("POST", VEHICLES, body=body).status in (400, 422)


def test_a_fleet_manager_manages_its_own_fleet_s_vehicles_only(env: PlatformUnderTest) -> None:
    manager = fleet_manager(FLEET)
    created = send("POST", VEHICLES, body={"vehicleId": "van", "name": "Van"}, claims=manager)
    assert created.status == 201, created.text
    assert send("PATCH", f"{VEHICLES}/van", body={"batteryKwh": 60}, claims=manager).status == 200
    assert [v["vehicleId"] for v in send("GET", VEHICLES, claims=manager).body["items"]] == ["van"]

    # another fleet's: not found, whether it exists or not, and nothing is written there
    assert send("POST", "/v1/billing-accounts/fleet-2/vehicles", body={"name": "Cab"}).status == 201
    for method, path, body in (
        ("GET", f"/v1/billing-accounts/{OTHER}/vehicles", None),
        ("POST", f"/v1/billing-accounts/{OTHER}/vehicles", {"name": "Mine now"}),
    ):
        assert send(method, path, body=body, claims=manager).status == 404
    names = [v["name"] for v in send("GET", f"/v1/billing-accounts/{OTHER}/vehicles").body["items"]]
    assert names == ["Cab"]

    # a viewer reads vehicles but may not change them; a driver has no fleet to manage
    viewer = claims_for("tenant-a", "viewer")
    assert send("GET", VEHICLES, claims=viewer).status == 200
    assert send("DELETE", f"{VEHICLES}/van", claims=viewer).status == 403
    driver = {**claims_for("tenant-a", "driver"), "account_id": FLEET}
    assert send("POST", VEHICLES, body={"name": "Van"}, claims=driver).status == 403
    # another tenant's admin does not see the fleet at all
    assert send("GET", VEHICLES, claims=claims_for("tenant-b", "admin")).status == 404
