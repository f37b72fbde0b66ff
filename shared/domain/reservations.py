"""Reservations: an EVSE (or any EVSE of a station) held for one ID token until a time, and the pure rule
that decides whether a token may start there meanwhile.

Both protocols reserve the same way (1.6 ReserveNow with connectorId 0 for "any", 2.0.1 ReserveNow with or
without evseId); the station keeps the reservation and refuses other tokens itself, and the CSMS honours it
too when a station asks (Authorize, a start), so that a reservation holds whatever the station's firmware
does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.id_tokens import same_token

RESERVATION_RETENTION_DAYS = 30
"""Reservations stay readable this long after they expire; DynamoDB's TTL removes them then."""


class ReservationStatus(StrEnum):
    PENDING = "Pending"
    """Sent to the station, no answer yet."""
    ACCEPTED = "Accepted"
    """The station holds it."""
    REJECTED = "Rejected"
    """The station refused it (``station_answer`` says why: Faulted, Occupied, Rejected, Unavailable)."""
    CANCELLED = "Cancelled"
    EXPIRED = "Expired"
    REMOVED = "Removed"
    """The station removed it (2.0.1 ReservationStatusUpdate: Removed)."""
    USED = "Used"
    """A transaction started with it."""


HOLDING = frozenset({ReservationStatus.PENDING, ReservationStatus.ACCEPTED})


class Reservation(DomainModel):
    reservation_id: int
    """Assigned by the CSMS; unique per station registration (both protocols carry it as an integer)."""
    tenant_id: str
    station_id: str
    registration_id: str
    evse_id: int | None = None
    """None: any EVSE of the station (1.6 connectorId 0; 2.0.1 without evseId)."""
    connector_type: str | None = None
    """2.0.1 only: reserve a connector of this type (cType2, cCCS2, ...)."""
    id_token: str
    id_token_type: str | None = None
    group_id_token: str | None = None
    """Another token of this group may use the reservation (1.6 parentIdTag, 2.0.1 groupIdToken)."""
    expires_at: UtcDatetime
    status: ReservationStatus = ReservationStatus.PENDING
    station_answer: str | None = None
    """What the station answered to ReserveNow (Accepted, Faulted, Occupied, Rejected, Unavailable)."""
    command_id: str | None = None
    cancel_command_id: str | None = None
    session_id: str | None = None
    """The session that used it."""
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None
    expires_ttl: int
    """Epoch seconds: DynamoDB's TTL removes the record RESERVATION_RETENTION_DAYS after it expired."""

    def effective_status(self, now: datetime) -> ReservationStatus:
        """A held reservation past its expiry reads as expired (no write needed when it lapses)."""
        if self.status in HOLDING and now >= self.expires_at:
            return ReservationStatus.EXPIRED
        return self.status

    def holds(self, now: datetime) -> bool:
        return self.effective_status(now) is ReservationStatus.ACCEPTED

    def is_for(self, token: str, group: str | None) -> bool:
        return same_token(self.id_token, token) or (
            self.group_id_token is not None and same_token(self.group_id_token, group)
        )


@dataclass(frozen=True)
class ReservationCheck:
    allowed: bool
    used: Reservation | None = None
    """The token's own reservation that this start uses, if any."""


def check_reservations(
    reservations: Iterable[Reservation],
    token: str,
    group: str | None,
    evse_id: int | None,
    evse_count: int | None,
    now: datetime,
) -> ReservationCheck:
    """May ``token`` (of ``group``) charge at ``evse_id`` (None: somewhere at the station, as 1.6 Authorize
    asks) while these reservations exist?

    - A reservation of the token (or its group) is its own: allowed, and a start uses it.
    - An EVSE reserved for another token refuses it.
    - Reservations for "any EVSE" hold capacity: a start is refused when the EVSEs without a specific
      reservation are no more than those reservations (so each can still be honoured); without knowing how
      many EVSEs the station has (``evse_count`` None), they hold none.
    """
    holding = [reservation for reservation in reservations if reservation.holds(now)]
    mine = [
        reservation
        for reservation in holding
        if reservation.is_for(token, group) and (evse_id is None or reservation.evse_id in (None, evse_id))
    ]
    if mine:
        # An EVSE-specific reservation is the one a start there uses.
        mine.sort(key=lambda reservation: reservation.evse_id is None)
        return ReservationCheck(True, mine[0])
    others = [reservation for reservation in holding if not reservation.is_for(token, group)]
    if not others:
        return ReservationCheck(True)
    reserved_evses = {reservation.evse_id for reservation in holding if reservation.evse_id is not None}
    anywhere = sum(1 for reservation in others if reservation.evse_id is None)
    if evse_id is not None:
        if any(reservation.evse_id == evse_id for reservation in others):
            return ReservationCheck(False)
        if evse_count is not None and anywhere and anywhere >= evse_count - len(reserved_evses):
            return ReservationCheck(False)
        return ReservationCheck(True)
    if evse_count is None:
        return ReservationCheck(True)
    specific_others = {reservation.evse_id for reservation in others if reservation.evse_id is not None}
    return ReservationCheck(len(specific_others) + anywhere < evse_count)
