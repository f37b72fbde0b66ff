"""Issue 18 item 15: Idempotency-Key is honoured on every POST (it used to be ignored, so a retried
POST created a second command)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.api.routing import ROUTE_PERMISSIONS
from shared.catalog import HTTP_ROUTES
from tests.builders import PlatformUnderTest
from tests.events import claims_for
from tests.robustness.api_client import ADMIN_B, operator_api_on_moto, send

RESET = {"action": "Reset", "payload": {"type": "Soft"}}


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with operator_api_on_moto() as test_platform:
        assert send("POST", "/v1/stations", body={"stationId": "CP-1"}).status == 201
        yield test_platform


def test_retried_command_with_the_same_key_is_sent_once(env: PlatformUnderTest) -> None:
    # Given a command posted with a key
    first = send("POST", "/v1/stations/CP-1/commands", body=RESET, headers={"Idempotency-Key": "k-1"})
    assert first.status == 202
    # When the client retries it with the same key
    again = send("POST", "/v1/stations/CP-1/commands", body=RESET, headers={"Idempotency-Key": "k-1"})
    # Then it gets the first answer, and only one command exists
    assert again.status == 202 and again.body == first.body
    assert [item["commandId"] for item in send("GET", "/v1/stations/CP-1/commands").body["items"]] == [
        first.body["commandId"]
    ]


def test_without_a_key_each_post_is_its_own(env: PlatformUnderTest) -> None:
    send("POST", "/v1/stations/CP-1/commands", body=RESET)
    send("POST", "/v1/stations/CP-1/commands", body=RESET)
    assert len(send("GET", "/v1/stations/CP-1/commands").body["items"]) == 2


def test_same_key_with_another_body_is_422(env: PlatformUnderTest) -> None:
    send("POST", "/v1/stations/CP-1/commands", body=RESET, headers={"Idempotency-Key": "k-1"})
    hard = {"action": "Reset", "payload": {"type": "Hard"}}
    answer = send("POST", "/v1/stations/CP-1/commands", body=hard, headers={"Idempotency-Key": "k-1"})
    assert answer.status == 422 and "Idempotency-Key" in answer.body["message"]
    assert len(send("GET", "/v1/stations/CP-1/commands").body["items"]) == 1


def test_same_key_on_another_route_is_422(env: PlatformUnderTest) -> None:
    send("POST", "/v1/stations/CP-1/reset", body={"type": "Soft"}, headers={"Idempotency-Key": "k-1"})
    answer = send("POST", "/v1/stations/CP-1/commands", body=RESET, headers={"Idempotency-Key": "k-1"})
    assert answer.status == 422


def test_keys_are_scoped_per_tenant(env: PlatformUnderTest) -> None:
    # Given tenant A used key k-1
    mine = send("POST", "/v1/sites", body={"name": "A's depot"}, headers={"Idempotency-Key": "k-1"})
    # When tenant B posts with the same key (and the same body)
    theirs = send(
        "POST", "/v1/sites", body={"name": "A's depot"}, headers={"Idempotency-Key": "k-1"}, claims=ADMIN_B
    )
    # Then B's request is B's own: a site of its own, not A's answer
    assert mine.status == theirs.status == 201
    assert mine.body["siteId"] != theirs.body["siteId"]
    assert [site["siteId"] for site in send("GET", "/v1/sites", claims=ADMIN_B).body["items"]] == [
        theirs.body["siteId"]
    ]


def test_a_failed_request_is_not_kept(env: PlatformUnderTest) -> None:
    # A request that failed may be retried with the same key once its cause is fixed
    headers = {"Idempotency-Key": "k-1"}
    body = {"stationId": "CP-2", "siteId": "depot"}
    assert send("POST", "/v1/stations", body=body, headers=headers).status == 400
    assert send("POST", "/v1/sites", body={"siteId": "depot", "name": "Depot"}).status == 201
    assert send("POST", "/v1/stations", body=body, headers=headers).status == 201


def test_a_retried_registration_returns_the_generated_password_again(env: PlatformUnderTest) -> None:
    headers = {"Idempotency-Key": "register-cp-3"}
    first = send("POST", "/v1/stations", body={"stationId": "CP-3"}, headers=headers)
    again = send("POST", "/v1/stations", body={"stationId": "CP-3"}, headers=headers)
    assert first.status == again.status == 201 and again.body["password"] == first.body["password"]


def test_a_viewer_cannot_replay_a_writers_key(env: PlatformUnderTest) -> None:
    headers = {"Idempotency-Key": "k-1"}
    assert send("POST", "/v1/sites", body={"name": "Depot"}, headers=headers).status == 201
    viewer = claims_for("tenant-a", "viewer")
    assert send("POST", "/v1/sites", body={"name": "Depot"}, headers=headers, claims=viewer).status == 403


@pytest.mark.parametrize("key", ["", " spaced key ", "k" * 256, "ключ"])
def test_malformed_key_is_400(env: PlatformUnderTest, key: str) -> None:
    answer = send("POST", "/v1/stations/CP-1/commands", body=RESET, headers={"Idempotency-Key": key})
    assert answer.status == 400 and "Idempotency-Key" in answer.body["message"]


def test_every_post_route_honours_the_key() -> None:
    from shared.api.app import app

    public = {route.path for route in HTTP_ROUTES if route.method == "POST" and not route.authorized}
    posts = [path for method, path in ROUTE_PERMISSIONS if method == "POST" and path not in public]
    served = [
        route
        for route in app._static_routes + app._dynamic_routes
        if route.method == "POST" and not any(route.rule.match(path) for path in public)
    ]
    assert len(served) == len(posts) >= 9
    for route in served:
        assert any(middleware.__name__ == "idempotent_post" for middleware in route.middlewares), route.rule
