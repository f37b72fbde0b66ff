"""Keeps moto's in-memory DynamoDB bounded, which is what made a long probe hold 5.1 GB.

Measured (moto 5.2.5, this machine): a 1 KB meter-value item costs about 15 KB of Python objects in moto
(20-40 KB of RSS), a 126 KB DataTransfer payload about 1.3 MB; moto keeps every item until the process
exits and never applies a table's TTL. So the local platform:

- **applies TTL** (as DynamoDB does, but within ``ttl_sweep_seconds`` instead of days): items of tables
  with a ``ttl_attribute`` whose value is in the past are deleted;
- **bounds the history tables** (``HISTORY_TABLES``: meter values, station messages, commands,
  idempotency records): when the items written to them exceed ``budget_bytes`` (DynamoDB item bytes,
  estimated from the request), the oldest written are deleted until 90 % of the budget is left. A local
  deviation, off with ``budget_bytes=0``; stations, sessions, ID tokens and sites are never evicted.

Writes are observed on the wire, by a WSGI middleware in front of moto's server (the DynamoDB JSON API,
not moto's internals); deletions go through the public API.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from shared.storage.tables import COMMANDS, IDEMPOTENCY, METER_VALUES, STATION_MESSAGES, TableDefinition

log = logging.getLogger(__name__)

HISTORY_TABLES: tuple[TableDefinition, ...] = (METER_VALUES, STATION_MESSAGES, COMMANDS, IDEMPOTENCY)
DEFAULT_BUDGET_BYTES = 32 * 1024 * 1024
"""≈ 32,000 one-KB items, 0.5 to 1 GB of moto's memory."""
_TARGET_PREFIX = "DynamoDB_20120810."
_WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def _key(definition: TableDefinition, attributes: Mapping[str, Any]) -> str | None:
    names = [definition.partition_key.name] + ([definition.sort_key.name] if definition.sort_key else [])
    if not all(name in attributes for name in names):
        return None
    return json.dumps({name: attributes[name] for name in names}, sort_keys=True)


class WriteLedger:
    """The history tables' keys in write order, with the size of what was written."""

    def __init__(self, tables: Mapping[str, TableDefinition], budget_bytes: int) -> None:
        self._tables = dict(tables)
        self.budget_bytes = budget_bytes
        self._entries: OrderedDict[tuple[str, str], int] = OrderedDict()
        self._lock = threading.Lock()
        self.total_bytes = 0
        self.evicted = 0

    def put(self, table_name: str, item: Mapping[str, Any], size: int) -> None:
        definition = self._tables.get(table_name)
        key = _key(definition, item) if definition else None
        if key is None:
            return
        with self._lock:
            previous = self._entries.pop((table_name, key), 0)
            self._entries[(table_name, key)] = size
            self.total_bytes += size - previous

    def update(self, table_name: str, key_attributes: Mapping[str, Any], size: int) -> None:
        definition = self._tables.get(table_name)
        key = _key(definition, key_attributes) if definition else None
        if key is None:
            return
        with self._lock:
            if (table_name, key) not in self._entries:
                self._entries[(table_name, key)] = size
                self.total_bytes += size

    def delete(self, table_name: str, key_attributes: Mapping[str, Any]) -> None:
        definition = self._tables.get(table_name)
        key = _key(definition, key_attributes) if definition else None
        if key is None:
            return
        with self._lock:
            self.total_bytes -= self._entries.pop((table_name, key), 0)

    def over_budget(self) -> bool:
        return self.budget_bytes > 0 and self.total_bytes > self.budget_bytes

    def take_oldest(self) -> list[tuple[str, dict[str, Any]]]:
        """Forgets the oldest entries down to 90 % of the budget and returns them (table, key) to delete."""
        taken: list[tuple[str, dict[str, Any]]] = []
        with self._lock:
            while self._entries and self.total_bytes > self.budget_bytes * 0.9:
                (table_name, key), size = self._entries.popitem(last=False)
                self.total_bytes -= size
                taken.append((table_name, json.loads(key)))
        self.evicted += len(taken)
        return taken

    def observe(self, operation: str, body: Mapping[str, Any]) -> None:
        """A successful DynamoDB request, as the client sent it."""
        if operation == "PutItem":
            self.put(str(body.get("TableName")), body.get("Item", {}), len(json.dumps(body.get("Item", {}))))
        elif operation == "UpdateItem":
            self.update(str(body.get("TableName")), body.get("Key", {}), len(json.dumps(body)))
        elif operation == "DeleteItem":
            self.delete(str(body.get("TableName")), body.get("Key", {}))
        elif operation == "BatchWriteItem":
            for table_name, requests in body.get("RequestItems", {}).items():
                for request in requests:
                    if "PutRequest" in request:
                        item = request["PutRequest"].get("Item", {})
                        self.put(table_name, item, len(json.dumps(item)))
                    elif "DeleteRequest" in request:
                        self.delete(table_name, request["DeleteRequest"].get("Key", {}))
        elif operation == "TransactWriteItems":
            for entry in body.get("TransactItems", []):
                if "Put" in entry:
                    item = entry["Put"].get("Item", {})
                    self.put(str(entry["Put"].get("TableName")), item, len(json.dumps(item)))
                elif "Update" in entry:
                    update = entry["Update"]
                    self.update(str(update.get("TableName")), update.get("Key", {}), len(json.dumps(update)))
                elif "Delete" in entry:
                    self.delete(str(entry["Delete"].get("TableName")), entry["Delete"].get("Key", {}))


_OBSERVED = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})


class LedgerMiddleware:
    """WSGI middleware in front of moto's server: successful writes are recorded in the ledger."""

    def __init__(self, app: _WSGIApp, ledger: WriteLedger) -> None:
        self._app = app
        self._ledger = ledger

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        operation = target.removeprefix(_TARGET_PREFIX) if target.startswith(_TARGET_PREFIX) else ""
        if operation not in _OBSERVED:
            return self._app(environ, start_response)
        body = _read_body(environ)
        status: list[str] = []

        def recording_start_response(code: str, headers: Any, exc_info: Any = None) -> Any:
            status.append(code)
            return start_response(code, headers, exc_info) if exc_info else start_response(code, headers)

        result = self._app(environ, recording_start_response)
        if status and status[0].startswith("200"):
            # moto answered it; a request we cannot read is not ours to account
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                self._ledger.observe(operation, json.loads(body))
        return result


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    environ["CONTENT_LENGTH"] = str(len(body))
    return body


class RetentionSweeper:
    """A background thread: evicts over-budget history and deletes TTL-expired items."""

    def __init__(
        self,
        dynamodb: Any,
        ledger: WriteLedger,
        ttl_tables: Mapping[str, str],
        *,
        interval_seconds: float = 2.0,
        ttl_sweep_seconds: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._dynamodb = dynamodb
        self._ledger = ledger
        self._ttl_tables = dict(ttl_tables)
        """Table name → TTL attribute."""
        self._interval = interval_seconds
        self._ttl_every = ttl_sweep_seconds
        self._clock = clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.expired = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="retention-sweeper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        last_ttl_sweep = time.monotonic()
        while not self._stopping.wait(self._interval):
            try:
                self.evict_over_budget()
                if time.monotonic() - last_ttl_sweep >= self._ttl_every:
                    last_ttl_sweep = time.monotonic()
                    self.delete_expired()
            except Exception:
                if self._stopping.is_set():
                    return
                log.exception("retention sweep failed")

    def evict_over_budget(self) -> int:
        if not self._ledger.over_budget():
            return 0
        taken = self._ledger.take_oldest()
        self._delete(taken)
        log.info("evicted %d history items over the local budget", len(taken))
        return len(taken)

    def delete_expired(self) -> int:
        now = int(self._clock())
        expired: list[tuple[str, dict[str, Any]]] = []
        for table_name, attribute in self._ttl_tables.items():
            for item in self._scan_expired(table_name, attribute, now):
                expired.append((table_name, item))
        self._delete(expired)
        for table_name, key in expired:
            self._ledger.delete(table_name, key)
        self.expired += len(expired)
        return len(expired)

    def _scan_expired(self, table_name: str, attribute: str, now: int) -> Iterator[dict[str, Any]]:
        key_names = [
            k["AttributeName"]
            for k in self._dynamodb.describe_table(TableName=table_name)["Table"]["KeySchema"]
        ]
        paginator = self._dynamodb.get_paginator("scan")
        pages = paginator.paginate(
            TableName=table_name,
            FilterExpression="#ttl < :now",
            ExpressionAttributeNames={"#ttl": attribute},
            ExpressionAttributeValues={":now": {"N": str(now)}},
        )
        for page in pages:
            for item in page.get("Items", []):
                yield {name: item[name] for name in key_names}

    def _delete(self, keys: Sequence[tuple[str, dict[str, Any]]]) -> None:
        for start in range(0, len(keys), 25):
            batch: dict[str, list[dict[str, Any]]] = {}
            for table_name, key in keys[start : start + 25]:
                batch.setdefault(table_name, []).append({"DeleteRequest": {"Key": key}})
            while batch:
                response = self._dynamodb.batch_write_item(RequestItems=batch)
                batch = response.get("UnprocessedItems") or {}

    def stop(self) -> None:
        self._stopping.set()
