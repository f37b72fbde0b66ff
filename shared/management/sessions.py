"""The operator's view of sessions, with live energy for sessions still charging."""

from __future__ import annotations

from shared.api.schemas import MeterValueView, SessionDetail, SessionView
from shared.domain.sessions import Session, live_energy, projected_energy, readings_owned_by
from shared.domain.tenancy import Principal
from shared.wiring import Platform


def session_view(platform: Platform, session: Session) -> SessionView:
    """For lists: no query per session; an active session shows the energy of its last projected reading."""
    view = SessionView.model_validate(session.model_dump())
    view.energy_wh = projected_energy(session)
    return view


def session_detail(platform: Platform, principal: Principal, session_id: str) -> SessionDetail:
    principal.require_read()
    session = platform.sessions.get_for_tenant(principal.tenant_id, session_id)
    records = platform.meter_values.for_session(session_id)
    meter_values = [
        MeterValueView.model_validate(value.model_dump()) for value in readings_owned_by(session, records)
    ]
    view = SessionView.model_validate(session.model_dump())
    view.energy_wh = live_energy(session, records)
    return SessionDetail(**view.model_dump(), meter_values=meter_values)
