"""Billing set-up: /v1/tariffs, where they apply (driver groups, the tenant default; stations and sites
through their own PATCH), sites' revenue split, /v1/billing-accounts, /v1/wallets, /v1/plans and
/v1/subscriptions."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path

from shared.api import billing_schemas as schemas
from shared.api import billing_views as views
from shared.api.access import Permission
from shared.api.dependencies import Caller, CallerScope, PlatformDependency
from shared.api.routes.params import Cursor, Limit, SiteIdPath
from shared.api.routing import operation
from shared.api.schemas import IDENTIFIER_PATTERN
from shared.billing.resolver import AssignmentScope
from shared.management import billing

router = Router()
TARIFFS = ["tariffs"]
ACCOUNTS = ["billing-accounts"]
PLANS = ["plans"]

TariffIdPath = Annotated[str, Path(pattern=schemas.TARIFF_ID_PATTERN)]
IdentifierPath = Annotated[str, Path(pattern=IDENTIFIER_PATTERN)]


# ---- tariffs ----------------------------------------------------------------------------------


@operation(router, "POST", "/v1/tariffs", Permission.WRITE, status=HTTPStatus.CREATED, tags=TARIFFS)
def create_tariff(
    body: schemas.TariffCreate, caller: Caller, platform: PlatformDependency
) -> schemas.TariffView:
    """An OCPI 2.2.1 tariff. Refused with 400 naming the field: a negative price or VAT, an unknown
    currency, a step size below 1, empty or malformed restrictions, and restrictions that leave a
    period unpriced (unless ``allowUnpricedPeriods``)."""
    tariff = billing.create_tariff(
        platform, caller, body.model_dump(by_alias=True, exclude_unset=True, mode="json")
    )
    return views.tariff_view(tariff)


@operation(router, "GET", "/v1/tariffs", Permission.READ, tags=TARIFFS)
def list_tariffs(
    caller: Caller, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.TariffList:
    items, next_cursor = platform.billing.settings_store.list_tariffs(caller.tenant_id, limit, cursor)
    return schemas.TariffList(items=[views.tariff_view(item) for item in items], next_cursor=next_cursor)


@operation(router, "GET", "/v1/tariffs/<tariff_id>", Permission.READ, tags=TARIFFS)
def get_tariff(tariff_id: TariffIdPath, caller: Caller, platform: PlatformDependency) -> schemas.TariffView:
    return views.tariff_view(billing.get_tariff(platform, caller, tariff_id))


@operation(router, "GET", "/v1/tariff-assignments", Permission.READ, tags=TARIFFS)
def list_assignments(
    caller: Caller, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.TariffAssignmentList:
    """Every assignment: driver groups, stations, sites and the tenant default (most specific wins)."""
    items, next_cursor = platform.billing.settings_store.list_assignments(caller.tenant_id, limit, cursor)
    return schemas.TariffAssignmentList(
        items=[views.assignment_view(item.scope, item.target_id, item) for item in items],
        next_cursor=next_cursor,
    )


@operation(router, "PATCH", "/v1/driver-groups/<group_id>", Permission.WRITE, tags=TARIFFS)
def assign_group_tariff(
    group_id: IdentifierPath, body: schemas.TariffAssignmentBody, caller: Caller, platform: PlatformDependency
) -> schemas.TariffAssignmentView:
    """The tariff of a driver group (a fleet, a plan's members): it wins over station and site."""
    assignment = billing.assign_tariff(
        platform, caller, AssignmentScope.DRIVER_GROUP, group_id, body.tariff_id
    )
    return views.assignment_view(AssignmentScope.DRIVER_GROUP, group_id, assignment)


@operation(router, "PATCH", "/v1/billing/default-tariff", Permission.WRITE, tags=TARIFFS)
def assign_default_tariff(
    body: schemas.TariffAssignmentBody, caller: Caller, platform: PlatformDependency
) -> schemas.TariffAssignmentView:
    """The tenant's default tariff: prices sessions nothing more specific prices."""
    tenant = caller.tenant_id
    assignment = billing.assign_tariff(platform, caller, AssignmentScope.TENANT, tenant, body.tariff_id)
    return views.assignment_view(AssignmentScope.TENANT, tenant, assignment)


# ---- revenue split ----------------------------------------------------------------------------


@operation(router, "GET", "/v1/sites/<site_id>/revenue-split", Permission.REVENUE, tags=["sites"])
def get_revenue_split(
    site_id: SiteIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.RevenueSplitView:
    return views.split_view(billing.revenue_split(platform, caller, site_id))


@operation(router, "PATCH", "/v1/sites/<site_id>/revenue-split", Permission.WRITE, tags=["sites"])
def set_revenue_split(
    site_id: SiteIdPath, body: schemas.RevenueSplitBody, caller: Caller, platform: PlatformDependency
) -> schemas.RevenueSplitView:
    """How the site's net revenue is shared: the host's percentage, the platform's fee (percentage plus
    a fixed amount per invoice), the operator the rest. Applies to invoices paid from now on."""
    rule = billing.set_revenue_split(
        platform,
        caller,
        site_id,
        host_id=body.host_id,
        host_share_percent=Decimal(body.host_share_percent),
        platform_fee_percent=Decimal(body.platform_fee_percent),
        platform_fee_fixed=Decimal(body.platform_fee_fixed),
    )
    return views.split_view(rule)


# ---- billing accounts and wallets -------------------------------------------------------------


@operation(router, "POST", "/v1/billing-accounts", Permission.WRITE, status=HTTPStatus.CREATED, tags=ACCOUNTS)
def create_billing_account(
    body: schemas.BillingAccountCreate, caller: Caller, platform: PlatformDependency
) -> schemas.BillingAccountView:
    """Who pays the sessions of ``idTokens``: PREPAID (a wallet, created with the account, same id),
    POSTPAID (invoiced monthly) or CARD (each session through Stripe). An ID token belongs to one
    account (409 otherwise)."""
    created = billing.create_account(
        platform,
        caller,
        billing_account_id=body.billing_account_id,
        type=body.type,
        currency=body.currency,
        id_tokens=body.id_tokens,
        driver_groups=body.driver_groups,
        provider=body.provider,
        provider_customer_id=body.provider_customer_id,
        provider_payment_method_id=body.provider_payment_method_id,
        overdraft_limit=Decimal(body.overdraft_limit),
    )
    return views.account_view(created.profile)


@operation(router, "GET", "/v1/billing-accounts", Permission.ACCOUNTS, tags=ACCOUNTS)
def list_billing_accounts(
    scope: CallerScope, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.BillingAccountList:
    """A fleet manager's or driver's token lists its own account."""
    items, next_cursor = billing.list_accounts(platform, scope, limit, cursor)
    return schemas.BillingAccountList(
        items=[views.account_view(item) for item in items], next_cursor=next_cursor
    )


@operation(router, "GET", "/v1/billing-accounts/<billing_account_id>", Permission.ACCOUNTS, tags=ACCOUNTS)
def get_billing_account(
    billing_account_id: IdentifierPath, caller: Caller, platform: PlatformDependency
) -> schemas.BillingAccountView:
    return views.account_view(billing.get_account(platform, caller, billing_account_id))


@operation(router, "GET", "/v1/wallets/<wallet_id>", Permission.ACCOUNTS, tags=ACCOUNTS)
def get_wallet(wallet_id: IdentifierPath, caller: Caller, platform: PlatformDependency) -> schemas.WalletView:
    return views.wallet_view(billing.get_wallet(platform, caller, wallet_id))


@operation(
    router,
    "POST",
    "/v1/wallets/<wallet_id>/top-ups",
    Permission.WRITE,
    status=HTTPStatus.CREATED,
    tags=ACCOUNTS,
)
def top_up_wallet(
    wallet_id: IdentifierPath, body: schemas.TopUpCreate, caller: Caller, platform: PlatformDependency
) -> schemas.WalletView:
    """Credits the wallet (money received outside the platform: cash, bank transfer). The answer is the
    wallet after it; the same ``topUpId`` again credits nothing."""
    wallet = billing.top_up_wallet(
        platform,
        caller,
        wallet_id,
        amount=Decimal(body.amount),
        top_up_id=body.top_up_id,
        provider=body.provider,
    )
    return views.wallet_view(wallet)


@operation(router, "GET", "/v1/wallets/<wallet_id>/history", Permission.ACCOUNTS, tags=ACCOUNTS)
def wallet_history(
    wallet_id: IdentifierPath,
    caller: Caller,
    platform: PlatformDependency,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> schemas.WalletHistory:
    """Top-ups, session payments and refunds, newest first."""
    movements, next_cursor = billing.wallet_history(platform, caller, wallet_id, limit, cursor)
    return schemas.WalletHistory(
        items=[views.movement_view(item) for item in movements], next_cursor=next_cursor
    )


# ---- plans and subscriptions ------------------------------------------------------------------


@operation(router, "POST", "/v1/plans", Permission.WRITE, status=HTTPStatus.CREATED, tags=PLANS)
def create_plan(body: schemas.PlanCreate, caller: Caller, platform: PlatformDependency) -> schemas.PlanView:
    """A monthly plan: fee, included energy, energy discount; its own prices are a tariff (``tariffId``)
    assigned to the subscribers' driver group."""
    plan = billing.create_plan(
        platform,
        caller,
        plan_id=body.plan_id,
        name=body.name,
        currency=body.currency,
        monthly_fee=Decimal(body.monthly_fee),
        fee_vat_rate=Decimal(body.fee_vat_rate) if body.fee_vat_rate is not None else None,
        included_kwh=Decimal(body.included_kwh),
        energy_discount_percent=Decimal(body.energy_discount_percent),
        tariff_id=body.tariff_id,
    )
    return views.plan_view(plan)


@operation(router, "GET", "/v1/plans", Permission.READ, tags=PLANS)
def list_plans(
    caller: Caller, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.PlanList:
    items, next_cursor = platform.billing.settings_store.list_plans(caller.tenant_id, limit, cursor)
    return schemas.PlanList(items=[views.plan_view(item) for item in items], next_cursor=next_cursor)


@operation(router, "GET", "/v1/plans/<plan_id>", Permission.READ, tags=PLANS)
def get_plan(plan_id: IdentifierPath, caller: Caller, platform: PlatformDependency) -> schemas.PlanView:
    return views.plan_view(billing.get_plan(platform, caller, plan_id))


@operation(router, "POST", "/v1/subscriptions", Permission.WRITE, status=HTTPStatus.CREATED, tags=PLANS)
def create_subscription(
    body: schemas.SubscriptionCreate, caller: Caller, platform: PlatformDependency
) -> schemas.SubscriptionView:
    """A driver's or fleet's plan from ``startsOn``, invoiced on the 1st for the month before."""
    subscription = billing.create_subscription(
        platform,
        caller,
        subscription_id=body.subscription_id,
        billing_account_id=body.billing_account_id,
        subscriber_type=body.subscriber_type,
        subscriber_id=body.subscriber_id,
        plan_id=body.plan_id,
        starts_on=body.starts_on,
    )
    return views.subscription_view(subscription)


@operation(router, "GET", "/v1/subscriptions", Permission.ACCOUNTS, tags=PLANS)
def list_subscriptions(
    scope: CallerScope, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.SubscriptionList:
    """A fleet manager's or driver's token lists its account's."""
    items, next_cursor = billing.list_subscriptions(platform, scope, limit, cursor)
    return schemas.SubscriptionList(
        items=[views.subscription_view(item) for item in items], next_cursor=next_cursor
    )


@operation(router, "GET", "/v1/subscriptions/<subscription_id>", Permission.ACCOUNTS, tags=PLANS)
def get_subscription(
    subscription_id: IdentifierPath, caller: Caller, platform: PlatformDependency
) -> schemas.SubscriptionView:
    return views.subscription_view(billing.get_subscription(platform, caller, subscription_id))


@operation(router, "PATCH", "/v1/subscriptions/<subscription_id>", Permission.WRITE, tags=PLANS)
def change_subscription(
    subscription_id: IdentifierPath,
    body: schemas.SubscriptionChange,
    caller: Caller,
    platform: PlatformDependency,
) -> schemas.SubscriptionView:
    """Another plan from ``on`` (both are prorated by days in that month), or the end on ``on``."""
    subscription = billing.change_subscription(
        platform, caller, subscription_id, plan_id=body.plan_id, on=body.on, cancel_it=body.cancel
    )
    return views.subscription_view(subscription)
