"""Firmware management (OCPP 1.6's profile of that name; 2.0.1's FirmwareManagement and Diagnostics
blocks): what a station reports about a firmware update or a log upload, in neutral terms.

A firmware update in progress (``shared.firmware.models.StationUpdate``) waits on a task token: the
station's Installed or failure status completes it, and so does a boot that reports the target version
(the Installed notification may be lost in the reboot). Intermediate statuses move the station's state in
its campaign (downloading, installing). A log upload in progress completes its token on Uploaded or a
failure. Every notification is also kept for operators (``StationMessages``) and as the station's current
firmware / log status (``DeviceStatus``), and a failure without a campaign raises FirmwareUpdateFailed
(the campaign's own failures are announced by its workflow).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.charging.station_messages import StationMessages
from shared.domain.events import FirmwareUpdateFailed
from shared.domain.stations import ChargerInfo, DeviceStatus, StationContext
from shared.firmware.models import DiagnosticsStatus, StationUpdate, StationUpdateState, UpdateOutcome
from shared.firmware.ports import DiagnosticsStore, StationUpdates
from shared.firmware.status import FirmwarePhase, UploadPhase, firmware_phase, upload_phase
from shared.observability import logger
from shared.ports import Clock, EventPublisher, StationStore, WorkflowCallbacks

_PHASE_STATES = {
    FirmwarePhase.DOWNLOADING: StationUpdateState.DOWNLOADING,
    FirmwarePhase.INSTALLING: StationUpdateState.INSTALLING,
}


class FirmwareManagement:
    def __init__(
        self,
        stations: StationStore,
        updates: StationUpdates,
        diagnostics: DiagnosticsStore,
        workflows: WorkflowCallbacks,
        events: EventPublisher,
        messages: StationMessages,
        clock: Clock,
    ) -> None:
        self._stations = stations
        self._updates = updates
        self._diagnostics = diagnostics
        self._workflows = workflows
        self._events = events
        self._messages = messages
        self._clock = clock

    # --- firmware -----------------------------------------------------------------------------------

    def firmware_status(
        self,
        station: StationContext,
        message_id: str,
        status: str,
        request_id: int | None,
        kept: dict[str, Any],
    ) -> None:
        """``kept``: the notification as the operator sees it in the station's messages."""
        self._record(station, "firmware", "FirmwareStatusNotification", message_id, status, request_id, kept)
        phase = firmware_phase(status)
        update = self._update_of(station)
        now = self._clock()
        if update is None:
            if phase is FirmwarePhase.FAILED:
                self._events.publish(
                    [
                        FirmwareUpdateFailed(
                            tenant_id=station.tenant_id,
                            station_id=station.station_id,
                            occurred_at=now,
                            status=status,
                        )
                    ]
                )
            return
        if phase in _PHASE_STATES:
            self._updates.record_station(
                update.campaign_id,
                station.station_id,
                _PHASE_STATES[phase],
                now,
                None,
                firmware_status=status,
            )
        elif phase is FirmwarePhase.INSTALLED or phase is FirmwarePhase.FAILED:
            outcome = "installed" if phase is FirmwarePhase.INSTALLED else "failed"
            self._complete(
                update,
                UpdateOutcome(outcome=outcome, status=status, via="FirmwareStatusNotification", at=now),
            )

    def booted(self, station: StationContext, charger: ChargerInfo, now: datetime) -> None:
        """A station that boots into the version being installed has installed it."""
        update = self._update_of(station)
        if update is None or charger.firmware_version != update.target_version:
            return
        self._complete(
            update, UpdateOutcome(outcome="installed", status="Installed", via="BootNotification", at=now)
        )

    def _update_of(self, station: StationContext) -> StationUpdate | None:
        update = self._updates.active_update(station.station_id)
        if update is None or update.registration_id != station.registration_id:
            return None  # none, or left over from a registration since deleted
        return update

    def _complete(self, update: StationUpdate, outcome: UpdateOutcome) -> None:
        token = self._updates.report_outcome(update, outcome)
        if token is not None:
            self._workflows.succeed(token, outcome.task_output())
        else:
            logger.info(
                "firmware outcome kept for the waiting task",
                extra={"stationId": update.station_id, "campaignId": update.campaign_id},
            )

    # --- diagnostics --------------------------------------------------------------------------------

    def log_status(
        self,
        station: StationContext,
        action: str,
        message_id: str,
        status: str,
        request_id: int | None,
        kept: dict[str, Any],
    ) -> None:
        """1.6 DiagnosticsStatusNotification and 2.0.1 LogStatusNotification: one neutral state."""
        self._record(station, "diagnostics", action, message_id, status, request_id, kept)
        active = self._diagnostics.active(station.station_id, station.registration_id)
        if active is None or (request_id is not None and request_id != active.request_id):
            return
        phase = upload_phase(status)
        if phase is UploadPhase.UPLOADING:
            self._diagnostics.record(active, DiagnosticsStatus.UPLOADING, self._clock(), status)
        elif phase in (UploadPhase.UPLOADED, UploadPhase.FAILED):
            token = self._diagnostics.report(active, status)
            if token is not None:
                self._workflows.succeed(token, {"status": status, "phase": phase.value})

    def _record(
        self,
        station: StationContext,
        kind: str,
        action: str,
        message_id: str,
        status: str,
        request_id: int | None,
        kept: dict[str, Any],
    ) -> None:
        self._stations.record_device_status(
            station.station_id,
            station.registration_id,
            kind,
            DeviceStatus(status=status, request_id=request_id, reported_at=self._clock()),
        )
        self._messages.keep(station, action, message_id, kept)
