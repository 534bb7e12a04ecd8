"""Finance report and plan comparison: totals that add up, and no pupil in sight."""

from __future__ import annotations

import csv
import re

import pytest
from openpyxl import load_workbook

from maps.finance import compare_plans, finance_report
from maps.finance_output import write_finance_report
from maps.plan_facts import split_pence
from tests.maps.helpers import changed_plan, make_dataset, make_plan


@pytest.fixture(scope="module")
def report():
    """The finance report of the four-route tiny plan (daily cost £195, worked out in
    ``tests/maps/helpers.py``)."""
    return finance_report(make_plan(), make_dataset())


def test_totals_equal_the_sum_of_route_costs(report) -> None:
    plan = make_plan()
    total = sum(r.cost_pence for r in plan.routes)
    assert report.daily_cost_pence == total == 19500
    assert report.annual_cost_pence == total * 190
    for lines in (report.by_operator, report.by_vehicle_type, report.by_school):
        assert sum(line.cost_pence for line in lines.values()) == total


def test_breakdowns_by_hand(report) -> None:
    assert {k: v.cost_pence for k, v in report.by_operator.items()} == {
        "Acme Taxis": 8000,
        "Blue Line": 11500,
    }
    # AM-2 (£60) carries one Riverside pupil and two Hillview pupils: £20 / £40
    assert {k: v.cost_pence for k, v in report.by_school.items()} == {
        "Hillview Special School (S2)": 4000 + 5500,
        "Riverside Academy (S1)": 4000 + 2000 + 4000,
    }
    assert report.pa_routes == 2 and report.pa_cost_daily_pence == 2 * 2500
    assert report.km_daily == pytest.approx(37.0)
    assert report.co2_kg_daily == pytest.approx(20 * 0.180 + 17 * 0.250)
    assert report.pupils == 5 and report.journeys == 9 and report.vehicles == 2
    assert report.cost_per_pupil_year_pence == 19500 * 190 // 5
    assert report.baseline_daily_pence == 30000 and report.saving_daily_pence == 10500


def test_ride_times_and_guidance(report) -> None:
    rides = report.rides
    assert len(rides.minutes) == 9
    assert rides.max_min == 50  # Chloe, age 8: 07:56 to 08:46
    assert rides.over_guidance == 1 and rides.pupils_over_guidance == 1


@pytest.mark.parametrize("total", [0, 1, 7, 6000, 10001])
def test_split_pence_adds_up(total: int) -> None:
    parts = split_pence(total, {"a": 1, "b": 1, "c": 1})
    assert sum(parts.values()) == total and max(parts.values()) - min(parts.values()) <= 1


def test_files_hold_no_pupil_data(tmp_path) -> None:
    files = write_finance_report(make_plan(), make_dataset(), tmp_path)
    assert set(files) == {"chart", "html", "csv", "xlsx"}
    page = files["html"].read_text(encoding="utf-8")
    assert "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    book = load_workbook(files["xlsx"])
    cells = " ".join(
        str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value
    )
    words = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)  # base64 can spell "Ben"
    texts = [words, files["csv"].read_text(encoding="utf-8"), cells]
    for pupil in make_dataset().pupils:
        for text in texts:
            assert pupil.name.split()[0] not in text and pupil.name.split()[-1] not in text
            assert pupil.pupil_id not in text and str(pupil.postcode) not in text
    with files["csv"].open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    totals = [r for r in rows if r["item"] == "all routes"]
    assert float(totals[0]["cost_per_day_gbp"]) == 195.0
    assert sum(float(r["cost_per_day_gbp"]) for r in rows if r["section"] == "school") == 195.0
    assert files["chart"].read_bytes().startswith(b"\x89PNG")


def test_compare_reports_the_known_difference() -> None:
    comparison = compare_plans(make_plan(), changed_plan(), make_dataset())
    assert comparison.changed == {"AM-2": ("stops", "pupils")}
    assert comparison.added == ("AM-3",) and comparison.removed == ()
    assert comparison.unchanged == ("AM-1", "PM-1", "PM-2")
    assert comparison.pupils_moved == 1
    deltas = {name: d for name, _, _, d in comparison.rows()}
    assert deltas["Daily cost (£)"] == pytest.approx(232 - 195)
    assert deltas["Vehicles"] == 1 and deltas["Solo journeys"] == 1
    assert deltas["Km per day"] == pytest.approx(12.0)
    text = comparison.text()
    assert "AM-3" in text and "changed AM-2: stops, pupils" in text and "+37.00" in text


def test_compare_same_plan_has_no_changes() -> None:
    comparison = compare_plans(make_plan(), make_plan(), make_dataset())
    assert not comparison.changed and not comparison.added and not comparison.removed
    assert all(d == 0 for *_, d in comparison.rows())
