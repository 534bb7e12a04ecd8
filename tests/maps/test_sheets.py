"""Operators' route sheets: their own routes only, and only what the journey needs."""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import unicodedata
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


def _pdf_text(path: Path, layout: bool = True) -> str:
    """The PDF's text: laid out as on the page, or cell by cell in reading order."""
    if shutil.which("pdftotext") is None:
        pytest.skip("needs pdftotext (poppler-utils)")
    mode = ["-layout"] if layout else []
    return subprocess.run(
        ["pdftotext", *mode, str(path), "-"], check=True, capture_output=True, text=True
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
    with (written[f"{name}.csv"]).open(encoding="utf-8-sig") as handle:
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
    texts = [
        written[f"{name}.csv"].read_text(encoding="utf-8-sig"),
        _pdf_text(written[f"{name}.pdf"]),
    ]
    with (written[f"{name}.csv"]).open(encoding="utf-8-sig") as handle:
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


NAMES = ("Łucja Wiśniewska", "Ŵyn Llŷr", "Ștefan Țurcanu", "学 Wang", "عمر Đặng")


def _world_dataset(notes: dict[str, str] | None = None):
    """The tiny dataset with the five pupils renamed into six scripts, addresses and contacts."""
    from dataclasses import replace

    dataset = make_dataset()
    notes = notes or {}
    pupils = tuple(
        replace(
            p,
            name=NAMES[i],
            home_address=f"{i + 1} Mill Lane, Newport",
            contact_name="Mum",
            contact_phone=f"07700 90012{i}",
            notes=notes.get(p.pupil_id, p.notes),
        )
        for i, p in enumerate(dataset.pupils)
    )
    schools = {k: replace(s, phone="01983 000111") for k, s in dataset.schools.items()}
    settings = replace(
        dataset.settings,
        council_contact="Transport team 01983 823 000",
        operating_days="Monday to Friday, term time",
        operating_from="2026-09-03",
        operating_to="2026-10-23",
    )
    return replace(dataset, pupils=pupils, schools=schools, settings=settings)


def test_names_in_every_script_are_printed_and_extractable(tmp_path) -> None:
    from maps.sheet_fonts import missing_characters

    plan = make_plan()
    dataset = _world_dataset()
    files = {p.name: p for p in write_route_sheets(plan, dataset, tmp_path)}
    text = _pdf_text(files["Acme_Taxis.pdf"]) + _pdf_text(files["Blue_Line.pdf"])
    expected = {p.first_name_initial for p in dataset.pupils}
    # Arabic is printed joined (presentation forms) and right to left: a reader's search, like
    # NFKC, finds the letters as typed; pdftotext adds direction marks around it
    readable = unicodedata.normalize("NFKC", text)
    readable = "".join(c for c in readable if unicodedata.category(c) != "Cf")
    for short in expected - {"عمر Đ.", "学 W."}:
        assert short in readable, short
    assert "عمر" in readable and "Đ. (P005)" in readable  # the space between is lost by pdftotext
    for char in "ŁŴȘĐع":
        assert char in readable
    fonts = subprocess.run(
        ["pdffonts", str(files["Blue_Line.pdf"])], capture_output=True, text=True
    ).stdout
    truetype = [line.split() for line in fonts.splitlines() if "TrueType" in line]
    assert any(row[0].endswith("+DejaVuSans") for row in truetype)
    assert all(row[-5] == "yes" for row in truetype)  # embedded (reportlab lists an unused F1)
    if missing_characters("学"):
        pytest.skip("no CJK fallback font (fonts-droid-fallback or SEND_ROUTES_FALLBACK_FONT)")
    assert "学 W." in readable


def test_latin_extended_needs_no_fallback() -> None:
    from maps.sheet_fonts import missing_characters

    assert missing_characters("ŁŴȘĐẫŷțع") == set()


def test_what_a_driver_needs_at_each_stop(tmp_path) -> None:
    plan, dataset = make_plan(), _world_dataset()
    rows = sheet_rows(plan, dataset, "Blue Line")
    first = rows[0]
    assert first["runs"] == "Monday to Friday, term time, from Thu 3 Sep 2026 to Fri 23 Oct 2026"
    assert first["pa_for"] == "Ștefan Ț. (P003)"
    assert first["council_contact"] == "Transport team 01983 823 000"
    home = next(r for r in rows if r["pupil_ref"] == "P003" and r["route_id"] == "AM-2")
    assert home["address"] == "3 Mill Lane, Newport" and home["contact"] == "Mum 07700 900122"
    school = next(r for r in rows if r["action"] == "Set down at school")
    assert school["school_phone"] == "01983 000111" and school["address"] == ""
    assert school["contact"] == ""  # the parent's number is for the home stop only
    # Dev's afternoon address differs: his morning house address is not printed there
    dev_pm = next(r for r in rows if r["pupil_ref"] == "P004" and r["route_id"] == "PM-2"
                  and r["action"] == "Set down")  # fmt: skip
    assert dev_pm["postcode"] == "OX4 9ZZ" and dev_pm["address"] == ""
    files = {p.name: p for p in write_route_sheets(plan, dataset, tmp_path)}
    assert files["Blue_Line.csv"].read_bytes().startswith(b"\xef\xbb\xbf")  # Excel reads UTF-8
    text = " ".join(_pdf_text(files["Blue_Line.pdf"], layout=False).split())
    for words in (
        "PA for: Ștefan Ț. (P003)",
        "Transport team 01983 823 000",
        "3 Mill Lane, Newport",
        "07700 900122",
        "01983 000111",
        "from Thu 3 Sep 2026 to Fri 23 Oct 2026",
        "(P004)",
    ):
        assert words in text, words


def test_two_pupils_with_one_short_name_are_told_apart() -> None:
    from dataclasses import replace

    dataset = make_dataset()
    pupils = tuple(
        replace(p, name="Zion Smith" if p.pupil_id in ("P003", "P004") else p.name)
        for p in dataset.pupils
    )
    rows = sheet_rows(make_plan(), replace(dataset, pupils=pupils), "Blue Line")
    zions = {(r["pupil"], r["pupil_ref"]) for r in rows if r["pupil"] == "Zion S."}
    assert zions == {("Zion S.", "P003"), ("Zion S.", "P004")}


LONG = "Needs a calm approach; speak slowly and wait for an answer. " * 14  # ~840 characters


@pytest.mark.parametrize(
    "notes",
    [
        {"P003": LONG},
        {"P003": LONG[:250], "P004": LONG[:250], "P005": LONG[:250]},
        {"P003": LONG * 8},  # longer than a whole page
        {"P001": "x" * 3000},  # one word no line can hold
    ],
    ids=["800-one-pupil", "3x250-one-stop", "page-long", "unbroken"],
)
def test_long_notes_run_on_with_a_route_header_on_every_page(notes, tmp_path) -> None:
    plan = make_plan()
    # three pupils at one stop: Chloe, Dev and Erin all set down at the first school stop
    for route in plan.routes:
        if route.route_id == "AM-2":
            route.stops[4].pupil_ids = ("P003", "P004", "P005")
    dataset = _world_dataset(notes)
    files = {p.name: p for p in write_route_sheets(plan, dataset, tmp_path)}
    for name in ("Acme_Taxis.pdf", "Blue_Line.pdf"):
        pages = _pdf_text(files[name]).split("\f")[:-1]
        by_route: dict[str, list[tuple[int, int]]] = {}
        for page in pages:
            found = re.search(r"Route (\S+), page (\d+) of (\d+)", page)
            assert found, page[:200]
            by_route.setdefault(found[1], []).append((int(found[2]), int(found[3])))
        for route_id, seen in by_route.items():
            total = seen[0][1]
            assert seen == [(i, total) for i in range(1, total + 1)], route_id
    text = " ".join(_pdf_text(files["Blue_Line.pdf"], layout=False).split())
    if "P003" in notes and len(notes["P003"]) < 1000:
        assert "speak slowly and wait for an answer" in text


def test_one_failing_output_leaves_the_others(tmp_path, monkeypatch) -> None:
    import maps.sheets
    from maps import outputs

    real = maps.sheets.write_operator_pdf

    def broken(sheets, operator, date, path, *rest):
        if operator == "Acme Taxis":
            raise RuntimeError("the renderer broke")
        return real(sheets, operator, date, path, *rest)

    monkeypatch.setattr(maps.sheets, "write_operator_pdf", broken)
    written = outputs.write_all_outputs(make_plan(), make_dataset(), None, None, tmp_path)
    assert written["map"].is_file() and written["finance_xlsx"].is_file()
    assert written["sheets/Blue_Line.pdf"].is_file() and "sheets/Acme_Taxis.pdf" not in written
    report = written["failed"].read_text(encoding="utf-8")
    assert report == "sheets/Acme Taxis: RuntimeError: the renderer broke\n"


def test_map_failure_is_reported(tmp_path, monkeypatch) -> None:
    from maps import outputs

    def broken(*args, **kwargs):
        raise ValueError("no map today")

    monkeypatch.setattr(outputs, "write_map_file", broken)
    written = outputs.write_all_outputs(make_plan(), make_dataset(), None, None, tmp_path)
    assert "map" not in written and written["sheets/Acme_Taxis.pdf"].is_file()
    assert written["finance"].is_file()
    assert "map: ValueError: no map today" in written["failed"].read_text(encoding="utf-8")


def test_a_route_sheet_names_the_twin_route_of_the_other_session():
    from maps.sheets import twin_text
    from optimiser.domain.entities import Session
    from optimiser.plan.document import Route

    am = Route("AM-004", Session.AM, "AM-V004", "Car", "Cars", False, [], twin_route_id="PM-009")
    pm = Route("PM-009", Session.PM, "PM-V009", "Car", "Cars", False, [], twin_route_id="AM-004")
    alone = Route("PM-010", Session.PM, "PM-V010", "Car", "Cars", False, [])
    assert twin_text(am) == "Same vehicle and crew in the afternoon: route PM-009"
    assert twin_text(pm) == "Same vehicle and crew in the morning: route AM-004"
    assert twin_text(alone) == ""


def test_a_banner_heads_every_pdf_page(tmp_path) -> None:
    banner = "SUPERSEDED on 06 Jan 2027 by plan 12: do not use"
    files = {
        p.name: p for p in write_route_sheets(make_plan(), make_dataset(), tmp_path, banner=banner)
    }
    for name in ("Acme_Taxis.pdf", "Blue_Line.pdf"):
        pages = _pdf_text(files[name]).split("\f")[:-1]
        assert pages and all(banner in " ".join(page.split()) for page in pages), name
    plain = write_route_sheets(make_plan(), make_dataset(), tmp_path / "plain")
    assert "SUPERSEDED" not in _pdf_text(next(p for p in plain if p.suffix == ".pdf"))
