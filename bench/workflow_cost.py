"""What the Step Functions workflows cost, counted from the histories of executions run here: billing per
charger-month (issue 15) and a firmware campaign over 1,000 stations (issue 16). Prints its figures and
writes bench/results/workflow-cost.json.

    .venv/bin/python -m bench.workflow_cost [--sessions 5] [--subscriptions 3] [--chargers 10]

Billing runs on moto with the billing state machines and the real ``billing_tasks`` handler (the harness
tests/billing uses; card payments against the Stripe stand-in). The campaign runs on the local platform
with simulated chargers and a 1 s tick (the e2e test's set-up). A transition is a state entered in an
execution's history (``*StateEntered``) plus each retry of a task (a further ``*Scheduled`` in the same
state), as AWS bills Standard workflows. Express bills requests and duration instead: the duration
measured here is moto's and our handlers' on this machine, not the cloud's.
"""

from __future__ import annotations

import os

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_NAMESPACE": "Csms",
    }
)

import argparse
import asyncio
import contextlib
import hashlib
import itertools
import json
import math
import statistics
import sys
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).parent / "results" / "workflow-cost.json"
RUN_LOG = Path(tempfile.gettempdir()) / "workflow-cost-run.log"
STANDARD_USD_PER_TRANSITION = 25 / 1_000_000
EXPRESS_USD_PER_REQUEST = 1 / 1_000_000
EXPRESS_USD_PER_GB_SECOND = 0.00001667
EXPRESS_BILLED_MB = 64
"""Express bills the memory the execution uses (its state and data), in 64 MB chunks; our payloads are a
few KB, so one chunk. Not the Lambda tasks' memory: those are billed by Lambda."""
EXPRESS_BILLED_MS = 100
"""Express duration is rounded up to the next 100 ms."""
SESSIONS_PER_CHARGER_MONTH = 120
"""The reference workload (aws-facts.md; issue 15, "Cost by design"): 4 sessions a day for 30 days."""
BUDGET_PER_CHARGER_MONTH = 0.002
"""Issue 15: billing adds at most $0.002 per charger-month."""


@dataclass(frozen=True)
class Counted:
    """One execution, counted from its history."""

    workflow: str
    status: str
    transitions: int
    """States entered plus task retries: what AWS bills a Standard execution."""
    retries: int
    lambda_invocations: int
    duration_ms: float
    entered: dict[str, int] = field(default_factory=dict)
    """States entered, by name."""
    map_iteration_transitions: int = 0
    """Of the states entered, those inside a Map state's iterations."""


def _history(client: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    request: dict[str, Any] = {"executionArn": execution_arn, "maxResults": 1000}
    while True:
        page = client.get_execution_history(**request)
        events.extend(page["events"])
        if not page.get("nextToken"):
            return events
        request["nextToken"] = page["nextToken"]


def count_execution(client: Any, workflow: str, execution_arn: str) -> Counted:
    """A task's retries are its invocations beyond one per entry (``*Scheduled`` minus ``TaskStateEntered``:
    a Map's iterations interleave their events, so retries cannot be read from event order)."""
    description = client.describe_execution(executionArn=execution_arn)
    entered: Counter[str] = Counter()
    task_entries = invocations = in_map = map_iteration_transitions = 0
    for event in _history(client, execution_arn):
        kind = str(event["type"])
        if kind == "MapStateExited":
            in_map -= 1
        if kind.endswith("StateEntered"):
            entered[str(event["stateEnteredEventDetails"]["name"])] += 1
            task_entries += kind == "TaskStateEntered"
            map_iteration_transitions += in_map > 0
        if kind == "MapStateEntered":
            in_map += 1
        elif kind in ("LambdaFunctionScheduled", "TaskScheduled"):
            invocations += 1
    retries = invocations - task_entries
    stopped = description.get("stopDate")
    duration = (stopped - description["startDate"]).total_seconds() * 1000 if stopped else math.nan
    return Counted(
        workflow=workflow,
        status=str(description["status"]),
        transitions=sum(entered.values()) + retries,
        retries=retries,
        lambda_invocations=invocations,
        duration_ms=duration,
        entered=dict(entered),
        map_iteration_transitions=map_iteration_transitions,
    )


def tick_period_seconds(client: Any, execution_arn: str, state: str) -> float:
    """Mean time between two entries of ``state`` (a driver's Advance): the tick plus the Advance itself."""
    entered = [
        event["timestamp"]
        for event in _history(client, execution_arn)
        if str(event["type"]).endswith("StateEntered") and event["stateEnteredEventDetails"]["name"] == state
    ]
    gaps = [(later - earlier).total_seconds() for earlier, later in itertools.pairwise(entered)]
    return statistics.fmean(gaps) if gaps else math.nan


def express_usd(duration_ms: float) -> float:
    billed_seconds = math.ceil(duration_ms / EXPRESS_BILLED_MS) * EXPRESS_BILLED_MS / 1000
    return EXPRESS_USD_PER_REQUEST + billed_seconds * EXPRESS_BILLED_MB / 1024 * EXPRESS_USD_PER_GB_SECOND


def standard_usd(transitions: float) -> float:
    return transitions * STANDARD_USD_PER_TRANSITION


def _summary(runs: Iterable[Counted]) -> dict[str, Any]:
    listed = list(runs)
    transitions = [run.transitions for run in listed]
    durations = [run.duration_ms for run in listed]
    return {
        "executions": len(listed),
        "statuses": dict(Counter(run.status for run in listed)),
        "transitionsMean": statistics.fmean(transitions),
        "transitionsMin": min(transitions),
        "transitionsMax": max(transitions),
        "retries": sum(run.retries for run in listed),
        "lambdaInvocationsMean": statistics.fmean(run.lambda_invocations for run in listed),
        "durationMsMean": round(statistics.fmean(durations), 1),
        "durationMsMax": round(max(durations), 1),
        "enteredStates": dict(sum((Counter(run.entered) for run in listed), Counter())),
    }


# --- billing ---------------------------------------------------------------------------------------------


def _card_harness_secret(standin_url: str) -> str:
    import boto3

    secrets = boto3.client("secretsmanager", region_name="us-east-1")
    created = secrets.create_secret(
        Name="csms/stripe",
        SecretString=json.dumps(
            {"apiKey": "sk_test_standin", "webhookSecret": "whsec_test", "apiBase": standin_url}
        ),
    )
    return str(created["ARN"])


def _session_runs(harness: Any, session_ids: list[str]) -> list[Counted]:
    from tests.billing.platform_harness import TENANT

    counted = []
    for session_id in session_ids:
        arn = harness.start("billing_session", {"tenantId": TENANT, "sessionId": session_id})
        result = harness.wait(arn)
        if result.status != "SUCCEEDED":
            raise RuntimeError(f"billing_session {session_id}: {result.status} {result.cause}")
        counted.append(count_execution(harness.stepfunctions, "billing_session", arn))
    return counted


def run_billing(sessions: int, subscriptions: int) -> dict[str, Any]:
    """Wallet-paid sessions through billing_session, one billing_monthly over ``subscriptions``, and card
    payments the issuer declines: once (paid on attempt 2) and always (parked after attempt 6)."""
    from datetime import date

    from shared.billing.subscriptions import SubscriberType
    from shared.billing.wallets import AccountType
    from shared.billing.workflow_tasks import SUBSCRIPTIONS_PAGE
    from shared.management import billing
    from shared.settings import Settings
    from shared.wiring import build_platform
    from tests.billing.platform_harness import (
        ACCOUNT,
        ADMIN,
        T0,
        billing_on_moto,
        clear_warm_container_caches,
        completed_session,
        set_up_tenant,
    )
    from tests.billing.stripe_standin import running_standin

    with billing_on_moto() as harness:
        set_up_tenant(harness.platform, top_up="1000.00")
        session_ids = [
            completed_session(harness.platform, transaction_id=str(n), start=T0 + timedelta(hours=3 * n))
            for n in range(1, sessions + 1)
        ]
        session_runs = _session_runs(harness, session_ids)
        billing.create_plan(
            harness.platform, ADMIN, plan_id="basic", name="Basic", currency="EUR", monthly_fee=Decimal(10)
        )
        for number in range(1, subscriptions + 1):
            billing.create_subscription(
                harness.platform,
                ADMIN,
                subscription_id=f"sub-{number}",
                billing_account_id=ACCOUNT,
                subscriber_type=SubscriberType.DRIVER,
                subscriber_id=f"driver-{number}",
                plan_id="basic",
                starts_on=date(2026, 2, 1),
            )
        monthly_arn = harness.start(
            "billing_monthly", {"year": 2026, "month": 3, "cursor": None, "timeZone": "UTC"}
        )
        monthly_result = harness.wait(monthly_arn, timeout=120)
        if monthly_result.status != "SUCCEEDED":
            raise RuntimeError(f"billing_monthly: {monthly_result.status} {monthly_result.cause}")
        monthly = count_execution(harness.stepfunctions, "billing_monthly", monthly_arn)

    retry_cases: dict[str, dict[str, Any]] = {}
    for case, declines in (("paidOnAttempt2", 1), ("parkedAfterAttempt6", 99)):
        with running_standin() as standin, billing_on_moto() as harness:
            standin.declines_left["pm_card_tryAgainLater"] = declines
            os.environ["STRIPE_SECRET_ARN"] = _card_harness_secret(standin.url)
            clear_warm_container_caches()
            harness.platform = build_platform(Settings(), dynamodb=harness.platform.dynamodb)
            set_up_tenant(
                harness.platform, account_type=AccountType.CARD, payment_method="pm_card_tryAgainLater"
            )
            (session_run,) = _session_runs(harness, [completed_session(harness.platform)])
            harness.wait_for_executions("billing_payment_retry", 1)
            (listed,) = harness.executions("billing_payment_retry")
            retry = count_execution(harness.stepfunctions, "billing_payment_retry", listed["executionArn"])
            retry_cases[case] = {
                "stripeDeclines": min(declines, 6),
                "sessionExecution": asdict(session_run),
                "retryExecution": asdict(retry),
                "retryUsd": standard_usd(retry.transitions),
            }

    item_transitions = monthly.map_iteration_transitions
    per_subscription = item_transitions / subscriptions
    fixed = monthly.transitions - item_transitions
    return {
        "session": _summary(session_runs),
        "sessionRuns": [asdict(run) for run in session_runs],
        "monthly": {
            "subscriptions": subscriptions,
            "execution": asdict(monthly),
            "perSubscriptionTransitions": per_subscription,
            "fixedTransitionsPerPage": fixed,
            "subscriptionsPerPage": SUBSCRIPTIONS_PAGE,
        },
        "paymentRetry": retry_cases,
    }


def billing_per_charger_month(
    measured: Mapping[str, Any], subscriptions_per_charger: float, retried_share: float
) -> dict[str, Any]:
    session = measured["session"]
    express_session = express_usd(session["durationMsMean"])
    monthly = measured["monthly"]
    monthly_transitions_per_charger = subscriptions_per_charger * (
        monthly["perSubscriptionTransitions"]
        + monthly["fixedTransitionsPerPage"] / monthly["subscriptionsPerPage"]
    )
    retried = measured["paymentRetry"]["paidOnAttempt2"]["retryExecution"]["transitions"]
    lines = {
        "expressSessions": SESSIONS_PER_CHARGER_MONTH * express_session,
        "standardMonthly": standard_usd(monthly_transitions_per_charger),
        "standardPaymentRetries": standard_usd(SESSIONS_PER_CHARGER_MONTH * retried_share * retried),
    }
    total = sum(lines.values())
    per_session_budget = BUDGET_PER_CHARGER_MONTH / SESSIONS_PER_CHARGER_MONTH
    break_even_seconds = (per_session_budget - EXPRESS_USD_PER_REQUEST) / (
        EXPRESS_BILLED_MB / 1024 * EXPRESS_USD_PER_GB_SECOND
    )
    standard_session = standard_usd(session["transitionsMean"]) * SESSIONS_PER_CHARGER_MONTH
    return {
        "sessionsPerMonth": SESSIONS_PER_CHARGER_MONTH,
        "assumed": {
            "subscriptionsPerCharger": subscriptions_per_charger,
            "retriedSessionShare": retried_share,
            "expressBilledMemoryMb": EXPRESS_BILLED_MB,
            "expressDurationMs": session["durationMsMean"],
        },
        "expressUsdPerSession": express_session,
        "usd": lines,
        "totalUsd": total,
        "budgetUsd": BUDGET_PER_CHARGER_MONTH,
        "withinBudget": total <= BUDGET_PER_CHARGER_MONTH,
        "expressBreakEvenSecondsPerSession": round(break_even_seconds, 1),
        "ifBillingSessionWereStandardUsd": standard_session,
        "formula": (
            "120 x ($1/M + ceil(d/100 ms) x 0.1 s x 64/1024 GB x $0.00001667)"
            " + subs x (t_sub + t_page/100) x $25/M + 120 x share x t_retry x $25/M"
        ),
    }


# --- firmware ---------------------------------------------------------------------------------------------

FAST_CAMPAIGNS = {"FIRMWARE_CAMPAIGN_TICK_SECONDS": "1", "FIRMWARE_RETRY_SECONDS": "1"}
NEW_VERSION = "2.0.0"


async def _until(operator: Any, path: str, done: Any, within: float) -> dict[str, Any]:
    async with asyncio.timeout(within):
        while True:
            status, body = await operator.call("GET", path)
            if status == 200 and done(body):
                return dict(body)
            await asyncio.sleep(0.25)


async def _campaign_on_local_platform(
    chargers: int, canary: int, max_concurrent: int, station_timeout: int
) -> dict[str, Any]:
    import aiohttp

    from tests.e2e.conftest import (
        DEMO_PASSWORD,
        OperatorClient,
        clear_warm_container_caches,
        start_charger,
    )
    from tools.local_platform import LocalPlatform, PlatformConfig
    from tools.simulator.device_management import simulator_image

    clear_warm_container_caches()
    state_dir = Path(tempfile.mkdtemp(prefix="workflow-cost-"))
    platform = LocalPlatform(
        PlatformConfig(gateway_port=0, moto_port=0, state_dir=state_dir, function_environment=FAST_CAMPAIGNS)
    )
    await platform.start()
    started: list[Any] = []
    try:
        async with aiohttp.ClientSession() as session:
            operator = OperatorClient(platform.endpoints.http_api_url, platform.demo_token, session)
            station_ids = [f"WF-{n:02d}" for n in range(1, chargers + 1)]
            for station_id in station_ids:
                status, body = await operator.call(
                    "POST", "/stations", {"stationId": station_id, "password": DEMO_PASSWORD}
                )
                if status != 201:
                    raise RuntimeError(f"station {station_id}: {status} {body}")
            for number, station_id in enumerate(station_ids, start=1):
                charger = await start_charger(
                    platform,
                    started,
                    station_id,
                    firmware_version="1.0.0",
                    firmware_outcome="Installed",
                    protocol="2.0.1" if number % 2 == 0 else "1.6",
                    firmware_step_seconds=30.0,
                )
                await charger.wait_until(lambda c: c.online and c.boot_status == "Accepted", within=60)
            image = simulator_image(NEW_VERSION)
            status, registered = await operator.call(
                "POST",
                "/firmware",
                {
                    "version": NEW_VERSION,
                    "vendor": "CSMS Simulator",
                    "models": ["SIM-AC22"],
                    "checksumSha256": hashlib.sha256(image).hexdigest(),
                    "sizeBytes": len(image),
                },
            )
            if status != 201:
                raise RuntimeError(f"firmware: {status} {registered}")
            upload = registered["upload"]
            async with session.put(upload["url"], data=image, headers=upload.get("headers") or {}) as put:
                put.raise_for_status()
            status, created = await operator.call(
                "POST",
                "/firmware-campaigns",
                {
                    "firmwareId": registered["firmwareId"],
                    "target": {"stationIds": station_ids},
                    "canarySize": canary,
                    "maxConcurrent": max_concurrent,
                    "failureThresholdPercent": 20,
                    "stationTimeoutSeconds": station_timeout,
                },
            )
            if status != 201:
                raise RuntimeError(f"campaign: {status} {created}")
            path = f"/firmware-campaigns/{created['campaignId']}"
            began = time.monotonic()
            await operator.call("POST", f"{path}/start")
            campaign = await _until(
                operator,
                path,
                lambda c: c["status"] in ("completed", "halted", "cancelled"),
                within=station_timeout + 120,
            )
            wall_seconds = time.monotonic() - began
        client = platform.aws_client("stepfunctions")
        arns = platform.workflows.state_machine_arns
        deadline = time.monotonic() + 60
        while True:
            listed = {
                name: client.list_executions(stateMachineArn=arns[name])["executions"]
                for name in ("firmware_campaign", "firmware_station_update")
            }
            if all(e["status"] != "RUNNING" for runs in listed.values() for e in runs):
                break
            if time.monotonic() > deadline:
                raise RuntimeError("campaign executions still RUNNING a minute after the campaign ended")
            await asyncio.sleep(0.25)
        (driver_listed,) = listed["firmware_campaign"]
        driver = count_execution(client, "firmware_campaign", driver_listed["executionArn"])
        stations = [
            count_execution(client, "firmware_station_update", e["executionArn"])
            for e in listed["firmware_station_update"]
        ]
        return {
            "campaign": {"status": campaign["status"], "counts": campaign["counts"]},
            "driverTickPeriodSeconds": round(
                tick_period_seconds(client, driver_listed["executionArn"], "Advance"), 2
            ),
            "wallSeconds": round(wall_seconds, 1),
            "driver": asdict(driver),
            "stations": _summary(stations),
        }
    finally:
        for charger in started:
            await charger.stop()
        await asyncio.sleep(1)  # the chargers' $disconnect invocations, before the workers stop
        await platform.stop()
        clear_warm_container_caches()


CAMPAIGN_ASSUMPTIONS = (
    "every station online, idle and installing on its first try, each taking the same D (the local run's"
    " D is seconds; the cloud's is the charger's download, install and reboot, not measured here)",
    "no time window (outside one the driver still looks every hour at most), no pause, no failures",
    "an offline station holds its wave until its deadline (stationTimeoutSeconds, 7200 by default):"
    " that round then takes floor(timeout / tick) + 1 Advances instead",
    "a station busy charging adds Prepare + Route + WaitToRetry (3 transitions) every firmware_retry_seconds"
    " until its session ends (not exercised in this run)",
    "the tick period is the Wait plus the Advance task; in the cloud the task's latency is ignored",
)


def campaign_rounds(total: int, canary: int, growth: float, max_concurrent: int) -> list[int]:
    """Per wave, how many rounds of at most ``max_concurrent`` stations it takes (a wave starts when the
    one before it has finished)."""
    from shared.firmware.rules import wave_sizes

    return [math.ceil(size / max_concurrent) for size in wave_sizes(total, canary, growth)]


def driver_advances(rounds: int, station_seconds: float, tick_seconds: float) -> int:
    """The driver's Advance runs: the first starts round 1; a round's stations are seen finished by the
    first tick after they end (floor(D / tick) + 1 ticks later), which starts the next round; the
    Advance after the last round completes the campaign."""
    return 1 + rounds * (math.floor(station_seconds / tick_seconds) + 1)


def firmware_extrapolation(
    measured: Mapping[str, Any],
    *,
    local_chargers: int,
    local_canary: int,
    local_max_concurrent: int,
    fleet: int,
    canary: int,
    max_concurrent: int,
    growth: float,
    station_seconds: float,
) -> dict[str, Any]:
    from shared.firmware.rules import wave_sizes
    from shared.settings import Settings

    driver = measured["driver"]
    advances_measured = driver["entered"].get("Advance", 0)
    per_tick = driver["transitions"] / advances_measured
    per_station = measured["stations"]["transitionsMean"]
    local_rounds = sum(campaign_rounds(local_chargers, local_canary, growth, local_max_concurrent))
    local_station_seconds = measured["stations"]["durationMsMean"] / 1000
    local_tick = float(measured["driverTickPeriodSeconds"])
    tick = Settings().firmware_campaign_tick_seconds
    rounds = campaign_rounds(fleet, canary, growth, max_concurrent)
    advances = driver_advances(sum(rounds), station_seconds, tick)
    driver_transitions = per_tick * advances
    station_transitions = per_station * fleet
    return {
        "measuredPerStationTransitions": per_station,
        "measuredDriverTransitionsPerAdvance": per_tick,
        "localCheck": {
            "rounds": local_rounds,
            "stationSecondsMean": round(local_station_seconds, 2),
            "tickPeriodSecondsMeasured": local_tick,
            "advancesPredicted": driver_advances(local_rounds, local_station_seconds, local_tick),
            "advancesMeasured": advances_measured,
        },
        "inputs": {
            "stations": fleet,
            "canarySize": canary,
            "maxConcurrent": max_concurrent,
            "waveGrowth": growth,
            "waves": wave_sizes(fleet, canary, growth),
            "roundsPerWave": rounds,
            "tickSeconds": tick,
            "assumedStationUpdateSeconds": station_seconds,
        },
        "advances": advances,
        "driverTransitions": driver_transitions,
        "stationTransitions": station_transitions,
        "totalTransitions": driver_transitions + station_transitions,
        "driverUsd": standard_usd(driver_transitions),
        "stationsUsd": standard_usd(station_transitions),
        "totalUsd": standard_usd(driver_transitions + station_transitions),
        "campaignHours": round(advances * tick / 3600, 2),
        "assumes": list(CAMPAIGN_ASSUMPTIONS),
        "formula": (
            "advances = 1 + sum(ceil(wave / maxConcurrent)) x (floor(D / tick) + 1); "
            "transitions = advances x t_advance + stations x t_station; USD = transitions x $25/M"
        ),
    }


# --- output ----------------------------------------------------------------------------------------------


def _print(result: Mapping[str, Any]) -> None:
    billing = result["billing"]
    session = billing["session"]
    print("billing (moto, real billing_tasks handler)")
    print(f"  {'execution':<54} {'runs':>4} {'transitions':>11} {'lambda':>6} {'ms (local)':>10}")
    print(
        f"  {'billing_session, wallet paid (Express)':<54} {session['executions']:>4}"
        f" {session['transitionsMean']:>11.1f} {session['lambdaInvocationsMean']:>6.1f}"
        f" {session['durationMsMean']:>10.0f}"
    )
    monthly = billing["monthly"]
    execution = monthly["execution"]
    print(
        f"  {'billing_monthly, ' + str(monthly['subscriptions']) + ' subscriptions (Standard)':<54} {1:>4}"
        f" {execution['transitions']:>11} {execution['lambda_invocations']:>6}"
        f" {execution['duration_ms']:>10.0f}"
    )
    for case, figures in billing["paymentRetry"].items():
        retry = figures["retryExecution"]
        print(
            f"  {'billing_payment_retry, ' + case + ' (Standard)':<54} {1:>4} {retry['transitions']:>11}"
            f" {retry['lambda_invocations']:>6} {retry['duration_ms']:>10.0f}"
        )
    print(
        f"  monthly: {monthly['perSubscriptionTransitions']:.1f} transitions per subscription"
        f" + {monthly['fixedTransitionsPerPage']} per page of {monthly['subscriptionsPerPage']}"
    )
    month = result["billingPerChargerMonth"]
    assumed = month["assumed"]
    print(f"per charger-month ({month['sessionsPerMonth']} sessions): {month['formula']}")
    print(
        f"  Express billing_session  ${month['usd']['expressSessions']:.6f}"
        f"  (${month['expressUsdPerSession']:.8f} a session at {assumed['expressDurationMs']:.0f} ms local,"
        f" {assumed['expressBilledMemoryMb']} MB)"
    )
    print(
        f"  Standard billing_monthly ${month['usd']['standardMonthly']:.6f}"
        f"  ({assumed['subscriptionsPerCharger']} subscription per charger, assumed)"
    )
    print(
        f"  Standard payment retries ${month['usd']['standardPaymentRetries']:.6f}"
        f"  ({assumed['retriedSessionShare']:.0%} of sessions retried once, assumed)"
    )
    verdict = "within" if month["withinBudget"] else "OVER"
    print(f"  total                    ${month['totalUsd']:.6f}  {verdict} the ${month['budgetUsd']} budget")
    print(
        f"  Express stays within budget up to {month['expressBreakEvenSecondsPerSession']} s a session;"
        f" billing_session as Standard would cost ${month['ifBillingSessionWereStandardUsd']:.4f}"
    )
    firmware = result["firmware"]
    measured = firmware["measured"]
    driver = measured["driver"]
    stations = measured["stations"]
    print(
        f"firmware campaign (local platform, {firmware['parameters']['chargers']} simulated chargers,"
        " 1 s tick):"
        f" {measured['campaign']['status']} {measured['campaign']['counts']} in {measured['wallSeconds']} s"
    )
    print(
        f"  driver firmware_campaign        {driver['transitions']:>5} transitions,"
        f" {driver['entered'].get('Advance', 0)} Advances, {driver['retries']} retries"
    )
    print(
        f"  firmware_station_update x {stations['executions']:<4}  {stations['transitionsMean']:>5.1f}"
        f" transitions each (min {stations['transitionsMin']}, max {stations['transitionsMax']}),"
        f" states {stations['enteredStates']}"
    )
    extrapolated = firmware["extrapolated"]
    check = extrapolated["localCheck"]
    print(
        f"  model check on the local run: {check['advancesPredicted']} Advances predicted"
        f" ({check['rounds']} rounds, D {check['stationSecondsMean']} s,"
        f" measured tick period {check['tickPeriodSecondsMeasured']} s),"
        f" {check['advancesMeasured']} measured"
    )
    inputs = extrapolated["inputs"]
    print(f"campaign over {inputs['stations']} stations: {extrapolated['formula']}")
    print(
        f"  inputs: waves {inputs['waves']}, rounds {inputs['roundsPerWave']},"
        f" tick {inputs['tickSeconds']} s,"
        f" D {inputs['assumedStationUpdateSeconds']:.0f} s (assumed)"
    )
    print(
        f"  driver   {extrapolated['advances']} Advances"
        f" x {extrapolated['measuredDriverTransitionsPerAdvance']:.1f}"
        f" = {extrapolated['driverTransitions']:.0f} transitions  ${extrapolated['driverUsd']:.4f}"
    )
    print(
        f"  stations {inputs['stations']} x {extrapolated['measuredPerStationTransitions']:.1f}"
        f" = {extrapolated['stationTransitions']:.0f} transitions  ${extrapolated['stationsUsd']:.4f}"
    )
    print(
        f"  total    {extrapolated['totalTransitions']:.0f} transitions  ${extrapolated['totalUsd']:.4f}"
        f" (about {extrapolated['campaignHours']} h)"
    )
    for assumption in extrapolated["assumes"]:
        print(f"  assumes: {assumption}")


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Everything the handlers, moto and the local platform write (EMF lines, parked-billing warnings,
    moto's failure traces), at the file-descriptor level: their log handlers hold the streams they were
    built with, so swapping ``sys.stdout`` would not catch them."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with path.open("wb") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=5, help="stopped sessions through billing_session")
    parser.add_argument("--subscriptions", type=int, default=3, help="subscriptions in the monthly run")
    parser.add_argument("--subscriptions-per-charger", type=float, default=1.0, help="assumed")
    parser.add_argument("--retried-share", type=float, default=0.05, help="assumed share of sessions retried")
    parser.add_argument("--chargers", type=int, default=10, help="simulated chargers in the campaign")
    parser.add_argument("--canary", type=int, default=2)
    parser.add_argument("--max-concurrent", type=int, default=3)
    parser.add_argument("--fleet", type=int, default=1000, help="stations of the extrapolated campaign")
    parser.add_argument("--fleet-canary", type=int, default=10)
    parser.add_argument("--fleet-max-concurrent", type=int, default=50)
    parser.add_argument(
        "--station-update-seconds", type=float, default=900, help="assumed: download, install, reboot"
    )
    arguments = parser.parse_args()
    warnings.filterwarnings("ignore", message="No application metrics to publish")

    print(f"running the workflows (handler and moto output goes to {RUN_LOG}) ...", flush=True)
    with _output_to(RUN_LOG):
        billing = run_billing(arguments.sessions, arguments.subscriptions)
        measured = asyncio.run(
            _campaign_on_local_platform(arguments.chargers, arguments.canary, arguments.max_concurrent, 60)
        )
    result = {
        "parameters": {
            "sessions": arguments.sessions,
            "subscriptions": arguments.subscriptions,
            "prices": {
                "standardUsdPerTransition": STANDARD_USD_PER_TRANSITION,
                "expressUsdPerRequest": EXPRESS_USD_PER_REQUEST,
                "expressUsdPerGbSecond": EXPRESS_USD_PER_GB_SECOND,
            },
            "note": "transitions counted from execution histories; durations are local (moto), not the cloud",
        },
        "billing": billing,
        "billingPerChargerMonth": billing_per_charger_month(
            billing, arguments.subscriptions_per_charger, arguments.retried_share
        ),
        "firmware": {
            "parameters": {
                "chargers": arguments.chargers,
                "canarySize": arguments.canary,
                "maxConcurrent": arguments.max_concurrent,
                "tickSeconds": int(FAST_CAMPAIGNS["FIRMWARE_CAMPAIGN_TICK_SECONDS"]),
            },
            "measured": measured,
            "extrapolated": firmware_extrapolation(
                measured,
                local_chargers=arguments.chargers,
                local_canary=arguments.canary,
                local_max_concurrent=arguments.max_concurrent,
                fleet=arguments.fleet,
                canary=arguments.fleet_canary,
                max_concurrent=arguments.fleet_max_concurrent,
                growth=2.0,
                station_seconds=arguments.station_update_seconds,
            ),
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    _print(result)
    print(f"written to {RESULTS}")


if __name__ == "__main__":
    main()
