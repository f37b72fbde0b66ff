"""The ports the services depend on: one small Protocol per capability.

Services in ``shared/charging``, ``shared/management`` and ``shared/ocpp`` take these; the DynamoDB
repositories (``shared/storage``), the @connections and EventBridge adapters (``shared/gateway``) and the
Step Functions adapter implement them, and tests may pass fakes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol

from shared.domain.charging_profiles import InstalledProfile, ProfileCriteria
from shared.domain.commands import Command, CommandError, CommandStatus
from shared.domain.device_model import (
    ComponentRef,
    DeviceVariable,
    ReportProgress,
    VariableAttribute,
    VariableRef,
)
from shared.domain.events import DomainEvent
from shared.domain.id_tokens import IdToken
from shared.domain.local_lists import LocalListPush, LocalListState
from shared.domain.reservations import Reservation, ReservationStatus
from shared.domain.sessions import ChargingNeeds, LiveReading, MeterValuesRecord, Session
from shared.domain.stations import (
    ChargerInfo,
    Connection,
    ConnectorState,
    DeviceStatus,
    EvseAvailability,
    RegistrationPolicy,
    Station,
)

if TYPE_CHECKING:
    from shared.billing.vehicles import Vehicle

    # Energy types only for annotations: the charger-facing functions import this module at every cold
    # start and never need the allocator's models.
    from shared.energy.records import (
        Alert,
        AllocationRun,
        EvseState,
        GridSignalRecord,
        LoadPoint,
        MeasurementsRecord,
        OpenAdrSignals,
        ProfileCommand,
        SessionDemandRecord,
        SiteEnergy,
        SiteHistory,
        SitePartition,
        StationEnergyState,
    )
    from shared.energy.site import StationPlacement

Clock = Callable[[], datetime]


class StationUnreachableError(Exception):
    """The connection is gone (closed, not yet established, or stale after a reconnect)."""


class SendFailedError(Exception):
    """The frame could not be delivered for another reason (throttled, too large, client buffer full)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class VersionConflictError(Exception):
    """Another writer changed the record since it was read: read it again."""


class StationStore(Protocol):
    def get(self, station_id: str) -> Station | None: ...

    def get_for_tenant(self, tenant_id: str, station_id: str) -> Station: ...

    def record_connection(
        self, station_id: str, registration_id: str, connection: Connection
    ) -> Connection | None:
        """Returns the connection it replaced, if any."""
        ...

    def clear_connection(self, station_id: str, connection_id: str, now: datetime) -> bool: ...

    def touch_last_seen(self, station_id: str, registration_id: str, now: datetime) -> None: ...

    def record_boot(
        self,
        station_id: str,
        registration_id: str,
        charger: ChargerInfo,
        status: RegistrationPolicy,
        now: datetime,
    ) -> None: ...

    def record_connector_status(
        self, station_id: str, registration_id: str, state: ConnectorState, now: datetime
    ) -> bool: ...

    def record_availability(
        self, station_id: str, registration_id: str, availability: EvseAvailability
    ) -> None: ...

    def record_device_status(
        self, station_id: str, registration_id: str, kind: str, status: DeviceStatus
    ) -> None: ...


class PendingBootRecorder(Protocol):
    """Where the boot of a station waiting for approval goes (it is no station yet)."""

    def record_boot(self, tenant_id: str, station_id: str, charger: ChargerInfo, now: datetime) -> bool: ...


class SessionStore(Protocol):
    def get(self, session_id: str) -> Session | None: ...

    def create(self, session: Session) -> Session | None:
        """Writes a new session; returns the one already stored under its id instead, if any."""
        ...

    def replace(self, session: Session, expected_version: int) -> bool:
        """Writes the session if the stored one still has ``expected_version``."""
        ...

    def find_active(self, station_id: str, registration_id: str, evse_id: int) -> Session | None: ...

    def active_for_station(self, station_id: str, registration_id: str) -> list[Session]: ...

    def active_for_token(self, tenant_id: str, id_token: str) -> list[Session]: ...

    def record_live(self, session_id: str, reading: LiveReading, tolerance_seconds: float) -> bool: ...

    def record_charging_needs(self, session_id: str, needs: ChargingNeeds) -> bool: ...

    def started_since(self, station_id: str, since: datetime, limit: int = 50) -> list[Session]: ...


class MeterValueStore(Protocol):
    def record(self, record: MeterValuesRecord) -> None: ...

    def for_session(self, session_id: str) -> list[MeterValuesRecord]: ...


@dataclass(frozen=True)
class CostQuote:
    """What a closed session will be charged: the CDR's total including VAT, in the tariff's currency."""

    total_incl_vat: Decimal
    currency: str


class CostQuotes(Protocol):
    """Prices a session the moment it closes, the way billing will price it afterwards (2.0.1 totalCost)."""

    def final_cost(
        self, session: Session, meter_values: Callable[[], Sequence[MeterValuesRecord]]
    ) -> CostQuote | None:
        """``session`` as it is about to be stored closed; ``meter_values`` loads every record stored for
        it (the ones it owns count), called only when there is a tariff. None when the tenant has no
        tariff for the session or it cannot be priced yet (an orphan); any error it raises means no
        quote to the caller."""
        ...


class IdTokenLookup(Protocol):
    def find(self, tenant_id: str, record_id: str) -> IdToken | None: ...


class StationMessageStore(Protocol):
    def record(
        self, station_key: str, kind: str, received_at: datetime, message_id: str, document: dict[str, Any]
    ) -> None: ...

    def list_for_station(self, station_key: str, prefix: str, limit: int) -> list[dict[str, Any]]: ...


class CommandStore(Protocol):
    def create(self, command: Command) -> None: ...

    def get(self, command_id: str) -> Command | None: ...

    def complete(
        self,
        command_id: str,
        station_id: str,
        status: CommandStatus,
        now: datetime,
        response: dict[str, Any] | None = None,
        error: CommandError | None = None,
    ) -> Command | None:
        """Records the outcome of a pending command sent to that station; None when there is none (or
        it already has its outcome: the first answer wins)."""
        ...

    def record_ignored_answer(self, command_id: str, station_id: str, answer: dict[str, Any]) -> None: ...

    def mark_sent(self, command_id: str, timeout_at: datetime, now: datetime) -> Command | None:
        """A queued command becomes pending (None when it is no longer queued)."""
        ...

    def overdue(self, now: datetime, limit: int = 500) -> list[Command]: ...


class DeviceModelStore(Protocol):
    def record_variables(self, station_key: str, variables: Sequence[DeviceVariable]) -> None: ...

    def record_attribute(
        self,
        station_key: str,
        component: ComponentRef | None,
        variable: VariableRef,
        attribute: VariableAttribute,
        source: str,
        now: datetime,
    ) -> None: ...

    def record_report_part(
        self, station_key: str, request_id: int, seq_no: int, tbc: bool, variables: int, now: datetime
    ) -> ReportProgress: ...


class LocalListStore(Protocol):
    def apply(self, station_key: str, push: LocalListPush, now: datetime) -> LocalListState: ...

    def record_reported_version(self, station_key: str, version: int, now: datetime) -> None: ...


class ChargingProfileStore(Protocol):
    def record(self, station_key: str, installed: InstalledProfile) -> None: ...

    def clear(self, station_key: str, criteria: ProfileCriteria) -> int: ...


class ReservationStore(Protocol):
    def create(self, reservation: Reservation) -> None: ...

    def get(self, station_key: str, reservation_id: int) -> Reservation | None: ...

    def holding(self, station_key: str, now: datetime) -> list[Reservation]: ...

    def transition(
        self,
        station_key: str,
        reservation_id: int,
        to: ReservationStatus,
        now: datetime,
        *,
        only_from: frozenset[ReservationStatus] = ...,
        changes: dict[str, Any] | None = None,
    ) -> Reservation | None: ...


class OutboundLanes(Protocol):
    """One CALL in flight per station (see shared/storage/outbound_lanes.py)."""

    def try_acquire(self, station_key: str, command_id: str, until: datetime, now: datetime) -> bool: ...

    def enqueue(self, station_key: str, command_id: str) -> None: ...

    def take_next(self, station_key: str, until: datetime, now: datetime) -> str | None: ...

    def extend(self, station_key: str, command_id: str, until: datetime) -> None: ...

    def release(self, station_key: str, command_id: str) -> bool: ...


class EventPublisher(Protocol):
    def publish(self, events: Sequence[DomainEvent]) -> None: ...


class FramePoster(Protocol):
    def post_frame(self, connection_id: str, frame: str) -> None: ...

    def close(self, connection_id: str) -> None: ...


class WorkflowCallbacks(Protocol):
    """Resumes a Step Functions execution waiting on a task token."""

    def succeed(self, task_token: str, output: dict[str, Any]) -> None: ...

    def fail(self, task_token: str, error: str, cause: str) -> None: ...


class WorkflowStarter(Protocol):
    """Starts Step Functions executions of the declared workflows (``shared.workflows.registry``)."""

    def start(self, workflow: str, name: str | None, payload: dict[str, Any]) -> None:
        """Named executions of Standard workflows are unique (90 days): a start with a name already used
        is a no-op, never a second run."""
        ...


@dataclass(frozen=True)
class PresignedRequest:
    url: str
    method: str
    headers: dict[str, str]
    """Headers the client must send as given (they are part of the signature)."""
    expires_at: datetime


@dataclass(frozen=True)
class StoredObject:
    size_bytes: int
    sha256_hex: str | None
    """The image's SHA-256 as stored with the object (metadata, or S3's own checksum)."""


class ObjectStorage(Protocol):
    """S3 through presigned URLs: chargers and operators move the bytes, never a Lambda."""

    def presign_upload(
        self, bucket: str, key: str, expires_seconds: int, *, sha256_hex: str | None = None
    ) -> PresignedRequest: ...

    def presign_download(
        self, bucket: str, key: str, expires_seconds: int, *, file_name: str | None = None
    ) -> str: ...

    def head(self, bucket: str, key: str) -> StoredObject | None: ...


class CommandSender(Protocol):
    """The outbound pipeline as the load allocator uses it (``shared.ocpp.outbound.OutboundCommands``)."""

    def send_intent(
        self, tenant_id: str, station_id: str, intent: Callable[[Any], Any], *, command_id: str | None = None
    ) -> Command: ...


class EnergyStore(Protocol):
    """Everything the platform keeps about a managed site's energy (``shared.storage.energy``)."""

    def load_site(self, tenant_id: str, site_id: str) -> SitePartition: ...

    def get_site(self, tenant_id: str, site_id: str) -> SiteEnergy | None: ...

    def put_site(self, config: SiteEnergy) -> None: ...

    def delete_site(self, tenant_id: str, site_id: str) -> None: ...

    def managed_sites(self) -> list[tuple[str, str]]: ...

    def get_placement(self, tenant_id: str, site_id: str, station_id: str) -> StationPlacement | None: ...

    def placements(self, tenant_id: str, site_id: str) -> list[StationPlacement]: ...

    def put_placement(self, tenant_id: str, placement: StationPlacement) -> None: ...

    def delete_placement(self, tenant_id: str, site_id: str, station_id: str) -> None: ...

    def get_evse(self, tenant_id: str, site_id: str, evse_key: str) -> tuple[EvseState, int] | None: ...

    def put_evse(self, tenant_id: str, site_id: str, state: EvseState, version: int) -> int:
        """Raises ``VersionConflictError`` when the stored state is no longer at ``version``."""
        ...

    def delete_evse(self, tenant_id: str, site_id: str, evse_key: str) -> None: ...

    def get_station_state(
        self, tenant_id: str, site_id: str, station_id: str
    ) -> tuple[StationEnergyState, int] | None: ...

    def put_station_state(
        self, tenant_id: str, site_id: str, state: StationEnergyState, version: int
    ) -> int: ...

    def put_commands(self, commands: Sequence[ProfileCommand]) -> None: ...

    def get_command(
        self, tenant_id: str, site_id: str, station_id: str, command_id: str
    ) -> ProfileCommand | None: ...

    def pending_boot_commands(
        self, tenant_id: str, site_id: str, station_id: str, excluding: str
    ) -> list[ProfileCommand]: ...

    def delete_command(self, command: ProfileCommand) -> None: ...

    def get_demand(self, tenant_id: str, site_id: str, session_id: str) -> SessionDemandRecord | None: ...

    def put_demand(self, tenant_id: str, site_id: str, demand: SessionDemandRecord) -> None: ...

    def delete_demand(self, tenant_id: str, site_id: str, session_id: str) -> None: ...

    def signals(self, tenant_id: str, site_id: str) -> list[GridSignalRecord]: ...

    def put_signal(self, tenant_id: str, site_id: str, signal: GridSignalRecord) -> None: ...

    def delete_signal(self, tenant_id: str, site_id: str, signal_id: str) -> bool: ...

    def get_openadr(self, tenant_id: str, site_id: str) -> OpenAdrSignals | None: ...

    def put_openadr(self, tenant_id: str, site_id: str, signals: OpenAdrSignals) -> None: ...

    def get_measurements(self, tenant_id: str, site_id: str) -> MeasurementsRecord | None: ...

    def put_measurements(self, tenant_id: str, site_id: str, record: MeasurementsRecord) -> None: ...

    def get_history(self, tenant_id: str, site_id: str) -> SiteHistory | None: ...

    def put_history(self, tenant_id: str, site_id: str, history: SiteHistory) -> None: ...

    def put_alert(self, alert: Alert) -> None: ...

    def get_alert(self, tenant_id: str, site_id: str, alert_id: str) -> Alert | None: ...

    def alerts(self, tenant_id: str, site_id: str) -> list[Alert]: ...

    def acquire_lease(
        self, tenant_id: str, site_id: str, holder: str, now: float, seconds: float
    ) -> bool: ...

    def request_rerun(self, tenant_id: str, site_id: str, now: float) -> bool: ...

    def release_lease(self, tenant_id: str, site_id: str, holder: str, *, force: bool = False) -> bool: ...


class AllocationRunStore(Protocol):
    def record(self, run: AllocationRun, load: LoadPoint) -> None: ...

    def record_answer(
        self, tenant_id: str, site_id: str, run_key: str, command_id: str, answer: str
    ) -> None: ...

    def runs(
        self,
        tenant_id: str,
        site_id: str,
        *,
        started_from: datetime | None,
        started_to: datetime | None,
        limit: int,
        cursor: str | None,
    ) -> tuple[list[AllocationRun], str | None]: ...

    def load_points(
        self, tenant_id: str, site_id: str, start: datetime, end: datetime
    ) -> list[LoadPoint]: ...


class StationBatchReader(Protocol):
    def get_many(self, station_ids: Sequence[str]) -> dict[str, Station]: ...


class VehicleFinder(Protocol):
    """A fleet's registered vehicles by the ID token they charge with (``shared.storage.billing``)."""

    def vehicle_charging_with(self, tenant_id: str, id_token: str) -> Vehicle | None: ...
