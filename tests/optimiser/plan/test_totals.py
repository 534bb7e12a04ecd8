"""The plan's totals: plan.json's ``summary`` is what it was before the totals were restructured."""

from __future__ import annotations

import gzip
import json

import pytest

from optimiser.dataset.loading import load_dataset
from optimiser.domain.money import format_pounds
from optimiser.plan.document import Plan, load_plan
from optimiser.plan.totals import plan_totals, summarise
from optimiser.roads.travel import build_travel
from tests.helpers.paths import SAMPLE, TESTS

DATA = TESTS / "data"


@pytest.fixture(scope="module")
def sample_plan(tmp_path_factory):
    """The sample planned under a solution limit, as written, and its dataset and travel data."""
    path = tmp_path_factory.mktemp("plan") / "plan.json"
    path.write_bytes(gzip.decompress((DATA / "sample_plan.json.gz").read_bytes()))
    dataset = load_dataset(SAMPLE)
    return load_plan(path), dataset, build_travel(dataset)


def test_summary_is_the_one_recorded_before_the_restructure(sample_plan):
    """``sample_plan_summary.json`` was written by the summary code this module replaced; the
    three solo-baseline figures were re-recorded when places moved from road nodes to road edges
    (the solo journeys' distances changed, the plan did not)."""
    plan, dataset, travel = sample_plan
    recorded = json.loads((DATA / "sample_plan_summary.json").read_text(encoding="utf-8"))
    summary = summarise(plan, dataset, travel)
    # Keys added since (fair rides, continuity) come after the recorded ones.
    before = {key: summary[key] for key in list(summary)[: len(recorded)]}
    assert before == recorded
    assert list(before) == list(recorded)
    assert json.dumps(before) == json.dumps(recorded)


def test_summary_reports_detours_and_continuity(sample_plan):
    plan, dataset, travel = sample_plan
    summary = summarise(plan, dataset, travel)
    assert 1.0 <= summary["ride_ratio_mean"] <= summary["ride_ratio_p95"]
    largest = summary["largest_detours"]
    assert len(largest) == 10
    extra = [round(d["ride_min"] - d["direct_min"], 1) for d in largest]
    assert extra == sorted(extra, reverse=True)
    assert 0 < summary["same_operator_both_ways"] <= summary["both_ways"]
    # The recorded plan predates twin routes: no pupil is on a linked vehicle both ways.
    assert summary["same_vehicle_both_ways"] == 0


def test_totals_are_integers_and_add_up(sample_plan):
    plan, dataset, travel = sample_plan
    totals = plan_totals(plan, dataset, travel)
    assert totals.cost_pence == sum(r.cost_pence for r in plan.routes)
    assert totals.placed + totals.unplaced == totals.journeys
    assert totals.vehicles == totals.vehicles_am + totals.vehicles_pm
    assert totals.vehicles == sum(totals.vehicles_by_type.values())
    for value in vars(totals).values():
        assert not isinstance(value, float)


def test_an_empty_plan_has_zero_totals(sample_plan):
    _, dataset, travel = sample_plan
    summary = summarise(Plan(dataset=dataset.name, routes=[]), dataset, travel)
    assert summary["cost_per_day"] == 0 and summary["ride_min_mean"] == 0.0
    assert summary["placed"] == summary["journeys"]  # nothing listed unassigned


@pytest.mark.parametrize(
    ("pence", "decimals", "text"),
    [
        (123450, 2, "£1,234.50"),
        (0, 2, "£0.00"),
        (-1200, 2, "-£12.00"),
        (123450, 0, "£1,234"),
        (123451, 0, "£1,235"),
    ],
)
def test_format_pounds(pence, decimals, text):
    assert format_pounds(pence, decimals=decimals) == text
