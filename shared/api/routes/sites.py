"""/v1/sites"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.api import energy_schemas, schemas, views
from shared.api.access import Permission
from shared.api.dependencies import Caller, CallerScope, PlatformDependency
from shared.api.routes.params import Cursor, Limit, SiteIdPath
from shared.api.routing import operation
from shared.billing.resolver import AssignmentScope
from shared.domain.errors import InvalidRequestError
from shared.domain.sites import Site
from shared.management import billing, energy, sites

router = Router()
TAGS = ["sites"]


@operation(router, "POST", "/v1/sites", Permission.WRITE, status=HTTPStatus.CREATED, tags=TAGS)
def create_site(
    body: energy_schemas.SiteCreateWithEnergy, caller: Caller, platform: PlatformDependency
) -> energy_schemas.SiteDetail:
    """A site; with ``gridLimitAmps`` (or ``gridLimitKw``) its load is managed: the allocator keeps the
    stations placed on it within its grid connection and circuits."""
    fields = _energy_fields(body)
    if energy.wants_load_management(fields):
        # Checked before the site exists: an inconsistent model creates nothing.
        _check_energy_fields(fields)
    site = sites.create_site(
        platform,
        caller,
        site_id=body.site_id,
        name=body.name,
        address=body.address,
        timezone=body.timezone,
        max_current_amps=body.max_current_amps,
        latitude=body.latitude,
        longitude=body.longitude,
    )
    if energy.wants_load_management(fields):
        try:
            energy.put_site_energy(platform, caller, site.site_id, fields, site.timezone)
        except Exception:
            platform.sites.delete(caller.tenant_id, site.site_id)
            raise
    return _detail(platform, site, caller)


_UNSUPPORTED = ("tariff", "open_adr")
_PLACE = {"latitude", "longitude"}


def _energy_fields(body: energy_schemas.SiteEnergyFields) -> dict[str, Any]:
    given = body.model_fields_set & energy_schemas.ENERGY_FIELDS
    fields = body.model_dump(include=given, mode="json")
    for name in _UNSUPPORTED:
        if fields.get(name) is not None:
            camel = "openAdr" if name == "open_adr" else name
            raise InvalidRequestError(f"{camel}: not configurable through the API yet")
    return fields


def _check_energy_fields(fields: dict[str, Any]) -> None:
    from shared.energy.site import parse_site

    document = {k: v for k, v in fields.items() if k in energy.SITE_FIELDS and v is not None}
    parse_site({"site_id": "check", **document})


def _detail(platform: PlatformDependency, site: Site, caller: Caller) -> energy_schemas.SiteDetail:
    tariff_id = billing.assigned_tariff(platform, caller, AssignmentScope.SITE, site.site_id)
    view = {**views.site_view(site).model_dump(), "tariff_id": tariff_id}
    config = energy.site_energy(platform, site.tenant_id, site.site_id)
    if config is None:
        return energy_schemas.SiteDetail.model_validate(view)
    from shared.energy.site import fail_safe_overloads

    model = config.site
    management = energy_schemas.SiteEnergyView.model_validate(
        {
            **model.model_dump(exclude={"battery"}),
            "battery": model.battery.model_dump() if model.battery else None,
            "grid_limit_per_phase_amps": model.grid_limit_per_phase_amps,
            "default_energy_wanted_kwh": config.default_energy_wanted_kwh,
            "default_stay_minutes": config.default_stay_minutes,
        }
    )
    placements = platform.energy.placements(site.tenant_id, site.site_id)
    return energy_schemas.SiteDetail.model_validate(
        {**view, "load_management": management, "warnings": fail_safe_overloads(model, placements)}
    )


@operation(router, "PATCH", "/v1/sites/<site_id>", Permission.WRITE, tags=TAGS)
def update_site(
    site_id: SiteIdPath, body: energy_schemas.SiteUpdate, caller: Caller, platform: PlatformDependency
) -> energy_schemas.SiteDetail:
    """Changes the site's load management, its tariff and where it is (fields left out unchanged, null
    removes an optional one); ``tariffId`` prices the site's sessions; ``latitude`` and ``longitude``
    put it on the drivers' map (both or neither)."""
    site = platform.sites.get(caller.tenant_id, site_id)
    for name in ("name", "address", "timezone", "max_current_amps"):
        if name in body.model_fields_set:
            camel = "maxCurrentAmps" if name == "max_current_amps" else name
            raise InvalidRequestError(f"{camel}: not changeable yet (only the load management fields)")
    fields = _energy_fields(body)
    site = sites.move_site(platform, caller, site, body.model_dump(include=body.model_fields_set & _PLACE))
    if fields:
        energy.put_site_energy(platform, caller, site_id, fields, site.timezone)
    if "tariff_id" in body.model_fields_set:  # billing: prices the site's sessions (null removes it)
        billing.assign_tariff(platform, caller, AssignmentScope.SITE, site_id, body.tariff_id)
    return _detail(platform, site, caller)


@operation(router, "GET", "/v1/sites", Permission.SITES, tags=TAGS)
def list_sites(
    scope: CallerScope, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.SiteList:
    """A property owner's or energy provider's token lists its own sites."""
    items, next_cursor = sites.list_sites(platform, scope, limit, cursor)
    return schemas.SiteList(items=[views.site_view(site) for site in items], next_cursor=next_cursor)


@operation(router, "GET", "/v1/sites/<site_id>", Permission.SITES, tags=TAGS)
def get_site(site_id: SiteIdPath, caller: Caller, platform: PlatformDependency) -> energy_schemas.SiteDetail:
    return _detail(platform, platform.sites.get(caller.tenant_id, site_id), caller)


@operation(router, "DELETE", "/v1/sites/<site_id>", Permission.WRITE, status=HTTPStatus.NO_CONTENT, tags=TAGS)
def delete_site(site_id: SiteIdPath, caller: Caller, platform: PlatformDependency) -> Response[None]:
    platform.sites.delete(caller.tenant_id, site_id)
    energy.forget_site(platform, caller.tenant_id, site_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)
