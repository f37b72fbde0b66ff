"""Every page at phone width (no sideways scrolling of the page itself) and the README's screenshots.

The screenshots are taken on every run, so the pages they show are exercised; they are written to
docs/screenshots/ only when asked (CSMS_WRITE_SCREENSHOTS=1), so CI never rewrites committed files:

    CSMS_WRITE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/web/test_layout.py -p no:randomly
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from ocpp.v16 import call
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.web.conftest import ID_TAG, Tenant

pytestmark = [pytest.mark.web, pytest.mark.xdist_group("web")]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 800}


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    if os.environ.get("CSMS_WRITE_SCREENSHOTS") == "1":
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path


def a_small_network(tenant: Tenant) -> dict[str, str]:
    """Four stations: two charging-capable on a managed depot (its load, allocations and a grid signal),
    one faulted (an alert), one never connected; one finished, priced and paid session (revenue and an
    invoice); a firmware campaign over the depot's stations, not started."""
    from tests.web.test_fleet_views import register_firmware

    depot = f"{tenant.name}-depot"
    tenant.register_id_tag()
    tenant.call(
        "POST",
        "/sites",
        {"siteId": depot, "name": "Harbour depot", "timezone": "Europe/Berlin", "gridLimitAmps": 32},
    )
    tenant.call(
        "POST",
        "/tariffs",
        {
            "tariffId": "ENERGY-030",
            "currency": "EUR",
            "elements": [{"priceComponents": [{"type": "ENERGY", "price": "0.30", "stepSize": 1}]}],
        },
    )
    tenant.call("PATCH", f"/sites/{depot}", {"tariffId": "ENERGY-030"})
    tenant.call(
        "PATCH",
        f"/sites/{depot}/revenue-split",
        {"hostId": "harbour-board", "hostSharePercent": "20", "platformFeePercent": "5"},
    )
    account = tenant.call(
        "POST",
        "/billing-accounts",
        {"billingAccountId": "fleet-1", "type": "PREPAID", "currency": "EUR", "idTokens": [ID_TAG]},
    )
    tenant.call("POST", f"/wallets/{account['walletId']}/top-ups", {"amount": "50.00"})
    main = tenant.register_station("HARBOUR-01", siteId=depot, maxCurrentAmps=32)
    second = tenant.register_station("HARBOUR-02", siteId=depot, maxCurrentAmps=32)
    faulted = tenant.register_station("MALL-01")
    tenant.register_station("MALL-02")  # registered, never connected: offline
    charger = tenant.start_charger(
        main, sessions=1, session_seconds=3600.0, meter_interval_seconds=60.0, time_scale=600.0
    )
    tenant.start_charger(second)
    broken = tenant.start_charger(faulted)
    tenant.wait_for(charger, lambda c: c.planned_sessions_done.is_set(), within=30)
    tenant.wait_for(broken, lambda c: c.online)
    tenant.on_charger_loop(
        broken.call(
            call.StatusNotification(
                connector_id=2,
                error_code=ChargePointErrorCode.ground_failure,
                status=ChargePointStatus.faulted,
            )
        )
    )
    tenant.call("POST", f"/sites/{depot}/measurements", {"solarKw": [3.5], "baseLoadKw": [1.5]})
    now = datetime.now(UTC)
    tenant.call(
        "POST",
        f"/sites/{depot}/grid-signals",
        {
            "kind": "importLimit",
            "startsAt": now.isoformat(),
            "endsAt": (now + timedelta(hours=2)).isoformat(),
            "value": 15,
            "source": "DSO Nord",
        },
    )
    campaign = tenant.call(
        "POST",
        "/firmware-campaigns",
        {"firmwareId": register_firmware(tenant), "target": {"stationIds": [main, second]}},
    )
    session_id = tenant.session_id(main, charger.transaction_ids[0])
    invoices: list[dict[str, str]] = []
    for _ in range(120):
        invoices = tenant.call("GET", "/invoices")["items"]
        if invoices:
            break
        time.sleep(0.25)
    assert invoices, "the session was not invoiced"
    return {
        "station": main,
        "session": session_id,
        "site": depot,
        "campaign": campaign["campaignId"],
        "invoice": invoices[0]["invoiceId"],
    }


def page_does_not_scroll_sideways(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def test_every_page_fits_a_phone_and_screenshots_are_taken(
    browser: Browser, base_url: str, tenant: Tenant, screenshot_dir: Path
) -> None:
    network = a_small_network(tenant)
    # name: (route, heading, screenshot taken)
    pages = {
        "overview": ("/", "Network overview", True),
        "station": (f"/stations/{network['station']}", network["station"], True),
        "sessions": ("/sessions", "Sessions", True),
        "session": (f"/sessions/{network['session']}", f"on {network['station']}", True),
        "sites": ("/sites", "Sites", False),
        "site": (f"/sites/{network['site']}", "Harbour depot", True),
        "revenue": ("/revenue", "Revenue", True),
        "alerts": ("/alerts", "Alerts", True),
        "campaigns": ("/firmware", "Firmware campaigns", False),
        "campaign": (f"/firmware/{network['campaign']}", f"Campaign {network['campaign']}", True),
        "drivers": ("/drivers", "Drivers", False),
        "invoices": ("/invoices", "Invoices", False),
        "invoice": (f"/invoices/{network['invoice']}", "Invoice", False),
        "pending": ("/onboarding/pending", "Pending approval", False),
    }
    charts = {"session": 1, "site": 1}
    stations = iter(["PHONE-NEW", "DESKTOP-NEW"])
    for size_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base_url}/")
        expect(page.get_by_role("heading", name="Sign in to the CSMS dashboard")).to_be_visible()
        page_does_not_scroll_sideways(page)
        if size_name == "phone":
            page.screenshot(path=screenshot_dir / "sign-in-phone.png")
        page.goto(f"{base_url}/#token={tenant.issue_token(['admin'], account_id='fleet-1')}")
        for name, (route, heading, keep) in pages.items():
            page.goto(f"{base_url}/#{route}")
            expect(page.get_by_role("heading", name=heading).first).to_be_visible()
            expect(page.get_by_text("Loading…")).to_have_count(0)
            if name in charts:
                page.wait_for_function(
                    """() => window.Chart && Object.values(window.Chart.instances).some(
                          (chart) => chart.data.datasets.some((d) => d.data.length))"""
                )
            if name == "overview":
                expect(page.locator(".tile[data-state='faulted'] .count")).to_have_text("1")
            if name == "site":
                expect(page.locator("table[aria-label='Grid signals'] tbody tr")).to_have_count(1)
            page_does_not_scroll_sideways(page)
            if keep:
                page.screenshot(
                    path=screenshot_dir / f"{name}-{size_name}.png", full_page=size_name == "desktop"
                )
        # The onboarding result: the snippet and the QR code of a station registered there and then
        page.goto(f"{base_url}/#/onboarding/new")
        form = page.get_by_role("form", name="Add station")
        form.get_by_label("Station id").fill(tenant.station_id(next(stations)))
        form.get_by_role("button", name="Register station").click()
        expect(page.locator("svg.qr")).to_be_visible()
        page_does_not_scroll_sideways(page)
        page.screenshot(
            path=screenshot_dir / f"add-station-{size_name}.png", full_page=size_name == "desktop"
        )
        context.close()
    kept = sum(keep for _, _, keep in pages.values())
    assert len(list(screenshot_dir.glob("*.png"))) == 1 + 2 * (kept + 1)
