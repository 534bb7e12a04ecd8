"""Hostile uploads: a workbook declaring a huge used range, over-wide and over-long tables,
giant cells, a zip bomb; every problem list is capped with a count of the rest."""

from __future__ import annotations

import io
import resource
import subprocess
import sys
import zipfile

from openpyxl import Workbook

from optimiser.dataset import tables
from optimiser.dataset.tables import (
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_ROWS,
    read_csv_text,
    read_workbook,
)
from tests.api.helpers import DATASET_FILES, upload, workbook


def dimension_bomb() -> bytes:
    """The tiny dataset's workbook with one cell at the far corner of its pupils sheet: the sheet
    then declares ``A1:XFD1048576`` though it holds a few dozen cells (a few KB on disk)."""
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(workbook()))
    book["pupils"].cell(row=1_048_576, column=16_384, value="x")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (1_500_000_000, 1_500_000_000))


def test_dimension_bomb_is_read_within_bounds_and_refused_by_name(tmp_path):
    bomb = dimension_bomb()
    assert len(bomb) < 20_000
    path = tmp_path / "bomb.xlsx"
    path.write_bytes(bomb)
    # In a child process with 1.5 GB of address space and a minute: padding every row of the
    # declared range (about 130 GB) fails either bound.
    code = (
        "import sys; from pathlib import Path; from optimiser.dataset.tables import read_workbook;"
        "t, p = read_workbook(Path(sys.argv[1]), 'bomb.xlsx');"
        "print(len(t['pupils'].rows)); print(t['pupils'].problems[0].file);"
        "print(t['pupils'].problems[0].message)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_limit_memory,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    rows, file, message = done.stdout.splitlines()
    assert rows == "6"
    assert file == "bomb.xlsx[pupils]"
    assert "A1:XFD1048576" in message and f"{MAX_ROWS:,} rows" in message


def test_dimension_bomb_upload_is_422_naming_the_sheet(api):
    response = upload(api, {"bomb.xlsx": dimension_bomb()})
    assert response.status_code == 422, response.text
    problems = response.json()["problems"]
    assert any(p["file"] == "bomb.xlsx[pupils]" and "XFD1048576" in p["message"] for p in problems)


def test_workbook_wider_than_the_cap_is_refused():
    book = Workbook()
    sheet = book.active
    sheet.title = "pupils"
    sheet.append([f"c{i}" for i in range(MAX_COLUMNS + 5)])
    sheet.append(["x"] * (MAX_COLUMNS + 5))
    out = io.BytesIO()
    book.save(out)
    found, _ = read_workbook(out.getvalue(), "wide.xlsx")
    table = found["pupils"]
    assert len(table.columns) == MAX_COLUMNS
    assert any("columns" in p.message for p in table.problems)


def test_zip_bomb_workbook_is_refused_before_parsing(monkeypatch):
    monkeypatch.setattr(tables, "MAX_WORKBOOK_XML_BYTES", 1_000_000)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b" " * 2_000_000)
    found, problems = read_workbook(out.getvalue(), "zip.xlsx")
    assert not found and "unzips to 2,000,000 bytes" in problems[0].message


def test_csv_caps_rows_columns_and_cells(monkeypatch):
    monkeypatch.setattr(tables, "MAX_ROWS", 10)
    text = "a,b\n" + "1,2\n" * 25
    table = read_csv_text("pupils.csv", text)
    assert len(table.rows) == 10
    assert [p.row for p in table.problems] == [12]
    assert "more than 10 rows" in table.problems[0].message

    wide = ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n" + "1," * MAX_COLUMNS + "1\n"
    table = read_csv_text("pupils.csv", wide)
    assert len(table.columns) == MAX_COLUMNS and "columns" in table.problems[0].message

    long_cell = "a,notes\n1," + "n" * (MAX_CELL_CHARS + 1) + "\n"
    table = read_csv_text("pupils.csv", long_cell)
    assert table.problems[0].column == "notes" and table.rows[0][1]["notes"] == ""


def test_upload_over_the_row_cap_is_422(api):
    rows = "".join(f"P{i},N,S1,9\n" for i in range(MAX_ROWS + 1))
    files = {**DATASET_FILES, "pupils.csv": ("pupil_id,name,school_id,age\n" + rows).encode()}
    response = upload(api, files)
    assert response.status_code == 422, response.text
    assert any(
        p["file"] == "pupils.csv" and f"more than {MAX_ROWS:,} rows" in p["message"]
        for p in response.json()["problems"]
    )


def test_an_upload_past_the_readers_time_or_memory_is_422(backend, tmp_path):
    from tests.api.helpers import make_api, with_users

    with make_api(backend, tmp_path / "slow", parse_timeout_s=0.01) as slow:
        response = upload(with_users(slow))
        assert response.status_code == 422, response.text
        assert "took longer than" in response.json()["problems"][0]["message"]
    with make_api(backend, tmp_path / "small", parse_memory_bytes=64 * 1024**2) as small:
        response = upload(with_users(small))
        assert response.status_code == 422, response.text
        assert "more than the" in response.json()["problems"][0]["message"]


def test_error_lists_are_capped_with_a_count_of_the_rest(api):
    bad = "pupil_id,name,school_id,age\n" + "".join(f"P{i},N,S9,99\n" for i in range(3_000))
    files = {**DATASET_FILES, "pupils.csv": bad.encode()}
    response = upload(api, files)
    assert response.status_code == 422
    body = response.json()
    assert len(response.content) < 200_000
    assert len(body["problems"]) <= 201
    assert body["problems"][-1]["message"].startswith("and ")
    assert "more" in body["problems"][-1]["message"]
    assert body["detail"].startswith("9,000 problems")


def test_the_upload_page_caps_its_problem_list_too(api):
    import re

    from fastapi.testclient import TestClient

    browser = TestClient(api.client.app)
    browser.post("/login", data={"token": api.tokens["officer"]})
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', browser.get("/upload").text)[1]
    bad = "pupil_id,name,school_id,age\n" + "".join(f"P{i},N,S9,99\n" for i in range(3_000))
    files = {**DATASET_FILES, "pupils.csv": bad.encode()}
    parts = [("files", (n, io.BytesIO(b), "text/csv")) for n, b in files.items()]
    page = browser.post("/upload", files=parts, data={"csrf_token": token, "name": "bad"})
    assert page.status_code == 422
    assert "and 8,800 more" in page.text
    assert len(page.content) < 300_000


def test_a_dataset_over_the_services_pupil_limit_is_422_before_its_matrices(backend, tmp_path):
    from tests.api.helpers import make_api, with_users

    with make_api(backend, tmp_path, max_pupils=5) as small:
        service = small.client.app.state.service
        built = []
        service.travel_for = lambda dataset: built.append(dataset)  # never reached
        response = upload(with_users(small))  # six pupils
        assert response.status_code == 422, response.text
        assert "6 pupils: the service plans at most 5" in response.json()["problems"][0]["message"]
        assert built == [] and small.get("/datasets").json() == []
