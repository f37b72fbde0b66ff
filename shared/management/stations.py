"""Station registration and the settings an operator changes.

Station ids are global: a charger's URL carries only its id, so two tenants cannot both hold one.
Registering an id that exists is refused with the same message whoever holds it, and every station
gets a password (generated when the operator gives none), so a pre-registered id cannot capture a
charger that connects without one.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.domain.changes import StationSettingsChange
from shared.domain.errors import AlreadyExistsError, InvalidRequestError
from shared.domain.stations import RegistrationPolicy, Station, station_key
from shared.domain.tenancy import Principal, Scope
from shared.gateway.passwords import hash_password

if TYPE_CHECKING:
    from shared.wiring import Platform

GENERATED_PASSWORD_BYTES = 24
"""32 URL-safe characters: within OCPP's 16 to 40 character AuthorizationKey."""


@dataclass(frozen=True)
class RegisteredStation:
    station: Station
    generated_password: str | None
    """Set only when the platform generated the password; it is never stored in clear."""


def generate_password() -> str:
    return secrets.token_urlsafe(GENERATED_PASSWORD_BYTES)


def password_hash(password: str) -> str:
    return hash_password(password)


def list_stations(
    platform: Platform, scope: Scope, limit: int, cursor: str | None, site_id: str | None
) -> tuple[list[Station], str | None]:
    """The tenant's stations (on ``site_id`` if given), kept to the scope's sites."""
    if (site_id is not None and not scope.covers_site(site_id)) or not (scope.whole_tenant or scope.site_ids):
        return [], None
    if site_id is None and not scope.whole_tenant and len(scope.site_ids) == 1:
        site_id = next(iter(scope.site_ids))
    items, next_cursor = platform.stations.list_for_tenant(scope.tenant_id, limit, cursor, site_id)
    return [item for item in items if scope.covers_site(item.site_id)], next_cursor


def _require_site(platform: Platform, principal: Principal, site_id: str) -> None:
    if platform.sites.find(principal.tenant_id, site_id) is None:
        raise InvalidRequestError(f"siteId: site {site_id} does not exist")


def register_station(
    platform: Platform,
    principal: Principal,
    *,
    station_id: str,
    site_id: str | None,
    password: str | None,
    registration: RegistrationPolicy,
) -> RegisteredStation:
    if site_id is not None:
        _require_site(platform, principal, site_id)
    generated = None
    if password is None:
        generated = password = generate_password()
    station = Station(
        station_id=station_id,
        tenant_id=principal.tenant_id,
        site_id=site_id,
        password_hash=hash_password(password),
        registration=registration,
        created_at=platform.clock(),
    )
    try:
        platform.stations.create(station)
    except AlreadyExistsError as error:
        # The same words whoever holds the id: the answer must not tell tenants apart.
        raise AlreadyExistsError(f"station {station_id} already exists") from error
    return RegisteredStation(station=station, generated_password=generated)


def update_station(
    platform: Platform, principal: Principal, station_id: str, change: StationSettingsChange
) -> Station:
    if change.site_id is not None:
        _require_site(platform, principal, change.site_id)
    station = platform.stations.update_settings(principal.tenant_id, station_id, change, platform.clock())
    # A connection carries the policy it was authorized with (no message looks the station up), so a
    # station blocked or given another registration policy reconnects to get it.
    if station.blocked or "registration" in change.model_fields_set:
        _disconnect(platform, station)
    return station


def delete_station(platform: Platform, principal: Principal, station_id: str) -> None:
    """The station's sessions, meter values and messages stay with its tenant, keyed by this
    registration: registering the id again (by anyone) starts afresh and never reaches them. Sessions
    still active are closed now (stop reason StationDeleted): the station can no longer end them."""
    station = platform.stations.delete(principal.tenant_id, station_id)
    _disconnect(platform, station)
    platform.services.transactions.close_by_platform(station, "StationDeleted")


def _disconnect(platform: Platform, station: Station) -> None:
    """A blocked or deleted station loses its socket now, not at its next reconnect; the authorizer
    refuses it from then on."""
    if station.connection is not None and platform.connections is not None:
        platform.connections.close(station.connection.connection_id)


def list_messages(
    platform: Platform, principal: Principal, station_id: str, kind: str, limit: int
) -> list[dict[str, object]]:
    """What the station sent that is kept for operators, newest first."""
    station = platform.stations.get_for_tenant(principal.tenant_id, station_id)
    return platform.station_messages.list_for_station(
        station_key(station.station_id, station.registration_id), f"{kind}#", limit
    )
