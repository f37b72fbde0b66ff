"""Issue 15's "done when", end to end on the local platform: a simulated OCPP 1.6J charger on a station
priced at 0.30 EUR/kWh ends its session with StopTransaction delivered twice; the SessionStopped event
reaches the billing workflow through the EventBridge rule, moto runs the billing ASL with the real
``billing_tasks`` handler, and the operator API shows the cost, one invoice, one wallet debit and the
revenue split."""

from __future__ import annotations

import asyncio
import json
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest

from shared.catalog import EVENT_SOURCE
from tests.e2e.conftest import DEMO_PASSWORD, OperatorClient, start_charger
from tools.local_platform import LocalPlatform
from tools.local_platform.aws_backend import EVENT_BUS_NAME
from tools.simulator import SimulatedCharger

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

STATION = "E2E-BILL-1"
STATION_201 = "E2E-BILL-201"
SITE = "e2e-depot"
TAG = "TAG-E2E"
ACCOUNT = "e2e-driver"
D = Decimal


async def _created(operator: OperatorClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    status, created = await operator.call("POST", path, body)
    assert status == 201, (path, created)
    return dict(created)


async def _priced_tenant(operator: OperatorClient, station_id: str = STATION) -> str:
    """A site shared 20 % with its host and 5 % with the platform, a station on it priced at 0.30 EUR/kWh
    (OCPI tariff assigned with PATCH), and a prepaid wallet of 50.00 EUR for the charger's ID tag.
    Returns the wallet's id."""
    await _created(operator, "/sites", {"siteId": SITE, "name": "E2E depot", "timezone": "Europe/Berlin"})
    status, split = await operator.call(
        "PATCH",
        f"/sites/{SITE}/revenue-split",
        {"hostId": "host-1", "hostSharePercent": "20", "platformFeePercent": "5"},
    )
    assert status == 200, split
    await _created(
        operator, "/stations", {"stationId": station_id, "siteId": SITE, "password": DEMO_PASSWORD}
    )
    await _created(operator, "/id-tokens", {"idToken": TAG, "status": "Accepted"})
    await _created(
        operator,
        "/tariffs",
        {
            "tariffId": "ENERGY-030",
            "currency": "EUR",
            "elements": [{"priceComponents": [{"type": "ENERGY", "price": "0.30", "stepSize": 1}]}],
        },
    )
    status, station = await operator.call("PATCH", f"/stations/{station_id}", {"tariffId": "ENERGY-030"})
    assert (status, station.get("tariffId")) == (200, "ENERGY-030"), station
    account = await _created(
        operator,
        "/billing-accounts",
        {"billingAccountId": ACCOUNT, "type": "PREPAID", "currency": "EUR", "idTokens": [TAG]},
    )
    wallet_id = str(account["walletId"])
    await _created(operator, f"/wallets/{wallet_id}/top-ups", {"amount": "50.00", "topUpId": "first"})
    return wallet_id


async def _until(operator: OperatorClient, path: str, ready: Any, within: float = 20) -> Any:
    """Polls ``path`` until ``ready(body)``, failing after ``within`` seconds."""
    body: Any = None
    async with asyncio.timeout(within):
        while True:
            status, body = await operator.call("GET", path)
            assert status == 200, (path, body)
            if ready(body):
                return body
            await asyncio.sleep(0.2)


async def test_a_session_stopped_twice_is_priced_invoiced_debited_and_split_once(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[SimulatedCharger]
) -> None:
    # Given a station priced at 0.30 EUR/kWh and a driver's wallet holding 50.00 EUR
    wallet_id = await _priced_tenant(operator)

    # When the simulated charger runs one simulated hour of charging and sends its StopTransaction twice
    charger = await start_charger(
        platform,
        chargers,
        STATION,
        sessions=1,
        session_seconds=3600.0,
        meter_interval_seconds=300.0,
        time_scale=900.0,
        stop_transaction_deliveries=2,
    )
    await charger.wait_until(lambda c: c.planned_sessions_done.is_set(), within=30)
    (completed,) = charger.completed_transactions
    stops = [record for record in charger.call_log.calls.values() if record.action == "StopTransaction"]
    assert [record.answer for record in stops] == ["result", "result"]
    status, listing = await operator.call("GET", f"/sessions?stationId={STATION}")
    assert status == 200
    (listed,) = listing["items"]
    session_id = str(listed["sessionId"])
    assert listed["energyWh"] == completed.energy_wh > 0

    # Then within seconds the session shows its exact cost: energy x 0.30 EUR/kWh, rounded half up to cents
    expected = (D(completed.energy_wh) * D("0.30") / 1000).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    session = await _until(operator, f"/sessions/{session_id}", lambda body: body.get("cost") is not None)
    cost = session["cost"]
    assert (cost["total"], cost["currency"]) == (str(expected), "EUR"), cost
    assert {line["dimension"] for line in cost["breakdown"]} == {"ENERGY"}, cost["breakdown"]
    assert sum(D(line["inclVat"]) for line in cost["breakdown"]) == expected

    # exactly one invoice for it, paid
    invoices = await _until(
        operator,
        f"/invoices?sessionId={session_id}",
        lambda body: any(invoice["status"] == "paid" for invoice in body["items"]),
    )
    (invoice,) = invoices["items"]
    assert (invoice["totalInclVat"], invoice["billingAccountId"]) == (str(expected), ACCOUNT)
    status, cdrs = await operator.call("GET", f"/cdrs?sessionId={session_id}")
    assert status == 200 and len(cdrs["items"]) == 1, cdrs

    # the wallet debited once
    status, wallet = await operator.call("GET", f"/wallets/{wallet_id}")
    assert status == 200 and D(wallet["balance"]) == D("50.00") - expected, wallet
    status, history = await operator.call("GET", f"/wallets/{wallet_id}/history")
    assert status == 200
    assert sorted(D(movement["amount"]) for movement in history["items"]) == sorted([D("50.00"), -expected])

    # and the ledger's revenue report shows the operator's, the host's and the platform's shares
    status, revenue = await operator.call("GET", f"/revenue?siteId={SITE}")
    assert status == 200, revenue
    shares = {line["stakeholder"]: D(line["amount"]) for line in revenue["lines"]}
    host_share = (expected * D("0.20")).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    platform_fee = (expected * D("0.05")).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    operator_share = expected - host_share - platform_fee
    assert shares == {"operator": operator_share, "host": host_share, "platform": platform_fee}
    assert sum(shares.values()) == expected

    # When EventBridge delivers the SessionStopped event once more (it delivers at least once)
    executions = _billing_runs(platform)
    assert [execution["status"] for execution in executions()] == ["SUCCEEDED"]
    platform.aws_client("events").put_events(
        Entries=[
            {
                "Source": EVENT_SOURCE,
                "DetailType": "SessionStopped",
                # what the billing trigger reads of the event (the full session document is not needed)
                "Detail": json.dumps(
                    {"tenantId": "demo", "stationId": STATION, "session": {"sessionId": session_id}}
                ),
                "EventBusName": EVENT_BUS_NAME,
            }
        ]
    )
    async with asyncio.timeout(20):
        while [execution["status"] for execution in executions()] != ["SUCCEEDED", "SUCCEEDED"]:  # noqa: ASYNC110 - moto has no event to await
            await asyncio.sleep(0.2)

    # Then the second run found everything done: still one invoice, one debit, one split
    status, again = await operator.call("GET", f"/invoices?sessionId={session_id}")
    assert status == 200 and [invoice["invoiceId"] for invoice in again["items"]] == [invoice["invoiceId"]]
    status, wallet = await operator.call("GET", f"/wallets/{wallet_id}")
    assert D(wallet["balance"]) == D("50.00") - expected
    status, revenue = await operator.call("GET", f"/revenue?siteId={SITE}")
    assert {line["stakeholder"]: D(line["amount"]) for line in revenue["lines"]} == shares


async def test_a_201_charger_is_told_at_the_end_what_the_workflow_then_charges(
    platform: LocalPlatform, operator: OperatorClient, chargers: list[SimulatedCharger]
) -> None:
    # Given a 2.0.1 station priced at 0.30 EUR/kWh (ws_default with only its catalog grants)
    await _priced_tenant(operator, STATION_201)

    # When the charger runs one simulated hour of charging
    charger = await start_charger(
        platform,
        chargers,
        STATION_201,
        protocol="2.0.1",
        sessions=1,
        session_seconds=3600.0,
        meter_interval_seconds=300.0,
        time_scale=900.0,
    )
    await charger.wait_until(lambda c: c.planned_sessions_done.is_set(), within=30)
    (completed,) = charger.completed_transactions
    assert completed.energy_wh > 0

    # Then its Ended event was answered with the cost, and the billing workflow charges exactly that
    expected = (D(completed.energy_wh) * D("0.30") / 1000).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    assert completed.total_cost is not None and D(str(completed.total_cost)) == expected
    status, listing = await operator.call("GET", f"/sessions?stationId={STATION_201}")
    assert status == 200
    (listed,) = listing["items"]
    session = await _until(
        operator, f"/sessions/{listed['sessionId']}", lambda body: body.get("cost") is not None
    )
    assert (session["cost"]["total"], session["cost"]["currency"]) == (str(expected), "EUR")


def _billing_runs(platform: LocalPlatform) -> Any:
    """The per-session billing workflow's executions, oldest first (moto lists Express ones too)."""
    stepfunctions = platform.aws_client("stepfunctions")
    arn = platform.workflows.state_machine_arns["billing_session"]

    def executions() -> list[dict[str, Any]]:
        listed = stepfunctions.list_executions(stateMachineArn=arn)["executions"]
        return sorted(listed, key=lambda execution: execution["startDate"])

    return executions
