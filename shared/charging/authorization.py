"""Authorization: may this ID token charge here, and now?"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from shared.charging.reservations import Reservations
from shared.domain.id_tokens import (
    NO_AUTHORIZATION,
    AuthorizationStatus,
    IdTokenInfo,
    IdTokenRef,
    evaluate_id_token,
    is_presentable,
)
from shared.domain.reservations import Reservation
from shared.domain.stations import StationContext
from shared.ports import Clock, IdTokenLookup, SessionStore


class ConcurrentScope(Enum):
    """Which active sessions of the token make it ConcurrentTx."""

    ANY = "any"
    """A start (1.6 StartTransaction, 2.0.1 TransactionEvent Started): any other session of the token."""
    OTHER_STATIONS = "other_stations"
    """2.0.1 Authorize: a session at another station. At its own station a token is authorized again to
    stop its transaction, which must not be refused."""


@dataclass(frozen=True)
class ChargeAuthorization:
    info: IdTokenInfo
    reservation: Reservation | None = None
    """The token's own reservation this start may use."""


class Authorization:
    def __init__(
        self,
        id_tokens: IdTokenLookup,
        clock: Clock,
        sessions: SessionStore | None = None,
        reservations: Reservations | None = None,
    ) -> None:
        self._id_tokens = id_tokens
        self._clock = clock
        self._sessions = sessions
        self._reservations = reservations

    def authorize(self, station: StationContext, token: IdTokenRef) -> IdTokenInfo:
        """Tokens belong to the station's tenant: another tenant's token is unknown here. An empty token
        (schema-valid in 1.6) names no card: Invalid, without a lookup. A 2.0.1 NoAuthorization token
        names none on purpose (the station has nothing to authorize with): Accepted."""
        if token.type == NO_AUTHORIZATION:
            return IdTokenInfo(status=AuthorizationStatus.ACCEPTED)
        if not is_presentable(token.value):
            return IdTokenInfo(status=AuthorizationStatus.INVALID)
        return evaluate_id_token(
            self._id_tokens.find(station.tenant_id, token.value), self._clock(), presented_type=token.type
        )

    def authorize_to_charge(
        self,
        station: StationContext,
        token: IdTokenRef,
        evse_id: int | None,
        scope: ConcurrentScope,
        *,
        own_start_key: str | None = None,
        own_session_id: str | None = None,
    ) -> ChargeAuthorization:
        """The token's status, then — for an accepted token — whether it already charges elsewhere
        (ConcurrentTx) and whether a reservation of another token holds the EVSE (NotAtThisTime).
        ``own_start_key`` / ``own_session_id`` name the transaction being started, which never counts
        against itself (a resent start, or an event of a transaction already recorded)."""
        info = self.authorize(station, token)
        if info.status is not AuthorizationStatus.ACCEPTED or token.type == NO_AUTHORIZATION:
            return ChargeAuthorization(info)
        if self._sessions is not None:
            for active in self._sessions.active_for_token(station.tenant_id, token.value):
                if own_start_key is not None and active.start_key == own_start_key:
                    continue
                if own_session_id is not None and active.session_id == own_session_id:
                    continue
                if scope is ConcurrentScope.OTHER_STATIONS and active.station_id == station.station_id:
                    continue
                return ChargeAuthorization(
                    info.model_copy(update={"status": AuthorizationStatus.CONCURRENT_TX})
                )
        if self._reservations is not None:
            check = self._reservations.check(station, token.value, info.parent_id_token, evse_id)
            if not check.allowed:
                return ChargeAuthorization(
                    info.model_copy(update={"status": AuthorizationStatus.NOT_AT_THIS_TIME})
                )
            return ChargeAuthorization(info, check.used)
        return ChargeAuthorization(info)
