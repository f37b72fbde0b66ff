"""Data-level scoping: what a caller's ``Scope`` (shared/domain/tenancy.py, resolved by the route's
permission check) lets it see.

- Records a path names (``/v1/sites/<site_id>``, ``/v1/invoices/<invoice_id>``) are checked before
  the route runs, by ``InScope.require_path``, called from the permission check: a record outside
  the scope is "not found", worded as for one that does not exist (no existence oracle). A path
  parameter without a rule here is refused the same way for a scoped caller, so a new route cannot
  hand a site- or account-scoped role a record nobody decided it may see. The routes of a
  ``SELF_SCOPED`` permission (shared/api/access.py: the driver app) skip these rules and check their
  records against the caller's account themselves.
- Lists keep only what is inside the scope (``InScope.keep`` and the predicates), in the management
  function that lists.

A site-scoped caller (property owner, energy provider) sees records on its sites; an account-scoped
one (fleet manager, driver) sees its billing account and what the account owns: its ID tokens, the
sessions charged with them, its wallet, invoices and subscriptions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from shared.domain.errors import NotFoundError
from shared.domain.tenancy import Scope

if TYPE_CHECKING:
    from shared.domain.sessions import Session
    from shared.wiring import Platform

RecordT = TypeVar("RecordT")


class InScope:
    """One request's view through its scope; the account's ID tokens are read once, when needed."""

    def __init__(self, platform: Platform, scope: Scope) -> None:
        self.platform = platform
        self.scope = scope

    @property
    def tenant_id(self) -> str:
        return self.scope.tenant_id

    @cached_property
    def account_id_tokens(self) -> frozenset[str]:
        """The ID tokens the scope's billing account pays for (upper case, as stored)."""
        if self.scope.account_id is None:
            return frozenset()
        profile = self.platform.billing.accounts.profile(self.tenant_id, self.scope.account_id)
        return frozenset(token.upper() for token in profile.id_tokens) if profile else frozenset()

    # ---- predicates -----------------------------------------------------------------------------

    def site(self, site_id: str | None) -> bool:
        return self.scope.covers_site(site_id)

    def account(self, billing_account_id: str | None) -> bool:
        return self.scope.covers_account(billing_account_id)

    def id_token(self, id_token: str | None) -> bool:
        return self.scope.whole_tenant or (
            id_token is not None and id_token.upper() in self.account_id_tokens
        )

    def session(self, session: Session) -> bool:
        """At one of the scope's sites, or charged with one of its account's ID tokens."""
        return self.site(session.site_id) or (
            self.scope.account_id is not None and self.id_token(session.id_token)
        )

    @staticmethod
    def keep(items: Iterable[RecordT], inside: Callable[[RecordT], bool]) -> list[RecordT]:
        """A page filtered to the scope (its cursor stays the unfiltered page's: a later page may hold
        more)."""
        return [item for item in items if inside(item)]

    # ---- records a path names -------------------------------------------------------------------

    def require_path(self, parameters: Mapping[str, str]) -> None:
        """Every record the path names is inside the scope, else 404 as for an unknown record."""
        if self.scope.whole_tenant:
            return
        for name, value in parameters.items():
            rule = _PATH_RULES.get(name)
            if rule is None or not rule[1](self, value):
                noun = rule[0] if rule else name.replace("_", " ")
                raise NotFoundError(f"{noun} {value} not found")

    def _station_on_scoped_site(self, station_id: str) -> bool:
        station = self.platform.stations.get(station_id)
        return station is not None and station.tenant_id == self.tenant_id and self.site(station.site_id)

    def _session_in_scope(self, session_id: str) -> bool:
        session = self.platform.sessions.get(session_id)
        return session is not None and session.tenant_id == self.tenant_id and self.session(session)

    def _wallet_of_account(self, wallet_id: str) -> bool:
        wallet = self.platform.billing.accounts.wallet(self.tenant_id, wallet_id)
        return wallet is not None and self.account(wallet.billing_account_id)

    def _invoice_of_account(self, invoice_id: str) -> bool:
        invoice = self.platform.billing.invoices.invoice(self.tenant_id, invoice_id)
        return invoice is not None and self.account(invoice.billing_account_id)

    def _subscription_of_account(self, subscription_id: str) -> bool:
        subscription = self.platform.billing.accounts.subscription(self.tenant_id, subscription_id)
        return subscription is not None and self.account(subscription.billing_account_id)


_PATH_RULES: dict[str, tuple[str, Callable[[InScope, str], bool]]] = {
    "site_id": ("site", InScope.site),
    "signal_id": ("grid signal", lambda _, __: True),  # the path's site_id decides
    "station_id": ("station", InScope._station_on_scoped_site),
    "session_id": ("session", InScope._session_in_scope),
    "id_token": ("id token", InScope.id_token),
    "billing_account_id": ("billing account", InScope.account),
    "vehicle_id": ("vehicle", lambda _, __: True),  # the path's billing_account_id decides
    "wallet_id": ("wallet", InScope._wallet_of_account),
    "invoice_id": ("invoice", InScope._invoice_of_account),
    "subscription_id": ("subscription", InScope._subscription_of_account),
}
"""Path parameter → (its noun in the 404, whether the record it names is inside the scope)."""
