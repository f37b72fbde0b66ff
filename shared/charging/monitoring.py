"""Signals the fleet monitoring raises alerts from (``shared/monitoring``): boots, faulted connectors and
security events, published as domain events: one EventBridge event per boot or fault, rare compared with
the messages a station sends. A security event is also kept as the station's message, in both
protocols."""

from __future__ import annotations

from datetime import datetime

from shared.charging.station_messages import StationMessages
from shared.domain.events import ConnectorFaulted, SecurityEventReported, StationBooted
from shared.domain.stations import ChargerInfo, ConnectorState, StationContext
from shared.ports import Clock, EventPublisher

FAULTED = "Faulted"


class FleetSignals:
    def __init__(self, events: EventPublisher, messages: StationMessages, clock: Clock) -> None:
        self._events = events
        self._messages = messages
        self._clock = clock

    def booted(self, station: StationContext, charger: ChargerInfo, now: datetime) -> None:
        self._events.publish(
            [
                StationBooted(
                    tenant_id=station.tenant_id,
                    station_id=station.station_id,
                    occurred_at=now,
                    firmware_version=charger.firmware_version,
                    boot_reason=charger.boot_reason,
                )
            ]
        )

    def connector_status(self, station: StationContext, state: ConnectorState) -> None:
        if state.status != FAULTED:
            return
        self._events.publish(
            [
                ConnectorFaulted(
                    tenant_id=station.tenant_id,
                    station_id=station.station_id,
                    occurred_at=state.reported_at,
                    evse_id=state.evse_id,
                    connector_id=state.connector_id,
                    error_code=state.error_code,
                    info=state.info,
                    vendor_error_code=state.vendor_error_code,
                )
            ]
        )

    def security_event(
        self,
        station: StationContext,
        ocpp_message_id: str,
        event_type: str,
        reported_at: datetime | None,
        tech_info: str | None,
    ) -> None:
        """OCPP 1.6 security extension and 2.0.1 SecurityEventNotification."""
        self._messages.keep(
            station,
            "SecurityEventNotification",
            ocpp_message_id,
            {
                "status": event_type,
                "techInfo": tech_info,
                "timestamp": reported_at.isoformat() if reported_at else None,
            },
        )
        self._events.publish(
            [
                SecurityEventReported(
                    tenant_id=station.tenant_id,
                    station_id=station.station_id,
                    occurred_at=self._clock(),
                    event_type=event_type,
                    tech_info=tech_info,
                    reported_at=reported_at,
                )
            ]
        )
