"""OCPP 2.0.1 cost in transaction responses (block I): the TransactionEvent that ends a transaction is
answered with totalCost, the figure the billing workflow charges for the session afterwards; without a
tariff, or when pricing fails, the answer has none and the event is stored as always."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from shared.billing.resolver import AssignmentScope
from shared.billing.tasks import PriceSessionInput, price_session_task
from shared.billing.wallets import AccountType
from shared.domain.events import SessionStopped
from shared.domain.sessions import SessionStatus
from shared.domain.sites import Site
from shared.domain.tenancy import Principal, Role
from shared.management import billing
from shared.storage.tables import BILLING_SETTINGS
from tests.builders import T0, PlatformUnderTest, a_station, an_id_token, platform_on_moto, session_id_of
from tests.station_harness import StationLink, connect, transaction_event

TENANT = "tenant-a"
ADMIN = Principal(tenant_id=TENANT, subject="admin", roles=frozenset({Role.ADMIN}))
D = Decimal


@pytest.fixture
def env() -> Iterator[PlatformUnderTest]:
    with platform_on_moto(last_seen_write_interval_seconds=0) as test_platform:
        platform = test_platform.platform
        platform.sites.create(
            Site(tenant_id=TENANT, site_id="depot", name="Depot", timezone="Europe/Berlin", created_at=T0)
        )
        platform.stations.create(a_station(site_id="depot"))
        platform.id_tokens.create(an_id_token())
        yield test_platform


def energy_tariff(tariff_id: str = "ENERGY-030", **component: Any) -> dict[str, Any]:
    return {
        "tariffId": tariff_id,
        "currency": "EUR",
        "elements": [{"priceComponents": [{"type": "ENERGY", "price": "0.30", "stepSize": 1, **component}]}],
    }


def price_station(env: PlatformUnderTest, document: dict[str, Any]) -> None:
    billing.create_tariff(env.platform, ADMIN, document)
    billing.assign_tariff(env.platform, ADMIN, AssignmentScope.STATION, "CP-1", document["tariffId"])


def charge(station: StationLink, transaction_id: str = "TX-1", stop_wh: float = 13_345) -> dict[str, Any]:
    """Started at 1,000 Wh, 5,000 Wh after half an hour, Ended an hour in at ``stop_wh``; the Ended reply."""
    started = transaction_event(
        "Started", 0, "2026-11-27T08:00:00Z", transaction_id, evse=1, id_token="TAG-1", meter_wh=1000
    )
    updated = transaction_event("Updated", 1, "2026-11-27T08:30:00Z", transaction_id, meter_wh=5000)
    ended = transaction_event(
        "Ended", 2, "2026-11-27T09:00:00Z", transaction_id, meter_wh=stop_wh, stoppedReason="Local"
    )
    for message_id, payload in ((f"{transaction_id}-s", started), (f"{transaction_id}-u", updated)):
        assert "totalCost" not in station.call(message_id, "TransactionEvent", payload)
    reply = station.call(f"{transaction_id}-e", "TransactionEvent", ended)
    assert isinstance(reply, dict), reply
    return reply


def test_an_ended_transaction_is_answered_with_its_cost(env: PlatformUnderTest) -> None:
    # Given a station priced at 0.30 EUR/kWh
    price_station(env, energy_tariff())

    # When a 2.0.1 transaction of 12,345 Wh ends
    reply = charge(connect(env))

    # Then the answer carries 12.345 kWh x 0.30 = 3.7035, rounded to the cent
    assert reply["totalCost"] == 3.70
    # and the session keeps the figure it was told
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", "TX-1"))
    assert session is not None and session.status is SessionStatus.COMPLETED
    assert (session.energy_wh, session.cost) == (12_345, D("3.70"))


def test_a_resent_end_gets_the_same_cost_and_writes_nothing(env: PlatformUnderTest) -> None:
    price_station(env, energy_tariff())
    station = connect(env)
    assert charge(station)["totalCost"] == 3.70
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", "TX-1"))
    assert session is not None

    resent = transaction_event("Ended", 2, "2026-11-27T09:00:00Z", meter_wh=13_345, stoppedReason="Local")
    assert station.call("again", "TransactionEvent", resent)["totalCost"] == 3.70

    again = env.platform.sessions.get(session.session_id)
    assert again is not None and again.version == session.version


def test_a_free_tariff_is_told_as_zero(env: PlatformUnderTest) -> None:
    # 2.0.1 TransactionEventResponse.totalCost: omitted means "not free"; a free transaction is 0.00
    price_station(env, energy_tariff("FREE", price="0.00"))
    reply = charge(connect(env))
    assert "totalCost" in reply and reply["totalCost"] == 0


def test_without_a_tariff_the_end_has_no_cost(env: PlatformUnderTest) -> None:
    reply = charge(connect(env))

    assert "totalCost" not in reply
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", "TX-1"))
    assert session is not None and session.status is SessionStatus.COMPLETED
    assert (session.energy_wh, session.cost) == (12_345, None)


def test_a_pricing_failure_answers_without_cost_and_loses_nothing(env: PlatformUnderTest) -> None:
    # Given a tariff, then the billing settings table gone (as a DynamoDB error would look to pricing)
    price_station(env, energy_tariff())
    env.platform.dynamodb.delete_table(TableName=env.platform.settings.table_name(BILLING_SETTINGS))

    # When the transaction ends
    reply = charge(connect(env))

    # Then the answer has no cost, and the end is stored and announced as always
    assert "totalCost" not in reply
    session = env.platform.sessions.get(session_id_of(env.platform, "CP-1", "TX-1"))
    assert session is not None and session.status is SessionStatus.COMPLETED
    assert (session.energy_wh, session.stop_reason, session.cost) == (12_345, "Local", None)
    assert len(env.platform.meter_values.for_session(session.session_id)) == 3
    assert [e.session.session_id for e in env.events.events if isinstance(e, SessionStopped)] == [
        session.session_id
    ]


def test_an_orphan_end_has_no_cost_until_its_start_arrives(env: PlatformUnderTest) -> None:
    # Given an end whose start has not arrived (offline replay out of order): billing will not price it yet
    price_station(env, energy_tariff())
    station = connect(env)
    ended = transaction_event("Ended", 1, "2026-11-27T09:00:00Z", meter_wh=13_345, offline=True)
    assert "totalCost" not in station.call("e", "TransactionEvent", ended)

    # When the start arrives (it completes the session and closes it again, for billing too)
    started = transaction_event(
        "Started", 0, "2026-11-27T08:00:00Z", evse=1, id_token="TAG-1", meter_wh=1000, offline=True
    )
    assert "totalCost" not in station.call("s", "TransactionEvent", started)

    # Then the session holds the cost billing charges, and the end, if resent, is told it
    session_id = session_id_of(env.platform, "CP-1", "TX-1")
    session = env.platform.sessions.get(session_id)
    charged = price_session_task(
        env.platform.billing.ports(), PriceSessionInput(tenant_id=TENANT, session_id=session_id)
    )
    assert session is not None and session.cost == charged.total == D("3.70")
    assert station.call("e2", "TransactionEvent", ended)["totalCost"] == 3.70


@pytest.mark.parametrize(
    "scenario",
    ["station tariff, no VAT", "driver group tariff with VAT, cheaper before 09:30 in Berlin"],
)
def test_the_cost_told_is_what_the_billing_workflow_charges(env: PlatformUnderTest, scenario: str) -> None:
    # Given the station's 0.30 EUR/kWh, and in the second case the driver's group priced by local time
    price_station(env, energy_tariff())
    if "driver group" in scenario:
        billing.create_tariff(
            env.platform,
            ADMIN,
            {
                "tariffId": "FLEET",
                "currency": "EUR",
                "elements": [
                    {
                        "priceComponents": [{"type": "ENERGY", "price": "0.30", "vat": 19, "stepSize": 1}],
                        "restrictions": {"startTime": "08:00", "endTime": "09:30"},
                    },
                    {"priceComponents": [{"type": "ENERGY", "price": "0.50", "vat": 19, "stepSize": 1}]},
                ],
            },
        )
        billing.assign_tariff(env.platform, ADMIN, AssignmentScope.DRIVER_GROUP, "fleet", "FLEET")
        billing.create_account(
            env.platform,
            ADMIN,
            billing_account_id="driver-1",
            type=AccountType.POSTPAID,
            currency="EUR",
            id_tokens=["TAG-1"],
            driver_groups=["fleet"],
            provider=None,
            provider_customer_id=None,
            provider_payment_method_id=None,
            overdraft_limit=D(0),
        )

    # When the transaction ends, and afterwards the billing workflow's price task runs for it
    told = charge(connect(env))["totalCost"]
    session_id = session_id_of(env.platform, "CP-1", "TX-1")
    charged = price_session_task(
        env.platform.billing.ports(), PriceSessionInput(tenant_id=TENANT, session_id=session_id)
    )

    # Then the station was told exactly the CDR's total
    assert D(str(told)) == charged.total and charged.currency == "EUR"
    if "driver group" in scenario:
        # 08:00-08:30Z is 09:00-09:30 in Berlin: 4,000 Wh at 0.30, then 8,345 Wh at 0.50, plus 19 % VAT
        assert charged.total == D("5.37") + D("1.02")
    else:
        assert charged.total == D("3.70")


def test_the_16_path_and_a_201_session_in_progress_never_import_billing() -> None:
    # A fresh interpreter: a 1.6 station boots, heartbeats and charges; a 2.0.1 station starts and meters
    script = textwrap.dedent(
        """
        import sys
        from tests.builders import a_station, an_id_token, platform_on_moto
        from tests.station_harness import V16, connect, transaction_event

        with platform_on_moto() as env:
            env.platform.stations.create(a_station())
            env.platform.stations.create(a_station(station_id="CP-2"))
            env.platform.id_tokens.create(an_id_token())
            old = connect(env, "CP-2", protocol=V16, connection_id="c16")
            boot = {"chargePointVendor": "Acme", "chargePointModel": "X1"}
            assert old.call("b", "BootNotification", boot)["status"] == "Accepted"
            old.call("h", "Heartbeat", {})
            start = {"connectorId": 1, "idTag": "TAG-1", "meterStart": 0, "timestamp": "2026-11-27T08:00:00Z"}
            tx = old.call("s", "StartTransaction", start)["transactionId"]
            stop = {"transactionId": tx, "meterStop": 5000, "timestamp": "2026-11-27T09:00:00Z"}
            old.call("t", "StopTransaction", stop)
            new = connect(env)
            new.call("s2", "TransactionEvent", transaction_event("Started", 0, "2026-11-27T08:00:00Z",
                      evse=1, id_token="TAG-1", meter_wh=0))
            new.call("u2", "TransactionEvent", transaction_event("Updated", 1, "2026-11-27T08:30:00Z",
                      meter_wh=100))
            assert env.platform.sessions.get  # the platform did work
            print(sorted(name for name in sys.modules if name.startswith("shared.billing")))
        """
    )
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=root, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"
