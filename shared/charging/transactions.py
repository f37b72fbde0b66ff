"""Transactions: sessions start, meter, and end — exactly once, whatever the station repeats, and the same
whatever order the events arrive in.

Every protocol maps its messages onto :class:`shared.domain.transactions.TransactionEvent`; this service
stores their meter values, folds the events into the session (``shared.domain.transactions.fold``) and
announces SessionStarted / SessionStopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from shared.charging.authorization import Authorization, ChargeAuthorization, ConcurrentScope
from shared.charging.reservations import Reservations
from shared.domain.base import to_iso
from shared.domain.errors import ConflictError
from shared.domain.events import DomainEvent, MeterValuesReceived, SessionStarted, SessionStopped
from shared.domain.id_tokens import AuthorizationStatus, IdTokenInfo
from shared.domain.sessions import (
    ACTIVE_POWER,
    ENERGY_REGISTER,
    MeterValuesRecord,
    Session,
    earliest_reading,
    energy_between,
    latest_reading,
    meter_values_partition,
    readings_owned_by,
    session_id_for,
)
from shared.domain.stations import Station, StationContext
from shared.domain.transactions import (
    Folded,
    TransactionEvent,
    TransactionEventKind,
    changes_session,
    csms_transaction_id,
    fold,
    new_session,
    start_key,
)
from shared.observability import logger, metrics
from shared.ports import Clock, CostQuotes, EventPublisher, MeterValueStore, SessionStore
from shared.settings import Settings

_ID_PROBES = 8
_WRITE_ATTEMPTS = 6


@dataclass(frozen=True)
class StartOutcome:
    transaction_id: str
    token: IdTokenInfo | None
    session: Session


@dataclass(frozen=True)
class EventOutcome:
    session: Session | None
    token: IdTokenInfo | None
    """The token's authorization for the station's answer (2.0.1 idTokenInfo), when the event has one."""
    total_cost: Decimal | None = None
    """For an event that ends the transaction: what billing will charge for the closed session (2.0.1
    totalCost), when the tenant has a tariff for it and pricing succeeded."""


class Transactions:
    def __init__(
        self,
        sessions: SessionStore,
        meter_values: MeterValueStore,
        authorization: Authorization,
        events: EventPublisher,
        settings: Settings,
        clock: Clock,
        reservations: Reservations | None = None,
        cost_quotes: CostQuotes | None = None,
    ) -> None:
        self._sessions = sessions
        self._meter_values = meter_values
        self._authorization = authorization
        self._events = events
        self._settings = settings
        self._clock = clock
        self._reservations = reservations
        self._cost_quotes = cost_quotes

    def start_with_csms_id(self, station: StationContext, event: TransactionEvent) -> StartOutcome:
        """A start whose transaction id the CSMS assigns (OCPP 1.6). The id is derived from the start's
        identity (see ``csms_transaction_id``), so a resent start — or five copies processed at once —
        finds the session the first one created and gets the same id, with one conditional write."""
        key = start_key(station, event)
        charge = (
            self._authorization.authorize_to_charge(
                station, event.id_token, event.evse_id, ConcurrentScope.ANY, own_start_key=key
            )
            if event.id_token
            else None
        )
        token = charge.info if charge else None
        now = self._clock()
        for attempt in range(_ID_PROBES):
            transaction_id = str(csms_transaction_id(key, attempt))
            folded = new_session(
                station, event, transaction_id, now, token.status if token else None, key=key
            )
            existing = self._sessions.create(folded.session)
            if existing is None:
                self._announce(station, folded, now)
                self._use_reservation(station, event, charge, folded.session.session_id)
                return StartOutcome(transaction_id, token, folded.session)
            if existing.start_key == key:
                return StartOutcome(existing.transaction_id, token, existing)
        raise ConflictError(f"no free transaction id for a start of station {station.station_id}")

    def record_event(self, station: StationContext, event: TransactionEvent) -> Session | None:
        """Stores the event's meter values (one write) and folds it into its session when it carries
        anything the session holds. Returns the session when it was read or written."""
        if event.transaction_id is None:
            raise ValueError("an event without a transaction id must go through start_with_csms_id")
        session_id = session_id_for(station.station_id, station.registration_id, event.transaction_id)
        if not changes_session(event):
            self.record_meter_values(station, event, session_id)
            return None
        session = self._fold(station, event, session_id)
        if event.evse_id is None:
            # A 1.6 stop names no connector: its transactionData is filed under the session's EVSE.
            event = event.model_copy(update={"evse_id": session.evse_id})
        self.record_meter_values(station, event, session_id)
        return session

    def record_transaction_event(self, station: StationContext, event: TransactionEvent) -> EventOutcome:
        """A transaction event whose id the station assigned (2.0.1 TransactionEvent), with the token's
        authorization for the answer: a start (or the first token of a transaction) is checked for
        ConcurrentTx and reservations; a later event only for the token's status."""
        if event.transaction_id is None:
            raise ValueError("a station-assigned transaction event carries its transaction id")
        session_id = session_id_for(station.station_id, station.registration_id, event.transaction_id)
        charge: ChargeAuthorization | None = None
        if event.id_token is not None:
            if event.kind is TransactionEventKind.ENDED:
                charge = ChargeAuthorization(self._authorization.authorize(station, event.id_token))
            else:
                charge = self._authorization.authorize_to_charge(
                    station, event.id_token, event.evse_id, ConcurrentScope.ANY, own_session_id=session_id
                )
        if not changes_session(event):
            self.record_meter_values(station, event, session_id)
            return EventOutcome(None, charge.info if charge else None)
        session = self._fold(
            station,
            event,
            session_id,
            token_status=charge.info.status if charge else None,
            quote_cost=True,
        )
        self.record_meter_values(
            station, event.model_copy(update={"evse_id": event.evse_id or session.evse_id}), session_id
        )
        self._use_reservation(station, event, charge, session_id)
        # A resent end gets the cost its first delivery was told (stored with the close).
        ended = event.kind is TransactionEventKind.ENDED and session.stopped_at is not None
        return EventOutcome(session, charge.info if charge else None, session.cost if ended else None)

    def _use_reservation(
        self,
        station: StationContext,
        event: TransactionEvent,
        charge: ChargeAuthorization | None,
        session_id: str,
    ) -> None:
        """The reservation a start names (reservationId), or the token's own on that EVSE, is used."""
        if self._reservations is None or event.kind is TransactionEventKind.ENDED:
            return
        reservation_id = event.reservation_id
        if reservation_id is None and charge is not None and charge.reservation is not None:
            reservation_id = charge.reservation.reservation_id
        if reservation_id is not None:
            self._reservations.use(station, reservation_id, session_id)

    def token_info(self, station: StationContext, event: TransactionEvent) -> IdTokenInfo | None:
        return self._authorization.authorize(station, event.id_token) if event.id_token else None

    def _fold(
        self,
        station: StationContext,
        event: TransactionEvent,
        session_id: str,
        closed_by_platform: str | None = None,
        token_status: AuthorizationStatus | None = None,
        quote_cost: bool = False,
    ) -> Session:
        """``quote_cost``: a close by this event is priced (``CostQuotes``) and the cost written with it."""
        now = self._clock()
        for _ in range(_WRITE_ATTEMPTS):
            existing = self._sessions.get(session_id)
            if existing is None:
                if token_status is None and event.id_token is not None:
                    token_status = self._authorization.authorize(station, event.id_token).status
                assert event.transaction_id is not None
                folded = new_session(station, event, event.transaction_id, now, token_status)
                if folded.ended:
                    # An end before its start: an orphan, never priced until the start arrives.
                    folded = self._closing(station, event, folded, quote_cost=False)
                if self._sessions.create(folded.session) is None:
                    self._announce(station, folded, now)
                    return folded.session
                continue  # another event of this transaction created it first: fold into that one
            if event.id_token is not None and existing.id_token is None and token_status is None:
                token_status = self._authorization.authorize(station, event.id_token).status
            folded = fold(existing, event, now, token_status)
            if not folded.changed:
                return existing
            if folded.ended:
                folded = self._closing(station, event, folded, quote_cost=quote_cost)
            if closed_by_platform is not None and folded.ended:
                folded = Folded(
                    folded.session.model_copy(update={"closed_by_platform": closed_by_platform}),
                    True,
                    folded.started,
                    folded.ended,
                )
            if self._sessions.replace(folded.session, existing.version):
                self._announce(station, folded, now)
                return folded.session
        raise ConflictError(f"session {session_id} kept changing while an event was applied")

    def _closing(
        self, station: StationContext, event: TransactionEvent, folded: Folded, *, quote_cost: bool
    ) -> Folded:
        """What the close of a session adds before it is written: the energy from stored meter values
        when the start carried no reading, and (``quote_cost``) the cost. The meter values are read
        once for both."""
        session = folded.session
        needs_energy = (
            session.energy_wh is None and session.meter_stop_wh is not None and session.meter_start_wh is None
        )
        quoting = quote_cost and self._cost_quotes is not None
        if not needs_energy and not quoting:
            return folded
        stored: list[MeterValuesRecord] | None = None
        if needs_energy:
            stored = self._meter_values.for_session(session.session_id)
            folded = self._with_energy_from_meter_values(folded, stored)
        if quoting:
            folded = self._with_cost(station, event, folded, stored)
        return folded

    def _with_cost(
        self,
        station: StationContext,
        event: TransactionEvent,
        folded: Folded,
        stored: list[MeterValuesRecord] | None,
    ) -> Folded:
        """The session priced as billing will price it, from the meter values stored for it plus this
        event's own (written just after the session). Never fails the event: any problem — no tariff,
        missing data, a storage error — leaves the session without a cost, logged."""
        assert self._cost_quotes is not None
        session = folded.session
        already_read = stored

        def meter_values() -> Sequence[MeterValuesRecord]:
            records = (
                already_read
                if already_read is not None
                else self._meter_values.for_session(session.session_id)
            )
            own = self._meter_values_record(
                station,
                event.model_copy(update={"evse_id": event.evse_id or session.evse_id}),
                session.session_id,
                self._clock(),
            )
            if own is None:
                return records
            # what the table holds once this event's values are written (a resent record overwrites itself)
            return [record for record in records if record.sample_key != own.sample_key] + [own]

        try:
            quote = self._cost_quotes.final_cost(session, meter_values)
        except Exception:
            logger.exception(
                "session closed without a cost: pricing failed", extra={"sessionId": session.session_id}
            )
            metrics.add_metric(name="CostQuoteFailed", unit="Count", value=1)
            return folded
        if quote is None:
            logger.info("session closed without a cost: no tariff", extra={"sessionId": session.session_id})
            return folded
        return Folded(
            session.model_copy(update={"cost": quote.total_incl_vat}),
            folded.changed,
            folded.started,
            folded.ended,
        )

    def _with_energy_from_meter_values(self, folded: Folded, stored: list[MeterValuesRecord]) -> Folded:
        """A transaction whose start carried no register reading (2.0.1 Started events often carry no
        meter value) takes its first reading from the meter values stored for it, once, when it ends."""
        session = folded.session
        if session.meter_stop_wh is None or session.meter_start_wh is not None:
            return folded
        start = earliest_reading(readings_owned_by(session, stored), ENERGY_REGISTER)
        if start is None:
            return folded
        energy = energy_between(start, session.meter_stop_wh)
        return Folded(
            session.model_copy(update={"meter_start_wh": start, "energy_wh": energy}),
            folded.changed,
            folded.started,
            folded.ended,
        )

    def record_meter_values(
        self, station: StationContext, event: TransactionEvent, session_id: str | None
    ) -> None:
        """One write per message, keyed by its first timestamp and message id, so a resent message
        overwrites itself. Every measurand, phase and location is kept as sent. Values for a transaction
        are kept under it even when it is unknown; they count for a session only within its lifetime
        (``Session.owns_sample_at``)."""
        if not event.meter_values:
            return
        now = self._clock()
        record = self._meter_values_record(station, event, session_id, now)
        assert record is not None
        self._meter_values.record(record)
        if event.kind is TransactionEventKind.UPDATED and self._settings.publish_meter_value_events:
            self._events.publish(
                [
                    MeterValuesReceived(
                        tenant_id=station.tenant_id,
                        station_id=station.station_id,
                        occurred_at=now,
                        session_id=session_id,
                        evse_id=record.evse_id,
                        energy_wh=latest_reading(event.meter_values, ENERGY_REGISTER),
                        power_w=latest_reading(event.meter_values, ACTIVE_POWER),
                    )
                ]
            )

    @staticmethod
    def _meter_values_record(
        station: StationContext, event: TransactionEvent, session_id: str | None, now: datetime
    ) -> MeterValuesRecord | None:
        if not event.meter_values:
            return None
        evse_id = event.evse_id or 0
        first = min(meter_value.timestamp for meter_value in event.meter_values)
        return MeterValuesRecord(
            session_id=meter_values_partition(
                station.station_id, station.registration_id, evse_id, session_id
            ),
            sample_key=f"{to_iso(first)}#{event.record_key or event.message_id}",
            tenant_id=station.tenant_id,
            station_id=station.station_id,
            evse_id=evse_id,
            transaction_id=event.transaction_id,
            source=event.action,
            meter_values=event.meter_values,
            received_at=now,
        )

    def _announce(self, station: StationContext, folded: Folded, now: datetime) -> None:
        announced: list[DomainEvent] = []
        if folded.started:
            metrics.add_metric(name="SessionsStarted", unit="Count", value=1)
            announced.append(
                SessionStarted(
                    tenant_id=station.tenant_id,
                    station_id=station.station_id,
                    occurred_at=now,
                    session=folded.session,
                )
            )
        if folded.ended:
            metrics.add_metric(name="SessionsStopped", unit="Count", value=1)
            announced.append(
                SessionStopped(
                    tenant_id=station.tenant_id,
                    station_id=station.station_id,
                    occurred_at=now,
                    session=folded.session,
                )
            )
        if announced:
            self._events.publish(announced)

    def close_by_platform(self, station: Station, reason: str) -> list[Session]:
        """Closes the station registration's active sessions when the station itself never will (it was
        deleted): ended at the newest meter reading each owns, stop reason ``reason``, announced once."""
        closed: list[Session] = []
        now = self._clock()
        context = StationContext(
            station_id=station.station_id,
            tenant_id=station.tenant_id,
            registration_id=station.registration_id,
            site_id=station.site_id,
            protocol=station.protocol or "",
            connection_id="",
        )
        for active in self._sessions.active_for_station(station.station_id, station.registration_id):
            owned = readings_owned_by(active, self._meter_values.for_session(active.session_id))
            event = TransactionEvent(
                kind=TransactionEventKind.ENDED,
                action=reason,
                message_id=f"platform-{reason}",
                timestamp=now,
                transaction_id=active.transaction_id,
                register_wh=latest_reading(owned, ENERGY_REGISTER),
                stopped_reason=reason,
            )
            session = self._fold(context, event, active.session_id, closed_by_platform=reason)
            closed.append(session)
        return closed
