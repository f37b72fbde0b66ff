"""Reservation (OCPP block H, and the 1.6 Reservation profile): reservations are stored when the operator
books them, confirmed or refused by the station's answer, used by the start that claims them, ended by
the station (2.0.1 ReservationStatusUpdate) or by their expiry, and honoured when a station asks whether a
token may charge."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from shared.domain.errors import InvalidRequestError
from shared.domain.reservations import (
    HOLDING,
    RESERVATION_RETENTION_DAYS,
    Reservation,
    ReservationCheck,
    ReservationStatus,
    check_reservations,
)
from shared.domain.stations import StationContext, station_key
from shared.observability import logger
from shared.ports import Clock, ReservationStore, StationStore

MAX_RESERVATION_ID = 2**31 - 1
_STATION_UPDATES = {"Expired": ReservationStatus.EXPIRED, "Removed": ReservationStatus.REMOVED}


class Reservations:
    def __init__(self, reservations: ReservationStore, stations: StationStore, clock: Clock) -> None:
        self._reservations = reservations
        self._stations = stations
        self._clock = clock

    def book(
        self,
        station_id: str,
        registration_id: str,
        tenant_id: str,
        id_token: str,
        expires_at: datetime,
        *,
        evse_id: int | None = None,
        id_token_type: str | None = None,
        group_id_token: str | None = None,
        connector_type: str | None = None,
    ) -> Reservation:
        """Stores a new reservation as Pending (the caller sends ReserveNow with its id)."""
        now = self._clock()
        if expires_at <= now:
            raise InvalidRequestError("expiresAt: a reservation must expire in the future")
        if expires_at > now + timedelta(days=RESERVATION_RETENTION_DAYS):
            raise InvalidRequestError(f"expiresAt: at most {RESERVATION_RETENTION_DAYS} days ahead")
        reservation = Reservation(
            reservation_id=secrets.randbelow(MAX_RESERVATION_ID) + 1,
            tenant_id=tenant_id,
            station_id=station_id,
            registration_id=registration_id,
            evse_id=evse_id,
            connector_type=connector_type,
            id_token=id_token,
            id_token_type=id_token_type,
            group_id_token=group_id_token,
            expires_at=expires_at,
            created_at=now,
            expires_ttl=int((expires_at + timedelta(days=RESERVATION_RETENTION_DAYS)).timestamp()),
        )
        self._reservations.create(reservation)
        return reservation

    def check(
        self, station: StationContext, token: str, group: str | None, evse_id: int | None
    ) -> ReservationCheck:
        """One query of the station's holding reservations (none, most of the time); the station is read
        only when there are some and the answer depends on how many EVSEs it has (a question without an
        EVSE, as 1.6 and 2.0.1 Authorize ask, or reservations for "any EVSE")."""
        now = self._clock()
        holding = self._reservations.holding(station_key(station.station_id, station.registration_id), now)
        if not holding:
            return ReservationCheck(True)
        evse_count = None
        if evse_id is None or any(reservation.evse_id is None for reservation in holding):
            stored = self._stations.get(station.station_id)
            evse_count = len(stored.evse_ids()) if stored is not None and stored.evse_ids() else None
        return check_reservations(holding, token, group, evse_id, evse_count, now)

    def use(self, station: StationContext, reservation_id: int, session_id: str) -> Reservation | None:
        """A start claimed the reservation (once: a resent start changes nothing)."""
        used = self._reservations.transition(
            station_key(station.station_id, station.registration_id),
            reservation_id,
            ReservationStatus.USED,
            self._clock(),
            changes={"sessionId": session_id},
        )
        if used is None:
            logger.info(
                "start names a reservation that is not held",
                extra={"stationId": station.station_id, "reservationId": reservation_id},
            )
        return used

    def station_update(self, station: StationContext, reservation_id: int, update: str) -> None:
        """2.0.1 ReservationStatusUpdate: the station ended it (Expired, Removed)."""
        status = _STATION_UPDATES.get(update)
        if status is None:
            return
        self._reservations.transition(
            station_key(station.station_id, station.registration_id),
            reservation_id,
            status,
            self._clock(),
        )

    def answered(self, key: str, reservation_id: int, accepted: bool, answer: str) -> None:
        self._reservations.transition(
            key,
            reservation_id,
            ReservationStatus.ACCEPTED if accepted else ReservationStatus.REJECTED,
            self._clock(),
            only_from=frozenset({ReservationStatus.PENDING}),
            changes={"stationAnswer": answer},
        )

    def cancelled(self, key: str, reservation_id: int) -> None:
        self._reservations.transition(
            key, reservation_id, ReservationStatus.CANCELLED, self._clock(), only_from=HOLDING
        )
