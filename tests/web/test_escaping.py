"""Nothing the API returns is inserted as HTML. The text that reaches the dashboard from outside is what
chargers report about themselves (BootNotification vendor, model, firmware; DataTransfer data) and
what operators type (site names): each carries markup here, and each must show as the text it is."""

from __future__ import annotations

import json

import pytest
from ocpp.v16 import call
from playwright.sync_api import Page, expect

from tests.web.conftest import Tenant, sign_in

pytestmark = [pytest.mark.web, pytest.mark.xdist_group("web")]

# BootNotification limits vendor and model to 20 characters, firmware to 50 (OCPP 1.6 CiString).
VENDOR = "<script>x()</script>"
MODEL = "<b>bold</b>"
FIRMWARE = '<img src=x onerror="window.__xss=1">'
SITE_NAME = "<script>window.__xss=2</script> Depot"
DATA = '<svg onload="window.__xss=3"></svg>'


def nothing_ran(page: Page) -> None:
    assert page.evaluate("() => window.__xss") is None
    assert page.evaluate("() => window.x") is None
    # Markup from the API never became elements
    assert page.locator("main img, main svg, main b, main script").count() == 0


def test_markup_from_chargers_and_operators_renders_as_text(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    # Given a site named with a script and a charger whose boot data and messages carry markup
    tenant.call("POST", "/sites", {"siteId": f"{tenant.name}-depot", "name": SITE_NAME})
    station_id = tenant.register_station("XSS", siteId=f"{tenant.name}-depot")
    charger = tenant.start_charger(station_id, vendor=VENDOR, model=MODEL, firmware_version=FIRMWARE)
    tenant.wait_for(charger, lambda c: c.online)
    tenant.on_charger_loop(charger.call(call.DataTransfer(vendor_id=VENDOR, message_id=MODEL, data=DATA)))

    # When the operator looks at the overview
    sign_in(page, base_url, tenant.token)
    row = page.locator(f"tr[data-key='{station_id}']")

    # Then every one of them is shown literally
    expect(row.locator("td[data-label='Site']")).to_have_text(SITE_NAME)
    expect(row.locator("td[data-label='Vendor / model']")).to_have_text(f"{VENDOR} / {MODEL}")
    expect(row.locator("td[data-label='Firmware']")).to_have_text(FIRMWARE)
    nothing_ran(page)

    # And on the station's page, including what the charger sent as DataTransfer
    row.get_by_role("link", name=station_id).click()
    facts = page.locator("dl.facts")
    expect(facts.get_by_text(VENDOR, exact=True)).to_be_visible()
    expect(facts.get_by_text(FIRMWARE, exact=True)).to_be_visible()
    messages = page.locator("table[aria-label='Recent messages'] tbody tr")
    expect(messages.locator("td[data-label='Data']")).to_have_text(DATA)
    expect(messages.locator("td[data-label='Vendor id']")).to_have_text(VENDOR)
    nothing_ran(page)


def test_markup_in_the_address_renders_as_text(page: Page, base_url: str, tenant: Tenant) -> None:
    # A crafted link: the id is shown, sent to the API percent-encoded, and the API's 400 (no station id
    # looks like that) shown as text
    sign_in(page, base_url, tenant.token, "/stations/%3Cimg%20src%3Dx%20onerror%3Dwindow.__xss%3D4%3E")
    expect(page.get_by_role("heading", name="<img src=x onerror=window.__xss=4>")).to_be_visible()
    expect(page.locator(".error-message").first).to_contain_text("should match pattern")
    nothing_ran(page)


def test_the_app_has_no_html_sinks() -> None:
    """The rule behind the tests above, checked over every module: no API string can reach a parser."""
    from pathlib import Path

    sinks = ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "dangerouslySetInnerHTML",
             "eval(", "new Function", "setAttribute(\"on", "srcdoc")  # fmt: skip
    app = Path(__file__).resolve().parents[2] / "web" / "app"
    found = [
        f"{path.relative_to(app)}: {sink}"
        for path in sorted(app.rglob("*.js"))
        for sink in sinks
        if sink in path.read_text()
    ]
    assert found == []
    assert sorted(path.name for path in app.rglob("*.js"))  # the scan saw the modules


def test_markup_on_the_site_firmware_and_alert_pages_renders_as_text(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    from tests.web.test_fleet_views import register_firmware

    # Given a managed site named with a script, a grid signal whose source is markup, a campaign of a
    # firmware whose version is markup, and an alert raised by a connector whose info is markup
    site_id = f"{tenant.name}-depot"
    tenant.call("POST", "/sites", {"siteId": site_id, "name": SITE_NAME, "gridLimitAmps": 32})
    tenant.call(
        "POST",
        f"/sites/{site_id}/grid-signals",
        {"kind": "importLimit", "startsAt": "2026-01-01T00:00:00Z", "endsAt": "2026-01-01T01:00:00Z",
         "value": 10, "source": DATA},
    )  # fmt: skip
    station_id = tenant.register_station("XSS", siteId=site_id)
    charger = tenant.start_charger(station_id)
    tenant.wait_for(charger, lambda c: c.online and c.boot_status == "Accepted")
    firmware_id = register_firmware(tenant, version=MODEL)
    campaign = tenant.call(
        "POST", "/firmware-campaigns", {"firmwareId": firmware_id, "target": {"stationIds": [station_id]}}
    )
    tenant.on_charger_loop(
        charger.call(
            call.StatusNotification(
                connector_id=1, error_code="GroundFailure", status="Faulted", info=FIRMWARE[:50]
            )
        )
    )

    # Then the sites list, the site page and its signals show them literally
    sign_in(page, base_url, tenant.token, "/sites")
    expect(page.locator(f"tr[data-key='{site_id}'] td[data-label='Site']")).to_have_text(SITE_NAME)
    nothing_ran(page)
    page.get_by_role("link", name=SITE_NAME).click()
    expect(page.get_by_role("heading", name=SITE_NAME)).to_be_visible()
    expect(page.locator("table[aria-label='Grid signals'] td[data-label='Source']")).to_have_text(DATA)
    nothing_ran(page)

    # And the campaign list and page show the firmware version literally
    page.goto(f"{base_url}/#/firmware")
    listed = page.locator(f"tr[data-key='{campaign['campaignId']}']")
    expect(listed.locator("td[data-label='Firmware']")).to_have_text(MODEL)
    listed.get_by_role("link").click()
    expect(page.locator("dl.facts")).to_contain_text(f"{MODEL} ({firmware_id})")
    nothing_ran(page)

    # And the alert shows what the charger reported as text
    page.goto(f"{base_url}/#/alerts")
    alert = page.locator("table[aria-label='Alerts'] tbody tr", has_text="ConnectorFaulted")
    expect(alert).to_have_count(1)
    alerts = [a for a in tenant.call("GET", "/alerts")["items"] if a["kind"] == "ConnectorFaulted"]
    assert alerts[0]["details"]["info"] == FIRMWARE  # what the charger reported reached the alert
    expect(alert.locator("td[data-label='Message']")).to_have_text(alerts[0]["message"])
    expect(alert.locator("td[data-label='Details']")).to_have_text(
        json.dumps(alerts[0]["details"], separators=(",", ":"))
    )
    nothing_ran(page)
