"""Commands table (CSMS-initiated calls) and station-messages table (what stations send us to keep)."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.commands import WAITING_STATUSES, Command, CommandError, CommandStatus
from shared.domain.errors import ConflictError, NotFoundError
from shared.storage.dynamo import (
    DynamoDBClient,
    field_updates,
    from_item,
    get_document,
    is_conditional_check_failure,
    put_if_absent,
    to_attribute_value,
    to_item,
)

# The answer must come from the station the call went to (a message id guessed or replayed by another
# station must not complete someone else's command), and the first outcome is final. A queued command
# (never sent) can only time out or be found offline, which completes it the same way.
_FIRST_ANSWER_FROM_ADDRESSEE = "stationId = :station AND #status IN (:pending, :queued)"
# A queued command whose wait is over reads as timed out: it is never sent late.
_STILL_QUEUED = "#status = :queued AND timeoutAt > :now"
_MAX_IGNORED_ANSWERS = 10
PENDING_SHARDS = 8
"""Pending commands spread over this many index partitions (the allocator may send thousands a minute)."""


def _pending_shard(command_id: str) -> str:
    return f"pending#{int(hashlib.sha256(command_id.encode()).hexdigest()[:8], 16) % PENDING_SHARDS}"


class CommandRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, command: Command) -> None:
        document = command.to_document()
        if command.status in WAITING_STATUSES:
            document["pendingShard"] = _pending_shard(command.command_id)
        if not put_if_absent(self._client, self._table, document, "commandId"):
            raise ConflictError(f"command {command.command_id} already exists")

    def overdue(self, now: datetime, limit: int = 500) -> list[Command]:
        """Pending commands whose answer is overdue, oldest first, across every shard."""
        overdue: list[Command] = []
        for shard in range(PENDING_SHARDS):
            request: dict[str, Any] = {
                "TableName": self._table,
                "IndexName": "byPendingTimeout",
                "KeyConditionExpression": "pendingShard = :shard AND timeoutAt <= :now",
                "ExpressionAttributeValues": {
                    ":shard": {"S": f"pending#{shard}"},
                    ":now": {"S": to_iso(now)},
                },
                "Limit": limit,
            }
            response = self._client.query(**request)
            overdue.extend(Command.model_validate(from_item(item)) for item in response.get("Items", []))
        overdue.sort(key=lambda command: command.timeout_at)
        return overdue[:limit]

    def get(self, command_id: str) -> Command | None:
        document = get_document(self._client, self._table, {"commandId": {"S": command_id}})
        return Command.model_validate(document) if document else None

    def get_for_tenant(self, tenant_id: str, command_id: str) -> Command:
        command = self.get(command_id)
        if command is None or command.tenant_id != tenant_id:
            raise NotFoundError(f"command {command_id} not found")
        return command

    def complete(
        self,
        command_id: str,
        station_id: str,
        status: CommandStatus,
        now: datetime,
        response: dict[str, Any] | None = None,
        error: CommandError | None = None,
    ) -> Command | None:
        """Records the outcome; None when no pending command with that id was sent to that station."""
        fields: dict[str, Any] = {"status": status.value, "completedAt": to_iso(now), "pendingShard": None}
        if response is not None:
            fields["response"] = response
        if error is not None:
            fields["error"] = error.to_document()
        try:
            result = self._client.update_item(
                TableName=self._table,
                Key={"commandId": {"S": command_id}},
                ConditionExpression=_FIRST_ANSWER_FROM_ADDRESSEE,
                ReturnValues="ALL_NEW",
                **field_updates(
                    fields,
                    {
                        ":station": {"S": station_id},
                        ":pending": {"S": CommandStatus.PENDING.value},
                        ":queued": {"S": CommandStatus.QUEUED.value},
                    },
                ),
            )
        except ClientError as client_error:
            if is_conditional_check_failure(client_error):
                return None
            raise
        return Command.model_validate(from_item(result["Attributes"]))

    def mark_sent(self, command_id: str, timeout_at: datetime, now: datetime) -> Command | None:
        """A queued command leaves the queue: pending from now, timing out from now. None when it is no
        longer queued (it timed out while waiting)."""
        try:
            result = self._client.update_item(
                TableName=self._table,
                Key={"commandId": {"S": command_id}},
                UpdateExpression="SET #status = :pending, timeoutAt = :timeout",
                ConditionExpression=_STILL_QUEUED,
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":pending": {"S": CommandStatus.PENDING.value},
                    ":queued": {"S": CommandStatus.QUEUED.value},
                    ":timeout": {"S": to_iso(timeout_at)},
                    ":now": {"S": to_iso(now)},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as client_error:
            if is_conditional_check_failure(client_error):
                return None
            raise
        return Command.model_validate(from_item(result["Attributes"]))

    def record_ignored_answer(self, command_id: str, station_id: str, answer: dict[str, Any]) -> None:
        """Keeps a late answer beside the final outcome (a few at most), never replacing it."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"commandId": {"S": command_id}},
                UpdateExpression="SET ignoredAnswers = "
                "list_append(if_not_exists(ignoredAnswers, :none), :answer)",
                ConditionExpression="stationId = :station AND "
                "(attribute_not_exists(ignoredAnswers) OR size(ignoredAnswers) < :max)",
                ExpressionAttributeValues={
                    ":none": {"L": []},
                    ":answer": {"L": [to_attribute_value(answer)]},
                    ":station": {"S": station_id},
                    ":max": {"N": str(_MAX_IGNORED_ANSWERS)},
                },
            )
        except ClientError as client_error:
            if not is_conditional_check_failure(client_error):
                raise

    def list_for_station(self, station_id: str, limit: int) -> list[Command]:
        response = self._client.query(
            TableName=self._table,
            IndexName="byStation",
            KeyConditionExpression="stationId = :station",
            ExpressionAttributeValues={":station": {"S": station_id}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [Command.model_validate(from_item(item)) for item in response.get("Items", [])]


class StationMessageRepository:
    """Messages kept for operators and support (DataTransfer, …), expiring after the retention period."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(
        self, station_key: str, kind: str, received_at: datetime, message_id: str, document: dict[str, Any]
    ) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    **document,
                    "stationKey": station_key,
                    "messageKey": message_key(kind, received_at, message_id),
                }
            ),
        )

    def list_for_station(self, station_key: str, prefix: str, limit: int) -> list[dict[str, Any]]:
        response = self._client.query(
            TableName=self._table,
            KeyConditionExpression="stationKey = :station AND begins_with(messageKey, :prefix)",
            ExpressionAttributeValues={":station": {"S": station_key}, ":prefix": {"S": prefix}},
            ScanIndexForward=False,
            Limit=limit,
        )
        return [from_item(item) for item in response.get("Items", [])]


def message_key(kind: str, received_at: datetime, message_id: str) -> str:
    return f"{kind}#{to_iso(received_at)}#{message_id}"
