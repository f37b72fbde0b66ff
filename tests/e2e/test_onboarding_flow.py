"""Issue 17's one-step onboarding end to end on the local platform: a simulated 1.6J charger that was
never registered connects with the tenant's enrollment secret, waits Pending in the tenant's list with
what it said at boot, is approved through the API, reconnects at once and boots Accepted."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import OperatorClient, start_charger
from tools.local_platform import LocalPlatform, PlatformConfig
from tools.local_platform.platform import PlatformEndpoints

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


async def test_an_unregistered_charger_enrolls_with_the_secret_and_is_approved_into_accepted(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[Any]
) -> None:
    status, issued = await operator.call("POST", "/settings/onboarding/enrollment-secret")
    assert status == 201, issued
    assert issued["ocppUrl"] == platform.endpoints.websocket_url
    # Given a charger nobody registered, configured with the tenant's secret as its password
    charger = await start_charger(
        platform,
        chargers,
        "E2E-ENROLL",
        password=issued["enrollmentSecret"],
    )
    # Then it connects and is told to wait, and the tenant sees it with its boot data
    await charger.wait_until(lambda c: c.boot_status == "Pending", within=15)
    status, listing = await operator.call("GET", "/stations/pending")
    assert status == 200, listing
    (waiting,) = listing["items"]
    assert waiting["stationId"] == "E2E-ENROLL" and waiting["protocol"] == "ocpp1.6"
    assert waiting["vendor"] == "CSMS Simulator" and waiting["attempts"] == 1
    assert (await operator.call("GET", "/stations/E2E-ENROLL"))[0] == 404

    # When the operator approves it
    status, registered = await operator.call("POST", "/stations/pending/E2E-ENROLL/approve", {})
    assert status == 201, registered
    assert registered["ocppUrl"] == f"{platform.endpoints.websocket_url}/E2E-ENROLL"
    assert registered["basicAuthUser"] == "E2E-ENROLL" and "password" not in registered

    # Then its waiting socket is closed, it reconnects at once (not at its next boot retry, the
    # Pending interval away) with the same secret and boots Accepted
    await charger.wait_until(lambda c: c.boot_status == "Accepted" and c.online, within=20)
    assert charger.connect_count == 2
    status, station = await operator.call("GET", "/stations/E2E-ENROLL")
    assert status == 200 and station["connectivity"] == "online" and station["bootStatus"] == "Accepted"
    assert (await operator.call("GET", "/stations/pending"))[1]["items"] == []


def test_make_run_tells_chargers_the_loopback_url() -> None:
    """``make run`` (default config) answers ws://127.0.0.1:9000/ocpp/<stationId>."""
    config = PlatformConfig()
    endpoints = PlatformEndpoints(host=config.host, gateway_port=config.gateway_port, moto_url=None)
    assert f"{endpoints.websocket_url}/CP-1" == "ws://127.0.0.1:9000/ocpp/CP-1"
