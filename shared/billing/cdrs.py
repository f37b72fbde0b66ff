"""Charge Detail Records: a priced session, after OCPI 2.2.1's CDRs module (mod_cdrs).

A CDR is sealed: it is never changed, only credited (``credit_cdr``), as OCPI says. Amounts are
rounded to the currency's minor unit; the total always equals the sum of the breakdown lines plus
the price-limit adjustment, exactly (see shared/billing/pricing.py for the rounding rule).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import Field

from shared.billing.tariffs import TariffDimension
from shared.domain.base import DomainModel, UtcDatetime


class CdrDimensionType(StrEnum):
    ENERGY = "ENERGY"
    """kWh in the period."""
    TIME = "TIME"
    """Hours charging in the period."""
    PARKING_TIME = "PARKING_TIME"
    """Hours not charging in the period."""


class CdrFlag(StrEnum):
    """Why a CDR needs a look: the session was priced from what existed."""

    MISSING_METER_DATA = "MISSING_METER_DATA"
    """No energy reading at all: energy was priced as 0."""
    MISSING_METER_START = "MISSING_METER_START"
    """No reading at the start: energy before the first reading is not billed."""
    MISSING_METER_STOP = "MISSING_METER_STOP"
    """No reading at the stop: energy after the last reading is not billed."""
    METER_GAP = "METER_GAP"
    """Readings further apart than the allowed gap: energy in between was interpolated."""
    METER_DECREASED = "METER_DECREASED"
    """The register went backwards: those readings were ignored."""
    MISSING_STOP_TIME = "MISSING_STOP_TIME"
    """The session has no stop time: it was priced up to its last reading."""
    POWER_DERIVED = "POWER_DERIVED"
    """Power restrictions were evaluated on power derived from the energy register."""
    CURRENT_UNKNOWN = "CURRENT_UNKNOWN"
    """Current restrictions could not be evaluated (no current samples): those elements did not apply."""
    UNPRICED_PERIOD = "UNPRICED_PERIOD"
    """Some usage had no price component (only with allowUnpricedPeriods)."""


class CdrDimension(DomainModel):
    type: CdrDimensionType
    volume: Decimal
    """kWh or hours, shown to 6 decimals; costs are computed from the exact quantities."""


class ChargingPeriod(DomainModel):
    start_date_time: UtcDatetime
    end_date_time: UtcDatetime
    dimensions: list[CdrDimension]
    tariff_id: str | None = None
    charging: bool
    """True while energy was flowing (TIME), False once it stopped for good (PARKING_TIME)."""


class CostLine(DomainModel):
    """One priced dimension in one charging period."""

    period: int
    """Index into charging_periods."""
    dimension: TariffDimension
    element: int
    """Index of the tariff element whose component priced it."""
    unit_price: Decimal
    vat_rate: Decimal | None = None
    quantity: Decimal
    """Billed quantity after step size: kWh, hours, or 1 for FLAT (6 decimals, for display)."""
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal


class PriceAdjustment(DomainModel):
    """What minPrice/maxPrice changed, as one line so the total still equals the sum of its parts."""

    limits: list[str]
    """Which bounds applied: minPrice.exclVat, minPrice.inclVat, maxPrice.exclVat, maxPrice.inclVat."""
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal


class Price(DomainModel):
    excl_vat: Decimal
    incl_vat: Decimal


class Cdr(DomainModel):
    cdr_id: str
    tenant_id: str
    session_id: str
    station_id: str
    site_id: str | None = None
    id_token: str | None = None
    start_date_time: UtcDatetime
    end_date_time: UtcDatetime
    time_zone: str
    currency: str
    tariff: dict[str, Any]
    """The tariff document as it was at the start: a CDR is sealed. Kept as the document, not
    re-validated, so a CDR stays readable if tariff rules get stricter later."""
    charging_periods: list[ChargingPeriod]
    breakdown: list[CostLine]
    adjustment: PriceAdjustment | None = None
    total_cost: Price
    total_energy_cost: Price
    total_time_cost: Price
    total_parking_cost: Price
    total_fixed_cost: Price
    total_vat: Decimal
    total_energy: Decimal
    """kWh measured (not the billed, step-rounded kWh), 6 decimals."""
    total_time: Decimal
    """Hours, charging and parking."""
    total_parking_time: Decimal
    flags: list[CdrFlag] = Field(default_factory=list)
    credit: bool = False
    credit_reference_id: str | None = None
    last_updated: UtcDatetime

    @property
    def amount_due(self) -> Decimal:
        """What the driver pays: the VAT-inclusive total (already in the currency's minor unit)."""
        return self.total_cost.incl_vat

    def cost_summary(self) -> dict[str, object]:
        """The ``cost`` field of GET /v1/sessions/{id}."""
        return {
            "total": str(self.total_cost.incl_vat),
            "totalExclVat": str(self.total_cost.excl_vat),
            "currency": self.currency,
            "cdrId": self.cdr_id,
            "flags": [str(flag) for flag in self.flags],
            "breakdown": [line.to_document() for line in self.breakdown]
            + ([{"adjustment": self.adjustment.to_document()}] if self.adjustment else []),
        }


def cdr_id_for(tenant_id: str, session_id: str) -> str:
    """Deterministic (pricing twice yields the same id) and within OCPI's 36 characters."""
    digest = hashlib.sha256(f"{tenant_id}\x00{session_id}".encode()).hexdigest()
    return f"CDR-{digest[:32]}"


def credit_cdr(cdr: Cdr) -> Cdr:
    """OCPI Credit CDR: same data, negative totals, id with '-C', referencing the original."""

    def negated(price: Price) -> Price:
        return Price(excl_vat=-price.excl_vat, incl_vat=-price.incl_vat)

    return cdr.model_copy(
        update={
            "cdr_id": f"{cdr.cdr_id}-C",
            "credit": True,
            "credit_reference_id": cdr.cdr_id,
            "total_cost": negated(cdr.total_cost),
            "total_energy_cost": negated(cdr.total_energy_cost),
            "total_time_cost": negated(cdr.total_time_cost),
            "total_parking_cost": negated(cdr.total_parking_cost),
            "total_fixed_cost": negated(cdr.total_fixed_cost),
            "total_vat": -cdr.total_vat,
        }
    )
