"""A fleet of simulated OCPP 1.6J chargers against the local platform (``make bench-fleet``; not a test).

    .venv/bin/python -m bench.fleet [--chargers 1000] [--connect-rate 25] [--heartbeats 2] [--meter-values 3]

Starts ``csms-local`` as its own process, registers the stations (with OCPP passwords) and an ID tag through
the operator API, then runs the chargers (tools/simulator): each connects (ramped at ``--connect-rate``
per second), boots, sends its status notifications, heartbeats, charges once (Authorize, StartTransaction,
``--meter-values`` MeterValues, StopTransaction) and disconnects. Prints and writes
bench/results/fleet.json.

**Lost** is counted two ways, and must be 0:
- *lost calls*: CALLs a charger sent that got neither a CALLRESULT nor a CALLERROR (each charger logs
  every CALL's message id; a retried call that was answered the second time still counts its first try);
- *missing records*: for each charger, read back through the operator API after the run: its station
  without the boot's vendor/model, a session not Completed, a session whose energy differs from the
  charger's, or fewer stored meter values than the MeterValues calls it sent.

Also: completion (chargers that did all of the above), CALLERRORs, connection failures, latency percentiles
per action (CALL sent → answer received, as the charger sees it), and the platform's peak memory: the sum
over its process tree (main process, fork server, function workers) of RSS, and of PSS, which counts pages
shared between the forked workers once.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform as host
import re
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tools.simulator import ChargerSettings, SimulatedCharger
from tools.simulator.call_log import CallRecord

RESULTS = Path(__file__).parent / "results" / "fleet.json"
PASSWORD = "fleet-bench-password"
ID_TAG = "FLEET-TAG"


# --- the platform's process tree --------------------------------------------------------------


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        with contextlib.suppress(OSError):
            found += [int(child) for child in task.read_text().split()]
    return found


def _tree(pid: int) -> list[int]:
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        pending += _children(current)
    return pids


def _memory_kb(pid: int) -> tuple[int, int]:
    """(RSS, PSS) of one process, in KB; (0, 0) once it is gone."""
    rss = pss = 0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    return rss, pss


@dataclass
class MemorySampler:
    pid: int
    peak_rss_mb: float = 0.0
    peak_pss_mb: float = 0.0
    peak_main_rss_mb: float = 0.0
    peak_processes: int = 0
    timeline: list[tuple[float, float]] = field(default_factory=list)
    """(seconds since start, PSS MB), one point every 5 s."""

    async def run(self) -> None:
        started = time.monotonic()
        last_point = -10.0
        while True:
            pids = _tree(self.pid)
            sizes = [_memory_kb(pid) for pid in pids]
            rss = sum(size[0] for size in sizes) / 1024
            pss = sum(size[1] for size in sizes) / 1024
            self.peak_rss_mb = max(self.peak_rss_mb, rss)
            self.peak_pss_mb = max(self.peak_pss_mb, pss)
            self.peak_main_rss_mb = max(self.peak_main_rss_mb, sizes[0][0] / 1024 if sizes else 0)
            self.peak_processes = max(self.peak_processes, len(pids))
            elapsed = time.monotonic() - started
            if elapsed - last_point >= 5:
                self.timeline.append((round(elapsed, 1), round(pss, 1)))
                last_point = elapsed
            await asyncio.sleep(0.5)


# --- the run ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Platform:
    process: asyncio.subprocess.Process
    websocket_url: str
    api_url: str
    token: str
    log: Path


async def start_platform(state_dir: Path, arguments: argparse.Namespace) -> Platform:
    log = state_dir / "platform.log"
    command = [sys.executable, "-m", "tools.local_platform", "--port", "0", "--moto-port", "0"]
    command += [
        "--state-dir",
        str(state_dir),
        "--log-level",
        arguments.log_level,
        "--isolation",
        arguments.isolation,
    ]
    with log.open("wb") as output:
        process = await asyncio.create_subprocess_exec(
            *command,
            stdout=output,
            stderr=asyncio.subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    async with asyncio.timeout(120):
        while True:
            text = log.read_text(errors="replace")
            websocket = re.search(r"(ws://\S+/ocpp)/<stationId>", text)
            api = re.search(r"Operator API\s+(\S+?)/\.\.\.", text)
            if websocket and api and (state_dir / "operator-token").exists():
                break
            if process.returncode is not None:
                raise SystemExit(f"csms-local exited:\n{text}")
            await asyncio.sleep(0.2)
    token = (state_dir / "operator-token").read_text().strip()
    return Platform(process, websocket[1], api[1], token, log)


async def register(platform: Platform, station_ids: list[str], concurrency: int) -> None:
    headers = {"Authorization": f"Bearer {platform.token}"}
    limit = asyncio.Semaphore(concurrency)
    async with aiohttp.ClientSession(headers=headers) as http:
        async with http.post(f"{platform.api_url}/id-tokens", json={"idToken": ID_TAG}) as response:
            assert response.status in (201, 409), await response.text()

        async def one(station_id: str) -> None:
            async with (
                limit,
                http.post(
                    f"{platform.api_url}/stations", json={"stationId": station_id, "password": PASSWORD}
                ) as response,
            ):
                if response.status != 201:
                    raise SystemExit(f"registering {station_id}: {response.status} {await response.text()}")

        await asyncio.gather(*(one(station_id) for station_id in station_ids))


def charger_settings(station_id: str, url: str, arguments: argparse.Namespace) -> ChargerSettings:
    meter_interval = 60.0
    return ChargerSettings(
        station_id=station_id,
        url=url,
        password=PASSWORD,
        id_tag=ID_TAG,
        connectors=1,
        sessions=1,
        # n meter values: the session lasts n+1 intervals (the last one ends in StopTransaction)
        session_seconds=meter_interval * (arguments.meter_values + 1) - 1,
        meter_interval_seconds=meter_interval,
        time_scale=meter_interval / arguments.meter_interval_real,
        heartbeat_seconds=arguments.heartbeat_real,
        reconnect_delay_seconds=1.0,
        response_timeout_seconds=arguments.response_timeout,
    )


def heartbeats_answered(charger: SimulatedCharger) -> int:
    return sum(1 for r in charger.call_log.calls.values() if r.action == "Heartbeat" and r.answer == "result")


def done(charger: SimulatedCharger, heartbeats: int) -> bool:
    return charger.planned_sessions_done.is_set() and heartbeats_answered(charger) >= heartbeats


async def run_fleet(
    platform: Platform, station_ids: list[str], arguments: argparse.Namespace
) -> dict[str, Any]:
    chargers = [
        SimulatedCharger(charger_settings(sid, platform.websocket_url, arguments)) for sid in station_ids
    ]
    started = time.monotonic()
    for number, charger in enumerate(chargers):
        await charger.start()
        await asyncio.sleep(max(0.0, started + (number + 1) / arguments.connect_rate - time.monotonic()))
    ramp_seconds = time.monotonic() - started
    deadline = started + ramp_seconds + arguments.deadline
    while time.monotonic() < deadline and not all(done(c, arguments.heartbeats) for c in chargers):  # noqa: ASYNC110
        await asyncio.sleep(0.5)
    run_seconds = time.monotonic() - started
    await asyncio.gather(*(stop_between_calls(charger, arguments.response_timeout) for charger in chargers))
    return {"chargers": chargers, "ramp_seconds": ramp_seconds, "run_seconds": run_seconds}


async def stop_between_calls(charger: SimulatedCharger, within: float) -> None:
    """Heartbeats go on until the charger stops: stop it when none of its calls is in flight, so that
    closing the socket does not itself lose an answer (a call still unanswered after ``within`` is lost)."""
    deadline = time.monotonic() + within
    while charger.call_log.unanswered() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.05)
    await charger.stop()


async def read_back(
    platform: Platform, chargers: list[SimulatedCharger], concurrency: int
) -> dict[str, list[str]]:
    """What the platform stored, per charger, compared with what the charger did."""
    headers = {"Authorization": f"Bearer {platform.token}"}
    limit = asyncio.Semaphore(concurrency)
    missing: dict[str, list[str]] = defaultdict(list)
    async with aiohttp.ClientSession(headers=headers, timeout=aiohttp.ClientTimeout(total=120)) as http:

        async def get(path: str) -> Any:
            async with limit, http.get(f"{platform.api_url}{path}") as response:
                if response.status != 200:
                    text = await response.text()
                    print(f"read-back GET {path}: {response.status} {text[:300]}", flush=True)
                    return response.status, text
                return response.status, await response.json()

        async def one(charger: SimulatedCharger) -> None:
            station_id = charger.settings.station_id
            status, station = await get(f"/stations/{station_id}")
            if status != 200 or station.get("vendor") != charger.settings.vendor:
                missing[station_id].append("station boot fields")
            status, listing = await get(f"/sessions?stationId={station_id}")
            sessions = listing.get("items", []) if status == 200 else []
            completed = charger.completed_transactions
            if len(sessions) != len(completed):
                missing[station_id].append(f"{len(sessions)} sessions stored for {len(completed)} charged")
            for transaction in completed:
                match = [s for s in sessions if s["transactionId"] == str(transaction.transaction_id)]
                if not match or match[0]["status"] != "Completed":
                    missing[station_id].append(f"session {transaction.transaction_id} not Completed")
                    continue
                if match[0]["energyWh"] != transaction.energy_wh:
                    missing[station_id].append(f"energy {match[0]['energyWh']} != {transaction.energy_wh}")
                status, detail = await get(f"/sessions/{match[0]['sessionId']}")
                sent = sum(
                    1
                    for record in charger.call_log.calls.values()
                    if record.action == "MeterValues" and record.answer == "result"
                )
                stored = len(detail.get("meterValues", [])) if status == 200 else 0
                if stored < sent:
                    missing[station_id].append(f"{stored} meter values stored for {sent} sent")

        await asyncio.gather(*(one(charger) for charger in chargers))
    return dict(missing)


def percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    ordered = sorted(values)
    cuts = statistics.quantiles(ordered, n=100, method="inclusive") if len(ordered) > 1 else [ordered[0]] * 99

    def ms(value: float) -> float:
        return round(value * 1000, 1)

    return {"p50": ms(cuts[49]), "p95": ms(cuts[94]), "p99": ms(cuts[98]), "max": ms(ordered[-1])}


def summarize(chargers: list[SimulatedCharger], heartbeats: int) -> dict[str, Any]:
    records: list[CallRecord] = [r for c in chargers for r in c.call_log.calls.values()]
    by_action: dict[str, list[float]] = defaultdict(list)
    for record in records:
        if record.latency_seconds is not None:
            by_action[record.action].append(record.latency_seconds)
    errors = Counter(r.answer for r in records if r.answer not in (None, "result"))
    unanswered = Counter(r.action for r in records if r.answered_at is None)
    return {
        "completed": sum(1 for c in chargers if done(c, heartbeats)),
        "calls_sent": len(records),
        "calls_by_action": dict(Counter(r.action for r in records)),
        "lost_calls": sum(unanswered.values()),
        "lost_calls_by_action": dict(unanswered),
        "call_errors": dict(errors),
        "connect_failures": dict(Counter(f for c in chargers for f in c.connect_failures)),
        "reconnects": sum(max(0, c.connect_count - 1) for c in chargers),
        "latency_ms": {"all": percentiles([v for vs in by_action.values() for v in vs])}
        | {action: percentiles(values) for action, values in sorted(by_action.items())},
    }


async def stop_platform(platform: Platform) -> float:
    started = time.monotonic()
    platform.process.send_signal(signal.SIGTERM)
    try:
        async with asyncio.timeout(60):
            await platform.process.wait()
    except TimeoutError:
        platform.process.kill()
        await platform.process.wait()
    return time.monotonic() - started


async def main(arguments: argparse.Namespace) -> dict[str, Any]:
    station_ids = [f"FLEET-{number:05d}" for number in range(1, arguments.chargers + 1)]
    with tempfile.TemporaryDirectory(prefix="bench-fleet-") as state:
        platform = await start_platform(Path(state), arguments)
        sampler = MemorySampler(platform.process.pid)
        sampling = asyncio.create_task(sampler.run())
        try:
            registered = time.monotonic()
            await register(platform, station_ids, concurrency=8)
            registration_seconds = time.monotonic() - registered
            print(f"registered {len(station_ids)} stations in {registration_seconds:.0f} s", flush=True)
            fleet = await run_fleet(platform, station_ids, arguments)
            chargers: list[SimulatedCharger] = fleet["chargers"]
            summary = summarize(chargers, arguments.heartbeats)
            print(f"fleet done in {fleet['run_seconds']:.0f} s; reading back…", flush=True)
            read_started = time.monotonic()
            missing = await read_back(platform, chargers, concurrency=8)
            read_seconds = time.monotonic() - read_started
        finally:
            stop_seconds = await stop_platform(platform)
            sampling.cancel()
        log_lines = platform.log.read_text(errors="replace").splitlines()
        failures = [n for n, line in enumerate(log_lines) if "Traceback" in line or " ERROR " in line]
        for number in failures[:3]:  # what a failed invocation said, for the record
            print("\n".join(log_lines[number : number + 30]), flush=True)
        stopped_at = max((n for n, line in enumerate(log_lines) if line.startswith("stopped in")), default=-1)
        function_stats = (
            [line.strip() for line in log_lines[stopped_at:]] if stopped_at >= 0 else log_lines[-5:]
        )
    frames = summary["calls_sent"]
    return {
        "chargers": arguments.chargers,
        "workload": {
            "connect_rate_per_second": arguments.connect_rate,
            "heartbeats": arguments.heartbeats,
            "heartbeat_interval_seconds": arguments.heartbeat_real,
            "meter_values": arguments.meter_values,
            "meter_interval_seconds": arguments.meter_interval_real,
            "password": True,
            "isolation": arguments.isolation,
        },
        **summary,
        "missing_records": sum(len(faults) for faults in missing.values()),
        "missing_records_examples": dict(list(missing.items())[:10]),
        "lost": summary["lost_calls"] + sum(len(faults) for faults in missing.values()),
        "seconds": {
            "registration": round(registration_seconds, 1),
            "connect_ramp": round(fleet["ramp_seconds"], 1),
            "fleet": round(fleet["run_seconds"], 1),
            "read_back": round(read_seconds, 1),
            "stop_after_sigterm": round(stop_seconds, 2),
        },
        "frames_per_second": round(frames / fleet["run_seconds"], 1) if fleet["run_seconds"] else None,
        "platform_memory_mb": {
            "peak_rss_sum": round(sampler.peak_rss_mb, 1),
            "peak_pss_sum": round(sampler.peak_pss_mb, 1),
            "peak_main_process_rss": round(sampler.peak_main_rss_mb, 1),
            "peak_processes": sampler.peak_processes,
            "pss_timeline": sampler.timeline,
        },
        "platform_exit": platform.process.returncode,
        "platform_functions": function_stats,
        "machine": {"cpus": os.cpu_count(), "python": host.python_version(), "load_average": os.getloadavg()},
    }


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="bench.fleet", description=__doc__.split("\n\n")[0])
    parser.add_argument("--chargers", type=int, default=1000)
    parser.add_argument("--connect-rate", type=float, default=25.0, help="new connections per second")
    parser.add_argument("--heartbeats", type=int, default=2, help="answered heartbeats each charger must see")
    parser.add_argument("--heartbeat-real", type=float, default=20.0, help="real seconds between heartbeats")
    parser.add_argument("--meter-values", type=int, default=3, help="MeterValues per session")
    parser.add_argument("--meter-interval-real", type=float, default=10.0, help="real seconds between them")
    parser.add_argument("--response-timeout", type=float, default=30.0, help="a charger's wait for an answer")
    parser.add_argument(
        "--deadline", type=float, default=600.0, help="seconds after the ramp before giving up"
    )
    parser.add_argument("--log-level", default="WARNING")
    parser.add_argument("--isolation", choices=("process", "thread"), default="process")
    parser.add_argument("--output", type=Path, default=RESULTS)
    return parser


def print_report(result: dict[str, Any]) -> None:
    memory = result["platform_memory_mb"]
    print(
        f"\n{result['chargers']} chargers: {result['completed']} completed, lost {result['lost']} "
        f"({result['lost_calls']} unanswered calls, {result['missing_records']} missing records)\n"
        f"  {result['calls_sent']} calls in {result['seconds']['fleet']} s "
        f"({result['frames_per_second']} /s), "
        f"CALLERRORs {result['call_errors'] or 0}, connect failures {result['connect_failures'] or 0}, "
        f"reconnects {result['reconnects']}\n"
        f"  latency ms (all): {result['latency_ms']['all']}\n"
        f"  platform peak memory: RSS {memory['peak_rss_sum']} MB (PSS {memory['peak_pss_sum']} MB) over "
        f"{memory['peak_processes']} processes; main process {memory['peak_main_process_rss']} MB\n"
        f"  stop after SIGTERM: {result['seconds']['stop_after_sigterm']} s (exit {result['platform_exit']})"
    )
    for line in result["platform_functions"]:
        print(f"  platform: {line}")
    for action, figures in result["latency_ms"].items():
        if action != "all":
            print(f"    {action:20s} {figures}")


def run(argv: list[str] | None = None) -> None:
    arguments = _parser().parse_args(argv)
    result = asyncio.run(main(arguments))
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    arguments.output.write_text(json.dumps(result, indent=2) + "\n")
    print_report(result)
    print(f"\nwritten to {arguments.output}")
    if result["lost"]:
        raise SystemExit(1)


if __name__ == "__main__":
    run()
