"""Commands: CSMS-initiated OCPP calls, tracked from request to the charger's answer."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from shared.domain.base import DomainModel, UtcDatetime


class CommandStatus(StrEnum):
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
    protocol: str
    status: CommandStatus = CommandStatus.PENDING
    response: dict[str, Any] | None = None
    error: CommandError | None = None
    created_at: UtcDatetime
    timeout_at: UtcDatetime
    completed_at: UtcDatetime | None = None
    expires_at: int
    """Epoch seconds; DynamoDB's TTL removes the record after the retention period."""

    def effective_status(self, now: datetime) -> CommandStatus:
        """A pending command whose answer is overdue reads as timed out; a late answer still completes it."""
        if self.status is CommandStatus.PENDING and now >= self.timeout_at:
            return CommandStatus.TIMEOUT
        return self.status


# Statuses of CALLRESULT payloads that mean the charger did (or will do) what was asked.
_SUCCESS_STATUSES = frozenset({"Accepted", "Unlocked", "Scheduled", "RebootRequired"})


def status_from_call_result(payload: dict[str, Any]) -> CommandStatus:
    """GetConfiguration and other answers without a status field are a success by being answered."""
    status = payload.get("status")
    if status is None or status in _SUCCESS_STATUSES:
        return CommandStatus.ACCEPTED
    return CommandStatus.REJECTED
