"""Issue 18 item 2, the API half: station ids are global (a charger's URL carries only its id), a
taken id is refused with the same neutral words whoever holds it, and every station has a password,
generated and shown once when the operator gives none."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.catalog import SUPPORTED_SUBPROTOCOLS
from shared.gateway import websocket
from shared.gateway.passwords import verify_password
from tests.builders import PlatformUnderTest
from tests.events import authorizer_event
from tests.robustness.api_client import ADMIN_A, ADMIN_B, operator_api_on_moto, send


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with operator_api_on_moto(ocpp_public_url="wss://ocpp.example.com/ocpp/") as test_platform:
        yield test_platform


def test_taken_id_gets_the_same_answer_from_every_tenant(env: PlatformUnderTest) -> None:
    # Given tenant A holds CP-1
    assert send("POST", "/v1/stations", body={"stationId": "CP-1"}, claims=ADMIN_A).status == 201
    # When A registers it again, and B tries the same id
    own = send("POST", "/v1/stations", body={"stationId": "CP-1"}, claims=ADMIN_A)
    other = send("POST", "/v1/stations", body={"stationId": "CP-1"}, claims=ADMIN_B)
    # Then both get the same 409 body, which names no tenant
    assert own.status == other.status == 409
    assert own.text == other.text
    assert "tenant" not in other.text.lower()


def test_station_without_a_password_gets_a_generated_one(env: PlatformUnderTest) -> None:
    answer = send("POST", "/v1/stations", body={"stationId": "CP-1"})
    assert answer.status == 201
    password = answer.body["password"]
    assert len(password) >= 24 and answer.body["hasPassword"] is True
    stored = env.platform.stations.get("CP-1")
    assert stored is not None and stored.password_hash and verify_password(password, stored.password_hash)
    assert password not in str(stored.to_document())
    # shown once: never in a later read
    assert "password" not in send("GET", "/v1/stations/CP-1").body
    assert all("password" not in item for item in send("GET", "/v1/stations").body["items"])


def test_generated_passwords_differ(env: PlatformUnderTest) -> None:
    first = send("POST", "/v1/stations", body={"stationId": "CP-1"}).body["password"]
    second = send("POST", "/v1/stations", body={"stationId": "CP-2"}).body["password"]
    assert first != second


def test_given_password_is_not_echoed(env: PlatformUnderTest) -> None:
    answer = send("POST", "/v1/stations", body={"stationId": "CP-1", "password": "0123456789abcdef"})
    assert answer.status == 201 and "password" not in answer.body and answer.body["hasPassword"] is True


def test_registration_tells_what_to_type_into_the_charger(env: PlatformUnderTest) -> None:
    answer = send("POST", "/v1/stations", body={"stationId": "CP-1"})
    assert answer.body["ocppUrl"] == "wss://ocpp.example.com/ocpp/CP-1"
    assert answer.body["subprotocols"] == list(SUPPORTED_SUBPROTOCOLS)
    assert answer.body["basicAuthUser"] == "CP-1"


def test_charger_connects_with_what_the_registration_said(env: PlatformUnderTest) -> None:
    # Given a station registered without a password
    answer = send("POST", "/v1/stations", body={"stationId": "CP-1"}).body
    # When the charger connects without one, it is refused; with the generated one, accepted
    with pytest.raises(websocket.UnauthorizedError):
        websocket.authorize_connection(env.platform, authorizer_event("CP-1"))
    accepted = websocket.authorize_connection(
        env.platform, authorizer_event(answer["basicAuthUser"], password=answer["password"])
    )
    assert accepted["policyDocument"]["Statement"][0]["Effect"] == "Allow"


def test_a_squatted_id_does_not_capture_a_charger_without_password(env: PlatformUnderTest) -> None:
    # Tenant B pre-registers the id of A's charger; the real charger (no password) cannot connect into B
    send("POST", "/v1/stations", body={"stationId": "VICTIM-1"}, claims=ADMIN_B)
    with pytest.raises(websocket.UnauthorizedError):
        websocket.authorize_connection(env.platform, authorizer_event("VICTIM-1"))


def test_password_cannot_be_removed(env: PlatformUnderTest) -> None:
    send("POST", "/v1/stations", body={"stationId": "CP-1"})
    answer = send("PATCH", "/v1/stations/CP-1", body={"password": None})
    assert answer.status == 400 and "password" in answer.body["message"]
    assert send("GET", "/v1/stations/CP-1").body["hasPassword"] is True
    assert send("PATCH", "/v1/stations/CP-1", body={"password": "a-new-password-123"}).status == 200
