"""Who may do what: every route declares one permission, and this table says which roles hold it.

A new role (property owner, energy provider, fleet manager, driver) is one more row in
``GRANTS``; a new kind of access is one more ``Permission`` that the routes needing it declare.
The route table (``route_permissions`` in shared/api/app.py) lists every route with its
permission, so what each role may call can be read in one place and tested.
"""

from __future__ import annotations

from enum import StrEnum

from shared.domain.errors import ForbiddenError
from shared.domain.tenancy import Principal, Role


class Permission(StrEnum):
    READ = "read"
    """Read the tenant's sites, stations, ID tokens, sessions and commands."""
    WRITE = "write"
    """Register and change sites, stations and ID tokens; send commands to stations."""
    REVENUE = "revenue"
    """Read revenue reports (per site and stakeholder); site-scoped roles see only their sites."""
    DRIVE = "drive"
    """Act as a driver on its own account (``Principal.account_id``): find stations, start, follow and
    stop its sessions, read its history and receipts, top up its wallet."""


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset({Permission.READ, Permission.WRITE, Permission.REVENUE}),
    Role.OPERATOR: frozenset({Permission.READ, Permission.WRITE, Permission.REVENUE}),
    Role.VIEWER: frozenset({Permission.READ, Permission.REVENUE}),
    Role.PROPERTY_OWNER: frozenset({Permission.REVENUE}),
    Role.ENERGY_PROVIDER: frozenset(),
    Role.FLEET_MANAGER: frozenset(),
    Role.DRIVER: frozenset({Permission.DRIVE}),
}

SITE_SCOPED_ROLES: frozenset[Role] = frozenset({Role.PROPERTY_OWNER})
"""Roles whose view of data is limited to the sites in the token (``Principal.site_ids``)."""

_REFUSALS: dict[Permission, str] = {
    Permission.READ: "this token has no role that may read (viewer, operator or admin)",
    Permission.WRITE: "this token has no role that may make changes (operator or admin)",
    Permission.REVENUE: "this token has no role that may read revenue (viewer, operator, admin or "
    "property_owner)",
    Permission.DRIVE: "this token has no driver role",
}


def roles_holding(permission: Permission) -> frozenset[Role]:
    return frozenset(role for role, permissions in GRANTS.items() if permission in permissions)


def check_permission(principal: Principal, permission: Permission) -> None:
    if not any(permission in GRANTS.get(role, frozenset()) for role in principal.roles):
        raise ForbiddenError(_REFUSALS[permission])


def site_scope(principal: Principal, permission: Permission) -> frozenset[str] | None:
    """The sites ``principal`` may see under ``permission``: None for all of them (a role holding it
    unscoped), else the token's sites (none when a site-scoped token names no site)."""
    unscoped = any(
        permission in GRANTS.get(role, frozenset()) for role in principal.roles - SITE_SCOPED_ROLES
    )
    if unscoped:
        return None
    return principal.site_ids or frozenset()
