"""Load management as operators configure and read it: a site's electrical model, station placements,
grid signals, the allocator's runs and the site's load series.

Every write that changes what a site's allocation depends on publishes ``SiteInputsChanged``: the
allocator's rule runs that site at once instead of at the next minute.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from shared.domain.errors import InvalidRequestError, NotFoundError
from shared.domain.events import SiteInputsChanged
from shared.domain.sessions import Session, SessionStatus
from shared.domain.tenancy import Principal

if TYPE_CHECKING:
    from shared.energy.records import (
        AllocationRun,
        GridSignalRecord,
        LoadPoint,
        MeasurementsRecord,
        SessionDemandRecord,
        SiteEnergy,
    )
    from shared.energy.site import EnergySite, StationPlacement
    from shared.wiring import Platform

SITE_FIELDS = (
    "grid_limit_amps",
    "grid_limit_kw",
    "voltage",
    "phases",
    "circuits",
    "fail_safe_current_amps",
    "battery",
    "min_pause_seconds",
    "objective",
    "tou_shaping",
    "priority_groups",
)
"""The ``EnergySite`` fields of a site body (the rest of the load-management fields sit beside it)."""
CONFIG_FIELDS = ("default_energy_wanted_kwh", "default_stay_minutes")
PLACEMENT_FIELDS = (
    "circuit_id",
    "max_current_amps",
    "min_current_amps",
    "phases",
    "phase_rotation",
    "connection",
    "evse_ids",
    "evse_max_current_amps",
    "allowed_currents_amps",
    "fail_safe_current_amps",
)
DEMAND_FIELDS = ("energy_wanted_kwh", "departure_at", "fleet", "priority_group", "vehicle_max_current_amps")
MAX_LOAD_PERIODS = 2_000
SIGNAL_RETENTION_SECONDS = 7 * 24 * 3600
"""A demand is deleted when its session stops; this expiry only catches a stop the platform missed."""
MEASUREMENT_CLOCK_SKEW_SECONDS = 300.0
"""A meter's clock may run this far ahead of ours; a reading further in the future is refused."""


def _announce(platform: Platform, tenant_id: str, site_id: str, reason: str, station_id: str = "") -> None:
    platform.events.publish(
        [
            SiteInputsChanged(
                tenant_id=tenant_id,
                station_id=station_id,
                site_id=site_id,
                reason=reason,
                occurred_at=platform.clock(),
            )
        ]
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def wants_load_management(fields: Mapping[str, Any]) -> bool:
    """A site body manages load when it gives a grid limit (or the site already is managed)."""
    return fields.get("grid_limit_amps") is not None or fields.get("grid_limit_kw") is not None


def put_site_energy(
    platform: Platform, principal: Principal, site_id: str, fields: Mapping[str, Any], timezone: str
) -> SiteEnergy:
    """Creates or changes a site's load management from the given body fields (snake_case, only those
    the caller gave; None removes an optional one). 400 naming the field on inconsistent input."""
    from shared.energy.records import SiteEnergy
    from shared.energy.site import SiteModelError, check_station, parse_site

    tenant_id = principal.tenant_id
    current = platform.energy.get_site(tenant_id, site_id)
    document: dict[str, Any] = (
        current.site.model_dump(mode="json", exclude_none=True) if current is not None else {}
    )
    document["site_id"] = site_id
    for name in SITE_FIELDS:
        if name in fields:
            if fields[name] is None:
                document.pop(name, None)
            else:
                document[name] = fields[name]
    if document.get("grid_limit_amps") is None and document.get("grid_limit_kw") is None:
        raise InvalidRequestError("gridLimitAmps: give the grid connection's limit (or gridLimitKw)")
    site: EnergySite = parse_site(document)
    # The stations already placed must still fit the new model (a circuit they hang on removed...).
    for placement in platform.energy.placements(tenant_id, site_id):
        problems = check_station(placement, site)
        if problems:
            raise SiteModelError(
                [
                    p.model_copy(update={"field": f"circuits ({placement.station_id}: {p.field})"})
                    for p in problems
                ]
            )
    values: dict[str, Any] = {
        "tenant_id": tenant_id,
        "site_id": site_id,
        "site": site,
        "timezone": timezone,
        "updated_at": platform.clock(),
    }
    if current is not None:
        values["tariff"] = current.tariff
        values["openadr"] = current.openadr
        values["default_energy_wanted_kwh"] = current.default_energy_wanted_kwh
        values["default_stay_minutes"] = current.default_stay_minutes
    for name in CONFIG_FIELDS:
        if name in fields:
            values[name] = fields[name]
    config = SiteEnergy.model_validate(values)
    platform.energy.put_site(config)
    _announce(platform, tenant_id, site_id, "site")
    return config


def site_energy(platform: Platform, tenant_id: str, site_id: str) -> SiteEnergy | None:
    return platform.energy.get_site(tenant_id, site_id)


def _placement_for(
    platform: Platform,
    tenant_id: str,
    station_id: str,
    site_id: str | None,
    fields: Mapping[str, Any],
    placed_site_id: str | None,
) -> tuple[StationPlacement | None, StationPlacement | None]:
    """(the station's placement on ``placed_site_id``, its site before this change; what the given
    fields make of it); raises naming the field."""
    from shared.energy.site import parse_station

    given = {name: fields[name] for name in PLACEMENT_FIELDS if name in fields}
    previous = (
        platform.energy.get_placement(tenant_id, placed_site_id, station_id) if placed_site_id else None
    )
    if site_id is None:
        if given:
            raise _field_error("siteId", "a station is placed on a site's circuits: give its siteId")
        return previous, None
    if "max_current_amps" in given and given["max_current_amps"] is None:
        return previous, None  # taken off the site's load management
    if not given and previous is None:
        return None, None
    config = platform.energy.get_site(tenant_id, site_id)
    if config is None:
        raise _field_error("siteId", f"site {site_id} has no load management (give it a gridLimitAmps)")
    document: dict[str, Any] = (
        previous.model_dump(mode="json", exclude_none=True) if previous is not None else {}
    )
    if previous is not None and previous.site_id != site_id:
        document.pop("circuit_id", None)  # a circuit of the old site means nothing on the new one
    document.update({"station_id": station_id, "site_id": site_id})
    for name, value in given.items():
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value
    if "max_current_amps" not in document:
        raise _field_error("maxCurrentAmps", "give the station's maximum current per phase")
    return previous, parse_station(document, config.site)


def check_placement(
    platform: Platform,
    principal: Principal,
    station_id: str,
    site_id: str | None,
    fields: Mapping[str, Any],
    placed_site_id: str | None = None,
) -> None:
    """Before the station itself is written: 400 naming the field for an inconsistent placement."""
    _placement_for(platform, principal.tenant_id, station_id, site_id, fields, placed_site_id)


def place_station(
    platform: Platform,
    principal: Principal,
    station_id: str,
    site_id: str | None,
    fields: Mapping[str, Any],
    placed_site_id: str | None = None,
) -> StationPlacement | None:
    """Places a station on its site's electrical model (creating or changing its placement from the
    given fields); None when it is not (or no longer) placed."""
    tenant_id = principal.tenant_id
    previous, placement = _placement_for(platform, tenant_id, station_id, site_id, fields, placed_site_id)
    if previous is not None and (placement is None or previous.site_id != placement.site_id):
        platform.energy.delete_placement(tenant_id, previous.site_id, station_id)
        _announce(platform, tenant_id, previous.site_id, "placement", station_id)
    if placement is not None and placement != previous:
        platform.energy.put_placement(tenant_id, placement)
        _announce(platform, tenant_id, placement.site_id, "placement", station_id)
    return placement


def _field_error(field: str, problem: str) -> Exception:
    from shared.energy.site import FieldProblem, SiteModelError

    return SiteModelError([FieldProblem(field=field, problem=problem)])


def _find_placement(platform: Platform, tenant_id: str, station_id: str) -> StationPlacement | None:
    station = platform.stations.get(station_id)
    if station is None or station.tenant_id != tenant_id or station.site_id is None:
        return None
    return platform.energy.get_placement(tenant_id, station.site_id, station_id)


def station_placement(platform: Platform, tenant_id: str, station_id: str) -> StationPlacement | None:
    return _find_placement(platform, tenant_id, station_id)


def forget_station(platform: Platform, tenant_id: str, station_id: str, site_id: str | None) -> None:
    if site_id is not None and platform.energy.get_placement(tenant_id, site_id, station_id) is not None:
        platform.energy.delete_placement(tenant_id, site_id, station_id)
        _announce(platform, tenant_id, site_id, "placement", station_id)


def forget_site(platform: Platform, tenant_id: str, site_id: str) -> None:
    if platform.energy.get_site(tenant_id, site_id) is not None:
        platform.energy.delete_site(tenant_id, site_id)


# --- grid signals ---------------------------------------------------------------------------------


def _managed(platform: Platform, tenant_id: str, site_id: str) -> SiteEnergy:
    platform.sites.get(tenant_id, site_id)  # 404 for an unknown site
    config = platform.energy.get_site(tenant_id, site_id)
    if config is None:
        raise InvalidRequestError(f"siteId: site {site_id} has no load management (give it a gridLimitAmps)")
    return config


def add_grid_signal(
    platform: Platform, principal: Principal, site_id: str, document: Mapping[str, Any]
) -> GridSignalRecord:
    from shared.energy.records import GridSignalRecord
    from shared.energy.site import parse_grid_signal

    tenant_id = principal.tenant_id
    _managed(platform, tenant_id, site_id)
    signal = parse_grid_signal(document)
    now = platform.clock()
    record = GridSignalRecord(
        signal_id=f"sig-{uuid.uuid4().hex[:12]}",
        kind=signal.kind,
        starts_at=signal.starts_at,
        ends_at=signal.ends_at,
        value=signal.value,
        source=signal.source,
        created_at=now,
        expires_at=int(signal.ends_at.timestamp()) + SIGNAL_RETENTION_SECONDS,
    )
    platform.energy.put_signal(tenant_id, site_id, record)
    _announce(platform, tenant_id, site_id, "grid-signal")
    return record


def grid_signals(platform: Platform, tenant_id: str, site_id: str) -> list[GridSignalRecord]:
    _managed(platform, tenant_id, site_id)
    return sorted(platform.energy.signals(tenant_id, site_id), key=lambda s: s.starts_at)


def delete_grid_signal(platform: Platform, principal: Principal, site_id: str, signal_id: str) -> None:
    _managed(platform, principal.tenant_id, site_id)
    if not platform.energy.delete_signal(principal.tenant_id, site_id, signal_id):
        raise NotFoundError(f"grid signal {signal_id} not found")
    _announce(platform, principal.tenant_id, site_id, "grid-signal")


# --- measurements and session demand ----------------------------------------------------------------


def put_measurements(
    platform: Platform, principal: Principal, site_id: str, document: Mapping[str, Any]
) -> MeasurementsRecord:
    """The site meter's base load, solar production (now, then forecast per period) and the battery's
    state of charge: they replace the previous ones, and the allocator runs the site early."""
    from shared.energy.records import MeasurementsRecord
    from shared.energy.site import SiteMeasurements

    tenant_id = principal.tenant_id
    config = _managed(platform, tenant_id, site_id)
    now = platform.clock()
    measured = SiteMeasurements.model_validate(document)
    if measured.measured_at is not None and (
        (measured.measured_at - now).total_seconds() > MEASUREMENT_CLOCK_SKEW_SECONDS
    ):
        raise InvalidRequestError("measuredAt: is in the future")
    if measured.battery_soc_percent is not None and config.site.battery is None:
        raise InvalidRequestError(f"batterySocPercent: site {site_id} has no battery (give it one first)")
    record = MeasurementsRecord(measurements=measured, received_at=now)
    platform.energy.put_measurements(tenant_id, site_id, record)
    _announce(platform, tenant_id, site_id, "measurements")
    return record


def measurements(platform: Platform, tenant_id: str, site_id: str) -> MeasurementsRecord:
    _managed(platform, tenant_id, site_id)
    record = platform.energy.get_measurements(tenant_id, site_id)
    if record is None:
        raise NotFoundError(f"site {site_id} has no measurements yet")
    return record


def _managed_session(platform: Platform, tenant_id: str, session_id: str) -> tuple[Session, str]:
    """(the session, its managed site); 404 for a session of another tenant."""
    session = platform.sessions.get_for_tenant(tenant_id, session_id)
    if session.site_id is None or platform.energy.get_site(tenant_id, session.site_id) is None:
        raise InvalidRequestError(f"sessionId: session {session_id} is not on a site with load management")
    return session, session.site_id


def put_session_demand(
    platform: Platform, principal: Principal, session_id: str, fields: Mapping[str, Any]
) -> tuple[str, SessionDemandRecord]:
    """What the driver or fleet says about a session: energy wanted for the whole session, departure,
    fleet and priority group, the car's own current limit. Fields left out are unchanged, None removes
    one. (The session's site, the demand); the allocator runs the site early."""
    from shared.energy.records import DEMAND_RETENTION_SECONDS, SessionDemandRecord

    tenant_id = principal.tenant_id
    session, site_id = _managed_session(platform, tenant_id, session_id)
    if session.status is not SessionStatus.ACTIVE:
        raise InvalidRequestError(f"sessionId: session {session_id} has ended")
    now = platform.clock()
    departure = fields.get("departure_at")
    if departure is not None and departure <= now:
        raise InvalidRequestError("departureAt: is in the past")
    current = platform.energy.get_demand(tenant_id, site_id, session_id)
    document: dict[str, Any] = current.model_dump() if current is not None else {"session_id": session_id}
    for name in DEMAND_FIELDS:
        if name in fields:
            document[name] = fields[name]
    document["updated_at"] = now
    document["expires_at"] = int(now.timestamp()) + DEMAND_RETENTION_SECONDS
    demand = SessionDemandRecord.model_validate(document)
    platform.energy.put_demand(tenant_id, site_id, demand)
    _announce(platform, tenant_id, site_id, "session-demand", session.station_id)
    return site_id, demand


def session_demand(platform: Platform, tenant_id: str, session_id: str) -> tuple[str, SessionDemandRecord]:
    _, site_id = _managed_session(platform, tenant_id, session_id)
    demand = platform.energy.get_demand(tenant_id, site_id, session_id)
    if demand is None:
        raise NotFoundError(f"session {session_id} has no demand (nobody described it)")
    return site_id, demand


# --- what the allocator did -----------------------------------------------------------------------


def allocation_runs(
    platform: Platform,
    tenant_id: str,
    site_id: str,
    *,
    started_from: datetime | None,
    started_to: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[AllocationRun], str | None]:
    _managed(platform, tenant_id, site_id)
    if started_from is not None and started_to is not None and started_to < started_from:
        raise InvalidRequestError("to: ends before from")
    return platform.allocation_runs.runs(
        tenant_id, site_id, started_from=started_from, started_to=started_to, limit=limit, cursor=cursor
    )


def load_series(
    platform: Platform,
    tenant_id: str,
    site_id: str,
    start: datetime | None,
    end: datetime | None,
    period_minutes: int,
) -> tuple[datetime, datetime, list[dict[str, Any]]]:
    """Per period from ``start`` to ``end`` (default: the last hour): the runs in it, the lowest limit
    in force, the mean allocated, drawn, solar, base load and battery power."""
    _managed(platform, tenant_id, site_id)
    end = end or platform.clock()
    start = start or end - timedelta(hours=1)
    if end <= start:
        raise InvalidRequestError("to: ends before (or when) from starts")
    if period_minutes < 1 or period_minutes > 24 * 60:
        raise InvalidRequestError("periodMinutes: between 1 and 1440")
    step = timedelta(minutes=period_minutes)
    periods = math.ceil((end - start) / step)
    if periods > MAX_LOAD_PERIODS:
        raise InvalidRequestError(f"periodMinutes: at most {MAX_LOAD_PERIODS} periods per request")
    points = platform.allocation_runs.load_points(tenant_id, site_id, start, end)
    buckets: list[list[LoadPoint]] = [[] for _ in range(periods)]
    for point in points:
        index = int((point.at - start) / step)
        if 0 <= index < periods:
            buckets[index].append(point)
    items = []
    for index, bucket in enumerate(buckets):
        period_start = start + index * step
        items.append(
            {
                "start": period_start,
                "end": min(period_start + step, end),
                "runs": len(bucket),
                **_summary(bucket),
            }
        )
    return start, end, items


def _mean(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 3) if known else None


def _lowest(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _summary(points: Sequence[LoadPoint]) -> dict[str, float | None]:
    if not points:
        return {}
    return {
        "limit_kw": _lowest([p.limit_kw for p in points]),
        "limit_amps": _lowest([p.limit_amps for p in points]),
        "allocated_kw": _mean([p.allocated_kw for p in points]),
        "allocated_amps": _mean([p.allocated_amps for p in points]),
        "drawn_kw": _mean([p.drawn_kw for p in points]),
        "drawn_amps": _mean([p.drawn_amps for p in points]),
        "solar_kw": _mean([p.solar_kw for p in points]),
        "base_load_kw": _mean([p.base_load_kw for p in points]),
        "battery_kw": _mean([p.battery_kw for p in points]),
    }
