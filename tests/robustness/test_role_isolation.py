"""Issue 17: every operation in the OpenAPI document, for every role and for the tokens of another
tenant, on a seeded world with real ids: 0 leaks.

The world (one moto world for the module) is tenant A with two "lanes" and tenant B:

- lane one: site SITE-ONE, station CP-ONE on it, a session there charged with TAG-FLEET, the fleet's
  billing account ACC-FLEET (pays for TAG-FLEET; its wallet, an invoice, a subscription);
- lane two: the same with SITE-TWO, CP-TWO, TAG-DRIVER and the driver's account ACC-DRIVER;
- tenant B: SITE-BRAVO, CP-BRAVO, TAG-BRAVO, ACC-BRAVO.

The property owner's token names SITE-ONE, the energy provider's SITE-TWO, the fleet manager's
ACC-FLEET, the driver's ACC-DRIVER; so each scoped token has a lane it may see and one it may not.
What each role may call comes from the document itself (``x-permission``, ``x-roles``: the grants
table), and for every operation and caller the test asserts

- a role without the permission: 403;
- a record the path names inside the caller's reach: 2xx; outside it (the other lane, the other
  tenant): 404, as for a record that does not exist;
- a 2xx body holds no id from outside the caller's reach, and a list holds the caller's own records;
- a refused or out-of-reach write changes nothing in tenant A (every table compared before/after),
  and a scoped role's own writes change nothing of tenant B nor of the other lane's account.

The driver app's routes (``drive``) scope themselves by the driver's account: a driver reaches any
station of its tenant (the public network: lane one's too) but only its own account's sessions and
starts (``DRIVE_REACH``).

An operation added later without a body entry (when it takes one) or with a path parameter this test
has no id for fails loudly, instead of being skipped.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest

from shared.api.access import reach_by_role
from shared.api.routing import ROUTE_PERMISSIONS, path_parameter_names
from shared.billing.invoices import Invoice, InvoiceLine
from shared.catalog import OPENAPI_PATH
from shared.domain.commands import Command, CommandStatus
from shared.domain.sessions import Session
from shared.domain.tenancy import Role
from tests.builders import PlatformUnderTest
from tests.robustness.api_client import Answer, operator_api_on_moto, send

TENANT_A, TENANT_B = "tenant-a", "tenant-b"
BERLIN = {"latitude": 52.52, "longitude": 13.40}
"""Where every seeded site is: a driver's map shows every station of its tenant (and none of another)."""
ONE, TWO, BRAVO = "one", "two", "bravo"

ACCOUNT_MARKERS: dict[str, tuple[str, ...]] = {
    ONE: ("TAG-FLEET", "ACC-FLEET", "INV-FLEET", "SUB-FLEET", "VEH-FLEET"),
    TWO: ("TAG-DRIVER", "ACC-DRIVER", "INV-DRIVER", "SUB-DRIVER", "VEH-DRIVER"),
    BRAVO: ("TAG-BRAVO", "ACC-BRAVO", "INV-BRAVO", "SUB-BRAVO", "VEH-BRAVO"),
}
"""Ids of what one lane's billing account owns."""
LANE_MARKERS: dict[str, tuple[str, ...]] = {
    ONE: ("SITE-ONE", "CP-ONE", *ACCOUNT_MARKERS[ONE]),
    TWO: ("SITE-TWO", "CP-TWO", *ACCOUNT_MARKERS[TWO]),
    BRAVO: ("SITE-BRAVO", "CP-BRAVO", *ACCOUNT_MARKERS[BRAVO], TENANT_B),
}
"""Ids that exist in one lane only; a body that names one of them shows that lane's data."""
UNOWNED_TOKEN = "TAG-NOBODY"
"""Tenant A's ID token no billing account pays for: no scoped caller sees it."""

LANE_PARAMETERS = frozenset(
    {
        "site_id",
        "signal_id",
        "station_id",
        "session_id",
        "id_token",
        "billing_account_id",
        "wallet_id",
        "invoice_id",
        "subscription_id",
        "vehicle_id",
    }
)
"""Path parameters naming a record of one lane."""
NAME_PARAMETERS = frozenset({"group_id"})
"""Path parameters that are names in the caller's own tenant, not records that must exist (a driver
group gets a tariff by name): any tenant's admin may use any name in its own tenant."""
TENANT_PARAMETERS = frozenset(
    {
        "tariff_id",
        "plan_id",
        "firmware_id",
        "campaign_id",
        "command_id",
        "alert_id",
        "reservation_id",
    }
)
"""Path parameters naming a record of the tenant as a whole (tenant-wide roles only)."""

MAY_BE_ABSENT = {
    ("GET", "/v1/alerts/{alert_id}"): "monitoring raises alerts; none is seeded",
    ("GET", "/v1/stations/{station_id}/reservations/{reservation_id}"): "a reservation needs a charger",
    ("GET", "/v1/commands/{command_id}/session"): "only a remote start's command has a session",
    ("GET", "/v1/firmware-campaigns/{campaign_id}"): "a campaign needs stations that booted (vendor, model)",
    ("GET", "/v1/driver/sessions/{session_id}/receipt"): "a receipt needs a CDR; the session is active",
}
"""GETs whose record the world does not hold: 404 is right for them even inside the reach. (Writes
inside a tenant-wide role's reach may answer 404 too: no station waits in /v1/stations/pending.)"""

DRIVE = "drive"
DRIVE_REACH: dict[str, str] = {"station_id": "tenant", "session_id": "account", "command_id": "account"}
"""Under ``drive`` (the driver app, scoped by the driver's account in shared/management/driver.py)
what a path or body parameter reaches: any station of the driver's tenant, its own account's sessions
and starts. Any other parameter is outside the reach."""
BODY_NAMES: dict[tuple[str, str], frozenset[str]] = {
    ("POST", "/v1/driver/sessions"): frozenset({"station_id"}),
}
"""Writes whose body names a record (beside the path): outside the caller's reach they are a 404."""
ALLOWED_REFUSALS: dict[tuple[str, str], dict[int, str]] = {
    ("POST", "/v1/driver/sessions"): {409: "the seeded stations never connected: they are offline"},
    ("POST", "/v1/driver/wallet/top-ups"): {409: "the seeded accounts have no saved card"},
}
"""What a route documents for a caller inside its reach, beside its success, in the seeded world."""
QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/v1/driver/stations"): {"latitude": "52.52", "longitude": "13.40", "radiusKm": "50"},
}
"""Required query parameters (every seeded site is at the same point)."""

LISTS_SHOW = {
    "/v1/sites": "site_id",
    "/v1/stations": "station_id",
    "/v1/sessions": "session_id",
    "/v1/id-tokens": "id_token",
    "/v1/billing-accounts": "billing_account_id",
    "/v1/invoices": "invoice_id",
    "/v1/subscriptions": "subscription_id",
    "/v1/revenue": "site_id",
    "/v1/revenue/export": "site_id",
    "/v1/driver/account": "billing_account_id",
    "/v1/driver/wallet": "wallet_id",
    "/v1/driver/sessions": "session_id",
    "/v1/driver/stations": "station_id",
}
"""Lists that must hold the caller's own record of each lane it may see (filters must not hide it)."""

PROFILE = {
    "evseId": 1,
    "profile": {
        "id": 7,
        "stackLevel": 0,
        "purpose": "TxDefaultProfile",
        "kind": "Relative",
        "schedules": [{"rateUnit": "A", "periods": [{"startPeriod": 0, "limit": 16}]}],
    },
}
VARIABLE = {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}}

BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/v1/sites"): {"name": "New site"},
    ("PATCH", "/v1/sites/{site_id}"): {"gridLimitAmps": 40},
    ("POST", "/v1/sites/{site_id}/grid-signals"): {
        "kind": "importLimit",
        "startsAt": "2026-11-27T17:00:00Z",
        "endsAt": "2026-11-27T19:00:00Z",
        "value": 40,
    },
    ("POST", "/v1/sites/{site_id}/measurements"): {"baseLoadKw": [4.5]},
    ("PATCH", "/v1/sessions/{session_id}/demand"): {"energyWantedKwh": 20},
    ("PATCH", "/v1/stations/{station_id}"): {"blocked": True},
    ("PATCH", "/v1/id-tokens/{id_token}"): {"status": "Blocked"},
    ("POST", "/v1/stations/{station_id}/commands"): {"action": "ClearCache"},
    ("POST", "/v1/stations/{station_id}/remote-start"): {"idToken": "{id_token}"},
    ("POST", "/v1/stations/{station_id}/remote-stop"): {"evseId": 1},
    ("POST", "/v1/stations/{station_id}/reset"): {},
    ("POST", "/v1/stations/{station_id}/availability"): {"operative": False, "evseId": 1},
    ("POST", "/v1/stations/{station_id}/unlock"): {"evseId": 1},
    ("POST", "/v1/stations/{station_id}/trigger"): {"message": "Heartbeat"},
    ("POST", "/v1/stations/{station_id}/data-transfer"): {"vendorId": "com.acme"},
    ("POST", "/v1/stations/{station_id}/firmware"): {
        "location": "https://fw.example.com/f.bin",
        "retrieveAt": "2026-11-27T09:00:00Z",
    },
    ("POST", "/v1/stations/{station_id}/logs"): {"location": "https://logs.example.com/"},
    ("POST", "/v1/stations/{station_id}/charging-profiles"): PROFILE,
    ("POST", "/v1/stations/{station_id}/charging-profiles/clear"): {},
    ("POST", "/v1/stations/{station_id}/charging-profiles/report"): {},
    ("POST", "/v1/stations/{station_id}/composite-schedule"): {"evseId": 1, "duration": 3600},
    ("POST", "/v1/stations/{station_id}/reservations"): {
        "idToken": "{id_token}",
        "evseId": 1,
        "expiresAt": "2026-11-27T09:00:00Z",
    },
    ("POST", "/v1/stations/{station_id}/local-list"): {},
    ("POST", "/v1/stations/{station_id}/variables/read"): {"variables": [VARIABLE]},
    ("POST", "/v1/stations/{station_id}/variables/write"): {"variables": [{**VARIABLE, "value": "60"}]},
    ("POST", "/v1/stations/{station_id}/reports"): {},
    ("POST", "/v1/stations/{station_id}/diagnostics"): {},
    ("PATCH", "/v1/driver-groups/{group_id}"): {"tariffId": None},
    ("PATCH", "/v1/sites/{site_id}/revenue-split"): {"hostSharePercent": "10"},
    ("POST", "/v1/wallets/{wallet_id}/top-ups"): {"amount": "1.00"},
    ("PATCH", "/v1/subscriptions/{subscription_id}"): {"on": "2026-12-01", "cancel": True},
    ("POST", "/v1/invoices/{invoice_id}/refunds"): {},
    ("POST", "/v1/stations"): {"stationId": "CP-NEW"},
    ("POST", "/v1/id-tokens"): {"idToken": "TAG-NEW"},
    ("POST", "/v1/firmware"): {
        "version": "9.0.0",
        "vendor": "Acme",
        "models": ["X"],
        "checksumSha256": "1" * 64,
    },
    ("POST", "/v1/firmware-campaigns"): {"firmwareId": "{firmware_id}"},
    ("POST", "/v1/tariffs"): {
        "tariffId": "T-NEW",
        "currency": "EUR",
        "elements": [{"priceComponents": [{"type": "ENERGY", "price": "0.30"}]}],
    },
    ("PATCH", "/v1/billing/default-tariff"): {"tariffId": None},
    ("POST", "/v1/billing-accounts"): {"type": "PREPAID", "currency": "EUR"},
    ("POST", "/v1/billing-accounts/{billing_account_id}/vehicles"): {"name": "New van"},
    ("PATCH", "/v1/billing-accounts/{billing_account_id}/vehicles/{vehicle_id}"): {"batteryKwh": 60},
    ("POST", "/v1/plans"): {"name": "Plan", "currency": "EUR", "monthlyFee": "5.00"},
    ("POST", "/v1/subscriptions"): {
        "billingAccountId": "{billing_account_id}",
        "subscriberId": "{id_token}",
        "planId": "{plan_id}",
        "startsOn": "2026-12-01",
    },
    ("POST", "/v1/billing-alerts/redrive"): {"sessionId": "{session_id}"},
    ("POST", "/v1/webhooks/stripe"): {"type": "payment_intent.succeeded"},
    ("POST", "/v1/stations/pending/{station_id}/approve"): {},
    ("POST", "/v1/driver/sessions"): {"stationId": "{station_id}", "connectorId": 1},
    ("POST", "/v1/driver/wallet/top-ups"): {"amount": "1.00"},
}
"""A valid body for every operation that takes one (validation answers before the permission check);
``{name}`` is the lane's id of that name."""


# ---- the world --------------------------------------------------------------------------------


@dataclass
class World:
    env: PlatformUnderTest
    lanes: dict[str, dict[str, str]]
    """Lane → path parameter → a real id in it (the tenant-wide ones included)."""
    operations: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    """(METHOD, path template, operation) for every operation in the OpenAPI document."""


def _admin(tenant: str) -> dict[str, Any]:
    return {"sub": f"admin-of-{tenant}", "tenant_id": tenant, "cognito:groups": ["admin"]}


def _ok(answer: Answer, *statuses: int) -> Any:
    assert answer.status in statuses, answer.text
    return answer.body


def _seed_lane(env: PlatformUnderTest, tenant: str, lane: str, suffix: str, token: str) -> dict[str, str]:
    """A managed site, a station on it, an ID token paid by a prepaid account, a session there with
    the token (its demand set), measurements, a grid signal, an invoice, a subscription and a remote
    start with the token (as a driver's start on a 1.6 station is stored)."""
    admin = _admin(tenant)
    site, station, account = f"SITE-{suffix}", f"CP-{suffix}", f"ACC-{token.removeprefix('TAG-')}"
    _ok(
        send(
            "POST",
            "/v1/sites",
            body={"siteId": site, "name": site, "gridLimitAmps": 48, **BERLIN},
            claims=admin,
        ),
        201,
    )
    body = {"stationId": station, "siteId": site, "maxCurrentAmps": 32}
    _ok(send("POST", "/v1/stations", body=body, claims=admin), 201)
    _ok(send("POST", "/v1/id-tokens", body={"idToken": token}, claims=admin), 201)
    body = {"billingAccountId": account, "type": "PREPAID", "currency": "EUR", "idTokens": [token]}
    _ok(send("POST", "/v1/billing-accounts", body=body, claims=admin), 201)
    vehicle = f"VEH-{token.removeprefix('TAG-')}"
    body = {"vehicleId": vehicle, "name": vehicle, "idTokens": [token]}
    _ok(send("POST", f"/v1/billing-accounts/{account}/vehicles", body=body, claims=admin), 201)
    registration = env.platform.stations.get(station)
    assert registration is not None
    session_id = f"{station}:{registration.registration_id}:1"
    now = env.clock()
    session = Session(
        session_id=session_id,
        tenant_id=tenant,
        station_id=station,
        registration_id=registration.registration_id,
        site_id=site,
        evse_id=1,
        connector_id=1,
        transaction_id="1",
        protocol="ocpp1.6",
        id_token=token,
        started_at=now,
        created_at=now,
    )
    assert env.platform.sessions.create(session) is None
    _ok(send("PATCH", f"/v1/sessions/{session_id}/demand", body={"energyWantedKwh": 12}, claims=admin), 200)
    _ok(send("POST", f"/v1/sites/{site}/measurements", body={"baseLoadKw": [3.0]}, claims=admin), 201)
    signal = _ok(
        send(
            "POST",
            f"/v1/sites/{site}/grid-signals",
            body=BODIES[("POST", "/v1/sites/{site_id}/grid-signals")],
            claims=admin,
        ),
        201,
    )
    # the site's host gets a share: a property owner's revenue report is its hosts' lines only
    split = {"hostSharePercent": "10", "hostId": f"host-{suffix.lower()}"}
    _ok(send("PATCH", f"/v1/sites/{site}/revenue-split", body=split, claims=admin), 200)
    invoice_id = f"INV-{token.removeprefix('TAG-')}-1"
    line = InvoiceLine(
        description="Charging",
        session_id=session_id,
        site_id=site,
        quantity=Decimal("10"),
        unit="kWh",
        excl_vat=Decimal("3.00"),
        vat=Decimal("0.63"),
        incl_vat=Decimal("3.63"),
    )
    env.platform.billing.invoices.create_invoice(
        Invoice(
            invoice_id=invoice_id,
            tenant_id=tenant,
            billing_account_id=account,
            site_id=site,
            session_id=session_id,
            currency="EUR",
            lines=[line],
            total_excl_vat=Decimal("3.00"),
            total_vat=Decimal("0.63"),
            total_incl_vat=Decimal("3.63"),
            issued_at=now,
        )
    )
    _pay_and_split(env, tenant, invoice_id)
    start = Command(
        command_id=f"start-{suffix.lower()}-{registration.registration_id}",
        tenant_id=tenant,
        station_id=station,
        action="RemoteStartTransaction",
        payload={"idTag": token, "connectorId": 1},
        protocol="ocpp1.6",
        status=CommandStatus.ACCEPTED,
        response={"status": "Accepted"},
        created_at=now,
        timeout_at=now + timedelta(seconds=60),
        completed_at=now,
        expires_at=int(now.timestamp()) + 86400,
        registration_id=registration.registration_id,
    )
    env.platform.commands.create(start)
    subscription_id = f"SUB-{token.removeprefix('TAG-')}"
    body = {
        "subscriptionId": subscription_id,
        "billingAccountId": account,
        "subscriberId": token,
        "planId": f"PLAN-{tenant}",
        "startsOn": "2026-11-01",
    }
    _ok(send("POST", "/v1/subscriptions", body=body, claims=admin), 201)
    return {
        "site_id": site,
        "signal_id": signal["signalId"],
        "station_id": station,
        "session_id": session_id,
        "id_token": token,
        "billing_account_id": account,
        "wallet_id": account,
        "invoice_id": invoice_id,
        "subscription_id": subscription_id,
        "command_id": start.command_id,
        "vehicle_id": vehicle,
    }


def _pay_and_split(env: PlatformUnderTest, tenant: str, invoice_id: str) -> None:
    """The invoice paid and its revenue split: the site's revenue report has a line (shares)."""
    from shared.billing.payments.port import PaymentOutcome, PaymentStatus
    from shared.billing.tasks import SplitRevenueInput, mark_paid, split_revenue_task

    ports = env.platform.billing.ports()
    invoice = ports.invoices.invoice(tenant, invoice_id)
    assert invoice is not None
    outcome = PaymentOutcome(status=PaymentStatus.SUCCEEDED, provider="manual", provider_reference="cash")
    mark_paid(ports, invoice, outcome)
    split_revenue_task(ports, SplitRevenueInput(tenant_id=tenant, invoice_id=invoice_id))


def _seed_tenant(env: PlatformUnderTest, tenant: str) -> dict[str, str]:
    """What the tenant holds beside its lanes: a tariff, a plan, firmware."""
    admin = _admin(tenant)
    tariff = {
        "tariffId": f"T-{tenant}",
        "currency": "EUR",
        "elements": [{"priceComponents": [{"type": "ENERGY", "price": "0.25"}]}],
    }
    _ok(send("POST", "/v1/tariffs", body=tariff, claims=admin), 201)
    plan = {"planId": f"PLAN-{tenant}", "name": "Basic", "currency": "EUR", "monthlyFee": "5.00"}
    _ok(send("POST", "/v1/plans", body=plan, claims=admin), 201)
    firmware = _ok(
        send(
            "POST",
            "/v1/firmware",
            body={**BODIES[("POST", "/v1/firmware")], "version": f"1.0-{tenant}"},
            claims=admin,
        ),
        201,
    )
    return {
        "tariff_id": f"T-{tenant}",
        "plan_id": f"PLAN-{tenant}",
        "group_id": "fleet-group",
        "firmware_id": firmware["firmwareId"],
        "campaign_id": "fc-0123456789abcdef",
        "command_id": "0" * 32,
        "alert_id": "20261127T080000-0123abcd",
        "reservation_id": "1",
    }


def _seed(env: PlatformUnderTest) -> World:
    common_a = _seed_tenant(env, TENANT_A)
    common_b = _seed_tenant(env, TENANT_B)
    lanes = {
        ONE: {**common_a, **_seed_lane(env, TENANT_A, ONE, "ONE", "TAG-FLEET")},
        TWO: {**common_a, **_seed_lane(env, TENANT_A, TWO, "TWO", "TAG-DRIVER")},
        BRAVO: {**common_b, **_seed_lane(env, TENANT_B, BRAVO, "BRAVO", "TAG-BRAVO")},
    }
    _ok(send("POST", "/v1/id-tokens", body={"idToken": UNOWNED_TOKEN}, claims=_admin(TENANT_A)), 201)
    env.clock.advance(60)  # revenue reports cover bookings before now
    document = _ok(send("GET", OPENAPI_PATH, claims=None), 200)
    operations = [
        (method.upper(), path, operation)
        for path, methods in document["paths"].items()
        for method, operation in methods.items()
    ]
    return World(env, lanes, operations)


@pytest.fixture(scope="module")
def world() -> Iterator[World]:
    with operator_api_on_moto() as env:
        yield _seed(env)


# ---- callers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Caller:
    name: str
    tenant: str
    role: Role
    lane: str | None
    """The lane a scoped role may see; None for a tenant-wide role."""

    @property
    def claims(self) -> dict[str, Any]:
        claims: dict[str, Any] = {
            "sub": self.name,
            "tenant_id": self.tenant,
            "cognito:groups": [self.role.value],
        }
        if self.role in (Role.PROPERTY_OWNER, Role.ENERGY_PROVIDER):
            claims["site_ids"] = [f"SITE-{(self.lane or BRAVO).upper()}"]
        if self.role in (Role.FLEET_MANAGER, Role.DRIVER):
            claims["account_id"] = {ONE: "ACC-FLEET", TWO: "ACC-DRIVER"}.get(self.lane or "", "ACC-BRAVO")
        return claims

    def forbidden_markers(self, world: World, permission: str | None) -> list[str]:
        """Ids this caller must never see in a 2xx body under ``permission``: under ``drive`` the other
        lane's stations and sites are the tenant's public network, its account's records are not."""
        if self.tenant == TENANT_B:
            return [*LANE_MARKERS[ONE], *LANE_MARKERS[TWO], UNOWNED_TOKEN, TENANT_A.upper()]
        markers = list(LANE_MARKERS[BRAVO])
        if self.lane is not None:
            other = TWO if self.lane == ONE else ONE
            if permission == DRIVE:
                ids = world.lanes[other]
                markers += [*ACCOUNT_MARKERS[other], ids["session_id"], ids["command_id"], UNOWNED_TOKEN]
            else:
                markers += [*LANE_MARKERS[other], UNOWNED_TOKEN]
        return markers


_SCOPED_LANES = {
    Role.PROPERTY_OWNER: ONE,
    Role.ENERGY_PROVIDER: TWO,
    Role.FLEET_MANAGER: ONE,
    Role.DRIVER: TWO,
}
CALLERS = [
    *(Caller(f"{role.value}-of-a", TENANT_A, role, _SCOPED_LANES.get(role)) for role in Role),
    *(
        Caller(f"{role.value}-of-b", TENANT_B, role, BRAVO if role in _SCOPED_LANES else None)
        for role in Role
    ),
]


# ---- one call and what it must answer ---------------------------------------------------------


def _fill(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return re.sub(r"\{(\w+)\}", lambda match: ids[match.group(1)], value)
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    return value


@dataclass(frozen=True)
class Request:
    url: str
    body: Any
    query: dict[str, str] | None

    def send(self, method: str, caller: Caller) -> Answer:
        return send(method, self.url, body=self.body, claims=caller.claims, query=self.query)


def _request(method: str, path: str, operation: dict[str, Any], ids: dict[str, str]) -> Request:
    names = path_parameter_names(path)
    unknown = set(names) - LANE_PARAMETERS - TENANT_PARAMETERS - NAME_PARAMETERS
    assert not unknown, f"{method} {path}: no seeded id for path parameter(s) {unknown}; add them here"
    body = None
    if "requestBody" in operation:
        assert (method, path) in BODIES, f"{method} {path} takes a body: add a valid one to BODIES"
        body = _fill(BODIES[(method, path)], ids)
    required = {
        p["name"] for p in operation.get("parameters", []) if p["in"] == "query" and p.get("required")
    }
    query = QUERIES.get((method, path))
    assert required <= set(query or ()), f"{method} {path} requires {required}: add them to QUERIES"
    return Request(_fill(path, ids), body, query)


def _named(method: str, path: str) -> set[str]:
    """The records a call names: its path's parameters (not the names) and its body's (``BODY_NAMES``)."""
    return set(path_parameter_names(path)) - NAME_PARAMETERS | BODY_NAMES.get((method, path), frozenset())


def _in_reach(caller: Caller, operation: dict[str, Any], names: set[str], lane: str) -> bool:
    """Whether the records ``names`` names in ``lane`` are inside what ``caller`` may see."""
    reach = operation.get("x-roles", {}).get(caller.role.value)
    if caller.tenant != TENANT_A or reach is None:
        return False
    if reach == "tenant":
        return True
    if operation.get("x-permission") == DRIVE:
        return bool(names) and all(
            name in DRIVE_REACH and (DRIVE_REACH[name] == "tenant" or lane == caller.lane) for name in names
        )
    return bool(names) and names <= LANE_PARAMETERS and lane == caller.lane


def _own_lanes(caller: Caller, operation: dict[str, Any], parameter: str) -> list[str]:
    """The lanes whose record ``parameter`` names ``caller`` must find in a list."""
    reach = operation.get("x-roles", {}).get(caller.role.value)
    if reach == "tenant" or (
        operation.get("x-permission") == DRIVE and DRIVE_REACH.get(parameter) == "tenant"
    ):
        return [ONE, TWO]
    return [caller.lane] if caller.lane else []


def check(
    world: World, caller: Caller, method: str, path: str, operation: dict[str, Any], lane: str
) -> list[str]:
    """What is wrong with ``caller``'s answer to the operation on ``lane``'s ids (nothing: [])."""
    request = _request(method, path, operation, world.lanes[lane])
    url = request.url
    answer = request.send(method, caller)
    where = f"{caller.name} {method} {url}"
    if answer.status >= 500:
        return [f"{where}: {answer.status} {answer.text[:200]}"]
    permission = operation.get("x-permission")
    if permission is None:  # public (the signed webhook): never a change without a signature
        return [] if answer.status >= 400 else [f"{where}: public route answered {answer.status}"]
    reach = operation.get("x-roles", {}).get(caller.role.value)
    if reach is None:
        return (
            [] if answer.status == 403 else [f"{where}: role lacks '{permission}', answered {answer.status}"]
        )
    if answer.status == 403:
        return [f"{where}: role holds '{permission}' ({reach}), refused: {answer.text[:200]}"]
    problems: list[str] = []
    if answer.status < 300:
        text = answer.text.upper()
        problems += [
            f"{where}: 2xx body shows {marker}"
            for marker in caller.forbidden_markers(world, permission)
            if marker.upper() in text
        ]
    if names := _named(method, path):
        inside = _in_reach(caller, operation, names, lane)
        if not inside and answer.status != 404:
            problems.append(f"{where}: outside the caller's reach, answered {answer.status} (not 404)")
        if inside and method == "GET" and answer.status >= 300 and (method, path) not in MAY_BE_ABSENT:
            problems.append(
                f"{where}: inside the caller's reach, answered {answer.status}: {answer.text[:200]}"
            )
    elif method == "GET" and caller.tenant == TENANT_A:
        if answer.status >= 300:
            problems.append(f"{where}: a list inside the caller's reach answered {answer.status}")
        elif path in LISTS_SHOW:
            for own_lane in _own_lanes(caller, operation, LISTS_SHOW[path]):
                expected = world.lanes[own_lane][LISTS_SHOW[path]]
                if expected.upper() not in answer.text.upper():
                    problems.append(f"{where}: the caller's own {expected} is missing from the list")
    if method == "GET" and not path_parameter_names(path):
        problems += _filtered_by_lane(world, caller, path, operation, lane)
    return problems


QUERY_IDS = {"siteId": "site_id", "stationId": "station_id", "sessionId": "session_id"}
"""A list's filters that name a record: filtered to another lane's record, the list shows none of it."""


def _filtered_by_lane(
    world: World, caller: Caller, path: str, operation: dict[str, Any], lane: str
) -> list[str]:
    names = {parameter["name"] for parameter in operation.get("parameters", []) if parameter["in"] == "query"}
    query = {name: world.lanes[lane][QUERY_IDS[name]] for name in names & set(QUERY_IDS)}
    if not query:
        return []
    answer = send("GET", path, claims=caller.claims, query={**QUERIES.get(("GET", path), {}), **query})
    where = f"{caller.name} GET {path}?{query}"
    if answer.status >= 500:
        return [f"{where}: {answer.status}"]
    if answer.status >= 300:
        return []
    text = answer.text.upper()
    markers = caller.forbidden_markers(world, operation.get("x-permission"))
    return [f"{where}: 2xx body shows {marker}" for marker in markers if marker.upper() in text]


def _lanes_for(caller: Caller) -> list[str]:
    return [ONE] if caller.tenant == TENANT_B else [ONE, TWO]


def records_naming(*markers: str) -> list[str]:
    """Every stored item, in every table, that names one of ``markers`` (to show a write changed
    nothing of them)."""
    client = boto3.client("dynamodb", region_name="us-east-1")
    records: list[str] = []
    for table in client.list_tables()["TableNames"]:
        for page in client.get_paginator("scan").paginate(TableName=table):
            for item in page["Items"]:
                text = json.dumps(item, sort_keys=True)
                if any(marker in text for marker in markers):
                    records.append(text)
    return sorted(records)


def tenant_a_records() -> list[str]:
    """Every stored item of tenant A, in every table."""
    return records_naming(TENANT_A)


def _changed(before: list[str], after: list[str], what: str = "tenant A") -> list[str]:
    gone, new = set(before) - set(after), set(after) - set(before)
    return [f"{what} changed: -{item[:160]}" for item in sorted(gone)] + [
        f"{what} changed: +{item[:160]}" for item in sorted(new)
    ]


def _changes_inside_reach(
    caller: Caller, operation: dict[str, Any], method: str, path: str, lane: str
) -> bool:
    """A write the caller's role holds, on records inside its reach, or naming none (a scoped role
    acting on its own sites or account: what it changes is its own)."""
    reach = operation.get("x-roles", {}).get(caller.role.value)
    if reach is None or caller.tenant != TENANT_A:
        return False
    names = _named(method, path)
    return not names or _in_reach(caller, operation, names, lane)


def read_violations(world: World, caller: Caller) -> list[str]:
    return [
        problem
        for method, path, operation in world.operations
        if method == "GET"
        for lane in _lanes_for(caller)
        for problem in check(world, caller, method, path, operation, lane)
    ]


def write_violations(world: World, caller: Caller) -> list[str]:
    """Every write the caller may not make (no permission, or outside its reach): refused, and tenant A
    unchanged. Writes inside a scoped caller's reach (an energy provider's grid signal) run after
    that, and must succeed."""
    writes = [(m, p, o) for m, p, o in world.operations if m != "GET"]
    before = tenant_a_records()
    problems: list[str] = []
    allowed: list[tuple[str, str, dict[str, Any], str]] = []
    for method, path, operation in writes:
        for lane in _lanes_for(caller):
            if _changes_inside_reach(caller, operation, method, path, lane):
                allowed.append((method, path, operation, lane))
            else:
                problems += check(world, caller, method, path, operation, lane)
    problems += _changed(before, tenant_a_records())
    if caller.lane is None:
        return problems  # a tenant-wide role's own writes: test_own_tenant_writes_get_past_the_check
    # What the caller's own writes may not change: tenant B, and the other lane's account.
    untouchable = (TENANT_B, *ACCOUNT_MARKERS[TWO if caller.lane == ONE else ONE])
    before = records_naming(*untouchable)
    # deletes last: a write after one would find its record gone (a vehicle's PATCH after its DELETE)
    allowed.sort(key=lambda write: write[0] == "DELETE")
    for method, path, operation, lane in allowed:
        request = _request(method, path, operation, world.lanes[lane])
        answer = request.send(method, caller)
        where = f"{caller.name} {method} {request.url}: inside its reach"
        names_a_record = bool(_named(method, path) & LANE_PARAMETERS)
        documented = ALLOWED_REFUSALS.get((method, path))
        if documented is not None:
            wrong = answer.status >= 300 and answer.status not in documented
        else:
            wrong = answer.status in (403, *range(500, 600)) or (names_a_record and answer.status >= 300)
        if wrong:
            problems.append(f"{where}, answered {answer.status}: {answer.text[:200]}")
        elif answer.status < 300:
            text = answer.text.upper()
            markers = caller.forbidden_markers(world, operation.get("x-permission"))
            problems += [f"{where}: body shows {marker}" for marker in markers if marker.upper() in text]
    problems += _changed(before, records_naming(*untouchable), "tenant B or the other lane's account")
    return problems


# ---- the tests --------------------------------------------------------------------------------


def test_the_document_says_what_each_role_may_do(world: World) -> None:
    declared = {(method, re.sub(r"<(\w+)>", r"{\1}", path)) for method, path in ROUTE_PERMISSIONS}
    assert {(method, path) for method, path, _ in world.operations} == declared
    for method, path, operation in world.operations:
        permission = operation.get("x-permission")
        if permission is not None:
            assert operation["x-roles"] == reach_by_role(permission), (method, path)
        _request(method, path, operation, world.lanes[ONE])  # a body and ids for every operation


@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.name)
def test_reads_show_nothing_outside_the_callers_reach(world: World, caller: Caller) -> None:
    problems = read_violations(world, caller)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.name)
def test_writes_outside_the_callers_reach_are_refused_and_change_nothing(
    world: World, caller: Caller
) -> None:
    problems = write_violations(world, caller)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("breakage", "caller_name"),
    [
        ("covers_site", "property_owner-of-a"),
        ("covers_account", "fleet_manager-of-a"),
    ],
)
def test_a_broken_scope_check_is_caught(
    world: World, monkeypatch: pytest.MonkeyPatch, breakage: str, caller_name: str
) -> None:
    """The checks above can fail: with a scope that lets every site (or account) through, they report
    the other lane's records."""
    from shared.domain.tenancy import Scope

    monkeypatch.setattr(Scope, breakage, lambda self, _: True)
    caller = next(caller for caller in CALLERS if caller.name == caller_name)
    problems = read_violations(world, caller)
    assert any("outside the caller's reach" in problem for problem in problems), problems
    assert any("2xx body shows" in problem for problem in problems), problems


def test_a_driver_app_that_ignores_the_account_is_caught(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The driver routes scope themselves (``SELF_SCOPED``): with a driver module that takes every
    token for the driver's own, the checks report the other account's session and start."""
    from shared.management import driver

    monkeypatch.setattr(driver, "owns_token", lambda account, id_token: True)
    caller = next(caller for caller in CALLERS if caller.name == "driver-of-a")
    problems = read_violations(world, caller)
    assert any("/v1/driver/sessions/CP-ONE" in p and "outside the caller's reach" in p for p in problems), (
        problems
    )
    assert any("/v1/driver/starts/" in p and "outside the caller's reach" in p for p in problems), problems
    assert any("2xx body shows TAG-FLEET" in problem for problem in problems), problems


def test_own_tenant_writes_get_past_the_check(world: World) -> None:
    """Every role may make every write its grants hold in its own tenant: tenant B's, on its own ids
    (admin and operator all of them, the driver its account's; the writes change tenant B, which no
    other check reads), and tenant A stays as it was."""
    before = tenant_a_records()
    problems: list[str] = []
    for caller in CALLERS:
        if caller.tenant != TENANT_B:
            continue
        for method, path, operation in world.operations:
            if method == "GET" or caller.role.value not in operation.get("x-roles", {}):
                continue
            request = _request(method, path, operation, world.lanes[BRAVO])
            answer = request.send(method, caller)
            if answer.status in (401, 403) or answer.status >= 500:
                problems.append(f"{caller.name} {method} {request.url}: {answer.status} {answer.text[:200]}")
    problems += _changed(before, tenant_a_records())
    assert not problems, "\n".join(problems)


def _all_pages(path: str, claims: dict[str, Any], key: str) -> list[str]:
    seen: list[str] = []
    query: dict[str, str] = {"limit": "1"}
    for _ in range(10):
        page = _ok(send("GET", path, claims=claims, query=query), 200)
        seen += [item[key] for item in page["items"]]
        if not page.get("nextCursor"):
            return seen
        query = {"limit": "1", "cursor": page["nextCursor"]}
    raise AssertionError(f"{path}: more pages than records")


def test_a_scoped_list_pages_through_its_own_records(world: World) -> None:
    owner = {
        "sub": "owner-of-both",
        "tenant_id": TENANT_A,
        "cognito:groups": ["property_owner"],
        "site_ids": ["SITE-TWO", "SITE-GONE", "SITE-ONE", "SITE-BRAVO"],  # one unknown, one of tenant B
    }
    assert _all_pages("/v1/sites", owner, "siteId") == ["SITE-ONE", "SITE-TWO"]
    fleet = {**owner, "cognito:groups": ["fleet_manager"], "account_id": "ACC-FLEET"}
    assert _all_pages("/v1/id-tokens", fleet, "idToken") == ["TAG-FLEET"]
