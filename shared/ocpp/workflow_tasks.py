"""Step Functions tasks around the outbound pipeline: a workflow sends a call and waits (task token)
for the station's answer; a scheduled sweep times out calls nobody answered."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from shared.domain.base import DomainModel
from shared.ocpp.outbound import OutboundCommands


class SendCommandTask(DomainModel):
    """The input of a ``.waitForTaskToken`` Lambda task: the call, in the station's own protocol."""

    task_token: str = Field(min_length=1)
    tenant_id: str
    station_id: str
    action: str
    payload: dict[str, Any] = Field(default_factory=dict)


def send_command_for_workflow(outbound: OutboundCommands, event: dict[str, Any]) -> dict[str, Any]:
    """Sends the call with the task token; the execution resumes when the station answers (or the call
    times out, or the station is offline). Bad input fails the task with the domain error's name
    (NotFoundError, InvalidRequestError, ...), which the workflow can catch."""
    task = SendCommandTask.model_validate(event)
    command = outbound.send(
        task.tenant_id, task.station_id, task.action, task.payload, task_token=task.task_token
    )
    return {"commandId": command.command_id, "status": command.status.value}


def expire_overdue_commands(outbound: OutboundCommands) -> dict[str, Any]:
    expired = outbound.expire_overdue()
    return {"expired": len(expired)}
