"""Issue 13's "done when", end to end: a 2.0.1 charger registered through the API boots, authorizes,
charges through TransactionEvents — including an offline replay with a duplicate and events out of
order — giving one closed session with the right energy, and is stopped and reset through the API."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.e2e.conftest import DEMO_PASSWORD, OperatorClient, start_charger
from tools.local_platform import LocalPlatform

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


async def register(operator: OperatorClient, station_id: str) -> None:
    status, station = await operator.call(
        "POST", "/stations", {"stationId": station_id, "password": DEMO_PASSWORD}
    )
    assert status == 201, station
    status, token = await operator.call("POST", "/id-tokens", {"idToken": "TAG-E2E", "status": "Accepted"})
    assert status in (201, 409), token


async def sessions_of(operator: OperatorClient, station_id: str) -> list[dict[str, Any]]:
    status, listing = await operator.call("GET", f"/sessions?stationId={station_id}")
    assert status == 200, listing
    return list(listing["items"])


async def test_a_201_charger_charges_offline_and_replays_into_one_closed_session(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[Any]
) -> None:
    # Given a 2.0.1 charger that replays its offline queue shuffled, one event twice
    await register(operator, "E2E-201")
    charger = await start_charger(
        platform,
        chargers,
        "E2E-201",
        protocol="2.0.1",
        sessions=1,
        session_seconds=1200.0,
        meter_interval_seconds=60.0,
        time_scale=240.0,
        replay_out_of_order=True,
    )
    await charger.wait_until(lambda c: bool(c.transaction_ids), within=20)
    # When it loses its connection mid-session and comes back after the session ended
    await charger.go_offline(6.0)
    await charger.wait_until(lambda c: c.planned_sessions_done.is_set(), within=40)
    await charger.wait_until(lambda c: c.online and not c.queued_events and c.delivered_offline, within=20)

    # Then the platform holds one completed session with the charger's energy
    assert charger.boot_status == "Accepted" and charger.authorize_results == ["Accepted"]
    (completed,) = charger.completed_transactions
    assert len(charger.delivered_offline) >= 3  # several events queued, one of them delivered twice
    (session,) = await sessions_of(operator, "E2E-201")
    assert (session["status"], session["transactionId"]) == ("Completed", completed.transaction_id)
    assert session["energyWh"] == completed.energy_wh > 0
    assert session["idToken"] == "TAG-E2E"
    status, station = await operator.call("GET", "/stations/E2E-201")
    assert status == 200 and station["protocol"] == "ocpp2.0.1" and station["vendor"] == "CSMS Simulator"


async def test_a_201_charger_is_started_stopped_and_reset_through_the_api(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[Any]
) -> None:
    await register(operator, "E2E-202")
    charger = await start_charger(
        platform, chargers, "E2E-202", protocol="2.0.1", session_seconds=36_000.0, time_scale=60.0
    )
    await charger.wait_until(lambda c: c.online, within=15)

    status, sent = await operator.call(
        "POST", "/stations/E2E-202/remote-start", {"idToken": "TAG-E2E", "evseId": 1}
    )
    assert status == 202, sent
    command = await operator.wait_for_command(
        sent["commandId"], {"accepted", "rejected", "failed", "timeout"}
    )
    assert command["status"] == "accepted" and command["action"] == "RequestStartTransaction"
    await charger.wait_until(lambda c: bool(c.active), within=15)
    for _ in range(50):
        listing = await sessions_of(operator, "E2E-202")
        if listing:
            break
        await asyncio.sleep(0.1)
    (session,) = listing
    assert session["status"] == "Active"

    status, sent = await operator.call("POST", "/stations/E2E-202/remote-stop", {"evseId": 1})
    assert status == 202, sent
    command = await operator.wait_for_command(
        sent["commandId"], {"accepted", "rejected", "failed", "timeout"}
    )
    assert command["status"] == "accepted" and command["action"] == "RequestStopTransaction"
    await charger.wait_until(lambda c: bool(c.completed_transactions), within=15)
    assert charger.completed_transactions[0].stopped_reason == "Remote"

    status, sent = await operator.call("POST", "/stations/E2E-202/reset", {"type": "Immediate"})
    assert status == 202, sent
    command = await operator.wait_for_command(
        sent["commandId"], {"accepted", "rejected", "failed", "timeout"}
    )
    assert command["status"] == "accepted" and command["payload"] == {"type": "Immediate"}
    await charger.wait_until(lambda c: c.boot_count == 2 and c.online, within=20)
    (session,) = await sessions_of(operator, "E2E-202")
    assert (session["status"], session["stopReason"]) == ("Completed", "Remote")
