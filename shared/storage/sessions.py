"""Sessions and meter-values tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.errors import NotFoundError
from shared.domain.sessions import MeterValuesRecord, Session, SessionStatus
from shared.storage.dynamo import (
    DynamoDBClient,
    field_updates,
    from_item,
    get_document,
    is_conditional_check_failure,
    put_if_absent,
    query_page,
    to_item,
)

# A StopTransaction the station repeats (it got no answer) must not close the session twice.
_SESSION_IS_ACTIVE = "#status = :active"


class SessionRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, session: Session) -> bool:
        """False when a session with that id already exists (left untouched)."""
        return put_if_absent(self._client, self._table, session.to_document(), "sessionId")

    def get(self, session_id: str) -> Session | None:
        document = get_document(self._client, self._table, {"sessionId": {"S": session_id}})
        return Session.model_validate(document) if document else None

    def get_for_tenant(self, tenant_id: str, session_id: str) -> Session:
        session = self.get(session_id)
        if session is None or session.tenant_id != tenant_id:
            raise NotFoundError(f"session {session_id} not found")
        return session

    def complete(self, session_id: str, stop_fields: dict[str, Any], now: datetime) -> Session | None:
        """Closes an active session; None when it was already closed (the stop is a repeat)."""
        fields = {**stop_fields, "status": SessionStatus.COMPLETED.value, "updatedAt": to_iso(now)}
        # Stop fields the station did not send are left out, not removed.
        fields = {key: value for key, value in fields.items() if value is not None}
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"sessionId": {"S": session_id}},
                ConditionExpression=_SESSION_IS_ACTIVE,
                ReturnValues="ALL_NEW",
                **field_updates(fields, {":active": {"S": SessionStatus.ACTIVE.value}}),
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return None
            raise
        return Session.model_validate(from_item(response["Attributes"]))

    def list_for_tenant(
        self,
        tenant_id: str,
        *,
        station_id: str | None,
        status: SessionStatus | None,
        started_from: datetime | None,
        started_to: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[Session], str | None]:
        """Newest first. A station filter uses the station index; the tenant is always enforced."""
        values: dict[str, Any] = {}
        filters: list[str] = []
        names: dict[str, str] = {}
        if station_id is not None:
            index, key_condition = "byStationStart", "stationId = :station"
            values[":station"] = {"S": station_id}
            filters.append("tenantId = :tenant")
        else:
            index, key_condition = "byTenantStart", "tenantId = :tenant"
        values[":tenant"] = {"S": tenant_id}
        if started_from is not None and started_to is not None:
            key_condition += " AND startedAt BETWEEN :from AND :to"
            values[":from"], values[":to"] = {"S": to_iso(started_from)}, {"S": to_iso(started_to)}
        elif started_from is not None:
            key_condition += " AND startedAt >= :from"
            values[":from"] = {"S": to_iso(started_from)}
        elif started_to is not None:
            key_condition += " AND startedAt <= :to"
            values[":to"] = {"S": to_iso(started_to)}
        if status is not None:
            filters.append("#status = :status")
            names["#status"] = "status"
            values[":status"] = {"S": status.value}
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": key_condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if filters:
            request["FilterExpression"] = " AND ".join(filters)
        if names:
            request["ExpressionAttributeNames"] = names
        items, next_cursor = query_page(self._client, request, cursor)
        return [Session.model_validate(item) for item in items], next_cursor

    def active_for_evse(self, station_id: str, evse_id: int) -> Session | None:
        paginator_request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byStationStart",
            "KeyConditionExpression": "stationId = :station",
            "FilterExpression": "#status = :active AND evseId = :evse",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":station": {"S": station_id},
                ":active": {"S": SessionStatus.ACTIVE.value},
                ":evse": {"N": str(evse_id)},
            },
            "ScanIndexForward": False,
        }
        while True:
            response = self._client.query(**paginator_request)
            for item in response.get("Items", []):
                return Session.model_validate(from_item(item))
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                return None
            paginator_request["ExclusiveStartKey"] = last_key


class MeterValuesRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, record: MeterValuesRecord) -> None:
        """Idempotent: a resent message has the same key and overwrites itself."""
        self._client.put_item(TableName=self._table, Item=to_item(record.to_document()))

    def for_session(self, session_id: str, limit: int = 1000) -> list[MeterValuesRecord]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "sessionId = :session",
            "ExpressionAttributeValues": {":session": {"S": session_id}},
        }
        records: list[MeterValuesRecord] = []
        while len(records) < limit:
            response = self._client.query(**request)
            records.extend(
                MeterValuesRecord.model_validate(from_item(item)) for item in response.get("Items", [])
            )
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                break
            request["ExclusiveStartKey"] = last_key
        return records[:limit]

    def latest_for_session(self, session_id: str) -> MeterValuesRecord | None:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="sessionId = :session",
            ExpressionAttributeValues={":session": {"S": session_id}},
            ScanIndexForward=False,
            Limit=1,
        )
        items = response.get("Items", [])
        return MeterValuesRecord.model_validate(from_item(items[0])) if items else None
