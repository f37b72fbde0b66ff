"""/v1/sites/{siteId}: what load management reads and shows (grid signals, measurements, allocation
runs, load); /v1/sessions/{sessionId}/demand: what a driver or fleet says about a session."""

from __future__ import annotations

from datetime import datetime
from http import HTTPStatus
from typing import Annotated, Any

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.api_gateway import Router
from aws_lambda_powertools.event_handler.openapi.params import Path, Query

from shared.api import energy_schemas as schemas
from shared.api.access import Permission
from shared.api.dependencies import Caller, PlatformDependency
from shared.api.routes.params import Cursor, Limit, SessionIdPath, SiteIdPath
from shared.api.routing import operation
from shared.management import energy

router = Router()
TAGS = ["load management"]
FromQuery = Annotated[datetime | None, Query(alias="from", description="ISO 8601 with offset")]
ToQuery = Annotated[datetime | None, Query(alias="to", description="ISO 8601 with offset")]
PeriodQuery = Annotated[int, Query(alias="periodMinutes", ge=1, le=1440)]
SignalIdPath = Annotated[str, Path(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")]


def _signal_view(record: Any, origin: str = "api") -> schemas.GridSignalView:
    return schemas.GridSignalView(
        signal_id=record.signal_id,
        kind="importLimit" if record.kind == "import_limit" else "price",
        starts_at=record.starts_at,
        ends_at=record.ends_at,
        value=record.value,
        source=record.source,
        origin="openadr" if origin == "openadr" else "api",
        created_at=record.created_at,
    )


@operation(
    router,
    "POST",
    "/v1/sites/<site_id>/grid-signals",
    Permission.GRID_SIGNALS,
    status=HTTPStatus.CREATED,
    tags=TAGS,
    body_model=schemas.GridSignalView,
)
def create_grid_signal(
    site_id: SiteIdPath, body: schemas.GridSignalCreate, caller: Caller, platform: PlatformDependency
) -> Response[dict[str, Any]]:
    """A time-bounded import limit (kW) or price from the energy provider: the allocation honours it
    from its start (one run ahead) to its end. An energy provider's token posts to the sites it
    supplies only."""
    document = body.model_dump(mode="json", exclude_none=True)
    record = energy.add_grid_signal(platform, caller, site_id, document)
    return Response(
        status_code=HTTPStatus.CREATED,
        content_type="application/json",
        body=_signal_view(record).model_dump(mode="json", by_alias=True),
    )


@operation(router, "GET", "/v1/sites/<site_id>/grid-signals", Permission.ENERGY, tags=TAGS)
def list_grid_signals(
    site_id: SiteIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.GridSignalList:
    records = energy.grid_signals(platform, caller.tenant_id, site_id)
    openadr = platform.energy.get_openadr(caller.tenant_id, site_id)
    return schemas.GridSignalList(
        items=[
            *(_signal_view(r) for r in records),
            *(_signal_view(r, "openadr") for r in (openadr.signals if openadr else [])),
        ],
        openadr_polled_at=openadr.polled_at if openadr else None,
        openadr_error=openadr.error if openadr else None,
    )


@operation(
    router,
    "DELETE",
    "/v1/sites/<site_id>/grid-signals/<signal_id>",
    Permission.WRITE,
    status=HTTPStatus.NO_CONTENT,
    tags=TAGS,
)
def delete_grid_signal(
    site_id: SiteIdPath, signal_id: SignalIdPath, caller: Caller, platform: PlatformDependency
) -> Response[None]:
    energy.delete_grid_signal(platform, caller, site_id, signal_id)
    return Response(status_code=HTTPStatus.NO_CONTENT)


def _measurements_view(record: Any) -> schemas.MeasurementsView:
    measured = record.measurements
    return schemas.MeasurementsView(
        measured_at=measured.measured_at,
        base_load_kw=measured.base_load_kw,
        solar_kw=measured.solar_kw,
        battery_soc_percent=measured.battery_soc_percent,
        received_at=record.received_at,
    )


@operation(
    router,
    "POST",
    "/v1/sites/<site_id>/measurements",
    Permission.WRITE,
    status=HTTPStatus.CREATED,
    tags=TAGS,
    body_model=schemas.MeasurementsView,
)
def create_measurements(
    site_id: SiteIdPath, body: schemas.MeasurementsCreate, caller: Caller, platform: PlatformDependency
) -> Response[dict[str, Any]]:
    """The site meter's non-EV load, solar production and the battery's state of charge (each series:
    now, then a forecast per 5 minutes). They replace the previous ones and the allocator runs the site
    at once; solar and state of charge count while fresh (15 minutes), the base load until replaced."""
    document = body.model_dump(exclude_none=True)
    record = energy.put_measurements(platform, caller, site_id, document)
    return Response(
        status_code=HTTPStatus.CREATED,
        content_type="application/json",
        body=_measurements_view(record).model_dump(mode="json", by_alias=True),
    )


@operation(router, "GET", "/v1/sites/<site_id>/measurements", Permission.ENERGY, tags=TAGS)
def get_measurements(
    site_id: SiteIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.MeasurementsView:
    """The latest measurements the site reported (404 before the first)."""
    return _measurements_view(energy.measurements(platform, caller.tenant_id, site_id))


def _demand_view(site_id: str, record: Any) -> schemas.SessionDemandView:
    return schemas.SessionDemandView(
        session_id=record.session_id,
        site_id=site_id,
        energy_wanted_kwh=record.energy_wanted_kwh,
        departure_at=record.departure_at,
        fleet=record.fleet,
        priority_group=record.priority_group,
        vehicle_max_current_amps=record.vehicle_max_current_amps,
        vehicle_id=record.vehicle_id,
        updated_at=record.updated_at,
    )


@operation(router, "PATCH", "/v1/sessions/<session_id>/demand", Permission.WRITE, tags=TAGS)
def update_session_demand(
    session_id: SessionIdPath, body: schemas.SessionDemandUpdate, caller: Caller, platform: PlatformDependency
) -> schemas.SessionDemandView:
    """What the driver or fleet says about an active session on a managed site: energy wanted for the
    whole session, departure, fleet and priority group. Fields left out are unchanged, null removes one;
    the allocator runs the site at once. Without it a session gets the site's default (or history)."""
    fields = body.model_dump(include=body.model_fields_set)
    site_id, record = energy.put_session_demand(platform, caller, session_id, fields)
    return _demand_view(site_id, record)


@operation(router, "GET", "/v1/sessions/<session_id>/demand", Permission.READ, tags=TAGS)
def get_session_demand(
    session_id: SessionIdPath, caller: Caller, platform: PlatformDependency
) -> schemas.SessionDemandView:
    site_id, record = energy.session_demand(platform, caller.tenant_id, session_id)
    return _demand_view(site_id, record)


@operation(router, "GET", "/v1/sites/<site_id>/allocations", Permission.ENERGY, tags=TAGS)
def list_allocations(
    site_id: SiteIdPath,
    caller: Caller,
    platform: PlatformDependency,
    started_from: FromQuery = None,
    started_to: ToQuery = None,
    limit: Limit = 20,
    cursor: Cursor = None,
) -> schemas.AllocationRunList:
    """The allocator's runs, newest first: inputs, per-EVSE limit and why, what was sent, answers."""
    runs, next_cursor = energy.allocation_runs(
        platform,
        caller.tenant_id,
        site_id,
        started_from=started_from,
        started_to=started_to,
        limit=limit,
        cursor=cursor,
    )
    items = []
    for run in runs:
        view = schemas.AllocationRunView.model_validate(run.model_dump())
        for outcome in view.evses:
            if outcome.command_id is not None and outcome.answer is None:
                outcome.answer = run.answers.get(outcome.command_id)
        items.append(view)
    return schemas.AllocationRunList(items=items, next_cursor=next_cursor)


@operation(router, "GET", "/v1/sites/<site_id>/load", Permission.ENERGY, tags=TAGS)
def get_load(
    site_id: SiteIdPath,
    caller: Caller,
    platform: PlatformDependency,
    start: FromQuery = None,
    end: ToQuery = None,
    period_minutes: PeriodQuery = 5,
) -> schemas.LoadSeries:
    """Per period: the limit in force, allocated, drawn, solar, base load and battery (default: the
    last hour)."""
    _, _, items = energy.load_series(platform, caller.tenant_id, site_id, start, end, period_minutes)
    return schemas.LoadSeries(
        site_id=site_id,
        period_minutes=period_minutes,
        items=[schemas.LoadPeriodView.model_validate(item) for item in items],
    )
