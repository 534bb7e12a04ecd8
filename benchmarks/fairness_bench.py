"""Fair rides and the same crew both ways, on the bundled sample: what they cost.

Plans the sample (or evaluates a plan.json made elsewhere, e.g. by an earlier version) and prints
one row per run: cost per placed journey, each journey's ride over its direct drive (mean and
95th percentile), journeys over the fair detour (policy ``detour_factor`` x direct +
``detour_minutes``) and over the maximum, the most schools on one route, and the share of pupils
carried both ways who keep their vehicle (twin routes), operator and fellow passengers.

    python benchmarks/fairness_bench.py --plan OLD/plan.json          # a plan made elsewhere
    python benchmarks/fairness_bench.py --time-limit 120              # the sample as shipped
    python benchmarks/fairness_bench.py --time-limit 60 --continuity 0 2 5 20   # price trade-off
    python benchmarks/fairness_bench.py --time-limit 120 --max-extra 100   # continuity's budget
    python benchmarks/fairness_bench.py --time-limit 60 --ride-weight 0 0.05
    python benchmarks/fairness_bench.py --time-limit 60 --policy detour_factor=2,detour_min=15

Where the planner plans the sessions again with each other in view (a price per change), a run
prints two rows: the sessions as first planned on their own, and the final plan with its extra
cost against them (the same run, so the search's noise between runs does not enter). The pairs
the planner weighed (each within or over ``continuity_max_extra_percent``) and the one it kept go
to stderr.

A plan without twin routes (made before they existed) is scored with twins matched as the
planner matches them (optimiser.plan.twins.link_twins): the fairest reading of it.
"""

from __future__ import annotations

import argparse
import logging
import math
import time
from dataclasses import replace
from pathlib import Path

from optimiser.dataset.loading import load_dataset
from optimiser.domain.entities import Dataset
from optimiser.plan.document import Plan, load_plan
from optimiser.plan.totals import ride_times_s
from optimiser.plan.twins import continuity, link_twins
from optimiser.planner import plan_dataset
from optimiser.roads.travel import TravelData, build_travel
from optimiser.solver.params import SearchParameters

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "isle_of_wight"


def score(plan: Plan, dataset: Dataset, travel: TravelData) -> dict:
    """The fairness and continuity figures of a plan, computed here from its routes."""
    if not any(r.twin_route_id for r in plan.routes):
        link_twins(plan.routes)
    ratios, over_detour, over_max = [], 0, 0
    for route in plan.routes:
        for pid, ride in ride_times_s(route).items():
            pupil = dataset.pupil(pid)
            direct = travel.direct_s(pupil, route.session)
            if direct > 0:
                ratios.append(ride / direct)
            over_detour += ride > dataset.ride_limit_s(pupil, direct) + 1
            over_max += ride > dataset.max_ride_s(pupil) + 1
    ratios.sort()
    both = continuity(plan.routes)
    placed = sum(len(r.pupil_ids) for r in plan.routes)
    return {
        "cost_per_placed": sum(r.cost_pence for r in plan.routes) / 100 / placed,
        "placed": placed,
        "unplaced": len(plan.unassigned),
        "ratio_mean": sum(ratios) / len(ratios),
        "ratio_p95": ratios[math.ceil(0.95 * len(ratios)) - 1],
        "over_detour": over_detour,
        "over_max": over_max,
        "max_schools": max(len({s.school_id for s in r.stops if s.school_id}) for r in plan.routes),
        "same_vehicle": both.share(both.same_vehicle),
        "same_operator": both.share(both.same_operator),
        "same_passengers": both.share(both.same_passengers),
    }


def _row(label: str, seconds: float, r: dict) -> str:
    return (
        f"| {label} | {seconds:.0f} | {r['placed']} | {r['unplaced']} | {r['cost_per_placed']:.2f} "
        f"| {r['ratio_mean']:.2f} | {r['ratio_p95']:.2f} | {r['over_detour']} | {r['over_max']} "
        f"| {r['max_schools']} | {100 * r['same_vehicle']:.1f}% | {100 * r['same_operator']:.0f}% "
        f"| {100 * r['same_passengers']:.0f}% |"
    )


def _pairs(spec: str) -> list[tuple[str, str]]:
    return [tuple(part.split("=", 1)) for part in spec.split(",")]  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=SAMPLE)
    parser.add_argument("--plan", type=Path, help="score this plan.json instead of planning")
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds per session")
    parser.add_argument("--continuity", type=float, nargs="*", help="£ per change, one run each")
    parser.add_argument("--ride-weight", type=float, nargs="*", help="£ per ride minute, each")
    parser.add_argument(
        "--max-extra", type=float, nargs="*", help="continuity's budget in percent, one run each"
    )
    parser.add_argument(
        "--policy",
        nargs="*",
        default=[],
        help="runs with policy fields changed, each 'field=value,field=value' "
        "(e.g. detour_factor=2,detour_min=15,max_schools_per_route=4)",
    )
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    # The pairs the same crew both ways weighed, and the one kept, on stderr.
    logging.basicConfig(format="%(message)s")
    logging.getLogger("optimiser.planner").setLevel(logging.INFO)
    dataset = load_dataset(args.dataset)
    travel = build_travel(dataset)
    print(
        "| run | wall s | placed | unplaced | £ per placed | ride/direct mean | ride/direct p95 "
        "| over fair detour | over maximum | most schools on a route | same vehicle both ways "
        "| same operator | same passengers |"
    )
    print("| " + " | ".join(["---"] * 13) + " |")
    if args.plan:
        print(
            _row(f"plan {args.plan}", 0, score(load_plan(args.plan), dataset, travel)), flush=True
        )
        return
    settings = dataset.settings
    runs = [("as shipped", settings)]
    runs += [
        (f"continuity £{p:g}", replace(settings, continuity_per_change_pence=int(round(p * 100))))
        for p in args.continuity or []
    ]
    runs += [
        (f"continuity within {x:g}%", replace(settings, continuity_max_extra_percent=x))
        for x in args.max_extra or []
    ]
    runs += [
        (f"ride weight £{w:g}/min", replace(settings, ride_time_weight_pence_per_min=w * 100))
        for w in args.ride_weight or []
    ]
    for spec in args.policy:
        fields = {k: type(getattr(settings.policy, k))(v) for k, v in _pairs(spec)}
        runs.append(
            (f"policy {spec}", replace(settings, policy=replace(settings.policy, **fields)))
        )
    if args.continuity or args.max_extra or args.ride_weight or args.policy:
        runs = runs[1:]
    for label, chosen in runs:
        started = time.perf_counter()
        result = plan_dataset(
            replace(dataset, settings=chosen),
            travel=travel,
            params=SearchParameters(time_limit_s=args.time_limit),
            workers=args.workers,
        )
        wall = time.perf_counter() - started
        scored = score(result.plan, dataset, travel)
        if result.alone is not None:
            # The same run's sessions planned on their own: what the same crew both ways cost.
            alone = score(result.alone, dataset, travel)
            print(_row(f"{label}: each session planned alone", wall, alone), flush=True)
            extra = scored["cost_per_placed"] / alone["cost_per_placed"] - 1
            label = f"{label}: both ways ({100 * extra:+.1f}% against alone)"
        print(_row(label, wall, scored), flush=True)


if __name__ == "__main__":
    main()
