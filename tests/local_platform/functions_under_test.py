"""Throwaway functions, rules and a workflow for the local platform's tests: real handler modules (a
worker process imports them by path, as Lambda does) declared with ``FunctionSpec``s of their own."""

from __future__ import annotations

import json
import os
from typing import Any

import boto3

from shared.catalog import EVENT_SOURCE, FUNCTIONS, EventRule, FunctionSpec, ScheduleRule
from shared.storage.tables import SITES, STATIONS
from shared.workflows.definitions import WorkflowSpec, invoke_function

_MODULE = __name__


class TransientError(Exception):
    """What the flaky task raises on its first attempt (retried by name in the workflow's Retry)."""


_failed_once: set[str] = set()


def flaky_reserve(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Fails the first time it sees a request, then succeeds (state lives in the warm container)."""
    request = str(event["request"])
    if request not in _failed_once:
        _failed_once.add(request)
        raise TransientError(f"{request}: not yet")
    return {"request": request, "needsApproval": bool(event.get("needsApproval", True)), "reserved": True}


def park_token(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """The token task: asks for approval by publishing an event that carries the task token."""
    boto3.client("events").put_events(
        Entries=[
            {
                "Source": EVENT_SOURCE,
                "DetailType": "ApprovalRequested",
                "Detail": json.dumps({"request": event["request"], "taskToken": event["token"]}),
                "EventBusName": os.environ["EVENT_BUS_NAME"],
            }
        ]
    )
    return {"parked": True}


def approve(event: dict[str, Any], context: Any) -> None:
    """An EventBridge target: resumes the waiting execution with SendTaskSuccess."""
    detail = event["detail"]
    boto3.client("stepfunctions").send_task_success(
        taskToken=detail["taskToken"],
        output=json.dumps({"approvedBy": event["source"], "request": detail["request"]}),
    )


def report_environment(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return {"environment": dict(os.environ), "pid": os.getpid(), "function": context.function_name}


def read_table(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Reads (or writes) the table named in the event; AWS errors are returned, not raised."""
    client = boto3.client("dynamodb")
    try:
        if event.get("write"):
            client.put_item(
                TableName=event["table"], Item={"stationId": {"S": "probe"}, "tenantId": {"S": "t"}}
            )
        else:
            client.get_item(TableName=event["table"], Key={"stationId": {"S": "probe"}})
    except client.exceptions.ClientError as error:
        return {"error": error.response["Error"]["Code"], "message": error.response["Error"]["Message"]}
    return {"error": None}


def complete_without_grant(event: dict[str, Any], context: Any) -> dict[str, Any]:
    client = boto3.client("stepfunctions")
    try:
        client.send_task_success(taskToken="not-a-token", output="{}")
    except client.exceptions.ClientError as error:
        return {"error": error.response["Error"]["Code"]}
    return {"error": None}


def fail_always(event: dict[str, Any], context: Any) -> None:
    raise RuntimeError("this target always fails")


def sleep_past_timeout(event: dict[str, Any], context: Any) -> None:
    import time

    time.sleep(3)


def _spec(name: str, **grants: Any) -> FunctionSpec:
    return FunctionSpec(name=name, handler=f"{_MODULE}.{name}", description=f"test: {name}", **grants)


FLAKY_RESERVE = _spec("flaky_reserve")
PARK_TOKEN = _spec("park_token", publishes_events=True)
APPROVE = _spec("approve", completes_workflow_tasks=True)
REPORT_ENVIRONMENT = _spec("report_environment", tables={STATIONS: "read"}, publishes_events=True)
READ_STATIONS = FunctionSpec(
    name="read_stations",
    handler=f"{_MODULE}.read_table",
    description="reads stations",
    tables={STATIONS: "read"},
)
READ_NOTHING = FunctionSpec(
    name="read_nothing", handler=f"{_MODULE}.read_table", description="no table grant"
)
READ_SITES = FunctionSpec(
    name="read_sites", handler=f"{_MODULE}.read_table", description="sites", tables={SITES: "read"}
)
COMPLETE_WITHOUT_GRANT = _spec("complete_without_grant")
FAIL_ALWAYS = _spec("fail_always")
SLEEP_PAST_TIMEOUT = FunctionSpec(
    name="sleep_past_timeout", handler=f"{_MODULE}.sleep_past_timeout", description="slow", timeout_seconds=1
)

TEST_FUNCTIONS = (
    FLAKY_RESERVE,
    PARK_TOKEN,
    APPROVE,
    REPORT_ENVIRONMENT,
    READ_STATIONS,
    READ_NOTHING,
    READ_SITES,
    COMPLETE_WITHOUT_GRANT,
    FAIL_ALWAYS,
    SLEEP_PAST_TIMEOUT,
)
ALL_FUNCTIONS = (*FUNCTIONS, *TEST_FUNCTIONS)

APPROVAL_RULE = EventRule("approve_requests", detail_types=("ApprovalRequested",), target=APPROVE)

RESERVE_WORKFLOW = WorkflowSpec(
    name="reserve_with_approval",
    description="test: a retried task, a choice, and a wait for a task token",
    definition={
        "StartAt": "Reserve",
        "States": {
            "Reserve": invoke_function(
                FLAKY_RESERVE,
                next_state="NeedsApproval",
                retry=[
                    {
                        "ErrorEquals": ["TransientError"],
                        "IntervalSeconds": 1,
                        "MaxAttempts": 2,
                        "BackoffRate": 1,
                    }
                ],
            ),
            "NeedsApproval": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.needsApproval", "BooleanEquals": True, "Next": "WaitForApproval"}
                ],
                "Default": "Reserved",
            },
            "WaitForApproval": invoke_function(
                PARK_TOKEN,
                payload={"token.$": "$$.Task.Token", "request.$": "$.request"},
                wait_for_task_token=True,
                result_path="$.approval",
                timeout_seconds=30,
                next_state="Reserved",
            ),
            "Reserved": {"Type": "Succeed"},
        },
    },
    invokes=(FLAKY_RESERVE, PARK_TOKEN),
    express=False,
)

EVERY_MINUTE = ScheduleRule("every_minute", "rate(1 minute)", target=REPORT_ENVIRONMENT)
NIGHTLY_WITH_INPUT = ScheduleRule(
    "nightly", "cron(0 2 * * ? *)", target=REPORT_ENVIRONMENT, input={"job": "nightly"}
)
