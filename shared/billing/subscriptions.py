"""Subscription plans and the monthly invoice: fees, prorated, and postpaid usage with plan benefits.

A subscription is a list of terms (plan, first day, day after the last); a plan change mid-month
ends one term and starts the next (``change_plan``). For a month, ``monthly_invoice`` bills:

- the fee of every term overlapping the month, prorated by days: ``fee * days in term / days in
  month``, each line rounded once to the currency (so two halves of one plan may differ from the
  full fee by one minor unit);
- each postpaid session of the month (its CDR, as priced by the tariff — a plan's own prices are a
  tariff assigned to the plan's driver group, see resolver.py), then its plan credits: included
  energy (the term's ``includedKwh``, prorated by days, consumed by the month's ENERGY lines in
  session order, at their unit price and VAT rate) and the plan's energy discount (a percentage of
  the session's energy cost left after the included energy).

The invoice id is ``invoice_id_for_period(tenant, subscription, YYYY-MM)``: the run is idempotent
on (subscription, period) — running it twice finds the first invoice.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator

from shared.billing.cdrs import Cdr
from shared.billing.invoices import Invoice, InvoiceLine, invoice_id_for_period
from shared.billing.money import round_money
from shared.billing.tariffs import TariffDimension
from shared.domain.base import DomainModel
from shared.domain.errors import ConflictError, InvalidRequestError, NotFoundError


class Plan(DomainModel):
    tenant_id: str
    plan_id: str
    name: str
    currency: str
    monthly_fee: Decimal = Field(ge=0)
    """Excluding VAT."""
    fee_vat_rate: Decimal | None = Field(default=None, ge=0, le=100)
    included_kwh: Decimal = Field(default=Decimal(0), ge=0)
    energy_discount_percent: Decimal = Field(default=Decimal(0), ge=0, le=100)
    tariff_id: str | None = None
    """Plan prices: a tariff the platform assigns to the plan's driver group."""


class SubscriberType(StrEnum):
    DRIVER = "DRIVER"
    FLEET = "FLEET"


class SubscriptionTerm(DomainModel):
    plan_id: str
    starts_on: date
    ends_on: date | None = None
    """Exclusive; None: open-ended."""


class Subscription(DomainModel):
    tenant_id: str
    subscription_id: str
    billing_account_id: str
    subscriber_type: SubscriberType
    subscriber_id: str
    terms: list[SubscriptionTerm] = Field(min_length=1)

    @model_validator(mode="after")
    def _terms_in_order(self) -> Subscription:
        for index, (left, right) in enumerate(zip(self.terms, self.terms[1:], strict=False)):
            if left.ends_on is None or left.ends_on > right.starts_on:
                raise ValueError(f"terms[{index + 1}].startsOn: overlaps the term before it")
        for index, term in enumerate(self.terms):
            if term.ends_on is not None and term.ends_on <= term.starts_on:
                raise ValueError(f"terms[{index}].endsOn: must be after startsOn")
        return self


def change_plan(subscription: Subscription, *, plan_id: str, on: date) -> Subscription:
    """End the current term the day before ``on`` and start ``plan_id`` on ``on``."""
    current = subscription.terms[-1]
    if current.ends_on is not None and current.ends_on <= on:
        raise ConflictError("the subscription has ended before that day")
    if on <= current.starts_on:
        raise InvalidRequestError("on: must be after the current term started")
    if current.plan_id == plan_id:
        return subscription
    terms = [
        *subscription.terms[:-1],
        current.model_copy(update={"ends_on": on}),
        SubscriptionTerm(plan_id=plan_id, starts_on=on, ends_on=current.ends_on),
    ]
    return subscription.model_copy(update={"terms": terms})


def cancel(subscription: Subscription, *, on: date) -> Subscription:
    current = subscription.terms[-1]
    if on <= current.starts_on:
        raise InvalidRequestError("on: must be after the current term started")
    return subscription.model_copy(
        update={"terms": [*subscription.terms[:-1], current.model_copy(update={"ends_on": on})]}
    )


def period_key(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def month_bounds(year: int, month: int) -> tuple[date, date]:
    first = date(year, month, 1)
    return first, first + timedelta(days=calendar.monthrange(year, month)[1])


def monthly_invoice(
    subscription: Subscription,
    plans: Mapping[str, Plan],
    *,
    year: int,
    month: int,
    postpaid_cdrs: Sequence[Cdr],
    issued_at: datetime,
) -> Invoice | None:
    """The month's invoice, or None when nothing is due (no term overlaps the month)."""
    first, after = month_bounds(year, month)
    days_in_month = (after - first).days
    lines: list[InvoiceLine] = []
    currency: str | None = None
    terms: list[tuple[SubscriptionTerm, Plan, date, date]] = []
    for term in subscription.terms:
        start = max(term.starts_on, first)
        end = min(term.ends_on or after, after)
        if start >= end:
            continue
        plan = plans.get(term.plan_id)
        if plan is None:
            raise NotFoundError(f"plan {term.plan_id} not found")
        if currency is not None and plan.currency != currency:
            raise ConflictError("plans in one month must share a currency")
        currency = plan.currency
        terms.append((term, plan, start, end))
        days = (end - start).days
        excl = round_money(Fraction(plan.monthly_fee) * days / days_in_month, currency)
        vat = (
            round_money(Fraction(excl) * Fraction(plan.fee_vat_rate) / 100, currency)
            if plan.fee_vat_rate is not None
            else excl * 0
        )
        lines.append(
            InvoiceLine(
                description=(
                    f"{plan.name}, {start.isoformat()} to {(end - timedelta(days=1)).isoformat()}"
                    f" ({days}/{days_in_month} days)"
                ),
                quantity=Decimal(days),
                unit="day",
                unit_price=plan.monthly_fee,
                vat_rate=plan.fee_vat_rate,
                excl_vat=excl,
                vat=vat,
                incl_vat=excl + vat,
            )
        )
    if currency is None:
        return None
    remaining = {
        id(term): Fraction(plan.included_kwh) * (end - start).days / days_in_month
        for term, plan, start, end in terms
    }
    for cdr in sorted(postpaid_cdrs, key=lambda c: (c.start_date_time, c.cdr_id)):
        if cdr.currency != currency:
            raise ConflictError(f"session {cdr.session_id} is in {cdr.currency}, the plan in {currency}")
        local_day = cdr.start_date_time.astimezone(ZoneInfo(cdr.time_zone)).date()
        found = next(((t, p) for t, p, s, e in terms if s <= local_day < e), None)
        lines.append(
            InvoiceLine(
                description=f"Charging session {cdr.session_id} ({cdr.total_energy} kWh)",
                session_id=cdr.session_id,
                site_id=cdr.site_id,
                quantity=cdr.total_energy,
                unit="kWh",
                excl_vat=cdr.total_cost.excl_vat,
                vat=cdr.total_cost.incl_vat - cdr.total_cost.excl_vat,
                incl_vat=cdr.total_cost.incl_vat,
            )
        )
        if found is None:
            continue
        term, plan = found
        credit_excl = Fraction(0)
        credit_vat = Fraction(0)
        energy_excl = Fraction(0)
        energy_vat = Fraction(0)
        for line in cdr.breakdown:
            if line.dimension is not TariffDimension.ENERGY:
                continue
            rate = Fraction(line.vat_rate) / 100 if line.vat_rate is not None else Fraction(0)
            energy_excl += Fraction(line.excl_vat)
            energy_vat += Fraction(line.vat)
            take = min(remaining[id(term)], Fraction(line.quantity))
            if take > 0:
                remaining[id(term)] -= take
                credit_excl += take * Fraction(line.unit_price)
                credit_vat += take * Fraction(line.unit_price) * rate
        credit_excl = min(credit_excl, energy_excl)
        credit_vat = min(credit_vat, energy_vat)
        share = Fraction(plan.energy_discount_percent) / 100
        discount_excl = (energy_excl - credit_excl) * share
        discount_vat = (energy_vat - credit_vat) * share
        for label, excl_value, vat_value in (
            (f"Included energy ({plan.name})", credit_excl, credit_vat),
            (f"Plan discount {plan.energy_discount_percent} % ({plan.name})", discount_excl, discount_vat),
        ):
            excl = round_money(excl_value, currency)
            vat = round_money(vat_value, currency)
            if excl == 0 and vat == 0:
                continue
            lines.append(
                InvoiceLine(
                    description=label,
                    session_id=cdr.session_id,
                    site_id=cdr.site_id,
                    quantity=Decimal(1),
                    unit="session",
                    excl_vat=-excl,
                    vat=-vat,
                    incl_vat=-(excl + vat),
                )
            )
    period = period_key(year, month)
    return Invoice(
        invoice_id=invoice_id_for_period(subscription.tenant_id, subscription.subscription_id, period),
        tenant_id=subscription.tenant_id,
        billing_account_id=subscription.billing_account_id,
        subscription_id=subscription.subscription_id,
        period=period,
        currency=currency,
        lines=lines,
        total_excl_vat=sum((line.excl_vat for line in lines), Decimal(0)),
        total_vat=sum((line.vat for line in lines), Decimal(0)),
        total_incl_vat=sum((line.incl_vat for line in lines), Decimal(0)),
        issued_at=issued_at,
    )
