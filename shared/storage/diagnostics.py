"""Diagnostics table: each station registration's log requests, and the one in progress."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.errors import ConflictError
from shared.domain.stations import station_key
from shared.firmware.models import (
    FINAL_DIAGNOSTICS_STATUSES,
    ActiveDiagnostics,
    DiagnosticsRequest,
    DiagnosticsStatus,
    HistoryEntry,
)
from shared.storage.dynamo import (
    DynamoDBClient,
    get_document,
    is_conditional_check_failure,
    query_page,
    to_attribute_value,
    to_item,
)

_ACTIVE = "active"
# One request in progress per station registration: 1.6's DiagnosticsStatusNotification names none, so
# two at once could not be told apart. One past its deadline has lost its workflow already.
_NO_REQUEST_IN_PROGRESS = "attribute_not_exists(sk) OR deadlineAt < :now"
_NOT_FINAL = (
    "NOT (#status IN (" + ", ".join(f":final{n}" for n in range(len(FINAL_DIAGNOSTICS_STATUSES))) + "))"
)
_FINAL_VALUES = {f":final{n}": {"S": s.value} for n, s in enumerate(sorted(FINAL_DIAGNOSTICS_STATUSES))}
_REQUEST_IS = "requestId = :request"


def _request_sk(requested_at: datetime, request_id: int) -> str:
    return f"request#{to_iso(requested_at)}#{request_id:010d}"


def _key(station_id: str, registration_id: str, sk: str) -> dict[str, Any]:
    return {"stationKey": {"S": station_key(station_id, registration_id)}, "sk": {"S": sk}}


class DiagnosticsRepository:
    def __init__(self, client: DynamoDBClient, table_name: str, retention: timedelta) -> None:
        self._client = client
        self._table = table_name
        self._retention = retention

    def create(self, request: DiagnosticsRequest, active: ActiveDiagnostics, now: datetime) -> None:
        expires = int((now + self._retention).timestamp())
        stored_key = station_key(request.station_id, request.registration_id)
        request_item = {
            **request.to_document(),
            "stationKey": stored_key,
            "sk": _request_sk(request.requested_at, request.request_id),
            "expiresAt": expires,
        }
        active_item = {**active.to_document(), "stationKey": stored_key, "sk": _ACTIVE, "expiresAt": expires}
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(active_item),
                            "ConditionExpression": _NO_REQUEST_IN_PROGRESS,
                            "ExpressionAttributeValues": {":now": {"S": to_iso(now)}},
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": to_item(request_item)}},
                ]
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise ConflictError(
                    f"station {request.station_id} is already uploading diagnostics for another request"
                ) from error
            raise

    def get(
        self, station_id: str, registration_id: str, requested_at: datetime, request_id: int
    ) -> DiagnosticsRequest | None:
        document = get_document(
            self._client,
            self._table,
            _key(station_id, registration_id, _request_sk(requested_at, request_id)),
        )
        return DiagnosticsRequest.model_validate(document) if document else None

    def list_for_station(
        self, station_id: str, registration_id: str, limit: int, cursor: str | None
    ) -> tuple[list[DiagnosticsRequest], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "stationKey = :key AND begins_with(sk, :requests)",
            "ExpressionAttributeValues": {
                ":key": {"S": station_key(station_id, registration_id)},
                ":requests": {"S": "request#"},
            },
            "ScanIndexForward": False,
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [DiagnosticsRequest.model_validate(item) for item in items], next_cursor

    def record(
        self,
        request: DiagnosticsRequest | ActiveDiagnostics,
        status: DiagnosticsStatus,
        now: datetime,
        detail: str | None = None,
        *,
        file_name: str | None = None,
        size_bytes: int | None = None,
    ) -> bool:
        """The request's status, unless it has its final one already (False then)."""
        values: dict[str, Any] = {
            ":status": {"S": status.value},
            ":entry": to_attribute_value(
                [HistoryEntry(at=now, state=status.value, detail=detail).to_document()]
            ),
            **_FINAL_VALUES,
        }
        sets = ["#status = :status", "history = list_append(history, :entry)"]
        for name, value in (("detail", detail), ("fileName", file_name)):
            if value is not None:
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = {"S": value}
        if size_bytes is not None:
            sets.append("sizeBytes = :size")
            values[":size"] = {"N": str(size_bytes)}
        if status in FINAL_DIAGNOSTICS_STATUSES:
            sets.append("completedAt = :now")
            values[":now"] = {"S": to_iso(now)}
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(
                    request.station_id,
                    request.registration_id,
                    _request_sk(request.requested_at, request.request_id),
                ),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=f"attribute_exists(sk) AND {_NOT_FINAL}",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    # --- the request in progress ------------------------------------------------------------------

    def active(self, station_id: str, registration_id: str) -> ActiveDiagnostics | None:
        document = get_document(self._client, self._table, _key(station_id, registration_id, _ACTIVE))
        return ActiveDiagnostics.model_validate(document) if document else None

    def await_upload(self, active: ActiveDiagnostics, task_token: str) -> bool:
        """Stores the waiting task's token; False when a final status was reported first."""
        return self._update_active(
            active,
            "SET taskToken = :token",
            f"{_REQUEST_IS} AND attribute_not_exists(reported)",
            {":token": {"S": task_token}},
        )

    def report(self, active: ActiveDiagnostics, status: str) -> str | None:
        """A final upload status: the token to complete, once (the request stops being in progress), or
        None when nobody waits yet (the status is kept for the waiting task)."""
        if active.task_token is not None:
            return active.task_token if self.end_active(active, active.task_token) else None
        if self._update_active(
            active,
            "SET reported = :reported",
            f"{_REQUEST_IS} AND attribute_not_exists(taskToken) AND attribute_not_exists(reported)",
            {":reported": {"S": status}},
        ):
            return None
        latest = self.active(active.station_id, active.registration_id)
        if (
            latest is not None
            and latest.request_id == active.request_id
            and latest.task_token
            and not latest.reported
        ):
            return self.report(latest, status)
        return None

    def end_active(self, active: ActiveDiagnostics, task_token: str | None = None) -> bool:
        condition = _REQUEST_IS + (" AND taskToken = :token" if task_token else "")
        values: dict[str, Any] = {":request": {"N": str(active.request_id)}}
        if task_token:
            values[":token"] = {"S": task_token}
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=_key(active.station_id, active.registration_id, _ACTIVE),
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def _update_active(
        self, active: ActiveDiagnostics, expression: str, condition: str, values: dict[str, Any]
    ) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(active.station_id, active.registration_id, _ACTIVE),
                UpdateExpression=expression,
                ConditionExpression=condition,
                ExpressionAttributeValues={**values, ":request": {"N": str(active.request_id)}},
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True
