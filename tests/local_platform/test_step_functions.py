"""Workflows run by moto's interpreter with our handlers as Lambda tasks: in-process on ``mock_aws`` and on
the local platform (worker processes, EventBridge delivery, grants)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from tests.local_platform.functions_under_test import (
    ALL_FUNCTIONS,
    APPROVAL_RULE,
    APPROVE,
    COMPLETE_WITHOUT_GRANT,
    RESERVE_WORKFLOW,
)
from tools.local_platform import LocalPlatform, PlatformConfig
from tools.local_platform.async_invocations import AsyncInvocations
from tools.local_platform.event_rules import EventRuleDelivery
from tools.local_platform.lambda_runtime import LambdaRuntime
from tools.local_platform.step_functions import EXECUTE_STATE_MACHINES, in_process_workflows, mock_resources

pytestmark = pytest.mark.xdist_group("local_platform")

EXPECTED_HISTORY_START = [
    "ExecutionStarted",
    "TaskStateEntered",
    "TaskScheduled",
    "TaskStarted",
    "TaskFailed",
]


def _assert_retried_chose_and_waited(result: Any, request: str) -> None:
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    # the first attempt failed with the handler's own error type, the retry succeeded
    assert result.history[: len(EXPECTED_HISTORY_START)] == EXPECTED_HISTORY_START
    assert result.history.count("TaskFailed") == 1
    assert "ChoiceStateEntered" in result.history
    assert "TaskSubmitted" in result.history  # the token task waited
    assert result.output == {
        "request": request,
        "needsApproval": True,
        "reserved": True,
        "approval": {"approvedBy": "csms.stations", "request": request},
    }


async def test_on_mock_aws_a_retried_task_a_choice_and_a_token_task_succeed() -> None:
    with (
        mock_aws(config=EXECUTE_STATE_MACHINES),
        in_process_workflows([RESERVE_WORKFLOW], functions=ALL_FUNCTIONS) as runner,
    ):
        # Given the approval rule delivered to its target, as the local platform does
        runtime = LambdaRuntime(
            ALL_FUNCTIONS, region="us-east-1", account_id="123456789012", isolation="thread"
        )
        runtime.configure(lambda spec: {}, mock_resources())
        sqs, events = boto3.client("sqs"), boto3.client("events")
        events.create_event_bus(Name="csms-events")
        invocations = AsyncInvocations(runtime, sqs, retry_delays=(0.1, 0.1))
        invocations.bind(asyncio.get_running_loop())
        delivery = EventRuleDelivery(
            [APPROVAL_RULE], invocations, events=events, sqs=sqs, bus_name="csms-events"
        )
        delivery.provision()
        delivery.start()
        try:
            # When the workflow runs (park_token publishes to the bus: it needs EVENT_BUS_NAME)
            with pytest.MonkeyPatch.context() as patch:
                patch.setenv("EVENT_BUS_NAME", "csms-events")
                result = await asyncio.to_thread(runner.run, RESERVE_WORKFLOW.name, {"request": "mock-1"}, 20)
        finally:
            delivery.stop()
            await invocations.stop()
            runtime.shutdown()
    # Then
    _assert_retried_chose_and_waited(result, "mock-1")


async def test_a_choice_can_skip_the_wait() -> None:
    with (
        mock_aws(config=EXECUTE_STATE_MACHINES),
        in_process_workflows([RESERVE_WORKFLOW], functions=ALL_FUNCTIONS) as runner,
    ):
        result = await asyncio.to_thread(
            runner.run, RESERVE_WORKFLOW.name, {"request": "mock-2", "needsApproval": False}, 20
        )
    assert result.status == "SUCCEEDED"
    assert "TaskSubmitted" not in result.history
    assert result.output == {"request": "mock-2", "needsApproval": False, "reserved": True}


@pytest.fixture
async def workflow_platform(tmp_path: Path) -> AsyncIterator[LocalPlatform]:
    platform = LocalPlatform(
        PlatformConfig(gateway_port=0, moto_port=0, state_dir=tmp_path, async_retry_delays=(0.2, 0.2)),
        functions=ALL_FUNCTIONS,
        event_rules=[APPROVAL_RULE],
        workflows=[RESERVE_WORKFLOW],
    )
    await platform.start()
    try:
        yield platform
    finally:
        await platform.stop()


async def test_on_the_local_platform_the_workflow_runs_in_the_function_workers(
    workflow_platform: LocalPlatform,
) -> None:
    # Given the declared state machine, created at start with the local function ARNs
    stepfunctions = workflow_platform.aws_client("stepfunctions")
    (machine,) = stepfunctions.list_state_machines()["stateMachines"]
    definition = stepfunctions.describe_state_machine(stateMachineArn=machine["stateMachineArn"])[
        "definition"
    ]
    assert "${" not in definition
    assert workflow_platform.runtime.function_arn("flaky_reserve") in definition
    # When it runs: flaky_reserve fails once, park_token publishes, the rule delivers to approve, which
    # answers the token from its own worker process
    runner = workflow_platform.workflow_runner()
    result = await asyncio.to_thread(runner.run, RESERVE_WORKFLOW.name, {"request": "local-1"}, 30)
    # Then
    _assert_retried_chose_and_waited(result, "local-1")
    workers = workflow_platform.runtime.worker_pids()
    assert {"flaky_reserve", "park_token", "approve"} <= set(workers)
    assert len({workers["flaky_reserve"], workers["park_token"], workers["approve"]}) == 3


async def test_answering_a_token_needs_the_grant(workflow_platform: LocalPlatform) -> None:
    assert APPROVE.completes_workflow_tasks and not COMPLETE_WITHOUT_GRANT.completes_workflow_tasks
    answer = await workflow_platform.runtime.invoke(COMPLETE_WITHOUT_GRANT.name, {})
    assert answer == {"error": "AccessDeniedException"}
