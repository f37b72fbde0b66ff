"""Sites and their load: the list, a managed site's load chart over the day (limit in force, allocated,
drawn, solar, battery, base load), the allocator's runs with the reason per EVSE, and grid signals
posted from the dashboard, all against a simulated charger charging on the site."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import ID_TAG, Tenant, sign_in

pytestmark = [pytest.mark.web, pytest.mark.xdist_group("web")]


def a_managed_site_charging(tenant: Tenant, name: str = "Harbour depot") -> dict[str, str]:
    """A 32 A three-phase site with a 22 kW station placed on it, a car charging there, and 4 kW of
    solar reported by the site meter: the allocator has run for it (on the session start and the
    measurements) by the time this returns."""
    site_id = f"{tenant.name}-depot"
    tenant.call(
        "POST",
        "/sites",
        {"siteId": site_id, "name": name, "timezone": "Europe/Berlin", "gridLimitAmps": 32, "phases": 3},
    )
    station_id = tenant.register_station("LOAD-01", siteId=site_id)
    tenant.call("PATCH", f"/stations/{station_id}", {"maxCurrentAmps": 32})
    tenant.register_id_tag()
    charger = tenant.start_charger(station_id, meter_interval_seconds=60.0, time_scale=60.0)
    tenant.wait_for(charger, lambda c: c.online and c.boot_status == "Accepted")
    tenant.call("POST", f"/stations/{station_id}/remote-start", {"idToken": ID_TAG, "evseId": 1})
    tenant.wait_for(charger, lambda c: bool(c.transaction_ids))
    tenant.call("POST", f"/sites/{site_id}/measurements", {"solarKw": [4.0], "baseLoadKw": [2.0]})
    runs: list[Any] = []
    for _ in range(100):
        runs = tenant.call("GET", f"/sites/{site_id}/allocations?limit=20")["items"]
        if any(run["evses"] for run in runs):
            break
        tenant.background.run(_sleep(0.2))
    assert any(run["evses"] for run in runs), runs
    return {"site": site_id, "station": station_id}


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


SERIES_KEYS = {
    "Limit in force (kW)": "limitKw",
    "Allocated (kW)": "allocatedKw",
    "Drawn (kW)": "drawnKw",
    "Solar (kW)": "solarKw",
    "Battery (kW)": "batteryKw",
    "Base load (kW)": "baseLoadKw",
}


def berlin_today() -> str:
    """from= and to= of today in Europe/Berlin, as the page asks for the site's day."""
    zone = ZoneInfo("Europe/Berlin")
    start = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    end = (start + timedelta(days=1, hours=3)).replace(hour=0)
    as_utc = [moment.astimezone(UTC).isoformat().replace("+00:00", "Z") for moment in (start, end)]
    return urlencode({"from": as_utc[0], "to": as_utc[1]})


def chart_datasets(page: Page) -> dict[str, list[Any]]:
    page.wait_for_function(
        """() => window.Chart && Object.keys(window.Chart.instances).length === 1
              && Object.values(window.Chart.instances)[0].data.datasets.every((d) => d.data.length)"""
    )
    return page.evaluate(
        """() => Object.fromEntries(Object.values(window.Chart.instances)[0].data.datasets
              .map((d) => [d.label, d.data.map((p) => p.y)]))"""
    )


def test_the_site_page_draws_the_day_s_load_and_says_why_a_car_got_its_current(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    # Given a managed site where a car charges and the allocator has run
    network = a_managed_site_charging(tenant)
    api_runs = tenant.call("GET", f"/sites/{network['site']}/allocations?limit=20")["items"]
    latest_outcome = next(run for run in api_runs if run["evses"])["evses"][0]

    # When the operator opens it from the sites list
    opened_at = datetime.now(UTC)
    sign_in(page, base_url, tenant.token, "/sites")
    row = page.locator(f"table[aria-label='Sites'] tr[data-key='{network['site']}']")
    expect(row.locator("td[data-label='Time zone']")).to_have_text("Europe/Berlin")
    row.get_by_role("link", name="Harbour depot").click()
    expect(page.get_by_role("heading", name="Harbour depot")).to_be_visible()

    # Then the load chart of today (the site's day: 288 five-minute periods) has every series, and the
    # periods the allocator ran in carry the limit, the allocation and the solar it was told about
    expect(page.get_by_role("img", name="Site load over the day")).to_be_visible()
    datasets = chart_datasets(page)
    assert list(datasets) == [
        "Limit in force (kW)",
        "Allocated (kW)",
        "Drawn (kW)",
        "Solar (kW)",
        "Battery (kW)",
        "Base load (kW)",
    ]
    assert {len(values) for values in datasets.values()} == {288}
    load = tenant.call("GET", f"/sites/{network['site']}/load?{berlin_today()}&periodMinutes=5")["items"]
    # the allocator runs on while the test reads: a period still open when the page loaded may have
    # changed since (a run's load point is written as the run ends: a few seconds' margin)
    closed = [
        index
        for index, period in enumerate(load)
        if datetime.fromisoformat(period["end"]) <= opened_at - timedelta(seconds=10)
    ]
    for label, key in SERIES_KEYS.items():
        assert [datasets[label][i] for i in closed] == [load[i].get(key) for i in closed], label
    # the periods with runs carry the limit in force and the solar the meter reported (what the car
    # got depends on where its session was when the allocator ran: it may be 0 A while it starts)
    assert max(value or 0 for value in datasets["Limit in force (kW)"]) > 0
    assert max(value or 0 for value in datasets["Solar (kW)"]) > 0
    assert any(value is not None for value in datasets["Allocated (kW)"])
    expect(page.get_by_test_id("latest-period")).to_contain_text("solar")

    # And the allocator's latest run says, per EVSE, what it allocated and why
    evses = page.locator("table[aria-label='Allocation per EVSE'] tbody tr")
    expect(evses.first.locator("td[data-label='EVSE']")).to_have_text(latest_outcome["evse"])
    # the schedule (and the car's draw) may run the allocator again while the page loads: the page
    # shows the latest run, which is the one read above or one of those after it
    shown = evses.first.locator("td[data-label='Why']").inner_text().strip()
    runs_now = tenant.call("GET", f"/sites/{network['site']}/allocations?limit=20")["items"]
    reasons = {run["evses"][0]["reason"] for run in runs_now if run["evses"]} | {latest_outcome["reason"]}
    assert shown in reasons, (shown, reasons)
    expect(page.locator("table[aria-label='Allocation runs'] tbody tr").first).to_be_visible()

    # And a day picker reads another day (yesterday: periods, but no run in them)
    page.get_by_label("Day (Europe/Berlin)").fill("2026-01-15")
    page.get_by_label("Day (Europe/Berlin)").dispatch_event("change")
    expect(page.get_by_text("0 of 288 5-minute periods with allocation runs")).to_be_visible()


def test_a_grid_signal_posted_from_the_site_page_is_listed_and_honoured(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    network = a_managed_site_charging(tenant)
    sign_in(page, base_url, tenant.token, f"/sites/{network['site']}")
    expect(page.get_by_text("No grid signals.")).to_be_visible()

    # When the operator posts an import limit of 5 kW for the next two hours (the form's default window)
    form = page.get_by_role("form", name="New grid signal")
    form.get_by_label("Kind").select_option("importLimit")
    form.get_by_label("Value").fill("5")
    form.get_by_label("Source").fill("DSO Nord")
    form.get_by_role("button", name="Post signal").click()

    # Then it is listed, in force, and the API has it
    expect(page.get_by_text("posted: the allocator honours it from")).to_be_visible()
    row = page.locator("table[aria-label='Grid signals'] tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label='Value']")).to_have_text("5.0 kW")
    expect(row.locator("td[data-label='Source']")).to_have_text("DSO Nord")
    expect(row.locator("td[data-label='State']")).to_have_text("inForce")
    (signal,) = tenant.call("GET", f"/sites/{network['site']}/grid-signals")["items"]
    assert (signal["kind"], signal["value"], signal["source"]) == ("importLimit", 5.0, "DSO Nord")

    # And a signal the API refuses (ending before it starts) shows the API's message
    form.get_by_label("Value").fill("5")
    form.get_by_label("To").fill("2020-01-01T00:00")
    form.get_by_role("button", name="Post signal").click()
    expect(page.locator(".error-message")).to_be_visible()
    assert len(tenant.call("GET", f"/sites/{network['site']}/grid-signals")["items"]) == 1


def test_a_site_without_load_management_says_so(page: Page, base_url: str, tenant: Tenant) -> None:
    tenant.call("POST", "/sites", {"siteId": f"{tenant.name}-plain", "name": "Plain site"})
    sign_in(page, base_url, tenant.token, f"/sites/{tenant.name}-plain")
    expect(page.get_by_role("heading", name="Plain site")).to_be_visible()
    expect(page.get_by_text("This site's load is not managed")).to_be_visible()
    expect(page.get_by_role("heading", name="Allocation runs")).to_have_count(0)
