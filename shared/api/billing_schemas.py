"""Request and response bodies of the billing resources (camelCase JSON; money as decimal strings).

Shapes are checked here (types, patterns, lengths); what a tariff or a split rule means (no negative
price, a known currency, restrictions that leave no period unpriced, shares within 100 %) is checked
by shared/billing and answered as a 400 naming the field.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt

from shared.api.schemas import (
    ID_TOKEN_PATTERN,
    IDENTIFIER_PATTERN,
    ApiDatetime,
    ApiModel,
    SessionCost,
    ViewModel,
)
from shared.billing.invoices import InvoiceKind, InvoiceStatus
from shared.billing.reports import Stakeholder
from shared.billing.subscriptions import SubscriberType
from shared.billing.wallets import AccountType
from shared.domain.base import UtcDatetime

DECIMAL_PATTERN = r"^-?[0-9]{1,15}(\.[0-9]{1,15})?$"
DecimalText = Annotated[
    str, Field(pattern=DECIMAL_PATTERN, description='A decimal number as text, e.g. "0.30"')
]
AMOUNT_PATTERN = r"^[0-9]{1,12}(\.[0-9]{1,4})?$"
Amount = Annotated[str, Field(pattern=AMOUNT_PATTERN, description='Money as a decimal string, e.g. "25.00"')]
Percent = Annotated[str, Field(pattern=r"^[0-9]{1,3}(\.[0-9]{1,4})?$", description='0 to 100, e.g. "20"')]
CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$", description="ISO 4217, e.g. EUR")]
TARIFF_ID_PATTERN = r"^[A-Za-z0-9._\-]{1,36}$"
Identifier = Annotated[str, Field(pattern=IDENTIFIER_PATTERN)]
_INT32 = 2**31 - 1

# ---- tariffs (OCPI 2.2.1 Tariff, mod_tariffs) -------------------------------------------------


class PriceComponentBody(ApiModel):
    type: Literal["ENERGY", "FLAT", "PARKING_TIME", "TIME"]
    price: DecimalText = Field(description="Per kWh, per hour, or the fee (FLAT), excluding VAT")
    step_size: StrictInt = Field(default=1, ge=-_INT32, le=_INT32, description="Wh (ENERGY), seconds (TIME)")
    vat: DecimalText | None = Field(default=None, description="VAT percentage; omitted: no VAT applies")


class TariffRestrictionsBody(ApiModel):
    start_time: str | None = Field(default=None, max_length=5, description="Local HH:MM, inclusive")
    end_time: str | None = Field(default=None, max_length=5, description="Local HH:MM, exclusive")
    start_date: date | None = None
    end_date: date | None = None
    min_kwh: DecimalText | None = None
    max_kwh: DecimalText | None = None
    min_current: DecimalText | None = None
    max_current: DecimalText | None = None
    min_power: DecimalText | None = None
    max_power: DecimalText | None = None
    min_duration: StrictInt | None = Field(default=None, ge=-_INT32, le=_INT32, description="Seconds")
    max_duration: StrictInt | None = Field(default=None, ge=-_INT32, le=_INT32, description="Seconds")
    day_of_week: (
        list[Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]] | None
    ) = Field(default=None, max_length=7)


class TariffElementBody(ApiModel):
    price_components: list[PriceComponentBody] = Field(min_length=1, max_length=4)
    restrictions: TariffRestrictionsBody | None = None


class PriceLimitBody(ApiModel):
    excl_vat: DecimalText
    incl_vat: DecimalText | None = None


class TariffCreate(ApiModel):
    tariff_id: str = Field(pattern=TARIFF_ID_PATTERN)
    currency: str = Field(min_length=1, max_length=3, description="ISO 4217, e.g. EUR")
    elements: list[TariffElementBody] = Field(min_length=1, max_length=50)
    min_price: PriceLimitBody | None = None
    max_price: PriceLimitBody | None = None
    start_date_time: ApiDatetime | None = None
    end_date_time: ApiDatetime | None = None
    allow_unpriced_periods: StrictBool = Field(
        default=False, description="Accept OCPI's 'no element, no cost' instead of refusing gaps"
    )


class TariffView(ViewModel):
    tariff_id: str
    currency: str
    elements: list[dict[str, Any]] = Field(description="OCPI TariffElements, prices as decimal strings")
    min_price: dict[str, str] | None = None
    max_price: dict[str, str] | None = None
    start_date_time: UtcDatetime | None = None
    end_date_time: UtcDatetime | None = None
    allow_unpriced_periods: bool = False
    last_updated: UtcDatetime | None = None


class TariffList(ViewModel):
    items: list[TariffView]
    next_cursor: str | None = None


class TariffAssignmentBody(ApiModel):
    """``tariffId`` null removes the assignment."""

    tariff_id: str | None = Field(pattern=TARIFF_ID_PATTERN)


class TariffAssignmentView(ViewModel):
    scope: Literal["DRIVER_GROUP", "STATION", "SITE", "TENANT"]
    target_id: str
    tariff_id: str | None = None


class TariffAssignmentList(ViewModel):
    items: list[TariffAssignmentView]
    next_cursor: str | None = None


# ---- revenue split ----------------------------------------------------------------------------


class RevenueSplitBody(ApiModel):
    host_id: Identifier | None = Field(default=None, description="The property owner hosting the site")
    host_share_percent: Percent = "0"
    platform_fee_percent: Percent = "0"
    platform_fee_fixed: Amount = Field(default="0", description="Per invoice, in its currency")


class RevenueSplitView(ViewModel):
    site_id: str
    host_id: str | None = None
    host_share_percent: str
    platform_fee_percent: str
    platform_fee_fixed: str


# ---- accounts and wallets ---------------------------------------------------------------------


class BillingAccountCreate(ApiModel):
    billing_account_id: Identifier | None = Field(default=None, description="Generated when omitted")
    type: AccountType
    currency: CurrencyCode
    id_tokens: list[Annotated[str, Field(pattern=ID_TOKEN_PATTERN)]] = Field(
        default_factory=list, max_length=100
    )
    driver_groups: list[Identifier] = Field(default_factory=list, max_length=20)
    provider: Literal["stripe"] | None = None
    provider_customer_id: str | None = Field(default=None, pattern=r"^cus_[A-Za-z0-9]{1,64}$")
    provider_payment_method_id: str | None = Field(default=None, pattern=r"^pm_[A-Za-z0-9_]{1,64}$")
    overdraft_limit: Amount = "0"


class BillingAccountView(ViewModel):
    billing_account_id: str
    type: AccountType
    currency: str
    wallet_id: str | None = None
    provider: str | None = None
    provider_customer_id: str | None = None
    id_tokens: list[str]
    driver_groups: list[str]
    created_at: UtcDatetime


class BillingAccountList(ViewModel):
    items: list[BillingAccountView]
    next_cursor: str | None = None


class WalletView(ViewModel):
    wallet_id: str
    billing_account_id: str
    currency: str
    balance: str
    overdraft_limit: str
    updated_at: UtcDatetime | None = None


class TopUpCreate(ApiModel):
    amount: Amount
    top_up_id: str | None = Field(
        default=None, pattern=IDENTIFIER_PATTERN, description="Idempotency key of the top-up; generated"
    )
    provider: Literal["manual"] = Field(
        default="manual",
        description="Where the money arrived: manual (cash, bank transfer booked by the operator)",
    )


class WalletMovementView(ViewModel):
    transaction_id: str
    kind: str
    amount: str = Field(description="Signed change of the balance: positive credits the wallet")
    currency: str
    reference: str
    booked_at: UtcDatetime


class WalletHistory(ViewModel):
    items: list[WalletMovementView]
    next_cursor: str | None = None


# ---- plans and subscriptions ------------------------------------------------------------------


class PlanCreate(ApiModel):
    plan_id: Identifier | None = None
    name: str = Field(min_length=1, max_length=200)
    currency: CurrencyCode
    monthly_fee: Amount = Field(description="Excluding VAT")
    fee_vat_rate: Percent | None = None
    included_kwh: Amount = "0"
    energy_discount_percent: Percent = "0"
    tariff_id: str | None = Field(
        default=None, pattern=TARIFF_ID_PATTERN, description="The plan's own prices"
    )


class PlanView(ViewModel):
    plan_id: str
    name: str
    currency: str
    monthly_fee: str
    fee_vat_rate: str | None = None
    included_kwh: str
    energy_discount_percent: str
    tariff_id: str | None = None


class PlanList(ViewModel):
    items: list[PlanView]
    next_cursor: str | None = None


class SubscriptionCreate(ApiModel):
    subscription_id: Identifier | None = None
    billing_account_id: Identifier
    subscriber_type: SubscriberType = SubscriberType.DRIVER
    subscriber_id: Identifier
    plan_id: Identifier
    starts_on: date


class SubscriptionChange(ApiModel):
    """A new plan from ``on`` (prorated by days), or ``cancel: true`` to end the subscription on ``on``."""

    on: date
    plan_id: Identifier | None = None
    cancel: StrictBool = False


class SubscriptionTermView(ViewModel):
    plan_id: str
    starts_on: date
    ends_on: date | None = None


class SubscriptionView(ViewModel):
    subscription_id: str
    billing_account_id: str
    subscriber_type: SubscriberType
    subscriber_id: str
    terms: list[SubscriptionTermView]


class SubscriptionList(ViewModel):
    items: list[SubscriptionView]
    next_cursor: str | None = None


# ---- CDRs, invoices, revenue, alerts ----------------------------------------------------------


class PriceView(ViewModel):
    excl_vat: str
    incl_vat: str


class CdrView(ViewModel):
    """OCPI 2.2.1 CDR (mod_cdrs), amounts as decimal strings."""

    cdr_id: str
    session_id: str
    station_id: str
    site_id: str | None = None
    id_token: str | None = None
    start_date_time: UtcDatetime
    end_date_time: UtcDatetime
    time_zone: str
    currency: str
    tariff: dict[str, Any]
    charging_periods: list[dict[str, Any]]
    breakdown: list[dict[str, Any]]
    adjustment: dict[str, Any] | None = None
    total_cost: PriceView
    total_energy_cost: PriceView
    total_time_cost: PriceView
    total_parking_cost: PriceView
    total_fixed_cost: PriceView
    total_vat: str
    total_energy: str
    total_time: str
    total_parking_time: str
    flags: list[str]
    credit: bool = False
    last_updated: UtcDatetime


class CdrList(ViewModel):
    items: list[CdrView]
    next_cursor: str | None = None


__all__ = ["SessionCost"]  # shown on the session (shared/api/schemas.py), built here


class InvoiceLineView(ViewModel):
    description: str
    session_id: str | None = None
    site_id: str | None = None
    quantity: str
    unit: str
    unit_price: str | None = None
    vat_rate: str | None = None
    excl_vat: str
    vat: str
    incl_vat: str


class InvoiceView(ViewModel):
    invoice_id: str
    number: str | None = None
    kind: InvoiceKind
    billing_account_id: str
    site_id: str | None = None
    session_id: str | None = None
    cdr_id: str | None = None
    subscription_id: str | None = None
    period: str | None = None
    currency: str
    lines: list[InvoiceLineView]
    total_excl_vat: str
    total_vat: str
    total_incl_vat: str
    status: InvoiceStatus
    issued_at: UtcDatetime
    credit_reference: str | None = None
    payment_reference: str | None = None
    failure: str | None = None


class InvoiceList(ViewModel):
    items: list[InvoiceView]
    next_cursor: str | None = None


class RefundCreate(ApiModel):
    refund_id: Identifier | None = Field(default=None, description="Idempotency key of the refund; generated")
    amount: Amount | None = Field(default=None, description="Omitted: the whole invoice")


class RefundView(ViewModel):
    credit_note_id: str
    status: str
    failure: dict[str, Any] | None = None


class RevenueLineView(ViewModel):
    site_id: str
    stakeholder: Stakeholder
    party: str
    currency: str
    amount: str


class SiteRevenueView(ViewModel):
    site_id: str
    currency: str
    net: str


class RevenueReportView(ViewModel):
    start: UtcDatetime
    end: UtcDatetime
    lines: list[RevenueLineView]
    sites: list[SiteRevenueView]


class BillingAlertView(ViewModel):
    kind: str
    subject_id: str
    period: str | None = None
    reason: str
    raised_at: UtcDatetime


class BillingAlertList(ViewModel):
    items: list[BillingAlertView]
    next_cursor: str | None = None


class RedriveRequest(ApiModel):
    """Exactly one of: a session, an invoice, or a subscription with its period."""

    session_id: str | None = Field(default=None, max_length=200)
    invoice_id: str | None = Field(default=None, pattern=r"^INV-[A-Za-z0-9\-]{1,100}$")
    subscription_id: Identifier | None = None
    period: str | None = Field(default=None, pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")


class RedriveView(ViewModel):
    workflow: str
    execution_name: str | None = None


class WebhookAnswer(ViewModel):
    event_id: str
    handled: str


# ---- a fleet's vehicles -----------------------------------------------------------------------


class VehicleCreate(ApiModel):
    vehicle_id: Identifier | None = Field(default=None, description="Generated when omitted")
    name: str = Field(min_length=1, max_length=100)
    registration: str | None = Field(default=None, min_length=1, max_length=20, description="Licence plate")
    make: str | None = Field(default=None, min_length=1, max_length=50)
    model: str | None = Field(default=None, min_length=1, max_length=50)
    battery_kwh: float | None = Field(default=None, gt=0, le=500)
    max_current_amps: float | None = Field(
        default=None, gt=0, le=1_000, description="The most current its on-board charger takes per phase"
    )
    id_tokens: list[Annotated[str, Field(pattern=ID_TOKEN_PATTERN)]] = Field(
        default_factory=list, max_length=20, description="ID tokens of the account it charges with"
    )


class VehicleUpdate(ApiModel):
    """Only the fields given change; null clears an optional one."""

    name: str | None = Field(default=None, min_length=1, max_length=100)
    registration: str | None = Field(default=None, min_length=1, max_length=20)
    make: str | None = Field(default=None, min_length=1, max_length=50)
    model: str | None = Field(default=None, min_length=1, max_length=50)
    battery_kwh: float | None = Field(default=None, gt=0, le=500)
    max_current_amps: float | None = Field(default=None, gt=0, le=1_000)
    id_tokens: list[Annotated[str, Field(pattern=ID_TOKEN_PATTERN)]] | None = Field(
        default=None, max_length=20
    )


class VehicleView(ViewModel):
    vehicle_id: str
    billing_account_id: str
    name: str
    registration: str | None = None
    make: str | None = None
    model: str | None = None
    battery_kwh: float | None = None
    max_current_amps: float | None = None
    id_tokens: list[str]
    created_at: UtcDatetime
    updated_at: UtcDatetime


class VehicleList(ViewModel):
    items: list[VehicleView]
    next_cursor: str | None = None
