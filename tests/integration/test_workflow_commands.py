"""Commands that Step Functions executions wait on: the outcome resumes the execution (task token) and
is published as CommandCompleted, exactly once."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from shared.gateway import websocket
from shared.ocpp.workflow_tasks import expire_overdue_commands, send_command_for_workflow
from tests.builders import PlatformUnderTest, a_station, platform_on_moto
from tests.events import authorizer_event, connect_event, message_event


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto() as test_platform:
        test_platform.platform.stations.create(a_station())
        yield test_platform


def _connect(env: PlatformUnderTest) -> dict[str, str]:
    authorizer = websocket.authorize_connection(env.platform, authorizer_event("CP-1"))["context"]
    websocket.connect(env.platform, connect_event(authorizer))
    return dict(authorizer)


def _task(action: str = "ClearCache", **payload: object) -> dict[str, object]:
    return {
        "taskToken": "token-1",
        "tenantId": "tenant-a",
        "stationId": "CP-1",
        "action": action,
        "payload": payload,
    }


def test_the_answer_resumes_the_waiting_execution(env: PlatformUnderTest) -> None:
    authorizer = _connect(env)
    sent = send_command_for_workflow(env.platform.outbound, _task())
    assert sent["status"] == "pending"
    frame = json.loads(env.connections.posted[-1][1])
    websocket.handle_message(env.platform, message_event(authorizer, [3, frame[1], {"status": "Rejected"}]))
    assert [(token, output["status"]) for token, output in env.workflows.succeeded] == [
        ("token-1", "rejected")
    ]
    completed = [event for event in env.events.events if event.detail_type == "CommandCompleted"]
    assert [event.status for event in completed] == ["rejected"]  # type: ignore[attr-defined]


def test_an_offline_station_fails_the_task_at_once(env: PlatformUnderTest) -> None:
    send_command_for_workflow(env.platform.outbound, _task())
    assert [(token, error) for token, error, _ in env.workflows.failed] == [("token-1", "Command.Offline")]


def test_an_unanswered_call_times_out_once_and_later_answers_are_ignored(env: PlatformUnderTest) -> None:
    authorizer = _connect(env)
    send_command_for_workflow(env.platform.outbound, _task())
    command_id = json.loads(env.connections.posted[-1][1])[1]
    assert expire_overdue_commands(env.platform.outbound) == {"expired": 0}
    env.clock.advance(61)
    assert expire_overdue_commands(env.platform.outbound) == {"expired": 1}
    assert expire_overdue_commands(env.platform.outbound) == {"expired": 0}
    assert [error for _, error, _ in env.workflows.failed] == ["Command.Timeout"]
    websocket.handle_message(env.platform, message_event(authorizer, [3, command_id, {"status": "Accepted"}]))
    command = env.platform.commands.get(command_id)
    assert command is not None and command.status == "timeout" and command.ignored_answers
    assert env.workflows.succeeded == []


def test_bad_task_input_fails_the_task_with_a_named_error(env: PlatformUnderTest) -> None:
    from shared.domain.errors import InvalidRequestError, NotFoundError

    _connect(env)
    with pytest.raises(InvalidRequestError):
        send_command_for_workflow(env.platform.outbound, _task("Reset", type="Sideways"))
    with pytest.raises(NotFoundError):
        send_command_for_workflow(env.platform.outbound, {**_task(), "stationId": "CP-404"})
