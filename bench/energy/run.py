"""The energy benchmark: our allocator against acnportal's baselines and the stored ASA figures.

    python -m bench.energy.run [--jobs 2] [--full] [--output bench/results/energy.json]

Every simulation is scored by ``scenarios.run_simulation`` (acnportal's own analysis and
feasibility check). ASA's energy and profit figures are read from ``energy-baselines.json``
(``make bench-energy-baselines``); ASA is only re-run here on one day, side by side with ours, to
time a scheduling call on the same machine in the same run. The results file is rewritten after
every simulation, with ``"complete": false`` until the plan has run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from bench.energy import scenarios
from bench.energy.scale import scale_figures
from bench.energy.scenarios import Job
from bench.energy.site_scenarios import SCENARIOS, SiteScenario

FAST_BASELINES = ("Uncontrolled", "RoundRobin", "EDF", "LLF")
SITE_ALGORITHMS = ("Ours-energy", "LLF", "EDF", "RoundRobin")
SITE_CAPACITIES = (30,)
SITE_CAPACITIES_FULL = (10, 30, 50)
OURS = ("Ours-energy", "Ours-profit")
TIMING_DAY_CAPACITY_KW = 30


def planned_jobs(full: bool) -> list[Job]:
    """The default: every algorithm on the week (both variants) at every capacity; ours (energy)
    and acnportal's baselines on the whole month (ideal, the published comparison's setting) at
    every capacity; ours against LLF on the synthetic month at 30 kW. ``full`` adds our profit
    configuration and the realistic variant on the month, and the synthetic month at every capacity."""
    everything = (*OURS, *FAST_BASELINES)
    jobs: list[Job] = []
    # Most telling first, so a cut-short run still answers the main question.
    for capacity in (10, 30, 20, 50, 40, 60, 80, 150):
        for variant in ("ideal", "realistic"):
            jobs += [Job(a, variant, "week", capacity) for a in everything]
    for capacity in (10, 30, 20, 50, 40, 60, 80, 150):
        # The published comparison is about energy: the profit configuration is on the week and
        # the synthetic month by default (it costs 3-5 times as much a call).
        month_algorithms = everything if full else ("Ours-energy", *FAST_BASELINES)
        jobs += [Job(a, "ideal", "month", capacity) for a in month_algorithms]
        if full:
            jobs += [Job(a, "realistic", "month", capacity) for a in everything]
    for capacity in scenarios.CAPACITIES_KW if full else (30,):
        for variant in ("ideal", "realistic"):
            jobs += [
                Job(a, variant, "synthetic-month", capacity) for a in ("Ours-energy", "Ours-profit", "LLF")
            ]
    # PV and a battery at the site (site_scenarios): ours with the platform's default objective
    # against the baselines, which keep within the import limit and know nothing of either.
    for capacity in SITE_CAPACITIES_FULL if full else SITE_CAPACITIES:
        for variant in ("ideal", "realistic") if full else ("ideal",):
            for scenario in SCENARIOS:
                jobs += [Job(a, variant, "week", capacity, scenario) for a in SITE_ALGORITHMS]
    return jobs


def make_algorithm(
    name: str, variant: scenarios.Variant, capacity_kw: float, site: SiteScenario | None = None
) -> Any:
    from acnportal import algorithms

    from bench.energy.ours import OurAllocator

    realistic = variant == "realistic"
    if name == "Ours-energy":
        return OurAllocator(capacity_kw, "energy", site=site)
    if name == "Ours-profit":
        return OurAllocator(capacity_kw, "profit", site=site)
    if name == "Uncontrolled":
        return algorithms.UncontrolledCharging()
    if name == "RoundRobin":
        return algorithms.RoundRobin(
            algorithms.first_come_first_served, continuous_inc=1, uninterrupted_charging=realistic
        )
    sort_by = {"EDF": algorithms.earliest_deadline_first, "LLF": algorithms.least_laxity_first}[name]
    if realistic:
        return algorithms.SortedSchedulingAlgo(
            sort_by,
            estimate_max_rate=True,
            max_rate_estimator=algorithms.SimpleRampdown(),
            uninterrupted_charging=True,
        )
    return algorithms.SortedSchedulingAlgo(sort_by)


def sessions_for(window: str) -> tuple[list[scenarios.SessionRecord], datetime]:
    if window == "synthetic-month":
        return scenarios.synthetic_workplace_sessions(), scenarios.SYNTHETIC_MONTH.start
    span = scenarios.WINDOWS[window]
    return scenarios.sessions_in_window(scenarios.load_acn_sessions(), span), span.start


def run_job(job: Job) -> dict[str, Any]:
    warnings.simplefilter("ignore")
    sessions, start = sessions_for(job.window)
    site = SCENARIOS.get(job.scenario)
    metrics = scenarios.run_simulation(
        lambda: make_algorithm(job.algorithm, job.variant, job.capacity_kw, site),
        sessions,
        start,
        job.variant,
        job.capacity_kw,
        site=site,
    )
    result = {**asdict(job), **metrics}
    if job.scenario == "grid":
        del result["scenario"]  # stored results keep their shape
    return result


def time_side_by_side() -> dict[str, Any]:
    """ASA and ours on the busy day (Tuesday 5 March 2019, 30 kW, ideal), one after the other."""
    warnings.simplefilter("ignore")
    from bench.energy.baselines import asa
    from bench.energy.ours import OurAllocator

    sessions, start = sessions_for("day")
    kept: dict[str, Any] = {}

    def keep(name: str, algorithm: Any) -> Any:
        kept[name] = algorithm
        return algorithm

    results = {}
    for name, make in (
        ("Ours-energy", lambda: keep("Ours-energy", OurAllocator(TIMING_DAY_CAPACITY_KW, "energy"))),
        ("ASA-energy", lambda: keep("ASA-energy", asa.AdaptiveSchedulingAlgorithm(asa.ENERGY_OBJECTIVE))),
    ):
        metrics = scenarios.run_simulation(make, sessions, start, "ideal", TIMING_DAY_CAPACITY_KW)
        stats = kept[name].solve_stats
        with_sessions = [s["solve_time"] for s in stats if s["active_sessions"] > 0]
        results[name] = {
            **metrics["time_per_call"],
            "mean_with_sessions_s": statistics.fmean(with_sessions) if with_sessions else None,
            "p95_with_sessions_s": _percentile(with_sessions, 95),
            "energy_delivered_pct": metrics["energy_delivered_pct"],
            "wall_s": metrics["wall_s"],
        }
    ours, theirs = results["Ours-energy"], results["ASA-energy"]
    results["ratio_mean_with_sessions"] = (
        ours["mean_with_sessions_s"] / theirs["mean_with_sessions_s"]
        if theirs["mean_with_sessions_s"]
        else None
    )
    results["ratio_busy_mean"] = (
        ours["mean_s"] / theirs["mean_s"] if ours["mean_s"] and theirs["mean_s"] else None
    )
    return results


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def stored_baselines() -> dict[str, Any]:
    path = scenarios.RESULTS_DIR / "energy-baselines.json"
    if not path.exists():
        return {
            "complete": False,
            "results": [],
            "note": "no stored ASA results: run make bench-energy-baselines",
        }
    return dict(json.loads(path.read_text()))


def environment() -> dict[str, Any]:
    names = ("acnportal", "cvxpy", "clarabel", "highspy", "numpy", "pydantic")
    return {
        "versions": {name: version(name) for name in names},
        "python": platform.python_version(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
    }


def write_results(path: Path, payload: dict[str, Any]) -> None:
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(payload, indent=1, default=float) + "\n")
    temporary.replace(path)


def print_site_table(results: list[dict[str, Any]]) -> None:
    rows = [r for r in results if r.get("scenario", "grid") != "grid"]
    if not rows:
        return
    print(
        f"\n{'scenario':<15}{'variant':<10}{'kW':>4}  {'algorithm':<14}{'energy %':>9}{'peak import':>12}"
        f"{'import $':>9}{'demand $':>9}{'profit $':>9}{'PV used %':>10}{'batt kWh':>9}{'over':>5}{'viol':>5}"
    )
    for r in sorted(rows, key=lambda r: (r["scenario"], r["variant"], r["capacity_kw"], r["algorithm"])):
        used = "-" if r["pv_used_pct"] is None else f"{r['pv_used_pct']:.0f}"
        print(
            f"{r['scenario']:<15}{r['variant']:<10}{r['capacity_kw']:>4}  {r['algorithm']:<14}"
            f"{r['energy_delivered_pct']:>9.1f}{r['peak_import_kw']:>12.1f}{r['import_cost_usd']:>9.0f}"
            f"{r['import_demand_charge_usd']:>9.0f}{r['import_profit_usd']:>9.0f}{used:>10}"
            f"{r['battery_discharged_kwh']:>9.0f}{r['import_limit_violations']:>5}{r['violations']:>5}"
        )


def print_table(results: list[dict[str, Any]], baselines: dict[str, Any]) -> None:
    results = [r for r in results if r.get("scenario", "grid") == "grid"]
    rows = results + [r for r in baselines.get("results", []) if r.get("window") in ("week", "month")]
    header = (
        f"{'window':<16}{'variant':<10}{'kW':>4}  {'algorithm':<16}{'energy %':>9}{'served %':>9}"
        f"{'cost $':>9}{'demand $':>9}{'profit $':>9}{'peak kW':>8}{'viol':>5}{'Jain':>6}{'ms/call':>8}"
    )
    print(header)
    for r in sorted(rows, key=lambda r: (r["window"], r["variant"], r["capacity_kw"], r["algorithm"])):
        timing = r["time_per_call"]
        per_call = timing["mean_s"] if timing["mean_s"] is not None else timing["mean_all_s"]
        print(
            f"{r['window']:<16}{r['variant']:<10}{r['capacity_kw']:>4}  {r['algorithm']:<16}"
            f"{r['energy_delivered_pct']:>9.1f}{r['sessions_fully_served_pct']:>9.1f}{r['energy_cost_usd']:>9.0f}"
            f"{r['demand_charge_usd']:>9.0f}{r['profit_usd']:>9.0f}{r['peak_kw']:>8.1f}{r['violations']:>5}"
            f"{r['jain_fairness']:>6.2f}{1000 * (per_call or 0):>8.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2, help="worker processes, one simulation each")
    parser.add_argument(
        "--full", action="store_true", help="every algorithm on the month and the synthetic month"
    )
    parser.add_argument("--skip-timing", action="store_true", help="skip the ASA side-by-side timing day")
    parser.add_argument("--output", type=Path, default=scenarios.RESULTS_DIR / "energy.json")
    parser.add_argument("--resume", action="store_true", help="keep simulations already in the output file")
    parser.add_argument("--windows", help="comma-separated subset of week,month,synthetic-month")
    parser.add_argument("--capacities", help="comma-separated subset of the capacities (kW)")
    parser.add_argument("--algorithms", help="comma-separated subset of the algorithms")
    parser.add_argument("--scenarios", help="comma-separated subset of grid,solar,solar-battery")
    args = parser.parse_args()

    whole_plan = planned_jobs(args.full)
    jobs = [
        job
        for job in whole_plan
        if (not args.windows or job.window in args.windows.split(","))
        and (not args.capacities or str(job.capacity_kw) in args.capacities.split(","))
        and (not args.algorithms or job.algorithm in args.algorithms.split(","))
        and (not args.scenarios or job.scenario in args.scenarios.split(","))
    ]
    started = time.time()
    done: dict[str, dict[str, Any]] = {}
    payload: dict[str, Any] = {"complete": False, **environment()}
    if args.resume and args.output.exists():
        previous = json.loads(args.output.read_text())
        bookkeeping = ("results", "not_run", "complete", "generated_at", "elapsed_s")
        payload.update({k: v for k, v in previous.items() if k not in bookkeeping})
        for r in previous.get("results", []):
            done[Job.of(r).key] = r

    def save() -> None:
        payload.update(
            {
                "complete": all(job.key in done for job in jobs)
                and "timing_day" in payload
                and "scale" in payload,
                "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "elapsed_s": round(time.time() - started, 1),
                "not_run": [job.key for job in whole_plan if job.key not in done],
                "results": list(done.values()),
                "asa_source": "bench/results/energy-baselines.json (stored; ASA re-implemented with cvxpy)",
            }
        )
        write_results(args.output, payload)

    args.output.parent.mkdir(parents=True, exist_ok=True)
    if "scale" not in payload:
        payload["scale"] = scale_figures()
        print("scale:", json.dumps(payload["scale"]), flush=True)
        save()
    pending = [job for job in jobs if job.key not in done]
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {pool.submit(run_job, job): job for job in pending}
        timing = None
        if not args.skip_timing and "timing_day" not in payload:
            timing = pool.submit(time_side_by_side)
        for future in as_completed([*futures, *([timing] if timing else [])]):
            if future is timing:
                payload["timing_day"] = future.result()
                print("timing day:", json.dumps(payload["timing_day"]), flush=True)
            else:
                job = futures[future]
                try:
                    done[job.key] = future.result()
                    r = done[job.key]
                    print(
                        f"{job.key}: {r['energy_delivered_pct']:.1f} % delivered, {r['wall_s']:.0f} s",
                        flush=True,
                    )
                except Exception as error:  # one failed simulation must not lose the others
                    print(f"{job.key}: FAILED {error!r}", flush=True)
            save()
    print_table(list(done.values()), stored_baselines())
    print_site_table(list(done.values()))
    from bench.energy.plot import draw

    draw(args.output, scenarios.RESULTS_DIR / "energy-baselines.json", scenarios.RESULTS_DIR / "energy.png")


if __name__ == "__main__":
    main()
