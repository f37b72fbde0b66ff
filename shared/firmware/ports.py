"""What firmware and diagnostics need from storage: implemented by ``shared/storage/firmware.py`` and
``shared/storage/diagnostics.py``; tests may pass fakes."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from shared.firmware.models import (
    ActiveDiagnostics,
    Campaign,
    CampaignStation,
    CampaignStatus,
    DiagnosticsRequest,
    DiagnosticsStatus,
    Firmware,
    StationUpdate,
    StationUpdateState,
    UpdateOutcome,
    WaitReason,
)


class FirmwareCatalogue(Protocol):
    def create(self, firmware: Firmware) -> None: ...

    def find(self, tenant_id: str, firmware_id: str) -> Firmware | None: ...

    def get(self, tenant_id: str, firmware_id: str) -> Firmware: ...

    def list_for_tenant(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Firmware], str | None]: ...


class StationUpdates(Protocol):
    """A station's update in progress, and its campaign's record of the station: what the station's
    notifications touch."""

    def active_update(self, station_id: str) -> StationUpdate | None: ...

    def report_outcome(self, update: StationUpdate, outcome: UpdateOutcome) -> str | None: ...

    def record_station(
        self,
        campaign_id: str,
        station_id: str,
        state: StationUpdateState,
        now: datetime,
        detail: str | None,
        *,
        waiting: WaitReason | None = None,
        firmware_status: str | None = None,
        history: bool = True,
        only_if_unstarted: bool = False,
    ) -> bool: ...


class CampaignStore(StationUpdates, Protocol):
    def create(self, campaign: Campaign, stations: Sequence[CampaignStation]) -> None: ...

    def find(self, campaign_id: str) -> Campaign | None: ...

    def get(self, tenant_id: str, campaign_id: str) -> Campaign: ...

    def list_for_tenant(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Campaign], str | None]: ...

    def set_status(
        self,
        campaign_id: str,
        status: CampaignStatus,
        allowed_from: frozenset[CampaignStatus],
        now: datetime,
        detail: str | None = None,
    ) -> Campaign | None: ...

    def stations(self, campaign_id: str) -> list[CampaignStation]: ...

    def stations_page(
        self, campaign_id: str, limit: int, cursor: str | None
    ) -> tuple[list[CampaignStation], str | None]: ...

    def station(self, campaign_id: str, station_id: str) -> CampaignStation | None: ...

    def claim_start(
        self, campaign_id: str, station_id: str, now: datetime, deadline: datetime
    ) -> CampaignStation | None: ...

    def begin_update(self, update: StationUpdate, now: datetime) -> StationUpdate | None: ...

    def await_update(self, station_id: str, campaign_id: str, task_token: str) -> bool: ...

    def end_update(self, station_id: str, campaign_id: str, task_token: str | None = None) -> bool: ...


class DiagnosticsStore(Protocol):
    def create(self, request: DiagnosticsRequest, active: ActiveDiagnostics, now: datetime) -> None: ...

    def get(
        self, station_id: str, registration_id: str, requested_at: datetime, request_id: int
    ) -> DiagnosticsRequest | None: ...

    def list_for_station(
        self, station_id: str, registration_id: str, limit: int, cursor: str | None
    ) -> tuple[list[DiagnosticsRequest], str | None]: ...

    def record(
        self,
        request: DiagnosticsRequest | ActiveDiagnostics,
        status: DiagnosticsStatus,
        now: datetime,
        detail: str | None = None,
        *,
        file_name: str | None = None,
        size_bytes: int | None = None,
    ) -> bool: ...

    def active(self, station_id: str, registration_id: str) -> ActiveDiagnostics | None: ...

    def await_upload(self, active: ActiveDiagnostics, task_token: str) -> bool: ...

    def report(self, active: ActiveDiagnostics, status: str) -> str | None: ...

    def end_active(self, active: ActiveDiagnostics, task_token: str | None = None) -> bool: ...
