"""Transactions: sessions start, meter, and stop — exactly once, whatever the station repeats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from shared.charging.authorization import authorize_id_token
from shared.domain.base import to_iso
from shared.domain.events import MeterValuesReceived, SessionStarted, SessionStopped
from shared.domain.id_tokens import IdTokenInfo
from shared.domain.sessions import (
    ACTIVE_POWER,
    ENERGY_REGISTER,
    MeterValue,
    MeterValuesRecord,
    Session,
    SessionStatus,
    latest_reading,
    meter_values_partition,
    session_id_for,
)
from shared.domain.stations import StationContext
from shared.observability import metrics
from shared.wiring import Platform


@dataclass(frozen=True)
class SessionStart:
    evse_id: int
    connector_id: int
    transaction_id: str
    id_token: str | None
    meter_start_wh: float | None
    started_at: datetime
    reservation_id: int | None = None


@dataclass(frozen=True)
class SessionStop:
    transaction_id: str
    meter_stop_wh: float | None
    stopped_at: datetime
    reason: str | None
    id_token: str | None
    transaction_data: list[MeterValue]
    message_id: str


def start_session(
    platform: Platform, station: StationContext, start: SessionStart
) -> tuple[Session, IdTokenInfo | None]:
    """Records the session (once) and announces it. The token is checked but never blocks the record:
    the car may already be charging, and the station decides what to do with the answer."""
    now = platform.clock()
    token_info = authorize_id_token(platform, station, start.id_token) if start.id_token else None
    session = Session(
        session_id=session_id_for(station.station_id, start.transaction_id),
        tenant_id=station.tenant_id,
        station_id=station.station_id,
        site_id=station.site_id,
        evse_id=start.evse_id,
        connector_id=start.connector_id,
        transaction_id=start.transaction_id,
        protocol=station.protocol,
        id_token=start.id_token,
        id_token_status=token_info.status if token_info else None,
        started_at=start.started_at,
        meter_start_wh=start.meter_start_wh,
        reservation_id=start.reservation_id,
        created_at=now,
    )
    if platform.sessions.create(session):
        metrics.add_metric(name="SessionsStarted", unit="Count", value=1)
        platform.events.publish(
            [
                SessionStarted(
                    tenant_id=station.tenant_id,
                    station_id=station.station_id,
                    occurred_at=now,
                    session=session,
                )
            ]
        )
        return session, token_info
    existing = platform.sessions.get(session.session_id)
    return (existing or session), token_info


def record_meter_values(
    platform: Platform,
    station: StationContext,
    *,
    evse_id: int,
    transaction_id: str | None,
    meter_values: list[MeterValue],
    message_id: str,
    source: str = "MeterValues",
) -> None:
    """One write per message, keyed by its first timestamp and message id, so a resent message overwrites
    itself. Every measurand, phase and location is kept as sent."""
    if not meter_values:
        return
    now = platform.clock()
    session_id = session_id_for(station.station_id, transaction_id) if transaction_id is not None else None
    first = min(meter_value.timestamp for meter_value in meter_values)
    platform.meter_values.record(
        MeterValuesRecord(
            session_id=meter_values_partition(station.station_id, evse_id, session_id),
            sample_key=f"{to_iso(first)}#{message_id}",
            tenant_id=station.tenant_id,
            station_id=station.station_id,
            evse_id=evse_id,
            transaction_id=transaction_id,
            source=source,
            meter_values=meter_values,
            received_at=now,
        )
    )
    if source == "MeterValues" and platform.settings.publish_meter_value_events:
        platform.events.publish(
            [
                MeterValuesReceived(
                    tenant_id=station.tenant_id,
                    station_id=station.station_id,
                    occurred_at=now,
                    session_id=session_id,
                    evse_id=evse_id,
                    energy_wh=latest_reading(meter_values, ENERGY_REGISTER),
                    power_w=latest_reading(meter_values, ACTIVE_POWER),
                )
            ]
        )


def stop_session(platform: Platform, station: StationContext, stop: SessionStop) -> IdTokenInfo | None:
    """Closes the session exactly once. A stop for a transaction the platform never saw start is kept
    as an orphan session rather than lost."""
    now = platform.clock()
    session_id = session_id_for(station.station_id, stop.transaction_id)
    existing = platform.sessions.get(session_id)
    evse_id = existing.evse_id if existing is not None else 0
    if stop.transaction_data:
        record_meter_values(
            platform,
            station,
            evse_id=evse_id,
            transaction_id=stop.transaction_id,
            meter_values=stop.transaction_data,
            message_id=stop.message_id,
            source="StopTransaction",
        )
    token_info = authorize_id_token(platform, station, stop.id_token) if stop.id_token else None
    if existing is None:
        orphan = Session(
            session_id=session_id,
            tenant_id=station.tenant_id,
            station_id=station.station_id,
            site_id=station.site_id,
            evse_id=0,
            connector_id=0,
            transaction_id=stop.transaction_id,
            protocol=station.protocol,
            status=SessionStatus.COMPLETED,
            started_at=stop.stopped_at,
            stopped_at=stop.stopped_at,
            meter_stop_wh=stop.meter_stop_wh,
            stop_reason=stop.reason,
            stop_id_token=stop.id_token,
            orphan=True,
            created_at=now,
        )
        if platform.sessions.create(orphan):
            _announce_stop(platform, station, orphan, now)
        return token_info
    if existing.status is SessionStatus.COMPLETED:
        return token_info
    energy = (
        max(stop.meter_stop_wh - existing.meter_start_wh, 0.0)
        if stop.meter_stop_wh is not None and existing.meter_start_wh is not None
        else None
    )
    completed = platform.sessions.complete(
        session_id,
        {
            "stoppedAt": to_iso(stop.stopped_at),
            "meterStopWh": stop.meter_stop_wh,
            "energyWh": energy,
            "stopReason": stop.reason,
            "stopIdToken": stop.id_token,
        },
        now,
    )
    if completed is not None:
        _announce_stop(platform, station, completed, now)
    return token_info


def _announce_stop(platform: Platform, station: StationContext, session: Session, now: datetime) -> None:
    metrics.add_metric(name="SessionsStopped", unit="Count", value=1)
    platform.events.publish(
        [
            SessionStopped(
                tenant_id=station.tenant_id, station_id=station.station_id, occurred_at=now, session=session
            )
        ]
    )
