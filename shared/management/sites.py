"""Sites: where stations stand."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from shared.domain.sites import Site
from shared.domain.tenancy import Principal

if TYPE_CHECKING:
    from shared.wiring import Platform


def create_site(
    platform: Platform,
    principal: Principal,
    *,
    site_id: str | None,
    name: str,
    address: str | None,
    timezone: str,
    max_current_amps: float | None,
) -> Site:
    site = Site(
        tenant_id=principal.tenant_id,
        site_id=site_id or f"site-{uuid.uuid4().hex[:12]}",
        name=name,
        address=address,
        timezone=timezone,
        max_current_amps=max_current_amps,
        created_at=platform.clock(),
    )
    platform.sites.create(site)
    return site
