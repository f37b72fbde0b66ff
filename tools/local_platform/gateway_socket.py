"""An aiohttp WebSocket response that behaves like API Gateway at the protocol level.

Two things aiohttp does differently from API Gateway are overridden here (against aiohttp 3.14's
internals, pinned in pyproject.toml):
- subprotocol: API Gateway echoes exactly the ``Sec-WebSocket-Protocol`` value the ``$connect``
  integration returned, or none; aiohttp would negotiate from its own list;
- frame size: API Gateway closes the socket (1009) on a data frame over 32 KB even when the
  message is under the 128 KB message limit; aiohttp only limits whole messages.
"""

from __future__ import annotations

from typing import Any

from aiohttp import hdrs, web
from aiohttp._websocket.models import WebSocketError, WSCloseCode
from aiohttp._websocket.reader_py import WebSocketDataQueue, WebSocketReader
from aiohttp.streams import DEFAULT_CHUNK_SIZE
from aiohttp.web_request import BaseRequest
from multidict import CIMultiDict

from tools.local_platform.config import FRAME_LIMIT_BYTES, MESSAGE_LIMIT_BYTES

_DATA_OPCODES = frozenset({0x0, 0x1, 0x2})  # continuation, text, binary


class _FrameLimitedReader(WebSocketReader):
    def _handle_frame(self, fin: bool, opcode: int, payload: bytes | bytearray, compressed: int) -> None:
        if opcode in _DATA_OPCODES and len(payload) > FRAME_LIMIT_BYTES:
            raise WebSocketError(WSCloseCode.MESSAGE_TOO_BIG, "Frame size limit exceeded")
        super()._handle_frame(fin, opcode, payload, compressed)


class GatewayWebSocket(web.WebSocketResponse):
    def __init__(self, selected_protocol: str | None) -> None:
        # Listing the chosen protocol only keeps aiohttp from logging a mismatch; _handshake decides.
        super().__init__(
            protocols=(selected_protocol,) if selected_protocol else (),
            max_msg_size=MESSAGE_LIMIT_BYTES,
            compress=False,
            autoping=True,
        )
        self._selected_protocol = selected_protocol

    def _handshake(self, request: BaseRequest) -> tuple[CIMultiDict[str], str | None, int, bool]:
        headers, _, compress, notakeover = super()._handshake(request)
        headers.popall(hdrs.SEC_WEBSOCKET_PROTOCOL, None)
        if self._selected_protocol:
            headers[hdrs.SEC_WEBSOCKET_PROTOCOL] = self._selected_protocol
        return headers, self._selected_protocol, compress, notakeover

    def _post_start(self, request: BaseRequest, protocol: str | None, writer: Any) -> None:
        # aiohttp 3.14's _post_start, with the pure-Python reader (the compiled one cannot be
        # subclassed) carrying the frame-size check. No heartbeat is configured, so no data callback.
        self._ws_protocol = protocol
        self._writer = writer
        self._reset_heartbeat()
        queue = WebSocketDataQueue(request._protocol, DEFAULT_CHUNK_SIZE, loop=request._loop)
        parser = _FrameLimitedReader(queue, MESSAGE_LIMIT_BYTES, compress=False, decode_text=True)
        self._reader = queue
        self._parser = parser
        request.protocol.set_parser(parser, data_received_cb=None)
        request.protocol.keep_alive(False)
