"""In-memory implementations of the billing ports, with the same conditional-write semantics the
DynamoDB adapters must have (create-if-absent returns what is stored; versioned wallet writes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from shared.billing.cdrs import Cdr
from shared.billing.invoices import Invoice, InvoiceStatus, format_invoice_number, series_for
from shared.billing.ledger import LedgerTransaction, RevenueSplit
from shared.billing.ports import ConcurrentUpdateError
from shared.billing.resolver import AssignmentScope, TariffAssignment
from shared.billing.subscriptions import Plan, Subscription
from shared.billing.tariffs import Tariff
from shared.billing.usage import SessionUsage
from shared.billing.wallets import BillingAccount, Wallet, WalletChange


@dataclass
class FakeBilling:
    usages: dict[tuple[str, str], SessionUsage] = field(default_factory=dict)
    tariff_by_id: dict[tuple[str, str], Tariff] = field(default_factory=dict)
    assignment_list: list[TariffAssignment] = field(default_factory=list)
    groups_by_token: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    account_by_token: dict[tuple[str, str], str] = field(default_factory=dict)
    accounts: dict[tuple[str, str], BillingAccount] = field(default_factory=dict)
    cdr_by_session: dict[tuple[str, str], Cdr] = field(default_factory=dict)
    on_account: dict[tuple[str, str], str] = field(default_factory=dict)
    invoice_by_id: dict[tuple[str, str], Invoice] = field(default_factory=dict)
    counters: dict[tuple[str, str, int], int] = field(default_factory=dict)
    ledger_by_id: dict[tuple[str, str], LedgerTransaction] = field(default_factory=dict)
    wallets: dict[tuple[str, str], Wallet] = field(default_factory=dict)
    rules_by_site: dict[tuple[str, str], RevenueSplit] = field(default_factory=dict)
    subscription_by_id: dict[tuple[str, str], Subscription] = field(default_factory=dict)
    plan_by_id: dict[tuple[str, str], Plan] = field(default_factory=dict)
    parked: list[tuple[str, str, str]] = field(default_factory=list)
    unbilled: list[tuple[str, str, str]] = field(default_factory=list)
    unsplit: list[tuple[str, str, str]] = field(default_factory=list)
    unbilled_subscriptions: list[tuple[str, str, str, str]] = field(default_factory=list)
    lose_next_wallet_race: int = 0

    # UsageSource
    def session_usage(self, tenant_id: str, session_id: str) -> SessionUsage | None:
        return self.usages.get((tenant_id, session_id))

    # TariffStore
    def tariffs(self, tenant_id: str, tariff_ids: Sequence[str]) -> dict[str, Tariff]:
        return {
            i: self.tariff_by_id[(tenant_id, i)] for i in tariff_ids if (tenant_id, i) in self.tariff_by_id
        }

    def assignments(
        self, tenant_id: str, *, station_id: str, site_id: str | None, driver_groups: Sequence[str]
    ) -> list[TariffAssignment]:
        wanted = {
            (AssignmentScope.STATION, station_id),
            (AssignmentScope.SITE, site_id),
            (AssignmentScope.TENANT, tenant_id),
            *((AssignmentScope.DRIVER_GROUP, group) for group in driver_groups),
        }
        return [
            a for a in self.assignment_list if a.tenant_id == tenant_id and (a.scope, a.target_id) in wanted
        ]

    # DriverDirectory
    def driver_groups(self, tenant_id: str, id_token: str | None) -> list[str]:
        return list(self.groups_by_token.get((tenant_id, id_token or ""), []))

    def billing_account_for_token(self, tenant_id: str, id_token: str | None) -> BillingAccount | None:
        account_id = self.account_by_token.get((tenant_id, id_token or ""))
        return None if account_id is None else self.accounts.get((tenant_id, account_id))

    def billing_account(self, tenant_id: str, billing_account_id: str) -> BillingAccount | None:
        return self.accounts.get((tenant_id, billing_account_id))

    # CdrStore
    def create_cdr(self, cdr: Cdr) -> Cdr:
        return self.cdr_by_session.setdefault((cdr.tenant_id, cdr.session_id), cdr)

    def cdr_for_session(self, tenant_id: str, session_id: str) -> Cdr | None:
        return self.cdr_by_session.get((tenant_id, session_id))

    def postpaid_cdrs(
        self, tenant_id: str, billing_account_id: str, start: datetime, end: datetime
    ) -> list[Cdr]:
        return [
            cdr
            for (tenant, _), cdr in self.cdr_by_session.items()
            if tenant == tenant_id
            and self.on_account.get((tenant, cdr.cdr_id)) == billing_account_id
            and start <= cdr.start_date_time < end
        ]

    def mark_on_account(self, cdr: Cdr, billing_account_id: str) -> None:
        self.on_account[(cdr.tenant_id, cdr.cdr_id)] = billing_account_id

    # InvoiceStore
    def create_invoice(self, invoice: Invoice) -> Invoice:
        key = (invoice.tenant_id, invoice.invoice_id)
        if key in self.invoice_by_id:
            return self.invoice_by_id[key]
        series = series_for(invoice.kind)
        counter = (invoice.tenant_id, series, invoice.issued_at.year)
        self.counters[counter] = self.counters.get(counter, 0) + 1
        numbered = invoice.model_copy(
            update={"number": format_invoice_number(series, invoice.issued_at.year, self.counters[counter])}
        )
        self.invoice_by_id[key] = numbered
        return numbered

    def invoice(self, tenant_id: str, invoice_id: str) -> Invoice | None:
        return self.invoice_by_id.get((tenant_id, invoice_id))

    def set_status(
        self,
        tenant_id: str,
        invoice_id: str,
        status: InvoiceStatus,
        *,
        payment_reference: str | None = None,
        failure: str | None = None,
    ) -> Invoice:
        current = self.invoice_by_id[(tenant_id, invoice_id)]
        updated = current.model_copy(
            update={
                "status": status,
                "payment_reference": payment_reference or current.payment_reference,
                "failure": failure,
            }
        )
        self.invoice_by_id[(tenant_id, invoice_id)] = updated
        return updated

    def invoices_for_session(self, tenant_id: str, session_id: str) -> list[Invoice]:
        return [
            i for (t, _), i in self.invoice_by_id.items() if t == tenant_id and i.session_id == session_id
        ]

    # LedgerStore
    def record(self, transaction: LedgerTransaction) -> bool:
        key = (transaction.tenant_id, transaction.transaction_id)
        if key in self.ledger_by_id:
            return False
        self.ledger_by_id[key] = transaction
        return True

    def transaction(self, tenant_id: str, transaction_id: str) -> LedgerTransaction | None:
        return self.ledger_by_id.get((tenant_id, transaction_id))

    def transactions(self, tenant_id: str) -> list[LedgerTransaction]:
        return [t for (tenant, _), t in self.ledger_by_id.items() if tenant == tenant_id]

    # WalletStore
    def wallet(self, tenant_id: str, wallet_id: str) -> Wallet | None:
        return self.wallets.get((tenant_id, wallet_id))

    def apply(self, change: WalletChange, *, expected_version: int) -> bool:
        key = (change.wallet.tenant_id, change.wallet.wallet_id)
        if self.lose_next_wallet_race:
            self.lose_next_wallet_race -= 1
            raise ConcurrentUpdateError(change.wallet.wallet_id)
        if (change.transaction.tenant_id, change.transaction.transaction_id) in self.ledger_by_id:
            return False
        if self.wallets[key].version != expected_version:
            raise ConcurrentUpdateError(change.wallet.wallet_id)
        self.wallets[key] = change.wallet
        self.ledger_by_id[(change.transaction.tenant_id, change.transaction.transaction_id)] = (
            change.transaction
        )
        return True

    # SplitRules
    def rules(self, tenant_id: str, site_ids: Sequence[str]) -> dict[str, RevenueSplit]:
        return {
            s: self.rules_by_site[(tenant_id, s)] for s in site_ids if (tenant_id, s) in self.rules_by_site
        }

    # SubscriptionStore
    def subscription(self, tenant_id: str, subscription_id: str) -> Subscription | None:
        return self.subscription_by_id.get((tenant_id, subscription_id))

    def plans(self, tenant_id: str, plan_ids: Sequence[str]) -> dict[str, Plan]:
        return {p: self.plan_by_id[(tenant_id, p)] for p in plan_ids if (tenant_id, p) in self.plan_by_id}

    # Alerts
    def invoice_parked(self, tenant_id: str, invoice_id: str, reason: str) -> None:
        self.parked.append((tenant_id, invoice_id, reason))

    def session_unbilled(self, tenant_id: str, session_id: str, reason: str) -> None:
        self.unbilled.append((tenant_id, session_id, reason))

    def split_failed(self, tenant_id: str, invoice_id: str, reason: str) -> None:
        self.unsplit.append((tenant_id, invoice_id, reason))

    def subscription_unbilled(self, tenant_id: str, subscription_id: str, period: str, reason: str) -> None:
        self.unbilled_subscriptions.append((tenant_id, subscription_id, period, reason))
