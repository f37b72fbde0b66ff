"""/v1/stations/{stationId}/diagnostics: logs a station uploads to the diagnostics bucket."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.api import device_schemas as schemas
from shared.api.access import Permission
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import Cursor, Limit, StationIdPath
from shared.api.routing import operation
from shared.firmware.models import DiagnosticsRequest
from shared.management import diagnostics

router = Router()
TAGS = ["diagnostics"]


def _view(request: DiagnosticsRequest, download_url: str | None = None) -> schemas.DiagnosticsView:
    return schemas.DiagnosticsView.model_validate({**request.model_dump(), "download_url": download_url})


@operation(
    router,
    "POST",
    "/v1/stations/<station_id>/diagnostics",
    Permission.WRITE,
    status=HTTPStatus.ACCEPTED,
    tags=TAGS,
)
def request_diagnostics(
    station_id: StationIdPath, body: schemas.DiagnosticsCreate, caller: Caller, platform: PlatformDependency
) -> schemas.DiagnosticsView:
    """Asks the station (1.6 GetDiagnostics, 2.0.1 GetLog) to upload its log to a presigned URL; the
    status follows its notifications. 409 while another request of the station is in progress."""
    request = diagnostics.request_diagnostics(
        platform,
        caller,
        station_id,
        log_type=body.log_type,
        start_time=body.start_time,
        stop_time=body.stop_time,
        retries=body.retries,
        retry_interval_seconds=body.retry_interval_seconds,
        timeout_seconds=body.timeout_seconds,
    )
    return _view(request)


@operation(router, "GET", "/v1/stations/<station_id>/diagnostics", Permission.READ, tags=TAGS)
def list_diagnostics(
    station_id: StationIdPath,
    caller: Caller,
    platform: PlatformDependency,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> schemas.DiagnosticsList:
    """Newest first; an uploaded one has a download link (presigned GET, DIAGNOSTICS_URL_SECONDS)."""
    uploads, next_cursor = diagnostics.list_diagnostics(platform, caller, station_id, limit, cursor)
    return schemas.DiagnosticsList(
        items=[_view(upload.request, upload.download_url) for upload in uploads], next_cursor=next_cursor
    )
