"""OCPP 2.0.1 actions by direction, and the 2.0.1 spelling of RPC error codes."""

from __future__ import annotations

from ocpp.v201.enums import Action

from shared.domain.stations import RegistrationPolicy

OCPP_VERSION = "2.0.1"
SUBPROTOCOL = "ocpp2.0.1"

STATION_INITIATED_ACTIONS: frozenset[str] = frozenset(
    action.value
    for action in (
        Action.authorize,
        Action.boot_notification,
        Action.cleared_charging_limit,
        Action.data_transfer,
        Action.firmware_status_notification,
        Action.get_15118_ev_certificate,
        Action.get_certificate_status,
        Action.heartbeat,
        Action.log_status_notification,
        Action.meter_values,
        Action.notify_charging_limit,
        Action.notify_customer_information,
        Action.notify_display_messages,
        Action.notify_ev_charging_needs,
        Action.notify_ev_charging_schedule,
        Action.notify_event,
        Action.notify_monitoring_report,
        Action.notify_report,
        Action.publish_firmware_status_notification,
        Action.report_charging_profiles,
        Action.reservation_status_update,
        Action.security_event_notification,
        Action.sign_certificate,
        Action.status_notification,
        Action.transaction_event,
    )
)

# DataTransfer goes both ways; everything else a station does not send, the CSMS may.
CSMS_INITIATED_ACTIONS: frozenset[str] = frozenset(
    action.value for action in Action if action.value not in STATION_INITIATED_ACTIONS
) | {Action.data_transfer.value}

ALL_ACTIONS: frozenset[str] = frozenset(action.value for action in Action)

# B02.FR.02/B03: before it is Accepted a station sends BootNotification only, except what the CSMS asks
# for while it is Pending (B02.FR.01: reports, variables, TriggerMessage'd messages). Nothing that
# authorizes or records charging is answered; Rejected stations may only boot again.
ALLOWED_BEFORE_ACCEPTANCE = {
    RegistrationPolicy.PENDING: frozenset(
        {
            Action.boot_notification.value,
            Action.heartbeat.value,
            Action.status_notification.value,
            Action.notify_report.value,
            Action.notify_monitoring_report.value,
            Action.firmware_status_notification.value,
            Action.log_status_notification.value,
        }
    ),
    RegistrationPolicy.REJECTED: frozenset({Action.boot_notification.value}),
}

# 2.0.1 (part 4, 4.3) spells every code as the ocpp package does, MessageTypeNotSupported and
# RpcFrameworkError included: nothing to translate.
ERROR_CODE_SPELLING: dict[str, str] = {}


def error_code_for_v201(code: str) -> str:
    return ERROR_CODE_SPELLING.get(code, code)
