"""Transactions as a sequence of protocol-neutral events, and the pure rule that folds them into a session.

OCPP 1.6 StartTransaction / MeterValues / StopTransaction and OCPP 2.0.1 TransactionEvent
(Started / Updated / Ended) both map onto :class:`TransactionEvent`. The fold is order-independent for the
fields that matter: whichever order a start and an end arrive in, and however often either is repeated,
the stored session comes out the same, and it is closed exactly once.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime, to_iso
from shared.domain.id_tokens import AuthorizationStatus, IdTokenRef
from shared.domain.sessions import (
    ENERGY_REGISTER,
    MeterValue,
    Session,
    SessionStatus,
    earliest_reading,
    energy_between,
    latest_reading,
    session_id_for,
)
from shared.domain.stations import StationContext

TRANSACTION_BEGIN = "Transaction.Begin"
TRANSACTION_END = "Transaction.End"
MAX_CSMS_TRANSACTION_ID = 2**31 - 1
"""CSMS-assigned ids stay in a signed 32-bit integer: what charger firmware stores them in."""


class TransactionEventKind(StrEnum):
    STARTED = "Started"
    UPDATED = "Updated"
    ENDED = "Ended"


class TransactionEvent(DomainModel):
    kind: TransactionEventKind
    timestamp: UtcDatetime
    message_id: str
    """The OCPP message id of the CALL that carried the event."""
    action: str
    """The OCPP action that carried it (StartTransaction, MeterValues, TransactionEvent, ...)."""
    transaction_id: str | None = None
    """The station's id for the transaction, or the one the CSMS assigned; None for a 1.6 start, whose id
    the CSMS assigns in its answer."""
    evse_id: int | None = None
    connector_id: int | None = None
    seq_no: int | None = None
    trigger_reason: str | None = None
    charging_state: str | None = None
    id_token: IdTokenRef | None = None
    meter_values: list[MeterValue] = Field(default_factory=list)
    """Meter values as the station sent them with the event (stored as they are)."""
    register_wh: float | None = None
    """An energy register reading the protocol sends apart from meter values (1.6 meterStart on a start,
    meterStop on an end); 2.0.1 has none and the readings come from the meter values."""
    stopped_reason: str | None = None
    offline: bool = False
    reservation_id: int | None = None
    remote_start_id: int | None = None
    names_evse: bool = False
    """The event tells which EVSE the transaction is on, which an earlier event may not have (2.0.1 sends
    ``evse`` once, in the first event after it is known). 1.6 meter values name their connector always and
    never change it: False there, so they stay one write."""
    record_key: str | None = None
    """What makes a resent copy of the event the same record when the protocol says so (2.0.1:
    transactionId and seqNo); None: the message id."""


def begin_register(event: TransactionEvent) -> float | None:
    if event.register_wh is not None:
        return event.register_wh
    begins = [
        mv for mv in event.meter_values if any(s.context == TRANSACTION_BEGIN for s in mv.sampled_value)
    ]
    return earliest_reading(begins or event.meter_values, ENERGY_REGISTER)


def end_register(event: TransactionEvent) -> float | None:
    if event.register_wh is not None:
        return event.register_wh
    ends = [mv for mv in event.meter_values if any(s.context == TRANSACTION_END for s in mv.sampled_value)]
    return latest_reading(ends or event.meter_values, ENERGY_REGISTER)


def start_key(station: StationContext, event: TransactionEvent) -> str:
    """What makes a 1.6 StartTransaction the same request when the station resends it."""
    token = event.id_token.value.upper() if event.id_token else ""
    parts = (
        station.registration_id,
        str(event.evse_id),
        str(event.connector_id),
        token,
        str(begin_register(event)),
        to_iso(event.timestamp),
    )
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def csms_transaction_id(key: str, attempt: int) -> int:
    """The transaction id the CSMS assigns to a start: derived from the start's identity, so a resent
    start gets the same id without any write, and concurrent copies of one start agree. ``attempt`` > 0
    probes past an id already taken by another transaction (rare: a 31-bit space per station)."""
    digest = hashlib.sha256(f"{key}#{attempt}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % MAX_CSMS_TRANSACTION_ID + 1


@dataclass(frozen=True)
class Folded:
    session: Session
    changed: bool
    started: bool
    """The session became known as started with this event (announce SessionStarted)."""
    ended: bool
    """The session was closed by this event (announce SessionStopped)."""


def _newer(session: Session, event: TransactionEvent) -> bool:
    if event.seq_no is None or session.last_seq_no is None:
        return True
    return event.seq_no >= session.last_seq_no


def changes_session(event: TransactionEvent) -> bool:
    """Whether the event carries anything the session record holds; most updates carry only meter values
    (stored on their own, one write), and folding them would cost a read and a write per message."""
    if event.kind is not TransactionEventKind.UPDATED:
        return True
    return (
        event.id_token is not None
        or event.names_evse
        or event.charging_state is not None
        or event.remote_start_id is not None
        or event.offline
    )


def new_session(
    station: StationContext,
    event: TransactionEvent,
    transaction_id: str,
    now: datetime,
    token_status: AuthorizationStatus | None,
    key: str | None = None,
) -> Folded:
    """The session as the first event of its transaction to arrive describes it."""
    blank = Session(
        session_id=session_id_for(station.station_id, station.registration_id, transaction_id),
        tenant_id=station.tenant_id,
        station_id=station.station_id,
        registration_id=station.registration_id,
        site_id=station.site_id,
        evse_id=event.evse_id or 0,
        connector_id=event.connector_id or 0,
        transaction_id=transaction_id,
        protocol=station.protocol,
        started_at=event.timestamp,
        start_seen=False,
        start_key=key,
        created_at=now,
        version=0,
    )
    folded = fold(blank, event, now, token_status)
    return Folded(folded.session.model_copy(update={"updated_at": None}), True, folded.started, folded.ended)


def fold(
    session: Session, event: TransactionEvent, now: datetime, token_status: AuthorizationStatus | None = None
) -> Folded:
    """Applies one event to the session; repeats and stale events change nothing."""
    changes: dict[str, object] = {}
    started = ended = False
    if event.kind is TransactionEventKind.STARTED and not session.start_seen:
        # A start arriving after the end (offline replay) completes the session: announce the stop again,
        # now with its energy; consumers key on the session id and keep the latest.
        ended = session.status is SessionStatus.COMPLETED
        changes.update(
            started_at=event.timestamp,
            start_seen=True,
            orphan=False,
            meter_start_wh=begin_register(event),
            reservation_id=event.reservation_id,
            remote_start_id=event.remote_start_id,
        )
        started = True
    if event.id_token is not None and session.id_token is None:
        changes.update(
            id_token=event.id_token.value, id_token_type=event.id_token.type, id_token_status=token_status
        )
    if event.evse_id and not session.evse_id:
        changes.update(evse_id=event.evse_id, connector_id=event.connector_id or 1)
    if event.remote_start_id is not None and session.remote_start_id is None:
        changes["remote_start_id"] = event.remote_start_id
    if _newer(session, event):
        if event.charging_state is not None:
            changes["charging_state"] = event.charging_state
        if event.trigger_reason is not None:
            changes["trigger_reason"] = event.trigger_reason
        if event.seq_no is not None:
            changes["last_seq_no"] = event.seq_no
    if event.offline and not session.offline_events:
        changes["offline_events"] = True
    if event.kind is TransactionEventKind.ENDED and session.status is SessionStatus.ACTIVE:
        changes.update(
            status=SessionStatus.COMPLETED,
            stopped_at=event.timestamp,
            meter_stop_wh=end_register(event),
            stop_reason=event.stopped_reason,
            stop_id_token=event.id_token.value if event.id_token else None,
        )
        if not session.start_seen and not started:
            changes["orphan"] = True
        ended = True
    changes = {key: value for key, value in changes.items() if getattr(session, key) != value}
    if not changes:
        return Folded(session, False, False, False)
    updated = session.model_copy(update={**changes, "updated_at": now})
    energy = (
        energy_between(updated.meter_start_wh, updated.meter_stop_wh)
        if updated.status is SessionStatus.COMPLETED
        else None
    )
    if energy != updated.energy_wh:
        updated = updated.model_copy(update={"energy_wh": energy})
    return Folded(updated, True, started, ended)
