"""The local platform in-process, on free ports, in front of the real handlers, and an operator
API client. Handler modules cache their settings and clients per "container" (process); those
caches are cleared around each test so the handlers see this platform's environment and later
tests do not see a stopped moto."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tools.local_platform import LocalPlatform, PlatformConfig
from tools.simulator import ChargerBase, ChargerSettings, simulated_charger

DEMO_PASSWORD = "correct-horse-battery-staple"


def clear_warm_container_caches() -> None:
    for name, module in list(sys.modules.items()):
        if not name.startswith(("shared.", "functions.")):
            continue
        for attribute in list(vars(module).values()):
            cache_clear = getattr(attribute, "cache_clear", None)
            if callable(cache_clear) and getattr(attribute, "__module__", None) == name:
                cache_clear()


@dataclass
class OperatorClient:
    base_url: str
    token: str
    session: aiohttp.ClientSession

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.session.request(method, self.base_url + path, json=body, headers=headers) as response:
            text = await response.text()
            return response.status, (await response.json() if text else None)

    async def wait_for_command(self, command_id: str, wanted: set[str], within: float = 15) -> dict[str, Any]:
        command: Any = None
        try:
            async with asyncio.timeout(within):
                while True:
                    status, command = await self.call("GET", f"/commands/{command_id}")
                    assert status == 200, command
                    if command["status"] in wanted:
                        return dict(command)
                    await asyncio.sleep(0.1)
        except TimeoutError as error:
            raise AssertionError(f"command {command_id} is still {command}") from error


@pytest.fixture
async def platform(tmp_path: Path) -> AsyncIterator[LocalPlatform]:
    clear_warm_container_caches()
    # Stream batches every 2 s instead of the catalog's 60 s: live draws reach sessions and the
    # allocator within the test's patience.
    config = PlatformConfig(
        gateway_port=0, moto_port=0, state_dir=tmp_path / "state", stream_batching_window_seconds=2.0
    )
    local = LocalPlatform(config)
    await local.start()
    try:
        yield local
    finally:
        await local.stop()
        clear_warm_container_caches()


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def operator(platform: LocalPlatform, http_session: aiohttp.ClientSession) -> OperatorClient:
    return OperatorClient(platform.endpoints.http_api_url, platform.demo_token, http_session)


@pytest.fixture
async def chargers() -> AsyncIterator[list[ChargerBase[Any]]]:
    started: list[ChargerBase[Any]] = []
    yield started
    for charger in started:
        await charger.stop()


async def start_charger(
    platform: LocalPlatform, chargers: list[Any], station_id: str, **overrides: Any
) -> Any:
    """A simulated charger (``protocol="2.0.1"`` for a 2.0.1 one), started."""
    settings: dict[str, Any] = {
        "station_id": station_id,
        "url": platform.endpoints.websocket_url,
        "password": DEMO_PASSWORD,
        "id_tag": "TAG-E2E",
        "sessions": 0,
        "session_seconds": 600.0,
        "meter_interval_seconds": 60.0,
        "time_scale": 300.0,
        "reconnect_delay_seconds": 0.1,
        **overrides,
    }
    charger = simulated_charger(ChargerSettings(**settings))
    chargers.append(charger)
    await charger.start()
    return charger
