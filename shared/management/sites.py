"""Sites: where stations stand."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from shared.domain.changes import SiteChange
from shared.domain.errors import InvalidRequestError
from shared.domain.sites import Site
from shared.domain.tenancy import Principal, Scope

if TYPE_CHECKING:
    from shared.wiring import Platform


def check_coordinates(latitude: float | None, longitude: float | None) -> None:
    """A site is on the map with both coordinates or not at all (ranges are the schema's)."""
    if latitude is None and longitude is not None:
        raise InvalidRequestError("latitude: give it with longitude")
    if longitude is None and latitude is not None:
        raise InvalidRequestError("longitude: give it with latitude")


def create_site(
    platform: Platform,
    principal: Principal,
    *,
    site_id: str | None,
    name: str,
    address: str | None,
    timezone: str,
    max_current_amps: float | None,
    latitude: float | None = None,
    longitude: float | None = None,
) -> Site:
    check_coordinates(latitude, longitude)
    site = Site(
        tenant_id=principal.tenant_id,
        site_id=site_id or f"site-{uuid.uuid4().hex[:12]}",
        name=name,
        address=address,
        timezone=timezone,
        max_current_amps=max_current_amps,
        latitude=latitude,
        longitude=longitude,
        created_at=platform.clock(),
    )
    platform.sites.create(site)
    return site


def list_sites(
    platform: Platform, scope: Scope, limit: int, cursor: str | None
) -> tuple[list[Site], str | None]:
    """The tenant's sites, or the scope's own (read one by one, in id order; the cursor is then the
    last id of the page)."""
    if scope.whole_tenant:
        return platform.sites.list(scope.tenant_id, limit, cursor)
    remaining = sorted(site_id for site_id in scope.site_ids if cursor is None or site_id > cursor)
    found = [site for site_id in remaining[:limit] if (site := platform.sites.find(scope.tenant_id, site_id))]
    return found, remaining[limit - 1] if len(remaining) > limit else None


def move_site(platform: Platform, principal: Principal, site: Site, given: dict[str, float | None]) -> Site:
    """Changes the given coordinates (``None`` removes one); the result must still have both or neither."""
    if not given:
        return site
    latitude = given.get("latitude", site.latitude)
    longitude = given.get("longitude", site.longitude)
    check_coordinates(latitude, longitude)
    change = SiteChange(latitude=latitude, longitude=longitude)
    return platform.sites.update(principal.tenant_id, site.site_id, change, platform.clock())
