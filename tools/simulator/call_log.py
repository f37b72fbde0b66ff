"""Every CALL a simulated charger sent and what answered it, for load runs (``bench/fleet.py``): a CALL
with no CALLRESULT/CALLERROR is a message the CSMS lost."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ocpp.charge_point import ChargePoint as _ChargePointBase
else:
    _ChargePointBase = object


@dataclass
class CallRecord:
    action: str
    sent_at: float
    answered_at: float | None = None
    answer: str | None = None
    """``result`` (CALLRESULT) or the CALLERROR's error code."""

    @property
    def latency_seconds(self) -> float | None:
        return None if self.answered_at is None else self.answered_at - self.sent_at


@dataclass
class CallLog:
    calls: dict[str, CallRecord] = field(default_factory=dict)
    """By OCPP message id, in the order sent."""

    def sent(self, frame: str) -> None:
        message = _parse(frame)
        if message and message[0] == 2 and len(message) >= 3:
            self.calls[str(message[1])] = CallRecord(action=str(message[2]), sent_at=time.monotonic())

    def not_sent(self, frame: str) -> None:
        """The send failed (the socket was closing): the CSMS never saw it."""
        message = _parse(frame)
        if message and message[0] == 2:
            self.calls.pop(str(message[1]), None)

    def received(self, frame: str | bytes) -> None:
        message = _parse(frame)
        if not message or message[0] not in (3, 4) or len(message) < 2:
            return
        record = self.calls.get(str(message[1]))
        if record is not None and record.answered_at is None:
            record.answered_at = time.monotonic()
            record.answer = "result" if message[0] == 3 else str(message[2] if len(message) > 2 else "")

    def unanswered(self) -> list[CallRecord]:
        return [record for record in self.calls.values() if record.answered_at is None]


def _parse(frame: str | bytes) -> list[object] | None:
    try:
        message = json.loads(frame)
    except (ValueError, TypeError):
        return None
    return message if isinstance(message, list) and message else None


class CallLogging(_ChargePointBase):
    """Mixed in before an ``ocpp`` ChargePoint (1.6 or 2.0.1): records every frame it sends and
    receives in ``call_log``."""

    call_log: CallLog

    async def _send(self, message: str) -> None:
        self.call_log.sent(message)
        try:
            await super()._send(message)
        except BaseException:
            self.call_log.not_sent(message)
            raise

    async def route_message(self, raw_msg: str | bytes) -> None:
        self.call_log.received(raw_msg)
        await super().route_message(raw_msg)
