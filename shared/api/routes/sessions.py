"""/v1/sessions"""

from __future__ import annotations

from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.api import billing_views, schemas, views
from shared.api.access import Permission
from shared.api.dependencies import Caller, CallerScope, PlatformDependency
from shared.api.routes.params import Cursor, Limit, SessionIdPath, StationIdQuery
from shared.api.routing import operation
from shared.api.schemas import ApiDatetime
from shared.domain.sessions import SessionStatus
from shared.management import billing_records, sessions

router = Router()
TAGS = ["sessions"]


@operation(router, "GET", "/v1/sessions", Permission.SESSIONS, tags=TAGS)
def list_sessions(
    scope: CallerScope,
    platform: PlatformDependency,
    station_id: StationIdQuery = None,
    status: Annotated[SessionStatus | None, Query()] = None,
    started_from: Annotated[
        ApiDatetime | None, Query(alias="from", description="Started at or after")
    ] = None,
    started_to: Annotated[ApiDatetime | None, Query(alias="to", description="Started at or before")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.SessionList:
    """Newest first. A property owner's token sees the sessions at its sites, a fleet manager's or
    driver's those charged with its account's ID tokens."""
    items, next_cursor = sessions.list_sessions(
        platform,
        scope,
        station_id=station_id,
        status=status,
        started_from=started_from,
        started_to=started_to,
        limit=limit,
        cursor=cursor,
    )
    return schemas.SessionList(items=[views.session_view(item) for item in items], next_cursor=next_cursor)


@operation(router, "GET", "/v1/sessions/<session_id>", Permission.SESSIONS, tags=TAGS)
def get_session(
    session_id: SessionIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.SessionDetail:
    found = sessions.session_with_meter_values(platform, caller, session_id)
    cost = billing_views.session_cost(billing_records.session_cost(platform, caller, session_id))
    return views.session_detail(found.session, found.meter_values, cost)
