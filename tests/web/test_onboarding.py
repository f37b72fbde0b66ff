"""Onboarding from the dashboard: register a station and read what to type into the charger (a snippet
and a QR code of the same settings, the generated password shown once), then a charger configured
from exactly that connects; and the pending-approval list of stations that connected unregistered.

The pending-approval tests code to the contract of GET /v1/stations/pending and POST
/v1/stations/pending/{stationId}/approve|reject, whose backend is built in parallel: until it lands they
fail against the local platform (the routes answer 404)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Tenant, sign_in

pytestmark = [pytest.mark.web, pytest.mark.xdist_group("web")]

# ISO/IEC 18004 table 7: data capacity in byte mode at error correction level M, versions 1 to 20.
BYTES_AT_LEVEL_M = [
    14,
    26,
    42,
    62,
    84,
    106,
    122,
    152,
    180,
    213,
    251,
    287,
    331,
    362,
    412,
    450,
    504,
    560,
    624,
    666,
]


def smallest_version(payload: str) -> int:
    length = len(payload.encode())
    return next(version for version, capacity in enumerate(BYTES_AT_LEVEL_M, start=1) if capacity >= length)


def field(page: Page, name: str) -> str:
    return page.locator(f"[data-field='{name}']").inner_text()


def test_a_station_added_from_the_dashboard_connects_with_the_settings_it_shows(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    tenant.call("POST", "/sites", {"siteId": f"{tenant.name}-depot", "name": "Harbour depot"})
    station_id = tenant.station_id("NEW-01")

    # When the operator registers a station on a site and lets the platform generate its password
    sign_in(page, base_url, tenant.token, "/onboarding/new")
    form = page.get_by_role("form", name="Add station")
    form.get_by_label("Station id").fill(station_id)
    form.get_by_label("Site").select_option(f"{tenant.name}-depot")
    form.get_by_role("button", name="Register station").click()

    # Then the settings are shown once, with the warning, as text, a snippet and a QR code
    expect(page.get_by_text(f"Station {station_id} registered.")).to_be_visible()
    expect(page.get_by_text("This password is shown only now")).to_be_visible()
    ocpp_url, password = field(page, "ocppUrl"), field(page, "password")
    assert ocpp_url == f"{tenant.background.platform.endpoints.websocket_url}/{station_id}"
    assert field(page, "subprotocols") == "ocpp2.0.1, ocpp1.6"
    assert field(page, "basicAuthUser") == station_id
    assert 16 <= len(password) <= 40
    snippet = page.get_by_test_id("snippet").inner_text()
    assert ocpp_url in snippet and password in snippet
    payload = json.loads(page.get_by_test_id("qr-payload").inner_text())
    assert payload == {
        "stationId": station_id,
        "ocppUrl": ocpp_url,
        "subprotocols": ["ocpp2.0.1", "ocpp1.6"],
        "basicAuthUser": station_id,
        "password": password,
    }
    qr = page.get_by_role("img", name=f"QR code of the connection settings of {station_id}")
    expect(qr).to_be_visible()
    modules = int(qr.get_attribute("data-modules") or 0)
    assert modules == 17 + 4 * smallest_version(page.get_by_test_id("qr-payload").inner_text())
    assert (qr.locator("path").get_attribute("d") or "").count("h1v1h-1z") > modules  # dark modules drawn

    # And the station is on its site, and a charger given exactly those settings connects
    assert tenant.call("GET", f"/stations/{station_id}")["siteId"] == f"{tenant.name}-depot"
    charger = tenant.start_charger(station_id, url=ocpp_url.removesuffix(f"/{station_id}"), password=password)
    tenant.wait_for(charger, lambda c: c.online and c.boot_status == "Accepted")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Overview").click()
    row = page.locator(f"table[aria-label='Stations'] tr[data-key='{station_id}']")
    expect(row.locator("td[data-label='State']")).to_have_text("online")


def test_a_station_with_its_own_password_is_not_shown_one_and_the_api_s_409_is(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    station_id = tenant.station_id("OWN-PW")
    sign_in(page, base_url, tenant.token, "/onboarding/new")
    form = page.get_by_role("form", name="Add station")
    form.get_by_label("Station id").fill(station_id)
    form.get_by_label("Password").fill("a-password-of-my-own")
    form.get_by_role("button", name="Register station").click()
    expect(page.get_by_text(f"Station {station_id} registered.")).to_be_visible()
    expect(page.get_by_text("the one given at registration")).to_be_visible()
    expect(page.get_by_text("This password is shown only now")).to_have_count(0)
    assert "password" not in json.loads(page.get_by_test_id("qr-payload").inner_text())

    # The same id again: the API's conflict, word for word
    form.get_by_label("Station id").fill(station_id)
    form.get_by_role("button", name="Register station").click()
    expect(page.locator(".error-message")).to_contain_text(station_id)
    assert tenant.api.fetch("/v1/stations", method="POST", data={"stationId": station_id}).status == 409


def test_a_viewer_has_no_add_station_page(page: Page, base_url: str, tenant: Tenant) -> None:
    sign_in(page, base_url, tenant.issue_token(["viewer"]), "/onboarding/new")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Add station")).to_have_count(
        0
    )


# --- pending approval -------------------------------------------------------------------------------


def enrollment_secret(tenant: Tenant) -> str:
    """The tenant allows unregistered stations to wait for approval: they present this secret."""
    return str(tenant.call("POST", "/settings/onboarding/enrollment-secret", {})["enrollmentSecret"])


def test_an_unregistered_charger_waits_for_approval_and_is_approved_onto_a_site(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    tenant.call("POST", "/sites", {"siteId": f"{tenant.name}-depot", "name": "Harbour depot"})
    station_id = tenant.station_id("UNKNOWN-1")
    # Given a charger that connects without being registered, with its tenant's enrollment secret
    tenant.start_charger(station_id, vendor="Acme", model="AC-7", password=enrollment_secret(tenant))

    # Then it lands in the pending list with what it said about itself
    sign_in(page, base_url, tenant.token, "/onboarding/pending")
    pending = page.locator(f"table[aria-label='Pending stations'] tr[data-key='{station_id}']")
    expect(pending.locator("td[data-label='Vendor / model']")).to_have_text("Acme / AC-7")

    # When the operator approves it onto the depot
    pending.get_by_role("combobox").select_option(f"{tenant.name}-depot")
    pending.get_by_role("button", name="Approve").click()

    # Then the registration's settings are shown as for an added station, and it is registered
    expect(page.get_by_text(f"Station {station_id} approved and registered.")).to_be_visible()
    assert field(page, "basicAuthUser") == station_id
    expect(
        page.get_by_role("img", name=f"QR code of the connection settings of {station_id}")
    ).to_be_visible()
    expect(pending).to_have_count(0)
    assert tenant.call("GET", f"/stations/{station_id}")["siteId"] == f"{tenant.name}-depot"


def test_an_unregistered_charger_is_rejected_from_the_pending_list(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    station_id = tenant.station_id("UNKNOWN-2")
    tenant.start_charger(station_id, password=enrollment_secret(tenant))
    sign_in(page, base_url, tenant.token, "/onboarding/pending")
    pending = page.locator(f"table[aria-label='Pending stations'] tr[data-key='{station_id}']")
    page.on("dialog", lambda dialog: dialog.accept())
    pending.get_by_role("button", name="Reject").click()
    expect(page.get_by_text(f"{station_id} rejected.")).to_be_visible()
    expect(pending).to_have_count(0)


def test_enrollment_is_issued_from_the_dashboard_and_a_charger_with_it_waits(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    # Given an operator who turns enrollment on from the pending page
    sign_in(page, base_url, tenant.token, "/onboarding/pending")
    enrollment = page.locator("section[aria-label='Enrollment']")
    expect(enrollment).to_contain_text("Enrollment is off")
    enrollment.get_by_role("button", name="Issue secret").click()
    secret = enrollment.locator("[data-field='enrollmentSecret']")
    expect(secret).to_have_text(re.compile(r"\S{16,}"))
    expect(enrollment).to_contain_text("wait here for approval")

    # When a charger connects unregistered with the secret shown, then it waits in the list
    station_id = tenant.station_id("UNKNOWN-3")
    tenant.start_charger(station_id, password=secret.inner_text())
    expect(page.locator(f"table[aria-label='Pending stations'] tr[data-key='{station_id}']")).to_have_count(1)

    # and turning enrollment off says so
    page.on("dialog", lambda dialog: dialog.accept())
    enrollment.get_by_role("button", name="Turn off").click()
    expect(enrollment).to_contain_text("Enrollment is off")
