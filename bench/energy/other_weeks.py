"""Ours against ASA on March 2019's other weeks (not the week the allocator was tuned on).

    python -m bench.energy.other_weeks [--jobs 1] [--only PATTERNS] [--resume]

Results go to ``bench/results/energy-other-weeks.json`` (rewritten after every simulation).
Each ASA week takes minutes to tens of minutes; run it on a quiet machine.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.energy import scenarios
from bench.energy.scenarios import Job

OUTPUT = scenarios.RESULTS_DIR / "energy-other-weeks.json"


def planned_jobs() -> list[Job]:
    jobs = []
    for week in scenarios.OTHER_WEEKS:
        for capacity, variant in ((30, "ideal"), (10, "ideal"), (30, "realistic")):
            jobs += [Job(a, variant, week.name, capacity) for a in ("Ours-energy", "ASA-energy")]
    return jobs


def run_job(job: Job) -> dict[str, Any]:
    if job.algorithm.startswith("ASA"):
        from bench.energy.baselines.run import run_job as run_baseline

        return run_baseline(job)
    from bench.energy.run import run_job as run_ours

    return run_ours(job)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--only", help="comma-separated glob patterns over algorithm|variant|window|kW")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args()
    jobs = planned_jobs()
    if args.only:
        patterns = args.only.split(",")
        jobs = [j for j in jobs if any(fnmatch.fnmatchcase(j.key, p) for p in patterns)]
    done: dict[str, dict[str, Any]] = {}
    if args.resume and args.output.exists():
        done = {Job.of(r).key: r for r in json.loads(args.output.read_text())["results"]}
    started = time.time()

    def save() -> None:
        payload = {
            "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "elapsed_s": round(time.time() - started, 1),
            "results": sorted(done.values(), key=lambda r: Job.of(r).key),
        }
        args.output.write_text(json.dumps(payload, indent=1, default=float) + "\n")

    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_job, job): job for job in jobs if job.key not in done}
        for future in as_completed(futures):
            job = futures[future]
            try:
                done[job.key] = future.result()
                print(f"{job.key}: {done[job.key]['energy_delivered_pct']:.2f} %", flush=True)
            except Exception as error:  # one failed simulation must not lose the others
                print(f"{job.key}: FAILED {error!r}", flush=True)
            save()
    for key in sorted(done):
        print(f"{key:<45} {done[key]['energy_delivered_pct']:7.2f} %")


if __name__ == "__main__":
    main()
