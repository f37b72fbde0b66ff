"""The billing workflows' Lambda tasks (one function, ``functions/billing_tasks``) and what starts the
workflows (``functions/billing_triggers``): JSON in, a task of shared/billing/tasks.py, JSON out.

A task state sends ``{"task": "<name>", ...input}``. A task that cannot succeed however often it is
retried (unknown session, no tariff, invalid input, a conflict) raises ``BillingInputError``: the
state machines retry everything else and catch both into an operator-visible parked state.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from shared.billing.subscriptions import Subscription, month_bounds
from shared.billing.tasks import (
    BillingInputError,
    BillingPorts,
    CollectPaymentInput,
    CreateInvoiceInput,
    MonthlyInvoiceInput,
    ParkInvoiceInput,
    ParkSessionInput,
    ParkSplitInput,
    ParkSubscriptionInput,
    PriceSessionInput,
    RefundInput,
    SplitRevenueInput,
    collect_payment_task,
    create_invoice_task,
    monthly_invoice_task,
    park_invoice_task,
    park_session_task,
    park_split_task,
    park_subscription_task,
    price_session_task,
    refund_invoice_task,
    split_revenue_task,
)
from shared.domain.base import DomainModel, parse_timestamp
from shared.domain.errors import DomainError

if TYPE_CHECKING:
    from shared.billing.platform import BillingPlatform

SESSION_WORKFLOW = "billing_session"
PAYMENT_RETRY_WORKFLOW = "billing_payment_retry"
MONTHLY_WORKFLOW = "billing_monthly"
SUBSCRIPTIONS_PAGE = 100
"""Subscriptions per Map run of the monthly workflow (ids only: far below the 256 KB state limit)."""
_REASON_CHARS = 1000


class ListSubscriptionsInput(DomainModel):
    year: int
    month: int
    cursor: str | None = None
    time_zone: str = "UTC"


class StartPaymentRetryInput(DomainModel):
    tenant_id: str
    invoice_id: str
    attempt: int
    delay_seconds: int = 0


def _list_subscriptions(billing: BillingPlatform, request: ListSubscriptionsInput) -> dict[str, Any]:
    if not 1 <= request.month <= 12:
        raise BillingInputError("month: must be 1 to 12")
    first, after = month_bounds(request.year, request.month)
    page, cursor = billing.accounts.all_subscriptions(SUBSCRIPTIONS_PAGE, request.cursor)
    items = [
        {
            "tenantId": subscription.tenant_id,
            "subscriptionId": subscription.subscription_id,
            "year": request.year,
            "month": request.month,
            "timeZone": request.time_zone,
        }
        for subscription in page
        if _overlaps(subscription, first, after)
    ]
    return {"items": items, "cursor": cursor, "more": cursor is not None}


def _overlaps(subscription: Subscription, first: date, after: date) -> bool:
    return any(
        term.starts_on < after and (term.ends_on is None or term.ends_on > first)
        for term in subscription.terms
    )


def _start_payment_retry(billing: BillingPlatform, request: StartPaymentRetryInput) -> dict[str, Any]:
    """Hands a retryable failure to the Standard retry workflow (it waits; Express cannot). The name
    makes a repeated start of the same attempt a no-op."""
    billing.starter.start(
        PAYMENT_RETRY_WORKFLOW,
        f"pay-{request.invoice_id}-{request.attempt}",
        {
            "tenantId": request.tenant_id,
            "invoiceId": request.invoice_id,
            "attempt": request.attempt,
            "delaySeconds": request.delay_seconds,
        },
    )
    return {"started": True}


def _collect(ports: BillingPorts, request: CollectPaymentInput) -> dict[str, Any]:
    output = collect_payment_task(ports, request).to_document()
    output["nextAttempt"] = request.attempt + 1  # what the retry loop passes on (no arithmetic in ASL)
    return output


_PortTask = Callable[[BillingPorts, Any], Any]
_PORT_TASKS: dict[str, tuple[type[DomainModel], _PortTask]] = {
    "price_session": (PriceSessionInput, price_session_task),
    "park_session": (ParkSessionInput, park_session_task),
    "create_invoice": (CreateInvoiceInput, create_invoice_task),
    "collect_payment": (CollectPaymentInput, _collect),
    "park_invoice": (ParkInvoiceInput, park_invoice_task),
    "split_revenue": (SplitRevenueInput, split_revenue_task),
    "park_split": (ParkSplitInput, park_split_task),
    "monthly_invoice": (MonthlyInvoiceInput, monthly_invoice_task),
    "park_subscription": (ParkSubscriptionInput, park_subscription_task),
    "refund_invoice": (RefundInput, refund_invoice_task),
}
_PLATFORM_TASKS: dict[str, tuple[type[DomainModel], Callable[[BillingPlatform, Any], dict[str, Any]]]] = {
    "list_subscriptions": (ListSubscriptionsInput, _list_subscriptions),
    "start_payment_retry": (StartPaymentRetryInput, _start_payment_retry),
}
TASK_NAMES = frozenset(_PORT_TASKS) | frozenset(_PLATFORM_TASKS)


def _reason(event: dict[str, Any]) -> dict[str, Any]:
    """Park states pass the caught error (``{"Error", "Cause"}``) or a failure message as ``reason``."""
    reason = event.get("reason")
    if isinstance(reason, dict):  # a caught error: Cause is the Lambda's error document, as JSON
        cause = str(reason.get("Cause", ""))
        try:
            document = json.loads(cause)
        except ValueError:
            document = None
        if isinstance(document, dict) and "errorMessage" in document:
            cause = str(document["errorMessage"])
        reason = f"{reason.get('Error', 'Error')}: {cause}"
    if reason is not None:
        event = {**event, "reason": str(reason)[:_REASON_CHARS]}
    return event


def run_task(billing: BillingPlatform, event: dict[str, Any]) -> dict[str, Any]:
    """One task state: ``event["task"]`` names the task, the rest is its input."""
    name = event.get("task")
    arguments = _reason({key: value for key, value in event.items() if key != "task"})
    try:
        if name in _PLATFORM_TASKS:
            model, platform_task = _PLATFORM_TASKS[str(name)]
            return platform_task(billing, model.model_validate(arguments))
        if name not in _PORT_TASKS:
            raise BillingInputError(f"task: {name!r} is not a billing task")
        model, port_task = _PORT_TASKS[str(name)]
        result = port_task(billing.ports(), model.model_validate(arguments))
    except BillingInputError:
        raise
    except ValidationError as error:
        raise BillingInputError(f"{name} input: {error.errors()[0].get('msg')}") from None
    except DomainError as error:
        # Not found, conflict, invalid: retrying in seconds cannot help; the catch parks it.
        raise BillingInputError(error.message) from None
    if result is None:
        return {}
    if isinstance(result, dict):
        return result
    document: dict[str, Any] = result.to_document()
    return document


# ---- triggers ---------------------------------------------------------------------------------


def previous_month(moment: datetime) -> tuple[int, int]:
    first = moment.astimezone(UTC).date().replace(day=1)
    last_month = first - timedelta(days=1)
    return last_month.year, last_month.month


def monthly_execution_name(year: int, month: int) -> str:
    """One monthly run per period: Standard execution names are unique for 90 days."""
    return f"monthly-{year:04d}-{month:02d}"


def on_trigger(billing: BillingPlatform, event: dict[str, Any]) -> dict[str, Any]:
    """EventBridge: ``SessionStopped`` starts the per-session workflow; the monthly schedule starts the
    monthly run for the month that just ended."""
    detail_type = event.get("detail-type")
    if detail_type == "SessionStopped":
        detail = event.get("detail") or {}
        session = detail.get("session") or {}
        session_id = str(session["sessionId"])
        payload: dict[str, object] = {"tenantId": str(detail["tenantId"]), "sessionId": session_id}
        # Express names are not deduplicated; the tasks are idempotent on the session instead. A name
        # per delivery keeps the two runs of a doubled end apart in the logs.
        digest = hashlib.sha256(f"{session_id}\x00{event.get('id', '')}".encode()).hexdigest()[:32]
        billing.starter.start(SESSION_WORKFLOW, f"session-{digest}", payload)
        return {"started": SESSION_WORKFLOW, **payload}
    if detail_type == "Scheduled Event":
        moment = parse_timestamp(str(event["time"])) if event.get("time") else billing.clock()
        year, month = previous_month(moment)
        monthly: dict[str, object] = {"year": year, "month": month, "cursor": None, "timeZone": "UTC"}
        billing.starter.start(MONTHLY_WORKFLOW, monthly_execution_name(year, month), monthly)
        return {"started": MONTHLY_WORKFLOW, "year": year, "month": month}
    raise BillingInputError(f"detail-type: {detail_type!r} does not start a billing workflow")
