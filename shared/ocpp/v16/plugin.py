"""OCPP 1.6J as a platform protocol: one registry entry in shared/ocpp/protocols.py points here."""

from __future__ import annotations

from ocpp.messages import MessageType

from shared.charging.services import ChargingServices
from shared.ocpp.plugin import ProtocolPlugin
from shared.ocpp.v16 import actions
from shared.ocpp.v16.mappers import V16Mappers, effects_of, interpret_result
from shared.ocpp.v16.station import V16StationHandler


def _build_handler(services: ChargingServices) -> V16StationHandler:
    return V16StationHandler(services)


PLUGIN = ProtocolPlugin(
    subprotocol=actions.SUBPROTOCOL,
    ocpp_version=actions.OCPP_VERSION,
    actions=actions.ALL_ACTIONS,
    csms_initiated_actions=actions.CSMS_INITIATED_ACTIONS,
    allowed_before_acceptance=actions.ALLOWED_BEFORE_ACCEPTANCE,
    error_code=actions.error_code_for_v16,
    build_handler=_build_handler,
    mappers=V16Mappers(),
    interpret_result=interpret_result,
    not_sent_while_pending=frozenset(
        {"RemoteStartTransaction", "RemoteStopTransaction"}
    ),  # 1.6 section 4.2.1
    effects_of=effects_of,
    # The 1.6 schemas give these floats a precision of one decimal (the ocpp package does the same).
    decimal_actions=frozenset(
        {
            (MessageType.Call, "SetChargingProfile"),
            (MessageType.Call, "RemoteStartTransaction"),
            (MessageType.CallResult, "GetCompositeSchedule"),
        }
    ),
)
