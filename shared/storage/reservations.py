"""Reservations table: one item per reservation, keyed by station registration and reservation id (the id
both protocols carry), listed per tenant through an index; DynamoDB's TTL removes old ones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.errors import AlreadyExistsError, NotFoundError
from shared.domain.reservations import HOLDING, Reservation, ReservationStatus
from shared.storage.dynamo import (
    DynamoDBClient,
    field_updates,
    from_item,
    is_conditional_check_failure,
    query_page,
    to_item,
)

_STATUS_IN = "#status IN (:first, :second)"


def _key(station_key: str, reservation_id: int) -> dict[str, Any]:
    return {"stationKey": {"S": station_key}, "reservationId": {"N": str(reservation_id)}}


def _item(reservation: Reservation) -> dict[str, Any]:
    return to_item(
        {**reservation.to_document(), "stationKey": f"{reservation.station_id}:{reservation.registration_id}"}
    )


class ReservationRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, reservation: Reservation) -> None:
        try:
            self._client.put_item(
                TableName=self._table,
                Item=_item(reservation),
                ConditionExpression="attribute_not_exists(reservationId)",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise AlreadyExistsError(
                    f"reservation {reservation.reservation_id} already exists"
                ) from error
            raise

    def get(self, station_key: str, reservation_id: int) -> Reservation | None:
        response = self._client.get_item(
            TableName=self._table, Key=_key(station_key, reservation_id), ConsistentRead=True
        )
        item = response.get("Item")
        return Reservation.model_validate(from_item(item)) if item else None

    def for_station(self, station_key: str) -> list[Reservation]:
        """Every reservation of the station registration still in the table (active and recent)."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "stationKey = :station",
            "ExpressionAttributeValues": {":station": {"S": station_key}},
        }
        found: list[Reservation] = []
        while True:
            response = self._client.query(**request)
            found.extend(Reservation.model_validate(from_item(item)) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return found
            request["ExclusiveStartKey"] = last

    def holding(self, station_key: str, now: datetime) -> list[Reservation]:
        """Reservations that may still hold an EVSE (pending or accepted, not expired): read on Authorize
        and on starts, so filtered by DynamoDB rather than returned."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "stationKey = :station",
            "FilterExpression": f"{_STATUS_IN} AND expiresAt > :now",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":station": {"S": station_key},
                ":first": {"S": ReservationStatus.PENDING.value},
                ":second": {"S": ReservationStatus.ACCEPTED.value},
                ":now": {"S": to_iso(now)},
            },
        }
        found: list[Reservation] = []
        while True:
            response = self._client.query(**request)
            found.extend(Reservation.model_validate(from_item(item)) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return found
            request["ExclusiveStartKey"] = last

    def transition(
        self,
        station_key: str,
        reservation_id: int,
        to: ReservationStatus,
        now: datetime,
        *,
        only_from: frozenset[ReservationStatus] = HOLDING,
        changes: dict[str, Any] | None = None,
    ) -> Reservation | None:
        """Moves a reservation on from one of ``only_from``; None when it is not there or has moved on
        (a reservation is used, cancelled or expired once)."""
        statuses = sorted(status.value for status in only_from)
        placeholders = {f":from{index}": {"S": status} for index, status in enumerate(statuses)}
        condition = f"#status IN ({', '.join(placeholders)})"
        updates = field_updates(
            {"status": to.value, "updatedAt": to_iso(now), **(changes or {})}, placeholders
        )
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=_key(station_key, reservation_id),
                ConditionExpression=condition,
                ReturnValues="ALL_NEW",
                **updates,
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return None
            raise
        return Reservation.model_validate(from_item(response["Attributes"]))

    def list_for_tenant(
        self, tenant_id: str, limit: int, cursor: str | None, station_id: str | None = None
    ) -> tuple[list[Reservation], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byTenant",
            "KeyConditionExpression": "tenantId = :tenant",
            "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if station_id is not None:
            request["FilterExpression"] = "stationId = :station"
            request["ExpressionAttributeValues"][":station"] = {"S": station_id}
        items, next_cursor = query_page(self._client, request, cursor)
        return [Reservation.model_validate(item) for item in items], next_cursor

    def get_for_tenant(self, tenant_id: str, station_key: str, reservation_id: int) -> Reservation:
        reservation = self.get(station_key, reservation_id)
        if reservation is None or reservation.tenant_id != tenant_id:
            raise NotFoundError(f"reservation {reservation_id} not found")
        return reservation
