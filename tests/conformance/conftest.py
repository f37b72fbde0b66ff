"""One local platform per conformance module (in-process, real handlers, moto), an operator client, and
stations registered through the API and connected with a real ``ocpp`` client."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import pytest_asyncio

from tests.conformance.stations import V16, ConformanceStation
from tests.e2e.conftest import clear_warm_container_caches
from tools.local_platform import LocalPlatform, PlatformConfig

PASSWORD = "conformance-password-0001"
TOKEN = "OCA-TAG-1"
_numbers = itertools.count(1)

FINAL = {"accepted", "rejected", "failed", "timeout", "offline"}


@dataclass
class Operator:
    base_url: str
    token: str
    session: aiohttp.ClientSession

    async def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.token}"}
        async with self.session.request(method, self.base_url + path, json=body, headers=headers) as response:
            text = await response.text()
            return response.status, (await response.json() if text else None)

    async def ok(self, method: str, path: str, body: Any = None, status: int | None = None) -> Any:
        got, answer = await self.call(method, path, body)
        wanted = status or {"POST": 202, "DELETE": 202}.get(method, 200)
        assert got == wanted, (method, path, got, answer)
        return answer

    async def command(self, command_id: str, wanted: set[str] = FINAL, within: float = 10) -> dict[str, Any]:
        command: Any = None
        async with asyncio.timeout(within):
            while True:
                _, command = await self.call("GET", f"/commands/{command_id}")
                if command["status"] in wanted:
                    return dict(command)
                await asyncio.sleep(0.05)

    async def eventually(self, path: str, check: Callable[[Any], bool], within: float = 10) -> Any:
        """GET ``path`` until ``check`` holds for its body (the platform writes as the station speaks)."""
        body: Any = None
        try:
            async with asyncio.timeout(within):
                while True:
                    status, body = await self.call("GET", path)
                    if status == 200 and check(body):
                        return body
                    await asyncio.sleep(0.05)
        except TimeoutError as error:
            raise AssertionError(f"GET {path} never satisfied the check; last: {body}") from error


@dataclass
class Conformance:
    platform: LocalPlatform
    operator: Operator
    stations: list[ConformanceStation] = field(default_factory=list)

    @property
    def url(self) -> str:
        return self.platform.endpoints.websocket_url

    async def register(self, station_id: str, **fields: Any) -> None:
        await self.operator.ok(
            "POST", "/stations", {"stationId": station_id, "password": PASSWORD, **fields}, 201
        )

    async def station(
        self, version: str = V16, *, boot: bool = True, register: bool = True, **fields: Any
    ) -> ConformanceStation:
        """A new station id, registered with a password, connected; booted and reported Available."""
        station_id = f"OCA-{version.replace('.', '')}-{next(_numbers):04d}"
        if register:
            await self.register(station_id, **fields)
        station = ConformanceStation(station_id, version)
        station.token = await self.token(f"TAG-{station_id[-6:]}")
        await station.connect(self.url, PASSWORD)
        self.stations.append(station)
        if boot:
            await station.boot()
            if version == V16:
                await station.status(0, "Available")
            await station.status(1, "Available")
        return station

    async def token(self, value: str = TOKEN, **fields: Any) -> str:
        status, body = await self.operator.call("POST", "/id-tokens", {"idToken": value, **fields})
        assert status in (201, 409), body
        return value


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def conformance(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Conformance]:
    clear_warm_container_caches()
    state = Path(tmp_path_factory.mktemp("conformance"))
    local = LocalPlatform(PlatformConfig(gateway_port=0, moto_port=0, state_dir=state, handler_workers=8))
    await local.start()
    try:
        async with aiohttp.ClientSession() as session:
            operator = Operator(local.endpoints.http_api_url, local.demo_token, session)
            harness = Conformance(local, operator)
            await harness.token()
            yield harness
            for station in harness.stations:
                await station.close()
    finally:
        await local.stop()
        clear_warm_container_caches()


Case = Callable[..., Awaitable[None]]
