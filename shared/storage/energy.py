"""The energy table (everything a site's load allocator reads, one partition per site) and the
allocation-runs table (what each run saw, decided, sent and was answered, and the site's load).

Record keys in a site's partition (``siteKey`` = ``<tenantId>:<siteId>``):

| recordKey | record |
|---|---|
| ``site`` | ``SiteEnergy`` (with ``managedShard``: the sparse index of managed sites) |
| ``placement#<stationId>`` | ``StationPlacement`` |
| ``evse#<stationId>/<evseId>`` | ``EvseState`` (optimistic ``version``) |
| ``station#<stationId>`` | ``StationEnergyState`` (optimistic ``version``) |
| ``cmd#<commandId>`` | ``ProfileCommand`` in flight, until its answer |
| ``demand#<sessionId>`` | ``SessionDemandRecord`` |
| ``signal#<signalId>`` | ``GridSignalRecord`` (the API's) |
| ``openadr`` | ``OpenAdrSignals`` (the last poll of the site's VTN) |
| ``measurement`` | ``MeasurementsRecord`` |
| ``history`` | ``SiteHistory`` |
| ``alert#<kind>:<stationId>/<evseId>`` | ``Alert`` |
| ``lease`` | who runs the site's allocator now, until when, and whether to run again |
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from shared.domain.base import DomainModel, to_iso
from shared.domain.stations import Station
from shared.energy.records import (
    Alert,
    AllocationRun,
    EvseState,
    GridSignalRecord,
    LoadPoint,
    MeasurementsRecord,
    OpenAdrSignals,
    ProfileCommand,
    SessionDemandRecord,
    SiteEnergy,
    SiteHistory,
    SitePartition,
    StationEnergyState,
    site_key,
)
from shared.energy.site import StationPlacement
from shared.ports import VersionConflictError
from shared.storage.dynamo import (
    DynamoDBClient,
    from_item,
    is_conditional_check_failure,
    query_page,
    to_attribute_value,
    to_item,
)

ModelT = TypeVar("ModelT", bound=DomainModel)

MANAGED_SHARD = "site"
SITE, OPENADR, MEASUREMENT, HISTORY, LEASE = "site", "openadr", "measurement", "history", "lease"
PLACEMENT, EVSE, STATION, COMMAND, DEMAND, SIGNAL, ALERT = (
    "placement#",
    "evse#",
    "station#",
    "cmd#",
    "demand#",
    "signal#",
    "alert#",
)
_BATCH_WRITE = 25
_BATCH_GET = 100
_BATCH_RETRIES = 8

# Conditions, named for what they guard.
_NEW_OR_SAME_VERSION = "attribute_not_exists(recordKey) OR version = :version"
_LEASE_FREE = "attribute_not_exists(holder) OR leaseUntil < :now"
_LEASE_HELD = "attribute_exists(holder) AND leaseUntil >= :now"
_LEASE_MINE = "holder = :me"
_LEASE_MINE_NO_RERUN = "holder = :me AND (attribute_not_exists(rerun) OR rerun = :false)"
_RECORD_EXISTS = "attribute_exists(recordKey)"


def _key(partition: str, record: str) -> dict[str, Any]:
    return {"siteKey": {"S": partition}, "recordKey": {"S": record}}


def _document(partition: str, record: str, model: DomainModel, **extra: Any) -> dict[str, Any]:
    return {"siteKey": partition, "recordKey": record, **model.to_document(), **extra}


def batch_write(client: DynamoDBClient, table: str, requests: Sequence[dict[str, Any]]) -> None:
    """Put/Delete requests in batches of 25, retrying what DynamoDB leaves unprocessed."""
    for start in range(0, len(requests), _BATCH_WRITE):
        pending: dict[str, Any] = {table: list(requests[start : start + _BATCH_WRITE])}
        for attempt in range(_BATCH_RETRIES):
            response = client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
        else:
            raise RuntimeError(f"{table}: writes left unprocessed after {_BATCH_RETRIES} attempts")


def batch_get_stations(client: DynamoDBClient, table: str, station_ids: Iterable[str]) -> dict[str, Station]:
    """Stations by id, 100 per request (a site's run reads every placed station's connection)."""
    ids = sorted(set(station_ids))
    found: dict[str, Station] = {}
    for start in range(0, len(ids), _BATCH_GET):
        keys: dict[str, Any] = {
            table: {"Keys": [{"stationId": {"S": i}} for i in ids[start : start + _BATCH_GET]]}
        }
        for attempt in range(_BATCH_RETRIES):
            response = client.batch_get_item(RequestItems=keys)
            for item in response.get("Responses", {}).get(table, []):
                station = Station.model_validate(from_item(item))
                found[station.station_id] = station
            keys = response.get("UnprocessedKeys") or {}
            if not keys:
                break
            time.sleep(min(0.05 * 2**attempt, 1.0))
    return found


def _command_key(station_id: str, command_id: str) -> str:
    """Under its station: one station's commands are one key range of the site's partition."""
    return f"{COMMAND}{station_id}#{command_id}"


class EnergyRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- reading a site ---------------------------------------------------------------------------

    def _partition_items(self, partition: str, prefix: str | None = None) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "siteKey = :site"
            + (" AND begins_with(recordKey, :prefix)" if prefix else ""),
            "ExpressionAttributeValues": {
                ":site": {"S": partition},
                **({":prefix": {"S": prefix}} if prefix else {}),
            },
        }
        items: list[dict[str, Any]] = []
        while True:
            response = self._client.query(**request)
            items.extend(from_item(item) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            request["ExclusiveStartKey"] = last

    def load_site(self, tenant_id: str, site_id: str) -> SitePartition:
        """The whole partition in one (paged) query."""
        partition = SitePartition()
        for item in self._partition_items(site_key(tenant_id, site_id)):
            record = str(item["recordKey"])
            version = int(item.get("version", 0))
            if record == SITE:
                partition.config = SiteEnergy.model_validate(item)
            elif record.startswith(PLACEMENT):
                partition.placements.append(StationPlacement.model_validate(item))
            elif record.startswith(EVSE):
                evse = EvseState.model_validate(item)
                partition.evses[evse.evse_key] = (evse, version)
            elif record.startswith(STATION):
                station = StationEnergyState.model_validate(item)
                partition.stations[station.station_id] = (station, version)
            elif record.startswith(COMMAND):
                partition.commands.append(ProfileCommand.model_validate(item))
            elif record.startswith(DEMAND):
                demand = SessionDemandRecord.model_validate(item)
                partition.demands[demand.session_id] = demand
            elif record.startswith(SIGNAL):
                partition.signals.append(GridSignalRecord.model_validate(item))
            elif record == OPENADR:
                partition.openadr = OpenAdrSignals.model_validate(item)
            elif record == MEASUREMENT:
                partition.measurements = MeasurementsRecord.model_validate(item)
            elif record == HISTORY:
                partition.history = SiteHistory.model_validate(item)
            elif record.startswith(ALERT):
                partition.alerts.append(Alert.model_validate(item))
        partition.placements.sort(key=lambda p: p.station_id)
        return partition

    def _get(self, partition: str, record: str, model: type[ModelT]) -> ModelT | None:
        response = self._client.get_item(
            TableName=self._table, Key=_key(partition, record), ConsistentRead=True
        )
        item = response.get("Item")
        return model.model_validate(from_item(item)) if item else None

    def _put(self, partition: str, record: str, model: DomainModel, **extra: Any) -> None:
        self._client.put_item(
            TableName=self._table, Item=to_item(_document(partition, record, model, **extra))
        )

    def _delete(self, partition: str, record: str, *, must_exist: bool = False) -> bool:
        request: dict[str, Any] = {"TableName": self._table, "Key": _key(partition, record)}
        if must_exist:
            request["ConditionExpression"] = _RECORD_EXISTS
        try:
            self._client.delete_item(**request)
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    # --- configuration ----------------------------------------------------------------------------

    def get_site(self, tenant_id: str, site_id: str) -> SiteEnergy | None:
        return self._get(site_key(tenant_id, site_id), SITE, SiteEnergy)

    def put_site(self, config: SiteEnergy) -> None:
        self._put(site_key(config.tenant_id, config.site_id), SITE, config, managedShard=MANAGED_SHARD)

    def delete_site(self, tenant_id: str, site_id: str) -> None:
        """Everything of the site's partition (its runs expire with their TTL)."""
        partition = site_key(tenant_id, site_id)
        keys = [item["recordKey"] for item in self._partition_items(partition)]
        batch_write(
            self._client,
            self._table,
            [{"DeleteRequest": {"Key": _key(partition, str(record))}} for record in keys],
        )

    def managed_sites(self) -> list[tuple[str, str]]:
        """(tenant, site) of every managed site, from the sparse index."""
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byManagedSite",
            "KeyConditionExpression": "managedShard = :shard",
            "ExpressionAttributeValues": {":shard": {"S": MANAGED_SHARD}},
            "ProjectionExpression": "tenantId, siteId",
        }
        sites: list[tuple[str, str]] = []
        while True:
            response = self._client.query(**request)
            for item in response.get("Items", []):
                document = from_item(item)
                sites.append((str(document["tenantId"]), str(document["siteId"])))
            last = response.get("LastEvaluatedKey")
            if not last:
                return sites
            request["ExclusiveStartKey"] = last

    def get_placement(self, tenant_id: str, site_id: str, station_id: str) -> StationPlacement | None:
        return self._get(site_key(tenant_id, site_id), PLACEMENT + station_id, StationPlacement)

    def placements(self, tenant_id: str, site_id: str) -> list[StationPlacement]:
        items = self._partition_items(site_key(tenant_id, site_id), PLACEMENT)
        return sorted((StationPlacement.model_validate(i) for i in items), key=lambda p: p.station_id)

    def put_placement(self, tenant_id: str, placement: StationPlacement) -> None:
        self._put(
            site_key(tenant_id, placement.site_id),
            PLACEMENT + placement.station_id,
            placement,
            tenantId=tenant_id,
        )

    def delete_placement(self, tenant_id: str, site_id: str, station_id: str) -> None:
        partition = site_key(tenant_id, site_id)
        batch_write(
            self._client,
            self._table,
            [
                {"DeleteRequest": {"Key": _key(partition, PLACEMENT + station_id)}},
                {"DeleteRequest": {"Key": _key(partition, STATION + station_id)}},
            ],
        )

    # --- versioned state --------------------------------------------------------------------------

    def _put_versioned(self, partition: str, record: str, model: DomainModel, version: int) -> int:
        """Writes the record if it is still at ``version`` (0: absent); returns the new version."""
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(_document(partition, record, model, version=version + 1)),
                ConditionExpression=_NEW_OR_SAME_VERSION,
                ExpressionAttributeValues={":version": {"N": str(version)}},
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                raise VersionConflictError(record) from error
            raise
        return version + 1

    def get_evse(self, tenant_id: str, site_id: str, evse_key: str) -> tuple[EvseState, int] | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=_key(site_key(tenant_id, site_id), EVSE + evse_key),
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return None
        document = from_item(item)
        return EvseState.model_validate(document), int(document.get("version", 0))

    def put_evse(self, tenant_id: str, site_id: str, state: EvseState, version: int) -> int:
        return self._put_versioned(site_key(tenant_id, site_id), EVSE + state.evse_key, state, version)

    def delete_evse(self, tenant_id: str, site_id: str, evse_key: str) -> None:
        self._delete(site_key(tenant_id, site_id), EVSE + evse_key)

    def get_station_state(
        self, tenant_id: str, site_id: str, station_id: str
    ) -> tuple[StationEnergyState, int] | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=_key(site_key(tenant_id, site_id), STATION + station_id),
            ConsistentRead=True,
        )
        item = response.get("Item")
        if not item:
            return None
        document = from_item(item)
        return StationEnergyState.model_validate(document), int(document.get("version", 0))

    def put_station_state(self, tenant_id: str, site_id: str, state: StationEnergyState, version: int) -> int:
        return self._put_versioned(site_key(tenant_id, site_id), STATION + state.station_id, state, version)

    # --- commands in flight -----------------------------------------------------------------------

    def put_commands(self, commands: Sequence[ProfileCommand]) -> None:
        batch_write(
            self._client,
            self._table,
            [
                {
                    "PutRequest": {
                        "Item": to_item(
                            _document(
                                site_key(c.tenant_id, c.site_id), _command_key(c.station_id, c.command_id), c
                            )
                        )
                    }
                }
                for c in commands
            ],
        )

    def get_command(
        self, tenant_id: str, site_id: str, station_id: str, command_id: str
    ) -> ProfileCommand | None:
        """Strongly consistent: the answer may follow the call within milliseconds."""
        return self._get(site_key(tenant_id, site_id), _command_key(station_id, command_id), ProfileCommand)

    def pending_boot_commands(
        self, tenant_id: str, site_id: str, station_id: str, excluding: str
    ) -> list[ProfileCommand]:
        """The station's own commands only (a site's boot wave answers 3 calls per station: reading the
        whole site's for each answer was quadratic in the site's size)."""
        items = self._partition_items(site_key(tenant_id, site_id), _command_key(station_id, ""))
        commands = (ProfileCommand.model_validate(i) for i in items)
        return [
            c  # a station id may hold "#": another station's range can start with this one's
            for c in commands
            if c.kind == "boot" and c.station_id == station_id and c.command_id != excluding
        ]

    def delete_command(self, command: ProfileCommand) -> None:
        self._delete(
            site_key(command.tenant_id, command.site_id), _command_key(command.station_id, command.command_id)
        )

    # --- inputs -----------------------------------------------------------------------------------

    def get_demand(self, tenant_id: str, site_id: str, session_id: str) -> SessionDemandRecord | None:
        return self._get(site_key(tenant_id, site_id), DEMAND + session_id, SessionDemandRecord)

    def put_demand(self, tenant_id: str, site_id: str, demand: SessionDemandRecord) -> None:
        self._put(site_key(tenant_id, site_id), DEMAND + demand.session_id, demand)

    def delete_demand(self, tenant_id: str, site_id: str, session_id: str) -> None:
        self._delete(site_key(tenant_id, site_id), DEMAND + session_id)

    def signals(self, tenant_id: str, site_id: str) -> list[GridSignalRecord]:
        items = self._partition_items(site_key(tenant_id, site_id), SIGNAL)
        return sorted(
            (GridSignalRecord.model_validate(i) for i in items), key=lambda s: (s.starts_at, s.signal_id)
        )

    def put_signal(self, tenant_id: str, site_id: str, signal: GridSignalRecord) -> None:
        self._put(site_key(tenant_id, site_id), SIGNAL + signal.signal_id, signal)

    def delete_signal(self, tenant_id: str, site_id: str, signal_id: str) -> bool:
        return self._delete(site_key(tenant_id, site_id), SIGNAL + signal_id, must_exist=True)

    def get_openadr(self, tenant_id: str, site_id: str) -> OpenAdrSignals | None:
        return self._get(site_key(tenant_id, site_id), OPENADR, OpenAdrSignals)

    def put_openadr(self, tenant_id: str, site_id: str, signals: OpenAdrSignals) -> None:
        self._put(site_key(tenant_id, site_id), OPENADR, signals)

    def get_measurements(self, tenant_id: str, site_id: str) -> MeasurementsRecord | None:
        return self._get(site_key(tenant_id, site_id), MEASUREMENT, MeasurementsRecord)

    def put_measurements(self, tenant_id: str, site_id: str, record: MeasurementsRecord) -> None:
        self._put(site_key(tenant_id, site_id), MEASUREMENT, record)

    def get_history(self, tenant_id: str, site_id: str) -> SiteHistory | None:
        return self._get(site_key(tenant_id, site_id), HISTORY, SiteHistory)

    def put_history(self, tenant_id: str, site_id: str, history: SiteHistory) -> None:
        self._put(site_key(tenant_id, site_id), HISTORY, history)

    # --- alerts -----------------------------------------------------------------------------------

    def put_alert(self, alert: Alert) -> None:
        self._put(site_key(alert.tenant_id, alert.site_id), ALERT + alert.alert_id, alert)

    def get_alert(self, tenant_id: str, site_id: str, alert_id: str) -> Alert | None:
        return self._get(site_key(tenant_id, site_id), ALERT + alert_id, Alert)

    def alerts(self, tenant_id: str, site_id: str) -> list[Alert]:
        items = self._partition_items(site_key(tenant_id, site_id), ALERT)
        return sorted((Alert.model_validate(i) for i in items), key=lambda a: (not a.active, a.alert_id))

    # --- the lease: one run per site at a time ----------------------------------------------------

    def acquire_lease(self, tenant_id: str, site_id: str, holder: str, now: float, seconds: float) -> bool:
        """Takes the site's lease unless another run holds it (until it expires)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(site_key(tenant_id, site_id), LEASE),
                UpdateExpression="SET holder = :me, leaseUntil = :until, rerun = :false",
                ConditionExpression=_LEASE_FREE,
                ExpressionAttributeValues={
                    ":me": {"S": holder},
                    ":until": {"N": repr(now + seconds)},
                    ":now": {"N": repr(now)},
                    ":false": {"BOOL": False},
                },
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def request_rerun(self, tenant_id: str, site_id: str, now: float) -> bool:
        """Asks the run holding the lease to run once more before it lets go; False when no run holds
        it any more (take the lease then)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(site_key(tenant_id, site_id), LEASE),
                UpdateExpression="SET rerun = :true",
                ConditionExpression=_LEASE_HELD,
                ExpressionAttributeValues={":true": {"BOOL": True}, ":now": {"N": repr(now)}},
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def release_lease(self, tenant_id: str, site_id: str, holder: str, *, force: bool = False) -> bool:
        """Lets go of the lease; False (still held) when a rerun was asked for meanwhile: the flag is
        cleared then, and the caller runs again."""
        key = _key(site_key(tenant_id, site_id), LEASE)
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="REMOVE holder, leaseUntil SET rerun = :false",
                ConditionExpression=_LEASE_MINE if force else _LEASE_MINE_NO_RERUN,
                ExpressionAttributeValues={":me": {"S": holder}, ":false": {"BOOL": False}},
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
        else:
            return True
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression="SET rerun = :false",
                ConditionExpression=_LEASE_MINE,
                ExpressionAttributeValues={":me": {"S": holder}, ":false": {"BOOL": False}},
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return True  # not ours any more (expired and taken): nothing to release
            raise
        return False


class AllocationRunRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def record(self, run: AllocationRun, load: LoadPoint) -> None:
        partition = site_key(run.tenant_id, run.site_id)
        batch_write(
            self._client,
            self._table,
            [
                {"PutRequest": {"Item": to_item(_document(partition, run.run_key, run))}},
                {"PutRequest": {"Item": to_item(_document(partition, f"load#{to_iso(load.at)}", load))}},
            ],
        )

    def record_answer(self, tenant_id: str, site_id: str, run_key: str, command_id: str, answer: str) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_key(site_key(tenant_id, site_id), run_key),
                UpdateExpression="SET answers.#command = :answer",
                ConditionExpression=_RECORD_EXISTS,
                ExpressionAttributeNames={"#command": command_id},
                ExpressionAttributeValues={":answer": to_attribute_value(answer)},
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise

    def runs(
        self,
        tenant_id: str,
        site_id: str,
        *,
        started_from: datetime | None,
        started_to: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[AllocationRun], str | None]:
        """Newest first."""
        low = "run#" + (to_iso(started_from) if started_from else "")
        high = "run#" + (to_iso(started_to) + "~" if started_to else "~")
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "siteKey = :site AND recordKey BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":site": {"S": site_key(tenant_id, site_id)},
                ":low": {"S": low},
                ":high": {"S": high},
            },
            "ScanIndexForward": False,
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [AllocationRun.model_validate(item) for item in items], next_cursor

    def load_points(self, tenant_id: str, site_id: str, start: datetime, end: datetime) -> list[LoadPoint]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "siteKey = :site AND recordKey BETWEEN :low AND :high",
            "ExpressionAttributeValues": {
                ":site": {"S": site_key(tenant_id, site_id)},
                ":low": {"S": f"load#{to_iso(start)}"},
                ":high": {"S": f"load#{to_iso(end)}"},
            },
        }
        points: list[LoadPoint] = []
        while True:
            response = self._client.query(**request)
            points.extend(LoadPoint.model_validate(from_item(item)) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return points
            request["ExclusiveStartKey"] = last


class PlacedStations:
    """Reads the stations of a site's placements from the stations table, 100 per request."""

    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def get_many(self, station_ids: Sequence[str]) -> dict[str, Station]:
        return batch_get_stations(self._client, self._table, station_ids)
