"""The tasks the billing workflows call: one function each, over ports, idempotent on its key.

Each takes and returns a small pydantic model (the Step Functions state's input and output, in
camelCase). Running a task twice with the same input returns the same output and writes nothing
new: the CDR is keyed by (tenant, session), the invoice by its CDR or (subscription, month), the
ledger transactions by ``invoice:``/``payment:``/``split:``/``refund:`` + the invoice or refund id.

``collect_payment`` decides what the state machine does next (``next``): ``split`` (paid),
``wait_for_webhook`` (the provider is still processing), ``retry`` after ``delaySeconds``
(retryable failure, attempts left), ``park`` (final failure or attempts exhausted), or ``done``
(on account / nothing to collect). The state machine only branches on it (a Choice state).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from zoneinfo import ZoneInfo

from shared.billing.cdrs import Cdr
from shared.billing.invoices import (
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    credit_note,
    credit_note_id_for,
    invoice_from_cdr,
    invoice_id_for_period,
)
from shared.billing.ledger import (
    LedgerTransaction,
    clearing,
    invoice_transaction,
    payment_transaction,
    reversal,
    split_transaction,
)
from shared.billing.money import allocate_rounded
from shared.billing.payments.port import (
    PaymentFailure,
    PaymentOutcome,
    PaymentProvider,
    PaymentRequest,
    PaymentStatus,
    RefundRequest,
    backoff_seconds,
    should_park,
)
from shared.billing.ports import (
    Alerts,
    CdrStore,
    DriverDirectory,
    InvoiceStore,
    LedgerStore,
    SplitRules,
    SubscriptionStore,
    TariffStore,
    UsageSource,
)
from shared.billing.pricing import price_session
from shared.billing.quotes import tariff_for
from shared.billing.resolver import TariffContext
from shared.billing.subscriptions import month_bounds, monthly_invoice, period_key
from shared.billing.wallets import AccountType, BillingAccount
from shared.domain.base import DomainModel
from shared.domain.errors import ConflictError, DomainError, InvalidRequestError, NotFoundError


class BillingInputError(DomainError):
    """Not retryable: the input names something that does not exist or is not ready.
    The state machine catches it by name and parks the execution (no retries)."""


@dataclass
class BillingPorts:
    usage: UsageSource
    tariffs: TariffStore
    drivers: DriverDirectory
    cdrs: CdrStore
    invoices: InvoiceStore
    ledger: LedgerStore
    split_rules: SplitRules
    subscriptions: SubscriptionStore
    alerts: Alerts
    providers: Mapping[str, PaymentProvider]
    """By name: "ledger" (wallets, postpaid) and "stripe" (cards)."""
    clock: Callable[[], datetime]
    payment_retry_base_seconds: int = 60
    """First backoff delay after a retryable payment failure (then x4 per attempt, capped at 6 h)."""


# ---- price → CDR -----------------------------------------------------------------------------


class PriceSessionInput(DomainModel):
    tenant_id: str
    session_id: str


class PriceSessionOutput(DomainModel):
    tenant_id: str
    session_id: str
    cdr_id: str
    currency: str
    total: Decimal
    flags: list[str]


def price_session_task(ports: BillingPorts, request: PriceSessionInput) -> PriceSessionOutput:
    existing = ports.cdrs.cdr_for_session(request.tenant_id, request.session_id)
    if existing is not None:
        return _priced(existing)
    usage = ports.usage.session_usage(request.tenant_id, request.session_id)
    if usage is None:
        raise BillingInputError(f"session {request.session_id} not found")
    if usage.stopped_at is None:
        raise BillingInputError(f"session {request.session_id} has not ended")
    if not usage.start_seen:
        # An orphan: its start time is a placeholder. The start, when it arrives, ends it again
        # (SessionStopped once more) and that run prices it; until then the operator sees it parked.
        raise BillingInputError(f"session {request.session_id}: its start has not arrived yet")
    context = TariffContext(
        tenant_id=request.tenant_id,
        station_id=usage.station_id,
        site_id=usage.site_id,
        driver_groups=ports.drivers.driver_groups(request.tenant_id, usage.id_token),
        started_at=usage.started_at,
    )
    try:
        tariff = tariff_for(ports.tariffs, context)
    except NotFoundError as error:
        raise BillingInputError(error.message) from None
    cdr = price_session(usage, tariff, priced_at=ports.clock())
    return _priced(ports.cdrs.create_cdr(cdr))


def _priced(cdr: Cdr) -> PriceSessionOutput:
    return PriceSessionOutput(
        tenant_id=cdr.tenant_id,
        session_id=cdr.session_id,
        cdr_id=cdr.cdr_id,
        currency=cdr.currency,
        total=cdr.total_cost.incl_vat,
        flags=[str(flag) for flag in cdr.flags],
    )


class ParkSessionInput(DomainModel):
    tenant_id: str
    session_id: str
    reason: str


def park_session_task(ports: BillingPorts, request: ParkSessionInput) -> None:
    """The workflow's catch for BillingInputError in pricing: tell the operator; re-drive = run again."""
    if ports.cdrs.cdr_for_session(request.tenant_id, request.session_id) is None:
        ports.alerts.session_unbilled(request.tenant_id, request.session_id, request.reason)


# ---- CDR → invoice ---------------------------------------------------------------------------


class InvoiceOutcome(StrEnum):
    INVOICED = "invoiced"
    ON_ACCOUNT = "on_account"
    """Postpaid: the monthly invoice carries it."""
    NOT_BILLED = "not_billed"
    """No billing account for the token (e.g. free charging, unknown tag): priced only."""


class CreateInvoiceInput(DomainModel):
    tenant_id: str
    session_id: str


class CreateInvoiceOutput(DomainModel):
    tenant_id: str
    outcome: InvoiceOutcome
    invoice_id: str | None = None
    number: str | None = None
    amount: Decimal | None = None
    currency: str | None = None


def create_invoice_task(ports: BillingPorts, request: CreateInvoiceInput) -> CreateInvoiceOutput:
    cdr = ports.cdrs.cdr_for_session(request.tenant_id, request.session_id)
    if cdr is None:
        raise BillingInputError(f"session {request.session_id} is not priced")
    account = ports.drivers.billing_account_for_token(request.tenant_id, cdr.id_token)
    if account is None:
        return CreateInvoiceOutput(tenant_id=request.tenant_id, outcome=InvoiceOutcome.NOT_BILLED)
    if account.type is AccountType.POSTPAID:
        ports.cdrs.mark_on_account(cdr, account.billing_account_id)
        return CreateInvoiceOutput(tenant_id=request.tenant_id, outcome=InvoiceOutcome.ON_ACCOUNT)
    invoice = ports.invoices.create_invoice(
        invoice_from_cdr(cdr, billing_account_id=account.billing_account_id, issued_at=ports.clock())
    )
    _book_invoice(ports, invoice)
    return _invoiced(invoice)


def _book_invoice(ports: BillingPorts, invoice: Invoice) -> None:
    transaction = invoice_transaction(
        transaction_id=f"invoice:{invoice.invoice_id}",
        tenant_id=invoice.tenant_id,
        billing_account_id=invoice.billing_account_id,
        currency=invoice.currency,
        net_by_site=invoice.net_by_site(),
        vat=invoice.total_vat,
        reference=invoice.invoice_id,
        booked_at=invoice.issued_at,
    )
    if transaction is not None:
        ports.ledger.record(transaction)


def _invoiced(invoice: Invoice) -> CreateInvoiceOutput:
    return CreateInvoiceOutput(
        tenant_id=invoice.tenant_id,
        outcome=InvoiceOutcome.INVOICED,
        invoice_id=invoice.invoice_id,
        number=invoice.number,
        amount=invoice.amount_due,
        currency=invoice.currency,
    )


# ---- collect payment -------------------------------------------------------------------------


class NextStep(StrEnum):
    SPLIT = "split"
    WAIT_FOR_WEBHOOK = "wait_for_webhook"
    RETRY = "retry"
    PARK = "park"
    DONE = "done"


class CollectPaymentInput(DomainModel):
    tenant_id: str
    invoice_id: str
    attempt: int = 1


class CollectPaymentOutput(DomainModel):
    tenant_id: str
    invoice_id: str
    next: NextStep
    attempt: int
    delay_seconds: int | None = None
    failure: PaymentFailure | None = None


def collect_payment_task(ports: BillingPorts, request: CollectPaymentInput) -> CollectPaymentOutput:
    invoice = _invoice(ports, request.tenant_id, request.invoice_id)

    def result(step: NextStep, **extra: object) -> CollectPaymentOutput:
        return CollectPaymentOutput.model_validate(
            {
                "tenant_id": invoice.tenant_id,
                "invoice_id": invoice.invoice_id,
                "next": step,
                "attempt": request.attempt,
                **extra,
            }
        )

    if invoice.status is InvoiceStatus.PAID:
        return result(NextStep.SPLIT)
    if (
        invoice.status in (InvoiceStatus.CREDITED, InvoiceStatus.ON_ACCOUNT)
        or invoice.kind is InvoiceKind.CREDIT_NOTE
    ):
        return result(NextStep.DONE)
    if invoice.amount_due == 0:
        ports.invoices.set_status(invoice.tenant_id, invoice.invoice_id, InvoiceStatus.PAID)
        return result(NextStep.SPLIT)
    account = _account(ports, invoice)
    provider = _provider(ports, account, invoice)
    outcome = provider.collect(
        PaymentRequest(
            tenant_id=invoice.tenant_id,
            invoice_id=invoice.invoice_id,
            account=account,
            amount=invoice.amount_due,
            currency=invoice.currency,
            description=f"Invoice {invoice.number or invoice.invoice_id}",
            attempt=request.attempt,
            provider_reference=invoice.payment_reference,
        )
    )
    return _after_outcome(ports, invoice, outcome, request.attempt, result)


def _after_outcome(
    ports: BillingPorts,
    invoice: Invoice,
    outcome: PaymentOutcome,
    attempt: int,
    result: Callable[..., CollectPaymentOutput],
) -> CollectPaymentOutput:
    if outcome.status is PaymentStatus.SUCCEEDED:
        mark_paid(ports, invoice, outcome)
        return result(NextStep.SPLIT)
    if outcome.status is PaymentStatus.ON_ACCOUNT:
        ports.invoices.set_status(invoice.tenant_id, invoice.invoice_id, InvoiceStatus.ON_ACCOUNT)
        return result(NextStep.DONE)
    if outcome.status is PaymentStatus.PROCESSING:
        ports.invoices.set_status(
            invoice.tenant_id,
            invoice.invoice_id,
            InvoiceStatus.OPEN,
            payment_reference=outcome.provider_reference,
        )
        return result(NextStep.WAIT_FOR_WEBHOOK)
    failure = outcome.failure or PaymentFailure.model_validate(
        {"code": "unknown", "message": "payment failed", "classification": "final"}
    )
    if outcome.provider_reference and outcome.provider_reference != invoice.payment_reference:
        # the provider's payment to retry (a declined PaymentIntent is confirmed again, not recreated)
        ports.invoices.set_status(
            invoice.tenant_id,
            invoice.invoice_id,
            invoice.status,
            payment_reference=outcome.provider_reference,
        )
    if should_park(failure, attempt):
        return result(NextStep.PARK, failure=failure)
    return result(
        NextStep.RETRY,
        failure=failure,
        delay_seconds=backoff_seconds(attempt, base=ports.payment_retry_base_seconds),
    )


def mark_paid(ports: BillingPorts, invoice: Invoice, outcome: PaymentOutcome) -> None:
    """Book the provider's payment (the ledger provider booked its own) and mark the invoice paid."""
    if outcome.provider != "ledger":
        ports.ledger.record(
            payment_transaction(
                transaction_id=f"payment:{invoice.invoice_id}",
                tenant_id=invoice.tenant_id,
                billing_account_id=invoice.billing_account_id,
                source_account=clearing(outcome.provider),
                currency=invoice.currency,
                amount=invoice.amount_due,
                reference=invoice.invoice_id,
                booked_at=ports.clock(),
            )
        )
    ports.invoices.set_status(
        invoice.tenant_id,
        invoice.invoice_id,
        InvoiceStatus.PAID,
        payment_reference=outcome.provider_reference,
    )


def _account(ports: BillingPorts, invoice: Invoice) -> BillingAccount:
    account = ports.drivers.billing_account(invoice.tenant_id, invoice.billing_account_id)
    if account is None:
        raise BillingInputError(f"billing account {invoice.billing_account_id} not found")
    return account


def _provider(
    ports: BillingPorts, account: BillingAccount, invoice: Invoice | None = None
) -> PaymentProvider:
    """CARD accounts pay at their provider; so do POSTPAID accounts' monthly invoices when the
    account names one (otherwise the ledger provider leaves them on account, e.g. bank transfer)."""
    monthly = invoice is not None and invoice.subscription_id is not None
    by_provider = account.type is AccountType.CARD or (
        account.type is AccountType.POSTPAID and monthly and account.provider is not None
    )
    name = account.provider if by_provider else "ledger"
    provider = ports.providers.get(name or "")
    if provider is None:
        raise BillingInputError(f"payment provider {name!r} is not configured")
    return provider


def _invoice(ports: BillingPorts, tenant_id: str, invoice_id: str) -> Invoice:
    invoice = ports.invoices.invoice(tenant_id, invoice_id)
    if invoice is None:
        raise BillingInputError(f"invoice {invoice_id} not found")
    return invoice


# ---- park ------------------------------------------------------------------------------------


class ParkInvoiceInput(DomainModel):
    tenant_id: str
    invoice_id: str
    reason: str


def park_invoice_task(ports: BillingPorts, request: ParkInvoiceInput) -> Invoice:
    """payment_failed + an operator alert, once; re-driving is collect_payment again (attempt 1)."""
    invoice = _invoice(ports, request.tenant_id, request.invoice_id)
    if invoice.status is InvoiceStatus.PAYMENT_FAILED:
        return invoice
    if invoice.status is InvoiceStatus.PAID:
        raise ConflictError(f"invoice {invoice.invoice_id} is paid; it cannot be parked")
    parked = ports.invoices.set_status(
        invoice.tenant_id, invoice.invoice_id, InvoiceStatus.PAYMENT_FAILED, failure=request.reason
    )
    ports.alerts.invoice_parked(invoice.tenant_id, invoice.invoice_id, request.reason)
    return parked


class ParkSplitInput(DomainModel):
    tenant_id: str
    invoice_id: str
    reason: str


def park_split_task(ports: BillingPorts, request: ParkSplitInput) -> None:
    """The catch for a split that kept failing: the invoice stays paid, the operator is told."""
    if ports.ledger.transaction(request.tenant_id, f"split:{request.invoice_id}") is None:
        ports.alerts.split_failed(request.tenant_id, request.invoice_id, request.reason)


# ---- split revenue ---------------------------------------------------------------------------


class SplitRevenueInput(DomainModel):
    tenant_id: str
    invoice_id: str


class SplitRevenueOutput(DomainModel):
    tenant_id: str
    invoice_id: str
    transaction_id: str | None
    """None: nothing to split (a free session)."""


def split_revenue_task(ports: BillingPorts, request: SplitRevenueInput) -> SplitRevenueOutput:
    invoice = _invoice(ports, request.tenant_id, request.invoice_id)
    if invoice.status is not InvoiceStatus.PAID:
        raise BillingInputError(f"invoice {invoice.invoice_id} is {invoice.status}, not paid")
    transaction_id = f"split:{invoice.invoice_id}"
    net_by_site = invoice.net_by_site()
    transaction = split_transaction(
        transaction_id=transaction_id,
        tenant_id=invoice.tenant_id,
        currency=invoice.currency,
        net_by_site=net_by_site,
        rules=ports.split_rules.rules(invoice.tenant_id, sorted(net_by_site)),
        reference=invoice.invoice_id,
        booked_at=ports.clock(),
    )
    if transaction is None:
        return SplitRevenueOutput(
            tenant_id=invoice.tenant_id, invoice_id=invoice.invoice_id, transaction_id=None
        )
    ports.ledger.record(transaction)
    return SplitRevenueOutput(
        tenant_id=invoice.tenant_id, invoice_id=invoice.invoice_id, transaction_id=transaction_id
    )


# ---- refund / credit note --------------------------------------------------------------------


class RefundInput(DomainModel):
    tenant_id: str
    invoice_id: str
    refund_id: str
    amount: Decimal | None = None
    """None: the whole invoice."""


class RefundOutput(DomainModel):
    tenant_id: str
    credit_note_id: str
    status: PaymentStatus
    failure: PaymentFailure | None = None


def refund_invoice_task(ports: BillingPorts, request: RefundInput) -> RefundOutput:
    """Credit note + reversals of the invoice's ledger transactions + money back through the provider.

    Idempotent on ``refund_id`` (credit note id and every reversal id derive from it). A partial
    refund reverses every transaction pro rata (VAT and shares included).
    """
    invoice = _invoice(ports, request.tenant_id, request.invoice_id)
    if invoice.kind is InvoiceKind.CREDIT_NOTE:
        raise InvalidRequestError("invoiceId: a credit note cannot be refunded")
    amount = request.amount if request.amount is not None else invoice.amount_due
    if amount <= 0 or amount > invoice.amount_due:
        raise InvalidRequestError(f"amount: must be more than 0 and at most {invoice.amount_due}")
    now = ports.clock()
    note = ports.invoices.create_invoice(_credit_note(invoice, amount, request.refund_id, now))
    status = PaymentStatus.SUCCEEDED
    failure = None
    if invoice.status is InvoiceStatus.PAID and invoice.amount_due > 0:
        account = _account(ports, invoice)
        outcome = _provider(ports, account, invoice).refund(
            RefundRequest(
                tenant_id=invoice.tenant_id,
                invoice_id=invoice.invoice_id,
                refund_id=request.refund_id,
                account=account,
                amount=amount,
                currency=invoice.currency,
                provider_reference=invoice.payment_reference,
            )
        )
        status, failure = outcome.status, outcome.failure
        if outcome.status is PaymentStatus.FAILED:
            return RefundOutput(
                tenant_id=invoice.tenant_id, credit_note_id=note.invoice_id, status=status, failure=failure
            )
        if outcome.provider != "ledger":
            _reverse(
                ports, f"payment:{invoice.invoice_id}", f"refund:{request.refund_id}", amount, invoice, now
            )
        net_share = Fraction(amount) / Fraction(invoice.amount_due)
        _reverse_split(ports, invoice, request.refund_id, net_share, now)
    _reverse(ports, f"invoice:{invoice.invoice_id}", f"credit:{request.refund_id}", amount, invoice, now)
    if amount == invoice.amount_due:
        ports.invoices.set_status(invoice.tenant_id, invoice.invoice_id, InvoiceStatus.CREDITED)
    return RefundOutput(
        tenant_id=invoice.tenant_id, credit_note_id=note.invoice_id, status=status, failure=failure
    )


def _reverse(
    ports: BillingPorts, original_id: str, reversal_id: str, amount: Decimal, invoice: Invoice, now: datetime
) -> None:
    original = ports.ledger.transaction(invoice.tenant_id, original_id)
    if original is None:
        return
    ports.ledger.record(
        reversal(original, transaction_id=reversal_id, booked_at=now, amount=min(amount, original.total))
    )


def _reverse_split(
    ports: BillingPorts, invoice: Invoice, refund_id: str, share: Fraction, now: datetime
) -> None:
    original: LedgerTransaction | None = ports.ledger.transaction(
        invoice.tenant_id, f"split:{invoice.invoice_id}"
    )
    if original is None:
        return
    _, (part,) = allocate_rounded([Fraction(original.total) * share], invoice.currency)
    if part > 0:
        ports.ledger.record(
            reversal(original, transaction_id=f"unsplit:{refund_id}", booked_at=now, amount=part)
        )


def _credit_note(invoice: Invoice, amount: Decimal, refund_id: str, now: datetime) -> Invoice:
    if amount == invoice.amount_due:
        return credit_note(invoice, issued_at=now).model_copy(
            update={"invoice_id": credit_note_id_for(invoice.invoice_id, refund_id)}
        )
    share = Fraction(amount) / Fraction(invoice.amount_due)
    _, (excl,) = allocate_rounded([Fraction(invoice.total_excl_vat) * share], invoice.currency)
    vat = amount - excl
    line = InvoiceLine(
        description=f"Partial refund of invoice {invoice.number or invoice.invoice_id}",
        site_id=next((line.site_id for line in invoice.lines if line.site_id), None),
        session_id=invoice.session_id,
        quantity=Decimal(1),
        unit="refund",
        excl_vat=-excl,
        vat=-vat,
        incl_vat=-amount,
    )
    return Invoice(
        invoice_id=credit_note_id_for(invoice.invoice_id, refund_id),
        kind=InvoiceKind.CREDIT_NOTE,
        tenant_id=invoice.tenant_id,
        billing_account_id=invoice.billing_account_id,
        site_id=invoice.site_id,
        session_id=invoice.session_id,
        cdr_id=invoice.cdr_id,
        currency=invoice.currency,
        lines=[line],
        total_excl_vat=-excl,
        total_vat=-vat,
        total_incl_vat=-amount,
        issued_at=now,
        credit_reference=invoice.invoice_id,
    )


# ---- monthly invoicing -----------------------------------------------------------------------


class MonthlyInvoiceInput(DomainModel):
    tenant_id: str
    subscription_id: str
    year: int
    month: int
    time_zone: str = "UTC"
    """The tenant's billing time zone: the month runs from local midnight to local midnight."""


def monthly_invoice_task(ports: BillingPorts, request: MonthlyInvoiceInput) -> CreateInvoiceOutput:
    """Idempotent on (subscription, period): the invoice id derives from them."""
    subscription = ports.subscriptions.subscription(request.tenant_id, request.subscription_id)
    if subscription is None:
        raise BillingInputError(f"subscription {request.subscription_id} not found")
    plans = ports.subscriptions.plans(
        request.tenant_id, sorted({term.plan_id for term in subscription.terms})
    )
    first, after = month_bounds(request.year, request.month)
    zone = ZoneInfo(request.time_zone)
    start = datetime(first.year, first.month, first.day, tzinfo=zone).astimezone(UTC)
    end = datetime(after.year, after.month, after.day, tzinfo=zone).astimezone(UTC)
    cdrs = ports.cdrs.postpaid_cdrs(request.tenant_id, subscription.billing_account_id, start, end)
    draft = monthly_invoice(
        subscription,
        plans,
        year=request.year,
        month=request.month,
        postpaid_cdrs=cdrs,
        issued_at=ports.clock(),
    )
    if draft is None:
        return CreateInvoiceOutput(tenant_id=request.tenant_id, outcome=InvoiceOutcome.NOT_BILLED)
    invoice = ports.invoices.create_invoice(draft)
    _book_invoice(ports, invoice)
    return _invoiced(invoice)


class ParkSubscriptionInput(DomainModel):
    tenant_id: str
    subscription_id: str
    year: int
    month: int
    reason: str


def park_subscription_task(ports: BillingPorts, request: ParkSubscriptionInput) -> None:
    """The monthly run's catch: a subscription it could not invoice is shown, never skipped."""
    period = period_key(request.year, request.month)
    invoice_id = invoice_id_for_period(request.tenant_id, request.subscription_id, period)
    if ports.invoices.invoice(request.tenant_id, invoice_id) is None:
        ports.alerts.subscription_unbilled(request.tenant_id, request.subscription_id, period, request.reason)
