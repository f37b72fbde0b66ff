"""Stripe behind the payment port, with the ``stripe`` package (StripeClient, API v1).

- A billing account maps to a Stripe Customer (created once, idempotency key
  ``customer:<billingAccountId>``) with a saved PaymentMethod attached and set as the default.
- A payment is one PaymentIntent: ``confirm=true, off_session=true`` with the saved method, the
  invoice id in ``metadata`` and as the ``Idempotency-Key`` (``invoice:<invoiceId>``), so a
  retried task never charges twice within Stripe's 24-hour idempotency window.
- A retry (attempt > 1 with the declined PaymentIntent's id) confirms that PaymentIntent again, keyed
  ``invoice:<invoiceId>:attempt-<n>``: Stripe replays the first answer to a repeated idempotency key
  (declines and 500s included), so creating again with the first key could never succeed, and a new
  PaymentIntent per attempt could charge twice. A PaymentIntent found succeeded is not confirmed again.
- ``succeeded`` → SUCCEEDED; ``processing`` → PROCESSING (the webhook settles it);
  ``requires_action`` / ``requires_payment_method`` → FAILED, final (off-session: the driver
  must act). A ``StripeError`` is classified by ``classify_failure``.
- Webhooks are verified with the endpoint's signing secret (``Stripe-Signature``, 5-minute
  tolerance) before anything is read from them.

Amounts: Stripe wants the smallest unit of *its* currency rules (docs.stripe.com/currencies): the
zero-decimal currencies are integers, the three-decimal ones are thousandths that must end in 0,
and every other currency is hundredths (for ISK, whose ISO minor unit is 0, that makes the amount
a multiple of 100, as Stripe requires).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import stripe

from shared.billing.payments.port import (
    FailureClass,
    PaymentFailure,
    PaymentOutcome,
    PaymentRequest,
    PaymentStatus,
    RefundRequest,
    classify_failure,
)
from shared.billing.wallets import BillingAccount
from shared.domain.base import DomainModel

PROVIDER = "stripe"
ZERO_DECIMAL = frozenset(
    [
        "BIF",
        "CLP",
        "DJF",
        "GNF",
        "JPY",
        "KMF",
        "KRW",
        "MGA",
        "PYG",
        "RWF",
        "UGX",
        "VND",
        "VUV",
        "XAF",
        "XOF",
        "XPF",
    ]
)
THREE_DECIMAL = frozenset(["BHD", "JOD", "KWD", "OMR", "TND"])


class StripeAmountError(ValueError):
    pass


def stripe_amount(amount: Decimal, currency: str) -> int:
    """Our Decimal amount → Stripe's integer ``amount`` for ``currency``."""
    exponent = 0 if currency in ZERO_DECIMAL else 3 if currency in THREE_DECIMAL else 2
    scaled = amount.scaleb(exponent)
    if scaled != scaled.to_integral_value():
        raise StripeAmountError(f"{amount} {currency} is not a whole number of Stripe's smallest unit")
    units = int(scaled)
    if currency in THREE_DECIMAL and units % 10:
        raise StripeAmountError(f"{amount} {currency}: Stripe needs three-decimal amounts to end in 0")
    return units


class WebhookEvent(DomainModel):
    event_id: str
    type: str
    invoice_id: str | None = None
    tenant_id: str | None = None
    payment_intent_id: str | None = None
    status: PaymentStatus | None = None
    failure: PaymentFailure | None = None


class StripeProvider:
    def __init__(self, client: stripe.StripeClient, *, webhook_secret: str) -> None:
        self._client = client
        self._webhook_secret = webhook_secret

    @property
    def name(self) -> str:
        return PROVIDER

    def ensure_customer(self, account: BillingAccount, *, email: str | None = None) -> str:
        if account.provider_customer_id:
            return account.provider_customer_id
        params: dict[str, Any] = {
            "metadata": {"tenant_id": account.tenant_id, "billing_account_id": account.billing_account_id}
        }
        if email:
            params["email"] = email
        customer = self._client.v1.customers.create(
            params=params,  # type: ignore[arg-type]
            options={"idempotency_key": f"customer:{account.tenant_id}:{account.billing_account_id}"},
        )
        return str(customer.id)

    def save_payment_method(self, customer_id: str, payment_method_id: str) -> None:
        """Attach a PaymentMethod (collected by a SetupIntent on the client) and make it the default."""
        self._client.v1.payment_methods.attach(payment_method_id, params={"customer": customer_id})
        self._client.v1.customers.update(
            customer_id, params={"invoice_settings": {"default_payment_method": payment_method_id}}
        )

    def collect(self, request: PaymentRequest) -> PaymentOutcome:
        account = request.account
        if not account.provider_customer_id or not account.provider_payment_method_id:
            return self._failed(
                "no_payment_method", "the account has no saved Stripe payment method", FailureClass.FINAL
            )
        try:
            amount = stripe_amount(request.amount, request.currency)
        except StripeAmountError as error:
            return self._failed("invalid_amount", str(error), FailureClass.FINAL)
        params: dict[str, Any] = {
            "amount": amount,
            "currency": request.currency.lower(),
            "customer": account.provider_customer_id,
            "payment_method": account.provider_payment_method_id,
            "confirm": True,
            "off_session": True,
            "description": request.description or f"Invoice {request.invoice_id}",
            "metadata": {"invoice_id": request.invoice_id, "tenant_id": request.tenant_id},
        }
        try:
            if request.provider_reference and request.attempt > 1:
                return self._retry(request)
            intent = self._client.v1.payment_intents.create(
                params=params,  # type: ignore[arg-type]
                options={"idempotency_key": f"invoice:{request.invoice_id}"},
            )
        except stripe.StripeError as error:
            return PaymentOutcome(
                status=PaymentStatus.FAILED,
                provider=PROVIDER,
                provider_reference=_declined_intent_id(error) or request.provider_reference,
                failure=failure_from_error(error),
            )
        return outcome_from_intent(intent.id, intent.status, getattr(intent, "last_payment_error", None))

    def _retry(self, request: PaymentRequest) -> PaymentOutcome:
        intent_id = str(request.provider_reference)
        intent = self._client.v1.payment_intents.retrieve(intent_id)
        if intent.status in ("requires_payment_method", "requires_confirmation"):
            intent = self._client.v1.payment_intents.confirm(
                intent_id,
                params={
                    "payment_method": request.account.provider_payment_method_id or "",
                    "off_session": True,
                },
                options={"idempotency_key": f"invoice:{request.invoice_id}:attempt-{request.attempt}"},
            )
        return outcome_from_intent(intent.id, intent.status, getattr(intent, "last_payment_error", None))

    def refund(self, request: RefundRequest) -> PaymentOutcome:
        if request.provider_reference is None:
            return self._failed(
                "no_payment", "nothing was collected at Stripe for this invoice", FailureClass.FINAL
            )
        try:
            refund = self._client.v1.refunds.create(
                params={
                    "payment_intent": request.provider_reference,
                    "amount": stripe_amount(request.amount, request.currency),
                    "metadata": {"invoice_id": request.invoice_id, "refund_id": request.refund_id},
                },
                options={"idempotency_key": f"refund:{request.refund_id}"},
            )
        except stripe.StripeError as error:
            return PaymentOutcome(
                status=PaymentStatus.FAILED, provider=PROVIDER, failure=failure_from_error(error)
            )
        except StripeAmountError as error:
            return self._failed("invalid_amount", str(error), FailureClass.FINAL)
        status = {"succeeded": PaymentStatus.SUCCEEDED, "pending": PaymentStatus.PROCESSING}.get(
            str(refund.status), PaymentStatus.FAILED
        )
        failure = None
        if status is PaymentStatus.FAILED:
            failure = PaymentFailure(
                code="refund_failed", message=f"refund {refund.status}", classification=FailureClass.FINAL
            )
        return PaymentOutcome(
            status=status, provider=PROVIDER, provider_reference=str(refund.id), failure=failure
        )

    def parse_webhook(self, payload: bytes, signature_header: str | None) -> WebhookEvent:
        """Verify and read a webhook; raises ``stripe.SignatureVerificationError`` if forged or stale."""
        event = self._client.construct_event(payload, signature_header, self._webhook_secret)
        data = event.data.object.to_dict()
        result = WebhookEvent(event_id=str(event.id), type=str(event.type))
        if str(event.type).startswith("payment_intent."):
            metadata = dict(data.get("metadata") or {})
            outcome = outcome_from_intent(
                str(data.get("id")), str(data.get("status")), data.get("last_payment_error")
            )
            result = result.model_copy(
                update={
                    "invoice_id": metadata.get("invoice_id"),
                    "tenant_id": metadata.get("tenant_id"),
                    "payment_intent_id": outcome.provider_reference,
                    "status": outcome.status,
                    "failure": outcome.failure,
                }
            )
        return result

    def _failed(self, code: str, message: str, classification: FailureClass) -> PaymentOutcome:
        return PaymentOutcome(
            status=PaymentStatus.FAILED,
            provider=PROVIDER,
            failure=PaymentFailure(code=code, message=message, classification=classification),
        )


def outcome_from_intent(intent_id: str, status: str, last_error: Any) -> PaymentOutcome:
    if status == "succeeded":
        return PaymentOutcome(status=PaymentStatus.SUCCEEDED, provider=PROVIDER, provider_reference=intent_id)
    if status == "processing":
        return PaymentOutcome(
            status=PaymentStatus.PROCESSING, provider=PROVIDER, provider_reference=intent_id
        )
    code = "authentication_required" if status == "requires_action" else "payment_failed"
    decline = None
    message = f"PaymentIntent is {status}"
    if last_error:
        code = str(_get(last_error, "code") or code)
        decline = _get(last_error, "decline_code")
        message = str(_get(last_error, "message") or message)
    classification = classify_failure(code=code, decline_code=decline, error_type="card_error")
    return PaymentOutcome(
        status=PaymentStatus.FAILED,
        provider=PROVIDER,
        provider_reference=intent_id,
        failure=PaymentFailure(
            code=code,
            message=message,
            classification=classification,
            provider_code=code,
            decline_code=decline,
        ),
    )


def _declined_intent_id(error: stripe.StripeError) -> str | None:
    """A card decline answers with the PaymentIntent it left in ``requires_payment_method``."""
    body = error.json_body if isinstance(error.json_body, dict) else {}
    details = body.get("error") if isinstance(body.get("error"), dict) else {}
    intent = details.get("payment_intent") if isinstance(details, dict) else None
    return str(intent["id"]) if isinstance(intent, dict) and intent.get("id") else None


def failure_from_error(error: stripe.StripeError) -> PaymentFailure:
    body = error.json_body if isinstance(error.json_body, dict) else {}
    details = body.get("error", {}) if isinstance(body.get("error"), dict) else {}
    error_type = details.get("type")
    if isinstance(error, stripe.APIConnectionError):
        error_type = "api_connection_error"
    elif isinstance(error, stripe.RateLimitError):
        error_type = "rate_limit_error"
    elif isinstance(error, stripe.AuthenticationError | stripe.PermissionError):
        error_type = "authentication_error"
    decline = details.get("decline_code")
    code = (
        error.code
        or details.get("code")
        or ("network_error" if error_type == "api_connection_error" else None)
    )
    classification = classify_failure(
        code=code, decline_code=decline, http_status=error.http_status, error_type=error_type
    )
    return PaymentFailure(
        code=str(code or error_type or "stripe_error"),
        message=str(details.get("message") or error.user_message or error),
        classification=classification,
        provider_code=code,
        decline_code=decline,
        http_status=error.http_status,
    )


def _get(value: Any, key: str) -> Any:
    if isinstance(value, dict):
        return value.get(key)
    return getattr(value, key, None)
