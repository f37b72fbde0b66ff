"""Live figures of active sessions (energy so far, power, current per phase), projected from the
meter-values table's DynamoDB stream onto the session items.

The charger-facing path stays one write per MeterValues message; this projection runs off that path, once
per stream batch, and coalesces: one conditional update per session per batch (the newest reading), so
that the session list and the load allocator read active sessions without a query per session.
"""

from __future__ import annotations

from collections import defaultdict

from shared.domain.sessions import METER_VALUE_TOLERANCE, MeterValuesRecord, live_reading
from shared.observability import logger
from shared.ports import SessionStore


class LiveSessions:
    def __init__(self, sessions: SessionStore) -> None:
        self._sessions = sessions

    def project(self, streamed: list[tuple[str, MeterValuesRecord]]) -> list[str]:
        """Takes (stream sequence number, record); returns the sequence numbers of the records whose
        projection failed (to be retried)."""
        by_session: dict[str, list[tuple[str, MeterValuesRecord]]] = defaultdict(list)
        for sequence, record in streamed:
            if record.transaction_id is not None and not record.session_id.startswith("station:"):
                by_session[record.session_id].append((sequence, record))
        failed: list[str] = []
        for session_id, items in by_session.items():
            reading = live_reading([value for _, record in items for value in record.meter_values])
            if reading is None:
                continue
            try:
                self._sessions.record_live(session_id, reading, METER_VALUE_TOLERANCE.total_seconds())
            except Exception:  # reported per record: the stream retries just these
                logger.exception("live reading not projected", extra={"sessionId": session_id})
                failed.extend(sequence for sequence, _ in items)
        return failed
