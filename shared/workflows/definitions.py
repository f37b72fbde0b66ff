"""A Step Functions workflow, declared once: CDK deploys it, the local platform and the tests run it.

The definition is Amazon States Language built as a Python dict. Lambda tasks name their function
with a ``${<function name>}`` placeholder (:func:`function_arn`); CDK hands the placeholders to
CloudFormation's ``DefinitionSubstitutions`` (replaced by the deployed functions' ARNs), and the
local platform replaces them with its own function ARNs through :meth:`WorkflowSpec.render`: the
same text either way.

A new workflow is one module beside this one that builds its :class:`WorkflowSpec` with the helpers
below, plus one entry in ``shared.workflows.registry.WORKFLOWS``; its tasks are ordinary catalog
functions (``shared.catalog.FUNCTIONS``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.catalog import FunctionSpec

LAMBDA_INVOKE = "arn:aws:states:::lambda:invoke"
WAIT_FOR_TASK_TOKEN = ".waitForTaskToken"
_RUN_JOB = ".sync"
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
_SNAKE_CASE = re.compile(r"^[a-z][a-z0-9_]*$")
EXPRESS_MAX_SECONDS = 5 * 60
STANDARD_MAX_SECONDS = 365 * 24 * 3600

LAMBDA_SERVICE_ERRORS = (
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
)
"""The transient Lambda errors AWS recommends every Lambda task retries."""


class WorkflowDefinitionError(ValueError):
    """The declaration cannot be deployed (the message names the workflow and the fault)."""


def function_arn(function: FunctionSpec) -> str:
    """The placeholder a state uses for a catalog function's ARN."""
    return "${" + function.name + "}"


def retry_lambda_service_errors(max_attempts: int = 3) -> dict[str, Any]:
    return {
        "ErrorEquals": list(LAMBDA_SERVICE_ERRORS),
        "IntervalSeconds": 1,
        "MaxAttempts": max_attempts,
        "BackoffRate": 2.0,
    }


def invoke_function(
    function: FunctionSpec,
    *,
    payload: Mapping[str, Any] | None = None,
    next_state: str | None = None,
    wait_for_task_token: bool = False,
    retry: Sequence[Mapping[str, Any]] | None = None,
    catch: Sequence[Mapping[str, Any]] | None = None,
    result_path: str | None = None,
    timeout_seconds: int | None = None,
    heartbeat_seconds: int | None = None,
) -> dict[str, Any]:
    """A Lambda Task state (optimised integration). Without ``payload`` the function gets the state's
    input; its output is the function's return value (``OutputPath: $.Payload``), or, waiting for a task
    token, whatever ``SendTaskSuccess`` sends. A token task's payload must carry ``$$.Task.Token``.

    With ``result_path`` (the return value placed inside the state's input) a plain task names the
    function's ARN as its resource instead: ASL applies OutputPath after ResultPath, so ``$.Payload``
    would select from the merged input, not from the invocation's response."""
    returns_into_input = result_path is not None and not wait_for_task_token
    arguments = dict(payload) if payload is not None else None
    if returns_into_input:
        state: dict[str, Any] = {"Type": "Task", "Resource": function_arn(function)}
        if arguments is not None:
            state["Parameters"] = arguments
    else:
        state = {
            "Type": "Task",
            "Resource": LAMBDA_INVOKE + (WAIT_FOR_TASK_TOKEN if wait_for_task_token else ""),
            "Parameters": {
                "FunctionName": function_arn(function),
                **({"Payload": arguments} if arguments is not None else {"Payload.$": "$"}),
            },
        }
    state["Retry"] = [
        dict(rule) for rule in (retry if retry is not None else [retry_lambda_service_errors()])
    ]
    if not wait_for_task_token and not returns_into_input:
        state["OutputPath"] = "$.Payload"
    if catch:
        state["Catch"] = [dict(rule) for rule in catch]
    if result_path is not None:
        state["ResultPath"] = result_path
    if timeout_seconds is not None:
        state["TimeoutSeconds"] = timeout_seconds
    if heartbeat_seconds is not None:
        state["HeartbeatSeconds"] = heartbeat_seconds
    state.update({"Next": next_state} if next_state else {"End": True})
    return state


@dataclass(frozen=True)
class WorkflowSpec:
    name: str
    """snake_case; the CDK construct id stem and the local state machine's name."""
    description: str
    definition: Mapping[str, Any]
    """ASL, with ``${<function name>}`` for each function in ``invokes``."""
    invokes: tuple[FunctionSpec, ...]
    express: bool = True
    """Express unless a wait needs Standard: a Standard run of 10 transitions per session costs more
    than the rest of the charger's month (infra/README.md, cost). Express cannot wait for a task token."""
    timeout_seconds: int = 300
    _text: str = field(init=False, repr=False, compare=False, default="")

    def __post_init__(self) -> None:
        object.__setattr__(self, "_text", json.dumps(self.definition, sort_keys=True))
        self._check()

    @property
    def definition_json(self) -> str:
        """The ASL with its placeholders, as CDK deploys it (with ``DefinitionSubstitutions``)."""
        return self._text

    @property
    def state_machine_arn_env_var(self) -> str:
        """Where a function that starts this workflow (``FunctionSpec.starts_workflows``) finds its ARN."""
        return self.arn_env_var_for(self.name)

    @staticmethod
    def arn_env_var_for(workflow_name: str) -> str:
        return f"{workflow_name.upper()}_STATE_MACHINE_ARN"

    def render(self, function_arns: Mapping[str, str]) -> str:
        """The ASL with each placeholder replaced by the function's ARN, as CloudFormation does."""
        missing = {function.name for function in self.invokes} - set(function_arns)
        if missing:
            raise WorkflowDefinitionError(f"{self.name}: no ARN for {sorted(missing)}")
        return _PLACEHOLDER.sub(lambda match: function_arns[match.group(1)], self._text)

    def _check(self) -> None:
        if not _SNAKE_CASE.match(self.name):
            raise WorkflowDefinitionError(f"{self.name!r}: workflow names are snake_case")
        placeholders = set(_PLACEHOLDER.findall(self._text))
        invoked = {function.name for function in self.invokes}
        if placeholders != invoked:
            raise WorkflowDefinitionError(
                f"{self.name}: placeholders {sorted(placeholders)} differ from invokes {sorted(invoked)}"
            )
        _check_states(self.name, self.definition)
        resources = [state.get("Resource", "") for state in _states(self.definition)]
        if self.express:
            waiting = [r for r in resources if r.endswith((WAIT_FOR_TASK_TOKEN, _RUN_JOB))]
            if waiting:
                raise WorkflowDefinitionError(
                    f"{self.name}: Express workflows cannot wait ({waiting}); declare it express=False"
                )
        limit = EXPRESS_MAX_SECONDS if self.express else STANDARD_MAX_SECONDS
        if not 0 < self.timeout_seconds <= limit:
            raise WorkflowDefinitionError(f"{self.name}: timeout must be 1..{limit} s for this workflow type")


def _states(block: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every state, including those inside Parallel branches and Map iterators."""
    for state in block.get("States", {}).values():
        yield state
        for branch in state.get("Branches", []):
            yield from _states(branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                yield from _states(state[key])


def _check_states(workflow: str, block: Mapping[str, Any]) -> None:
    states = block.get("States")
    if not isinstance(states, Mapping) or not states:
        raise WorkflowDefinitionError(f"{workflow}: a definition needs States")
    if block.get("StartAt") not in states:
        raise WorkflowDefinitionError(f"{workflow}: StartAt {block.get('StartAt')!r} is not a state")
    for name, state in states.items():
        targets = [state.get("Next"), state.get("Default")]
        targets += [choice.get("Next") for choice in state.get("Choices", [])]
        targets += [rule.get("Next") for rule in state.get("Catch", [])]
        for target in targets:
            if target is not None and target not in states:
                raise WorkflowDefinitionError(f"{workflow}: {name} goes to unknown state {target!r}")
        terminal = state.get("Type") in ("Succeed", "Fail", "Choice") or state.get("End") is True
        if not terminal and state.get("Next") is None:
            raise WorkflowDefinitionError(f"{workflow}: {name} has neither Next nor End")
        for branch in state.get("Branches", []):
            _check_states(workflow, branch)
        for key in ("ItemProcessor", "Iterator"):
            if key in state:
                _check_states(workflow, state[key])
