"""The Stripe provider, with the real ``stripe`` package, against the local stand-in."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import stripe

from shared.billing.payments.port import FailureClass, PaymentRequest, PaymentStatus, RefundRequest
from shared.billing.payments.stripe_provider import StripeAmountError, StripeProvider, stripe_amount
from shared.billing.wallets import AccountType, BillingAccount
from tests.billing.stripe_standin import StandIn, running_standin

SECRET = "whsec_test_secret"


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with running_standin() as server:
        yield server


@pytest.fixture
def provider(standin: StandIn) -> StripeProvider:
    client = stripe.StripeClient(
        "sk_test_standin", base_addresses={"api": standin.url}, max_network_retries=0
    )
    return StripeProvider(client, webhook_secret=SECRET)


def _account(payment_method: str = "pm_card_visa") -> BillingAccount:
    return BillingAccount(
        tenant_id="demo",
        billing_account_id="ACC-1",
        type=AccountType.CARD,
        currency="EUR",
        provider="stripe",
        provider_customer_id="cus_1",
        provider_payment_method_id=payment_method,
    )


def _pay(provider: StripeProvider, payment_method: str = "pm_card_visa", invoice_id: str = "INV-1"):  # type: ignore[no-untyped-def]
    return provider.collect(
        PaymentRequest(
            tenant_id="demo",
            invoice_id=invoice_id,
            account=_account(payment_method),
            amount=Decimal("3.70"),
            currency="EUR",
        )
    )


def test_a_payment_intent_carries_the_amount_in_cents_and_the_invoice_as_idempotency_key(
    provider: StripeProvider, standin: StandIn
) -> None:
    outcome = _pay(provider)

    assert outcome.status is PaymentStatus.SUCCEEDED and outcome.provider_reference
    method, path, headers, form = standin.requests[-1]
    assert (method, path) == ("POST", "/v1/payment_intents")
    assert headers["idempotency-key"] == "invoice:INV-1"
    assert headers["authorization"] == "Bearer sk_test_standin"
    assert form["amount"] == "370" and form["currency"] == "eur"
    assert form["confirm"] == "true" and form["off_session"] == "true"
    assert form["customer"] == "cus_1" and form["payment_method"] == "pm_card_visa"
    assert form["metadata[invoice_id]"] == "INV-1"


def test_collecting_the_same_invoice_twice_creates_one_payment_intent(
    provider: StripeProvider, standin: StandIn
) -> None:
    first = _pay(provider)
    second = _pay(provider)
    assert first == second
    assert standin.created_intents == 1


def test_insufficient_funds_is_a_final_failure(provider: StripeProvider) -> None:
    outcome = _pay(provider, "pm_card_chargeDeclinedInsufficientFunds")
    assert outcome.status is PaymentStatus.FAILED and outcome.failure is not None
    assert outcome.failure.decline_code == "insufficient_funds"
    assert outcome.failure.classification is FailureClass.FINAL
    assert outcome.failure.http_status == 402


def test_try_again_later_is_retryable(provider: StripeProvider) -> None:
    outcome = _pay(provider, "pm_card_tryAgainLater")
    assert outcome.failure is not None and outcome.failure.classification is FailureClass.RETRYABLE


def test_a_stripe_server_error_is_retryable(provider: StripeProvider) -> None:
    outcome = _pay(provider, "pm_api_error")
    assert outcome.failure is not None and outcome.failure.classification is FailureClass.RETRYABLE
    assert outcome.failure.http_status == 503


def test_no_answer_at_all_is_retryable() -> None:
    client = stripe.StripeClient(
        "sk_test_x", base_addresses={"api": "http://127.0.0.1:9"}, max_network_retries=0
    )
    outcome = _pay(StripeProvider(client, webhook_secret=SECRET))
    assert outcome.failure is not None and outcome.failure.classification is FailureClass.RETRYABLE
    assert outcome.failure.code == "network_error"


def test_processing_and_authentication_required(provider: StripeProvider) -> None:
    assert _pay(provider, "pm_processing", "INV-2").status is PaymentStatus.PROCESSING
    needs_action = _pay(provider, "pm_card_authenticationRequired", "INV-3")
    assert needs_action.status is PaymentStatus.FAILED and needs_action.failure is not None
    assert needs_action.failure.code == "authentication_required"
    assert needs_action.failure.classification is FailureClass.FINAL


def test_a_customer_is_created_once_and_a_payment_method_saved_as_default(
    provider: StripeProvider, standin: StandIn
) -> None:
    account = _account().model_copy(update={"provider_customer_id": None})
    customer = provider.ensure_customer(account, email="driver@example.com")
    assert customer == provider.ensure_customer(account, email="driver@example.com")
    provider.save_payment_method(customer, "pm_card_visa")
    paths = [path for _, path, _, _ in standin.requests]
    assert paths == [
        "/v1/customers",
        "/v1/customers",
        "/v1/payment_methods/pm_card_visa/attach",
        f"/v1/customers/{customer}",
    ]
    assert standin.requests[-1][3]["invoice_settings[default_payment_method]"] == "pm_card_visa"


def test_a_refund_is_idempotent_on_its_id(provider: StripeProvider, standin: StandIn) -> None:
    request = RefundRequest(
        tenant_id="demo",
        invoice_id="INV-1",
        refund_id="R1",
        account=_account(),
        amount=Decimal("1.00"),
        currency="EUR",
        provider_reference="pi_1",
    )
    first = provider.refund(request)
    assert first == provider.refund(request)
    assert first.status is PaymentStatus.SUCCEEDED
    assert standin.requests[-1][2]["idempotency-key"] == "refund:R1"
    assert standin.requests[-1][3]["amount"] == "100"


def _signed(payload: bytes, secret: str = SECRET, at: int | None = None) -> str:
    timestamp = at if at is not None else int(time.time())
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _event(status: str) -> bytes:
    return json.dumps(
        {
            "id": "evt_1",
            "object": "event",
            "type": "payment_intent.succeeded" if status == "succeeded" else "payment_intent.payment_failed",
            "api_version": stripe.api_version,
            "data": {
                "object": {
                    "id": "pi_42",
                    "object": "payment_intent",
                    "status": status,
                    "metadata": {"invoice_id": "INV-7", "tenant_id": "demo"},
                    "last_payment_error": None
                    if status == "succeeded"
                    else {
                        "type": "card_error",
                        "code": "card_declined",
                        "decline_code": "insufficient_funds",
                        "message": "no",
                    },
                }
            },
        }
    ).encode()


def test_a_signed_webhook_is_read_into_the_invoice_and_its_outcome(provider: StripeProvider) -> None:
    payload = _event("succeeded")
    event = provider.parse_webhook(payload, _signed(payload))
    assert (event.invoice_id, event.tenant_id, event.status) == ("INV-7", "demo", PaymentStatus.SUCCEEDED)

    failed = _event("requires_payment_method")
    declined = provider.parse_webhook(failed, _signed(failed))
    assert declined.status is PaymentStatus.FAILED and declined.failure is not None
    assert declined.failure.classification is FailureClass.FINAL


@pytest.mark.parametrize(
    "signature",
    [
        _signed(b"{}", secret="whsec_other"),
        _signed(_event("succeeded"), at=int(time.time()) - 3600),  # replayed an hour later
        None,
    ],
    ids=["forged", "stale", "unsigned"],  # the signatures embed the time: ids must not
)
def test_a_forged_stale_or_unsigned_webhook_is_refused(
    provider: StripeProvider, signature: str | None
) -> None:
    with pytest.raises((stripe.SignatureVerificationError, ValueError)):
        provider.parse_webhook(_event("succeeded"), signature)


@pytest.mark.parametrize(
    ("amount", "currency", "expected"),
    [("3.70", "EUR", 370), ("556", "JPY", 556), ("1.230", "KWD", 1230), ("12", "ISK", 1200)],
)
def test_stripe_amounts_follow_stripes_currency_rules(amount: str, currency: str, expected: int) -> None:
    assert stripe_amount(Decimal(amount), currency) == expected


def test_amounts_stripe_cannot_take_are_refused() -> None:
    with pytest.raises(StripeAmountError):
        stripe_amount(Decimal("1.235"), "KWD")
    with pytest.raises(StripeAmountError):
        stripe_amount(Decimal("0.5"), "JPY")


def test_a_retry_confirms_the_declined_payment_intent_again_instead_of_replaying_the_decline(
    provider: StripeProvider, standin: StandIn
) -> None:
    # Given a card the issuer declines once ("try again later"), then accepts
    standin.declines_left["pm_card_tryAgainLater"] = 1
    first = _pay(provider, "pm_card_tryAgainLater")
    assert first.status is PaymentStatus.FAILED and first.failure is not None
    assert first.failure.classification is FailureClass.RETRYABLE
    assert first.provider_reference is not None and first.provider_reference.startswith("pi_")
    # When attempt 2 names the declined PaymentIntent
    retry = provider.collect(
        PaymentRequest(
            tenant_id="demo",
            invoice_id="INV-1",
            account=_account("pm_card_tryAgainLater"),
            amount=Decimal("3.70"),
            currency="EUR",
            attempt=2,
            provider_reference=first.provider_reference,
        )
    )
    # Then the same PaymentIntent is confirmed (a new key per attempt), and only one was ever created
    assert retry.status is PaymentStatus.SUCCEEDED
    assert retry.provider_reference == first.provider_reference
    assert standin.created_intents == 1
    confirm_keys = [
        h.get("idempotency-key") for _, path, h, _ in standin.requests if path.endswith("/confirm")
    ]
    assert confirm_keys == ["invoice:INV-1:attempt-2"]
    # and a third attempt finds it succeeded and charges nothing more
    again = provider.collect(
        PaymentRequest(
            tenant_id="demo",
            invoice_id="INV-1",
            account=_account("pm_card_tryAgainLater"),
            amount=Decimal("3.70"),
            currency="EUR",
            attempt=3,
            provider_reference=first.provider_reference,
        )
    )
    assert again.status is PaymentStatus.SUCCEEDED
    assert len([path for _, path, _, _ in standin.requests if path.endswith("/confirm")]) == 1
