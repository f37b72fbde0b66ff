"""Billing on moto with the real state machines: the tables, the three workflows run by moto's interpreter
with ``functions/billing_tasks`` (and any override) as their Lambda tasks in this process, and a
scenario builder that sets up what a tenant needs through the management layer."""

from __future__ import annotations

import json
import os
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
from moto import mock_aws

from shared.billing.invoices import Invoice
from shared.billing.resolver import AssignmentScope
from shared.billing.wallets import AccountType
from shared.catalog import FUNCTIONS
from shared.domain.sessions import MeterValue, MeterValuesRecord, SampledValue, Session, SessionStatus
from shared.domain.sites import Site
from shared.domain.stations import Station
from shared.domain.tenancy import Principal, Role, Scope
from shared.management import billing
from shared.settings import Settings
from shared.storage.tables import ALL_TABLES, create_table_request
from shared.wiring import Platform, build_platform
from shared.workflows.billing import BILLING_WORKFLOWS
from shared.workflows.definitions import WorkflowSpec
from tools.local_platform.lambda_context import Handler
from tools.local_platform.step_functions import (
    EXECUTE_STATE_MACHINES,
    ExecutionResult,
    WorkflowRunner,
    in_process_workflows,
)

TENANT = "demo"
ADMIN = Principal(tenant_id=TENANT, subject="admin", roles=frozenset({Role.ADMIN}))
WHOLE_TENANT = Scope(tenant_id=TENANT, whole_tenant=True)
"""What an admin's token sees under any permission (for management functions that take a scope)."""
SITE = "depot"
STATION = "CP-1"
TOKEN = "TAG-1"
ACCOUNT = "driver-1"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def clear_warm_container_caches() -> None:
    """Handlers cache settings and clients per warm container (lru_cache): start each test cold."""
    for name, module in list(sys.modules.items()):
        if not name.startswith(("shared.", "functions.")):
            continue
        for attribute in list(vars(module).values()):
            cache_clear = getattr(attribute, "cache_clear", None)
            if callable(cache_clear) and getattr(attribute, "__module__", None) == name:
                cache_clear()


@dataclass
class BillingHarness:
    platform: Platform
    runner: WorkflowRunner
    stepfunctions: Any

    def start(self, workflow: str, payload: Mapping[str, Any], name: str | None = None) -> str:
        request: dict[str, Any] = {
            "stateMachineArn": self.runner.state_machine_arns[workflow],
            "input": json.dumps(payload),
        }
        # AWS names an unnamed execution with a UUID; moto names it "None" (and then refuses a second one)
        request["name"] = name or uuid.uuid4().hex
        return str(self.stepfunctions.start_execution(**request)["executionArn"])

    def wait(self, execution_arn: str, timeout: float = 60) -> ExecutionResult:
        return self.runner.wait(execution_arn, timeout)

    def executions(self, workflow: str) -> list[dict[str, Any]]:
        listed = self.stepfunctions.list_executions(stateMachineArn=self.runner.state_machine_arns[workflow])
        return list(listed["executions"])

    def wait_for_executions(self, workflow: str, count: int, timeout: float = 60) -> list[ExecutionResult]:
        deadline = time.monotonic() + timeout
        while len(self.executions(workflow)) < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{workflow}: {len(self.executions(workflow))} executions, wanted {count}")
            time.sleep(0.05)
        return [self.wait(execution["executionArn"], timeout) for execution in self.executions(workflow)]

    def invoices(self, session_id: str) -> list[Invoice]:
        return self.platform.billing.invoices.invoices_for_session(TENANT, session_id)


@contextmanager
def billing_on_moto(
    environment: Mapping[str, str] | None = None, handlers: Mapping[str, Handler] | None = None
) -> Iterator[BillingHarness]:
    clear_warm_container_caches()
    saved = dict(os.environ)
    try:
        with mock_aws(config=EXECUTE_STATE_MACHINES):
            client = boto3.client("dynamodb", region_name="us-east-1")
            for table in ALL_TABLES:
                client.create_table(**create_table_request(table))
            with in_process_workflows(BILLING_WORKFLOWS, functions=FUNCTIONS, handlers=handlers) as runner:
                # What CDK gives the functions: the ARNs of the workflows they start, and their settings.
                for name, arn in runner.state_machine_arns.items():
                    os.environ[WorkflowSpec.arn_env_var_for(name)] = arn
                os.environ["PAYMENT_RETRY_BASE_SECONDS"] = "0"
                os.environ.update(environment or {})
                clear_warm_container_caches()
                platform = build_platform(Settings(), dynamodb=client)
                yield BillingHarness(platform, runner, boto3.client("stepfunctions", region_name="us-east-1"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
        clear_warm_container_caches()


def energy_tariff(tariff_id: str = "ENERGY-030", price: str = "0.30") -> dict[str, Any]:
    return {
        "tariffId": tariff_id,
        "currency": "EUR",
        "elements": [{"priceComponents": [{"type": "ENERGY", "price": price, "stepSize": 1}]}],
    }


def set_up_tenant(
    platform: Platform,
    *,
    account_type: AccountType = AccountType.PREPAID,
    top_up: str | None = "50.00",
    payment_method: str | None = None,
    tariff: bool = True,
) -> None:
    """A site in Berlin shared 20 % with its host and 5 % with the platform, a station on it priced at
    0.30 EUR/kWh, and a driver account for TOKEN (a wallet with ``top_up``, or a Stripe card)."""
    platform.sites.create(
        Site(tenant_id=TENANT, site_id=SITE, name="Depot", timezone="Europe/Berlin", created_at=T0)
    )
    platform.stations.create(Station(station_id=STATION, tenant_id=TENANT, site_id=SITE, created_at=T0))
    billing.set_revenue_split(
        platform,
        ADMIN,
        SITE,
        host_id="host-1",
        host_share_percent=Decimal(20),
        platform_fee_percent=Decimal(5),
        platform_fee_fixed=Decimal(0),
    )
    if tariff:
        billing.create_tariff(platform, ADMIN, energy_tariff())
        billing.assign_tariff(platform, ADMIN, AssignmentScope.STATION, STATION, "ENERGY-030")
    card = account_type is AccountType.CARD
    billing.create_account(
        platform,
        ADMIN,
        billing_account_id=ACCOUNT,
        type=account_type,
        currency="EUR",
        id_tokens=[TOKEN],
        driver_groups=[],
        provider="stripe" if card else None,
        provider_customer_id="cus_1" if card else None,
        provider_payment_method_id=payment_method if card else None,
        overdraft_limit=Decimal(0),
    )
    if account_type is AccountType.PREPAID and top_up:
        billing.top_up_wallet(
            platform, ADMIN, ACCOUNT, amount=Decimal(top_up), top_up_id="first", provider="manual"
        )


def completed_session(
    platform: Platform,
    *,
    transaction_id: str = "1",
    start: datetime = T0,
    minutes: int = 60,
    energy_wh: int = 10_000,
    start_seen: bool = True,
) -> str:
    """A completed session on STATION for TOKEN, its register rising evenly, a reading every 10 min."""
    session_id = f"{STATION}:reg1:{transaction_id}"
    stop = start + timedelta(minutes=minutes)
    platform.sessions.create(
        Session(
            session_id=session_id,
            tenant_id=TENANT,
            station_id=STATION,
            registration_id="reg1",
            site_id=SITE,
            evse_id=1,
            connector_id=1,
            transaction_id=transaction_id,
            protocol="ocpp1.6",
            id_token=TOKEN,
            status=SessionStatus.COMPLETED,
            started_at=start,
            start_seen=start_seen,
            stopped_at=stop,
            meter_start_wh=0.0,
            meter_stop_wh=float(energy_wh),
            energy_wh=float(energy_wh),
            created_at=start,
        )
    )
    readings = [
        MeterValue(
            timestamp=start + timedelta(minutes=m),
            sampled_value=[
                SampledValue(
                    value=str(energy_wh * m // minutes), measurand="Energy.Active.Import.Register", unit="Wh"
                )
            ],
        )
        for m in range(0, minutes + 1, 10)
    ]
    platform.meter_values.record(
        MeterValuesRecord(
            session_id=session_id,
            sample_key=f"{stop.isoformat()}#1",
            tenant_id=TENANT,
            station_id=STATION,
            evse_id=1,
            transaction_id=transaction_id,
            source="MeterValues",
            meter_values=readings,
            received_at=stop,
        )
    )
    return session_id
