"""Operator intents as OCPP 1.6 calls, and what a 1.6 answer means for the command that sent it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.domain.base import to_iso
from shared.domain.commands import CommandStatus, status_from_call_result
from shared.domain.errors import InvalidRequestError
from shared.domain.sessions import Session
from shared.ocpp.plugin import LogKind, OutboundCall, ResetKind

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

    def update_firmware(
        self,
        *,
        request_id: int,
        location: str,
        retrieve_at: datetime,
        install_at: datetime | None = None,
        retries: int | None = None,
        retry_interval_seconds: int | None = None,
        signing_certificate: str | None = None,
        signature: str | None = None,
    ) -> OutboundCall:
        """1.6 UpdateFirmware (section 6.50) has no request id, no install time and no signature: the
        station installs when it has the image and checks it as its vendor does (the security
        whitepaper's SignedUpdateFirmware is not sent)."""
        payload: dict[str, Any] = {"location": location, "retrieveDate": to_iso(retrieve_at)}
        if retries is not None:
            payload["retries"] = retries
        if retry_interval_seconds is not None:
            payload["retryInterval"] = retry_interval_seconds
        return OutboundCall("UpdateFirmware", payload)

    def request_diagnostics(
        self,
        *,
        request_id: int,
        upload_location: str,
        log_kind: LogKind = "Diagnostics",
        oldest: datetime | None = None,
        latest: datetime | None = None,
        retries: int | None = None,
        retry_interval_seconds: int | None = None,
    ) -> OutboundCall:
        if log_kind != "Diagnostics":
            raise InvalidRequestError(
                f"logType: an OCPP 1.6 station uploads diagnostics only, not a {log_kind} log"
            )
        payload: dict[str, Any] = {"location": upload_location}
        for name, value in (("retries", retries), ("retryInterval", retry_interval_seconds)):
            if value is not None:
                payload[name] = value
        for name, moment in (("startTime", oldest), ("stopTime", latest)):
            if moment is not None:
                payload[name] = to_iso(moment)
        return OutboundCall("GetDiagnostics", payload)

    def diagnostics_file_name(self, response: dict[str, Any]) -> str | None:
        """GetDiagnostics.conf: no fileName means no diagnostics are available (section 6.22)."""
        name = response.get("fileName")
        return str(name) if name else None


def interpret_result(action: str, payload: dict[str, Any]) -> CommandStatus:
    """Per action where the generic status rule is not enough."""
    if action == "GetConfiguration" and not payload.get("configurationKey") and payload.get("unknownKey"):
        return CommandStatus.REJECTED  # every key asked for is unknown to the station
    return status_from_call_result(payload)
