"""Diagnostics an operator requests from a station: the station uploads to a presigned URL in the
diagnostics bucket, the workflow tracks it, the list gives download links."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from shared.domain.base import to_iso
from shared.domain.tenancy import Principal
from shared.firmware.models import (
    ActiveDiagnostics,
    DiagnosticsRequest,
    DiagnosticsStatus,
    HistoryEntry,
    LogType,
    diagnostics_object_key,
)
from shared.firmware.tasks import DIAGNOSTICS_WORKFLOW, execution_name, log_upload
from shared.ocpp.protocols import plugin_for
from shared.storage.buckets import DIAGNOSTICS_UPLOADS

if TYPE_CHECKING:
    from shared.wiring import Platform

_MAX_REQUEST_ID = 2**31 - 1
_PROBE_LOCATION = "https://example.invalid/upload"


@dataclass(frozen=True)
class DiagnosticsUpload:
    request: DiagnosticsRequest
    download_url: str | None


def request_diagnostics(
    platform: Platform,
    principal: Principal,
    station_id: str,
    *,
    log_type: LogType,
    start_time: datetime | None,
    stop_time: datetime | None,
    retries: int | None,
    retry_interval_seconds: int | None,
    timeout_seconds: int,
) -> DiagnosticsRequest:
    """Refused up front (400) when the station's protocol cannot express it (1.6 has no security log);
    409 while another request of the station is in progress."""
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    request_id = secrets.randbelow(_MAX_REQUEST_ID) + 1
    now = platform.clock()
    request = DiagnosticsRequest(
        request_id=request_id,
        tenant_id=principal.tenant_id,
        station_id=station_id,
        registration_id=station.registration_id,
        log_type=log_type,
        start_time=start_time,
        stop_time=stop_time,
        retries=retries,
        retry_interval_seconds=retry_interval_seconds,
        timeout_seconds=timeout_seconds,
        object_key=diagnostics_object_key(
            principal.tenant_id, station_id, station.registration_id, request_id
        ),
        requested_at=now,
        history=[
            HistoryEntry(at=now, state=DiagnosticsStatus.REQUESTED.value, detail=f"by {principal.subject}")
        ],
    )
    if station.protocol is not None:
        plugin_for(station.protocol).mappers.upload_log(log_upload(request, _PROBE_LOCATION))
    active = ActiveDiagnostics(
        station_id=station_id,
        registration_id=station.registration_id,
        tenant_id=principal.tenant_id,
        request_id=request_id,
        requested_at=now,
        deadline_at=now + timedelta(seconds=timeout_seconds),
    )
    platform.diagnostics.create(request, active, now)
    platform.starter.start(
        DIAGNOSTICS_WORKFLOW,
        execution_name("diag", station_id, str(request_id)),
        {
            "tenantId": principal.tenant_id,
            "stationId": station_id,
            "registrationId": station.registration_id,
            "requestId": request_id,
            "requestedAt": to_iso(now),
        },
    )
    return request


def list_diagnostics(
    platform: Platform, principal: Principal, station_id: str, limit: int, cursor: str | None
) -> tuple[list[DiagnosticsUpload], str | None]:
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    requests, next_cursor = platform.diagnostics.list_for_station(
        station.station_id, station.registration_id, limit, cursor
    )
    bucket = platform.settings.bucket_name(DIAGNOSTICS_UPLOADS)
    uploads = [
        DiagnosticsUpload(
            request,
            platform.objects.presign_download(
                bucket,
                request.object_key,
                platform.settings.diagnostics_url_seconds,
                file_name=request.file_name or f"diagnostics-{request.request_id}",
            )
            if request.status is DiagnosticsStatus.UPLOADED
            else None,
        )
        for request in requests
    ]
    return uploads, next_cursor
