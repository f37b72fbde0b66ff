"""What a station's answer to a CSMS-initiated call changes in the platform's picture of it, in neutral
terms. Each protocol reads its answers into these (``effects_of`` in ``shared/ocpp/<version>/mappers.py``);
``shared.charging.command_effects`` applies them to storage. So a 2.0.1 SetVariables and a 1.6
ChangeConfiguration that were accepted update the same stored variable, whatever the wire said."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

from shared.domain.charging_profiles import InstalledProfile, ProfileCriteria
from shared.domain.device_model import DeviceVariable
from shared.domain.local_lists import LocalListPush


@dataclass(frozen=True)
class VariablesObserved:
    """Values read (GetVariables, GetConfiguration) or written and accepted (SetVariables,
    ChangeConfiguration)."""

    variables: tuple[DeviceVariable, ...]


@dataclass(frozen=True)
class LocalListApplied:
    push: LocalListPush


@dataclass(frozen=True)
class LocalListVersionReported:
    version: int


@dataclass(frozen=True)
class ReservationAnswered:
    reservation_id: int
    accepted: bool
    station_answer: str


@dataclass(frozen=True)
class ReservationCancelled:
    reservation_id: int


@dataclass(frozen=True)
class AvailabilitySet:
    evse_id: int
    """0: the station as a whole."""
    connector_id: int | None
    operative: bool
    scheduled: bool


@dataclass(frozen=True)
class ProfileInstalled:
    installed: InstalledProfile


@dataclass(frozen=True)
class ProfilesCleared:
    criteria: ProfileCriteria


CommandEffect: TypeAlias = (
    VariablesObserved
    | LocalListApplied
    | LocalListVersionReported
    | ReservationAnswered
    | ReservationCancelled
    | AvailabilitySet
    | ProfileInstalled
    | ProfilesCleared
)
