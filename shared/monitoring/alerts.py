"""Raising alerts from domain events (EventBridge rule ``fleet_alerts``) and from the minute sweep of
stations that stayed away longer than their reconnect grace (schedule ``alert_sweep``).

One alert is open per station, kind and subject: a repeat counts an occurrence on it. A new alert is
published as ``AlertRaised``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol

from shared.domain.base import parse_timestamp, to_iso
from shared.monitoring.models import (
    Alert,
    AlertKind,
    AlertRaised,
    AlertSeverity,
    AlertStatus,
    OfflineWatch,
    new_alert_id,
)
from shared.observability import logger
from shared.ports import Clock, EventPublisher, StationStore
from shared.settings import Settings


class AlertStore(Protocol):
    def raise_alert(self, alert: Alert) -> tuple[Alert, bool]: ...

    def get(self, tenant_id: str, alert_id: str) -> Alert: ...

    def list_for_tenant(
        self,
        tenant_id: str,
        status: AlertStatus,
        limit: int,
        cursor: str | None,
        station_id: str | None = None,
    ) -> tuple[list[Alert], str | None]: ...

    def acknowledge(self, tenant_id: str, alert_id: str, by: str, now: datetime) -> Alert: ...

    def watch_offline(self, watch: OfflineWatch) -> None: ...

    def clear_watch(self, tenant_id: str, station_id: str) -> None: ...

    def due_watches(self, now: datetime, limit: int = 500) -> list[OfflineWatch]: ...

    def record_boot(
        self, tenant_id: str, station_id: str, at: datetime, window: timedelta
    ) -> list[datetime]: ...


class FleetAlerts:
    def __init__(
        self,
        store: AlertStore,
        stations: StationStore,
        events: EventPublisher,
        settings: Settings,
        clock: Clock,
    ) -> None:
        self._store = store
        self._stations = stations
        self._events = events
        self._settings = settings
        self._clock = clock

    def handle_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """One EventBridge event (``detail-type`` and the event's camelCase ``detail``)."""
        detail_type = str(event.get("detail-type", ""))
        detail = event.get("detail") or {}
        tenant_id, station_id = str(detail.get("tenantId", "")), str(detail.get("stationId", ""))
        if not tenant_id or not station_id:
            logger.warning("event without tenant or station ignored", extra={"detailType": detail_type})
            return {"alert": None}
        occurred_at = parse_timestamp(str(detail.get("occurredAt") or to_iso(self._clock())))
        handler = {
            "StationDisconnected": self._disconnected,
            "StationConnected": self._connected,
            "StationBooted": self._booted,
            "ConnectorFaulted": self._faulted,
            "FirmwareUpdateFailed": self._firmware_failed,
            "SecurityEventReported": self._security_event,
        }.get(detail_type)
        if handler is None:
            return {"alert": None}
        alert = handler(tenant_id, station_id, occurred_at, detail)
        return {"alert": alert.alert_id if alert else None}

    # --- per event ----------------------------------------------------------------------------------

    def _disconnected(self, tenant_id: str, station_id: str, at: datetime, _: dict[str, Any]) -> Alert | None:
        grace = timedelta(seconds=self._settings.reconnect_grace_seconds)
        self._store.watch_offline(
            OfflineWatch(tenant_id=tenant_id, station_id=station_id, disconnected_at=at, due_at=at + grace)
        )
        return None

    def _connected(self, tenant_id: str, station_id: str, at: datetime, _: dict[str, Any]) -> Alert | None:
        self._store.clear_watch(tenant_id, station_id)
        return None

    def _booted(self, tenant_id: str, station_id: str, at: datetime, detail: dict[str, Any]) -> Alert | None:
        window = timedelta(seconds=self._settings.boot_loop_window_seconds)
        boots = self._store.record_boot(tenant_id, station_id, at, window)
        if len(boots) < self._settings.boot_loop_boots:
            return None
        return self._raise(
            tenant_id,
            station_id,
            AlertKind.BOOT_LOOP,
            AlertSeverity.CRITICAL,
            "station",
            f"{len(boots)} boots within {self._settings.boot_loop_window_seconds} s",
            {"boots": [to_iso(boot) for boot in boots], "firmwareVersion": detail.get("firmwareVersion")},
            at,
        )

    def _faulted(self, tenant_id: str, station_id: str, at: datetime, detail: dict[str, Any]) -> Alert | None:
        evse, connector = detail.get("evseId"), detail.get("connectorId")
        code = detail.get("errorCode") or "no error code"
        where = "the station" if evse == 0 else f"EVSE {evse} connector {connector}"
        return self._raise(
            tenant_id,
            station_id,
            AlertKind.CONNECTOR_FAULTED,
            AlertSeverity.WARNING,
            f"evse {evse}/connector {connector}",
            f"{where} is Faulted: {code}",
            {
                key: detail.get(key)
                for key in ("evseId", "connectorId", "errorCode", "info", "vendorErrorCode")
                if detail.get(key) is not None
            },
            at,
        )

    def _firmware_failed(
        self, tenant_id: str, station_id: str, at: datetime, detail: dict[str, Any]
    ) -> Alert | None:
        campaign = detail.get("campaignId")
        version = detail.get("firmwareVersion")
        message = f"firmware update failed: {detail.get('status')}"
        if version:
            message += f" (version {version})"
        return self._raise(
            tenant_id,
            station_id,
            AlertKind.FIRMWARE_UPDATE_FAILED,
            AlertSeverity.WARNING,
            str(campaign or "firmware"),
            message,
            {
                k: detail.get(k)
                for k in ("status", "campaignId", "firmwareVersion", "detail")
                if detail.get(k)
            },
            at,
        )

    def _security_event(
        self, tenant_id: str, station_id: str, at: datetime, detail: dict[str, Any]
    ) -> Alert | None:
        event_type = str(detail.get("eventType", "unknown"))
        return self._raise(
            tenant_id,
            station_id,
            AlertKind.SECURITY_EVENT,
            AlertSeverity.CRITICAL,
            event_type,
            f"security event {event_type}",
            {k: detail.get(k) for k in ("eventType", "techInfo", "reportedAt") if detail.get(k)},
            at,
        )

    # --- the sweep ----------------------------------------------------------------------------------

    def sweep(self) -> dict[str, Any]:
        """Stations whose reconnect grace is over and that are still away are offline."""
        now = self._clock()
        raised = 0
        for watch in self._store.due_watches(now):
            station = self._stations.get(watch.station_id)
            still_away = (
                station is not None
                and station.tenant_id == watch.tenant_id
                and station.connection is None
                and station.disconnected_at is not None
                and station.disconnected_at <= watch.disconnected_at + timedelta(seconds=1)
            )
            if still_away:
                assert station is not None and station.disconnected_at is not None
                self._raise(
                    watch.tenant_id,
                    watch.station_id,
                    AlertKind.STATION_OFFLINE,
                    AlertSeverity.WARNING,
                    "station",
                    f"offline since {to_iso(station.disconnected_at)}, longer than its "
                    f"{self._settings.reconnect_grace_seconds} s reconnect grace",
                    {"disconnectedAt": to_iso(station.disconnected_at)},
                    now,
                )
                raised += 1
            self._store.clear_watch(watch.tenant_id, watch.station_id)
        return {"raised": raised}

    def _raise(
        self,
        tenant_id: str,
        station_id: str,
        kind: AlertKind,
        severity: AlertSeverity,
        subject: str,
        message: str,
        details: dict[str, Any],
        at: datetime,
    ) -> Alert:
        now = self._clock()
        alert, new = self._store.raise_alert(
            Alert(
                alert_id=new_alert_id(now),
                tenant_id=tenant_id,
                kind=kind,
                severity=severity,
                station_id=station_id,
                subject=subject[:200],
                message=message[:500],
                details=details,
                raised_at=now,
                last_raised_at=now,
            )
        )
        if new:
            self._events.publish(
                [
                    AlertRaised(
                        tenant_id=tenant_id,
                        station_id=station_id,
                        occurred_at=at,
                        alert_id=alert.alert_id,
                        kind=alert.kind,
                        severity=alert.severity,
                        subject=alert.subject,
                        message=alert.message,
                        details=alert.details,
                    )
                ]
            )
        return alert
