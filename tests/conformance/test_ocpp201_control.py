"""OCPP 2.0.1 CSMS conformance, blocks F (remote control), G (availability), H (reservation), K (smart
charging transport), L (firmware) and N (diagnostics): OCA Compliancy Test Tool TC_x_nn_CSMS cases, a
real ``ocpp`` 2.0.1 client playing the station."""

from __future__ import annotations

from typing import Any

import pytest
from ocpp.exceptions import NotSupportedError

from tests.conformance.conftest import Conformance
from tests.conformance.stations import V201, ConformanceStation, Transaction201, now

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.conformance,
    pytest.mark.xdist_group("conformance-ocpp201_control"),  # one platform per module, in one worker
]


async def sent_and_answered(
    conformance: Conformance, station: ConformanceStation, path: str, body: Any, action: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """POSTs an operator request; returns (the call the station got, the command's outcome)."""
    sent = await conformance.operator.ok("POST", f"/stations/{station.station_id}{path}", body)
    request = await station.request(action)
    outcome = await conformance.operator.command(sent["commandId"])
    return request, outcome


async def session_of(
    conformance: Conformance, station: ConformanceStation, status: str | None = None
) -> dict[str, Any]:
    body = await conformance.operator.eventually(
        f"/sessions?stationId={station.station_id}",
        lambda listing: (
            bool(listing["items"]) and (status is None or listing["items"][0]["status"] == status)
        ),
    )
    return dict(body["items"][0])


# --- F: remote control -----------------------------------------------------------------------------


async def test_TC_F_01_CSMS(conformance: Conformance) -> None:
    """Remote start transaction - Cable plugin first"""
    station = await conformance.station(V201)
    transaction = Transaction201(station)
    await transaction.send("Started", "CablePluggedIn", chargingState="EVConnected")
    station.answer(
        "RequestStartTransaction", {"status": "Accepted", "transactionId": transaction.transaction_id}
    )
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/remote-start", {"idToken": station.token, "evseId": 1}
    )
    request = await station.request("RequestStartTransaction")
    assert request["idToken"]["idToken"] == station.token and request["evseId"] == 1
    outcome = await conformance.operator.command(sent["commandId"])
    assert outcome["response"]["transactionId"] == transaction.transaction_id
    reply = await transaction.send(
        "Updated",
        "RemoteStart",
        token=station.token,
        chargingState="Charging",
        remoteStartId=request["remoteStartId"],
    )
    assert reply["idTokenInfo"]["status"] == "Accepted"
    session = await conformance.operator.ok("GET", f"/commands/{sent['commandId']}/session")
    assert (session["transactionId"], session["remoteStartId"]) == (
        transaction.transaction_id,
        request["remoteStartId"],
    )


async def _remote_start_first(conformance: Conformance, authorize_first: bool) -> None:
    station = await conformance.station(V201)
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/remote-start", {"idToken": station.token, "evseId": 1}
    )
    request = await station.request("RequestStartTransaction")
    assert (await conformance.operator.command(sent["commandId"]))["status"] == "accepted"
    if authorize_first:  # AuthorizeRemoteStart = true
        assert await station.authorize(station.token, "Central") == "Accepted"
    transaction = Transaction201(station)
    reply = await transaction.send(
        "Started", "RemoteStart", token=station.token, remoteStartId=request["remoteStartId"]
    )
    assert reply["idTokenInfo"]["status"] == "Accepted"
    session = await conformance.operator.ok("GET", f"/commands/{sent['commandId']}/session")
    assert session["transactionId"] == transaction.transaction_id


async def test_TC_F_02_CSMS(conformance: Conformance) -> None:
    """Remote start transaction - Remote start first - AuthorizeRemoteStart is true"""
    await _remote_start_first(conformance, True)


async def test_TC_F_03_CSMS(conformance: Conformance) -> None:
    """Remote start transaction - Remote start first - AuthorizeRemoteStart is false"""
    await _remote_start_first(conformance, False)


async def test_TC_F_04_CSMS(conformance: Conformance) -> None:
    """Remote start transaction - Remote start first - Cable plugin timeout"""
    station = await conformance.station(V201)
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/remote-start", {"idToken": station.token, "evseId": 1}
    )
    request = await station.request("RequestStartTransaction")
    transaction = Transaction201(station)
    await transaction.send(
        "Started",
        "RemoteStart",
        token=station.token,
        remoteStartId=request["remoteStartId"],
        chargingState="Idle",
    )
    await transaction.send("Ended", "EVConnectTimeout", stoppedReason="Timeout")
    session = await session_of(conformance, station, "Completed")
    assert session["stopReason"] == "Timeout"
    assert (await conformance.operator.command(sent["commandId"]))["status"] == "accepted"


async def test_TC_F_06_CSMS(conformance: Conformance) -> None:
    """Remote unlock Connector - Without ongoing transaction - Accepted"""
    station = await conformance.station(V201)
    request, outcome = await sent_and_answered(
        conformance, station, "/unlock", {"evseId": 1}, "UnlockConnector"
    )
    assert request == {"evseId": 1, "connectorId": 1} and outcome["status"] == "accepted"


async def _trigger(
    conformance: Conformance,
    message: str,
    evse: int | None,
    follow_up: tuple[str, dict[str, Any]] | None,
    station: ConformanceStation | None = None,
) -> ConformanceStation:
    station = station or await conformance.station(V201)
    body = {"message": message, **({"evseId": evse} if evse is not None else {})}
    request, outcome = await sent_and_answered(conformance, station, "/trigger", body, "TriggerMessage")
    assert request == {"requestedMessage": message, **({"evse": {"id": evse}} if evse is not None else {})}
    assert outcome["status"] == "accepted"
    if follow_up is not None:
        assert isinstance(await station.send(*follow_up), dict)
    return station


def _meter_values(evse: int) -> tuple[str, dict[str, Any]]:
    return (
        "MeterValues",
        {
            "evseId": evse,
            "meterValue": [{"timestamp": now(), "sampledValue": [{"value": 100, "context": "Trigger"}]}],
        },
    )


async def test_TC_F_11_CSMS(conformance: Conformance) -> None:
    """Trigger message - MeterValues - Specific EVSE"""
    await _trigger(conformance, "MeterValues", 1, _meter_values(1))


async def test_TC_F_12_CSMS(conformance: Conformance) -> None:
    """Trigger message - MeterValues - All EVSE"""
    await _trigger(conformance, "MeterValues", None, _meter_values(1))


async def _trigger_transaction_event(conformance: Conformance, evse: int | None) -> None:
    station = await conformance.station(V201)
    transaction = Transaction201(station)
    await transaction.send("Started", "Authorized", token=station.token)
    await _trigger(conformance, "TransactionEvent", evse, None, station)
    assert await transaction.send("Updated", "Trigger", meter_wh=50, context="Trigger") == {}
    # A meter-only update is stored on its own (one write); the session keeps its last state change.
    session = await session_of(conformance, station)
    detail = await conformance.operator.ok("GET", f"/sessions/{session['sessionId']}")
    assert [value["sampledValue"][0]["context"] for value in detail["meterValues"]] == ["Trigger"]


async def test_TC_F_13_CSMS(conformance: Conformance) -> None:
    """Trigger message - TransactionEvent - Specific EVSE"""
    await _trigger_transaction_event(conformance, 1)


async def test_TC_F_14_CSMS(conformance: Conformance) -> None:
    """Trigger message - TransactionEvent - All EVSE"""
    await _trigger_transaction_event(conformance, None)


async def test_TC_F_15_CSMS(conformance: Conformance) -> None:
    """Trigger message - LogStatusNotification - Idle"""
    station = await _trigger(
        conformance, "LogStatusNotification", None, ("LogStatusNotification", {"status": "Idle"})
    )
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    assert view["diagnostics"]["status"] == "Idle"


async def test_TC_F_18_CSMS(conformance: Conformance) -> None:
    """Trigger message - FirmwareStatusNotification - Idle"""
    station = await _trigger(
        conformance, "FirmwareStatusNotification", None, ("FirmwareStatusNotification", {"status": "Idle"})
    )
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    assert view["firmware"]["status"] == "Idle"


async def test_TC_F_20_CSMS(conformance: Conformance) -> None:
    """Trigger message - Heartbeat"""
    await _trigger(conformance, "Heartbeat", None, ("Heartbeat", {}))


async def _trigger_status(conformance: Conformance, status: str) -> None:
    station = await conformance.station(V201)
    await _trigger(
        conformance,
        "StatusNotification",
        1,
        (
            "StatusNotification",
            {"timestamp": now(1), "connectorStatus": status, "evseId": 1, "connectorId": 1},
        ),
        station,
    )
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    assert view["evses"][0]["connectors"][0]["status"] == status


async def test_TC_F_23_CSMS(conformance: Conformance) -> None:
    """Trigger message - StatusNotification - Specific EVSE - Available"""
    await _trigger_status(conformance, "Available")


async def test_TC_F_24_CSMS(conformance: Conformance) -> None:
    """Trigger message - StatusNotification - Specific EVSE - Occupied"""
    await _trigger_status(conformance, "Occupied")


async def test_TC_F_27_CSMS(conformance: Conformance) -> None:
    """Trigger message - NotImplemented"""
    station = await conformance.station(V201)
    station.answer("TriggerMessage", {"status": "NotImplemented"})
    sent = await conformance.operator.ok(
        "POST",
        f"/stations/{station.station_id}/commands",
        {"action": "TriggerMessage", "payload": {"requestedMessage": "SignV2GCertificate"}},
    )
    await station.request("TriggerMessage")
    assert (await conformance.operator.command(sent["commandId"]))["status"] == "rejected"


# --- G: availability -------------------------------------------------------------------------------


async def _availability(
    conformance: Conformance,
    operative: bool,
    evse: int | None,
    connector: int | None = None,
    *,
    busy: bool = False,
) -> dict[str, Any]:
    station = await conformance.station(V201)
    if busy:
        await Transaction201(station).send("Started", "Authorized", token=station.token)
        station.answer("ChangeAvailability", {"status": "Scheduled"})
    if operative:  # first inoperative, then back
        await sent_and_answered(
            conformance,
            station,
            "/availability",
            {"operative": False, "evseId": evse, "connectorId": connector},
            "ChangeAvailability",
        )
    body = {"operative": operative, "evseId": evse, "connectorId": connector}
    request, outcome = await sent_and_answered(
        conformance, station, "/availability", body, "ChangeAvailability"
    )
    expected: dict[str, Any] = {"operationalStatus": "Operative" if operative else "Inoperative"}
    if evse:
        expected["evse"] = {"id": evse, **({"connectorId": connector} if connector else {})}
    assert request == expected and outcome["status"] == "accepted"
    await station.status(1, "Available" if operative else "Unavailable")
    return dict(await conformance.operator.ok("GET", f"/stations/{station.station_id}"))


async def test_TC_G_03_CSMS(conformance: Conformance) -> None:
    """Change Availability EVSE - Operative to inoperative"""
    view = await _availability(conformance, False, 1)
    assert view["evses"][0]["operationalStatus"] == "Inoperative"


async def test_TC_G_04_CSMS(conformance: Conformance) -> None:
    """Change Availability EVSE - Inoperative to operative"""
    view = await _availability(conformance, True, 1)
    assert view["evses"][0]["operationalStatus"] == "Operative"


async def test_TC_G_05_CSMS(conformance: Conformance) -> None:
    """Change Availability Charging Station - Operative to inoperative"""
    view = await _availability(conformance, False, None)
    assert view["operationalStatus"] == "Inoperative"


async def test_TC_G_06_CSMS(conformance: Conformance) -> None:
    """Change Availability Charging Station - Inoperative to operative"""
    view = await _availability(conformance, True, None)
    assert view["operationalStatus"] == "Operative"


async def test_TC_G_07_CSMS(conformance: Conformance) -> None:
    """Change Availability Connector - Operative to inoperative"""
    view = await _availability(conformance, False, 1, 1)
    assert view["evses"][0]["inoperativeConnectors"] == [1]


async def test_TC_G_08_CSMS(conformance: Conformance) -> None:
    """Change Availability Connector - Inoperative to operative"""
    view = await _availability(conformance, True, 1, 1)
    assert view["evses"][0]["inoperativeConnectors"] == []


async def test_TC_G_11_CSMS(conformance: Conformance) -> None:
    """Change Availability EVSE - With ongoing transaction"""
    view = await _availability(conformance, False, 1, busy=True)
    assert view["evses"][0]["availabilityScheduled"] is True


async def test_TC_G_14_CSMS(conformance: Conformance) -> None:
    """Change Availability Charging Station - With ongoing transaction"""
    view = await _availability(conformance, False, None, busy=True)
    assert view["operationalStatus"] == "Inoperative"


async def test_TC_G_17_CSMS(conformance: Conformance) -> None:
    """Change Availability Connector - With ongoing transaction"""
    view = await _availability(conformance, False, 1, 1, busy=True)
    assert view["evses"][0]["availabilityScheduled"] is True


async def test_TC_G_20_CSMS(conformance: Conformance) -> None:
    """Connector status Notification - Lock Failure"""
    station = await conformance.station(V201)
    event = {
        "generatedAt": now(),
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 1,
                "timestamp": now(),
                "trigger": "Delta",
                "actualValue": "true",
                "eventNotificationType": "HardWiredNotification",
                "component": {"name": "ConnectorPlugRetentionLock", "evse": {"id": 1, "connectorId": 1}},
                "variable": {"name": "Problem"},
            }
        ],
    }
    assert await station.send("NotifyEvent", event) == {}
    await station.status(1, "Faulted")
    kept = await conformance.operator.ok("GET", f"/stations/{station.station_id}/messages?kind=NotifyEvent")
    assert kept["items"][0]["payload"]["eventData"][0]["component"]["name"] == "ConnectorPlugRetentionLock"


# --- H: reservations -------------------------------------------------------------------------------


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
    assert request["id"] == booked["reservationId"] and request["idToken"]["idToken"] == station.token
    await conformance.operator.command(booked["command"]["commandId"])
    return {"booked": booked, "request": request}


async def _status(conformance: Conformance, station: ConformanceStation, reservation_id: int) -> str:
    body = await conformance.operator.ok(
        "GET", f"/stations/{station.station_id}/reservations/{reservation_id}"
    )
    return str(body["status"])


async def test_TC_H_01_CSMS(conformance: Conformance) -> None:
    """Reserve a specific EVSE - Accepted - Valid idToken"""
    station = await conformance.station(V201)
    reserved = await _reserve(conformance, station, evseId=1)
    assert reserved["request"]["evseId"] == 1
    await station.status(1, "Reserved")
    assert await _status(conformance, station, reserved["booked"]["reservationId"]) == "Accepted"
    event = Transaction201(station).event("Started", "Authorized", token=station.token)
    event["reservationId"] = reserved["booked"]["reservationId"]
    assert (await station.send("TransactionEvent", event))["idTokenInfo"]["status"] == "Accepted"
    assert await _status(conformance, station, reserved["booked"]["reservationId"]) == "Used"


async def test_TC_H_07_CSMS(conformance: Conformance) -> None:
    """Reserve a specific EVSE - Reservation Ended / not used"""
    station = await conformance.station(V201)
    reserved = await _reserve(conformance, station, evseId=1)
    reservation_id = reserved["booked"]["reservationId"]
    assert (
        await station.send(
            "ReservationStatusUpdate", {"reservationId": reservation_id, "reservationUpdateStatus": "Expired"}
        )
        == {}
    )
    assert await _status(conformance, station, reservation_id) == "Expired"


async def test_TC_H_08_CSMS(conformance: Conformance) -> None:
    """Reserve an unspecified EVSE - Accepted"""
    station = await conformance.station(V201)
    reserved = await _reserve(conformance, station)
    assert "evseId" not in reserved["request"]
    assert await _status(conformance, station, reserved["booked"]["reservationId"]) == "Accepted"


async def test_TC_H_14_CSMS(conformance: Conformance) -> None:
    """Reserve an unspecified EVSE - Amount of EVSEs available equals the amount of reservations"""
    station = await conformance.station(V201)  # one EVSE
    await _reserve(conformance, station)
    other = await conformance.token(f"H14-{station.station_id[-4:]}")
    assert await station.authorize(other) == "NotAtThisTime"
    assert await station.authorize(station.token) == "Accepted"


async def test_TC_H_15_CSMS(conformance: Conformance) -> None:
    """Reserve a connector with a specific type - Success"""
    station = await conformance.station(V201)
    reserved = await _reserve(conformance, station, connectorType="cType2")
    assert reserved["request"]["connectorType"] == "cType2"
    assert await _status(conformance, station, reserved["booked"]["reservationId"]) == "Accepted"


async def test_TC_H_17_CSMS(conformance: Conformance) -> None:
    """Cancel reservation of an EVSE - Success"""
    station = await conformance.station(V201)
    reserved = await _reserve(conformance, station, evseId=1)
    reservation_id = reserved["booked"]["reservationId"]
    sent = await conformance.operator.ok(
        "DELETE", f"/stations/{station.station_id}/reservations/{reservation_id}"
    )
    assert await station.request("CancelReservation") == {"reservationId": reservation_id}
    assert (await conformance.operator.command(sent["commandId"]))["status"] == "accepted"
    assert await _status(conformance, station, reservation_id) == "Cancelled"


async def test_TC_H_19_CSMS(conformance: Conformance) -> None:
    """Reserve a specific EVSE - Use a reserved EVSE with GroupId"""
    station = await conformance.station(V201)
    group = f"G19-{station.station_id[-4:]}"
    member = await conformance.token(f"M19-{station.station_id[-4:]}", parentIdToken=group)
    reserved = await _reserve(conformance, station, evseId=1, groupIdToken=group)
    assert reserved["request"]["groupIdToken"] == {"idToken": group, "type": "Central"}
    assert await station.authorize(member) == "Accepted"
    event = Transaction201(station).event("Started", "Authorized", token=member)
    assert (await station.send("TransactionEvent", event))["idTokenInfo"]["status"] == "Accepted"
    assert await _status(conformance, station, reserved["booked"]["reservationId"]) == "Used"


async def test_TC_H_20_CSMS(conformance: Conformance) -> None:
    """Charging Station cancels reservation when Faulted"""
    station = await conformance.station(V201)
    reserved = await _reserve(conformance, station, evseId=1)
    reservation_id = reserved["booked"]["reservationId"]
    await station.status(1, "Faulted")
    await station.send(
        "ReservationStatusUpdate", {"reservationId": reservation_id, "reservationUpdateStatus": "Removed"}
    )
    assert await _status(conformance, station, reservation_id) == "Removed"


async def test_TC_H_22_CSMS(conformance: Conformance) -> None:
    """Reserve a specific EVSE - Configured to Reject"""
    station = await conformance.station(V201)
    reserved = await _reserve(conformance, station, "Rejected", evseId=1)
    assert await _status(conformance, station, reserved["booked"]["reservationId"]) == "Rejected"
    other = await conformance.token(f"H22-{station.station_id[-4:]}")
    assert await station.authorize(other) == "Accepted"  # a refused reservation holds nothing


# --- K: smart charging transport -------------------------------------------------------------------


def profile(
    profile_id: int,
    purpose: str,
    *,
    stack_level: int = 0,
    limit: float = 16.0,
    kind: str = "Absolute",
    **extra: Any,
) -> dict[str, Any]:
    schedule: dict[str, Any] = {
        "id": profile_id,
        "rateUnit": "A",
        "periods": [{"startPeriod": 0, "limit": limit}],
    }
    if kind == "Absolute":
        schedule["startSchedule"] = now()
    return {
        "id": profile_id,
        "stackLevel": stack_level,
        "purpose": purpose,
        "kind": kind,
        "schedules": [schedule],
        **extra,
    }


async def _set(
    conformance: Conformance,
    station: ConformanceStation,
    evse: int,
    body: dict[str, Any],
    answer: str = "Accepted",
) -> tuple[dict[str, Any], dict[str, Any]]:
    station.answer("SetChargingProfile", {"status": answer})
    return await sent_and_answered(
        conformance, station, "/charging-profiles", {"evseId": evse, "profile": body}, "SetChargingProfile"
    )


async def _installed(conformance: Conformance, station: ConformanceStation) -> list[tuple[int, int]]:
    listing = await conformance.operator.ok("GET", f"/stations/{station.station_id}/charging-profiles")
    return sorted((item["evseId"], item["profile"]["id"]) for item in listing["items"])


async def test_TC_K_01_CSMS(conformance: Conformance) -> None:
    """Set Charging Profile - TxDefaultProfile - Specific EVSE"""
    station = await conformance.station(V201)
    request, outcome = await _set(conformance, station, 1, profile(11, "TxDefaultProfile", kind="Relative"))
    assert (
        request["evseId"] == 1 and request["chargingProfile"]["chargingProfilePurpose"] == "TxDefaultProfile"
    )
    assert request["chargingProfile"]["chargingSchedule"][0]["chargingSchedulePeriod"] == [
        {"startPeriod": 0, "limit": 16.0}
    ]
    assert outcome["status"] == "accepted" and await _installed(conformance, station) == [(1, 11)]


async def test_TC_K_02_CSMS(conformance: Conformance) -> None:
    """Set Charging Profile - TxProfile without ongoing transaction on the specified EVSE"""
    station = await conformance.station(V201)
    _, outcome = await _set(
        conformance, station, 1, profile(12, "TxProfile", transactionId="NONE"), "Rejected"
    )
    assert outcome["status"] == "rejected" and await _installed(conformance, station) == []


async def test_TC_K_03_CSMS(conformance: Conformance) -> None:
    """Set Charging Profile - ChargingStationMaxProfile"""
    station = await conformance.station(V201)
    request, _ = await _set(conformance, station, 0, profile(13, "ChargingStationMaxProfile", limit=32))
    assert request["evseId"] == 0 and await _installed(conformance, station) == [(0, 13)]


async def test_TC_K_04_CSMS(conformance: Conformance) -> None:
    """Replace charging profile - With chargingProfileId"""
    station = await conformance.station(V201)
    await _set(conformance, station, 1, profile(14, "TxDefaultProfile", limit=10))
    await _set(conformance, station, 1, profile(14, "TxDefaultProfile", stack_level=1, limit=6))
    listing = await conformance.operator.ok("GET", f"/stations/{station.station_id}/charging-profiles")
    (installed,) = listing["items"]
    assert installed["profile"]["schedules"][0]["periods"][0]["limit"] == 6


async def _clear(
    conformance: Conformance, station: ConformanceStation, body: dict[str, Any], answer: str = "Accepted"
) -> tuple[dict[str, Any], dict[str, Any]]:
    station.answer("ClearChargingProfile", {"status": answer})
    return await sent_and_answered(
        conformance, station, "/charging-profiles/clear", body, "ClearChargingProfile"
    )


async def test_TC_K_05_CSMS(conformance: Conformance) -> None:
    """Clear Charging Profile - With chargingProfileId"""
    station = await conformance.station(V201)
    await _set(conformance, station, 1, profile(15, "TxDefaultProfile"))
    request, outcome = await _clear(conformance, station, {"profileId": 15})
    assert request == {"chargingProfileId": 15} and outcome["status"] == "accepted"
    assert await _installed(conformance, station) == []


async def test_TC_K_06_CSMS(conformance: Conformance) -> None:
    """Clear Charging Profile - With stackLevel/purpose combination for one profile"""
    station = await conformance.station(V201)
    await _set(conformance, station, 1, profile(16, "TxDefaultProfile", stack_level=2))
    await _set(conformance, station, 0, profile(17, "ChargingStationMaxProfile"))
    request, _ = await _clear(conformance, station, {"purpose": "TxDefaultProfile", "stackLevel": 2})
    assert request == {
        "chargingProfileCriteria": {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 2}
    }
    assert await _installed(conformance, station) == [(0, 17)]


async def test_TC_K_08_CSMS(conformance: Conformance) -> None:
    """Clear Charging Profile - Without previous charging profile"""
    station = await conformance.station(V201)
    _, outcome = await _clear(conformance, station, {"profileId": 999}, "Unknown")
    assert outcome["status"] == "rejected"


async def test_TC_K_10_CSMS(conformance: Conformance) -> None:
    """Set Charging Profile - TxDefaultProfile - All EVSE"""
    station = await conformance.station(V201)
    request, _ = await _set(conformance, station, 0, profile(18, "TxDefaultProfile", kind="Relative"))
    assert request["evseId"] == 0 and await _installed(conformance, station) == [(0, 18)]


async def test_TC_K_15_CSMS(conformance: Conformance) -> None:
    """Set Charging Profile - Not Supported"""
    station = await conformance.station(V201)

    def not_supported(_: dict[str, Any]) -> dict[str, Any]:
        raise NotSupportedError(description="no smart charging here")

    station.answer("SetChargingProfile", not_supported)
    _, outcome = await sent_and_answered(
        conformance,
        station,
        "/charging-profiles",
        {"evseId": 1, "profile": profile(19, "TxDefaultProfile")},
        "SetChargingProfile",
    )
    assert outcome["status"] == "failed" and outcome["error"]["code"] == "NotSupported"


async def test_TC_K_19_CSMS(conformance: Conformance) -> None:
    """Set Charging Profile - ChargingProfileKind is Recurring"""
    station = await conformance.station(V201)
    request, _ = await _set(
        conformance, station, 1, profile(20, "TxDefaultProfile", kind="Recurring", recurrency="Daily")
    )
    assert request["chargingProfile"]["recurrencyKind"] == "Daily"


async def _report_profiles(
    conformance: Conformance, criteria: dict[str, Any], expected: dict[str, Any]
) -> None:
    station = await conformance.station(V201)
    request, outcome = await sent_and_answered(
        conformance, station, "/charging-profiles/report", criteria, "GetChargingProfiles"
    )
    assert {key: value for key, value in request.items() if key != "requestId"} == expected
    assert outcome["status"] == "accepted"
    wire = {
        "id": 30,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxDefaultProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 12}]}
        ],
    }
    evse = criteria.get("evseId", 1)
    await station.send(
        "ReportChargingProfiles",
        {
            "requestId": request["requestId"],
            "chargingLimitSource": "CSO",
            "evseId": evse,
            "chargingProfile": [wire],
        },
    )
    listing = await conformance.operator.ok("GET", f"/stations/{station.station_id}/charging-profiles")
    assert [(item["evseId"], item["source"]) for item in listing["items"]] == [
        (evse, "ReportChargingProfiles")
    ]


async def test_TC_K_29_CSMS(conformance: Conformance) -> None:
    """Get Charging Profile - EvseId 0"""
    await _report_profiles(conformance, {"evseId": 0}, {"evseId": 0, "chargingProfile": {}})


async def test_TC_K_30_CSMS(conformance: Conformance) -> None:
    """Get Charging Profile - EvseId > 0"""
    await _report_profiles(conformance, {"evseId": 1}, {"evseId": 1, "chargingProfile": {}})


async def test_TC_K_31_CSMS(conformance: Conformance) -> None:
    """Get Charging Profile - No EvseId"""
    await _report_profiles(conformance, {}, {"chargingProfile": {}})


async def test_TC_K_32_CSMS(conformance: Conformance) -> None:
    """Get Charging Profile - chargingProfileId"""
    await _report_profiles(conformance, {"profileId": 30}, {"chargingProfile": {"chargingProfileId": [30]}})


async def test_TC_K_33_CSMS(conformance: Conformance) -> None:
    """Get Charging Profile - EvseId > 0 + stackLevel"""
    await _report_profiles(
        conformance, {"evseId": 1, "stackLevel": 0}, {"evseId": 1, "chargingProfile": {"stackLevel": 0}}
    )


async def test_TC_K_35_CSMS(conformance: Conformance) -> None:
    """Get Charging Profile - EvseId > 0 + chargingProfilePurpose"""
    await _report_profiles(
        conformance,
        {"evseId": 1, "purpose": "TxDefaultProfile"},
        {"evseId": 1, "chargingProfile": {"chargingProfilePurpose": "TxDefaultProfile"}},
    )


async def test_TC_K_36_CSMS(conformance: Conformance) -> None:
    """Get Charging Profile - EvseId > 0 + chargingProfilePurpose + stackLevel"""
    await _report_profiles(
        conformance,
        {"evseId": 1, "purpose": "TxDefaultProfile", "stackLevel": 0},
        {"evseId": 1, "chargingProfile": {"chargingProfilePurpose": "TxDefaultProfile", "stackLevel": 0}},
    )


async def test_TC_K_37_CSMS(conformance: Conformance) -> None:
    """Remote start transaction with charging profile - Success"""
    station = await conformance.station(V201)
    wire = {
        "id": 40,
        "stackLevel": 0,
        "chargingProfilePurpose": "TxProfile",
        "chargingProfileKind": "Relative",
        "chargingSchedule": [
            {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 8}]}
        ],
    }
    sent = await conformance.operator.ok(
        "POST",
        f"/stations/{station.station_id}/commands",
        {
            "action": "RequestStartTransaction",
            "payload": {
                "idToken": {"idToken": station.token, "type": "ISO14443"},
                "remoteStartId": 4040,
                "evseId": 1,
                "chargingProfile": wire,
            },
        },
    )
    request = await station.request("RequestStartTransaction")
    assert request["chargingProfile"]["id"] == 40
    assert (await conformance.operator.command(sent["commandId"]))["status"] == "accepted"
    transaction = Transaction201(station)
    await transaction.send("Started", "RemoteStart", token=station.token, remoteStartId=4040)
    assert (await session_of(conformance, station))["remoteStartId"] == 4040


async def _composite(conformance: Conformance, evse: int) -> None:
    station = await conformance.station(V201)
    schedule = {
        "evseId": evse,
        "duration": 600,
        "scheduleStart": now(),
        "chargingRateUnit": "W",
        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 7400}],
    }
    station.answer("GetCompositeSchedule", {"status": "Accepted", "schedule": schedule})
    request, outcome = await sent_and_answered(
        conformance,
        station,
        "/composite-schedule",
        {"evseId": evse, "duration": 600, "rateUnit": "W"},
        "GetCompositeSchedule",
    )
    assert request == {"duration": 600, "evseId": evse, "chargingRateUnit": "W"}
    assert outcome["response"]["schedule"]["chargingSchedulePeriod"][0]["limit"] == 7400


async def test_TC_K_43_CSMS(conformance: Conformance) -> None:
    """Get Composite Schedule - Specific EVSE"""
    await _composite(conformance, 1)


async def test_TC_K_44_CSMS(conformance: Conformance) -> None:
    """Get Composite Schedule - Charging Station"""
    await _composite(conformance, 0)


async def test_TC_K_48_CSMS(conformance: Conformance) -> None:
    """Set / Update External Charging Limit (not on a transaction)"""
    station = await conformance.station(V201)
    limit = {
        "chargingLimit": {"chargingLimitSource": "EMS", "isGridCritical": False},
        "evseId": 1,
        "chargingSchedule": [
            {"id": 1, "chargingRateUnit": "A", "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 10}]}
        ],
    }
    assert await station.send("NotifyChargingLimit", limit) == {}
    kept = await conformance.operator.ok(
        "GET", f"/stations/{station.station_id}/messages?kind=NotifyChargingLimit"
    )
    assert kept["items"][0]["payload"]["chargingLimit"]["chargingLimitSource"] == "EMS"


async def test_TC_K_53_CSMS(conformance: Conformance) -> None:
    """Charging with load leveling based on High Level Communication - Success"""
    station = await conformance.station(V201)
    await Transaction201(station).send("Started", "Authorized", token=station.token)
    await session_of(conformance, station)
    needs = {
        "evseId": 1,
        "chargingNeeds": {
            "requestedEnergyTransfer": "DC",
            "departureTime": now(7200),
            "dcChargingParameters": {
                "evMaxCurrent": 125,
                "evMaxVoltage": 450,
                "energyAmount": 40000,
                "stateOfCharge": 30,
            },
        },
    }
    reply = await station.send("NotifyEVChargingNeeds", needs)
    assert reply["status"] in ("Accepted", "Processing")
    session = await session_of(conformance, station)
    assert session["chargingNeeds"]["energyWh"] == 40000 and session["chargingNeeds"]["departureAt"]


async def test_TC_K_60_CSMS(conformance: Conformance) -> None:
    """Set Charging Profile - TxProfile with ongoing transaction on the specified EVSE"""
    station = await conformance.station(V201)
    transaction = Transaction201(station)
    await transaction.send("Started", "Authorized", token=station.token)
    request, outcome = await _set(
        conformance, station, 1, profile(60, "TxProfile", transactionId=transaction.transaction_id)
    )
    assert request["chargingProfile"]["transactionId"] == transaction.transaction_id
    assert outcome["status"] == "accepted"


# --- L: firmware -----------------------------------------------------------------------------------


async def _firmware(
    conformance: Conformance, statuses: list[str], answer: str = "Accepted"
) -> dict[str, Any]:
    station = await conformance.station(V201)
    station.answer("UpdateFirmware", {"status": answer})
    request, outcome = await sent_and_answered(
        conformance,
        station,
        "/firmware",
        {
            "location": "https://firmware.example.com/2.0.bin",
            "retrieveAt": now(),
            "signingCertificate": "-----BEGIN CERTIFICATE-----",
            "signature": "c2ln",
        },
        "UpdateFirmware",
    )
    assert request["firmware"]["location"] == "https://firmware.example.com/2.0.bin"
    assert outcome["status"] == "accepted"
    for status in statuses:
        await station.send(
            "FirmwareStatusNotification", {"status": status, "requestId": request["requestId"]}
        )
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    if statuses:
        assert (view["firmware"]["status"], view["firmware"]["requestId"]) == (
            statuses[-1],
            request["requestId"],
        )
    return dict(view)


async def test_TC_L_01_CSMS(conformance: Conformance) -> None:
    """Secure Firmware Update - Installation successful"""
    await _firmware(
        conformance, ["Downloading", "Downloaded", "SignatureVerified", "Installing", "Installed"]
    )


async def test_TC_L_02_CSMS(conformance: Conformance) -> None:
    """Secure Firmware Update - InstallScheduled"""
    await _firmware(conformance, ["Downloading", "Downloaded", "SignatureVerified", "InstallScheduled"])


async def test_TC_L_03_CSMS(conformance: Conformance) -> None:
    """Secure Firmware Update - DownloadScheduled"""
    await _firmware(conformance, ["DownloadScheduled"])


async def test_TC_L_06_CSMS(conformance: Conformance) -> None:
    """Secure Firmware Update - InvalidSignature"""
    await _firmware(conformance, ["Downloading", "Downloaded", "InvalidSignature"])


async def test_TC_L_07_CSMS(conformance: Conformance) -> None:
    """Secure Firmware Update - DownloadFailed"""
    await _firmware(conformance, ["Downloading", "DownloadFailed"])


async def test_TC_L_08_CSMS(conformance: Conformance) -> None:
    """Secure Firmware Update - InstallVerificationFailed"""
    await _firmware(
        conformance, ["Downloading", "Downloaded", "SignatureVerified", "InstallVerificationFailed"]
    )


async def test_TC_L_09_CSMS(conformance: Conformance) -> None:
    """Secure Firmware Update - InstallationFailed"""
    await _firmware(
        conformance, ["Downloading", "Downloaded", "SignatureVerified", "Installing", "InstallationFailed"]
    )


async def test_TC_L_10_CSMS(conformance: Conformance) -> None:
    """Secure Firmware Update - AcceptedCanceled"""
    await _firmware(conformance, ["Downloading"], answer="AcceptedCanceled")


# --- N: diagnostics --------------------------------------------------------------------------------


async def _log(conformance: Conformance, log_type: str, answer: str, statuses: list[str]) -> None:
    station = await conformance.station(V201)
    station.answer(
        "GetLog", {"status": answer, "filename": "log.tar"} if answer == "Accepted" else {"status": answer}
    )
    request, outcome = await sent_and_answered(
        conformance,
        station,
        "/logs",
        {"location": "https://logs.example.com/", "logType": log_type},
        "GetLog",
    )
    assert (request["logType"], request["log"]["remoteLocation"]) == (log_type, "https://logs.example.com/")
    assert outcome["status"] == ("accepted" if answer == "Accepted" else "rejected")
    for status in statuses:
        await station.send("LogStatusNotification", {"status": status, "requestId": request["requestId"]})
    if statuses:
        view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
        assert (view["diagnostics"]["status"], view["diagnostics"]["requestId"]) == (
            statuses[-1],
            request["requestId"],
        )


async def test_TC_N_25_CSMS(conformance: Conformance) -> None:
    """Retrieve Log Information - Diagnostics Log - Success"""
    await _log(conformance, "DiagnosticsLog", "Accepted", ["Uploading", "Uploaded"])


async def test_TC_N_34_CSMS(conformance: Conformance) -> None:
    """Retrieve Log Information - Rejected"""
    await _log(conformance, "DiagnosticsLog", "Rejected", [])


async def test_TC_N_35_CSMS(conformance: Conformance) -> None:
    """Retrieve Log Information - Security Log - Success"""
    await _log(conformance, "SecurityLog", "Accepted", ["Uploading", "Uploaded"])


async def test_TC_N_21_CSMS(conformance: Conformance) -> None:
    """Alert Event - HardWiredMonitor"""
    station = await conformance.station(V201)
    event = {
        "generatedAt": now(),
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 7,
                "timestamp": now(),
                "trigger": "Alerting",
                "actualValue": "95",
                "techCode": "TEMP",
                "eventNotificationType": "HardWiredMonitor",
                "component": {"name": "ChargingStation"},
                "variable": {"name": "Temperature"},
            }
        ],
    }
    assert await station.send("NotifyEvent", event) == {}
    security = {"type": "TamperDetectionActivated", "timestamp": now(), "techInfo": "lid open"}
    assert await station.send("SecurityEventNotification", security) == {}
    kept = await conformance.operator.ok("GET", f"/stations/{station.station_id}/messages?kind=NotifyEvent")
    assert kept["items"][0]["payload"]["eventData"][0]["eventNotificationType"] == "HardWiredMonitor"
    kept = await conformance.operator.ok(
        "GET", f"/stations/{station.station_id}/messages?kind=SecurityEventNotification"
    )
    assert kept["items"][0]["status"] == "TamperDetectionActivated"
