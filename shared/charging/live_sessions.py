"""Live figures of active sessions (energy so far, power, current per phase), projected from the
meter-values table's DynamoDB stream onto the session items.

The charger-facing path stays one write per MeterValues message; this projection runs off that path, once
per stream batch, and coalesces: one conditional update per session per batch (the newest reading), so
that the session list and the load allocator read active sessions without a query per session.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from shared.domain.sessions import METER_VALUE_TOLERANCE, MeterValuesRecord, live_reading
from shared.observability import logger
from shared.ports import SessionStore


@dataclass(frozen=True)
class StreamedRecord:
    sequence_number: str
    record: MeterValuesRecord


class LiveSessions:
    def __init__(self, sessions: SessionStore) -> None:
        self._sessions = sessions

    def project(self, streamed: list[StreamedRecord]) -> list[str]:
        """Returns the sequence numbers of the records whose projection failed (to be retried)."""
        by_session: dict[str, list[StreamedRecord]] = defaultdict(list)
        for item in streamed:
            if item.record.transaction_id is not None and not item.record.session_id.startswith("station:"):
                by_session[item.record.session_id].append(item)
        failed: list[str] = []
        for session_id, items in by_session.items():
            reading = live_reading([value for item in items for value in item.record.meter_values])
            if reading is None:
                continue
            try:
                self._sessions.record_live(session_id, reading, METER_VALUE_TOLERANCE.total_seconds())
            except Exception:  # reported per record: the stream retries just these
                logger.exception("live reading not projected", extra={"sessionId": session_id})
                failed.extend(item.sequence_number for item in items)
        return failed
