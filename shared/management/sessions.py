"""The operator's view of sessions, with live energy for sessions still charging."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.domain.errors import InvalidRequestError
from shared.domain.sessions import ENERGY_REGISTER, MeterValue, Session, SessionStatus, latest_reading
from shared.domain.tenancy import Principal

if TYPE_CHECKING:
    from shared.wiring import Platform


@dataclass(frozen=True)
class SessionWithMeterValues:
    session: Session
    meter_values: list[MeterValue]


def with_live_energy(platform: Platform, session: Session) -> Session:
    """An active session's energy so far, from its newest energy register reading."""
    if session.status is not SessionStatus.ACTIVE or session.meter_start_wh is None:
        return session
    latest = platform.meter_values.latest_for_session(session.session_id)
    reading = latest_reading(latest.meter_values, ENERGY_REGISTER) if latest else None
    if reading is None:
        return session
    return session.model_copy(update={"energy_wh": max(reading - session.meter_start_wh, 0.0)})


def session_with_meter_values(
    platform: Platform, principal: Principal, session_id: str
) -> SessionWithMeterValues:
    session = platform.sessions.get_for_tenant(principal.tenant_id, session_id)
    records = platform.meter_values.for_session(session_id)
    return SessionWithMeterValues(
        session=with_live_energy(platform, session),
        meter_values=[meter_value for record in records for meter_value in record.meter_values],
    )


def list_sessions(
    platform: Platform,
    principal: Principal,
    *,
    station_id: str | None,
    status: SessionStatus | None,
    started_from: datetime | None,
    started_to: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Session], str | None]:
    if started_from is not None and started_to is not None and started_from > started_to:
        raise InvalidRequestError("query field 'from': must not be after 'to'")
    items, next_cursor = platform.sessions.list_for_tenant(
        principal.tenant_id,
        station_id=station_id,
        status=status,
        started_from=started_from,
        started_to=started_to,
        limit=limit,
        cursor=cursor,
    )
    return [with_live_energy(platform, item) for item in items], next_cursor
