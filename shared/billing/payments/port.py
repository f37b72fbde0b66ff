"""The payment-provider port, and how a failed payment is classified (retry, or park).

Every provider takes the invoice id as its idempotency key: collecting the same invoice twice
charges once (the ledger provider books ``payment:<invoiceId>`` with a conditional write; Stripe
dedupes on the ``Idempotency-Key`` header for 24 hours — after that our own record of the payment
is what prevents a second charge, so the task checks it first).
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from shared.billing.wallets import BillingAccount
from shared.domain.base import DomainModel


class PaymentStatus(StrEnum):
    SUCCEEDED = "succeeded"
    PROCESSING = "processing"
    """Accepted, final result later (Stripe ``processing``; the webhook tells)."""
    ON_ACCOUNT = "on_account"
    """Postpaid: nothing collected now; the monthly invoice collects it."""
    FAILED = "failed"


class FailureClass(StrEnum):
    RETRYABLE = "retryable"
    """Transient: retry with backoff (network, timeouts, 5xx, rate limits, issuer temporarily down)."""
    FINAL = "final"
    """Retrying cannot help: park the invoice as payment_failed for an operator (or the driver)."""


class PaymentFailure(DomainModel):
    code: str
    """Provider-neutral: insufficient_funds, card_declined, authentication_required, network_error…"""
    message: str
    classification: FailureClass
    provider_code: str | None = None
    decline_code: str | None = None
    http_status: int | None = None


class PaymentRequest(DomainModel):
    tenant_id: str
    invoice_id: str
    """Also the idempotency key."""
    account: BillingAccount
    amount: Decimal
    """VAT-inclusive, in the currency's minor unit."""
    currency: str
    description: str = ""
    attempt: int = 1
    provider_reference: str | None = None
    """The provider's payment of an earlier attempt (a declined PaymentIntent): retried, not recreated."""


class PaymentOutcome(DomainModel):
    status: PaymentStatus
    provider: str
    provider_reference: str | None = None
    """PaymentIntent id, ledger transaction id."""
    failure: PaymentFailure | None = None


class RefundRequest(DomainModel):
    tenant_id: str
    invoice_id: str
    refund_id: str
    """Idempotency key of the refund."""
    account: BillingAccount
    amount: Decimal
    currency: str
    provider_reference: str | None = None


class PaymentProvider(Protocol):
    @property
    def name(self) -> str: ...

    def collect(self, request: PaymentRequest) -> PaymentOutcome: ...

    def refund(self, request: RefundRequest) -> PaymentOutcome: ...


# Stripe decline codes (docs.stripe.com/declines/codes) for which a later retry may succeed.
_RETRYABLE_DECLINES = frozenset(
    {
        "approve_with_id",
        "issuer_not_available",
        "processing_error",
        "reenter_transaction",
        "try_again_later",
    }
)
# Error codes (docs.stripe.com/error-codes) that are transient.
_RETRYABLE_CODES = frozenset({"lock_timeout", "rate_limit", "processing_error", "network_error", "timeout"})
_RETRYABLE_HTTP = frozenset({409, 424, 429, 500, 502, 503, 504})


def classify_failure(
    *,
    code: str | None,
    decline_code: str | None = None,
    http_status: int | None = None,
    error_type: str | None = None,
) -> FailureClass:
    """Retry or park? Pure; the workflow backs off on RETRYABLE and parks on FINAL.

    Transient: no HTTP answer at all (connection error, timeout), HTTP 409 (a concurrent request
    with the same idempotency key is still running), 424, 429, 5xx, Stripe ``api_error`` and
    ``rate_limit_error``, the transient error codes, and the issuer-side decline codes that say
    "try again". Everything else — card declined (insufficient funds, lost/stolen, expired),
    authentication required for an off-session payment, invalid request, authentication or
    permission errors (a misconfigured key will not fix itself) and idempotency errors (the same
    key with different parameters: a bug) — is final.
    """
    if decline_code is not None:
        return FailureClass.RETRYABLE if decline_code in _RETRYABLE_DECLINES else FailureClass.FINAL
    if code in _RETRYABLE_CODES:
        return FailureClass.RETRYABLE
    if error_type in {"api_error", "rate_limit_error", "api_connection_error"}:
        return FailureClass.RETRYABLE
    if error_type in {"card_error", "invalid_request_error", "idempotency_error", "authentication_error"}:
        return FailureClass.FINAL
    if http_status is None:
        return FailureClass.RETRYABLE if code in {None, "network_error", "timeout"} else FailureClass.FINAL
    return FailureClass.RETRYABLE if http_status in _RETRYABLE_HTTP else FailureClass.FINAL


def backoff_seconds(attempt: int, *, base: int = 60, factor: int = 4, cap: int = 6 * 3600) -> int:
    """Delay before retry ``attempt`` (1-based): 1 min, 4 min, 16 min, 64 min, 4 h 16 min, then 6 h."""
    if attempt < 1:
        raise ValueError("attempt starts at 1")
    return min(cap, base * factor ** (attempt - 1))


MAX_PAYMENT_ATTEMPTS = 6
"""After this many retryable failures the invoice is parked too (about 11.5 hours of retrying)."""


def should_park(failure: PaymentFailure, attempt: int, *, max_attempts: int = MAX_PAYMENT_ATTEMPTS) -> bool:
    return failure.classification is FailureClass.FINAL or attempt >= max_attempts
