"""Double-entry ledger: every movement of money is one balanced transaction.

Signed amounts: a positive entry is a debit, a negative one a credit; a transaction's entries sum
to exactly 0 (checked on construction), in one currency, in its minor unit. Accounts:

=====================================  =====================================================
``receivable:<billingAccountId>``       what a customer owes (debit on invoice, credit on payment)
``wallet:<walletId>``                   prepaid balance we owe the driver (credit on top-up)
``clearing:<provider>``                 money held at a payment provider (Stripe) for us
``unallocated:<siteId>``                net revenue of a site not yet split
``vat:<tenantId>``                      VAT collected, owed to the tax authority
``revenue:operator:<tenantId>``         the operator's share
``payable:host:<hostId>``               the property owner's (site host's) share, owed to them
``revenue:platform``                    the platform fee
=====================================  =====================================================

A session's money moves in three transactions, one per workflow task, each idempotent on its id:
invoice (receivable ↔ unallocated + VAT), payment (wallet/clearing ↔ receivable), split
(unallocated ↔ operator + host + platform). Refunds and credit notes are *reversals*: the same
entries negated (or scaled down, for a partial refund), never an edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from pydantic import Field, model_validator

from shared.billing.money import allocate_rounded, quantum, round_money
from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.errors import InvalidRequestError

PLATFORM_REVENUE = "revenue:platform"


def receivable(billing_account_id: str) -> str:
    return f"receivable:{billing_account_id}"


def wallet_account(wallet_id: str) -> str:
    return f"wallet:{wallet_id}"


def clearing(provider: str) -> str:
    return f"clearing:{provider}"


def unallocated(site_id: str) -> str:
    return f"unallocated:{site_id}"


def vat_account(tenant_id: str) -> str:
    return f"vat:{tenant_id}"


def operator_revenue(tenant_id: str) -> str:
    return f"revenue:operator:{tenant_id}"


def host_payable(host_id: str) -> str:
    return f"payable:host:{host_id}"


class TransactionKind(StrEnum):
    INVOICE = "INVOICE"
    PAYMENT = "PAYMENT"
    SPLIT = "SPLIT"
    TOP_UP = "TOP_UP"
    REVERSAL = "REVERSAL"


class LedgerEntry(DomainModel):
    account: str
    amount: Decimal
    """Positive: debit. Negative: credit."""
    site_id: str | None = None
    """The site this movement is revenue of (split entries): revenue reports per site and stakeholder
    read it, so one transaction may split several sites (a monthly invoice) and stay attributable."""


class LedgerTransaction(DomainModel):
    transaction_id: str
    """Idempotency key: writing the same id twice is one transaction (conditional put)."""
    tenant_id: str
    kind: TransactionKind
    currency: str
    entries: list[LedgerEntry] = Field(min_length=2)
    reference: str
    """What it is about: invoice id, top-up id, reversed transaction id."""
    site_id: str | None = None
    booked_at: UtcDatetime
    reverses: str | None = None

    @model_validator(mode="after")
    def _balanced(self) -> LedgerTransaction:
        step = quantum(self.currency)
        for entry in self.entries:
            if entry.amount != entry.amount.quantize(step):
                raise ValueError(f"entries: {entry.account} has more decimals than {self.currency} allows")
        if sum((entry.amount for entry in self.entries), Decimal(0)) != 0:
            raise ValueError("entries: debits and credits differ (a transaction must balance)")
        return self

    @property
    def total(self) -> Decimal:
        """The amount moved: the sum of the debits."""
        return sum((e.amount for e in self.entries if e.amount > 0), Decimal(0))


def balances(transactions: Iterable[LedgerTransaction]) -> dict[str, Decimal]:
    """Net debit balance per account (negative: the account holds credit)."""
    result: dict[str, Decimal] = {}
    for transaction in transactions:
        for entry in transaction.entries:
            result[entry.account] = result.get(entry.account, Decimal(0)) + entry.amount
    return result


def _entries(amounts: Mapping[str, Decimal]) -> list[LedgerEntry]:
    """Merge amounts per account, dropping zero lines (a zero share is no movement)."""
    merged: dict[str, Decimal] = {}
    for account, amount in amounts.items():
        merged[account] = merged.get(account, Decimal(0)) + amount
    return [LedgerEntry(account=a, amount=v) for a, v in merged.items() if v != 0]


class RevenueSplit(DomainModel):
    """A site's sharing rule, applied to the net (excl. VAT) amount of each paid invoice.

    The host gets ``hostSharePercent`` of the net, the platform ``platformFeePercent`` of it plus
    ``platformFeeFixed`` (never more than what is left), and the operator the rest. VAT is not
    shared: it goes to ``vat:<tenant>``.
    """

    site_id: str
    host_id: str | None = None
    host_share_percent: Decimal = Decimal(0)
    platform_fee_percent: Decimal = Decimal(0)
    platform_fee_fixed: Decimal = Decimal(0)

    @model_validator(mode="after")
    def _shares(self) -> RevenueSplit:
        for name, value in (
            ("hostSharePercent", self.host_share_percent),
            ("platformFeePercent", self.platform_fee_percent),
            ("platformFeeFixed", self.platform_fee_fixed),
        ):
            if value < 0:
                raise ValueError(f"{name}: must not be negative")
        if self.host_share_percent + self.platform_fee_percent > 100:
            raise ValueError("hostSharePercent: host share and platform fee exceed 100 %")
        if self.host_share_percent > 0 and self.host_id is None:
            raise ValueError("hostId: required when the host has a share")
        return self


def split_amounts(net: Decimal, currency: str, rule: RevenueSplit) -> tuple[Decimal, Decimal, Decimal]:
    """(operator, host, platform), each ≥ 0 and adding up to ``net`` exactly."""
    if net < 0:
        raise InvalidRequestError("net: a split is of a non-negative amount (refunds are reversals)")
    host = round_money(Fraction(net) * Fraction(rule.host_share_percent) / 100, currency)
    platform = round_money(
        Fraction(net) * Fraction(rule.platform_fee_percent) / 100 + Fraction(rule.platform_fee_fixed),
        currency,
    )
    platform = min(platform, net - host)
    operator = net - host - platform
    return operator, host, platform


NO_SITE = "-"
"""Site key for invoice lines that belong to no site (subscription fees)."""


def invoice_transaction(
    *,
    transaction_id: str,
    tenant_id: str,
    billing_account_id: str,
    currency: str,
    net_by_site: Mapping[str, Decimal],
    vat: Decimal,
    reference: str,
    booked_at: datetime,
) -> LedgerTransaction | None:
    """Debit the receivable with the total, credit each site's unallocated net and the VAT.

    None for a zero invoice: it moves no money.
    """
    amounts: dict[str, Decimal] = {
        receivable(billing_account_id): sum(net_by_site.values(), Decimal(0)) + vat
    }
    for site_id, net in net_by_site.items():
        amounts[unallocated(site_id)] = amounts.get(unallocated(site_id), Decimal(0)) - net
    amounts[vat_account(tenant_id)] = -vat
    entries = _entries(amounts)
    if not entries:
        return None
    return LedgerTransaction.model_validate(
        {
            "transaction_id": transaction_id,
            "tenant_id": tenant_id,
            "kind": TransactionKind.INVOICE,
            "currency": currency,
            "reference": reference,
            "booked_at": booked_at,
            "entries": entries,
        }
    )


def payment_transaction(
    *,
    transaction_id: str,
    tenant_id: str,
    billing_account_id: str,
    source_account: str,
    currency: str,
    amount: Decimal,
    reference: str,
    booked_at: datetime,
) -> LedgerTransaction:
    """Money arrives (a wallet debit or a provider's clearing) and settles the receivable."""
    return LedgerTransaction.model_validate(
        {
            "transaction_id": transaction_id,
            "tenant_id": tenant_id,
            "kind": TransactionKind.PAYMENT,
            "currency": currency,
            "reference": reference,
            "booked_at": booked_at,
            "entries": _entries({source_account: amount, receivable(billing_account_id): -amount}),
        }
    )


def split_transaction(
    *,
    transaction_id: str,
    tenant_id: str,
    currency: str,
    net_by_site: Mapping[str, Decimal],
    rules: Mapping[str, RevenueSplit],
    reference: str,
    booked_at: datetime,
) -> LedgerTransaction | None:
    """Move each site's unallocated net to operator, host and platform by the site's rule.

    A site without a rule (and subscription fees, site ``-``) goes to the operator in full.
    None when there is nothing to split (a free session).

    Entries carry their site (``LedgerEntry.site_id``) and are merged per (account, site) only, so
    the operator's share of each site stays a line of its own.
    """
    amounts: dict[tuple[str, str], Decimal] = {}

    def add(account: str, site_id: str, amount: Decimal) -> None:
        amounts[(account, site_id)] = amounts.get((account, site_id), Decimal(0)) + amount

    for site_id, net in net_by_site.items():
        rule = rules.get(site_id) or RevenueSplit(site_id=site_id)
        operator, host, platform = split_amounts(net, currency, rule)
        add(unallocated(site_id), site_id, net)
        add(operator_revenue(tenant_id), site_id, -operator)
        add(PLATFORM_REVENUE, site_id, -platform)
        if rule.host_id is not None:
            add(host_payable(rule.host_id), site_id, -host)
    entries = [
        LedgerEntry(account=account, amount=amount, site_id=site_id)
        for (account, site_id), amount in amounts.items()
        if amount != 0
    ]
    if not entries:
        return None
    return LedgerTransaction.model_validate(
        {
            "transaction_id": transaction_id,
            "tenant_id": tenant_id,
            "kind": TransactionKind.SPLIT,
            "currency": currency,
            "reference": reference,
            "booked_at": booked_at,
            "entries": entries,
        }
    )


def reversal(
    original: LedgerTransaction,
    *,
    transaction_id: str,
    booked_at: datetime,
    amount: Decimal | None = None,
) -> LedgerTransaction:
    """The original's entries negated; with ``amount`` (≤ its total), scaled down pro rata.

    For a partial reversal the debit side and the credit side are each allocated with the
    largest-remainder rule to the same rounded total, so the reversal balances exactly and never
    reverses more on an account than the original moved.
    """
    total = original.total
    if amount is None or amount == total:
        scaled = [(-entry.amount) for entry in original.entries]
    else:
        if amount <= 0 or amount > total:
            raise InvalidRequestError(f"amount: must be more than 0 and at most {total}")
        ratio = Fraction(amount) / Fraction(total)
        debits = [i for i, e in enumerate(original.entries) if e.amount > 0]
        credits = [i for i, e in enumerate(original.entries) if e.amount < 0]
        scaled = [Decimal(0)] * len(original.entries)
        _, debit_parts = allocate_rounded(
            [Fraction(original.entries[i].amount) * ratio for i in debits], original.currency
        )
        _, credit_parts = allocate_rounded(
            [-Fraction(original.entries[i].amount) * ratio for i in credits], original.currency
        )
        for i, part in zip(debits, debit_parts, strict=True):
            scaled[i] = -part
        for i, part in zip(credits, credit_parts, strict=True):
            scaled[i] = part
    entries = [
        LedgerEntry(account=entry.account, amount=value, site_id=entry.site_id)
        for entry, value in zip(original.entries, scaled, strict=True)
        if value != 0
    ]
    return LedgerTransaction(
        transaction_id=transaction_id,
        tenant_id=original.tenant_id,
        kind=TransactionKind.REVERSAL,
        currency=original.currency,
        entries=entries,
        reference=original.transaction_id,
        site_id=original.site_id,
        booked_at=booked_at,
        reverses=original.transaction_id,
    )
