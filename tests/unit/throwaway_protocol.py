"""A protocol plug-in that exists only for a test: it proves that a new OCPP version is one folder plus
one registry entry, without touching the router, the gateway or the dispatcher."""

from __future__ import annotations

from typing import Any

from ocpp.routing import create_route_map, on
from ocpp.v16 import call_result

from shared.charging.services import ChargingServices
from shared.domain.commands import status_from_call_result
from shared.ocpp.dispatch import MessageContext
from shared.ocpp.plugin import ProtocolPlugin
from shared.ocpp.v16.mappers import V16Mappers

SUBPROTOCOL = "ocpp0.test"


class ThrowawayStationHandler:
    def __init__(self, services: ChargingServices) -> None:
        self.route_map = create_route_map(self)

    @on("Heartbeat")
    def answer_heartbeat(self, message: MessageContext, **_: Any) -> call_result.Heartbeat:
        return call_result.Heartbeat(current_time="1999-12-31T23:59:59.000Z")


PLUGIN = ProtocolPlugin(
    subprotocol=SUBPROTOCOL,
    ocpp_version="1.6",  # borrows the 1.6 schemas
    actions=frozenset({"Heartbeat", "BootNotification"}),
    csms_initiated_actions=frozenset({"Reset"}),
    allowed_before_acceptance={},
    error_code=lambda code: f"Test{code}",
    build_handler=ThrowawayStationHandler,
    mappers=V16Mappers(),
    interpret_result=lambda action, payload: status_from_call_result(payload),
)
