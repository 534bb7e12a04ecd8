"""``send-routes current export`` and ``current import`` on the sample and its recorded plan."""

from __future__ import annotations

import gzip
import json

from typer.testing import CliRunner

from send_routes.cli import app
from tests.helpers.paths import SAMPLE, TESTS


def test_export_then_import_the_sample_plan(tmp_path) -> None:
    plan = tmp_path / "plan.json"
    plan.write_bytes(gzip.decompress((TESTS / "data" / "sample_plan.json.gz").read_bytes()))
    runner = CliRunner()
    routes = tmp_path / "routes.csv"
    result = runner.invoke(app, ["current", "export", str(plan), "--out", str(routes)])
    assert result.exit_code == 0, result.output
    assert "194 routes, 952 rows" in result.output
    out = tmp_path / "current"
    result = runner.invoke(app, ["current", "import", str(SAMPLE), str(routes), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "194 routes carry 952 journeys" in result.output
    assert "Recomputed costs" in result.output
    written = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert len(written["routes"]) == 194
    validation = json.loads((out / "validation.json").read_text(encoding="utf-8"))
    assert validation["costs"]["routes"] == 194
    # The recorded plan predates the fair-ride rules: its long detours and routes calling at
    # more than three schools are reported as such.
    assert set(validation["violations_by_cause"]) <= {
        "avoidable_unplaced",
        "max_ride",
        "school_window",
        "detour",
        "schools_per_route",
    }


def test_import_reports_every_problem_and_exits_2(tmp_path) -> None:
    routes = tmp_path / "routes.csv"
    routes.write_text(
        "route_id,session,operator,vehicle_type,pupil_id,pickup_order\n"
        "R1,AM,Nobody,taxi,P0001,1\n"
        "R1,AM,Nobody,taxi,NOPE,x\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(
        app, ["current", "import", str(SAMPLE), str(routes), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "routes.csv, row 2, column 'vehicle_type'" in result.output
    assert "routes.csv, row 3, column 'pupil_id'" in result.output
    assert "routes.csv, row 3, column 'pickup_order'" in result.output
    assert not (tmp_path / "o" / "plan.json").exists()
