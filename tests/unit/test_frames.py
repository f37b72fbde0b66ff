"""OCPP-J frame parsing: the exact CALLERROR for each malformed frame (OCPP-J 1.6, section 4)."""

from __future__ import annotations

import json

import pytest
from ocpp.messages import Call, CallError, CallResult

from shared.ocpp.frames import FrameRejection, call_error_frame, parse_frame
from shared.ocpp.v16.actions import error_code_for_v16


@pytest.mark.parametrize(
    ("raw", "code", "message_id", "reply"),
    [
        ("not json", "FormatViolation", "-1", True),
        ('{"a": 1}', "ProtocolError", "-1", True),
        ("[]", "ProtocolError", "-1", True),
        ('[9, "m1"]', "MessageTypeNotSupported", "m1", True),  # 1.6 spells it PropertyConstraintViolation
        ('[2, 17, "Heartbeat", {}]', "ProtocolError", "-1", True),
        ('[2, "m1", "Heartbeat"]', "ProtocolError", "m1", True),
        ('[2, "m1", 5, {}]', "TypeConstraintViolation", "m1", True),
        ('[2, "m1", "Heartbeat", []]', "TypeConstraintViolation", "m1", True),
        ('[2, "' + "x" * 37 + '", "Heartbeat", {}]', "TypeConstraintViolation", "-1", True),
        ('[3, "m1", "not an object"]', "ProtocolError", "m1", False),
        ('[4, "m1", "NotImplemented"]', "ProtocolError", "m1", False),
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
