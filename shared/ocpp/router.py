"""One incoming OCPP-J frame in, at most one reply frame out: the station's protocol comes from its
connection (the authorizer context), the handler from the protocol registry."""

from __future__ import annotations

import json
import threading

from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallError, CallResult, MessageType

from shared.charging.services import ChargingServices
from shared.domain.stations import StationContext
from shared.observability import logger, metrics
from shared.ocpp.dispatch import dispatch_call
from shared.ocpp.frames import FrameRejection, call_error_frame, parse_frame
from shared.ocpp.outbound import OutboundCommands
from shared.ocpp.plugin import ProtocolPlugin, StationHandler
from shared.ocpp.protocols import plugin_for


def _compact(message: CallResult | CallError) -> str:
    if isinstance(message, CallResult):
        body: list[object] = [MessageType.CallResult, message.unique_id, message.payload]
    else:
        body = [
            MessageType.CallError,
            message.unique_id,
            message.error_code,
            message.error_description,
            message.error_details,
        ]
    return json.dumps(body, separators=(",", ":"))


class StationFrameRouter:
    """Built once per warm container; each protocol's handler is built on first use and reused."""

    def __init__(self, services: ChargingServices, outbound: OutboundCommands) -> None:
        self._services = services
        self._outbound = outbound
        self._handlers: dict[str, StationHandler] = {}
        self._lock = threading.Lock()

    def _handler(self, plugin: ProtocolPlugin) -> StationHandler:
        handler = self._handlers.get(plugin.subprotocol)
        if handler is None:
            with self._lock:
                handler = self._handlers.setdefault(plugin.subprotocol, plugin.build_handler(self._services))
        return handler

    def handle(self, station: StationContext, raw: str | bytes | None) -> str | None:
        plugin = plugin_for(station.protocol)
        frame = parse_frame(raw)
        if frame is None:
            return None
        if isinstance(frame, FrameRejection):
            self._count_rejection(station, frame.error, frame.message_id)
            if not frame.reply:
                return None
            return call_error_frame(frame.message_id, frame.error, plugin.error_code(frame.error.code))
        if isinstance(frame, Call):
            answer = dispatch_call(plugin, self._handler(plugin), station, frame)
            if isinstance(answer, CallError):
                error = OCPPError(description=answer.error_description, details=answer.error_details or {})
                error.code = answer.error_code
                self._count_rejection(station, error, frame.unique_id, frame.action)
                return call_error_frame(answer.unique_id, error, plugin.error_code(answer.error_code))
            return _compact(answer)
        if station.enrolling:
            return None  # the CSMS calls no station waiting for approval: an answer answers nothing
        if isinstance(frame, CallResult):
            self._outbound.complete_from_call_result(station, frame)
            return None
        self._outbound.complete_from_call_error(
            station, frame.unique_id, frame.error_code, frame.error_description, frame.error_details
        )
        return None

    @staticmethod
    def _count_rejection(
        station: StationContext, error: OCPPError, message_id: str, action: str | None = None
    ) -> None:
        """One short structured line per rejected frame: a misbehaving charger costs bounded log bytes,
        never its payload (which may be 128 KB) or a traceback."""
        metrics.add_metric(name="RejectedFrames", unit="Count", value=1)
        cause = (error.details or {}).get("cause") if isinstance(error.details, dict) else None
        logger.warning(
            "frame rejected",
            extra={
                "stationId": station.station_id,
                "code": error.code,
                "action": (action or "")[:64],
                "messageId": message_id[:36],
                "cause": str(cause)[:120] if cause else None,
            },
        )
