"""The driver app API (/v1/driver/...) through the operator API's Lambda handler, on moto: a 1.6 station
on a site with coordinates, a driver's prepaid account with its token and a saved card (the Stripe
stand-in over HTTP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
import stripe

from functions.operator_api.handler import handler
from shared.api.app import app
from shared.api.dependencies import current_platform
from shared.billing.payments.stripe_provider import StripeProvider
from shared.billing.tasks import (
    CreateInvoiceInput,
    PriceSessionInput,
    create_invoice_task,
    price_session_task,
)
from shared.catalog import OPERATOR_API
from shared.gateway import websocket
from tests.billing.stripe_standin import StandIn, running_standin
from tests.builders import PlatformUnderTest, platform_on_moto
from tests.events import (
    authorizer_event,
    claims_for,
    connect_event,
    http_event,
    lambda_context,
    message_event,
)

ADMIN = claims_for("tenant-a", "admin")
DRIVER = {**claims_for("tenant-a", "driver"), "account_id": "acct-d1"}
OTHER_DRIVER = {**claims_for("tenant-a", "driver"), "account_id": "acct-d2"}
BOB_DRIVER = {**claims_for("tenant-b", "driver"), "account_id": "acct-d1"}
BERLIN = {"latitude": "52.5200", "longitude": "13.4050"}
D = Decimal


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with running_standin() as server:
        yield server


@pytest.fixture
def env(standin: StandIn) -> Iterator[PlatformUnderTest]:
    with platform_on_moto() as test_platform:
        client = stripe.StripeClient(
            "sk_test_standin", base_addresses={"api": standin.url}, max_network_retries=0
        )
        test_platform.platform.billing.stripe = StripeProvider(client, webhook_secret="whsec_test")
        app.dependency_overrides[current_platform] = lambda: test_platform.platform
        yield test_platform
        app.dependency_overrides.clear()


def call(
    method: str, path: str, claims: dict[str, Any] | None = DRIVER, body: Any = None, query: Any = None
) -> tuple[int, Any]:
    event = http_event(method, path, body=body, claims=claims, query=query)
    response = handler(event, lambda_context(OPERATOR_API))
    text = response.get("body") or ""
    return response["statusCode"], json.loads(text) if text else None


def created(path: str, body: dict[str, Any], status: int = 201) -> dict[str, Any]:
    answer, document = call("POST", path, ADMIN, body)
    assert answer == status, (path, document)
    return dict(document)


class Station:
    """A connected 1.6 station: sends frames as the charger would, reads what the platform sent it."""

    def __init__(self, env: PlatformUnderTest, station_id: str, site_id: str, connection_id: str) -> None:
        self.env, self.connection_id = env, connection_id
        registered = created("/v1/stations", {"stationId": station_id, "siteId": site_id})
        event = authorizer_event(station_id, password=registered["password"], connection_id=connection_id)
        self.authorizer = websocket.authorize_connection(env.platform, event)["context"]
        websocket.connect(env.platform, connect_event(self.authorizer, connection_id))
        self.send([2, "b1", "BootNotification", {"chargePointVendor": "Sim", "chargePointModel": "S1"}])
        self.send(
            [2, "s0", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}]
        )

    def send(self, frame: list[Any]) -> Any:
        reply = websocket.handle_message(
            self.env.platform, message_event(self.authorizer, frame, self.connection_id)
        )
        return json.loads(reply["body"]) if "body" in reply else None

    def received(self, action: str) -> list[Any]:
        return [frame for frame in self.env.connections.frames_to(self.connection_id) if frame[2] == action]


def priced_world(env: PlatformUnderTest) -> Station:
    """A site in Berlin (0.30 EUR/kWh on its station), one in Leipzig; the driver acct-d1 (token TAG-D1,
    a saved card) and another driver acct-d2 (TAG-D2)."""
    created(
        "/v1/sites", {"siteId": "berlin", "name": "Berlin depot", "latitude": 52.5163, "longitude": 13.3777}
    )
    created("/v1/sites", {"siteId": "leipzig", "name": "Leipzig", "latitude": 51.3397, "longitude": 12.3731})
    created("/v1/sites", {"siteId": "nowhere", "name": "Not on the map"})
    created(
        "/v1/tariffs",
        {
            "tariffId": "ENERGY-030",
            "currency": "EUR",
            "elements": [{"priceComponents": [{"type": "ENERGY", "price": "0.30", "stepSize": 1}]}],
        },
    )
    station = Station(env, "CP-B1", "berlin", "conn-b1")
    Station(env, "CP-L1", "leipzig", "conn-l1")
    assert call("PATCH", "/v1/stations/CP-B1", ADMIN, {"tariffId": "ENERGY-030"})[0] == 200
    for token in ("TAG-D1", "TAG-D1B", "TAG-D2"):
        created("/v1/id-tokens", {"idToken": token, "status": "Accepted"})
    created(
        "/v1/billing-accounts",
        {
            "billingAccountId": "acct-d1",
            "type": "PREPAID",
            "currency": "EUR",
            "idTokens": ["TAG-D1", "TAG-D1B"],
            "provider": "stripe",
            "providerCustomerId": "cus_driver1",
            "providerPaymentMethodId": "pm_card_visa",
        },
    )
    created(
        "/v1/billing-accounts",
        {"billingAccountId": "acct-d2", "type": "PREPAID", "currency": "EUR", "idTokens": ["TAG-D2"]},
    )
    return station


def test_stations_near_a_point_nearest_first_with_availability_and_price(env: PlatformUnderTest) -> None:
    priced_world(env)

    status, nearby = call("GET", "/v1/driver/stations", query={**BERLIN, "radiusKm": "5"})
    assert status == 200, nearby
    (station,) = nearby["items"]
    assert station["stationId"] == "CP-B1" and station["siteName"] == "Berlin depot"
    assert 1.5 < station["distanceKm"] < 2.0  # Alexanderplatz area to the Brandenburg Gate: ~1.8 km
    assert (station["state"], station["availableConnectors"]) == ("online", 1)
    assert station["connectors"] == [{"connectorId": 1, "status": "Available", "available": True}]
    assert station["price"]["tariffId"] == "ENERGY-030" and station["price"]["currency"] == "EUR"

    status, wide = call("GET", "/v1/driver/stations", query={**BERLIN, "radiusKm": "200"})
    assert [item["stationId"] for item in wide["items"]] == ["CP-B1", "CP-L1"]
    assert 145 < wide["items"][1]["distanceKm"] < 155 and wide["items"][1]["price"] is None
    assert (
        call("GET", "/v1/driver/stations", query={**BERLIN, "radiusKm": "200", "limit": "1"})[1]["items"][0][
            "stationId"
        ]
        == "CP-B1"
    )

    status, one = call("GET", "/v1/driver/stations/CP-L1")
    assert status == 200 and one["distanceKm"] is None and one["siteId"] == "leipzig"

    # bad input names the field; another tenant's station is not there
    status, body = call("GET", "/v1/driver/stations", query={"latitude": "91", "longitude": "13"})
    assert status == 400 and "latitude" in body["message"]
    status, body = call("GET", "/v1/driver/stations", query={"longitude": "13"})
    assert status == 400 and "latitude" in body["message"]
    status, body = call("GET", "/v1/driver/stations", query={**BERLIN, "radiusKm": "0"})
    assert status == 400 and "radiusKm" in body["message"]
    assert call("GET", "/v1/driver/stations/CP-B1", BOB_DRIVER)[0] == 404


def _start_charging(env: PlatformUnderTest, station: Station, body: dict[str, Any]) -> tuple[str, str]:
    """The driver starts by QR; the station accepts and starts the transaction. (command id, session id)"""
    status, start = call("POST", "/v1/driver/sessions", body=body)
    assert status == 202, start
    assert (start["status"], start["connectorId"]) == ("pending", body["connectorId"])
    (frame,) = station.received("RemoteStartTransaction")
    assert frame[3] == {"idTag": start["idToken"], "connectorId": body["connectorId"]}
    station.send([3, frame[1], {"status": "Accepted"}])
    status, progress = call("GET", f"/v1/driver/starts/{start['commandId']}")
    assert (status, progress["status"], progress["sessionId"]) == (200, "accepted", None)
    answer = station.send(
        [
            2,
            "t1",
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": start["idToken"],
                "meterStart": 1000,
                "timestamp": "2026-11-27T08:00:05Z",
            },
        ]
    )
    assert answer[2]["idTagInfo"]["status"] == "Accepted"
    status, progress = call("GET", f"/v1/driver/starts/{start['commandId']}")
    assert status == 200 and progress["sessionId"], progress
    return start["commandId"], progress["sessionId"]


def _meter(station: Station, transaction_id: str, at: str, wh: int, w: int) -> None:
    station.send(
        [
            2,
            f"m-{at}",
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": int(transaction_id),
                "meterValue": [
                    {
                        "timestamp": at,
                        "sampledValue": [
                            {"value": str(wh), "unit": "Wh", "measurand": "Energy.Active.Import.Register"},
                            {"value": str(w), "unit": "W", "measurand": "Power.Active.Import"},
                        ],
                    }
                ],
            },
        ]
    )


def test_start_by_qr_follow_stop_history_and_receipt(env: PlatformUnderTest) -> None:
    station = priced_world(env)
    command_id, session_id = _start_charging(env, station, {"stationId": "CP-B1", "connectorId": 1})
    transaction_id = session_id.rsplit(":", 1)[1]

    # the connector is charging now: a second start there is refused
    status, body = call("POST", "/v1/driver/sessions", body={"stationId": "CP-B1", "connectorId": 1})
    assert status == 409 and "already charging" in body["message"]

    # following it: energy, power and the cost so far as meter values arrive
    _meter(station, transaction_id, "2026-11-27T08:20:00Z", 4000, 11000)
    status, live = call("GET", f"/v1/driver/sessions/{session_id}")
    assert status == 200, live
    assert (live["status"], live["energyWh"], live["powerW"]) == ("Active", 3000, 11000)
    assert live["cost"] == {"amount": "0.90", "currency": "EUR", "final": False}
    _meter(station, transaction_id, "2026-11-27T08:40:00Z", 8000, 7400)
    live = call("GET", f"/v1/driver/sessions/{session_id}")[1]
    assert (live["energyWh"], live["powerW"], live["cost"]["amount"]) == (7000, 7400, "2.10")

    # stopping it: a remote stop of its transaction, then the station ends it
    status, stopped = call("POST", f"/v1/driver/sessions/{session_id}/stop")
    assert status == 202 and stopped["sessionId"] == session_id, stopped
    (frame,) = station.received("RemoteStopTransaction")
    assert frame[3] == {"transactionId": int(transaction_id)}
    station.send([3, frame[1], {"status": "Accepted"}])
    station.send(
        [
            2,
            "x1",
            "StopTransaction",
            {"transactionId": int(transaction_id), "meterStop": 9000, "timestamp": "2026-11-27T08:45:00Z",
             "reason": "Remote"},
        ]
    )  # fmt: skip
    ended = call("GET", f"/v1/driver/sessions/{session_id}")[1]
    assert (ended["status"], ended["energyWh"], ended["powerW"], ended["stopReason"]) == (
        "Completed",
        8000,
        None,
        "Remote",
    )
    assert ended["cost"] == {"amount": "2.40", "currency": "EUR", "final": False}
    status, body = call("POST", f"/v1/driver/sessions/{session_id}/stop")
    assert status == 409 and "ended" in body["message"]

    # history: newest first, with the ended session
    status, history = call("GET", "/v1/driver/sessions")
    assert status == 200 and [item["sessionId"] for item in history["items"]] == [session_id]
    assert history["items"][0]["energyWh"] == 8000
    assert call("GET", "/v1/driver/sessions", query={"status": "Active"})[1]["items"] == []

    # the receipt once billing priced it (the workflow's tasks, run here by hand)
    status, body = call("GET", f"/v1/driver/sessions/{session_id}/receipt")
    assert status == 404 and "not priced" in body["message"]
    ports = env.platform.billing.ports()
    price_session_task(ports, PriceSessionInput(tenant_id="tenant-a", session_id=session_id))
    create_invoice_task(ports, CreateInvoiceInput(tenant_id="tenant-a", session_id=session_id))
    status, receipt = call("GET", f"/v1/driver/sessions/{session_id}/receipt")
    assert status == 200, receipt
    assert receipt["cdr"]["totalCost"]["inclVat"] == "2.40" and D(receipt["cdr"]["totalEnergy"]) == 8
    (invoice,) = receipt["invoices"]
    assert (invoice["billingAccountId"], invoice["totalInclVat"]) == ("acct-d1", "2.40")
    assert call("GET", f"/v1/driver/sessions/{session_id}")[1]["cost"] == {
        "amount": "2.40",
        "currency": "EUR",
        "final": True,
    }

    # none of it is another driver's, or another tenant's
    for claims in (OTHER_DRIVER, BOB_DRIVER):
        assert call("GET", f"/v1/driver/sessions/{session_id}", claims)[0] == 404
        assert call("GET", f"/v1/driver/sessions/{session_id}/receipt", claims)[0] == 404
        assert call("POST", f"/v1/driver/sessions/{session_id}/stop", claims)[0] == 404
        assert call("GET", f"/v1/driver/starts/{command_id}", claims)[0] == 404
    assert call("GET", "/v1/driver/sessions", OTHER_DRIVER)[1]["items"] == []


def test_a_start_names_one_of_the_accounts_tokens_or_uses_the_first_active_one(
    env: PlatformUnderTest,
) -> None:
    station = priced_world(env)
    # the account's first token blocked: the next active one starts
    assert call("POST", "/v1/id-tokens/TAG-D1/block", ADMIN)[0] == 200
    status, start = call("POST", "/v1/driver/sessions", body={"stationId": "CP-B1", "connectorId": 1})
    assert (status, start["idToken"]) == (202, "TAG-D1B"), start
    # a named token must be the account's, and active
    status, body = call(
        "POST", "/v1/driver/sessions", body={"stationId": "CP-B1", "connectorId": 1, "idToken": "TAG-D2"}
    )
    assert status == 400 and "idToken" in body["message"]
    status, body = call(
        "POST", "/v1/driver/sessions", body={"stationId": "CP-B1", "connectorId": 1, "idToken": "tag-d1"}
    )
    assert status == 409 and "blocked" in body["message"]
    # unknown connector, faulted connector, another tenant's station, bad body
    status, body = call("POST", "/v1/driver/sessions", body={"stationId": "CP-B1", "connectorId": 2})
    assert status == 404 and "connector 2" in body["message"]
    station.send(
        [2, "s1", "StatusNotification", {"connectorId": 1, "errorCode": "GroundFailure", "status": "Faulted"}]
    )
    status, body = call("POST", "/v1/driver/sessions", body={"stationId": "CP-B1", "connectorId": 1})
    assert status == 409 and "Faulted" in body["message"]
    assert call("GET", "/v1/driver/stations/CP-B1")[1]["state"] == "faulted"
    assert call("POST", "/v1/driver/sessions", BOB_DRIVER, {"stationId": "CP-B1", "connectorId": 1})[0] == 404
    status, body = call("POST", "/v1/driver/sessions", body={"stationId": "CP-B1"})
    assert status == 400 and "connectorId" in body["message"]
    # the remote starts sent: only the one that passed the checks
    assert len(station.received("RemoteStartTransaction")) == 1


def test_wallet_top_up_is_paid_through_the_provider_then_credited_once(
    env: PlatformUnderTest, standin: StandIn
) -> None:
    priced_world(env)
    status, wallet = call("GET", "/v1/driver/wallet")
    assert (status, wallet["balance"], wallet["currency"]) == (200, "0", "EUR"), wallet

    status, top_up = call("POST", "/v1/driver/wallet/top-ups", body={"amount": "20.00", "topUpId": "tu-1"})
    assert status == 201, top_up
    assert (top_up["status"], D(top_up["wallet"]["balance"])) == ("succeeded", D("20.00"))
    assert top_up["paymentReference"].startswith("pi_")
    (intent,) = standin.intents.values()
    assert (intent["amount"], intent["currency"], intent["customer"]) == (2000, "eur", "cus_driver1")

    # the same top-up again charges and credits nothing more
    status, again = call("POST", "/v1/driver/wallet/top-ups", body={"amount": "20.00", "topUpId": "tu-1"})
    assert status == 201 and D(again["wallet"]["balance"]) == D("20.00")
    assert standin.created_intents == 1
    assert D(call("GET", "/v1/driver/wallet")[1]["balance"]) == D("20.00")

    # bad amounts, an account without a saved card, a declined card
    for amount, problem in (("0", "more than 0"), ("1.234", "decimal places"), ("-1", "amount")):
        status, body = call("POST", "/v1/driver/wallet/top-ups", body={"amount": amount})
        assert status == 400 and problem in body["message"], (amount, body)
    status, body = call("POST", "/v1/driver/wallet/top-ups", OTHER_DRIVER, {"amount": "5.00"})
    assert status == 409 and "saved card" in body["message"]
    created(
        "/v1/billing-accounts",
        {
            "billingAccountId": "acct-broke",
            "type": "PREPAID",
            "currency": "EUR",
            "provider": "stripe",
            "providerCustomerId": "cus_broke",
            "providerPaymentMethodId": "pm_card_chargeDeclinedInsufficientFunds",
        },
    )
    broke = {**claims_for("tenant-a", "driver"), "account_id": "acct-broke"}
    status, body = call("POST", "/v1/driver/wallet/top-ups", broke, {"amount": "5.00"})
    assert status == 402 and "insufficient" in body["message"], body
    assert call("GET", "/v1/driver/wallet", broke)[1]["balance"] == "0"


def test_only_a_driver_with_an_account_may_call_the_driver_api(env: PlatformUnderTest) -> None:
    priced_world(env)
    status, account = call("GET", "/v1/driver/account")
    assert status == 200 and account["idTokens"] == ["TAG-D1", "TAG-D1B"] and account["hasSavedCard"]
    status, body = call("GET", "/v1/driver/account", claims_for("tenant-a", "driver"))
    assert status == 403 and "account_id" in body["message"]
    status, body = call(
        "GET", "/v1/driver/account", {**claims_for("tenant-a", "driver"), "account_id": "nope"}
    )
    assert status == 404
    assert call("GET", "/v1/driver/wallet", ADMIN)[0] == 403  # operators use /v1/wallets
    assert call("GET", "/v1/stations", DRIVER)[0] == 403  # and drivers not the operator's routes


def test_sites_take_coordinates_validated(env: PlatformUnderTest) -> None:
    status, body = call("POST", "/v1/sites", ADMIN, {"name": "X", "latitude": 91, "longitude": 0})
    assert status == 400 and "latitude" in body["message"]
    status, body = call("POST", "/v1/sites", ADMIN, {"name": "X", "latitude": 10, "longitude": -181})
    assert status == 400 and "longitude" in body["message"]
    status, body = call("POST", "/v1/sites", ADMIN, {"name": "X", "latitude": 10})
    assert status == 400 and "longitude" in body["message"]
    site = created("/v1/sites", {"siteId": "s1", "name": "X", "latitude": 10.5, "longitude": -3.25})
    assert (site["latitude"], site["longitude"]) == (10.5, -3.25)
    status, moved = call("PATCH", "/v1/sites/s1", ADMIN, {"latitude": -33.9})
    assert status == 200 and (moved["latitude"], moved["longitude"]) == (-33.9, -3.25)
    status, body = call("PATCH", "/v1/sites/s1", ADMIN, {"longitude": None})
    assert status == 400 and "latitude" in body["message"]
    status, cleared = call("PATCH", "/v1/sites/s1", ADMIN, {"latitude": None, "longitude": None})
    assert status == 200 and cleared["latitude"] is None and cleared["longitude"] is None
    assert call("GET", "/v1/sites/s1", ADMIN)[1]["latitude"] is None


def test_the_driver_api_is_documented_under_its_own_tag(env: PlatformUnderTest) -> None:
    status, document = call("GET", "/v1/openapi.json", claims=None)
    assert status == 200
    driver_paths = {path: operations for path, operations in document["paths"].items() if "/driver/" in path}
    assert len(driver_paths) == 10, sorted(driver_paths)
    for operations in driver_paths.values():
        for operation in operations.values():
            assert (operation["tags"], operation["x-permission"]) == (["driver"], "drive")
    assert "402" in document["paths"]["/v1/driver/wallet/top-ups"]["post"]["responses"]
    site = document["components"]["schemas"]["SiteCreateWithEnergy"]["properties"]
    assert "latitude" in site and "longitude" in site


def _top_up(claims: dict[str, Any], body: dict[str, Any], idempotency_key: str) -> tuple[int, Any]:
    event = http_event("POST", "/v1/driver/wallet/top-ups", body=body, claims=claims)
    event["headers"]["idempotency-key"] = idempotency_key
    response = handler(event, lambda_context(OPERATOR_API))
    return response["statusCode"], json.loads(response["body"])


def test_two_drivers_choosing_the_same_ids_each_get_their_own_top_up(
    env: PlatformUnderTest, standin: StandIn
) -> None:
    priced_world(env)
    created(
        "/v1/billing-accounts",
        {
            "billingAccountId": "acct-d3",
            "type": "PREPAID",
            "currency": "EUR",
            "provider": "stripe",
            "providerCustomerId": "cus_driver3",
            "providerPaymentMethodId": "pm_card_visa",
        },
    )
    third = {**claims_for("tenant-a", "driver"), "account_id": "acct-d3"}
    body = {"amount": "10.00", "topUpId": "first"}
    assert _top_up(DRIVER, body, "key-1")[0] == 201
    status, answer = _top_up(third, body, "key-1")
    assert status == 201 and answer["wallet"]["walletId"] == "acct-d3", answer
    assert standin.created_intents == 2
    assert {intent["customer"] for intent in standin.intents.values()} == {"cus_driver1", "cus_driver3"}
    for claims in (DRIVER, third):
        assert D(call("GET", "/v1/driver/wallet", claims)[1]["balance"]) == D("10.00")
    # the same driver retrying with its key gets its first answer, and nothing is charged again
    assert _top_up(DRIVER, body, "key-1")[1]["wallet"]["walletId"] == "acct-d1"
    assert standin.created_intents == 2


def test_a_top_up_the_provider_has_not_settled_is_not_credited(env: PlatformUnderTest) -> None:
    priced_world(env)
    created(
        "/v1/billing-accounts",
        {
            "billingAccountId": "acct-slow",
            "type": "PREPAID",
            "currency": "EUR",
            "provider": "stripe",
            "providerCustomerId": "cus_slow",
            "providerPaymentMethodId": "pm_processing",
        },
    )
    slow = {**claims_for("tenant-a", "driver"), "account_id": "acct-slow"}
    status, answer = call("POST", "/v1/driver/wallet/top-ups", slow, {"amount": "10.00"})
    assert (status, answer["status"], answer["wallet"]["balance"]) == (201, "processing", "0")


def test_history_pages_newest_first_over_the_accounts_tokens(env: PlatformUnderTest) -> None:
    station = priced_world(env)
    # seven ended sessions a day apart: five of the account's two tokens, two of another driver's
    for number, token in enumerate(["TAG-D1", "TAG-D1B", "TAG-D2"] * 2 + ["TAG-D1"]):
        started = f"2026-11-2{number}T08:00:00Z"
        start = {"connectorId": 1, "idTag": token, "meterStart": 0, "timestamp": started}
        transaction_id = station.send([2, f"t{number}", "StartTransaction", start])[2]["transactionId"]
        stop = {
            "transactionId": transaction_id,
            "meterStop": 1000,
            "timestamp": started.replace("T08", "T09"),
        }
        station.send([2, f"x{number}", "StopTransaction", stop])
    # and one still charging, the newest
    start = {"connectorId": 1, "idTag": "TAG-D1B", "meterStart": 0, "timestamp": "2026-11-28T08:00:00Z"}
    station.send([2, "t-live", "StartTransaction", start])

    def walk(**query: str) -> list[str]:
        seen: list[str] = []
        cursor: str | None = None
        while True:
            status, page = call(
                "GET",
                "/v1/driver/sessions",
                query={"limit": "2", **query, **({"cursor": cursor} if cursor else {})},
            )
            assert status == 200, page
            seen += [item["startedAt"][:10] for item in page["items"]]
            cursor = page["nextCursor"]
            if cursor is None:
                return seen

    ended = ["2026-11-26", "2026-11-24", "2026-11-23", "2026-11-21", "2026-11-20"]
    assert walk() == ["2026-11-28", *ended]
    assert walk(status="Completed") == ended
    assert walk(status="Active") == ["2026-11-28"]
    assert len(call("GET", "/v1/driver/sessions", OTHER_DRIVER)[1]["items"]) == 2
    status, body = call("GET", "/v1/driver/sessions", query={"cursor": "garbage"})
    assert status == 400 and "cursor" in body["message"]


def test_an_operators_start_stored_unsent_is_no_start_the_driver_follows(env: PlatformUnderTest) -> None:
    # an operator's remote start to a station that is offline is stored in the neutral shape
    priced_world(env)
    created("/v1/stations", {"stationId": "CP-OFF", "siteId": "berlin"})
    status, command = call("POST", "/v1/stations/CP-OFF/remote-start", ADMIN, {"idToken": "TAG-D1"})
    assert status == 202, command
    status, body = call("GET", f"/v1/driver/starts/{command['commandId']}")
    assert status == 404, body
