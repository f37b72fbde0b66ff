"""Tables keyed by tenant: ID tokens and sites."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from botocore.exceptions import ClientError

from shared.domain.base import DomainModel, to_iso
from shared.domain.changes import RecordChange
from shared.domain.errors import AlreadyExistsError, NotFoundError
from shared.domain.id_tokens import IdToken
from shared.domain.sites import Site
from shared.storage.dynamo import (
    DynamoDBClient,
    field_updates,
    from_item,
    get_document,
    is_conditional_check_failure,
    put_if_absent,
    query_page,
)

RecordT = TypeVar("RecordT", bound=DomainModel)

_RECORD_EXISTS = "attribute_exists(tenantId)"


class TenantRecordRepository(Generic[RecordT]):
    """A table with the tenant as partition key and the record's id as sort key."""

    model: type[RecordT]
    id_field: str
    """The document field holding the record's id."""
    sort_key: str
    """The table's sort key: the id, or a normalized form of it."""
    noun: str

    @staticmethod
    def normalize_id(record_id: str) -> str:
        return record_id

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, tenant_id: str, record_id: str) -> dict[str, Any]:
        return {"tenantId": {"S": tenant_id}, self.sort_key: {"S": self.normalize_id(record_id)}}

    def find(self, tenant_id: str, record_id: str) -> RecordT | None:
        document = get_document(self._client, self._table, self._key(tenant_id, record_id))
        return self.model.model_validate(document) if document else None

    def get(self, tenant_id: str, record_id: str) -> RecordT:
        record = self.find(tenant_id, record_id)
        if record is None:
            raise NotFoundError(f"{self.noun} {record_id} not found")
        return record

    def create(self, record: RecordT) -> None:
        document = record.to_document()
        record_id = str(document[self.id_field])
        document[self.sort_key] = self.normalize_id(record_id)
        # The tenant is the partition key: absent means no record with this tenant and id.
        if not put_if_absent(self._client, self._table, document, "tenantId"):
            raise AlreadyExistsError(f"{self.noun} {record_id} already exists")

    def update(self, tenant_id: str, record_id: str, change: RecordChange, now: datetime) -> RecordT:
        """The fields the change carries (``None`` removes the attribute)."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(tenant_id, record_id),
                ConditionExpression=_RECORD_EXISTS,
                ReturnValues="ALL_NEW",
                **field_updates({**change.changed_fields(), "updatedAt": to_iso(now)}),
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise NotFoundError(f"{self.noun} {record_id} not found") from error
            raise
        return self.model.model_validate(from_item(response["Attributes"]))

    def delete(self, tenant_id: str, record_id: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table, Key=self._key(tenant_id, record_id), ConditionExpression=_RECORD_EXISTS
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise NotFoundError(f"{self.noun} {record_id} not found") from error
            raise

    def list(self, tenant_id: str, limit: int, cursor: str | None) -> tuple[list[RecordT], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "tenantId = :tenant",
            "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [self.model.model_validate(item) for item in items], next_cursor


class IdTokenRepository(TenantRecordRepository[IdToken]):
    model = IdToken
    id_field = "idToken"
    sort_key = "idTokenKey"
    noun = "id token"

    @staticmethod
    def normalize_id(record_id: str) -> str:
        """OCPP ID tokens are case-insensitive (1.6: CiString20Type; 2.0.1: identifierString compared
        case-insensitively): a card read as 'abc1' is the token registered as 'ABC1'."""
        return record_id.upper()


class SiteRepository(TenantRecordRepository[Site]):
    model = Site
    id_field = "siteId"
    sort_key = "siteId"
    noun = "site"
