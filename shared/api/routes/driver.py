"""/v1/driver/...: the driver app. Every route acts on the caller's own billing account (the token's
``account_id``): its tokens, their sessions, its wallet and receipts; stations are the tenant's."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Query

from shared.api import driver_schemas as schemas
from shared.api import driver_views as views
from shared.api.access import Permission
from shared.api.billing_schemas import WalletView
from shared.api.billing_views import wallet_view
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import CommandIdPath, Cursor, SessionIdPath, StationIdPath
from shared.api.routing import operation
from shared.domain.sessions import SessionStatus
from shared.management import driver

router = Router()
TAGS = ["driver"]

LatitudeQuery = Annotated[float, Query(ge=-90, le=90, description="WGS 84 degrees")]
LongitudeQuery = Annotated[float, Query(ge=-180, le=180, description="WGS 84 degrees")]
RadiusQuery = Annotated[float, Query(alias="radiusKm", gt=0, le=200, description="Great-circle distance")]
NearbyLimit = Annotated[int, Query(ge=1, le=50, description="At most this many stations")]
HistoryLimit = Annotated[int, Query(ge=1, le=50, description="Page size")]


@operation(router, "GET", "/v1/driver/account", Permission.DRIVE, tags=TAGS)
def my_account(caller: Caller, platform: PlatformDependency) -> schemas.DriverAccountView:
    """The billing account the token acts for: its tokens, currency and wallet."""
    return views.account_view(driver.driver_account(platform, caller))


@operation(router, "GET", "/v1/driver/stations", Permission.DRIVE, tags=TAGS)
def stations_nearby(
    caller: Caller,
    platform: PlatformDependency,
    latitude: LatitudeQuery,
    longitude: LongitudeQuery,
    radius_km: RadiusQuery = 10.0,
    limit: NearbyLimit = 20,
) -> schemas.DriverStationList:
    """Stations on the tenant's sites within ``radiusKm`` of the point, nearest first, each with its
    live availability and the price a session started now would have."""
    found = driver.stations_near(
        platform, caller, latitude=latitude, longitude=longitude, radius_km=radius_km, limit=limit
    )
    return schemas.DriverStationList(items=[views.station_view(item) for item in found])


@operation(router, "GET", "/v1/driver/stations/<station_id>", Permission.DRIVE, tags=TAGS)
def station(
    station_id: StationIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.DriverStationView:
    """The station a QR code names, with its availability and price."""
    return views.station_view(driver.station_for_driver(platform, caller, station_id))


@operation(router, "POST", "/v1/driver/sessions", Permission.DRIVE, status=HTTPStatus.ACCEPTED, tags=TAGS)
def start_session(body: schemas.StartByQr, caller: Caller, platform: PlatformDependency) -> schemas.StartView:
    """Starts charging on the QR code's station and connector with one of the account's tokens (a remote
    start). 409 when the station is offline or the connector is out of order or charging."""
    command = driver.start_session(
        platform, caller, station_id=body.station_id, connector_id=body.connector_id, id_token=body.id_token
    )
    return views.start_view(command, platform.clock())


@operation(router, "GET", "/v1/driver/starts/<command_id>", Permission.DRIVE, tags=TAGS)
def start_progress(
    command_id: CommandIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.StartView:
    """What the station answered to the start, and the session once it began."""
    return views.progress_view(driver.start_progress(platform, caller, command_id), platform.clock())


@operation(router, "GET", "/v1/driver/sessions", Permission.DRIVE, tags=TAGS)
def history(
    caller: Caller,
    platform: PlatformDependency,
    status: Annotated[SessionStatus | None, Query()] = None,
    limit: HistoryLimit = 20,
    cursor: Cursor = None,
) -> schemas.DriverSessionList:
    """The sessions of the account's tokens, newest first."""
    page = driver.session_history(platform, caller, status=status, limit=limit, cursor=cursor)
    return schemas.DriverSessionList(
        items=[views.summary_view(item) for item in page.sessions], next_cursor=page.next_cursor
    )


@operation(router, "GET", "/v1/driver/sessions/<session_id>", Permission.DRIVE, tags=TAGS)
def follow(
    session_id: SessionIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.DriverSessionView:
    """Energy, power and cost so far (poll it while charging)."""
    return views.live_view(driver.follow_session(platform, caller, session_id))


@operation(
    router,
    "POST",
    "/v1/driver/sessions/<session_id>/stop",
    Permission.DRIVE,
    status=HTTPStatus.ACCEPTED,
    tags=TAGS,
)
def stop(session_id: SessionIdPath, caller: Caller, platform: PlatformDependency) -> schemas.StopView:
    """Asks the station to end the session (a remote stop); 409 once it has ended."""
    command = driver.stop_session(platform, caller, session_id)
    return views.stop_view(command, session_id, platform.clock())


@operation(router, "GET", "/v1/driver/sessions/<session_id>/receipt", Permission.DRIVE, tags=TAGS)
def receipt(session_id: SessionIdPath, caller: Caller, platform: PlatformDependency) -> schemas.ReceiptView:
    """The priced session (OCPI CDR) and its invoice; 404 until billing has priced it."""
    return views.receipt_view(driver.receipt(platform, caller, session_id))


@operation(router, "GET", "/v1/driver/wallet", Permission.DRIVE, tags=TAGS)
def wallet(caller: Caller, platform: PlatformDependency) -> WalletView:
    """The prepaid balance; 404 for an account without a wallet."""
    return wallet_view(driver.driver_wallet(platform, caller))


@operation(
    router,
    "POST",
    "/v1/driver/wallet/top-ups",
    Permission.DRIVE,
    status=HTTPStatus.CREATED,
    errors=(HTTPStatus.PAYMENT_REQUIRED,),
    tags=TAGS,
)
def top_up(body: schemas.DriverTopUp, caller: Caller, platform: PlatformDependency) -> schemas.TopUpView:
    """Charges the account's saved card through the payment provider and credits the wallet; a decline
    is a 402 with the provider's reason, an account without a saved card a 409."""
    done = driver.top_up_wallet(platform, caller, amount=Decimal(body.amount), top_up_id=body.top_up_id)
    return views.top_up_view(done)
