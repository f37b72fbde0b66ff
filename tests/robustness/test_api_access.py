"""Issue 12: roles are checked in one declared place per route. Every route declares a permission,
the grants table says which roles hold it, and the API behaves as the table says for every route."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.api.access import (
    ACCOUNT_SCOPED_ROLES,
    GRANTS,
    REACH,
    SELF_SCOPED,
    SITE_SCOPED_ROLES,
    Permission,
    Reach,
    roles_holding,
)
from shared.api.app import app
from shared.api.routing import ROUTE_PERMISSIONS
from shared.catalog import HTTP_ROUTES, OPENAPI_PATH
from shared.domain.tenancy import Role
from tests.builders import PlatformUnderTest
from tests.events import claims_for
from tests.robustness.api_client import operator_api_on_moto, send

ROOT = Path(__file__).resolve().parents[2]


VALID_BODIES: dict[tuple[str, str], dict[str, object]] = {
    ("POST", "/v1/sites"): {"name": "Depot"},
    ("POST", "/v1/stations"): {"stationId": "CP-9"},
    ("POST", "/v1/id-tokens"): {"idToken": "TAG-9"},
    ("POST", "/v1/stations/<station_id>/commands"): {"action": "ClearCache"},
    ("POST", "/v1/stations/<station_id>/remote-start"): {"idToken": "TAG-9"},
    ("POST", "/v1/stations/<station_id>/remote-stop"): {"evseId": 1},
    ("POST", "/v1/stations/<station_id>/availability"): {"operative": False, "evseId": 1},
    ("POST", "/v1/stations/<station_id>/unlock"): {"evseId": 1},
    ("POST", "/v1/stations/<station_id>/trigger"): {"message": "Heartbeat"},
    ("POST", "/v1/stations/<station_id>/data-transfer"): {"vendorId": "com.acme"},
    ("POST", "/v1/stations/<station_id>/reservations"): {
        "idToken": "TAG-9",
        "evseId": 1,
        "expiresAt": "2026-11-27T09:00:00Z",
    },
    ("POST", "/v1/stations/<station_id>/variables/write"): {
        "variables": [
            {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "HeartbeatInterval"}, "value": "1"}
        ]
    },
    ("POST", "/v1/stations/<station_id>/firmware"): {
        "location": "https://fw.example.com/f.bin",
        "retrieveAt": "2026-11-27T09:00:00Z",
    },
    ("POST", "/v1/stations/<station_id>/logs"): {"location": "https://logs.example.com/"},
    ("POST", "/v1/stations/<station_id>/charging-profiles"): {
        "evseId": 1,
        "profile": {
            "id": 7,
            "stackLevel": 0,
            "purpose": "TxDefaultProfile",
            "kind": "Relative",
            "schedules": [{"rateUnit": "A", "periods": [{"startPeriod": 0, "limit": 16}]}],
        },
    },
    ("POST", "/v1/stations/<station_id>/composite-schedule"): {"evseId": 1, "duration": 3600},
    ("POST", "/v1/tariffs"): {
        "tariffId": "T-9",
        "currency": "EUR",
        "elements": [{"priceComponents": [{"type": "ENERGY", "price": "0.30"}]}],
    },
    ("PATCH", "/v1/driver-groups/<group_id>"): {"tariffId": None},
    ("PATCH", "/v1/billing/default-tariff"): {"tariffId": None},
    ("POST", "/v1/billing-accounts"): {"type": "PREPAID", "currency": "EUR"},
    ("POST", "/v1/wallets/<wallet_id>/top-ups"): {"amount": "1.00"},
    ("POST", "/v1/plans"): {"name": "Plan", "currency": "EUR", "monthlyFee": "5.00"},
    ("POST", "/v1/subscriptions"): {
        "billingAccountId": "A-1",
        "subscriberId": "D-1",
        "planId": "P-1",
        "startsOn": "2026-01-01",
    },
    ("PATCH", "/v1/subscriptions/<subscription_id>"): {"on": "2026-02-01", "cancel": True},
    ("POST", "/v1/billing-alerts/redrive"): {"sessionId": "CP-1:reg1:1"},
    ("POST", "/v1/firmware"): {
        "version": "2.0.0",
        "vendor": "Acme",
        "models": ["X"],
        "checksumSha256": "0" * 64,
    },
    ("POST", "/v1/firmware-campaigns"): {"firmwareId": "fw-1"},
    ("POST", "/v1/sites/<site_id>/grid-signals"): {
        "kind": "importLimit",
        "startsAt": "2026-11-27T17:00:00Z",
        "endsAt": "2026-11-27T19:00:00Z",
        "value": 40,
    },
    ("POST", "/v1/sites/<site_id>/measurements"): {"baseLoadKw": [4.5], "solarKw": [6.0, 5.5]},
    ("PATCH", "/v1/sessions/<session_id>/demand"): {"energyWantedKwh": 20},
    ("POST", "/v1/driver/sessions"): {"stationId": "CP-1", "connectorId": 1},
    ("POST", "/v1/driver/wallet/top-ups"): {"amount": "5.00"},
    ("POST", "/v1/billing-accounts/<billing_account_id>/vehicles"): {"name": "Van 1"},
}
"""Request validation runs before the permission check (powertools validates first), as it did when
each route called require_write itself: a refused role is shown with a request that is valid."""


VALID_QUERIES: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/v1/driver/stations"): {"latitude": "52.52", "longitude": "13.40"},
}
"""Required query parameters, validated before the permission check like bodies."""


def _query(method: str, path: str) -> dict[str, str] | None:
    return VALID_QUERIES.get((method, path))


def _body(method: str, path: str) -> dict[str, object] | None:
    return VALID_BODIES.get((method, path), {}) if method in ("POST", "PATCH") else None


def _concrete(path: str) -> str:
    concrete = {
        "session_id": "CP-1:reg1:1",
        "reservation_id": "1",
        "invoice_id": "INV-1",
        "campaign_id": "fc-0123456789abcdef",
        "alert_id": "20261127T080000-0123abcd",
    }
    return re.sub(r"<(\w+)>", lambda match: concrete.get(match.group(1), "CP-1"), path)


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with operator_api_on_moto() as test_platform:
        yield test_platform


PUBLIC = {
    (route.method, route.path) for route in HTTP_ROUTES if not route.authorized and route.path != OPENAPI_PATH
}
"""Routes without an operator token (a provider's signed webhook): declared public in the catalog."""
AUTHORIZED = {key: permission for key, permission in ROUTE_PERMISSIONS.items() if key not in PUBLIC}


def test_every_route_declares_its_permission() -> None:
    served = {(route.method, route.rule.pattern) for route in app._static_routes + app._dynamic_routes}
    assert len(served) == len(ROUTE_PERMISSIONS) + 1  # the OpenAPI document is the one undeclared route
    # only the routes the catalog declares public go without a permission
    assert {key for key, permission in ROUTE_PERMISSIONS.items() if permission is None} == PUBLIC
    assert all(isinstance(permission, Permission) for permission in AUTHORIZED.values())


def test_grants_table() -> None:
    tenant_wide = {Role.ADMIN, Role.OPERATOR, Role.VIEWER}
    assert roles_holding(Permission.READ) == tenant_wide
    assert roles_holding(Permission.WRITE) == {Role.ADMIN, Role.OPERATOR}
    assert roles_holding(Permission.REVENUE) == tenant_wide | {Role.PROPERTY_OWNER}
    assert roles_holding(Permission.SITES) == tenant_wide | {Role.PROPERTY_OWNER, Role.ENERGY_PROVIDER}
    assert roles_holding(Permission.STATIONS) == tenant_wide | {Role.PROPERTY_OWNER}
    assert roles_holding(Permission.SESSIONS) == tenant_wide | {
        Role.PROPERTY_OWNER,
        Role.FLEET_MANAGER,
        Role.DRIVER,
    }
    assert roles_holding(Permission.ENERGY) == tenant_wide | {Role.ENERGY_PROVIDER}
    assert roles_holding(Permission.GRID_SIGNALS) == {Role.ADMIN, Role.OPERATOR, Role.ENERGY_PROVIDER}
    assert roles_holding(Permission.ACCOUNTS) == tenant_wide | {Role.FLEET_MANAGER, Role.DRIVER}
    assert roles_holding(Permission.DRIVE) == {Role.DRIVER}
    assert set(GRANTS) == set(REACH) == set(Role)
    assert {role for role, reach in REACH.items() if reach is Reach.TENANT} == tenant_wide
    assert {Role.PROPERTY_OWNER, Role.ENERGY_PROVIDER} == SITE_SCOPED_ROLES
    assert {Role.FLEET_MANAGER, Role.DRIVER} == ACCOUNT_SCOPED_ROLES
    # only the driver app checks its records itself (by the driver's account), not by the path rules
    assert {Permission.DRIVE} == SELF_SCOPED


def test_site_and_fleet_roles_write_only_their_own_kind_of_record() -> None:
    # a property owner writes nothing, a fleet manager only its vehicles, an energy provider only
    # grid signals
    writes = {permission for (method, _), permission in ROUTE_PERMISSIONS.items() if method != "GET"}
    assert not writes & GRANTS[Role.PROPERTY_OWNER]
    assert writes & GRANTS[Role.FLEET_MANAGER] == {Permission.VEHICLES}
    assert writes & GRANTS[Role.ENERGY_PROVIDER] == {Permission.GRID_SIGNALS}


def _claims(role: Role) -> dict[str, object]:
    """A driver's token names its billing account (without one its routes are refused)."""
    claims = claims_for("tenant-a", role.value)
    return {**claims, "account_id": "acct-1"} if role is Role.DRIVER else claims


@pytest.mark.parametrize(("method", "path"), sorted(AUTHORIZED))
def test_a_role_without_the_permission_is_refused(env: PlatformUnderTest, method: str, path: str) -> None:
    permission = ROUTE_PERMISSIONS[(method, path)]
    assert permission is not None
    for role in set(Role) - roles_holding(permission):
        answer = send(method, _concrete(path), body=_body(method, path), query=_query(method, path),
                      claims=claims_for("tenant-a", role.value))  # fmt: skip
        assert answer.status == 403, (role, answer.text)
    no_role = send(
        method, _concrete(path), claims={"sub": "x", "tenant_id": "tenant-a", "cognito:groups": "[]"}
    )
    assert no_role.status in (400, 403)  # a body check may answer first; the route itself never runs


@pytest.mark.parametrize(("method", "path"), sorted(AUTHORIZED))
def test_a_role_with_the_permission_gets_past_the_check(
    env: PlatformUnderTest, method: str, path: str
) -> None:
    permission = ROUTE_PERMISSIONS[(method, path)]
    assert permission is not None
    for role in roles_holding(permission):
        answer = send(method, _concrete(path), body=_body(method, path), query=_query(method, path),
                      claims=_claims(role))  # fmt: skip
        assert answer.status != 403 and answer.status < 500, (role, answer.text)


def test_the_openapi_document_needs_no_token(env: PlatformUnderTest) -> None:
    assert send("GET", OPENAPI_PATH, claims=None).status == 200


def test_token_without_tenant_is_forbidden_everywhere(env: PlatformUnderTest) -> None:
    for method, path in AUTHORIZED:
        if method == "GET":
            assert (
                send(
                    method,
                    _concrete(path),
                    query=VALID_QUERIES.get((method, path)),
                    claims={"sub": "x", "cognito:groups": "[admin]"},
                ).status
                == 403
            )


def test_no_require_calls_outside_the_access_table() -> None:
    # roles are checked by the route's declared permission, nowhere else in the API or management
    for folder in ("shared/api", "shared/management"):
        for module in (ROOT / folder).rglob("*.py"):
            assert "require_read" not in module.read_text() and "require_write" not in module.read_text(), (
                module
            )


def _imported_modules(source: str) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_management_does_not_import_the_api() -> None:
    # management returns domain objects; the API maps them to its views (the arrow runs one way)
    for module in (ROOT / "shared/management").rglob("*.py"):
        assert not [
            name for name in _imported_modules(module.read_text()) if name.startswith("shared.api")
        ], module
