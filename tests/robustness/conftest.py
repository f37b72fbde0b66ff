"""A platform on moto driven the way a hostile charger or operator would: through the real handlers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from functions.operator_api.handler import handler as operator_handler
from shared.api.app import app
from shared.api.dependencies import current_platform
from shared.catalog import OPERATOR_API
from shared.gateway import websocket
from tests.builders import PlatformUnderTest, platform_on_moto
from tests.events import (
    authorizer_event,
    claims_for,
    connect_event,
    http_event,
    lambda_context,
    message_event,
)

ALICE = claims_for("tenant-a", "admin")
BOB = claims_for("tenant-b", "admin")


@dataclass
class Charger:
    """One connection of a station, as the gateway functions see it."""

    env: PlatformUnderTest
    authorizer: dict[str, Any]
    connection_id: str

    def send(self, frame: Any) -> Any:
        response = websocket.handle_message(
            self.env.platform, message_event(self.authorizer, frame, self.connection_id)
        )
        return json.loads(response["body"]) if "body" in response else None


@dataclass
class Harness:
    env: PlatformUnderTest
    passwords: dict[str, str] = field(default_factory=dict)
    """Each station's password, as registration answered it (generated when none was given)."""

    def api(
        self, method: str, path: str, claims: dict[str, Any] = ALICE, body: Any = None
    ) -> tuple[int, Any]:
        response = operator_handler(
            http_event(method, path, body=body, claims=claims), lambda_context(OPERATOR_API)
        )
        text = response.get("body") or ""
        return response["statusCode"], json.loads(text) if text else None

    def register(
        self, station_id: str = "CP-1", claims: dict[str, Any] = ALICE, **fields: Any
    ) -> dict[str, Any]:
        status, body = self.api("POST", "/v1/stations", claims, {"stationId": station_id, **fields})
        assert status == 201, body
        self.passwords[station_id] = fields.get("password") or body["password"]
        return dict(body)

    def connect(
        self, station_id: str = "CP-1", connection_id: str = "conn-1", password: str | None = None
    ) -> Charger:
        secret = password or self.passwords.get(station_id)
        decision = websocket.authorize_connection(
            self.env.platform, authorizer_event(station_id, password=secret, connection_id=connection_id)
        )
        assert decision["policyDocument"]["Statement"][0]["Effect"] == "Allow", decision
        authorizer = decision["context"]
        assert (
            websocket.connect(self.env.platform, connect_event(authorizer, connection_id))["statusCode"]
            == 200
        )
        return Charger(self.env, authorizer, connection_id)


@pytest.fixture
def harness() -> Iterator[Harness]:
    with platform_on_moto(last_seen_write_interval_seconds=0) as env:
        app.dependency_overrides[current_platform] = lambda: env.platform
        try:
            yield Harness(env)
        finally:
            app.dependency_overrides.clear()


def start_frame(message_id: str = "s1", **overrides: Any) -> list[Any]:
    payload = {"connectorId": 1, "idTag": "TAG-1", "meterStart": 1000, "timestamp": "2026-11-27T08:00:00Z"}
    return [2, message_id, "StartTransaction", {**payload, **overrides}]


def meter_frame(message_id: str, transaction_id: int, timestamp: str, kwh: str) -> list[Any]:
    return [
        2,
        message_id,
        "MeterValues",
        {
            "connectorId": 1,
            "transactionId": transaction_id,
            "meterValue": [{"timestamp": timestamp, "sampledValue": [{"value": kwh, "unit": "kWh"}]}],
        },
    ]


def stop_frame(message_id: str, transaction_id: int, meter_stop: int, timestamp: str) -> list[Any]:
    return [
        2,
        message_id,
        "StopTransaction",
        {"transactionId": transaction_id, "meterStop": meter_stop, "timestamp": timestamp},
    ]
