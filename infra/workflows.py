"""Step Functions: state machines from the ASL files the local platform runs, logged and traced.

No workflow exists yet, so the stack creates none (no stub state machines). When one lands in
``shared/``, the stack passes a :class:`WorkflowDefinition` per ASL file and gets: the definition read
verbatim from the file, ``${<function name>}`` placeholders replaced by the ARNs of catalog functions,
a role allowed to invoke exactly those functions, ``ALL``-level logging, X-Ray tracing, and (through
``Operations``) a failure alarm.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aws_cdk import Duration
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.log_groups import log_group
from infra.nag import acknowledge, arn_token
from infra.naming import pascal_case


@dataclass(frozen=True)
class WorkflowDefinition:
    name: str
    """snake_case, like the catalog's function names; the construct id stem."""
    asl_path: Path
    express: bool = True
    """Express unless a wait needs Standard: a Standard run of 10 transitions per session costs more
    than the rest of the charger's month (infra/README.md, cost)."""
    invokes: tuple[str, ...] = field(default_factory=tuple)
    """Catalog function names the ASL calls as ``${<name>}``."""
    timeout_minutes: int = 5


WORKFLOW_DEFINITIONS: tuple[WorkflowDefinition, ...] = ()
"""Empty until shared/ holds an ASL definition; then one entry per file, e.g. ``WorkflowDefinition(
"charging_session", PROJECT_ROOT / "shared/workflows/charging_session.asl.json", invokes=(...))``."""


class Workflows(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        definitions: Sequence[WorkflowDefinition],
        functions: dict[str, lambda_.Function],
    ) -> None:
        super().__init__(scope, construct_id)
        self.state_machines: list[sfn.StateMachine] = [
            self._state_machine(definition, functions) for definition in definitions
        ]

    def _state_machine(
        self, definition: WorkflowDefinition, functions: dict[str, lambda_.Function]
    ) -> sfn.StateMachine:
        invoked = {name: functions[name] for name in definition.invokes}
        state_machine = sfn.StateMachine(
            self,
            pascal_case(definition.name),
            definition_body=sfn.DefinitionBody.from_file(str(definition.asl_path)),
            definition_substitutions={name: function.function_arn for name, function in invoked.items()},
            state_machine_type=sfn.StateMachineType.EXPRESS
            if definition.express
            else sfn.StateMachineType.STANDARD,
            timeout=Duration.minutes(definition.timeout_minutes),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group(self, f"{pascal_case(definition.name)}Logs"),
                level=sfn.LogLevel.ALL,
                include_execution_data=True,
            ),
        )
        for function in invoked.values():
            function.grant_invoke(state_machine)
            acknowledge(
                state_machine,
                f"AwsSolutions-IAM5[Resource::{arn_token(function)}:*]",
                "lambda:InvokeFunction on the function's versions and aliases (ARN:*) is how CDK grants "
                "invocation; it is limited to the functions this workflow's ASL names.",
            )
        acknowledge(
            state_machine,
            "AwsSolutions-IAM5[Resource::*]",
            "X-Ray trace submission and CloudWatch Logs vended-log delivery (logs:CreateLogDelivery and "
            "friends) support no resource-level permissions; AWS documents '*' for them.",
        )
        return state_machine
