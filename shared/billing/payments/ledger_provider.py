"""The built-in provider: prepaid wallets debited in our own ledger, postpaid accounts on account."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from shared.billing.payments.port import (
    FailureClass,
    PaymentFailure,
    PaymentOutcome,
    PaymentRequest,
    PaymentStatus,
    RefundRequest,
)
from shared.billing.ports import ConcurrentUpdateError, LedgerStore, WalletStore
from shared.billing.wallets import AccountType, InsufficientFundsError, debit, refund_to_wallet

PROVIDER = "ledger"
_RACE_RETRIES = 3


class LedgerProvider:
    def __init__(self, wallets: WalletStore, ledger: LedgerStore, clock: Callable[[], datetime]) -> None:
        self._wallets = wallets
        self._ledger = ledger
        self._clock = clock

    @property
    def name(self) -> str:
        return PROVIDER

    def collect(self, request: PaymentRequest) -> PaymentOutcome:
        account = request.account
        if account.type is AccountType.POSTPAID:
            return PaymentOutcome(status=PaymentStatus.ON_ACCOUNT, provider=PROVIDER)
        if account.type is not AccountType.PREPAID or account.wallet_id is None:
            return self._failed("unsupported_account", f"{account.type} accounts are not paid from a wallet")
        transaction_id = f"payment:{request.invoice_id}"
        if self._ledger.transaction(request.tenant_id, transaction_id) is not None:
            return self._succeeded(transaction_id)  # paid before: a repeated task changes nothing
        for _ in range(_RACE_RETRIES):
            wallet = self._wallets.wallet(request.tenant_id, account.wallet_id)
            if wallet is None:
                return self._failed("wallet_not_found", f"wallet {account.wallet_id} does not exist")
            if wallet.currency != request.currency:
                return self._failed(
                    "currency_mismatch", f"wallet is in {wallet.currency}, invoice in {request.currency}"
                )
            try:
                change = debit(wallet, amount=request.amount, invoice_id=request.invoice_id, at=self._clock())
            except InsufficientFundsError as error:
                return self._failed("insufficient_funds", error.message)
            try:
                self._wallets.apply(change, expected_version=wallet.version)
            except ConcurrentUpdateError:
                continue
            return self._succeeded(transaction_id)
        return PaymentOutcome(
            status=PaymentStatus.FAILED,
            provider=PROVIDER,
            failure=PaymentFailure(
                code="concurrent_update",
                message=f"wallet {account.wallet_id} kept changing",
                classification=FailureClass.RETRYABLE,
            ),
        )

    def refund(self, request: RefundRequest) -> PaymentOutcome:
        """Back into the wallet: the payment's reversal (pro rata for a partial refund) + balance."""
        wallet_id = request.account.wallet_id
        if wallet_id is None:
            return self._failed("unsupported_account", "only wallet payments are refunded by the ledger")
        transaction_id = f"refund:{request.refund_id}"
        if self._ledger.transaction(request.tenant_id, transaction_id) is not None:
            return self._succeeded(transaction_id)
        payment = self._ledger.transaction(request.tenant_id, f"payment:{request.invoice_id}")
        if payment is None:
            return self._failed("no_payment", f"invoice {request.invoice_id} was not paid from a wallet")
        for _ in range(_RACE_RETRIES):
            wallet = self._wallets.wallet(request.tenant_id, wallet_id)
            if wallet is None:
                return self._failed("wallet_not_found", f"wallet {wallet_id} does not exist")
            change = refund_to_wallet(
                wallet, payment=payment, amount=request.amount, refund_id=request.refund_id, at=self._clock()
            )
            try:
                self._wallets.apply(change, expected_version=wallet.version)
            except ConcurrentUpdateError:
                continue
            return self._succeeded(transaction_id)
        return self._failed("concurrent_update", f"wallet {wallet_id} kept changing")

    def _succeeded(self, reference: str) -> PaymentOutcome:
        return PaymentOutcome(status=PaymentStatus.SUCCEEDED, provider=PROVIDER, provider_reference=reference)

    def _failed(self, code: str, message: str) -> PaymentOutcome:
        return PaymentOutcome(
            status=PaymentStatus.FAILED,
            provider=PROVIDER,
            failure=PaymentFailure(code=code, message=message, classification=FailureClass.FINAL),
        )
