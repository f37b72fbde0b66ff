"""Billing's records for operators: CDRs, invoices (and refunds), revenue reports, what billing parked
and re-driving it, and the Stripe webhook. Returns domain objects; the API maps them to views."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from shared.billing.alerts import BillingAlert
from shared.billing.cdrs import Cdr
from shared.billing.invoices import Invoice, InvoiceStatus
from shared.billing.payments.port import PaymentOutcome, PaymentStatus
from shared.billing.platform import alert_key
from shared.billing.reports import RevenueReport, Stakeholder, revenue_report
from shared.billing.tasks import (
    BillingInputError,
    ParkInvoiceInput,
    RefundInput,
    RefundOutput,
    SplitRevenueInput,
    mark_paid,
    park_invoice_task,
    refund_invoice_task,
    split_revenue_task,
)
from shared.billing.workflow_tasks import (
    MONTHLY_WORKFLOW,
    PAYMENT_RETRY_WORKFLOW,
    SESSION_WORKFLOW,
    monthly_execution_name,
)
from shared.domain.errors import InvalidRequestError, NotFoundError
from shared.domain.tenancy import Principal, Scope

if TYPE_CHECKING:
    from shared.wiring import Platform

MAX_REPORT_DAYS = 366


# ---- CDRs and session cost --------------------------------------------------------------------


def session_cost(platform: Platform, principal: Principal, session_id: str) -> Cdr | None:
    """The session's CDR once it is priced (the ``cost`` of GET /v1/sessions/{id})."""
    return platform.billing.cdrs.cdr_for_session(principal.tenant_id, session_id)


def list_cdrs(
    platform: Platform,
    principal: Principal,
    *,
    session_id: str | None,
    started_from: datetime | None,
    started_to: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Cdr], str | None]:
    if started_from is not None and started_to is not None and started_from > started_to:
        raise InvalidRequestError("query field 'from': must not be after 'to'")
    if session_id is not None:
        found = platform.billing.cdrs.cdr_for_session(principal.tenant_id, session_id)
        return ([found] if found else []), None
    return platform.billing.cdrs.list_cdrs(
        principal.tenant_id, started_from=started_from, started_to=started_to, limit=limit, cursor=cursor
    )


# ---- invoices ---------------------------------------------------------------------------------


def list_invoices(
    platform: Platform,
    scope: Scope,
    *,
    session_id: str | None,
    status: InvoiceStatus | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Invoice], str | None]:
    """Kept to the scope's billing account (a fleet manager's or driver's token)."""
    invoices = platform.billing.invoices
    if session_id is not None:
        found = invoices.invoices_for_session(scope.tenant_id, session_id)
        items, next_cursor = [i for i in found if status is None or i.status is status], None
    else:
        items, next_cursor = invoices.list_invoices(
            scope.tenant_id, status=status, limit=limit, cursor=cursor
        )
    return [i for i in items if scope.covers_account(i.billing_account_id)], next_cursor


def get_invoice(platform: Platform, principal: Principal, invoice_id: str) -> Invoice:
    invoice = platform.billing.invoices.invoice(principal.tenant_id, invoice_id)
    if invoice is None:
        raise NotFoundError(f"invoice {invoice_id} not found")
    return invoice


def refund_invoice(
    platform: Platform,
    principal: Principal,
    invoice_id: str,
    *,
    refund_id: str | None,
    amount: Decimal | None,
) -> RefundOutput:
    """A credit note, the ledger's reversals and the money back (wallet or Stripe), idempotent on
    ``refundId``."""
    get_invoice(platform, principal, invoice_id)
    try:
        return refund_invoice_task(
            platform.billing.ports(),
            RefundInput(
                tenant_id=principal.tenant_id,
                invoice_id=invoice_id,
                refund_id=refund_id or uuid.uuid4().hex[:16],
                amount=amount,
            ),
        )
    except BillingInputError as error:
        raise InvalidRequestError(error.message) from None


# ---- revenue ----------------------------------------------------------------------------------


def revenue(
    platform: Platform,
    principal: Principal,
    *,
    start: datetime,
    end: datetime,
    site_id: str | None,
    sites_in_scope: frozenset[str] | None,
) -> RevenueReport:
    """Per site and stakeholder, booked in [start, end). ``sites_in_scope``: what the caller may see
    (a property owner's sites), and then only the hosts' lines (its own share: what the operator and
    the platform earn there is the operator's business); None: every site and stakeholder."""
    if end <= start:
        raise InvalidRequestError("query field 'to': must be after 'from'")
    if (end - start).days > MAX_REPORT_DAYS:
        raise InvalidRequestError(f"query field 'to': a report covers at most {MAX_REPORT_DAYS} days")
    sites = sites_in_scope
    if site_id is not None:
        sites = frozenset({site_id}) & sites if sites is not None else frozenset({site_id})
    transactions = platform.billing.ledger.revenue_between(principal.tenant_id, start, end)
    report = revenue_report(transactions, sites=sites)
    if sites_in_scope is None:
        return report
    hosts = [line for line in report.lines if line.stakeholder is Stakeholder.HOST]
    return report.model_copy(update={"lines": hosts})


# ---- what billing parked ----------------------------------------------------------------------


def _resolved(platform: Platform, alert: BillingAlert) -> bool:
    billing = platform.billing
    tenant = alert.tenant_id
    if alert.kind == "session_unbilled":
        return billing.cdrs.cdr_for_session(tenant, alert.subject_id) is not None
    if alert.kind == "invoice_parked":
        invoice = billing.invoices.invoice(tenant, alert.subject_id)
        return invoice is None or invoice.status is not InvoiceStatus.PAYMENT_FAILED
    if alert.kind == "split_failed":
        return billing.ledger.transaction(tenant, f"split:{alert.subject_id}") is not None
    if alert.kind == "subscription_unbilled" and alert.period:
        from shared.billing.invoices import invoice_id_for_period

        invoice_id = invoice_id_for_period(tenant, alert.subject_id, alert.period)
        return billing.invoices.invoice(tenant, invoice_id) is not None
    return False


def open_alerts(
    platform: Platform, principal: Principal, limit: int, cursor: str | None
) -> tuple[list[BillingAlert], str | None]:
    """What an operator must act on; an alert whose cause has gone (priced, paid, split since) is
    cleared here."""
    alerts, next_cursor = platform.billing.alert_records.list_alerts(principal.tenant_id, limit, cursor)
    still_open: list[BillingAlert] = []
    for alert in alerts:
        if _resolved(platform, alert):
            platform.billing.alert_records.clear(alert.tenant_id, alert.alert_key)
        else:
            still_open.append(alert)
    return still_open, next_cursor


@dataclass(frozen=True)
class Redriven:
    workflow: str
    execution_name: str | None


def redrive(
    platform: Platform,
    principal: Principal,
    *,
    session_id: str | None,
    invoice_id: str | None,
    subscription_period: tuple[str, str] | None,
) -> Redriven:
    """Runs billing again for what was parked: a session (the whole per-session workflow), an invoice
    (collect from attempt 1, then split) or a month (the monthly run). Every task is idempotent, so
    nothing is billed twice."""
    tenant = principal.tenant_id
    billing = platform.billing
    suffix = uuid.uuid4().hex[:12]
    if session_id is not None:
        platform.sessions.get_for_tenant(tenant, session_id)
        name = f"redrive-{suffix}"
        billing.starter.start(SESSION_WORKFLOW, name, {"tenantId": tenant, "sessionId": session_id})
        return Redriven(SESSION_WORKFLOW, name)
    if invoice_id is not None:
        get_invoice(platform, principal, invoice_id)
        name = f"redrive-{invoice_id}-{suffix}"
        payload = {"tenantId": tenant, "invoiceId": invoice_id, "attempt": 1, "delaySeconds": 0}
        billing.starter.start(PAYMENT_RETRY_WORKFLOW, name, payload)
        return Redriven(PAYMENT_RETRY_WORKFLOW, name)
    if subscription_period is not None:
        subscription_id, period = subscription_period
        if billing.accounts.subscription(tenant, subscription_id) is None:
            raise NotFoundError(f"subscription {subscription_id} not found")
        year, month = int(period[:4]), int(period[5:7])
        name = f"{monthly_execution_name(year, month)}-redrive-{suffix}"
        billing.starter.start(
            MONTHLY_WORKFLOW, name, {"year": year, "month": month, "cursor": None, "timeZone": "UTC"}
        )
        return Redriven(MONTHLY_WORKFLOW, name)
    raise InvalidRequestError("body: name a sessionId, an invoiceId, or a subscriptionId with its period")


def alert_for(platform: Platform, principal: Principal, kind: str, subject_id: str) -> BillingAlert | None:
    return platform.billing.alert_records.alert(principal.tenant_id, alert_key(kind, subject_id))


# ---- the Stripe webhook -----------------------------------------------------------------------


@dataclass(frozen=True)
class WebhookResult:
    event_id: str
    handled: str
    """paid, parked, processing or ignored (with the reason)."""


def stripe_webhook(platform: Platform, payload: bytes, signature: str | None) -> WebhookResult:
    """Verified with the endpoint's signing secret before anything is read; Stripe may deliver an event
    more than once or late, and every step here is idempotent (a paid invoice stays paid)."""
    import stripe

    provider = platform.billing.stripe
    if provider is None:
        raise NotFoundError("no Stripe webhook endpoint is configured (STRIPE_SECRET_ARN)")
    try:
        event = provider.parse_webhook(payload, signature)
    except stripe.SignatureVerificationError:
        raise InvalidRequestError("header Stripe-Signature: not a valid signature of this body") from None
    except ValueError:
        raise InvalidRequestError("body: not a Stripe event") from None
    if event.invoice_id is None or event.tenant_id is None or event.status is None:
        return WebhookResult(event.event_id, f"ignored: {event.type} is not about an invoice")
    ports = platform.billing.ports()
    invoice = ports.invoices.invoice(event.tenant_id, event.invoice_id)
    if invoice is None:
        return WebhookResult(event.event_id, f"ignored: invoice {event.invoice_id} unknown")
    if event.status is PaymentStatus.SUCCEEDED:
        if invoice.status is not InvoiceStatus.PAID:
            mark_paid(
                ports,
                invoice,
                PaymentOutcome(
                    status=PaymentStatus.SUCCEEDED,
                    provider="stripe",
                    provider_reference=event.payment_intent_id,
                ),
            )
        split_revenue_task(
            ports, SplitRevenueInput(tenant_id=invoice.tenant_id, invoice_id=invoice.invoice_id)
        )
        return WebhookResult(event.event_id, "paid")
    if event.status is PaymentStatus.FAILED:
        if invoice.status is InvoiceStatus.PAID:
            return WebhookResult(event.event_id, "ignored: the invoice is paid")
        reason = event.failure.message if event.failure else "payment failed at Stripe"
        park_invoice_task(
            ports, ParkInvoiceInput(tenant_id=invoice.tenant_id, invoice_id=invoice.invoice_id, reason=reason)
        )
        return WebhookResult(event.event_id, "parked")
    return WebhookResult(event.event_id, str(event.status))
