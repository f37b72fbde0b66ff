"""Alerts as operators see them: open or acknowledged, newest first; acknowledging closes one."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.domain.tenancy import Principal
from shared.monitoring.models import Alert, AlertStatus

if TYPE_CHECKING:
    from shared.wiring import Platform


def list_alerts(
    platform: Platform,
    principal: Principal,
    status: AlertStatus,
    limit: int,
    cursor: str | None,
    station_id: str | None,
) -> tuple[list[Alert], str | None]:
    return platform.alerts.list_for_tenant(principal.tenant_id, status, limit, cursor, station_id)


def get_alert(platform: Platform, principal: Principal, alert_id: str) -> Alert:
    return platform.alerts.get(principal.tenant_id, alert_id)


def acknowledge(platform: Platform, principal: Principal, alert_id: str) -> Alert:
    """Idempotent; a later occurrence of the same problem opens a new alert."""
    return platform.alerts.acknowledge(principal.tenant_id, alert_id, principal.subject, platform.clock())
