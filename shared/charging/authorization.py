"""Authorization: may this ID token charge here?"""

from __future__ import annotations

from shared.domain.id_tokens import IdTokenInfo, evaluate_id_token
from shared.domain.stations import StationContext
from shared.wiring import Platform


def authorize_id_token(platform: Platform, station: StationContext, id_token: str) -> IdTokenInfo:
    """Tokens belong to the station's tenant: another tenant's token is unknown here."""
    token = platform.id_tokens.find(station.tenant_id, id_token)
    return evaluate_id_token(token, platform.clock())
