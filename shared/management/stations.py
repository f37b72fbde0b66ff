"""Station registration and the operator's view of a station."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from shared.api.schemas import ConnectorView, EvseView, StationCreate, StationUpdate, StationView
from shared.domain.errors import InvalidRequestError
from shared.domain.stations import Station
from shared.domain.tenancy import Principal
from shared.gateway.passwords import hash_password
from shared.wiring import Platform


def station_view(platform: Platform, station: Station) -> StationView:
    now = platform.clock()
    connectivity = station.connectivity(now, timedelta(seconds=platform.settings.reconnect_grace_seconds))
    evses: dict[int, list[ConnectorView]] = {}
    for state in station.connectors.values():
        evses.setdefault(state.evse_id, []).append(
            ConnectorView(
                connector_id=state.connector_id,
                status=state.status,
                error_code=state.error_code,
                info=state.info,
                vendor_error_code=state.vendor_error_code,
                reported_at=state.reported_at,
            )
        )
    return StationView(
        station_id=station.station_id,
        site_id=station.site_id,
        online=connectivity == "online",
        connectivity=connectivity,
        protocol=station.connection.protocol if station.connection else None,
        connected_at=station.connection.connected_at if station.connection else None,
        last_seen=station.last_seen,
        vendor=station.charger.vendor if station.charger else None,
        model=station.charger.model if station.charger else None,
        serial_number=station.charger.serial_number if station.charger else None,
        firmware_version=station.charger.firmware_version if station.charger else None,
        boot_status=station.boot_status,
        registration=station.registration,
        blocked=station.blocked,
        has_password=station.password_hash is not None,
        status=station.station_status.status if station.station_status else None,
        error_code=station.station_status.error_code if station.station_status else None,
        evses=[
            EvseView(evse_id=evse_id, connectors=sorted(connectors, key=lambda view: view.connector_id))
            for evse_id, connectors in sorted(evses.items())
        ],
        created_at=station.created_at,
    )


def _require_site(platform: Platform, principal: Principal, site_id: str) -> None:
    if platform.sites.find(principal.tenant_id, site_id) is None:
        raise InvalidRequestError(f"siteId: site {site_id} does not exist")


def register_station(platform: Platform, principal: Principal, request: StationCreate) -> StationView:
    principal.require_write()
    if request.site_id is not None:
        _require_site(platform, principal, request.site_id)
    station = Station(
        station_id=request.station_id,
        tenant_id=principal.tenant_id,
        site_id=request.site_id,
        password_hash=hash_password(request.password) if request.password else None,
        registration=request.registration,
        created_at=platform.clock(),
    )
    platform.stations.create(station)
    return station_view(platform, station)


def update_station(
    platform: Platform, principal: Principal, station_id: str, request: StationUpdate
) -> StationView:
    principal.require_write()
    changes: dict[str, Any] = {}
    given = request.model_fields_set
    if "site_id" in given:
        if request.site_id is not None:
            _require_site(platform, principal, request.site_id)
        changes["siteId"] = request.site_id
    if "password" in given:
        changes["passwordHash"] = hash_password(request.password) if request.password else None
    if request.blocked is not None:
        changes["blocked"] = request.blocked
    if request.registration is not None:
        changes["registration"] = request.registration.value
    station = platform.stations.update_settings(principal.tenant_id, station_id, changes, platform.clock())
    # A connection carries the policy it was authorized with (no message looks the station up), so a
    # station blocked or given another registration policy reconnects to get it.
    if station.blocked or "registration" in changes:
        _disconnect(platform, station)
    return station_view(platform, station)


def delete_station(platform: Platform, principal: Principal, station_id: str) -> None:
    """The station's sessions, meter values and messages stay with its tenant, keyed by this
    registration: registering the id again (by anyone) starts afresh and never reaches them. Sessions
    still active are closed now (stop reason StationDeleted): the station can no longer end them."""
    principal.require_write()
    station = platform.stations.delete(principal.tenant_id, station_id)
    _disconnect(platform, station)
    platform.services.transactions.close_by_platform(station, "StationDeleted")


def _disconnect(platform: Platform, station: Station) -> None:
    """A blocked or deleted station loses its socket now, not at its next reconnect; the authorizer
    refuses it from then on."""
    if station.connection is not None and platform.connections is not None:
        platform.connections.close(station.connection.connection_id)
