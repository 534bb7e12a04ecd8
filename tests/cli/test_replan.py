"""``send-routes replan``: current routes in, a validated plan, the changes and notices out; on a
tiny world (loading replaced) under a solution limit."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from optimiser.solver.params import SearchParameters
from send_routes.cli import app
from tests.helpers.worlds import pupil, school, vehicle, world

HEADER = "route_id,session,operator,vehicle_type,passenger_assistant,pupil_id,pickup_order"


@pytest.fixture()
def files(tmp_path, monkeypatch):
    """A and B alone in a taxi each today, with L, who has left, beside B."""
    fleet = [vehicle("taxi", (0, 0), seats=4, count=4, per_session=20)]
    data, travel = world(
        [pupil("A", (0, 0)), pupil("B", (0.5, 0))],
        [school("S1", (0, 5), am=("08:00", "09:30"))],
        fleet,
    )
    monkeypatch.setattr("optimiser.dataset.loading.load_dataset", lambda _path: data)
    monkeypatch.setattr("optimiser.roads.travel.build_travel", lambda _data: travel)
    monkeypatch.setattr(
        "optimiser.solver.params.SearchParameters",
        lambda time_limit_s: SearchParameters(time_limit_s=time_limit_s, solution_limit=50),
    )
    routes = tmp_path / "routes.csv"
    rows = [
        "R1,AM,Test Cars,taxi,no,A,1",
        "R2,AM,Test Cars,taxi,no,B,1",
        "R2,AM,Test Cars,taxi,no,L,2",
    ]
    routes.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return routes, tmp_path / "out"


def _routes(out) -> dict[str, list[str]]:
    plan = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    return {
        r["route_id"]: [p for s in r["stops"] for p in s.get("pupil_ids", [])][:1]
        for r in plan["routes"]
    }


def test_replan_keeps_locked_pupils_and_writes_the_changes_and_notices(files):
    routes, out = files
    args = ["replan", "data", "--current", str(routes), "--out", str(out), "--price", "0"]
    result = CliRunner().invoke(
        app, [*args, "--lock", "A", "--lock", "B", "--notices", "--effective", "2026-01-05"]
    )
    assert result.exit_code == 0, result.output
    assert "left out: L/AM" in result.output
    assert _routes(out) == {"R1": ["A"], "R2": ["B"]}  # locked: no saving taken
    assert (out / "changes.csv").read_text(encoding="utf-8").startswith("pupil_id,session,reason")
    assert (out / "notices" / "notices.pdf").read_bytes().startswith(b"%PDF")
    result = CliRunner().invoke(app, args)  # unlocked, at no price: one taxi for both
    assert result.exit_code == 0, result.output
    assert len(_routes(out)) == 1
    assert "improvement" in (out / "changes.csv").read_text(encoding="utf-8")


def test_replan_refuses_notices_without_a_date_and_unknown_locks(files):
    routes, out = files
    args = ["replan", "data", "--current", str(routes), "--out", str(out)]
    result = CliRunner().invoke(app, [*args, "--notices"])
    assert result.exit_code == 2 and "--effective" in result.output
    result = CliRunner().invoke(app, [*args, "--lock", "Z"])
    assert result.exit_code == 2 and "Z" in result.output
