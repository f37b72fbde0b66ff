"""Charging sessions (OCPP transactions) and their meter values, protocol-neutral."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.id_tokens import AuthorizationStatus

ENERGY_REGISTER = "Energy.Active.Import.Register"
ACTIVE_POWER = "Power.Active.Import"


class SessionStatus(StrEnum):
    ACTIVE = "Active"
    COMPLETED = "Completed"


def session_id_for(station_id: str, transaction_id: str) -> str:
    """Station ids never contain ':' (see STATION_ID_PATTERN), so this id is unambiguous and global."""
    return f"{station_id}:{transaction_id}"


class Session(DomainModel):
    session_id: str
    tenant_id: str
    station_id: str
    site_id: str | None = None
    evse_id: int
    connector_id: int
    transaction_id: str
    protocol: str
    id_token: str | None = None
    id_token_status: AuthorizationStatus | None = None
    status: SessionStatus = SessionStatus.ACTIVE
    started_at: UtcDatetime
    stopped_at: UtcDatetime | None = None
    meter_start_wh: float | None = None
    meter_stop_wh: float | None = None
    energy_wh: float | None = None
    stop_reason: str | None = None
    stop_id_token: str | None = None
    reservation_id: int | None = None
    orphan: bool = False
    """True when the station stopped a transaction the platform never saw start."""
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None


class SampledValue(DomainModel):
    """One OCPP sampledValue, kept as the station sent it (value as text, as OCPP 1.6 sends it)."""

    value: str
    context: str | None = None
    format: str | None = None
    measurand: str | None = None
    phase: str | None = None
    location: str | None = None
    unit: str | None = None


class MeterValue(DomainModel):
    timestamp: UtcDatetime
    sampled_value: list[SampledValue] = Field(default_factory=list)


class MeterValuesRecord(DomainModel):
    """One MeterValues (or StopTransaction transactionData) message: one DynamoDB write."""

    session_id: str
    """The session's id, or ``station:<stationId>:<evseId>`` for values sent outside a transaction."""
    sample_key: str
    tenant_id: str
    station_id: str
    evse_id: int
    transaction_id: str | None = None
    source: str
    """MeterValues, or StopTransaction for the transactionData of a stop."""
    meter_values: list[MeterValue]
    received_at: UtcDatetime


def meter_values_partition(station_id: str, evse_id: int, session_id: str | None) -> str:
    return session_id if session_id is not None else f"station:{station_id}:{evse_id}"


_WH_PER_UNIT = {"Wh": Decimal(1), "kWh": Decimal(1000), "W": Decimal(1), "kW": Decimal(1000)}


def _in_base_unit(sample: SampledValue) -> float | None:
    if sample.format == "SignedData":
        return None
    try:
        number = Decimal(sample.value)
    except (InvalidOperation, ValueError):
        return None
    factor = _WH_PER_UNIT.get(sample.unit or "Wh")
    if factor is None or not number.is_finite():
        return None
    return float(number * factor)


def latest_reading(meter_values: list[MeterValue], measurand: str) -> float | None:
    """The newest total reading of a measurand in Wh or W (a per-phase value counts only without a total).

    OCPP's default measurand is the energy register, so a sample with no measurand counts as energy.
    """
    best: tuple[Any, int, float] | None = None
    for meter_value in meter_values:
        for sample in meter_value.sampled_value:
            if (sample.measurand or ENERGY_REGISTER) != measurand:
                continue
            reading = _in_base_unit(sample)
            if reading is None:
                continue
            rank = 1 if sample.phase is None else 0
            candidate = (meter_value.timestamp, rank, reading)
            if best is None or candidate[:2] >= best[:2]:
                best = candidate
    return None if best is None else best[2]
