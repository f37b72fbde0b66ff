"""A 1.6J station's life through the gateway functions, on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from shared.gateway import websocket
from shared.gateway.passwords import hash_password
from tests.builders import PlatformUnderTest, a_station, an_id_token, platform_on_moto, session_id_of
from tests.events import authorizer_event, connect_event, disconnect_event, message_event


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto(publish_meter_value_events=True) as test_platform:
        test_platform.platform.stations.create(a_station(password_hash=hash_password("s3cret-s3cret")))
        test_platform.platform.id_tokens.create(an_id_token())
        yield test_platform


def connected(env: PlatformUnderTest, connection_id: str = "conn-1") -> dict[str, Any]:
    decision = websocket.authorize_connection(
        env.platform, authorizer_event("CP-1", password="s3cret-s3cret")
    )
    assert decision["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    authorizer = decision["context"]
    assert websocket.connect(env.platform, connect_event(authorizer, connection_id))["statusCode"] == 200
    return authorizer


def send(env: PlatformUnderTest, authorizer: dict[str, Any], frame: Any) -> Any:
    response = websocket.handle_message(env.platform, message_event(authorizer, frame))
    return json.loads(response["body"]) if "body" in response else None


def test_boot_authorize_charge_stop(env: PlatformUnderTest) -> None:
    # Given a connected station
    authorizer = connected(env)
    # When it boots, authorizes, starts, meters and stops
    boot = send(
        env,
        authorizer,
        [
            2,
            "b1",
            "BootNotification",
            {"chargePointVendor": "Acme", "chargePointModel": "X1", "firmwareVersion": "1.2"},
        ],
    )
    auth = send(env, authorizer, [2, "a1", "Authorize", {"idTag": "TAG-1"}])
    start = send(
        env,
        authorizer,
        [
            2,
            "s1",
            "StartTransaction",
            {"connectorId": 1, "idTag": "TAG-1", "meterStart": 1000, "timestamp": "2026-11-27T08:00:00Z"},
        ],
    )
    transaction_id = start[2]["transactionId"]
    meter = send(
        env,
        authorizer,
        [
            2,
            "m1",
            "MeterValues",
            {
                "connectorId": 1,
                "transactionId": transaction_id,
                "meterValue": [
                    {
                        "timestamp": "2026-11-27T08:05:00Z",
                        "sampledValue": [
                            {"value": "1500", "measurand": "Energy.Active.Import.Register", "unit": "Wh"},
                            {"value": "7.1", "measurand": "Power.Active.Import", "unit": "kW"},
                        ],
                    }
                ],
            },
        ],
    )
    stop = send(
        env,
        authorizer,
        [
            2,
            "x1",
            "StopTransaction",
            {
                "transactionId": transaction_id,
                "meterStop": 9000,
                "timestamp": "2026-11-27T09:00:00Z",
                "reason": "Local",
            },
        ],
    )
    # Then every answer is right and the session is complete with its energy
    assert boot[:2] == [3, "b1"] and boot[2]["status"] == "Accepted" and boot[2]["interval"] == 300
    assert auth == [3, "a1", {"idTagInfo": {"status": "Accepted"}}]
    assert start[2]["idTagInfo"] == {"status": "Accepted"} and isinstance(transaction_id, int)
    assert meter == [3, "m1", {}]
    assert stop == [3, "x1", {}]
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", transaction_id))
    assert session is not None and session.status == "Completed" and session.energy_wh == 8000
    station = env.platform.stations.get("CP-1")
    assert (
        station is not None
        and station.charger is not None
        and station.charger.vendor == "Acme"
        and station.charger.firmware_version == "1.2"
    )
    assert [event.detail_type for event in env.events.events] == [
        "StationConnected",
        "StationBooted",  # for the fleet monitoring's boot-loop alert
        "SessionStarted",
        "MeterValuesReceived",
        "SessionStopped",
    ]
    assert env.events.events[3].power_w == 7100  # type: ignore[attr-defined]


def test_start_transaction_retry_gets_same_id(env: PlatformUnderTest) -> None:
    authorizer = connected(env)
    payload = {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0, "timestamp": "2026-11-27T08:00:00Z"}
    first = send(env, authorizer, [2, "s1", "StartTransaction", payload])
    again = send(env, authorizer, [2, "s2", "StartTransaction", payload])
    other = send(
        env, authorizer, [2, "s3", "StartTransaction", {**payload, "timestamp": "2026-11-27T09:00:00Z"}]
    )
    assert first[2]["transactionId"] == again[2]["transactionId"]
    assert other[2]["transactionId"] != first[2]["transactionId"]


def test_repeated_stop_closes_once(env: PlatformUnderTest) -> None:
    authorizer = connected(env)
    start = send(
        env,
        authorizer,
        [
            2,
            "s1",
            "StartTransaction",
            {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0, "timestamp": "2026-11-27T08:00:00Z"},
        ],
    )
    stop = {"transactionId": start[2]["transactionId"], "meterStop": 500, "timestamp": "2026-11-27T08:30:00Z"}
    assert send(env, authorizer, [2, "x1", "StopTransaction", stop]) == [3, "x1", {}]
    assert send(env, authorizer, [2, "x2", "StopTransaction", {**stop, "meterStop": 999}]) == [3, "x2", {}]
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", start[2]["transactionId"]))
    assert session is not None and session.meter_stop_wh == 500
    assert [event.detail_type for event in env.events.events].count("SessionStopped") == 1


def test_late_disconnect_keeps_new_connection(env: PlatformUnderTest) -> None:
    old = connected(env, "conn-old")
    connected(env, "conn-new")
    websocket.disconnect(env.platform, disconnect_event(old, "conn-old"))
    station = env.platform.stations.get("CP-1")
    assert (
        station is not None
        and station.connection is not None
        and station.connection.connection_id == "conn-new"
    )


def test_wrong_password_is_unauthorized(env: PlatformUnderTest) -> None:
    with pytest.raises(websocket.UnauthorizedError):
        websocket.authorize_connection(env.platform, authorizer_event("CP-1", password="wrong"))
    with pytest.raises(websocket.UnauthorizedError):
        websocket.authorize_connection(env.platform, authorizer_event("CP-1"))


def test_unknown_station_is_denied(env: PlatformUnderTest) -> None:
    decision = websocket.authorize_connection(env.platform, authorizer_event("CP-404"))
    assert decision["policyDocument"]["Statement"][0]["Effect"] == "Deny"


def test_no_common_subprotocol_is_refused_by_connect(env: PlatformUnderTest) -> None:
    decision = websocket.authorize_connection(
        env.platform, authorizer_event("CP-1", password="s3cret-s3cret", protocols="ocpp2.1, ocpp1.5")
    )
    assert decision["policyDocument"]["Statement"][0]["Effect"] == "Allow"
    assert "protocol" not in decision["context"]
    refused = websocket.connect(
        env.platform, connect_event(decision["context"], protocols="ocpp2.1, ocpp1.5")
    )
    assert refused["statusCode"] == 400 and "ocpp1.6" in refused["body"]
    station = env.platform.stations.get("CP-1")
    assert station is not None and station.connection is None


def test_id_tokens_match_case_insensitively(env: PlatformUnderTest) -> None:
    # OCPP 1.6 IdToken is a CiString20Type: a reader may report the card in lower case.
    authorizer = connected(env)
    assert (
        send(env, authorizer, [2, "a1", "Authorize", {"idTag": "tag-1"}])[2]["idTagInfo"]["status"]
        == "Accepted"
    )
    token = env.platform.id_tokens.find("tenant-a", "Tag-1")
    assert token is not None and token.id_token == "TAG-1"
