"""Stations table: registration, boot data, connector status and the live connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.changes import StationSettingsChange
from shared.domain.errors import AlreadyExistsError, NotFoundError
from shared.domain.stations import Connection, ConnectorState, RegistrationPolicy, Station, connector_key
from shared.storage.dynamo import (
    DynamoDBClient,
    field_updates,
    from_item,
    get_document,
    is_conditional_check_failure,
    put_if_absent,
    query_page,
    to_attribute_value,
)

# Conditions, named for what they guard.
_STATION_EXISTS = "attribute_exists(stationId)"
_STATION_OF_TENANT = "attribute_exists(stationId) AND tenantId = :tenant"
# $disconnect may arrive after the station already reconnected on a new connection id: only the
# connection that is still recorded may be cleared.
_CONNECTION_IS_STILL = "#connection.connectionId = :connectionId"
# Stations may resend an older StatusNotification after a reconnect; keep the newest per connector.
_STATUS_IS_NEWER = "attribute_not_exists(connectors.#key) OR connectors.#key.reportedAt <= :reportedAt"


class StationRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get(self, station_id: str) -> Station | None:
        document = get_document(self._client, self._table, {"stationId": {"S": station_id}})
        return Station.model_validate(document) if document else None

    def get_for_tenant(self, tenant_id: str, station_id: str) -> Station:
        station = self.get(station_id)
        if station is None or station.tenant_id != tenant_id:
            raise NotFoundError(f"station {station_id} not found")
        return station

    def create(self, station: Station) -> None:
        if not put_if_absent(self._client, self._table, station.to_document(), "stationId"):
            raise AlreadyExistsError(f"station {station.station_id} already exists")

    def update_settings(
        self, tenant_id: str, station_id: str, change: StationSettingsChange, now: datetime
    ) -> Station:
        """Operator changes: the fields the change carries (``None`` removes the attribute)."""
        return self._update(
            station_id,
            ConditionExpression=_STATION_OF_TENANT,
            **field_updates(
                {**change.changed_fields(), "updatedAt": to_iso(now)}, {":tenant": {"S": tenant_id}}
            ),
        )

    def delete(self, tenant_id: str, station_id: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key={"stationId": {"S": station_id}},
                ConditionExpression=_STATION_OF_TENANT,
                ExpressionAttributeValues={":tenant": {"S": tenant_id}},
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise NotFoundError(f"station {station_id} not found") from error
            raise

    def list_for_tenant(
        self, tenant_id: str, limit: int, cursor: str | None, site_id: str | None = None
    ) -> tuple[list[Station], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byTenant",
            "KeyConditionExpression": "tenantId = :tenant",
            "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
            "Limit": limit,
        }
        if site_id is not None:
            request["FilterExpression"] = "siteId = :site"
            request["ExpressionAttributeValues"][":site"] = {"S": site_id}
        items, next_cursor = query_page(self._client, request, cursor)
        return [Station.model_validate(item) for item in items], next_cursor

    # --- connection lifecycle -----------------------------------------------------------------

    def record_connection(self, station_id: str, connection: Connection) -> None:
        """A reconnect simply replaces the previous connection (its id is stale from now on)."""
        self._update(
            station_id,
            UpdateExpression="SET #connection = :connection, lastSeen = :now REMOVE disconnectedAt",
            ConditionExpression=_STATION_EXISTS,
            ExpressionAttributeNames={"#connection": "connection"},
            ExpressionAttributeValues={
                ":connection": to_attribute_value(connection.to_document()),
                ":now": {"S": to_iso(connection.connected_at)},
            },
        )

    def clear_connection(self, station_id: str, connection_id: str, now: datetime) -> bool:
        """False when the station has moved on to another connection (nothing is changed then)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"stationId": {"S": station_id}},
                UpdateExpression="REMOVE #connection SET disconnectedAt = :now, lastSeen = :now",
                ConditionExpression=_CONNECTION_IS_STILL,
                ExpressionAttributeNames={"#connection": "connection"},
                ExpressionAttributeValues={
                    ":connectionId": {"S": connection_id},
                    ":now": {"S": to_iso(now)},
                },
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def touch_last_seen(self, station_id: str, now: datetime) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"stationId": {"S": station_id}},
            UpdateExpression="SET lastSeen = :now",
            ExpressionAttributeValues={":now": {"S": to_iso(now)}},
        )

    # --- what stations report ---------------------------------------------------------------------

    def record_boot(self, station_id: str, boot_data: dict[str, Any], boot_status_for: datetime) -> Station:
        """Stores what the station says about itself and returns the station (with its policy)."""
        fields = {key: value for key, value in boot_data.items() if value is not None}
        fields["bootedAt"] = to_iso(boot_status_for)
        fields["lastSeen"] = to_iso(boot_status_for)
        return self._update(station_id, ConditionExpression=_STATION_EXISTS, **field_updates(fields))

    def record_boot_status(self, station_id: str, status: RegistrationPolicy) -> None:
        self._client.update_item(
            TableName=self._table,
            Key={"stationId": {"S": station_id}},
            UpdateExpression="SET bootStatus = :status",
            ExpressionAttributeValues={":status": {"S": status.value}},
        )

    def record_connector_status(self, station_id: str, state: ConnectorState, now: datetime) -> bool:
        """False when a newer status is already stored for that connector."""
        document = state.to_document()
        if state.connector_id == 0:
            # The station as a whole: kept apart from the per-connector map.
            expression = "SET stationStatus = :state, lastSeen = :now"
            names: dict[str, str] = {}
            condition = "attribute_not_exists(stationStatus) OR stationStatus.reportedAt <= :reportedAt"
        else:
            expression = "SET connectors.#key = :state, lastSeen = :now"
            names = {"#key": connector_key(state.evse_id, state.connector_id)}
            condition = _STATUS_IS_NEWER
        request: dict[str, Any] = {
            "TableName": self._table,
            "Key": {"stationId": {"S": station_id}},
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeValues": {
                ":state": to_attribute_value(document),
                ":now": {"S": to_iso(now)},
                ":reportedAt": {"S": str(document["reportedAt"])},
            },
        }
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            self._client.update_item(**request)
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def allocate_transaction_id(self, station_id: str) -> int:
        """OCPP 1.6 transaction ids are integers the CSMS hands out; unique per station."""
        response = self._client.update_item(
            TableName=self._table,
            Key={"stationId": {"S": station_id}},
            UpdateExpression="ADD nextTransactionId :one",
            ConditionExpression=_STATION_EXISTS,
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="UPDATED_NEW",
        )
        return int(response["Attributes"]["nextTransactionId"]["N"])

    def _update(self, station_id: str, **request: Any) -> Station:
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"stationId": {"S": station_id}},
                ReturnValues="ALL_NEW",
                **request,
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise NotFoundError(f"station {station_id} not found") from error
            raise
        return Station.model_validate(from_item(response["Attributes"]))
