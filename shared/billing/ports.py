"""What billing needs from storage and the outside world. DynamoDB adapters implement these in
phase 2; tests use the in-memory fakes in tests/billing/fakes.py. Tenant first, named for intent.

Every write that makes a task idempotent is a *create if absent* that returns what is stored, so
a repeated task reads the first result instead of producing a second one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from shared.billing.cdrs import Cdr
from shared.billing.invoices import Invoice, InvoiceStatus
from shared.billing.ledger import LedgerTransaction, RevenueSplit
from shared.billing.resolver import TariffAssignment
from shared.billing.subscriptions import Plan, Subscription
from shared.billing.tariffs import Tariff
from shared.billing.usage import SessionUsage
from shared.billing.wallets import BillingAccount, Wallet, WalletChange


class ConcurrentUpdateError(Exception):
    """A conditional write lost a race (the record's version moved): read again and retry."""


class UsageSource(Protocol):
    def session_usage(self, tenant_id: str, session_id: str) -> SessionUsage | None:
        """The completed session with its meter values and the site's time zone (None: unknown)."""
        ...


class TariffStore(Protocol):
    def tariffs(self, tenant_id: str, tariff_ids: Sequence[str]) -> dict[str, Tariff]: ...

    def assignments(
        self, tenant_id: str, *, station_id: str, site_id: str | None, driver_groups: Sequence[str]
    ) -> list[TariffAssignment]: ...


class DriverDirectory(Protocol):
    def driver_groups(self, tenant_id: str, id_token: str | None) -> list[str]:
        """The driver's groups, most preferred first (empty for an unknown token)."""
        ...

    def billing_account_for_token(self, tenant_id: str, id_token: str | None) -> BillingAccount | None:
        """Who pays for this token's sessions (None: nobody — the session is priced, not invoiced)."""
        ...

    def billing_account(self, tenant_id: str, billing_account_id: str) -> BillingAccount | None: ...


class CdrStore(Protocol):
    def create_cdr(self, cdr: Cdr) -> Cdr:
        """Store if no CDR for (tenant, session) exists; return the stored one either way."""
        ...

    def cdr_for_session(self, tenant_id: str, session_id: str) -> Cdr | None: ...

    def postpaid_cdrs(
        self, tenant_id: str, billing_account_id: str, start: datetime, end: datetime
    ) -> list[Cdr]:
        """CDRs put on this postpaid account that started in [start, end)."""
        ...

    def mark_on_account(self, cdr: Cdr, billing_account_id: str) -> None: ...


class InvoiceStore(Protocol):
    def create_invoice(self, invoice: Invoice) -> Invoice:
        """Store with the next number of its (tenant, series, year) if its id is new, atomically
        (one transaction: counter + conditional put, so numbers have no gaps); return the stored
        invoice either way."""
        ...

    def invoice(self, tenant_id: str, invoice_id: str) -> Invoice | None: ...

    def set_status(
        self,
        tenant_id: str,
        invoice_id: str,
        status: InvoiceStatus,
        *,
        payment_reference: str | None = None,
        failure: str | None = None,
    ) -> Invoice: ...


class LedgerStore(Protocol):
    def record(self, transaction: LedgerTransaction) -> bool:
        """Write if its id is new (conditional put); False when it was already there."""
        ...

    def transaction(self, tenant_id: str, transaction_id: str) -> LedgerTransaction | None: ...


class WalletStore(Protocol):
    def wallet(self, tenant_id: str, wallet_id: str) -> Wallet | None: ...

    def apply(self, change: WalletChange, *, expected_version: int) -> bool:
        """Write the wallet (condition: version == expected_version) and its ledger transaction
        (condition: id new) in one transaction. False if the transaction id already exists (the
        change was applied before); ConcurrentUpdateError if the version moved."""
        ...


class SubscriptionStore(Protocol):
    def subscription(self, tenant_id: str, subscription_id: str) -> Subscription | None: ...

    def plans(self, tenant_id: str, plan_ids: Sequence[str]) -> dict[str, Plan]: ...


class SplitRules(Protocol):
    def rules(self, tenant_id: str, site_ids: Sequence[str]) -> dict[str, RevenueSplit]: ...


class Alerts(Protocol):
    def invoice_parked(self, tenant_id: str, invoice_id: str, reason: str) -> None:
        """Operator-visible: a dashboard list, an EventBridge event, an alarm metric."""
        ...

    def session_unbilled(self, tenant_id: str, session_id: str, reason: str) -> None:
        """A session that could not be priced (no tariff, unknown session): never silently lost."""
        ...

    def split_failed(self, tenant_id: str, invoice_id: str, reason: str) -> None:
        """A paid invoice whose revenue could not be split: the shares are owed, not yet booked."""
        ...

    def subscription_unbilled(self, tenant_id: str, subscription_id: str, period: str, reason: str) -> None:
        """The monthly run could not invoice this subscription for this period."""
        ...
