"""Operator bearer tokens: a local stand-in for the Cognito user pool behind the HTTP API's JWT authorizer.

Tokens are HS256-signed with a secret generated on first run. They carry the claims the operator
Lambda reads: ``tenant_id``, ``cognito:groups`` (any role of ``shared.domain.tenancy.Role``) and, for a
driver or fleet manager, ``account_id``.
"""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jwt

from shared.domain.tenancy import Role

ISSUER = "https://csms.local/idp"
AUDIENCE = "csms-operator-api"
ROLES = tuple(role.value for role in Role)
SECRET_FILE = "jwt-secret"
TOKEN_FILE = "operator-token"
DEMO_TENANT = "demo"
DEMO_TOKEN_TTL_SECONDS = 365 * 24 * 3600


class InvalidTokenError(Exception):
    pass


def load_or_create_secret(state_dir: Path) -> str:
    state_dir.mkdir(parents=True, exist_ok=True)
    secret_path = state_dir / SECRET_FILE
    if secret_path.exists():
        return secret_path.read_text().strip()
    secret = secrets.token_hex(32)
    secret_path.touch(mode=0o600)
    secret_path.write_text(secret + "\n")
    return secret


class TokenIssuer:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def issue(
        self,
        tenant_id: str,
        roles: Iterable[str],
        ttl_seconds: int = 3600,
        subject: str | None = None,
        extra_claims: Mapping[str, Any] | None = None,
    ) -> str:
        role_list = list(roles)
        unknown = sorted(set(role_list) - set(ROLES))
        if unknown:
            raise ValueError(f"unknown roles {unknown}; known: {', '.join(ROLES)}")
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": ISSUER,
            "aud": AUDIENCE,
            "sub": subject or f"{tenant_id}-{'-'.join(role_list) or 'user'}",
            "tenant_id": tenant_id,
            "cognito:groups": role_list,
            "token_use": "access",
            "scope": "csms/api",
            "jti": str(uuid.uuid4()),
            "iat": now,
            "exp": now + ttl_seconds,
        }
        claims.update(extra_claims or {})
        return jwt.encode(claims, self._secret, algorithm="HS256")

    def verify(self, token: str) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                audience=AUDIENCE,
                issuer=ISSUER,
                options={"require": ["exp", "iat", "iss"]},
            )
        except jwt.PyJWTError as error:
            raise InvalidTokenError(str(error)) from error
        return claims


def write_demo_token(state_dir: Path, issuer: TokenIssuer) -> str:
    token = issuer.issue(DEMO_TENANT, ["admin"], ttl_seconds=DEMO_TOKEN_TTL_SECONDS, subject="demo-admin")
    token_path = state_dir / TOKEN_FILE
    token_path.touch(mode=0o600)
    token_path.write_text(token + "\n")
    return token
