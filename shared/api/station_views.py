"""Domain objects of the typed station endpoints to response bodies."""

from __future__ import annotations

from datetime import datetime

from shared.api import station_schemas as schemas
from shared.domain.charging_profiles import InstalledProfile
from shared.domain.device_model import DeviceVariable, ReportProgress
from shared.domain.local_lists import LocalListEntry, LocalListState
from shared.domain.reservations import Reservation


def reservation_view(reservation: Reservation, now: datetime) -> schemas.ReservationView:
    """A held reservation past its expiry reads as expired."""
    return schemas.ReservationView.model_validate(
        {**reservation.model_dump(), "status": reservation.effective_status(now)}
    )


def local_list_view(state: LocalListState, entries: list[LocalListEntry]) -> schemas.LocalListView:
    return schemas.LocalListView(
        version=state.version,
        reported_version=state.reported_version,
        accepted_at=state.accepted_at,
        reported_at=state.reported_at,
        entries=[
            schemas.LocalListEntryView(
                id_token=entry.id_token,
                id_token_type=entry.id_token_type,
                status=entry.info.status.value if entry.info else None,
                expires_at=entry.info.expires_at if entry.info else None,
                parent_id_token=entry.info.parent_id_token if entry.info else None,
            )
            for entry in entries
        ],
    )


def variable_view(variable: DeviceVariable) -> schemas.DeviceVariableView:
    return schemas.DeviceVariableView.model_validate(
        {
            **variable.model_dump(),
            "characteristics": variable.characteristics.to_document() if variable.characteristics else None,
        }
    )


def report_view(progress: ReportProgress) -> schemas.ReportProgressView:
    return schemas.ReportProgressView.model_validate(progress.model_dump())


def profile_view(installed: InstalledProfile) -> schemas.InstalledProfileView:
    return schemas.InstalledProfileView.model_validate(installed.model_dump())
