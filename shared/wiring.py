"""The composition root: builds the adapters, services, router and outbound pipeline once per warm
container, each on first use. Tests build their own with ``build_platform`` (moto, fakes for
@connections, events and workflows).

First use matters for cold starts: the $connect authorizer, $connect and $disconnect run at every
reconnect (API Gateway closes every connection after two hours) and need only the stations table (and,
for an unregistered station, the onboarding table), so they never import the OCPP schemas, the services
or the outbound pipeline.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from typing import TYPE_CHECKING, Any

from shared.domain.base import utc_now
from shared.ports import (
    CostQuote,
    CostQuotes,
    EventPublisher,
    FramePoster,
    ObjectStorage,
    WorkflowCallbacks,
    WorkflowStarter,
)
from shared.settings import Settings, get_settings
from shared.storage.alerts import AlertRepository
from shared.storage.commands import CommandRepository, StationMessageRepository
from shared.storage.diagnostics import DiagnosticsRepository
from shared.storage.dynamo import DynamoDBClient, dynamodb_client
from shared.storage.firmware import CampaignRepository, FirmwareRepository
from shared.storage.onboarding import OnboardingRepository
from shared.storage.outbound_lanes import OutboundLaneRepository
from shared.storage.reservations import ReservationRepository
from shared.storage.sessions import MeterValuesRepository, SessionRepository
from shared.storage.station_data import ChargingProfileRepository, DeviceModelRepository, LocalListRepository
from shared.storage.stations import StationRepository
from shared.storage.tables import (
    ALERTS,
    ALLOCATION_RUNS,
    BILLING_ACCOUNTS,
    BILLING_SETTINGS,
    COMMANDS,
    DIAGNOSTICS,
    ENERGY,
    FIRMWARE,
    FIRMWARE_CAMPAIGNS,
    ID_TOKENS,
    LEDGER,
    METER_VALUES,
    ONBOARDING,
    RESERVATIONS,
    SESSIONS,
    SITES,
    STATION_DATA,
    STATION_MESSAGES,
    STATIONS,
)
from shared.storage.tenant_records import IdTokenRepository, SiteRepository

if TYPE_CHECKING:
    from shared.billing.platform import BillingPlatform
    from shared.charging.live_sessions import LiveSessions
    from shared.charging.reservations import Reservations
    from shared.charging.services import ChargingServices
    from shared.domain.sessions import MeterValuesRecord, Session
    from shared.energy.service import SiteAllocator
    from shared.firmware.tasks import DiagnosticsTasks, FirmwareTasks
    from shared.monitoring.alerts import FleetAlerts
    from shared.ocpp.outbound import OutboundCommands
    from shared.ocpp.router import StationFrameRouter
    from shared.storage.energy import AllocationRunRepository, EnergyRepository, PlacedStations


class _LazyWorkflowCallbacks:
    """The Step Functions client is built only when a command carries a task token (most never do)."""

    def __init__(self, factory: Callable[[], WorkflowCallbacks]) -> None:
        self._factory = factory

    @cached_property
    def _callbacks(self) -> WorkflowCallbacks:
        return self._factory()

    def succeed(self, task_token: str, output: dict[str, Any]) -> None:
        self._callbacks.succeed(task_token, output)

    def fail(self, task_token: str, error: str, cause: str) -> None:
        self._callbacks.fail(task_token, error, cause)


class _LazyCostQuotes:
    """Billing's pricing is imported on the first transaction end that asks for a cost: the 1.6 hot path,
    heartbeats and every other message never import ``shared.billing``."""

    def __init__(self, factory: Callable[[], CostQuotes]) -> None:
        self._factory = factory

    @cached_property
    def _quotes(self) -> CostQuotes:
        return self._factory()

    def final_cost(
        self, session: Session, meter_values: Callable[[], Sequence[MeterValuesRecord]]
    ) -> CostQuote | None:
        return self._quotes.final_cost(session, meter_values)


def _step_functions_callbacks() -> WorkflowCallbacks:
    from shared.gateway.workflows import StepFunctionsCallbacks, stepfunctions_client

    return StepFunctionsCallbacks(stepfunctions_client())


def _s3_objects() -> ObjectStorage:
    from shared.gateway.object_storage import S3Objects, s3_client

    return S3Objects(s3_client())


def _step_functions_starter() -> WorkflowStarter:
    import os

    from shared.gateway.workflows import StepFunctionsStarter, stepfunctions_client
    from shared.workflows.definitions import WorkflowSpec
    from shared.workflows.registry import WORKFLOWS

    arns = {
        workflow.name: os.environ.get(WorkflowSpec.arn_env_var_for(workflow.name), "")
        for workflow in WORKFLOWS
    }
    return StepFunctionsStarter(stepfunctions_client(), arns)


class Platform:
    def __init__(
        self,
        settings: Settings,
        dynamodb: DynamoDBClient,
        events: EventPublisher,
        connections: FramePoster | None,
        workflows: WorkflowCallbacks,
        clock: Callable[[], datetime] = utc_now,
        *,
        objects: ObjectStorage | None = None,
        starter: WorkflowStarter | None = None,
    ) -> None:
        self.settings = settings
        self.dynamodb = dynamodb
        self.events = events
        self.connections = connections
        self.workflows = workflows
        self.clock = clock
        self._objects = objects
        self._starter = starter
        self.stations = StationRepository(dynamodb, settings.table_name(STATIONS))
        self.sessions = SessionRepository(dynamodb, settings.table_name(SESSIONS))
        self.meter_values = MeterValuesRepository(dynamodb, settings.table_name(METER_VALUES))
        self.id_tokens = IdTokenRepository(dynamodb, settings.table_name(ID_TOKENS))
        self.sites = SiteRepository(dynamodb, settings.table_name(SITES))
        self.commands = CommandRepository(dynamodb, settings.table_name(COMMANDS))
        self.station_messages = StationMessageRepository(dynamodb, settings.table_name(STATION_MESSAGES))
        station_data = settings.table_name(STATION_DATA)
        self.device_model = DeviceModelRepository(dynamodb, station_data)
        self.local_lists = LocalListRepository(dynamodb, station_data)
        self.charging_profiles = ChargingProfileRepository(dynamodb, station_data)
        self.lanes = OutboundLaneRepository(dynamodb, station_data)
        self.reservations = ReservationRepository(dynamodb, settings.table_name(RESERVATIONS))
        self.firmware = FirmwareRepository(dynamodb, settings.table_name(FIRMWARE))
        self.campaigns = CampaignRepository(dynamodb, settings.table_name(FIRMWARE_CAMPAIGNS))
        self.diagnostics = DiagnosticsRepository(
            dynamodb, settings.table_name(DIAGNOSTICS), timedelta(days=settings.diagnostics_retention_days)
        )
        self.alerts = AlertRepository(
            dynamodb, settings.table_name(ALERTS), timedelta(days=settings.alert_retention_days)
        )
        self.onboarding = OnboardingRepository(dynamodb, settings.table_name(ONBOARDING))

    @property
    def objects(self) -> ObjectStorage:
        """S3 (presigned URLs, HeadObject); built on first use."""
        if self._objects is None:
            self._objects = _s3_objects()
        return self._objects

    @property
    def starter(self) -> WorkflowStarter:
        """Step Functions StartExecution for the workflows this function may start; built on first use."""
        if self._starter is None:
            self._starter = _step_functions_starter()
        return self._starter

    @cached_property
    def reservation_service(self) -> Reservations:
        from shared.charging.reservations import Reservations

        return Reservations(self.reservations, self.stations, self.clock)

    def _billing_cost_quotes(self) -> CostQuotes:
        from shared.billing.quotes import BillingCostQuotes
        from shared.storage.billing import BillingAccountRepository, BillingSettingsRepository

        settings = self.settings
        accounts = BillingAccountRepository(
            self.dynamodb, settings.table_name(BILLING_ACCOUNTS), settings.table_name(LEDGER)
        )
        tariffs = BillingSettingsRepository(self.dynamodb, settings.table_name(BILLING_SETTINGS))
        return BillingCostQuotes(self.sites, tariffs, accounts, self.clock)

    @cached_property
    def services(self) -> ChargingServices:
        from shared.charging.authorization import Authorization
        from shared.charging.availability import Availability
        from shared.charging.data_transfer import DataTransfers
        from shared.charging.device_model import DeviceModel
        from shared.charging.firmware import FirmwareManagement
        from shared.charging.monitoring import FleetSignals
        from shared.charging.provisioning import LastSeenThrottle, Provisioning
        from shared.charging.services import ChargingServices
        from shared.charging.smart_charging import SmartCharging
        from shared.charging.station_messages import StationMessages
        from shared.charging.transactions import Transactions

        settings, clock = self.settings, self.clock
        last_seen = LastSeenThrottle(timedelta(seconds=settings.last_seen_write_interval_seconds))
        reservations = self.reservation_service
        authorization = Authorization(self.id_tokens, clock, self.sessions, reservations)
        kept = StationMessages(self.station_messages, settings, clock)
        firmware = FirmwareManagement(
            self.stations, self.campaigns, self.diagnostics, self.workflows, self.events, kept, clock
        )
        signals = FleetSignals(self.events, kept, clock)
        return ChargingServices(
            settings=settings,
            clock=clock,
            provisioning=Provisioning(
                self.stations,
                settings,
                clock,
                last_seen,
                boot_observers=(firmware.booted, signals.booted),
                pending=self.onboarding,
            ),
            authorization=authorization,
            availability=Availability(
                self.stations, settings, clock, last_seen, status_observers=(signals.connector_status,)
            ),
            transactions=Transactions(
                self.sessions,
                self.meter_values,
                authorization,
                self.events,
                settings,
                clock,
                reservations=reservations,
                cost_quotes=_LazyCostQuotes(self._billing_cost_quotes),
            ),
            station_messages=kept,
            device_model=DeviceModel(self.device_model, clock),
            reservations=reservations,
            smart_charging=SmartCharging(self.sessions, self.charging_profiles, kept, clock),
            firmware=firmware,
            data_transfers=DataTransfers(kept, settings),
            signals=signals,
        )

    @cached_property
    def outbound(self) -> OutboundCommands:
        from shared.charging.command_effects import CommandEffects
        from shared.ocpp.outbound import OutboundCommands

        effects = CommandEffects(
            self.stations,
            self.device_model,
            self.local_lists,
            self.charging_profiles,
            self.reservation_service,
            self.clock,
        )
        return OutboundCommands(
            self.stations,
            self.commands,
            self.connections,
            self.events,
            self.workflows,
            self.settings,
            self.clock,
            lanes=self.lanes,
            effects=effects,
        )

    @cached_property
    def router(self) -> StationFrameRouter:
        from shared.ocpp.router import StationFrameRouter

        return StationFrameRouter(self.services, self.outbound)

    @cached_property
    def firmware_tasks(self) -> FirmwareTasks:
        from shared.firmware.tasks import FirmwareTasks

        return FirmwareTasks(
            campaigns=self.campaigns,
            catalogue=self.firmware,
            stations=self.stations,
            sessions=self.sessions,
            objects=self.objects,
            starter=self.starter,
            workflows=self.workflows,
            events=self.events,
            settings=self.settings,
            clock=self.clock,
        )

    @cached_property
    def diagnostics_tasks(self) -> DiagnosticsTasks:
        from shared.firmware.tasks import DiagnosticsTasks

        return DiagnosticsTasks(
            store=self.diagnostics,
            stations=self.stations,
            objects=self.objects,
            workflows=self.workflows,
            settings=self.settings,
            clock=self.clock,
        )

    @cached_property
    def fleet_alerts(self) -> FleetAlerts:
        from shared.monitoring.alerts import FleetAlerts

        return FleetAlerts(self.alerts, self.stations, self.events, self.settings, self.clock)

    @cached_property
    def billing(self) -> BillingPlatform:
        from shared.billing.platform import BillingPlatform

        return BillingPlatform(self)

    @cached_property
    def live_sessions(self) -> LiveSessions:
        from shared.charging.live_sessions import LiveSessions

        return LiveSessions(self.sessions, self.events)

    # The energy repositories bring the allocator's models: built on first use, so the charger-facing
    # functions never import them.
    @cached_property
    def energy(self) -> EnergyRepository:
        from shared.storage.energy import EnergyRepository

        return EnergyRepository(self.dynamodb, self.settings.table_name(ENERGY))

    @cached_property
    def allocation_runs(self) -> AllocationRunRepository:
        from shared.storage.energy import AllocationRunRepository

        return AllocationRunRepository(self.dynamodb, self.settings.table_name(ALLOCATION_RUNS))

    @cached_property
    def placed_stations(self) -> PlacedStations:
        from shared.storage.energy import PlacedStations

        return PlacedStations(self.dynamodb, self.settings.table_name(STATIONS))

    @cached_property
    def site_allocator(self) -> SiteAllocator:
        """The load allocator in the loop (only the allocator function imports the allocator)."""
        from shared.energy.service import AllocatorSettings, SiteAllocator

        settings = self.settings
        return SiteAllocator(
            self.energy,
            self.allocation_runs,
            self.sessions,
            self.stations,
            self.placed_stations,
            self.commands,
            self.outbound,
            self.events,
            AllocatorSettings(
                signal_lead_seconds=settings.allocator_signal_lead_seconds,
                run_retention_days=settings.allocation_run_retention_days,
                load_retention_days=settings.site_load_retention_days,
                stale_command_seconds=settings.command_timeout_seconds + 120.0,
            ),
            self.clock,
            vehicles=self.billing.accounts,
        )


def _default_events(settings: Settings) -> EventPublisher:
    from shared.gateway.events import EventBridgePublisher, LoggingPublisher, eventbridge_client

    if settings.event_bus_name:
        return EventBridgePublisher(eventbridge_client(), settings.event_bus_name)
    return LoggingPublisher()


def build_platform(
    settings: Settings,
    *,
    dynamodb: DynamoDBClient | None = None,
    events: EventPublisher | None = None,
    connections: FramePoster | None = None,
    workflows: WorkflowCallbacks | None = None,
    clock: Callable[[], datetime] = utc_now,
    objects: ObjectStorage | None = None,
    starter: WorkflowStarter | None = None,
) -> Platform:
    if connections is None and settings.management_api_endpoint:
        from shared.gateway.connections import ConnectionGateway, management_api_client

        connections = ConnectionGateway(management_api_client(settings.management_api_endpoint))
    return Platform(
        settings,
        dynamodb if dynamodb is not None else dynamodb_client(),
        events if events is not None else _default_events(settings),
        connections,
        workflows if workflows is not None else _LazyWorkflowCallbacks(_step_functions_callbacks),
        clock,
        objects=objects,
        starter=starter,
    )


@lru_cache(maxsize=1)
def get_platform() -> Platform:
    return build_platform(get_settings())
