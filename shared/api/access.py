"""Who may do what: every route declares one permission, and two tables say which roles hold it and
how far each role reaches.

``GRANTS`` is the role → permissions table; ``REACH`` says what part of the tenant a role's grants
cover: all of it (admin, operator, viewer), the sites in its token (property owner, energy provider:
claim ``site_ids``) or the billing account its token acts for (fleet manager, driver: claim
``account_id``). A route's permission check (shared/api/routing.py) resolves the caller's ``Scope``
under the route's permission; the route hands it to the management layer, whose helpers
(shared/management/scoping.py) answer 404 for a record outside it and filter lists to it.

A new role is one more row in both tables; a new kind of access is one more ``Permission`` that the
routes needing it declare. Every operation in the OpenAPI document carries its ``x-permission`` and
the roles holding it (``x-roles``, with their reach), so what each role may call is read in one place
and tested (tests/robustness/test_role_isolation.py).
"""

from __future__ import annotations

from enum import StrEnum

from shared.domain.errors import ForbiddenError
from shared.domain.tenancy import Principal, Role, Scope


class Permission(StrEnum):
    READ = "read"
    """Read the tenant's operations data: tariffs, commands, firmware, alerts, device models, CDRs."""
    WRITE = "write"
    """Register and change sites, stations and ID tokens; send commands to stations."""
    REVENUE = "revenue"
    """Read revenue reports and sites' revenue split (per site and stakeholder)."""
    SITES = "sites"
    """Read sites (list and detail, with their load management settings)."""
    STATIONS = "stations"
    """Read stations and their occupancy (connector status)."""
    SESSIONS = "sessions"
    """Read charging sessions: by site for a site-scoped role, by the account's ID tokens for an
    account-scoped one."""
    ENERGY = "energy"
    """Read sites' load: measurements, allocation runs and the limits they set, grid signals."""
    GRID_SIGNALS = "grid_signals"
    """Post grid signals (import limits, prices) to a site."""
    ACCOUNTS = "accounts"
    """Read billing accounts and what they own: ID tokens, wallets, invoices, subscriptions."""
    VEHICLES = "vehicles"
    """Register, change and remove the vehicles of a billing account (a fleet's cars)."""
    DRIVE = "drive"
    """Act as a driver on its own account (``Principal.account_id``): find stations, start, follow and
    stop its sessions, read its history and receipts, top up its wallet."""


class Reach(StrEnum):
    TENANT = "tenant"
    SITES = "sites"
    """The sites in the token (``Principal.site_ids``)."""
    ACCOUNT = "account"
    """The billing account the token acts for (``Principal.account_id``)."""


_READER = frozenset(
    {
        Permission.READ,
        Permission.REVENUE,
        Permission.SITES,
        Permission.STATIONS,
        Permission.SESSIONS,
        Permission.ENERGY,
        Permission.ACCOUNTS,
    }
)

GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: _READER | {Permission.WRITE, Permission.GRID_SIGNALS, Permission.VEHICLES},
    Role.OPERATOR: _READER | {Permission.WRITE, Permission.GRID_SIGNALS, Permission.VEHICLES},
    Role.VIEWER: _READER,
    Role.PROPERTY_OWNER: frozenset(
        {Permission.SITES, Permission.STATIONS, Permission.SESSIONS, Permission.REVENUE}
    ),
    Role.ENERGY_PROVIDER: frozenset({Permission.SITES, Permission.ENERGY, Permission.GRID_SIGNALS}),
    Role.FLEET_MANAGER: frozenset({Permission.SESSIONS, Permission.ACCOUNTS, Permission.VEHICLES}),
    Role.DRIVER: frozenset({Permission.SESSIONS, Permission.ACCOUNTS, Permission.DRIVE}),
}

REACH: dict[Role, Reach] = {
    Role.ADMIN: Reach.TENANT,
    Role.OPERATOR: Reach.TENANT,
    Role.VIEWER: Reach.TENANT,
    Role.PROPERTY_OWNER: Reach.SITES,
    Role.ENERGY_PROVIDER: Reach.SITES,
    Role.FLEET_MANAGER: Reach.ACCOUNT,
    Role.DRIVER: Reach.ACCOUNT,
}

SELF_SCOPED: frozenset[Permission] = frozenset({Permission.DRIVE})
"""Permissions whose routes check every record against the caller's account themselves (the driver
app, shared/management/driver.py: another account's session or start is a 404, a station is any of
the tenant's public network). Their path parameters skip ``InScope.require_path``, whose site and
account rules would hide the tenant's stations from a driver."""

SITE_SCOPED_ROLES: frozenset[Role] = frozenset(role for role, reach in REACH.items() if reach is Reach.SITES)
"""Roles whose view of data is limited to the sites in the token (``Principal.site_ids``)."""
ACCOUNT_SCOPED_ROLES: frozenset[Role] = frozenset(
    role for role, reach in REACH.items() if reach is Reach.ACCOUNT
)
"""Roles whose view of data is limited to the billing account in the token (``Principal.account_id``)."""

_REFUSALS: dict[Permission, str] = {
    Permission.READ: "this token has no role that may read (viewer, operator or admin)",
    Permission.WRITE: "this token has no role that may make changes (operator or admin)",
    Permission.REVENUE: "this token has no role that may read revenue (viewer, operator, admin or "
    "property_owner)",
    Permission.DRIVE: "this token has no driver role",
}


def roles_holding(permission: Permission) -> frozenset[Role]:
    return frozenset(role for role, permissions in GRANTS.items() if permission in permissions)


def _refusal(permission: Permission) -> str:
    known = _REFUSALS.get(permission)
    if known is not None:
        return known
    holders = sorted(roles_holding(permission))
    return f"this token has no role that may use '{permission}' ({', '.join(holders)})"


def check_permission(principal: Principal, permission: Permission) -> None:
    scope_of(principal, permission)


def scope_of(principal: Principal, permission: Permission) -> Scope:
    """What ``principal`` may see or change under ``permission``: 403 without a role holding it."""
    reaches = {REACH[role] for role in principal.roles if permission in GRANTS.get(role, frozenset())}
    if not reaches:
        raise ForbiddenError(_refusal(permission))
    return Scope(
        tenant_id=principal.tenant_id,
        whole_tenant=Reach.TENANT in reaches,
        site_ids=(principal.site_ids or frozenset()) if Reach.SITES in reaches else frozenset(),
        account_id=principal.account_id if Reach.ACCOUNT in reaches else None,
    )


def reach_by_role(permission: Permission) -> dict[str, str]:
    """The roles holding ``permission`` and how far each reaches (the operation's ``x-roles``)."""
    return {role.value: REACH[role].value for role in sorted(roles_holding(permission))}
