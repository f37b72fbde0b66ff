"""Malformed and schema-violating frames thrown at $default: every CALL gets an answer, nothing crashes,
and nothing invalid is written."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from shared.domain.commands import Command
from shared.domain.sessions import MeterValuesRecord, Session
from shared.domain.stations import Station
from shared.gateway import websocket
from shared.storage.dynamo import from_item
from shared.storage.tables import COMMANDS, METER_VALUES, SESSIONS, STATIONS
from tests.builders import PlatformUnderTest, a_station, an_id_token, platform_on_moto
from tests.events import authorizer_event, connect_event, message_event

OCPP16_ERROR_CODES = {
    "NotImplemented",
    "NotSupported",
    "InternalError",
    "ProtocolError",
    "SecurityError",
    "FormationViolation",
    "PropertyConstraintViolation",
    "OccurenceConstraintViolation",
    "TypeConstraintViolation",
    "GenericError",
}

VALID_CALLS: dict[str, dict[str, Any]] = {
    "BootNotification": {"chargePointVendor": "Acme", "chargePointModel": "X1"},
    "Heartbeat": {},
    "StatusNotification": {"connectorId": 1, "errorCode": "NoError", "status": "Available"},
    "Authorize": {"idTag": "TAG-1"},
    "StartTransaction": {
        "connectorId": 1,
        "idTag": "TAG-1",
        "meterStart": 0,
        "timestamp": "2026-11-27T08:00:00Z",
    },
    "MeterValues": {
        "connectorId": 1,
        "transactionId": 1,
        "meterValue": [{"timestamp": "2026-11-27T08:01:00Z", "sampledValue": [{"value": "10"}]}],
    },
    "StopTransaction": {"transactionId": 1, "meterStop": 10, "timestamp": "2026-11-27T08:02:00Z"},
    "DataTransfer": {"vendorId": "acme", "data": "x"},
    "FirmwareStatusNotification": {"status": "Idle"},
    "DiagnosticsStatusNotification": {"status": "Idle"},
}

# What hostile or broken firmware sends beyond the schema: integers DynamoDB cannot hold, lone UTF-16
# surrogates (json.dumps writes them as \ud800 escapes), non-finite numbers (Infinity, NaN literals).
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.integers(10**37, 10**45)
    | st.integers(-(10**45), -(10**37))
    | st.floats()
    | st.text(max_size=30)
    | st.text(alphabet=st.characters(categories=["Cs"]), min_size=1, max_size=3),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
message_ids = st.one_of(
    st.text(min_size=1, max_size=36), st.integers(), st.none(), st.text(min_size=37, max_size=60)
)
actions = st.one_of(
    st.sampled_from([*VALID_CALLS, "Reset", "NoSuchAction", "TransactionEvent"]), st.text(max_size=20)
)


@st.composite
def mutated_calls(draw: st.DrawFn) -> list[Any]:
    """A valid CALL with one field replaced, removed or added."""
    action = draw(st.sampled_from(sorted(VALID_CALLS)))
    payload = json.loads(json.dumps(VALID_CALLS[action]))
    keys = sorted(payload)
    how = draw(st.sampled_from(["replace", "remove", "add"] if keys else ["add"]))
    if how == "replace":
        payload[draw(st.sampled_from(keys))] = draw(json_values)
    elif how == "remove":
        del payload[draw(st.sampled_from(keys))]
    else:
        payload[draw(st.text(min_size=1, max_size=12))] = draw(json_values)
    return [2, draw(st.text(min_size=1, max_size=36)), action, payload]


timestamps = st.datetimes(timezones=st.just(__import__("datetime").UTC)).map(
    lambda moment: moment.isoformat()
) | st.sampled_from(["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2026-02-30T00:00:00Z"])
id_tags = st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126), min_size=1, max_size=20)
connector_ids = st.integers(0, 10)


@st.composite
def valid_odd_calls(draw: st.DrawFn) -> list[Any]:
    """Schema-valid CALLs with the values odd-but-legal firmware sends."""
    action = draw(st.sampled_from(sorted(VALID_CALLS)))
    payload = json.loads(json.dumps(VALID_CALLS[action]))
    for key in payload:
        if key == "connectorId":
            payload[key] = draw(connector_ids)
        elif key in ("timestamp",):
            payload[key] = draw(timestamps)
        elif key == "idTag":
            payload[key] = draw(st.sampled_from(["TAG-1"]) | id_tags)
        elif key in ("meterStart", "meterStop", "transactionId"):
            payload[key] = draw(st.integers(-(2**31), 2**31 - 1))
    if action == "MeterValues":
        payload["meterValue"] = [
            {
                "timestamp": draw(timestamps),
                "sampledValue": [
                    {
                        "value": draw(st.text(max_size=12)),
                        **draw(
                            st.fixed_dictionaries(
                                {},
                                optional={
                                    "measurand": st.sampled_from(
                                        [
                                            "Energy.Active.Import.Register",
                                            "Power.Active.Import",
                                            "SoC",
                                            "Current.Import",
                                        ]
                                    ),
                                    "unit": st.sampled_from(["Wh", "kWh", "W", "kW", "A", "Percent"]),
                                    "phase": st.sampled_from(["L1", "L2", "L3", "L1-N"]),
                                    "format": st.sampled_from(["Raw", "SignedData"]),
                                },
                            )
                        ),
                    }
                    for _ in range(draw(st.integers(1, 3)))
                ],
            }
            for _ in range(draw(st.integers(1, 2)))
        ]
    return [2, draw(st.text(min_size=1, max_size=36)), action, payload]


@st.composite
def deeply_nested_calls(draw: st.DrawFn) -> str:
    depth = draw(st.integers(30, 3000))
    action = draw(st.sampled_from(sorted(VALID_CALLS)))
    return f'[2,"deep",{json.dumps(action)},{{"x":' + "[" * depth + "]" * depth + "}]"


frames = st.one_of(
    deeply_nested_calls(),
    st.sampled_from(sorted(VALID_CALLS)).map(lambda action: json.dumps([2, "null", action, None])),
    valid_odd_calls().map(json.dumps),
    valid_odd_calls().map(json.dumps),
    mutated_calls().map(json.dumps),
    st.text(max_size=80),
    json_values.map(json.dumps),
    st.tuples(st.sampled_from([2, 3, 4, 5, 6, 7, "2", 0]), message_ids, actions, json_values).map(
        lambda t: json.dumps(list(t))
    ),
    st.lists(json_values, max_size=6).map(json.dumps),
    mutated_calls().map(json.dumps),
)


@pytest.fixture(scope="module")
def connected() -> Iterator[tuple[PlatformUnderTest, dict[str, Any]]]:
    with platform_on_moto() as env:
        env.platform.stations.create(a_station())
        env.platform.id_tokens.create(an_id_token())
        authorizer = websocket.authorize_connection(env.platform, authorizer_event("CP-1"))["context"]
        websocket.connect(env.platform, connect_event(authorizer))
        yield env, authorizer


def _assert_tables_hold_only_valid_records(env: PlatformUnderTest) -> None:
    client, settings_ = env.platform.dynamodb, env.platform.settings
    for table, model in (
        (STATIONS, Station),
        (SESSIONS, Session),
        (METER_VALUES, MeterValuesRecord),
        (COMMANDS, Command),
    ):
        for item in client.scan(TableName=settings_.table_name(table)).get("Items", []):
            model.model_validate(from_item(item))


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(frame=frames)
def test_every_frame_gets_a_well_formed_answer(
    connected: tuple[PlatformUnderTest, dict[str, Any]], frame: str
) -> None:
    env, authorizer = connected
    response = websocket.handle_message(env.platform, message_event(authorizer, frame))
    assert response["statusCode"] == 200
    try:
        decoded = json.loads(frame)
    except (ValueError, RecursionError):
        decoded = None
    is_call = isinstance(decoded, list) and len(decoded) > 0 and decoded[0] == 2
    is_answer = isinstance(decoded, list) and len(decoded) > 0 and decoded[0] in (3, 4)
    ignored = (
        isinstance(decoded, list) and len(decoded) > 0 and type(decoded[0]) is int and decoded[0] in (5, 6)
    )
    if is_answer or ignored:
        assert "body" not in response  # a CALLERROR may only answer a CALL; 5 and 6 (OCPP 2.1) are ignored
        _assert_tables_hold_only_valid_records(env)
        return
    reply = json.loads(response["body"])
    event(f"reply {reply[0]} {reply[2] if reply[0] == 4 else decoded[2]}")
    if is_call and reply[0] == 3:
        assert reply[1] == decoded[1] and isinstance(reply[2], dict)
        _assert_tables_hold_only_valid_records(env)
        return
    assert reply[0] == 4 and len(reply) == 5
    assert reply[2] in OCPP16_ERROR_CODES
    assert reply[2] != "InternalError", f"bad input must not look like our failure: {frame!r} -> {reply!r}"
    assert isinstance(reply[1], str) and isinstance(reply[3], str) and isinstance(reply[4], dict)
    if is_call and isinstance(decoded[1], str) and 0 < len(decoded[1]) <= 36:
        assert reply[1] == decoded[1]
    _assert_tables_hold_only_valid_records(env)
