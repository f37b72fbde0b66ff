"""Fixtures: the local platform started in-process on free ports with tiny fake handlers, so these
tests depend on nothing but the gateway emulation itself."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tools.local_platform import LocalPlatform, PlatformConfig


class UnauthorizedError(Exception):
    """What a Python Lambda authorizer raises to make API Gateway answer 401."""

    def __init__(self) -> None:
        super().__init__("Unauthorized")


@dataclass
class FakeHandlers:
    """Records every event; each behaviour can be swapped per test."""

    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    authorize: Callable[[dict[str, Any]], Any] | None = None
    connect: Callable[[dict[str, Any]], Any] | None = None
    default: Callable[[dict[str, Any]], Any] | None = None
    operator: Callable[[dict[str, Any]], Any] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str, event: dict[str, Any]) -> None:
        with self._lock:
            self.events.setdefault(name, []).append(event)

    def of(self, name: str) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.events.get(name, []))

    async def wait_for(self, name: str, count: int = 1) -> list[dict[str, Any]]:
        """Events arrive from handler threads, so poll; 5 s is far beyond any path here."""
        async with asyncio.timeout(5):
            while len(self.of(name)) < count:  # noqa: ASYNC110
                await asyncio.sleep(0.02)
        return self.of(name)

    def overrides(self) -> dict[str, Callable[[dict[str, Any], Any], Any]]:
        def ws_authorizer(event: dict[str, Any], context: Any) -> Any:
            self.record("ws_authorizer", event)
            return (self.authorize or allow_station)(event)

        def ws_connect(event: dict[str, Any], context: Any) -> Any:
            self.record("ws_connect", event)
            return (self.connect or negotiate_ocpp16)(event)

        def ws_default(event: dict[str, Any], context: Any) -> Any:
            self.record("ws_default", event)
            return (self.default or echo_call_result)(event)

        def ws_disconnect(event: dict[str, Any], context: Any) -> Any:
            self.record("ws_disconnect", event)
            return {"statusCode": 200}

        def operator_api(event: dict[str, Any], context: Any) -> Any:
            self.record("operator_api", event)
            return (self.operator or echo_event)(event)

        return {
            "ws_authorizer": ws_authorizer,
            "ws_connect": ws_connect,
            "ws_default": ws_default,
            "ws_disconnect": ws_disconnect,
            "operator_api": operator_api,
        }


def allow_station(event: dict[str, Any]) -> dict[str, Any]:
    station_id = event["queryStringParameters"]["stationId"]
    return {
        "principalId": station_id,
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow", "Resource": event["methodArn"]}
            ],
        },
        "context": {
            "stationId": station_id,
            "tenantId": "tenant-a",
            "passwordRequired": False,
            "connectors": 2,
        },
    }


def negotiate_ocpp16(event: dict[str, Any]) -> dict[str, Any]:
    offered = next((v for k, v in event["headers"].items() if k.lower() == "sec-websocket-protocol"), "")
    if "ocpp1.6" in [item.strip() for item in offered.split(",")]:
        return {"statusCode": 200, "headers": {"Sec-WebSocket-Protocol": "ocpp1.6"}}
    return {"statusCode": 400}


def echo_call_result(event: dict[str, Any]) -> dict[str, Any]:
    frame = json.loads(event["body"])
    return {"statusCode": 200, "body": json.dumps([3, frame[1], {"echo": frame[3]}])}


def echo_event(event: dict[str, Any]) -> dict[str, Any]:
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps(event)}


@pytest.fixture
def fake_handlers() -> FakeHandlers:
    return FakeHandlers()


@pytest.fixture
def platform_config(tmp_path: Path) -> PlatformConfig:
    return PlatformConfig(gateway_port=0, moto_port=0, start_moto=False, state_dir=tmp_path / "state")


@pytest.fixture
async def platform(
    platform_config: PlatformConfig, fake_handlers: FakeHandlers
) -> AsyncIterator[LocalPlatform]:
    local = LocalPlatform(platform_config, handler_overrides=fake_handlers.overrides())
    await local.start()
    try:
        yield local
    finally:
        await local.stop()
