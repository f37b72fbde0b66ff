"""Step Functions: one state machine per ``shared.workflows.registry.WORKFLOWS`` entry, logged and traced.

Each gets the workflow's one ASL definition (``WorkflowSpec.definition_json``, the text the local
platform runs too) with its ``${<function name>}`` placeholders handed to CloudFormation as
``DefinitionSubstitutions`` (the deployed functions' ARNs), a role allowed to invoke exactly those
functions, ``ALL``-level logging, X-Ray tracing and (through ``Operations``) a failure alarm. Functions
that start it (``FunctionSpec.starts_workflows``) get ``states:StartExecution`` on it and its ARN in
``WorkflowSpec.state_machine_arn_env_var``: the ARN built from the state machine's fixed name (stack
name + workflow name), not its ``Ref``, so a function may start a workflow that also invokes it
(billing's tasks start the payment retries that run them) without a CloudFormation dependency cycle;
functions that complete its tasks
(``FunctionSpec.completes_workflow_tasks``) get ``SendTaskSuccess/Failure/Heartbeat`` on it.
No workflow, no state machine.

Each state machine has a fixed name (``<stack>-<workflow>``) and its callers are granted, and told, the
ARN built from that name rather than a reference to the resource: a function that a workflow invokes and
that also starts or answers that workflow (firmware_tasks) would otherwise make the function's policy
depend on the state machine, which depends on the function.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra.log_groups import log_group
from infra.nag import acknowledge, arn_token
from infra.naming import pascal_case
from shared.catalog import FUNCTIONS, FunctionSpec
from shared.workflows.definitions import WorkflowSpec
from shared.workflows.registry import WORKFLOWS


class Workflows(Construct):
    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        functions: dict[str, lambda_.Function],
        workflows: Sequence[WorkflowSpec] = WORKFLOWS,
        function_specs: Sequence[FunctionSpec] = FUNCTIONS,
    ) -> None:
        super().__init__(scope, construct_id)
        known = {workflow.name for workflow in workflows}
        for spec in function_specs:
            unknown = set(spec.starts_workflows) - known
            if unknown:
                raise ValueError(f"{spec.name} starts unknown workflows {sorted(unknown)}")
        self.state_machines: list[sfn.StateMachine] = []
        for workflow in workflows:
            state_machine = self._state_machine(workflow, functions)
            self._grant_callers(workflow, functions, function_specs)
            self.state_machines.append(state_machine)

    def _state_machine(
        self, workflow: WorkflowSpec, functions: dict[str, lambda_.Function]
    ) -> sfn.StateMachine:
        invoked = {spec.name: functions[spec.name] for spec in workflow.invokes}
        construct_id = pascal_case(workflow.name)
        state_machine = sfn.StateMachine(
            self,
            construct_id,
            state_machine_name=self.state_machine_name(workflow),
            comment=workflow.description,
            definition_body=sfn.DefinitionBody.from_string(workflow.definition_json),
            definition_substitutions={name: function.function_arn for name, function in invoked.items()},
            state_machine_type=sfn.StateMachineType.EXPRESS
            if workflow.express
            else sfn.StateMachineType.STANDARD,
            timeout=Duration.seconds(workflow.timeout_seconds),
            tracing_enabled=True,
            logs=sfn.LogOptions(
                destination=log_group(self, f"{construct_id}Logs"),
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

    def state_machine_name(self, workflow: WorkflowSpec) -> str:
        """Unique per stack (names are unique per account and region); at most 80 characters."""
        return f"{Stack.of(self).stack_name}-{pascal_case(workflow.name)}"[:80]

    def _state_machine_arn(self, workflow: WorkflowSpec) -> str:
        return Stack.of(self).format_arn(
            service="states",
            resource="stateMachine",
            resource_name=self.state_machine_name(workflow),
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )

    def _grant_callers(
        self,
        workflow: WorkflowSpec,
        functions: dict[str, lambda_.Function],
        function_specs: Sequence[FunctionSpec],
    ) -> None:
        arn = self._state_machine_arn(workflow)
        for spec in function_specs:
            function = functions[spec.name]
            if workflow.name in spec.starts_workflows:
                function.add_to_role_policy(
                    iam.PolicyStatement(actions=["states:StartExecution"], resources=[arn])
                )
                function.add_environment(workflow.state_machine_arn_env_var, arn)
            if spec.completes_workflow_tasks:
                function.add_to_role_policy(
                    iam.PolicyStatement(
                        actions=[
                            "states:SendTaskSuccess",
                            "states:SendTaskFailure",
                            "states:SendTaskHeartbeat",
                        ],
                        resources=[arn],
                    )
                )
