"""Parsing OCPP-J frames (RPC framework) into the ocpp package's message types, with exact CALLERRORs."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, TypeAlias

from ocpp.exceptions import (
    FormatViolationError,
    OCPPError,
    TypeConstraintViolationError,
)
from ocpp.messages import Call, CallError, CallResult, MessageType

UNKNOWN_MESSAGE_ID = "-1"
"""Used in a CALLERROR when the message id cannot be read (OCPP 2.0.1 part 4, 4.2.3; 1.6 is silent)."""

MAX_MESSAGE_ID_LENGTH = 36
_MAX_CAUSE_LENGTH = 200
IGNORED_MESSAGE_TYPES = frozenset({5, 6})
"""OCPP 2.1's CALLRESULTERROR (5) and SEND (6) must never be answered: a CALLERROR answers only a CALL."""
# Enough of a frame to answer it when the whole cannot be decoded (nesting beyond the decoder's limit).
_FRAME_HEAD = re.compile(r'^\s*\[\s*(\d+)\s*,\s*"((?:[^"\\]|\\.){1,36})"')


class MessageTypeNotSupportedError(OCPPError):
    code = "MessageTypeNotSupported"
    default_description = "A message with a MessageTypeId not supported by the receiver was received"


class RpcFrameworkError(OCPPError):
    """OCPP 2.0.1 (part 4, 4.3): the content is not a valid RPC request, e.g. its MessageId cannot be read.
    OCPP 1.6 has no such code and answers these as ProtocolError (each version's plug-in spells it)."""

    code = "RpcFrameworkError"
    default_description = "Content of the call is not a valid RPC Request"


Frame: TypeAlias = Call | CallResult | CallError


@dataclass(frozen=True)
class FrameRejection:
    """A frame that cannot be handled; ``reply`` is False when it claimed to be an answer (3 or 4): a
    CALLERROR may only answer a CALL."""

    error: OCPPError
    message_id: str
    reply: bool


def _undecodable(raw: str | bytes, cause: str) -> FrameRejection:
    text = raw if isinstance(raw, str) else raw[:200].decode("utf-8", errors="replace")
    head = _FRAME_HEAD.match(text)
    if head is None:
        return FrameRejection(FormatViolationError(details={"cause": cause}), UNKNOWN_MESSAGE_ID, True)
    message_type, message_id = int(head.group(1)), json.loads(f'"{head.group(2)}"')
    return FrameRejection(
        FormatViolationError(details={"cause": cause}), message_id, message_type == MessageType.Call
    )


def parse_frame(raw: str | bytes | None) -> Frame | FrameRejection | None:
    """The frame, a rejection to answer (or not), or None for a frame that must be ignored."""
    try:
        decoded = json.loads(raw) if raw is not None else None
    except RecursionError:
        assert raw is not None
        return _undecodable(raw, "frame nests too deeply")
    except (json.JSONDecodeError, UnicodeDecodeError, TypeError):
        return FrameRejection(
            FormatViolationError(details={"cause": "frame is not valid JSON"}), UNKNOWN_MESSAGE_ID, True
        )
    if not isinstance(decoded, list) or not decoded:
        return FrameRejection(
            RpcFrameworkError(
                details={"cause": "an OCPP-J frame is a JSON array [MessageTypeId, MessageId, ...]"}
            ),
            UNKNOWN_MESSAGE_ID,
            True,
        )
    message_type, message_id = decoded[0], _message_id(decoded)
    if message_type == MessageType.Call:
        return _parse_call(decoded, message_id)
    if message_type in (MessageType.CallResult, MessageType.CallError):
        return _parse_answer(decoded, message_id)
    if (
        isinstance(message_type, int)
        and not isinstance(message_type, bool)
        and message_type in IGNORED_MESSAGE_TYPES
    ):
        return None
    return FrameRejection(
        MessageTypeNotSupportedError(details={"cause": f"MessageTypeId {message_type!r} is not 2, 3 or 4"}),
        message_id,
        True,
    )


def _message_id(frame: list[Any]) -> str:
    if len(frame) > 1 and isinstance(frame[1], str) and 0 < len(frame[1]) <= MAX_MESSAGE_ID_LENGTH:
        return frame[1]
    return UNKNOWN_MESSAGE_ID


def _id_problem(frame: list[Any]) -> OCPPError | None:
    if len(frame) < 2 or not isinstance(frame[1], str):
        return RpcFrameworkError(details={"cause": "MessageId must be a string"})
    if not 0 < len(frame[1]) <= MAX_MESSAGE_ID_LENGTH:
        return TypeConstraintViolationError(details={"cause": "MessageId must be 1 to 36 characters"})
    return None


def _parse_call(frame: list[Any], message_id: str) -> Call | FrameRejection:
    problem = _id_problem(frame)
    if problem is not None:
        return FrameRejection(problem, message_id, True)
    if len(frame) != 4:
        return FrameRejection(
            RpcFrameworkError(details={"cause": "a CALL is [2, MessageId, Action, Payload]"}),
            message_id,
            True,
        )
    _, _, action, payload = frame
    if not isinstance(action, str) or not action:
        return FrameRejection(
            TypeConstraintViolationError(details={"cause": "Action must be a string"}), message_id, True
        )
    if payload is None:
        payload = {}  # OCPP-J allows null for an action without payload fields ([2,"id","Heartbeat",null])
    if not isinstance(payload, dict):
        return FrameRejection(
            TypeConstraintViolationError(details={"cause": "Payload must be a JSON object"}), message_id, True
        )
    return Call(message_id, action, payload)


def _parse_answer(frame: list[Any], message_id: str) -> CallResult | CallError | FrameRejection:
    problem = _id_problem(frame)
    if problem is None and frame[0] == MessageType.CallResult:
        if len(frame) == 3 and isinstance(frame[2], dict):
            return CallResult(message_id, frame[2])
        problem = RpcFrameworkError(details={"cause": "a CALLRESULT is [3, MessageId, Payload]"})
    elif problem is None:
        if (
            len(frame) == 5
            and isinstance(frame[2], str)
            and isinstance(frame[3], str)
            and isinstance(frame[4], dict)
        ):
            return CallError(message_id, frame[2], frame[3], frame[4])
        problem = RpcFrameworkError(
            details={"cause": "a CALLERROR is [4, MessageId, ErrorCode, Description, Details]"}
        )
    assert problem is not None
    return FrameRejection(problem, message_id, False)


def call_error_frame(message_id: str, error: OCPPError, error_code: str | None = None) -> str:
    """The CALLERROR for an error, with only a short cause in its details: never echo the whole frame
    (a 128 KB frame echoed back could exceed API Gateway's message limit)."""
    cause = (error.details or {}).get("cause") if isinstance(error.details, dict) else None
    details = {"cause": str(cause)[:_MAX_CAUSE_LENGTH]} if cause else {}
    return json.dumps(
        [MessageType.CallError, message_id, error_code or error.code, error.description or "", details],
        separators=(",", ":"),
    )
