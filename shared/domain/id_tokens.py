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
    """What a station is told. The first five are OCPP 1.6's AuthorizationStatus; the rest exist only in
    OCPP 2.0.1, whose mapper sends them as they are (1.6 sends them as Invalid)."""

    ACCEPTED = "Accepted"
    BLOCKED = "Blocked"
    EXPIRED = "Expired"
    INVALID = "Invalid"
    CONCURRENT_TX = "ConcurrentTx"
    NOT_AT_THIS_TIME = "NotAtThisTime"
    """The token may charge, but not now: every EVSE it could use is reserved for another token."""
    UNKNOWN = "Unknown"


ID_TOKEN_TYPES = frozenset(
    {"Central", "eMAID", "ISO14443", "ISO15693", "KeyCode", "Local", "MacAddress", "NoAuthorization"}
)
"""OCPP 2.0.1 IdTokenEnumType. A 1.6 idTag has no type."""

NO_AUTHORIZATION = "NoAuthorization"
"""A 2.0.1 station that cannot authorize (a start button, free vend) says so with this type and an empty
token: there is nothing to look up, and nothing to refuse."""


class IdToken(DomainModel):
    tenant_id: str
    id_token: str
    type: str | None = None
    """The OCPP 2.0.1 token type it is registered as (ISO14443, eMAID, ...). When set, a station that
    presents the same value with another type presents another token; unset matches any type."""
    status: IdTokenStatus = IdTokenStatus.ACCEPTED
    expires_at: UtcDatetime | None = None
    parent_id_token: str | None = None
    """The group it belongs to (1.6 parentIdTag, 2.0.1 groupIdToken): a reservation or a transaction of a
    token of the group may be used or stopped by any other of the group."""
    personal_message: str | None = None
    """Shown by 2.0.1 stations with a display (idTokenInfo.personalMessage)."""
    language: str | None = None
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
    """1.6 expiryDate; 2.0.1 cacheExpiryDateTime (how long the station may cache the answer)."""
    parent_id_token: str | None = None
    personal_message: str | None = None
    language: str | None = None


def is_presentable(value: str) -> bool:
    """A token a station could present: non-empty (an empty idTag is schema-valid but names no card)."""
    return bool(value.strip())


def type_matches(token: IdToken, presented_type: str | None) -> bool:
    """A token registered with a type is only that type; one registered without matches any."""
    return token.type is None or presented_type is None or token.type == presented_type


def evaluate_id_token(token: IdToken | None, now: datetime, presented_type: str | None = None) -> IdTokenInfo:
    """Unknown tokens are Invalid; a token past its expiry is Expired whatever its stored status; a value
    registered as another type is another (unknown) token."""
    if token is None or not type_matches(token, presented_type):
        return IdTokenInfo(status=AuthorizationStatus.INVALID)
    if token.status is IdTokenStatus.BLOCKED:
        status = AuthorizationStatus.BLOCKED
    elif token.status is IdTokenStatus.EXPIRED or (token.expires_at is not None and token.expires_at <= now):
        status = AuthorizationStatus.EXPIRED
    else:
        status = AuthorizationStatus.ACCEPTED
    return IdTokenInfo(
        status=status,
        expires_at=token.expires_at,
        parent_id_token=token.parent_id_token,
        personal_message=token.personal_message,
        language=token.language,
    )


def same_token(a: str | None, b: str | None) -> bool:
    """OCPP tokens compare case-insensitively (1.6 CiString, 2.0.1 identifierString)."""
    return a is not None and b is not None and a.upper() == b.upper()
