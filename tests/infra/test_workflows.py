"""The Step Functions construct, on a test-only ASL file (the stack has no workflow yet)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from aws_cdk import App, Stack
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Match, Template
from cdk_nag import AwsSolutionsChecks

from infra.workflows import WorkflowDefinition, Workflows

# One xdist worker runs the whole suite, so the stack is synthesized once (see conftest).
pytestmark = [pytest.mark.infra, pytest.mark.xdist_group("infra")]


def test_workflows_are_logged_traced_and_invoke_only_what_their_asl_names(tmp_path: Path) -> None:
    # Given an ASL file (a test fixture, not part of the stack) that calls one function
    asl = tmp_path / "charge.asl.json"
    asl.write_text(
        '{"StartAt": "Call", "States": {"Call": {"Type": "Task", "Resource": "${worker}", "End": true}}}'
    )
    app = App(outdir=str(tmp_path / "out"))
    stack = Stack(app, "WorkflowsUnderTest")
    code = lambda_.Code.from_inline("def handler(event, context):\n    return event\n")
    worker = lambda_.Function(
        stack, "Worker", runtime=lambda_.Runtime.PYTHON_3_11, handler="index.handler", code=code
    )
    bystander = lambda_.Function(
        stack, "Bystander", runtime=lambda_.Runtime.PYTHON_3_11, handler="index.handler", code=code
    )
    # When
    Workflows(
        stack,
        "Workflows",
        definitions=[WorkflowDefinition("charge", asl, invokes=("worker",))],
        functions={"worker": worker, "bystander": bystander},
    )
    template = Template.from_stack(stack)
    # Then
    template.has_resource_properties(
        "AWS::StepFunctions::StateMachine",
        {
            "StateMachineType": "EXPRESS",
            "TracingConfiguration": {"Enabled": True},
            "LoggingConfiguration": Match.object_like({"Level": "ALL"}),
            "DefinitionSubstitutions": {
                "worker": {"Fn::GetAtt": [Match.string_like_regexp("^Worker"), "Arn"]}
            },
        },
    )
    policies = json.dumps(template.find_resources("AWS::IAM::Policy"))
    assert "Worker" in policies
    assert "Bystander" not in policies
    report = AwsSolutionsChecks().validate_scope(stack.node.find_child("Workflows"))
    assert [violation.rule_name for violation in report.violations] == []
