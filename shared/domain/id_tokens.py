"""ID tokens (RFID cards, app tokens) and the pure rule that decides whether one may charge."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from shared.domain.base import DomainModel, UtcDatetime


class IdTokenStatus(StrEnum):
    """What an operator can set on a token."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"


class AuthorizationStatus(StrEnum):
    """What a station is told (OCPP 1.6 AuthorizationStatus)."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"


class IdToken(DomainModel):
    tenant_id: str
    id_token: str
    status: IdTokenStatus = IdTokenStatus.ACCEPTED
    expires_at: UtcDatetime | None = None
    parent_id_token: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None


class IdTokenRef(DomainModel):
    """A token as a station presents it: its value and, in OCPP 2.0.1, its type (ISO14443, eMAID, ...).
    OCPP 1.6 idTags carry no type."""

    value: str
    type: str | None = None


class IdTokenInfo(DomainModel):
    status: AuthorizationStatus
    expires_at: UtcDatetime | None = None
    parent_id_token: str | None = None


def is_presentable(value: str) -> bool:
    """A token a station could present: non-empty (an empty idTag is schema-valid but names no card)."""
    return bool(value.strip())


def evaluate_id_token(token: IdToken | None, now: datetime) -> IdTokenInfo:
    """Unknown tokens are Invalid; a token past its expiry is Expired whatever its stored status."""
    if token is None:
        return IdTokenInfo(status=AuthorizationStatus.INVALID)
    if token.status is IdTokenStatus.BLOCKED:
        status = AuthorizationStatus.BLOCKED
    elif token.status is IdTokenStatus.EXPIRED or (token.expires_at is not None and token.expires_at <= now):
        status = AuthorizationStatus.EXPIRED
    else:
        status = AuthorizationStatus.ACCEPTED
    return IdTokenInfo(status=status, expires_at=token.expires_at, parent_id_token=token.parent_id_token)
