"""Live figures of active sessions (energy so far, power, current per phase), projected from the
meter-values table's DynamoDB stream onto the session items.

The charger-facing path stays one write per MeterValues message; this projection runs off that path, once
per stream batch, and coalesces: at most one conditional update per session per batch (its newest reading),
and none when the reading says nothing new (``worth_projecting``), so that the session list and the load
allocator read active sessions without a query per session, for a write every few minutes per session.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from shared.domain.base import utc_now
from shared.domain.events import SessionDrawChanged
from shared.domain.sessions import METER_VALUE_TOLERANCE, LiveReading, MeterValuesRecord, live_reading
from shared.observability import logger
from shared.ports import EventPublisher, SessionStore

# A reading is projected when it says something new: the draw moved (what the allocator acts on), the
# energy grew by a noticeable step, or the last projection is getting old. Steady charging then costs one
# write per session every few minutes instead of one per meter-values message.
_POWER_CHANGE = 0.10
_POWER_CHANGE_MIN_W = 200.0
_CURRENT_CHANGE_A = 1.0
_ENERGY_STEP_WH = 500.0
_MAX_AGE = timedelta(minutes=5)
_REMEMBERED_SESSIONS = 50_000
# A draw that moves this much (either way) runs the site's load allocator at once instead of at the
# next minute: a car that stopped taking current frees room for the others, one that takes more again
# needs it back.
_LARGE_DRAW_CHANGE_A = 3.0
_LARGE_DRAW_CHANGE_SHARE = 0.2


def worth_projecting(previous: LiveReading | None, reading: LiveReading) -> bool:
    if previous is None or reading.at - previous.at >= _MAX_AGE:
        return True
    if (previous.power_w is None) != (reading.power_w is None):
        return True
    if previous.power_w is not None and reading.power_w is not None:
        threshold = max(_POWER_CHANGE * abs(previous.power_w), _POWER_CHANGE_MIN_W)
        if abs(reading.power_w - previous.power_w) >= threshold:
            return True
    before, after = previous.current_a or {}, reading.current_a or {}
    if before.keys() != after.keys() or any(abs(after[p] - before[p]) >= _CURRENT_CHANGE_A for p in after):
        return True
    if previous.energy_register_wh is not None and reading.energy_register_wh is not None:
        return reading.energy_register_wh - previous.energy_register_wh >= _ENERGY_STEP_WH
    return reading.energy_register_wh is not None and previous.energy_register_wh is None


def _draw_amps(reading: LiveReading | None) -> float | None:
    if reading is None or not reading.current_a:
        return None
    return max(reading.current_a.values())


def large_draw_change(previous: LiveReading | None, reading: LiveReading) -> bool:
    """Whether the highest phase current moved by at least 3 A and a fifth of what it was."""
    before, after = _draw_amps(previous), _draw_amps(reading)
    if before is None or after is None:
        return False
    change = abs(after - before)
    return change >= _LARGE_DRAW_CHANGE_A and change >= _LARGE_DRAW_CHANGE_SHARE * max(before, after)


class LiveSessions:
    def __init__(self, sessions: SessionStore, events: EventPublisher | None = None) -> None:
        self._sessions = sessions
        self._events = events
        self._projected: dict[str, LiveReading] = {}
        """What this warm container last projected per session (a cold container projects at once)."""

    def project(self, streamed: list[tuple[str, MeterValuesRecord]]) -> list[str]:
        """Takes (stream sequence number, record); returns the sequence numbers of the records whose
        projection failed (to be retried)."""
        by_session: dict[str, list[tuple[str, MeterValuesRecord]]] = defaultdict(list)
        for sequence, record in streamed:
            if record.transaction_id is not None and not record.session_id.startswith("station:"):
                by_session[record.session_id].append((sequence, record))
        failed: list[str] = []
        changed: list[SessionDrawChanged] = []
        for session_id, items in by_session.items():
            reading = live_reading([value for _, record in items for value in record.meter_values])
            previous = self._projected.get(session_id)
            if reading is None or not worth_projecting(previous, reading):
                continue
            try:
                projected = self._sessions.record_live(
                    session_id, reading, METER_VALUE_TOLERANCE.total_seconds()
                )
                if len(self._projected) >= _REMEMBERED_SESSIONS:
                    self._projected.clear()
                self._projected[session_id] = reading
            except Exception:  # reported per record: the stream retries just these
                logger.exception("live reading not projected", extra={"sessionId": session_id})
                failed.extend(sequence for sequence, _ in items)
                continue
            if projected and large_draw_change(previous, reading):
                record = items[-1][1]
                changed.append(
                    SessionDrawChanged(
                        tenant_id=record.tenant_id,
                        station_id=record.station_id,
                        occurred_at=utc_now(),
                        session_id=session_id,
                        previous_amps=_draw_amps(previous),
                        drawn_amps=_draw_amps(reading),
                    )
                )
        if changed and self._events is not None:
            self._events.publish(changed)
        return failed
