"""Who is calling: the tenant and roles from the JWT claims API Gateway already verified.

API Gateway HTTP APIs hand claims to the Lambda as strings; a list claim such as ``cognito:groups``
arrives rendered as ``"[admin operator]"``. Both that form and a real list are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from shared.catalog import ACCOUNT_SCOPE_CLAIMS, ROLE_CLAIMS, SITE_SCOPE_CLAIMS, TENANT_CLAIMS
from shared.domain.errors import ForbiddenError
from shared.domain.tenancy import Principal, Role


def _claim_list(value: Any) -> list[str]:
    if isinstance(value, list):
        return [str(item) for item in value]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("[") and text.endswith("]"):
            text = text[1:-1]
        return [item for item in text.replace(",", " ").split() if item]
    return []


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    tenant = next((str(claims[name]) for name in TENANT_CLAIMS if claims.get(name)), None)
    if not tenant:
        raise ForbiddenError("the token carries no tenant (claim tenant_id)")
    roles: set[Role] = set()
    for name in ROLE_CLAIMS:
        for value in _claim_list(claims.get(name)):
            if value in Role._value2member_map_:
                roles.add(Role(value))
    scope = next((_claim_list(claims[name]) for name in SITE_SCOPE_CLAIMS if name in claims), None)
    account = next((str(claims[name]) for name in ACCOUNT_SCOPE_CLAIMS if claims.get(name)), None)
    return Principal(
        tenant_id=tenant,
        subject=str(claims.get("sub", "")),
        roles=frozenset(roles),
        site_ids=frozenset(scope) if scope is not None else None,
        account_id=account,
    )
