"""The loader: a tiny valid dataset loads; each bad input is reported with file, row and column."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from optimiser.dataset.loading import load_dataset, load_uploaded
from optimiser.domain.entities import Session
from optimiser.domain.errors import InputError

PUPILS = [
    {
        "pupil_id": "P1",
        "name": "Ada Example",
        "postcode": "PO30 1AA",
        "school_id": "S1",
        "age": "9",
        "sessions": "AM+PM",
        "wheelchair": "yes",
        "passenger_assistant": "yes",
        "solo": "",
        "max_ride_min": "",
        "boarding_min": "",
        "group": "",
        "not_with": "",
        "pm_postcode": "",
        "lat": "",
        "lon": "",
        "notes": "booster seat",
    },
    {
        "pupil_id": "P2",
        "name": "Ben Example",
        "postcode": "",
        "school_id": "S1",
        "age": "12",
        "sessions": "AM",
        "wheelchair": "no",
        "passenger_assistant": "",
        "solo": "1",
        "max_ride_min": "40",
        "boarding_min": "2",
        "group": "G1",
        "not_with": "P3",
        "pm_postcode": "",
        "lat": "50.70",
        "lon": "-1.29",
        "notes": "",
    },
    {
        "pupil_id": "P3",
        "name": "Cal Example",
        "postcode": "po301ab",
        "school_id": "S2",
        "age": "15",
        "sessions": "",
        "wheelchair": "",
        "passenger_assistant": "",
        "solo": "",
        "max_ride_min": "",
        "boarding_min": "",
        "group": "G1",
        "not_with": "",
        "pm_postcode": "PO30 1AD",
        "lat": "",
        "lon": "",
        "notes": "",
    },
]
SCHOOLS = [
    {
        "school_id": "S1",
        "name": "Sample Special School",
        "postcode": "",
        "lat": "50.69",
        "lon": "-1.30",
        "am_arrive_from": "08:50",
        "am_arrive_by": "09:10",
        "pm_depart_from": "15:10",
        "pm_depart_by": "15:25",
    },
    {
        "school_id": "S2",
        "name": "Sample High School",
        "postcode": "PO30 1AA",
        "lat": "",
        "lon": "",
        "am_arrive_from": "08:25",
        "am_arrive_by": "08:40",
        "pm_depart_from": "14:55",
        "pm_depart_by": "15:10",
    },
]
FLEET = [
    {
        "vehicle_type": "Taxi",
        "operator": "Sample Cars",
        "seats": "4",
        "wheelchair_spaces": "0",
        "count": "3",
        "cost_per_session": "18.00",
        "cost_per_km": "1.40",
        "co2_g_per_km": "150",
        "depot_postcode": "PO30 1AB",
        "depot_lat": "",
        "depot_lon": "",
    },
    {
        "vehicle_type": "WAV",
        "operator": "Sample Access",
        "seats": "4",
        "wheelchair_spaces": "1",
        "count": "1",
        "cost_per_session": "30",
        "cost_per_km": "1.8",
        "co2_g_per_km": "200",
        "depot_postcode": "",
        "depot_lat": "50.71",
        "depot_lon": "-1.28",
    },
]
SETTINGS = """
[roads]
network = "roads.npz"
am_speed_factor = 0.85
[costs]
passenger_assistant_per_session = 25.0
school_days_per_year = 190
[policy]
max_ride_min_under_11 = 45
[solver]
time_limit_s = 30
"""


def _write(folder: Path, name: str, rows: list[dict[str, str]]) -> None:
    with (folder / name).open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def make_dataset(folder: Path, pupils=None, schools=None, fleet=None, settings=SETTINGS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    _write(folder, "pupils.csv", pupils or [dict(r) for r in PUPILS])
    _write(folder, "schools.csv", schools or [dict(r) for r in SCHOOLS])
    _write(folder, "fleet.csv", fleet or [dict(r) for r in FLEET])
    (folder / "settings.toml").write_text(settings, encoding="utf-8")
    return folder


def test_valid_dataset_loads(tmp_path):
    data = load_dataset(make_dataset(tmp_path / "ok"))
    assert [p.pupil_id for p in data.pupils] == ["P1", "P2", "P3"]
    p1, p2, p3 = data.pupils
    assert p1.wheelchair and p1.passenger_assistant and not p1.solo
    assert 50.6 < p1.home.lat < 50.8 and -1.4 < p1.home.lon < -1.2  # geocoded PO30 1AA
    assert p2.home.lat == 50.70 and p2.solo and p2.sessions == frozenset({Session.AM})
    assert p2.max_ride_min == 40 and p2.boarding_min == 2.0 and p2.not_with == ("P3",)
    assert p3.postcode == "PO30 1AB" and p3.pm_home is not None and p3.pm_postcode == "PO30 1AD"
    assert p3.sessions == frozenset({Session.AM, Session.PM})
    assert data.schools["S1"].am_arrive_from_s == 8 * 3600 + 50 * 60
    taxi = data.vehicle_type("Sample Cars/Taxi")
    assert taxi.cost_per_session_pence == 1800 and taxi.cost_per_km_pence == 140
    assert data.settings.am_speed_factor == 0.85
    assert data.settings.passenger_assistant_per_session_pence == 2500
    assert data.settings.network == tmp_path / "ok" / "roads.npz"
    assert data.max_ride_s(p1) == 45 * 60 and data.max_ride_s(p2) == 40 * 60
    assert data.max_ride_s(p3) == 75 * 60
    assert data.boarding_s(p1) == 300 and data.boarding_s(p2) == 120


# (table, index in its list, column, bad value, file, row expected, column expected, message)
BAD_CELLS = [
    ("pupils", 1, "school_id", "S9", "pupils.csv", 3, "school_id", "unknown school 'S9'"),
    ("pupils", 2, "pupil_id", "P1", "pupils.csv", 4, "pupil_id", "duplicate of row 2"),
    ("pupils", 0, "postcode", "NOT A CODE", "pupils.csv", 2, "postcode", "is not a UK postcode"),
    (
        "pupils",
        0,
        "postcode",
        "ZZ9 9ZZ",
        "pupils.csv",
        2,
        "postcode",
        "not in the postcode directory",
    ),
    ("pupils", 1, "lat", "", "pupils.csv", 3, "lat", "is empty"),
    ("pupils", 1, "not_with", "P7", "pupils.csv", 3, "not_with", "unknown pupil 'P7'"),
    ("pupils", 1, "not_with", "P2", "pupils.csv", 3, "not_with", "themselves"),
    ("pupils", 0, "wheelchair", "maybe", "pupils.csv", 2, "wheelchair", "is not yes/no"),
    ("pupils", 0, "age", "nine", "pupils.csv", 2, "age", "is not a whole number"),
    ("pupils", 0, "age", "", "pupils.csv", 2, "age", "is empty"),
    ("pupils", 0, "max_ride_min", "-5", "pupils.csv", 2, "max_ride_min", "below the minimum"),
    ("pupils", 0, "sessions", "EVENING", "pupils.csv", 2, "sessions", "is not AM, PM or AM+PM"),
    ("pupils", 2, "pm_postcode", "PO99", "pupils.csv", 4, "pm_postcode", "is not a UK postcode"),
    ("pupils", 0, "name", "", "pupils.csv", 2, "name", "is empty"),
    ("schools", 0, "am_arrive_by", "08:00", "schools.csv", 2, "am_arrive_by", "window is reversed"),
    ("schools", 1, "pm_depart_from", "3pm", "schools.csv", 3, "pm_depart_from", "not a time"),
    ("schools", 1, "school_id", "S1", "schools.csv", 3, "school_id", "duplicate of row 2"),
    ("schools", 0, "lat", "95", "schools.csv", 2, "lat", "above the maximum"),
    ("fleet", 0, "seats", "four", "fleet.csv", 2, "seats", "is not a whole number"),
    ("fleet", 1, "cost_per_km", "", "fleet.csv", 3, "cost_per_km", "is empty"),
    ("fleet", 0, "depot_postcode", "", "fleet.csv", 2, "depot_postcode", "no depot"),
]


@pytest.mark.parametrize(
    ("table", "index", "column", "value", "file", "row", "expect_column", "message"), BAD_CELLS
)
def test_bad_cell_is_reported_with_file_row_column(
    tmp_path, table, index, column, value, file, row, expect_column, message
):
    tables = {
        "pupils": [dict(r) for r in PUPILS],
        "schools": [dict(r) for r in SCHOOLS],
        "fleet": [dict(r) for r in FLEET],
    }
    tables[table][index][column] = value
    folder = make_dataset(tmp_path / "bad", **tables)
    with pytest.raises(InputError) as caught:
        load_dataset(folder)
    found = [p for p in caught.value.problems if p.file == file and p.row == row]
    assert any(p.column == expect_column and message in p.message for p in found), caught.value


def test_every_problem_is_reported_at_once(tmp_path):
    pupils = [dict(r) for r in PUPILS]
    pupils[0]["age"] = "x"
    pupils[1]["school_id"] = "nowhere"
    fleet = [dict(r) for r in FLEET]
    fleet[0]["count"] = "-1"
    with pytest.raises(InputError) as caught:
        load_dataset(make_dataset(tmp_path / "many", pupils=pupils, fleet=fleet))
    columns = {(p.file, p.column) for p in caught.value.problems}
    assert {("pupils.csv", "age"), ("pupils.csv", "school_id"), ("fleet.csv", "count")} <= columns


def test_wheelchair_user_with_no_accessible_vehicle(tmp_path):
    fleet = [dict(FLEET[0])]
    with pytest.raises(InputError) as caught:
        load_dataset(make_dataset(tmp_path / "nowav", fleet=fleet))
    assert any(
        p.row == 2 and p.column == "wheelchair" and "wheelchair space" in p.message
        for p in caught.value.problems
    )


def test_missing_column_and_missing_file(tmp_path):
    folder = make_dataset(
        tmp_path / "cols",
        schools=[{k: v for k, v in r.items() if k != "am_arrive_by"} for r in SCHOOLS],
    )
    (folder / "fleet.csv").unlink()
    with pytest.raises(InputError) as caught:
        load_dataset(folder)
    problems = {(p.file, p.column) for p in caught.value.problems}
    assert ("fleet.csv", None) in problems
    assert ("schools.csv", "am_arrive_by") in problems


@pytest.mark.parametrize(
    ("settings", "column"),
    [
        ("[roads]\nam_speed_factor = 'fast'\n", "roads.am_speed_factor"),
        ("[costs]\nbudget = 3\n", "costs.budget"),
        ("[weather]\nrain = 1\n", "weather"),
        ("[roads\n", None),
        ("[solver]\ntime_limit_s = 0\n", "solver.time_limit_s"),
        ("[solver]\nworkers = 0\n", "solver.workers"),
        ("[compute]\nray_address = 3\n", "compute.ray_address"),
        (
            "[costs]\npassenger_assistant_per_session = inf\n",
            "costs.passenger_assistant_per_session",
        ),
        ("[solver]\ntime_limit_s = nan\n", "solver.time_limit_s"),
        ("[policy]\ndetour_factor = 0.9\n", "policy.detour_factor"),
        ("[policy]\nmax_schools_per_route = 0\n", "policy.max_schools_per_route"),
        ("[costs]\ncontinuity_per_change = -1\n", "costs.continuity_per_change"),
        (
            "[costs]\ncontinuity_max_extra_percent = 1001\n",
            "costs.continuity_max_extra_percent",
        ),
        (
            "[costs]\ncontinuity_max_extra_percent = -0.5\n",
            "costs.continuity_max_extra_percent",
        ),
        ("[sheets]\noperating_from = '3 September'\n", "sheets.operating_from"),
        (
            "[sheets]\noperating_from = '2026-10-01'\noperating_to = '2026-09-01'\n",
            "sheets.operating_to",
        ),
    ],
)
def test_bad_settings(tmp_path, settings, column):
    with pytest.raises(InputError) as caught:
        load_dataset(make_dataset(tmp_path / "set", settings=settings))
    assert any(p.file == "settings.toml" and p.column == column for p in caught.value.problems)


def test_optional_route_sheet_columns_and_settings(tmp_path):
    plain = load_dataset(make_dataset(tmp_path / "plain"))
    assert all(p.home_address == p.contact_phone == "" for p in plain.pupils)
    assert plain.settings.council_contact == "" and plain.settings.operating_from == ""
    pupils = [
        dict(r, address="1 Mill Lane", contact_name="Mum", contact_phone="07700 900000")
        for r in PUPILS
    ]
    schools = [dict(r, phone="01983 000000") for r in SCHOOLS]
    settings = SETTINGS + (
        "[sheets]\ncouncil_contact = 'Transport 01983 1'\noperating_days = 'Mon-Fri'\n"
        "operating_from = '2026-09-03'\noperating_to = '2026-10-23'\n"
    )
    data = load_dataset(make_dataset(tmp_path / "full", pupils, schools, settings=settings))
    p1 = data.pupils[0]
    assert (p1.home_address, p1.contact_name, p1.contact_phone) == (
        "1 Mill Lane",
        "Mum",
        "07700 900000",
    )
    assert {s.phone for s in data.schools.values()} == {"01983 000000"}
    assert data.settings.council_contact == "Transport 01983 1"
    assert (data.settings.operating_from, data.settings.operating_to) == (
        "2026-09-03",
        "2026-10-23",
    )


def test_workbook_with_the_same_sheets(tmp_path):
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for name, rows in (("pupils", PUPILS), ("schools", SCHOOLS), ("fleet", FLEET)):
        sheet = book.create_sheet(name)
        sheet.append(list(rows[0]))
        for r in rows:
            sheet.append(list(r.values()))
    settings = book.create_sheet("settings")
    settings.append(["section", "key", "value"])
    settings.append(["costs", "school_days_per_year", 195])
    path = tmp_path / "council.xlsx"
    book.save(path)
    data = load_dataset(path)
    assert len(data.pupils) == 3 and data.settings.school_days_per_year == 195

    book["pupils"]["D3"] = "S404"  # school_id of the second pupil (spreadsheet row 3)
    book.save(path)
    with pytest.raises(InputError) as caught:
        load_dataset(path)
    assert any(
        p.file == "council.xlsx[pupils]" and p.row == 3 and p.column == "school_id"
        for p in caught.value.problems
    )


def test_uploaded_csv_files(tmp_path):
    folder = make_dataset(tmp_path / "up")
    files = {f.name: f.read_bytes() for f in folder.iterdir()}
    data = load_uploaded(files, name="upload")
    assert len(data.pupils) == 3
    del files["fleet.csv"]
    with pytest.raises(InputError) as caught:
        load_uploaded(files, name="upload")
    assert any(p.file == "fleet.csv" for p in caught.value.problems)


def test_duplicate_fleet_row(tmp_path):
    fleet = [dict(r) for r in FLEET] + [dict(FLEET[0])]
    with pytest.raises(InputError) as caught:
        load_dataset(make_dataset(tmp_path / "dup", fleet=fleet))
    assert any(
        p.row == 4 and "'Sample Cars/Taxi' is a duplicate of row 2" in p.message
        for p in caught.value.problems
    )


def test_pupil_with_no_address_at_all(tmp_path):
    pupils = [dict(r) for r in PUPILS]
    pupils[1].update(lat="", lon="", postcode="")
    with pytest.raises(InputError) as caught:
        load_dataset(make_dataset(tmp_path / "noaddr", pupils=pupils))
    assert any(p.row == 3 and "no home address" in p.message for p in caught.value.problems)
