"""The operator's view of sessions: lists without a query per session (an active session shows the energy
of its last projected reading), details with the meter values it owns and its exact live energy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from shared.domain.errors import InvalidRequestError
from shared.domain.sessions import (
    MeterValue,
    Session,
    SessionStatus,
    live_energy,
    projected_energy,
    readings_owned_by,
)
from shared.domain.tenancy import Principal, Scope
from shared.management.scoping import InScope

if TYPE_CHECKING:
    from shared.wiring import Platform


@dataclass(frozen=True)
class SessionWithMeterValues:
    session: Session
    meter_values: list[MeterValue]


def session_with_meter_values(
    platform: Platform, principal: Principal, session_id: str
) -> SessionWithMeterValues:
    session = platform.sessions.get_for_tenant(principal.tenant_id, session_id)
    records = platform.meter_values.for_session(session_id)
    return SessionWithMeterValues(
        session=session.model_copy(update={"energy_wh": live_energy(session, records)}),
        meter_values=readings_owned_by(session, records),
    )


def list_sessions(
    platform: Platform,
    scope: Scope,
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
        scope.tenant_id,
        station_id=station_id,
        status=status,
        started_from=started_from,
        started_to=started_to,
        limit=limit,
        cursor=cursor,
    )
    in_scope = InScope(platform, scope)
    visible = in_scope.keep(items, in_scope.session)
    return [item.model_copy(update={"energy_wh": projected_energy(item)}) for item in visible], next_cursor
