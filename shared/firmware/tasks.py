"""The Lambda tasks of the firmware and diagnostics workflows (``shared/workflows/firmware.py``).

Every task takes ``{"task": <name>, "state": <the execution's state>}`` (and ``taskToken`` when the state
waits for one) and returns what the workflow's next Choice reads. Tasks are idempotent: Step Functions
may run a Lambda task twice, and a station's record refuses to leave its final state.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from typing import Any

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.errors import InvalidRequestError
from shared.domain.events import FirmwareUpdateFailed
from shared.domain.firmware import FirmwareUpdate, LogUpload
from shared.domain.stations import Station
from shared.firmware.models import (
    Campaign,
    CampaignStation,
    CampaignStatus,
    DiagnosticsRequest,
    DiagnosticsStatus,
    StationUpdate,
    StationUpdateState,
    WaitReason,
    seconds_until,
)
from shared.firmware.ports import CampaignStore, DiagnosticsStore, FirmwareCatalogue
from shared.firmware.rules import plan_advance
from shared.firmware.status import UploadPhase
from shared.observability import logger
from shared.ocpp.plugin import OutboundCall, OutboundMappers
from shared.ocpp.protocols import plugin_for
from shared.ports import (
    Clock,
    EventPublisher,
    ObjectStorage,
    SessionStore,
    StationStore,
    WorkflowCallbacks,
    WorkflowStarter,
)
from shared.settings import Settings
from shared.storage.buckets import DIAGNOSTICS_UPLOADS, FIRMWARE_IMAGES

CAMPAIGN_WORKFLOW = "firmware_campaign"
STATION_UPDATE_WORKFLOW = "firmware_station_update"
DIAGNOSTICS_WORKFLOW = "station_diagnostics"
MAX_DRIVER_LOOPS = 1000
"""A Standard execution holds at most 25,000 history events (about 11 per driver loop): the driver goes on
as a new execution before that."""
DOWNLOAD_URL_MARGIN_SECONDS = 3600
"""A station may still be downloading when its deadline passes; its URL outlives the deadline by this."""
_EXECUTION_NAME = re.compile(r"[^A-Za-z0-9_-]")


def execution_name(*parts: str) -> str:
    """Step Functions execution names: 1-80 of [A-Za-z0-9-_]; a station id may hold more (``*=+|@.``), so
    a digest keeps names of different ids apart."""
    text = "-".join(parts)
    safe = _EXECUTION_NAME.sub("_", text)
    if safe == text and len(text) <= 80:
        return text
    digest = hashlib.sha256(text.encode()).hexdigest()[:10]
    return f"{safe[:69]}-{digest}"


def request_id_for(*parts: str) -> int:
    """A stable OCPP requestId (2.0.1: a positive int32) for one station's update."""
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest()[:8], 16) % (2**31 - 1) + 1


class DriverState(DomainModel):
    tenant_id: str
    campaign_id: str
    generation: int = 0
    loops: int = 0


class StationTaskState(DomainModel):
    tenant_id: str
    campaign_id: str
    station_id: str
    prepared: dict[str, Any] | None = None
    sent: dict[str, Any] | None = None
    installation: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


def log_upload(request: DiagnosticsRequest, location: str) -> LogUpload:
    """The neutral upload a diagnostics request asks the station for (each protocol maps it)."""
    return LogUpload(
        request_id=request.request_id,
        log_type=f"{request.log_type}Log",
        location=location,
        oldest=request.start_time,
        latest=request.stop_time,
        retries=request.retries,
        retry_interval=request.retry_interval_seconds,
    )


def _mappers(station: Station) -> OutboundMappers:
    if station.protocol is None:
        raise InvalidRequestError(
            f"station {station.station_id} has never connected: its protocol is unknown"
        )
    return plugin_for(station.protocol).mappers


def _call_document(call: OutboundCall) -> dict[str, Any]:
    return {"action": call.action, "payload": call.payload}


def _error_text(error: dict[str, Any] | None) -> str:
    if not error:
        return "unknown error"
    return f"{error.get('Error', 'Error')}: {str(error.get('Cause', ''))[:300]}"


class FirmwareTasks:
    def __init__(
        self,
        *,
        campaigns: CampaignStore,
        catalogue: FirmwareCatalogue,
        stations: StationStore,
        sessions: SessionStore,
        objects: ObjectStorage,
        starter: WorkflowStarter,
        workflows: WorkflowCallbacks,
        events: EventPublisher,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._campaigns = campaigns
        self._catalogue = catalogue
        self._stations = stations
        self._sessions = sessions
        self._objects = objects
        self._starter = starter
        self._workflows = workflows
        self._events = events
        self._settings = settings
        self._clock = clock

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        task = event.get("task")
        state = event.get("state") or {}
        if task == "advance":
            return self.advance(DriverState.model_validate(state))
        if task == "prepare":
            return self.prepare(StationTaskState.model_validate(state))
        if task == "await":
            return self.await_installation(str(event["taskToken"]), StationTaskState.model_validate(state))
        if task == "finish":
            return self.finish(StationTaskState.model_validate(state))
        raise InvalidRequestError(f"task: {task!r} is not a firmware task")

    # --- the campaign driver ------------------------------------------------------------------------

    def advance(self, state: DriverState) -> dict[str, Any]:
        """Halts, completes or finishes the campaign when its stations say so, starts the stations that may
        start now, and says how long to wait before looking again."""
        out = state.to_document()
        campaign = self._campaigns.find(state.campaign_id)
        if campaign is None or campaign.tenant_id != state.tenant_id:
            return {**out, "decision": "end", "waitSeconds": 0}
        tick = self._settings.firmware_campaign_tick_seconds
        now = self._clock()
        stations = self._campaigns.stations(campaign.campaign_id)
        plan = plan_advance(campaign, stations, now, tick)
        # The stations first, then the status: a halted campaign never shows stations still pending, and
        # a driver cut off between the two halts again next tick (a halted one would skip none).
        for station in plan.skip:
            self._campaigns.record_station(
                campaign.campaign_id,
                station.station_id,
                StationUpdateState.SKIPPED,
                now,
                plan.skip_detail,
                only_if_unstarted=True,
            )
        if plan.new_status is not None:
            moved = self._campaigns.set_status(
                campaign.campaign_id,
                plan.new_status,
                frozenset({CampaignStatus.RUNNING, CampaignStatus.PAUSED}),
                now,
                plan.status_detail,
            )
            if moved is None:  # paused, resumed or cancelled meanwhile: look again
                return {**out, "decision": "wait", "waitSeconds": tick, "loops": state.loops + 1}
        if plan.finished:
            return {**out, "decision": "end", "waitSeconds": 0}
        started = 0
        for candidate in plan.candidates:
            if started >= plan.free_slots:
                break
            if self._start_station(campaign, candidate, now):
                started += 1
        loops = state.loops + 1
        if loops >= MAX_DRIVER_LOOPS:
            following = state.model_copy(update={"generation": state.generation + 1, "loops": 0})
            self._starter.start(
                CAMPAIGN_WORKFLOW,
                execution_name(campaign.campaign_id, f"d{following.generation}"),
                following.to_document(),
            )
            return {**out, "decision": "end", "waitSeconds": 0}
        return {**out, "decision": "wait", "waitSeconds": plan.wait_seconds, "loops": loops}

    def _start_station(self, campaign: Campaign, candidate: CampaignStation, now: datetime) -> bool:
        station = self._stations.get(candidate.station_id)
        if station is None or station.tenant_id != campaign.tenant_id:
            self._campaigns.record_station(
                campaign.campaign_id,
                candidate.station_id,
                StationUpdateState.SKIPPED,
                now,
                "station deleted",
                only_if_unstarted=True,
            )
            return False
        if self._charging(station):
            detail = "charging: starts once the session has ended"
            if candidate.detail != detail:
                self._campaigns.record_station(
                    campaign.campaign_id,
                    candidate.station_id,
                    StationUpdateState.PENDING,
                    now,
                    detail,
                    only_if_unstarted=True,
                )
            return False
        deadline = now + timedelta(seconds=campaign.station_timeout_seconds)
        claimed = self._campaigns.claim_start(campaign.campaign_id, candidate.station_id, now, deadline)
        if claimed is None:
            return False
        self._starter.start(
            STATION_UPDATE_WORKFLOW,
            execution_name(campaign.campaign_id, candidate.station_id, str(claimed.attempts)),
            {
                "tenantId": campaign.tenant_id,
                "campaignId": campaign.campaign_id,
                "stationId": candidate.station_id,
            },
        )
        return True

    def _charging(self, station: Station) -> bool:
        return bool(self._sessions.active_for_station(station.station_id, station.registration_id))

    # --- one station's update -----------------------------------------------------------------------

    def prepare(self, state: StationTaskState) -> dict[str, Any]:
        """Decides whether the station's UpdateFirmware can go now (and maps it to the station's protocol),
        must wait (offline, charging, another campaign's update), or ends here."""
        item = self._campaigns.station(state.campaign_id, state.station_id)
        campaign = self._campaigns.find(state.campaign_id)
        if item is None or campaign is None or item.final:
            return {"next": "end"}
        now = self._clock()
        deadline = item.deadline_at or now
        if campaign.status is CampaignStatus.CANCELLED:
            return self._end(item, StationUpdateState.SKIPPED, "campaign cancelled")
        station = self._stations.get(state.station_id)
        if station is None or station.tenant_id != campaign.tenant_id:
            return self._end(item, StationUpdateState.SKIPPED, "station deleted")
        version = station.charger.firmware_version if station.charger else None
        if version == campaign.firmware_version:
            return self._end(item, StationUpdateState.INSTALLED, f"runs {version}")
        firmware = self._catalogue.find(campaign.tenant_id, campaign.firmware_id)
        if firmware is None:
            return self._end(item, StationUpdateState.SKIPPED, "firmware no longer in the catalogue")
        charging = self._charging(station)
        if now >= deadline:
            if station.connection is None:
                return self._end(item, StationUpdateState.OFFLINE, "offline until the deadline")
            if charging:
                return self._end(item, StationUpdateState.SKIPPED, "charging until the deadline")
            return self._end(
                item, StationUpdateState.FAILED, "UpdateFirmware not answered before the deadline"
            )
        if station.connection is None:
            return self._wait(item, "offline", "offline: waits for the station to reconnect", deadline, now)
        if charging:
            return self._wait(item, "charging", "charging: updates once the session has ended", deadline, now)
        holder = self._campaigns.begin_update(
            StationUpdate(
                station_id=station.station_id,
                tenant_id=station.tenant_id,
                registration_id=station.registration_id,
                campaign_id=campaign.campaign_id,
                target_version=campaign.firmware_version,
                deadline_at=deadline,
            ),
            now,
        )
        if holder is not None:
            return self._wait(item, "busy", f"campaign {holder.campaign_id} is updating it", deadline, now)
        location = self._objects.presign_download(
            self._settings.bucket_name(FIRMWARE_IMAGES),
            firmware.object_key,
            seconds_until(deadline, now) + DOWNLOAD_URL_MARGIN_SECONDS,
        )
        try:
            call = _mappers(station).update_firmware(
                FirmwareUpdate(
                    request_id=request_id_for(campaign.campaign_id, station.station_id),
                    location=location,
                    retrieve_at=now,
                    retries=campaign.retries,
                    retry_interval=campaign.retry_interval_seconds,
                    signing_certificate=firmware.signing_certificate,
                    signature=firmware.signature,
                )
            )
        except InvalidRequestError as error:
            self._campaigns.end_update(station.station_id, campaign.campaign_id)
            return self._end(item, StationUpdateState.FAILED, error.message)
        self._campaigns.record_station(
            campaign.campaign_id, station.station_id, StationUpdateState.PENDING, now, "UpdateFirmware sent"
        )
        return {
            "next": "send",
            "call": _call_document(call),
            "installTimeoutSeconds": max(1, seconds_until(deadline, now)),
        }

    def _wait(
        self, item: CampaignStation, reason: WaitReason, detail: str, deadline: datetime, now: datetime
    ) -> dict[str, Any]:
        self._campaigns.record_station(
            item.campaign_id,
            item.station_id,
            StationUpdateState.PENDING,
            now,
            detail,
            waiting=reason,
            history=item.detail != detail,
        )
        wait = min(self._settings.firmware_retry_seconds, max(1, seconds_until(deadline, now)))
        return {"next": "wait", "waitSeconds": max(1, wait)}

    def _end(self, item: CampaignStation, final: StationUpdateState, detail: str) -> dict[str, Any]:
        now = self._clock()
        self._campaigns.record_station(item.campaign_id, item.station_id, final, now, detail)
        self._campaigns.end_update(item.station_id, item.campaign_id)
        if final is StationUpdateState.FAILED:
            self._announce_failure(item, "Failed", detail)
        return {"next": "end", "state": final.value}

    def await_installation(self, task_token: str, state: StationTaskState) -> dict[str, Any]:
        """Parks the task token where the station's notifications find it; an outcome that arrived first
        completes the token at once."""
        if self._campaigns.await_update(state.station_id, state.campaign_id, task_token):
            return {"waiting": True}
        update = self._campaigns.active_update(state.station_id)
        if update is not None and update.campaign_id == state.campaign_id and update.reported is not None:
            self._campaigns.end_update(state.station_id, state.campaign_id)
            self._workflows.succeed(task_token, update.reported.task_output())
        else:
            self._workflows.fail(
                task_token, "Firmware.UpdateLost", "the station's update in progress is gone"
            )
        return {"waiting": False}

    def finish(self, state: StationTaskState) -> dict[str, Any]:
        """Records the station's final state from how its update ended."""
        if state.prepared is not None and state.prepared.get("next") == "end":
            return {"state": state.prepared.get("state")}
        item = self._campaigns.station(state.campaign_id, state.station_id)
        if item is None:
            return {"state": None}
        final, detail, status = self._outcome(state)
        now = self._clock()
        self._campaigns.record_station(
            state.campaign_id, state.station_id, final, now, detail, firmware_status=status
        )
        self._campaigns.end_update(state.station_id, state.campaign_id)
        if final is StationUpdateState.FAILED:
            self._announce_failure(item, status or "Failed", detail)
        return {"state": final.value}

    def _outcome(self, state: StationTaskState) -> tuple[StationUpdateState, str, str | None]:
        installation = state.installation or {}
        if installation.get("outcome") == "installed":
            return (
                StationUpdateState.INSTALLED,
                f"installed ({installation.get('via')})",
                installation.get("status"),
            )
        if installation.get("outcome") == "failed":
            status = str(installation.get("status"))
            return StationUpdateState.FAILED, f"the station reported {status}", status
        if installation.get("Error") == "States.Timeout":
            station = self._stations.get(state.station_id)
            if station is None:
                return StationUpdateState.SKIPPED, "station deleted", None
            if station.connection is None:
                return StationUpdateState.OFFLINE, "offline until the deadline", None
            item = self._campaigns.station(state.campaign_id, state.station_id)
            last = item.firmware_status if item else None
            return StationUpdateState.FAILED, f"not installed by the deadline (last status {last})", "Timeout"
        if installation.get("Error"):
            return StationUpdateState.FAILED, _error_text(installation), None
        sent = state.sent or {}
        if sent and sent.get("status") != "accepted":
            answer = sent.get("response") or sent.get("error")
            return (
                StationUpdateState.FAILED,
                f"UpdateFirmware {sent.get('status')}: {json.dumps(answer)[:300]}",
                None,
            )
        return StationUpdateState.FAILED, _error_text(state.error), None

    def _announce_failure(self, item: CampaignStation, status: str, detail: str) -> None:
        campaign = self._campaigns.find(item.campaign_id)
        self._events.publish(
            [
                FirmwareUpdateFailed(
                    tenant_id=item.tenant_id,
                    station_id=item.station_id,
                    occurred_at=self._clock(),
                    status=status,
                    campaign_id=item.campaign_id,
                    firmware_version=campaign.firmware_version if campaign else None,
                    detail=detail,
                )
            ]
        )


# --- diagnostics -------------------------------------------------------------------------------------


class DiagnosticsTaskState(DomainModel):
    tenant_id: str
    station_id: str
    registration_id: str
    request_id: int
    requested_at: UtcDatetime
    prepared: dict[str, Any] | None = None
    sent: dict[str, Any] | None = None
    answered: dict[str, Any] | None = None
    upload: dict[str, Any] | None = None
    error: dict[str, Any] | None = None


class DiagnosticsTasks:
    def __init__(
        self,
        *,
        store: DiagnosticsStore,
        stations: StationStore,
        objects: ObjectStorage,
        workflows: WorkflowCallbacks,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._store = store
        self._stations = stations
        self._objects = objects
        self._workflows = workflows
        self._settings = settings
        self._clock = clock

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        task = event.get("task")
        state = DiagnosticsTaskState.model_validate(event.get("state") or {})
        if task == "prepare":
            return self.prepare(state)
        if task == "answered":
            return self.answered(state)
        if task == "await":
            return self.await_upload(str(event["taskToken"]), state)
        if task == "finish":
            return self.finish(state)
        raise InvalidRequestError(f"task: {task!r} is not a diagnostics task")

    def _request(self, state: DiagnosticsTaskState) -> DiagnosticsRequest | None:
        return self._store.get(state.station_id, state.registration_id, state.requested_at, state.request_id)

    def prepare(self, state: DiagnosticsTaskState) -> dict[str, Any]:
        request = self._request(state)
        if request is None or request.final:
            return {"next": "end"}
        station = self._stations.get(state.station_id)
        if station is None or station.registration_id != state.registration_id:
            return self._end(request, DiagnosticsStatus.FAILED, "station deleted")
        if station.connection is None:
            return self._end(request, DiagnosticsStatus.OFFLINE, "the station is offline")
        now = self._clock()
        deadline = request.requested_at + timedelta(seconds=request.timeout_seconds)
        upload = self._objects.presign_upload(
            self._settings.bucket_name(DIAGNOSTICS_UPLOADS),
            request.object_key,
            max(60, seconds_until(deadline, now) + DOWNLOAD_URL_MARGIN_SECONDS),
        )
        try:
            call = _mappers(station).upload_log(log_upload(request, upload.url))
        except InvalidRequestError as error:
            return self._end(request, DiagnosticsStatus.FAILED, error.message)
        return {
            "next": "send",
            "call": _call_document(call),
            "timeoutSeconds": max(1, seconds_until(deadline, now)),
        }

    def answered(self, state: DiagnosticsTaskState) -> dict[str, Any]:
        request = self._request(state)
        sent = state.sent or {}
        if request is None or request.final:
            return {"next": "finish"}
        if sent.get("status") != "accepted":
            answer = json.dumps(sent.get("response") or sent.get("error"))[:300]
            self._store.record(
                request, DiagnosticsStatus.FAILED, self._clock(), f"{sent.get('status')}: {answer}"
            )
            return {"next": "finish"}
        station = self._stations.get(state.station_id)
        file_name = _mappers(station).diagnostics_file_name(sent.get("response") or {}) if station else None
        if file_name is None:
            self._store.record(request, DiagnosticsStatus.NO_DIAGNOSTICS, self._clock(), "nothing to upload")
            return {"next": "finish"}
        self._store.record(
            request, DiagnosticsStatus.REQUESTED, self._clock(), f"uploads {file_name}", file_name=file_name
        )
        return {"next": "await"}

    def await_upload(self, task_token: str, state: DiagnosticsTaskState) -> dict[str, Any]:
        active = self._store.active(state.station_id, state.registration_id)
        if active is None or active.request_id != state.request_id:
            self._workflows.fail(task_token, "Diagnostics.RequestLost", "the request in progress is gone")
            return {"waiting": False}
        if self._store.await_upload(active, task_token):
            return {"waiting": True}
        latest = self._store.active(state.station_id, state.registration_id)
        if latest is not None and latest.reported is not None:
            self._store.end_active(latest)
            phase = UploadPhase.UPLOADED if latest.reported == "Uploaded" else UploadPhase.FAILED
            self._workflows.succeed(task_token, {"status": latest.reported, "phase": phase.value})
        else:
            self._workflows.fail(task_token, "Diagnostics.RequestLost", "the request in progress is gone")
        return {"waiting": False}

    def finish(self, state: DiagnosticsTaskState) -> dict[str, Any]:
        request = self._request(state)
        if request is None:
            return {"status": None}
        if request.final:
            self._end_active(state)
            return {"status": request.status.value}
        status, detail, size = self._outcome(state, request)
        self._store.record(request, status, self._clock(), detail, size_bytes=size)
        self._end_active(state)
        return {"status": status.value}

    def _outcome(
        self, state: DiagnosticsTaskState, request: DiagnosticsRequest
    ) -> tuple[DiagnosticsStatus, str, int | None]:
        stored = self._objects.head(self._settings.bucket_name(DIAGNOSTICS_UPLOADS), request.object_key)
        upload = state.upload or {}
        if upload.get("phase") == UploadPhase.UPLOADED.value:
            if stored is None:
                return DiagnosticsStatus.FAILED, "the station reported Uploaded, but no file arrived", None
            return DiagnosticsStatus.UPLOADED, f"{stored.size_bytes} bytes", stored.size_bytes
        if stored is not None:  # the file is there even if its notification was lost
            return DiagnosticsStatus.UPLOADED, f"{stored.size_bytes} bytes", stored.size_bytes
        if upload.get("phase") == UploadPhase.FAILED.value:
            return DiagnosticsStatus.FAILED, f"the station reported {upload.get('status')}", None
        error = upload if upload.get("Error") else (state.error or {})
        code = error.get("Error")
        if code == "Command.Offline":
            return DiagnosticsStatus.OFFLINE, "the station is offline", None
        if code in ("Command.Timeout", "States.Timeout"):
            station = self._stations.get(state.station_id)
            if station is None or station.connection is None:
                return DiagnosticsStatus.OFFLINE, "offline until the deadline", None
            return DiagnosticsStatus.TIMEOUT, "no upload before the deadline", None
        return DiagnosticsStatus.FAILED, _error_text(error), None

    def _end(self, request: DiagnosticsRequest, status: DiagnosticsStatus, detail: str) -> dict[str, Any]:
        self._store.record(request, status, self._clock(), detail)
        active = self._store.active(request.station_id, request.registration_id)
        if active is not None and active.request_id == request.request_id:
            self._store.end_active(active)
        logger.info(
            "diagnostics request ended", extra={"requestId": request.request_id, "status": status.value}
        )
        return {"next": "end"}

    def _end_active(self, state: DiagnosticsTaskState) -> None:
        active = self._store.active(state.station_id, state.registration_id)
        if active is not None and active.request_id == state.request_id:
            self._store.end_active(active)
