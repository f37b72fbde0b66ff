"""OCPP 1.6J CSMS conformance, Core profile: the OCA Compliancy Test Tool's CSMS cases (test case
document 2026-02, chapter 3), by the ids SteVe uses for them. A real ``ocpp`` 1.6 client plays the
station; the platform, registered stations and operator API are the system under test."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from ocpp.exceptions import OCPPError
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conformance.conftest import PASSWORD, Conformance
from tests.conformance.stations import V16, ConformanceStation, now

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.conformance,
    pytest.mark.xdist_group("conformance-ocpp16_core"),  # one platform per module, in one worker
]


async def start(
    station: ConformanceStation, connector: int = 1, tag: str | None = None, **extra: Any
) -> dict[str, Any]:
    return await station.send(
        "StartTransaction",
        {
            "connectorId": connector,
            "idTag": tag or station.token,
            "meterStart": 1000,
            "timestamp": now(),
            **extra,
        },
    )


async def stop(
    station: ConformanceStation, transaction_id: int, reason: str, meter_stop: int = 2500, **extra: Any
) -> dict[str, Any]:
    return await station.send(
        "StopTransaction",
        {
            "transactionId": transaction_id,
            "meterStop": meter_stop,
            "timestamp": now(),
            "reason": reason,
            **extra,
        },
    )


async def session_of(
    conformance: Conformance, station: ConformanceStation, check: Any = bool
) -> dict[str, Any]:
    body = await conformance.operator.eventually(
        f"/sessions?stationId={station.station_id}",
        lambda listing: bool(listing["items"]) and check(listing["items"][0]),
    )
    return dict(body["items"][0])


async def test_TC_001_CSMS(conformance: Conformance) -> None:
    """Cold Boot Charge Point"""
    station = await conformance.station(V16, boot=False)
    boot = await station.boot()
    assert boot["status"] == "Accepted" and boot["interval"] > 0 and boot["currentTime"]
    for connector in (0, 1):
        assert await station.status(connector, "Available") == {}
    assert (await station.send("Heartbeat"))["currentTime"]
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    assert (view["online"], view["bootStatus"], view["vendor"], view["protocol"]) == (
        True,
        "Accepted",
        "OCA",
        "ocpp1.6",
    )


async def test_TC_003_CSMS(conformance: Conformance) -> None:
    """Regular Charging Session - Plugin First"""
    station = await conformance.station(V16)
    await station.status(1, "Preparing")
    assert await station.authorize(station.token) == "Accepted"
    started = await start(station)
    assert started["idTagInfo"]["status"] == "Accepted" and started["transactionId"] > 0
    await station.status(1, "Charging")
    session = await session_of(conformance, station)
    assert (session["status"], session["transactionId"]) == ("Active", str(started["transactionId"]))


async def test_TC_004_1_CSMS(conformance: Conformance) -> None:
    """Regular Charging Session - Identification First"""
    station = await conformance.station(V16)
    assert await station.authorize(station.token) == "Accepted"
    await station.status(1, "Preparing")
    started = await start(station)
    assert started["idTagInfo"]["status"] == "Accepted"
    assert await station.status(1, "Charging") == {}


async def test_TC_004_2_CSMS(conformance: Conformance) -> None:
    """Regular Charging Session - Identification First - ConnectionTimeOut"""
    station = await conformance.station(V16)
    assert await station.authorize(station.token) == "Accepted"
    await station.status(1, "Preparing")
    assert await station.status(1, "Available") == {}  # no cable within ConnectionTimeOut
    listing = await conformance.operator.ok("GET", f"/sessions?stationId={station.station_id}")
    assert listing["items"] == []


async def test_TC_005_1_CSMS(conformance: Conformance) -> None:
    """EV Side Disconnected - StopTransactionOnEVSideDisconnect = true -
    UnlockConnectorOnEVSideDisconnect = true"""
    station = await conformance.station(V16)
    started = await start(station)
    await station.status(1, "Charging")
    await station.status(1, "SuspendedEV")
    stopped = await stop(station, started["transactionId"], "EVDisconnected", idTag=station.token)
    assert stopped["idTagInfo"]["status"] == "Accepted"
    await station.status(1, "Finishing")
    await station.status(1, "Available")
    session = await session_of(conformance, station, lambda item: item["status"] == "Completed")
    assert (session["stopReason"], session["energyWh"]) == ("EVDisconnected", 1500)


async def test_TC_007_CSMS(conformance: Conformance) -> None:
    """Regular Start Charging Session - Cached Id"""
    station = await conformance.station(V16)
    await station.status(1, "Preparing")
    started = await start(station)  # authorized from the station's cache: no Authorize first
    assert started["idTagInfo"]["status"] == "Accepted" and started["transactionId"] > 0
    await station.status(1, "Charging")


async def test_TC_061_CSMS(conformance: Conformance) -> None:
    """Clear Authorization Data in Authorization Cache"""
    station = await conformance.station(V16)
    command = await conformance.operator.ok("POST", f"/stations/{station.station_id}/clear-cache")
    assert await station.request("ClearCache") == {}
    assert (await conformance.operator.command(command["commandId"]))["status"] == "accepted"


async def test_TC_010_CSMS(conformance: Conformance) -> None:
    """Remote Start Charging Session - Cable Plugged in First"""
    station = await conformance.station(V16)
    await station.status(1, "Preparing")
    command = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/remote-start", {"idToken": station.token, "evseId": 1}
    )
    assert await station.request("RemoteStartTransaction") == {"idTag": station.token, "connectorId": 1}
    assert (await conformance.operator.command(command["commandId"]))["status"] == "accepted"
    assert await station.authorize(station.token) == "Accepted"
    started = await start(station)
    assert started["idTagInfo"]["status"] == "Accepted"
    await station.status(1, "Charging")
    session = await conformance.operator.ok("GET", f"/commands/{command['commandId']}/session")
    assert session["transactionId"] == str(started["transactionId"])


async def test_TC_011_1_CSMS(conformance: Conformance) -> None:
    """Remote Start Charging Session - Remote Start First"""
    station = await conformance.station(V16)
    command = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/remote-start", {"idToken": station.token, "evseId": 1}
    )
    await station.request("RemoteStartTransaction")
    assert (await conformance.operator.command(command["commandId"]))["status"] == "accepted"
    assert await station.authorize(station.token) == "Accepted"
    await station.status(1, "Preparing")
    assert (await start(station))["idTagInfo"]["status"] == "Accepted"
    await station.status(1, "Charging")


async def test_TC_011_2_CSMS(conformance: Conformance) -> None:
    """Remote Start Charging Session - Time Out"""
    station = await conformance.station(V16)
    command = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/remote-start", {"idToken": station.token, "evseId": 1}
    )
    await station.request("RemoteStartTransaction")
    assert (await conformance.operator.command(command["commandId"]))["status"] == "accepted"
    await station.status(1, "Preparing")
    await station.status(1, "Available")  # nobody plugged in within ConnectionTimeOut
    status, _ = await conformance.operator.call("GET", f"/commands/{command['commandId']}/session")
    assert status == 404


async def test_TC_012_CSMS(conformance: Conformance) -> None:
    """Remote Stop Charging Session"""
    station = await conformance.station(V16)
    started = await start(station)
    await station.status(1, "Charging")
    await session_of(conformance, station)
    command = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/remote-stop", {"evseId": 1}
    )
    assert await station.request("RemoteStopTransaction") == {"transactionId": started["transactionId"]}
    assert (await conformance.operator.command(command["commandId"]))["status"] == "accepted"
    await stop(station, started["transactionId"], "Remote", idTag=station.token)
    await station.status(1, "Finishing")
    await station.status(1, "Available")
    session = await session_of(conformance, station, lambda item: item["status"] == "Completed")
    assert session["stopReason"] == "Remote"


async def _reset(conformance: Conformance, kind: str) -> None:
    station = await conformance.station(V16)
    command = await conformance.operator.ok("POST", f"/stations/{station.station_id}/reset", {"type": kind})
    assert await station.request("Reset") == {"type": kind}
    assert (await conformance.operator.command(command["commandId"]))["status"] == "accepted"
    await station.reconnect(conformance.url, PASSWORD)
    assert (await station.boot())["status"] == "Accepted"
    await station.status(1, "Available")


async def test_TC_013_CSMS(conformance: Conformance) -> None:
    """Hard Reset"""
    await _reset(conformance, "Hard")


async def test_TC_014_CSMS(conformance: Conformance) -> None:
    """Soft Reset"""
    await _reset(conformance, "Soft")


async def _unlock(
    conformance: Conformance, answer: str, expected: str, connector: int = 1
) -> ConformanceStation:
    station = await conformance.station(V16)
    station.answer("UnlockConnector", {"status": answer})
    command = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/unlock", {"evseId": connector}
    )
    assert await station.request("UnlockConnector") == {"connectorId": connector}
    assert (await conformance.operator.command(command["commandId"]))["status"] == expected
    return station


async def test_TC_017_1_CSMS(conformance: Conformance) -> None:
    """Unlock connector - no charging session running (Not fixed cable)"""
    await _unlock(conformance, "Unlocked", "accepted")


async def test_TC_017_2_CSMS(conformance: Conformance) -> None:
    """Unlock connector - no charging session running (Fixed cable)"""
    await _unlock(conformance, "NotSupported", "rejected")


async def test_TC_018_1_CSMS(conformance: Conformance) -> None:
    """Unlock Connector - With Charging Session (Not fixed cable)"""
    station = await conformance.station(V16)
    started = await start(station)
    await station.status(1, "Charging")
    command = await conformance.operator.ok("POST", f"/stations/{station.station_id}/unlock", {"evseId": 1})
    await station.request("UnlockConnector")
    assert (await conformance.operator.command(command["commandId"]))["status"] == "accepted"
    await stop(station, started["transactionId"], "UnlockCommand")
    await station.status(1, "Finishing")
    session = await session_of(conformance, station, lambda item: item["status"] == "Completed")
    assert session["stopReason"] == "UnlockCommand"


async def test_TC_019_1_CSMS(conformance: Conformance) -> None:
    """Retrieve all configuration keys"""
    station = await conformance.station(V16)
    keys = [
        {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
        {"key": "NumberOfConnectors", "readonly": True, "value": "1"},
        {"key": "SupportedFeatureProfiles", "readonly": True, "value": "Core,Reservation"},
    ]
    station.answer("GetConfiguration", {"configurationKey": keys})
    command = await conformance.operator.ok("POST", f"/stations/{station.station_id}/variables/read", {})
    assert await station.request("GetConfiguration") == {}
    assert (await conformance.operator.command(command["commandId"]))["status"] == "accepted"
    page = await conformance.operator.ok(
        "GET", f"/stations/{station.station_id}/device-model?configurationKeys=true"
    )
    assert [item["variable"]["name"] for item in page["items"]] == [key["key"] for key in keys]
    assert page["items"][1]["attributes"][0]["mutability"] == "ReadOnly"


async def test_TC_019_2_CSMS(conformance: Conformance) -> None:
    """Retrieve Specific Configuration Key"""
    station = await conformance.station(V16)
    station.answer(
        "GetConfiguration",
        {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]},
    )
    body = {"variables": [{"variable": {"name": "HeartbeatInterval"}}]}
    command = await conformance.operator.ok("POST", f"/stations/{station.station_id}/variables/read", body)
    assert await station.request("GetConfiguration") == {"key": ["HeartbeatInterval"]}
    done = await conformance.operator.command(command["commandId"])
    assert done["response"]["configurationKey"][0]["value"] == "300"


async def _change_configuration(conformance: Conformance, answer: str, expected: str) -> ConformanceStation:
    station = await conformance.station(V16)
    station.answer("ChangeConfiguration", {"status": answer})
    body = {"variables": [{"variable": {"name": "MeterValueSampleInterval"}, "value": "60"}]}
    sent = await conformance.operator.ok("POST", f"/stations/{station.station_id}/variables/write", body)
    assert await station.request("ChangeConfiguration") == {"key": "MeterValueSampleInterval", "value": "60"}
    (command,) = sent["items"]
    assert (await conformance.operator.command(command["commandId"]))["status"] == expected
    return station


async def test_TC_021_CSMS(conformance: Conformance) -> None:
    """Change/set Configuration"""
    station = await _change_configuration(conformance, "Accepted", "accepted")
    page = await conformance.operator.ok(
        "GET", f"/stations/{station.station_id}/device-model?configurationKeys=true"
    )
    assert [(item["variable"]["name"], item["attributes"][0]["value"]) for item in page["items"]] == [
        ("MeterValueSampleInterval", "60")
    ]


async def test_TC_023_1_CSMS(conformance: Conformance) -> None:
    """Start Charging Session - Authorize invalid"""
    station = await conformance.station(V16)
    assert await station.authorize("NO-SUCH-TAG") == "Invalid"


async def test_TC_023_2_CSMS(conformance: Conformance) -> None:
    """Start Charging Session - Authorize expired"""
    tag = await conformance.token("OCA-EXPIRED", expiresAt="2020-01-01T00:00:00Z")
    station = await conformance.station(V16)
    assert await station.authorize(tag) == "Expired"


async def test_TC_023_3_CSMS(conformance: Conformance) -> None:
    """Start Charging Session - Authorize blocked"""
    tag = await conformance.token("OCA-BLOCKED", status="Blocked")
    station = await conformance.station(V16)
    assert await station.authorize(tag) == "Blocked"


async def test_TC_024_CSMS(conformance: Conformance) -> None:
    """Start Charging Session Lock Failure"""
    station = await conformance.station(V16)
    assert await station.authorize(station.token) == "Accepted"
    assert await station.status(1, "Faulted", "ConnectorLockFailure") == {}
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    connector = view["evses"][0]["connectors"][0]
    assert (connector["status"], connector["errorCode"]) == ("Faulted", "ConnectorLockFailure")


async def test_TC_026_CSMS(conformance: Conformance) -> None:
    """Remote Start Charging Session - Rejected"""
    station = await conformance.station(V16)
    station.answer("RemoteStartTransaction", {"status": "Rejected"})
    command = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/remote-start", {"idToken": station.token, "evseId": 1}
    )
    await station.request("RemoteStartTransaction")
    assert (await conformance.operator.command(command["commandId"]))["status"] == "rejected"


async def test_TC_028_CSMS(conformance: Conformance) -> None:
    """Remote Stop Transaction - Rejected"""
    station = await conformance.station(V16)
    started = await start(station)
    await session_of(conformance, station)
    station.answer("RemoteStopTransaction", {"status": "Rejected"})
    command = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/remote-stop", {"evseId": 1}
    )
    assert (await station.request("RemoteStopTransaction"))["transactionId"] == started["transactionId"]
    assert (await conformance.operator.command(command["commandId"]))["status"] == "rejected"
    session = await session_of(conformance, station)
    assert session["status"] == "Active"


async def test_TC_030_CSMS(conformance: Conformance) -> None:
    """Unlock Connector - Unlock Failure"""
    await _unlock(conformance, "UnlockFailed", "rejected")


async def test_TC_031_CSMS(conformance: Conformance) -> None:
    """Unlock Connector - Unknown Connector"""
    await _unlock(conformance, "NotSupported", "rejected", connector=5)


async def test_TC_032_1_CSMS(conformance: Conformance) -> None:
    """Power failure boot charging point-configured to stop transaction(s)"""
    station = await conformance.station(V16)
    started = await start(station)
    await station.status(1, "Charging")
    await station.reconnect(conformance.url, PASSWORD)  # the power came back
    assert (await station.boot())["status"] == "Accepted"
    await stop(station, started["transactionId"], "PowerLoss")
    await station.status(1, "Available")
    session = await session_of(conformance, station, lambda item: item["status"] == "Completed")
    assert session["stopReason"] == "PowerLoss"


async def test_TC_037_1_CSMS(conformance: Conformance) -> None:
    """Offline Start Transaction - Valid IdTag"""
    station = await conformance.station(V16)
    await station.reconnect(conformance.url, PASSWORD)  # back from being offline
    await station.boot()
    started = await start(station, timestamp=now(-600))
    assert started["idTagInfo"]["status"] == "Accepted"
    session = await session_of(conformance, station)
    assert session["status"] == "Active"


async def test_TC_037_3_CSMS(conformance: Conformance) -> None:
    """Offline Start Transaction - Invalid IdTag - StopTransactionOnInvalidId = true"""
    station = await conformance.station(V16)
    started = await start(station, tag="OCA-UNKNOWN", timestamp=now(-600))
    assert started["idTagInfo"]["status"] == "Invalid"
    await stop(station, started["transactionId"], "DeAuthorized")
    session = await session_of(conformance, station, lambda item: item["status"] == "Completed")
    assert (session["idTokenStatus"], session["stopReason"]) == ("Invalid", "DeAuthorized")


async def test_TC_039_CSMS(conformance: Conformance) -> None:
    """Offline Transaction"""
    station = await conformance.station(V16)
    started = await start(station, timestamp=now(-1200))
    await station.send(
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": started["transactionId"],
            "meterValue": [{"timestamp": now(-600), "sampledValue": [{"value": "1800", "unit": "Wh"}]}],
        },
    )
    await station.send(
        "StopTransaction",
        {
            "transactionId": started["transactionId"],
            "meterStop": 2600,
            "timestamp": now(-60),
            "reason": "Local",
        },
    )
    session = await session_of(conformance, station, lambda item: item["status"] == "Completed")
    assert session["energyWh"] == 1600


async def test_TC_040_1_CSMS(conformance: Conformance) -> None:
    """Configuration keys - NotSupported"""
    await _change_configuration(conformance, "NotSupported", "rejected")


async def test_TC_040_2_CSMS(conformance: Conformance) -> None:
    """Configuration keys - Invalid value"""
    station = await _change_configuration(conformance, "Rejected", "rejected")
    page = await conformance.operator.ok(
        "GET", f"/stations/{station.station_id}/device-model?configurationKeys=true"
    )
    assert page["items"] == []


async def test_TC_064_CSMS(conformance: Conformance) -> None:
    """Data Transfer to a Central System"""
    station = await conformance.station(V16)
    reply = await station.send(
        "DataTransfer", {"vendorId": "com.oca.test", "messageId": "m1", "data": "hello"}
    )
    assert reply["status"] in ("UnknownVendorId", "UnknownMessageId", "Rejected")  # never a blind Accepted
    kept = await conformance.operator.ok("GET", f"/stations/{station.station_id}/messages?kind=DataTransfer")
    assert kept["items"][0]["data"] == "hello"


async def test_TC_073_CSMS(conformance: Conformance) -> None:
    """Update Charge Point Password for HTTP Basic Authentication"""
    station = await conformance.station(V16)
    new_password = "a-brand-new-password-42"
    command = await conformance.operator.ok(
        "POST",
        f"/stations/{station.station_id}/commands",
        {
            "action": "ChangeConfiguration",
            "payload": {"key": "AuthorizationKey", "value": new_password.encode().hex()},
        },
    )
    assert (await station.request("ChangeConfiguration"))["key"] == "AuthorizationKey"
    assert (await conformance.operator.command(command["commandId"]))["status"] == "accepted"
    await conformance.operator.ok("PATCH", f"/stations/{station.station_id}", {"password": new_password})
    await station.close()
    await station.connect(conformance.url, new_password)
    assert (await station.boot())["status"] == "Accepted"
    with pytest.raises(InvalidStatus) as refused:
        await ConformanceStation(station.station_id, V16).connect(conformance.url, PASSWORD)
    assert refused.value.response.status_code == 401


async def test_TC_085_CSMS(conformance: Conformance) -> None:
    """Basic Authentication - Valid username/password combination"""
    station = await conformance.station(V16)
    assert station.subprotocol == "ocpp1.6"
    with pytest.raises(InvalidStatus) as refused:
        await ConformanceStation(station.station_id, V16).connect(conformance.url, "not-the-right-password")
    assert refused.value.response.status_code == 401


async def test_TC_088_CSMS(conformance: Conformance) -> None:
    """WebSocket Subprotocol negotiation"""
    station = await conformance.station(V16, boot=False)
    assert station.subprotocol == "ocpp1.6"
    await station.close()
    url = f"{conformance.url}/{station.station_id}"
    import base64

    auth = {
        "Authorization": "Basic " + base64.b64encode(f"{station.station_id}:{PASSWORD}".encode()).decode()
    }
    async with connect(url, subprotocols=["ocpp1.5", "ocpp1.6"], additional_headers=auth) as socket:  # type: ignore[list-item]
        assert socket.subprotocol == "ocpp1.6"
    with pytest.raises(InvalidStatus):
        async with connect(url, subprotocols=["ocpp1.2"], additional_headers=auth):  # type: ignore[list-item]
            pass
    await asyncio.sleep(0)


async def test_malformed_frames_get_16_error_codes(conformance: Conformance) -> None:
    """Not an OCA case: OCPP-J 1.6 section 4.2.3 spellings for frames the schema refuses."""
    station = await conformance.station(V16)
    reply = await station.send_raw('[2,"x1","StatusNotification",{"connectorId":1}]')
    assert reply[:3] == [4, "x1", "ProtocolError"]
    reply = await station.send_raw('[2,"x2","Heartbeat",{"extra":1}]')
    assert reply[:3] == [4, "x2", "FormationViolation"]
    with pytest.raises(OCPPError):
        await station.send(
            "StartTransaction",
            {"connectorId": 0, "idTag": station.token, "meterStart": 0, "timestamp": now()},
        )
