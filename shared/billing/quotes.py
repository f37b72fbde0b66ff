"""The cost of a session at the moment it closes, the same figure the billing workflow charges later.

OCPP 2.0.1 answers the TransactionEvent that ends a transaction with ``totalCost`` (E01/E06,
TransactionEventResponse). The workflow prices the session after SessionStopped; the station wants the
figure in the answer. Both go through ``tariff_for`` and ``price_session`` over the usage
``stored_session_usage`` builds, so the quote is the CDR total the workflow will produce (incl. VAT, in
the tariff's currency) — provided nothing the price depends on changes in between (a tariff edited, a
meter value queued offline that arrives after the end).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from shared.billing.ports import TariffStore
from shared.billing.pricing import price_session
from shared.billing.resolver import NoTariffError, TariffContext, resolve_tariff
from shared.billing.tariffs import Tariff
from shared.billing.usage import stored_session_usage
from shared.domain.sessions import MeterValuesRecord, Session
from shared.domain.sites import Site
from shared.ports import CostQuote


def tariff_for(tariffs: TariffStore, context: TariffContext) -> Tariff:
    """The tariff that prices a session: the most specific assignment valid at its start
    (``resolve_tariff``), read with one BatchGetItem for the assignments and one for their tariffs.
    Raises NoTariffError when there is none."""
    assignments = tariffs.assignments(
        context.tenant_id,
        station_id=context.station_id,
        site_id=context.site_id,
        driver_groups=context.driver_groups,
    )
    found = tariffs.tariffs(context.tenant_id, sorted({a.tariff_id for a in assignments}))
    tariff, _ = resolve_tariff(context, assignments, found)
    return tariff


class DriverGroups(Protocol):
    def driver_groups(self, tenant_id: str, id_token: str | None) -> list[str]: ...


class SiteLookup(Protocol):
    def find(self, tenant_id: str, record_id: str) -> Site | None: ...


class BillingCostQuotes:
    """``shared.ports.CostQuotes`` over the billing code: reads the site (time zone), the driver's groups
    and the tariffs; writes nothing."""

    def __init__(
        self,
        sites: SiteLookup,
        tariffs: TariffStore,
        drivers: DriverGroups,
        clock: Callable[[], datetime],
    ) -> None:
        self._sites = sites
        self._tariffs = tariffs
        self._drivers = drivers
        self._clock = clock

    def final_cost(
        self, session: Session, meter_values: Callable[[], Sequence[MeterValuesRecord]]
    ) -> CostQuote | None:
        # As the workflow's price task: an open session or an orphan (its start time a placeholder) is
        # not priced.
        if session.stopped_at is None or not session.start_seen:
            return None
        # The tariff first: a tenant without one pays two reads, not the meter values' query.
        context = TariffContext(
            tenant_id=session.tenant_id,
            station_id=session.station_id,
            site_id=session.site_id,
            driver_groups=self._drivers.driver_groups(session.tenant_id, session.id_token),
            started_at=session.started_at,
        )
        try:
            tariff = tariff_for(self._tariffs, context)
        except NoTariffError:
            return None
        site = self._sites.find(session.tenant_id, session.site_id) if session.site_id else None
        usage = stored_session_usage(session, meter_values(), site)
        cdr = price_session(usage, tariff, priced_at=self._clock())
        return CostQuote(total_incl_vat=cdr.total_cost.incl_vat, currency=cdr.currency)
