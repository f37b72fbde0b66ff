"""What a station holds, on both protocols: reservations, its local authorization list, and its
configuration / device model (1.6 keys and 2.0.1 components and variables, one stored model)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.api import schemas, station_views, views
from shared.api import station_schemas as bodies
from shared.api.access import Permission
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import Cursor, Limit, StationIdPath, StationIdQuery
from shared.api.routing import operation
from shared.domain.device_model import ComponentRef, VariableQuery, VariableRef, VariableWrite
from shared.domain.id_tokens import IdTokenInfo
from shared.domain.local_lists import LocalListEntry
from shared.management import device_model, local_lists, reservations

router = Router()
SENT = HTTPStatus.ACCEPTED
ReservationIdPath = Annotated[int, Path(ge=1, le=2**31 - 1)]


# --- reservations (H) ------------------------------------------------------------------------------


@operation(
    router,
    "POST",
    "/v1/stations/<station_id>/reservations",
    Permission.WRITE,
    status=SENT,
    tags=["reservations"],
)
def book_reservation(
    station_id: StationIdPath, body: bodies.ReservationCreate, caller: Caller, platform: PlatformDependency
) -> bodies.ReservationBooked:
    """Stored as Pending and sent (ReserveNow); Accepted or Rejected by the station's answer. While
    accepted, the platform refuses other tokens on the EVSE (Authorize and starts: 2.0.1 NotAtThisTime,
    1.6 Invalid), and the holder's start uses it."""
    booked = reservations.book(
        platform,
        caller,
        station_id,
        id_token=body.id_token,
        expires_at=body.expires_at,
        evse_id=body.evse_id,
        id_token_type=body.id_token_type,
        group_id_token=body.group_id_token,
        connector_type=body.connector_type,
    )
    now = platform.clock()
    return bodies.ReservationBooked(
        **station_views.reservation_view(booked.reservation, now).model_dump(),
        command=views.command_view(booked.command, now),
    )


@operation(router, "GET", "/v1/stations/<station_id>/reservations", Permission.READ, tags=["reservations"])
def station_reservations(
    station_id: StationIdPath, caller: Caller, platform: PlatformDependency
) -> bodies.ReservationList:
    now = platform.clock()
    return bodies.ReservationList(
        items=[
            station_views.reservation_view(item, now)
            for item in reservations.for_station(platform, caller, station_id)
        ]
    )


@operation(
    router,
    "GET",
    "/v1/stations/<station_id>/reservations/<reservation_id>",
    Permission.READ,
    tags=["reservations"],
)
def get_reservation(
    station_id: StationIdPath, reservation_id: ReservationIdPath, caller: Caller, platform: PlatformDependency
) -> bodies.ReservationView:
    return station_views.reservation_view(
        reservations.get(platform, caller, station_id, reservation_id), platform.clock()
    )


@operation(
    router,
    "DELETE",
    "/v1/stations/<station_id>/reservations/<reservation_id>",
    Permission.WRITE,
    status=SENT,
    errors=(HTTPStatus.CONFLICT,),
    tags=["reservations"],
)
def cancel_reservation(
    station_id: StationIdPath, reservation_id: ReservationIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    """Sends CancelReservation; the reservation is Cancelled once the station accepts."""
    command = reservations.cancel(platform, caller, station_id, reservation_id)
    return views.command_view(command, platform.clock())


@operation(router, "GET", "/v1/reservations", Permission.READ, tags=["reservations"])
def tenant_reservations(
    caller: Caller,
    platform: PlatformDependency,
    limit: Limit = 50,
    cursor: Cursor = None,
    station_id: StationIdQuery = None,
) -> bodies.ReservationList:
    items, next_cursor = platform.reservations.list_for_tenant(caller.tenant_id, limit, cursor, station_id)
    now = platform.clock()
    return bodies.ReservationList(
        items=[station_views.reservation_view(item, now) for item in items], next_cursor=next_cursor
    )


# --- local authorization list (D) ------------------------------------------------------------------


@operation(
    router,
    "POST",
    "/v1/stations/<station_id>/local-list",
    Permission.WRITE,
    status=SENT,
    tags=["local lists"],
)
def push_local_list(
    station_id: StationIdPath, body: bodies.LocalListRequest, caller: Caller, platform: PlatformDependency
) -> bodies.LocalListPushed:
    """SendLocalList, Full or Differential. Without entries, a Full list of the tenant's own ID tokens."""
    entries = (
        [
            LocalListEntry(
                id_token=entry.id_token,
                id_token_type=entry.id_token_type,
                info=IdTokenInfo(
                    status=entry.status, expires_at=entry.expires_at, parent_id_token=entry.parent_id_token
                )
                if entry.status is not None
                else None,
            )
            for entry in body.entries
        ]
        if body.entries is not None
        else None
    )
    pushed, command = local_lists.push(platform, caller, station_id, body.update_type, entries, body.version)
    return bodies.LocalListPushed(
        version=pushed.version,
        update_type=pushed.update_type,
        entries=len(pushed.entries),
        command=views.command_view(command, platform.clock()),
    )


@operation(router, "GET", "/v1/stations/<station_id>/local-list", Permission.READ, tags=["local lists"])
def get_local_list(
    station_id: StationIdPath, caller: Caller, platform: PlatformDependency
) -> bodies.LocalListView:
    """The list the station accepted last, and the version it reported."""
    stored = local_lists.view(platform, caller, station_id)
    return station_views.local_list_view(stored.state, stored.entries)


@operation(
    router,
    "POST",
    "/v1/stations/<station_id>/local-list/version",
    Permission.WRITE,
    status=SENT,
    tags=["local lists"],
)
def read_local_list_version(
    station_id: StationIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    return views.command_view(local_lists.read_version(platform, caller, station_id), platform.clock())


# --- configuration and device model (B) ------------------------------------------------------------


def _component(body: bodies.ComponentBody | None) -> ComponentRef | None:
    return ComponentRef.model_validate(body.model_dump()) if body is not None else None


@operation(
    router,
    "POST",
    "/v1/stations/<station_id>/variables/read",
    Permission.WRITE,
    status=SENT,
    tags=["device model"],
)
def read_variables(
    station_id: StationIdPath, body: bodies.ReadVariablesRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    """1.6 GetConfiguration (a variable without component is a key; none: every key), 2.0.1
    GetVariables. What the station reports lands in the device model."""
    queries = [
        VariableQuery(
            component=_component(item.component),
            variable=VariableRef.model_validate(item.variable.model_dump()),
            attribute_type=item.attribute_type,
        )
        for item in body.variables
    ]
    return views.command_view(device_model.read(platform, caller, station_id, queries), platform.clock())


@operation(
    router,
    "POST",
    "/v1/stations/<station_id>/variables/write",
    Permission.WRITE,
    status=SENT,
    tags=["device model"],
)
def write_variables(
    station_id: StationIdPath,
    body: bodies.WriteVariablesRequest,
    caller: Caller,
    platform: PlatformDependency,
) -> bodies.CommandsSent:
    """1.6: one ChangeConfiguration per key (one after the other); 2.0.1: one SetVariables, whose
    per-variable results are in its response. Accepted values land in the device model."""
    writes = [
        VariableWrite(
            component=_component(item.component),
            variable=VariableRef.model_validate(item.variable.model_dump()),
            value=item.value,
            attribute_type=item.attribute_type,
        )
        for item in body.variables
    ]
    now = platform.clock()
    return bodies.CommandsSent(
        items=[
            views.command_view(command, now)
            for command in device_model.write(platform, caller, station_id, writes)
        ]
    )


@operation(
    router, "POST", "/v1/stations/<station_id>/reports", Permission.WRITE, status=SENT, tags=["device model"]
)
def request_report(
    station_id: StationIdPath, body: bodies.ReportRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    """2.0.1 GetBaseReport (answered in NotifyReport parts, tracked below); 1.6 GetConfiguration."""
    return views.command_view(
        device_model.request_report(platform, caller, station_id, body.report_base), platform.clock()
    )


@operation(router, "GET", "/v1/stations/<station_id>/reports", Permission.READ, tags=["device model"])
def reports(station_id: StationIdPath, caller: Caller, platform: PlatformDependency) -> bodies.ReportList:
    return bodies.ReportList(
        items=[station_views.report_view(item) for item in device_model.reports(platform, caller, station_id)]
    )


@operation(router, "GET", "/v1/stations/<station_id>/device-model", Permission.READ, tags=["device model"])
def browse_device_model(
    station_id: StationIdPath,
    caller: Caller,
    platform: PlatformDependency,
    component: Annotated[str | None, Query(max_length=50, description="One component's variables")] = None,
    configuration_keys: Annotated[
        bool, Query(alias="configurationKeys", description="Only 1.6 configuration keys")
    ] = False,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> bodies.DeviceModelPage:
    """The stored model in key order (component, instance, EVSE, variable)."""
    items, next_cursor = device_model.browse(
        platform, caller, station_id, component, configuration_keys, limit, cursor
    )
    return bodies.DeviceModelPage(
        items=[station_views.variable_view(item) for item in items], next_cursor=next_cursor
    )
