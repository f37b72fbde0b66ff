"""Commands: CSMS-initiated OCPP calls, tracked from request to the charger's answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime


class CommandStatus(StrEnum):
    QUEUED = "queued"
    """Waiting for the station's answer to an earlier call: OCPP-J allows one call in flight per side."""
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    FAILED = "failed"
    TIMEOUT = "timeout"
    OFFLINE = "offline"


class CommandError(DomainModel):
    code: str
    description: str | None = None
    details: dict[str, Any] | None = None


class Command(DomainModel):
    command_id: str
    """Also the OCPP message id of the CALL, which is how the charger's answer finds it."""
    tenant_id: str
    station_id: str
    action: str
    payload: dict[str, Any]
    protocol: str | None = None
    """None when the station has never connected (nothing is sent then: the command is offline)."""
    status: CommandStatus = CommandStatus.PENDING
    response: dict[str, Any] | None = None
    error: CommandError | None = None
    created_at: UtcDatetime
    timeout_at: UtcDatetime
    completed_at: UtcDatetime | None = None
    expires_at: int
    """Epoch seconds; DynamoDB's TTL removes the record after the retention period."""
    task_token: str | None = None
    """A Step Functions task token: the command's outcome resumes that execution."""
    ignored_answers: list[dict[str, Any]] = Field(default_factory=list)
    """Answers that arrived after the first one (which wins), kept for support."""
    registration_id: str | None = None
    """The station registration the call went to."""

    def effective_status(self, now: datetime) -> CommandStatus:
        """A pending command whose answer is overdue reads as timed out; a late answer still completes it."""
        if self.status in WAITING_STATUSES and now >= self.timeout_at:
            return CommandStatus.TIMEOUT
        return self.status


WAITING_STATUSES = frozenset({CommandStatus.QUEUED, CommandStatus.PENDING})

# Statuses of CALLRESULT payloads that mean the charger did (or will do) what was asked.
SUCCESS_STATUSES = frozenset({"Accepted", "Unlocked", "Scheduled", "RebootRequired", "AcceptedCanceled"})


def status_from_call_result(payload: dict[str, Any]) -> CommandStatus:
    """GetConfiguration and other answers without a status field are a success by being answered.
    Protocols refine this per action (shared/ocpp/<version>/results.py)."""
    status = payload.get("status")
    if status is None or status in SUCCESS_STATUSES:
        return CommandStatus.ACCEPTED
    return CommandStatus.REJECTED


FINAL_STATUSES = frozenset(
    {CommandStatus.ACCEPTED, CommandStatus.REJECTED, CommandStatus.FAILED, CommandStatus.OFFLINE}
)
