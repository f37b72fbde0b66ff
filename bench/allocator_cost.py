"""What the load allocator costs in operation: wall time of a site run with its I/O (moto in-process)
at 10, 100 and 1,000 EVSEs, and at steady state the DynamoDB requests, Management API posts and
profile messages per EVSE-hour. Prints its figures and writes bench/results/allocator-cost.json.

    make bench-allocator    # or: .venv/bin/python -m bench.allocator_cost [--evses 10,100,1000]

The stations are OCPP 1.6 chargers driven through the gateway's handlers in-process (one 32 A EVSE
each, every one with a car charging), on a site whose grid limit gives each car about half of what it
could take, so the allocator has to share. Each run is what the scheduled rule does: ``run_site``;
the chargers accept every profile and the answers are delivered as the answers rule would. The
steady-state hour is ``--hour-runs`` scheduled runs a minute apart on the platform's clock with
nothing changing (no car arrives, leaves or changes its draw): the floor of what a site costs, the
15-minute refresh of each TxProfile included. A draw change or an arrival adds an early run. Sites
larger than ``LARGE_SITE`` EVSEs run ``--large-hour-runs`` of them (a quarter hour by default, scaled
to the hour) to keep the bench within minutes.

Not a test: nothing here asserts a speed. moto is far slower than DynamoDB (moto 5.2 serializes
every response attribute by attribute: a run reads its whole site partition, a few items per EVSE),
so the run times are an upper bound for the same code against DynamoDB; the time outside moto
(the run minus the time inside its DynamoDB calls) is what the allocator's own code costs. The
request and message counts are exact.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform as host
import shutil
import statistics
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

os.environ.update(
    {
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": "us-east-1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
        "POWERTOOLS_METRICS_NAMESPACE": "Csms",
        "POWERTOOLS_METRICS_DISABLED": "true",
    }
)

RESULTS = Path(__file__).parent / "results" / "allocator-cost.json"
READS = {"GetItem", "Query", "Scan", "BatchGetItem"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
TENANT, SITE, PASSWORD = "bench", "bench-site", "bench-password-1"
STATION_AMPS = 32.0
SHARE_OF_MAXIMUM = 0.5
"""The site's limit is this share of what all its cars could draw: the allocator always shares."""
LARGE_SITE = 500


class RequestCounter:
    """DynamoDB requests by operation, and the wall time spent inside them (in moto, here)."""

    def __init__(self) -> None:
        self.current: Counter[str] = Counter()
        self.seconds = 0.0
        self._started: float | None = None

    paused = False
    """The bench's own requests (its stand-in lease) are not the platform's."""

    def before(self, model: Any, **_: Any) -> None:
        if self.paused:
            return
        self.current[model.name] += 1
        self._started = time.perf_counter()

    def after(self, **_: Any) -> None:
        if self._started is not None:
            self.seconds += time.perf_counter() - self._started
            self._started = None

    def take(self) -> Counter[str]:
        taken, self.current = self.current, Counter()
        return taken

    def take_seconds(self) -> float:
        taken, self.seconds = self.seconds, 0.0
        return taken


class BenchCharger:
    """One 1.6J station with one EVSE, through the gateway's handlers, accepting what it is sent."""

    def __init__(self, env: Any, number: int) -> None:
        from tests.events import authorizer_event, connect_event, message_event

        self._message_event = message_event
        self.env = env
        self.station_id = f"BENCH-{number:04d}"
        self.tag = f"TAG-{number:04d}"
        self.connection_id = f"conn-{number:04d}"
        self.answered = 0
        from shared.gateway import websocket

        self._websocket = websocket
        decision = websocket.authorize_connection(
            env.platform, authorizer_event(self.station_id, password=PASSWORD)
        )
        self.authorizer = decision["context"]
        websocket.connect(env.platform, connect_event(self.authorizer, self.connection_id))
        self.send([2, "b1", "BootNotification", {"chargePointVendor": "Acme", "chargePointModel": "X"}])
        self.answer_all()
        start = {"connectorId": 1, "idTag": self.tag, "meterStart": 0, "timestamp": "2026-12-02T08:00:00Z"}
        self.send([2, "s1", "StartTransaction", start])

    def send(self, frame: Any) -> Any:
        event = self._message_event(self.authorizer, frame, self.connection_id)
        response = self._websocket.handle_message(self.env.platform, event)
        return json.loads(response["body"]) if "body" in response else None

    def calls(self) -> list[list[Any]]:
        return [f for f in self.env.connections.frames_to(self.connection_id) if f[0] == 2]

    def answer_all(self) -> None:
        calls = self.calls()
        for call in calls[self.answered :]:
            if call[2] == "GetConfiguration":
                key = {"key": "ChargingScheduleAllowedChargingRateUnit", "readonly": True, "value": "Current"}
                payload: dict[str, Any] = {"configurationKey": [key]}
            else:
                payload = {"status": "Accepted"}
            self.send([3, call[1], payload])
        self.answered = len(calls)


def _deliver_answers(env: Any) -> int:
    """What the allocator's answers rule would deliver: the CommandCompleted events so far."""
    from shared.domain.events import CommandCompleted

    events, env.events.events[:] = list(env.events.events), []
    allocator = env.platform.site_allocator
    delivered = 0
    for event in events:
        if isinstance(event, CommandCompleted):
            allocator.handle_event(event.detail_type, event.model_dump(mode="json", by_alias=True))
            delivered += 1
    return delivered


def _answer_and_deliver(env: Any, chargers: list[BenchCharger], counter: RequestCounter) -> None:
    """The chargers answer; their answers reach the allocator while a run holds the site, as a wave of
    answers arriving at once does in the cloud (each in its own invocation): the runs they ask for
    coalesce into one rerun (the lease's), instead of one full site run per answer in sequence."""
    energy = env.platform.energy
    for _ in range(4):
        for charger in chargers:
            charger.answer_all()
        counter.paused = True
        assert energy.acquire_lease(TENANT, SITE, "answers", time.time(), 600)
        counter.paused = False
        try:
            delivered = _deliver_answers(env)
        finally:
            counter.paused = True
            rerun = not energy.release_lease(TENANT, SITE, "answers")
            energy.release_lease(TENANT, SITE, "answers", force=True)
            counter.paused = False
        if rerun:
            env.platform.site_allocator.run_site(TENANT, SITE, "rerun")
        if not delivered:
            return


def _profiles_sent(env: Any) -> int:
    return sum(1 for _, frame in env.connections.posted if '"SetChargingProfile"' in frame)


def _requests(counted: Counter[str]) -> dict[str, int]:
    return {
        "reads": sum(n for name, n in counted.items() if name in READS),
        "writes": sum(n for name, n in counted.items() if name in WRITES),
    }


def measure(evses: int, hour_runs: int) -> dict[str, Any]:
    from shared.energy.records import SiteEnergy
    from shared.energy.site import EnergySite, StationPlacement
    from shared.gateway.passwords import hash_password
    from tests.builders import T0, a_station, an_id_token, platform_on_moto

    with platform_on_moto() as env:
        platform = env.platform
        counter = RequestCounter()
        platform.dynamodb.meta.events.register("before-call.dynamodb.*", counter.before)
        platform.dynamodb.meta.events.register("after-call.dynamodb.*", counter.after)
        limit = round(evses * STATION_AMPS * SHARE_OF_MAXIMUM, 1)
        platform.energy.put_site(
            SiteEnergy(
                tenant_id=TENANT,
                site_id=SITE,
                # in kW: a 1,000-EVSE site's per-phase amperes are beyond what a site's API input allows
                site=EnergySite(
                    site_id=SITE, grid_limit_kw=limit * 3 * 230.0 / 1000.0, fail_safe_current_amps=6.0
                ),
                updated_at=T0,
            )
        )
        password = hash_password(PASSWORD)
        for number in range(1, evses + 1):
            station_id = f"BENCH-{number:04d}"
            platform.stations.create(
                a_station(station_id=station_id, tenant_id=TENANT, site_id=SITE, password_hash=password)
            )
            platform.energy.put_placement(
                TENANT, StationPlacement(station_id=station_id, site_id=SITE, max_current_amps=STATION_AMPS)
            )
            platform.id_tokens.create(an_id_token(tenant_id=TENANT, id_token=f"TAG-{number:04d}"))
        set_up = time.perf_counter()
        chargers = [BenchCharger(env, number) for number in range(1, evses + 1)]
        set_up_seconds = time.perf_counter() - set_up
        allocator = platform.site_allocator

        def timed_run(trigger: str) -> tuple[float, float, Counter[str], int]:
            counter.take()
            counter.take_seconds()
            posted = len(env.connections.posted)
            started = time.perf_counter()
            allocator.run_site(TENANT, SITE, trigger)
            seconds = time.perf_counter() - started
            return seconds, counter.take_seconds(), counter.take(), len(env.connections.posted) - posted

        # the first runs: boot profiles and the smart charging configuration, then every car's profile
        first_seconds, first_in_moto, first_requests, first_posts = timed_run("session-started")
        _answer_and_deliver(env, chargers, counter)
        second_seconds, second_in_moto, second_requests, second_posts = timed_run("answer")
        _answer_and_deliver(env, chargers, counter)
        env.clock.advance(60)
        timed_run("schedule")
        _answer_and_deliver(env, chargers, counter)

        # a steady hour: a scheduled run every minute, answers delivered as they come
        counter.take()
        posts_before, profiles_before = len(env.connections.posted), _profiles_sent(env)
        run_seconds: list[float] = []
        outside_moto: list[float] = []
        hour_requests: Counter[str] = Counter()
        for _ in range(hour_runs):
            env.clock.advance(60)
            seconds, in_moto, requests, _ = timed_run("schedule")
            run_seconds.append(seconds)
            outside_moto.append(seconds - in_moto)
            hour_requests += requests
            _answer_and_deliver(env, chargers, counter)
            hour_requests += counter.take()  # the answers' handling (the answers rule's function)
        hours = hour_runs / 60
        per_evse_hour = {
            **{k: round(v / evses / hours, 3) for k, v in _requests(hour_requests).items()},
            "managementApiPosts": round((len(env.connections.posted) - posts_before) / evses / hours, 3),
            "profileMessages": round((_profiles_sent(env) - profiles_before) / evses / hours, 3),
        }
        return {
            "evses": evses,
            "steadyRuns": hour_runs,
            "siteLimitAmps": limit,
            "chargersSetUpSeconds": round(set_up_seconds, 2),
            "firstRun": {
                "seconds": round(first_seconds, 3),
                "outsideMotoSeconds": round(first_seconds - first_in_moto, 3),
                **_requests(first_requests),
                "managementApiPosts": first_posts,
            },
            "secondRun": {
                "seconds": round(second_seconds, 3),
                "outsideMotoSeconds": round(second_seconds - second_in_moto, 3),
                **_requests(second_requests),
                "managementApiPosts": second_posts,
            },
            "steadyRunSeconds": {
                "median": round(statistics.median(run_seconds), 3),
                "max": round(max(run_seconds), 3),
                "outsideMotoMedian": round(statistics.median(outside_moto), 3),
            },
            "steadyStatePerEvseHour": per_evse_hour,
        }


ALLOCATOR_HANDLER = "functions.allocator.handler"
ALLOCATOR_FIRST_USE = ("shared.energy.allocator", "numpy", "highspy")
"""numpy and HiGHS are imported on the first allocation, not with the handler."""


def allocator_cold_start(runs: int) -> dict[str, Any]:
    from bench.ocpp_throughput import bare_interpreter_ms, cold_start

    bare = bare_interpreter_ms(runs)
    return {
        "bareInterpreterMs": round(bare, 1),
        "runs": runs,
        **cold_start(ALLOCATOR_HANDLER, ALLOCATOR_FIRST_USE, runs, bare),
    }


def _tree_mb(root: Path) -> float:
    return round(sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / 1e6, 1)


def _zipped_mb(root: Path) -> float:
    with tempfile.TemporaryDirectory() as scratch:
        archive = shutil.make_archive(str(Path(scratch) / "asset"), "zip", root)
        return round(Path(archive).stat().st_size / 1e6, 1)


def bundle_sizes() -> dict[str, Any]:
    """The allocator's code asset against every other function's, built as ``make synth`` builds them
    (the Lambda platform's wheels from PyPI, bytecode compiled): unzipped and zipped MB."""
    from infra.bundling import PROJECT_ROOT, LocalPythonBundler

    sizes: dict[str, Any] = {}
    for name, extras in (("shared", ()), ("allocator", ("energy",))):
        with tempfile.TemporaryDirectory() as output:
            LocalPythonBundler(PROJECT_ROOT, install_dependencies=True, extras=extras).try_bundle(output)
            sizes[name] = {
                "extras": list(extras),
                "unzippedMb": _tree_mb(Path(output)),
                "zippedMb": _zipped_mb(Path(output)),
            }
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--evses", default="10,100,1000", help="comma-separated site sizes")
    parser.add_argument("--hour-runs", type=int, default=60, help="scheduled runs in the steady hour")
    parser.add_argument(
        "--large-hour-runs", type=int, default=15, help=f"steady runs on sites above {LARGE_SITE} EVSEs"
    )
    parser.add_argument("--cold-start-runs", type=int, default=7, help="0 skips the cold start")
    parser.add_argument("--no-bundle", action="store_true", help="skip building the code assets")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where the figures are written")
    arguments = parser.parse_args()
    sizes = [int(size) for size in arguments.evses.split(",")]
    results = []
    for size in sizes:
        # powertools prints a metrics batch whenever 100 accumulate outside a Lambda invocation
        with contextlib.redirect_stdout(open(os.devnull, "w")):
            figures = measure(size, arguments.hour_runs if size <= LARGE_SITE else arguments.large_hour_runs)
        results.append(figures)
        steady = figures["steadyStatePerEvseHour"]
        print(
            f"{size:>5} EVSEs: first run {figures['firstRun']['seconds']} s, second "
            f"{figures['secondRun']['seconds']} s, steady run median "
            f"{figures['steadyRunSeconds']['median']} s "
            f"(max {figures['steadyRunSeconds']['max']} s, outside moto "
            f"{figures['steadyRunSeconds']['outsideMotoMedian']} s); per EVSE-hour {steady['reads']} reads, "
            f"{steady['writes']} writes, {steady['managementApiPosts']} posts, "
            f"{steady['profileMessages']} profiles"
        )
    extra: dict[str, Any] = {}
    if arguments.cold_start_runs:
        extra["coldStart"] = allocator_cold_start(arguments.cold_start_runs)
        cold = extra["coldStart"]
        print(
            f"allocator cold start over a bare interpreter: {cold['overBareMs']} ms, with its first "
            f"allocation's imports {cold['withFirstUseImportsOverBareMs']} ms"
        )
    if not arguments.no_bundle:
        extra["codeAssets"] = bundle_sizes()
        for name, size in extra["codeAssets"].items():
            print(f"code asset {name}: {size['unzippedMb']} MB unzipped, {size['zippedMb']} MB zipped")
    payload = {
        "benchmark": "allocator-cost",
        "machine": {"python": host.python_version(), "processor": host.machine(), "cpus": os.cpu_count()},
        "parameters": {
            "hourRuns": arguments.hour_runs,
            "largeSiteHourRuns": arguments.large_hour_runs,
            "shareOfMaximum": SHARE_OF_MAXIMUM,
        },
        "sites": results,
        **extra,
    }
    output: Path = arguments.output
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(payload, indent=2) + "\n")
    print(f"written to {output}")


if __name__ == "__main__":
    main()
