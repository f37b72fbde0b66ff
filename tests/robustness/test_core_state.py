"""Issue 18, wrong state (defects 7, 8, 9)."""

from __future__ import annotations

from shared.gateway import websocket
from tests.events import disconnect_event
from tests.robustness.conftest import Harness, start_frame


def test_a_newer_connection_closes_the_older_one(harness: Harness) -> None:
    """Defect 7: a second connect left the first open; when the newer then closed, the station read
    offline although the older was still connected. Policy: the older connection is closed."""
    harness.register("S")
    older = harness.connect("S", "conn-old")
    newer = harness.connect("S", "conn-new")
    assert harness.env.connections.closed == ["conn-old"]
    # The older connection's $disconnect (API Gateway sends it after the close) changes nothing.
    websocket.disconnect(harness.env.platform, disconnect_event(older.authorizer, "conn-old"))
    _, station = harness.api("GET", "/v1/stations/S")
    assert station["online"] is True
    # Commands go to the newer connection.
    harness.api("POST", "/v1/stations/S/commands", body={"action": "ClearCache", "payload": {}})
    assert [target for target, _ in harness.env.connections.posted] == ["conn-new"]
    websocket.disconnect(harness.env.platform, disconnect_event(newer.authorizer, "conn-new"))
    assert harness.api("GET", "/v1/stations/S")[1]["online"] is False


def test_the_first_answer_to_a_command_is_final(harness: Harness) -> None:
    """Defect 8: Accepted, then Rejected, then a CALLERROR ended as failed with response Rejected."""
    harness.register("S")
    charger = harness.connect("S")
    _, sent = harness.api("POST", "/v1/stations/S/commands", body={"action": "ClearCache", "payload": {}})
    command_id = sent["commandId"]
    assert charger.send([3, command_id, {"status": "Accepted"}]) is None
    charger.send([3, command_id, {"status": "Rejected"}])
    charger.send([4, command_id, "InternalError", "late", {}])
    _, command = harness.api("GET", f"/v1/commands/{command_id}")
    assert command["status"] == "accepted" and command["response"] == {"status": "Accepted"}
    stored = harness.env.platform.commands.get(command_id)
    assert stored is not None and [answer["status"] for answer in stored.ignored_answers] == [
        "rejected",
        "failed",
    ]
    completed = [event for event in harness.env.events.events if event.detail_type == "CommandCompleted"]
    assert len(completed) == 1


def test_a_station_not_accepted_may_only_boot(harness: Harness) -> None:
    """Defect 9: after a Pending or Rejected boot the station still got Authorize: Accepted and its
    sessions were recorded."""
    harness.api("POST", "/v1/id-tokens", body={"idToken": "TAG-1"})
    for policy in ("Pending", "Rejected"):
        station_id = f"S-{policy}"
        harness.register(station_id, registration=policy)
        charger = harness.connect(station_id, f"conn-{policy}")
        boot = charger.send(
            [2, "b1", "BootNotification", {"chargePointVendor": "A", "chargePointModel": "B"}]
        )
        assert boot[2]["status"] == policy
        for frame in (
            [2, "a1", "Authorize", {"idTag": "TAG-1"}],
            start_frame(),
            [2, "d1", "DataTransfer", {"vendorId": "acme"}],
        ):
            reply = charger.send(frame)
            assert reply[0] == 4 and reply[2] == "SecurityError", (policy, reply)
        heartbeat = charger.send([2, "h1", "Heartbeat", {}])
        assert heartbeat[0] == (3 if policy == "Pending" else 4)
    assert harness.api("GET", "/v1/sessions")[1]["items"] == []


def test_accepting_a_pending_station_reconnects_it_with_the_new_policy(harness: Harness) -> None:
    harness.register("S", registration="Pending")
    harness.connect("S")
    assert harness.api("PATCH", "/v1/stations/S", body={"registration": "Accepted"})[0] == 200
    assert harness.env.connections.closed == ["conn-1"]
    charger = harness.connect("S", "conn-2")
    assert charger.send([2, "a1", "Authorize", {"idTag": "NOPE"}])[0] == 3
