"""Tenants and roles: every record belongs to one tenant, and every caller acts for one tenant."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.domain.errors import ForbiddenError


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"
    VIEWER = "viewer"
    PROPERTY_OWNER = "property_owner"
    """A site host: sees the revenue of its own sites (``Principal.site_ids``) and nothing else."""
    ENERGY_PROVIDER = "energy_provider"
    """Supplies sites (``Principal.site_ids``): reads their load and limits, posts grid signals."""
    FLEET_MANAGER = "fleet_manager"
    """Manages a fleet (``Principal.account_id``): its drivers, tokens, vehicles, sessions, invoices."""
    DRIVER = "driver"
    """A driver with its own billing account (``Principal.account_id``): itself only."""


ROLES_THAT_WRITE = frozenset({Role.ADMIN, Role.OPERATOR})
ROLES_THAT_READ = frozenset({Role.ADMIN, Role.OPERATOR, Role.VIEWER})


@dataclass(frozen=True)
class Principal:
    tenant_id: str
    subject: str
    roles: frozenset[Role]
    site_ids: frozenset[str] | None = None
    """The sites a site-scoped role (property owner) may see; None: the token carries no site scope."""
    account_id: str | None = None
    """The billing account an account-scoped role (fleet manager, driver) acts for."""

    def require_read(self) -> None:
        if not self.roles & ROLES_THAT_READ:
            raise ForbiddenError("this token has no role that may read (viewer, operator or admin)")

    def require_write(self) -> None:
        if not self.roles & ROLES_THAT_WRITE:
            raise ForbiddenError("this token has no role that may make changes (operator or admin)")
