"""Onboarding table: each tenant's enrollment policy, the index from a secret's digest to its tenant, the
stations waiting for approval and the ones rejected lately."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.errors import InvalidRequestError, NotFoundError
from shared.domain.onboarding import PENDING_RETENTION, EnrollmentPolicy, PendingStation
from shared.domain.stations import ChargerInfo
from shared.storage.dynamo import (
    DynamoDBClient,
    decode_cursor,
    encode_cursor,
    get_document,
    is_conditional_check_failure,
    query_page,
    to_attribute_value,
    to_item,
)

_POLICY = "policy"
_SECRET = "secret"
_PENDING = "pending#"
_REJECTED = "rejected#"
# DynamoDB deletes expired items within a day or two: reads treat them as gone at once.
_NOT_EXPIRED = "expiresAt > :now"
_EXISTS = "attribute_exists(pk)"


def _tenant_key(tenant_id: str) -> dict[str, Any]:
    return {"S": f"tenant#{tenant_id}"}


def _key(tenant_id: str, sort_key: str) -> dict[str, Any]:
    return {"pk": _tenant_key(tenant_id), "sk": {"S": sort_key}}


def _secret_key(digest: str) -> dict[str, Any]:
    return {"pk": {"S": f"secret#{digest}"}, "sk": {"S": _SECRET}}


def _epoch(at: datetime) -> int:
    return int(at.timestamp())


class OnboardingRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- the tenant's policy and its secret ----------------------------------------------------------

    def policy(self, tenant_id: str) -> EnrollmentPolicy:
        document = get_document(self._client, self._table, _key(tenant_id, _POLICY))
        return EnrollmentPolicy.model_validate(document or {"tenantId": tenant_id})

    def replace_secret(self, tenant_id: str, digest: str, now: datetime) -> None:
        """One transaction: the new secret's index entry, the policy naming it, the old entry gone (a
        charger presenting the old secret is a stranger from now on)."""
        previous = self.policy(tenant_id).secret_digest
        items: list[Any] = [
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {**_secret_key(digest), "tenantId": {"S": tenant_id}},
                    "ConditionExpression": "attribute_not_exists(pk)",
                }
            },
            {
                "Put": {
                    "TableName": self._table,
                    "Item": {
                        **_key(tenant_id, _POLICY),
                        **to_item(
                            {"tenantId": tenant_id, "secretDigest": digest, "secretCreatedAt": to_iso(now)}
                        ),
                    },
                }
            },
        ]
        if previous is not None and previous != digest:
            items.append({"Delete": {"TableName": self._table, "Key": _secret_key(previous)}})
        self._client.transact_write_items(TransactItems=items)

    def remove_secret(self, tenant_id: str) -> None:
        previous = self.policy(tenant_id).secret_digest
        items: list[Any] = [{"Delete": {"TableName": self._table, "Key": _key(tenant_id, _POLICY)}}]
        if previous is not None:
            items.append({"Delete": {"TableName": self._table, "Key": _secret_key(previous)}})
        self._client.transact_write_items(TransactItems=items)

    def tenant_for_secret(self, digest: str) -> str | None:
        document = get_document(self._client, self._table, _secret_key(digest))
        return str(document["tenantId"]) if document else None

    # --- stations waiting for approval -----------------------------------------------------------------

    def pending(self, tenant_id: str, station_id: str, now: datetime) -> PendingStation | None:
        document = get_document(self._client, self._table, _key(tenant_id, _PENDING + station_id))
        if document is None or int(document.get("expiresAt", 0)) <= _epoch(now):
            return None
        return PendingStation.model_validate(document)

    def _live_pending_query(self, tenant_id: str, now: datetime) -> dict[str, Any]:
        """The tenant's pending entries that have not expired (DynamoDB's TTL deletes them late)."""
        return {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "FilterExpression": _NOT_EXPIRED,
            "ExpressionAttributeValues": {
                ":pk": _tenant_key(tenant_id),
                ":prefix": {"S": _PENDING},
                ":now": {"N": str(_epoch(now))},
            },
        }

    def count_pending(self, tenant_id: str, now: datetime) -> int:
        request = {**self._live_pending_query(tenant_id, now), "Select": "COUNT"}
        count = 0
        while True:
            response = self._client.query(**request)
            count += int(response.get("Count", 0))
            if "LastEvaluatedKey" not in response:
                return count
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def save_pending(self, station: PendingStation) -> None:
        """The whole entry, as the authorizer saw it at this attempt; it expires PENDING_RETENTION after."""
        self._client.put_item(
            TableName=self._table,
            Item={
                **_key(station.tenant_id, _PENDING + station.station_id),
                **to_item(
                    {**station.to_document(), "expiresAt": _epoch(station.last_seen_at + PENDING_RETENTION)}
                ),
            },
        )

    def record_connection(self, tenant_id: str, station_id: str, connection_id: str) -> bool:
        """False when the entry is gone (approved or rejected while the charger was connecting)."""
        return self._update_pending(
            tenant_id, station_id, "SET connectionId = :connection", {":connection": {"S": connection_id}}
        )

    def record_boot(self, tenant_id: str, station_id: str, charger: ChargerInfo, now: datetime) -> bool:
        return self._update_pending(
            tenant_id,
            station_id,
            "SET charger = :charger, lastSeenAt = :now",
            {":charger": to_attribute_value(charger.to_document()), ":now": {"S": to_iso(now)}},
        )

    def list_pending(
        self, tenant_id: str, limit: int, cursor: str | None, now: datetime
    ) -> tuple[list[PendingStation], str | None]:
        """By station id. Expired entries DynamoDB has not deleted yet are skipped without leaving a page
        short: pages are read on until ``limit`` live entries or the end."""
        start = decode_cursor(cursor)
        if start is not None and start.get("pk") != _tenant_key(tenant_id):
            raise InvalidRequestError("cursor does not belong to this query")
        request = {**self._live_pending_query(tenant_id, now), "Limit": limit}
        found: list[PendingStation] = []
        while True:
            items, next_cursor = query_page(self._client, request, cursor)
            found.extend(PendingStation.model_validate(item) for item in items)
            if len(found) >= limit:
                more = next_cursor is not None or len(found) > limit
                found = found[:limit]
                last = found[-1]
                resume = {"pk": _tenant_key(tenant_id), "sk": {"S": _PENDING + last.station_id}}
                return found, encode_cursor(resume) if more else None
            if next_cursor is None:
                return found, None
            cursor = next_cursor

    def remove_pending(self, tenant_id: str, station_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(tenant_id, _PENDING + station_id))

    # --- rejected stations ------------------------------------------------------------------------------

    def reject(self, tenant_id: str, station_id: str, now: datetime, until: datetime) -> None:
        """The entry goes, a marker stays until ``until``; NotFoundError when nothing was waiting."""
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": _key(tenant_id, _PENDING + station_id),
                            "ConditionExpression": f"{_EXISTS} AND {_NOT_EXPIRED}",
                            "ExpressionAttributeValues": {":now": {"N": str(_epoch(now))}},
                        }
                    },
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": {
                                **_key(tenant_id, _REJECTED + station_id),
                                **to_item({"rejectedAt": to_iso(now), "expiresAt": _epoch(until)}),
                            },
                        }
                    },
                ]
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise NotFoundError(f"no pending station {station_id}") from error
            raise

    def is_rejected(self, tenant_id: str, station_id: str, now: datetime) -> bool:
        document = get_document(self._client, self._table, _key(tenant_id, _REJECTED + station_id))
        return document is not None and int(document.get("expiresAt", 0)) > _epoch(now)

    def _update_pending(
        self, tenant_id: str, station_id: str, expression: str, values: dict[str, Any]
    ) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(tenant_id, _PENDING + station_id),
                UpdateExpression=expression,
                ConditionExpression=_EXISTS,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True
