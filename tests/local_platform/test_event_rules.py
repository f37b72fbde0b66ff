"""EventBridge rules declared once, delivered locally: what the real handlers publish reaches the declared
target in EventBridge's envelope; non-matching events do not; a failing target is retried, then
dead-lettered."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from shared.catalog import EVENT_SOURCE, EventRule, FunctionSpec
from tests.e2e.conftest import DEMO_PASSWORD, OperatorClient, start_charger
from tests.local_platform.functions_under_test import ALL_FUNCTIONS, FAIL_ALWAYS
from tools.local_platform import LocalPlatform, PlatformConfig
from tools.local_platform.async_invocations import ASYNC_RETRY_ATTEMPTS, dead_letter_queue_name
from tools.local_platform.event_rules import ENVELOPE_FIELDS
from tools.simulator import SimulatedCharger

pytestmark = pytest.mark.xdist_group("local_platform")

RECORDER = FunctionSpec(name="record_domain_events", handler="unused.handler", description="test: records")
SESSIONS_AND_CONNECTIONS = EventRule(
    "record_sessions",
    detail_types=("SessionStarted", "SessionStopped", "StationConnected"),
    target=RECORDER,
)
FAILING = EventRule("always_failing", detail_types=("Probe",), target=FAIL_ALWAYS)


class Recorder:
    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, event: dict[str, Any], context: Any) -> None:
        with self._lock:
            self.events.append(event)

    async def wait_for(self, detail_type: str, within: float = 20.0) -> dict[str, Any]:
        async with asyncio.timeout(within):
            while True:
                with self._lock:
                    found = [e for e in self.events if e["detail-type"] == detail_type]
                if found:
                    return found[0]
                await asyncio.sleep(0.05)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
async def rules_platform(tmp_path: Path, recorder: Recorder) -> AsyncIterator[LocalPlatform]:
    platform = LocalPlatform(
        PlatformConfig(gateway_port=0, moto_port=0, state_dir=tmp_path, async_retry_delays=(0.1, 0.1)),
        handler_overrides={RECORDER.name: recorder},
        functions=(*ALL_FUNCTIONS, RECORDER),
        event_rules=[SESSIONS_AND_CONNECTIONS, FAILING],
    )
    await platform.start()
    try:
        yield platform
    finally:
        await platform.stop()


async def test_what_the_handlers_publish_reaches_the_rule_target_in_eventbridge_envelope(
    rules_platform: LocalPlatform, recorder: Recorder
) -> None:
    # Given a registered charger
    async with aiohttp.ClientSession() as http:
        operator = OperatorClient(rules_platform.endpoints.http_api_url, rules_platform.demo_token, http)
        status, _ = await operator.call(
            "POST", "/stations", {"stationId": "RULE-1", "password": DEMO_PASSWORD}
        )
        assert status == 201
        await operator.call("POST", "/id-tokens", {"idToken": "TAG-E2E", "status": "Accepted"})
        chargers: list[SimulatedCharger] = []
        try:
            # When it connects and charges once ($connect and $default publish with boto3 to moto)
            charger = await start_charger(rules_platform, chargers, "RULE-1", sessions=1)
            await charger.wait_until(lambda c: c.planned_sessions_done.is_set(), within=30)
            started = await recorder.wait_for("SessionStarted")
            stopped = await recorder.wait_for("SessionStopped")
            connected = await recorder.wait_for("StationConnected")
        finally:
            for charger in chargers:
                await charger.stop()
    # Then each arrives once, in EventBridge's envelope
    for event in (started, stopped, connected):
        assert tuple(event) == ENVELOPE_FIELDS
        assert event["version"] == "0"
        assert event["source"] == EVENT_SOURCE
        assert event["account"] == rules_platform.config.account_id
        assert event["region"] == rules_platform.config.region
        assert event["resources"] == []
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", event["time"])
        assert event["detail"]["stationId"] == "RULE-1"
    assert started["detail"]["tenantId"] == "demo"
    # only what the pattern names; MeterValues, StationDisconnected… are not delivered
    await asyncio.sleep(1.5)
    assert {e["detail-type"] for e in recorder.events} <= set(SESSIONS_AND_CONNECTIONS.detail_types)
    assert len([e for e in recorder.events if e["detail-type"] == "SessionStarted"]) == 1


async def test_a_failing_target_is_retried_then_dead_lettered(rules_platform: LocalPlatform) -> None:
    # When an event matches a rule whose target always fails
    events = rules_platform.aws_client("events")
    events.put_events(
        Entries=[
            {
                "Source": EVENT_SOURCE,
                "DetailType": "Probe",
                "Detail": json.dumps({"n": 1}),
                "EventBusName": "csms-events",
            }
        ]
    )
    # Then Lambda's two retries run, and the event lands in the function's DLQ with the error
    sqs = rules_platform.aws_client("sqs")
    url = sqs.get_queue_url(QueueName=dead_letter_queue_name(FAIL_ALWAYS.name))["QueueUrl"]
    messages: list[dict[str, Any]] = []
    async with asyncio.timeout(20):
        while not messages:
            messages = (
                await asyncio.to_thread(
                    sqs.receive_message, QueueUrl=url, WaitTimeSeconds=1, MessageAttributeNames=["All"]
                )
            ).get("Messages", [])
    (message,) = messages
    assert json.loads(message["Body"])["detail"] == {"n": 1}
    assert message["MessageAttributes"]["ErrorCode"]["StringValue"] == "RuntimeError"
    assert rules_platform.invocations is not None
    assert rules_platform.invocations.outcomes["retried"] == ASYNC_RETRY_ATTEMPTS
    assert rules_platform.invocations.outcomes["dead_lettered"] == 1
