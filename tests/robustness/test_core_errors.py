"""Issue 18, wrong or missing error (defects 10, 11, 12, 14) and log volume (16)."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest

from tests.robustness.conftest import Charger, Harness, meter_frame, start_frame


@pytest.fixture
def charger(harness: Harness) -> Charger:
    harness.register("S")
    harness.api("POST", "/v1/id-tokens", body={"idToken": "TAG-1"})
    return harness.connect("S")


def _error_code(reply: Any) -> str:
    assert isinstance(reply, list) and reply[0] == 4, reply
    return str(reply[2])


@pytest.mark.parametrize(
    "frame",
    [
        [
            2,
            "n1",
            "StatusNotification",
            {"connectorId": 10**40, "errorCode": "NoError", "status": "Available"},
        ],
        start_frame(meterStart=10**40),
        [
            2,
            "x1",
            "StopTransaction",
            {"transactionId": 10**40, "meterStop": 1, "timestamp": "2026-11-27T08:00:00Z"},
        ],
    ],
    ids=["connectorId", "meterStart", "transactionId"],
)
def test_integers_beyond_38_digits_are_the_stations_fault(charger: Charger, frame: list[Any]) -> None:
    """Defect 10: InternalError where the input is at fault."""
    assert _error_code(charger.send(frame)) in {"PropertyConstraintViolation", "TypeConstraintViolation"}


def test_lone_surrogates_are_refused_not_stored(charger: Charger) -> None:
    raw = '[2,"b1","BootNotification",{"chargePointVendor":"\\ud800","chargePointModel":"X"}]'
    assert _error_code(charger.send(raw)) == "FormationViolation"


@pytest.mark.parametrize("timestamp", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00"])
def test_timestamps_that_overflow_utc_are_refused(charger: Charger, timestamp: str) -> None:
    assert _error_code(charger.send(start_frame(timestamp=timestamp))) == "TypeConstraintViolation"


def test_an_empty_id_tag_is_invalid(charger: Charger) -> None:
    assert charger.send([2, "a1", "Authorize", {"idTag": ""}]) == [
        3,
        "a1",
        {"idTagInfo": {"status": "Invalid"}},
    ]


def test_concurrent_identical_starts_get_one_transaction(harness: Harness, charger: Charger) -> None:
    """Defect 10: four of five concurrent identical StartTransactions got InternalError."""
    replies: list[Any] = []
    barrier = threading.Barrier(5)

    def start(index: int) -> None:
        barrier.wait()
        replies.append(charger.send(start_frame(f"s{index}")))

    threads = [threading.Thread(target=start, args=(index,)) for index in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {reply[0] for reply in replies} == {3}
    assert len({reply[2]["transactionId"] for reply in replies}) == 1
    assert len(harness.api("GET", "/v1/sessions")[1]["items"]) == 1


def test_a_deeply_nested_frame_gets_a_callerror_with_its_message_id(charger: Charger) -> None:
    """Defect 11: ~1,000 levels raised RecursionError and the charger got 'Internal server error'."""
    raw = '[2,"deep1","DataTransfer",{"vendorId":"x","data":' + "[" * 1000 + "]" * 1000 + "}]"
    reply = charger.send(raw)
    assert reply[:3] == [4, "deep1", "FormationViolation"]
    nested = {"vendorId": "x", "data": "y"}
    payload: Any = nested
    for _ in range(40):
        payload = {"a": payload}
    assert _error_code(charger.send([2, "deep2", "BootNotification", payload])) in {
        "FormationViolation",
        "PropertyConstraintViolation",
        "TypeConstraintViolation",
    }


def test_a_huge_meter_value_never_makes_the_api_emit_infinity(harness: Harness, charger: Charger) -> None:
    """Defect 12: "1e400" passed as a finite Decimal, became float infinity, and GET /v1/sessions
    returned "energyWh": Infinity (invalid JSON) until the session stopped."""
    started = charger.send(start_frame())
    assert (
        charger.send(meter_frame("m1", started[2]["transactionId"], "2026-11-27T08:10:00Z", "1e400"))[0] == 3
    )
    response_body = harness.api("GET", "/v1/sessions")[1]
    json.dumps(response_body, allow_nan=False)
    assert response_body["items"][0]["energyWh"] is None


def test_a_reading_below_dynamodb_s_range_is_a_zero_reading(harness: Harness, charger: Charger) -> None:
    """A 2.0.1 meter value is a JSON number and 1.1e-308 is legal; DynamoDB stores nothing below 1e-130,
    and the TransactionEvent failed with InternalError (fuzzer, 2.0.1)."""
    started = charger.send(start_frame(meterStart=0))
    assert (
        charger.send(meter_frame("m1", started[2]["transactionId"], "2026-11-27T08:10:00Z", "1.1e-308"))[0]
        == 3
    )
    harness.env.deliver_meter_stream()
    assert harness.api("GET", "/v1/sessions")[1]["items"][0]["energyWh"] == 0


def test_a_null_payload_is_an_empty_one(charger: Charger) -> None:
    """Defect 14: OCPP-J allows null for an action without payload fields."""
    reply = charger.send([2, "h1", "Heartbeat", None])
    assert reply[0] == 3 and "currentTime" in reply[2]


def test_unknown_and_unsupported_actions_have_the_right_codes(charger: Charger) -> None:
    """Defect 14: NotImplemented = not known by the receiver, NotSupported = known, not supported
    (OCPP-J 1.6 table 7; the ocpp package swaps them)."""
    assert _error_code(charger.send([2, "u1", "MakeCoffee", {}])) == "NotImplemented"
    assert _error_code(charger.send([2, "u2", "GetConfiguration", {}])) == "NotSupported"


def test_schema_violations_have_their_specific_codes(charger: Charger) -> None:
    enum = [2, "e1", "StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Bogus"}]
    assert _error_code(charger.send(enum)) == "PropertyConstraintViolation"
    empty = [2, "e2", "MeterValues", {"connectorId": 1, "meterValue": []}]
    assert _error_code(charger.send(empty)) == "OccurenceConstraintViolation"
    typed = [2, "e3", "Heartbeat", {"unexpected": 1}]
    assert _error_code(charger.send(typed)) == "FormationViolation"


def test_message_type_5_is_ignored(charger: Charger) -> None:
    assert charger.send([5, "r1", "GenericError", "", {}]) is None


def test_a_rejected_frame_costs_bounded_log_bytes(
    charger: Charger, capsys: pytest.CaptureFixture[str]
) -> None:
    """Defect 16: one 31 KB invalid frame made 95 KB of log (payload and traceback at ERROR)."""
    capsys.readouterr()
    big = [2, "big", "BootNotification", {"chargePointVendor": "x" * 31_000, "chargePointModel": "X"}]
    assert _error_code(charger.send(big)) == "TypeConstraintViolation"
    logged = capsys.readouterr()
    assert len(logged.out) + len(logged.err) < 2_000
