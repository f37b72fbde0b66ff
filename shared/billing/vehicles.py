"""A fleet's vehicles: what a fleet manager registers about each car of its billing account (the ID
tokens it charges with, its battery and the most current it takes), so sessions can be told apart by
vehicle and the car's own limit is known before it first draws."""

from __future__ import annotations

from collections.abc import Collection

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime


class Vehicle(DomainModel):
    tenant_id: str
    billing_account_id: str
    """The fleet (billing account) that owns it."""
    vehicle_id: str
    name: str = Field(min_length=1, max_length=100)
    registration: str | None = Field(default=None, max_length=20)
    """The licence plate."""
    make: str | None = Field(default=None, max_length=50)
    model: str | None = Field(default=None, max_length=50)
    battery_kwh: float | None = Field(default=None, gt=0, le=500)
    max_current_amps: float | None = Field(default=None, gt=0, le=1_000)
    """The most current its on-board charger takes per phase."""
    id_tokens: list[str] = Field(default_factory=list)
    """The account's ID tokens this vehicle charges with (upper case)."""
    created_at: UtcDatetime
    updated_at: UtcDatetime


def foreign_tokens(vehicle_tokens: Collection[str], account_tokens: Collection[str]) -> list[str]:
    """The vehicle's ID tokens that its account does not pay for (case-insensitive), sorted."""
    owned = {token.upper() for token in account_tokens}
    return sorted({token.upper() for token in vehicle_tokens} - owned)
