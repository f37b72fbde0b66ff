"""What operators do with billing: tariffs and where they apply, revenue split rules, billing accounts
and wallets, plans and subscriptions. Returns domain objects; the API maps them to views.

Records of money (CDRs, invoices, the ledger, revenue) are in shared/management/billing_records.py.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic.alias_generators import to_camel

from shared.billing.directory import AccountProfile
from shared.billing.ledger import LedgerTransaction, RevenueSplit
from shared.billing.money import MINOR_UNITS
from shared.billing.ports import ConcurrentUpdateError
from shared.billing.resolver import AssignmentScope, TariffAssignment
from shared.billing.subscriptions import (
    Plan,
    SubscriberType,
    Subscription,
    SubscriptionTerm,
    cancel,
    change_plan,
)
from shared.billing.tariffs import Tariff, parse_tariff
from shared.billing.wallets import AccountType, Wallet, top_up
from shared.domain.errors import ConflictError, InvalidRequestError, NotFoundError
from shared.domain.tenancy import Principal, Scope

if TYPE_CHECKING:
    from shared.wiring import Platform

_WALLET_RACE_RETRIES = 3


# ---- tariffs ----------------------------------------------------------------------------------


def create_tariff(platform: Platform, principal: Principal, document: dict[str, Any]) -> Tariff:
    """An OCPI tariff; invalid prices, currencies, restrictions or gaps are a 400 naming the field."""
    tariff = parse_tariff({**document, "lastUpdated": platform.clock().isoformat()})
    platform.billing.settings_store.add_tariff(principal.tenant_id, tariff)
    return tariff


def get_tariff(platform: Platform, principal: Principal, tariff_id: str) -> Tariff:
    tariff = platform.billing.settings_store.tariff(principal.tenant_id, tariff_id)
    if tariff is None:
        raise NotFoundError(f"tariff {tariff_id} not found")
    return tariff


def _require_target(platform: Platform, principal: Principal, scope: AssignmentScope, target_id: str) -> None:
    if scope is AssignmentScope.STATION:
        platform.stations.get_for_tenant(principal.tenant_id, target_id)
    elif scope is AssignmentScope.SITE:
        platform.sites.get(principal.tenant_id, target_id)
    elif scope is AssignmentScope.TENANT and target_id != principal.tenant_id:
        raise NotFoundError(f"tenant {target_id} not found")


def assign_tariff(
    platform: Platform, principal: Principal, scope: AssignmentScope, target_id: str, tariff_id: str | None
) -> TariffAssignment | None:
    """Prices the target's sessions with ``tariff_id`` from now on (None: removes the assignment).
    The most specific assignment wins: driver group, station, site, tenant default."""
    _require_target(platform, principal, scope, target_id)
    store = platform.billing.settings_store
    if tariff_id is None:
        store.unassign(principal.tenant_id, scope, target_id)
        return None
    if store.tariff(principal.tenant_id, tariff_id) is None:
        raise InvalidRequestError(f"tariffId: tariff {tariff_id} does not exist")
    assignment = TariffAssignment(
        tenant_id=principal.tenant_id, scope=scope, target_id=target_id, tariff_id=tariff_id
    )
    store.assign(assignment)
    return assignment


def assigned_tariff(
    platform: Platform, principal: Principal, scope: AssignmentScope, target_id: str
) -> str | None:
    assignment = platform.billing.settings_store.assignment(principal.tenant_id, scope, target_id)
    return assignment.tariff_id if assignment else None


# ---- revenue split ----------------------------------------------------------------------------


def set_revenue_split(
    platform: Platform,
    principal: Principal,
    site_id: str,
    *,
    host_id: str | None,
    host_share_percent: Decimal,
    platform_fee_percent: Decimal,
    platform_fee_fixed: Decimal,
) -> RevenueSplit:
    platform.sites.get(principal.tenant_id, site_id)
    try:
        rule = RevenueSplit(
            site_id=site_id,
            host_id=host_id,
            host_share_percent=host_share_percent,
            platform_fee_percent=platform_fee_percent,
            platform_fee_fixed=platform_fee_fixed,
        )
    except ValueError as error:
        raise InvalidRequestError(_first_error(error)) from None
    platform.billing.settings_store.put_split_rule(principal.tenant_id, rule)
    return rule


def revenue_split(platform: Platform, principal: Principal, site_id: str) -> RevenueSplit:
    platform.sites.get(principal.tenant_id, site_id)
    return platform.billing.settings_store.split_rule(principal.tenant_id, site_id) or RevenueSplit(
        site_id=site_id
    )


def _first_error(error: ValueError) -> str:
    """A model's validation error as '<field>: <problem>' (the 400's message)."""
    errors = getattr(error, "errors", None)
    if callable(errors):
        found = errors()
        if found:
            location = ".".join(to_camel(str(part)) for part in found[0].get("loc", ()))
            message = str(found[0].get("msg", error)).removeprefix("Value error, ")
            return f"{location}: {message}" if location and ":" not in message else message
    return str(error)


# ---- billing accounts and wallets -------------------------------------------------------------


def _currency(currency: str) -> str:
    if currency not in MINOR_UNITS:
        raise InvalidRequestError(
            "currency: must be an ISO 4217 currency code (three capital letters, e.g. EUR)"
        )
    return currency


@dataclass(frozen=True)
class AccountCreated:
    profile: AccountProfile
    wallet: Wallet | None


def create_account(
    platform: Platform,
    principal: Principal,
    *,
    billing_account_id: str | None,
    type: AccountType,
    currency: str,
    id_tokens: list[str],
    driver_groups: list[str],
    provider: str | None,
    provider_customer_id: str | None,
    provider_payment_method_id: str | None,
    overdraft_limit: Decimal,
) -> AccountCreated:
    """A prepaid account gets its wallet (same id, balance 0); a card account needs a saved Stripe
    payment method (collected in the driver's app with a SetupIntent)."""
    _currency(currency)
    if type is AccountType.CARD and (
        provider != "stripe" or not provider_customer_id or not provider_payment_method_id
    ):
        raise InvalidRequestError(
            "provider: a CARD account needs provider stripe, providerCustomerId and providerPaymentMethodId"
        )
    if provider is not None and provider != "stripe":
        raise InvalidRequestError("provider: the only card provider is stripe")
    if overdraft_limit < 0:
        raise InvalidRequestError("overdraftLimit: must not be negative")
    tokens = sorted({token.upper() for token in id_tokens})
    account_id = billing_account_id or f"acct-{uuid.uuid4().hex[:12]}"
    now = platform.clock()
    wallet = (
        Wallet(
            tenant_id=principal.tenant_id,
            wallet_id=account_id,
            billing_account_id=account_id,
            currency=currency,
            balance=Decimal(0),
            overdraft_limit=overdraft_limit,
            updated_at=now,
        )
        if type is AccountType.PREPAID
        else None
    )
    profile = AccountProfile(
        tenant_id=principal.tenant_id,
        billing_account_id=account_id,
        type=type,
        currency=currency,
        wallet_id=wallet.wallet_id if wallet else None,
        provider=provider,
        provider_customer_id=provider_customer_id,
        provider_payment_method_id=provider_payment_method_id,
        id_tokens=tokens,
        driver_groups=list(dict.fromkeys(driver_groups)),
        created_at=now,
    )
    platform.billing.accounts.create_account(profile, wallet)
    return AccountCreated(profile, wallet)


def list_accounts(
    platform: Platform, scope: Scope, limit: int, cursor: str | None
) -> tuple[list[AccountProfile], str | None]:
    """The tenant's billing accounts, or the one the scope acts for."""
    if scope.whole_tenant:
        return platform.billing.accounts.list_accounts(scope.tenant_id, limit, cursor)
    if scope.account_id is None or cursor is not None:
        return [], None
    profile = platform.billing.accounts.profile(scope.tenant_id, scope.account_id)
    return ([profile] if profile else []), None


def list_subscriptions(
    platform: Platform, scope: Scope, limit: int, cursor: str | None
) -> tuple[list[Subscription], str | None]:
    """The tenant's subscriptions, kept to the scope's billing account."""
    items, next_cursor = platform.billing.accounts.list_subscriptions(scope.tenant_id, limit, cursor)
    return [item for item in items if scope.covers_account(item.billing_account_id)], next_cursor


def get_account(platform: Platform, principal: Principal, billing_account_id: str) -> AccountProfile:
    profile = platform.billing.accounts.profile(principal.tenant_id, billing_account_id)
    if profile is None:
        raise NotFoundError(f"billing account {billing_account_id} not found")
    return profile


def get_wallet(platform: Platform, principal: Principal, wallet_id: str) -> Wallet:
    wallet = platform.billing.accounts.wallet(principal.tenant_id, wallet_id)
    if wallet is None:
        raise NotFoundError(f"wallet {wallet_id} not found")
    return wallet


def top_up_wallet(
    platform: Platform,
    principal: Principal,
    wallet_id: str,
    *,
    amount: Decimal,
    top_up_id: str | None,
    provider: str,
) -> Wallet:
    """Credits the wallet with money received at ``provider`` (``manual``: cash, bank transfer booked by
    the operator). Idempotent on ``topUpId``: the same id again changes nothing."""
    top_up_id = top_up_id or uuid.uuid4().hex
    accounts = platform.billing.accounts
    for _ in range(_WALLET_RACE_RETRIES):
        wallet = get_wallet(platform, principal, wallet_id)
        change = top_up(wallet, amount=amount, top_up_id=top_up_id, provider=provider, at=platform.clock())
        try:
            applied = accounts.apply(change, expected_version=wallet.version)
        except ConcurrentUpdateError:
            continue
        return change.wallet if applied else wallet
    raise ConflictError(f"wallet {wallet_id} kept changing; try again")


@dataclass(frozen=True)
class WalletMovementRecord:
    transaction: LedgerTransaction
    amount: Decimal
    """Signed change of the balance: positive credits the wallet (top-up, refund), negative debits it."""


def wallet_history(
    platform: Platform, principal: Principal, wallet_id: str, limit: int, cursor: str | None
) -> tuple[list[WalletMovementRecord], str | None]:
    get_wallet(platform, principal, wallet_id)
    transactions, next_cursor = platform.billing.ledger.wallet_history(
        principal.tenant_id, wallet_id, limit, cursor
    )
    account = f"wallet:{wallet_id}"
    movements = [
        WalletMovementRecord(
            transaction, -sum((e.amount for e in transaction.entries if e.account == account), Decimal(0))
        )
        for transaction in transactions
    ]
    return movements, next_cursor


# ---- plans and subscriptions ------------------------------------------------------------------


def create_plan(platform: Platform, principal: Principal, **fields: Any) -> Plan:
    _currency(str(fields["currency"]))
    plan_id = fields.pop("plan_id", None) or f"plan-{uuid.uuid4().hex[:12]}"
    if (
        fields.get("tariff_id")
        and platform.billing.settings_store.tariff(principal.tenant_id, fields["tariff_id"]) is None
    ):
        raise InvalidRequestError(f"tariffId: tariff {fields['tariff_id']} does not exist")
    try:
        plan = Plan(tenant_id=principal.tenant_id, plan_id=plan_id, **fields)
    except ValueError as error:
        raise InvalidRequestError(_first_error(error)) from None
    platform.billing.settings_store.add_plan(plan)
    return plan


def get_plan(platform: Platform, principal: Principal, plan_id: str) -> Plan:
    plan = platform.billing.settings_store.plan(principal.tenant_id, plan_id)
    if plan is None:
        raise NotFoundError(f"plan {plan_id} not found")
    return plan


def create_subscription(
    platform: Platform,
    principal: Principal,
    *,
    subscription_id: str | None,
    billing_account_id: str,
    subscriber_type: SubscriberType,
    subscriber_id: str,
    plan_id: str,
    starts_on: date,
) -> Subscription:
    if platform.billing.accounts.profile(principal.tenant_id, billing_account_id) is None:
        raise InvalidRequestError(f"billingAccountId: billing account {billing_account_id} does not exist")
    if platform.billing.settings_store.plan(principal.tenant_id, plan_id) is None:
        raise InvalidRequestError(f"planId: plan {plan_id} does not exist")
    subscription = Subscription(
        tenant_id=principal.tenant_id,
        subscription_id=subscription_id or f"sub-{uuid.uuid4().hex[:12]}",
        billing_account_id=billing_account_id,
        subscriber_type=subscriber_type,
        subscriber_id=subscriber_id,
        terms=[SubscriptionTerm(plan_id=plan_id, starts_on=starts_on)],
    )
    platform.billing.accounts.create_subscription(subscription)
    return subscription


def get_subscription(platform: Platform, principal: Principal, subscription_id: str) -> Subscription:
    subscription = platform.billing.accounts.subscription(principal.tenant_id, subscription_id)
    if subscription is None:
        raise NotFoundError(f"subscription {subscription_id} not found")
    return subscription


def change_subscription(
    platform: Platform,
    principal: Principal,
    subscription_id: str,
    *,
    plan_id: str | None,
    on: date,
    cancel_it: bool,
) -> Subscription:
    """A plan change from ``on`` (the month is prorated by days), or the end of the subscription."""
    subscription = get_subscription(platform, principal, subscription_id)
    if cancel_it:
        changed = cancel(subscription, on=on)
    else:
        if plan_id is None or platform.billing.settings_store.plan(principal.tenant_id, plan_id) is None:
            raise InvalidRequestError(f"planId: plan {plan_id} does not exist")
        changed = change_plan(subscription, plan_id=plan_id, on=on)
    platform.billing.accounts.replace_subscription(changed)
    return changed
