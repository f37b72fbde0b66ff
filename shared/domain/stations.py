"""Charging stations, their EVSEs and connectors, and their connection to the platform."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Literal

from pydantic import Field

from shared.catalog import STATION_ID_PATTERN
from shared.domain.base import DomainModel, UtcDatetime

_STATION_ID = re.compile(STATION_ID_PATTERN)

__all__ = ["STATION_ID_PATTERN"]


def is_valid_station_id(station_id: str) -> bool:
    return bool(_STATION_ID.fullmatch(station_id))


def new_registration_id() -> str:
    """Minted each time a station id is registered: sessions, meter values and kept messages are keyed by
    it, so a station id deleted and registered again (by the same or another tenant) never reaches the
    records of its previous registration."""
    return secrets.token_hex(6)


def station_key(station_id: str, registration_id: str) -> str:
    """One registration of a station id: the partition of what that registration sent."""
    return f"{station_id}:{registration_id}"


class RegistrationPolicy(StrEnum):
    """What the platform answers to the station's BootNotification."""

    ACCEPTED = "Accepted"
    PENDING = "Pending"
    REJECTED = "Rejected"


Connectivity = Literal["online", "reconnecting", "offline"]


class Connection(DomainModel):
    connection_id: str
    protocol: str
    connected_at: UtcDatetime
    source_ip: str | None = None


class ChargerInfo(DomainModel):
    """What a station says about itself at boot, in neutral field names (one model for every protocol)."""

    vendor: str
    model: str
    serial_number: str | None = None
    firmware_version: str | None = None
    iccid: str | None = None
    imsi: str | None = None
    meter_type: str | None = None
    meter_serial_number: str | None = None
    boot_reason: str | None = None
    """OCPP 2.0.1 BootReasonEnumType; 1.6 has none."""


class ConnectorState(DomainModel):
    """The last status a station reported for one connector (OCPP 1.6 connector N is EVSE N, connector 1)."""

    evse_id: int
    connector_id: int
    status: str
    error_code: str | None = None
    info: str | None = None
    vendor_id: str | None = None
    vendor_error_code: str | None = None
    reported_at: UtcDatetime


def connector_key(evse_id: int, connector_id: int) -> str:
    return f"{evse_id}/{connector_id}"


class OperationalStatus(StrEnum):
    OPERATIVE = "Operative"
    INOPERATIVE = "Inoperative"


class EvseAvailability(DomainModel):
    """An EVSE as the operator set it (ChangeAvailability that the station accepted or scheduled). EVSE 0
    is the station as a whole; a station never told otherwise is operative."""

    evse_id: int
    operational_status: OperationalStatus = OperationalStatus.OPERATIVE
    inoperative_connectors: list[int] = Field(default_factory=list)
    """2.0.1 connectors set inoperative one by one within an operative EVSE."""
    scheduled: bool = False
    """The station accepted the change for after its ongoing transaction (Scheduled)."""
    changed_at: UtcDatetime


class DeviceStatus(DomainModel):
    """The last firmware or log/diagnostics status a station reported (Firmware-, Log-,
    DiagnosticsStatusNotification), for the operator and for firmware campaigns."""

    status: str
    request_id: int | None = None
    reported_at: UtcDatetime


class Station(DomainModel):
    station_id: str
    tenant_id: str
    registration_id: str = Field(default_factory=new_registration_id)
    site_id: str | None = None
    password_hash: str | None = None
    blocked: bool = False
    registration: RegistrationPolicy = RegistrationPolicy.ACCEPTED
    charger: ChargerInfo | None = None
    """What the station said at its last boot."""
    boot_status: RegistrationPolicy | None = None
    booted_at: UtcDatetime | None = None
    station_status: ConnectorState | None = None
    """Status of the station as a whole (OCPP 1.6 connectorId 0)."""
    connectors: dict[str, ConnectorState] = Field(default_factory=dict)
    availability: dict[str, EvseAvailability] = Field(default_factory=dict)
    """Per EVSE id ("0": the station), as the operator set it."""
    firmware: DeviceStatus | None = None
    diagnostics: DeviceStatus | None = None
    """1.6 DiagnosticsStatusNotification, 2.0.1 LogStatusNotification."""
    connection: Connection | None = None
    protocol: str | None = None
    """The subprotocol of its latest connection; kept after it disconnects (commands need it)."""
    last_seen: UtcDatetime | None = None
    disconnected_at: UtcDatetime | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None

    def evse_ids(self) -> list[int]:
        """The EVSEs the station reported a status for (1.6: its connectors)."""
        return sorted({state.evse_id for state in self.connectors.values() if state.evse_id > 0})

    def connectivity(self, now: datetime, reconnect_grace: timedelta) -> Connectivity:
        """API Gateway drops every connection after 2 h; a station back within the grace is not offline."""
        if self.connection is not None:
            return "online"
        if self.blocked or self.disconnected_at is None:
            return "offline"
        return "reconnecting" if now - self.disconnected_at <= reconnect_grace else "offline"


class StationContext(DomainModel):
    """Who is on a connection: set by the $connect authorizer, attached by API Gateway to every event."""

    station_id: str
    tenant_id: str
    registration_id: str
    site_id: str | None = None
    protocol: str
    connection_id: str
    registration: RegistrationPolicy = RegistrationPolicy.ACCEPTED
    """The operator's registration policy when the station connected; changing it drops the connection,
    so it holds for the connection's lifetime."""
    enrolling: bool = False
    """An unregistered station that presented its tenant's enrollment secret, waiting for approval
    (``shared.domain.onboarding``): Pending, and nothing it sends is stored as a station's."""
