"""Typed commands that work on OCPP 1.6 and 2.0.1 stations alike: availability, unlock, trigger a
message, clear the authorization cache, vendor data, firmware, logs and the charging-profile transport.
Each answers 202 with the command (its outcome at /v1/commands/{commandId}); what the station's protocol
cannot express is a 400 that says so."""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.api import schemas, station_views, views
from shared.api import station_schemas as bodies
from shared.api.access import Permission
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import CommandIdPath, StationIdPath
from shared.api.routing import operation
from shared.domain.charging_profiles import CompositeScheduleQuery, ProfileCriteria
from shared.domain.firmware import FirmwareUpdate, LogUpload
from shared.management import station_control

router = Router()
TAGS = ["station control"]
SENT = HTTPStatus.ACCEPTED


@operation(router, "POST", "/v1/stations/<station_id>/availability", Permission.WRITE, status=SENT, tags=TAGS)
def change_availability(
    station_id: StationIdPath, body: bodies.AvailabilityRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    """The station, one EVSE, or (2.0.1) one connector, operative or not; what the station accepts (or
    schedules after its transaction) is shown on the station's EVSEs."""
    command = station_control.change_availability(
        platform, caller, station_id, body.operative, body.evse_id, body.connector_id
    )
    return views.command_view(command, platform.clock())


@operation(router, "POST", "/v1/stations/<station_id>/unlock", Permission.WRITE, status=SENT, tags=TAGS)
def unlock(
    station_id: StationIdPath, body: bodies.UnlockRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    command = station_control.unlock(platform, caller, station_id, body.evse_id, body.connector_id)
    return views.command_view(command, platform.clock())


@operation(router, "POST", "/v1/stations/<station_id>/trigger", Permission.WRITE, status=SENT, tags=TAGS)
def trigger(
    station_id: StationIdPath, body: bodies.TriggerRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    command = station_control.trigger(
        platform, caller, station_id, body.message, body.evse_id, body.connector_id
    )
    return views.command_view(command, platform.clock())


@operation(router, "POST", "/v1/stations/<station_id>/clear-cache", Permission.WRITE, status=SENT, tags=TAGS)
def clear_cache(
    station_id: StationIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    return views.command_view(station_control.clear_cache(platform, caller, station_id), platform.clock())


@operation(
    router, "POST", "/v1/stations/<station_id>/data-transfer", Permission.WRITE, status=SENT, tags=TAGS
)
def data_transfer(
    station_id: StationIdPath, body: bodies.DataTransferRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    command = station_control.data_transfer(
        platform, caller, station_id, body.vendor_id, body.message_id, body.data
    )
    return views.command_view(command, platform.clock())


@operation(router, "POST", "/v1/stations/<station_id>/firmware", Permission.WRITE, status=SENT, tags=TAGS)
def update_firmware(
    station_id: StationIdPath, body: bodies.FirmwareRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    """The station's progress shows as its firmware status (FirmwareStatusNotification)."""
    update = FirmwareUpdate(request_id=station_control.new_request_id(), **body.model_dump())
    return views.command_view(
        station_control.update_firmware(platform, caller, station_id, update), platform.clock()
    )


@operation(router, "POST", "/v1/stations/<station_id>/logs", Permission.WRITE, status=SENT, tags=TAGS)
def upload_log(
    station_id: StationIdPath, body: bodies.LogRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    """2.0.1 GetLog, 1.6 GetDiagnostics; progress shows as the station's diagnostics status."""
    upload = LogUpload(request_id=station_control.new_request_id(), **body.model_dump())
    return views.command_view(
        station_control.upload_log(platform, caller, station_id, upload), platform.clock()
    )


@operation(
    router, "POST", "/v1/stations/<station_id>/charging-profiles", Permission.WRITE, status=SENT, tags=TAGS
)
def set_charging_profile(
    station_id: StationIdPath,
    body: bodies.ChargingProfileRequest,
    caller: Caller,
    platform: PlatformDependency,
) -> schemas.CommandView:
    """Transport only: what to send is the allocator's decision. Kept as installed once accepted."""
    command = station_control.set_charging_profile(platform, caller, station_id, body.evse_id, body.profile)
    return views.command_view(command, platform.clock())


@operation(
    router,
    "POST",
    "/v1/stations/<station_id>/charging-profiles/clear",
    Permission.WRITE,
    status=SENT,
    tags=TAGS,
)
def clear_charging_profiles(
    station_id: StationIdPath, body: bodies.ClearProfilesRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    criteria = ProfileCriteria.model_validate(body.model_dump())
    return views.command_view(
        station_control.clear_charging_profile(platform, caller, station_id, criteria), platform.clock()
    )


@operation(
    router,
    "POST",
    "/v1/stations/<station_id>/charging-profiles/report",
    Permission.WRITE,
    status=SENT,
    tags=TAGS,
)
def report_charging_profiles(
    station_id: StationIdPath, body: bodies.ClearProfilesRequest, caller: Caller, platform: PlatformDependency
) -> schemas.CommandView:
    """2.0.1 GetChargingProfiles: the station reports what it holds (ReportChargingProfiles), kept below."""
    criteria = ProfileCriteria.model_validate(body.model_dump())
    return views.command_view(
        station_control.request_charging_profiles(platform, caller, station_id, criteria), platform.clock()
    )


@operation(router, "GET", "/v1/stations/<station_id>/charging-profiles", Permission.READ, tags=TAGS)
def installed_charging_profiles(
    station_id: StationIdPath, caller: Caller, platform: PlatformDependency
) -> bodies.InstalledProfileList:
    installed = station_control.installed_profiles(platform, caller, station_id)
    return bodies.InstalledProfileList(items=[station_views.profile_view(profile) for profile in installed])


@operation(
    router, "POST", "/v1/stations/<station_id>/composite-schedule", Permission.WRITE, status=SENT, tags=TAGS
)
def composite_schedule(
    station_id: StationIdPath,
    body: bodies.CompositeScheduleRequest,
    caller: Caller,
    platform: PlatformDependency,
) -> schemas.CommandView:
    """The schedule is in the command's response once the station answers."""
    query = CompositeScheduleQuery.model_validate(body.model_dump())
    return views.command_view(
        station_control.composite_schedule(platform, caller, station_id, query), platform.clock()
    )


@operation(router, "GET", "/v1/commands/<command_id>/session", Permission.READ, tags=["commands"])
def session_of_remote_start(
    command_id: CommandIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.SessionView:
    """The session a remote start began (2.0.1: by its remoteStartId; 1.6: its token on its EVSE, after
    the call); 404 until it has started."""
    return views.session_view(station_control.session_started_by(platform, caller, command_id))
