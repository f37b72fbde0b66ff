"""A fleet's vehicles: /v1/billing-accounts/{billingAccountId}/vehicles. Operators manage every
account's; a fleet manager its own account's (the path's account must be the token's)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from shared.api import billing_schemas as schemas
from shared.api import billing_views as views
from shared.api.access import Permission
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import Cursor, Limit
from shared.api.routing import operation
from shared.api.schemas import IDENTIFIER_PATTERN
from shared.management import vehicles

router = Router()
TAGS = ["billing-accounts"]
VEHICLES = "/v1/billing-accounts/<billing_account_id>/vehicles"

AccountPath = Annotated[str, Path(pattern=IDENTIFIER_PATTERN)]
VehicleIdPath = Annotated[str, Path(pattern=IDENTIFIER_PATTERN)]


@operation(router, "POST", VEHICLES, Permission.VEHICLES, status=HTTPStatus.CREATED, tags=TAGS)
def create_vehicle(
    billing_account_id: AccountPath, body: schemas.VehicleCreate, caller: Caller, platform: PlatformDependency
) -> schemas.VehicleView:
    """Registers a vehicle of the fleet: its ID tokens must be ones the account pays for (400 naming
    the others); the same ``vehicleId`` again is a 409."""
    vehicle = vehicles.create_vehicle(platform, caller, billing_account_id, body.model_dump())
    return views.vehicle_view(vehicle)


@operation(router, "GET", VEHICLES, Permission.ACCOUNTS, tags=TAGS)
def list_vehicles(
    billing_account_id: AccountPath,
    caller: Caller,
    platform: PlatformDependency,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.VehicleList:
    items, next_cursor = vehicles.list_vehicles(platform, caller, billing_account_id, limit, cursor)
    return schemas.VehicleList(items=[views.vehicle_view(item) for item in items], next_cursor=next_cursor)


@operation(router, "GET", f"{VEHICLES}/<vehicle_id>", Permission.ACCOUNTS, tags=TAGS)
def get_vehicle(
    billing_account_id: AccountPath, vehicle_id: VehicleIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.VehicleView:
    return views.vehicle_view(vehicles.get_vehicle(platform, caller, billing_account_id, vehicle_id))


@operation(router, "PATCH", f"{VEHICLES}/<vehicle_id>", Permission.VEHICLES, tags=TAGS)
def change_vehicle(
    billing_account_id: AccountPath,
    vehicle_id: VehicleIdPath,
    body: schemas.VehicleUpdate,
    caller: Caller,
    platform: PlatformDependency,
) -> schemas.VehicleView:
    changes = body.model_dump(include=body.model_fields_set)
    vehicle = vehicles.change_vehicle(platform, caller, billing_account_id, vehicle_id, changes)
    return views.vehicle_view(vehicle)


@operation(
    router, "DELETE", f"{VEHICLES}/<vehicle_id>", Permission.VEHICLES, status=HTTPStatus.NO_CONTENT, tags=TAGS
)
def delete_vehicle(
    billing_account_id: AccountPath, vehicle_id: VehicleIdPath, caller: Caller, platform: PlatformDependency
) -> Response[None]:
    vehicles.delete_vehicle(platform, caller, billing_account_id, vehicle_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)
