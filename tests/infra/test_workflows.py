"""The Step Functions and EventBridge rule constructs, on throwaway declarations (the stack has none yet)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Template
from cdk_nag import AwsSolutionsChecks

from infra.event_rules import RULE_RETRY_ATTEMPTS, EventRules
from infra.workflows import Workflows
from shared.catalog import EventRule, FunctionSpec, ScheduleRule
from shared.workflows.definitions import WorkflowSpec, invoke_function

# One xdist worker runs the whole suite, so the stack is synthesized once (see conftest).
pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]

WORKER = FunctionSpec(name="worker", handler="functions.worker.handler.handler", description="task")
WAITER = FunctionSpec(name="waiter", handler="functions.waiter.handler.handler", description="token task")
STARTER = FunctionSpec(
    name="starter",
    handler="functions.starter.handler.handler",
    description="starts",
    starts_workflows=("charge",),
)
COMPLETER = FunctionSpec(
    name="completer",
    handler="functions.completer.handler.handler",
    description="answers tokens",
    completes_workflow_tasks=True,
)
BYSTANDER = FunctionSpec(name="bystander", handler="functions.bystander.handler.handler", description="none")
SPECS = (WORKER, WAITER, STARTER, COMPLETER, BYSTANDER)

CHARGE = WorkflowSpec(
    name="charge",
    description="test workflow",
    definition={
        "StartAt": "Call",
        "States": {
            "Call": invoke_function(WORKER, next_state="Wait"),
            "Wait": invoke_function(WAITER, payload={"token.$": "$$.Task.Token"}, wait_for_task_token=True),
        },
    },
    invokes=(WORKER, WAITER),
    express=False,
    timeout_seconds=3600,
)


def _stack(tmp_path: Path) -> tuple[Stack, dict[str, lambda_.Function]]:
    app = App(outdir=str(tmp_path / "out"))
    stack = Stack(app, "UnderTest")
    code = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
    functions = {
        spec.name: lambda_.Function(
            stack, spec.name.title(), runtime=lambda_.Runtime.PYTHON_3_11, handler="index.handler", code=code
        )
        for spec in SPECS
    }
    return stack, functions


def _policy_actions(template: Template, logical_prefix: str) -> set[str]:
    actions: set[str] = set()
    for resource in template.find_resources("AWS::IAM::Policy").values():
        roles = json.dumps(resource["Properties"].get("Roles", []))
        if logical_prefix not in roles:
            continue
        for statement in resource["Properties"]["PolicyDocument"]["Statement"]:
            found = statement["Action"]
            actions |= {found} if isinstance(found, str) else set(found)
    return actions


def test_workflows_deploy_the_declared_asl_and_grant_exactly_their_callers(tmp_path: Path) -> None:
    # Given a Standard workflow that invokes two functions, a starter and a token completer
    stack, functions = _stack(tmp_path)
    # When
    Workflows(stack, "Workflows", functions=functions, workflows=[CHARGE], function_specs=SPECS)
    template = Template.from_stack(stack)
    # Then the definition is the declaration's text, its placeholders substituted by CloudFormation
    (state_machine,) = template.find_resources("AWS::StepFunctions::StateMachine").values()
    properties = state_machine["Properties"]
    assert properties["DefinitionString"] == CHARGE.definition_json
    assert properties["StateMachineType"] == "STANDARD"
    assert properties["TracingConfiguration"] == {"Enabled": True}
    assert properties["LoggingConfiguration"]["Level"] == "ALL"
    substitutions = properties["DefinitionSubstitutions"]
    assert {name: value["Fn::GetAtt"][0][:6] for name, value in substitutions.items()} == {
        "worker": "Worker",
        "waiter": "Waiter",
    }
    # the state machine may invoke the two tasks, and nothing else
    invoke_policies = json.dumps(
        [
            policy
            for policy in template.find_resources("AWS::IAM::Policy").values()
            if "lambda:InvokeFunction" in json.dumps(policy)
        ]
    )
    assert "Worker" in invoke_policies and "Waiter" in invoke_policies
    assert "Bystander" not in invoke_policies
    # the starter may start it and knows its ARN; the completer may answer its tokens; nobody else
    assert "states:StartExecution" in _policy_actions(template, "Starter")
    assert {
        "states:SendTaskSuccess",
        "states:SendTaskFailure",
        "states:SendTaskHeartbeat",
    } <= _policy_actions(template, "Completer")
    assert not {a for a in _policy_actions(template, "Bystander") if a.startswith("states:")}
    starter = template.find_resources("AWS::Lambda::Function", {"Properties": {"Handler": "index.handler"}})
    environments = {
        key: value["Properties"].get("Environment", {}).get("Variables", {}) for key, value in starter.items()
    }
    assert [key for key, env in environments.items() if CHARGE.state_machine_arn_env_var in env] == [
        next(key for key in environments if key.startswith("Starter"))
    ]
    report = AwsSolutionsChecks().validate_scope(stack.node.find_child("Workflows"))
    assert [violation.rule_name for violation in report.violations] == []


def test_an_unknown_workflow_name_in_a_function_fails_synthesis(tmp_path: Path) -> None:
    stack, functions = _stack(tmp_path)
    lost = FunctionSpec(name="worker", handler="x.y", description="d", starts_workflows=("nope",))
    with pytest.raises(ValueError, match="nope"):
        Workflows(stack, "Workflows", functions=functions, workflows=[CHARGE], function_specs=[lost])


def test_event_rules_and_schedules_target_their_functions_with_retries_and_a_dlq(tmp_path: Path) -> None:
    # Given one domain-event rule and one schedule with a constant input
    stack, functions = _stack(tmp_path)
    bus = events.EventBus(stack, "Bus")
    rule = EventRule("bill_sessions", detail_types=("SessionStopped",), target=WORKER)
    schedule = ScheduleRule("reallocate", "rate(5 minutes)", target=WAITER, input={"site": "all"})
    # When
    EventRules(stack, "EventRules", bus=bus, functions=functions, rules=[rule], schedules=[schedule])
    template = Template.from_stack(stack)
    # Then
    rules = template.find_resources("AWS::Events::Rule")
    by_kind = {
        ("schedule" if "ScheduleExpression" in r["Properties"] else "pattern"): r for r in rules.values()
    }
    pattern_rule = by_kind["pattern"]["Properties"]
    assert pattern_rule["EventPattern"] == rule.event_pattern()
    assert "EventBusName" in pattern_rule
    (target,) = pattern_rule["Targets"]
    assert target["Arn"]["Fn::GetAtt"][0].startswith("Worker")
    assert target["RetryPolicy"]["MaximumRetryAttempts"] == RULE_RETRY_ATTEMPTS
    assert "DeadLetterConfig" in target
    schedule_rule = by_kind["schedule"]["Properties"]
    assert schedule_rule["ScheduleExpression"] == "rate(5 minutes)"
    assert "EventBusName" not in schedule_rule  # schedules run on the default bus only
    (schedule_target,) = schedule_rule["Targets"]
    assert json.loads(schedule_target["Input"]) == {"site": "all"}
    # EventBridge may invoke each target
    permissions = template.find_resources("AWS::Lambda::Permission")
    assert {p["Properties"]["Principal"] for p in permissions.values()} == {"events.amazonaws.com"}
    assert len(permissions) == 2
    report = AwsSolutionsChecks().validate_scope(stack.node.find_child("EventRules"))
    assert [violation.rule_name for violation in report.violations] == []


def test_no_declarations_no_resources(tmp_path: Path) -> None:
    stack, functions = _stack(tmp_path)
    rules = EventRules(
        stack, "EventRules", bus=events.EventBus(stack, "Bus"), functions=functions, rules=[], schedules=[]
    )
    Workflows(stack, "Workflows", functions=functions, workflows=[], function_specs=[WORKER, COMPLETER])
    template = Template.from_stack(stack)
    assert template.find_resources("AWS::Events::Rule") == {}
    assert template.find_resources("AWS::StepFunctions::StateMachine") == {}
    assert rules.dead_letter_queues == {}
