"""/v1/firmware (the catalogue) and /v1/firmware-campaigns (rolling it out)."""

from __future__ import annotations

from http import HTTPStatus
from typing import Annotated, Literal

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from shared.api import device_schemas as schemas
from shared.api.access import Permission
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import Cursor, Limit
from shared.api.routing import operation
from shared.api.schemas import IDENTIFIER_PATTERN
from shared.firmware.models import CampaignTarget, Firmware, UpdateWindow
from shared.management import firmware
from shared.ports import PresignedRequest, StoredObject

router = Router()
TAGS = ["firmware"]
FirmwareIdPath = Annotated[str, Path(pattern=IDENTIFIER_PATTERN)]
CampaignIdPath = Annotated[str, Path(pattern=schemas.CAMPAIGN_ID_PATTERN)]
CampaignAction = Literal["start", "pause", "resume", "cancel"]


def _firmware_view(
    item: Firmware, image: StoredObject | None = None, *, with_image: bool = False
) -> dict[str, object]:
    return {
        **item.model_dump(),
        "signed": bool(item.signing_certificate and item.signature),
        "image": (
            {"uploaded": image is not None, "size_bytes": image.size_bytes if image else None}
            if with_image
            else None
        ),
    }


def _upload(upload: PresignedRequest) -> schemas.UploadInstructions:
    return schemas.UploadInstructions(
        url=upload.url, method="PUT", headers=upload.headers, expires_at=upload.expires_at
    )


@operation(router, "POST", "/v1/firmware", Permission.WRITE, status=HTTPStatus.CREATED, tags=TAGS)
def register_firmware(
    body: schemas.FirmwareCreate, caller: Caller, platform: PlatformDependency
) -> schemas.FirmwareRegistered:
    """Registers a firmware version and answers where to upload its image: a presigned PUT (send the
    headers given: S3 checks the image against the checksum)."""
    registered = firmware.register_firmware(
        platform,
        caller,
        firmware_id=body.firmware_id,
        version=body.version,
        vendor=body.vendor,
        models=body.models,
        checksum_sha256=body.checksum_sha256,
        size_bytes=body.size_bytes,
        description=body.description,
        signing_certificate=body.signing_certificate,
        signature=body.signature,
    )
    return schemas.FirmwareRegistered.model_validate(
        {**_firmware_view(registered.firmware), "upload": _upload(registered.upload)}
    )


@operation(router, "GET", "/v1/firmware", Permission.READ, tags=TAGS)
def list_firmware(
    caller: Caller, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.FirmwareList:
    items, next_cursor = platform.firmware.list_for_tenant(caller.tenant_id, limit, cursor)
    return schemas.FirmwareList(
        items=[schemas.FirmwareView.model_validate(_firmware_view(item)) for item in items],
        next_cursor=next_cursor,
    )


@operation(router, "GET", "/v1/firmware/<firmware_id>", Permission.READ, tags=TAGS)
def get_firmware(
    firmware_id: FirmwareIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.FirmwareView:
    item, image = firmware.get_firmware(platform, caller, firmware_id)
    return schemas.FirmwareView.model_validate(_firmware_view(item, image, with_image=True))


@operation(router, "POST", "/v1/firmware/<firmware_id>/upload-url", Permission.WRITE, tags=TAGS)
def new_upload_url(
    firmware_id: FirmwareIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.UploadInstructions:
    """A fresh upload URL (the first one expires after FIRMWARE_UPLOAD_URL_SECONDS)."""
    return _upload(firmware.new_upload_url(platform, caller, firmware_id).upload)


# --- campaigns --------------------------------------------------------------------------------------


def _campaign_view(report: firmware.CampaignReport) -> schemas.CampaignView:
    return schemas.CampaignView.model_validate(
        {
            **report.campaign.model_dump(),
            "counts": report.counts,
            "stations": [station.model_dump() for station in report.stations],
            "next_cursor": report.next_cursor,
        }
    )


@operation(
    router,
    "POST",
    "/v1/firmware-campaigns",
    Permission.WRITE,
    status=HTTPStatus.CREATED,
    tags=TAGS,
)
def create_campaign(
    body: schemas.CampaignCreate, caller: Caller, platform: PlatformDependency
) -> schemas.CampaignView:
    """Creates a campaign over the compatible stations the target selects (400 naming the problem when
    it selects none, or lists stations the firmware does not fit; 409 before the image is uploaded).
    ``POST .../start`` rolls it out."""
    window = UpdateWindow.model_validate(body.window.model_dump()) if body.window else None
    report = firmware.create_campaign(
        platform,
        caller,
        firmware_id=body.firmware_id,
        target=CampaignTarget.model_validate(body.target.model_dump()),
        canary_size=body.canary_size,
        max_concurrent=body.max_concurrent,
        failure_threshold_percent=body.failure_threshold_percent,
        wave_growth=body.wave_growth,
        window=window,
        station_timeout_seconds=body.station_timeout_seconds,
        retries=body.retries,
        retry_interval_seconds=body.retry_interval_seconds,
    )
    return _campaign_view(report)


@operation(router, "GET", "/v1/firmware-campaigns", Permission.READ, tags=TAGS)
def list_campaigns(
    caller: Caller, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.CampaignList:
    items, next_cursor = platform.campaigns.list_for_tenant(caller.tenant_id, limit, cursor)
    return schemas.CampaignList(
        items=[schemas.CampaignSummary.model_validate(item.model_dump()) for item in items],
        next_cursor=next_cursor,
    )


@operation(router, "GET", "/v1/firmware-campaigns/<campaign_id>", Permission.READ, tags=TAGS)
def get_campaign(
    campaign_id: CampaignIdPath,
    caller: Caller,
    platform: PlatformDependency,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> schemas.CampaignView:
    """Status, counts over every target, and a page of the targets with their state and history."""
    return _campaign_view(firmware.campaign_report(platform, caller, campaign_id, limit, cursor))


def _change(
    action: CampaignAction, campaign_id: str, caller: Caller, platform: PlatformDependency
) -> schemas.CampaignView:
    firmware.change_campaign(platform, caller, campaign_id, action)
    return _campaign_view(firmware.campaign_report(platform, caller, campaign_id, 100, None))


@operation(router, "POST", "/v1/firmware-campaigns/<campaign_id>/start", Permission.WRITE, tags=TAGS)
def start_campaign(
    campaign_id: CampaignIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.CampaignView:
    """created → running: the campaign's workflow starts the canary wave (409 in any other status)."""
    return _change("start", campaign_id, caller, platform)


@operation(router, "POST", "/v1/firmware-campaigns/<campaign_id>/pause", Permission.WRITE, tags=TAGS)
def pause_campaign(
    campaign_id: CampaignIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.CampaignView:
    """running → paused: no new station starts; stations already updating finish."""
    return _change("pause", campaign_id, caller, platform)


@operation(router, "POST", "/v1/firmware-campaigns/<campaign_id>/resume", Permission.WRITE, tags=TAGS)
def resume_campaign(
    campaign_id: CampaignIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.CampaignView:
    return _change("resume", campaign_id, caller, platform)


@operation(router, "POST", "/v1/firmware-campaigns/<campaign_id>/cancel", Permission.WRITE, tags=TAGS)
def cancel_campaign(
    campaign_id: CampaignIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.CampaignView:
    """No new station starts; stations not started are skipped, those updating record their outcome."""
    return _change("cancel", campaign_id, caller, platform)
