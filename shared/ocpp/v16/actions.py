"""OCPP 1.6 actions by direction, and the 1.6 spelling of RPC error codes."""

from __future__ import annotations

from ocpp.v16.enums import Action

from shared.domain.stations import RegistrationPolicy

OCPP_VERSION = "1.6"
SUBPROTOCOL = "ocpp1.6"

CSMS_INITIATED_ACTIONS: frozenset[str] = frozenset(
    action.value
    for action in (
        Action.cancel_reservation,
        Action.change_availability,
        Action.change_configuration,
        Action.clear_cache,
        Action.clear_charging_profile,
        Action.data_transfer,
        Action.get_composite_schedule,
        Action.get_configuration,
        Action.get_diagnostics,
        Action.get_local_list_version,
        Action.remote_start_transaction,
        Action.remote_stop_transaction,
        Action.reserve_now,
        Action.reset,
        Action.send_local_list,
        Action.set_charging_profile,
        Action.trigger_message,
        Action.unlock_connector,
        Action.update_firmware,
    )
)

ALL_ACTIONS: frozenset[str] = frozenset(action.value for action in Action)

# Before the CSMS accepts it, a 1.6 station sends only BootNotification (section 4.2); while Pending the
# CSMS may trigger (TriggerMessage) Heartbeat, StatusNotification and the firmware and diagnostics
# notifications, so those are answered too. Nothing that authorizes or records charging is: a triggered
# MeterValues is refused like any other until the station is accepted.
ALLOWED_BEFORE_ACCEPTANCE = {
    RegistrationPolicy.PENDING: frozenset(
        {
            Action.boot_notification.value,
            Action.heartbeat.value,
            Action.status_notification.value,
            Action.firmware_status_notification.value,
            Action.diagnostics_status_notification.value,
        }
    ),
    RegistrationPolicy.REJECTED: frozenset({Action.boot_notification.value}),
}

# OCPP 1.6 (section 4.2.3) spells two codes differently from the ocpp package (which follows 2.0.1), and
# has neither MessageTypeNotSupported nor RpcFrameworkError (2.0.1): an unknown MessageTypeId is a
# PropertyConstraintViolation here, a frame that is no valid RPC message a ProtocolError.
ERROR_CODE_SPELLING = {
    "FormatViolation": "FormationViolation",
    "OccurrenceConstraintViolation": "OccurenceConstraintViolation",
    "MessageTypeNotSupported": "PropertyConstraintViolation",
    "RpcFrameworkError": "ProtocolError",
}


def error_code_for_v16(code: str) -> str:
    return ERROR_CODE_SPELLING.get(code, code)
