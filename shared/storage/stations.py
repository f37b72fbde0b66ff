"""Stations table: registration, boot data, connector status and the live connection."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.changes import StationSettingsChange
from shared.domain.errors import AlreadyExistsError, NotFoundError, StationGoneError
from shared.domain.stations import (
    ChargerInfo,
    Connection,
    ConnectorState,
    DeviceStatus,
    EvseAvailability,
    RegistrationPolicy,
    Station,
    connector_key,
)
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
_REGISTRATION_IS = "registrationId = :registration"
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

    def delete(self, tenant_id: str, station_id: str) -> Station:
        """Returns the station as it was when deleted."""
        try:
            response = self._client.delete_item(
                TableName=self._table,
                Key={"stationId": {"S": station_id}},
                ConditionExpression=_STATION_OF_TENANT,
                ExpressionAttributeValues={":tenant": {"S": tenant_id}},
                ReturnValues="ALL_OLD",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise NotFoundError(f"station {station_id} not found") from error
            raise
        return Station.model_validate(from_item(response["Attributes"]))

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

    def record_connection(
        self, station_id: str, registration_id: str, connection: Connection
    ) -> Connection | None:
        """A reconnect replaces the previous connection (its id is stale from now on); returns the one it
        replaced so the caller can close it."""
        response = self._station_write(
            station_id,
            registration_id,
            UpdateExpression="SET #connection = :connection, lastSeen = :now, protocol = :protocol "
            "REMOVE disconnectedAt",
            ExpressionAttributeNames={"#connection": "connection"},
            ExpressionAttributeValues={
                ":connection": to_attribute_value(connection.to_document()),
                ":now": {"S": to_iso(connection.connected_at)},
                ":protocol": {"S": connection.protocol},
            },
            ReturnValues="UPDATED_OLD",
        )
        previous = from_item(response.get("Attributes", {})).get("connection")
        return Connection.model_validate(previous) if previous else None

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

    def touch_last_seen(self, station_id: str, registration_id: str, now: datetime) -> None:
        self._station_write(
            station_id,
            registration_id,
            UpdateExpression="SET lastSeen = :now",
            ExpressionAttributeValues={":now": {"S": to_iso(now)}},
        )

    # --- what stations report ---------------------------------------------------------------------

    def record_boot(
        self,
        station_id: str,
        registration_id: str,
        charger: ChargerInfo,
        status: RegistrationPolicy,
        now: datetime,
    ) -> None:
        """What the station says about itself, and what it was answered, in one write."""
        self._station_write(
            station_id,
            registration_id,
            **field_updates(
                {
                    "charger": charger.to_document(),
                    "bootStatus": status.value,
                    "bootedAt": to_iso(now),
                    "lastSeen": to_iso(now),
                },
                {":registration": {"S": registration_id}},
            ),
        )

    def record_availability(
        self, station_id: str, registration_id: str, availability: EvseAvailability
    ) -> None:
        """What the operator set an EVSE (or, for EVSE 0, the station) to, once the station accepted it."""
        # Stations registered before EVSE availability existed have no map yet: create it first (a
        # nested SET on a missing map is refused), then set the one EVSE (rare: an operator's change).
        self._station_write(
            station_id,
            registration_id,
            UpdateExpression="SET availability = if_not_exists(availability, :empty)",
            ExpressionAttributeValues={":empty": {"M": {}}},
        )
        self._station_write(
            station_id,
            registration_id,
            UpdateExpression="SET availability.#evse = :availability",
            ExpressionAttributeNames={"#evse": str(availability.evse_id)},
            ExpressionAttributeValues={":availability": to_attribute_value(availability.to_document())},
        )

    def record_device_status(
        self, station_id: str, registration_id: str, kind: str, status: DeviceStatus
    ) -> None:
        """The station's firmware or diagnostics progress (``kind``: firmware, diagnostics)."""
        if kind not in ("firmware", "diagnostics"):
            raise ValueError(f"unknown device status {kind}")
        self._station_write(
            station_id,
            registration_id,
            UpdateExpression="SET #kind = :status",
            ExpressionAttributeNames={"#kind": kind},
            ExpressionAttributeValues={":status": to_attribute_value(status.to_document())},
        )

    def record_connector_status(
        self, station_id: str, registration_id: str, state: ConnectorState, now: datetime
    ) -> bool:
        """False when a newer status is already stored for that connector."""
        document = state.to_document()
        if state.connector_id == 0:
            # The station as a whole: kept apart from the per-connector map.
            expression = "SET stationStatus = :state, lastSeen = :now"
            names: dict[str, str] = {}
            newer = "(attribute_not_exists(stationStatus) OR stationStatus.reportedAt <= :reportedAt)"
        else:
            expression = "SET connectors.#key = :state, lastSeen = :now"
            names = {"#key": connector_key(state.evse_id, state.connector_id)}
            newer = _STATUS_IS_NEWER
        request: dict[str, Any] = {
            "UpdateExpression": expression,
            "ConditionExpression": f"{_REGISTRATION_IS} AND {newer}",
            "ExpressionAttributeValues": {
                ":state": to_attribute_value(document),
                ":now": {"S": to_iso(now)},
                ":reportedAt": {"S": str(document["reportedAt"])},
                ":registration": {"S": registration_id},
            },
        }
        if names:
            request["ExpressionAttributeNames"] = names
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"stationId": {"S": station_id}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
                **request,
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            self._raise_if_gone(error, registration_id, station_id)
            return False
        return True

    def _station_write(self, station_id: str, registration_id: str, **request: Any) -> Any:
        """An update on behalf of a connected station: only while that registration still exists, so a
        message racing a DELETE never recreates a partial station."""
        values = {**request.pop("ExpressionAttributeValues", {}), ":registration": {"S": registration_id}}
        try:
            return self._client.update_item(
                TableName=self._table,
                Key={"stationId": {"S": station_id}},
                ConditionExpression=_REGISTRATION_IS,
                ExpressionAttributeValues=values,
                **request,
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise StationGoneError(f"station {station_id} is no longer registered") from error
            raise

    @staticmethod
    def _raise_if_gone(error: ClientError, registration_id: str, station_id: str) -> None:
        old = error.response.get("Item")
        if not old or old.get("registrationId", {}).get("S") != registration_id:
            raise StationGoneError(f"station {station_id} is no longer registered") from error

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
