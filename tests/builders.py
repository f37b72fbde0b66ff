"""Test data builders with valid defaults, and a platform on moto."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.config import Config
from moto import mock_aws

from shared.domain.id_tokens import IdToken, IdTokenStatus
from shared.domain.sessions import session_id_for
from shared.domain.stations import Station, StationContext
from shared.gateway.events import RecordingPublisher
from shared.gateway.object_storage import S3Objects
from shared.ports import StationUnreachableError
from shared.settings import Settings
from shared.storage.buckets import ALL_BUCKETS
from shared.storage.streams import meter_values_from_stream, partial_batch_response
from shared.storage.tables import ALL_TABLES, METER_VALUES, create_table_request
from shared.wiring import Platform, build_platform

T0 = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)


class ManualClock:
    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class RecordingConnections:
    """Stands in for @connections: keeps the frames posted, and can play a closed connection."""

    posted: list[tuple[str, str]] = field(default_factory=list)
    gone: set[str] = field(default_factory=set)
    closed: list[str] = field(default_factory=list)

    def post_frame(self, connection_id: str, frame: str) -> None:
        if connection_id in self.gone:
            raise StationUnreachableError(connection_id)
        self.posted.append((connection_id, frame))

    def close(self, connection_id: str) -> None:
        self.closed.append(connection_id)
        self.gone.add(connection_id)

    def frames_to(self, connection_id: str) -> list[list[Any]]:
        return [json.loads(frame) for target, frame in self.posted if target == connection_id]


@dataclass
class RecordingWorkflows:
    """Stands in for Step Functions' SendTaskSuccess/SendTaskFailure."""

    succeeded: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    failed: list[tuple[str, str, str]] = field(default_factory=list)

    def succeed(self, task_token: str, output: dict[str, Any]) -> None:
        self.succeeded.append((task_token, output))

    def fail(self, task_token: str, error: str, cause: str) -> None:
        self.failed.append((task_token, error, cause))


@dataclass
class RecordingStarter:
    """Stands in for Step Functions' StartExecution: keeps what would have started (idempotent per name)."""

    started: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)

    def start(self, workflow: str, name: str | None, payload: dict[str, Any]) -> None:
        self.started.setdefault(name or f"unnamed-{len(self.started)}", (workflow, payload))

    def of(self, workflow: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.started.values() if name == workflow]


class StreamTap:
    """Reads a table's DynamoDB stream on moto from where it last stopped, in the event shape Lambda's
    event source mapping delivers (what the local platform does on a timer, a test does on demand)."""

    def __init__(self, dynamodb: Any, table_name: str) -> None:
        # botocore addresses stream ARNs at account endpoints (<account>.streams-ddb...), which moto does
        # not serve: use the regional endpoint.
        self._streams = boto3.client(
            "dynamodbstreams",
            region_name="us-east-1",
            config=Config(account_id_endpoint_mode="disabled"),
        )
        self._arn = dynamodb.describe_table(TableName=table_name)["Table"]["LatestStreamArn"]
        self._iterators: dict[str, str | None] = {}

    def take(self) -> dict[str, Any]:
        records: list[dict[str, Any]] = []
        for shard in self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]:
            shard_id = shard["ShardId"]
            if shard_id not in self._iterators:
                self._iterators[shard_id] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard_id, ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
            iterator = self._iterators[shard_id]
            if iterator is None:
                continue
            response = self._streams.get_records(ShardIterator=iterator)
            self._iterators[shard_id] = response.get("NextShardIterator")
            for record in response.get("Records", []):
                record["dynamodb"].pop("ApproximateCreationDateTime", None)  # a datetime in boto3's answer
                records.append({**record, "eventSourceARN": self._arn})
        return {"Records": records}


@dataclass
class PlatformUnderTest:
    platform: Platform
    events: RecordingPublisher
    connections: RecordingConnections
    clock: ManualClock
    workflows: RecordingWorkflows
    meter_stream: StreamTap
    starter: RecordingStarter = field(default_factory=RecordingStarter)

    def deliver_meter_stream(self) -> dict[str, Any]:
        """Runs the session projection over the meter-values records written since the last delivery."""
        failed = self.platform.live_sessions.project(meter_values_from_stream(self.meter_stream.take()))
        return partial_batch_response(failed)


@contextmanager
def platform_on_moto(**settings_overrides: Any) -> Iterator[PlatformUnderTest]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        for table in ALL_TABLES:
            client.create_table(**create_table_request(table))
        s3 = boto3.client("s3", region_name="us-east-1")
        for bucket in ALL_BUCKETS:
            s3.create_bucket(Bucket=bucket.default_name)
        starter = RecordingStarter()
        events = RecordingPublisher()
        connections = RecordingConnections()
        clock = ManualClock()
        workflows = RecordingWorkflows()
        platform = build_platform(
            Settings(**settings_overrides),
            dynamodb=client,
            events=events,
            connections=connections,
            workflows=workflows,
            clock=clock,
            objects=S3Objects(s3, clock),
            starter=starter,
        )
        tap = StreamTap(client, platform.settings.table_name(METER_VALUES))
        yield PlatformUnderTest(platform, events, connections, clock, workflows, tap, starter)


def a_station(**overrides: Any) -> Station:
    values: dict[str, Any] = {"station_id": "CP-1", "tenant_id": "tenant-a", "created_at": T0}
    values.update(overrides)
    return Station(**values)


def an_id_token(**overrides: Any) -> IdToken:
    values: dict[str, Any] = {
        "tenant_id": "tenant-a",
        "id_token": "TAG-1",
        "status": IdTokenStatus.ACCEPTED,
        "created_at": T0,
    }
    values.update(overrides)
    return IdToken(**values)


def a_station_context(**overrides: Any) -> StationContext:
    values: dict[str, Any] = {
        "station_id": "CP-1",
        "tenant_id": "tenant-a",
        "registration_id": "reg-1",
        "protocol": "ocpp1.6",
        "connection_id": "conn-1",
    }
    values.update(overrides)
    return StationContext(**values)


def session_id_of(platform: Platform, station_id: str, transaction_id: object) -> str:
    """The session id of a station's transaction (keyed by the station's current registration)."""
    station = platform.stations.get(station_id)
    assert station is not None, f"station {station_id} is not registered"
    return session_id_for(station_id, station.registration_id, str(transaction_id))
