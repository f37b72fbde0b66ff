"""Issue 17's driver app API end to end on the local platform: a driver with a prepaid account and a
saved card tops up its wallet (charged through the Stripe adapter against the loopback stand-in), finds
a simulated OCPP 1.6J charger near a point, starts it by QR code, follows energy, power and cost as the
charger's meter values arrive, stops it, and finds the session in its history with a receipt, paid from
the wallet."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from tests.billing.stripe_standin import StandIn, running_standin
from tests.e2e.conftest import DEMO_PASSWORD, OperatorClient, start_charger
from tools.local_platform import LocalPlatform
from tools.local_platform.aws_backend import PAYMENT_SECRET_NAME
from tools.simulator import SimulatedCharger

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

STATION = "E2E-DRIVE-1"
SITE = "e2e-berlin"
TAG = "TAG-DRIVER"
ACCOUNT = "e2e-driver-1"
D = Decimal


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with running_standin() as server:
        yield server


async def _ok(client: OperatorClient, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    answer, document = await client.call(method, path, body)
    assert answer == status, (method, path, document)
    return document


def _connector_free(station: dict[str, Any], connector_id: int) -> bool:
    return any(c["connectorId"] == connector_id and c["available"] for c in station["connectors"])


async def _until(client: OperatorClient, path: str, ready: Any, within: float = 30) -> Any:
    body: Any = None
    try:
        async with asyncio.timeout(within):
            while True:
                status, body = await client.call("GET", path)
                if status == 200 and ready(body):
                    return body
                await asyncio.sleep(0.2)
    except TimeoutError as error:
        raise AssertionError(f"{path} is still {body}") from error


async def test_a_driver_finds_starts_follows_stops_and_pays_a_session(
    platform: LocalPlatform,
    operator: OperatorClient,
    chargers: list[SimulatedCharger],
    standin: StandIn,
) -> None:
    # Given the platform's payment secret pointing at the Stripe stand-in
    platform.aws_client("secretsmanager").put_secret_value(
        SecretId=PAYMENT_SECRET_NAME,
        SecretString=json.dumps(
            {"apiKey": "sk_test_standin", "webhookSecret": "whsec_e2e", "apiBase": standin.url}
        ),
    )
    # and an operator's site in Berlin with a station priced at 0.30 EUR/kWh, and a driver's prepaid
    # account paying for its token with a saved card
    await _ok(
        operator, "POST", "/sites",
        {"siteId": SITE, "name": "Berlin depot", "latitude": 52.5163, "longitude": 13.3777}, 201,
    )  # fmt: skip
    await _ok(
        operator, "POST", "/stations", {"stationId": STATION, "siteId": SITE, "password": DEMO_PASSWORD}, 201
    )
    await _ok(operator, "POST", "/id-tokens", {"idToken": TAG, "status": "Accepted"}, 201)
    tariff = {
        "tariffId": "ENERGY-030",
        "currency": "EUR",
        "elements": [{"priceComponents": [{"type": "ENERGY", "price": "0.30", "stepSize": 1}]}],
    }
    await _ok(operator, "POST", "/tariffs", tariff, 201)
    await _ok(operator, "PATCH", f"/stations/{STATION}", {"tariffId": "ENERGY-030"})
    await _ok(
        operator,
        "POST",
        "/billing-accounts",
        {
            "billingAccountId": ACCOUNT,
            "type": "PREPAID",
            "currency": "EUR",
            "idTokens": [TAG],
            "provider": "stripe",
            "providerCustomerId": "cus_e2edriver",
            "providerPaymentMethodId": "pm_card_visa",
        },
        201,
    )
    driver = OperatorClient(
        operator.base_url,
        platform.tokens.issue("demo", ["driver"], extra_claims={"account_id": ACCOUNT}),
        operator.session,
    )
    # a simulated 1.6J charger that charges only when told to (a simulated minute per 0.2 s)
    charger = await start_charger(
        platform, chargers, STATION, sessions=0, session_seconds=36000.0, meter_interval_seconds=60.0,
        time_scale=300.0,
    )  # fmt: skip

    # When the driver tops up 50.00 EUR: the card is charged at the provider, the wallet credited
    top_up = await _ok(driver, "POST", "/driver/wallet/top-ups", {"amount": "50.00", "topUpId": "e2e-1"}, 201)
    assert (top_up["status"], D(top_up["wallet"]["balance"])) == ("succeeded", D("50.00")), top_up
    assert [intent["amount"] for intent in standin.intents.values()] == [5000]
    assert D((await _ok(driver, "GET", "/driver/wallet"))["balance"]) == D("50.00")

    # and looks for a station within 3 km of Alexanderplatz
    nearby = await _until(
        driver,
        "/driver/stations?latitude=52.5219&longitude=13.4132&radiusKm=3",
        lambda body: body["items"] and _connector_free(body["items"][0], 1),
    )
    (found,) = nearby["items"]
    assert (found["stationId"], found["state"], found["price"]["tariffId"]) == (
        STATION,
        "online",
        "ENERGY-030",
    )
    assert 2 < found["distanceKm"] < 3

    # and scans the QR code of its connector 1
    start = await _ok(driver, "POST", "/driver/sessions", {"stationId": STATION, "connectorId": 1}, 202)
    assert start["idToken"] == TAG
    progress = await _until(driver, f"/driver/starts/{start['commandId']}", lambda body: body["sessionId"])
    assert progress["status"] == "accepted"
    session_id = progress["sessionId"]

    # Then it follows energy, power and cost so far as the charger's meter values arrive
    first = await _until(
        driver, f"/driver/sessions/{session_id}", lambda body: (body["energyWh"] or 0) > 0 and body["powerW"]
    )
    assert (
        first["status"] == "Active" and first["cost"]["final"] is False and first["cost"]["currency"] == "EUR"
    )
    later = await _until(
        driver, f"/driver/sessions/{session_id}", lambda body: body["energyWh"] > first["energyWh"]
    )
    assert D(later["cost"]["amount"]) >= D(first["cost"]["amount"]) and later["powerW"] > 0

    # When it stops the session
    stop = await _ok(driver, "POST", f"/driver/sessions/{session_id}/stop", None, 202)
    assert stop["sessionId"] == session_id
    ended = await _until(driver, f"/driver/sessions/{session_id}", lambda body: body["status"] == "Completed")
    (completed,) = charger.completed_transactions
    assert ended["energyWh"] == completed.energy_wh > 0 and ended["stopReason"] == "Remote"
    expected = (D(completed.energy_wh) * D("0.30") / 1000).quantize(D("0.01"), rounding=ROUND_HALF_UP)

    # Then it is in the history, with a receipt once billing priced it, paid from the wallet
    history = await _ok(driver, "GET", "/driver/sessions")
    assert [item["sessionId"] for item in history["items"]] == [session_id]
    receipt = await _until(
        driver,
        f"/driver/sessions/{session_id}/receipt",
        lambda body: any(invoice["status"] == "paid" for invoice in body["invoices"]),
    )
    assert D(receipt["cdr"]["totalCost"]["inclVat"]) == expected
    assert [D(invoice["totalInclVat"]) for invoice in receipt["invoices"]] == [expected]
    final = await _ok(driver, "GET", f"/driver/sessions/{session_id}")
    assert (D(final["cost"]["amount"]), final["cost"]["final"]) == (expected, True)
    assert D((await _ok(driver, "GET", "/driver/wallet"))["balance"]) == D("50.00") - expected

    # and what is not the driver's stays out of reach
    status, body = await driver.call("GET", "/stations")
    assert status == 403
    status, body = await driver.call("GET", "/driver/stations/NOT-THERE")
    assert status == 404 and "NOT-THERE" in body["message"]


async def test_a_driver_starts_and_stops_a_201_charger_by_qr_code(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[SimulatedCharger]
) -> None:
    # Given a 2.0.1 station on a mapped site and a driver's account for its token
    await _ok(
        operator, "POST", "/sites", {"siteId": SITE, "name": "Depot", "latitude": 1.0, "longitude": 2.0}, 201
    )
    await _ok(
        operator,
        "POST",
        "/stations",
        {"stationId": "E2E-DRIVE-201", "siteId": SITE, "password": DEMO_PASSWORD},
        201,
    )
    await _ok(operator, "POST", "/id-tokens", {"idToken": TAG, "status": "Accepted"}, 201)
    account = {"billingAccountId": ACCOUNT, "type": "PREPAID", "currency": "EUR", "idTokens": [TAG]}
    await _ok(operator, "POST", "/billing-accounts", account, 201)
    driver = OperatorClient(
        operator.base_url,
        platform.tokens.issue("demo", ["driver"], extra_claims={"account_id": ACCOUNT}),
        operator.session,
    )
    await start_charger(
        platform, chargers, "E2E-DRIVE-201", protocol="2.0.1", sessions=0, session_seconds=36000.0,
        meter_interval_seconds=60.0, time_scale=300.0,
    )  # fmt: skip
    await _until(
        driver, "/driver/stations?latitude=1.001&longitude=2.001&radiusKm=1",
        lambda body: body["items"] and _connector_free(body["items"][0], 1),
    )  # fmt: skip

    # When it starts by QR code (EVSE 1), follows and stops
    start = await _ok(
        driver, "POST", "/driver/sessions", {"stationId": "E2E-DRIVE-201", "connectorId": 1}, 202
    )
    progress = await _until(driver, f"/driver/starts/{start['commandId']}", lambda body: body["sessionId"])
    session_id = progress["sessionId"]
    live = await _until(driver, f"/driver/sessions/{session_id}", lambda body: (body["energyWh"] or 0) > 0)
    assert live["status"] == "Active" and live["powerW"] > 0 and live["cost"] is None  # no tariff here
    await _ok(driver, "POST", f"/driver/sessions/{session_id}/stop", None, 202)

    # Then the session ends, and is the driver's history
    ended = await _until(driver, f"/driver/sessions/{session_id}", lambda body: body["status"] == "Completed")
    assert ended["energyWh"] >= live["energyWh"]
    history = await _ok(driver, "GET", "/driver/sessions")
    assert [item["sessionId"] for item in history["items"]] == [session_id]
