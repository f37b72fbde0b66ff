"""/v1/stations/pending and /v1/settings/onboarding: stations that connect before they are registered.

A tenant with an enrollment secret lets an unregistered charger connect (Basic auth: its station id and
the secret) and wait, Pending, in the tenant's list; approving registers it, rejecting refuses it for a
while. Without a secret unknown stations are refused, as they always were.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.api import onboarding_schemas as schemas
from shared.api import schemas as station_schemas
from shared.api import views
from shared.api.access import Permission
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import Cursor, Limit, StationIdPath
from shared.api.routing import operation
from shared.catalog import SUPPORTED_SUBPROTOCOLS
from shared.domain.onboarding import PENDING_RETENTION, PENDING_STATIONS_PER_TENANT, REJECTION_HOLD
from shared.management import onboarding

router = Router()
TAGS = ["onboarding"]
_HOUR = 3600


def _charger_url(platform: PlatformDependency) -> str:
    return platform.settings.ocpp_public_url.rstrip("/")


@operation(router, "GET", "/v1/settings/onboarding", Permission.READ, tags=TAGS)
def get_onboarding_settings(caller: Caller, platform: PlatformDependency) -> schemas.OnboardingSettingsView:
    """The tenant's onboarding policy: whether unregistered stations may wait for approval."""
    policy = onboarding.policy(platform, caller)
    return schemas.OnboardingSettingsView(
        pending_approval=policy.pending_approval,
        enrollment_secret_created_at=policy.secret_created_at,
        ocpp_url=_charger_url(platform),
        subprotocols=list(SUPPORTED_SUBPROTOCOLS),
        pending_limit=PENDING_STATIONS_PER_TENANT,
        pending_retention_hours=int(PENDING_RETENTION.total_seconds()) // _HOUR,
        rejection_hold_hours=int(REJECTION_HOLD.total_seconds()) // _HOUR,
    )


@operation(
    router,
    "POST",
    "/v1/settings/onboarding/enrollment-secret",
    Permission.WRITE,
    status=HTTPStatus.CREATED,
    tags=TAGS,
    body_model=schemas.EnrollmentSecretIssued,
)
def issue_enrollment_secret(caller: Caller, platform: PlatformDependency) -> Response[dict[str, Any]]:
    """Issues the tenant's enrollment secret (shown only here), turning pending approval on; issuing
    another replaces it, and the previous one stops working at once. Stations already waiting, and
    those approved, are unaffected."""
    issued = onboarding.issue_enrollment_secret(platform, caller)
    body = schemas.EnrollmentSecretIssued(
        enrollment_secret=issued.secret,
        created_at=issued.created_at,
        ocpp_url=_charger_url(platform),
        subprotocols=list(SUPPORTED_SUBPROTOCOLS),
    )
    return Response(
        status_code=HTTPStatus.CREATED,
        content_type="application/json",
        body=body.model_dump(mode="json", by_alias=True),
    )


@operation(
    router,
    "DELETE",
    "/v1/settings/onboarding/enrollment-secret",
    Permission.WRITE,
    status=HTTPStatus.NO_CONTENT,
    tags=TAGS,
)
def remove_enrollment_secret(caller: Caller, platform: PlatformDependency) -> Response[None]:
    """Turns pending approval off: unregistered stations are refused again. Stations already waiting
    stay in the list (and can be approved) until they expire."""
    onboarding.disable_pending_approval(platform, caller)
    return Response(status_code=HTTPStatus.NO_CONTENT)


@operation(router, "GET", "/v1/stations/pending", Permission.READ, tags=TAGS)
def list_pending_stations(
    caller: Caller, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.PendingStationList:
    """Unregistered stations that connected with the tenant's enrollment secret, by station id."""
    items, next_cursor = onboarding.list_pending(platform, caller, limit, cursor)
    return schemas.PendingStationList(
        items=[
            schemas.PendingStationView(
                station_id=item.station_id,
                first_seen_at=item.first_seen_at,
                last_seen_at=item.last_seen_at,
                attempts=item.attempts,
                protocol=item.protocol,
                vendor=item.charger.vendor if item.charger else None,
                model=item.charger.model if item.charger else None,
                firmware_version=item.charger.firmware_version if item.charger else None,
            )
            for item in items
        ],
        next_cursor=next_cursor,
    )


@operation(
    router,
    "POST",
    "/v1/stations/pending/<station_id>/approve",
    Permission.WRITE,
    status=HTTPStatus.CREATED,
    tags=TAGS,
    body_model=station_schemas.StationRegistered,
)
def approve_pending_station(
    station_id: StationIdPath,
    caller: Caller,
    platform: PlatformDependency,
    body: schemas.PendingStationApproval | None = None,
) -> Response[dict[str, Any]]:
    """Registers the waiting station in the tenant (409, neutral, if its id was registered meanwhile).
    Its password is the enrollment secret it connected with (so no ``password`` in the answer): its
    connection is closed, it reconnects as a registered station and boots Accepted. The body may be
    left out."""
    registered = onboarding.approve(platform, caller, station_id, body.site_id if body else None)
    view = views.station_registered_view(
        registered.station,
        platform.clock(),
        ocpp_url=f"{_charger_url(platform)}/{station_id}",
        subprotocols=SUPPORTED_SUBPROTOCOLS,
        generated_password=None,
    )
    body_out: dict[str, Any] = view.model_dump(mode="json", by_alias=True)
    body_out.pop("password")
    return Response(status_code=HTTPStatus.CREATED, content_type="application/json", body=body_out)


@operation(
    router,
    "POST",
    "/v1/stations/pending/<station_id>/reject",
    Permission.WRITE,
    status=HTTPStatus.NO_CONTENT,
    tags=TAGS,
)
def reject_pending_station(
    station_id: StationIdPath, caller: Caller, platform: PlatformDependency
) -> Response[None]:
    """Removes the station from the list and closes its connection; it is refused at once, unrecorded,
    for the rejection hold (then it may wait again)."""
    onboarding.reject(platform, caller, station_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)
