"""Change notices after a re-plan: one page per family, a list per school, nothing about other
children; on a tiny world under a solution limit."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest

from maps.notices import write_notices
from optimiser.dataset.tables import read_csv_text
from optimiser.domain.entities import Session
from optimiser.plan.current import current_plan
from optimiser.replan import replan
from optimiser.solver.params import SearchParameters
from tests.helpers.worlds import at, pupil, school, vehicle, world

PARAMS = SearchParameters(time_limit_s=60, solution_limit=50)
HEADER = "route_id,session,operator,vehicle_type,passenger_assistant,pupil_id,pickup_order"
BOTH = frozenset({Session.AM, Session.PM})


def _result():
    """A, B (siblings at one address), C and D on two taxis; C moves away, D leaves, N is new."""
    schools = [school("S1", (0, 5), am=("08:00", "09:30"), pm=("15:00", "16:00"))]
    fleet = [vehicle("taxi", (0, 0), seats=4, count=4, per_session=20)]
    pupils = [
        pupil("A", (0, 0), group="G1", sessions=BOTH),
        pupil("B", (0, 0), group="G1", sessions=BOTH),
        pupil("C", (3, 0), sessions=BOTH),
        pupil("D", (3.5, 0), sessions=BOTH),
    ]
    before, travel0 = world(pupils, schools, fleet)
    rows = [f"R1,{s},Test Cars,taxi,no,{p},1" for s in ("AM", "PM") for p in ("A", "B")]
    rows += [
        f"R2,{s},Test Cars,taxi,no,{p},{n}" for s in ("AM", "PM") for n, p in ((1, "C"), (2, "D"))
    ]
    current = current_plan(read_csv_text("r.csv", "\n".join([HEADER, *rows])), before, travel0).plan
    today = [*pupils[:2], replace(pupils[2], home=at(0.5, 2)), pupil("N", (3.4, 0), sessions=BOTH)]
    data, travel = world(today, schools, fleet, council_contact="Transport team 01983 000000")
    return replan(data, current, travel=travel, params=PARAMS, price_pence=10_000), data


def _read(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_each_family_gets_a_page_with_old_and_new_times_and_nothing_about_others(tmp_path):
    result, data = _result()
    written = write_notices(result.changes, data, "2026-01-05", tmp_path)
    rows = _read(written["csv"])
    told = {(r["pupil_id"], r["session"]) for r in rows}
    assert ("D", "AM") not in told  # a leaver is not written to
    assert {("C", "AM"), ("C", "PM"), ("N", "AM"), ("N", "PM")} <= told
    new = next(r for r in rows if (r["pupil_id"], r["session"]) == ("N", "AM"))
    assert (
        new["pickup_before"] == "" and new["pickup_after"] and new["effective_from"] == "2026-01-05"
    )
    moved = next(r for r in rows if (r["pupil_id"], r["session"]) == ("C", "AM"))
    assert (
        moved["pickup_before"] and moved["pickup_after"] and moved["reason"] == "Your new address"
    )
    others = {"Test D Example", "Test N Example", "Test A Example", "Test B Example"}
    assert not any(name in ",".join(moved.values()) for name in others)
    pdf = written["pdf"].read_bytes()
    assert pdf.startswith(b"%PDF") and b"DejaVu" in pdf
    families = {r["family"] for r in rows}
    assert pdf.count(b"/Type /Page\n") == len(families)


def test_a_school_gets_only_its_pupils_whose_time_or_vehicle_changes(tmp_path):
    result, data = _result()
    written = write_notices(result.changes, data, "2026-01-05", tmp_path)
    rows = _read(written["school S1"])
    assert {r["school_id"] for r in rows} == {"S1"}
    assert "N" in {r["pupil_id"] for r in rows}
    assert all(
        (r["at_school_before"], r["operator_before"], r["vehicle_type_before"])
        != (r["at_school_after"], r["operator_after"], r["vehicle_type_after"])
        for r in rows
    )
    with pytest.raises(ValueError):
        write_notices(result.changes, data, "5 January", tmp_path / "again")
