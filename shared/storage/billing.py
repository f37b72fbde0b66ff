"""Billing's DynamoDB repositories: the ports of shared/billing/ports.py, and what the operator API
lists and changes.

Every write that makes a workflow task idempotent is a conditional *create if absent* that returns
what is stored (a CDR per session, an invoice per id, a ledger transaction per id); wallet balances
are versioned and written in one transaction with the ledger transaction that explains them; an
invoice takes the next number of its (tenant, series, year) counter in the same transaction as its
conditional put, so numbers have no gaps and a repeated task gets the stored invoice back.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from shared.billing.alerts import BillingAlert
from shared.billing.cdrs import Cdr
from shared.billing.directory import AccountProfile
from shared.billing.invoices import Invoice, InvoiceStatus, format_invoice_number, series_for
from shared.billing.ledger import LedgerTransaction, RevenueSplit, TransactionKind
from shared.billing.ports import ConcurrentUpdateError
from shared.billing.resolver import AssignmentScope, TariffAssignment
from shared.billing.subscriptions import Plan, Subscription
from shared.billing.tariffs import Tariff
from shared.billing.vehicles import Vehicle
from shared.billing.wallets import BillingAccount, Wallet, WalletChange
from shared.domain.base import DomainModel, to_iso
from shared.domain.errors import AlreadyExistsError, NotFoundError
from shared.storage.dynamo import (
    DynamoDBClient,
    from_item,
    get_document,
    is_conditional_check_failure,
    put_if_absent,
    query_page,
    to_item,
)

ModelT = TypeVar("ModelT", bound=DomainModel)

_BATCH_GET_LIMIT = 100
_COUNTER_RACE_RETRIES = 5
SUBSCRIPTION_SHARD = "subscriptions"
"""The one partition of the sparse subscription index: the monthly run pages through it. At some
hundred thousand subscriptions it wants write sharding (shard = hash % N, N queries)."""


def _cancelled(error: ClientError) -> list[bool]:
    """Per item of a cancelled transaction: whether its condition failed."""
    reasons = error.response.get("CancellationReasons", [])
    return [reason.get("Code") == "ConditionalCheckFailed" for reason in reasons]


def _key(tenant_id: str, sort_name: str, sort_value: str) -> dict[str, Any]:
    return {"tenantId": {"S": tenant_id}, sort_name: {"S": sort_value}}


class _TenantRecords:
    """Records under (tenantId, recordKey) with a prefix per kind."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _get(self, tenant_id: str, record_key: str, model: type[ModelT]) -> ModelT | None:
        document = get_document(self._client, self._table, _key(tenant_id, "recordKey", record_key))
        return model.model_validate(document) if document else None

    def _put(self, tenant_id: str, record_key: str, record: DomainModel, *, create: bool = False) -> bool:
        document = {**record.to_document(), "tenantId": tenant_id, "recordKey": record_key}
        if create:
            return put_if_absent(self._client, self._table, document, "tenantId")
        self._client.put_item(TableName=self._table, Item=to_item(document))
        return True

    def _delete(self, tenant_id: str, record_key: str) -> bool:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=_key(tenant_id, "recordKey", record_key),
                ConditionExpression="attribute_exists(tenantId)",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def _batch_get(self, tenant_id: str, record_keys: Iterable[str]) -> list[dict[str, Any]]:
        wanted = sorted(set(record_keys))
        found: list[dict[str, Any]] = []
        for start in range(0, len(wanted), _BATCH_GET_LIMIT):
            keys = [_key(tenant_id, "recordKey", key) for key in wanted[start : start + _BATCH_GET_LIMIT]]
            request: dict[str, Any] = {self._table: {"Keys": keys}}
            while request:
                response = self._client.batch_get_item(RequestItems=request)
                found.extend(from_item(item) for item in response.get("Responses", {}).get(self._table, []))
                request = response.get("UnprocessedKeys") or {}
        return found

    def _list(
        self, tenant_id: str, prefix: str, model: type[ModelT], limit: int, cursor: str | None
    ) -> tuple[list[ModelT], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "tenantId = :tenant AND begins_with(recordKey, :prefix)",
            "ExpressionAttributeValues": {":tenant": {"S": tenant_id}, ":prefix": {"S": prefix}},
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [model.model_validate(item) for item in items], next_cursor


def _assignment_key(scope: AssignmentScope, target_id: str) -> str:
    return f"assignment#{scope.value}#{target_id}"


class BillingSettingsRepository(_TenantRecords):
    """Tariffs, their assignments, sites' revenue split rules and subscription plans.

    Implements ``TariffStore`` and ``SplitRules`` (and the plans half of ``SubscriptionStore``)."""

    # --- tariffs
    def add_tariff(self, tenant_id: str, tariff: Tariff) -> None:
        if not self._put(tenant_id, f"tariff#{tariff.tariff_id}", tariff, create=True):
            raise AlreadyExistsError(f"tariff {tariff.tariff_id} already exists")

    def put_tariff(self, tenant_id: str, tariff: Tariff) -> None:
        self._put(tenant_id, f"tariff#{tariff.tariff_id}", tariff)

    def tariff(self, tenant_id: str, tariff_id: str) -> Tariff | None:
        return self._get(tenant_id, f"tariff#{tariff_id}", Tariff)

    def tariffs(self, tenant_id: str, tariff_ids: Sequence[str]) -> dict[str, Tariff]:
        found = self._batch_get(tenant_id, (f"tariff#{tariff_id}" for tariff_id in tariff_ids))
        return {tariff.tariff_id: tariff for tariff in (Tariff.model_validate(item) for item in found)}

    def list_tariffs(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[Tariff], str | None]:
        return self._list(tenant_id, "tariff#", Tariff, limit, cursor)

    # --- assignments
    def assign(self, assignment: TariffAssignment) -> None:
        self._put(assignment.tenant_id, _assignment_key(assignment.scope, assignment.target_id), assignment)

    def unassign(self, tenant_id: str, scope: AssignmentScope, target_id: str) -> bool:
        return self._delete(tenant_id, _assignment_key(scope, target_id))

    def assignment(self, tenant_id: str, scope: AssignmentScope, target_id: str) -> TariffAssignment | None:
        return self._get(tenant_id, _assignment_key(scope, target_id), TariffAssignment)

    def assignments(
        self, tenant_id: str, *, station_id: str, site_id: str | None, driver_groups: Sequence[str]
    ) -> list[TariffAssignment]:
        """One BatchGetItem for every level the session could be priced at."""
        keys = [
            *(_assignment_key(AssignmentScope.DRIVER_GROUP, group) for group in driver_groups),
            _assignment_key(AssignmentScope.STATION, station_id),
            *([_assignment_key(AssignmentScope.SITE, site_id)] if site_id else []),
            _assignment_key(AssignmentScope.TENANT, tenant_id),
        ]
        return [TariffAssignment.model_validate(item) for item in self._batch_get(tenant_id, keys)]

    def list_assignments(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[TariffAssignment], str | None]:
        return self._list(tenant_id, "assignment#", TariffAssignment, limit, cursor)

    # --- revenue split rules
    def put_split_rule(self, tenant_id: str, rule: RevenueSplit) -> None:
        self._put(tenant_id, f"split#{rule.site_id}", rule)

    def split_rule(self, tenant_id: str, site_id: str) -> RevenueSplit | None:
        return self._get(tenant_id, f"split#{site_id}", RevenueSplit)

    def rules(self, tenant_id: str, site_ids: Sequence[str]) -> dict[str, RevenueSplit]:
        found = self._batch_get(tenant_id, (f"split#{site_id}" for site_id in site_ids))
        return {rule.site_id: rule for rule in (RevenueSplit.model_validate(item) for item in found)}

    # --- plans
    def add_plan(self, plan: Plan) -> None:
        if not self._put(plan.tenant_id, f"plan#{plan.plan_id}", plan, create=True):
            raise AlreadyExistsError(f"plan {plan.plan_id} already exists")

    def plan(self, tenant_id: str, plan_id: str) -> Plan | None:
        return self._get(tenant_id, f"plan#{plan_id}", Plan)

    def plans(self, tenant_id: str, plan_ids: Sequence[str]) -> dict[str, Plan]:
        found = self._batch_get(tenant_id, (f"plan#{plan_id}" for plan_id in plan_ids))
        return {plan.plan_id: plan for plan in (Plan.model_validate(item) for item in found)}

    def list_plans(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[Plan], str | None]:
        return self._list(tenant_id, "plan#", Plan, limit, cursor)


class _TokenLink(DomainModel):
    tenant_id: str
    id_token: str
    billing_account_id: str


def _token_key(id_token: str) -> str:
    return f"token#{id_token.upper()}"


def _vehicle_key(vehicle: Vehicle) -> str:
    return f"vehicle#{vehicle.billing_account_id}#{vehicle.vehicle_id}"


class BillingAccountRepository(_TenantRecords):
    """Billing accounts, the ID tokens they pay for, wallets and subscriptions.

    Implements ``DriverDirectory``, ``WalletStore`` and the subscriptions half of
    ``SubscriptionStore``. Wallet changes are written with their ledger transaction (in LEDGER)."""

    def __init__(self, client: DynamoDBClient, table_name: str, ledger_table_name: str) -> None:
        super().__init__(client, table_name)
        self._ledger_table = ledger_table_name

    # --- accounts and tokens
    def create_account(self, profile: AccountProfile, wallet: Wallet | None) -> None:
        """The account, one link per ID token and its wallet, all or nothing: an account id or a
        token already taken refuses the whole account (409 naming which)."""
        tenant = profile.tenant_id
        puts: list[tuple[str, dict[str, Any]]] = [
            (
                f"billing account {profile.billing_account_id}",
                {**profile.to_document(), "recordKey": f"account#{profile.billing_account_id}"},
            ),
            *(
                (
                    f"idTokens: {token} already belongs to a billing account",
                    {
                        **_TokenLink(
                            tenant_id=tenant, id_token=token, billing_account_id=profile.billing_account_id
                        ).to_document(),
                        "recordKey": _token_key(token),
                    },
                )
                for token in profile.id_tokens
            ),
        ]
        if wallet is not None:
            puts.append(
                (
                    f"wallet {wallet.wallet_id}",
                    {**wallet.to_document(), "recordKey": f"wallet#{wallet.wallet_id}"},
                )
            )
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(document),
                            "ConditionExpression": "attribute_not_exists(tenantId)",
                        }
                    }
                    for _, document in puts
                ]
            )
        except ClientError as error:
            failed = _cancelled(error)
            if not any(failed):
                raise
            what = next(label for (label, _), hit in zip(puts, failed, strict=False) if hit)
            raise AlreadyExistsError(
                what if what.startswith("idTokens") else f"{what} already exists"
            ) from None

    def profile(self, tenant_id: str, billing_account_id: str) -> AccountProfile | None:
        return self._get(tenant_id, f"account#{billing_account_id}", AccountProfile)

    def list_accounts(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[AccountProfile], str | None]:
        return self._list(tenant_id, "account#", AccountProfile, limit, cursor)

    def billing_account(self, tenant_id: str, billing_account_id: str) -> BillingAccount | None:
        profile = self.profile(tenant_id, billing_account_id)
        return profile.account() if profile else None

    def _linked_account_id(self, tenant_id: str, id_token: str | None) -> str | None:
        if not id_token:
            return None
        link = self._get(tenant_id, _token_key(id_token), _TokenLink)
        return link.billing_account_id if link else None

    def _profile_for_token(self, tenant_id: str, id_token: str | None) -> AccountProfile | None:
        account_id = self._linked_account_id(tenant_id, id_token)
        return self.profile(tenant_id, account_id) if account_id else None

    def driver_groups(self, tenant_id: str, id_token: str | None) -> list[str]:
        profile = self._profile_for_token(tenant_id, id_token)
        return list(profile.driver_groups) if profile else []

    def billing_account_for_token(self, tenant_id: str, id_token: str | None) -> BillingAccount | None:
        profile = self._profile_for_token(tenant_id, id_token)
        return profile.account() if profile else None

    # --- a fleet's vehicles
    def put_vehicle(self, vehicle: Vehicle, *, create: bool = False) -> bool:
        """``create``: only if no vehicle of that id is in the account (False when one is)."""
        return self._put(vehicle.tenant_id, _vehicle_key(vehicle), vehicle, create=create)

    def vehicle(self, tenant_id: str, billing_account_id: str, vehicle_id: str) -> Vehicle | None:
        return self._get(tenant_id, f"vehicle#{billing_account_id}#{vehicle_id}", Vehicle)

    def list_vehicles(
        self, tenant_id: str, billing_account_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Vehicle], str | None]:
        return self._list(tenant_id, f"vehicle#{billing_account_id}#", Vehicle, limit, cursor)

    def vehicle_charging_with(self, tenant_id: str, id_token: str) -> Vehicle | None:
        """The vehicle of the token's account that charges with it, if one is registered."""
        account_id = self._linked_account_id(tenant_id, id_token)
        if account_id is None:
            return None
        token, cursor = id_token.upper(), None
        while True:
            vehicles, cursor = self.list_vehicles(tenant_id, account_id, 100, cursor)
            found = next((v for v in vehicles if token in v.id_tokens), None)
            if found is not None or cursor is None:
                return found

    def delete_vehicle(self, tenant_id: str, billing_account_id: str, vehicle_id: str) -> bool:
        return self._delete(tenant_id, f"vehicle#{billing_account_id}#{vehicle_id}")

    # --- wallets
    def wallet(self, tenant_id: str, wallet_id: str) -> Wallet | None:
        document = get_document(
            self._client, self._table, _key(tenant_id, "recordKey", f"wallet#{wallet_id}")
        )
        return Wallet.model_validate(document) if document else None

    def apply(self, change: WalletChange, *, expected_version: int) -> bool:
        wallet = change.wallet
        document = {**wallet.to_document(), "recordKey": f"wallet#{wallet.wallet_id}"}
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._ledger_table,
                            "Item": to_item(ledger_document(change.transaction)),
                            # the change's idempotency key: applied once
                            "ConditionExpression": "attribute_not_exists(transactionId)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(document),
                            # optimistic concurrency: nobody moved the balance since it was read
                            "ConditionExpression": "version = :expected",
                            "ExpressionAttributeValues": {":expected": {"N": str(expected_version)}},
                        }
                    },
                ]
            )
        except ClientError as error:
            failed = _cancelled(error)
            if not any(failed):
                raise
            if failed[0]:
                return False
            raise ConcurrentUpdateError(wallet.wallet_id) from None
        return True

    # --- subscriptions
    def create_subscription(self, subscription: Subscription) -> None:
        if not self._put_subscription(subscription, create=True):
            raise AlreadyExistsError(f"subscription {subscription.subscription_id} already exists")

    def replace_subscription(self, subscription: Subscription) -> None:
        self._put_subscription(subscription, create=False)

    def _put_subscription(self, subscription: Subscription, *, create: bool) -> bool:
        document = {
            **subscription.to_document(),
            "recordKey": f"subscription#{subscription.subscription_id}",
            "billingShard": SUBSCRIPTION_SHARD,
            "subscriptionKey": f"{subscription.tenant_id}#{subscription.subscription_id}",
        }
        if create:
            return put_if_absent(self._client, self._table, document, "tenantId")
        self._client.put_item(TableName=self._table, Item=to_item(document))
        return True

    def subscription(self, tenant_id: str, subscription_id: str) -> Subscription | None:
        return self._get(tenant_id, f"subscription#{subscription_id}", Subscription)

    def list_subscriptions(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Subscription], str | None]:
        return self._list(tenant_id, "subscription#", Subscription, limit, cursor)

    def all_subscriptions(self, limit: int, cursor: str | None) -> tuple[list[Subscription], str | None]:
        """Every tenant's subscriptions, a page at a time (the monthly run)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "bySubscriptionShard",
            "KeyConditionExpression": "billingShard = :shard",
            "ExpressionAttributeValues": {":shard": {"S": SUBSCRIPTION_SHARD}},
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [Subscription.model_validate(item) for item in items], next_cursor


class CdrRepository:
    """Implements ``CdrStore``; one CDR per (tenant, session)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create_cdr(self, cdr: Cdr) -> Cdr:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(cdr.to_document()),
                ConditionExpression="attribute_not_exists(sessionId)",  # priced once, then sealed
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            stored = self.cdr_for_session(cdr.tenant_id, cdr.session_id)
            if stored is None:  # pragma: no cover - a CDR is never deleted
                raise
            return stored
        return cdr

    def cdr_for_session(self, tenant_id: str, session_id: str) -> Cdr | None:
        document = get_document(self._client, self._table, _key(tenant_id, "sessionId", session_id))
        return Cdr.model_validate(document) if document else None

    def postpaid_cdrs(
        self, tenant_id: str, billing_account_id: str, start: datetime, end: datetime
    ) -> list[Cdr]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byAccountStart",
            "KeyConditionExpression": "onAccount = :account AND startDateTime BETWEEN :start AND :end",
            "ExpressionAttributeValues": {
                ":account": {"S": f"{tenant_id}#{billing_account_id}"},
                ":start": {"S": to_iso(start)},
                ":end": {"S": to_iso(end)},
            },
        }
        cdrs: list[Cdr] = []
        while True:
            response = self._client.query(**request)
            cdrs.extend(Cdr.model_validate(from_item(item)) for item in response.get("Items", []))
            if not response.get("LastEvaluatedKey"):
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [cdr for cdr in cdrs if start <= cdr.start_date_time < end]

    def mark_on_account(self, cdr: Cdr, billing_account_id: str) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=_key(cdr.tenant_id, "sessionId", cdr.session_id),
            UpdateExpression="SET onAccount = :account",
            ConditionExpression="attribute_exists(sessionId)",
            ExpressionAttributeValues={":account": {"S": f"{cdr.tenant_id}#{billing_account_id}"}},
        )

    def list_cdrs(
        self,
        tenant_id: str,
        *,
        started_from: datetime | None,
        started_to: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Cdr], str | None]:
        condition = "tenantId = :tenant"
        values: dict[str, Any] = {":tenant": {"S": tenant_id}}
        if started_from is not None or started_to is not None:
            condition += " AND startDateTime BETWEEN :start AND :end"
            values[":start"] = {"S": to_iso(started_from) if started_from else "0"}
            values[":end"] = {"S": to_iso(started_to) if started_to else "9"}
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byTenantStart",
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [Cdr.model_validate(item) for item in items], next_cursor


def _counter_key(tenant_id: str, series: str, year: int) -> dict[str, Any]:
    return _key(tenant_id, "invoiceId", f"counter#{series}#{year}")


def _invoice_document(invoice: Invoice) -> dict[str, Any]:
    document = invoice.to_document()
    document["issuedTenant"] = invoice.tenant_id
    if invoice.session_id:
        document["sessionKey"] = f"{invoice.tenant_id}#{invoice.session_id}"
    return document


class InvoiceRepository:
    """Implements ``InvoiceStore``: invoices and credit notes, numbered without gaps."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create_invoice(self, invoice: Invoice) -> Invoice:
        series = series_for(invoice.kind)
        year = invoice.issued_at.year
        for _ in range(_COUNTER_RACE_RETRIES):
            stored = self.invoice(invoice.tenant_id, invoice.invoice_id)
            if stored is not None:
                return stored
            counter = get_document(self._client, self._table, _counter_key(invoice.tenant_id, series, year))
            current = int(counter["sequence"]) if counter else 0
            numbered = invoice.model_copy(update={"number": format_invoice_number(series, year, current + 1)})
            counter_condition: dict[str, Any] = (
                {
                    "ConditionExpression": "#sequence = :current",
                    "ExpressionAttributeValues": {
                        ":current": {"N": str(current)},
                        ":next": {"N": str(current + 1)},
                    },
                }
                if counter
                else {
                    "ConditionExpression": "attribute_not_exists(invoiceId)",
                    "ExpressionAttributeValues": {":next": {"N": str(current + 1)}},
                }
            )
            counter_update: Any = {  # a TypedDict in the stubs: ** of a plain dict does not type-check
                "TableName": self._table,
                "Key": _counter_key(invoice.tenant_id, series, year),
                "UpdateExpression": "SET #sequence = :next",
                "ExpressionAttributeNames": {"#sequence": "sequence"},
                **counter_condition,
            }
            try:
                self._client.transact_write_items(
                    TransactItems=[
                        {
                            "Put": {
                                "TableName": self._table,
                                "Item": to_item(_invoice_document(numbered)),
                                "ConditionExpression": "attribute_not_exists(invoiceId)",
                            }
                        },
                        {"Update": counter_update},
                    ]
                )
            except ClientError as error:
                if not any(_cancelled(error)):
                    raise
                continue  # another writer took the number or stored the invoice: read again
            return numbered
        raise ConcurrentUpdateError(f"invoice counter {series} {year}")

    def invoice(self, tenant_id: str, invoice_id: str) -> Invoice | None:
        if invoice_id.startswith("counter#"):
            return None
        document = get_document(self._client, self._table, _key(tenant_id, "invoiceId", invoice_id))
        return Invoice.model_validate(document) if document else None

    def set_status(
        self,
        tenant_id: str,
        invoice_id: str,
        status: InvoiceStatus,
        *,
        payment_reference: str | None = None,
        failure: str | None = None,
    ) -> Invoice:
        sets = ["#status = :status"]
        values: dict[str, Any] = {":status": {"S": status.value}}
        if payment_reference is not None:
            sets.append("paymentReference = :reference")
            values[":reference"] = {"S": payment_reference}
        if failure is not None:
            sets.append("failure = :failure")
            values[":failure"] = {"S": failure}
        expression = "SET " + ", ".join(sets) + ("" if failure is not None else " REMOVE failure")
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_key(tenant_id, "invoiceId", invoice_id),
                UpdateExpression=expression,
                ConditionExpression="attribute_exists(invoiceId)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise NotFoundError(f"invoice {invoice_id} not found") from error
            raise
        return Invoice.model_validate(from_item(response["Attributes"]))

    def invoices_for_session(self, tenant_id: str, session_id: str) -> list[Invoice]:
        response = self._client.query(
            TableName=self._table,
            IndexName="bySession",
            KeyConditionExpression="sessionKey = :session",
            ExpressionAttributeValues={":session": {"S": f"{tenant_id}#{session_id}"}},
        )
        return [Invoice.model_validate(from_item(item)) for item in response.get("Items", [])]

    def list_invoices(
        self, tenant_id: str, *, status: InvoiceStatus | None, limit: int, cursor: str | None
    ) -> tuple[list[Invoice], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byTenantIssued",
            "KeyConditionExpression": "issuedTenant = :tenant",
            "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if status is not None:
            request["FilterExpression"] = "#status = :status"
            request["ExpressionAttributeNames"] = {"#status": "status"}
            request["ExpressionAttributeValues"][":status"] = {"S": status.value}
        items, next_cursor = query_page(self._client, request, cursor)
        return [Invoice.model_validate(item) for item in items], next_cursor


def ledger_document(transaction: LedgerTransaction) -> dict[str, Any]:
    """The item, with the sparse index keys: revenue (splits and their reversals) and wallet."""
    document = transaction.to_document()
    reverses = transaction.reverses or ""
    if transaction.kind is TransactionKind.SPLIT or reverses.startswith("split:"):
        document["revenueTenant"] = transaction.tenant_id
    wallets = {
        e.account.removeprefix("wallet:") for e in transaction.entries if e.account.startswith("wallet:")
    }
    if len(wallets) == 1:
        document["walletKey"] = f"{transaction.tenant_id}#{wallets.pop()}"
    return document


class LedgerRepository:
    """Implements ``LedgerStore``; transactions are written once (conditional put on their id)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, transaction: LedgerTransaction) -> bool:
        return put_if_absent(self._client, self._table, ledger_document(transaction), "transactionId")

    def transaction(self, tenant_id: str, transaction_id: str) -> LedgerTransaction | None:
        document = get_document(self._client, self._table, _key(tenant_id, "transactionId", transaction_id))
        return LedgerTransaction.model_validate(document) if document else None

    def revenue_between(self, tenant_id: str, start: datetime, end: datetime) -> list[LedgerTransaction]:
        """Every split and split reversal booked in [start, end)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byRevenue",
            "KeyConditionExpression": "revenueTenant = :tenant AND bookedAt BETWEEN :start AND :end",
            "ExpressionAttributeValues": {
                ":tenant": {"S": tenant_id},
                ":start": {"S": to_iso(start)},
                ":end": {"S": to_iso(end)},
            },
        }
        transactions: list[LedgerTransaction] = []
        while True:
            response = self._client.query(**request)
            transactions.extend(
                LedgerTransaction.model_validate(from_item(item)) for item in response.get("Items", [])
            )
            if not response.get("LastEvaluatedKey"):
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return [t for t in transactions if start <= t.booked_at < end]

    def wallet_history(
        self, tenant_id: str, wallet_id: str, limit: int, cursor: str | None
    ) -> tuple[list[LedgerTransaction], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byWallet",
            "KeyConditionExpression": "walletKey = :wallet",
            "ExpressionAttributeValues": {":wallet": {"S": f"{tenant_id}#{wallet_id}"}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [LedgerTransaction.model_validate(item) for item in items], next_cursor


class BillingAlertRepository:
    """What billing parked for an operator. Raising again overwrites (the newest reason wins)."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def raise_alert(self, alert: BillingAlert) -> None:
        self._client.put_item(TableName=self._table, Item=to_item(alert.to_document()))

    def alert(self, tenant_id: str, alert_key: str) -> BillingAlert | None:
        document = get_document(self._client, self._table, _key(tenant_id, "alertKey", alert_key))
        return BillingAlert.model_validate(document) if document else None

    def clear(self, tenant_id: str, alert_key: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(tenant_id, "alertKey", alert_key))

    def list_alerts(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[BillingAlert], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "tenantId = :tenant",
            "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [BillingAlert.model_validate(item) for item in items], next_cursor


__all__ = [
    "BillingAccountRepository",
    "BillingAlert",
    "BillingAlertRepository",
    "BillingSettingsRepository",
    "CdrRepository",
    "InvoiceRepository",
    "LedgerRepository",
]
