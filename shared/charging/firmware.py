"""Firmware management (OCPP 1.6's profile of that name; 2.0.1's FirmwareManagement and Diagnostics
blocks): what a station reports about a firmware update or a log upload, in neutral terms.

A firmware update in progress (``shared.firmware.models.StationUpdate``) waits on a task token: the
station's Installed or failure status completes it, and so does a boot that reports the target version
(the Installed notification may be lost in the reboot). Intermediate statuses move the station's state in
its campaign (downloading, installing). A log upload in progress completes its token on Uploaded or a
failure. Every notification is also kept for operators (``StationMessages``), and a failure without a
campaign raises FirmwareUpdateFailed (the campaign's own failures are announced by its workflow).
"""

from __future__ import annotations

from datetime import datetime

from shared.charging.station_messages import StationMessages
from shared.domain.events import FirmwareUpdateFailed
from shared.domain.stations import ChargerInfo, StationContext
from shared.firmware.models import DiagnosticsStatus, StationUpdate, StationUpdateState, UpdateOutcome
from shared.firmware.ports import DiagnosticsStore, StationUpdates
from shared.firmware.status import FirmwarePhase, UploadPhase, firmware_phase, upload_phase
from shared.observability import logger
from shared.ports import Clock, EventPublisher, WorkflowCallbacks

_PHASE_STATES = {
    FirmwarePhase.DOWNLOADING: StationUpdateState.DOWNLOADING,
    FirmwarePhase.INSTALLING: StationUpdateState.INSTALLING,
}


class FirmwareManagement:
    def __init__(
        self,
        updates: StationUpdates,
        diagnostics: DiagnosticsStore,
        workflows: WorkflowCallbacks,
        events: EventPublisher,
        messages: StationMessages,
        clock: Clock,
    ) -> None:
        self._updates = updates
        self._diagnostics = diagnostics
        self._workflows = workflows
        self._events = events
        self._messages = messages
        self._clock = clock

    # --- firmware -----------------------------------------------------------------------------------

    def firmware_status(
        self, station: StationContext, status: str, ocpp_message_id: str, request_id: int | None = None
    ) -> None:
        self._messages.keep(
            station,
            "FirmwareStatusNotification",
            ocpp_message_id,
            {"status": status, "requestId": request_id},
        )
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

    def upload_status(
        self, station: StationContext, status: str, ocpp_message_id: str, request_id: int | None = None
    ) -> None:
        kind = "DiagnosticsStatusNotification"
        self._messages.keep(station, kind, ocpp_message_id, {"status": status, "requestId": request_id})
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
