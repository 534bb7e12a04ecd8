"""Operators' route sheets: their own routes only, and only what the journey needs."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from maps.sheets import CSV_COLUMNS, operator_sheets, sheet_rows, write_route_sheets
from tests.maps.helpers import make_dataset, make_plan

OPERATORS = ("Acme Taxis", "Blue Line")


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """The tiny plan's route sheets by file name: two operators, four routes, five pupils."""
    out = tmp_path_factory.mktemp("sheets")
    return {p.name: p for p in write_route_sheets(make_plan(), make_dataset(), out)}


def _pdf_text(path: Path) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_one_pdf_and_one_csv_per_operator(written) -> None:
    assert sorted(written) == ["Acme_Taxis.csv", "Acme_Taxis.pdf", "Blue_Line.csv", "Blue_Line.pdf"]


@pytest.mark.parametrize("operator", OPERATORS)
def test_exactly_the_operators_routes(operator: str, written) -> None:
    plan = make_plan()
    mine = {r.route_id for r in plan.routes if r.operator == operator}
    others = {r.route_id for r in plan.routes} - mine
    rows = sheet_rows(plan, make_dataset(), operator)
    assert {r["route_id"] for r in rows} == mine
    name = operator.replace(" ", "_")
    with (written[f"{name}.csv"]).open(encoding="utf-8") as handle:
        assert {r["route_id"] for r in csv.DictReader(handle)} == mine
    text = _pdf_text(written[f"{name}.pdf"])
    assert all(f"Route {rid}" in text for rid in mine)
    assert not any(rid in text for rid in others)
    pages = written[f"{name}.pdf"].read_bytes().count(b"/Type /Page\n")
    assert pages == len(mine)  # one page per route


@pytest.mark.parametrize("operator", OPERATORS)
def test_no_forbidden_fields(operator: str, written) -> None:
    dataset = make_dataset()
    name = operator.replace(" ", "_")
    texts = [written[f"{name}.csv"].read_text(encoding="utf-8"), _pdf_text(written[f"{name}.pdf"])]
    with (written[f"{name}.csv"]).open(encoding="utf-8") as handle:
        assert tuple(csv.DictReader(handle).fieldnames or ()) == CSV_COLUMNS
    for text in texts:
        for pupil in dataset.pupils:
            assert pupil.name.split()[-1] not in text  # no surnames
            assert not re.search(rf"\bage\b|{pupil.age} ?(years|yrs)", text, re.I)
        assert "birth" not in text.lower() and "ehcp" not in text.lower()
        assert "solo" not in text.lower() and "not_with" not in text.lower()


def test_rows_carry_what_the_driver_needs() -> None:
    rows = sheet_rows(make_plan(), make_dataset(), "Acme Taxis")
    am1 = [r for r in rows if r["route_id"] == "AM-1"]
    assert [(r["stop"], r["time"], r["action"], r["pupil"]) for r in am1] == [
        ("1", "08:00", "Pick up", "Ada L."),
        ("2", "08:10", "Pick up", "Ben O."),
        ("3", "08:35", "Set down at school", "Ada L."),
        ("3", "08:35", "Set down at school", "Ben O."),
    ]
    first = am1[0]
    assert (first["postcode"], first["wheelchair"], first["notes"]) == (
        "OX3 3CC",
        "yes",
        "Ramp at side door",
    )
    assert first["school"] == "Riverside Academy" and am1[2]["postcode"] == "OX1 1AA"
    assert (first["wheelchair_spaces_used"], first["passenger_assistant"]) == ("1", "no")
    assert (first["depot_depart"], first["depot_return"]) == ("07:50", "08:55")


def test_afternoon_address_and_passenger_assistant() -> None:
    sheets = {s.route_id: s for s in operator_sheets(make_plan(), make_dataset(), "Blue Line")}
    pm2 = sheets["PM-2"]
    assert pm2.passenger_assistant and pm2.wheelchair_spaces_used == 0
    dev_home = [line for line in pm2.lines if line.pupil == "Dev P." and line.action == "Set down"]
    assert [line.postcode for line in dev_home] == ["OX4 9ZZ"]  # his afternoon address
