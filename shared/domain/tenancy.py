"""Tenants and roles: every record belongs to one tenant, and every caller acts for one tenant."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.domain.errors import ForbiddenError


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"


ROLES_THAT_WRITE = frozenset({Role.ADMIN, Role.OPERATOR})
ROLES_THAT_READ = frozenset({Role.ADMIN, Role.OPERATOR, Role.VIEWER})


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    subject: str
    roles: frozenset[Role]

    def require_read(self) -> None:
        if not self.roles & ROLES_THAT_READ:
            raise ForbiddenError("this token has no role that may read (viewer, operator or admin)")

    def require_write(self) -> None:
        if not self.roles & ROLES_THAT_WRITE:
            raise ForbiddenError("this token has no role that may make changes (operator or admin)")
