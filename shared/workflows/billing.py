"""Billing's three workflows (issue 15), every task one call of ``functions/billing_tasks``.

- ``billing_session`` (Express: one per stopped session, nothing waits): price → invoice → collect →
  split. Started by the ``billing_sessions`` rule on SessionStopped. Idempotency lives in the tasks
  (Express names are not deduplicated): a doubled end runs twice and finds the first run's CDR,
  invoice, payment and split. A retryable payment failure is handed to ``billing_payment_retry``.
- ``billing_payment_retry`` (Standard: it waits): Wait ``delaySeconds`` → collect attempt n → loop with
  the task's backoff until paid (split), parked, or done. Named ``pay-<invoiceId>-<attempt>``: a
  second start of one attempt is a no-op.
- ``billing_monthly`` (Standard, the monthly schedule): pages through the subscriptions and, for each
  (Map, 10 at a time), invoices the month (idempotent on subscription and period), collects and splits.
  Named ``monthly-<YYYY-MM>``.

Every task retries what may pass on a second try (``States.ALL``: Lambda errors, throttling, a DynamoDB
hiccup) and never ``BillingInputError`` (the input cannot succeed). What still fails is caught into a
park task, which records an alert an operator sees (``GET /v1/billing-alerts``) and can re-drive.
"""

from __future__ import annotations

from typing import Any

from shared.catalog import BILLING_TASKS
from shared.workflows.definitions import WorkflowSpec, function_arn

BILLING_INPUT_ERROR = "BillingInputError"
TASK_RETRY_ATTEMPTS = 3

RETRY_TRANSIENT: list[dict[str, Any]] = [
    {"ErrorEquals": [BILLING_INPUT_ERROR], "MaxAttempts": 0},
    {
        "ErrorEquals": ["States.ALL"],
        "IntervalSeconds": 1,
        "MaxAttempts": TASK_RETRY_ATTEMPTS,
        "BackoffRate": 2.0,
    },
]


def _catch(next_state: str) -> list[dict[str, Any]]:
    return [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": next_state}]


def _task(
    name: str,
    arguments: dict[str, Any],
    *,
    result_path: str | None,
    next_state: str | None,
    catch_to: str | None = None,
) -> dict[str, Any]:
    """A Lambda task whose result lands at ``result_path`` beside the input. The function ARN is the
    Resource (Step Functions' direct Lambda integration): its result is the function's return value,
    so ResultPath can place it. With ``arn:aws:states:::lambda:invoke`` the result is the Invoke
    response and its ``$.Payload`` cannot be unwrapped into a ResultPath (OutputPath runs after it)."""
    state: dict[str, Any] = {
        "Type": "Task",
        "Resource": function_arn(BILLING_TASKS),
        "Parameters": {"task": name, **arguments},
        "Retry": [dict(rule) for rule in RETRY_TRANSIENT],
        "ResultPath": result_path,
    }
    if catch_to:
        state["Catch"] = _catch(catch_to)
    state.update({"Next": next_state} if next_state else {"End": True})
    return state


def _park(name: str, arguments: dict[str, Any], next_state: str) -> dict[str, Any]:
    """A park task: retried like the others; if even parking fails the execution fails (and alarms)."""
    return _task(name, arguments, result_path="$.parked", next_state=next_state)


PARKED = {
    "Type": "Fail",
    "Error": "BillingParked",
    "Cause": "parked for an operator (GET /v1/billing-alerts)",
}


def _payment_states(prefix: str, *, invoice_id: str, done: str) -> dict[str, dict[str, Any]]:
    """Collect attempt 1 and act on its ``next`` (shared by the session and the monthly workflows)."""
    return {
        f"{prefix}CollectPayment": _task(
            "collect_payment",
            {"tenantId.$": "$.tenantId", "invoiceId.$": invoice_id, "attempt": 1},
            result_path="$.payment",
            next_state=f"{prefix}PaymentOutcome",
            catch_to=f"{prefix}ParkInvoiceAfterError",
        ),
        f"{prefix}PaymentOutcome": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.payment.next", "StringEquals": "split", "Next": f"{prefix}SplitRevenue"},
                {
                    "Variable": "$.payment.next",
                    "StringEquals": "retry",
                    "Next": f"{prefix}StartPaymentRetries",
                },
                {"Variable": "$.payment.next", "StringEquals": "park", "Next": f"{prefix}ParkInvoice"},
            ],
            "Default": done,  # done (nothing to collect) or wait_for_webhook (the webhook settles it)
        },
        f"{prefix}SplitRevenue": _task(
            "split_revenue",
            {"tenantId.$": "$.tenantId", "invoiceId.$": invoice_id},
            result_path="$.split",
            next_state=done,
            catch_to=f"{prefix}ParkSplit",
        ),
        f"{prefix}StartPaymentRetries": _task(
            "start_payment_retry",
            {
                "tenantId.$": "$.tenantId",
                "invoiceId.$": invoice_id,
                "attempt.$": "$.payment.nextAttempt",
                "delaySeconds.$": "$.payment.delaySeconds",
            },
            result_path="$.retries",
            next_state=done,
            catch_to=f"{prefix}ParkInvoiceAfterError",
        ),
        f"{prefix}ParkInvoice": _park(
            "park_invoice",
            {"tenantId.$": "$.tenantId", "invoiceId.$": invoice_id, "reason.$": "$.payment.failure.message"},
            f"{prefix}Parked",
        ),
        f"{prefix}ParkInvoiceAfterError": _park(
            "park_invoice",
            {"tenantId.$": "$.tenantId", "invoiceId.$": invoice_id, "reason.$": "$.error"},
            f"{prefix}Parked",
        ),
        f"{prefix}ParkSplit": _park(
            "park_split",
            {"tenantId.$": "$.tenantId", "invoiceId.$": invoice_id, "reason.$": "$.error"},
            f"{prefix}Parked",
        ),
    }


BILLING_SESSION = WorkflowSpec(
    name="billing_session",
    description="Per stopped session: price into a CDR, invoice, collect payment, split revenue (Express)",
    definition={
        "Comment": "Input {tenantId, sessionId}. Every task is idempotent on the session.",
        "StartAt": "PriceSession",
        "States": {
            "PriceSession": _task(
                "price_session",
                {"tenantId.$": "$.tenantId", "sessionId.$": "$.sessionId"},
                result_path="$.priced",
                next_state="CreateInvoice",
                catch_to="ParkSession",
            ),
            "CreateInvoice": _task(
                "create_invoice",
                {"tenantId.$": "$.tenantId", "sessionId.$": "$.sessionId"},
                result_path="$.invoice",
                next_state="Invoiced",
                catch_to="ParkSession",
            ),
            "Invoiced": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.invoice.outcome", "StringEquals": "invoiced", "Next": "CollectPayment"}
                ],
                "Default": "Billed",  # on_account (postpaid: the monthly run) or not_billed (nobody pays)
            },
            **_payment_states("", invoice_id="$.invoice.invoiceId", done="Billed"),
            "ParkSession": _park(
                "park_session",
                {"tenantId.$": "$.tenantId", "sessionId.$": "$.sessionId", "reason.$": "$.error"},
                "Parked",
            ),
            "Billed": {"Type": "Succeed"},
            "Parked": PARKED,
        },
    },
    invokes=(BILLING_TASKS,),
    express=True,
    timeout_seconds=120,
)

BILLING_PAYMENT_RETRY = WorkflowSpec(
    name="billing_payment_retry",
    description="Retries a payment with backoff (1 min x 4^n, 6 attempts), then parks the invoice (Standard)",
    definition={
        "Comment": "Input {tenantId, invoiceId, attempt, delaySeconds}.",
        "StartAt": "WaitBeforeAttempt",
        "States": {
            "WaitBeforeAttempt": {"Type": "Wait", "SecondsPath": "$.delaySeconds", "Next": "CollectPayment"},
            "CollectPayment": _task(
                "collect_payment",
                {"tenantId.$": "$.tenantId", "invoiceId.$": "$.invoiceId", "attempt.$": "$.attempt"},
                result_path="$.payment",
                next_state="PaymentOutcome",
                catch_to="ParkInvoiceAfterError",
            ),
            "PaymentOutcome": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.payment.next", "StringEquals": "split", "Next": "SplitRevenue"},
                    {"Variable": "$.payment.next", "StringEquals": "retry", "Next": "NextAttempt"},
                    {"Variable": "$.payment.next", "StringEquals": "park", "Next": "ParkInvoice"},
                ],
                "Default": "Settled",
            },
            "NextAttempt": {
                "Type": "Pass",
                "Parameters": {
                    "tenantId.$": "$.tenantId",
                    "invoiceId.$": "$.invoiceId",
                    "attempt.$": "$.payment.nextAttempt",
                    "delaySeconds.$": "$.payment.delaySeconds",
                },
                "Next": "WaitBeforeAttempt",
            },
            "SplitRevenue": _task(
                "split_revenue",
                {"tenantId.$": "$.tenantId", "invoiceId.$": "$.invoiceId"},
                result_path="$.split",
                next_state="Settled",
                catch_to="ParkSplit",
            ),
            "ParkInvoice": _park(
                "park_invoice",
                {
                    "tenantId.$": "$.tenantId",
                    "invoiceId.$": "$.invoiceId",
                    "reason.$": "$.payment.failure.message",
                },
                "Parked",
            ),
            "ParkInvoiceAfterError": _park(
                "park_invoice",
                {"tenantId.$": "$.tenantId", "invoiceId.$": "$.invoiceId", "reason.$": "$.error"},
                "Parked",
            ),
            "ParkSplit": _park(
                "park_split",
                {"tenantId.$": "$.tenantId", "invoiceId.$": "$.invoiceId", "reason.$": "$.error"},
                "Parked",
            ),
            "Settled": {"Type": "Succeed"},
            "Parked": PARKED,
        },
    },
    invokes=(BILLING_TASKS,),
    express=False,
    timeout_seconds=2 * 24 * 3600,
)

_SUBSCRIPTION_ITEM: dict[str, Any] = {
    "StartAt": "MonthlyInvoice",
    "States": {
        "MonthlyInvoice": _task(
            "monthly_invoice",
            {
                "tenantId.$": "$.tenantId",
                "subscriptionId.$": "$.subscriptionId",
                "year.$": "$.year",
                "month.$": "$.month",
                "timeZone.$": "$.timeZone",
            },
            result_path="$.invoice",
            next_state="Invoiced",
            catch_to="ParkSubscription",
        ),
        "Invoiced": {
            "Type": "Choice",
            "Choices": [
                {"Variable": "$.invoice.outcome", "StringEquals": "invoiced", "Next": "CollectPayment"}
            ],
            "Default": "Billed",
        },
        **_payment_states("", invoice_id="$.invoice.invoiceId", done="Billed"),
        "ParkSubscription": _park(
            "park_subscription",
            {
                "tenantId.$": "$.tenantId",
                "subscriptionId.$": "$.subscriptionId",
                "year.$": "$.year",
                "month.$": "$.month",
                "reason.$": "$.error",
            },
            "Billed",
        ),
        # One subscription parked must not stop the month for the others: its alert is the record.
        "Parked": {"Type": "Succeed"},
        "Billed": {"Type": "Succeed"},
    },
}

BILLING_MONTHLY = WorkflowSpec(
    name="billing_monthly",
    description="Monthly: invoices subscription fees and postpaid usage, collects and splits (Standard)",
    definition={
        "Comment": "Input {year, month, cursor: null, timeZone}. Idempotent on (subscription, period).",
        "StartAt": "ListSubscriptions",
        "States": {
            "ListSubscriptions": _task(
                "list_subscriptions",
                {
                    "year.$": "$.year",
                    "month.$": "$.month",
                    "cursor.$": "$.cursor",
                    "timeZone.$": "$.timeZone",
                },
                result_path="$.page",
                next_state="InvoiceSubscriptions",
            ),
            "InvoiceSubscriptions": {
                "Type": "Map",
                "ItemsPath": "$.page.items",
                "MaxConcurrency": 10,
                "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **_SUBSCRIPTION_ITEM},
                "ResultPath": None,
                "Next": "MorePages",
            },
            "MorePages": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.page.more", "BooleanEquals": True, "Next": "NextPage"}],
                "Default": "Invoiced",
            },
            "NextPage": {
                "Type": "Pass",
                "Parameters": {
                    "year.$": "$.year",
                    "month.$": "$.month",
                    "timeZone.$": "$.timeZone",
                    "cursor.$": "$.page.cursor",
                },
                "Next": "ListSubscriptions",
            },
            "Invoiced": {"Type": "Succeed"},
        },
    },
    invokes=(BILLING_TASKS,),
    express=False,
    timeout_seconds=24 * 3600,
)

BILLING_WORKFLOWS = (BILLING_SESSION, BILLING_PAYMENT_RETRY, BILLING_MONTHLY)
