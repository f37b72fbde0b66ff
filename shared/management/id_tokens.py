"""ID tokens (RFID cards, app tokens) an operator registers, blocks and changes."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from shared.domain.changes import IdTokenChange
from shared.domain.id_tokens import IdToken, IdTokenStatus
from shared.domain.tenancy import Principal, Scope
from shared.management.scoping import InScope

if TYPE_CHECKING:
    from shared.wiring import Platform


def create_id_token(
    platform: Platform,
    principal: Principal,
    *,
    id_token: str,
    status: IdTokenStatus,
    expires_at: datetime | None,
    parent_id_token: str | None,
    type: str | None = None,
    personal_message: str | None = None,
    language: str | None = None,
) -> IdToken:
    token = IdToken(
        tenant_id=principal.tenant_id,
        id_token=id_token,
        status=status,
        expires_at=expires_at,
        parent_id_token=parent_id_token,
        type=type,
        personal_message=personal_message,
        language=language,
        created_at=platform.clock(),
    )
    platform.id_tokens.create(token)
    return token


def change_id_token(
    platform: Platform, principal: Principal, id_token: str, change: IdTokenChange
) -> IdToken:
    return platform.id_tokens.update(principal.tenant_id, id_token, change, platform.clock())


def set_status(platform: Platform, principal: Principal, id_token: str, status: IdTokenStatus) -> IdToken:
    return change_id_token(platform, principal, id_token, IdTokenChange(status=status))


def list_id_tokens(
    platform: Platform, scope: Scope, limit: int, cursor: str | None
) -> tuple[list[IdToken], str | None]:
    """The tenant's ID tokens, or those the scope's billing account pays for (read one by one, in
    order; the cursor is then the last token of the page)."""
    if scope.whole_tenant:
        return platform.id_tokens.list(scope.tenant_id, limit, cursor)
    tokens = sorted(InScope(platform, scope).account_id_tokens)
    remaining = [token for token in tokens if cursor is None or token > cursor]
    found = [
        record for token in remaining[:limit] if (record := platform.id_tokens.find(scope.tenant_id, token))
    ]
    return found, remaining[limit - 1] if len(remaining) > limit else None
