"""Step Functions task tokens: how a command's outcome resumes the execution that waits on it."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from shared.aws_clients import client
from shared.observability import logger, metrics

# The execution may have moved on: timed out waiting, been stopped or cancelled. Nothing waits then.
_TOKEN_NO_LONGER_WAITED_ON = frozenset({"TaskTimedOut", "TaskDoesNotExist", "InvalidToken"})
_MAX_CAUSE = 32_000  # SendTaskFailure's cause limit is 32,768 characters


@lru_cache(maxsize=1)
def stepfunctions_client() -> Any:
    return client("stepfunctions")


class StepFunctionsCallbacks:
    def __init__(self, client: Any) -> None:
        self._client = client

    def succeed(self, task_token: str, output: dict[str, Any]) -> None:
        self._call("send_task_success", taskToken=task_token, output=json.dumps(output))

    def fail(self, task_token: str, error: str, cause: str) -> None:
        self._call("send_task_failure", taskToken=task_token, error=error[:256], cause=cause[:_MAX_CAUSE])

    def _call(self, operation: str, **request: Any) -> None:
        """The command's outcome is already stored: a workflow that cannot be resumed is logged and
        counted, never turned into an error for the station whose answer completed the command."""
        try:
            getattr(self._client, operation)(**request)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in _TOKEN_NO_LONGER_WAITED_ON:
                logger.info("workflow no longer waits on this command", extra={"code": code})
                return
            logger.exception("workflow not resumed", extra={"code": code})
            metrics.add_metric(name="WorkflowsNotResumed", unit="Count", value=1)
        except BotoCoreError:
            logger.exception("workflow not resumed")
            metrics.add_metric(name="WorkflowsNotResumed", unit="Count", value=1)


class StepFunctionsStarter:
    """Starts executions of declared workflows, by name, with the ARNs the catalog gave the function
    (``WorkflowSpec.state_machine_arn_env_var``)."""

    def __init__(self, client: Any, state_machine_arns: dict[str, str]) -> None:
        self._client = client
        self._arns = state_machine_arns

    def start(self, workflow: str, name: str | None, payload: dict[str, Any]) -> None:
        arn = self._arns.get(workflow)
        if not arn:
            raise RuntimeError(f"no state machine ARN for workflow {workflow} (is it in starts_workflows?)")
        request: dict[str, Any] = {"stateMachineArn": arn, "input": json.dumps(payload)}
        if name is not None:
            request["name"] = name[:80]
        try:
            self._client.start_execution(**request)
        except ClientError as error:
            # A Standard execution's name is unique for 90 days: the run was started already.
            if error.response.get("Error", {}).get("Code") != "ExecutionAlreadyExists":
                raise
            logger.info("workflow already started", extra={"workflow": workflow, "execution": name})
