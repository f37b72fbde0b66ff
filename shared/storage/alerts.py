"""Alerts table: alerts (and the guard that keeps one open per subject), offline watches, boot counts."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import parse_timestamp, to_iso
from shared.domain.errors import NotFoundError
from shared.monitoring.models import Alert, AlertKind, AlertStatus, OfflineWatch
from shared.storage.dynamo import (
    DynamoDBClient,
    from_item,
    get_document,
    is_conditional_check_failure,
    query_page,
    to_item,
)

_OFFLINE_SHARD = "offline"
_MAX_BOOTS_KEPT = 20
# Conditions, named for what they guard.
_NO_OPEN_ALERT = "attribute_not_exists(sk)"
_STILL_OPEN = "#status = :open"
_BOOTS_UNCHANGED = "attribute_not_exists(sk) OR version = :version"


def _alert_sk(alert_id: str) -> str:
    return f"alert#{alert_id}"


def _guard_sk(kind: AlertKind, station_id: str, subject: str) -> str:
    return f"open#{kind.value}#{station_id}#{subject}"


def _watch_sk(station_id: str) -> str:
    return f"watch#offline#{station_id}"


def _key(tenant_id: str, sk: str) -> dict[str, Any]:
    return {"tenantId": {"S": tenant_id}, "sk": {"S": sk}}


class AlertRepository:
    def __init__(self, client: DynamoDBClient, table_name: str, retention: timedelta) -> None:
        self._client = client
        self._table = table_name
        self._retention = retention

    # --- alerts -------------------------------------------------------------------------------------

    def raise_alert(self, alert: Alert) -> tuple[Alert, bool]:
        """Opens the alert, or counts one more occurrence of the one already open for its station, kind and
        subject. Returns the alert and whether it is new."""
        guard = _guard_sk(alert.kind, alert.station_id, alert.subject)
        document = {
            **alert.to_document(),
            "sk": _alert_sk(alert.alert_id),
            "tenantStatus": f"{alert.tenant_id}#{alert.status.value}",
        }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": to_item(
                                {"tenantId": alert.tenant_id, "sk": guard, "alertId": alert.alert_id}
                            ),
                            "ConditionExpression": _NO_OPEN_ALERT,
                        }
                    },
                    {"Put": {"TableName": self._table, "Item": to_item(document)}},
                ]
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            existing = get_document(self._client, self._table, _key(alert.tenant_id, guard))
            if existing is None:  # acknowledged in between: open it again
                return self.raise_alert(alert)
            return self._count_occurrence(alert.tenant_id, str(existing["alertId"]), alert.raised_at), False
        return alert, True

    def _count_occurrence(self, tenant_id: str, alert_id: str, now: datetime) -> Alert:
        response = self._client.update_item(
            TableName=self._table,
            Key=_key(tenant_id, _alert_sk(alert_id)),
            UpdateExpression="SET occurrences = occurrences + :one, lastRaisedAt = :now",
            ExpressionAttributeValues={":one": {"N": "1"}, ":now": {"S": to_iso(now)}},
            ReturnValues="ALL_NEW",
        )
        return Alert.model_validate(from_item(response["Attributes"]))

    def get(self, tenant_id: str, alert_id: str) -> Alert:
        document = get_document(self._client, self._table, _key(tenant_id, _alert_sk(alert_id)))
        if document is None:
            raise NotFoundError(f"alert {alert_id} not found")
        return Alert.model_validate(document)

    def list_for_tenant(
        self,
        tenant_id: str,
        status: AlertStatus,
        limit: int,
        cursor: str | None,
        station_id: str | None = None,
    ) -> tuple[list[Alert], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byStatus",
            "KeyConditionExpression": "tenantStatus = :status",
            "ExpressionAttributeValues": {":status": {"S": f"{tenant_id}#{status.value}"}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if station_id is not None:
            request["FilterExpression"] = "stationId = :station"
            request["ExpressionAttributeValues"][":station"] = {"S": station_id}
        items, next_cursor = query_page(self._client, request, cursor)
        return [Alert.model_validate(item) for item in items], next_cursor

    def acknowledge(self, tenant_id: str, alert_id: str, by: str, now: datetime) -> Alert:
        """Idempotent; the next occurrence opens a new alert. Acknowledged alerts expire after the
        retention period."""
        alert = self.get(tenant_id, alert_id)
        if alert.status is AlertStatus.ACKNOWLEDGED:
            return alert
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _key(tenant_id, _alert_sk(alert_id)),
                            "UpdateExpression": "SET #status = :acknowledged, tenantStatus = :tenantStatus, "
                            "acknowledgedAt = :now, acknowledgedBy = :by, expiresAt = :expires",
                            "ConditionExpression": _STILL_OPEN,
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": {
                                ":acknowledged": {"S": AlertStatus.ACKNOWLEDGED.value},
                                ":open": {"S": AlertStatus.OPEN.value},
                                ":tenantStatus": {"S": f"{tenant_id}#{AlertStatus.ACKNOWLEDGED.value}"},
                                ":now": {"S": to_iso(now)},
                                ":by": {"S": by},
                                ":expires": {"N": str(int((now + self._retention).timestamp()))},
                            },
                        }
                    },
                    {
                        "Delete": {
                            "TableName": self._table,
                            "Key": _key(tenant_id, _guard_sk(alert.kind, alert.station_id, alert.subject)),
                        }
                    },
                ]
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
        return self.get(tenant_id, alert_id)

    # --- offline watches ----------------------------------------------------------------------------

    def watch_offline(self, watch: OfflineWatch) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    **watch.to_document(),
                    "sk": _watch_sk(watch.station_id),
                    "dueShard": _OFFLINE_SHARD,
                }
            ),
        )

    def clear_watch(self, tenant_id: str, station_id: str) -> None:
        self._client.delete_item(TableName=self._table, Key=_key(tenant_id, _watch_sk(station_id)))

    def due_watches(self, now: datetime, limit: int = 500) -> list[OfflineWatch]:
        response = self._client.query(
            TableName=self._table,
            IndexName="byDue",
            KeyConditionExpression="dueShard = :shard AND dueAt <= :now",
            ExpressionAttributeValues={":shard": {"S": _OFFLINE_SHARD}, ":now": {"S": to_iso(now)}},
            Limit=limit,
        )
        return [OfflineWatch.model_validate(from_item(item)) for item in response.get("Items", [])]

    # --- boots --------------------------------------------------------------------------------------

    def record_boot(self, tenant_id: str, station_id: str, at: datetime, window: timedelta) -> list[datetime]:
        """Adds a boot and returns the station's boots within ``window`` before ``at`` (this one included)."""
        key = _key(tenant_id, f"boots#{station_id}")
        for _ in range(5):
            stored = get_document(self._client, self._table, key) or {}
            version = int(stored.get("version", 0))
            boots = [parse_timestamp(str(value)) for value in stored.get("boots", [])]
            recent = sorted({*(boot for boot in boots if at - window <= boot <= at), at})[-_MAX_BOOTS_KEPT:]
            try:
                self._client.put_item(
                    TableName=self._table,
                    Item=to_item(
                        {
                            "tenantId": tenant_id,
                            "sk": f"boots#{station_id}",
                            "boots": [to_iso(boot) for boot in recent],
                            "version": version + 1,
                            "expiresAt": int((at + window).timestamp()) + 3600,
                        }
                    ),
                    ConditionExpression=_BOOTS_UNCHANGED,
                    ExpressionAttributeValues={":version": {"N": str(version)}},
                )
            except ClientError as error:
                if is_conditional_check_failure(error):
                    continue  # another boot was counted meanwhile: count again
                raise
            return recent
        return [at]
