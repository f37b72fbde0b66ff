"""An OCPP 2.0.1 station's life through the gateway functions, on moto: provisioning, authorization,
transactions (offline replay included), reports, reservations, and what its answers change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from shared.domain.device_model import ComponentRef, VariableQuery, VariableRef, VariableWrite
from shared.domain.errors import ConflictError
from shared.domain.events import SecurityEventReported, SessionStarted, SessionStopped
from shared.domain.id_tokens import AuthorizationStatus, IdTokenInfo
from shared.domain.local_lists import LocalListEntry, LocalListPush, LocalListUpdate
from shared.domain.reservations import ReservationStatus
from shared.domain.sessions import SessionStatus
from shared.domain.stations import OperationalStatus, RegistrationPolicy, station_key
from tests.builders import T0, PlatformUnderTest, a_station, an_id_token, platform_on_moto, session_id_of
from tests.station_harness import V16, V201, boot_201, connect, transaction_event


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto(last_seen_write_interval_seconds=0) as test_platform:
        test_platform.platform.stations.create(a_station())
        test_platform.platform.id_tokens.create(an_id_token())
        test_platform.platform.id_tokens.create(an_id_token(id_token="TAG-2"))
        yield test_platform


def key_of(env: PlatformUnderTest, station_id: str = "CP-1") -> str:
    station = env.platform.stations.get(station_id)
    assert station is not None
    return station_key(station_id, station.registration_id)


def test_boot_status_and_authorize(env: PlatformUnderTest) -> None:
    station = connect(env)
    boot = station.call("b1", "BootNotification", boot_201())
    assert (boot["status"], boot["interval"]) == ("Accepted", 300)
    status = {
        "timestamp": "2026-11-27T08:00:00Z",
        "connectorStatus": "Available",
        "evseId": 1,
        "connectorId": 1,
    }
    assert station.call("s1", "StatusNotification", status) == {}
    assert station.call("a1", "Authorize", {"idToken": {"idToken": "tag-1", "type": "ISO14443"}}) == {
        "idTokenInfo": {"status": "Accepted"}
    }
    assert station.call("a2", "Authorize", {"idToken": {"idToken": "NOPE", "type": "ISO14443"}}) == {
        "idTokenInfo": {"status": "Invalid"}
    }
    stored = env.platform.stations.get("CP-1")
    assert stored is not None and stored.charger is not None
    assert (stored.charger.vendor, stored.charger.boot_reason, stored.protocol) == ("Acme", "PowerUp", V201)
    assert stored.connectors["1/1"].status == "Available"


def test_a_typed_token_is_only_that_type(env: PlatformUnderTest) -> None:
    env.platform.id_tokens.create(an_id_token(id_token="EMAID-1", type="eMAID", personal_message="Hello"))
    station = connect(env)
    as_emaid = station.call("a1", "Authorize", {"idToken": {"idToken": "EMAID-1", "type": "eMAID"}})
    assert as_emaid["idTokenInfo"]["status"] == "Accepted"
    assert as_emaid["idTokenInfo"]["personalMessage"] == {"format": "UTF8", "content": "Hello"}
    as_card = station.call("a2", "Authorize", {"idToken": {"idToken": "EMAID-1", "type": "ISO14443"}})
    assert as_card["idTokenInfo"]["status"] == "Invalid"
    free_vend = station.call("a3", "Authorize", {"idToken": {"idToken": "", "type": "NoAuthorization"}})
    assert free_vend["idTokenInfo"]["status"] == "Accepted"


def test_an_offline_replay_with_a_duplicate_and_events_out_of_order_gives_one_closed_session(
    env: PlatformUnderTest,
) -> None:
    # Given a station that charged while offline and now replays its queue: the end first, then the
    # start, a meter update twice, and the last update
    station = connect(env)
    events = [
        transaction_event(
            "Ended", 4, "2026-11-27T09:00:00Z", meter_wh=6000, offline=True, stoppedReason="Local"
        ),
        transaction_event(
            "Started",
            0,
            "2026-11-27T08:00:00Z",
            evse=1,
            id_token="TAG-1",
            meter_wh=1000,
            offline=True,
            chargingState="Charging",
        ),
        transaction_event("Updated", 1, "2026-11-27T08:20:00Z", meter_wh=2500, offline=True),
        transaction_event("Updated", 1, "2026-11-27T08:20:00Z", meter_wh=2500, offline=True),
        transaction_event(
            "Updated", 2, "2026-11-27T08:40:00Z", meter_wh=4000, offline=True, chargingState="SuspendedEV"
        ),
    ]
    replies = [station.call(f"r{index}", "TransactionEvent", event) for index, event in enumerate(events)]
    assert all(isinstance(reply, dict) for reply in replies), replies

    # Then there is one session, closed once, with the energy between the first and the last reading
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", "TX-1"))
    assert session is not None
    assert session.status is SessionStatus.COMPLETED
    assert (session.meter_start_wh, session.meter_stop_wh, session.energy_wh) == (1000, 6000, 5000)
    assert (session.evse_id, session.id_token, session.id_token_status) == (
        1,
        "TAG-1",
        AuthorizationStatus.ACCEPTED,
    )
    assert session.stop_reason == "Local" and session.offline_events and not session.orphan
    assert session.last_seq_no == 4
    # the duplicate is one record, not two
    records = env.platform.meter_values.for_session(session.session_id)
    assert sorted(record.sample_key.split("#", 1)[1] for record in records) == [
        "TX-1#0",
        "TX-1#1",
        "TX-1#2",
        "TX-1#4",
    ]
    # And replaying everything again changes nothing
    version = session.version
    for index, event in enumerate(events):
        station.call(f"again{index}", "TransactionEvent", event)
    again = env.platform.sessions.get(session.session_id)
    assert again is not None and again.version == version
    started = [event for event in env.events.events if isinstance(event, SessionStarted)]
    assert len(started) == 1


def test_energy_comes_from_stored_values_when_the_start_carries_none(env: PlatformUnderTest) -> None:
    station = connect(env)
    station.call(
        "t0",
        "TransactionEvent",
        transaction_event("Started", 0, "2026-11-27T08:00:00Z", evse=1, id_token="TAG-1"),
    )
    station.call(
        "t1", "TransactionEvent", transaction_event("Updated", 1, "2026-11-27T08:10:00Z", meter_wh=1200)
    )
    station.call(
        "t2", "TransactionEvent", transaction_event("Ended", 2, "2026-11-27T08:30:00Z", meter_wh=4200)
    )
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", "TX-1"))
    assert session is not None and session.energy_wh == 3000


def test_meter_only_updates_write_once(env: PlatformUnderTest) -> None:
    station = connect(env)
    station.call(
        "t0",
        "TransactionEvent",
        transaction_event("Started", 0, "2026-11-27T08:00:00Z", evse=1, id_token="TAG-1", meter_wh=0),
    )
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", "TX-1"))
    assert session is not None
    calls: list[str] = []
    env.platform.dynamodb.meta.events.register(
        "before-call.dynamodb.*", lambda model, **_: calls.append(model.name)
    )
    station.call(
        "t1", "TransactionEvent", transaction_event("Updated", 1, "2026-11-27T08:10:00Z", meter_wh=500)
    )
    assert calls == ["PutItem"]  # the meter values; the session is not read or written


def test_concurrent_tx_for_a_token_already_charging(env: PlatformUnderTest) -> None:
    env.platform.stations.create(a_station(station_id="CP-2"))
    here = connect(env)
    there = connect(env, "CP-2", connection_id="conn-2")
    started = here.call(
        "t0",
        "TransactionEvent",
        transaction_event("Started", 0, "2026-11-27T08:00:00Z", evse=1, id_token="TAG-1"),
    )
    assert started["idTokenInfo"]["status"] == "Accepted"
    token = {"idToken": {"idToken": "TAG-1", "type": "ISO14443"}}
    assert there.call("a1", "Authorize", token)["idTokenInfo"]["status"] == "ConcurrentTx"
    # at its own station the token is authorized (to stop its transaction)
    assert here.call("a2", "Authorize", token)["idTokenInfo"]["status"] == "Accepted"
    # a second start elsewhere is ConcurrentTx, and so is a 1.6 start
    other = there.call(
        "t1",
        "TransactionEvent",
        transaction_event("Started", 0, "2026-11-27T08:05:00Z", "TX-9", evse=1, id_token="TAG-1"),
    )
    assert other["idTokenInfo"]["status"] == "ConcurrentTx"
    env.platform.stations.create(a_station(station_id="CP-3"))
    legacy = connect(env, "CP-3", protocol=V16, connection_id="conn-3")
    start = {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0, "timestamp": "2026-11-27T08:06:00Z"}
    assert legacy.call("s1", "StartTransaction", start)["idTagInfo"]["status"] == "ConcurrentTx"
    # the same start sent again is the same transaction, not a concurrent one
    again = {"connectorId": 1, "idTag": "TAG-2", "meterStart": 0, "timestamp": "2026-11-27T08:07:00Z"}
    first = legacy.call("s2", "StartTransaction", again)
    assert legacy.call("s3", "StartTransaction", again) == first
    assert first["idTagInfo"]["status"] == "Accepted"


def test_a_pending_station_may_only_send_what_it_is_asked_for(env: PlatformUnderTest) -> None:
    env.platform.stations.create(a_station(station_id="CP-P", registration=RegistrationPolicy.PENDING))
    station = connect(env, "CP-P", connection_id="conn-p")
    assert station.call("b1", "BootNotification", boot_201())["status"] == "Pending"
    refused = station.call("a1", "Authorize", {"idToken": {"idToken": "TAG-1", "type": "ISO14443"}})
    assert refused[2] == "SecurityError"
    refused = station.call("t1", "TransactionEvent", transaction_event("Started", 0, "2026-11-27T08:00:00Z"))
    assert refused[2] == "SecurityError"
    report = {"requestId": 1, "generatedAt": "2026-11-27T08:00:00Z", "seqNo": 0}
    assert station.call("r1", "NotifyReport", report) == {}
    # and the CSMS starts no charging there (B02), while it may still read the station
    with pytest.raises(ConflictError, match="Pending"):
        env.platform.outbound.send_intent(
            "tenant-a", "CP-P", lambda m: m.remote_start("TAG-1", 1, remote_start_id=1)
        )
    read = env.platform.outbound.send_intent(
        "tenant-a", "CP-P", lambda m: m.request_report(1, "FullInventory")
    )
    assert read.status.value == "pending"


def _report_entry(component: str, variable: str, value: str) -> dict[str, object]:
    return {
        "component": {"name": component},
        "variable": {"name": variable},
        "variableAttribute": [{"type": "Actual", "value": value, "mutability": "ReadWrite"}],
        "variableCharacteristics": {"dataType": "integer", "supportsMonitoring": False},
    }


def test_a_multipart_report_is_stored_whatever_order_its_parts_arrive_in(env: PlatformUnderTest) -> None:
    station = connect(env)
    last = {
        "requestId": 7,
        "generatedAt": "2026-11-27T08:00:01Z",
        "seqNo": 2,
        "reportData": [_report_entry("TxCtrlr", "EVConnectionTimeOut", "60")],
    }
    first = {
        "requestId": 7,
        "generatedAt": "2026-11-27T08:00:00Z",
        "seqNo": 0,
        "tbc": True,
        "reportData": [_report_entry("OCPPCommCtrlr", f"Var{index}", str(index)) for index in range(30)],
    }
    middle = {
        "requestId": 7,
        "generatedAt": "2026-11-27T08:00:00Z",
        "seqNo": 1,
        "tbc": True,
        "reportData": [_report_entry("OCPPCommCtrlr", "HeartbeatInterval", "300")],
    }
    key = key_of(env)
    station.call("n2", "NotifyReport", last)
    station.call("n0", "NotifyReport", first)
    progress = env.platform.device_model.get_report(key, 7)
    assert progress is not None and not progress.complete
    station.call("n1", "NotifyReport", middle)
    station.call("n1-again", "NotifyReport", middle)
    progress = env.platform.device_model.get_report(key, 7)
    assert progress is not None and progress.complete and progress.parts == [0, 1, 2]
    variables, _ = env.platform.device_model.list_variables(
        key, ComponentRef(name="OCPPCommCtrlr"), False, 100, None
    )
    assert len(variables) == 31
    heartbeat = env.platform.device_model.get_variable(
        key, ComponentRef(name="OCPPCommCtrlr"), VariableRef(name="HeartbeatInterval")
    )
    assert heartbeat is not None and heartbeat.attribute("Actual").value == "300"  # type: ignore[union-attr]


def test_set_variables_keeps_per_variable_results_and_stores_what_was_accepted(
    env: PlatformUnderTest,
) -> None:
    station = connect(env)
    writes = [
        VariableWrite(
            component=ComponentRef(name="OCPPCommCtrlr"),
            variable=VariableRef(name="HeartbeatInterval"),
            value="120",
        ),
        VariableWrite(
            component=ComponentRef(name="SecurityCtrlr"), variable=VariableRef(name="Identity"), value="x"
        ),
    ]
    [command] = env.platform.outbound.send_intents("tenant-a", "CP-1", lambda m: m.write_variables(writes))
    frame = station.answer(
        {
            "setVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                },
                {
                    "attributeStatus": "Rejected",
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "Identity"},
                },
            ]
        }
    )
    assert frame[2] == "SetVariables"
    stored = env.platform.commands.get(command.command_id)
    assert stored is not None and stored.status == "accepted"
    assert stored.response is not None and len(stored.response["setVariableResult"]) == 2
    key = key_of(env)
    heartbeat = env.platform.device_model.get_variable(
        key, ComponentRef(name="OCPPCommCtrlr"), VariableRef(name="HeartbeatInterval")
    )
    assert heartbeat is not None and heartbeat.attribute("Actual").value == "120"  # type: ignore[union-attr]
    assert (
        env.platform.device_model.get_variable(
            key, ComponentRef(name="SecurityCtrlr"), VariableRef(name="Identity")
        )
        is None
    )
    # every variable refused: the command is rejected
    [refused] = env.platform.outbound.send_intents(
        "tenant-a", "CP-1", lambda m: m.write_variables(writes[1:])
    )
    station.answer(
        {
            "setVariableResult": [
                {
                    "attributeStatus": "UnknownVariable",
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "Identity"},
                }
            ]
        }
    )
    assert env.platform.commands.get(refused.command_id).status == "rejected"  # type: ignore[union-attr]


def test_get_variables_results_update_the_model(env: PlatformUnderTest) -> None:
    station = connect(env)
    query = VariableQuery(
        component=ComponentRef(name="OCPPCommCtrlr"), variable=VariableRef(name="HeartbeatInterval")
    )
    command = env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.read_variables([query]))
    station.answer(
        {
            "getVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "attributeValue": "90",
                    "component": {"name": "OCPPCommCtrlr"},
                    "variable": {"name": "HeartbeatInterval"},
                }
            ]
        }
    )
    assert env.platform.commands.get(command.command_id).status == "accepted"  # type: ignore[union-attr]
    heartbeat = env.platform.device_model.get_variable(
        key_of(env), ComponentRef(name="OCPPCommCtrlr"), VariableRef(name="HeartbeatInterval")
    )
    assert heartbeat is not None and heartbeat.attribute("Actual").value == "90"  # type: ignore[union-attr]


def test_one_call_in_flight_per_station(env: PlatformUnderTest) -> None:
    # Given a connected station with a call in flight
    station = connect(env)
    first = env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.clear_cache())
    second = env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.get_local_list_version())
    third = env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.reset("OnIdle", None))
    # Then only the first went out; the others wait
    assert [frame[1] for frame in station.calls()] == [first.command_id]
    assert (second.status, third.status) == ("queued", "queued")
    # When the station answers, the next one is sent, in order
    station.answer({"status": "Accepted"})
    assert [frame[1] for frame in station.calls()] == [first.command_id, second.command_id]
    station.answer({"versionNumber": 3})
    assert station.calls()[-1][1:3] == [third.command_id, "Reset"]
    # And a call that is never answered times out and lets the next through
    fourth = env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.clear_cache())
    assert fourth.status == "queued"
    env.clock.advance(61)
    env.platform.outbound.expire_overdue()
    assert env.platform.commands.get(third.command_id).status == "timeout"  # type: ignore[union-attr]
    assert station.calls()[-1][1] == fourth.command_id
    assert env.platform.commands.get(fourth.command_id).status == "pending"  # type: ignore[union-attr]


def test_a_call_queued_too_long_times_out_unsent(env: PlatformUnderTest) -> None:
    station = connect(env)
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.clear_cache())
    waiting = env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.clear_cache())
    env.clock.advance(301)
    expired = env.platform.outbound.expire_overdue()
    assert waiting.command_id in [command.command_id for command in expired]
    assert len(station.calls()) == 1


def test_reservations_are_confirmed_honoured_and_used(env: PlatformUnderTest) -> None:
    station = connect(env)
    station.call(
        "s1",
        "StatusNotification",
        {"timestamp": "2026-11-27T08:00:00Z", "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
    )
    stored = env.platform.stations.get("CP-1")
    assert stored is not None
    reservation = env.platform.services.reservations.book(
        "CP-1", stored.registration_id, "tenant-a", "TAG-1", T0 + timedelta(hours=1), evse_id=1
    )
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.reserve(reservation))
    frame = station.answer({"status": "Accepted"}, "ReserveNow")
    assert frame[3]["id"] == reservation.reservation_id and frame[3]["evseId"] == 1
    key = key_of(env)
    assert env.platform.reservations.get(key, reservation.reservation_id).status is ReservationStatus.ACCEPTED  # type: ignore[union-attr]
    # another token may not charge there; the holder may, and uses it
    other = station.call("a1", "Authorize", {"idToken": {"idToken": "TAG-2", "type": "ISO14443"}})
    assert other["idTokenInfo"]["status"] == "NotAtThisTime"
    mine = station.call("a2", "Authorize", {"idToken": {"idToken": "TAG-1", "type": "ISO14443"}})
    assert mine["idTokenInfo"]["status"] == "Accepted"
    station.call(
        "t0",
        "TransactionEvent",
        transaction_event("Started", 0, "2026-11-27T08:10:00Z", evse=1, id_token="TAG-1"),
    )
    used = env.platform.reservations.get(key, reservation.reservation_id)
    assert used is not None and used.status is ReservationStatus.USED
    assert used.session_id == session_id_of(env.platform, "CP-1", "TX-1")


def test_a_reservation_expires_by_itself_and_the_station_can_end_it(env: PlatformUnderTest) -> None:
    station = connect(env)
    stored = env.platform.stations.get("CP-1")
    assert stored is not None
    reservation = env.platform.services.reservations.book(
        "CP-1", stored.registration_id, "tenant-a", "TAG-1", T0 + timedelta(minutes=5), evse_id=1
    )
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.reserve(reservation))
    station.answer({"status": "Accepted"})
    env.clock.advance(301)
    kept = env.platform.reservations.get(key_of(env), reservation.reservation_id)
    assert kept is not None and kept.effective_status(env.clock()) is ReservationStatus.EXPIRED
    other = env.platform.services.reservations.book(
        "CP-1", stored.registration_id, "tenant-a", "TAG-1", env.clock() + timedelta(minutes=5)
    )
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.reserve(other))
    station.answer({"status": "Accepted"})
    station.call(
        "u1",
        "ReservationStatusUpdate",
        {"reservationId": other.reservation_id, "reservationUpdateStatus": "Removed"},
    )
    removed = env.platform.reservations.get(key_of(env), other.reservation_id)
    assert removed is not None and removed.status is ReservationStatus.REMOVED


def test_local_list_full_then_differential(env: PlatformUnderTest) -> None:
    station = connect(env)
    accepted = IdTokenInfo(status=AuthorizationStatus.ACCEPTED)
    full = LocalListPush(
        version=1,
        update_type=LocalListUpdate.FULL,
        entries=[LocalListEntry(id_token="A", info=accepted), LocalListEntry(id_token="B", info=accepted)],
    )
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.send_local_list(full))
    frame = station.answer({"status": "Accepted"})
    assert frame[3]["localAuthorizationList"][0] == {
        "idToken": {"idToken": "A", "type": "Central"},
        "idTokenInfo": {"status": "Accepted"},
    }
    key = key_of(env)
    assert sorted(env.platform.local_lists.entries(key)) == ["A", "B"]
    diff = LocalListPush(
        version=2,
        update_type=LocalListUpdate.DIFFERENTIAL,
        entries=[LocalListEntry(id_token="A"), LocalListEntry(id_token="C", info=accepted)],
    )
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.send_local_list(diff))
    station.answer({"status": "Accepted"})
    assert sorted(env.platform.local_lists.entries(key)) == ["B", "C"]
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.get_local_list_version())
    station.answer({"versionNumber": 2})
    state = env.platform.local_lists.state(key)
    assert (state.version, state.reported_version, state.entries) == (2, 2, 2)
    # a rejected push changes nothing
    env.platform.outbound.send_intent(
        "tenant-a",
        "CP-1",
        lambda m: m.send_local_list(LocalListPush(version=3, update_type=LocalListUpdate.FULL, entries=[])),
    )
    station.answer({"status": "Failed"})
    assert sorted(env.platform.local_lists.entries(key)) == ["B", "C"]


def test_availability_is_kept_per_evse_and_connector(env: PlatformUnderTest) -> None:
    station = connect(env)
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.change_availability(False, 2, None))
    station.answer({"status": "Accepted"})
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.change_availability(False, 1, 2))
    station.answer({"status": "Scheduled"})
    stored = env.platform.stations.get("CP-1")
    assert stored is not None
    assert stored.availability["2"].operational_status is OperationalStatus.INOPERATIVE
    assert stored.availability["1"].inoperative_connectors == [2] and stored.availability["1"].scheduled


def test_ev_charging_needs_are_stored_on_the_session(env: PlatformUnderTest) -> None:
    station = connect(env)
    needs = {
        "evseId": 1,
        "chargingNeeds": {
            "requestedEnergyTransfer": "AC_three_phase",
            "departureTime": "2026-11-27T17:00:00Z",
            "acChargingParameters": {
                "energyAmount": 30000,
                "evMinCurrent": 6,
                "evMaxCurrent": 32,
                "evMaxVoltage": 400,
            },
        },
    }
    assert station.call("n0", "NotifyEVChargingNeeds", needs) == {
        "status": "Rejected"
    }  # nothing charging yet
    station.call(
        "t0",
        "TransactionEvent",
        transaction_event("Started", 0, "2026-11-27T08:00:00Z", evse=1, id_token="TAG-1"),
    )
    assert station.call("n1", "NotifyEVChargingNeeds", needs) == {"status": "Processing"}
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", "TX-1"))
    assert session is not None and session.charging_needs is not None
    assert (session.charging_needs.energy_wh, session.charging_needs.max_current_a) == (30000, 32)
    assert session.charging_needs.departure_at is not None and session.charging_needs.departure_at.hour == 17


def test_firmware_and_log_status_are_the_stations_state(env: PlatformUnderTest) -> None:
    station = connect(env)
    station.call("f1", "FirmwareStatusNotification", {"status": "Downloading", "requestId": 4})
    station.call("l1", "LogStatusNotification", {"status": "Uploaded", "requestId": 5})
    station.call(
        "e1", "SecurityEventNotification", {"type": "FirmwareUpdated", "timestamp": "2026-11-27T08:00:00Z"}
    )
    stored = env.platform.stations.get("CP-1")
    assert stored is not None and stored.firmware is not None and stored.diagnostics is not None
    assert (stored.firmware.status, stored.firmware.request_id) == ("Downloading", 4)
    assert (stored.diagnostics.status, stored.diagnostics.request_id) == ("Uploaded", 5)
    kept = env.platform.station_messages.list_for_station(key_of(env), "SecurityEventNotification#", 10)
    assert kept[0]["status"] == "FirmwareUpdated"
    # and, as for 1.6, an event the fleet alerts are raised from
    assert [e.event_type for e in env.events.events if isinstance(e, SecurityEventReported)] == [
        "FirmwareUpdated"
    ]


def test_data_transfer_unknown_vendor_is_not_accepted(env: PlatformUnderTest) -> None:
    station = connect(env)
    reply = station.call("d1", "DataTransfer", {"vendorId": "com.acme", "data": {"keepCase": [1, 2]}})
    assert reply == {"status": "UnknownVendorId"}
    kept = env.platform.station_messages.list_for_station(key_of(env), "DataTransfer#", 10)
    assert kept[0]["data"] == {"keepCase": [1, 2]}


def test_data_transfer_known_vendor_is_accepted() -> None:
    with platform_on_moto(data_transfer_vendors=["com.acme"]) as env:
        env.platform.stations.create(a_station())
        station = connect(env)
        assert station.call("d1", "DataTransfer", {"vendorId": "COM.ACME"}) == {"status": "Accepted"}
        legacy_env_station = connect(env, protocol=V16, connection_id="conn-16")
        assert legacy_env_station.call("d2", "DataTransfer", {"vendorId": "other"}) == {
            "status": "UnknownVendorId"
        }


def test_remote_start_id_reaches_the_session_and_remote_stop_names_the_transaction(
    env: PlatformUnderTest,
) -> None:
    station = connect(env)
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.remote_start("TAG-1", 1, 4242))
    request = station.answer({"status": "Accepted"})
    assert request[3] == {
        "idToken": {"idToken": "TAG-1", "type": "Central"},
        "remoteStartId": 4242,
        "evseId": 1,
    }
    station.call(
        "t0",
        "TransactionEvent",
        transaction_event(
            "Started",
            0,
            "2026-11-27T08:00:00Z",
            evse=1,
            id_token="TAG-1",
            trigger="RemoteStart",
            remoteStartId=4242,
        ),
    )
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", "TX-1"))
    assert session is not None and session.remote_start_id == 4242
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.remote_stop(session))
    assert station.answer({"status": "Accepted"})[2:] == ["RequestStopTransaction", {"transactionId": "TX-1"}]
    stopped = [event for event in env.events.events if isinstance(event, SessionStopped)]
    assert stopped == []
