"""A station of either protocol driven through the real gateway functions on moto: connect, send frames,
see the calls the CSMS posted to it and answer them. Frame builders for 2.0.1 transactions."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from shared.gateway import websocket
from tests.builders import PlatformUnderTest
from tests.events import authorizer_event, connect_event, message_event

V16 = "ocpp1.6"
V201 = "ocpp2.0.1"


@dataclass
class StationLink:
    env: PlatformUnderTest
    authorizer: dict[str, Any]
    connection_id: str
    answered: set[str] = field(default_factory=set)

    def send(self, frame: Any) -> Any:
        response = websocket.handle_message(
            self.env.platform, message_event(self.authorizer, frame, self.connection_id)
        )
        return json.loads(response["body"]) if "body" in response else None

    def call(self, message_id: str, action: str, payload: dict[str, Any]) -> Any:
        """A CALL; returns the CALLRESULT payload, or the whole CALLERROR frame."""
        reply = self.send([2, message_id, action, payload])
        return reply[2] if reply[0] == 3 else reply

    def calls(self) -> list[list[Any]]:
        """CALLs the CSMS posted to this connection, oldest first."""
        return self.env.connections.frames_to(self.connection_id)

    def unanswered(self) -> list[list[Any]]:
        return [frame for frame in self.calls() if frame[1] not in self.answered]

    def answer(self, payload: dict[str, Any], action: str | None = None) -> list[Any]:
        """Answers the oldest unanswered call (of ``action``, when given) with a CALLRESULT."""
        pending = [frame for frame in self.unanswered() if action is None or frame[2] == action]
        assert pending, f"no unanswered {action or 'call'}; posted: {self.calls()}"
        frame = pending[0]
        self.answered.add(frame[1])
        assert self.send([3, frame[1], payload]) is None
        return frame


def connect(
    env: PlatformUnderTest,
    station_id: str = "CP-1",
    protocol: str = V201,
    connection_id: str = "conn-1",
    password: str | None = None,
) -> StationLink:
    decision = websocket.authorize_connection(
        env.platform,
        authorizer_event(station_id, protocols=protocol, connection_id=connection_id, password=password),
    )
    assert decision["policyDocument"]["Statement"][0]["Effect"] == "Allow", decision
    authorizer = decision["context"]
    connected = websocket.connect(env.platform, connect_event(authorizer, connection_id, protocols=protocol))
    assert connected["statusCode"] == 200, connected
    return StationLink(env, authorizer, connection_id)


def energy(timestamp: str, wh: float, context: str = "Sample.Periodic") -> list[dict[str, Any]]:
    return [
        {
            "timestamp": timestamp,
            "sampledValue": [
                {
                    "value": wh,
                    "context": context,
                    "measurand": "Energy.Active.Import.Register",
                    "unitOfMeasure": {"unit": "Wh"},
                }
            ],
        }
    ]


def transaction_event(
    kind: str,
    seq_no: int,
    timestamp: str,
    transaction_id: str = "TX-1",
    *,
    trigger: str | None = None,
    evse: int | None = None,
    id_token: str | None = None,
    meter_wh: float | None = None,
    offline: bool = False,
    **transaction_info: Any,
) -> dict[str, Any]:
    context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(kind, "Sample.Periodic")
    payload: dict[str, Any] = {
        "eventType": kind,
        "timestamp": timestamp,
        "triggerReason": trigger
        or {"Started": "Authorized", "Ended": "StopAuthorized"}.get(kind, "MeterValuePeriodic"),
        "seqNo": seq_no,
        "transactionInfo": {"transactionId": transaction_id, **transaction_info},
    }
    if evse is not None:
        payload["evse"] = {"id": evse, "connectorId": 1}
    if id_token is not None:
        payload["idToken"] = {"idToken": id_token, "type": "ISO14443"}
    if meter_wh is not None:
        payload["meterValue"] = energy(timestamp, meter_wh, context)
    if offline:
        payload["offline"] = True
    return payload


def boot_201(vendor: str = "Acme", model: str = "X2") -> dict[str, Any]:
    return {
        "chargingStation": {"vendorName": vendor, "model": model, "firmwareVersion": "2.0"},
        "reason": "PowerUp",
    }
