"""What every route is given: the caller and the platform, resolved by powertools' ``Depends``.

Tests replace either with ``app.dependency_overrides[current_platform] = ...``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, cast

from aws_lambda_powertools.event_handler import Depends
from aws_lambda_powertools.event_handler.request import Request

from shared.api.auth import principal_from_claims
from shared.domain.tenancy import Principal, Scope

if TYPE_CHECKING:
    from shared.wiring import Platform
else:
    # powertools reads route signatures at run time; the class itself (and boto3 behind it) is only
    # imported when the first route needs the platform.
    Platform = object


def current_principal(request: Request) -> Principal:
    """The tenant and roles from the JWT claims API Gateway's authorizer already verified."""
    event = cast(Any, request.resolved_event)
    claims = event.request_context.authorizer.jwt_claim if event.request_context.authorizer else None
    return principal_from_claims(claims or {})


SCOPE_CONTEXT_KEY = "caller_scope"


def current_scope(request: Request) -> Scope:
    """The caller's scope under the route's permission, resolved by the route's permission check
    (shared/api/routing.py), which runs before the route's dependencies."""
    scope = request.context.get(SCOPE_CONTEXT_KEY)
    if not isinstance(scope, Scope):
        raise RuntimeError("CallerScope on a route that declares no permission")
    return scope


def current_platform() -> Platform:
    # Imported on first use: boto3 and the repositories are needed by data routes only, not by
    # CORS preflights or the OpenAPI document.
    from shared.wiring import get_platform

    return get_platform()


Caller = Annotated[Principal, Depends(current_principal)]
"""A route parameter: who is calling."""
CallerScope = Annotated[Scope, Depends(current_scope)]
"""A route parameter: what the caller may see under the route's permission (tenant, sites, account)."""
PlatformDependency = Annotated[Platform, Depends(current_platform)]
"""A route parameter: the platform's repositories and adapters."""
