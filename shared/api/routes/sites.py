"""/v1/sites"""

from __future__ import annotations

from http import HTTPStatus

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router

from shared.api import schemas, views
from shared.api.access import Permission
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import Cursor, Limit, SiteIdPath
from shared.api.routing import operation
from shared.billing.resolver import AssignmentScope
from shared.management import billing, sites

router = Router()
TAGS = ["sites"]


@operation(router, "POST", "/v1/sites", Permission.WRITE, status=HTTPStatus.CREATED, tags=TAGS)
def create_site(body: schemas.SiteCreate, caller: Caller, platform: PlatformDependency) -> schemas.SiteView:
    site = sites.create_site(
        platform,
        caller,
        site_id=body.site_id,
        name=body.name,
        address=body.address,
        timezone=body.timezone,
        max_current_amps=body.max_current_amps,
    )
    return views.site_view(site)


@operation(router, "GET", "/v1/sites", Permission.READ, tags=TAGS)
def list_sites(
    caller: Caller, platform: PlatformDependency, limit: Limit = 50, cursor: Cursor = None
) -> schemas.SiteList:
    items, next_cursor = platform.sites.list(caller.tenant_id, limit, cursor)
    return schemas.SiteList(items=[views.site_view(site) for site in items], next_cursor=next_cursor)


@operation(router, "GET", "/v1/sites/<site_id>", Permission.READ, tags=TAGS)
def get_site(site_id: SiteIdPath, caller: Caller, platform: PlatformDependency) -> schemas.SiteView:
    return _with_tariff(views.site_view(platform.sites.get(caller.tenant_id, site_id)), platform, caller)


@operation(router, "PATCH", "/v1/sites/<site_id>", Permission.WRITE, tags=TAGS)
def update_site(
    site_id: SiteIdPath, body: schemas.SiteUpdate, caller: Caller, platform: PlatformDependency
) -> schemas.SiteView:
    """Fields left out are unchanged: ``tariffId`` prices the site's sessions (null removes it)."""
    if "tariff_id" in body.model_fields_set:
        billing.assign_tariff(platform, caller, AssignmentScope.SITE, site_id, body.tariff_id)
    return _with_tariff(views.site_view(platform.sites.get(caller.tenant_id, site_id)), platform, caller)


def _with_tariff(view: schemas.SiteView, platform: PlatformDependency, caller: Caller) -> schemas.SiteView:
    tariff_id = billing.assigned_tariff(platform, caller, AssignmentScope.SITE, view.site_id)
    return view.model_copy(update={"tariff_id": tariff_id})


@operation(router, "DELETE", "/v1/sites/<site_id>", Permission.WRITE, status=HTTPStatus.NO_CONTENT, tags=TAGS)
def delete_site(site_id: SiteIdPath, caller: Caller, platform: PlatformDependency) -> Response[None]:
    platform.sites.delete(caller.tenant_id, site_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)
