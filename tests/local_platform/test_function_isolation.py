"""Each local function sees only the environment and the grants the catalog gives it, in a process of its
own, and fails like Lambda (errors, timeouts, missing handlers)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from shared.catalog import WS_AUTHORIZER, WS_DEFAULT, FunctionSpec
from shared.storage.tables import (
    ALL_TABLES,
    BILLING_ACCOUNTS,
    BILLING_SETTINGS,
    CDRS,
    SITES,
    STATIONS,
    TableDefinition,
)
from tests.local_platform.functions_under_test import (
    ALL_FUNCTIONS,
    FAIL_ALWAYS,
    READ_NOTHING,
    READ_SITES,
    READ_STATIONS,
    REPORT_ENVIRONMENT,
    SLEEP_PAST_TIMEOUT,
)
from tools.local_platform import LocalPlatform, PlatformConfig
from tools.local_platform.grants import GrantPolicy, Resources
from tools.local_platform.lambda_runtime import FunctionError, FunctionUnavailableError

pytestmark = pytest.mark.xdist_group("local_platform")

MISSING_MODULE = FunctionSpec(
    name="missing_module", handler="functions.not_there.handler.handler", description="x"
)


@pytest.fixture
async def isolated(tmp_path: Path) -> AsyncIterator[LocalPlatform]:
    platform = LocalPlatform(
        PlatformConfig(
            gateway_port=0,
            moto_port=0,
            state_dir=tmp_path,
            function_environment={"COMMAND_TIMEOUT_SECONDS": "7"},
        ),
        functions=(*ALL_FUNCTIONS, MISSING_MODULE),
    )
    await platform.start()
    try:
        yield platform
    finally:
        await platform.stop()


async def test_a_function_sees_only_its_catalog_environment(isolated: LocalPlatform) -> None:
    # Given a function granted the stations table and the bus, nothing else
    # When it reports its environment from inside its worker
    report = await isolated.runtime.invoke(REPORT_ENVIRONMENT.name, {})
    environment: dict[str, str] = report["environment"]
    # Then it has its grants' variables, the runtime's, the extra ones, and no other table or endpoint
    assert environment["STATIONS_TABLE"] == "csms-stations"
    assert environment["EVENT_BUS_NAME"] == "csms-events"
    assert "MANAGEMENT_API_ENDPOINT" not in environment
    assert {table.env_var for table in ALL_TABLES if table.env_var in environment} == {STATIONS.env_var}
    assert environment["AWS_LAMBDA_FUNCTION_NAME"] == REPORT_ENVIRONMENT.name
    assert environment["COMMAND_TIMEOUT_SECONDS"] == "7"
    assert report["function"] == REPORT_ENVIRONMENT.name
    # and it runs in a process of its own, kept warm between invocations
    again = await isolated.runtime.invoke(REPORT_ENVIRONMENT.name, {})
    assert again["pid"] == report["pid"] == isolated.runtime.worker_pids()[REPORT_ENVIRONMENT.name]


@pytest.mark.parametrize(
    ("spec", "table", "write", "denied"),
    [
        (READ_STATIONS, STATIONS, False, False),
        (READ_STATIONS, STATIONS, True, True),  # read grant, PutItem
        (READ_NOTHING, STATIONS, False, True),
        (READ_SITES, STATIONS, False, True),  # another table's grant
    ],
    ids=["granted-read", "read-only-write", "no-grant", "other-table"],
)
async def test_a_missing_table_grant_is_access_denied(
    isolated: LocalPlatform, spec: FunctionSpec, table: TableDefinition, write: bool, denied: bool
) -> None:
    answer = await isolated.runtime.invoke(spec.name, {"table": table.default_name, "write": write})
    if denied:
        assert answer["error"] == "AccessDeniedException"
        action = "dynamodb:PutItem" if write else "dynamodb:GetItem"
        assert f"{spec.name}-role/{spec.name} is not authorized to perform: {action}" in answer["message"]
        assert f"table/{table.default_name}" in answer["message"]
    else:
        assert answer == {"error": None}


async def test_function_errors_timeouts_and_missing_handlers_fail_like_lambda(
    isolated: LocalPlatform,
) -> None:
    with pytest.raises(FunctionError) as failed:
        await isolated.runtime.invoke(FAIL_ALWAYS.name, {})
    assert failed.value.error_type == "RuntimeError"
    assert str(failed.value) == "this target always fails"
    assert failed.value.payload["stackTrace"]

    with pytest.raises(FunctionError) as timed_out:
        await isolated.runtime.invoke(SLEEP_PAST_TIMEOUT.name, {})
    assert timed_out.value.error_type == "Sandbox.Timedout"
    assert str(timed_out.value) == "Task timed out after 1.00 seconds"

    with pytest.raises(FunctionUnavailableError, match=r"functions\.not_there"):
        await isolated.runtime.invoke(MISSING_MODULE.name, {})


def _resources() -> Resources:
    return Resources(
        tables={table.default_name: table for table in ALL_TABLES},
        event_bus_name="csms-events",
        state_machine_names={"arn:aws:states:us-east-1:1:stateMachine:billing": "billing"},
        region="us-east-1",
        account_id="000000000000",
    )


def _body(payload: dict[str, Any]) -> dict[str, Any]:
    return {"body": json.dumps(payload).encode()}


def test_the_policy_reads_each_request_as_iam_would() -> None:
    # Given $default's grants as the catalog declares them
    policy = GrantPolicy(WS_DEFAULT, _resources())
    # Then writes to its tables pass, per item in transactions and batches too
    assert policy.check("dynamodb", "PutItem", _body({"TableName": "csms-sessions"})) is None
    transact = {
        "TransactItems": [{"Put": {"TableName": "csms-sessions"}}, {"Update": {"TableName": "csms-stations"}}]
    }
    assert policy.check("dynamodb", "TransactWriteItems", _body(transact)) is None
    # a table it has no grant for, in any position, is denied
    transact["TransactItems"].append({"ConditionCheck": {"TableName": CDRS.default_name}})
    denial = policy.check("dynamodb", "TransactWriteItems", _body(transact))
    assert denial is not None and "dynamodb:ConditionCheckItem" in denial.message
    batch: dict[str, Any] = {"RequestItems": {"csms-sessions": [], SITES.default_name: []}}
    assert policy.check("dynamodb", "BatchWriteItem", _body(batch)) is not None
    # tables it only reads (what a 2.0.1 totalCost needs: tariffs, driver groups, the site's time zone)
    for read_only in (SITES, BILLING_SETTINGS, BILLING_ACCOUNTS):
        assert policy.check("dynamodb", "GetItem", _body({"TableName": read_only.default_name})) is None
        batch_get: dict[str, Any] = {"RequestItems": {read_only.default_name: {"Keys": []}}}
        assert policy.check("dynamodb", "BatchGetItem", _body(batch_get)) is None
        assert policy.check("dynamodb", "PutItem", _body({"TableName": read_only.default_name})) is not None
    # Scan and DescribeTable are never granted
    assert policy.check("dynamodb", "Scan", _body({"TableName": "csms-sessions"})) is not None
    # the bus it publishes to, and only that one
    assert (
        policy.check("eventbridge", "PutEvents", _body({"Entries": [{"EventBusName": "csms-events"}]}))
        is None
    )
    assert (
        policy.check("eventbridge", "PutEvents", _body({"Entries": [{"EventBusName": "default"}]}))
        is not None
    )
    # @connections: granted; anything else (S3, Lambda, Step Functions) denied
    assert policy.check("apigatewaymanagementapi", "PostToConnection", {}) is None
    assert policy.check("s3", "GetObject", {}) is not None
    assert policy.check("sfn", "StartExecution", _body({"stateMachineArn": "x"})) is not None


def test_the_authorizer_may_only_read_stations() -> None:
    policy = GrantPolicy(WS_AUTHORIZER, _resources())
    assert policy.check("dynamodb", "GetItem", _body({"TableName": "csms-stations"})) is None
    assert policy.check("dynamodb", "UpdateItem", _body({"TableName": "csms-stations"})) is not None
    forbidden = policy.check("apigatewaymanagementapi", "PostToConnection", {})
    assert forbidden is not None and (forbidden.status, forbidden.code) == (403, "ForbiddenException")
    assert policy.check("eventbridge", "PutEvents", _body({"Entries": []})) is not None


def test_starting_a_workflow_needs_it_named_in_the_spec() -> None:
    starter = FunctionSpec(name="starter", handler="x.y", description="d", starts_workflows=("billing",))
    policy = GrantPolicy(starter, _resources())
    arn = "arn:aws:states:us-east-1:1:stateMachine:billing"
    assert policy.check("sfn", "StartExecution", _body({"stateMachineArn": arn})) is None
    assert policy.check("sfn", "StartExecution", _body({"stateMachineArn": arn + "-other"})) is not None
    assert policy.check("sfn", "SendTaskSuccess", _body({"taskToken": "t"})) is not None
