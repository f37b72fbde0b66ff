"""The firmware catalogue and campaigns, as operators use them.

A firmware version is registered with its checksum and compatible vendor/models, and gets a presigned
upload URL; a campaign targets the tenant's compatible stations (an explicit list, or filters), split
into waves, and runs as Step Functions workflows (``shared/workflows/firmware.py``) once started.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.domain.errors import ConflictError, InvalidRequestError
from shared.domain.stations import Station
from shared.domain.tenancy import Principal
from shared.firmware.models import (
    Campaign,
    CampaignStation,
    CampaignStatus,
    CampaignTarget,
    Firmware,
    HistoryEntry,
    StationUpdateState,
    UpdateWindow,
    firmware_object_key,
    new_campaign_id,
)
from shared.firmware.rules import assign_waves, counts, wave_sizes
from shared.firmware.tasks import CAMPAIGN_WORKFLOW, execution_name
from shared.ports import PresignedRequest, StoredObject
from shared.storage.buckets import FIRMWARE_IMAGES

if TYPE_CHECKING:
    from shared.wiring import Platform

MAX_CAMPAIGN_STATIONS = 5000
_STATION_PAGE = 100


@dataclass(frozen=True)
class RegisteredFirmware:
    firmware: Firmware
    upload: PresignedRequest


@dataclass(frozen=True)
class CampaignReport:
    campaign: Campaign
    counts: dict[str, int]
    stations: list[CampaignStation]
    next_cursor: str | None


def _bucket(platform: Platform) -> str:
    return platform.settings.bucket_name(FIRMWARE_IMAGES)


def _upload_url(platform: Platform, firmware: Firmware) -> PresignedRequest:
    return platform.objects.presign_upload(
        _bucket(platform),
        firmware.object_key,
        platform.settings.firmware_upload_url_seconds,
        sha256_hex=firmware.checksum_sha256,
    )


def register_firmware(
    platform: Platform,
    principal: Principal,
    *,
    firmware_id: str | None,
    version: str,
    vendor: str,
    models: list[str],
    checksum_sha256: str,
    size_bytes: int | None,
    description: str | None,
    signing_certificate: str | None,
    signature: str | None,
) -> RegisteredFirmware:
    firmware_id = firmware_id or f"fw-{secrets.token_hex(6)}"
    firmware = Firmware(
        tenant_id=principal.tenant_id,
        firmware_id=firmware_id,
        version=version,
        vendor=vendor,
        models=sorted(set(models)),
        checksum_sha256=checksum_sha256.lower(),
        size_bytes=size_bytes,
        description=description,
        signing_certificate=signing_certificate,
        signature=signature,
        object_key=firmware_object_key(principal.tenant_id, firmware_id),
        created_at=platform.clock(),
    )
    platform.firmware.create(firmware)
    return RegisteredFirmware(firmware, _upload_url(platform, firmware))


def new_upload_url(platform: Platform, principal: Principal, firmware_id: str) -> RegisteredFirmware:
    firmware = platform.firmware.get(principal.tenant_id, firmware_id)
    return RegisteredFirmware(firmware, _upload_url(platform, firmware))


def get_firmware(
    platform: Platform, principal: Principal, firmware_id: str
) -> tuple[Firmware, StoredObject | None]:
    firmware = platform.firmware.get(principal.tenant_id, firmware_id)
    return firmware, platform.objects.head(_bucket(platform), firmware.object_key)


def _require_image(platform: Platform, firmware: Firmware) -> None:
    image = platform.objects.head(_bucket(platform), firmware.object_key)
    if image is None:
        raise ConflictError(
            f"firmware {firmware.firmware_id} has no image yet: upload it to its upload URL first"
        )
    if image.sha256_hex is not None and image.sha256_hex.lower() != firmware.checksum_sha256:
        raise ConflictError(
            f"firmware {firmware.firmware_id}: the uploaded image's SHA-256 {image.sha256_hex} is not the "
            f"registered {firmware.checksum_sha256}"
        )


# --- campaigns --------------------------------------------------------------------------------------


def _tenant_stations(platform: Platform, principal: Principal, site_id: str | None) -> list[Station]:
    found: list[Station] = []
    cursor: str | None = None
    while True:
        page, cursor = platform.stations.list_for_tenant(principal.tenant_id, _STATION_PAGE, cursor, site_id)
        found.extend(page)
        if cursor is None:
            return found


def _matches(station: Station, target: CampaignTarget) -> bool:
    charger = station.charger
    if target.site_id is not None and station.site_id != target.site_id:
        return False
    if target.vendor is not None and (
        charger is None or charger.vendor.casefold() != target.vendor.casefold()
    ):
        return False
    if target.model is not None and (charger is None or charger.model.casefold() != target.model.casefold()):
        return False
    return target.firmware_version is None or (
        charger is not None and charger.firmware_version == target.firmware_version
    )


def _describe(station: Station) -> str:
    if station.charger is None:
        return f"{station.station_id} (never booted: model unknown)"
    return f"{station.station_id} ({station.charger.vendor} {station.charger.model})"


def _targets(
    platform: Platform, principal: Principal, firmware: Firmware, target: CampaignTarget
) -> list[Station]:
    """Explicit ids must all exist and be compatible (else 400 naming them); filters select the
    compatible stations among the tenant's."""
    if target.station_ids:
        stations: list[Station] = []
        missing: list[str] = []
        for station_id in dict.fromkeys(target.station_ids):
            station = platform.stations.get(station_id)
            if station is None or station.tenant_id != principal.tenant_id:
                missing.append(station_id)
            elif _matches(station, target.model_copy(update={"station_ids": None})):
                stations.append(station)
        if missing:
            raise InvalidRequestError(f"target.stationIds: no station {', '.join(missing[:20])}")
        incompatible = [s for s in stations if not firmware.supports(*_vendor_model(s))]
        if incompatible:
            raise InvalidRequestError(
                f"target.stationIds: firmware {firmware.firmware_id} ({firmware.vendor} "
                f"{', '.join(firmware.models)}) does not fit "
                + ", ".join(_describe(station) for station in incompatible[:20])
            )
    else:
        stations = [
            station
            for station in _tenant_stations(platform, principal, target.site_id)
            if _matches(station, target) and firmware.supports(*_vendor_model(station))
        ]
    if not stations:
        raise InvalidRequestError(
            f"target: no station of this tenant matches it and fits firmware {firmware.firmware_id} "
            f"({firmware.vendor} {', '.join(firmware.models)})"
        )
    if len(stations) > MAX_CAMPAIGN_STATIONS:
        raise InvalidRequestError(
            f"target: {len(stations)} stations; a campaign takes at most {MAX_CAMPAIGN_STATIONS}"
        )
    return stations


def _vendor_model(station: Station) -> tuple[str | None, str | None]:
    return (station.charger.vendor, station.charger.model) if station.charger else (None, None)


def _time_zones(
    platform: Platform, principal: Principal, stations: list[Station], fallback: str
) -> dict[str, str]:
    zones: dict[str, str] = {}
    for site_id in {station.site_id for station in stations if station.site_id}:
        site = platform.sites.find(principal.tenant_id, site_id)
        if site is not None:
            zones[site_id] = site.timezone
    return {station.station_id: zones.get(station.site_id or "", fallback) for station in stations}


def create_campaign(
    platform: Platform,
    principal: Principal,
    *,
    firmware_id: str,
    target: CampaignTarget,
    canary_size: int,
    max_concurrent: int,
    failure_threshold_percent: float,
    wave_growth: float,
    window: UpdateWindow | None,
    station_timeout_seconds: int,
    retries: int | None,
    retry_interval_seconds: int | None,
) -> CampaignReport:
    firmware = platform.firmware.find(principal.tenant_id, firmware_id)
    if firmware is None:
        raise InvalidRequestError(f"firmwareId: no firmware {firmware_id}")
    _require_image(platform, firmware)
    stations = _targets(platform, principal, firmware, target)
    now = platform.clock()
    campaign_id = new_campaign_id()
    zones = _time_zones(platform, principal, stations, window.time_zone if window else "UTC")
    waves = assign_waves(len(stations), canary_size, wave_growth)
    items = []
    for position, (station, wave) in enumerate(zip(stations, waves, strict=True)):
        item = CampaignStation(
            campaign_id=campaign_id,
            station_id=station.station_id,
            tenant_id=principal.tenant_id,
            wave=wave,
            position=position,
            time_zone=zones[station.station_id],
            history=[HistoryEntry(at=now, state=StationUpdateState.PENDING.value, detail=f"wave {wave}")],
        )
        running = station.charger.firmware_version if station.charger else None
        if running == firmware.version:
            item = item.model_copy(
                update={
                    "state": StationUpdateState.SKIPPED,
                    "detail": f"already runs {running}",
                    "finished_at": now,
                    "history": [HistoryEntry(at=now, state="skipped", detail=f"already runs {running}")],
                }
            )
        items.append(item)
    campaign = Campaign(
        campaign_id=campaign_id,
        tenant_id=principal.tenant_id,
        firmware_id=firmware.firmware_id,
        firmware_version=firmware.version,
        target=target,
        canary_size=canary_size,
        max_concurrent=max_concurrent,
        failure_threshold_percent=failure_threshold_percent,
        wave_growth=wave_growth,
        window=window,
        station_timeout_seconds=station_timeout_seconds,
        retries=retries,
        retry_interval_seconds=retry_interval_seconds,
        total_stations=len(items),
        wave_count=len(wave_sizes(len(items), canary_size, wave_growth)),
        created_at=now,
        history=[HistoryEntry(at=now, state=CampaignStatus.CREATED.value, detail=None)],
    )
    platform.campaigns.create(campaign, items)
    return CampaignReport(campaign, counts(items), items[:50], None)


def _driver_input(campaign: Campaign) -> dict[str, object]:
    return {"tenantId": campaign.tenant_id, "campaignId": campaign.campaign_id, "generation": 0, "loops": 0}


_ACTIONS: dict[str, tuple[CampaignStatus, frozenset[CampaignStatus]]] = {
    "start": (CampaignStatus.RUNNING, frozenset({CampaignStatus.CREATED})),
    "pause": (CampaignStatus.PAUSED, frozenset({CampaignStatus.RUNNING})),
    "resume": (CampaignStatus.RUNNING, frozenset({CampaignStatus.PAUSED})),
    "cancel": (
        CampaignStatus.CANCELLED,
        frozenset({CampaignStatus.CREATED, CampaignStatus.RUNNING, CampaignStatus.PAUSED}),
    ),
}


def change_campaign(platform: Platform, principal: Principal, campaign_id: str, action: str) -> Campaign:
    """start (the driver begins), pause (no new station starts; those updating go on), resume, cancel (no
    new station starts; the driver marks the others skipped, those updating record their outcome)."""
    current = platform.campaigns.get(principal.tenant_id, campaign_id)
    status, allowed = _ACTIONS[action]
    now = platform.clock()
    moved = platform.campaigns.set_status(
        campaign_id, status, allowed, now, f"{action} by {principal.subject}"
    )
    if moved is None:
        latest = platform.campaigns.get(principal.tenant_id, campaign_id)
        raise ConflictError(
            f"campaign {campaign_id} is {latest.status.value}: {action} applies to a "
            f"{' or '.join(sorted(s.value for s in allowed))} campaign"
        )
    if action == "start" or (action == "cancel" and current.status is CampaignStatus.CREATED):
        # A cancelled campaign that never started still needs its driver once, to mark its stations.
        try:
            platform.starter.start(CAMPAIGN_WORKFLOW, execution_name(campaign_id, "d0"), _driver_input(moved))
        except Exception:
            platform.campaigns.set_status(
                campaign_id, current.status, frozenset({status}), platform.clock(), "the driver did not start"
            )
            raise
    return moved


def campaign_report(
    platform: Platform, principal: Principal, campaign_id: str, limit: int, cursor: str | None
) -> CampaignReport:
    campaign = platform.campaigns.get(principal.tenant_id, campaign_id)
    everything = platform.campaigns.stations(campaign_id)
    page, next_cursor = platform.campaigns.stations_page(campaign_id, limit, cursor)
    return CampaignReport(campaign, counts(everything), sorted(page, key=lambda s: s.position), next_cursor)
