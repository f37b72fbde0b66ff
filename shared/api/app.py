"""The operator API resolver: every v1 route, with OpenAPI generated from the code."""

from __future__ import annotations

import uuid
from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, CORSConfig, Response, content_types
from aws_lambda_powertools.event_handler.openapi.models import HTTPBearer
from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.api import schemas
from shared.api.auth import principal_from_claims
from shared.api.errors import register_error_handlers
from shared.catalog import OPENAPI_PATH
from shared.domain.id_tokens import IdToken, IdTokenStatus
from shared.domain.sessions import SessionStatus
from shared.domain.sites import Site
from shared.domain.stations import station_key
from shared.domain.tenancy import Principal
from shared.management import commands, sessions, stations
from shared.settings import get_settings
from shared.wiring import Platform, get_platform

_origins = get_settings().cors_allowed_origins
# Browsers send CORS preflights without a token; the resolver answers them (204) before any route.
app = APIGatewayHttpResolver(
    enable_validation=True,
    cors=CORSConfig(
        allow_origin=_origins[0] if _origins else "*",
        extra_origins=_origins[1:],
        allow_headers=["Authorization", "Content-Type", "Idempotency-Key"],
        max_age=3600,
    ),
)
app.configure_openapi(
    title="Serverless CSMS operator API",
    version="1.0.0",
    description="Stations, sites, ID tokens, sessions and commands of one tenant. Bearer JWT; the tenant "
    "comes from the token's tenant_id claim, roles (admin, operator, viewer) from cognito:groups.",
    security_schemes={"bearer": HTTPBearer(bearerFormat="JWT")},
    security=[{"bearer": []}],
)
register_error_handlers(app)

Limit = Annotated[int, Query(ge=1, le=100, description="Page size")]
Cursor = Annotated[str | None, Query(description="nextCursor of the previous page")]


def platform() -> Platform:
    return get_platform()


def caller() -> Principal:
    return principal_from_claims(app.current_event.request_context.authorizer.jwt_claim or {})


def _json(status: HTTPStatus, body: Any) -> Response[Any]:
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body)


@app.get(OPENAPI_PATH, include_in_schema=False)
def openapi_document() -> Response[str]:
    return Response(
        status_code=200, content_type=content_types.APPLICATION_JSON, body=app.get_openapi_json_schema()
    )


# --- sites ---------------------------------------------------------------------------------------


@app.post("/v1/sites", tags=["sites"], responses={201: {"description": "Created"}})
def create_site(body: schemas.SiteCreate) -> Response[schemas.SiteView]:
    principal = caller()
    principal.require_write()
    site = Site(
        tenant_id=principal.tenant_id,
        site_id=body.site_id or f"site-{uuid.uuid4().hex[:12]}",
        name=body.name,
        address=body.address,
        timezone=body.timezone,
        max_current_amps=body.max_current_amps,
        created_at=platform().clock(),
    )
    platform().sites.create(site)
    return _json(HTTPStatus.CREATED, schemas.SiteView.model_validate(site.model_dump()))


@app.get("/v1/sites", tags=["sites"])
def list_sites(limit: Limit = 50, cursor: Cursor = None) -> dict[str, Any]:
    principal = caller()
    principal.require_read()
    items, next_cursor = platform().sites.list(principal.tenant_id, limit, cursor)
    return {
        "items": [schemas.SiteView.model_validate(site.model_dump()) for site in items],
        "nextCursor": next_cursor,
    }


@app.get("/v1/sites/<site_id>", tags=["sites"])
def get_site(site_id: str) -> schemas.SiteView:
    principal = caller()
    principal.require_read()
    return schemas.SiteView.model_validate(platform().sites.get(principal.tenant_id, site_id).model_dump())


@app.delete("/v1/sites/<site_id>", tags=["sites"])
def delete_site(site_id: str) -> Response[None]:
    principal = caller()
    principal.require_write()
    platform().sites.delete(principal.tenant_id, site_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)


# --- stations ------------------------------------------------------------------------------------


@app.post("/v1/stations", tags=["stations"], responses={201: {"description": "Registered"}})
def create_station(body: schemas.StationCreate) -> Response[schemas.StationView]:
    return _json(HTTPStatus.CREATED, stations.register_station(platform(), caller(), body))


@app.get("/v1/stations", tags=["stations"])
def list_stations(
    limit: Limit = 50, cursor: Cursor = None, site_id: Annotated[str | None, Query(alias="siteId")] = None
) -> schemas.StationList:
    principal = caller()
    principal.require_read()
    items, next_cursor = platform().stations.list_for_tenant(principal.tenant_id, limit, cursor, site_id)
    return schemas.StationList(
        items=[stations.station_view(platform(), item) for item in items], next_cursor=next_cursor
    )


@app.get("/v1/stations/<station_id>", tags=["stations"])
def get_station(station_id: str) -> schemas.StationView:
    principal = caller()
    principal.require_read()
    return stations.station_view(
        platform(), platform().stations.get_for_tenant(principal.tenant_id, station_id)
    )


@app.patch("/v1/stations/<station_id>", tags=["stations"])
def update_station(station_id: str, body: schemas.StationUpdate) -> schemas.StationView:
    return stations.update_station(platform(), caller(), station_id, body)


@app.delete("/v1/stations/<station_id>", tags=["stations"])
def delete_station(station_id: str) -> Response[None]:
    stations.delete_station(platform(), caller(), station_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)


StationMessageKind = Literal["DataTransfer", "FirmwareStatusNotification", "DiagnosticsStatusNotification"]


@app.get("/v1/stations/<station_id>/messages", tags=["stations"])
def list_station_messages(
    station_id: str, kind: Annotated[StationMessageKind, Query()] = "DataTransfer", limit: Limit = 50
) -> schemas.StationMessageList:
    """What the station sent that is kept for operators: DataTransfer payloads, firmware and diagnostics
    status notifications (newest first, kept for STATION_MESSAGE_RETENTION_DAYS)."""
    principal = caller()
    principal.require_read()
    station = platform().stations.get_for_tenant(principal.tenant_id, station_id)
    documents = platform().station_messages.list_for_station(
        station_key(station.station_id, station.registration_id), f"{kind}#", limit
    )
    return schemas.StationMessageList(
        items=[schemas.StationMessageView.model_validate(doc) for doc in documents]
    )


# --- ID tokens -----------------------------------------------------------------------------------


def _id_token_view(token: IdToken) -> schemas.IdTokenView:
    return schemas.IdTokenView.model_validate(token.model_dump())


@app.post("/v1/id-tokens", tags=["id-tokens"], responses={201: {"description": "Created"}})
def create_id_token(body: schemas.IdTokenCreate) -> Response[schemas.IdTokenView]:
    principal = caller()
    principal.require_write()
    token = IdToken(
        tenant_id=principal.tenant_id,
        id_token=body.id_token,
        status=body.status,
        expires_at=body.expires_at,
        parent_id_token=body.parent_id_token,
        created_at=platform().clock(),
    )
    platform().id_tokens.create(token)
    return _json(HTTPStatus.CREATED, _id_token_view(token))


@app.get("/v1/id-tokens", tags=["id-tokens"])
def list_id_tokens(limit: Limit = 50, cursor: Cursor = None) -> schemas.IdTokenList:
    principal = caller()
    principal.require_read()
    items, next_cursor = platform().id_tokens.list(principal.tenant_id, limit, cursor)
    return schemas.IdTokenList(items=[_id_token_view(item) for item in items], next_cursor=next_cursor)


@app.get("/v1/id-tokens/<id_token>", tags=["id-tokens"])
def get_id_token(id_token: str) -> schemas.IdTokenView:
    principal = caller()
    principal.require_read()
    return _id_token_view(platform().id_tokens.get(principal.tenant_id, id_token))


@app.patch("/v1/id-tokens/<id_token>", tags=["id-tokens"])
def update_id_token(id_token: str, body: schemas.IdTokenUpdate) -> schemas.IdTokenView:
    principal = caller()
    principal.require_write()
    given = body.model_dump(by_alias=True, mode="json", include=body.model_fields_set)
    return _id_token_view(
        platform().id_tokens.update(principal.tenant_id, id_token, given, platform().clock())
    )


def _set_token_status(id_token: str, status: IdTokenStatus) -> schemas.IdTokenView:
    principal = caller()
    principal.require_write()
    changed = platform().id_tokens.update(
        principal.tenant_id, id_token, {"status": status.value}, platform().clock()
    )
    return _id_token_view(changed)


@app.post("/v1/id-tokens/<id_token>/block", tags=["id-tokens"])
def block_id_token(id_token: str) -> schemas.IdTokenView:
    return _set_token_status(id_token, IdTokenStatus.BLOCKED)


@app.post("/v1/id-tokens/<id_token>/unblock", tags=["id-tokens"])
def unblock_id_token(id_token: str) -> schemas.IdTokenView:
    return _set_token_status(id_token, IdTokenStatus.ACCEPTED)


@app.delete("/v1/id-tokens/<id_token>", tags=["id-tokens"])
def delete_id_token(id_token: str) -> Response[None]:
    principal = caller()
    principal.require_write()
    platform().id_tokens.delete(principal.tenant_id, id_token)
    return Response(status_code=HTTPStatus.NO_CONTENT)


# --- sessions ------------------------------------------------------------------------------------


@app.get("/v1/sessions", tags=["sessions"])
def list_sessions(
    station_id: Annotated[str | None, Query(alias="stationId")] = None,
    status: Annotated[SessionStatus | None, Query()] = None,
    started_from: Annotated[datetime | None, Query(alias="from", description="Started at or after")] = None,
    started_to: Annotated[datetime | None, Query(alias="to", description="Started at or before")] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.SessionList:
    principal = caller()
    principal.require_read()
    items, next_cursor = platform().sessions.list_for_tenant(
        principal.tenant_id,
        station_id=station_id,
        status=status,
        started_from=started_from,
        started_to=started_to,
        limit=limit,
        cursor=cursor,
    )
    return schemas.SessionList(
        items=[sessions.session_view(platform(), item) for item in items], next_cursor=next_cursor
    )


@app.get("/v1/sessions/<session_id>", tags=["sessions"])
def get_session(session_id: str) -> schemas.SessionDetail:
    return sessions.session_detail(platform(), caller(), session_id)


# --- commands ------------------------------------------------------------------------------------


@app.post("/v1/stations/<station_id>/commands", tags=["commands"], responses={202: {"description": "Sent"}})
def send_command(station_id: str, body: schemas.CommandCreate) -> Response[schemas.CommandView]:
    return _json(
        HTTPStatus.ACCEPTED, commands.send(platform(), caller(), station_id, body.action, body.payload)
    )


@app.get("/v1/stations/<station_id>/commands", tags=["commands"])
def list_station_commands(station_id: str, limit: Limit = 50) -> schemas.CommandList:
    principal = caller()
    principal.require_read()
    platform().stations.get_for_tenant(principal.tenant_id, station_id)
    items = platform().commands.list_for_station(station_id, limit)
    return schemas.CommandList(
        items=[
            commands.command_view(platform(), item) for item in items if item.tenant_id == principal.tenant_id
        ]
    )


@app.get("/v1/commands/<command_id>", tags=["commands"])
def get_command(command_id: str) -> schemas.CommandView:
    principal = caller()
    principal.require_read()
    return commands.command_view(
        platform(), platform().commands.get_for_tenant(principal.tenant_id, command_id)
    )


@app.post(
    "/v1/stations/<station_id>/remote-start", tags=["commands"], responses={202: {"description": "Sent"}}
)
def remote_start(station_id: str, body: schemas.RemoteStart) -> Response[schemas.CommandView]:
    return _json(HTTPStatus.ACCEPTED, commands.remote_start(platform(), caller(), station_id, body))


@app.post(
    "/v1/stations/<station_id>/remote-stop", tags=["commands"], responses={202: {"description": "Sent"}}
)
def remote_stop(station_id: str, body: schemas.RemoteStop) -> Response[schemas.CommandView]:
    return _json(HTTPStatus.ACCEPTED, commands.remote_stop(platform(), caller(), station_id, body))


@app.post("/v1/stations/<station_id>/reset", tags=["commands"], responses={202: {"description": "Sent"}})
def reset(station_id: str, body: schemas.ResetRequest) -> Response[schemas.CommandView]:
    return _json(HTTPStatus.ACCEPTED, commands.reset(platform(), caller(), station_id, body.type))
