"""Sessions and meter-values tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.errors import NotFoundError
from shared.domain.sessions import ChargingNeeds, LiveReading, MeterValuesRecord, Session, SessionStatus
from shared.storage.dynamo import (
    DynamoDBClient,
    from_item,
    is_conditional_check_failure,
    query_page,
    to_attribute_value,
    to_item,
)

# Every write of a session expects the version it read: two events of one transaction processed at once
# (an offline replay delivers them back to back) never lose each other's changes.
_VERSION_IS = "version = :expected"


def token_partition(tenant_id: str, id_token: str) -> str:
    """ID tokens are case-insensitive: one partition per token, whatever case the station sent."""
    return f"{tenant_id}:{id_token.upper()}"


def _session_item(session: Session) -> dict[str, Any]:
    """The item, with its token's history key, and the sparse index keys set only while the session is
    active."""
    document: dict[str, Any] = session.to_document()
    if session.id_token:
        document["tenantToken"] = token_partition(session.tenant_id, session.id_token)
    if session.status is SessionStatus.ACTIVE:
        document["activeStation"] = f"{session.station_id}:{session.registration_id}"
        if session.id_token:
            document["activeToken"] = f"{session.tenant_id}:{session.id_token.upper()}"
        if session.site_id:
            document["activeSite"] = f"{session.tenant_id}:{session.site_id}"
    return to_item(document)


class SessionRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, session: Session) -> Session | None:
        """Writes a new session; returns the session already stored under that id instead (nothing is
        written then)."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_session_item(session),
                ConditionExpression="attribute_not_exists(sessionId)",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            existing = error.response.get("Item")
            return Session.model_validate(from_item(existing)) if existing else self.get(session.session_id)
        return None

    def replace(self, session: Session, expected_version: int) -> bool:
        """False when another writer changed the session since it was read."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_session_item(session.model_copy(update={"version": expected_version + 1})),
                ConditionExpression=_VERSION_IS,
                ExpressionAttributeValues={":expected": {"N": str(expected_version)}},
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def record_live(self, session_id: str, reading: LiveReading, tolerance_seconds: float) -> bool:
        """Projects a newer reading onto an active session the reading belongs to (not sent before it
        started); False when the session is not active, the reading is older, or there is no session. It
        bumps the version, so a concurrent fold re-reads instead of overwriting it."""
        at = reading.at
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"sessionId": {"S": session_id}},
                UpdateExpression="SET live = :live ADD version :one",
                ConditionExpression="#status = :active AND startedAt <= :latestStart "
                "AND (attribute_not_exists(live) OR live.#at < :at)",
                ExpressionAttributeNames={"#status": "status", "#at": "at"},
                ExpressionAttributeValues={
                    ":live": to_attribute_value(reading.to_document()),
                    ":one": {"N": "1"},
                    ":active": {"S": SessionStatus.ACTIVE.value},
                    ":latestStart": {"S": to_iso(at + timedelta(seconds=tolerance_seconds))},
                    ":at": {"S": to_iso(at)},
                },
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def record_charging_needs(self, session_id: str, needs: ChargingNeeds) -> bool:
        """The EV's needs on its active session (False when the session is not active); bumps the version
        so a concurrent fold re-reads."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"sessionId": {"S": session_id}},
                UpdateExpression="SET chargingNeeds = :needs ADD version :one",
                ConditionExpression="#status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":needs": to_attribute_value(needs.to_document()),
                    ":one": {"N": "1"},
                    ":active": {"S": SessionStatus.ACTIVE.value},
                },
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def started_since(self, station_id: str, since: datetime, limit: int = 50) -> list[Session]:
        """Sessions of a station started at or after ``since``, oldest first (to find the one a remote
        start began)."""
        response = self._client.query(
            TableName=self._table,
            IndexName="byStationStart",
            KeyConditionExpression="stationId = :station AND startedAt >= :since",
            ExpressionAttributeValues={":station": {"S": station_id}, ":since": {"S": to_iso(since)}},
            Limit=limit,
        )
        return [Session.model_validate(from_item(item)) for item in response.get("Items", [])]

    def get(self, session_id: str) -> Session | None:
        response = self._client.get_item(
            TableName=self._table, Key={"sessionId": {"S": session_id}}, ConsistentRead=True
        )
        item = response.get("Item")
        return Session.model_validate(from_item(item)) if item else None

    def get_for_tenant(self, tenant_id: str, session_id: str) -> Session:
        session = self.get(session_id)
        if session is None or session.tenant_id != tenant_id:
            raise NotFoundError(f"session {session_id} not found")
        return session

    def _active(self, index: str, key: str, value: str, evse_id: int | None = None) -> list[Session]:
        condition = f"{key} = :key"
        values: dict[str, Any] = {":key": {"S": value}}
        if evse_id is not None:
            condition += " AND evseId = :evse"
            values[":evse"] = {"N": str(evse_id)}
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index,
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
        }
        sessions: list[Session] = []
        while True:
            response = self._client.query(**request)
            sessions.extend(Session.model_validate(from_item(item)) for item in response.get("Items", []))
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                return [session for session in sessions if session.status is SessionStatus.ACTIVE]
            request["ExclusiveStartKey"] = last_key

    def find_active(self, station_id: str, registration_id: str, evse_id: int) -> Session | None:
        found = self._active("byActiveStation", "activeStation", f"{station_id}:{registration_id}", evse_id)
        return max(found, key=lambda session: session.started_at) if found else None

    def active_for_station(self, station_id: str, registration_id: str) -> list[Session]:
        return self._active("byActiveStation", "activeStation", f"{station_id}:{registration_id}")

    def active_for_token(self, tenant_id: str, id_token: str) -> list[Session]:
        return self._active("byActiveToken", "activeToken", f"{tenant_id}:{id_token.upper()}")

    def active_for_site(self, tenant_id: str, site_id: str) -> list[Session]:
        return self._active("byActiveSite", "activeSite", f"{tenant_id}:{site_id}")

    def for_token(
        self, tenant_id: str, id_token: str, *, started_before: datetime | None, limit: int
    ) -> list[Session]:
        """The token's sessions newest first, started at or before ``started_before`` when given (the
        caller drops the ones its previous page already showed)."""
        values: dict[str, Any] = {":token": {"S": token_partition(tenant_id, id_token)}}
        condition = "tenantToken = :token"
        if started_before is not None:
            condition += " AND startedAt <= :before"
            values[":before"] = {"S": to_iso(started_before)}
        response = self._client.query(
            TableName=self._table,
            IndexName="byTokenStart",
            KeyConditionExpression=condition,
            ExpressionAttributeValues=values,
            ScanIndexForward=False,
            Limit=limit,
        )
        return [Session.model_validate(from_item(item)) for item in response.get("Items", [])]

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


class MeterValuesRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, record: MeterValuesRecord) -> None:
        """Idempotent: a resent message has the same key and overwrites itself."""
        self._client.put_item(TableName=self._table, Item=to_item(record.to_document()))

    def for_session(self, session_id: str) -> list[MeterValuesRecord]:
        """Every record of the session (DynamoDB pages through them: no silent cap)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "sessionId = :session",
            "ExpressionAttributeValues": {":session": {"S": session_id}},
        }
        records: list[MeterValuesRecord] = []
        while True:
            response = self._client.query(**request)
            records.extend(
                MeterValuesRecord.model_validate(from_item(item)) for item in response.get("Items", [])
            )
            last_key = response.get("LastEvaluatedKey")
            if not last_key:
                break
            request["ExclusiveStartKey"] = last_key
        return records

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
