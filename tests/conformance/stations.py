"""A charging station for the conformance cases: the ``ocpp`` package's ChargePoint (1.6 or 2.0.1) over
``websockets``, connected to the local platform, whose answers to the CSMS are scripted per case.

The case plays the OCA test tool's part on the station side, the platform is the system under test:
``send`` is a station-initiated CALL (its CALLRESULT returned camelCase, a CALLERROR raised as the
``ocpp`` package's exception); ``answer`` scripts the reply to a CSMS-initiated action; ``request``
waits for the CSMS to send one and returns its payload as it arrived.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
from collections import defaultdict
from collections.abc import Callable
from dataclasses import make_dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

from ocpp.charge_point import (
    ChargePoint,
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from websockets.asyncio.client import ClientConnection, connect
from websockets.typing import Subprotocol

from shared.ocpp.v16.actions import CSMS_INITIATED_ACTIONS as CSMS_16
from shared.ocpp.v201.actions import CSMS_INITIATED_ACTIONS as CSMS_201

V16 = "1.6"
V201 = "2.0.1"
Reply = dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]]
_ids = itertools.count(1)


def now(offset_seconds: float = 0) -> str:
    moment = datetime.now(UTC) + timedelta(seconds=offset_seconds)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _echo_variables(
    result_key: str, data_key: str, status: str
) -> Callable[[dict[str, Any]], dict[str, Any]]:
    def reply(request: dict[str, Any]) -> dict[str, Any]:
        return {
            result_key: [
                {"attributeStatus": status, "component": item["component"], "variable": item["variable"]}
                for item in request[data_key]
            ]
        }

    return reply


DEFAULT_REPLIES: dict[str, dict[str, Reply]] = {
    V16: {
        "UnlockConnector": {"status": "Unlocked"},
        "GetConfiguration": {"configurationKey": []},
        "GetLocalListVersion": {"listVersion": 0},
        "UpdateFirmware": {},
        "GetDiagnostics": {},
    },
    V201: {
        "UnlockConnector": {"status": "Unlocked"},
        "GetVariables": _echo_variables("getVariableResult", "getVariableData", "UnknownComponent"),
        "SetVariables": _echo_variables("setVariableResult", "setVariableData", "Accepted"),
        "GetLocalListVersion": {"versionNumber": 0},
        "GetTransactionStatus": {"messagesInQueue": False},
        "CostUpdated": {},
        "ClearVariableMonitoring": {"clearMonitoringResult": []},
        "SetVariableMonitoring": {"setMonitoringResult": []},
    },
}


def _as_dataclass(name: str, camel: dict[str, Any]) -> Any:
    """Any reply as the dataclass the ocpp package sends (it camelCases the fields back)."""
    snake = camel_to_snake_case(camel)
    shape = make_dataclass(name, [(key, Any) for key in snake])
    return shape(**snake)


class _ScriptedChargePoint:
    """Mixin: every CSMS-initiated action of the version answered from the owner's script."""

    def __init__(self, owner: ConformanceStation, actions: frozenset[str]) -> None:
        self.route_map = {
            action: {"_on_action": self._handler(owner, action), "_skip_schema_validation": False}
            for action in actions
        }

    @staticmethod
    def _handler(owner: ConformanceStation, action: str) -> Callable[..., Any]:
        def handle(**arguments: Any) -> Any:
            request = snake_to_camel_case(arguments)
            owner.requests[action].append(request)
            owner.arrived.set()
            reply = owner.replies.get(
                action, DEFAULT_REPLIES[owner.version].get(action, {"status": "Accepted"})
            )
            payload = reply(request) if callable(reply) else reply
            return _as_dataclass(f"{action}Reply", payload)

        return handle


class _Station16(ChargePoint16):
    def __init__(self, station_id: str, socket: ClientConnection, owner: ConformanceStation) -> None:
        super().__init__(station_id, socket, response_timeout=10)
        self.route_map = _ScriptedChargePoint(owner, CSMS_16).route_map


class _Station201(ChargePoint201):
    def __init__(self, station_id: str, socket: ClientConnection, owner: ConformanceStation) -> None:
        super().__init__(station_id, socket, response_timeout=10)
        self.route_map = _ScriptedChargePoint(owner, CSMS_201).route_map


class ConformanceStation:
    def __init__(self, station_id: str, version: str) -> None:
        self.station_id = station_id
        self.version = version
        self.replies: dict[str, Reply] = {}
        self.requests: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
        self.arrived = asyncio.Event()
        self.subprotocol: str | None = None
        self.token = "OCA-TAG-1"
        """An ID token of its own (registered Accepted), so that no case charges with another's."""
        self._socket: ClientConnection | None = None
        self._point: ChargePoint | None = None
        self._reader: asyncio.Task[None] | None = None
        self._seen: defaultdict[str, int] = defaultdict(int)

    @property
    def calls(self) -> ModuleType:
        return call16 if self.version == V16 else call201

    async def connect(self, url: str, password: str | None, offer: list[str] | None = None) -> None:
        headers = {}
        if password is not None:
            token = base64.b64encode(f"{self.station_id}:{password}".encode()).decode()
            headers["Authorization"] = f"Basic {token}"
        subprotocols = [Subprotocol(item) for item in (offer or [f"ocpp{self.version}"])]
        self._socket = await connect(
            f"{url}/{self.station_id}", subprotocols=subprotocols, additional_headers=headers, open_timeout=10
        )
        self.subprotocol = self._socket.subprotocol
        point_type = _Station16 if self.version == V16 else _Station201
        self._point = point_type(self.station_id, self._socket, self)
        self._reader = asyncio.create_task(self._point.start())

    async def close(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(Exception):
                await self._socket.close()
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def reconnect(self, url: str, password: str | None) -> None:
        await self.close()
        await self.connect(url, password)

    # --- station-initiated -------------------------------------------------------------------------

    async def send(self, action: str, payload: dict[str, Any] | None = None) -> dict[str, Any]:
        assert self._point is not None, "connect first"
        request = getattr(self.calls, action)(**camel_to_snake_case(payload or {}))
        result = await self._point.call(request, suppress=False)
        return dict(snake_to_camel_case(remove_nones(serialize_as_dict(result))))

    async def send_raw(self, frame: str) -> Any:
        """A frame as text (malformed ones included); the CSMS's reply frame, decoded, if it answers."""
        assert self._socket is not None and self._reader is not None
        import json

        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._socket.send(frame)
        try:
            reply = await asyncio.wait_for(self._socket.recv(), 5)
        except TimeoutError:
            return None
        finally:
            assert self._point is not None
            self._reader = asyncio.create_task(self._point.start())
        return json.loads(reply)

    # --- CSMS-initiated ----------------------------------------------------------------------------

    def answer(self, action: str, reply: Reply) -> None:
        self.replies[action] = reply

    async def request(self, action: str, within: float = 10.0) -> dict[str, Any]:
        """The next (not yet returned) request of ``action`` the CSMS sent."""
        async with asyncio.timeout(within):
            while len(self.requests[action]) <= self._seen[action]:
                self.arrived.clear()
                await self.arrived.wait()
        request = self.requests[action][self._seen[action]]
        self._seen[action] += 1
        return request

    # --- the usual opening ------------------------------------------------------------------------

    async def boot(self) -> dict[str, Any]:
        if self.version == V16:
            return await self.send(
                "BootNotification",
                {"chargePointVendor": "OCA", "chargePointModel": "Conformance", "firmwareVersion": "1.0"},
            )
        return await self.send(
            "BootNotification",
            {
                "chargingStation": {"vendorName": "OCA", "model": "Conformance", "firmwareVersion": "1.0"},
                "reason": "PowerUp",
            },
        )

    async def status(
        self, connector: int, status: str, error_code: str = "NoError", **extra: Any
    ) -> dict[str, Any]:
        """1.6 connector status (connector 0: the station); 2.0.1 EVSE ``connector`` with connector 1."""
        if self.version == V16:
            return await self.send(
                "StatusNotification",
                {
                    "connectorId": connector,
                    "errorCode": error_code,
                    "status": status,
                    "timestamp": now(),
                    **extra,
                },
            )
        return await self.send(
            "StatusNotification",
            {"timestamp": now(), "connectorStatus": status, "evseId": connector, "connectorId": 1, **extra},
        )

    async def authorize(self, token: str, token_type: str = "ISO14443") -> str:
        if self.version == V16:
            return str((await self.send("Authorize", {"idTag": token}))["idTagInfo"]["status"])
        reply = await self.send("Authorize", {"idToken": {"idToken": token, "type": token_type}})
        return str(reply["idTokenInfo"]["status"])


class Transaction201:
    """A 2.0.1 transaction on the station side: its id and the next seqNo (E01-E15)."""

    def __init__(self, station: ConformanceStation, evse: int = 1, transaction_id: str | None = None) -> None:
        self.station = station
        self.evse = evse
        self.transaction_id = transaction_id or f"TX-{next(_ids)}"
        self.seq_no = 0

    def event(
        self,
        event_type: str,
        trigger: str,
        *,
        token: str | None = None,
        meter_wh: float | None = None,
        context: str | None = None,
        offline: bool = False,
        timestamp: str | None = None,
        with_evse: bool | None = None,
        seq_no: int | None = None,
        **info: Any,
    ) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "eventType": event_type,
            "timestamp": timestamp or now(),
            "triggerReason": trigger,
            "seqNo": self.seq_no if seq_no is None else seq_no,
            "transactionInfo": {"transactionId": self.transaction_id, **info},
        }
        if seq_no is None:
            self.seq_no += 1
        if with_evse or (with_evse is None and event_type == "Started"):
            payload["evse"] = {"id": self.evse, "connectorId": 1}
        if token is not None:
            payload["idToken"] = {"idToken": token, "type": "ISO14443"}
        if meter_wh is not None:
            payload["meterValue"] = [
                {
                    "timestamp": payload["timestamp"],
                    "sampledValue": [
                        {
                            "value": meter_wh,
                            "context": context
                            or {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(
                                event_type, "Sample.Periodic"
                            ),
                            "measurand": "Energy.Active.Import.Register",
                            "unitOfMeasure": {"unit": "Wh"},
                        }
                    ],
                }
            ]
        if offline:
            payload["offline"] = True
        return payload

    async def send(self, event_type: str, trigger: str, **options: Any) -> dict[str, Any]:
        return await self.station.send("TransactionEvent", self.event(event_type, trigger, **options))
