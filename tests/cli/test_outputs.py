"""The output commands and write_all_outputs, on the tiny dataset and a hand-made road graph."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from maps.outputs import write_all_outputs
from send_routes import outputs as cli_outputs
from send_routes.outputs import app
from tests.maps.helpers import (
    TinyGraph,
    changed_plan,
    fake_travel,
    make_dataset,
    make_plan,
    polylines,
)

BASEMAP = '"className": "basemap-road"'


def test_write_all_outputs_draws_along_the_graph(tmp_path) -> None:
    graph, dataset, plan = TinyGraph(), make_dataset(), make_plan()
    written = write_all_outputs(plan, dataset, fake_travel(dataset, graph), graph, tmp_path)
    for key in ("map", "finance", "finance_csv", "finance_xlsx", "ride_times_chart"):
        assert written[key].is_file(), key
    assert written["sheets"].is_dir()
    assert {k for k in written if k.startswith("sheets/")} == {
        "sheets/Acme_Taxis.pdf",
        "sheets/Acme_Taxis.csv",
        "sheets/Blue_Line.pdf",
        "sheets/Blue_Line.csv",
    }
    page = written["map"].read_text(encoding="utf-8")
    assert BASEMAP in page
    route_lines = polylines(page)
    assert len(route_lines) == len(plan.routes)
    nodes = {
        (round(a, 6), round(b, 6)) for a, b in zip(graph.node_lat, graph.node_lon, strict=True)
    }
    for coords, _ in route_lines.values():
        assert {tuple(p) for p in coords} & nodes  # passes through road junctions


def test_write_all_outputs_without_a_graph(tmp_path) -> None:
    written = write_all_outputs(make_plan(), make_dataset(), None, None, tmp_path)
    assert BASEMAP not in written["map"].read_text(encoding="utf-8")


@pytest.fixture()
def plans(tmp_path, monkeypatch):
    """Two plan files; loading is replaced so the commands run on the tiny dataset."""
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    make_plan().write(a)
    changed_plan().write(b)
    by_path = {a: make_plan(), b: changed_plan()}
    monkeypatch.setattr(
        cli_outputs, "_load", lambda _ds, paths: (make_dataset(), [by_path[p] for p in paths])
    )
    return a, b


def test_commands(plans, tmp_path) -> None:
    a, b = plans
    runner = CliRunner()
    result = runner.invoke(app, ["compare", "data", str(a), str(b), "--out", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    assert "P005 (AM): route AM-2 -> AM-3" in result.output
    assert "Pupils affected: 3 of 5" in result.output
    assert (tmp_path / "c/comparison.txt").is_file()
    changes = (tmp_path / "c/pupil_changes.csv").read_text(encoding="utf-8").splitlines()
    assert [line.split(",")[0] for line in changes[1:]] == ["P003", "P004", "P005"]
    result = runner.invoke(app, ["finance", "data", str(a), "--out", str(tmp_path / "f")])
    assert result.exit_code == 0 and (tmp_path / "f/finance.html").is_file()
    assert "against current routes" not in (tmp_path / "f/finance.html").read_text()
    against = ["finance", "data", str(b), "--current", str(a), "--out", str(tmp_path / "g")]
    result = runner.invoke(app, against)
    assert result.exit_code == 0, result.output
    page = (tmp_path / "g/finance.html").read_text(encoding="utf-8")
    assert "Current routes per day (fleet prices)" in page
    assert "Difference against current routes per day" in page and "£37.00" in page
    result = runner.invoke(app, ["sheets", "data", str(a), "--out", str(tmp_path / "s")])
    assert result.exit_code == 0 and (tmp_path / "s/Blue_Line.pdf").is_file()
    result = runner.invoke(app, ["map", "data", str(a), "--out", str(tmp_path / "m")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "m/map.html").is_file() and "straight lines" in result.output


def test_register_mounts_the_commands() -> None:
    import typer

    names = {c.name for c in cli_outputs.register(typer.Typer()).registered_commands}
    assert names == {"map", "sheets", "finance", "compare"}
