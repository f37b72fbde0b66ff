"""The 1.6 profiles beyond Core on the same neutral model as 2.0.1: configuration keys in the device model,
local lists, reservations, smart charging transport, firmware and diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest

from shared.domain.charging_profiles import (
    ChargingProfile,
    ChargingSchedule,
    ProfileCriteria,
    ProfileKind,
    ProfilePurpose,
    SchedulePeriod,
)
from shared.domain.device_model import ComponentRef, VariableQuery, VariableRef, VariableWrite
from shared.domain.errors import InvalidRequestError
from shared.domain.events import SecurityEventReported
from shared.domain.firmware import FirmwareUpdate, LogUpload
from shared.domain.id_tokens import AuthorizationStatus, IdTokenInfo
from shared.domain.local_lists import LocalListEntry, LocalListPush, LocalListUpdate
from shared.domain.reservations import ReservationStatus
from shared.domain.stations import station_key
from tests.builders import T0, PlatformUnderTest, a_station, an_id_token, platform_on_moto
from tests.station_harness import V16, connect


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto(last_seen_write_interval_seconds=0) as test_platform:
        test_platform.platform.stations.create(a_station())
        test_platform.platform.id_tokens.create(an_id_token())
        test_platform.platform.id_tokens.create(an_id_token(id_token="TAG-2"))
        yield test_platform


def key_of(env: PlatformUnderTest) -> str:
    station = env.platform.stations.get("CP-1")
    assert station is not None
    return station_key("CP-1", station.registration_id)


def test_configuration_keys_are_the_device_model_without_components(env: PlatformUnderTest) -> None:
    station = connect(env, protocol=V16)
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.request_report(1, "FullInventory"))
    frame = station.answer(
        {
            "configurationKey": [
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
            ]
        }
    )
    assert frame[2:] == ["GetConfiguration", {}]
    keys, _ = env.platform.device_model.list_variables(key_of(env), None, True, 50, None)
    assert [(key.variable.name, key.attribute("Actual").value) for key in keys] == [  # type: ignore[union-attr]
        ("HeartbeatInterval", "300"),
        ("NumberOfConnectors", "2"),
    ]
    write = VariableWrite(variable=VariableRef(name="HeartbeatInterval"), value="120")
    other = VariableWrite(variable=VariableRef(name="MeterValueSampleInterval"), value="30")
    commands = env.platform.outbound.send_intents(
        "tenant-a", "CP-1", lambda m: m.write_variables([write, other])
    )
    assert [command.status for command in commands] == [
        "pending",
        "queued",
    ]  # one key per call, one at a time
    station.answer({"status": "Accepted"})
    station.answer({"status": "Rejected"})
    heartbeat = env.platform.device_model.get_variable(
        key_of(env), None, VariableRef(name="HeartbeatInterval")
    )
    assert heartbeat is not None and heartbeat.attribute("Actual").value == "120"  # type: ignore[union-attr]
    assert heartbeat.attribute("Actual").mutability == "ReadWrite"  # type: ignore[union-attr]
    assert (
        env.platform.device_model.get_variable(
            key_of(env), None, VariableRef(name="MeterValueSampleInterval")
        )
        is None
    )
    with pytest.raises(InvalidRequestError, match=r"OCPP 1\.6"):
        env.platform.outbound.send_intent(
            "tenant-a",
            "CP-1",
            lambda m: m.read_variables(
                [VariableQuery(component=ComponentRef(name="OCPPCommCtrlr"), variable=VariableRef(name="X"))]
            ),
        )


def test_a_1_6_reservation_is_used_by_the_start_that_names_it(env: PlatformUnderTest) -> None:
    station = connect(env, protocol=V16)
    station.call(
        "s0", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}
    )
    stored = env.platform.stations.get("CP-1")
    assert stored is not None
    reservation = env.platform.services.reservations.book(
        "CP-1",
        stored.registration_id,
        "tenant-a",
        "TAG-1",
        T0 + timedelta(hours=1),
        evse_id=1,
        group_id_token="FLEET",
    )
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.reserve(reservation))
    frame = station.answer({"status": "Accepted"})
    assert frame[3] == {
        "connectorId": 1,
        "expiryDate": "2026-11-27T09:00:00.000Z",
        "idTag": "TAG-1",
        "reservationId": reservation.reservation_id,
        "parentIdTag": "FLEET",
    }
    other = {"connectorId": 1, "idTag": "TAG-2", "meterStart": 0, "timestamp": "2026-11-27T08:01:00Z"}
    assert (
        station.call("x1", "StartTransaction", other)["idTagInfo"]["status"] == "Invalid"
    )  # reserved for TAG-1
    assert station.call("a1", "Authorize", {"idTag": "TAG-2"})["idTagInfo"]["status"] == "Invalid"
    mine = {
        "connectorId": 1,
        "idTag": "TAG-1",
        "meterStart": 0,
        "timestamp": "2026-11-27T08:02:00Z",
        "reservationId": reservation.reservation_id,
    }
    assert station.call("s1", "StartTransaction", mine)["idTagInfo"]["status"] == "Accepted"
    used = env.platform.reservations.get(key_of(env), reservation.reservation_id)
    assert used is not None and used.status is ReservationStatus.USED


def test_a_refused_reservation_is_kept_with_the_stations_reason(env: PlatformUnderTest) -> None:
    station = connect(env, protocol=V16)
    stored = env.platform.stations.get("CP-1")
    assert stored is not None
    reservation = env.platform.services.reservations.book(
        "CP-1", stored.registration_id, "tenant-a", "TAG-1", T0 + timedelta(hours=1)
    )
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.reserve(reservation))
    assert station.answer({"status": "Occupied"})[3]["connectorId"] == 0
    kept = env.platform.reservations.get(key_of(env), reservation.reservation_id)
    assert kept is not None and (kept.status, kept.station_answer) == (ReservationStatus.REJECTED, "Occupied")


def test_local_list_in_1_6_terms(env: PlatformUnderTest) -> None:
    station = connect(env, protocol=V16)
    push = LocalListPush(
        version=5,
        update_type=LocalListUpdate.FULL,
        entries=[LocalListEntry(id_token="A", info=IdTokenInfo(status=AuthorizationStatus.NOT_AT_THIS_TIME))],
    )
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.send_local_list(push))
    frame = station.answer({"status": "Accepted"})
    assert frame[3] == {
        "listVersion": 5,
        "updateType": "Full",
        "localAuthorizationList": [{"idTag": "A", "idTagInfo": {"status": "Invalid"}}],
    }
    assert list(env.platform.local_lists.entries(key_of(env))) == ["A"]
    command = env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.get_local_list_version())
    station.answer({"listVersion": -1})
    assert env.platform.commands.get(command.command_id).status == "rejected"  # type: ignore[union-attr]


def _profile(purpose: ProfilePurpose = ProfilePurpose.TX_DEFAULT, profile_id: int = 3) -> ChargingProfile:
    return ChargingProfile(
        id=profile_id,
        stack_level=1,
        purpose=purpose,
        kind=ProfileKind.RELATIVE,
        schedules=[ChargingSchedule(rate_unit="A", periods=[SchedulePeriod(start_period=0, limit=16.04)])],
    )


def test_charging_profiles_are_kept_when_accepted_and_cleared(env: PlatformUnderTest) -> None:
    station = connect(env, protocol=V16)
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.set_charging_profile(1, _profile()))
    frame = station.answer({"status": "Accepted"})
    assert frame[3]["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 16.0}
    ]
    env.platform.outbound.send_intent(
        "tenant-a", "CP-1", lambda m: m.set_charging_profile(0, _profile(ProfilePurpose.STATION_MAX, 4))
    )
    assert station.answer({"status": "Accepted"})[3]["csChargingProfiles"]["chargingProfilePurpose"] == (
        "ChargePointMaxProfile"
    )
    installed = env.platform.charging_profiles.list(key_of(env))
    assert sorted((profile.evse_id, profile.profile.id) for profile in installed) == [(0, 4), (1, 3)]
    env.platform.outbound.send_intent(
        "tenant-a",
        "CP-1",
        lambda m: m.clear_charging_profile(ProfileCriteria(purpose=ProfilePurpose.TX_DEFAULT)),
    )
    station.answer({"status": "Accepted"})
    assert [profile.profile.id for profile in env.platform.charging_profiles.list(key_of(env))] == [4]
    with pytest.raises(InvalidRequestError, match=r"OCPP 1\.6"):
        env.platform.outbound.send_intent(
            "tenant-a", "CP-1", lambda m: m.get_charging_profiles(1, ProfileCriteria())
        )


def test_firmware_and_diagnostics_in_1_6_terms(env: PlatformUnderTest) -> None:
    station = connect(env, protocol=V16)
    update = FirmwareUpdate(request_id=1, location="https://fw.example.com/1.bin", retrieve_at=T0, retries=2)
    env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.update_firmware(update))
    assert station.answer({})[3] == {
        "location": "https://fw.example.com/1.bin",
        "retrieveDate": "2026-11-27T08:00:00.000Z",
        "retries": 2,
    }
    station.call("f1", "FirmwareStatusNotification", {"status": "Installed"})
    upload = LogUpload(request_id=2, location="ftp://logs.example.com/")
    command = env.platform.outbound.send_intent("tenant-a", "CP-1", lambda m: m.upload_log(upload))
    station.answer({"fileName": "diag.zip"})
    assert env.platform.commands.get(command.command_id).status == "accepted"  # type: ignore[union-attr]
    station.call("d1", "DiagnosticsStatusNotification", {"status": "Uploaded"})
    stored = env.platform.stations.get("CP-1")
    assert stored is not None and stored.firmware is not None and stored.diagnostics is not None
    assert (stored.firmware.status, stored.diagnostics.status) == ("Installed", "Uploaded")
    with pytest.raises(InvalidRequestError, match=r"OCPP 1\.6"):
        env.platform.outbound.send_intent(
            "tenant-a",
            "CP-1",
            lambda m: m.upload_log(LogUpload(request_id=3, location="x", log_type="SecurityLog")),
        )


def test_a_security_event_is_kept_and_announced(env: PlatformUnderTest) -> None:
    """The 1.6 security whitepaper's SecurityEventNotification, as 2.0.1's: kept and an alert's event."""
    station = connect(env, protocol=V16)
    station.call(
        "e1",
        "SecurityEventNotification",
        {"type": "TamperDetectionActivated", "timestamp": "2026-11-27T08:00:00Z", "techInfo": "lid open"},
    )
    kept = env.platform.station_messages.list_for_station(key_of(env), "SecurityEventNotification#", 10)
    assert (kept[0]["status"], kept[0]["techInfo"]) == ("TamperDetectionActivated", "lid open")
    reported = [e for e in env.events.events if isinstance(e, SecurityEventReported)]
    assert [(e.event_type, e.tech_info) for e in reported] == [("TamperDetectionActivated", "lid open")]
