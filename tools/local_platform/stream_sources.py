"""The DynamoDB stream → Lambda event source mappings of ``shared.catalog`` (``FunctionSpec.stream_of``),
run locally against moto's stream API.

moto records every write to a table with a stream but invokes nothing, so this does what Lambda's event
source mapping does (infra/functions.py configures the same): it reads each shard from LATEST, gathers
records until ``STREAM_BATCH_SIZE`` or the function's batching window is reached, invokes the function
synchronously with the event Lambda delivers (``{"Records": [...]}`` with ``eventSourceARN``), and
honours partial batch responses: the batch is retried from the first failed record, up to
``STREAM_RETRY_ATTEMPTS`` times, then those records go to the function's dead-letter queue and the
mapping moves on. A function error retries the whole batch the same way.

moto keeps a stream's records for ever (its sequence numbers are list positions); once a batch is
handled, the records read so far are dropped from moto's shard (``trim_consumed``), so a long local run
does not grow by every meter value written.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from infra.constants import STREAM_BATCH_SIZE, STREAM_RETRY_ATTEMPTS
from shared.catalog import FunctionSpec
from tools.local_platform.async_invocations import AsyncInvocations
from tools.local_platform.lambda_runtime import FunctionError, FunctionUnavailableError, LambdaRuntime

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
"""Lambda polls a shard about four times a second; twice is close enough locally."""


@dataclass
class _Mapping:
    spec: FunctionSpec
    table_name: str
    stream_arn: str
    batching_window_seconds: float
    iterators: dict[str, str | None] = field(default_factory=dict)
    buffer: list[dict[str, Any]] = field(default_factory=list)
    first_buffered_at: float | None = None


def _failed_from(response: Any, batch: Sequence[dict[str, Any]]) -> int | None:
    """Index in ``batch`` from which Lambda retries after a partial batch response, None: all done."""
    if not isinstance(response, Mapping):
        return None
    failures = response.get("batchItemFailures") or []
    failed = {str(item.get("itemIdentifier")) for item in failures if isinstance(item, Mapping)}
    for index, record in enumerate(batch):
        if record["dynamodb"]["SequenceNumber"] in failed:
            return index
    return None


class StreamEventSources:
    def __init__(
        self,
        functions: Sequence[FunctionSpec],
        runtime: LambdaRuntime,
        dynamodb: Any,
        streams: Any,
        table_name: Callable[[Any], str],
        invocations: AsyncInvocations,
        *,
        batching_window_seconds: float | None = None,
        trim_consumed: Callable[[str, int], None] | None = None,
    ) -> None:
        """``batching_window_seconds`` overrides every function's window (tests); ``trim_consumed(table,
        sequence)`` drops moto's records up to that sequence number once they are handled."""
        self._specs = [spec for spec in functions if spec.stream_of is not None]
        self._runtime = runtime
        self._dynamodb = dynamodb
        self._streams = streams
        self._table_name = table_name
        self._invocations = invocations
        self._window_override = batching_window_seconds
        self._trim = trim_consumed
        self._mappings: list[_Mapping] = []
        self._tasks: list[asyncio.Task[None]] = []
        self.outcomes: Counter[str] = Counter()
        """``batches``, ``records``, ``retried``, ``dead_lettered`` (tests read these)."""

    def provision(self) -> None:
        for spec in self._specs:
            assert spec.stream_of is not None
            name = self._table_name(spec.stream_of)
            arn = self._dynamodb.describe_table(TableName=name)["Table"].get("LatestStreamArn")
            if not arn:
                raise RuntimeError(f"{spec.name} reads the stream of {name}, which has none")
            window = spec.stream_batching_window_seconds
            mapping = _Mapping(
                spec, name, arn, window if self._window_override is None else self._window_override
            )
            for shard in self._streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"]:
                mapping.iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=arn, ShardId=shard["ShardId"], ShardIteratorType="LATEST"
                )["ShardIterator"]
            self._invocations.provision_dead_letter_queue(spec.name)
            self._mappings.append(mapping)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._run(mapping), name=f"stream:{mapping.spec.name}")
            for mapping in self._mappings
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1)
        self._tasks = []

    async def _run(self, mapping: _Mapping) -> None:
        while True:
            try:
                await self._poll(mapping)
            except asyncio.CancelledError:
                raise
            except Exception:  # the mapping keeps polling, as Lambda's does
                log.exception("stream of %s: poll failed", mapping.table_name)
            await asyncio.sleep(POLL_SECONDS)

    async def _poll(self, mapping: _Mapping) -> None:
        for shard_id, iterator in list(mapping.iterators.items()):
            if iterator is None or len(mapping.buffer) >= STREAM_BATCH_SIZE:
                continue
            response = await asyncio.to_thread(
                self._streams.get_records,
                ShardIterator=iterator,
                Limit=STREAM_BATCH_SIZE - len(mapping.buffer),
            )
            mapping.iterators[shard_id] = response.get("NextShardIterator")
            for record in response.get("Records", []):
                record["dynamodb"].pop("ApproximateCreationDateTime", None)  # a datetime in boto3's answer
                mapping.buffer.append({**record, "eventSourceARN": mapping.stream_arn})
        if not mapping.buffer:
            return
        now = time.monotonic()
        if mapping.first_buffered_at is None:
            mapping.first_buffered_at = now
        full = len(mapping.buffer) >= STREAM_BATCH_SIZE
        if not full and now - mapping.first_buffered_at < mapping.batching_window_seconds:
            return
        batch, mapping.buffer, mapping.first_buffered_at = mapping.buffer, [], None
        await self._deliver(mapping, batch)
        if self._trim is not None:
            last = max(int(record["dynamodb"]["SequenceNumber"]) for record in batch)
            await asyncio.to_thread(self._trim, mapping.table_name, last)

    async def _deliver(self, mapping: _Mapping, batch: list[dict[str, Any]]) -> None:
        name = mapping.spec.name
        pending = batch
        for attempt in range(STREAM_RETRY_ATTEMPTS + 1):
            self.outcomes["batches"] += 1
            try:
                response = await self._runtime.invoke(name, {"Records": pending})
                failed = _failed_from(response, pending)
                error = "partial batch failure"
            except (FunctionError, FunctionUnavailableError) as raised:
                failed, error = 0, str(raised)
            if failed is None:
                self.outcomes["records"] += len(pending)
                return
            self.outcomes["records"] += failed
            pending = pending[failed:]
            if attempt < STREAM_RETRY_ATTEMPTS:
                self.outcomes["retried"] += 1
                await asyncio.sleep(min(2**attempt * 0.5, 5.0))
        self.outcomes["dead_lettered"] += len(pending)
        log.warning(
            "%s: %d stream records failed every retry, kept in its DLQ: %s", name, len(pending), error
        )
        await asyncio.to_thread(self._dead_letter, name, mapping, pending)

    def _dead_letter(self, name: str, mapping: _Mapping, records: list[dict[str, Any]]) -> None:
        # What Lambda's on-failure destination receives for a stream: where the records are, not them.
        sequence_numbers = [record["dynamodb"]["SequenceNumber"] for record in records]
        self._invocations.send_dead_letter(
            name,
            json.dumps(
                {
                    "DDBStreamBatchInfo": {
                        "streamArn": mapping.stream_arn,
                        "startSequenceNumber": sequence_numbers[0],
                        "endSequenceNumber": sequence_numbers[-1],
                        "batchSize": len(records),
                    }
                }
            ),
        )
