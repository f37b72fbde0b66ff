"""Station-data table: what each station registration holds, one item per thing.

Item keys (sort key ``itemKey``):
- ``v#<json>``: one device-model variable or 1.6 configuration key (``shared.domain.device_model``)
- ``report#<requestId>``: the progress of a multi-part report (NotifyReport parts, tbc)
- ``list``: the local authorization list's state; ``list#<TOKEN>``: one entry of it
- ``profile#<evseId>#<profileId>``: a charging profile the station holds
- ``lane``: the station's outbound lane (``shared.storage.outbound_lanes``)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.charging_profiles import InstalledProfile, ProfileCriteria
from shared.domain.device_model import (
    ComponentRef,
    DeviceVariable,
    ReportProgress,
    VariableAttribute,
    VariableRef,
    component_prefix,
    is_complete,
    variable_key,
)
from shared.domain.local_lists import LocalListEntry, LocalListPush, LocalListState, entries_after
from shared.storage.dynamo import (
    DynamoDBClient,
    from_item,
    is_conditional_check_failure,
    query_page,
    to_attribute_value,
    to_item,
)

_BATCH = 25
_BATCH_ATTEMPTS = 8
_ITEM_EXISTS = "attribute_exists(itemKey)"
LIST_STATE_KEY = "list"
LIST_ENTRY_PREFIX = "list#"
PROFILE_PREFIX = "profile#"
REPORT_PREFIX = "report#"


def _key(station_key: str, item_key: str) -> dict[str, Any]:
    return {"stationKey": {"S": station_key}, "itemKey": {"S": item_key}}


class _StationData:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def _write_batch(self, requests: list[dict[str, Any]]) -> None:
        """BatchWriteItem in chunks of 25, retrying what DynamoDB leaves unprocessed (throttling)."""
        for start in range(0, len(requests), _BATCH):
            pending: Any = requests[start : start + _BATCH]
            for attempt in range(_BATCH_ATTEMPTS):
                response = self._client.batch_write_item(RequestItems={self._table: pending})
                pending = response.get("UnprocessedItems", {}).get(self._table, [])
                if not pending:
                    break
                time.sleep(min(0.05 * 2**attempt, 1.0))
            else:
                raise RuntimeError(f"{len(pending)} station-data writes stayed unprocessed")

    def _query_all(self, station_key: str, prefix: str) -> list[dict[str, Any]]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "stationKey = :station AND begins_with(itemKey, :prefix)",
            "ExpressionAttributeValues": {":station": {"S": station_key}, ":prefix": {"S": prefix}},
            "ConsistentRead": True,
        }
        items: list[dict[str, Any]] = []
        while True:
            response = self._client.query(**request)
            items.extend(from_item(item) for item in response.get("Items", []))
            last = response.get("LastEvaluatedKey")
            if not last:
                return items
            request["ExclusiveStartKey"] = last


def _variable_item(station_key: str, variable: DeviceVariable) -> dict[str, Any]:
    document = variable.to_document()
    # Attributes are a map by type in the item, so one attribute's value can be updated in place.
    document["attributes"] = {attribute.type: attribute.to_document() for attribute in variable.attributes}
    return {**document, "stationKey": station_key, "itemKey": variable.key, "kind": "variable"}


def _variable_from(document: dict[str, Any]) -> DeviceVariable:
    attributes = document.get("attributes") or {}
    return DeviceVariable.model_validate(
        {**document, "attributes": list(attributes.values()) if isinstance(attributes, dict) else attributes}
    )


class DeviceModelRepository(_StationData):
    def record_variables(self, station_key: str, variables: Sequence[DeviceVariable]) -> None:
        """Each variable as reported replaces what was stored for it (a report carries every attribute)."""
        unique = {variable.key: variable for variable in variables}
        self._write_batch(
            [{"PutRequest": {"Item": to_item(_variable_item(station_key, v))}} for v in unique.values()]
        )

    def record_attribute(
        self,
        station_key: str,
        component: ComponentRef | None,
        variable: VariableRef,
        attribute: VariableAttribute,
        source: str,
        now: datetime,
    ) -> None:
        """One attribute's value as read or written (GetVariables, SetVariables, 1.6 configuration), keeping
        what else is known about the variable (its other attributes, mutability, characteristics)."""
        key = _key(station_key, variable_key(component, variable))
        names = {"#attributes": "attributes", "#type": attribute.type, "#value": "value"}
        common = {":source": {"S": source}, ":now": {"S": to_iso(now)}}
        attempts: list[dict[str, Any]] = []
        if attribute.value is not None:
            attempts.append(
                {
                    "UpdateExpression": "SET #attributes.#type.#value = :value, #source = :source, "
                    "reportedAt = :now",
                    "ConditionExpression": "attribute_exists(#attributes.#type)",
                    "ExpressionAttributeNames": {**names, "#source": "source"},
                    "ExpressionAttributeValues": {":value": {"S": attribute.value}, **common},
                }
            )
        attempts.append(
            {
                "UpdateExpression": "SET #attributes.#type = :attribute, #source = :source, "
                "reportedAt = :now",
                "ConditionExpression": "attribute_exists(#attributes)",
                "ExpressionAttributeNames": {
                    "#attributes": "attributes",
                    "#type": attribute.type,
                    "#source": "source",
                },
                "ExpressionAttributeValues": {
                    ":attribute": to_attribute_value(attribute.to_document()),
                    **common,
                },
            }
        )
        for request in attempts:
            try:
                self._client.update_item(TableName=self._table, Key=key, **request)
                return
            except ClientError as error:
                if not is_conditional_check_failure(error):
                    raise
        fresh = DeviceVariable(
            component=component, variable=variable, attributes=[attribute], source=source, reported_at=now
        )
        self._client.put_item(TableName=self._table, Item=to_item(_variable_item(station_key, fresh)))

    def get_variable(
        self, station_key: str, component: ComponentRef | None, variable: VariableRef
    ) -> DeviceVariable | None:
        response = self._client.get_item(
            TableName=self._table,
            Key=_key(station_key, variable_key(component, variable)),
            ConsistentRead=True,
        )
        item = response.get("Item")
        return _variable_from(from_item(item)) if item else None

    def list_variables(
        self,
        station_key: str,
        component: ComponentRef | None,
        configuration_keys: bool,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[DeviceVariable], str | None]:
        """One page, in key order: every variable, one component's (by name), or the 1.6 keys."""
        prefix = component_prefix(None) if configuration_keys else "v#"
        if component is not None:
            prefix = component_prefix(component)
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "stationKey = :station AND begins_with(itemKey, :prefix)",
            "ExpressionAttributeValues": {":station": {"S": station_key}, ":prefix": {"S": prefix}},
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [_variable_from(item) for item in items], next_cursor

    def record_report_part(
        self, station_key: str, request_id: int, seq_no: int, tbc: bool, variables: int, now: datetime
    ) -> ReportProgress:
        """Adds one part to the report's progress; marks it complete (once) when every part is in."""
        names = {"#parts": "parts", "#variables": "variables"}
        values: dict[str, Any] = {
            ":part": {"NS": [str(seq_no)]},
            ":count": {"N": str(variables)},
            ":now": {"S": to_iso(now)},
            ":request": {"N": str(request_id)},
        }
        expression = (
            "ADD #parts :part, #variables :count SET startedAt = if_not_exists(startedAt, :now), "
            "requestId = :request, kind = if_not_exists(kind, :kind)"
        )
        values[":kind"] = {"S": "report"}
        if not tbc:
            expression += ", lastSeqNo = :last"
            values[":last"] = {"N": str(seq_no)}
        response = self._client.update_item(
            TableName=self._table,
            Key=_key(station_key, f"{REPORT_PREFIX}{request_id}"),
            UpdateExpression=expression,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ReturnValues="ALL_NEW",
        )
        progress = _progress_from(from_item(response["Attributes"]))
        if not progress.complete and is_complete(set(progress.parts), progress.last_seq_no):
            try:
                self._client.update_item(
                    TableName=self._table,
                    Key=_key(station_key, f"{REPORT_PREFIX}{request_id}"),
                    UpdateExpression="SET complete = :yes, completedAt = :now",
                    ConditionExpression="attribute_not_exists(complete)",
                    ExpressionAttributeValues={":yes": {"BOOL": True}, ":now": {"S": to_iso(now)}},
                )
            except ClientError as error:
                if not is_conditional_check_failure(error):
                    raise
            progress = progress.model_copy(update={"complete": True, "completed_at": now})
        return progress

    def get_report(self, station_key: str, request_id: int) -> ReportProgress | None:
        response = self._client.get_item(
            TableName=self._table, Key=_key(station_key, f"{REPORT_PREFIX}{request_id}"), ConsistentRead=True
        )
        item = response.get("Item")
        return _progress_from(from_item(item)) if item else None

    def list_reports(self, station_key: str) -> list[ReportProgress]:
        reports = [_progress_from(item) for item in self._query_all(station_key, REPORT_PREFIX)]
        return sorted(reports, key=lambda report: report.started_at, reverse=True)


def _progress_from(document: dict[str, Any]) -> ReportProgress:
    parts = document.get("parts") or set()
    return ReportProgress.model_validate(
        {**document, "parts": sorted(int(part) for part in parts), "complete": bool(document.get("complete"))}
    )


class LocalListRepository(_StationData):
    def state(self, station_key: str) -> LocalListState:
        response = self._client.get_item(
            TableName=self._table, Key=_key(station_key, LIST_STATE_KEY), ConsistentRead=True
        )
        item = response.get("Item")
        return LocalListState.model_validate(from_item(item)) if item else LocalListState()

    def entries(self, station_key: str) -> dict[str, LocalListEntry]:
        return {
            item["itemKey"].removeprefix(LIST_ENTRY_PREFIX): LocalListEntry.model_validate(item)
            for item in self._query_all(station_key, LIST_ENTRY_PREFIX)
        }

    def apply(self, station_key: str, push: LocalListPush, now: datetime) -> LocalListState:
        """The list as the station holds it once it accepted ``push``: entries written and removed, then
        the state (version, count). A push of an older version than the one held changes nothing."""
        current = self.entries(station_key)
        after = entries_after(current, push)
        requests: list[dict[str, Any]] = [
            {"DeleteRequest": {"Key": _key(station_key, LIST_ENTRY_PREFIX + token)}}
            for token in current
            if token not in after
        ]
        requests += [
            {
                "PutRequest": {
                    "Item": to_item(
                        {
                            **entry.to_document(),
                            "stationKey": station_key,
                            "itemKey": LIST_ENTRY_PREFIX + token,
                        }
                    )
                }
            }
            for token, entry in after.items()
            if current.get(token) != entry
        ]
        self._write_batch(requests)
        state = self.state(station_key).model_copy(
            update={"version": push.version, "entries": len(after), "accepted_at": now}
        )
        self._client.put_item(
            TableName=self._table,
            Item=to_item({**state.to_document(), "stationKey": station_key, "itemKey": LIST_STATE_KEY}),
        )
        return state

    def record_reported_version(self, station_key: str, version: int, now: datetime) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=_key(station_key, LIST_STATE_KEY),
            UpdateExpression="SET reportedVersion = :version, reportedAt = :now, "
            "entries = if_not_exists(entries, :zero)",
            ExpressionAttributeValues={
                ":version": {"N": str(version)},
                ":now": {"S": to_iso(now)},
                ":zero": {"N": "0"},
            },
        )


def _profile_key(evse_id: int, profile_id: int) -> str:
    return f"{PROFILE_PREFIX}{evse_id:05d}#{profile_id}"


class ChargingProfileRepository(_StationData):
    def record(self, station_key: str, installed: InstalledProfile) -> None:
        """OCPP replaces a profile with the same id; 2.0.1 also one with the same stack level and purpose
        on the same EVSE (and 1.6 the same): those are removed first."""
        existing = self.list(station_key)
        profile = installed.profile
        replaced = [
            other
            for other in existing
            if other.profile.id == profile.id
            or (
                other.evse_id == installed.evse_id
                and other.profile.stack_level == profile.stack_level
                and other.profile.purpose is profile.purpose
            )
        ]
        requests: list[dict[str, Any]] = [
            {"DeleteRequest": {"Key": _key(station_key, _profile_key(other.evse_id, other.profile.id))}}
            for other in replaced
            if _profile_key(other.evse_id, other.profile.id) != _profile_key(installed.evse_id, profile.id)
        ]
        requests.append(
            {
                "PutRequest": {
                    "Item": to_item(
                        {
                            **installed.to_document(),
                            "stationKey": station_key,
                            "itemKey": _profile_key(installed.evse_id, profile.id),
                        }
                    )
                }
            }
        )
        self._write_batch(requests)

    def clear(self, station_key: str, criteria: ProfileCriteria) -> int:
        matching = [installed for installed in self.list(station_key) if criteria.matches(installed)]
        self._write_batch(
            [
                {"DeleteRequest": {"Key": _key(station_key, _profile_key(p.evse_id, p.profile.id))}}
                for p in matching
            ]
        )
        return len(matching)

    def list(self, station_key: str, evse_id: int | None = None) -> list[InstalledProfile]:
        prefix = PROFILE_PREFIX if evse_id is None else f"{PROFILE_PREFIX}{evse_id:05d}#"
        return [InstalledProfile.model_validate(item) for item in self._query_all(station_key, prefix)]
