"""One incoming OCPP-J frame in, at most one reply frame out."""

from __future__ import annotations

import asyncio
import json
import threading

from ocpp.exceptions import OCPPError
from ocpp.messages import Call, CallResult

from shared.domain.stations import StationContext
from shared.observability import logger, metrics
from shared.ocpp import outbound
from shared.ocpp.frames import FrameRejection, call_error_frame, parse_frame
from shared.ocpp.protocols import OcppProtocol, protocol_for
from shared.ocpp.v16.station import V16Station
from shared.wiring import Platform

_loops = threading.local()


def _event_loop() -> asyncio.AbstractEventLoop:
    """One loop per thread, reused across invocations (the local platform runs handlers in threads)."""
    loop: asyncio.AbstractEventLoop | None = getattr(_loops, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _loops.loop = loop
    return loop


def handle_station_frame(platform: Platform, station: StationContext, raw: str | bytes | None) -> str | None:
    protocol = protocol_for(station.protocol)
    frame = parse_frame(raw)
    if isinstance(frame, FrameRejection):
        metrics.add_metric(name="RejectedFrames", unit="Count", value=1)
        logger.warning("frame rejected", extra={"stationId": station.station_id, "code": frame.error.code})
        if not frame.reply:
            return None
        return call_error_frame(frame.message_id, frame.error, protocol.error_code(frame.error.code))
    if isinstance(frame, Call):
        return _handle_call(platform, station, protocol, frame)
    if isinstance(frame, CallResult):
        outbound.complete_from_call_result(platform, station, frame)
        return None
    outbound.complete_from_call_error(
        platform, station, frame.unique_id, frame.error_code, frame.error_description, frame.error_details
    )
    return None


def _handle_call(
    platform: Platform, station: StationContext, protocol: OcppProtocol, call: Call
) -> str | None:
    handler = V16Station(platform, station)
    reply = _event_loop().run_until_complete(handler.handle_call(call))
    if reply is not None and reply.startswith("[4"):
        return _respell_call_error(reply, protocol)
    return reply


def _respell_call_error(reply: str, protocol: OcppProtocol) -> str:
    """The ocpp package builds CALLERRORs with 2.0.1 spellings and may put the whole message in the
    details; answer in the station's version, with a short cause only."""
    _, message_id, code, description, details = json.loads(reply)
    error = OCPPError(description=description, details=details if isinstance(details, dict) else {})
    error.code = code
    return call_error_frame(message_id, error, protocol.error_code(code))
