"""The local platform: moto, the WebSocket gateway, the Management API, the operator HTTP API, the
declared EventBridge rules and schedules and the declared workflows, started and stopped as one unit
(from the CLI or in-process from tests)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from shared.catalog import (
    EVENT_RULES,
    FUNCTIONS,
    HTTP_API_PREFIX,
    OCPP_PATH_PREFIX,
    SCHEDULES,
    EventRule,
    FunctionSpec,
    ScheduleRule,
)
from shared.storage.tables import ALL_TABLES
from shared.workflows.definitions import WorkflowSpec
from shared.workflows.registry import WORKFLOWS
from tools.local_platform.async_invocations import AsyncInvocations
from tools.local_platform.aws_backend import EVENT_BUS_NAME, MotoBackend, client, default_settings, provision
from tools.local_platform.config import PlatformConfig
from tools.local_platform.connections import ConnectionRegistry
from tools.local_platform.data_retention import (
    HISTORY_TABLES,
    LedgerMiddleware,
    RetentionSweeper,
    WriteLedger,
)
from tools.local_platform.environment import (
    EnvironmentOverlay,
    LocalEndpoints,
    function_environment,
    platform_environment,
)
from tools.local_platform.event_rules import EventRuleDelivery
from tools.local_platform.grants import Resources
from tools.local_platform.http_api import OperatorHttpApi
from tools.local_platform.lambda_runtime import Handler, LambdaRuntime
from tools.local_platform.management_api import ManagementApi
from tools.local_platform.moto_patches import trim_stream
from tools.local_platform.operator_tokens import TokenIssuer, load_or_create_secret, write_demo_token
from tools.local_platform.scheduler import LocalScheduler
from tools.local_platform.static_site import add_routes as add_dashboard_routes
from tools.local_platform.step_functions import EXECUTE_STATE_MACHINES, LocalWorkflows, WorkflowRunner
from tools.local_platform.stream_sources import StreamEventSources
from tools.local_platform.websocket_gateway import WebSocketGateway

log = logging.getLogger(__name__)


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
        self,
        config: PlatformConfig | None = None,
        handler_overrides: Mapping[str, Handler] | None = None,
        *,
        functions: Sequence[FunctionSpec] = FUNCTIONS,
        event_rules: Sequence[EventRule] = EVENT_RULES,
        schedules: Sequence[ScheduleRule] = SCHEDULES,
        workflows: Sequence[WorkflowSpec] = WORKFLOWS,
    ) -> None:
        """``handler_overrides`` replaces catalog handlers by function name (tests use fakes); tests may
        add throwaway ``functions``, ``event_rules``, ``schedules`` and ``workflows`` to the catalog's."""
        self.config = config or PlatformConfig()
        self.functions = tuple(functions)
        self.connections = ConnectionRegistry()
        self.runtime = LambdaRuntime(
            self.functions,
            region=self.config.region,
            account_id=self.config.account_id,
            overrides=handler_overrides,
            workers=self.config.handler_workers,
            isolation=self.config.isolation,
            function_concurrency=self.config.function_concurrency,
        )
        self.tokens = TokenIssuer(load_or_create_secret(self.config.state_dir))
        self.demo_token = ""
        self._event_rules = tuple(event_rules)
        self._schedules = tuple(schedules)
        self.workflows = LocalWorkflows(workflows, self.runtime, account_id=self.config.account_id)
        self._gateway = WebSocketGateway(self.config, self.runtime, self.connections)
        settings = default_settings()
        self.ledger = WriteLedger(
            {settings.table_name(table): table for table in HISTORY_TABLES}, self.config.history_budget_bytes
        )
        self._moto: MotoBackend | None = None
        self._runner: web.AppRunner | None = None
        self._environment: EnvironmentOverlay | None = None
        self._endpoints: PlatformEndpoints | None = None
        self.invocations: AsyncInvocations | None = None
        self.event_rules: EventRuleDelivery | None = None
        self.scheduler: LocalScheduler | None = None
        self.streams: StreamEventSources | None = None
        self.sweeper: RetentionSweeper | None = None

    @property
    def endpoints(self) -> PlatformEndpoints:
        if self._endpoints is None:
            raise RuntimeError("the platform is not started")
        return self._endpoints

    def aws_client(self, service: str) -> Any:
        """A client on this platform's moto, outside every function's grants (tests, tools)."""
        if not self.endpoints.moto_url:
            raise RuntimeError("the platform runs without moto")
        return client(service, self.endpoints.moto_url, self.config.region)

    def workflow_runner(self) -> WorkflowRunner:
        return WorkflowRunner(self.aws_client("stepfunctions"), self.workflows.state_machine_arns)

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
            self._moto = MotoBackend(
                config.host, config.moto_port, lambda app: LedgerMiddleware(app, self.ledger)
            )
            moto_url = await asyncio.to_thread(self._moto.start)

        self._runner = web.AppRunner(self._application(), access_log=None, shutdown_timeout=1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, config.host, config.gateway_port)
        await site.start()
        gateway_port = int(self._runner.addresses[0][1])
        self._endpoints = PlatformEndpoints(config.host, gateway_port, moto_url)

        local = LocalEndpoints(
            moto_url=moto_url,
            management_api_url=self._endpoints.management_api_url,
            charger_url=self._endpoints.websocket_url,
            region=config.region,
            account_id=config.account_id,
            log_level=config.function_log_level,
            state_machine_arns=self.workflows.expected_arns(config.region),
            extra=dict(config.function_environment),
        )
        self._environment = EnvironmentOverlay(platform_environment(self.functions, local))
        self._environment.apply()
        settings = default_settings()
        self.runtime.configure(
            lambda spec: function_environment(spec, local),
            Resources(
                tables={settings.table_name(table): table for table in ALL_TABLES},
                event_bus_name=EVENT_BUS_NAME,
                state_machine_names={arn: name for name, arn in local.state_machine_arns.items()},
                region=config.region,
                account_id=config.account_id,
            ),
        )
        if moto_url and self._moto is not None:
            await asyncio.to_thread(provision, moto_url, config.region)
            await asyncio.to_thread(self._start_aws_emulation, moto_url)
            self._start_deliveries()
        self.demo_token = write_demo_token(config.state_dir, self.tokens)
        return self._endpoints

    def _start_aws_emulation(self, moto_url: str) -> None:
        assert self._moto is not None
        config = self.config
        self._moto.configure(dict(EXECUTE_STATE_MACHINES))
        self.workflows.install()
        arns = self.workflows.create(client("stepfunctions", moto_url, config.region))
        expected = self.workflows.expected_arns(config.region)
        if arns != expected:
            raise RuntimeError(f"state machine ARNs {arns} differ from the functions' environment {expected}")

        sqs = client("sqs", moto_url, config.region)
        events = client("events", moto_url, config.region)
        self.invocations = AsyncInvocations(self.runtime, sqs, retry_delays=config.async_retry_delays)
        self.event_rules = EventRuleDelivery(
            self._event_rules, self.invocations, events=events, sqs=sqs, bus_name=EVENT_BUS_NAME
        )
        self.event_rules.provision()
        self.scheduler = LocalScheduler(
            self._schedules, self.invocations, region=config.region, account_id=config.account_id
        )
        self.scheduler.provision(events)

        settings = default_settings()
        self.streams = StreamEventSources(
            self.functions,
            self.runtime,
            client("dynamodb", moto_url, config.region),
            client("dynamodbstreams", moto_url, config.region),
            settings.table_name,
            self.invocations,
            batching_window_seconds=config.stream_batching_window_seconds,
            trim_consumed=trim_stream,
        )
        self.streams.provision()
        self.sweeper = RetentionSweeper(
            client("dynamodb", moto_url, config.region),
            self.ledger,
            {settings.table_name(table): table.ttl_attribute for table in ALL_TABLES if table.ttl_attribute},
            ttl_sweep_seconds=config.ttl_sweep_seconds,
        )

    def _start_deliveries(self) -> None:
        assert self.invocations and self.event_rules and self.scheduler and self.sweeper and self.streams
        self.invocations.bind(asyncio.get_running_loop())
        self.event_rules.start()
        self.scheduler.start()
        self.streams.start()
        self.sweeper.start()

    async def stop(self) -> None:
        """Bounded: connections are closed together (1 s), workers get 1 s, moto stops at once. Stations
        are not sent $disconnect on the way out: moto's state dies with the platform anyway."""
        started = time.monotonic()
        await self._gateway.drain()
        if self.scheduler is not None:
            await self.scheduler.stop()
        if self.streams is not None:
            await self.streams.stop()
        if self.event_rules is not None:
            self.event_rules.stop()
        if self.invocations is not None:
            await self.invocations.stop()
        if self.sweeper is not None:
            self.sweeper.stop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await asyncio.to_thread(self.runtime.shutdown)
        self.workflows.uninstall()
        if self._moto is not None:
            moto = self._moto
            self._moto = None
            await asyncio.to_thread(self._stop_moto, moto)
        if self._environment is not None:
            self._environment.restore()
            self._environment = None
        log.debug("stopped in %.1f s", time.monotonic() - started)

    @staticmethod
    def _stop_moto(moto: MotoBackend) -> None:
        if moto.url:
            with contextlib.suppress(OSError):
                moto.configure({"stepfunctions": {"execute_state_machine": False}})
        moto.stop()
