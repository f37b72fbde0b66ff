"""moto's in-memory tables stay bounded: TTL is applied, and the history tables keep a budget of bytes,
oldest writes evicted first; stations and sessions are never touched."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from shared.storage.tables import COMMANDS, SESSIONS, STATION_MESSAGES
from tools.local_platform import LocalPlatform, PlatformConfig
from tools.local_platform.data_retention import WriteLedger

pytestmark = pytest.mark.xdist_group("local_platform")

BUDGET = 40_000


@pytest.fixture
async def bounded(tmp_path: Path) -> AsyncIterator[LocalPlatform]:
    platform = LocalPlatform(
        PlatformConfig(
            gateway_port=0, moto_port=0, state_dir=tmp_path, start_moto=True, history_budget_bytes=BUDGET
        ),
        handler_overrides={},
    )
    await platform.start()
    try:
        yield platform
    finally:
        await platform.stop()


def _message(number: int, size: int = 1000) -> dict[str, Any]:
    return {
        "stationKey": {"S": "CP-1"},
        "messageKey": {"S": f"DataTransfer#{number:04d}"},
        "data": {"S": "x" * size},
    }


def _keys(client: Any, table: str) -> list[str]:
    items = client.scan(TableName=table)["Items"]
    return sorted(item.get("messageKey", item.get("sessionId", {"S": "?"}))["S"] for item in items)


async def test_the_oldest_history_is_evicted_beyond_the_budget(bounded: LocalPlatform) -> None:
    dynamodb = bounded.aws_client("dynamodb")
    # Given twice the budget written to a history table, and a session (not history)
    for number in range(80):
        await asyncio.to_thread(
            dynamodb.put_item, TableName=STATION_MESSAGES.default_name, Item=_message(number)
        )
    await asyncio.to_thread(
        dynamodb.put_item,
        TableName=SESSIONS.default_name,
        Item={"sessionId": {"S": "S-1"}, "tenantId": {"S": "t"}, "stationId": {"S": "CP-1"}},
    )
    assert bounded.ledger.over_budget()
    # When the sweeper runs
    assert bounded.sweeper is not None
    evicted = await asyncio.to_thread(bounded.sweeper.evict_over_budget)
    # Then the oldest went, the newest stay, and what is left fits the budget
    remaining = await asyncio.to_thread(_keys, dynamodb, STATION_MESSAGES.default_name)
    assert evicted == 80 - len(remaining)
    assert remaining == [f"DataTransfer#{n:04d}" for n in range(80 - len(remaining), 80)]
    assert len(remaining) * 1000 <= BUDGET
    assert bounded.ledger.total_bytes <= BUDGET
    assert await asyncio.to_thread(_keys, dynamodb, SESSIONS.default_name) == ["S-1"]


async def test_expired_items_are_deleted_as_dynamodb_ttl_would(bounded: LocalPlatform) -> None:
    dynamodb = bounded.aws_client("dynamodb")
    now = int(time.time())
    for command_id, expires_at in (("old", now - 10), ("fresh", now + 3600)):
        await asyncio.to_thread(
            dynamodb.put_item,
            TableName=COMMANDS.default_name,
            Item={"commandId": {"S": command_id}, COMMANDS.ttl_attribute or "": {"N": str(expires_at)}},
        )
    assert bounded.sweeper is not None
    assert await asyncio.to_thread(bounded.sweeper.delete_expired) == 1
    items = (await asyncio.to_thread(dynamodb.scan, TableName=COMMANDS.default_name))["Items"]
    assert [item["commandId"]["S"] for item in items] == ["fresh"]


def test_the_ledger_counts_rewrites_once_and_forgets_deletes() -> None:
    ledger = WriteLedger({"messages": STATION_MESSAGES}, budget_bytes=250)
    key = {"stationKey": {"S": "A"}, "messageKey": {"S": "1"}}
    ledger.observe("PutItem", {"TableName": "messages", "Item": {**key, "data": {"S": "x" * 50}}})
    ledger.observe("PutItem", {"TableName": "messages", "Item": {**key, "data": {"S": "x" * 60}}})
    assert (
        ledger.total_bytes
        == len('{"stationKey": {"S": "A"}, "messageKey": {"S": "1"}, "data": {"S": ""}}') + 60
    )
    ledger.observe("DeleteItem", {"TableName": "messages", "Key": key})
    assert ledger.total_bytes == 0
    ledger.observe("PutItem", {"TableName": "not-history", "Item": {**key}})
    assert ledger.total_bytes == 0
    for number in range(5):
        item = {"stationKey": {"S": "A"}, "messageKey": {"S": str(number)}, "data": {"S": "x" * 40}}
        ledger.observe("BatchWriteItem", {"RequestItems": {"messages": [{"PutRequest": {"Item": item}}]}})
    size = ledger.total_bytes // 5  # ≈ 95 bytes each: 475 > 250
    assert ledger.over_budget()
    # oldest first, down to 90 % of the budget (225 bytes: two items of 95 stay)
    oldest = ledger.take_oldest()
    assert [key["messageKey"]["S"] for _, key in oldest] == ["0", "1", "2"]
    assert ledger.total_bytes == 2 * size <= 225
