"""A station's outbound lane: OCPP-J lets the CSMS have one CALL in flight per station (OCPP-J 1.6
section 4.1.1; 2.0.1 part 4, 4.1.1), so a second call waits until the first is answered or times out.

The lane is one item of the station-data table, updated only with conditional writes, so it works across
Lambda invocations and containers: ``holder`` is the command in flight (until ``holderUntil``, its
timeout), ``waiting`` the commands queued behind it in order. Every operation is a single-item atomic
update, strongly consistent (no index is read), so a call queued at the moment the lane is released is
never stranded: whoever queues tries to take the lane right after, and whoever releases drains after.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.errors import ConflictError
from shared.storage.dynamo import DynamoDBClient, from_item, is_conditional_check_failure

LANE_KEY = "lane"
MAX_WAITING = 100
"""More queued calls than this for one station is a runaway sender, not a queue: refused."""
_TAKE_ATTEMPTS = 5

# Free: nobody holds it, or the holder's call timed out (its answer can no longer be awaited).
_LANE_IS_FREE = "(attribute_not_exists(holder) OR holderUntil < :now)"
_NOBODY_WAITS = "(attribute_not_exists(waiting) OR size(waiting) = :zero)"


class LaneFullError(ConflictError):
    pass


class OutboundLaneRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _key(self, station_key: str) -> dict[str, Any]:
        return {"stationKey": {"S": station_key}, "itemKey": {"S": LANE_KEY}}

    def try_acquire(self, station_key: str, command_id: str, until: datetime, now: datetime) -> bool:
        """Takes the free lane for this command when nobody is queued (queued calls go first)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(station_key),
                UpdateExpression="SET holder = :id, holderUntil = :until",
                ConditionExpression=f"{_LANE_IS_FREE} AND {_NOBODY_WAITS}",
                ExpressionAttributeValues={
                    ":id": {"S": command_id},
                    ":until": {"S": to_iso(until)},
                    ":now": {"S": to_iso(now)},
                    ":zero": {"N": "0"},
                },
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def enqueue(self, station_key: str, command_id: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(station_key),
                UpdateExpression="SET waiting = list_append(if_not_exists(waiting, :empty), :ids)",
                ConditionExpression="attribute_not_exists(waiting) OR size(waiting) < :max",
                ExpressionAttributeValues={
                    ":empty": {"L": []},
                    ":ids": {"L": [{"S": command_id}]},
                    ":max": {"N": str(MAX_WAITING)},
                },
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise LaneFullError(
                    f"station {station_key.split(':')[0]} already has {MAX_WAITING} calls waiting for its "
                    "answers; try again when they are answered or time out"
                ) from error
            raise

    def take_next(self, station_key: str, until: datetime, now: datetime) -> str | None:
        """Makes the first queued command the holder when the lane is free; returns its id (the caller
        sends it), or None when the lane is held or nothing waits."""
        for _ in range(_TAKE_ATTEMPTS):
            response = self._client.get_item(
                TableName=self._table, Key=self._key(station_key), ConsistentRead=True
            )
            lane = from_item(response.get("Item") or {})
            waiting = lane.get("waiting") or []
            if not waiting:
                return None
            if lane.get("holder") and str(lane.get("holderUntil", "")) >= to_iso(now):
                return None
            first = str(waiting[0])
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=self._key(station_key),
                    UpdateExpression="SET holder = :first, holderUntil = :until REMOVE waiting[0]",
                    ConditionExpression=f"{_LANE_IS_FREE} AND waiting[0] = :first",
                    ExpressionAttributeValues={
                        ":first": {"S": first},
                        ":until": {"S": to_iso(until)},
                        ":now": {"S": to_iso(now)},
                    },
                )
            except ClientError as error:
                if is_conditional_check_failure(error):
                    continue  # someone else took or changed the lane meanwhile: look again
                raise
            return first
        return None

    def extend(self, station_key: str, command_id: str, until: datetime) -> None:
        """The holder's call was sent later than the lane was taken: hold until its own timeout."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(station_key),
                UpdateExpression="SET holderUntil = :until",
                ConditionExpression="holder = :id",
                ExpressionAttributeValues={":id": {"S": command_id}, ":until": {"S": to_iso(until)}},
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise

    def release(self, station_key: str, command_id: str) -> bool:
        """Frees the lane if this command holds it; True when calls are waiting (the caller drains)."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(station_key),
                UpdateExpression="REMOVE holder, holderUntil",
                ConditionExpression="holder = :id",
                ExpressionAttributeValues={":id": {"S": command_id}},
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return bool(from_item(response.get("Attributes") or {}).get("waiting"))

    def waiting(self, station_key: str) -> list[str]:
        response = self._client.get_item(
            TableName=self._table, Key=self._key(station_key), ConsistentRead=True
        )
        return [str(command_id) for command_id in from_item(response.get("Item") or {}).get("waiting") or []]
