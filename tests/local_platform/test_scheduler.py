"""``rate()``/``cron()`` schedules fired locally, on a virtual clock (so a five-minute rate takes no time),
and through the platform to a target."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from shared.catalog import FunctionSpec, ScheduleRule
from tests.local_platform.functions_under_test import ALL_FUNCTIONS
from tools.local_platform import LocalPlatform, PlatformConfig
from tools.local_platform.scheduler import LocalScheduler

pytestmark = pytest.mark.xdist_group("local_platform")

TARGET = FunctionSpec(name="scheduled_target", handler="unused.handler", description="test: scheduled")


class VirtualClock:
    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        await asyncio.sleep(0)


class Submitted:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def submit(self, function_name: str, event: dict[str, Any]) -> None:
        self.calls.append((function_name, event))

    def provision_dead_letter_queue(self, function_name: str) -> str:
        return f"queue-of-{function_name}"


async def _run_until(scheduler: LocalScheduler, submitted: Submitted, count: int) -> None:
    scheduler.start()
    async with asyncio.timeout(5):
        while len(submitted.calls) < count:  # noqa: ASYNC110 - the virtual clock advances in the tasks
            await asyncio.sleep(0)
    await scheduler.stop()


async def test_a_rate_counts_from_the_start_and_fires_the_scheduled_event_shape() -> None:
    clock = VirtualClock(datetime(2026, 3, 1, 10, 0, 30, tzinfo=UTC))
    submitted = Submitted()
    rule = ScheduleRule("every_five", "rate(5 minutes)", target=TARGET)
    scheduler = LocalScheduler(
        [rule], submitted, region="eu-west-1", account_id="111122223333", clock=clock, sleep=clock.sleep
    )
    await _run_until(scheduler, submitted, 3)
    assert [at for _, at in scheduler.fired[:3]] == [
        datetime(2026, 3, 1, 10, 5, 30, tzinfo=UTC),
        datetime(2026, 3, 1, 10, 10, 30, tzinfo=UTC),
        datetime(2026, 3, 1, 10, 15, 30, tzinfo=UTC),
    ]
    name, event = submitted.calls[0]
    assert name == TARGET.name
    assert {key: value for key, value in event.items() if key != "id"} == {
        "version": "0",
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": "111122223333",
        "time": "2026-03-01T10:05:30Z",
        "region": "eu-west-1",
        "resources": ["arn:aws:events:eu-west-1:111122223333:rule/every_five"],
        "detail": {},
    }
    assert event["id"] != submitted.calls[1][1]["id"]


async def test_a_cron_fires_at_its_times_with_the_constant_input() -> None:
    clock = VirtualClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    submitted = Submitted()
    rule = ScheduleRule("weekday_nights", "cron(30 2 ? * MON-FRI *)", target=TARGET, input={"job": "close"})
    scheduler = LocalScheduler(
        [rule], submitted, region="us-east-1", account_id="1", clock=clock, sleep=clock.sleep
    )
    await _run_until(scheduler, submitted, 2)
    # 1 March 2026 is a Sunday: Monday and Tuesday nights
    assert [at for _, at in scheduler.fired[:2]] == [
        datetime(2026, 3, 2, 2, 30, tzinfo=UTC),
        datetime(2026, 3, 3, 2, 30, tzinfo=UTC),
    ]
    assert submitted.calls[0] == (TARGET.name, {"job": "close"})


async def test_the_platform_fires_schedules_to_their_targets(tmp_path: Path) -> None:
    received: list[dict[str, Any]] = []
    lock = threading.Lock()

    def record(event: dict[str, Any], context: Any) -> None:
        with lock:
            received.append(event)

    rule = ScheduleRule("hourly_check", "rate(1 hour)", target=TARGET)
    platform = LocalPlatform(
        PlatformConfig(gateway_port=0, moto_port=0, state_dir=tmp_path),
        handler_overrides={TARGET.name: record},
        functions=(*ALL_FUNCTIONS, TARGET),
        schedules=[rule],
    )
    await platform.start()
    try:
        # Given the rule in moto, where the console and CLI would list it
        rules = platform.aws_client("events").list_rules()["Rules"]
        assert [(r["Name"], r["ScheduleExpression"]) for r in rules] == [("hourly_check", "rate(1 hour)")]
        # When it fires (an hour is long for a test: fire it now)
        assert platform.scheduler is not None
        platform.scheduler.trigger("hourly_check")
        async with asyncio.timeout(5):
            while not received:  # noqa: ASYNC110 - the target runs on a handler thread
                await asyncio.sleep(0.02)
    finally:
        await platform.stop()
    # Then the target got the scheduled event
    (event,) = received
    assert event["detail-type"] == "Scheduled Event"
    assert event["resources"] == [f"arn:aws:events:us-east-1:{platform.config.account_id}:rule/hourly_check"]
