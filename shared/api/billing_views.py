"""Billing domain objects to response bodies (from their JSON documents: money stays decimal text), and
the HTML rendering of an invoice."""

from __future__ import annotations

import html
from datetime import datetime

from shared.api import billing_schemas as schemas
from shared.billing.alerts import BillingAlert
from shared.billing.cdrs import Cdr
from shared.billing.directory import AccountProfile
from shared.billing.invoices import Invoice, InvoiceKind
from shared.billing.ledger import RevenueSplit
from shared.billing.reports import RevenueReport
from shared.billing.resolver import AssignmentScope, TariffAssignment
from shared.billing.subscriptions import Plan, Subscription
from shared.billing.tariffs import Tariff
from shared.billing.vehicles import Vehicle
from shared.billing.wallets import Wallet
from shared.management.billing import WalletMovementRecord


def tariff_view(tariff: Tariff) -> schemas.TariffView:
    return schemas.TariffView.model_validate(tariff.to_document())


def assignment_view(
    scope: AssignmentScope, target_id: str, assignment: TariffAssignment | None
) -> schemas.TariffAssignmentView:
    return schemas.TariffAssignmentView(
        scope=scope.value, target_id=target_id, tariff_id=assignment.tariff_id if assignment else None
    )


def split_view(rule: RevenueSplit) -> schemas.RevenueSplitView:
    return schemas.RevenueSplitView.model_validate(rule.model_dump(mode="json"))


def account_view(profile: AccountProfile) -> schemas.BillingAccountView:
    return schemas.BillingAccountView.model_validate(profile.to_document())


def wallet_view(wallet: Wallet) -> schemas.WalletView:
    return schemas.WalletView.model_validate(wallet.model_dump(mode="json"))


def movement_view(movement: WalletMovementRecord) -> schemas.WalletMovementView:
    transaction = movement.transaction
    return schemas.WalletMovementView(
        transaction_id=transaction.transaction_id,
        kind=transaction.kind.value,
        amount=str(movement.amount),
        currency=transaction.currency,
        reference=transaction.reference,
        booked_at=transaction.booked_at,
    )


def plan_view(plan: Plan) -> schemas.PlanView:
    return schemas.PlanView.model_validate(plan.model_dump(mode="json"))


def subscription_view(subscription: Subscription) -> schemas.SubscriptionView:
    return schemas.SubscriptionView.model_validate(subscription.model_dump(mode="json"))


def cdr_view(cdr: Cdr) -> schemas.CdrView:
    return schemas.CdrView.model_validate(cdr.to_document())


def session_cost(cdr: Cdr | None) -> schemas.SessionCost | None:
    """The ``cost`` of GET /v1/sessions/{sessionId}: None until the session is priced."""
    return schemas.SessionCost.model_validate(cdr.cost_summary()) if cdr is not None else None


def invoice_view(invoice: Invoice) -> schemas.InvoiceView:
    return schemas.InvoiceView.model_validate(invoice.to_document())


def revenue_view(report: RevenueReport, start: datetime, end: datetime) -> schemas.RevenueReportView:
    document = report.model_dump(mode="json")
    return schemas.RevenueReportView.model_validate({**document, "start": start, "end": end})


def alert_view(alert: BillingAlert) -> schemas.BillingAlertView:
    return schemas.BillingAlertView.model_validate(alert.model_dump(mode="json"))


def invoice_html(invoice: Invoice) -> str:
    """A self-contained, printable HTML page (every value escaped)."""
    e = html.escape
    title = "Credit note" if invoice.kind is InvoiceKind.CREDIT_NOTE else "Invoice"
    rows = "\n".join(
        "<tr>"
        f"<td>{e(line.description)}</td>"
        f"<td class=n>{e(str(line.quantity))} {e(line.unit)}</td>"
        f"<td class=n>{e(str(line.unit_price)) if line.unit_price is not None else ''}</td>"
        f"<td class=n>{e(str(line.vat_rate)) + ' %' if line.vat_rate is not None else ''}</td>"
        f"<td class=n>{e(str(line.excl_vat))}</td>"
        f"<td class=n>{e(str(line.vat))}</td>"
        f"<td class=n>{e(str(line.incl_vat))}</td>"
        "</tr>"
        for line in invoice.lines
    )
    currency = e(invoice.currency)
    number = e(invoice.number or invoice.invoice_id)
    details = [
        ("Invoice id", invoice.invoice_id),
        ("Issued", invoice.issued_at.date().isoformat()),
        ("Billing account", invoice.billing_account_id),
        ("Session", invoice.session_id),
        ("Site", invoice.site_id),
        ("Period", invoice.period),
        ("Credits invoice", invoice.credit_reference),
        ("Status", invoice.status.value),
    ]
    facts = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in details if v)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} {number}</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse;width:100%}}
td,th{{border-bottom:1px solid #ccc;padding:.3em .5em;text-align:left}}.n{{text-align:right}}
dl{{display:grid;grid-template-columns:max-content auto;gap:.2em 1em}}dd{{margin:0}}</style></head>
<body><h1>{title} {number}</h1><dl>{facts}</dl>
<table><thead><tr><th>Item</th><th class=n>Quantity</th><th class=n>Unit price</th>
<th class=n>VAT rate</th><th class=n>Excl. VAT ({currency})</th><th class=n>VAT ({currency})</th>
<th class=n>Incl. VAT ({currency})</th></tr></thead>
<tbody>
{rows}
</tbody>
<tfoot><tr><th colspan=4>Total</th>
<th class=n>{e(str(invoice.total_excl_vat))}</th><th class=n>{e(str(invoice.total_vat))}</th>
<th class=n>{e(str(invoice.total_incl_vat))}</th></tr></tfoot></table>
</body></html>
"""


def vehicle_view(vehicle: Vehicle) -> schemas.VehicleView:
    return schemas.VehicleView.model_validate(vehicle.to_document())
