"""The cost of a session at the moment it closes, the same figure the billing workflow charges later.

OCPP 2.0.1 answers the TransactionEvent that ends a transaction with ``totalCost`` (E01/E06,
TransactionEventResponse). The workflow prices the session after SessionStopped; the station wants the
figure in the answer. Both go through ``tariff_for_usage`` and ``price_session`` over the usage
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
from shared.billing.usage import SessionUsage, stored_session_usage
from shared.domain.sessions import MeterValuesRecord, Session
from shared.domain.sites import Site
from shared.ports import CostQuote


def tariff_for_usage(tariffs: TariffStore, driver_groups: list[str], usage: SessionUsage) -> Tariff:
    """The tariff that prices the session: the most specific assignment valid at its start
    (``resolve_tariff``). Raises NoTariffError when there is none."""
    assignments = tariffs.assignments(
        usage.tenant_id, station_id=usage.station_id, site_id=usage.site_id, driver_groups=driver_groups
    )
    found = tariffs.tariffs(usage.tenant_id, sorted({a.tariff_id for a in assignments}))
    context = TariffContext(
        tenant_id=usage.tenant_id,
        station_id=usage.station_id,
        site_id=usage.site_id,
        driver_groups=driver_groups,
        started_at=usage.started_at,
    )
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

    def final_cost(self, session: Session, meter_values: Sequence[MeterValuesRecord]) -> CostQuote | None:
        # As the workflow's price task: an open session or an orphan (its start time a placeholder) is
        # not priced.
        if session.stopped_at is None or not session.start_seen:
            return None
        site = self._sites.find(session.tenant_id, session.site_id) if session.site_id else None
        usage = stored_session_usage(session, meter_values, site)
        groups = self._drivers.driver_groups(session.tenant_id, usage.id_token)
        try:
            tariff = tariff_for_usage(self._tariffs, groups, usage)
        except NoTariffError:
            return None
        cdr = price_session(usage, tariff, priced_at=self._clock())
        return CostQuote(total_incl_vat=cdr.total_cost.incl_vat, currency=cdr.currency)
