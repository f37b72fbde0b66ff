"""Issue 17's one-step onboarding through the real gateway functions and the operator API, on moto: an
unregistered charger presenting its tenant's enrollment secret connects Pending and waits in the
tenant's list; approved, it reconnects and boots Accepted; rejected, it is refused for a while; anyone
else is refused as before."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from functions.operator_api.handler import handler
from shared.api.app import app
from shared.api.dependencies import current_platform
from shared.catalog import OPERATOR_API, SUPPORTED_SUBPROTOCOLS
from shared.domain.onboarding import (
    PENDING_RETENTION,
    PENDING_STATIONS_PER_TENANT,
    REJECTION_HOLD,
    PendingStation,
    secret_digest,
)
from shared.gateway import websocket
from shared.storage.tables import ONBOARDING
from tests.builders import PlatformUnderTest, platform_on_moto
from tests.events import (
    authorizer_event,
    claims_for,
    connect_event,
    disconnect_event,
    http_event,
    lambda_context,
)
from tests.station_harness import V16, V201, StationLink

ALICE = claims_for("tenant-a", "admin")
BOB = claims_for("tenant-b", "admin")
VIEWER = claims_for("tenant-a", "viewer")
BOOT_16 = {"chargePointVendor": "Acme", "chargePointModel": "X1", "firmwareVersion": "1.2.3"}
BOOT_201 = {
    "reason": "PowerUp",
    "chargingStation": {"vendorName": "Volt", "model": "V2", "firmwareVersion": "4.5"},
}


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto(last_seen_write_interval_seconds=0) as test_platform:
        app.dependency_overrides[current_platform] = lambda: test_platform.platform
        yield test_platform
        app.dependency_overrides.clear()


def call(
    method: str, path: str, body: Any = None, claims: dict[str, Any] = ALICE, **query: str
) -> tuple[int, Any]:
    response = handler(
        http_event(method, path, body=body, claims=claims, query=query or None), lambda_context(OPERATOR_API)
    )
    text = response.get("body") or ""
    return response["statusCode"], json.loads(text) if text else None


def enrollment_secret(claims: dict[str, Any] = ALICE) -> str:
    status, issued = call("POST", "/v1/settings/onboarding/enrollment-secret", claims=claims)
    assert status == 201, issued
    return str(issued["enrollmentSecret"])


def authorize(
    env: PlatformUnderTest,
    station_id: str,
    password: str | None,
    protocol: str = V16,
    connection_id: str = "conn-1",
) -> Any:
    return websocket.authorize_connection(
        env.platform,
        authorizer_event(station_id, protocols=protocol, password=password, connection_id=connection_id),
    )


def allowed(decision: dict[str, Any]) -> bool:
    return bool(decision["policyDocument"]["Statement"][0]["Effect"] == "Allow")


def connect(
    env: PlatformUnderTest, station_id: str, password: str, protocol: str = V16, connection_id: str = "conn-1"
) -> StationLink:
    decision = authorize(env, station_id, password, protocol, connection_id)
    assert allowed(decision), decision
    connected = websocket.connect(
        env.platform, connect_event(decision["context"], connection_id, protocols=protocol)
    )
    assert connected == {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": protocol}}
    return StationLink(env, decision["context"], connection_id)


def pending(claims: dict[str, Any] = ALICE) -> list[dict[str, Any]]:
    status, listing = call("GET", "/v1/stations/pending", claims=claims)
    assert status == 200, listing
    assert set(listing) == {"items", "nextCursor"}
    return list(listing["items"])


def test_an_unregistered_charger_with_the_secret_waits_pending_and_is_approved_into_accepted(
    env: PlatformUnderTest,
) -> None:
    secret = enrollment_secret()
    # Given an unregistered 1.6 charger presenting the tenant's secret
    link = connect(env, "NEW-1", secret)
    # When it boots, heartbeats and tries more
    boot = link.call("b1", "BootNotification", BOOT_16)
    heartbeat = link.call("h1", "Heartbeat", {})
    status = link.call(
        "s1", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    )
    authorize_tag = link.call("a1", "Authorize", {"idTag": "TAG-1"})
    # Then it is told to wait, may heartbeat, and nothing else it sends is taken
    assert (
        boot["status"] == "Pending" and boot["interval"] == env.platform.settings.boot_retry_interval_seconds
    )
    assert "currentTime" in heartbeat
    assert status[0] == 4 and status[2] == "SecurityError"
    assert authorize_tag[0] == 4 and authorize_tag[2] == "SecurityError"
    assert env.platform.stations.get("NEW-1") is None
    assert env.events.events == []  # no StationConnected: it is no station yet
    # And the tenant sees it, with what it said
    (entry,) = pending()
    assert entry == {
        "stationId": "NEW-1",
        "firstSeenAt": "2026-11-27T08:00:00.000Z",
        "lastSeenAt": "2026-11-27T08:00:00.000Z",
        "attempts": 1,
        "protocol": "ocpp1.6",
        "vendor": "Acme",
        "model": "X1",
        "firmwareVersion": "1.2.3",
    }
    assert pending(BOB) == []

    # When the operator approves it
    env.clock.advance(60)
    status_code, registered = call("POST", "/v1/stations/pending/NEW-1/approve", {})
    # Then it is registered, told what to type into the charger, and its waiting socket is closed
    assert status_code == 201, registered
    assert registered["stationId"] == "NEW-1"
    assert registered["ocppUrl"] == "ws://127.0.0.1:9000/ocpp/NEW-1"
    assert registered["subprotocols"] == list(SUPPORTED_SUBPROTOCOLS)
    assert registered["basicAuthUser"] == "NEW-1" and "password" not in registered
    assert env.connections.closed == ["conn-1"]
    assert pending() == []
    # And it reconnects with the same secret, as a registered station, and boots Accepted
    again = connect(env, "NEW-1", secret, connection_id="conn-2")
    assert "enrollment" not in again.authorizer and again.authorizer["registration"] == "Accepted"
    assert again.call("b2", "BootNotification", BOOT_16)["status"] == "Accepted"
    status_code, station = call("GET", "/v1/stations/NEW-1")
    assert status_code == 200 and station["connectivity"] == "online" and station["vendor"] == "Acme"
    assert call("GET", "/v1/stations/NEW-1", claims=BOB)[0] == 404


def test_a_201_charger_waits_with_its_boot_data(env: PlatformUnderTest) -> None:
    secret = enrollment_secret()
    link = connect(env, "NEW-201", secret, protocol=V201)
    assert link.call("b1", "BootNotification", BOOT_201)["status"] == "Pending"
    (entry,) = pending()
    assert (entry["protocol"], entry["vendor"], entry["model"], entry["firmwareVersion"]) == (
        "ocpp2.0.1",
        "Volt",
        "V2",
        "4.5",
    )
    assert call("POST", "/v1/stations/pending/NEW-201/approve")[0] == 201  # the body may be left out
    again = connect(env, "NEW-201", secret, protocol=V201, connection_id="conn-2")
    assert again.call("b2", "BootNotification", BOOT_201)["status"] == "Accepted"


def test_reconnects_count_attempts_and_a_charger_that_never_booted_shows_nulls(
    env: PlatformUnderTest,
) -> None:
    secret = enrollment_secret()
    link = connect(env, "NEW-1", secret)
    websocket.disconnect(env.platform, disconnect_event(link.authorizer))
    env.clock.advance(300)
    connect(env, "NEW-1", secret, connection_id="conn-2")
    (entry,) = pending()
    assert (entry["attempts"], entry["firstSeenAt"], entry["lastSeenAt"]) == (
        2,
        "2026-11-27T08:00:00.000Z",
        "2026-11-27T08:05:00.000Z",
    )
    assert entry["vendor"] is None and entry["model"] is None and entry["firmwareVersion"] is None
    # Approval closes the newest connection, the one it is waiting on
    assert call("POST", "/v1/stations/pending/NEW-1/approve", {})[0] == 201
    assert env.connections.closed == ["conn-2"]


def test_without_a_valid_secret_an_unknown_station_is_refused_as_before(env: PlatformUnderTest) -> None:
    # No tenant allows pending approval yet: the same refusal as always, and nothing recorded
    assert not allowed(authorize(env, "NEW-1", "no-secret-at-all-000000"))
    secret = enrollment_secret()
    assert not allowed(authorize(env, "NEW-1", "x" * 32))  # a wrong secret
    assert not allowed(authorize(env, "NEW-1", None))  # no credentials
    assert not allowed(authorize(env, "NEW-1", secret[:-1]))
    # The right secret with another user name than the station id is refused too
    decision = websocket.authorize_connection(
        env.platform, authorizer_event("NEW-1", password=secret, user="OTHER-1")
    )
    assert not allowed(decision)
    assert pending() == []
    assert env.platform.onboarding.count_pending("tenant-a", env.clock()) == 0


def test_a_registered_station_is_not_reached_through_the_secret(env: PlatformUnderTest) -> None:
    # Another tenant's station keeps its own password: tenant A's secret does not open it
    assert (
        call("POST", "/v1/stations", {"stationId": "CP-B", "password": "bobs-password-123"}, claims=BOB)[0]
        == 201
    )
    secret = enrollment_secret()
    with pytest.raises(websocket.UnauthorizedError):
        authorize(env, "CP-B", secret)
    assert pending() == []


def test_rotating_the_secret_refuses_the_old_one_but_keeps_waiting_stations(env: PlatformUnderTest) -> None:
    old = enrollment_secret()
    connect(env, "NEW-1", old)
    new = enrollment_secret()
    assert new != old
    assert not allowed(authorize(env, "NEW-2", old))
    assert allowed(authorize(env, "NEW-2", new, connection_id="conn-2"))
    assert [entry["stationId"] for entry in pending()] == ["NEW-1", "NEW-2"]
    # NEW-1, approved, keeps the secret it enrolled with as its own password
    assert call("POST", "/v1/stations/pending/NEW-1/approve", {})[0] == 201
    assert allowed(authorize(env, "NEW-1", old, connection_id="conn-3"))
    # Turning pending approval off refuses unknown stations again; those approved are unaffected
    assert call("DELETE", "/v1/settings/onboarding/enrollment-secret")[0] == 204
    assert not allowed(authorize(env, "NEW-3", new))
    assert allowed(authorize(env, "NEW-1", old, connection_id="conn-4"))
    status, settings = call("GET", "/v1/settings/onboarding")
    assert status == 200 and settings["pendingApproval"] is False
    assert settings["enrollmentSecretCreatedAt"] is None


def test_reject_removes_it_and_refuses_it_for_a_while(env: PlatformUnderTest) -> None:
    secret = enrollment_secret()
    connect(env, "NEW-1", secret)
    assert call("POST", "/v1/stations/pending/NEW-1/reject") == (204, None)
    assert env.connections.closed == ["conn-1"]
    assert pending() == []
    # Refused at once and not recorded again
    env.clock.advance(60)
    assert not allowed(authorize(env, "NEW-1", secret, connection_id="conn-2"))
    assert pending() == []
    assert call("POST", "/v1/stations/pending/NEW-1/reject")[0] == 404
    assert call("POST", "/v1/stations/pending/NEW-1/approve", {})[0] == 404
    # After the hold it may wait again
    env.clock.advance(REJECTION_HOLD.total_seconds())
    assert allowed(authorize(env, "NEW-1", secret, connection_id="conn-3"))
    assert [entry["stationId"] for entry in pending()] == ["NEW-1"]


def test_the_list_is_capped_per_tenant_and_stale_entries_expire(env: PlatformUnderTest) -> None:
    secret = enrollment_secret()
    now = env.clock()
    for number in range(PENDING_STATIONS_PER_TENANT - 1):  # seeded: scrypt per entry would be slow
        env.platform.onboarding.save_pending(
            PendingStation(
                tenant_id="tenant-a",
                station_id=f"FLEET-{number:03}",
                first_seen_at=now,
                last_seen_at=now,
                password_hash="scrypt$unused",
                secret_digest=secret_digest(secret),
            )
        )
    assert allowed(authorize(env, "LAST-1", secret))  # the hundredth
    assert not allowed(authorize(env, "ONE-TOO-MANY", secret))
    assert allowed(authorize(env, "LAST-1", secret))  # one already waiting may still reconnect
    # Another tenant's list is its own
    assert allowed(authorize(env, "BOBS-1", enrollment_secret(BOB)))
    # Pages of the list
    status, first = call("GET", "/v1/stations/pending", limit="60")
    assert status == 200 and len(first["items"]) == 60 and first["nextCursor"]
    status, second = call("GET", "/v1/stations/pending", limit="60", cursor=first["nextCursor"])
    assert status == 200 and len(second["items"]) == PENDING_STATIONS_PER_TENANT - 60
    assert call("GET", "/v1/stations/pending", claims=BOB, cursor=first["nextCursor"])[0] == 400
    # Entries not seen for the retention period leave the list, freeing room
    env.clock.advance(PENDING_RETENTION.total_seconds() - 60)
    assert allowed(authorize(env, "LAST-1", secret))
    env.clock.advance(120)
    assert [entry["stationId"] for entry in pending()] == ["LAST-1"]
    assert allowed(authorize(env, "ONE-TOO-MANY", secret))


def test_approve_places_on_a_site_and_refuses_what_it_cannot_do(env: PlatformUnderTest) -> None:
    secret = enrollment_secret()
    connect(env, "NEW-1", secret)
    connect(env, "NEW-2", secret, connection_id="conn-2")
    status, problem = call("POST", "/v1/stations/pending/NEW-1/approve", {"siteId": "nowhere"})
    assert status == 400 and "siteId" in problem["message"]
    assert call("POST", "/v1/stations/pending/NEW-1/approve", {"siteId": "bad site!"})[0] == 400
    assert call("POST", "/v1/sites", {"siteId": "depot", "name": "Depot"})[0] == 201
    status, registered = call("POST", "/v1/stations/pending/NEW-1/approve", {"siteId": "depot"})
    assert status == 201 and registered["siteId"] == "depot"
    # Registered meanwhile by anyone: the neutral 409, and it stays in the list (to be rejected)
    assert call("POST", "/v1/stations", {"stationId": "NEW-2"}, claims=BOB)[0] == 201
    status, problem = call("POST", "/v1/stations/pending/NEW-2/approve", {})
    assert status == 409 and problem["message"] == "station NEW-2 already exists"
    assert [entry["stationId"] for entry in pending()] == ["NEW-2"]
    # Another tenant cannot act on tenant A's list
    assert call("POST", "/v1/stations/pending/NEW-2/reject", claims=BOB)[0] == 404


def test_permissions(env: PlatformUnderTest) -> None:
    assert call("POST", "/v1/settings/onboarding/enrollment-secret", claims=VIEWER)[0] == 403
    secret = enrollment_secret()
    connect(env, "NEW-1", secret)
    assert len(pending(VIEWER)) == 1
    assert call("GET", "/v1/settings/onboarding", claims=VIEWER)[0] == 200
    assert call("POST", "/v1/stations/pending/NEW-1/approve", {}, claims=VIEWER)[0] == 403
    assert call("POST", "/v1/stations/pending/NEW-1/reject", claims=VIEWER)[0] == 403
    assert call("DELETE", "/v1/settings/onboarding/enrollment-secret", claims=VIEWER)[0] == 403


def test_settings_say_what_to_type_into_the_charger(env: PlatformUnderTest) -> None:
    status, settings = call("GET", "/v1/settings/onboarding")
    assert status == 200 and settings["pendingApproval"] is False
    status, issued = call("POST", "/v1/settings/onboarding/enrollment-secret")
    assert status == 201 and len(issued["enrollmentSecret"]) == 32
    assert issued["ocppUrl"] == "ws://127.0.0.1:9000/ocpp"
    status, settings = call("GET", "/v1/settings/onboarding")
    assert settings["pendingApproval"] is True
    assert settings["enrollmentSecretCreatedAt"] == issued["createdAt"]
    assert (settings["pendingLimit"], settings["pendingRetentionHours"], settings["rejectionHoldHours"]) == (
        PENDING_STATIONS_PER_TENANT,
        PENDING_RETENTION // timedelta(hours=1),
        REJECTION_HOLD // timedelta(hours=1),
    )
    assert "enrollmentSecret" not in settings
    # Only a digest is stored
    stored = env.platform.dynamodb.scan(TableName=env.platform.settings.table_name(ONBOARDING))
    assert issued["enrollmentSecret"] not in json.dumps(stored)


def test_a_waiting_station_cannot_complete_commands_or_store_status(env: PlatformUnderTest) -> None:
    secret = enrollment_secret()
    link = connect(env, "NEW-1", secret)
    assert link.send([3, "someone-elses-command", {"status": "Accepted"}]) is None
    assert link.call("f1", "FirmwareStatusNotification", {"status": "Idle"})[2] == "SecurityError"
    assert env.platform.stations.get("NEW-1") is None


def test_a_station_approved_while_connecting_is_refused_on_connect(env: PlatformUnderTest) -> None:
    secret = enrollment_secret()
    decision = authorize(env, "NEW-1", secret)
    assert allowed(decision)
    assert call("POST", "/v1/stations/pending/NEW-1/reject")[0] == 204
    assert websocket.connect(env.platform, connect_event(decision["context"], "conn-1")) == {
        "statusCode": 403
    }
