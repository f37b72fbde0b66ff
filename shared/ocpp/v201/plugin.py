"""OCPP 2.0.1 as a platform protocol: one registry entry in shared/ocpp/protocols.py points here."""

from __future__ import annotations

from ocpp.exceptions import OccurrenceConstraintViolationError

from shared.charging.services import ChargingServices
from shared.ocpp.plugin import ProtocolPlugin
from shared.ocpp.v201 import actions
from shared.ocpp.v201.mappers import V201Mappers, effects_of, interpret_result
from shared.ocpp.v201.station import V201StationHandler


def _build_handler(services: ChargingServices) -> V201StationHandler:
    return V201StationHandler(services)


PLUGIN = ProtocolPlugin(
    subprotocol=actions.SUBPROTOCOL,
    ocpp_version=actions.OCPP_VERSION,
    actions=actions.ALL_ACTIONS,
    csms_initiated_actions=actions.CSMS_INITIATED_ACTIONS,
    allowed_before_acceptance=actions.ALLOWED_BEFORE_ACCEPTANCE,
    error_code=actions.error_code_for_v201,
    build_handler=_build_handler,
    mappers=V201Mappers(),
    interpret_result=interpret_result,
    # B02 (Cold Boot, Pending): not while Pending.
    not_sent_while_pending=frozenset({"RequestStartTransaction", "RequestStopTransaction"}),
    effects_of=effects_of,
    # A required field missing is an occurrence (minOccurs) violation in 2.0.1's terms (part 4, 4.3).
    missing_field_error=OccurrenceConstraintViolationError,
)
