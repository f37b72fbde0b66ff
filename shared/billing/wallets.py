"""Prepaid wallets and postpaid accounts: who pays an invoice, and how.

Insufficient balance, decided: a wallet debit is all or nothing. It succeeds when the balance
after it stays at or above ``-overdraftLimit`` (default 0: no overdraft); otherwise nothing is
debited and the payment fails with ``insufficient_funds``, classified *final* for the per-session
workflow (retrying in minutes cannot help): the invoice is parked as ``payment_failed`` and shows
on the operator's list; a later top-up of that wallet re-drives its parked invoices (phase 2). A
charging session is never blocked or cut by billing: it has already happened when it is priced.

Every balance change is one ledger transaction, and the wallet record carries a ``version`` for a
conditional write (optimistic concurrency), so two debits racing on one wallet cannot both spend
the same balance.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from shared.billing.ledger import (
    LedgerEntry,
    LedgerTransaction,
    TransactionKind,
    clearing,
    payment_transaction,
    wallet_account,
)
from shared.billing.money import minor_units, quantum
from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.errors import DomainError, InvalidRequestError


class AccountType(StrEnum):
    PREPAID = "PREPAID"
    """Pays from a wallet, per session."""
    POSTPAID = "POSTPAID"
    """Sessions go on account; the monthly run invoices them and collects (e.g. by card)."""
    CARD = "CARD"
    """Pays each session with a saved payment method at a provider (Stripe)."""


class BillingAccount(DomainModel):
    """Who is invoiced for a driver's sessions (a driver, or a fleet for its drivers)."""

    tenant_id: str
    billing_account_id: str
    type: AccountType
    currency: str
    wallet_id: str | None = None
    provider: str | None = None
    """Payment provider for CARD and for collecting POSTPAID monthly invoices: "stripe"."""
    provider_customer_id: str | None = None
    provider_payment_method_id: str | None = None
    credit_limit: Decimal | None = None
    """POSTPAID: the most that may be on account before sessions are paid by the provider instead."""


class InsufficientFundsError(DomainError):
    def __init__(self, wallet_id: str, balance: Decimal, amount: Decimal) -> None:
        super().__init__(f"wallet {wallet_id} holds {balance}, {amount} is due")
        self.balance = balance
        self.amount = amount


class Wallet(DomainModel):
    tenant_id: str
    wallet_id: str
    billing_account_id: str
    currency: str
    balance: Decimal
    overdraft_limit: Decimal = Decimal(0)
    version: int = 0
    """Incremented on every change; stores write with a condition on the previous value."""
    updated_at: UtcDatetime | None = None


class WalletMovement(StrEnum):
    TOP_UP = "TOP_UP"
    DEBIT = "DEBIT"
    REFUND = "REFUND"


class WalletChange(DomainModel):
    """A wallet's new state and the ledger transaction that explains it (written together)."""

    wallet: Wallet
    transaction: LedgerTransaction
    movement: WalletMovement
    amount: Decimal = Field(gt=0)


def _checked(amount: Decimal, wallet: Wallet, field: str) -> None:
    if amount <= 0:
        raise InvalidRequestError(f"{field}: must be more than 0")
    if amount != amount.quantize(quantum(wallet.currency)):
        raise InvalidRequestError(
            f"{field}: {wallet.currency} has {minor_units(wallet.currency)} decimal places"
        )


def top_up(wallet: Wallet, *, amount: Decimal, top_up_id: str, provider: str, at: datetime) -> WalletChange:
    """Money received at ``provider`` (a card top-up) credits the wallet: debit clearing, credit wallet."""
    _checked(amount, wallet, "amount")
    transaction = LedgerTransaction(
        transaction_id=f"topup:{top_up_id}",
        tenant_id=wallet.tenant_id,
        kind=TransactionKind.TOP_UP,
        currency=wallet.currency,
        reference=top_up_id,
        booked_at=at,
        entries=[
            LedgerEntry(account=clearing(provider), amount=amount),
            LedgerEntry(account=wallet_account(wallet.wallet_id), amount=-amount),
        ],
    )
    return WalletChange(
        wallet=_moved(wallet, wallet.balance + amount, at),
        transaction=transaction,
        movement=WalletMovement.TOP_UP,
        amount=amount,
    )


def debit(wallet: Wallet, *, amount: Decimal, invoice_id: str, at: datetime) -> WalletChange:
    """Pay an invoice from the wallet: debit the wallet (a liability shrinks), credit the receivable."""
    _checked(amount, wallet, "amount")
    if wallet.balance - amount < -wallet.overdraft_limit:
        raise InsufficientFundsError(wallet.wallet_id, wallet.balance, amount)
    transaction = payment_transaction(
        transaction_id=f"payment:{invoice_id}",
        tenant_id=wallet.tenant_id,
        billing_account_id=wallet.billing_account_id,
        source_account=wallet_account(wallet.wallet_id),
        currency=wallet.currency,
        amount=amount,
        reference=invoice_id,
        booked_at=at,
    )
    return WalletChange(
        wallet=_moved(wallet, wallet.balance - amount, at),
        transaction=transaction,
        movement=WalletMovement.DEBIT,
        amount=amount,
    )


def refund_to_wallet(
    wallet: Wallet, *, payment: LedgerTransaction, amount: Decimal, refund_id: str, at: datetime
) -> WalletChange:
    """Give (part of) a wallet payment back: the payment's reversal, and the balance restored."""
    from shared.billing.ledger import reversal

    _checked(amount, wallet, "amount")
    transaction = reversal(payment, transaction_id=f"refund:{refund_id}", booked_at=at, amount=amount)
    return WalletChange(
        wallet=_moved(wallet, wallet.balance + amount, at),
        transaction=transaction,
        movement=WalletMovement.REFUND,
        amount=amount,
    )


def _moved(wallet: Wallet, balance: Decimal, at: datetime) -> Wallet:
    return wallet.model_copy(update={"balance": balance, "version": wallet.version + 1, "updated_at": at})
