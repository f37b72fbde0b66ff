"""Browser suite: the dashboard in headless Chromium (Debian's, driven by Playwright) against the local
platform with the real handlers and simulated OCPP 1.6J chargers.

Kept fast by sharing: one Chromium for the whole suite, one local platform for this package (it runs
on its own event loop in a background thread, so the tests use Playwright's synchronous API), and a
fresh browser context (empty sessionStorage, so signed out) plus a fresh tenant for every test, so no
test sees another's stations.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import pytest
from playwright.sync_api import (
    APIRequestContext,
    Browser,
    BrowserContext,
    Page,
    Playwright,
    expect,
    sync_playwright,
)

from tests.e2e.conftest import clear_warm_container_caches
from tools.local_platform import LocalPlatform, PlatformConfig
from tools.simulator import ChargerSettings, SimulatedCharger

CHROMIUM = Path("/usr/bin/chromium")
# What works on this machine's closed network (see /work/.library/env/machines/python.md); Playwright
# adds --headless and a fresh temporary --user-data-dir itself.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
STATION_PASSWORD = "correct-horse-battery-staple"
ID_TAG = "TAG-WEB"
# The overview polls every 5 s; a change must show within two polls plus the page's own start.
LIVE_TIMEOUT_MS = 15_000

# A running firmware campaign looks for stations to start every second (not every minute), so the
# campaign pages show progress within a test.
FAST_CAMPAIGNS = {"FIRMWARE_CAMPAIGN_TICK_SECONDS": "1", "FIRMWARE_RETRY_SECONDS": "1"}

T = TypeVar("T")
expect.set_options(timeout=LIVE_TIMEOUT_MS)


class BackgroundPlatform:
    """The local platform on an event loop of its own, so synchronous tests can drive a browser."""

    def __init__(self, state_dir: Path) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="local-platform", daemon=True)
        self.platform = LocalPlatform(
            PlatformConfig(
                gateway_port=0, moto_port=0, state_dir=state_dir, function_environment=FAST_CAMPAIGNS
            )
        )

    def run(self, coroutine: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def start(self) -> None:
        clear_warm_container_caches()
        self._thread.start()
        self.run(self.platform.start())

    def stop(self) -> None:
        try:
            self.run(self.platform.stop())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            clear_warm_container_caches()

    @property
    def base_url(self) -> str:
        return self.platform.endpoints.gateway_url


# Package scope: every browser test is in this package, so this is one browser for all of them, and it
# is gone before any other suite's tests (async ones among them) run in the same worker.
@pytest.fixture(scope="package")
def playwright_driver() -> Iterator[Playwright]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install` installs Debian's chromium package")
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright_driver: Playwright) -> Iterator[Browser]:
    browser = playwright_driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture(scope="package")
def local_platform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundPlatform]:
    background = BackgroundPlatform(tmp_path_factory.mktemp("web-platform") / "state")
    background.start()
    try:
        yield background
    finally:
        background.stop()


_tenant_numbers = itertools.count(1)


@dataclass
class Tenant:
    """One tenant of the shared platform: its admin token, its API, its stations and chargers."""

    name: str
    background: BackgroundPlatform
    api: APIRequestContext
    chargers: list[SimulatedCharger] = field(default_factory=list)

    @property
    def token(self) -> str:
        return self.issue_token(["admin"])

    def issue_token(self, roles: list[str], ttl_seconds: int = 3600, **claims: Any) -> str:
        """A token of this tenant. The roles go in as the ``cognito:groups`` claim: the local issuer
        knows only admin, operator and viewer, and the portal roles (property_owner, energy_provider,
        fleet_manager, driver) are what the API reads from that claim all the same."""
        return self.background.platform.tokens.issue(
            self.name, [], ttl_seconds=ttl_seconds, extra_claims={"cognito:groups": roles, **claims}
        )

    def station_id(self, stem: str) -> str:
        """Station ids are global: prefix them with the tenant."""
        return f"{self.name}-{stem}".upper()

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self.api.fetch(f"/v1{path}", method=method, data=body)
        assert response.ok, (method, path, response.status, response.text())
        return response.json() if response.text() else None

    def register_station(self, stem: str, **fields: Any) -> str:
        station_id = self.station_id(stem)
        self.call("POST", "/stations", {"stationId": station_id, "password": STATION_PASSWORD, **fields})
        return station_id

    def session_id(self, station_id: str, transaction_id: int) -> str:
        """Session ids carry the station's registration, so they come from the API."""
        sessions = self.call("GET", f"/sessions?stationId={station_id}&limit=100")["items"]
        return next(s["sessionId"] for s in sessions if s["transactionId"] == str(transaction_id))

    def register_id_tag(self, id_tag: str = ID_TAG) -> None:
        self.call("POST", "/id-tokens", {"idToken": id_tag, "status": "Accepted"})

    def start_charger(self, station_id: str, **overrides: Any) -> SimulatedCharger:
        settings: dict[str, Any] = {
            "station_id": station_id,
            "url": self.background.platform.endpoints.websocket_url,
            "password": STATION_PASSWORD,
            "id_tag": ID_TAG,
            "sessions": 0,
            "session_seconds": 36_000.0,
            "meter_interval_seconds": 60.0,
            "time_scale": 60.0,
            "reconnect_delay_seconds": 0.1,
            **overrides,
        }

        async def started() -> SimulatedCharger:
            charger = SimulatedCharger(ChargerSettings(**settings))
            await charger.start()
            return charger

        charger = self.background.run(started())
        self.chargers.append(charger)
        return charger

    def wait_for(self, charger: SimulatedCharger, condition: Any, within: float = 15.0) -> None:
        self.background.run(charger.wait_until(condition, within=within), timeout=within + 5)

    def on_charger_loop(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self.background.run(coroutine)

    def stop_chargers(self) -> None:
        for charger in self.chargers:
            self.background.run(charger.stop())
        self.chargers.clear()


@pytest.fixture
def tenant(local_platform: BackgroundPlatform, playwright_driver: Playwright) -> Iterator[Tenant]:
    name = f"web{next(_tenant_numbers)}"
    token = local_platform.platform.tokens.issue(name, ["admin"])
    api = playwright_driver.request.new_context(
        base_url=local_platform.base_url, extra_http_headers={"Authorization": f"Bearer {token}"}
    )
    created = Tenant(name, local_platform, api)
    try:
        yield created
    finally:
        created.stop_chargers()
        api.dispose()


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(LIVE_TIMEOUT_MS)
    yield context
    context.close()


@dataclass
class PageErrors:
    """JavaScript errors the page threw: every test ends asserting there were none."""

    errors: list[str] = field(default_factory=list)


@pytest.fixture
def page(context: BrowserContext) -> Iterator[Page]:
    page = context.new_page()
    errors = PageErrors()
    page.on("pageerror", lambda error: errors.errors.append(str(error)))
    yield page
    assert errors.errors == [], errors.errors


@pytest.fixture
def base_url(local_platform: BackgroundPlatform) -> str:
    return local_platform.base_url


def sign_in(
    page: Page, base_url: str, token: str, route: str = "", landing: str = "Network overview"
) -> None:
    """The link `make run` prints, optionally followed by a page; ``landing`` is the heading of the
    role's home page (a portal role has no network overview)."""
    page.goto(f"{base_url}/#token={token}")
    page.get_by_role("heading", name=landing, exact=True).wait_for()
    if route:
        page.goto(f"{base_url}/#{route}")
