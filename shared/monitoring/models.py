"""Alerts and what the monitoring keeps to raise them."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar

from pydantic import Field

from shared.domain.base import DomainModel, UtcDatetime
from shared.domain.events import DomainEvent


class AlertKind(StrEnum):
    STATION_OFFLINE = "StationOffline"
    CONNECTOR_FAULTED = "ConnectorFaulted"
    FIRMWARE_UPDATE_FAILED = "FirmwareUpdateFailed"
    BOOT_LOOP = "BootLoop"
    SECURITY_EVENT = "SecurityEvent"


class AlertSeverity(StrEnum):
    WARNING = "warning"
    CRITICAL = "critical"


class AlertStatus(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"


def new_alert_id(now: datetime) -> str:
    """Sortable by when it was raised."""
    return f"{now.strftime('%Y%m%dT%H%M%S')}-{secrets.token_hex(4)}"


class Alert(DomainModel):
    alert_id: str
    tenant_id: str
    kind: AlertKind
    severity: AlertSeverity
    station_id: str
    subject: str
    """What within the station: ``station``, ``evse 1/connector 1``, a campaign id, a security event type.
    One alert is open per station, kind and subject: a repeat counts as an occurrence."""
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
    status: AlertStatus = AlertStatus.OPEN
    raised_at: UtcDatetime
    last_raised_at: UtcDatetime
    occurrences: int = 1
    acknowledged_at: UtcDatetime | None = None
    acknowledged_by: str | None = None


class OfflineWatch(DomainModel):
    """A station that disconnected: if it is still away when its grace is over, it is offline."""

    tenant_id: str
    station_id: str
    disconnected_at: UtcDatetime
    due_at: UtcDatetime


class AlertRaised(DomainEvent):
    """A new alert (repeats of an open one are counted on it, not announced again): route it to
    on-call (infra: an SNS topic with an optional e-mail subscription)."""

    detail_type: ClassVar[str] = "AlertRaised"
    alert_id: str
    kind: AlertKind
    severity: AlertSeverity
    subject: str
    message: str
    details: dict[str, Any] = Field(default_factory=dict)
