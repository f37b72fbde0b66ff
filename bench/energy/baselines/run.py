"""The slow sweep: ASA (energy and profit configurations) and the offline optimum on acnportal.

    python -m bench.energy.baselines.run [--full] [--jobs 2] [--output PATH] [--resume] [--only PATTERNS]

Runs the jobs in priority order (the published-comparison check first) and rewrites the results
file after every finished job, so an interrupted sweep still leaves usable, clearly marked
(``"complete": false``) results.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import os
import platform
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.energy import scenarios
from bench.energy.baselines import asa
from bench.energy.scenarios import Job

SWEEP_CAPACITIES_KW = (10, 30, 20, 50)


def planned_jobs(windows: list[str]) -> list[Job]:
    """Priority order: the published-comparison check, then what the targets need, then the rest."""
    jobs: list[Job] = []
    for window in windows:
        jobs += [Job("ASA-energy", "ideal", window, 10)]
        jobs += [Job("Offline-optimal", "ideal", window, cap) for cap in SWEEP_CAPACITIES_KW]
        jobs += [Job("ASA-energy", "ideal", window, 30)]
        jobs += [Job("ASA-energy", "realistic", window, cap) for cap in (10, 30)]
        jobs += [Job("ASA-profit", "ideal", window, cap) for cap in (30, 50)]
        jobs += [Job("ASA-energy", "realistic", window, cap) for cap in (20, 50)]
        jobs += [Job("ASA-profit", "realistic", window, cap) for cap in (30, 50)]
        jobs += [Job("ASA-energy", "ideal", window, cap) for cap in (20, 50)]
        jobs += [
            Job("ASA-profit", variant, window, cap) for variant in ("ideal", "realistic") for cap in (10, 20)
        ]
    return jobs


def select_jobs(jobs: list[Job], patterns: list[str]) -> list[Job]:
    """The jobs whose key matches one of the glob ``patterns``, in the order the patterns are given,
    e.g. ``ASA-energy|ideal|month|10`` or ``*|month|*``."""
    selected: list[Job] = []
    for pattern in patterns:
        selected += [job for job in jobs if fnmatch.fnmatchcase(job.key, pattern) and job not in selected]
    return selected


def run_job(job: Job) -> dict[str, Any]:
    warnings.simplefilter("ignore")
    window = scenarios.WINDOWS[job.window]
    sessions = scenarios.sessions_in_window(scenarios.load_acn_sessions(), window)
    prepare = None
    if job.algorithm == "Offline-optimal":

        def make() -> Any:
            return asa.OfflineOptimal()

        prepare = asa.prepare_offline
    else:
        objective = asa.ENERGY_OBJECTIVE if job.algorithm == "ASA-energy" else asa.PROFIT_OBJECTIVE

        def make() -> Any:
            return asa.AdaptiveSchedulingAlgorithm(objective, realistic=job.variant == "realistic")

    holder: dict[str, Any] = {}

    def make_and_keep() -> Any:
        holder["algorithm"] = make()
        return holder["algorithm"]

    metrics = scenarios.run_simulation(
        make_and_keep, sessions, window.start, job.variant, job.capacity_kw, prepare
    )
    metrics["failed_solves"] = getattr(holder["algorithm"], "failed_solves", 0)
    return {**asdict(job), **metrics, "finished_at": datetime.now(UTC).isoformat(timespec="seconds")}


def environment() -> dict[str, Any]:
    return {
        "implementation": (
            "ASA re-implemented from the published formulation with cvxpy (adacharge is not on PyPI)"
        ),
        "solver": asa.SOLVER,
        "versions": {
            name: version(name) for name in ("acnportal", "cvxpy", "clarabel", "numpy", "scipy", "pandas")
        },
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }


def write_results(path: Path, jobs: list[Job], done: dict[str, dict[str, Any]], started: float) -> None:
    """``complete`` speaks of the planned jobs; results kept from earlier runs (say, the month after a
    week-only resume) stay in the file."""
    planned = {job.key for job in jobs}
    payload = {
        "complete": planned <= done.keys(),
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "elapsed_s": round(time.time() - started, 1),
        **environment(),
        "planned": [job.key for job in jobs],
        "not_run": [job.key for job in jobs if job.key not in done],
        "results": [done[job.key] for job in jobs if job.key in done]
        + [result for key, result in done.items() if key not in planned],
    }
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(payload, indent=1, default=float) + "\n")
    temporary.replace(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--full", action="store_true", help="also run the whole month of March 2019")
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, one scenario each")
    parser.add_argument("--output", type=Path, default=scenarios.RESULTS_DIR / "energy-baselines.json")
    parser.add_argument("--resume", action="store_true", help="keep results already in the output file")
    parser.add_argument(
        "--only",
        help="comma-separated glob patterns over algorithm|variant|window|kW; runs just those, in this order",
    )
    args = parser.parse_args()

    jobs = planned_jobs(["week", "month"] if args.full else ["week"])
    done: dict[str, dict[str, Any]] = {}
    if args.resume and args.output.exists():
        for result in json.loads(args.output.read_text())["results"]:
            done[Job.of(result).key] = result
    started = time.time()
    args.output.parent.mkdir(parents=True, exist_ok=True)
    write_results(args.output, jobs, done, started)
    selected = select_jobs(jobs, args.only.split(",")) if args.only else jobs
    pending = [job for job in selected if job.key not in done]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_job, job): job for job in pending}
        for future in as_completed(futures):
            job = futures[future]
            try:
                done[job.key] = future.result()
                r = done[job.key]
                print(
                    f"{job.key}: {r['energy_delivered_pct']:.1f} % delivered, profit ${r['profit_usd']:.0f}, "
                    f"{r['wall_s']:.0f} s",
                    flush=True,
                )
            except Exception as error:  # one failed scenario must not lose the others
                print(f"{job.key}: FAILED {error!r}", flush=True)
            write_results(args.output, jobs, done, started)


if __name__ == "__main__":
    main()
