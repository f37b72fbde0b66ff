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
    """A site host (``Principal.site_ids``): its sites, their stations, sessions and occupancy, its
    revenue share; commands nothing and changes nothing."""
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
    """The sites a site-scoped role (property owner, energy provider) may see; None: the token carries
    no site scope."""
    account_id: str | None = None
    """The billing account an account-scoped role (fleet manager, driver) acts for."""

    def require_read(self) -> None:
        if not self.roles & ROLES_THAT_READ:
            raise ForbiddenError("this token has no role that may read (viewer, operator or admin)")

    def require_write(self) -> None:
        if not self.roles & ROLES_THAT_WRITE:
            raise ForbiddenError("this token has no role that may make changes (operator or admin)")


@dataclass(frozen=True)
class Scope:
    """What a caller may see (or change) under one permission, inside its tenant: all of it, or the
    sites in its token, or the billing account its token acts for (or, holding the permission through
    both kinds of role, either)."""

    tenant_id: str
    whole_tenant: bool
    site_ids: frozenset[str] = frozenset()
    account_id: str | None = None

    def covers_site(self, site_id: str | None) -> bool:
        return self.whole_tenant or (site_id is not None and site_id in self.site_ids)

    def covers_account(self, billing_account_id: str | None) -> bool:
        return self.whole_tenant or (billing_account_id is not None and billing_account_id == self.account_id)
