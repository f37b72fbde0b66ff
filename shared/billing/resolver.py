"""Which tariff prices a session: the most specific assignment that is valid when it started.

Specificity, most specific first: the driver's group (a contract with those drivers — fleet,
employees — that holds wherever they charge on the tenant's network), the station, the site, the
tenant's default. A driver in several groups: the groups are given in the driver's order of
preference and the first one with a tariff wins. An assigned tariff that is not valid at the
session's start (``startDateTime``/``endDateTime``) is skipped and the next level is tried; OCPI
keeps the tariff of the start for the whole session.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from enum import StrEnum

from shared.billing.tariffs import Tariff
from shared.domain.base import DomainModel
from shared.domain.errors import NotFoundError


class AssignmentScope(StrEnum):
    DRIVER_GROUP = "DRIVER_GROUP"
    STATION = "STATION"
    SITE = "SITE"
    TENANT = "TENANT"


SPECIFICITY = (
    AssignmentScope.DRIVER_GROUP,
    AssignmentScope.STATION,
    AssignmentScope.SITE,
    AssignmentScope.TENANT,
)


class TariffAssignment(DomainModel):
    tenant_id: str
    scope: AssignmentScope
    target_id: str
    """Group id, station id, site id, or the tenant id for TENANT."""
    tariff_id: str


class TariffContext(DomainModel):
    """Where and by whom: what the resolver needs from a session."""

    tenant_id: str
    station_id: str
    site_id: str | None = None
    driver_groups: list[str] = []
    started_at: datetime


class NoTariffError(NotFoundError):
    pass


def resolve_tariff(
    context: TariffContext,
    assignments: Sequence[TariffAssignment],
    tariffs: Mapping[str, Tariff],
) -> tuple[Tariff, TariffAssignment]:
    by_target = {(a.scope, a.target_id): a for a in assignments if a.tenant_id == context.tenant_id}
    candidates: list[tuple[AssignmentScope, str]] = [
        *((AssignmentScope.DRIVER_GROUP, group) for group in context.driver_groups),
        (AssignmentScope.STATION, context.station_id),
        *([(AssignmentScope.SITE, context.site_id)] if context.site_id else []),
        (AssignmentScope.TENANT, context.tenant_id),
    ]
    for key in candidates:
        assignment = by_target.get(key)
        if assignment is None:
            continue
        tariff = tariffs.get(assignment.tariff_id)
        if tariff is not None and tariff.valid_at(context.started_at):
            return tariff, assignment
    raise NoTariffError(f"no tariff is assigned to station {context.station_id} or anything above it")
