"""Step Functions locally: moto's ASL interpreter runs the declared workflows, and their Lambda tasks run
our handlers through :class:`~tools.local_platform.lambda_runtime.LambdaRuntime`.

moto executes state machines only when its ``stepfunctions.execute_state_machine`` setting is on (the
moto server's ``/moto-api/config`` endpoint, or ``mock_aws(config=EXECUTE_STATE_MACHINES)`` in-process).
Its Lambda tasks call ``lambda:Invoke`` through a client built from boto3's default session; a botocore
``before-call.lambda.Invoke`` handler on that session answers the call with our function's result instead
(moto's own Lambda would need Docker). Executions run on moto's background threads: wait with
:meth:`WorkflowRunner.wait`, never a fixed sleep.

The same pieces serve the local platform (moto server) and tests on ``mock_aws``
(:func:`in_process_workflows`).
"""

from __future__ import annotations

import contextlib
import io
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
from moto.core.config import DefaultConfig

from shared.catalog import FUNCTIONS, FunctionSpec
from shared.workflows.definitions import WorkflowSpec
from tools.local_platform.grants import Resources
from tools.local_platform.lambda_context import FunctionUnavailableError, Handler
from tools.local_platform.lambda_runtime import FunctionError, LambdaRuntime

EXECUTE_STATE_MACHINES: DefaultConfig = {"stepfunctions": {"execute_state_machine": True}}
"""moto's setting that makes StartExecution run the definition (pass to ``mock_aws(config=...)``)."""
STATE_MACHINE_ROLE = "arn:aws:iam::{account}:role/csms-local-workflows"
"""moto needs a role ARN; nothing checks it (IAM on the state machine role is not emulated)."""
_FUNCTIONS_PATH = "/functions/"


class _Response:
    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        self.headers: dict[str, str] = {}
        self.content = b""
        self.raw = None


class LambdaTaskRouter:
    """The ``before-call.lambda.Invoke`` handler: runs the named function on the runtime and answers
    like the Lambda service (``FunctionError: Unhandled`` and the error payload on failure)."""

    def __init__(self, runtime: LambdaRuntime) -> None:
        self._runtime = runtime

    def __call__(self, params: Mapping[str, Any], **_: Any) -> tuple[_Response, dict[str, Any]] | None:
        path = str(params.get("url_path", ""))
        if _FUNCTIONS_PATH not in path:
            return None
        reference = urllib.parse.unquote(path.split(_FUNCTIONS_PATH, 1)[1].split("/", 1)[0])
        name = reference.rsplit(":function:", 1)[-1].split(":", 1)[0]
        if not self._runtime.has(name):
            return None  # not ours: let the request go where it was going
        body = params.get("body") or b"{}"
        event = json.loads(body) if body else {}
        headers = {str(k).lower(): v for k, v in (params.get("headers") or {}).items()}
        if headers.get("x-amz-invocation-type") == "Event":
            threading.Thread(target=self._ignore_errors, args=(name, event), daemon=True).start()
            return _Response(202), {"StatusCode": 202, "Payload": io.BytesIO(b""), "ResponseMetadata": {}}
        parsed: dict[str, Any] = {"StatusCode": 200, "ExecutedVersion": "$LATEST", "ResponseMetadata": {}}
        try:
            result = self._runtime.call(name, event)
        except FunctionError as error:
            parsed["FunctionError"] = "Unhandled"
            result = error.payload
        except FunctionUnavailableError as error:
            parsed["FunctionError"] = "Unhandled"
            result = {"errorType": "Runtime.ImportModuleError", "errorMessage": str(error)}
        parsed["Payload"] = io.BytesIO(json.dumps(result).encode())
        return _Response(200), parsed

    def _ignore_errors(self, name: str, event: Any) -> None:
        with contextlib.suppress(FunctionError, FunctionUnavailableError):
            self._runtime.call(name, event)


def _default_session() -> Any:
    if boto3.DEFAULT_SESSION is None:
        boto3.setup_default_session()
    return boto3.DEFAULT_SESSION


@dataclass(frozen=True)
class ExecutionResult:
    status: str
    output: Any
    error: str | None
    cause: str | None
    history: list[str] = field(default_factory=list)
    """Event types, in order (``TaskFailed``, ``TaskSucceeded``…)."""


class WorkflowRunner:
    """Starts executions of the declared workflows and waits for them (moto server or ``mock_aws``)."""

    def __init__(self, client: Any, state_machine_arns: Mapping[str, str]) -> None:
        self._client = client
        self.state_machine_arns = dict(state_machine_arns)

    def start(self, workflow: str, payload: Any = None) -> str:
        response = self._client.start_execution(
            stateMachineArn=self.state_machine_arns[workflow], input=json.dumps(payload or {})
        )
        return str(response["executionArn"])

    def describe(self, execution_arn: str) -> dict[str, Any]:
        description: dict[str, Any] = self._client.describe_execution(executionArn=execution_arn)
        return description

    def wait(self, execution_arn: str, timeout: float = 15.0, poll_seconds: float = 0.05) -> ExecutionResult:
        deadline = time.monotonic() + timeout
        while True:
            description = self.describe(execution_arn)
            if description["status"] != "RUNNING":
                break
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution_arn} still RUNNING after {timeout} s")
            time.sleep(poll_seconds)
        events = self._client.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        output = description.get("output")
        return ExecutionResult(
            status=str(description["status"]),
            output=json.loads(output) if output else None,
            error=description.get("error"),
            cause=description.get("cause"),
            history=[str(event["type"]) for event in events],
        )

    def run(self, workflow: str, payload: Any = None, timeout: float = 15.0) -> ExecutionResult:
        return self.wait(self.start(workflow, payload), timeout)


class LocalWorkflows:
    """Creates the declared state machines and routes their Lambda tasks to the runtime."""

    def __init__(self, workflows: Sequence[WorkflowSpec], runtime: LambdaRuntime, *, account_id: str) -> None:
        self._workflows = tuple(workflows)
        self._runtime = runtime
        self._account_id = account_id
        self._router = LambdaTaskRouter(runtime)
        self._session: Any = None
        self.state_machine_arns: dict[str, str] = {}

    def install(self) -> None:
        """Routes Lambda tasks to the runtime (before any execution can start)."""
        self._session = _default_session()
        self._session.events.register("before-call.lambda.Invoke", self._router, unique_id=f"csms-{id(self)}")

    def create(self, client: Any) -> dict[str, str]:
        for workflow in self._workflows:
            definition = workflow.render(
                {spec.name: self._runtime.function_arn(spec.name) for spec in workflow.invokes}
            )
            response = client.create_state_machine(
                name=workflow.name,
                definition=definition,
                roleArn=STATE_MACHINE_ROLE.format(account=self._account_id),
                type="EXPRESS" if workflow.express else "STANDARD",
            )
            self.state_machine_arns[workflow.name] = str(response["stateMachineArn"])
        return dict(self.state_machine_arns)

    def expected_arns(self, region: str) -> dict[str, str]:
        """The ARNs moto will give the state machines (the functions' environments need them first)."""
        return {
            workflow.name: f"arn:aws:states:{region}:{self._account_id}:stateMachine:{workflow.name}"
            for workflow in self._workflows
        }

    def uninstall(self) -> None:
        if self._session is not None:
            self._session.events.unregister("before-call.lambda.Invoke", unique_id=f"csms-{id(self)}")
            self._session = None


def mock_resources(region: str = "us-east-1", account_id: str = "123456789012") -> Resources:
    from shared.storage.tables import ALL_TABLES
    from tools.local_platform.aws_backend import EVENT_BUS_NAME, default_settings

    settings = default_settings()
    return Resources(
        tables={settings.table_name(table): table for table in ALL_TABLES},
        event_bus_name=EVENT_BUS_NAME,
        state_machine_names={},
        region=region,
        account_id=account_id,
    )


@contextmanager
def in_process_workflows(
    workflows: Sequence[WorkflowSpec],
    *,
    handlers: Mapping[str, Handler] | None = None,
    functions: Sequence[FunctionSpec] = FUNCTIONS,
    region: str = "us-east-1",
    account_id: str = "123456789012",
) -> Iterator[WorkflowRunner]:
    """Inside an active ``mock_aws(config=EXECUTE_STATE_MACHINES)``: creates ``workflows`` and yields a
    runner whose Lambda tasks run ``functions``' handlers in this process (``handlers`` replace some by
    name), each with its catalog grants enforced."""
    runtime = LambdaRuntime(
        functions, region=region, account_id=account_id, overrides=handlers, isolation="thread"
    )
    local = LocalWorkflows(workflows, runtime, account_id=account_id)
    resources = mock_resources(region, account_id)
    runtime.configure(lambda spec: {}, resources)
    local.install()
    client = boto3.client("stepfunctions", region_name=region)
    try:
        arns = local.create(client)
        runtime.configure(
            lambda spec: {},
            Resources(
                tables=resources.tables,
                event_bus_name=resources.event_bus_name,
                state_machine_names={arn: name for name, arn in arns.items()},
                region=region,
                account_id=account_id,
            ),
        )
        yield WorkflowRunner(client, arns)
    finally:
        local.uninstall()
        runtime.shutdown()
