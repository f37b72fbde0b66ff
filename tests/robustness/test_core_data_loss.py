"""Issue 18, data loss and isolation (defects 1, 3, 4, 5, 6): each test reproduces what broke."""

from __future__ import annotations

from shared.domain.stations import StationContext
from shared.domain.transactions import TransactionEvent, TransactionEventKind, csms_transaction_id, start_key
from tests.builders import T0
from tests.robustness.conftest import BOB, Harness, meter_frame, start_frame, stop_frame


def test_a_station_id_registered_again_never_reaches_the_old_records(harness: Harness) -> None:
    """Defect 1: A deletes S, B registers S and charges. B's session must be recorded, B's meter values
    must land in B's session, and B must not read A's DataTransfer payloads."""
    # Given tenant A's station S that charged and kept a DataTransfer
    harness.register("S")
    harness.api("POST", "/v1/id-tokens", body={"idToken": "TAG-1"})
    alice = harness.connect("S")
    first = alice.send(start_frame())
    alice.send(stop_frame("x1", first[2]["transactionId"], 5000, "2026-11-27T09:00:00Z"))
    alice.send([2, "d1", "DataTransfer", {"vendorId": "acme", "data": "alice-secret"}])
    assert harness.api("DELETE", "/v1/stations/S")[0] == 204
    # When tenant B registers the same id and its charger sends the very same start
    harness.register("S", claims=BOB)
    harness.api("POST", "/v1/id-tokens", claims=BOB, body={"idToken": "TAG-1"})
    bob = harness.connect("S", "conn-2")
    second = bob.send(start_frame("s2"))
    bob.send(meter_frame("m2", second[2]["transactionId"], "2026-11-27T08:30:00Z", "1.05"))
    harness.env.deliver_meter_stream()
    # Then B's session is its own, with its own energy, and A's records stay out of B's reach
    _, bobs = harness.api("GET", "/v1/sessions", claims=BOB)
    assert [item["status"] for item in bobs["items"]] == ["Active"]
    assert bobs["items"][0]["energyWh"] == 50
    _, alices = harness.api("GET", "/v1/sessions")
    assert [item["energyWh"] for item in alices["items"]] == [4000]
    assert bobs["items"][0]["sessionId"] != alices["items"][0]["sessionId"]
    _, messages = harness.api("GET", "/v1/stations/S/messages", claims=BOB)
    assert messages["items"] == []


def test_the_same_tenant_deleting_and_adding_a_station_keeps_recording(harness: Harness) -> None:
    """Defect 1, within one tenant: new sessions were dropped until the counter passed the old maximum."""
    harness.register("S")
    first = harness.connect("S").send(start_frame())
    harness.api("DELETE", "/v1/stations/S")
    harness.register("S")
    again = harness.connect("S", "conn-2").send(start_frame("s2", timestamp="2026-11-27T10:00:00Z"))
    _, listed = harness.api("GET", "/v1/sessions")
    statuses = sorted(item["status"] for item in listed["items"])
    assert statuses == ["Active", "Completed"], listed
    assert len({item["sessionId"] for item in listed["items"]}) == 2
    assert {first[0], again[0]} == {3}


def test_a_message_racing_a_delete_never_recreates_the_station(harness: Harness) -> None:
    """Defect 3: a heartbeat just after DELETE recreated a partial item (GET 500, re-register 409)."""
    harness.register("S")
    charger = harness.connect("S")
    harness.api("DELETE", "/v1/stations/S")
    for frame in (
        [2, "h1", "Heartbeat", {}],
        [2, "b1", "BootNotification", {"chargePointVendor": "A", "chargePointModel": "B"}],
        [2, "n1", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}],
    ):
        reply = charger.send(frame)
        assert reply[0] == 4 and reply[2] == "SecurityError", reply
    assert harness.env.platform.stations.get("S") is None
    assert harness.api("GET", "/v1/stations/S")[0] == 404
    harness.register("S")


def test_connector_ids_beyond_the_maximum_are_refused_and_not_stored(harness: Harness) -> None:
    """Defect 4: thousands of distinct connectorIds grew the station item to 400 KB and locked it out."""
    harness.register("S")
    charger = harness.connect("S")
    for connector_id in (33, 1000, 2**31 - 1):
        reply = charger.send(
            [
                2,
                f"n{connector_id}",
                "StatusNotification",
                {"connectorId": connector_id, "errorCode": "NoError", "status": "Available"},
            ]
        )
        assert reply[0] == 4 and reply[2] == "PropertyConstraintViolation", reply
    for frame in (
        start_frame(connectorId=99),
        [
            2,
            "m",
            "MeterValues",
            {
                "connectorId": 99,
                "meterValue": [{"timestamp": "2026-11-27T08:00:00Z", "sampledValue": [{"value": "1"}]}],
            },
        ],
    ):
        assert charger.send(frame)[2] == "PropertyConstraintViolation"
    station = harness.env.platform.stations.get("S")
    assert station is not None and station.connectors == {}
    assert (
        charger.send(
            [
                2,
                "n1",
                "StatusNotification",
                {"connectorId": 32, "errorCode": "NoError", "status": "Available"},
            ]
        )[0]
        == 3
    )


def _transaction_id_of_start(harness: Harness, station_id: str, frame: list[object]) -> int:
    station = harness.env.platform.stations.get(station_id)
    assert station is not None
    payload = frame[3]
    assert isinstance(payload, dict)
    context = StationContext(
        station_id=station_id,
        tenant_id=station.tenant_id,
        registration_id=station.registration_id,
        protocol="ocpp1.6",
        connection_id="x",
    )
    from shared.domain.base import parse_timestamp
    from shared.domain.id_tokens import IdTokenRef

    event = TransactionEvent(
        kind=TransactionEventKind.STARTED,
        action="StartTransaction",
        message_id="s1",
        timestamp=parse_timestamp(str(payload["timestamp"])),
        evse_id=int(payload["connectorId"]),
        connector_id=1,
        id_token=IdTokenRef(value=str(payload["idTag"])),
        register_wh=float(payload["meterStart"]),
    )
    return csms_transaction_id(start_key(context, event), 0)


def test_meter_values_sent_before_a_transaction_existed_or_after_it_ended_belong_to_none(
    harness: Harness,
) -> None:
    """Defect 5: values for a transaction id not issued yet attached to the session that later got it
    (live energy 999,899 Wh instead of 50), and values after the stop were appended to the session."""
    harness.register("S")
    charger = harness.connect("S")
    frame = start_frame(meterStart=100)
    future_id = _transaction_id_of_start(harness, "S", frame)
    # Given meter values for that id before the transaction exists
    assert charger.send(meter_frame("early", future_id, "2026-11-27T07:00:00Z", "1000"))[0] == 3
    # When the transaction starts and meters 50 Wh
    started = charger.send(frame)
    assert started[2]["transactionId"] == future_id
    charger.send(meter_frame("m1", future_id, "2026-11-27T08:10:00Z", "0.15"))
    harness.env.deliver_meter_stream()
    # Then the early values do not count
    _, live = harness.api("GET", "/v1/sessions")
    assert live["items"][0]["energyWh"] == 50
    # And values stamped after the stop are not the session's
    charger.send(stop_frame("x1", future_id, 200, "2026-11-27T08:20:00Z"))
    charger.send(meter_frame("late", future_id, "2026-11-27T12:00:00Z", "5"))
    session_id = live["items"][0]["sessionId"]
    _, detail = harness.api("GET", f"/v1/sessions/{session_id}")
    assert [value["timestamp"] for value in detail["meterValues"]] == ["2026-11-27T08:10:00.000Z"]
    assert detail["energyWh"] == 100


def test_deleting_a_station_closes_its_active_sessions(harness: Harness) -> None:
    """Defect 6: deleting a station with an active session left that session Active forever."""
    harness.register("S")
    charger = harness.connect("S")
    started = charger.send(start_frame(meterStart=100))
    charger.send(meter_frame("m1", started[2]["transactionId"], "2026-11-27T08:10:00Z", "0.6"))
    harness.env.clock.now = T0.replace(hour=9)
    assert harness.api("DELETE", "/v1/stations/S")[0] == 204
    _, listed = harness.api("GET", "/v1/sessions")
    session = listed["items"][0]
    assert session["status"] == "Completed" and session["stopReason"] == "StationDeleted"
    assert session["energyWh"] == 500
    stopped = [event for event in harness.env.events.events if event.detail_type == "SessionStopped"]
    assert len(stopped) == 1
