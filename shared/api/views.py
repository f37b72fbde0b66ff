"""Domain objects to response bodies: the only place that knows both."""

from __future__ import annotations

from datetime import datetime, timedelta

from shared.api import schemas
from shared.domain.commands import Command
from shared.domain.id_tokens import IdToken
from shared.domain.sessions import MeterValue, Session
from shared.domain.sites import Site
from shared.domain.stations import Station


def site_view(site: Site) -> schemas.SiteView:
    return schemas.SiteView.model_validate(site.model_dump())


def id_token_view(token: IdToken) -> schemas.IdTokenView:
    return schemas.IdTokenView.model_validate(token.model_dump())


def station_view(station: Station, now: datetime, reconnect_grace: timedelta) -> schemas.StationView:
    return schemas.StationView.model_validate(_station_fields(station, now, reconnect_grace))


def station_registered_view(
    station: Station,
    now: datetime,
    *,
    ocpp_url: str,
    subprotocols: tuple[str, ...],
    generated_password: str | None,
) -> schemas.StationRegistered:
    return schemas.StationRegistered.model_validate(
        {
            **_station_fields(station, now, timedelta(0)),
            "ocpp_url": ocpp_url,
            "subprotocols": list(subprotocols),
            "basic_auth_user": station.station_id,
            "password": generated_password,
        }
    )


def _station_fields(station: Station, now: datetime, reconnect_grace: timedelta) -> dict[str, object]:
    connectivity = station.connectivity(now, reconnect_grace)
    evses: dict[int, list[schemas.ConnectorView]] = {}
    for state in station.connectors.values():
        evses.setdefault(state.evse_id, []).append(schemas.ConnectorView.model_validate(state.model_dump()))
    return {
        "station_id": station.station_id,
        "site_id": station.site_id,
        "online": connectivity == "online",
        "connectivity": connectivity,
        "protocol": station.connection.protocol if station.connection else None,
        "connected_at": station.connection.connected_at if station.connection else None,
        "last_seen": station.last_seen,
        "vendor": station.charger.vendor if station.charger else None,
        "model": station.charger.model if station.charger else None,
        "serial_number": station.charger.serial_number if station.charger else None,
        "firmware_version": station.charger.firmware_version if station.charger else None,
        "boot_status": station.boot_status,
        "registration": station.registration,
        "blocked": station.blocked,
        "has_password": station.password_hash is not None,
        "status": station.station_status.status if station.station_status else None,
        "error_code": station.station_status.error_code if station.station_status else None,
        "evses": [
            _evse_view(station, evse_id, sorted(connectors, key=lambda view: view.connector_id))
            for evse_id, connectors in sorted(evses.items())
        ],
        "operational_status": station.availability["0"].operational_status.value
        if "0" in station.availability
        else "Operative",
        "firmware": station.firmware.model_dump() if station.firmware else None,
        "diagnostics": station.diagnostics.model_dump() if station.diagnostics else None,
        "created_at": station.created_at,
    }


def _evse_view(station: Station, evse_id: int, connectors: list[schemas.ConnectorView]) -> schemas.EvseView:
    availability = station.availability.get(str(evse_id))
    if availability is None:
        return schemas.EvseView(evse_id=evse_id, connectors=connectors)
    return schemas.EvseView(
        evse_id=evse_id,
        connectors=connectors,
        operational_status=availability.operational_status.value,
        inoperative_connectors=availability.inoperative_connectors,
        availability_scheduled=availability.scheduled,
    )


def _session_fields(session: Session) -> dict[str, object]:
    return {
        **session.model_dump(),
        "charging_needs": session.charging_needs.to_document() if session.charging_needs else None,
    }


def session_view(session: Session) -> schemas.SessionView:
    return schemas.SessionView.model_validate(_session_fields(session))


def session_detail(
    session: Session, meter_values: list[MeterValue], cost: schemas.SessionCost | None = None
) -> schemas.SessionDetail:
    return schemas.SessionDetail.model_validate(
        {
            **_session_fields(session),
            "cost": cost,
            "meter_values": [
                schemas.MeterValueView.model_validate(value.model_dump())
                for value in sorted(meter_values, key=lambda value: value.timestamp)
            ],
        }
    )


def command_view(command: Command, now: datetime) -> schemas.CommandView:
    return schemas.CommandView(
        command_id=command.command_id,
        station_id=command.station_id,
        action=command.action,
        payload=command.payload,
        status=command.effective_status(now),
        response=command.response,
        error=command.error.to_document() if command.error else None,
        created_at=command.created_at,
        completed_at=command.completed_at,
    )
