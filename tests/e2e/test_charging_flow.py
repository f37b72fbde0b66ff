"""The issue's "done when", end to end: the local platform with the real handlers, a simulated
OCPP 1.6J charger, and the operator API."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, OperatorClient, start_charger
from tools.local_platform import LocalPlatform
from tools.simulator import SimulatedCharger

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

FINAL_STATUSES = {"accepted", "rejected", "failed", "timeout", "offline"}


async def register(operator: OperatorClient, station_id: str, password: str | None = DEMO_PASSWORD) -> None:
    body = {"stationId": station_id} | ({"password": password} if password else {})
    status, station = await operator.call("POST", "/stations", body)
    assert status == 201, station
    status, token = await operator.call("POST", "/id-tokens", {"idToken": "TAG-E2E", "status": "Accepted"})
    assert status in (201, 409), token


def items(listing: object) -> list[dict[str, object]]:
    return list(listing["items"] if isinstance(listing, dict) else listing)  # type: ignore[arg-type]


async def test_registered_charger_boots_authorizes_charges_and_stops(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[SimulatedCharger]
) -> None:
    # Given a station and an ID token registered through the API
    await register(operator, "E2E-001")

    # When the simulated charger boots and runs one locally started session
    charger = await start_charger(platform, chargers, "E2E-001", sessions=1)
    await charger.wait_until(lambda c: c.planned_sessions_done.is_set(), within=30)

    # Then the session with its energy is in the API
    assert charger.boot_status == "Accepted"
    assert charger.authorize_results == ["Accepted"]
    completed = charger.completed_transactions[0]
    status, listing = await operator.call("GET", "/sessions?stationId=E2E-001")
    assert status == 200
    (session,) = items(listing)
    assert session["stationId"] == "E2E-001"
    assert session["status"] == "Completed"
    assert session["idToken"] == "TAG-E2E"
    assert session["energyWh"] == completed.energy_wh > 0
    status, detail = await operator.call("GET", f"/sessions/{session['sessionId']}")
    assert status == 200
    assert detail["energyWh"] == completed.energy_wh

    status, station = await operator.call("GET", "/stations/E2E-001")
    assert status == 200
    assert (station["online"], station["vendor"], station["model"]) == (True, "CSMS Simulator", "SIM-AC22")


async def test_remote_start_and_reset_reach_the_charger(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[SimulatedCharger]
) -> None:
    await register(operator, "E2E-002")
    charger = await start_charger(platform, chargers, "E2E-002", session_seconds=36_000.0, time_scale=60.0)
    await charger.wait_until(lambda c: c.online, within=15)

    # A remote start is accepted and the charger actually starts a transaction
    status, sent = await operator.call(
        "POST",
        "/stations/E2E-002/commands",
        {"action": "RemoteStartTransaction", "payload": {"idTag": "TAG-E2E", "connectorId": 1}},
    )
    assert status == 202, sent
    command = await operator.wait_for_command(
        sent["commandId"], {"accepted", "rejected", "failed", "timeout"}
    )
    assert command["status"] == "accepted"
    assert command["response"] == {"status": "Accepted"}
    await charger.wait_until(lambda c: bool(c.transaction_ids), within=15)
    assert charger.calls_received("RemoteStartTransaction")[0].arguments["id_tag"] == "TAG-E2E"
    status, listing = await operator.call("GET", "/sessions?stationId=E2E-002")
    assert [session["status"] for session in items(listing)] != []

    # A reset is accepted; the charger ends the transaction, reconnects and boots again
    status, sent = await operator.call(
        "POST", "/stations/E2E-002/commands", {"action": "Reset", "payload": {"type": "Soft"}}
    )
    assert status == 202, sent
    command = await operator.wait_for_command(
        sent["commandId"], {"accepted", "rejected", "failed", "timeout"}
    )
    assert command["status"] == "accepted"
    await charger.wait_until(lambda c: c.boot_count == 2 and c.online, within=20)
    assert charger.completed_transactions[0].reason == "SoftReset"
    status, listing = await operator.call("GET", "/sessions?stationId=E2E-002")
    (session,) = items(listing)
    assert (session["status"], session["stopReason"]) == ("Completed", "SoftReset")


async def test_command_to_an_offline_station_says_so(
    platform: LocalPlatform, operator: OperatorClient
) -> None:
    await register(operator, "E2E-003")
    status, sent = await operator.call(
        "POST", "/stations/E2E-003/commands", {"action": "Reset", "payload": {"type": "Hard"}}
    )
    assert status == 202, sent
    command = await operator.wait_for_command(sent["commandId"], FINAL_STATUSES)
    assert command["status"] == "offline"


async def test_unknown_station_and_wrong_password_are_refused_at_connect(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[SimulatedCharger]
) -> None:
    await register(operator, "E2E-004")
    unknown = await start_charger(platform, chargers, "E2E-UNKNOWN")
    wrong_password = await start_charger(platform, chargers, "E2E-004", password="not-the-password-at-all")
    no_password = await start_charger(platform, chargers, "E2E-004", password=None)
    for charger in (unknown, wrong_password, no_password):
        await charger.wait_until(lambda c: len(c.connect_failures) >= 1, within=15)
    assert unknown.connect_failures[0] == "403"
    assert wrong_password.connect_failures[0] == "401"
    assert no_password.connect_failures[0] == "401"
    assert unknown.connect_count == wrong_password.connect_count == no_password.connect_count == 0


async def test_another_tenant_sees_nothing(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[SimulatedCharger]
) -> None:
    await register(operator, "E2E-005")
    charger = await start_charger(platform, chargers, "E2E-005", sessions=1)
    await charger.wait_until(lambda c: c.planned_sessions_done.is_set(), within=30)
    status, sent = await operator.call(
        "POST",
        "/stations/E2E-005/commands",
        {"action": "TriggerMessage", "payload": {"requestedMessage": "Heartbeat"}},
    )
    assert status == 202, sent
    session_id = items((await operator.call("GET", "/sessions"))[1])[0]["sessionId"]

    other = OperatorClient(
        operator.base_url, platform.tokens.issue("other-tenant", ["admin"]), operator.session
    )
    assert items((await other.call("GET", "/stations"))[1]) == []
    assert items((await other.call("GET", "/sessions"))[1]) == []
    assert (await other.call("GET", "/stations/E2E-005"))[0] == 404
    assert (await other.call("GET", f"/sessions/{session_id}"))[0] == 404
    assert (await other.call("GET", f"/commands/{sent['commandId']}"))[0] == 404
    assert (await other.call("GET", "/id-tokens/TAG-E2E"))[0] == 404
    status, _ = await other.call(
        "POST", "/stations/E2E-005/commands", {"action": "Reset", "payload": {"type": "Soft"}}
    )
    assert status == 404
    status, _ = await other.call("DELETE", "/stations/E2E-005")
    assert status == 404
    assert (await operator.call("GET", "/stations/E2E-005"))[0] == 200
