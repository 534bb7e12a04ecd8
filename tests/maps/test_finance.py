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
    assert set(files) == {"chart", "html", "csv", "routes_csv", "xlsx"}
    page = files["html"].read_text(encoding="utf-8")
    assert "data:image/png;base64," in page
    assert "http://" not in page and "https://" not in page and "<script" not in page
    book = load_workbook(files["xlsx"])
    cells = " ".join(
        str(c.value) for ws in book.worksheets for row in ws.iter_rows() for c in row if c.value
    )
    words = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]+", "", page)  # base64 can spell "Ben"
    texts = [words, files["csv"].read_text(encoding="utf-8-sig"), cells]
    texts.append(files["routes_csv"].read_text(encoding="utf-8-sig"))
    for pupil in make_dataset().pupils:
        for text in texts:
            assert pupil.name.split()[0] not in text and pupil.name.split()[-1] not in text
            assert pupil.pupil_id not in text and str(pupil.postcode) not in text
    with files["csv"].open(encoding="utf-8-sig") as handle:
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


def test_a_report_against_current_routes_states_their_cost_and_the_difference() -> None:
    current = make_plan()
    current.routes[0].agreed_cost_pence = current.routes[0].cost_pence + 1000
    report = finance_report(changed_plan(), make_dataset(), current=current)
    assert report.current is not None
    assert report.current.current_daily_pence == 19500 and report.daily_cost_pence == 23200
    assert report.current.difference_daily_pence == 3700
    assert report.current.current_agreed_daily_pence == 20500
    assert report.current.difference_agreed_daily_pence == 2700
    assert finance_report(changed_plan(), make_dataset()).current is None


def test_compare_matches_routes_by_the_pupils_they_carry() -> None:
    renamed = changed_plan()
    for route in renamed.routes:
        route.route_id = "X-" + route.route_id  # a new solve numbers its routes afresh
    comparison = compare_plans(make_plan(), renamed, make_dataset())
    assert comparison.changed == {"AM-2 -> X-AM-2": ("stops", "pupils")}
    assert comparison.added == ("X-AM-3",) and comparison.removed == ()
    assert comparison.pupils_moved == 1 and comparison.by_pupil.pupils_affected == 3


def test_compare_same_plan_has_no_changes() -> None:
    comparison = compare_plans(make_plan(), make_plan(), make_dataset())
    assert not comparison.changed and not comparison.added and not comparison.removed
    assert all(d == 0 for *_, d in comparison.rows())


def _plan_with_unplaced():
    """The tiny plan with Erin (AM only, no needs) and Chloe's PM journey (needs a PA) not placed:
    two journeys, two pupils, one of whom (Erin) has no transport at all."""
    from optimiser.domain.entities import Session
    from optimiser.plan.document import Unassigned

    plan = make_plan()
    am2, pm2 = plan.routes[1], plan.routes[3]
    am2.stops = [s for s in am2.stops if "P005" not in s.pupil_ids]
    for stop in pm2.stops:
        stop.pupil_ids = tuple(p for p in stop.pupil_ids if p != "P003")
    pm2.stops = [s for s in pm2.stops if s.type == "depot" or s.pupil_ids]
    plan.unassigned = [
        Unassigned("P005", Session.AM, "no vehicle free"),
        Unassigned("P003", Session.PM, "no vehicle free"),
    ]
    return plan


class _Km:
    """Travel data where every two places are 1 km apart by road."""

    def __init__(self, dataset) -> None:
        import numpy as np

        from optimiser.roads.travel import dataset_locations

        self.index = {k: i for i, k in enumerate(dataset_locations(dataset))}
        n = len(self.index)
        self.distance_m = np.full((n, n), 1000.0) - np.eye(n) * 1000.0

    def row(self, key: str) -> int:
        return self.index[key]


def test_unplaced_journeys_costed_at_the_cheapest_solo_vehicle() -> None:
    dataset = make_dataset()
    report = finance_report(_plan_with_unplaced(), dataset, _Km(dataset))
    # WAV (Acme): £30 a session + £1 a km x 3 km; Chloe also pays the £25 passenger assistant
    costs = sorted((u.session, u.need, u.vehicle, u.cost_pence) for u in report.unplaced)
    assert costs == [("AM", "no listed need", "Acme Taxis/WAV", 3300),
                     ("PM", "PA", "Acme Taxis/WAV", 5800)]  # fmt: skip
    assert not any(u.estimated for u in report.unplaced)
    assert report.unplaced_cost_pence == 9100
    assert report.total_with_unplaced_pence == 19500 + 9100
    assert (report.unassigned, report.pupils_not_placed, report.pupils_without_transport) == (
        2,
        2,
        1,
    )
    estimated = finance_report(_plan_with_unplaced(), dataset)
    assert all(u.estimated and u.cost_pence > 3000 for u in estimated.unplaced)


def test_costs_by_session_need_and_school_type_add_up(report) -> None:
    for lines in (report.by_session, report.by_need, report.by_school_type):
        assert sum(line.cost_pence for line in lines.values()) == report.daily_cost_pence
    assert {k: v.cost_pence for k, v in report.by_session.items()} == {"AM": 10000, "PM": 9500}
    # AM-1 (£40) carries Ada (wheelchair) and Ben: £20 each; AM-2 £60 over three; PM-2 £55 / 2
    assert report.by_need["wheelchair"].cost_pence == 2000 + 2000
    assert report.by_need["PA"].cost_pence == 2000 + 2750
    assert report.by_need["wheelchair"].people == 1 and report.by_need["wheelchair"].pupils == 2
    assert [p.route_id for p in report.route_prices] == ["AM-1", "AM-2", "PM-1", "PM-2"]


def test_workbook_holds_numbers_with_formats_filters_and_charts(tmp_path) -> None:
    dataset = make_dataset()
    files = write_finance_report(_plan_with_unplaced(), dataset, tmp_path, _Km(dataset))
    book = load_workbook(files["xlsx"])
    assert book.sheetnames[:5] == ["Summary", "Breakdown", "Routes", "Not placed", "Charts"]
    summary = {row[0].value: row[1] for row in book["Summary"].iter_rows(min_row=2)}
    cell = summary["Cost per day of the planned routes"]
    assert cell.value == 195 and isinstance(cell.value, int | float) and "£" in cell.number_format
    assert summary["Journeys not placed, each carried alone: cost per day"].value == 91
    assert summary["Cost per day including journeys not placed"].value == 286
    assert summary["Cost per year including journeys not placed"].value == 286 * 190
    assert summary["Pupils with no transport at all"].value == 1
    assert summary["Journeys not placed"].value == 2
    assert summary["Passenger-assistant sessions per day"].value == 2
    breakdown = book["Breakdown"]
    assert breakdown.freeze_panes == "C2" and breakdown.auto_filter.ref
    header = [c.value for c in breakdown[1]]
    money = header.index("cost_per_day_gbp")
    rows = list(breakdown.iter_rows(min_row=2, values_only=True))
    schools = [r for r in rows if r[0] == "school"]
    assert sum(r[money] for r in schools) == pytest.approx(195)
    assert all(isinstance(r[money], int | float) for r in rows)
    first_money = breakdown.cell(2, money + 1)
    assert first_money.number_format == '"£"#,##0.00'
    routes = book["Routes"]
    assert routes.freeze_panes == "A2" and routes.auto_filter.ref
    prices = {r[0]: r for r in routes.iter_rows(min_row=2, values_only=True)}
    assert prices["AM-2"][7] == 60 and prices["AM-2"][8] == 60 * 190
    assert len(book["Charts"]._charts) == 4
    assert book["Not placed"].max_row == 3
    page = files["html"].read_text(encoding="utf-8")
    assert "Pupils with no transport at all" in page and "Price list by route" in page
    assert 'class="bars"' in page and "£286.00" in page
