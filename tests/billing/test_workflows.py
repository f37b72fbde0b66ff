"""The billing state machines as CDK deploys them, executed by moto's interpreter with the real
``billing_tasks`` handler as their Lambda tasks (tables on moto, the Stripe stand-in over HTTP)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import boto3
import pytest

from shared.billing.invoices import InvoiceStatus
from shared.billing.ledger import balances
from shared.billing.wallets import AccountType
from shared.management import billing, billing_records
from tests.billing.platform_harness import (
    ACCOUNT,
    ADMIN,
    SITE,
    TENANT,
    WHOLE_TENANT,
    BillingHarness,
    billing_on_moto,
    completed_session,
    set_up_tenant,
)
from tests.billing.stripe_standin import StandIn, running_standin

pytestmark = pytest.mark.xdist_group("billing_workflows")
D = Decimal


@pytest.fixture
def harness() -> Iterator[BillingHarness]:
    with billing_on_moto() as built:
        yield built


def _session_input(session_id: str) -> dict[str, str]:
    return {"tenantId": TENANT, "sessionId": session_id}


def test_a_doubled_session_end_yields_one_cdr_one_invoice_one_debit_and_one_split(
    harness: BillingHarness,
) -> None:
    # Given a station priced at 0.30 EUR/kWh and a driver wallet holding 50.00
    platform = harness.platform
    set_up_tenant(platform)
    session_id = completed_session(platform, energy_wh=10_000)
    # When the end is delivered twice: two executions of the per-session workflow at once
    first = harness.start("billing_session", _session_input(session_id))
    second = harness.start("billing_session", _session_input(session_id))
    results = [harness.wait(first), harness.wait(second)]
    # Then both succeed, and everything happened once
    assert [result.status for result in results] == ["SUCCEEDED", "SUCCEEDED"], [r.cause for r in results]
    cdr = platform.billing.cdrs.cdr_for_session(TENANT, session_id)
    assert cdr is not None and cdr.total_cost.incl_vat == D("3.00")
    (invoice,) = harness.invoices(session_id)
    assert invoice.status is InvoiceStatus.PAID and invoice.amount_due == D("3.00")
    assert invoice.number == "INV-2026-000001"
    wallet = billing.get_wallet(platform, ADMIN, ACCOUNT)
    assert wallet.balance == D("47.00")
    movements, _ = billing.wallet_history(platform, ADMIN, ACCOUNT, 50, None)
    assert sorted(str(m.amount) for m in movements) == ["-3.00", "50.00"]
    split = platform.billing.ledger.transaction(TENANT, f"split:{invoice.invoice_id}")
    assert split is not None
    shares = balances([split])
    assert shares["revenue:operator:demo"] == D("-2.25")
    assert shares["payable:host:host-1"] == D("-0.60")
    assert shares["revenue:platform"] == D("-0.15")
    # and the ledger balances: the receivable is settled, the site's unallocated revenue is split out
    everything = balances(
        t
        for t in (
            platform.billing.ledger.transaction(TENANT, f"{k}:{invoice.invoice_id}")
            for k in ("invoice", "payment", "split")
        )
        if t
    )
    assert everything[f"receivable:{ACCOUNT}"] == 0 and everything[f"unallocated:{SITE}"] == 0


def test_an_orphan_session_is_parked_until_its_start_arrives(harness: BillingHarness) -> None:
    platform = harness.platform
    set_up_tenant(platform)
    session_id = completed_session(platform, start_seen=False)
    parked = harness.wait(harness.start("billing_session", _session_input(session_id)))
    assert (parked.status, parked.error) == ("FAILED", "BillingParked")
    (alert,) = billing_records.open_alerts(platform, ADMIN, 50, None)[0]
    assert (alert.kind, alert.subject_id) == ("session_unbilled", session_id)
    assert "start has not arrived" in alert.reason
    assert platform.billing.cdrs.cdr_for_session(TENANT, session_id) is None
    # When the start arrives (the fold completes the session and ends it again)
    stored = platform.sessions.get(session_id)
    assert stored is not None and platform.sessions.replace(
        stored.model_copy(update={"start_seen": True}), stored.version
    )
    assert harness.wait(harness.start("billing_session", _session_input(session_id))).status == "SUCCEEDED"
    # Then it is billed once and the alert is gone
    assert len(harness.invoices(session_id)) == 1
    assert billing_records.open_alerts(platform, ADMIN, 50, None)[0] == []


def test_a_session_without_tariff_is_parked_at_once_without_retries(harness: BillingHarness) -> None:
    platform = harness.platform
    set_up_tenant(platform, tariff=False)
    session_id = completed_session(platform)
    result = harness.wait(harness.start("billing_session", _session_input(session_id)))
    assert (result.status, result.error) == ("FAILED", "BillingParked")
    assert result.history.count("LambdaFunctionFailed") == 1  # BillingInputError is not retried
    (alert,) = billing_records.open_alerts(platform, ADMIN, 50, None)[0]
    assert alert.kind == "session_unbilled" and "no tariff" in alert.reason


def test_a_failing_lambda_is_retried_then_parked_and_a_redrive_bills_once() -> None:
    calls: list[str] = []

    def failing_pricing(event: dict[str, Any], context: Any) -> Any:
        from functions.billing_tasks.handler import handler

        calls.append(str(event.get("task")))
        if event.get("task") == "price_session" and failing["on"]:
            raise RuntimeError("DynamoDB is having a bad day")
        return handler(event, context)

    failing = {"on": True}
    with billing_on_moto(handlers={"billing_tasks": failing_pricing}) as harness:
        platform = harness.platform
        set_up_tenant(platform)
        session_id = completed_session(platform)
        result = harness.wait(harness.start("billing_session", _session_input(session_id)), timeout=60)
        # The task was tried 1 + 3 times (States.ALL retry with backoff), then caught into the park state
        assert (result.status, result.error) == ("FAILED", "BillingParked")
        assert calls.count("price_session") == 4 and calls[-1] == "park_session"
        (alert,) = billing_records.open_alerts(platform, ADMIN, 50, None)[0]
        assert alert.kind == "session_unbilled" and "RuntimeError" in alert.reason
        # When the fault is gone and the operator re-drives (twice, even)
        failing["on"] = False
        for _ in range(2):
            assert (
                harness.wait(harness.start("billing_session", _session_input(session_id))).status
                == "SUCCEEDED"
            )
        # Then the session is billed once
        assert len(harness.invoices(session_id)) == 1
        assert billing.get_wallet(platform, ADMIN, ACCOUNT).balance == D("47.00")
        assert billing_records.open_alerts(platform, ADMIN, 50, None)[0] == []


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with running_standin() as server:
        yield server


def _stripe_environment(standin: StandIn) -> Iterator[dict[str, str]]:
    yield {}


def _with_stripe_secret(standin: StandIn) -> str:
    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    created = secrets.create_secret(
        Name="csms/stripe",
        SecretString=json.dumps(
            {"apiKey": "sk_test_standin", "webhookSecret": "whsec_test", "apiBase": standin.url}
        ),
    )
    return str(created["ARN"])


def _card_session(standin: StandIn, payment_method: str) -> Iterator[tuple[BillingHarness, str]]:
    with billing_on_moto() as harness:
        import os

        os.environ["STRIPE_SECRET_ARN"] = _with_stripe_secret(standin)
        from tests.billing.platform_harness import clear_warm_container_caches

        clear_warm_container_caches()
        # settings are frozen: rebuild the platform with the secret's ARN
        from shared.settings import Settings
        from shared.wiring import build_platform

        harness.platform = build_platform(Settings(), dynamodb=harness.platform.dynamodb)
        set_up_tenant(harness.platform, account_type=AccountType.CARD, payment_method=payment_method)
        yield harness, completed_session(harness.platform)


def test_a_failing_payment_is_retried_with_backoff_then_parked(standin: StandIn) -> None:
    for harness, session_id in _card_session(standin, "pm_card_tryAgainLater"):
        # When the issuer keeps answering "try again later"
        session_run = harness.wait(harness.start("billing_session", _session_input(session_id)))
        assert session_run.status == "SUCCEEDED"  # attempt 1 failed retryably: handed to the retry workflow
        (retry_run,) = harness.wait_for_executions("billing_payment_retry", 1)
        # Then attempts 2..6 ran in the Standard workflow and the invoice is parked, with an alert
        assert (retry_run.status, retry_run.error) == ("FAILED", "BillingParked")
        assert retry_run.history.count("WaitStateEntered") == 5
        (invoice,) = harness.invoices(session_id)
        assert invoice.status is InvoiceStatus.PAYMENT_FAILED and invoice.failure
        (alert,) = billing_records.open_alerts(harness.platform, ADMIN, 50, None)[0]
        assert (alert.kind, alert.subject_id) == ("invoice_parked", invoice.invoice_id)
        # one PaymentIntent, confirmed again on each retry (never a second charge)
        assert standin.created_intents == 1
        confirms = [path for _, path, _, _ in standin.requests if path.endswith("/confirm")]
        assert len(confirms) == 5
        assert harness.platform.billing.ledger.transaction(TENANT, f"split:{invoice.invoice_id}") is None


def test_a_payment_that_succeeds_on_a_retry_is_split_once(standin: StandIn) -> None:
    standin.declines_left["pm_card_tryAgainLater"] = 2
    for harness, session_id in _card_session(standin, "pm_card_tryAgainLater"):
        assert (
            harness.wait(harness.start("billing_session", _session_input(session_id))).status == "SUCCEEDED"
        )
        (retry_run,) = harness.wait_for_executions("billing_payment_retry", 1)
        assert retry_run.status == "SUCCEEDED"
        (invoice,) = harness.invoices(session_id)
        assert invoice.status is InvoiceStatus.PAID
        payment = harness.platform.billing.ledger.transaction(TENANT, f"payment:{invoice.invoice_id}")
        assert payment is not None and balances([payment])["clearing:stripe"] == D("3.00")
        assert harness.platform.billing.ledger.transaction(TENANT, f"split:{invoice.invoice_id}") is not None
        assert standin.created_intents == 1


def test_a_monthly_run_invoices_a_subscription_once_even_when_started_twice(harness: BillingHarness) -> None:
    # Given a driver subscribed to a 10.00 EUR plan since before March, paying from a wallet
    platform = harness.platform
    set_up_tenant(platform)
    billing.create_plan(
        platform, ADMIN, plan_id="basic", name="Basic", currency="EUR", monthly_fee=D("10.00")
    )
    from datetime import date

    from shared.billing.subscriptions import SubscriberType

    billing.create_subscription(
        platform,
        ADMIN,
        subscription_id="sub-1",
        billing_account_id=ACCOUNT,
        subscriber_type=SubscriberType.DRIVER,
        subscriber_id="driver-1",
        plan_id="basic",
        starts_on=date(2026, 2, 1),
    )
    payload = {"year": 2026, "month": 3, "cursor": None, "timeZone": "UTC"}
    # When the month is run twice at once under two names, and a third start reuses the first name
    first = harness.start("billing_monthly", payload, name="monthly-2026-03")
    second = harness.start("billing_monthly", payload, name="monthly-2026-03-again")
    from botocore.exceptions import ClientError

    harness.wait(first)
    with pytest.raises(ClientError):  # AWS (and moto) refuse another input under a finished run's name
        harness.start("billing_monthly", {**payload, "cursor": None, "again": True}, name="monthly-2026-03")
    results = [harness.wait(first), harness.wait(second)]
    # Then one invoice for (subscription, March), paid once from the wallet and split
    assert [r.status for r in results] == ["SUCCEEDED", "SUCCEEDED"], [r.cause for r in results]
    invoices, _ = billing_records.list_invoices(
        platform, WHOLE_TENANT, session_id=None, status=None, limit=50, cursor=None
    )
    (invoice,) = invoices
    assert (invoice.subscription_id, invoice.period, invoice.amount_due) == ("sub-1", "2026-03", D("10.00"))
    assert invoice.status is InvoiceStatus.PAID
    assert billing.get_wallet(platform, ADMIN, ACCOUNT).balance == D("40.00")
    movements, _ = billing.wallet_history(platform, ADMIN, ACCOUNT, 50, None)
    assert sorted(str(m.amount) for m in movements) == ["-10.00", "50.00"]
