"""One declaration per route: its permission, its success status and the errors it documents.

``operation(router, "POST", "/v1/stations", Permission.WRITE, status=HTTPStatus.CREATED)``
registers the route on its resource's powertools Router with

- the permission check as the route's first middleware (the only place a role is checked): it
  resolves the caller's ``Scope`` under the permission (which the route takes as ``CallerScope``)
  and, for a caller limited to sites or an account, refuses a path naming a record outside it (404;
  a ``SELF_SCOPED`` permission's routes check their records themselves),
- ``Idempotency-Key`` handling on every POST,
- OpenAPI responses (finished in shared/api/openapi.py) that say what the route answers: its
  success, and every error status with the ``ErrorBody`` schema (400 for invalid input, 401/403 for
  authorized routes, 404 for routes on a resource, 415 for a body that is not JSON, 409/422 for an
  Idempotency-Key in use or reused, plus the route's own).

``ROUTE_PERMISSIONS`` keeps (method, path) → permission for every declared route.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.request import Request
from pydantic import BaseModel

from shared.api.access import SELF_SCOPED, Permission, reach_by_role, scope_of
from shared.api.dependencies import SCOPE_CONTEXT_KEY, Caller, PlatformDependency
from shared.api.idempotency import idempotent_post
from shared.api.schemas import ErrorBody
from shared.management.scoping import InScope

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver
    from aws_lambda_powertools.event_handler.middlewares import NextMiddleware
else:
    APIGatewayHttpResolver = NextMiddleware = object

HandlerT = TypeVar("HandlerT", bound=Callable[..., Any])
Method = Literal["GET", "POST", "PATCH", "DELETE"]

ROUTE_PERMISSIONS: dict[tuple[str, str], Permission | None] = {}

_ERROR_DESCRIPTIONS: dict[HTTPStatus, str] = {
    HTTPStatus.BAD_REQUEST: "Invalid request: the message names the field, errors lists each problem",
    HTTPStatus.UNAUTHORIZED: "No valid bearer token (answered by API Gateway's JWT authorizer)",
    HTTPStatus.PAYMENT_REQUIRED: "The payment provider declined or failed the payment",
    HTTPStatus.FORBIDDEN: "The token has no tenant, or no role that may do this",
    HTTPStatus.NOT_FOUND: "Not found in the caller's tenant",
    HTTPStatus.CONFLICT: "Conflicts with what is stored, or an Idempotency-Key still in use",
    HTTPStatus.REQUEST_ENTITY_TOO_LARGE: "The OCPP frame would exceed API Gateway's 128 KB WebSocket limit",
    HTTPStatus.UNSUPPORTED_MEDIA_TYPE: "The body is not application/json",
    HTTPStatus.UNPROCESSABLE_ENTITY: "The Idempotency-Key was used for a different request",
}


def _permission_check(permission: Permission) -> Callable[..., Response[Any]]:
    def check_permission_first(
        app: APIGatewayHttpResolver,
        next_middleware: NextMiddleware,
        caller: Caller,
        platform: PlatformDependency,
        request: Request,
    ) -> Response[Any]:
        scope = scope_of(caller, permission)
        if not scope.whole_tenant and permission not in SELF_SCOPED:
            # After validation the route's arguments hold its query parameters too: only the path's.
            arguments = request.path_parameters
            named = {name: str(arguments[name]) for name in path_parameter_names(request.route)}
            InScope(platform, scope).require_path(named)
        app.append_context(**{SCOPE_CONTEXT_KEY: scope})
        return next_middleware(app)

    return check_permission_first


def path_parameter_names(route: str) -> list[str]:
    """``/v1/sites/{site_id}/load`` (powertools' ``Request.route``) or ``/v1/sites/<site_id>/load``."""
    return re.findall(r"[<{](\w+)[>}]", route)


def error_statuses(
    method: Method, path: str, permission: Permission | None, extra: Iterable[HTTPStatus]
) -> set[HTTPStatus]:
    statuses = {HTTPStatus.BAD_REQUEST, *extra}
    if permission is not None:
        statuses |= {HTTPStatus.UNAUTHORIZED, HTTPStatus.FORBIDDEN}
    if "<" in path:
        statuses.add(HTTPStatus.NOT_FOUND)
    if method in ("POST", "PATCH"):
        statuses.add(HTTPStatus.UNSUPPORTED_MEDIA_TYPE)
    if method == "POST" and permission is not None:
        statuses |= {HTTPStatus.CONFLICT, HTTPStatus.UNPROCESSABLE_ENTITY}
    return statuses


def operation(
    router: Router,
    method: Method,
    path: str,
    permission: Permission | None,
    *,
    status: HTTPStatus = HTTPStatus.OK,
    errors: Iterable[HTTPStatus] = (),
    summary: str | None = None,
    tags: list[str] | None = None,
    body_model: type[BaseModel] | None = None,
    media_type: str | None = None,
) -> Callable[[HandlerT], HandlerT]:
    """``body_model`` documents the success body when the handler's return annotation cannot (a body
    whose fields depend on the request); ``media_type`` a success body that is text, not JSON (an
    HTML or CSV rendering). A public POST (no permission: a provider's webhook, signed instead) takes
    no Idempotency-Key: it has no tenant to keep the answer for."""
    ROUTE_PERMISSIONS[(method, path)] = permission
    middlewares: list[Callable[..., Any]] = []
    if permission is not None:
        middlewares.append(_permission_check(permission))
    if method == "POST" and permission is not None:
        middlewares.append(idempotent_post)
    success: dict[str, Any] = {"description": status.phrase}
    if status is HTTPStatus.NO_CONTENT:
        success["content"] = {}
    elif media_type is not None:
        success["content"] = {media_type: {"schema": {"type": "string"}}}
    elif body_model is not None:
        success["content"] = {"application/json": {"model": body_model}}
    responses: dict[int, Any] = {int(status): success}
    for error in sorted(error_statuses(method, path, permission, errors)):
        responses[int(error)] = {
            "description": _ERROR_DESCRIPTIONS[error],
            "content": {"application/json": {"model": ErrorBody}},
        }
    return router.route(
        path,
        method,
        summary=summary,
        tags=tags,
        responses=responses,
        status_code=int(status),
        middlewares=middlewares,
        openapi_extensions=(
            {"x-permission": permission.value, "x-roles": reach_by_role(permission)} if permission else None
        ),
    )
