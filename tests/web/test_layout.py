"""Every page at phone width (no sideways scrolling of the page itself) and the README's screenshots.

The screenshots are taken on every run, so the pages they show are exercised; they are written to
docs/screenshots/ only when asked (CSMS_WRITE_SCREENSHOTS=1), so CI never rewrites committed files:

    CSMS_WRITE_SCREENSHOTS=1 .venv/bin/python -m pytest tests/web/test_layout.py -p no:randomly
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from ocpp.v16 import call
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.web.conftest import Tenant

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
    """Four stations: two charging-capable, one faulted, one never connected; one finished session."""
    tenant.register_id_tag()
    tenant.call("POST", "/sites", {"siteId": f"{tenant.name}-depot", "name": "Harbour depot"})
    main = tenant.register_station("HARBOUR-01", siteId=f"{tenant.name}-depot")
    second = tenant.register_station("HARBOUR-02", siteId=f"{tenant.name}-depot")
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
    session_id = tenant.session_id(main, charger.transaction_ids[0])
    return {"station": main, "session": session_id}


def page_does_not_scroll_sideways(page: Page) -> None:
    overflow = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def test_every_page_fits_a_phone_and_screenshots_are_taken(
    browser: Browser, base_url: str, tenant: Tenant, screenshot_dir: Path
) -> None:
    network = a_small_network(tenant)
    pages = {
        "overview": ("/", "Network overview"),
        "station": (f"/stations/{network['station']}", network["station"]),
        "sessions": ("/sessions", "Sessions"),
        "session": (f"/sessions/{network['session']}", f"on {network['station']}"),
    }
    for size_name, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
        context = browser.new_context(viewport=viewport, device_scale_factor=1)
        page = context.new_page()
        page.goto(f"{base_url}/")
        expect(page.get_by_role("heading", name="Sign in to the CSMS dashboard")).to_be_visible()
        page_does_not_scroll_sideways(page)
        if size_name == "phone":
            page.screenshot(path=screenshot_dir / "sign-in-phone.png")
        page.goto(f"{base_url}/#token={tenant.token}")
        for name, (route, heading) in pages.items():
            page.goto(f"{base_url}/#{route}")
            expect(page.get_by_role("heading", name=heading).first).to_be_visible()
            expect(page.get_by_text("Loading…")).to_have_count(0)
            if name == "session":
                page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length")
            if name == "overview":
                expect(page.locator(".tile[data-state='faulted'] .count")).to_have_text("1")
            page_does_not_scroll_sideways(page)
            page.screenshot(path=screenshot_dir / f"{name}-{size_name}.png", full_page=size_name == "desktop")
        context.close()
    assert len(list(screenshot_dir.glob("*.png"))) == 9
