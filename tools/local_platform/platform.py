"""The local platform: moto, the WebSocket gateway, the Management API and the operator HTTP API,
started and stopped as one unit (from the CLI or in-process from tests)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass

from aiohttp import web

from shared.catalog import FUNCTIONS, HTTP_API_PREFIX, OCPP_PATH_PREFIX
from tools.local_platform.aws_backend import MotoBackend, provision
from tools.local_platform.config import PlatformConfig
from tools.local_platform.connections import ConnectionRegistry
from tools.local_platform.environment import EnvironmentOverlay, lambda_environment
from tools.local_platform.http_api import OperatorHttpApi
from tools.local_platform.lambda_runtime import Handler, LambdaRuntime
from tools.local_platform.management_api import ManagementApi
from tools.local_platform.operator_tokens import TokenIssuer, load_or_create_secret, write_demo_token
from tools.local_platform.static_site import add_routes as add_dashboard_routes
from tools.local_platform.websocket_gateway import WebSocketGateway


@dataclass(frozen=True)
class PlatformEndpoints:
    host: str
    gateway_port: int
    moto_url: str | None

    @property
    def gateway_url(self) -> str:
        return f"http://{self.host}:{self.gateway_port}"

    @property
    def websocket_url(self) -> str:
        """Chargers append ``/<stationId>``."""
        return f"ws://{self.host}:{self.gateway_port}{OCPP_PATH_PREFIX.rstrip('/')}"

    @property
    def http_api_url(self) -> str:
        return f"{self.gateway_url}{HTTP_API_PREFIX}"

    @property
    def management_api_url(self) -> str:
        return self.gateway_url


async def _not_found(request: web.Request) -> web.Response:
    return web.json_response({"message": "Not Found"}, status=404)


class LocalPlatform:
    def __init__(
        self, config: PlatformConfig | None = None, handler_overrides: Mapping[str, Handler] | None = None
    ) -> None:
        """``handler_overrides`` replaces catalog handlers by function name (tests use fakes)."""
        self.config = config or PlatformConfig()
        self.connections = ConnectionRegistry()
        self.runtime = LambdaRuntime(
            FUNCTIONS,
            region=self.config.region,
            account_id=self.config.account_id,
            overrides=handler_overrides,
            workers=self.config.handler_workers,
        )
        self.tokens = TokenIssuer(load_or_create_secret(self.config.state_dir))
        self.demo_token = ""
        self._gateway = WebSocketGateway(self.config, self.runtime, self.connections)
        self._moto: MotoBackend | None = None
        self._runner: web.AppRunner | None = None
        self._environment: EnvironmentOverlay | None = None
        self._endpoints: PlatformEndpoints | None = None

    @property
    def endpoints(self) -> PlatformEndpoints:
        if self._endpoints is None:
            raise RuntimeError("the platform is not started")
        return self._endpoints

    def _application(self) -> web.Application:
        management = ManagementApi(self.connections, self._gateway)
        operator_api = OperatorHttpApi(self.config, self.runtime, self.tokens)
        app = web.Application(client_max_size=10 * 1024 * 1024)
        connections_path = "/@connections/{connection_id}"
        for prefix in ("", "/{stage}"):
            app.router.add_post(prefix + connections_path, management.post)
            app.router.add_get(prefix + connections_path, management.get, allow_head=False)
            app.router.add_delete(prefix + connections_path, management.delete)
        app.router.add_get(OCPP_PATH_PREFIX + "{station_id}", self._gateway.handle, allow_head=False)
        app.router.add_route("*", HTTP_API_PREFIX + "/{tail:.*}", operator_api.handle)
        add_dashboard_routes(app)
        app.router.add_route("*", "/{tail:.*}", _not_found)
        return app

    async def start(self) -> PlatformEndpoints:
        try:
            return await self._start()
        except BaseException:
            await self.stop()
            raise

    async def _start(self) -> PlatformEndpoints:
        config = self.config
        moto_url = None
        if config.start_moto:
            self._moto = MotoBackend(config.host, config.moto_port)
            moto_url = await asyncio.to_thread(self._moto.start)

        self._runner = web.AppRunner(self._application(), access_log=None, shutdown_timeout=2)
        await self._runner.setup()
        site = web.TCPSite(self._runner, config.host, config.gateway_port)
        await site.start()
        gateway_port = int(self._runner.addresses[0][1])
        self._endpoints = PlatformEndpoints(config.host, gateway_port, moto_url)

        self._environment = EnvironmentOverlay(
            lambda_environment(
                moto_url=moto_url, management_api_url=self._endpoints.management_api_url, region=config.region
            )
        )
        self._environment.apply()
        if moto_url:
            await asyncio.to_thread(provision, moto_url, config.region)
        self.demo_token = write_demo_token(config.state_dir, self.tokens)
        return self._endpoints

    async def stop(self) -> None:
        await self._gateway.drain()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        self.runtime.shutdown()
        if self._moto is not None:
            await asyncio.to_thread(self._moto.stop)
            self._moto = None
        if self._environment is not None:
            self._environment.restore()
            self._environment = None
