"""Revenue per site and stakeholder over a period, from the ledger's split transactions (pure).

A split moves a site's net revenue from ``unallocated:<site>`` to the operator, the site host and the
platform; its reversals (refunds, credit notes) move part of it back. Summing the split entries of
a period by (site, stakeholder) gives what each party earned there, refunds netted; the site's net
is what left ``unallocated:<site>``, so the shares of a site always add up to its net.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from decimal import Decimal
from enum import StrEnum

from shared.billing.ledger import NO_SITE, PLATFORM_REVENUE, LedgerTransaction
from shared.domain.base import DomainModel


class Stakeholder(StrEnum):
    OPERATOR = "operator"
    HOST = "host"
    PLATFORM = "platform"


class RevenueLine(DomainModel):
    site_id: str
    """``-`` for revenue that belongs to no site (subscription fees)."""
    stakeholder: Stakeholder
    party: str
    """The ledger account: ``revenue:operator:<tenant>``, ``payable:host:<hostId>``, ``revenue:platform``."""
    currency: str
    amount: Decimal
    """Earned in the period, reversals netted (positive: earned)."""


class SiteRevenue(DomainModel):
    site_id: str
    currency: str
    net: Decimal
    """Net (excl. VAT) revenue split in the period: the sum of the site's lines."""


class RevenueReport(DomainModel):
    lines: list[RevenueLine]
    sites: list[SiteRevenue]


def _stakeholder(account: str) -> Stakeholder | None:
    if account.startswith("revenue:operator:"):
        return Stakeholder.OPERATOR
    if account.startswith("payable:host:"):
        return Stakeholder.HOST
    if account == PLATFORM_REVENUE:
        return Stakeholder.PLATFORM
    return None


def revenue_report(
    transactions: Iterable[LedgerTransaction], *, sites: frozenset[str] | None = None
) -> RevenueReport:
    """``sites``: only these (a property owner's scope); None: every site."""
    shares: dict[tuple[str, Stakeholder, str, str], Decimal] = {}
    nets: dict[tuple[str, str], Decimal] = {}
    for transaction in transactions:
        for entry in transaction.entries:
            site = entry.site_id or NO_SITE
            if sites is not None and site not in sites:
                continue
            stakeholder = _stakeholder(entry.account)
            if stakeholder is not None:
                key = (site, stakeholder, entry.account, transaction.currency)
                shares[key] = shares.get(key, Decimal(0)) - entry.amount  # credits are earnings
            elif entry.account.startswith("unallocated:"):
                net_key = (site, transaction.currency)
                nets[net_key] = nets.get(net_key, Decimal(0)) + entry.amount
    lines = [
        RevenueLine(site_id=site, stakeholder=stakeholder, party=party, currency=currency, amount=amount)
        for (site, stakeholder, party, currency), amount in sorted(shares.items())
    ]
    return RevenueReport(
        lines=lines,
        sites=[
            SiteRevenue(site_id=site, currency=currency, net=net)
            for (site, currency), net in sorted(nets.items())
        ],
    )


CSV_COLUMNS = ("siteId", "stakeholder", "party", "currency", "amount")


def revenue_csv(report: RevenueReport) -> str:
    """RFC 4180 CSV, one row per (site, stakeholder, party, currency), amounts as decimal text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for line in report.lines:
        writer.writerow([line.site_id, line.stakeholder.value, line.party, line.currency, str(line.amount)])
    return buffer.getvalue()
