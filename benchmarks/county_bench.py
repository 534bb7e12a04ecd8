"""County-scale benchmark: route-based decomposition against fixed fleet shares, 500 to 5,000
pupils.

For each cohort size it plans both sessions twice in the same run, once with each decomposition
(``plan_dataset(decomposition="routes" | "fixed-share")``), each in a fresh process so its peak
memory is its own, and prints per run: wall time, peak memory (the process and its largest worker),
cost per placed journey, journeys unplaced by reason, unplaced journeys the validator calls
avoidable (must be 0), and the vehicles used of each fleet row in the busier session. Then, per
size, the comparison the issue asks for: journeys placed by each, and the route decomposition's cost
against the fixed shares' cost plus the solo baseline of the extra journeys it places.

    python benchmarks/county_bench.py                          # 500, 1000, 2000, 5000
    python benchmarks/county_bench.py --pupils 600 --fleet-scale 0.3 --time-limit 60 --whole

Cohorts come from the seeded generator (``send-routes synth cohort``, seed 2026); the fleet scales
with the cohort unless ``--fleet-scale`` is given. The search time per session grows with the
cohort (``--time-limit`` overrides it). Sessions of at most 500 pupils are one model in both
modes, so at 500 the two rows plan the same way. A time-limited search is not reproducible run to
run, and the machine may be shared: compare the two modes of one run, not runs.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

SIZES = (500, 1000, 2000, 5000)
MODES = ("routes", "fixed-share")
# "whole": every session as one model, however large (the reference for what can be placed).
ALL_MODES = (*MODES, "whole")
SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "isle_of_wight"


def default_time_limit_s(n_pupils: int) -> float:
    """Search seconds per session: 60 s at 500 pupils, growing as size to the power 0.75 (101 s at
    1,000, 170 s at 2,000, 337 s at 5,000: both sessions of 5,000 pupils then fit in 15 minutes
    on 2 cores; with the square root, 190 s at 5,000, they used half of that)."""
    return round(60 * max(1.0, n_pupils / 500) ** 0.75)


def _reason_code(reason: str) -> str:
    text = reason.lower()
    for code, words in (
        ("wheelchair fleet used", "wheelchair-accessible vehicle left"),
        ("PA fleet used", "passenger assistant left"),
        ("fleet used", "suitable vehicle left"),
        ("group", "travels with group"),
        ("solo", "solo journey"),
        ("ride limit", "exceeds maximum ride"),
    ):
        if words in text:
            return code
    return "other"


def run_one(folder: Path, mode: str, time_limit_s: float, workers: int) -> dict:
    """Plan one dataset with one decomposition; everything measured in this process."""
    from optimiser.dataset.loading import load_dataset
    from optimiser.domain.entities import Session
    from optimiser.plan.baseline import solo_journey
    from optimiser.planner import plan_dataset
    from optimiser.roads.travel import build_travel
    from optimiser.routing.decompose import MAX_PUPILS_PER_PART
    from optimiser.solver.params import SearchParameters
    from optimiser.validate.validator import validate_plan

    dataset = load_dataset(folder)
    started = time.perf_counter()
    travel = build_travel(dataset)
    result = plan_dataset(
        dataset,
        travel=travel,
        params=SearchParameters(time_limit_s=time_limit_s),
        workers=workers,
        decomposition="routes" if mode == "whole" else mode,
        max_pupils=10**9 if mode == "whole" else MAX_PUPILS_PER_PART,
    )
    wall = time.perf_counter() - started
    plan = result.plan
    violations = validate_plan(dataset, travel, plan)
    vehicles: dict[str, dict[str, int]] = {}
    for session in Session:
        ids: dict[str, set[str]] = {}
        for route in plan.routes_in(session):
            ids.setdefault(f"{route.operator}/{route.vehicle_type}", set()).add(route.vehicle_id)
        vehicles[str(session)] = {key: len(v) for key, v in ids.items()}
    cost_pence = sum(r.cost_pence for r in plan.routes)
    placed = {
        f"{session}:{pid}"
        for session in Session
        for route in plan.routes_in(session)
        for pid in route.pupil_ids
    }
    solo = {}
    for u in plan.unassigned:
        journey = solo_journey(dataset.pupil(u.pupil_id), u.session, dataset, travel)
        solo[f"{u.session}:{u.pupil_id}"] = journey.cost_pence if journey else 0
    for session in Session:  # the solo cost of every placed journey too, for the comparison
        for route in plan.routes_in(session):
            for pid in route.pupil_ids:
                journey = solo_journey(dataset.pupil(pid), session, dataset, travel)
                solo[f"{session}:{pid}"] = journey.cost_pence if journey else 0
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return {
        "mode": mode,
        "wall_s": wall,
        "peak_mb": (own + children) / 1024,
        "journeys": plan.summary["journeys"],
        "placed": sorted(placed),
        "cost_pence": cost_pence,
        "unplaced_by_reason": dict(Counter(_reason_code(u.reason) for u in plan.unassigned)),
        "avoidable": sum(v.cause == "avoidable_unplaced" for v in violations),
        "violations": len(violations),
        "vehicles": vehicles,
        "fleet": {vt.key: vt.count for vt in dataset.fleet},
        "solo_pence": solo,
    }


def _run_in_process(folder: Path, mode: str, time_limit_s: float, workers: int) -> dict:
    command = [
        sys.executable,
        __file__,
        "--one",
        str(folder),
        mode,
        str(time_limit_s),
        str(workers),
    ]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def _vehicles_line(run: dict) -> str:
    busier = max(run["vehicles"], key=lambda s: sum(run["vehicles"][s].values()))
    used = run["vehicles"][busier]
    rows = [
        f"{key.split('/')[1]} ({key.split('/')[0]}) {used.get(key, 0)}/{count}"
        for key, count in run["fleet"].items()
    ]
    return f"{busier}: " + ", ".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, nargs="*", default=list(SIZES))
    parser.add_argument("--time-limit", type=float, help="search seconds per session")
    parser.add_argument("--fleet-scale", type=float, help="fleet counts x the 500-pupil fleet")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument(
        "--whole", action="store_true", help="also plan each session as one model (slow at scale)"
    )
    parser.add_argument("--one", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        folder, mode, limit, workers = args.one
        print(json.dumps(run_one(Path(folder), mode, float(limit), int(workers))))
        return
    from optimiser.synth.generate import write_isle_of_wight_dataset

    print(
        "| pupils | decomposition | s per session | wall s | peak MB | journeys | placed "
        "| £ per placed | unplaced by reason | avoidable | vehicles used of fleet |"
    )
    print("| " + " | ".join(["---"] * 11) + " |")
    summary = []
    for n in args.pupils:
        limit = args.time_limit or default_time_limit_s(n)
        with tempfile.TemporaryDirectory() as tmp:
            folder = write_isle_of_wight_dataset(
                Path(tmp) / "cohort", n, args.seed, fleet_scale=args.fleet_scale
            )
            modes = ALL_MODES if args.whole else MODES
            runs = {mode: _run_in_process(folder, mode, limit, args.workers) for mode in modes}
        for mode, run in runs.items():
            placed = len(run["placed"])
            reasons = ", ".join(f"{k} {v}" for k, v in sorted(run["unplaced_by_reason"].items()))
            print(
                f"| {n} | {mode} | {limit:.0f} | {run['wall_s']:.0f} | {run['peak_mb']:,.0f} "
                f"| {run['journeys']} | {placed} | {run['cost_pence'] / 100 / placed:.2f} "
                f"| {reasons or '-'} | {run['avoidable']} | {_vehicles_line(run)} |",
                flush=True,
            )
        summary.append((n, runs))
    print()
    print(
        "| pupils | placed (routes / fixed) | extra placed | cost £/day routes | fixed + solo of "
        "extra £/day | routes against that |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for n, runs in summary:
        routes, fixed = runs["routes"], runs["fixed-share"]
        extra = set(routes["placed"]) - set(fixed["placed"])
        solo = sum(routes["solo_pence"].get(j, 0) for j in extra)
        bound = fixed["cost_pence"] + solo
        change = 100 * (routes["cost_pence"] - bound) / bound
        print(
            f"| {n} | {len(routes['placed'])} / {len(fixed['placed'])} | {len(extra)} "
            f"| {routes['cost_pence'] / 100:,.2f} | {bound / 100:,.2f} | {change:+.1f}% |"
        )


if __name__ == "__main__":
    main()
