"""The digest of the sample plan under a solution limit: what a pure restructure must not change.

A solve under a solution limit (no time limit reached) is reproducible, so the same code plans the
same routes to the byte. Regenerate the recorded digest only for a change that is meant to change
plans, and say so in its commit:

    python -m tests.helpers.sample_digest --write
"""

from __future__ import annotations

import hashlib
import json
import sys

from optimiser.dataset.loading import load_dataset
from optimiser.domain.entities import Dataset
from optimiser.plan.document import Plan
from optimiser.planner import PlanResult, plan_dataset
from optimiser.roads.travel import build_travel
from optimiser.solver.params import SearchParameters
from tests.helpers.paths import SAMPLE, TESTS

RECORDED = TESTS / "data" / "sample_plan_digest.json"
SOLUTION_LIMIT = 20
TIME_LIMIT_S = 3600.0  # never reached: the solution limit ends each search


def plan_sample() -> tuple[Dataset, PlanResult]:
    """Plan the sample (both sessions, one process) under the solution limit: the same plan on
    any machine."""
    dataset = load_dataset(SAMPLE)
    params = SearchParameters(time_limit_s=TIME_LIMIT_S, solution_limit=SOLUTION_LIMIT)
    return dataset, plan_dataset(dataset, travel=build_travel(dataset), params=params, workers=1)


def sample_plan_digest(plan: Plan | None = None) -> dict[str, object]:
    """Describe the sample's plan (planned here unless given) by a digest."""
    if plan is None:
        plan = plan_sample()[1].plan
    doc = plan.to_json()
    body = json.dumps({"routes": doc["routes"], "unassigned": doc["unassigned"]}, sort_keys=True)
    return {
        "solution_limit": SOLUTION_LIMIT,
        "sha256": hashlib.sha256(body.encode("utf-8")).hexdigest(),
        "routes": len(doc["routes"]),
        "unassigned": len(doc["unassigned"]),
        "cost_per_day": doc["summary"]["cost_per_day"],
    }


if __name__ == "__main__":
    digest = sample_plan_digest()
    print(json.dumps(digest, indent=2))
    if "--write" in sys.argv[1:]:
        RECORDED.write_text(json.dumps(digest, indent=2) + "\n", encoding="utf-8")
