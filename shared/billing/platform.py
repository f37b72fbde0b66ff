"""Billing wired to the platform: the DynamoDB repositories behind the ports, the session usage read
from the sessions and meter-values tables, alerts an operator sees, the payment providers and the
workflow starter. Built once per warm container from the platform (``Platform.billing``).

The pure billing modules beside this one never import it; this is where they meet storage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING

from shared.billing.alerts import BillingAlert
from shared.billing.payments.ledger_provider import LedgerProvider
from shared.billing.payments.port import PaymentProvider
from shared.billing.subscriptions import Plan, Subscription
from shared.billing.tasks import BillingPorts
from shared.billing.usage import SessionUsage, stored_session_usage
from shared.observability import logger, metrics
from shared.ports import WorkflowStarter
from shared.storage.billing import (
    BillingAccountRepository,
    BillingAlertRepository,
    BillingSettingsRepository,
    CdrRepository,
    InvoiceRepository,
    LedgerRepository,
)
from shared.storage.tables import BILLING_ACCOUNTS, BILLING_ALERTS, BILLING_SETTINGS, CDRS, INVOICES, LEDGER

if TYPE_CHECKING:
    from shared.billing.payments.stripe_provider import StripeProvider
    from shared.wiring import Platform

MAX_REASON_CHARS = 1000


class PlatformUsageSource:
    """A completed session, the meter values it owns and its site's time zone."""

    def __init__(self, platform: Platform) -> None:
        self._platform = platform

    def session_usage(self, tenant_id: str, session_id: str) -> SessionUsage | None:
        session = self._platform.sessions.get(session_id)
        if session is None or session.tenant_id != tenant_id:
            return None
        records = self._platform.meter_values.for_session(session_id)
        site = self._platform.sites.find(tenant_id, session.site_id) if session.site_id else None
        return stored_session_usage(session, records, site)


def alert_key(kind: str, subject_id: str, period: str | None = None) -> str:
    return f"{kind}#{subject_id}" + (f"#{period}" if period else "")


class StoredAlerts:
    """Alerts an operator sees in ``GET /v1/billing-alerts`` (and a metric to alarm on). An alert whose
    cause has gone (the session priced, the invoice paid) is dropped when listed, not on the hot path."""

    def __init__(self, repository: BillingAlertRepository, platform: Platform) -> None:
        self._repository = repository
        self._platform = platform

    def _raise(
        self, tenant_id: str, kind: str, subject_id: str, reason: str, period: str | None = None
    ) -> None:
        self._repository.raise_alert(
            BillingAlert(
                tenant_id=tenant_id,
                alert_key=alert_key(kind, subject_id, period),
                kind=kind,
                subject_id=subject_id,
                period=period,
                reason=reason[:MAX_REASON_CHARS],
                raised_at=self._platform.clock(),
            )
        )
        logger.warning("billing parked", extra={"kind": kind, "subject": subject_id, "reason": reason[:200]})
        metrics.add_metric(name="BillingParked", unit="Count", value=1)

    def invoice_parked(self, tenant_id: str, invoice_id: str, reason: str) -> None:
        self._raise(tenant_id, "invoice_parked", invoice_id, reason)

    def session_unbilled(self, tenant_id: str, session_id: str, reason: str) -> None:
        self._raise(tenant_id, "session_unbilled", session_id, reason)

    def split_failed(self, tenant_id: str, invoice_id: str, reason: str) -> None:
        self._raise(tenant_id, "split_failed", invoice_id, reason)

    def subscription_unbilled(self, tenant_id: str, subscription_id: str, period: str, reason: str) -> None:
        self._raise(tenant_id, "subscription_unbilled", subscription_id, reason, period)


class BillingPlatform:
    def __init__(self, platform: Platform) -> None:
        self._platform = platform
        settings, dynamodb = platform.settings, platform.dynamodb
        self.settings_store = BillingSettingsRepository(dynamodb, settings.table_name(BILLING_SETTINGS))
        self.ledger = LedgerRepository(dynamodb, settings.table_name(LEDGER))
        self.accounts = BillingAccountRepository(
            dynamodb, settings.table_name(BILLING_ACCOUNTS), settings.table_name(LEDGER)
        )
        self.cdrs = CdrRepository(dynamodb, settings.table_name(CDRS))
        self.invoices = InvoiceRepository(dynamodb, settings.table_name(INVOICES))
        self.alert_records = BillingAlertRepository(dynamodb, settings.table_name(BILLING_ALERTS))
        self.alerts = StoredAlerts(self.alert_records, platform)
        self.usage = PlatformUsageSource(platform)
        self._starter: WorkflowStarter | None = None
        self._stripe: StripeProvider | None = None

    @property
    def clock(self) -> Callable[[], datetime]:
        return self._platform.clock

    @property
    def starter(self) -> WorkflowStarter:
        return self._starter if self._starter is not None else self._platform.starter

    @starter.setter
    def starter(self, starter: WorkflowStarter) -> None:
        self._starter = starter

    @property
    def stripe(self) -> StripeProvider | None:
        """Configured when ``STRIPE_SECRET_ARN`` names a secret (tests set ``stripe`` themselves)."""
        if self._stripe is None and self._platform.settings.stripe_secret_arn:
            import stripe

            from shared.billing.payments.stripe_provider import StripeProvider
            from shared.gateway.secrets import secret_json

            secret = secret_json(self._platform.settings.stripe_secret_arn)
            if not secret.get("apiKey") or not secret.get("webhookSecret"):
                return None  # deployed empty: Stripe is not configured yet
            base = {"api": str(secret["apiBase"])} if secret.get("apiBase") else None
            client = stripe.StripeClient(str(secret["apiKey"]), base_addresses=base or {})  # type: ignore[arg-type]
            self._stripe = StripeProvider(client, webhook_secret=str(secret["webhookSecret"]))
        return self._stripe

    @stripe.setter
    def stripe(self, provider: StripeProvider | None) -> None:
        self._stripe = provider

    @cached_property
    def ledger_provider(self) -> LedgerProvider:
        return LedgerProvider(self.accounts, self.ledger, self._platform.clock)

    def providers(self) -> Mapping[str, PaymentProvider]:
        providers: dict[str, PaymentProvider] = {"ledger": self.ledger_provider}
        if self.stripe is not None:
            providers["stripe"] = self.stripe
        return providers

    def ports(self) -> BillingPorts:
        return BillingPorts(
            usage=self.usage,
            tariffs=self.settings_store,
            drivers=self.accounts,
            cdrs=self.cdrs,
            invoices=self.invoices,
            ledger=self.ledger,
            split_rules=self.settings_store,
            subscriptions=_Subscriptions(self.accounts, self.settings_store),
            alerts=self.alerts,
            providers=self.providers(),
            clock=self._platform.clock,
            payment_retry_base_seconds=self._platform.settings.payment_retry_base_seconds,
        )


class _Subscriptions:
    """``SubscriptionStore``: subscriptions live with the accounts, plans with the settings."""

    def __init__(self, accounts: BillingAccountRepository, settings: BillingSettingsRepository) -> None:
        self._accounts = accounts
        self._settings = settings

    def subscription(self, tenant_id: str, subscription_id: str) -> Subscription | None:
        return self._accounts.subscription(tenant_id, subscription_id)

    def plans(self, tenant_id: str, plan_ids: Sequence[str]) -> dict[str, Plan]:
        return self._settings.plans(tenant_id, plan_ids)
