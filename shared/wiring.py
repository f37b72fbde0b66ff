"""The composition root: builds the adapters, services, router and outbound pipeline once per warm
container. Tests build their own with ``build_platform`` (moto, fakes for @connections and events)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property, lru_cache
from typing import Any

from shared.charging.authorization import Authorization
from shared.charging.availability import Availability
from shared.charging.command_effects import CommandEffects
from shared.charging.data_transfer import DataTransfers
from shared.charging.device_model import DeviceModel
from shared.charging.firmware import FirmwareAndLogs
from shared.charging.live_sessions import LiveSessions
from shared.charging.provisioning import LastSeenThrottle, Provisioning
from shared.charging.reservations import Reservations
from shared.charging.services import ChargingServices
from shared.charging.smart_charging import SmartCharging
from shared.charging.station_messages import StationMessages
from shared.charging.transactions import Transactions
from shared.domain.base import utc_now
from shared.ocpp.outbound import OutboundCommands
from shared.ocpp.router import StationFrameRouter
from shared.ports import EventPublisher, FramePoster, WorkflowCallbacks
from shared.settings import Settings, get_settings
from shared.storage.commands import CommandRepository, StationMessageRepository
from shared.storage.dynamo import DynamoDBClient, dynamodb_client
from shared.storage.outbound_lanes import OutboundLaneRepository
from shared.storage.reservations import ReservationRepository
from shared.storage.sessions import MeterValuesRepository, SessionRepository
from shared.storage.station_data import ChargingProfileRepository, DeviceModelRepository, LocalListRepository
from shared.storage.stations import StationRepository
from shared.storage.tables import (
    COMMANDS,
    ID_TOKENS,
    METER_VALUES,
    RESERVATIONS,
    SESSIONS,
    SITES,
    STATION_DATA,
    STATION_MESSAGES,
    STATIONS,
)
from shared.storage.tenant_records import IdTokenRepository, SiteRepository


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


def _step_functions_callbacks() -> WorkflowCallbacks:
    from shared.gateway.workflows import StepFunctionsCallbacks, stepfunctions_client

    return StepFunctionsCallbacks(stepfunctions_client())


@dataclass
class Platform:
    settings: Settings
    dynamodb: DynamoDBClient
    stations: StationRepository
    sessions: SessionRepository
    meter_values: MeterValuesRepository
    id_tokens: IdTokenRepository
    sites: SiteRepository
    commands: CommandRepository
    station_messages: StationMessageRepository
    device_model: DeviceModelRepository
    local_lists: LocalListRepository
    charging_profiles: ChargingProfileRepository
    reservations: ReservationRepository
    lanes: OutboundLaneRepository
    events: EventPublisher
    connections: FramePoster | None
    workflows: WorkflowCallbacks
    services: ChargingServices
    router: StationFrameRouter
    outbound: OutboundCommands
    live_sessions: LiveSessions
    clock: Callable[[], datetime] = field(default=utc_now)


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
) -> Platform:
    client = dynamodb if dynamodb is not None else dynamodb_client()
    events = events if events is not None else _default_events(settings)
    if connections is None and settings.management_api_endpoint:
        from shared.gateway.connections import ConnectionGateway, management_api_client

        connections = ConnectionGateway(management_api_client(settings.management_api_endpoint))
    workflows = workflows if workflows is not None else _LazyWorkflowCallbacks(_step_functions_callbacks)
    stations = StationRepository(client, settings.table_name(STATIONS))
    sessions = SessionRepository(client, settings.table_name(SESSIONS))
    meter_values = MeterValuesRepository(client, settings.table_name(METER_VALUES))
    id_tokens = IdTokenRepository(client, settings.table_name(ID_TOKENS))
    commands = CommandRepository(client, settings.table_name(COMMANDS))
    station_messages = StationMessageRepository(client, settings.table_name(STATION_MESSAGES))
    station_data = settings.table_name(STATION_DATA)
    device_model = DeviceModelRepository(client, station_data)
    local_lists = LocalListRepository(client, station_data)
    charging_profiles = ChargingProfileRepository(client, station_data)
    lanes = OutboundLaneRepository(client, station_data)
    reservation_store = ReservationRepository(client, settings.table_name(RESERVATIONS))
    last_seen = LastSeenThrottle(timedelta(seconds=settings.last_seen_write_interval_seconds))
    reservations = Reservations(reservation_store, stations, clock)
    authorization = Authorization(id_tokens, clock, sessions, reservations)
    kept = StationMessages(station_messages, settings, clock)
    services = ChargingServices(
        settings=settings,
        clock=clock,
        provisioning=Provisioning(stations, settings, clock, last_seen),
        authorization=authorization,
        availability=Availability(stations, settings, clock, last_seen),
        transactions=Transactions(
            sessions, meter_values, authorization, events, settings, clock, reservations=reservations
        ),
        station_messages=kept,
        device_model=DeviceModel(device_model, clock),
        reservations=reservations,
        smart_charging=SmartCharging(sessions, charging_profiles, kept, clock),
        firmware=FirmwareAndLogs(stations, kept, clock),
        data_transfers=DataTransfers(kept, settings),
    )
    effects = CommandEffects(stations, device_model, local_lists, charging_profiles, reservations, clock)
    outbound = OutboundCommands(
        stations, commands, connections, events, workflows, settings, clock, lanes=lanes, effects=effects
    )
    return Platform(
        settings=settings,
        dynamodb=client,
        stations=stations,
        sessions=sessions,
        meter_values=meter_values,
        id_tokens=id_tokens,
        sites=SiteRepository(client, settings.table_name(SITES)),
        commands=commands,
        station_messages=station_messages,
        device_model=device_model,
        local_lists=local_lists,
        charging_profiles=charging_profiles,
        reservations=reservation_store,
        lanes=lanes,
        events=events,
        connections=connections,
        workflows=workflows,
        services=services,
        router=StationFrameRouter(services, outbound),
        outbound=outbound,
        live_sessions=LiveSessions(sessions),
        clock=clock,
    )


@lru_cache(maxsize=1)
def get_platform() -> Platform:
    return build_platform(get_settings())
