"""/v1/stations and what stations sent that is kept for operators."""

from __future__ import annotations

from datetime import timedelta
from http import HTTPStatus
from typing import Annotated, Any, Literal

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.api import energy_schemas, schemas, views
from shared.api.access import Permission
from shared.api.dependencies import Caller, CallerScope, PlatformDependency
from shared.api.routes.params import Cursor, Limit, SiteIdQuery, StationIdPath
from shared.api.routing import operation
from shared.billing.resolver import AssignmentScope
from shared.catalog import SUPPORTED_SUBPROTOCOLS
from shared.domain.changes import StationSettingsChange
from shared.management import billing, energy, stations

router = Router()
TAGS = ["stations"]
StationMessageKind = Literal[
    "DataTransfer",
    "FirmwareStatusNotification",
    "DiagnosticsStatusNotification",
    "LogStatusNotification",
    "SecurityEventNotification",
    "NotifyEvent",
    "NotifyChargingLimit",
    "ClearedChargingLimit",
    "NotifyEVChargingSchedule",
    "NotifyMonitoringReport",
    "NotifyCustomerInformation",
    "NotifyDisplayMessages",
    "PublishFirmwareStatusNotification",
]


def _grace(platform: PlatformDependency) -> timedelta:
    return timedelta(seconds=platform.settings.reconnect_grace_seconds)


@operation(
    router,
    "POST",
    "/v1/stations",
    Permission.WRITE,
    status=HTTPStatus.CREATED,
    tags=TAGS,
    body_model=schemas.StationRegistered,
)
def create_station(
    body: energy_schemas.StationCreateWithPlacement, caller: Caller, platform: PlatformDependency
) -> Response[dict[str, Any]]:
    """Registers a station. Station ids are global: an id already registered (by any tenant) is 409.
    The answer says what to type into the charger; a generated password is shown only here. With
    ``maxCurrentAmps`` (and ``circuitId``, phases, wiring) it is placed on its site's load management."""
    placement_fields = _placement_fields(body)
    if placement_fields:
        energy.check_placement(platform, caller, body.station_id, body.site_id, placement_fields)
    registered = stations.register_station(
        platform,
        caller,
        station_id=body.station_id,
        site_id=body.site_id,
        password=body.password,
        registration=body.registration,
    )
    view = views.station_registered_view(
        registered.station,
        platform.clock(),
        ocpp_url=f"{platform.settings.ocpp_public_url.rstrip('/')}/{registered.station.station_id}",
        subprotocols=SUPPORTED_SUBPROTOCOLS,
        generated_password=registered.generated_password,
    )
    # The password field exists only when the platform generated it.
    body_out: dict[str, Any] = view.model_dump(mode="json", by_alias=True)
    if placement_fields:
        placement = energy.place_station(
            platform, caller, registered.station.station_id, body.site_id, placement_fields
        )
        if placement is not None:
            body_out["placement"] = _placement_view(placement)
    if registered.generated_password is None:
        body_out.pop("password")
    return Response(status_code=HTTPStatus.CREATED, content_type="application/json", body=body_out)


@operation(router, "GET", "/v1/stations", Permission.STATIONS, tags=TAGS)
def list_stations(
    scope: CallerScope,
    platform: PlatformDependency,
    limit: Limit = 50,
    cursor: Cursor = None,
    site_id: SiteIdQuery = None,
) -> schemas.StationList:
    """A property owner's token lists the stations on its sites."""
    items, next_cursor = stations.list_stations(platform, scope, limit, cursor, site_id)
    now = platform.clock()
    return schemas.StationList(
        items=[views.station_view(item, now, _grace(platform)) for item in items], next_cursor=next_cursor
    )


@operation(router, "GET", "/v1/stations/<station_id>", Permission.STATIONS, tags=TAGS)
def get_station(
    station_id: StationIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.StationView:
    """With its connectors' status (occupancy)."""
    station = platform.stations.get_for_tenant(caller.tenant_id, station_id)
    return _with_tariff(views.station_view(station, platform.clock(), _grace(platform)), platform, caller)


@operation(router, "PATCH", "/v1/stations/<station_id>", Permission.WRITE, tags=TAGS)
def update_station(
    station_id: StationIdPath,
    body: energy_schemas.StationUpdateWithPlacement,
    caller: Caller,
    platform: PlatformDependency,
) -> energy_schemas.StationDetail:
    # Given fields only: siteId null removes the site; the other fields are never null (NOT_NULL).
    placement_fields = _placement_fields(body)
    current = platform.stations.get_for_tenant(caller.tenant_id, station_id)
    site_id = body.site_id if "site_id" in body.model_fields_set else current.site_id
    if placement_fields or site_id != current.site_id:
        energy.check_placement(platform, caller, station_id, site_id, placement_fields, current.site_id)
    fields = body.model_dump(
        include=body.model_fields_set - {"password", "tariff_id"} - energy_schemas.PLACEMENT_FIELDS
    )
    if body.password is not None:
        fields["password_hash"] = stations.password_hash(body.password)
    if "tariff_id" in body.model_fields_set:  # billing: the station's tariff (null removes it)
        billing.assign_tariff(platform, caller, AssignmentScope.STATION, station_id, body.tariff_id)
    change = StationSettingsChange.model_validate(fields)
    station = stations.update_station(platform, caller, station_id, change)
    placement = energy.place_station(platform, caller, station_id, site_id, placement_fields, current.site_id)
    view = _with_tariff(
        views.station_view(station, platform.clock(), _grace(platform)), platform, caller
    ).model_dump()
    return energy_schemas.StationDetail.model_validate(
        {**view, "placement": _placement_view(placement) if placement is not None else None}
    )


def _placement_fields(body: energy_schemas.StationPlacementFields) -> dict[str, Any]:
    return body.model_dump(include=body.model_fields_set & energy_schemas.PLACEMENT_FIELDS, mode="json")


def _placement_view(placement: Any) -> dict[str, Any]:
    return energy_schemas.StationPlacementView.model_validate(placement.model_dump()).model_dump(
        mode="json", by_alias=True
    )


def _with_tariff(
    view: schemas.StationView, platform: PlatformDependency, caller: Caller
) -> schemas.StationView:
    tariff_id = billing.assigned_tariff(platform, caller, AssignmentScope.STATION, view.station_id)
    return view.model_copy(update={"tariff_id": tariff_id})


@operation(
    router, "DELETE", "/v1/stations/<station_id>", Permission.WRITE, status=HTTPStatus.NO_CONTENT, tags=TAGS
)
def delete_station(station_id: StationIdPath, caller: Caller, platform: PlatformDependency) -> Response[None]:
    site_id = platform.stations.get_for_tenant(caller.tenant_id, station_id).site_id
    stations.delete_station(platform, caller, station_id)
    energy.forget_station(platform, caller.tenant_id, station_id, site_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)


@operation(router, "GET", "/v1/stations/<station_id>/messages", Permission.READ, tags=TAGS)
def list_station_messages(
    station_id: StationIdPath,
    caller: Caller,
    platform: PlatformDependency,
    kind: Annotated[StationMessageKind, Query()] = "DataTransfer",
    limit: Limit = 50,
) -> schemas.StationMessageList:
    """What the station sent that is kept for operators: DataTransfer payloads, firmware, log and
    diagnostics status notifications, and 2.0.1 events, security events, charging limits and reports
    (newest first, kept for STATION_MESSAGE_RETENTION_DAYS)."""
    documents = stations.list_messages(platform, caller, station_id, kind, limit)
    return schemas.StationMessageList(
        items=[schemas.StationMessageView.model_validate(document) for document in documents]
    )
