"""Sites: where stations stand, and (for the allocator) what the grid connection allows."""

from __future__ import annotations

from shared.domain.base import DomainModel, UtcDatetime


class Site(DomainModel):
    tenant_id: str
    site_id: str
    name: str
    address: str | None = None
    timezone: str = "UTC"
    max_current_amps: float | None = None
    """Grid connection limit per phase; the load allocator keeps the site below it."""
    latitude: float | None = None
    """WGS 84 degrees, with ``longitude``: where drivers find the site (both or neither)."""
    longitude: float | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime | None = None
