"""Planning benchmark: the whole pipeline on the sample and on scaled Isle of Wight cohorts.

For each cohort it plans both sessions (AM and PM side by side in two processes, as the
``plan`` command does) and prints runtime, cost per day, the solo baseline and the saving against
it, the saving against the solver's own first solution, vehicles, unplaced journeys and the
validator's violations (always 0: a plan with any violation raises instead).

    python benchmarks/plan_bench.py                     # 250, 500, 1000, 2000 pupils, 60 s
    python benchmarks/plan_bench.py --pupils 500 --time-limit 120

Cohorts come from the seeded generator (``optimiser.synth.generate``, seed 2026), so every run plans
the same data; the 500-pupil cohort is the bundled sample. A time-limited search is not reproducible
run to run, and the machine may be shared: compare costs, not seconds, across runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from optimiser.dataset.loading import load_dataset
from optimiser.domain.entities import Session
from optimiser.planner import plan_dataset
from optimiser.routing.from_dataset import PENALTY
from optimiser.solver.params import SearchParameters
from optimiser.synth.generate import write_isle_of_wight_dataset
from optimiser.validate.validator import validate_plan

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data" / "isle_of_wight"


def run(n_pupils: int, time_limit_s: float, workers: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        folder = (
            SAMPLE if n_pupils == 500 else write_isle_of_wight_dataset(Path(tmp) / "c", n_pupils)
        )
        dataset = load_dataset(folder)
        started = time.perf_counter()
        result = plan_dataset(
            dataset, params=SearchParameters(time_limit_s=time_limit_s), workers=workers
        )
        wall = time.perf_counter() - started
        plan, s = result.plan, result.plan.summary
        # Objectives are millipence plus PENALTY per pupil left out (and twice that per split
        # group); the remainder below PENALTY is the money, the quotient the pupils left out.
        parts = [s for x in Session for s in result.solutions.get(x, [])]
        first = sum((s.first_objective or 0) % PENALTY for s in parts)
        final = sum(s.objective % PENALTY for s in parts)
        first_out = sum((s.first_objective or 0) // PENALTY for s in parts)
        return {
            "pupils": n_pupils,
            "journeys": s["journeys"],
            "runtime_s": wall,
            "cost_per_day": s["cost_per_day"],
            "baseline_per_day": s["baseline_cost_per_day"],
            "saving_vs_solo": s["saving_percent"],
            "saving_vs_first": 100 * (first - final) / first if first else 0.0,
            "first_unplaced": first_out,
            "vehicles": s["vehicles"],
            "unplaced": s["unplaced"],
            "violations": len(validate_plan(dataset, result.travel, plan)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pupils", type=int, nargs="*", default=[250, 500, 1000, 2000])
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per session")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(
        "| pupils | journeys | runtime (s) | cost/day (£) | solo baseline/day (£) | vs solo |"
        " vs first solution (unplaced then) | vehicles (AM+PM) | unplaced | violations |"
    )
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.pupils:
        r = run(n, args.time_limit, args.workers)
        print(
            f"| {r['pupils']} | {r['journeys']} | {r['runtime_s']:.0f} | {r['cost_per_day']:,.2f} |"
            f" {r['baseline_per_day']:,.2f} | {-r['saving_vs_solo']:+.1f}% |"
            f" {-r['saving_vs_first']:+.1f}% ({r['first_unplaced']}) | {r['vehicles']} |"
            f" {r['unplaced']} | {r['violations']} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
