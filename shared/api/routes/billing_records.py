"""Billing records: /v1/cdrs, /v1/invoices (with an HTML rendering and refunds), /v1/revenue (JSON and
CSV), /v1/billing-alerts (what billing parked, and re-driving it) and the Stripe webhook."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.api import billing_schemas as schemas
from shared.api import billing_views as views
from shared.api.access import Permission
from shared.api.dependencies import Caller, CallerScope, PlatformDependency
from shared.api.routes.params import Cursor, Limit, SiteIdQuery
from shared.api.routing import operation
from shared.api.schemas import SESSION_ID_PATTERN, ApiDatetime
from shared.billing.invoices import InvoiceStatus
from shared.billing.reports import revenue_csv
from shared.catalog import STRIPE_WEBHOOK_PATH
from shared.domain.errors import InvalidRequestError
from shared.management import billing_records

router = Router()
CDRS = ["cdrs"]
INVOICES = ["invoices"]
REVENUE = ["revenue"]
ALERTS = ["billing-alerts"]

InvoiceIdPath = Annotated[str, Path(pattern=r"^INV-[A-Za-z0-9\-]{1,100}$")]
SessionIdQuery = Annotated[str | None, Query(alias="sessionId", pattern=SESSION_ID_PATTERN)]
From = Annotated[ApiDatetime | None, Query(alias="from", description="At or after")]
To = Annotated[ApiDatetime | None, Query(alias="to", description="At or before")]
PeriodStart = Annotated[
    ApiDatetime | None,
    Query(alias="from", description="Booked at or after; default: the 1st of this month (UTC)"),
]
PeriodEnd = Annotated[ApiDatetime | None, Query(alias="to", description="Booked before; default: now")]


@operation(router, "GET", "/v1/cdrs", Permission.READ, tags=CDRS)
def list_cdrs(
    caller: Caller,
    platform: PlatformDependency,
    session_id: SessionIdQuery = None,
    started_from: From = None,
    started_to: To = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.CdrList:
    """Priced sessions (OCPI CDRs), newest first; ``sessionId`` finds one session's."""
    items, next_cursor = billing_records.list_cdrs(
        platform,
        caller,
        session_id=session_id,
        started_from=started_from,
        started_to=started_to,
        limit=limit,
        cursor=cursor,
    )
    return schemas.CdrList(items=[views.cdr_view(item) for item in items], next_cursor=next_cursor)


@operation(router, "GET", "/v1/invoices", Permission.ACCOUNTS, tags=INVOICES)
def list_invoices(
    scope: CallerScope,
    platform: PlatformDependency,
    session_id: SessionIdQuery = None,
    status: Annotated[InvoiceStatus | None, Query()] = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.InvoiceList:
    """Invoices and credit notes, newest first; ``sessionId``: a session's, ``status=payment_failed``:
    the parked ones. A fleet manager's or driver's token sees its account's."""
    items, next_cursor = billing_records.list_invoices(
        platform, scope, session_id=session_id, status=status, limit=limit, cursor=cursor
    )
    return schemas.InvoiceList(items=[views.invoice_view(item) for item in items], next_cursor=next_cursor)


@operation(router, "GET", "/v1/invoices/<invoice_id>", Permission.ACCOUNTS, tags=INVOICES)
def get_invoice(
    invoice_id: InvoiceIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.InvoiceView:
    return views.invoice_view(billing_records.get_invoice(platform, caller, invoice_id))


@operation(
    router,
    "GET",
    "/v1/invoices/<invoice_id>/html",
    Permission.ACCOUNTS,
    tags=INVOICES,
    media_type="text/html",
)
def render_invoice(invoice_id: InvoiceIdPath, caller: Caller, platform: PlatformDependency) -> Response[str]:
    """A printable HTML page of the invoice."""
    invoice = billing_records.get_invoice(platform, caller, invoice_id)
    return Response(
        status_code=HTTPStatus.OK, content_type="text/html; charset=utf-8", body=views.invoice_html(invoice)
    )


@operation(
    router,
    "POST",
    "/v1/invoices/<invoice_id>/refunds",
    Permission.WRITE,
    status=HTTPStatus.CREATED,
    tags=INVOICES,
)
def refund_invoice(
    invoice_id: InvoiceIdPath, body: schemas.RefundCreate, caller: Caller, platform: PlatformDependency
) -> schemas.RefundView:
    """A credit note for the whole invoice or ``amount``, the ledger's reversals (shares included) and
    the money back to the wallet or card; idempotent on ``refundId``."""
    result = billing_records.refund_invoice(
        platform,
        caller,
        invoice_id,
        refund_id=body.refund_id,
        amount=Decimal(body.amount) if body.amount is not None else None,
    )
    return schemas.RefundView.model_validate(result.model_dump(mode="json"))


def _period(
    platform: PlatformDependency, start: datetime | None, end: datetime | None
) -> tuple[datetime, datetime]:
    now = platform.clock()
    end = end or now
    start = start or end.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    if end <= start:
        raise InvalidRequestError("query field 'to': must be after 'from'")
    return start, end


@operation(router, "GET", "/v1/revenue", Permission.REVENUE, tags=REVENUE)
def revenue(
    caller: Caller,
    scope: CallerScope,
    platform: PlatformDependency,
    start: PeriodStart = None,
    end: PeriodEnd = None,
    site_id: SiteIdQuery = None,
) -> schemas.RevenueReportView:
    """What the operator, each site's host and the platform earned per site in [from, to), refunds
    netted. A property owner's token sees only its own sites, and of them only the hosts' share."""
    start, end = _period(platform, start, end)
    report = billing_records.revenue(
        platform,
        caller,
        start=start,
        end=end,
        site_id=site_id,
        sites_in_scope=None if scope.whole_tenant else scope.site_ids,
    )
    return views.revenue_view(report, start, end)


@operation(router, "GET", "/v1/revenue/export", Permission.REVENUE, tags=REVENUE, media_type="text/csv")
def revenue_export(
    caller: Caller,
    scope: CallerScope,
    platform: PlatformDependency,
    start: PeriodStart = None,
    end: PeriodEnd = None,
    site_id: SiteIdQuery = None,
) -> Response[str]:
    """The same report as CSV (siteId, stakeholder, party, currency, amount)."""
    start, end = _period(platform, start, end)
    report = billing_records.revenue(
        platform,
        caller,
        start=start,
        end=end,
        site_id=site_id,
        sites_in_scope=None if scope.whole_tenant else scope.site_ids,
    )
    return Response(
        status_code=HTTPStatus.OK,
        content_type="text/csv; charset=utf-8",
        body=revenue_csv(report),
        headers={"Content-Disposition": 'attachment; filename="revenue.csv"'},
    )


@operation(router, "GET", "/v1/billing-alerts", Permission.READ, tags=ALERTS)
def list_alerts(
    caller: Caller, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.BillingAlertList:
    """What billing parked for an operator: sessions not priced (no tariff, start not seen), invoices
    whose payment failed, splits that failed, subscriptions not invoiced. Resolved ones drop out."""
    items, next_cursor = billing_records.open_alerts(platform, caller, limit, cursor)
    return schemas.BillingAlertList(items=[views.alert_view(item) for item in items], next_cursor=next_cursor)


@operation(
    router, "POST", "/v1/billing-alerts/redrive", Permission.WRITE, status=HTTPStatus.ACCEPTED, tags=ALERTS
)
def redrive(
    body: schemas.RedriveRequest, caller: Caller, platform: PlatformDependency
) -> schemas.RedriveView:
    """Runs billing again for a parked session, invoice (payment from attempt 1) or month; every step is
    idempotent, so nothing is billed twice."""
    given = [body.session_id is not None, body.invoice_id is not None, body.subscription_id is not None]
    if sum(given) != 1:
        raise InvalidRequestError("body: give exactly one of sessionId, invoiceId, subscriptionId")
    if body.subscription_id is not None and body.period is None:
        raise InvalidRequestError("body field 'period': required with subscriptionId (YYYY-MM)")
    started = billing_records.redrive(
        platform,
        caller,
        session_id=body.session_id,
        invoice_id=body.invoice_id,
        subscription_period=(body.subscription_id, str(body.period)) if body.subscription_id else None,
    )
    return schemas.RedriveView(workflow=started.workflow, execution_name=started.execution_name)


@operation(
    router,
    "POST",
    STRIPE_WEBHOOK_PATH,
    None,
    tags=["webhooks"],
    errors=[HTTPStatus.NOT_FOUND, HTTPStatus.UNSUPPORTED_MEDIA_TYPE],
)
def stripe_webhook(platform: PlatformDependency) -> schemas.WebhookAnswer:
    """Stripe's payment events (no operator token: the ``Stripe-Signature`` header is verified with the
    endpoint's signing secret, 5 minutes' tolerance). ``payment_intent.succeeded`` marks the invoice paid
    and splits its revenue; ``payment_intent.payment_failed`` parks it."""
    event: Any = router.current_event
    body = event.decoded_body if event.body is not None else ""
    payload = body.encode() if isinstance(body, str) else bytes(body)
    result = billing_records.stripe_webhook(platform, payload, event.headers.get("stripe-signature"))
    return schemas.WebhookAnswer(event_id=result.event_id, handled=result.handled)
