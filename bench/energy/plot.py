"""Energy delivered against transformer capacity, one line per algorithm, one panel per variant."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def _series(results: list[dict[str, Any]], window: str, variant: str) -> dict[str, list[tuple[int, float]]]:
    series: dict[str, list[tuple[int, float]]] = {}
    for r in results:
        if r["window"] == window and r["variant"] == variant and r.get("scenario", "grid") == "grid":
            series.setdefault(r["algorithm"], []).append((r["capacity_kw"], r["energy_delivered_pct"]))
    return {name: sorted(points) for name, points in sorted(series.items())}


COLOURS = {
    "Ours-energy": "tab:green",
    "Ours-profit": "tab:olive",
    "ASA-energy": "tab:red",
    "ASA-profit": "tab:pink",
    "Offline-optimal": "black",
    "LLF": "tab:orange",
    "EDF": "tab:blue",
    "RoundRobin": "tab:purple",
    "Uncontrolled": "tab:gray",
}
LABELS = {"Uncontrolled": "Uncontrolled (breaks the limits)"}


def draw(results_path: Path, baselines_path: Path, output: Path, window: str = "week") -> None:
    results = list(json.loads(results_path.read_text())["results"])
    if baselines_path.exists():
        results += json.loads(baselines_path.read_text())["results"]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for axis, variant in zip(axes, ("ideal", "realistic"), strict=True):
        for name, points in _series(results, window, variant).items():
            style = (
                "-o" if name.startswith("Ours") else "--s" if name.startswith(("ASA", "Offline")) else ":."
            )
            axis.plot(
                [p[0] for p in points],
                [p[1] for p in points],
                style,
                label=LABELS.get(name, name),
                color=COLOURS.get(name),
                linewidth=1.5,
                markersize=4,
            )
        axis.set_title(f"{variant} variant, Caltech ACN, {window} of 4-10 March 2019")
        axis.set_xlabel("transformer capacity (kW)")
        axis.set_xscale("log")
        axis.set_xticks([10, 20, 30, 50, 80, 150], labels=["10", "20", "30", "50", "80", "150"])
        axis.minorticks_off()
        axis.grid(alpha=0.4)
        axis.legend(loc="lower right", fontsize=8)
    axes[0].set_ylabel("requested energy delivered (%)")
    figure.tight_layout()
    figure.savefig(output, dpi=110)
    plt.close(figure)


if __name__ == "__main__":
    root = Path(__file__).resolve().parents[1] / "results"
    draw(root / "energy.json", root / "energy-baselines.json", root / "energy.png")
