"""Invoices and credit notes: what the customer is asked to pay, from a CDR or a monthly run.

An invoice's id is its idempotency key (``invoice_id_for_cdr``, ``invoice_id_for_period``): the
same CDR or (subscription, month) always yields the same id, so a repeated task finds it instead
of issuing a second one. Its *number* is the legal, human sequence (``format_invoice_number``)
and is given only when the invoice is stored, from a per-(tenant, series, year) counter in the
same atomic write, so the sequence has no gaps.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field, model_validator

from shared.billing.cdrs import Cdr
from shared.billing.money import quantum
from shared.billing.tariffs import TariffDimension
from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.errors import ConflictError

_UNITS = {
    TariffDimension.ENERGY: "kWh",
    TariffDimension.TIME: "h",
    TariffDimension.PARKING_TIME: "h",
    TariffDimension.FLAT: "session",
}
_DESCRIPTIONS = {
    TariffDimension.ENERGY: "Energy",
    TariffDimension.TIME: "Charging time",
    TariffDimension.PARKING_TIME: "Parking time",
    TariffDimension.FLAT: "Session fee",
}


class InvoiceKind(StrEnum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"


class InvoiceStatus(StrEnum):
    OPEN = "open"
    """Issued, payment not collected yet."""
    PAID = "paid"
    ON_ACCOUNT = "on_account"
    """Postpaid: collected later with the account's monthly invoice."""
    PAYMENT_FAILED = "payment_failed"
    """Parked after retries (or a final failure): an operator sees it and can re-drive it."""
    CREDITED = "credited"
    """A credit note reverses it in full."""


class InvoiceLine(DomainModel):
    description: str
    session_id: str | None = None
    site_id: str | None = None
    """The site whose revenue split applies to this line (None: subscription fees)."""
    quantity: Decimal
    unit: str
    unit_price: Decimal | None = None
    vat_rate: Decimal | None = None
    excl_vat: Decimal
    vat: Decimal
    incl_vat: Decimal


class Invoice(DomainModel):
    invoice_id: str
    number: str | None = None
    """Given when stored (gapless per tenant, series and year)."""
    kind: InvoiceKind = InvoiceKind.INVOICE
    tenant_id: str
    billing_account_id: str
    site_id: str | None = None
    session_id: str | None = None
    cdr_id: str | None = None
    subscription_id: str | None = None
    period: str | None = None
    """YYYY-MM for monthly invoices."""
    currency: str
    lines: list[InvoiceLine] = Field(min_length=1)
    total_excl_vat: Decimal
    total_vat: Decimal
    total_incl_vat: Decimal
    status: InvoiceStatus = InvoiceStatus.OPEN
    issued_at: UtcDatetime
    credit_reference: str | None = None
    """For a credit note: the invoice it credits."""
    payment_reference: str | None = None
    failure: str | None = None

    @model_validator(mode="after")
    def _adds_up(self) -> Invoice:
        q = quantum(self.currency)
        for name, total, parts in (
            ("totalExclVat", self.total_excl_vat, [line.excl_vat for line in self.lines]),
            ("totalVat", self.total_vat, [line.vat for line in self.lines]),
            ("totalInclVat", self.total_incl_vat, [line.incl_vat for line in self.lines]),
        ):
            if total != total.quantize(q) or total != sum(parts, Decimal(0)):
                raise ValueError(f"{name}: must equal the sum of the lines, in {self.currency}'s minor unit")
        if self.total_incl_vat != self.total_excl_vat + self.total_vat:
            raise ValueError("totalInclVat: must equal totalExclVat + totalVat")
        return self

    @property
    def amount_due(self) -> Decimal:
        return self.total_incl_vat

    def net_by_site(self) -> dict[str, Decimal]:
        """Net (excl. VAT) per site, for the ledger and the revenue split; fees under ``-``."""
        from shared.billing.ledger import NO_SITE

        result: dict[str, Decimal] = {}
        for line in self.lines:
            key = line.site_id or NO_SITE
            result[key] = result.get(key, Decimal(0)) + line.excl_vat
        return result


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


def invoice_id_for_cdr(tenant_id: str, cdr_id: str) -> str:
    return f"INV-{_short_hash(tenant_id, 'cdr', cdr_id)}"


def invoice_id_for_period(tenant_id: str, subscription_id: str, period: str) -> str:
    """The monthly run's idempotency key: one invoice per (subscription, period)."""
    return f"INV-{_short_hash(tenant_id, 'subscription', subscription_id, period)}"


def credit_note_id_for(invoice_id: str, refund_id: str) -> str:
    return f"{invoice_id}-CN-{refund_id}"


def format_invoice_number(series: str, year: int, sequence: int) -> str:
    """The human number: ``<series>-<year>-<sequence, 6 digits>``, e.g. ``INV-2026-000042``.

    ``sequence`` comes from a counter per (tenant, series, year) that starts at 1; a new year
    starts a new sequence. Series: ``INV`` for invoices, ``CN`` for credit notes.
    """
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    if not series.isalnum():
        raise ValueError("series must be alphanumeric")
    return f"{series}-{year:04d}-{sequence:06d}"


def series_for(kind: InvoiceKind) -> str:
    return "CN" if kind is InvoiceKind.CREDIT_NOTE else "INV"


def invoice_from_cdr(cdr: Cdr, *, billing_account_id: str, issued_at: datetime) -> Invoice:
    """One line per (dimension, unit price, VAT rate), plus the min/max price adjustment if any.

    The CDR's lines are already rounded to the currency and add up to its total, so grouping them
    keeps the invoice's total equal to the CDR's.
    """
    groups: dict[tuple[TariffDimension, Decimal, Decimal | None], list[Decimal]] = defaultdict(
        lambda: [Decimal(0), Decimal(0), Decimal(0), Decimal(0)]
    )
    for line in cdr.breakdown:
        group = groups[(line.dimension, line.unit_price, line.vat_rate)]
        group[0] += line.quantity
        group[1] += line.excl_vat
        group[2] += line.vat
        group[3] += line.incl_vat
    lines = [
        InvoiceLine(
            description=_DESCRIPTIONS[dimension],
            session_id=cdr.session_id,
            site_id=cdr.site_id,
            quantity=values[0],
            unit=_UNITS[dimension],
            unit_price=price,
            vat_rate=vat_rate,
            excl_vat=values[1],
            vat=values[2],
            incl_vat=values[3],
        )
        for (dimension, price, vat_rate), values in groups.items()
    ]
    if cdr.adjustment is not None:
        lines.append(
            InvoiceLine(
                description="Tariff minimum/maximum price (" + ", ".join(cdr.adjustment.limits) + ")",
                session_id=cdr.session_id,
                site_id=cdr.site_id,
                quantity=Decimal(1),
                unit="session",
                excl_vat=cdr.adjustment.excl_vat,
                vat=cdr.adjustment.vat,
                incl_vat=cdr.adjustment.incl_vat,
            )
        )
    if not lines:
        zero = Decimal(0).quantize(quantum(cdr.currency))
        lines.append(
            InvoiceLine(
                description="Charging session",
                session_id=cdr.session_id,
                site_id=cdr.site_id,
                quantity=Decimal(1),
                unit="session",
                excl_vat=zero,
                vat=zero,
                incl_vat=zero,
            )
        )
    return Invoice(
        invoice_id=invoice_id_for_cdr(cdr.tenant_id, cdr.cdr_id),
        tenant_id=cdr.tenant_id,
        billing_account_id=billing_account_id,
        site_id=cdr.site_id,
        session_id=cdr.session_id,
        cdr_id=cdr.cdr_id,
        currency=cdr.currency,
        lines=lines,
        total_excl_vat=cdr.total_cost.excl_vat,
        total_vat=cdr.total_cost.incl_vat - cdr.total_cost.excl_vat,
        total_incl_vat=cdr.total_cost.incl_vat,
        issued_at=issued_at,
    )


def credit_note(invoice: Invoice, *, issued_at: datetime, refund_id: str = "1") -> Invoice:
    """A full credit note: the invoice's lines negated, referencing it (invoices are never edited)."""
    if invoice.kind is InvoiceKind.CREDIT_NOTE:
        raise ConflictError("a credit note cannot be credited")
    negated = [
        line.model_copy(
            update={
                "quantity": -line.quantity,
                "excl_vat": -line.excl_vat,
                "vat": -line.vat,
                "incl_vat": -line.incl_vat,
            }
        )
        for line in invoice.lines
    ]
    return Invoice(
        invoice_id=credit_note_id_for(invoice.invoice_id, refund_id),
        kind=InvoiceKind.CREDIT_NOTE,
        tenant_id=invoice.tenant_id,
        billing_account_id=invoice.billing_account_id,
        site_id=invoice.site_id,
        session_id=invoice.session_id,
        cdr_id=invoice.cdr_id,
        subscription_id=invoice.subscription_id,
        period=invoice.period,
        currency=invoice.currency,
        lines=negated,
        total_excl_vat=-invoice.total_excl_vat,
        total_vat=-invoice.total_vat,
        total_incl_vat=-invoice.total_incl_vat,
        issued_at=issued_at,
        credit_reference=invoice.invoice_id,
    )
