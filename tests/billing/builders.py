"""Test data builders for billing: valid defaults, overrides by keyword."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from shared.billing.tariffs import Tariff
from shared.billing.usage import CurrentSample, EnergyReading, PowerSample, SessionUsage

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # a Monday


def a_tariff(*elements: dict[str, Any], **overrides: Any) -> Tariff:
    document: dict[str, Any] = {
        "tariffId": "T-1",
        "currency": "EUR",
        "elements": list(elements)
        or [{"priceComponents": [{"type": "ENERGY", "price": "0.30", "stepSize": 1}]}],
    }
    document.update(overrides)
    return Tariff.model_validate(document)


def energy_tariff(price: str = "0.30", **overrides: Any) -> Tariff:
    return a_tariff({"priceComponents": [{"type": "ENERGY", "price": price, "stepSize": 1}]}, **overrides)


def a_usage(
    *,
    start: datetime = T0,
    minutes: float = 60,
    readings: list[tuple[float, str]] | None = None,
    meter_start: str | None = "0",
    meter_stop: str | None = None,
    power: list[tuple[float, str]] | None = None,
    current: list[tuple[float, str]] | None = None,
    **overrides: Any,
) -> SessionUsage:
    """``readings``/``power``/``current``: (minutes after start, value as text) — Wh, W, A."""
    stop = start + timedelta(minutes=minutes)
    document: dict[str, Any] = {
        "session_id": "CP-1:1",
        "tenant_id": "demo",
        "station_id": "CP-1",
        "site_id": "SITE-1",
        "id_token": "TAG-1",
        "started_at": start,
        "stopped_at": stop,
        "meter_start_wh": Decimal(meter_start) if meter_start is not None else None,
        "meter_stop_wh": Decimal(meter_stop) if meter_stop is not None else None,
        "energy_readings": [
            EnergyReading(timestamp=start + timedelta(minutes=m), wh=Decimal(v)) for m, v in (readings or [])
        ],
        "power_samples": [
            PowerSample(timestamp=start + timedelta(minutes=m), watts=Decimal(v)) for m, v in (power or [])
        ],
        "current_samples": [
            CurrentSample(timestamp=start + timedelta(minutes=m), amps=Decimal(v)) for m, v in (current or [])
        ],
    }
    document.update(overrides)
    return SessionUsage.model_validate(document)
