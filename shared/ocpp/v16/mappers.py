"""Operator intents as OCPP 1.6 calls, and what a 1.6 answer means for the command that sent it."""

from __future__ import annotations

from typing import Any

from shared.domain.commands import CommandStatus, status_from_call_result
from shared.domain.errors import InvalidRequestError
from shared.domain.sessions import Session
from shared.ocpp.plugin import OutboundCall, ResetKind

# 2.0.1's Immediate reset stops transactions and restarts at once, as a 1.6 Hard reset does; OnIdle
# (wait for transactions to end) has no 1.6 counterpart.
_RESET_TYPES: dict[str, str] = {"Soft": "Soft", "Hard": "Hard", "Immediate": "Hard"}


class V16Mappers:
    def remote_start(self, id_token: str, evse_id: int | None, remote_start_id: int) -> OutboundCall:
        """1.6 has no remoteStartId: the session is matched by its token and connector instead."""
        payload: dict[str, Any] = {"idTag": id_token}
        if evse_id is not None:
            payload["connectorId"] = evse_id
        return OutboundCall("RemoteStartTransaction", payload)

    def remote_stop(self, session: Session) -> OutboundCall:
        if not session.transaction_id.isdigit():
            raise InvalidRequestError(
                f"session {session.session_id} has transaction id {session.transaction_id!r}, "
                "which an OCPP 1.6 station cannot have"
            )
        return OutboundCall("RemoteStopTransaction", {"transactionId": int(session.transaction_id)})

    def reset(self, kind: ResetKind, evse_id: int | None) -> OutboundCall:
        if evse_id is not None:
            raise InvalidRequestError("evseId: an OCPP 1.6 station resets as a whole (no per-EVSE reset)")
        if kind not in _RESET_TYPES:
            raise InvalidRequestError(f"type: OCPP 1.6 resets are Soft or Hard, not {kind}")
        return OutboundCall("Reset", {"type": _RESET_TYPES[kind]})


def interpret_result(action: str, payload: dict[str, Any]) -> CommandStatus:
    """Per action where the generic status rule is not enough."""
    if action == "GetConfiguration" and not payload.get("configurationKey") and payload.get("unknownKey"):
        return CommandStatus.REJECTED  # every key asked for is unknown to the station
    return status_from_call_result(payload)
