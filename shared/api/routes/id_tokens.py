"""/v1/id-tokens"""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.api import schemas, views
from shared.api.access import Permission
from shared.api.dependencies import Caller, CallerScope, PlatformDependency
from shared.api.routes.params import Cursor, IdTokenPath, Limit
from shared.api.routing import operation
from shared.domain.changes import IdTokenChange
from shared.domain.id_tokens import IdTokenStatus
from shared.management import id_tokens

router = Router()
TAGS = ["id-tokens"]


@operation(router, "POST", "/v1/id-tokens", Permission.WRITE, status=HTTPStatus.CREATED, tags=TAGS)
def create_id_token(
    body: schemas.IdTokenCreate, caller: Caller, platform: PlatformDependency
) -> schemas.IdTokenView:
    token = id_tokens.create_id_token(
        platform,
        caller,
        id_token=body.id_token,
        status=body.status,
        expires_at=body.expires_at,
        parent_id_token=body.parent_id_token,
        type=body.type,
        personal_message=body.personal_message,
        language=body.language,
    )
    return views.id_token_view(token)


@operation(router, "GET", "/v1/id-tokens", Permission.ACCOUNTS, tags=TAGS)
def list_id_tokens(
    scope: CallerScope, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.IdTokenList:
    """A fleet manager's or driver's token lists the ID tokens its account pays for (its drivers)."""
    items, next_cursor = id_tokens.list_id_tokens(platform, scope, limit, cursor)
    return schemas.IdTokenList(items=[views.id_token_view(item) for item in items], next_cursor=next_cursor)


@operation(router, "GET", "/v1/id-tokens/<id_token>", Permission.ACCOUNTS, tags=TAGS)
def get_id_token(id_token: IdTokenPath, caller: Caller, platform: PlatformDependency) -> schemas.IdTokenView:
    return views.id_token_view(platform.id_tokens.get(caller.tenant_id, id_token))


@operation(router, "PATCH", "/v1/id-tokens/<id_token>", Permission.WRITE, tags=TAGS)
def update_id_token(
    id_token: IdTokenPath, body: schemas.IdTokenUpdate, caller: Caller, platform: PlatformDependency
) -> schemas.IdTokenView:
    change = IdTokenChange.model_validate(body.model_dump(include=body.model_fields_set))
    return views.id_token_view(id_tokens.change_id_token(platform, caller, id_token, change))


@operation(router, "POST", "/v1/id-tokens/<id_token>/block", Permission.WRITE, tags=TAGS)
def block_id_token(
    id_token: IdTokenPath, caller: Caller, platform: PlatformDependency
) -> schemas.IdTokenView:
    return views.id_token_view(id_tokens.set_status(platform, caller, id_token, IdTokenStatus.BLOCKED))


@operation(router, "POST", "/v1/id-tokens/<id_token>/unblock", Permission.WRITE, tags=TAGS)
def unblock_id_token(
    id_token: IdTokenPath, caller: Caller, platform: PlatformDependency
) -> schemas.IdTokenView:
    return views.id_token_view(id_tokens.set_status(platform, caller, id_token, IdTokenStatus.ACCEPTED))


@operation(
    router, "DELETE", "/v1/id-tokens/<id_token>", Permission.WRITE, status=HTTPStatus.NO_CONTENT, tags=TAGS
)
def delete_id_token(id_token: IdTokenPath, caller: Caller, platform: PlatformDependency) -> Response[None]:
    platform.id_tokens.delete(caller.tenant_id, id_token)
    return Response(status_code=HTTPStatus.NO_CONTENT)
