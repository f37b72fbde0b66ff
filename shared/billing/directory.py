"""Who pays, as the operator set it up: a billing account with the ID tokens it pays for and the
driver groups its drivers belong to (groups choose tariffs, see resolver.py)."""

from __future__ import annotations

from pydantic import Field

from shared.billing.wallets import BillingAccount
from shared.domain.base import UtcDatetime


class AccountProfile(BillingAccount):
    """A billing account as stored: the account itself plus its tokens and groups."""

    id_tokens: list[str] = Field(default_factory=list)
    """OCPP ID tokens whose sessions this account pays (case-insensitive, stored upper case)."""
    driver_groups: list[str] = Field(default_factory=list)
    """Most preferred first: the first group with a tariff prices its sessions."""
    created_at: UtcDatetime

    def account(self) -> BillingAccount:
        return BillingAccount.model_validate(self.model_dump(include=set(BillingAccount.model_fields)))
