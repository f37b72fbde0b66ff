"""The operator's view of sessions, with live energy for sessions still charging."""

from __future__ import annotations

from shared.api.schemas import MeterValueView, SessionDetail, SessionView
from shared.domain.sessions import ENERGY_REGISTER, Session, SessionStatus, latest_reading
from shared.domain.tenancy import Principal
from shared.wiring import Platform


def session_view(platform: Platform, session: Session) -> SessionView:
    view = SessionView.model_validate(session.model_dump())
    if session.status is SessionStatus.ACTIVE and session.meter_start_wh is not None:
        latest = platform.meter_values.latest_for_session(session.session_id)
        reading = latest_reading(latest.meter_values, ENERGY_REGISTER) if latest else None
        if reading is not None:
            view.energy_wh = max(reading - session.meter_start_wh, 0.0)
    return view


def session_detail(platform: Platform, principal: Principal, session_id: str) -> SessionDetail:
    principal.require_read()
    session = platform.sessions.get_for_tenant(principal.tenant_id, session_id)
    records = platform.meter_values.for_session(session_id)
    meter_values = [
        MeterValueView.model_validate(meter_value.model_dump())
        for record in records
        for meter_value in record.meter_values
    ]
    meter_values.sort(key=lambda value: value.timestamp)
    view = session_view(platform, session)
    return SessionDetail(**view.model_dump(), meter_values=meter_values)
