"""OCPP 2.0.1 CSMS conformance, blocks A (security: Basic auth) and B (provisioning): the OCA Compliancy
Test Tool's TC_x_nn_CSMS cases, a real ``ocpp`` 2.0.1 client playing the station."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from ocpp.exceptions import SecurityError
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.conformance.conftest import PASSWORD, Conformance
from tests.conformance.stations import V201, ConformanceStation, Transaction201, now

pytestmark = [
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.conformance,
    pytest.mark.xdist_group("conformance-ocpp201_provisioning"),  # one platform per module, in one worker
]


def _basic(user: str, password: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def _refused(url: str, headers: dict[str, str], offer: str = "ocpp2.0.1") -> int:
    with pytest.raises(InvalidStatus) as refused:
        async with connect(url, subprotocols=[offer], additional_headers=headers):  # type: ignore[list-item]
            pass
    return int(refused.value.response.status_code)


# --- A: security -----------------------------------------------------------------------------------


async def test_TC_A_01_CSMS(conformance: Conformance) -> None:
    """Basic Authentication - Valid username/password combination"""
    station = await conformance.station(V201)
    assert station.subprotocol == "ocpp2.0.1"
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    assert view["online"] and view["protocol"] == "ocpp2.0.1"


async def test_TC_A_02_CSMS(conformance: Conformance) -> None:
    """Basic Authentication - Username does not equal ChargingStationId"""
    station = await conformance.station(V201, boot=False)
    url = f"{conformance.url}/{station.station_id}"
    assert await _refused(url, _basic("SOMEONE-ELSE", PASSWORD)) == 401


async def test_TC_A_03_CSMS(conformance: Conformance) -> None:
    """Basic Authentication - Invalid password"""
    station = await conformance.station(V201, boot=False)
    url = f"{conformance.url}/{station.station_id}"
    assert await _refused(url, _basic(station.station_id, "definitely-not-the-password")) == 401


async def _password_update(conformance: Conformance, answer: str) -> tuple[ConformanceStation, str]:
    station = await conformance.station(V201)
    new_password = "rotated-basic-auth-pass-9"
    station.answer(
        "SetVariables",
        {
            "setVariableResult": [
                {
                    "attributeStatus": answer,
                    "component": {"name": "SecurityCtrlr"},
                    "variable": {"name": "BasicAuthPassword"},
                }
            ]
        },
    )
    body = {
        "variables": [
            {
                "component": {"name": "SecurityCtrlr"},
                "variable": {"name": "BasicAuthPassword"},
                "value": new_password,
            }
        ]
    }
    (command,) = (
        await conformance.operator.ok("POST", f"/stations/{station.station_id}/variables/write", body)
    )["items"]
    request = await station.request("SetVariables")
    assert request["setVariableData"][0]["attributeValue"] == new_password
    outcome = await conformance.operator.command(command["commandId"])
    return station, new_password if outcome["status"] == "accepted" else ""


async def test_TC_A_09_CSMS(conformance: Conformance) -> None:
    """Update Charging Station Password for HTTP Basic Authentication - Accepted"""
    station, new_password = await _password_update(conformance, "Accepted")
    assert new_password
    await conformance.operator.ok("PATCH", f"/stations/{station.station_id}", {"password": new_password})
    await station.close()
    await station.connect(conformance.url, new_password)
    assert (await station.boot())["status"] == "Accepted"


async def test_TC_A_10_CSMS(conformance: Conformance) -> None:
    """Update Charging Station Password for HTTP Basic Authentication - Rejected"""
    station, new_password = await _password_update(conformance, "Rejected")
    assert new_password == ""  # not accepted: the station keeps, and the platform expects, the old one
    await station.reconnect(conformance.url, PASSWORD)
    assert (await station.boot())["status"] == "Accepted"


# --- B: provisioning -------------------------------------------------------------------------------


async def test_TC_B_01_CSMS(conformance: Conformance) -> None:
    """Cold Boot Charging Station - Accepted"""
    station = await conformance.station(V201, boot=False)
    boot = await station.boot()
    assert boot["status"] == "Accepted" and boot["interval"] > 0 and boot["currentTime"]
    assert await station.status(1, "Available") == {}
    assert (await station.send("Heartbeat"))["currentTime"]
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    assert view["evses"][0]["connectors"][0]["status"] == "Available" and view["bootStatus"] == "Accepted"


async def test_TC_B_02_CSMS(conformance: Conformance) -> None:
    """Cold Boot Charging Station - Pending"""
    station = await conformance.station(V201, boot=False, registration="Pending")
    boot = await station.boot()
    assert boot["status"] == "Pending" and boot["interval"] > 0
    # while Pending the CSMS may configure it; then the operator accepts it, and it boots again
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/reports", {"reportBase": "FullInventory"}
    )
    request = await station.request("GetBaseReport")
    await station.send("NotifyReport", {"requestId": request["requestId"], "generatedAt": now(), "seqNo": 0})
    assert (await conformance.operator.command(sent["commandId"]))["status"] == "accepted"
    await conformance.operator.ok("PATCH", f"/stations/{station.station_id}", {"registration": "Accepted"})
    await station.reconnect(conformance.url, PASSWORD)
    assert (await station.boot())["status"] == "Accepted"


async def _get_variables(conformance: Conformance, variables: list[tuple[str, str, str]]) -> None:
    station = await conformance.station(V201)
    station.answer(
        "GetVariables",
        {
            "getVariableResult": [
                {
                    "attributeStatus": "Accepted",
                    "attributeValue": value,
                    "component": {"name": component},
                    "variable": {"name": name},
                }
                for component, name, value in variables
            ]
        },
    )
    body = {"variables": [{"component": {"name": c}, "variable": {"name": n}} for c, n, _ in variables]}
    sent = await conformance.operator.ok("POST", f"/stations/{station.station_id}/variables/read", body)
    request = await station.request("GetVariables")
    assert [(item["component"]["name"], item["variable"]["name"]) for item in request["getVariableData"]] == [
        (c, n) for c, n, _ in variables
    ]
    outcome = await conformance.operator.command(sent["commandId"])
    assert outcome["status"] == "accepted" and len(outcome["response"]["getVariableResult"]) == len(variables)
    page = await conformance.operator.ok("GET", f"/stations/{station.station_id}/device-model")
    stored = {
        (item["component"]["name"], item["variable"]["name"]): item["attributes"][0]["value"]
        for item in page["items"]
    }
    assert stored == {(c, n): v for c, n, v in variables}


async def test_TC_B_06_CSMS(conformance: Conformance) -> None:
    """Get Variables - single value"""
    await _get_variables(conformance, [("OCPPCommCtrlr", "HeartbeatInterval", "300")])


async def test_TC_B_07_CSMS(conformance: Conformance) -> None:
    """Get Variables - multiple values"""
    await _get_variables(
        conformance,
        [
            ("OCPPCommCtrlr", "HeartbeatInterval", "300"),
            ("TxCtrlr", "EVConnectionTimeOut", "60"),
            ("AuthCtrlr", "AuthorizeRemoteStart", "false"),
        ],
    )


async def _set_variables(conformance: Conformance, variables: list[tuple[str, str, str]]) -> None:
    station = await conformance.station(V201)
    body = {
        "variables": [
            {"component": {"name": c}, "variable": {"name": n}, "value": v} for c, n, v in variables
        ]
    }
    (command,) = (
        await conformance.operator.ok("POST", f"/stations/{station.station_id}/variables/write", body)
    )["items"]
    request = await station.request("SetVariables")
    assert [item["attributeValue"] for item in request["setVariableData"]] == [v for _, _, v in variables]
    outcome = await conformance.operator.command(command["commandId"])
    assert outcome["status"] == "accepted"
    assert [result["attributeStatus"] for result in outcome["response"]["setVariableResult"]] == [
        "Accepted"
    ] * len(variables)
    page = await conformance.operator.ok("GET", f"/stations/{station.station_id}/device-model")
    assert sorted(item["attributes"][0]["value"] for item in page["items"]) == sorted(
        v for _, _, v in variables
    )


async def test_TC_B_09_CSMS(conformance: Conformance) -> None:
    """Set Variables - single value"""
    await _set_variables(conformance, [("OCPPCommCtrlr", "HeartbeatInterval", "120")])


async def test_TC_B_10_CSMS(conformance: Conformance) -> None:
    """Set Variables - multiple values"""
    await _set_variables(
        conformance, [("OCPPCommCtrlr", "HeartbeatInterval", "120"), ("TxCtrlr", "EVConnectionTimeOut", "90")]
    )


def _entry(component: str, variable: str, value: str, mutability: str = "ReadWrite") -> dict[str, Any]:
    return {
        "component": {"name": component},
        "variable": {"name": variable},
        "variableAttribute": [{"type": "Actual", "value": value, "mutability": mutability}],
        "variableCharacteristics": {"dataType": "string", "supportsMonitoring": False},
    }


async def _base_report(
    conformance: Conformance, base: str, parts: list[list[dict[str, Any]]]
) -> dict[str, Any]:
    station = await conformance.station(V201)
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/reports", {"reportBase": base}
    )
    request = await station.request("GetBaseReport")
    assert request["reportBase"] == base
    assert (await conformance.operator.command(sent["commandId"]))["status"] == "accepted"
    for seq_no, part in enumerate(parts):
        payload: dict[str, Any] = {
            "requestId": request["requestId"],
            "generatedAt": now(),
            "seqNo": seq_no,
            "tbc": seq_no < len(parts) - 1,
        }
        if part:
            payload["reportData"] = part
        assert await station.send("NotifyReport", payload) == {}
    (report,) = (await conformance.operator.ok("GET", f"/stations/{station.station_id}/reports"))["items"]
    assert report["complete"] and report["parts"] == list(range(len(parts)))
    assert report["variables"] == sum(len(part) for part in parts)
    return dict(
        await conformance.operator.ok("GET", f"/stations/{station.station_id}/device-model?limit=100")
    )


async def test_TC_B_12_CSMS(conformance: Conformance) -> None:
    """Get Base Report - ConfigurationInventory"""
    page = await _base_report(
        conformance, "ConfigurationInventory", [[_entry("OCPPCommCtrlr", "HeartbeatInterval", "300")]]
    )
    assert len(page["items"]) == 1


async def test_TC_B_13_CSMS(conformance: Conformance) -> None:
    """Get Base Report - FullInventory"""
    parts = [
        [_entry("VendorCtrlr", f"Setting{part}-{index}", str(index)) for index in range(20)]
        for part in range(3)
    ]
    page = await _base_report(conformance, "FullInventory", parts)
    assert len(page["items"]) == 60


async def test_TC_B_14_CSMS(conformance: Conformance) -> None:
    """Get Base Report - SummaryInventory"""
    page = await _base_report(
        conformance, "SummaryInventory", [[_entry("ChargingStation", "Available", "true", "ReadOnly")]]
    )
    assert page["items"][0]["attributes"][0]["mutability"] == "ReadOnly"


async def test_TC_B_18_CSMS(conformance: Conformance) -> None:
    """Get Custom Report - with componentCriteria and component/variables"""
    station = await conformance.station(V201)
    payload = {
        "requestId": 77,
        "componentCriteria": ["Available"],
        "componentVariable": [
            {"component": {"name": "EVSE", "evse": {"id": 1}}, "variable": {"name": "Available"}}
        ],
    }
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/commands", {"action": "GetReport", "payload": payload}
    )
    assert (await station.request("GetReport"))["componentCriteria"] == ["Available"]
    assert (await conformance.operator.command(sent["commandId"]))["status"] == "accepted"
    entry = _entry("EVSE", "Available", "true", "ReadOnly")
    entry["component"]["evse"] = {"id": 1}
    await station.send(
        "NotifyReport", {"requestId": 77, "generatedAt": now(), "seqNo": 0, "reportData": [entry]}
    )
    page = await conformance.operator.ok("GET", f"/stations/{station.station_id}/device-model?component=EVSE")
    component = page["items"][0]["component"]
    assert (component["name"], component["evseId"]) == ("EVSE", 1)


async def _started(station: ConformanceStation, evse: int = 1) -> Transaction201:
    transaction = Transaction201(station, evse)
    reply = await transaction.send(
        "Started", "Authorized", token=station.token, meter_wh=0, chargingState="Charging"
    )
    assert reply["idTokenInfo"]["status"] == "Accepted"
    return transaction


async def _reset(conformance: Conformance, kind: str, *, busy: bool, evse: int | None = None) -> None:
    station = await conformance.station(V201)
    transaction = await _started(station) if busy else None
    scheduled = busy and kind == "OnIdle"
    station.answer("Reset", {"status": "Scheduled" if scheduled else "Accepted"})
    body = {"type": kind, **({"evseId": evse} if evse else {})}
    sent = await conformance.operator.ok("POST", f"/stations/{station.station_id}/reset", body)
    assert await station.request("Reset") == body
    assert (await conformance.operator.command(sent["commandId"]))["status"] == "accepted"
    if transaction is not None:
        if kind == "Immediate":
            await transaction.send("Ended", "ResetCommand", meter_wh=500, stoppedReason="ImmediateReset")
        else:
            await transaction.send(
                "Ended", "StopAuthorized", token=station.token, meter_wh=500, stoppedReason="Local"
            )
        listing = await conformance.operator.eventually(
            f"/sessions?stationId={station.station_id}",
            lambda body: body["items"][0]["status"] == "Completed",
        )
        expected = "ImmediateReset" if kind == "Immediate" else "Local"
        assert listing["items"][0]["stopReason"] == expected
    if evse is None:
        await station.reconnect(conformance.url, PASSWORD)
        boot = await station.send(
            "BootNotification",
            {
                "chargingStation": {"vendorName": "OCA", "model": "Conformance"},
                "reason": "ScheduledReset" if scheduled else "RemoteReset",
            },
        )
        assert boot["status"] == "Accepted"
    else:
        await station.status(evse, "Unavailable")
        await station.status(evse, "Available")


async def test_TC_B_20_CSMS(conformance: Conformance) -> None:
    """Reset Charging Station - Without ongoing transaction - OnIdle"""
    await _reset(conformance, "OnIdle", busy=False)


async def test_TC_B_21_CSMS(conformance: Conformance) -> None:
    """Reset Charging Station - With Ongoing Transaction - OnIdle"""
    await _reset(conformance, "OnIdle", busy=True)


async def test_TC_B_22_CSMS(conformance: Conformance) -> None:
    """Reset Charging Station - With Ongoing Transaction - Immediate"""
    await _reset(conformance, "Immediate", busy=True)


async def test_TC_B_25_CSMS(conformance: Conformance) -> None:
    """Reset EVSE - Without ongoing transaction"""
    await _reset(conformance, "OnIdle", busy=False, evse=1)


async def test_TC_B_26_CSMS(conformance: Conformance) -> None:
    """Reset EVSE - With Ongoing Transaction - OnIdle"""
    await _reset(conformance, "OnIdle", busy=True, evse=1)


async def test_TC_B_27_CSMS(conformance: Conformance) -> None:
    """Reset EVSE - With Ongoing Transaction - Immediate"""
    await _reset(conformance, "Immediate", busy=True, evse=1)


async def test_TC_B_30_CSMS(conformance: Conformance) -> None:
    """Cold Boot Charging Station - Pending/Rejected - SecurityError"""
    station = await conformance.station(V201, boot=False, registration="Pending")
    assert (await station.boot())["status"] == "Pending"
    with pytest.raises(SecurityError):
        await station.send("Authorize", {"idToken": {"idToken": station.token, "type": "ISO14443"}})
    with pytest.raises(SecurityError):
        await Transaction201(station).send("Started", "Authorized", token=station.token)
    rejected = await conformance.station(V201, boot=False, registration="Rejected")
    assert (await rejected.boot())["status"] == "Rejected"
    with pytest.raises(SecurityError):
        await rejected.send("Heartbeat")


async def test_TC_B_31_CSMS(conformance: Conformance) -> None:
    """Cold Boot Charging Station - Pending/Rejected - TriggerMessage"""
    station = await conformance.station(V201, boot=False, registration="Pending")
    assert (await station.boot())["status"] == "Pending"
    sent = await conformance.operator.ok(
        "POST", f"/stations/{station.station_id}/trigger", {"message": "BootNotification"}
    )
    assert await station.request("TriggerMessage") == {"requestedMessage": "BootNotification"}
    assert (await conformance.operator.command(sent["commandId"]))["status"] == "accepted"
    boot = await station.send(
        "BootNotification",
        {"chargingStation": {"vendorName": "OCA", "model": "Conformance"}, "reason": "Triggered"},
    )
    assert boot["status"] == "Pending"
    view = await conformance.operator.ok("GET", f"/stations/{station.station_id}")
    assert view["bootStatus"] == "Pending"


async def test_TC_B_58_CSMS(conformance: Conformance) -> None:
    """WebSocket Subprotocol validation"""
    station = await conformance.station(V201, boot=False)
    await station.close()
    url = f"{conformance.url}/{station.station_id}"
    headers = _basic(station.station_id, PASSWORD)
    async with connect(url, subprotocols=["ocpp1.6", "ocpp2.0.1"], additional_headers=headers) as socket:  # type: ignore[list-item]
        assert socket.subprotocol == "ocpp2.0.1"  # preferred when both are offered
    assert await _refused(url, headers, offer="ocpp2.1") == 400


async def test_malformed_frames_get_201_error_codes(conformance: Conformance) -> None:
    """Not an OCA case: OCPP 2.0.1 part 4, 4.3 error codes for frames the RPC framework or schema refuses."""
    station = await conformance.station(V201)
    assert (await station.send_raw('[2,"x1","StatusNotification",{"evseId":1}]'))[
        2
    ] == "OccurrenceConstraintViolation"
    assert (await station.send_raw('[2,"x2","Heartbeat",{"extra":1}]'))[2] == "FormatViolation"
    assert (await station.send_raw('[2,"x3","Heartbeat"]'))[2] == "RpcFrameworkError"
    assert (await station.send_raw('[7,"x4",{}]'))[2] == "MessageTypeNotSupported"
    assert (
        await station.send_raw(
            '[2,"x5","StatusNotification",{"timestamp":"x","connectorStatus":"Nope",'
            '"evseId":1,"connectorId":1}]'
        )
    )[2] == "PropertyConstraintViolation"
    assert (await station.send_raw('[2,"x6","Heartbeat",{"customData":{"vendorId":5}}]'))[
        2
    ] == "TypeConstraintViolation"
    assert (await station.send_raw('[2,"x7","NoSuchAction",{}]'))[2] == "NotImplemented"
    assert (await station.send_raw('[2,"x8","SignCertificate",{"csr":"x"}]'))[2] == "NotSupported"
