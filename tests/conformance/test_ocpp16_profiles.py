"""OCPP 1.6J CSMS conformance beyond Core: Local Auth List Management, Firmware Management, Reservation,
Remote Trigger and Smart Charging (OCA Compliancy Test Tool CSMS cases, by the ids SteVe uses)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.conformance.conftest import Conformance
from tests.conformance.stations import V16, ConformanceStation, now

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.conformance,
    pytest.mark.xdist_group("conformance-ocpp16_profiles"),  # one platform per module, in one worker
]


async def command_outcome(conformance: Conformance, sent: dict[str, Any]) -> dict[str, Any]:
    return await conformance.operator.command(sent["commandId"])


# --- Local Auth List Management --------------------------------------------------------------------


async def test_TC_042_1_CSMS(conformance: Conformance) -> None:
    """Get Local List Version (not supported)"""
    station = await conformance.station(V16)
    station.answer("GetLocalListVersion", {"listVersion": -1})
    sent = await conformance.operator.ok("POST", f"/stations/{station.station_id}/local-list/version")
    assert await station.request("GetLocalListVersion") == {}
    assert (await command_outcome(conformance, sent))["status"] == "rejected"


async def test_TC_042_2_CSMS(conformance: Conformance) -> None:
    """Get Local List Version (empty)"""
    station = await conformance.station(V16)
    sent = await conformance.operator.ok("POST", f"/stations/{station.station_id}/local-list/version")
    await station.request("GetLocalListVersion")
    assert (await command_outcome(conformance, sent))["status"] == "accepted"
    listed = await conformance.operator.ok("GET", f"/stations/{station.station_id}/local-list")
    assert (listed["reportedVersion"], listed["entries"]) == (0, [])


async def _push(
    conformance: Conformance, station: ConformanceStation, body: dict[str, Any], answer: str
) -> Any:
    station.answer("SendLocalList", {"status": answer})
    pushed = await conformance.operator.ok("POST", f"/stations/{station.station_id}/local-list", body)
    request = await station.request("SendLocalList")
    outcome = await conformance.operator.command(pushed["command"]["commandId"])
    return request, outcome


async def test_TC_043_1_CSMS(conformance: Conformance) -> None:
    """Send Local Authorization List - NotSupported"""
    station = await conformance.station(V16)
    _, outcome = await _push(conformance, station, {}, "NotSupported")
    assert outcome["status"] == "rejected"


async def test_TC_043_3_CSMS(conformance: Conformance) -> None:
    """Send Local Authorization List - Failed"""
    station = await conformance.station(V16)
    _, outcome = await _push(conformance, station, {}, "Failed")
    assert outcome["status"] == "rejected"
    listed = await conformance.operator.ok("GET", f"/stations/{station.station_id}/local-list")
    assert (listed["version"], listed["entries"]) == (None, [])


async def test_TC_043_4_CSMS(conformance: Conformance) -> None:
    """Send Local Authorization List - Full"""
    station = await conformance.station(V16)
    body = {
        "updateType": "Full",
        "version": 1,
        "entries": [
            {"idToken": "LOCAL-1", "status": "Accepted"},
            {"idToken": "LOCAL-2", "status": "Blocked"},
        ],
    }
    request, outcome = await _push(conformance, station, body, "Accepted")
    assert request == {
        "listVersion": 1,
        "updateType": "Full",
        "localAuthorizationList": [
            {"idTag": "LOCAL-1", "idTagInfo": {"status": "Accepted"}},
            {"idTag": "LOCAL-2", "idTagInfo": {"status": "Blocked"}},
        ],
    }
    assert outcome["status"] == "accepted"
    listed = await conformance.operator.ok("GET", f"/stations/{station.station_id}/local-list")
    assert listed["version"] == 1 and [entry["idToken"] for entry in listed["entries"]] == [
        "LOCAL-1",
        "LOCAL-2",
    ]


async def test_TC_043_5_CSMS(conformance: Conformance) -> None:
    """Send Local Authorization List - Differential"""
    station = await conformance.station(V16)
    await _push(
        conformance,
        station,
        {"version": 1, "entries": [{"idToken": "LOCAL-1", "status": "Accepted"}]},
        "Accepted",
    )
    request, outcome = await _push(
        conformance,
        station,
        {
            "updateType": "Differential",
            "entries": [{"idToken": "LOCAL-1"}, {"idToken": "LOCAL-3", "status": "Accepted"}],
        },
        "Accepted",
    )
    assert request["listVersion"] == 2 and request["updateType"] == "Differential"
    assert request["localAuthorizationList"][0] == {"idTag": "LOCAL-1"}
    listed = await conformance.operator.ok("GET", f"/stations/{station.station_id}/local-list")
    assert [entry["idToken"] for entry in listed["entries"]] == ["LOCAL-3"]
    assert outcome["status"] == "accepted"


# --- Firmware Management ---------------------------------------------------------------------------


async def _firmware(conformance: Conformance, statuses: list[str]) -> dict[str, Any]:
    station = await conformance.station(V16)
    sent = await conformance.operator.ok(
        "POST",
        f"/stations/{station.station_id}/firmware",
        {"location": "https://firmware.example.com/v2.bin", "retrieveAt": now()},
    )
    request = await station.request("UpdateFirmware")
    assert request["location"] == "https://firmware.example.com/v2.bin" and request["retrieveDate"]
    assert (await command_outcome(conformance, sent))["status"] == "accepted"
    for status in statuses:
        assert await station.send("FirmwareStatusNotification", {"status": status}) == {}
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    assert view["firmware"]["status"] == statuses[-1]
    kept = await conformance.operator.ok(
        "GET", f"/stations/{station.station_id}/messages?kind=FirmwareStatusNotification"
    )
    assert [item["status"] for item in kept["items"]][::-1] == statuses
    return view


async def test_TC_044_1_CSMS(conformance: Conformance) -> None:
    """Firmware Update - Download and Install"""
    await _firmware(conformance, ["Downloading", "Downloaded", "Installing", "Installed"])


async def test_TC_044_2_CSMS(conformance: Conformance) -> None:
    """Firmware Update - Download Failed"""
    await _firmware(conformance, ["Downloading", "DownloadFailed"])


async def test_TC_044_3_CSMS(conformance: Conformance) -> None:
    """Firmware Update - Installation Failed"""
    await _firmware(conformance, ["Downloading", "Downloaded", "Installing", "InstallationFailed"])


async def _diagnostics(conformance: Conformance, final: str) -> None:
    station = await conformance.station(V16)
    station.answer("GetDiagnostics", {"fileName": "diagnostics.zip"})
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/logs", {"location": "ftp://logs.example.com/"}
    )
    assert (await station.request("GetDiagnostics"))["location"] == "ftp://logs.example.com/"
    outcome = await command_outcome(conformance, sent)
    assert outcome["status"] == "accepted" and outcome["response"] == {"fileName": "diagnostics.zip"}
    for status in ("Uploading", final):
        assert await station.send("DiagnosticsStatusNotification", {"status": status}) == {}
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    assert view["diagnostics"]["status"] == final


async def test_TC_045_1_CSMS(conformance: Conformance) -> None:
    """Get Diagnostics"""
    await _diagnostics(conformance, "Uploaded")


async def test_TC_045_2_CSMS(conformance: Conformance) -> None:
    """Get Diagnostics - Upload Failed"""
    await _diagnostics(conformance, "UploadFailed")


# --- Reservation -----------------------------------------------------------------------------------


async def _reserve(
    conformance: Conformance, station: ConformanceStation, answer: str = "Accepted", **body: Any
) -> dict[str, Any]:
    station.answer("ReserveNow", {"status": answer})
    booked = await conformance.operator.ok(
        "POST",
        f"/stations/{station.station_id}/reservations",
        {"idToken": station.token, "expiresAt": now(3600), **body},
    )
    request = await station.request("ReserveNow")
    assert request["reservationId"] == booked["reservationId"] and request["idTag"] == station.token
    await conformance.operator.command(booked["command"]["commandId"])
    return dict(booked)


async def _reservation(
    conformance: Conformance, station: ConformanceStation, reservation_id: int
) -> dict[str, Any]:
    return dict(
        await conformance.operator.ok("GET", f"/stations/{station.station_id}/reservations/{reservation_id}")
    )


async def test_TC_046_CSMS(conformance: Conformance) -> None:
    """Reservation of a Connector - Transaction"""
    station = await conformance.station(V16)
    booked = await _reserve(conformance, station, evseId=1)
    assert (await _reservation(conformance, station, booked["reservationId"]))["status"] == "Accepted"
    await station.status(1, "Reserved")
    await station.status(1, "Preparing")
    started = await station.send(
        "StartTransaction",
        {
            "connectorId": 1,
            "idTag": station.token,
            "meterStart": 0,
            "timestamp": now(),
            "reservationId": booked["reservationId"],
        },
    )
    assert started["idTagInfo"]["status"] == "Accepted"
    used = await _reservation(conformance, station, booked["reservationId"])
    assert used["status"] == "Used" and used["sessionId"].endswith(f":{started['transactionId']}")


async def test_TC_047_CSMS(conformance: Conformance) -> None:
    """Reservation of a Connector - Expire"""
    station = await conformance.station(V16)
    booked = await _reserve(conformance, station, evseId=1, expiresAt=now(1.5))
    await station.status(1, "Reserved")
    await asyncio.sleep(1.6)
    await station.status(1, "Available")  # the station let it lapse
    assert (await _reservation(conformance, station, booked["reservationId"]))["status"] == "Expired"


async def _refused_reservation(conformance: Conformance, answer: str) -> None:
    station = await conformance.station(V16)
    booked = await _reserve(conformance, station, answer, evseId=1)
    reservation = await _reservation(conformance, station, booked["reservationId"])
    assert (reservation["status"], reservation["stationAnswer"]) == ("Rejected", answer)


async def test_TC_048_1_CSMS(conformance: Conformance) -> None:
    """Reservation of a Connector - Faulted"""
    await _refused_reservation(conformance, "Faulted")


async def test_TC_048_2_CSMS(conformance: Conformance) -> None:
    """Reservation of a Connector - Occupied"""
    await _refused_reservation(conformance, "Occupied")


async def test_TC_048_3_CSMS(conformance: Conformance) -> None:
    """Reservation of a Connector - Unavailable"""
    await _refused_reservation(conformance, "Unavailable")


async def test_TC_048_4_CSMS(conformance: Conformance) -> None:
    """Reservation of a Connector - Rejected"""
    await _refused_reservation(conformance, "Rejected")


async def test_TC_049_CSMS(conformance: Conformance) -> None:
    """Reservation of a Charge Point - Transaction"""
    station = await conformance.station(V16)
    station.answer("ReserveNow", {"status": "Accepted"})
    booked = await conformance.operator.ok(
        "POST",
        f"/stations/{station.station_id}/reservations",
        {"idToken": station.token, "expiresAt": now(3600)},
    )
    assert (await station.request("ReserveNow"))["connectorId"] == 0
    await conformance.operator.command(booked["command"]["commandId"])
    other = await conformance.token(f"OTHER-{station.station_id[-4:]}")
    assert await station.authorize(other) == "Invalid"  # its only connector is held for another token
    assert await station.authorize(station.token) == "Accepted"
    started = await station.send(
        "StartTransaction",
        {
            "connectorId": 1,
            "idTag": station.token,
            "meterStart": 0,
            "timestamp": now(),
            "reservationId": booked["reservationId"],
        },
    )
    assert started["idTagInfo"]["status"] == "Accepted"
    assert (await _reservation(conformance, station, booked["reservationId"]))["status"] == "Used"


async def _cancel(conformance: Conformance, answer: str, expected: str) -> None:
    station = await conformance.station(V16)
    booked = await _reserve(conformance, station, evseId=1)
    station.answer("CancelReservation", {"status": answer})
    sent = await conformance.operator.ok(
        "DELETE", f"/stations/{station.station_id}/reservations/{booked['reservationId']}"
    )
    assert await station.request("CancelReservation") == {"reservationId": booked["reservationId"]}
    await command_outcome(conformance, sent)
    assert (await _reservation(conformance, station, booked["reservationId"]))["status"] == expected


async def test_TC_051_CSMS(conformance: Conformance) -> None:
    """Cancel Reservation"""
    await _cancel(conformance, "Accepted", "Cancelled")


async def test_TC_052_CSMS(conformance: Conformance) -> None:
    """Cancel Reservation - Rejected"""
    await _cancel(conformance, "Rejected", "Accepted")


async def test_TC_053_CSMS(conformance: Conformance) -> None:
    """Use a reserved Connector with parentIdTag"""
    station = await conformance.station(V16)
    group = f"FLEET-{station.station_id[-4:]}"
    member = await conformance.token(f"MEMBER-{station.station_id[-4:]}", parentIdToken=group)
    booked = await _reserve(conformance, station, evseId=1, groupIdToken=group)
    assert await station.authorize(member) == "Accepted"  # a token of the reservation's group
    started = await station.send(
        "StartTransaction", {"connectorId": 1, "idTag": member, "meterStart": 0, "timestamp": now()}
    )
    assert started["idTagInfo"]["status"] == "Accepted"
    assert (await _reservation(conformance, station, booked["reservationId"]))["status"] == "Used"


# --- Remote Trigger --------------------------------------------------------------------------------


async def test_TC_054_CSMS(conformance: Conformance) -> None:
    """Trigger Message"""
    station = await conformance.station(V16)
    follow_ups: dict[str, tuple[str, dict[str, Any]]] = {
        "MeterValues": (
            "MeterValues",
            {"connectorId": 1, "meterValue": [{"timestamp": now(), "sampledValue": [{"value": "1000"}]}]},
        ),
        "Heartbeat": ("Heartbeat", {}),
        "StatusNotification": (
            "StatusNotification",
            {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
        ),
        "DiagnosticsStatusNotification": ("DiagnosticsStatusNotification", {"status": "Idle"}),
        "FirmwareStatusNotification": ("FirmwareStatusNotification", {"status": "Idle"}),
        "BootNotification": (
            "BootNotification",
            {"chargePointVendor": "OCA", "chargePointModel": "Conformance"},
        ),
    }
    for message, (action, payload) in follow_ups.items():
        body = {
            "message": message,
            **({"evseId": 1} if message in ("MeterValues", "StatusNotification") else {}),
        }
        sent = await conformance.operator.ok("POST", f"/stations/{station.station_id}/trigger", body)
        request = await station.request("TriggerMessage")
        assert request["requestedMessage"] == message
        assert (await command_outcome(conformance, sent))["status"] == "accepted"
        reply = await station.send(action, payload)
        assert isinstance(reply, dict)


async def test_TC_055_CSMS(conformance: Conformance) -> None:
    """Trigger Message - Rejected"""
    station = await conformance.station(V16)
    station.answer("TriggerMessage", {"status": "Rejected"})
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/trigger", {"message": "MeterValues", "evseId": 1}
    )
    await station.request("TriggerMessage")
    assert (await command_outcome(conformance, sent))["status"] == "rejected"


# --- Smart Charging --------------------------------------------------------------------------------


def _profile(profile_id: int, purpose: str, limit: float = 16.0, **extra: Any) -> dict[str, Any]:
    return {
        "id": profile_id,
        "stackLevel": 0,
        "purpose": purpose,
        "kind": "Relative" if purpose != "TxProfile" else "Absolute",
        "schedules": [
            {
                "rateUnit": "A",
                "periods": [{"startPeriod": 0, "limit": limit}],
                **({"startSchedule": now()} if purpose == "TxProfile" else {}),
            }
        ],
        **extra,
    }


async def _set_profile(
    conformance: Conformance,
    station: ConformanceStation,
    evse: int,
    profile: dict[str, Any],
    answer: str = "Accepted",
) -> dict[str, Any]:
    station.answer("SetChargingProfile", {"status": answer})
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/charging-profiles", {"evseId": evse, "profile": profile}
    )
    request = await station.request("SetChargingProfile")
    await command_outcome(conformance, sent)
    return request


async def test_TC_056_CSMS(conformance: Conformance) -> None:
    """Central Smart Charging - TxDefaultProfile"""
    station = await conformance.station(V16)
    request = await _set_profile(conformance, station, 1, _profile(1, "TxDefaultProfile", 10.0))
    assert request["connectorId"] == 1
    assert request["csChargingProfiles"]["chargingProfilePurpose"] == "TxDefaultProfile"
    assert request["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 10.0}
    ]
    installed = await conformance.operator.ok("GET", f"/stations/{station.station_id}/charging-profiles")
    assert [(item["evseId"], item["profile"]["id"]) for item in installed["items"]] == [(1, 1)]


async def test_TC_057_CSMS(conformance: Conformance) -> None:
    """Central Smart Charging - TxProfile"""
    station = await conformance.station(V16)
    started = await station.send(
        "StartTransaction", {"connectorId": 1, "idTag": station.token, "meterStart": 0, "timestamp": now()}
    )
    profile = _profile(2, "TxProfile", 6.0, transactionId=str(started["transactionId"]))
    request = await _set_profile(conformance, station, 1, profile)
    assert request["csChargingProfiles"]["transactionId"] == started["transactionId"]
    assert request["csChargingProfiles"]["chargingProfileKind"] == "Absolute"


async def test_TC_059_CSMS(conformance: Conformance) -> None:
    """Remote Start Transaction with Charging Profile"""
    station = await conformance.station(V16)
    profile = {
        "chargingProfileId": 5,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": {
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8.0}],
        },
    }
    sent = await conformance.operator.ok(
        "POST",
        f"/stations/{station.station_id}/commands",
        {
            "action": "RemoteStartTransaction",
            "payload": {"idTag": station.token, "connectorId": 1, "chargingProfile": profile},
        },
    )
    request = await station.request("RemoteStartTransaction")
    assert request["chargingProfile"]["chargingProfilePurpose"] == "TxProfile"
    assert (await command_outcome(conformance, sent))["status"] == "accepted"
    started = await station.send(
        "StartTransaction", {"connectorId": 1, "idTag": station.token, "meterStart": 0, "timestamp": now()}
    )
    assert started["idTagInfo"]["status"] == "Accepted"


async def test_TC_066_CSMS(conformance: Conformance) -> None:
    """Get Composite Schedule"""
    station = await conformance.station(V16)
    schedule = {
        "status": "Accepted",
        "connectorId": 1,
        "scheduleStart": now(),
        "chargingSchedule": {
            "duration": 300,
            "chargingRateUnit": "A",
            "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10.0}],
        },
    }
    station.answer("GetCompositeSchedule", schedule)
    sent = await conformance.operator.ok(
        "POST",
        f"/stations/{station.station_id}/composite-schedule",
        {"evseId": 1, "duration": 300, "rateUnit": "A"},
    )
    assert await station.request("GetCompositeSchedule") == {
        "connectorId": 1,
        "duration": 300,
        "chargingRateUnit": "A",
    }
    outcome = await command_outcome(conformance, sent)
    assert outcome["status"] == "accepted" and outcome["response"]["chargingSchedule"]["duration"] == 300


async def test_TC_067_CSMS(conformance: Conformance) -> None:
    """Clear Charging Profile"""
    station = await conformance.station(V16)
    await _set_profile(conformance, station, 1, _profile(3, "TxDefaultProfile"))
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/charging-profiles/clear", {"profileId": 3}
    )
    assert await station.request("ClearChargingProfile") == {"id": 3}
    assert (await command_outcome(conformance, sent))["status"] == "accepted"
    installed = await conformance.operator.ok("GET", f"/stations/{station.station_id}/charging-profiles")
    assert installed["items"] == []
