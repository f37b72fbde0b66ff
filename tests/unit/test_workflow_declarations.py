"""Workflows and EventBridge rules are declared once and checked where they are declared: a mistake fails
at import, in CDK, the local platform and the tests alike."""

from __future__ import annotations

import json

import pytest

from shared.catalog import EVENT_RULES, EVENT_SOURCE, FUNCTIONS, SCHEDULES, EventRule, FunctionSpec
from shared.domain.events import DomainEvent
from shared.gateway.events import EVENT_SOURCE as PUBLISHED_SOURCE
from shared.workflows.definitions import WorkflowDefinitionError, WorkflowSpec, invoke_function
from shared.workflows.registry import WORKFLOWS

TASK = FunctionSpec(name="task", handler="x.task", description="d")
OTHER = FunctionSpec(name="other", handler="x.other", description="d")


def _workflow(**overrides: object) -> WorkflowSpec:
    arguments: dict[str, object] = {
        "name": "charge",
        "description": "test",
        "definition": {"StartAt": "Call", "States": {"Call": invoke_function(TASK)}},
        "invokes": (TASK,),
    }
    arguments.update(overrides)
    return WorkflowSpec(**arguments)  # type: ignore[arg-type]


def test_render_substitutes_every_placeholder_like_cloudformation() -> None:
    workflow = _workflow()
    assert json.loads(workflow.definition_json)["States"]["Call"]["Parameters"]["FunctionName"] == "${task}"
    rendered = json.loads(workflow.render({"task": "arn:aws:lambda:us-east-1:1:function:task"}))
    assert (
        rendered["States"]["Call"]["Parameters"]["FunctionName"] == "arn:aws:lambda:us-east-1:1:function:task"
    )
    assert rendered["States"]["Call"]["OutputPath"] == "$.Payload"
    with pytest.raises(WorkflowDefinitionError, match="no ARN"):
        workflow.render({})


def test_a_task_returning_into_its_input_names_the_function_and_selects_nothing_after() -> None:
    # OutputPath runs after ResultPath in ASL: "$.Payload" would look inside the merged input
    state = invoke_function(TASK, payload={"task": "prepare", "state.$": "$"}, result_path="$.prepared")
    assert state["Resource"] == "${task}"
    assert state["Parameters"] == {"task": "prepare", "state.$": "$"}
    assert state["ResultPath"] == "$.prepared"
    assert "OutputPath" not in state
    token = invoke_function(
        TASK, payload={"t.$": "$$.Task.Token"}, wait_for_task_token=True, result_path="$.x"
    )
    assert token["Resource"].endswith(".waitForTaskToken") and "OutputPath" not in token


@pytest.mark.parametrize(
    ("overrides", "fault"),
    [
        ({"invokes": (TASK, OTHER)}, "differ from invokes"),  # declared but never called
        ({"invokes": ()}, "differ from invokes"),  # called but not declared
        ({"name": "Charge"}, "snake_case"),
        ({"definition": {"StartAt": "Nope", "States": {"Call": invoke_function(TASK)}}}, "StartAt"),
        (
            {"definition": {"StartAt": "Call", "States": {"Call": invoke_function(TASK, next_state="Gone")}}},
            "unknown",
        ),
        (
            {
                "definition": {
                    "StartAt": "Call",
                    "States": {
                        "Call": invoke_function(
                            TASK, payload={"t.$": "$$.Task.Token"}, wait_for_task_token=True
                        )
                    },
                }
            },
            "Express workflows cannot wait",
        ),
        ({"timeout_seconds": 301}, "timeout"),
    ],
)
def test_undeployable_declarations_are_refused(overrides: dict[str, object], fault: str) -> None:
    with pytest.raises(WorkflowDefinitionError, match=fault):
        _workflow(**overrides)


def test_a_standard_workflow_may_wait_for_a_token_for_up_to_a_year() -> None:
    waiting = {"Call": invoke_function(TASK, payload={"t.$": "$$.Task.Token"}, wait_for_task_token=True)}
    workflow = _workflow(
        definition={"StartAt": "Call", "States": waiting}, express=False, timeout_seconds=30 * 24 * 3600
    )
    assert workflow.state_machine_arn_env_var == "CHARGE_STATE_MACHINE_ARN"


def test_rules_match_their_source_and_detail_types() -> None:
    rule = EventRule("bill", detail_types=("SessionStopped",), target=TASK)
    assert rule.event_pattern() == {"source": ["csms.stations"], "detail-type": ["SessionStopped"]}
    with pytest.raises(ValueError, match="detail type"):
        EventRule("empty", detail_types=(), target=TASK)


def test_the_declared_registries_agree_with_the_catalog() -> None:
    # The source the rules match is the one the publisher sends
    assert EVENT_SOURCE == PUBLISHED_SOURCE
    known_detail_types = {cls.detail_type for cls in DomainEvent.__subclasses__()}
    functions = {spec.name for spec in FUNCTIONS}
    for rule in EVENT_RULES:
        assert rule.target.name in functions
        if rule.source == EVENT_SOURCE:
            assert set(rule.detail_types) <= known_detail_types, rule.name
    for schedule in SCHEDULES:
        assert schedule.target.name in functions
    names = [workflow.name for workflow in WORKFLOWS]
    assert len(names) == len(set(names))
    for workflow in WORKFLOWS:
        assert {spec.name for spec in workflow.invokes} <= functions
    for spec in FUNCTIONS:
        assert set(spec.starts_workflows) <= set(names), spec.name
    rule_names = [rule.name for rule in EVENT_RULES] + [schedule.name for schedule in SCHEDULES]
    assert len(rule_names) == len(set(rule_names))
