"""The ``rate()``/``cron()`` rules of ``shared.catalog.SCHEDULES``, fired locally.

moto stores schedule rules but never fires them, so this scheduler does: at each time the expression
gives (UTC; a rate counts from the platform's start, as EventBridge counts from the rule's creation) it
invokes the target asynchronously with EventBridge's scheduled-event shape, or with the rule's constant
``input`` when it has one. The rules are also put in moto (default bus), where ``ListRules`` shows them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from shared.catalog import ScheduleRule
from shared.workflows.schedules import parse_schedule
from tools.local_platform.async_invocations import AsyncInvoker

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]


def _now() -> datetime:
    return datetime.now(UTC)


def scheduled_event(rule: ScheduleRule, at: datetime, *, region: str, account_id: str) -> dict[str, Any]:
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account_id,
        "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{account_id}:rule/{rule.name}"],
        "detail": {},
    }


class LocalScheduler:
    def __init__(
        self,
        schedules: Sequence[ScheduleRule],
        invocations: AsyncInvoker,
        *,
        region: str,
        account_id: str,
        clock: Clock = _now,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._schedules = tuple(schedules)
        self._invocations = invocations
        self._region = region
        self._account_id = account_id
        self._clock = clock
        self._sleep = sleep
        self._tasks: list[asyncio.Task[None]] = []
        self.fired: list[tuple[str, datetime]] = []

    def provision(self, events: Any) -> None:
        for rule in self._schedules:
            events.put_rule(Name=rule.name, ScheduleExpression=rule.expression, State="ENABLED")
            self._invocations.provision_dead_letter_queue(rule.target.name)

    def start(self) -> None:
        started = self._clock()
        self._tasks = [
            asyncio.create_task(self._run(rule, started), name=rule.name) for rule in self._schedules
        ]

    def trigger(self, name: str) -> None:
        """Fires one rule now, outside its schedule (tests; a developer checking a handler)."""
        rule = next(rule for rule in self._schedules if rule.name == name)
        self._fire(rule, self._clock())

    def _fire(self, rule: ScheduleRule, at: datetime) -> None:
        self.fired.append((rule.name, at))
        event = (
            dict(rule.input)
            if rule.input is not None
            else scheduled_event(rule, at, region=self._region, account_id=self._account_id)
        )
        self._invocations.submit(rule.target.name, event)

    async def _run(self, rule: ScheduleRule, started: datetime) -> None:
        schedule = parse_schedule(rule.expression)
        previous = started
        while True:
            due = schedule.next_after(previous)
            if due is None:
                log.info("%s: no firing time left", rule.name)
                return
            delay = (due - self._clock()).total_seconds()
            if delay > 0:
                await self._sleep(delay)
            self._fire(rule, due)
            previous = due

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=1)
        self._tasks = []
