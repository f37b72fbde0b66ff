"""The operator API through its Lambda handler, on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.operator_api.handler import handler
from shared.api.app import app
from shared.api.dependencies import current_platform
from shared.catalog import OPERATOR_API
from shared.gateway import websocket
from tests.builders import PlatformUnderTest, platform_on_moto
from tests.events import (
    authorizer_event,
    claims_for,
    connect_event,
    http_event,
    lambda_context,
    message_event,
)

ALICE = claims_for("tenant-a", "admin")
BOB = claims_for("tenant-b", "admin")
VIEWER = claims_for("tenant-a", "viewer")


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto() as test_platform:
        app.dependency_overrides[current_platform] = lambda: test_platform.platform
        yield test_platform
        app.dependency_overrides.clear()


def call(
    method: str,
    path: str,
    claims: dict[str, str] | None = ALICE,
    body: Any = None,
    query: dict[str, str] | None = None,
) -> tuple[int, Any]:
    event = http_event(method, path, body=body, claims=claims, query=query)
    response = handler(event, lambda_context(OPERATOR_API))
    text = response.get("body") or ""
    return response["statusCode"], json.loads(text) if text else None


def register_and_connect(
    env: PlatformUnderTest, station_id: str = "CP-1", connection_id: str = "conn-1"
) -> tuple[dict[str, Any], str]:
    """Registers a station through the API and connects it with the password the API generated."""
    status, created = call("POST", "/v1/stations", body={"stationId": station_id})
    assert status == 201, created
    event = authorizer_event(station_id, password=created["password"], connection_id=connection_id)
    authorizer = websocket.authorize_connection(env.platform, event)["context"]
    websocket.connect(env.platform, connect_event(authorizer, connection_id))
    return authorizer, created["password"]


def test_register_and_read_station(env: PlatformUnderTest) -> None:
    status, created = call("POST", "/v1/stations", body={"stationId": "CP-1", "password": "0123456789abcdef"})
    assert (
        status == 201
        and created["stationId"] == "CP-1"
        and created["online"] is False
        and created["hasPassword"]
    )
    assert "password" not in json.dumps(created).lower().replace("haspassword", "")
    status, fetched = call("GET", "/v1/stations/CP-1")
    assert status == 200 and fetched["connectivity"] == "offline"
    status, listed = call("GET", "/v1/stations")
    assert status == 200 and [item["stationId"] for item in listed["items"]] == ["CP-1"]


def test_duplicate_station_conflicts(env: PlatformUnderTest) -> None:
    call("POST", "/v1/stations", body={"stationId": "CP-1"})
    status, body = call("POST", "/v1/stations", body={"stationId": "CP-1"})
    assert status == 409 and "already exists" in body["message"]


def test_validation_error_names_the_field(env: PlatformUnderTest) -> None:
    status, body = call("POST", "/v1/stations", body={"stationId": "bad:id"})
    assert status == 400 and "stationId" in body["message"]
    status, body = call("POST", "/v1/id-tokens", body={"status": "Accepted"})
    assert status == 400 and "idToken" in body["message"]


def test_other_tenant_sees_nothing(env: PlatformUnderTest) -> None:
    call("POST", "/v1/stations", body={"stationId": "CP-1"})
    call("POST", "/v1/id-tokens", body={"idToken": "TAG-1"})
    assert call("GET", "/v1/stations/CP-1", claims=BOB)[0] == 404
    assert call("GET", "/v1/stations", claims=BOB)[1]["items"] == []
    assert call("GET", "/v1/id-tokens/TAG-1", claims=BOB)[0] == 404
    assert call("PATCH", "/v1/stations/CP-1", claims=BOB, body={"blocked": True})[0] == 404
    assert call("DELETE", "/v1/stations/CP-1", claims=BOB)[0] == 404
    assert (
        call(
            "POST",
            "/v1/stations/CP-1/commands",
            claims=BOB,
            body={"action": "Reset", "payload": {"type": "Soft"}},
        )[0]
        == 404
    )
    assert call("GET", "/v1/stations/CP-1")[0] == 200


def test_viewer_cannot_write(env: PlatformUnderTest) -> None:
    status, body = call("POST", "/v1/stations", claims=VIEWER, body={"stationId": "CP-1"})
    assert status == 403 and "role" in body["message"]


def test_token_without_tenant_is_forbidden(env: PlatformUnderTest) -> None:
    assert call("GET", "/v1/stations", claims={"sub": "x"})[0] == 403


def test_id_token_block_unblock(env: PlatformUnderTest) -> None:
    assert (
        call("POST", "/v1/id-tokens", body={"idToken": "TAG-1", "expiresAt": "2030-01-01T00:00:00Z"})[0]
        == 201
    )
    assert call("POST", "/v1/id-tokens/TAG-1/block")[1]["status"] == "Blocked"
    assert call("POST", "/v1/id-tokens/TAG-1/unblock")[1]["status"] == "Accepted"
    assert call("GET", "/v1/id-tokens/TAG-1")[1]["expiresAt"].startswith("2030-01-01")


def test_command_round_trip(env: PlatformUnderTest) -> None:
    # Given a connected station
    authorizer, _ = register_and_connect(env)
    # When an operator sends a reset
    status, sent = call(
        "POST", "/v1/stations/CP-1/commands", body={"action": "Reset", "payload": {"type": "Hard"}}
    )
    # Then the frame reaches the charger, and its answer completes the command
    assert status == 202 and sent["status"] == "pending"
    [frame] = env.connections.frames_to("conn-1")
    assert frame == [2, sent["commandId"], "Reset", {"type": "Hard"}]
    reply = websocket.handle_message(
        env.platform, message_event(authorizer, [3, sent["commandId"], {"status": "Accepted"}])
    )
    assert "body" not in reply
    status, command = call("GET", f"/v1/commands/{sent['commandId']}")
    assert status == 200 and command["status"] == "accepted" and command["response"] == {"status": "Accepted"}
    assert call("GET", f"/v1/commands/{sent['commandId']}", claims=BOB)[0] == 404


def test_command_to_offline_station(env: PlatformUnderTest) -> None:
    call("POST", "/v1/stations", body={"stationId": "CP-1"})
    status, sent = call("POST", "/v1/stations/CP-1/reset", body={"type": "Soft"})
    assert status == 202 and sent["status"] == "offline"


def test_command_to_gone_connection_is_offline(env: PlatformUnderTest) -> None:
    register_and_connect(env)
    env.connections.gone.add("conn-1")
    status, sent = call("POST", "/v1/stations/CP-1/reset", body={"type": "Soft"})
    assert status == 202 and sent["status"] == "offline"
    assert call("GET", "/v1/stations/CP-1")[1]["online"] is False


def test_invalid_command_payload_is_400(env: PlatformUnderTest) -> None:
    call("POST", "/v1/stations", body={"stationId": "CP-1"})
    status, body = call(
        "POST", "/v1/stations/CP-1/commands", body={"action": "Reset", "payload": {"type": "Sideways"}}
    )
    assert status == 400 and "Reset" in body["message"]
    status, body = call(
        "POST", "/v1/stations/CP-1/commands", body={"action": "BootNotification", "payload": {}}
    )
    assert status == 400 and "not a call the CSMS can send" in body["message"]


def test_command_error_answer_marks_failed(env: PlatformUnderTest) -> None:
    authorizer, _ = register_and_connect(env)
    _, sent = call("POST", "/v1/stations/CP-1/commands", body={"action": "GetConfiguration", "payload": {}})
    websocket.handle_message(
        env.platform, message_event(authorizer, [4, sent["commandId"], "NotImplemented", "nope", {}])
    )
    command = call("GET", f"/v1/commands/{sent['commandId']}")[1]
    assert command["status"] == "failed" and command["error"]["code"] == "NotImplemented"


def test_command_times_out_without_answer(env: PlatformUnderTest) -> None:
    register_and_connect(env)
    _, sent = call("POST", "/v1/stations/CP-1/commands", body={"action": "ClearCache", "payload": {}})
    env.clock.advance(61)
    assert call("GET", f"/v1/commands/{sent['commandId']}")[1]["status"] == "timeout"


def test_sessions_listed_with_energy(env: PlatformUnderTest) -> None:
    call("POST", "/v1/id-tokens", body={"idToken": "TAG-1"})
    authorizer, _ = register_and_connect(env)

    def send(frame: list[Any]) -> Any:
        return json.loads(websocket.handle_message(env.platform, message_event(authorizer, frame))["body"])

    start = send(
        [
            2,
            "s1",
            "StartTransaction",
            {"connectorId": 1, "idTag": "TAG-1", "meterStart": 100, "timestamp": "2026-11-27T08:00:00Z"},
        ]
    )
    tx = start[2]["transactionId"]
    send(
        [
            2,
            "m1",
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": tx,
                "meterValue": [
                    {"timestamp": "2026-11-27T08:10:00Z", "sampledValue": [{"value": "1.1", "unit": "kWh"}]}
                ],
            },
        ]
    )
    env.deliver_meter_stream()  # the session list shows the last reading the stream projected
    live = call("GET", "/v1/sessions", query={"status": "Active"})[1]["items"]
    assert [item["energyWh"] for item in live] == [1000]
    send(
        [
            2,
            "x1",
            "StopTransaction",
            {
                "transactionId": tx,
                "meterStop": 2100,
                "timestamp": "2026-11-27T09:00:00Z",
                "reason": "EVDisconnected",
            },
        ]
    )
    listed = call("GET", "/v1/sessions", query={"stationId": "CP-1"})[1]["items"]
    assert (
        listed[0]["energyWh"] == 2000
        and listed[0]["status"] == "Completed"
        and listed[0]["stopReason"] == "EVDisconnected"
    )
    detail = call("GET", f"/v1/sessions/{listed[0]['sessionId']}")[1]
    assert detail["meterValues"][0]["sampledValue"][0]["value"] == "1.1"
    assert call("GET", "/v1/sessions", claims=BOB)[1]["items"] == []
    assert call("GET", f"/v1/sessions/{listed[0]['sessionId']}", claims=BOB)[0] == 404


def test_openapi_document_is_served(env: PlatformUnderTest) -> None:
    status, document = call("GET", "/v1/openapi.json", claims=None)
    assert status == 200 and document["openapi"].startswith("3.") and "/v1/stations" in document["paths"]


def test_unknown_route_is_json_404(env: PlatformUnderTest) -> None:
    status, body = call("GET", "/v1/nothing-here")
    assert status == 404 and "no route" in body["message"]


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status", "message_part"),
    [
        ("POST", "/v1/stations", {"body": "not json"}, 400, "body"),
        ("GET", "/v1/stations", {"query": {"limit": "abc"}}, 400, "limit"),
        ("GET", "/v1/stations", {"query": {"limit": "1000"}}, 400, "limit"),
        ("GET", "/v1/stations", {"query": {"cursor": "garbage!!"}}, 400, "cursor"),
        ("GET", "/v1/sessions", {"query": {"cursor": "eyJhIjogMX0"}}, 400, "cursor"),
        ("GET", "/v1/sessions", {"query": {"from": "yesterday"}}, 400, "from"),
        ("POST", "/v1/stations", {"body": {"stationId": "CP-9", "extra": 1}}, 400, "extra"),
        ("POST", "/v1/stations", {"body": {"stationId": "CP-9", "siteId": "nosuch"}}, 400, "siteId"),
        ("POST", "/v1/stations", {"body": {"stationId": "CP-9", "password": "short"}}, 400, "password"),
        ("PATCH", "/v1/stations/CP-404", {"body": {"blocked": True}}, 404, "CP-404"),
        ("POST", "/v1/stations/CP-404/remote-stop", {"body": {}}, 400, "sessionId"),
    ],
)
def test_bad_requests_get_clear_errors(
    env: PlatformUnderTest, method: str, path: str, kwargs: dict[str, Any], status: int, message_part: str
) -> None:
    body = kwargs.get("body")
    event = http_event(
        method, path, claims=ALICE, query=kwargs.get("query"), body=None if isinstance(body, str) else body
    )
    if isinstance(body, str):
        event["body"] = body
    response = handler(event, lambda_context(OPERATOR_API))
    assert response["statusCode"] == status
    assert message_part in json.loads(response["body"])["message"]


def test_sites_and_station_placement(env: PlatformUnderTest) -> None:
    status, site = call(
        "POST", "/v1/sites", body={"siteId": "depot-1", "name": "Depot", "maxCurrentAmps": 60}
    )
    assert status == 201 and site["siteId"] == "depot-1"
    assert (
        call("POST", "/v1/stations", body={"stationId": "CP-1", "siteId": "depot-1"})[1]["siteId"]
        == "depot-1"
    )
    assert call("GET", "/v1/stations", query={"siteId": "depot-1"})[1]["items"][0]["stationId"] == "CP-1"
    assert call("PATCH", "/v1/stations/CP-1", body={"siteId": None})[1]["siteId"] is None
    assert call("GET", "/v1/sites/depot-1", claims=BOB)[0] == 404


def test_pagination_walks_every_station(env: PlatformUnderTest) -> None:
    for index in range(5):
        call("POST", "/v1/stations", body={"stationId": f"CP-{index}"})
    seen: list[str] = []
    cursor: str | None = None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = call("GET", "/v1/stations", query=query)[1]
        seen += [item["stationId"] for item in page["items"]]
        cursor = page["nextCursor"]
        if not cursor:
            break
    assert sorted(seen) == [f"CP-{index}" for index in range(5)]


def test_blocking_a_connected_station_drops_it(env: PlatformUnderTest) -> None:
    _, password = register_and_connect(env)
    assert call("PATCH", "/v1/stations/CP-1", body={"blocked": True})[1]["blocked"] is True
    assert env.connections.closed == ["conn-1"]
    refused = websocket.authorize_connection(env.platform, authorizer_event("CP-1", password=password))
    assert refused["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_deleting_a_connected_station_drops_it(env: PlatformUnderTest) -> None:
    register_and_connect(env)
    assert call("DELETE", "/v1/stations/CP-1")[0] == 204
    assert env.connections.closed == ["conn-1"]
    assert call("GET", "/v1/stations/CP-1")[0] == 404


def test_cors_preflight_needs_no_token(env: PlatformUnderTest) -> None:
    event = http_event("OPTIONS", "/v1/stations", claims=None)
    event["headers"].update({"origin": "http://127.0.0.1:9000", "access-control-request-method": "POST"})
    response = handler(event, lambda_context(OPERATOR_API))
    assert response["statusCode"] == 204
    assert response["headers"]["Access-Control-Allow-Origin"] == "http://127.0.0.1:9000"


def test_data_transfer_is_kept_and_readable(env: PlatformUnderTest) -> None:
    authorizer, _ = register_and_connect(env)
    data = json.dumps({"t": 41})
    frame = [2, "d1", "DataTransfer", {"vendorId": "com.acme", "messageId": "diag", "data": data}]
    reply = websocket.handle_message(env.platform, message_event(authorizer, frame))
    # No vendor is configured (DATA_TRANSFER_VENDORS): kept for support, but not pretended understood.
    assert json.loads(reply["body"]) == [3, "d1", {"status": "UnknownVendorId"}]
    status, listing = call("GET", "/v1/stations/CP-1/messages", query={"kind": "DataTransfer"})
    assert status == 200
    kept = [(message["vendorId"], message["messageId"], message["data"]) for message in listing["items"]]
    assert kept == [("com.acme", "diag", data)]
    assert call("GET", "/v1/stations/CP-1/messages", claims=BOB)[0] == 404
    assert call("GET", "/v1/stations/CP-1/messages", query={"kind": "Other"})[0] == 400
