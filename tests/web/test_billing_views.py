"""Revenue, invoices and drivers from sessions the billing workflow priced, and the portals: a property
owner sees the revenue of its own sites only, a fleet manager and a driver get their own pages."""

from __future__ import annotations

import time
from decimal import Decimal
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import Tenant, sign_in

pytestmark = [pytest.mark.web, pytest.mark.xdist_group("web")]

D = Decimal


def wait_api(tenant: Tenant, path: str, ready: Any, within: float = 30.0) -> Any:
    deadline = time.monotonic() + within
    while True:
        body = tenant.call("GET", path)
        if ready(body):
            return body
        assert time.monotonic() < deadline, (path, body)
        time.sleep(0.25)


def two_priced_sites(
    tenant: Tenant, name_a: str = "Harbour depot", name_b: str = "Mall garage"
) -> dict[str, str]:
    """Sites A (host-a takes 20 %, the platform 5 %) and B (host-b takes 30 %), one station on each priced
    at 0.30 EUR/kWh, a prepaid fleet account holding both drivers' tokens, and one finished, paid
    session on each site."""
    site_a, site_b = f"{tenant.name}-a", f"{tenant.name}-b"
    tenant.call(
        "POST",
        "/tariffs",
        {
            "tariffId": "ENERGY-030",
            "currency": "EUR",
            "elements": [{"priceComponents": [{"type": "ENERGY", "price": "0.30", "stepSize": 1}]}],
        },
    )
    tags = {site_a: "TAG-A", site_b: "TAG-B"}
    for site_id, name, host, share in ((site_a, name_a, "host-a", "20"), (site_b, name_b, "host-b", "30")):
        tenant.call("POST", "/sites", {"siteId": site_id, "name": name})
        tenant.call("PATCH", f"/sites/{site_id}", {"tariffId": "ENERGY-030"})
        tenant.call(
            "PATCH",
            f"/sites/{site_id}/revenue-split",
            {"hostId": host, "hostSharePercent": share, "platformFeePercent": "5"},
        )
        tenant.call("POST", "/id-tokens", {"idToken": tags[site_id], "status": "Accepted"})
    account = tenant.call(
        "POST",
        "/billing-accounts",
        {
            "billingAccountId": "fleet-1",
            "type": "PREPAID",
            "currency": "EUR",
            "idTokens": list(tags.values()),
        },
    )
    tenant.call("POST", f"/wallets/{account['walletId']}/top-ups", {"amount": "100.00", "topUpId": "first"})
    chargers = []
    for site_id, tag in tags.items():
        station_id = tenant.register_station(f"BILL-{tag}", siteId=site_id)
        chargers.append(
            tenant.start_charger(
                station_id,
                id_tag=tag,
                sessions=1,
                session_seconds=3600.0,
                meter_interval_seconds=300.0,
                time_scale=900.0,
            )
        )
    for charger in chargers:
        tenant.wait_for(charger, lambda c: c.planned_sessions_done.is_set(), within=30)
    wait_api(tenant, "/invoices", lambda body: sum(i["status"] == "paid" for i in body["items"]) == 2)
    wait_api(tenant, "/revenue", lambda body: len(body["sites"]) == 2)
    return {"a": site_a, "b": site_b, "wallet": account["walletId"]}


def row(page: Page, table: str, key: str) -> Any:
    return page.locator(f"table[aria-label='{table}'] tr[data-key='{key}']")


def test_revenue_per_site_and_stakeholder_over_a_period(page: Page, base_url: str, tenant: Tenant) -> None:
    sites = two_priced_sites(tenant)
    report = tenant.call("GET", "/revenue")
    net = {entry["siteId"]: entry["net"] for entry in report["sites"]}
    amounts = {(line["siteId"], line["stakeholder"]): D(line["amount"]) for line in report["lines"]}

    # When the operator opens the revenue page (this month by default)
    sign_in(page, base_url, tenant.token, "/revenue")
    expect(page.get_by_role("button", name="This month")).to_have_attribute("aria-pressed", "true")

    # Then each site shows its net and each stakeholder's share, as the API reported them
    site_a = row(page, "Revenue per site", f"{sites['a']}|EUR")
    expect(site_a.locator("td[data-label='Site']")).to_have_text("Harbour depot")
    expect(site_a.locator("td[data-label='Net revenue']")).to_have_text(f"€{D(net[sites['a']]):.2f}")
    expect(site_a.locator("td[data-label='Host']")).to_have_text(f"€{amounts[(sites['a'], 'host')]:.2f}")
    expect(row(page, "Revenue per site", f"{sites['b']}|EUR").locator("td[data-label='Site']")).to_have_text(
        "Mall garage"
    )
    host_total = amounts[(sites["a"], "host")] + amounts[(sites["b"], "host")]
    hosts = row(page, "Revenue per stakeholder", "host|EUR")
    expect(hosts.locator("td[data-label='Amount']")).to_have_text(f"€{host_total:.2f}")
    expect(hosts.locator("td[data-label='Parties']")).to_contain_text("host-a")
    expect(hosts.locator("td[data-label='Parties']")).to_contain_text("host-b")

    # And a period before any session has none
    page.get_by_role("button", name="Last month").click()
    expect(page.get_by_role("button", name="Last month")).to_have_attribute("aria-pressed", "true")
    expect(
        page.locator("table[aria-label='Revenue per site']").get_by_text("No revenue in this period.")
    ).to_be_visible()


def test_invoices_list_and_a_receipt(page: Page, base_url: str, tenant: Tenant) -> None:
    two_priced_sites(tenant)
    invoices = tenant.call("GET", "/invoices")["items"]
    first = invoices[0]
    sign_in(page, base_url, tenant.token, "/invoices")
    rows = page.locator("table[aria-label='Invoices'] tbody tr")
    expect(rows).to_have_count(2)
    listed = row(page, "Invoices", first["invoiceId"])
    expect(listed.locator("td[data-label='Status']")).to_have_text("paid")
    expect(listed.locator("td[data-label='Total']")).to_have_text(f"€{D(first['totalInclVat']):.2f}")
    listed.locator("td[data-label='Issued'] a").click()
    expect(page.get_by_test_id("invoice-total")).to_have_text(f"€{D(first['totalInclVat']):.2f}")
    expect(page.locator("table[aria-label='Invoice lines'] tbody tr")).to_have_count(len(first["lines"]))

    # The status filter goes to the API
    page.goto(f"{base_url}/#/invoices?status=payment_failed")
    expect(page.get_by_text("No invoices.")).to_be_visible()


def test_a_property_owner_sees_its_own_site_only(page: Page, base_url: str, tenant: Tenant) -> None:
    # Given two sites with revenue, and a property owner whose token names site A only
    sites = two_priced_sites(tenant, name_b="Other owner's garage")
    token = tenant.issue_token(["property_owner"], site_ids=[sites["a"]])

    # When the owner signs in, its portal has its sites and revenue, nothing of the network
    sign_in(page, base_url, token, landing="Sites")
    nav = page.get_by_role("navigation", name="Main").get_by_role("link")
    expect(nav).to_have_text(["Sites", "Revenue"])

    # Then the sites page shows what the API answers this token, and never site B
    answer = api_as(tenant, token, "/sites")
    if answer["status"] == 200:
        expect(row(page, "Sites", sites["a"])).to_be_visible()
    else:
        expect(page.locator(".error-message")).to_have_text(answer["body"]["message"])
    expect(page.locator("main")).not_to_contain_text("Other owner's garage")

    # And site B's page shows the API's refusal, cleanly
    refused = api_as(tenant, token, f"/sites/{sites['b']}")
    assert refused["status"] in (403, 404), refused
    page.goto(f"{base_url}/#/sites/{sites['b']}")
    expect(page.locator(".error-message")).to_have_text(refused["body"]["message"])
    expect(page.locator("main")).not_to_contain_text("Other owner's garage")

    # And the revenue page lists site A only, and of it the owner's share only: the API scopes the
    # report to the token's sites and to the hosts' lines (what the operator and the platform earn
    # there is not the owner's to read)
    own = api_as(tenant, token, "/revenue")["body"]
    assert [entry["siteId"] for entry in own["sites"]] == [sites["a"]]
    assert own["lines"] and {line["stakeholder"] for line in own["lines"]} == {"host"}
    (host_line,) = own["lines"]
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Revenue").click()
    site_a = row(page, "Revenue per site", f"{sites['a']}|EUR")
    expect(site_a).to_be_visible()
    expect(page.locator("table[aria-label='Revenue per site'] tbody tr")).to_have_count(1)
    expect(site_a.locator("td[data-label='Your share']")).to_have_text(f"€{D(host_line['amount']):.2f}")
    expect(site_a.locator("td[data-label='Operator']")).to_have_count(0)
    expect(page.locator("table[aria-label='Revenue per stakeholder'] tbody tr")).to_have_count(1)
    expect(page.locator("main")).not_to_contain_text(sites["b"])
    expect(page.locator("main")).not_to_contain_text("host-b")
    expect(page.get_by_text("Your sites and your share only.")).to_be_visible()


def sign_out(page: Page) -> None:
    """The next sign-in is someone else: sign out first, as a person at the keyboard would."""
    sign_out_button = page.get_by_role("button", name="Sign out")
    if sign_out_button.count():
        sign_out_button.click()
        expect(page.get_by_role("heading", name="Sign in to the CSMS dashboard")).to_be_visible()


def api_as(tenant: Tenant, token: str, path: str) -> dict[str, Any]:
    response = tenant.api.fetch(f"/v1{path}", headers={"Authorization": f"Bearer {token}"})
    return {"status": response.status, "body": response.json()}


def test_each_portal_shows_its_role_only_its_views(page: Page, base_url: str, tenant: Tenant) -> None:
    portals = {
        "energy_provider": ("Sites", ["Sites"]),
        "fleet_manager": ("Sessions", ["Sessions", "Drivers", "Invoices"]),
        "driver": ("Sessions", ["Sessions", "Invoices"]),
        "viewer": (
            "Network overview",
            [
                "Overview",
                "Sessions",
                "Sites",
                "Revenue",
                "Alerts",
                "Firmware",
                "Pending",
                "Drivers",
                "Invoices",
            ],
        ),
        "operator": (
            "Network overview",
            [
                "Overview",
                "Sessions",
                "Sites",
                "Revenue",
                "Alerts",
                "Firmware",
                "Add station",
                "Pending",
                "Drivers",
                "Invoices",
            ],
        ),
    }
    for role, (landing, links) in portals.items():
        sign_out(page)
        sign_in(
            page, base_url, tenant.issue_token([role], site_ids=[], account_id="fleet-1"), landing=landing
        )
        expect(page.get_by_role("navigation", name="Main").get_by_role("link")).to_have_text(links)
    # A page outside the role's views is not there for it, whatever the address says
    sign_out(page)
    sign_in(
        page, base_url, tenant.issue_token(["driver"], account_id="driver-1"), "/alerts", landing="Sessions"
    )
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()


def test_a_fleet_manager_s_drivers_page_shows_its_account_and_tokens(
    page: Page, base_url: str, tenant: Tenant
) -> None:
    sites = two_priced_sites(tenant)
    wallet = tenant.call("GET", f"/wallets/{sites['wallet']}")
    token = tenant.issue_token(["fleet_manager"], account_id="fleet-1")
    # the fleet manager registers a van of its own through the API (its token may)
    van = {"vehicleId": "van-1", "name": "<b>Van</b> 1", "registration": "B-EV 1", "idTokens": ["TAG-A"]}
    registered = tenant.api.fetch(
        "/v1/billing-accounts/fleet-1/vehicles",
        method="POST",
        data=van,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert registered.status == 201, registered.text()
    sign_in(page, base_url, token, "/drivers", landing="Sessions")
    expect(page.get_by_role("heading", name="Drivers")).to_be_visible()
    vehicle = row(page, "Vehicles", "van-1")
    expect(vehicle.locator("td[data-label='Vehicle']")).to_have_text("<b>Van</b> 1")  # text, not markup
    expect(vehicle.locator("td[data-label='Plate']")).to_have_text("B-EV 1")
    expect(vehicle.locator("td[data-label='ID tokens']")).to_contain_text("TAG-A")
    # What the API answers this token: the account and its wallet, or its refusal (shown as sent)
    account = api_as(tenant, token, "/billing-accounts/fleet-1")
    if account["status"] == 200:
        expect(page.locator("dl.facts")).to_contain_text(f"€{D(wallet['balance']):.2f}")
    else:
        expect(page.locator(".error-message").first).to_have_text(account["body"]["message"])
    tokens = api_as(tenant, token, "/id-tokens")
    if tokens["status"] == 200:
        expect(page.locator("table[aria-label='ID tokens'] tbody tr")).to_have_count(
            len(tokens["body"]["items"])
        )
    else:
        expect(page.get_by_text("The API did not list the ID tokens.")).to_be_visible()

    # The operator sees the same account with its wallet and both tokens
    sign_out(page)
    sign_in(page, base_url, tenant.issue_token(["operator"], account_id="fleet-1"), "/drivers")
    expect(page.locator("dl.facts")).to_contain_text(f"€{D(wallet['balance']):.2f}")
    expect(row(page, "ID tokens", "TAG-A")).to_be_visible()
    expect(row(page, "ID tokens", "TAG-B")).to_be_visible()
