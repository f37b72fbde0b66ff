"""What an operator does in the dashboard, against simulated chargers: watch the network change live,
start and stop a session, find it among the sessions with its meter curve, and read the server's
message when the API says no."""

from __future__ import annotations

import pytest
from ocpp.v16 import call
from ocpp.v16.enums import ChargePointErrorCode, ChargePointStatus
from playwright.sync_api import Locator, Page, expect

from tests.web.conftest import ID_TAG, Tenant, sign_in

pytestmark = [pytest.mark.web, pytest.mark.xdist_group("web")]


def station_row(page: Page, station_id: str) -> Locator:
    return page.locator(f"table[aria-label='Stations'] tr[data-key='{station_id}']")


def cell(row: Locator, label: str) -> Locator:
    return row.locator(f"td[data-label='{label}']")


def tile_count(page: Page, state: str) -> Locator:
    return page.locator(f".tile[data-state='{state}'] .count")


def test_a_charger_appears_online_then_faulted_then_reconnecting_without_a_reload(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    # Given an operator on the overview of a network with no stations
    sign_in(page, base_url, tenant.token)
    expect(page.get_by_text("No stations registered yet")).to_be_visible()
    station_id = tenant.register_station("LIVE")

    # When a simulated charger connects and boots
    charger = tenant.start_charger(station_id)
    tenant.wait_for(charger, lambda c: c.online)

    # Then the open overview shows it online (polling, no reload) with its connectors
    row = station_row(page, station_id)
    expect(cell(row, "State")).to_have_text("online")
    expect(tile_count(page, "online")).to_have_text("1")
    expect(cell(row, "Connectors")).to_contain_text("Available")
    expect(cell(row, "Vendor / model")).to_have_text("CSMS Simulator / SIM-AC22")

    # When a connector reports a fault, the station is counted as faulted
    tenant.on_charger_loop(
        charger.call(
            call.StatusNotification(
                connector_id=1,
                error_code=ChargePointErrorCode.ground_failure,
                status=ChargePointStatus.faulted,
            )
        )
    )
    expect(cell(row, "State")).to_have_text("faulted")
    expect(tile_count(page, "faulted")).to_have_text("1")
    expect(tile_count(page, "online")).to_have_text("0")

    # When the charger goes away, it reads as reconnecting within the grace period
    tenant.stop_chargers()
    expect(cell(row, "State")).to_have_text("reconnecting")
    expect(tile_count(page, "reconnecting")).to_have_text("1")

    # And the state tiles filter the table
    page.locator(".tile[data-state='online']").click()
    expect(page.get_by_text("No station matches.")).to_be_visible()
    page.locator(".tile[data-state='online']").click()
    expect(row).to_be_visible()


def test_start_and_stop_a_session_from_the_dashboard_then_find_it(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    # Given a connected charger that only does what the CSMS asks
    station_id = tenant.register_station("CHARGE")
    tenant.register_id_tag()
    charger = tenant.start_charger(station_id)
    tenant.wait_for(charger, lambda c: c.online)
    sign_in(page, base_url, tenant.token)
    station_row(page, station_id).get_by_role("link", name=station_id).click()
    expect(page.get_by_role("heading", name=station_id, exact=True)).to_be_visible()

    # When the operator remote-starts a session on EVSE 1
    start = page.get_by_role("form", name="Remote start")
    start.get_by_label("ID token").fill(ID_TAG)
    start.get_by_label("EVSE").select_option("1")
    start.get_by_role("button", name="Remote start").click()

    # Then the command's outcome is shown, and the session appears under "Charging now"
    expect(page.get_by_text("Remote start sent (command")).to_be_visible()
    commands = page.locator("table[aria-label='Commands']")
    remote_start = commands.locator("tr", has_text="RemoteStartTransaction")
    expect(cell(remote_start, "Outcome")).to_have_text("accepted")
    expect(cell(remote_start, "Answer")).to_have_text('{"status":"Accepted"}')
    charging = page.locator("table[aria-label='Active sessions'] tbody tr")
    expect(charging).to_have_count(1)
    expect(cell(charging, "ID token")).to_have_text(ID_TAG)
    tenant.wait_for(charger, lambda c: bool(c.transaction_ids))

    # When the operator stops it
    charging.get_by_role("button", name="Stop").click()

    # Then the stop is accepted, the charger ends the transaction and nothing is charging
    remote_stop = commands.locator("tr", has_text="RemoteStopTransaction")
    expect(cell(remote_stop, "Outcome")).to_have_text("accepted")
    tenant.wait_for(charger, lambda c: bool(c.completed_transactions))
    expect(page.get_by_text("Nothing charging right now.")).to_be_visible()
    assert charger.completed_transactions[0].reason == "Remote"

    # And the sessions list has it, completed, with the energy the charger metered
    page.get_by_role("link", name="All sessions of this station").click()
    expect(page.get_by_role("heading", name="Sessions")).to_be_visible()
    rows = page.locator("table[aria-label='Sessions'] tbody tr")
    expect(rows).to_have_count(1)
    expect(cell(rows, "Status")).to_have_text("Completed")
    expect(cell(rows, "Station")).to_have_text(station_id)
    expect(cell(rows, "Stop reason")).to_have_text("Remote")
    energy_kwh = charger.completed_transactions[0].energy_wh / 1000
    expect(cell(rows, "Energy")).to_have_text(f"{energy_kwh:.2f} kWh")

    # And its detail page draws the meter-value curve
    cell(rows, "Started").get_by_role("link").click()
    expect(page.get_by_role("heading", name=f"on {station_id}")).to_be_visible()
    expect(page.get_by_role("img", name="Power and energy over the session")).to_be_visible()
    page.wait_for_function("() => window.Chart && Object.keys(window.Chart.instances).length === 1")
    points = page.evaluate(
        "() => Object.values(window.Chart.instances)[0].data.datasets.map((d) => d.data.length)"
    )
    assert all(count >= 1 for count in points), points


def test_sessions_filter_page_and_sort(page: Page, base_url: str, tenant: Tenant) -> None:
    # Given three completed sessions on one station (the charger runs them itself, fast)
    station_id = tenant.register_station("MANY")
    tenant.register_id_tag()
    charger = tenant.start_charger(
        station_id,
        sessions=3,
        session_seconds=600.0,
        meter_interval_seconds=120.0,
        pause_between_sessions_seconds=60.0,
        time_scale=1200.0,
    )
    tenant.wait_for(charger, lambda c: c.planned_sessions_done.is_set(), within=30)
    in_start_order = [
        tenant.session_id(station_id, transaction_id) for transaction_id in charger.transaction_ids
    ]

    # When the operator lists them two to a page
    sign_in(page, base_url, tenant.token, f"/sessions?stationId={station_id}&limit=2")
    rows = page.locator("table[aria-label='Sessions'] tbody tr")

    # Then the pages come from the API's cursor, forwards and back
    expect(rows).to_have_count(2)
    expect(page.get_by_text("Page 1")).to_be_visible()
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_text("Page 2")).to_be_visible()
    expect(rows).to_have_count(1)
    expect(page.get_by_role("button", name="Next")).to_be_disabled()
    page.get_by_role("button", name="Previous").click()
    expect(rows).to_have_count(2)

    # And on one page of all three, a column header sorts, both ways
    page.goto(f"{base_url}/#/sessions?stationId={station_id}&limit=10")
    expect(rows).to_have_count(3)
    keys = "rows => rows.map((row) => row.dataset.key)"
    page.get_by_role("button", name="Started").click()
    expect(page.get_by_role("button", name="Started ▲")).to_be_visible()
    assert rows.evaluate_all(keys) == in_start_order
    page.get_by_role("button", name="Started ▲").click()
    expect(page.get_by_role("button", name="Started ▼")).to_be_visible()
    assert rows.evaluate_all(keys) == list(reversed(in_start_order))

    # And the filters narrow the list (through the address, so a filtered list is a link)
    filters = page.get_by_role("form", name="Session filters")
    filters.get_by_label("Status").select_option("Active")
    filters.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(f"{base_url}/#/sessions?stationId={station_id}&status=Active&limit=10")
    expect(page.get_by_text("No sessions match.")).to_be_visible()


def test_the_server_s_error_message_is_shown(page: Page, base_url: str, tenant: Tenant) -> None:
    station_id = tenant.register_station("ERRORS")
    sign_in(page, base_url, tenant.token, f"/stations/{station_id}")
    form = page.get_by_role("form", name="Command")

    # A payload that is not JSON is caught before it is sent
    form.get_by_label("OCPP action").fill("GetConfiguration")
    form.get_by_label("Payload (JSON object)").fill("{not json")
    form.get_by_role("button", name="Send command").click()
    expect(form.get_by_role("alert")).to_contain_text("The payload is not JSON")

    # An action the CSMS cannot send: the API's 400 message, word for word
    form.get_by_label("OCPP action").fill("NoSuchAction")
    form.get_by_label("Payload (JSON object)").fill("{}")
    form.get_by_role("button", name="Send command").click()
    expect(page.locator(".error-message")).to_contain_text(
        "NoSuchAction is not a call the CSMS can send over ocpp2.0.1 or ocpp1.6 (the station has not"
    )

    # A station that does not exist (or is another tenant's): the API's 404 message
    page.goto(f"{base_url}/#/stations/NO-SUCH-STATION")
    expect(page.locator(".error-message")).to_have_text("station NO-SUCH-STATION not found")


def test_a_viewer_sees_the_station_but_no_actions(page: Page, base_url: str, tenant: Tenant) -> None:
    station_id = tenant.register_station("VIEW")
    sign_in(page, base_url, tenant.issue_token(["viewer"]), f"/stations/{station_id}")
    expect(page.get_by_role("heading", name="Commands")).to_be_visible()
    expect(page.get_by_text("Your role (viewer) can look, not send commands.")).to_be_visible()
    expect(page.get_by_role("button", name="Remote start")).to_have_count(0)
