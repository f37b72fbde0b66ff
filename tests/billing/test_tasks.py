"""The workflow tasks over in-memory ports: idempotent on their keys, never billing twice or never."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import pytest

from shared.billing.invoices import InvoiceStatus
from shared.billing.ledger import RevenueSplit, balances
from shared.billing.payments.ledger_provider import LedgerProvider
from shared.billing.payments.port import (
    FailureClass,
    PaymentFailure,
    PaymentOutcome,
    PaymentRequest,
    PaymentStatus,
    RefundRequest,
)
from shared.billing.resolver import AssignmentScope, TariffAssignment
from shared.billing.subscriptions import Plan, SubscriberType, Subscription, SubscriptionTerm
from shared.billing.tasks import (
    BillingInputError,
    BillingPorts,
    CollectPaymentInput,
    CreateInvoiceInput,
    InvoiceOutcome,
    MonthlyInvoiceInput,
    NextStep,
    ParkInvoiceInput,
    ParkSessionInput,
    PriceSessionInput,
    RefundInput,
    SplitRevenueInput,
    collect_payment_task,
    create_invoice_task,
    monthly_invoice_task,
    park_invoice_task,
    park_session_task,
    price_session_task,
    refund_invoice_task,
    split_revenue_task,
)
from shared.billing.wallets import AccountType, BillingAccount, Wallet
from tests.billing.builders import T0, a_usage, energy_tariff
from tests.billing.fakes import FakeBilling

D = Decimal
TENANT = "demo"


@dataclass
class ScriptedProvider:
    """A card provider that answers from a script (the last answer repeats)."""

    script: list[PaymentOutcome]
    calls: list[PaymentRequest] = field(default_factory=list)
    name: str = "stripe"

    def collect(self, request: PaymentRequest) -> PaymentOutcome:
        self.calls.append(request)
        return self.script[min(len(self.calls), len(self.script)) - 1]

    def refund(self, request: RefundRequest) -> PaymentOutcome:
        return PaymentOutcome(status=PaymentStatus.SUCCEEDED, provider=self.name, provider_reference="re_1")


def _failure(classification: FailureClass, code: str = "try_again_later") -> PaymentOutcome:
    return PaymentOutcome(
        status=PaymentStatus.FAILED,
        provider="stripe",
        failure=PaymentFailure(code=code, message=code, classification=classification),
    )


def _world(
    account_type: AccountType = AccountType.PREPAID,
    balance: str = "50.00",
    card: ScriptedProvider | None = None,
) -> tuple[FakeBilling, BillingPorts]:
    fake = FakeBilling()
    fake.usages[(TENANT, "CP-1:1")] = a_usage(
        tenant_id=TENANT,
        meter_start="1000",
        meter_stop="13333",
        readings=[(15, "4000"), (30, "7000"), (45, "10000")],
    )
    fake.tariff_by_id[(TENANT, "T-1")] = energy_tariff("0.30")
    fake.assignment_list.append(
        TariffAssignment(tenant_id=TENANT, scope=AssignmentScope.STATION, target_id="CP-1", tariff_id="T-1")
    )
    fake.account_by_token[(TENANT, "TAG-1")] = "ACC-1"
    fake.accounts[(TENANT, "ACC-1")] = BillingAccount(
        tenant_id=TENANT,
        billing_account_id="ACC-1",
        type=account_type,
        currency="EUR",
        wallet_id="W-1" if account_type is AccountType.PREPAID else None,
        provider="stripe" if account_type is AccountType.CARD else None,
        provider_customer_id="cus_1" if account_type is AccountType.CARD else None,
        provider_payment_method_id="pm_1" if account_type is AccountType.CARD else None,
    )
    fake.wallets[(TENANT, "W-1")] = Wallet(
        tenant_id=TENANT, wallet_id="W-1", billing_account_id="ACC-1", currency="EUR", balance=D(balance)
    )
    fake.rules_by_site[(TENANT, "SITE-1")] = RevenueSplit(
        site_id="SITE-1", host_id="HOST-1", host_share_percent=D("20"), platform_fee_percent=D("5")
    )
    clock = [T0 + timedelta(hours=2)]
    ports = BillingPorts(
        usage=fake,
        tariffs=fake,
        drivers=fake,
        cdrs=fake,
        invoices=fake,
        ledger=fake,
        split_rules=fake,
        subscriptions=fake,
        alerts=fake,
        providers={
            "ledger": LedgerProvider(fake, fake, lambda: clock[0]),
            **({"stripe": card} if card else {}),
        },
        clock=lambda: clock[0],
    )
    return fake, ports


def _run_session_workflow(ports: BillingPorts) -> str | None:
    """What the per-session Express workflow does: price → invoice → pay → split."""
    price_session_task(ports, PriceSessionInput(tenant_id=TENANT, session_id="CP-1:1"))
    invoiced = create_invoice_task(ports, CreateInvoiceInput(tenant_id=TENANT, session_id="CP-1:1"))
    if invoiced.invoice_id is None:
        return None
    paid = collect_payment_task(ports, CollectPaymentInput(tenant_id=TENANT, invoice_id=invoiced.invoice_id))
    if paid.next is NextStep.SPLIT:
        split_revenue_task(ports, SplitRevenueInput(tenant_id=TENANT, invoice_id=invoiced.invoice_id))
    return invoiced.invoice_id


def test_a_session_stopped_twice_is_priced_invoiced_paid_and_split_once() -> None:
    # Given a station with a 0.30 EUR/kWh tariff and a prepaid driver with 50.00 in the wallet
    fake, ports = _world()

    # When the session end arrives twice and the whole workflow runs twice
    first = _run_session_workflow(ports)
    second = _run_session_workflow(ports)

    # Then one CDR of exactly 3.70, one invoice, one wallet debit, one split
    assert first == second
    assert fake.cdr_for_session(TENANT, "CP-1:1").total_cost.incl_vat == D("3.70")  # type: ignore[union-attr]
    invoices = fake.invoices_for_session(TENANT, "CP-1:1")
    assert len(invoices) == 1 and invoices[0].status is InvoiceStatus.PAID
    assert invoices[0].number == "INV-2026-000001"
    assert fake.wallets[(TENANT, "W-1")].balance == D("46.30")
    book = balances(fake.transactions(TENANT))
    # 3.70 net, no VAT: host 20 % = 0.74, platform 5 % = 0.19 (0.185 half up), operator the rest
    assert book["payable:host:HOST-1"] == D("-0.74")
    assert book["revenue:platform"] == D("-0.19")
    assert book["revenue:operator:demo"] == D("-2.77")
    assert book["receivable:ACC-1"] == 0 and book["unallocated:SITE-1"] == 0
    assert len(fake.transactions(TENANT)) == 3  # invoice, payment, split


def test_insufficient_balance_parks_the_invoice_without_debiting_anything() -> None:
    fake, ports = _world(balance="1.00")
    price_session_task(ports, PriceSessionInput(tenant_id=TENANT, session_id="CP-1:1"))
    invoice_id = create_invoice_task(
        ports, CreateInvoiceInput(tenant_id=TENANT, session_id="CP-1:1")
    ).invoice_id
    assert invoice_id is not None

    outcome = collect_payment_task(ports, CollectPaymentInput(tenant_id=TENANT, invoice_id=invoice_id))

    assert outcome.next is NextStep.PARK and outcome.failure is not None
    assert outcome.failure.code == "insufficient_funds"
    park_invoice_task(
        ports, ParkInvoiceInput(tenant_id=TENANT, invoice_id=invoice_id, reason=outcome.failure.code)
    )
    park_invoice_task(
        ports, ParkInvoiceInput(tenant_id=TENANT, invoice_id=invoice_id, reason=outcome.failure.code)
    )
    assert fake.invoice(TENANT, invoice_id).status is InvoiceStatus.PAYMENT_FAILED  # type: ignore[union-attr]
    assert fake.parked == [(TENANT, invoice_id, "insufficient_funds")]  # alerted once
    assert fake.wallets[(TENANT, "W-1")].balance == D("1.00")


def test_a_retryable_card_failure_retries_with_backoff_then_parks() -> None:
    card = ScriptedProvider([_failure(FailureClass.RETRYABLE)])
    _, ports = _world(AccountType.CARD, card=card)
    price_session_task(ports, PriceSessionInput(tenant_id=TENANT, session_id="CP-1:1"))
    invoice_id = create_invoice_task(
        ports, CreateInvoiceInput(tenant_id=TENANT, session_id="CP-1:1")
    ).invoice_id
    assert invoice_id is not None

    steps = [
        collect_payment_task(
            ports, CollectPaymentInput(tenant_id=TENANT, invoice_id=invoice_id, attempt=attempt)
        )
        for attempt in range(1, 7)
    ]

    assert [s.next for s in steps] == [NextStep.RETRY] * 5 + [NextStep.PARK]
    assert [s.delay_seconds for s in steps[:5]] == [60, 240, 960, 3840, 15360]
    assert {r.invoice_id for r in card.calls} == {invoice_id}  # the idempotency key never changes


def test_a_card_payment_that_succeeds_after_a_retry_books_the_clearing_account() -> None:
    success = PaymentOutcome(status=PaymentStatus.SUCCEEDED, provider="stripe", provider_reference="pi_1")
    card = ScriptedProvider([_failure(FailureClass.RETRYABLE), success])
    fake, ports = _world(AccountType.CARD, card=card)
    price_session_task(ports, PriceSessionInput(tenant_id=TENANT, session_id="CP-1:1"))
    invoice_id = create_invoice_task(
        ports, CreateInvoiceInput(tenant_id=TENANT, session_id="CP-1:1")
    ).invoice_id
    assert invoice_id is not None

    assert (
        collect_payment_task(ports, CollectPaymentInput(tenant_id=TENANT, invoice_id=invoice_id)).next
        is NextStep.RETRY
    )
    assert (
        collect_payment_task(
            ports, CollectPaymentInput(tenant_id=TENANT, invoice_id=invoice_id, attempt=2)
        ).next
        is NextStep.SPLIT
    )
    assert (
        collect_payment_task(
            ports, CollectPaymentInput(tenant_id=TENANT, invoice_id=invoice_id, attempt=3)
        ).next
        is NextStep.SPLIT
    )
    assert len(card.calls) == 2  # a paid invoice is not collected again
    assert balances(fake.transactions(TENANT))["clearing:stripe"] == D("3.70")
    assert fake.invoice(TENANT, invoice_id).payment_reference == "pi_1"  # type: ignore[union-attr]


def test_a_final_card_decline_parks_at_once() -> None:
    card = ScriptedProvider([_failure(FailureClass.FINAL, "card_declined")])
    _, ports = _world(AccountType.CARD, card=card)
    price_session_task(ports, PriceSessionInput(tenant_id=TENANT, session_id="CP-1:1"))
    invoice_id = create_invoice_task(
        ports, CreateInvoiceInput(tenant_id=TENANT, session_id="CP-1:1")
    ).invoice_id
    assert invoice_id is not None
    assert (
        collect_payment_task(ports, CollectPaymentInput(tenant_id=TENANT, invoice_id=invoice_id)).next
        is NextStep.PARK
    )


def test_processing_waits_for_the_webhook() -> None:
    card = ScriptedProvider(
        [PaymentOutcome(status=PaymentStatus.PROCESSING, provider="stripe", provider_reference="pi_9")]
    )
    fake, ports = _world(AccountType.CARD, card=card)
    price_session_task(ports, PriceSessionInput(tenant_id=TENANT, session_id="CP-1:1"))
    invoice_id = create_invoice_task(
        ports, CreateInvoiceInput(tenant_id=TENANT, session_id="CP-1:1")
    ).invoice_id
    assert invoice_id is not None
    out = collect_payment_task(ports, CollectPaymentInput(tenant_id=TENANT, invoice_id=invoice_id))
    assert out.next is NextStep.WAIT_FOR_WEBHOOK
    assert fake.invoice(TENANT, invoice_id).payment_reference == "pi_9"  # type: ignore[union-attr]


def test_a_token_without_billing_account_is_priced_but_not_invoiced() -> None:
    fake, ports = _world()
    fake.account_by_token.clear()
    assert _run_session_workflow(ports) is None
    assert fake.cdr_for_session(TENANT, "CP-1:1") is not None
    assert fake.invoice_by_id == {}


def test_an_unknown_or_unfinished_session_is_an_input_error() -> None:
    fake, ports = _world()
    with pytest.raises(BillingInputError):
        price_session_task(ports, PriceSessionInput(tenant_id=TENANT, session_id="nope"))
    park_session_task(ports, ParkSessionInput(tenant_id=TENANT, session_id="nope", reason="not found"))
    assert fake.unbilled == [(TENANT, "nope", "not found")]
    fake.usages[(TENANT, "CP-1:2")] = a_usage(session_id="CP-1:2", stopped_at=None)
    with pytest.raises(BillingInputError):
        price_session_task(ports, PriceSessionInput(tenant_id=TENANT, session_id="CP-1:2"))


def test_a_full_refund_credits_the_invoice_restores_the_wallet_and_zeroes_the_ledger() -> None:
    fake, ports = _world()
    invoice_id = _run_session_workflow(ports)
    assert invoice_id is not None

    out = refund_invoice_task(ports, RefundInput(tenant_id=TENANT, invoice_id=invoice_id, refund_id="R1"))
    again = refund_invoice_task(ports, RefundInput(tenant_id=TENANT, invoice_id=invoice_id, refund_id="R1"))

    assert out == again
    note = fake.invoice(TENANT, out.credit_note_id)
    assert note is not None and note.total_incl_vat == D("-3.70") and note.number == "CN-2026-000001"
    assert fake.invoice(TENANT, invoice_id).status is InvoiceStatus.CREDITED  # type: ignore[union-attr]
    assert fake.wallets[(TENANT, "W-1")].balance == D("50.00")
    assert all(value == 0 for value in balances(fake.transactions(TENANT)).values())


def test_a_partial_refund_reverses_pro_rata_and_keeps_the_ledger_balanced() -> None:
    fake, ports = _world()
    invoice_id = _run_session_workflow(ports)
    assert invoice_id is not None
    refund_invoice_task(
        ports, RefundInput(tenant_id=TENANT, invoice_id=invoice_id, refund_id="R2", amount=D("1.00"))
    )
    book = balances(fake.transactions(TENANT))
    assert sum(book.values()) == 0
    assert fake.wallets[(TENANT, "W-1")].balance == D("47.30")
    assert book["receivable:ACC-1"] == 0
    assert book["payable:host:HOST-1"] == D("-0.54")  # 0.74 - 20 % of 1.00


def test_postpaid_sessions_go_on_account_and_the_monthly_run_invoices_them_once() -> None:
    fake, ports = _world(AccountType.POSTPAID)
    fake.plan_by_id[(TENANT, "BASIC")] = Plan(
        tenant_id=TENANT,
        plan_id="BASIC",
        name="Basic",
        currency="EUR",
        monthly_fee=D("9.90"),
        fee_vat_rate=D("19"),
        included_kwh=D("5"),
        energy_discount_percent=D("10"),
    )
    fake.subscription_by_id[(TENANT, "SUB-1")] = Subscription(
        tenant_id=TENANT,
        subscription_id="SUB-1",
        billing_account_id="ACC-1",
        subscriber_type=SubscriberType.DRIVER,
        subscriber_id="TAG-1",
        terms=[SubscriptionTerm(plan_id="BASIC", starts_on=date(2026, 3, 1))],
    )
    price_session_task(ports, PriceSessionInput(tenant_id=TENANT, session_id="CP-1:1"))
    invoiced = create_invoice_task(ports, CreateInvoiceInput(tenant_id=TENANT, session_id="CP-1:1"))
    assert invoiced.outcome is InvoiceOutcome.ON_ACCOUNT

    run = MonthlyInvoiceInput(tenant_id=TENANT, subscription_id="SUB-1", year=2026, month=3)
    first = monthly_invoice_task(ports, run)
    second = monthly_invoice_task(ports, run)

    assert first == second and first.invoice_id is not None
    invoice = fake.invoice(TENANT, first.invoice_id)
    assert invoice is not None and len(fake.invoice_by_id) == 1
    # fee 9.90 + 19 % VAT; session 3.70; 5 kWh included at 0.30 = -1.50; 10 % of the remaining 2.20 = -0.22
    assert [line.excl_vat for line in invoice.lines] == [D("9.90"), D("3.70"), D("-1.50"), D("-0.22")]
    assert invoice.total_incl_vat == D("9.90") + D("1.88") + D("3.70") - D("1.50") - D("0.22")


def test_a_lost_wallet_race_is_retried_and_still_debits_once() -> None:
    fake, ports = _world()
    fake.lose_next_wallet_race = 2
    invoice_id = _run_session_workflow(ports)
    assert invoice_id is not None
    assert fake.invoice(TENANT, invoice_id).status is InvoiceStatus.PAID  # type: ignore[union-attr]
    assert fake.wallets[(TENANT, "W-1")].balance == D("46.30")


def test_task_inputs_and_outputs_are_camel_case_json_for_step_functions() -> None:
    _, ports = _world()
    out = price_session_task(
        ports, PriceSessionInput.model_validate({"tenantId": TENANT, "sessionId": "CP-1:1"})
    )
    assert out.to_document() == {
        "tenantId": TENANT,
        "sessionId": "CP-1:1",
        "cdrId": out.cdr_id,
        "currency": "EUR",
        "total": "3.70",
        "flags": [],
    }


def test_a_station_without_any_tariff_cannot_be_priced_and_is_reported() -> None:
    fake, ports = _world()
    fake.assignment_list.clear()
    with pytest.raises(BillingInputError, match="no tariff"):
        price_session_task(ports, PriceSessionInput(tenant_id=TENANT, session_id="CP-1:1"))
