"""Malformed and schema-violating OCPP 2.0.1 frames thrown at $default on an ocpp2.0.1 connection: every
CALL gets an answer with a 2.0.1 error code (part 4, 4.3), nothing crashes, nothing invalid is stored."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared.domain.commands import Command
from shared.domain.device_model import ReportProgress
from shared.domain.reservations import Reservation
from shared.domain.sessions import MeterValuesRecord, Session
from shared.domain.stations import Station
from shared.gateway import websocket
from shared.storage.dynamo import from_item
from shared.storage.station_data import _progress_from, _variable_from
from shared.storage.tables import COMMANDS, METER_VALUES, RESERVATIONS, SESSIONS, STATION_DATA, STATIONS
from tests.builders import PlatformUnderTest, a_station, an_id_token, platform_on_moto
from tests.events import authorizer_event, connect_event, message_event
from tests.property.test_frame_fuzzing import json_values, message_ids

OCPP201_ERROR_CODES = {
    "FormatViolation",
    "GenericError",
    "InternalError",
    "MessageTypeNotSupported",
    "NotImplemented",
    "NotSupported",
    "OccurrenceConstraintViolation",
    "PropertyConstraintViolation",
    "ProtocolError",
    "RpcFrameworkError",
    "SecurityError",
    "TypeConstraintViolation",
}
TS = "2026-11-27T08:00:00Z"
TOKEN = {"idToken": "TAG-1", "type": "ISO14443"}
METER = [{"timestamp": TS, "sampledValue": [{"value": 10.5, "measurand": "Energy.Active.Import.Register"}]}]

VALID_CALLS: dict[str, dict[str, Any]] = {
    "BootNotification": {"chargingStation": {"model": "X2", "vendorName": "Acme"}, "reason": "PowerUp"},
    "Heartbeat": {},
    "StatusNotification": {"timestamp": TS, "connectorStatus": "Available", "evseId": 1, "connectorId": 1},
    "Authorize": {"idToken": TOKEN},
    "TransactionEvent": {
        "eventType": "Started",
        "timestamp": TS,
        "triggerReason": "Authorized",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "TX-1", "chargingState": "Charging"},
        "evse": {"id": 1, "connectorId": 1},
        "idToken": TOKEN,
        "meterValue": METER,
    },
    "MeterValues": {"evseId": 1, "meterValue": METER},
    "NotifyReport": {
        "requestId": 1,
        "generatedAt": TS,
        "seqNo": 0,
        "tbc": True,
        "reportData": [
            {
                "component": {"name": "OCPPCommCtrlr"},
                "variable": {"name": "HeartbeatInterval"},
                "variableAttribute": [{"value": "300"}],
                "variableCharacteristics": {"dataType": "integer", "supportsMonitoring": False},
            }
        ],
    },
    "NotifyEvent": {
        "generatedAt": TS,
        "seqNo": 0,
        "eventData": [
            {
                "eventId": 1,
                "timestamp": TS,
                "trigger": "Alerting",
                "actualValue": "1",
                "eventNotificationType": "HardWiredMonitor",
                "component": {"name": "ChargingStation"},
                "variable": {"name": "Problem"},
            }
        ],
    },
    "SecurityEventNotification": {"type": "FirmwareUpdated", "timestamp": TS},
    "FirmwareStatusNotification": {"status": "Installed", "requestId": 1},
    "LogStatusNotification": {"status": "Uploaded", "requestId": 1},
    "ReservationStatusUpdate": {"reservationId": 1, "reservationUpdateStatus": "Expired"},
    "NotifyEVChargingNeeds": {"evseId": 1, "chargingNeeds": {"requestedEnergyTransfer": "DC"}},
    "NotifyChargingLimit": {"chargingLimit": {"chargingLimitSource": "EMS"}},
    "ReportChargingProfiles": {
        "requestId": 1,
        "chargingLimitSource": "CSO",
        "evseId": 1,
        "chargingProfile": [
            {
                "id": 1,
                "stackLevel": 0,
                "chargingProfilePurpose": "TxDefaultProfile",
                "chargingProfileKind": "Relative",
                "chargingSchedule": [
                    {
                        "id": 1,
                        "chargingRateUnit": "A",
                        "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 6}],
                    }
                ],
            }
        ],
    },
    "DataTransfer": {"vendorId": "acme", "data": {"any": ["json"]}},
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path into a payload (nested objects and list items included)."""
    found: list[tuple[Any, ...]] = []
    if isinstance(value, dict):
        for key, inner in value.items():
            found.append((*prefix, key))
            found.extend(_paths(inner, (*prefix, key)))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            found.extend(_paths(inner, (*prefix, index)))
    return found


@st.composite
def mutated_calls(draw: st.DrawFn) -> list[Any]:
    """A valid 2.0.1 CALL with one field, at any depth, replaced, removed, or one added."""
    action = draw(st.sampled_from(sorted(VALID_CALLS)))
    payload = json.loads(json.dumps(VALID_CALLS[action]))
    paths = _paths(payload)
    how = draw(st.sampled_from(["replace", "remove", "add"] if paths else ["add"]))
    if how == "add" or not paths:
        payload[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
    else:
        path = draw(st.sampled_from(paths))
        parent: Any = payload
        for part in path[:-1]:
            parent = parent[part]
        if how == "replace":
            parent[path[-1]] = draw(json_values)
        else:
            del parent[path[-1]]
    return [2, draw(st.text(min_size=1, max_size=36)), action, payload]


@st.composite
def valid_odd_calls(draw: st.DrawFn) -> list[Any]:
    """Schema-valid CALLs with legal-but-odd values (sequence numbers, ids, replays)."""
    action = draw(st.sampled_from(sorted(VALID_CALLS)))
    payload = json.loads(json.dumps(VALID_CALLS[action]))
    if action == "TransactionEvent":
        payload["eventType"] = draw(st.sampled_from(["Started", "Updated", "Ended"]))
        payload["seqNo"] = draw(st.integers(0, 2**31 - 1))
        payload["transactionInfo"]["transactionId"] = draw(
            st.sampled_from(["TX-1", "TX-2"])
            | st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=36)
        )
        payload["offline"] = draw(st.booleans())
        payload["meterValue"][0]["sampledValue"][0]["value"] = draw(
            st.floats(allow_nan=False, allow_infinity=False)
        )
        if draw(st.booleans()):
            payload["meterValue"][0]["sampledValue"][0]["unitOfMeasure"] = {
                "unit": draw(st.sampled_from(["Wh", "kWh", "W"])),
                "multiplier": draw(st.integers(-20, 20)),
            }
    elif action in ("StatusNotification", "MeterValues", "NotifyEVChargingNeeds", "ReportChargingProfiles"):
        payload["evseId"] = draw(st.integers(0, 2000))
    elif action == "NotifyReport":
        payload["seqNo"] = draw(st.integers(0, 5))
        payload["tbc"] = draw(st.booleans())
    elif action == "Authorize":
        payload["idToken"] = {
            "idToken": draw(st.text(max_size=36)),
            "type": draw(
                st.sampled_from(
                    [
                        "Central",
                        "eMAID",
                        "ISO14443",
                        "ISO15693",
                        "KeyCode",
                        "Local",
                        "MacAddress",
                        "NoAuthorization",
                    ]
                )
            ),
        }
    return [2, draw(st.text(min_size=1, max_size=36)), action, payload]


frames = st.one_of(
    valid_odd_calls().map(json.dumps),
    mutated_calls().map(json.dumps),
    mutated_calls().map(json.dumps),
    st.text(max_size=80),
    json_values.map(json.dumps),
    st.tuples(
        st.sampled_from([2, 3, 4, 5, 7, "2"]),
        message_ids,
        st.sampled_from([*VALID_CALLS, "SignCertificate", "NoSuchAction", "StartTransaction"]),
        json_values,
    ).map(lambda t: json.dumps(list(t))),
    st.lists(json_values, max_size=6).map(json.dumps),
)


@pytest.fixture(scope="module")
def connected() -> Iterator[tuple[PlatformUnderTest, dict[str, Any]]]:
    with platform_on_moto() as env:
        env.platform.stations.create(a_station())
        env.platform.id_tokens.create(an_id_token())
        offer = "ocpp2.0.1"
        authorizer = websocket.authorize_connection(env.platform, authorizer_event("CP-1", protocols=offer))[
            "context"
        ]
        assert authorizer["protocol"] == offer
        websocket.connect(env.platform, connect_event(authorizer, protocols=offer))
        yield env, authorizer


def _assert_tables_hold_only_valid_records(env: PlatformUnderTest) -> None:
    client, settings_ = env.platform.dynamodb, env.platform.settings
    for table, model in (
        (STATIONS, Station),
        (SESSIONS, Session),
        (METER_VALUES, MeterValuesRecord),
        (COMMANDS, Command),
        (RESERVATIONS, Reservation),
    ):
        for item in client.scan(TableName=settings_.table_name(table)).get("Items", []):
            model.model_validate(from_item(item))
    for item in client.scan(TableName=settings_.table_name(STATION_DATA)).get("Items", []):
        document = from_item(item)
        if document["itemKey"].startswith("v#"):
            _variable_from(document)
        elif document["itemKey"].startswith("report#"):
            assert isinstance(_progress_from(document), ReportProgress)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=frames)
def test_every_201_frame_gets_a_201_answer(
    connected: tuple[PlatformUnderTest, dict[str, Any]], frame: str
) -> None:
    env, authorizer = connected
    response = websocket.handle_message(env.platform, message_event(authorizer, frame))
    assert response["statusCode"] == 200
    try:
        decoded = json.loads(frame)
    except (ValueError, RecursionError):
        decoded = None
    first = decoded[0] if isinstance(decoded, list) and decoded else None
    if type(first) is int and first in (3, 4, 5, 6):
        assert "body" not in response  # answers are never answered; 5 and 6 (OCPP 2.1) are ignored
        _assert_tables_hold_only_valid_records(env)
        return
    reply = json.loads(response["body"])
    is_call = first == 2 and type(first) is int
    event(f"reply {reply[0]} {reply[2] if reply[0] == 4 else decoded[2]}")
    if is_call and reply[0] == 3:
        assert reply[1] == decoded[1] and isinstance(reply[2], dict)
    else:
        assert reply[0] == 4 and len(reply) == 5
        assert reply[2] in OCPP201_ERROR_CODES, reply
        assert reply[2] != "InternalError", (
            f"bad input must not look like our failure: {frame!r} -> {reply!r}"
        )
        assert isinstance(reply[1], str) and isinstance(reply[3], str) and isinstance(reply[4], dict)
        if is_call and isinstance(decoded[1], str) and 0 < len(decoded[1]) <= 36:
            assert reply[1] == decoded[1]
        if type(first) is int and first not in (2, 3, 4, 5, 6):
            assert reply[2] == "MessageTypeNotSupported"
    _assert_tables_hold_only_valid_records(env)
