"""The typed station endpoints through the operator API's handler, on moto, for a 1.6 and a 2.0.1
station each: the same request becomes each protocol's own call, and the answer lands in the same
neutral records."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from functions.operator_api.handler import handler
from shared.api.app import app
from shared.api.dependencies import current_platform
from shared.catalog import OPERATOR_API
from tests.builders import PlatformUnderTest, platform_on_moto
from tests.events import claims_for, http_event, lambda_context
from tests.station_harness import V16, V201, StationLink, connect, transaction_event

ALICE = claims_for("tenant-a", "admin")
BOB = claims_for("tenant-b", "admin")
PASSWORD = "0123456789abcdef"


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


@pytest.fixture(params=[V16, V201])
def station(request: pytest.FixtureRequest, env: PlatformUnderTest) -> StationLink:
    assert call("POST", "/v1/stations", {"stationId": "CP-1", "password": PASSWORD})[0] == 201
    assert call("POST", "/v1/id-tokens", {"idToken": "TAG-1"})[0] == 201
    link = connect(env, protocol=request.param, password=PASSWORD)
    status = (
        {"connectorId": 1, "errorCode": "NoError", "status": "Available", "timestamp": "2026-11-27T08:00:00Z"}
        if request.param == V16
        else {
            "timestamp": "2026-11-27T08:00:00Z",
            "connectorStatus": "Available",
            "evseId": 1,
            "connectorId": 1,
        }
    )
    link.call("s0", "StatusNotification", status)
    return link


def is_201(station: StationLink) -> bool:
    return station.authorizer["protocol"] == V201


def sent(status_and_body: tuple[int, Any]) -> dict[str, Any]:
    status, body = status_and_body
    assert status == 202, body
    return dict(body)


def test_availability(station: StationLink) -> None:
    command = sent(call("POST", "/v1/stations/CP-1/availability", {"operative": False, "evseId": 1}))
    frame = station.answer({"status": "Accepted"})
    expected = (
        {"operationalStatus": "Inoperative", "evse": {"id": 1}}
        if is_201(station)
        else {"connectorId": 1, "type": "Inoperative"}
    )
    assert (frame[1], frame[2], frame[3]) == (command["commandId"], "ChangeAvailability", expected)
    view = call("GET", "/v1/stations/CP-1")[1]
    assert view["evses"][0]["operationalStatus"] == "Inoperative"
    if not is_201(station):  # a connector inside an EVSE does not exist in 1.6
        status, body = call(
            "POST", "/v1/stations/CP-1/availability", {"operative": True, "evseId": 1, "connectorId": 2}
        )
        assert status == 400 and "OCPP 1.6" in body["message"]


def test_unlock_trigger_clear_cache_and_data_transfer(station: StationLink) -> None:
    sent(call("POST", "/v1/stations/CP-1/unlock", {"evseId": 1}))
    frame = station.answer({"status": "Unlocked"})
    assert frame[3] == ({"evseId": 1, "connectorId": 1} if is_201(station) else {"connectorId": 1})
    sent(call("POST", "/v1/stations/CP-1/trigger", {"message": "DiagnosticsStatusNotification"}))
    frame = station.answer({"status": "Accepted"})
    name = "LogStatusNotification" if is_201(station) else "DiagnosticsStatusNotification"
    assert frame[2:] == ["TriggerMessage", {"requestedMessage": name}]
    command = sent(call("POST", "/v1/stations/CP-1/clear-cache"))
    station.answer({"status": "Rejected"})
    assert call("GET", f"/v1/commands/{command['commandId']}")[1]["status"] == "rejected"
    sent(call("POST", "/v1/stations/CP-1/data-transfer", {"vendorId": "com.acme", "data": {"a": 1}}))
    frame = station.answer({"status": "UnknownVendorId"})
    assert frame[3]["data"] == ({"a": 1} if is_201(station) else '{"a":1}')


def test_reservation_booked_confirmed_honoured_and_cancelled(station: StationLink) -> None:
    booked = sent(
        call(
            "POST",
            "/v1/stations/CP-1/reservations",
            {"idToken": "TAG-1", "evseId": 1, "expiresAt": "2026-11-27T09:00:00Z"},
        )
    )
    assert booked["status"] == "Pending" and booked["command"]["action"] == "ReserveNow"
    station.answer({"status": "Accepted"})
    path = f"/v1/stations/CP-1/reservations/{booked['reservationId']}"
    assert call("GET", path)[1]["status"] == "Accepted"
    assert [item["reservationId"] for item in call("GET", "/v1/reservations")[1]["items"]] == [
        booked["reservationId"]
    ]
    assert call("GET", "/v1/reservations", claims=BOB)[1]["items"] == []
    # another token is refused at the station
    assert call("POST", "/v1/id-tokens", {"idToken": "TAG-2"})[0] == 201
    if is_201(station):
        reply = station.call("a1", "Authorize", {"idToken": {"idToken": "TAG-2", "type": "ISO14443"}})
        assert reply["idTokenInfo"]["status"] == "NotAtThisTime"
    else:
        assert station.call("a1", "Authorize", {"idTag": "TAG-2"})["idTagInfo"]["status"] == "Invalid"
    cancel = call("DELETE", path)
    assert cancel[0] == 202 and cancel[1]["action"] == "CancelReservation"
    station.answer({"status": "Accepted"})
    assert call("GET", path)[1]["status"] == "Cancelled"
    assert call("DELETE", path)[0] == 409


def test_local_list_of_the_tenants_tokens(station: StationLink) -> None:
    pushed = sent(call("POST", "/v1/stations/CP-1/local-list", {}))
    assert (pushed["version"], pushed["entries"]) == (1, 1)
    frame = station.answer({"status": "Accepted"})
    assert frame[2] == "SendLocalList"
    listed = call("GET", "/v1/stations/CP-1/local-list")[1]
    assert listed["version"] == 1 and [entry["idToken"] for entry in listed["entries"]] == ["TAG-1"]
    sent(
        call(
            "POST",
            "/v1/stations/CP-1/local-list",
            {
                "updateType": "Differential",
                "entries": [{"idToken": "TAG-1"}, {"idToken": "X", "status": "Blocked"}],
            },
        )
    )
    station.answer({"status": "Accepted"})
    listed = call("GET", "/v1/stations/CP-1/local-list")[1]
    assert (listed["version"], [(e["idToken"], e["status"]) for e in listed["entries"]]) == (
        2,
        [("X", "Blocked")],
    )
    sent(call("POST", "/v1/stations/CP-1/local-list/version"))
    station.answer({"versionNumber": 2} if is_201(station) else {"listVersion": 2})
    assert call("GET", "/v1/stations/CP-1/local-list")[1]["reportedVersion"] == 2


def test_configuration_read_write_and_browse(station: StationLink) -> None:
    component = {"name": "OCPPCommCtrlr"} if is_201(station) else None
    variable = {"component": component, "variable": {"name": "HeartbeatInterval"}}
    sent(call("POST", "/v1/stations/CP-1/variables/read", {"variables": [variable]}))
    if is_201(station):
        station.answer(
            {
                "getVariableResult": [
                    {
                        "attributeStatus": "Accepted",
                        "attributeValue": "300",
                        "component": component,
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            }
        )
    else:
        station.answer(
            {"configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "300"}]}
        )
    written = call("POST", "/v1/stations/CP-1/variables/write", {"variables": [{**variable, "value": "120"}]})
    assert written[0] == 202
    if is_201(station):
        frame = station.answer(
            {
                "setVariableResult": [
                    {
                        "attributeStatus": "Accepted",
                        "component": component,
                        "variable": {"name": "HeartbeatInterval"},
                    }
                ]
            }
        )
        assert frame[2] == "SetVariables"
    else:
        assert station.answer({"status": "Accepted"})[3] == {"key": "HeartbeatInterval", "value": "120"}
    path = "/v1/stations/CP-1/device-model"
    page = (call("GET", path, component="OCPPCommCtrlr") if component else call("GET", path))[1]
    (stored,) = page["items"]
    assert stored["variable"]["name"] == "HeartbeatInterval" and stored["attributes"][0]["value"] == "120"
    wrong = (
        {"variables": [{"variable": {"name": "HeartbeatInterval"}, "value": "1"}]}
        if is_201(station)
        else {"variables": [{"component": {"name": "X"}, "variable": {"name": "Y"}, "value": "1"}]}
    )
    status, body = call("POST", "/v1/stations/CP-1/variables/write", wrong)
    assert status == 400 and ("OCPP 2.0.1" in body["message"] or "OCPP 1.6" in body["message"])


def test_report_request(station: StationLink) -> None:
    command = sent(call("POST", "/v1/stations/CP-1/reports", {"reportBase": "FullInventory"}))
    frame = station.unanswered()[0]
    assert frame[2] == ("GetBaseReport" if is_201(station) else "GetConfiguration")
    if is_201(station):
        station.answer({"status": "Accepted"})
        request_id = frame[3]["requestId"]
        station.call(
            "r1", "NotifyReport", {"requestId": request_id, "generatedAt": "2026-11-27T08:00:00Z", "seqNo": 0}
        )
        (report,) = call("GET", "/v1/stations/CP-1/reports")[1]["items"]
        assert report["complete"] and report["requestId"] == request_id
    else:
        station.answer({"configurationKey": []})
    assert call("GET", f"/v1/commands/{command['commandId']}")[1]["status"] == "accepted"


def test_firmware_logs_and_profiles(station: StationLink) -> None:
    sent(
        call(
            "POST",
            "/v1/stations/CP-1/firmware",
            {"location": "https://fw.example.com/f.bin", "retrieveAt": "2026-11-27T09:00:00Z"},
        )
    )
    frame = station.answer({"status": "Accepted"} if is_201(station) else {})
    assert frame[2] == "UpdateFirmware"
    sent(call("POST", "/v1/stations/CP-1/logs", {"location": "https://logs.example.com/"}))
    frame = station.answer({"status": "Accepted"} if is_201(station) else {"fileName": "d.zip"})
    assert frame[2] == ("GetLog" if is_201(station) else "GetDiagnostics")
    profile = {
        "id": 7,
        "stackLevel": 0,
        "purpose": "TxDefaultProfile",
        "kind": "Relative",
        "schedules": [{"rateUnit": "A", "periods": [{"startPeriod": 0, "limit": 16}]}],
    }
    sent(call("POST", "/v1/stations/CP-1/charging-profiles", {"evseId": 1, "profile": profile}))
    station.answer({"status": "Accepted"})
    (installed,) = call("GET", "/v1/stations/CP-1/charging-profiles")[1]["items"]
    assert (installed["evseId"], installed["profile"]["id"]) == (1, 7)
    sent(call("POST", "/v1/stations/CP-1/composite-schedule", {"evseId": 1, "duration": 3600}))
    station.answer({"status": "Rejected"})
    sent(call("POST", "/v1/stations/CP-1/charging-profiles/clear", {"profileId": 7}))
    station.answer({"status": "Accepted"})
    assert call("GET", "/v1/stations/CP-1/charging-profiles")[1]["items"] == []


def test_commands_take_each_protocols_own_actions(station: StationLink) -> None:
    own, other = (
        ("GetVariables", "GetConfiguration") if is_201(station) else ("GetConfiguration", "GetVariables")
    )
    payload = (
        {"getVariableData": [{"component": {"name": "A"}, "variable": {"name": "B"}}]}
        if is_201(station)
        else {}
    )
    assert call("POST", "/v1/stations/CP-1/commands", {"action": own, "payload": payload})[0] == 202
    status, body = call("POST", "/v1/stations/CP-1/commands", {"action": other, "payload": {}})
    protocol = "2.0.1" if is_201(station) else "1.6"
    assert status == 400 and other in body["message"] and f"OCPP {protocol}" in body["message"]


def test_remote_start_finds_its_session(station: StationLink) -> None:
    command = sent(call("POST", "/v1/stations/CP-1/remote-start", {"idToken": "TAG-1", "evseId": 1}))
    frame = station.answer({"status": "Accepted"})
    assert call("GET", f"/v1/commands/{command['commandId']}/session")[0] == 404
    if is_201(station):
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
                remoteStartId=frame[3]["remoteStartId"],
            ),
        )
    else:
        station.call(
            "t0",
            "StartTransaction",
            {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0, "timestamp": "2026-11-27T08:00:30Z"},
        )
    status, session = call("GET", f"/v1/commands/{command['commandId']}/session")
    assert status == 200 and session["idToken"] == "TAG-1" and session["evseId"] == 1
