"""Authorization: may this ID token charge here?"""

from __future__ import annotations

from shared.domain.id_tokens import (
    AuthorizationStatus,
    IdTokenInfo,
    IdTokenRef,
    evaluate_id_token,
    is_presentable,
)
from shared.domain.stations import StationContext
from shared.ports import Clock, IdTokenLookup


class Authorization:
    def __init__(self, id_tokens: IdTokenLookup, clock: Clock) -> None:
        self._id_tokens = id_tokens
        self._clock = clock

    def authorize(self, station: StationContext, token: IdTokenRef) -> IdTokenInfo:
        """Tokens belong to the station's tenant: another tenant's token is unknown here. An empty token
        (schema-valid in 1.6) names no card: Invalid, without a lookup."""
        if not is_presentable(token.value):
            return IdTokenInfo(status=AuthorizationStatus.INVALID)
        return evaluate_id_token(self._id_tokens.find(station.tenant_id, token.value), self._clock())
