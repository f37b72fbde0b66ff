"""OCPP-J frame parsing: the exact CALLERROR for each malformed frame (OCPP-J 1.6, section 4; OCPP 2.0.1
part 4, 4.3). The codes are 2.0.1's; each version's plug-in spells them (1.6 has no RpcFrameworkError)."""

from __future__ import annotations

import json

import pytest
from ocpp.messages import Call, CallError, CallResult

from shared.ocpp.frames import FrameRejection, call_error_frame, parse_frame
from shared.ocpp.v16.actions import error_code_for_v16
from shared.ocpp.v201.actions import error_code_for_v201


@pytest.mark.parametrize(
    ("raw", "code", "message_id", "reply"),
    [
        ("not json", "FormatViolation", "-1", True),
        ('{"a": 1}', "RpcFrameworkError", "-1", True),
        ("[]", "RpcFrameworkError", "-1", True),
        ('[9, "m1"]', "MessageTypeNotSupported", "m1", True),  # 1.6 spells it PropertyConstraintViolation
        ('[2, 17, "Heartbeat", {}]', "RpcFrameworkError", "-1", True),
        ('[2, "m1", "Heartbeat"]', "RpcFrameworkError", "m1", True),
        ('[2, "m1", 5, {}]', "TypeConstraintViolation", "m1", True),
        ('[2, "m1", "Heartbeat", []]', "TypeConstraintViolation", "m1", True),
        ('[2, "' + "x" * 37 + '", "Heartbeat", {}]', "TypeConstraintViolation", "-1", True),
        ('[3, "m1", "not an object"]', "RpcFrameworkError", "m1", False),
        ('[4, "m1", "NotImplemented"]', "RpcFrameworkError", "m1", False),
    ],
)
def test_rejections(raw: str, code: str, message_id: str, reply: bool) -> None:
    rejection = parse_frame(raw)
    assert isinstance(rejection, FrameRejection)
    assert (rejection.error.code, rejection.message_id, rejection.reply) == (code, message_id, reply)


def test_well_formed_frames() -> None:
    assert isinstance(parse_frame('[2, "m1", "Heartbeat", {}]'), Call)
    assert isinstance(parse_frame('[3, "m1", {}]'), CallResult)
    assert isinstance(parse_frame('[4, "m1", "GenericError", "", {}]'), CallError)


def test_call_error_frame_uses_16_spelling_and_short_details() -> None:
    rejection = parse_frame("{{")
    assert isinstance(rejection, FrameRejection)
    frame = json.loads(call_error_frame("m1", rejection.error, error_code_for_v16(rejection.error.code)))
    assert frame[:3] == [4, "m1", "FormationViolation"]
    assert set(frame[4]) <= {"cause"}


@pytest.mark.parametrize(
    ("neutral", "v16", "v201"),
    [
        ("RpcFrameworkError", "ProtocolError", "RpcFrameworkError"),
        ("MessageTypeNotSupported", "PropertyConstraintViolation", "MessageTypeNotSupported"),
        ("FormatViolation", "FormationViolation", "FormatViolation"),
        ("OccurrenceConstraintViolation", "OccurenceConstraintViolation", "OccurrenceConstraintViolation"),
        ("TypeConstraintViolation", "TypeConstraintViolation", "TypeConstraintViolation"),
    ],
)
def test_each_version_spells_the_codes_its_own_way(neutral: str, v16: str, v201: str) -> None:
    assert (error_code_for_v16(neutral), error_code_for_v201(neutral)) == (v16, v201)
