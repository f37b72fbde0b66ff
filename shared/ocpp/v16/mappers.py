"""Operator intents as OCPP 1.6 calls, and what a 1.6 answer means for the command that sent it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.domain.commands import CommandStatus, status_from_call_result
from shared.domain.errors import InvalidRequestError
from shared.domain.sessions import Session
from shared.ocpp.plugin import OutboundCall, ResetKind

if TYPE_CHECKING:
    from shared.energy.profiles import ChargingProfile, ProfilePurpose

SMART_CHARGING_KEYS = (
    "ChargingScheduleAllowedChargingRateUnit",
    "ChargeProfileMaxStackLevel",
    "ChargingScheduleMaxPeriods",
)
"""OCPP 1.6 section 9.4: the Smart Charging profile's configuration keys."""

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

    def set_charging_profile(self, profile: ChargingProfile) -> OutboundCall:
        # Imported here: only the allocator's function sends profiles (the schemas check it again).
        from shared.energy.ocpp16_profiles import set_charging_profile_payload

        return OutboundCall("SetChargingProfile", set_charging_profile_payload(profile))

    def clear_charging_profile(
        self,
        profile_id: int | None = None,
        evse_id: int | None = None,
        purpose: ProfilePurpose | None = None,
        stack_level: int | None = None,
    ) -> OutboundCall:
        from shared.energy.ocpp16_profiles import clear_charging_profile_payload

        return OutboundCall(
            "ClearChargingProfile", clear_charging_profile_payload(profile_id, evse_id, purpose, stack_level)
        )

    def request_charging_capabilities(self) -> OutboundCall:
        return OutboundCall("GetConfiguration", {"key": list(SMART_CHARGING_KEYS)})


def interpret_result(action: str, payload: dict[str, Any]) -> CommandStatus:
    """Per action where the generic status rule is not enough."""
    if action == "GetConfiguration" and not payload.get("configurationKey") and payload.get("unknownKey"):
        return CommandStatus.REJECTED  # every key asked for is unknown to the station
    return status_from_call_result(payload)
