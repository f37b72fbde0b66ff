"""Commands to stations: any CSMS-initiated OCPP call, the remote start/stop/reset shortcuts, and
their outcome."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.api import schemas, views
from shared.api.access import Permission
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import CommandIdPath, Limit, StationIdPath
from shared.api.routing import operation
from shared.management import commands

router = Router()
TAGS = ["commands"]
SENT = HTTPStatus.ACCEPTED


@operation(
    router,
    "POST",
    "/v1/stations/<station_id>/commands",
    Permission.WRITE,
    status=SENT,
    errors=(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,),
    tags=TAGS,
)
def send_command(
    station_id: StationIdPath, body: schemas.CommandCreate, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    """Sends the call now when the station is connected (status pending until it answers), else the
    command is recorded as offline. A call whose OCPP frame would exceed 128 KB is refused (413)."""
    command = commands.send(platform, caller, station_id, body.action, body.payload)
    return views.command_view(command, platform.clock())


@operation(router, "GET", "/v1/stations/<station_id>/commands", Permission.READ, tags=TAGS)
def list_station_commands(
    station_id: StationIdPath, caller: Caller, platform: PlatformDependency, limit: Limit = 50
) -> schemas.CommandList:
    now = platform.clock()
    return schemas.CommandList(
        items=[
            views.command_view(item, now)
            for item in commands.list_for_station(platform, caller, station_id, limit)
        ]
    )


@operation(router, "GET", "/v1/commands/<command_id>", Permission.READ, tags=TAGS)
def get_command(
    command_id: CommandIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    return views.command_view(
        platform.commands.get_for_tenant(caller.tenant_id, command_id), platform.clock()
    )


@operation(router, "POST", "/v1/stations/<station_id>/remote-start", Permission.WRITE, status=SENT, tags=TAGS)
def remote_start(
    station_id: StationIdPath, body: schemas.RemoteStart, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    command = commands.remote_start(
        platform, caller, station_id, body.id_token, body.evse_id, body.id_token_type
    )
    return views.command_view(command, platform.clock())


@operation(router, "POST", "/v1/stations/<station_id>/remote-stop", Permission.WRITE, status=SENT, tags=TAGS)
def remote_stop(
    station_id: StationIdPath, body: schemas.RemoteStop, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    command = commands.remote_stop(
        platform, caller, station_id, session_id=body.session_id, evse_id=body.evse_id
    )
    return views.command_view(command, platform.clock())


@operation(router, "POST", "/v1/stations/<station_id>/reset", Permission.WRITE, status=SENT, tags=TAGS)
def reset(
    station_id: StationIdPath, body: schemas.ResetRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    command = commands.reset(platform, caller, station_id, body.type, body.evse_id)
    return views.command_view(command, platform.clock())
