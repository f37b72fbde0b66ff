"""Charging profiles as the transport carries them, protocol-neutral: what the platform sends
(SetChargingProfile), what a station holds (kept when it accepts, or when it reports them), and what
clears them. What to send is decided elsewhere (the site allocator); this is the shape both protocols map
to and from (1.6: one schedule, ChargePointMaxProfile; 2.0.1: up to three schedules, each with an id)."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, model_validator

from shared.domain.base import DomainModel, UtcDatetime


class ProfilePurpose(StrEnum):
    STATION_MAX = "ChargingStationMaxProfile"
    """1.6 ChargePointMaxProfile."""
    TX_DEFAULT = "TxDefaultProfile"
    TX = "TxProfile"
    EXTERNAL_CONSTRAINTS = "ChargingStationExternalConstraints"
    """2.0.1 only: limits set by an external system (only ever reported, never sent)."""


class ProfileKind(StrEnum):
    ABSOLUTE = "Absolute"
    RECURRING = "Recurring"
    RELATIVE = "Relative"


class SchedulePeriod(DomainModel):
    start_period: int = Field(ge=0)
    """Seconds from the schedule's start."""
    limit: float = Field(ge=0)
    number_phases: int | None = Field(default=None, ge=1, le=3)
    phase_to_use: int | None = Field(default=None, ge=1, le=3)


class ChargingSchedule(DomainModel):
    id: int = Field(default=1, ge=0)
    start_schedule: UtcDatetime | None = None
    duration: int | None = Field(default=None, ge=0)
    rate_unit: str = Field(pattern="^(A|W)$")
    periods: list[SchedulePeriod] = Field(min_length=1, max_length=1024)
    min_charging_rate: float | None = Field(default=None, ge=0)


class ChargingProfile(DomainModel):
    id: int = Field(ge=0)
    stack_level: int = Field(ge=0)
    purpose: ProfilePurpose
    kind: ProfileKind
    recurrency: str | None = Field(default=None, pattern="^(Daily|Weekly)$")
    valid_from: UtcDatetime | None = None
    valid_to: UtcDatetime | None = None
    transaction_id: str | None = None
    """TxProfile: the transaction it is for (a 1.6 station's is an integer)."""
    schedules: list[ChargingSchedule] = Field(min_length=1, max_length=3)

    @model_validator(mode="after")
    def _consistent(self) -> ChargingProfile:
        if self.kind is ProfileKind.RECURRING and self.recurrency is None:
            raise ValueError("recurrency: a Recurring profile says Daily or Weekly")
        if self.transaction_id is not None and self.purpose is not ProfilePurpose.TX:
            raise ValueError("transactionId: only a TxProfile names a transaction")
        return self


class InstalledProfile(DomainModel):
    """A profile a station holds on one EVSE (0: the station as a whole)."""

    evse_id: int = Field(ge=0)
    profile: ChargingProfile
    source: str
    """SetChargingProfile (accepted), or ReportChargingProfiles (the station reported it)."""
    charging_limit_source: str | None = None
    """2.0.1: who set it (CSO, EMS, SO, Other)."""
    recorded_at: UtcDatetime


class ProfileCriteria(DomainModel):
    """Which profiles a ClearChargingProfile removes: by id, or by any combination of the rest."""

    profile_id: int | None = None
    evse_id: int | None = Field(default=None, ge=0)
    purpose: ProfilePurpose | None = None
    stack_level: int | None = Field(default=None, ge=0)

    def matches(self, installed: InstalledProfile) -> bool:
        if self.profile_id is not None:
            return installed.profile.id == self.profile_id
        return (
            (self.evse_id is None or installed.evse_id == self.evse_id)
            and (self.purpose is None or installed.profile.purpose is self.purpose)
            and (self.stack_level is None or installed.profile.stack_level == self.stack_level)
        )


class CompositeScheduleQuery(DomainModel):
    evse_id: int = Field(ge=0)
    duration: int = Field(ge=1)
    rate_unit: str | None = Field(default=None, pattern="^(A|W)$")
