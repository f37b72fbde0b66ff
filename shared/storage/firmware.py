"""The firmware catalogue table and the campaigns table (campaigns, their stations, updates in progress)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from shared.domain.base import to_iso
from shared.domain.errors import AlreadyExistsError, NotFoundError
from shared.firmware.models import (
    FINAL_STATION_STATES,
    Campaign,
    CampaignStation,
    CampaignStatus,
    Firmware,
    HistoryEntry,
    StationUpdate,
    StationUpdateState,
    UpdateOutcome,
    WaitReason,
)
from shared.storage.dynamo import (
    DynamoDBClient,
    from_item,
    get_document,
    is_conditional_check_failure,
    put_if_absent,
    query_page,
    to_attribute_value,
    to_item,
)

_MAX_HISTORY = 30
"""History entries kept per station (a station retrying offline for days must not grow its item)."""
_BATCH = 25

# Conditions, named for what they guard.
_NOT_FINAL = "NOT (#state IN (" + ", ".join(f":final{n}" for n in range(len(FINAL_STATION_STATES))) + "))"
_FINAL_VALUES = {f":final{n}": {"S": state.value} for n, state in enumerate(sorted(FINAL_STATION_STATES))}
# A station starts once: pending and never started (the driver and a retried driver may race).
_NOT_STARTED = "#state = :pending AND attribute_not_exists(startedAt)"
_UPDATE_OF_CAMPAIGN = "campaignId = :campaign"
# The notification and the waiting task race: only one of them may complete the token.
_NOT_YET_WAITING = "campaignId = :campaign AND attribute_not_exists(taskToken)"
_NOT_YET_REPORTED = "campaignId = :campaign AND attribute_not_exists(reported)"
_TOKEN_IS = "taskToken = :token"


def _campaign_pk(campaign_id: str) -> str:
    return f"campaign#{campaign_id}"


def _station_sk(station_id: str) -> str:
    return f"station#{station_id}"


def _update_key(station_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"station#{station_id}"}, "sk": {"S": "update"}}


class FirmwareRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def create(self, firmware: Firmware) -> None:
        if not put_if_absent(self._client, self._table, firmware.to_document(), "tenantId"):
            raise AlreadyExistsError(f"firmware {firmware.firmware_id} already exists")

    def find(self, tenant_id: str, firmware_id: str) -> Firmware | None:
        document = get_document(
            self._client, self._table, {"tenantId": {"S": tenant_id}, "firmwareId": {"S": firmware_id}}
        )
        return Firmware.model_validate(document) if document else None

    def get(self, tenant_id: str, firmware_id: str) -> Firmware:
        firmware = self.find(tenant_id, firmware_id)
        if firmware is None:
            raise NotFoundError(f"firmware {firmware_id} not found")
        return firmware

    def list_for_tenant(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Firmware], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "tenantId = :tenant",
            "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [Firmware.model_validate(item) for item in items], next_cursor


class CampaignRepository:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    # --- campaigns --------------------------------------------------------------------------------

    def create(self, campaign: Campaign, stations: Sequence[CampaignStation]) -> None:
        """The campaign item last: a campaign that can be read has all its stations."""
        for start in range(0, len(stations), _BATCH):
            requests = [
                {"PutRequest": {"Item": to_item(self._station_document(station))}}
                for station in stations[start : start + _BATCH]
            ]
            self._batch_write(requests)
        document = {
            **campaign.to_document(),
            "pk": _campaign_pk(campaign.campaign_id),
            "sk": "campaign",
            "campaignTenant": campaign.tenant_id,
        }
        if not put_if_absent(self._client, self._table, document, "pk"):
            raise AlreadyExistsError(f"campaign {campaign.campaign_id} already exists")

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self._table: requests}
        for _ in range(8):
            response = self._client.batch_write_item(RequestItems=pending)
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
        raise RuntimeError("DynamoDB left campaign stations unwritten after 8 attempts")

    @staticmethod
    def _station_document(station: CampaignStation) -> dict[str, Any]:
        return {
            **station.to_document(),
            "pk": _campaign_pk(station.campaign_id),
            "sk": _station_sk(station.station_id),
        }

    def find(self, campaign_id: str) -> Campaign | None:
        document = get_document(
            self._client, self._table, {"pk": {"S": _campaign_pk(campaign_id)}, "sk": {"S": "campaign"}}
        )
        return Campaign.model_validate(document) if document else None

    def get(self, tenant_id: str, campaign_id: str) -> Campaign:
        campaign = self.find(campaign_id)
        if campaign is None or campaign.tenant_id != tenant_id:
            raise NotFoundError(f"campaign {campaign_id} not found")
        return campaign

    def list_for_tenant(
        self, tenant_id: str, limit: int, cursor: str | None
    ) -> tuple[list[Campaign], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": "byTenant",
            "KeyConditionExpression": "campaignTenant = :tenant",
            "ExpressionAttributeValues": {":tenant": {"S": tenant_id}},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [Campaign.model_validate(item) for item in items], next_cursor

    def set_status(
        self,
        campaign_id: str,
        status: CampaignStatus,
        allowed_from: frozenset[CampaignStatus],
        now: datetime,
        detail: str | None = None,
    ) -> Campaign | None:
        """None when the campaign is not in one of ``allowed_from`` (someone else moved it first)."""
        values: dict[str, Any] = {
            ":status": {"S": status.value},
            ":entry": to_attribute_value(
                [HistoryEntry(at=now, state=status.value, detail=detail).to_document()]
            ),
            **{f":from{n}": {"S": value.value} for n, value in enumerate(sorted(allowed_from))},
        }
        expression = "SET #status = :status, history = list_append(history, :entry)"
        if status is CampaignStatus.RUNNING:
            expression += ", startedAt = if_not_exists(startedAt, :now)"
        if status in (CampaignStatus.COMPLETED, CampaignStatus.HALTED, CampaignStatus.CANCELLED):
            expression += ", finishedAt = :now"
        if ":now" in expression:  # DynamoDB refuses values the expression does not use
            values[":now"] = {"S": to_iso(now)}
        if detail is not None:
            expression += ", statusDetail = :detail"
            values[":detail"] = {"S": detail}
        allowed = ", ".join(f":from{n}" for n in range(len(allowed_from)))
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": _campaign_pk(campaign_id)}, "sk": {"S": "campaign"}},
                UpdateExpression=expression,
                ConditionExpression=f"#status IN ({allowed})",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return None
            raise
        return Campaign.model_validate(from_item(response["Attributes"]))

    # --- a campaign's stations --------------------------------------------------------------------

    def stations(self, campaign_id: str) -> list[CampaignStation]:
        stations: list[CampaignStation] = []
        cursor: str | None = None
        while True:
            page, cursor = self.stations_page(campaign_id, 1000, cursor)
            stations.extend(page)
            if cursor is None:
                return sorted(stations, key=lambda station: station.position)

    def stations_page(
        self, campaign_id: str, limit: int, cursor: str | None
    ) -> tuple[list[CampaignStation], str | None]:
        request: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :stations)",
            "ExpressionAttributeValues": {
                ":pk": {"S": _campaign_pk(campaign_id)},
                ":stations": {"S": "station#"},
            },
            "Limit": limit,
        }
        items, next_cursor = query_page(self._client, request, cursor)
        return [CampaignStation.model_validate(item) for item in items], next_cursor

    def station(self, campaign_id: str, station_id: str) -> CampaignStation | None:
        document = get_document(
            self._client,
            self._table,
            {"pk": {"S": _campaign_pk(campaign_id)}, "sk": {"S": _station_sk(station_id)}},
        )
        return CampaignStation.model_validate(document) if document else None

    def claim_start(
        self, campaign_id: str, station_id: str, now: datetime, deadline: datetime
    ) -> CampaignStation | None:
        """Marks a pending station started (its deadline runs from now); None if it already was."""
        entry = HistoryEntry(at=now, state=StationUpdateState.PENDING.value, detail="update started")
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": _campaign_pk(campaign_id)}, "sk": {"S": _station_sk(station_id)}},
                UpdateExpression="SET startedAt = :now, deadlineAt = :deadline, attempts = attempts + :one, "
                "detail = :detail, history = list_append(history, :entry)",
                ConditionExpression=_NOT_STARTED,
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":now": {"S": to_iso(now)},
                    ":deadline": {"S": to_iso(deadline)},
                    ":one": {"N": "1"},
                    ":detail": {"S": "update started"},
                    ":entry": to_attribute_value([entry.to_document()]),
                    ":pending": {"S": StationUpdateState.PENDING.value},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return None
            raise
        return CampaignStation.model_validate(from_item(response["Attributes"]))

    def record_station(
        self,
        campaign_id: str,
        station_id: str,
        state: StationUpdateState,
        now: datetime,
        detail: str | None,
        *,
        waiting: WaitReason | None = None,
        firmware_status: str | None = None,
        history: bool = True,
        only_if_unstarted: bool = False,
    ) -> bool:
        """The station's state, unless it already has its final one (False then). ``waiting`` is
        cleared unless given."""
        values: dict[str, Any] = {":state": {"S": state.value}, **_FINAL_VALUES}
        sets = ["#state = :state"]
        removes: list[str] = []
        for name, value in (("detail", detail), ("waiting", waiting), ("firmwareStatus", firmware_status)):
            if value is not None:
                sets.append(f"{name} = :{name}")
                values[f":{name}"] = {"S": value}
            elif name != "firmwareStatus":
                removes.append(name)
        if state in FINAL_STATION_STATES:
            sets.append("finishedAt = :now")
            values[":now"] = {"S": to_iso(now)}
        if history:
            entry = HistoryEntry(at=now, state=state.value, detail=firmware_status or detail)
            sets.append("history = list_append(history, :entry)")
            values[":entry"] = to_attribute_value([entry.to_document()])
        expression = "SET " + ", ".join(sets) + (" REMOVE " + ", ".join(removes) if removes else "")
        condition = _NOT_FINAL
        if only_if_unstarted:
            condition += " AND attribute_not_exists(startedAt)"
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": _campaign_pk(campaign_id)}, "sk": {"S": _station_sk(station_id)}},
                UpdateExpression=expression,
                ConditionExpression=f"attribute_exists(pk) AND {condition}",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        self._trim_history(campaign_id, station_id)
        return True

    def _trim_history(self, campaign_id: str, station_id: str) -> None:
        station = self.station(campaign_id, station_id)
        if station is None or len(station.history) <= _MAX_HISTORY:
            return
        kept = station.history[:1] + station.history[-(_MAX_HISTORY - 1) :]
        self._client.update_item(
            TableName=self._table,
            Key={"pk": {"S": _campaign_pk(campaign_id)}, "sk": {"S": _station_sk(station_id)}},
            UpdateExpression="SET history = :history",
            ExpressionAttributeValues={":history": to_attribute_value([e.to_document() for e in kept])},
        )

    # --- a station's update in progress -------------------------------------------------------------

    def begin_update(self, update: StationUpdate, now: datetime) -> StationUpdate | None:
        """Records the update as the station's one in progress. Returns the update of another campaign
        that still holds the station (nothing written then); the same campaign's replaces its own."""
        document = {**update.to_document(), **{k: v["S"] for k, v in _update_key(update.station_id).items()}}
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(document),
                # Another campaign's update past its deadline has lost its workflow already.
                ConditionExpression="attribute_not_exists(pk) OR campaignId = :campaign OR deadlineAt < :now",
                ExpressionAttributeValues={
                    ":campaign": {"S": update.campaign_id},
                    ":now": {"S": to_iso(now)},
                },
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return self.active_update(update.station_id)
            raise
        return None

    def active_update(self, station_id: str) -> StationUpdate | None:
        document = get_document(self._client, self._table, _update_key(station_id))
        return StationUpdate.model_validate(document) if document else None

    def await_update(self, station_id: str, campaign_id: str, task_token: str) -> bool:
        """Stores the waiting task's token; False when an outcome was reported first (or the update is
        not this campaign's any more)."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_update_key(station_id),
                UpdateExpression="SET taskToken = :token",
                ConditionExpression=_NOT_YET_REPORTED,
                ExpressionAttributeValues={":token": {"S": task_token}, ":campaign": {"S": campaign_id}},
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True

    def report_outcome(self, update: StationUpdate, outcome: UpdateOutcome) -> str | None:
        """The station's outcome for its update in progress: the task token to complete, once (the
        update is removed), or None when nobody waits yet (the outcome is kept for the waiting task)."""
        if update.task_token is not None:
            return (
                update.task_token
                if self.end_update(update.station_id, update.campaign_id, update.task_token)
                else None
            )
        try:
            self._client.update_item(
                TableName=self._table,
                Key=_update_key(update.station_id),
                UpdateExpression="SET reported = :outcome",
                ConditionExpression=_NOT_YET_WAITING + " AND attribute_not_exists(reported)",
                ExpressionAttributeValues={
                    ":outcome": to_attribute_value(outcome.to_document()),
                    ":campaign": {"S": update.campaign_id},
                },
            )
        except ClientError as error:
            if not is_conditional_check_failure(error):
                raise
            latest = self.active_update(update.station_id)
            if latest is not None and latest.task_token is not None and latest.reported is None:
                return self.report_outcome(latest, outcome)  # the task began waiting meanwhile
        return None

    def end_update(self, station_id: str, campaign_id: str, task_token: str | None = None) -> bool:
        """Removes the station's update in progress (only this campaign's; only while it still holds
        ``task_token`` when given). False when it was not there any more."""
        condition = _UPDATE_OF_CAMPAIGN + (f" AND {_TOKEN_IS}" if task_token else "")
        values: dict[str, Any] = {":campaign": {"S": campaign_id}}
        if task_token:
            values[":token"] = {"S": task_token}
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=_update_key(station_id),
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if is_conditional_check_failure(error):
                return False
            raise
        return True
