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


GRANTS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset({Permission.READ, Permission.WRITE}),
    Role.OPERATOR: frozenset({Permission.READ, Permission.WRITE}),
    Role.VIEWER: frozenset({Permission.READ}),
}

_REFUSALS: dict[Permission, str] = {
    Permission.READ: "this token has no role that may read (viewer, operator or admin)",
    Permission.WRITE: "this token has no role that may make changes (operator or admin)",
}


def roles_holding(permission: Permission) -> frozenset[Role]:
    return frozenset(role for role, permissions in GRANTS.items() if permission in permissions)


def check_permission(principal: Principal, permission: Permission) -> None:
    if not any(permission in GRANTS.get(role, frozenset()) for role in principal.roles):
        raise ForbiddenError(_REFUSALS[permission])
