"""Operators' route sheets: one PDF (each route from a new page) and one CSV per operator.

A sheet carries what a driver and passenger assistant need and nothing more: the vehicle, whether
a passenger assistant rides and for whom, the wheelchair spaces in use, the depot times, the days
and dates the route runs, the council's contact, and the stops in order with time, postcode (and
the house address and the parent or carer to call, when the dataset gives them), who gets on or
off (first name and initial, with the pupil's reference so two "Zion S." cannot be mixed up),
that pupil's notes and their school (with its phone). No surnames, ages, dates of birth or needs
flags beyond wheelchair boarding and the passenger assistant, and never another operator's routes.

Names in any script are printed in an embedded Unicode font (:mod:`maps.sheet_fonts`); a note of
any length is wrapped and split across pages; every page is headed "Route AM-005, page 2 of 2".
The CSV is UTF-8 with a byte-order mark (so Excel reads the names) and every cell is safe to open
in a spreadsheet (:mod:`maps.safe_cells`).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import (
    Flowable,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from maps.plan_facts import (
    depot_stops,
    plan_date,
    slug,
    vehicle_for,
    wheelchair_spaces_used,
)
from maps.safe_cells import csv_row
from maps.sheet_fonts import BOLD, REGULAR, markup, register_fonts
from optimiser.domain.entities import Dataset, Pupil, Session, Settings
from optimiser.domain.times import format_hm
from optimiser.plan.document import Plan, Route, Stop, StopType

CSV_COLUMNS = (
    "route_id",
    "session",
    "runs",
    "vehicle_id",
    "vehicle_type",
    "passenger_assistant",
    "pa_for",
    "wheelchair_spaces_used",
    "depot_depart",
    "depot_return",
    "stop",
    "time",
    "action",
    "postcode",
    "address",
    "pupil",
    "pupil_ref",
    "wheelchair",
    "contact",
    "notes",
    "school",
    "school_phone",
    "council_contact",
)


@dataclass(frozen=True)
class SheetLine:
    """One pupil getting on or off at one stop, as the operator sees it."""

    stop: int
    time: str
    action: str  # "Pick up" or "Set down", "at school" added at a school
    postcode: str
    pupil: str  # first name and initial
    wheelchair: bool
    notes: str
    school: str
    ref: str = ""  # the pupil's reference (their id): unique on the route
    address: str = ""  # the house address, at the pupil's morning home only
    contact: str = ""  # parent or carer and phone, at the pupil's home only
    school_phone: str = ""


@dataclass(frozen=True)
class RouteSheet:
    """One route's sheet: the route-level facts and its lines in stop order."""

    route_id: str
    session: str
    operator: str
    vehicle_id: str
    vehicle_type: str
    passenger_assistant: bool
    wheelchair_spaces_used: int
    depot_depart: str
    depot_return: str
    lines: tuple[SheetLine, ...]
    pa_for: tuple[str, ...] = ()  # "Chloe S. (P003)": the pupils who need the assistant
    runs: str = ""  # days and dates of operation
    council_contact: str = ""
    twin: str = ""  # "Same vehicle and crew in the afternoon: route PM-007"


def operators(plan: Plan) -> list[str]:
    """The operators with routes in the plan, sorted."""
    return sorted({r.operator for r in plan.routes})


def operator_routes(plan: Plan, operator: str) -> list[Route]:
    """One operator's routes, AM before PM, then by route id."""
    mine = [r for r in plan.routes if r.operator == operator]
    return sorted(mine, key=lambda r: (str(r.session), r.start_s or 0, r.route_id))


def _long_date(text: str) -> str:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return text
    return f"{day:%a} {day.day} {day:%b %Y}"


def operating_text(settings: Settings) -> str:
    """When the routes run, from ``[sheets]`` in settings: "Monday to Friday, from ... to ..."."""
    parts = [settings.operating_days] if settings.operating_days else []
    start, end = settings.operating_from, settings.operating_to
    if start and end:
        parts.append(f"from {_long_date(start)} to {_long_date(end)}")
    elif start:
        parts.append(f"from {_long_date(start)}")
    elif end:
        parts.append(f"until {_long_date(end)}")
    return ", ".join(parts)


def pupil_tag(pupil: Pupil) -> str:
    """What a sheet calls a pupil: first name, initial and reference, "Ada L. (P001)"."""
    return f"{pupil.first_name_initial} ({pupil.pupil_id})"


def _at_home(pupil: Pupil, session: str) -> tuple[str, str]:
    """The house address and the contact to print at the pupil's home stop."""
    pm_elsewhere = session == str(Session.PM) and pupil.pm_home is not None
    address = "" if pm_elsewhere else pupil.home_address
    contact = " ".join(x for x in (pupil.contact_name, pupil.contact_phone) if x)
    return address, contact


def _line(stop: Stop, number: int, route: Route, pid: str, dataset: Dataset) -> SheetLine:
    pupil = dataset.find_pupil(pid)
    school = dataset.schools.get(stop.school_id) if stop.school_id else None
    named = school or (dataset.schools.get(pupil.school_id) if pupil else None)
    action = "Pick up" if stop.type == StopType.PICKUP else "Set down"
    address, contact = "", ""
    if school is not None:
        action += " at school"
        postcode = school.postcode or ""
    else:
        postcode = (pupil.postcode_for(route.session) if pupil else None) or ""
        if pupil is not None:
            address, contact = _at_home(pupil, str(route.session))
    return SheetLine(
        stop=number,
        time=format_hm(stop.arrive if stop.arrive is not None else stop.depart),
        action=action,
        postcode=postcode,
        pupil=pupil.first_name_initial if pupil else pid,
        wheelchair=bool(pupil and pupil.wheelchair),
        notes=pupil.notes if pupil else "",
        school=named.name if named else "",
        ref=pid,
        address=address,
        contact=contact,
        school_phone=named.phone if named else "",
    )


def route_sheet(route: Route, dataset: Dataset) -> RouteSheet:
    """The sheet of one route."""
    first, last = depot_stops(route)
    lines: list[SheetLine] = []
    number = 0
    for stop in route.stops:
        if stop.type == StopType.DEPOT:
            continue
        number += 1
        lines.extend(_line(stop, number, route, pid, dataset) for pid in stop.pupil_ids)
    vt = vehicle_for(route, dataset)
    pa_for = tuple(
        pupil_tag(p)
        for pid in route.pupil_ids
        if (p := dataset.find_pupil(pid)) is not None and p.passenger_assistant
    )
    return RouteSheet(
        route_id=route.route_id,
        session=str(route.session),
        operator=route.operator,
        vehicle_id=route.vehicle_id,
        vehicle_type=vt.vehicle_type if vt else route.vehicle_type,
        passenger_assistant=route.passenger_assistant,
        wheelchair_spaces_used=wheelchair_spaces_used(route, dataset),
        depot_depart=format_hm(first.depart if first else route.start_s),
        depot_return=format_hm(last.arrive if last else route.end_s),
        lines=tuple(lines),
        pa_for=tuple(dict.fromkeys(pa_for)) if route.passenger_assistant else (),
        runs=operating_text(dataset.settings),
        council_contact=dataset.settings.council_contact,
        twin=twin_text(route),
    )


def twin_text(route: Route) -> str:
    """Which route the same vehicle and crew drive in the other session, if the plan says."""
    if not route.twin_route_id:
        return ""
    other = "afternoon" if str(route.session) == "AM" else "morning"
    return f"Same vehicle and crew in the {other}: route {route.twin_route_id}"


def operator_sheets(plan: Plan, dataset: Dataset, operator: str) -> list[RouteSheet]:
    """The sheets of one operator's routes."""
    return [route_sheet(r, dataset) for r in operator_routes(plan, operator)]


def pa_text(sheet: RouteSheet) -> str:
    """ "PA for: Chloe S. (P003)", or who else the assistant is on board for."""
    if not sheet.passenger_assistant:
        return "No"
    if sheet.pa_for:
        return "YES – PA for: " + ", ".join(sheet.pa_for)
    return "YES – PA for: everyone on board"


def sheet_rows(plan: Plan, dataset: Dataset, operator: str) -> list[dict[str, str]]:
    """The operator's CSV: one row per pupil getting on or off, route facts on every row."""
    rows = []
    for sheet in operator_sheets(plan, dataset, operator):
        head = {
            "route_id": sheet.route_id,
            "session": sheet.session,
            "runs": sheet.runs,
            "vehicle_id": sheet.vehicle_id,
            "vehicle_type": sheet.vehicle_type,
            "passenger_assistant": "yes" if sheet.passenger_assistant else "no",
            "pa_for": "; ".join(sheet.pa_for),
            "wheelchair_spaces_used": str(sheet.wheelchair_spaces_used),
            "depot_depart": sheet.depot_depart,
            "depot_return": sheet.depot_return,
            "council_contact": sheet.council_contact,
        }
        for line in sheet.lines:
            rows.append(
                head
                | {
                    "stop": str(line.stop),
                    "time": line.time,
                    "action": line.action,
                    "postcode": line.postcode,
                    "address": line.address,
                    "pupil": line.pupil,
                    "pupil_ref": line.ref,
                    "wheelchair": "yes" if line.wheelchair else "no",
                    "contact": line.contact,
                    "notes": line.notes,
                    "school": line.school,
                    "school_phone": line.school_phone,
                }
            )
    return rows


_BODY = ParagraphStyle("body", fontName=REGULAR, fontSize=12, leading=15)
_BOLD = ParagraphStyle("bold", parent=_BODY, fontName=BOLD)
_SMALL = ParagraphStyle("small", parent=_BODY, fontSize=10.5, leading=13)
_TITLE = ParagraphStyle("title", fontName=BOLD, fontSize=22, leading=27)
_SUB = ParagraphStyle("sub", fontName=REGULAR, fontSize=14, leading=18)


def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(markup(text), style)


def _facts_table(sheet: RouteSheet) -> Table:
    cells = [
        [_p("Vehicle", _BOLD), _p(f"{_cut(sheet.vehicle_type)} ({_cut(sheet.vehicle_id)})")],
        [
            _p("Passenger assistant", _BOLD),
            _p(_cut(pa_text(sheet), 600), _BOLD if sheet.passenger_assistant else _BODY),
        ],
        [_p("Wheelchair spaces used", _BOLD), _p(str(sheet.wheelchair_spaces_used))],
        [
            _p("Depot", _BOLD),
            _p(f"leave {sheet.depot_depart} · back {sheet.depot_return}"),
        ],
    ]
    if sheet.runs:
        cells.append([_p("Runs", _BOLD), _p(_cut(sheet.runs))])
    if sheet.council_contact:
        cells.append([_p("Council contact", _BOLD), _p(_cut(sheet.council_contact))])
    if sheet.twin:
        cells.append([_p("Both ways", _BOLD), _p(_cut(sheet.twin))])
    table = Table(cells, colWidths=[65 * mm, 200 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])
    )
    return table


def _where(line: SheetLine) -> str:
    return "\n".join(x for x in (line.postcode, line.address) if x)


def _who(line: SheetLine) -> str:
    return f"{line.pupil} ({line.ref})" + ("\nWHEELCHAIR" if line.wheelchair else "")


def _school(line: SheetLine) -> str:
    return line.school + (f"\n{line.school_phone}" if line.school_phone else "")


#: Notes up to this length sit in the Notes column; longer ones run across the page below.
NOTE_INLINE_MAX = 160
#: A full-width notes row holds at most this much, so no row is ever taller than a page.
NOTE_CHUNK = 1200
#: Other cells are cut here (with "…"): a driver's sheet is no place for an essay.
CELL_MAX = 200


def _cut(text: str, limit: int = CELL_MAX) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def note_chunks(text: str, size: int = NOTE_CHUNK) -> list[str]:
    """``text`` in pieces of at most ``size`` characters, broken at spaces where there are any."""
    chunks = []
    rest = text.strip()
    while len(rest) > size:
        cut = rest.rfind(" ", size // 2, size + 1)
        cut = cut if cut > 0 else size
        chunks.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    return [*chunks, rest] if rest else chunks


def _line_row(line: SheetLine, first: bool, noted_at: int | None = None) -> list[Paragraph]:
    """One table row per pupil; the stop's number, time and action on its first row only.

    A long note is printed in full under the pupil's first row (``noted_at``: that stop).
    """
    long_note = len(line.notes) > NOTE_INLINE_MAX
    note = "Notes below" if noted_at is None else f"Notes at stop {noted_at}"
    return [
        _p(str(line.stop) if first else "", _BOLD),
        _p(line.time if first else "", _BOLD),
        _p(line.action if first else "", _SMALL),
        _p(_cut(_where(line)), _SMALL),
        _p(_cut(_who(line)), _BOLD),
        _p(_cut(line.contact), _SMALL),
        _p(_cut(_school(line)), _SMALL),
        _p(note if long_note else line.notes, _BOLD if long_note else _SMALL),
    ]


def _note_rows(line: SheetLine) -> list[list[Paragraph]]:
    """A long note across the page under its pupil, in pieces that each fit on a page."""
    if len(line.notes) <= NOTE_INLINE_MAX:
        return []
    chunks = note_chunks(line.notes)
    rows = []
    for i, chunk in enumerate(chunks):
        label = f"Notes for {line.pupil} ({line.ref})" + (" (continued)" if i else "")
        cell = Paragraph(f"<b>{markup(label)}:</b> {markup(chunk)}", _SMALL)
        rows.append([_p(""), _p(""), cell] + [_p("")] * (len(STOP_HEADINGS) - 3))
    return rows


STOP_HEADINGS = ("Stop", "Time", "", "Where", "Pupil (ref)", "Contact", "School", "Notes")
STOP_WIDTHS_MM = (16, 20, 26, 40, 46, 34, 42, 49)


def _stops_table(sheet: RouteSheet) -> Table:
    rows: list[list[Any]] = [[_p(h, _BOLD) for h in STOP_HEADINGS]]
    blank = [_p("")] * (len(STOP_HEADINGS) - 3)
    rows.append([_p("-"), _p(sheet.depot_depart, _BOLD), _p("Leave depot", _SMALL), *blank])
    style = []
    previous: int | None = None
    stops_seen = 0
    noted: dict[str, int] = {}
    for line in sheet.lines:
        first = line.stop != previous
        stops_seen += first
        previous = line.stop
        start = len(rows)
        if first:
            style.append(("LINEABOVE", (0, start), (-1, start), 0.5, colors.grey))
        rows.append(_line_row(line, first, noted.get(line.ref)))
        for note in [] if line.ref in noted else _note_rows(line):
            style.append(("SPAN", (2, len(rows)), (-1, len(rows))))
            rows.append(note)
        noted.setdefault(line.ref, line.stop)
        if stops_seen % 2 == 0:
            style.append(
                ("BACKGROUND", (0, start), (-1, len(rows) - 1), colors.HexColor("#eeeeee"))
            )
    rows.append([_p("-"), _p(sheet.depot_return, _BOLD), _p("Back at depot", _SMALL), *blank])
    table = Table(
        rows,
        colWidths=[w * mm for w in STOP_WIDTHS_MM],
        repeatRows=1,
        hAlign="LEFT",
    )
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 1.5, colors.black),
                ("LINEABOVE", (0, -1), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                *style,
            ]
        )
    )
    return table


class _RouteStart(Flowable):
    """Draws nothing; tells the document which route the following pages belong to."""

    def __init__(self, route_id: str, session: str) -> None:
        super().__init__()
        self.route_id = route_id
        self.session = session
        self.width = self.height = 0

    def wrap(self, *_: Any) -> tuple[float, float]:
        return 0, 0

    def draw(self) -> None:
        self.canv._doctemplate.current_route = (self.route_id, self.session)  # type: ignore[attr-defined]


class _SheetDoc(SimpleDocTemplate):
    """Records the route of every page, so each page can say "page 2 of 3" of its route."""

    def __init__(self, target: Any, *, page_counts: dict[str, int], **kwargs: Any) -> None:
        super().__init__(target, **kwargs)
        self.current_route: tuple[str, str] | None = None
        self.page_counts = page_counts  # route id -> pages, from a first pass
        self.pages_seen: dict[str, int] = {}
        self.page_routes: list[str] = []
        self.header = ""
        self.banner = ""  # the plan's status, e.g. superseded: at the top of every page

    def afterPage(self) -> None:  # noqa: N802 - reportlab's hook name
        if self.current_route is None:
            return
        route_id, session = self.current_route
        self.pages_seen[route_id] = self.pages_seen.get(route_id, 0) + 1
        self.page_routes.append(route_id)
        page = self.pages_seen[route_id]
        total = self.page_counts.get(route_id)
        of = f" of {total}" if total else ""
        canvas = self.canv
        canvas.saveState()
        canvas.setFont(BOLD, 12)
        canvas.drawString(
            self.leftMargin, self.pagesize[1] - 8 * mm, f"Route {route_id}, page {page}{of}"
        )
        canvas.setFont(REGULAR, 10)
        canvas.drawRightString(
            self.pagesize[0] - self.rightMargin,
            self.pagesize[1] - 8 * mm,
            f"{self.header} · {session}",
        )
        if self.banner:
            canvas.setFont(BOLD, 12)
            canvas.drawCentredString(self.pagesize[0] / 2, self.pagesize[1] - 8 * mm, self.banner)
        canvas.restoreState()


def _story(sheets: list[RouteSheet], operator: str, date_text: str) -> list[Any]:
    story: list[Any] = []
    for i, sheet in enumerate(sheets):
        if i:
            story.append(PageBreak())
        sub = f"{operator} · contract route {sheet.route_id}"
        sub += "" if sheet.runs else f" · plan of {date_text}"
        story += [
            _RouteStart(sheet.route_id, sheet.session),
            _p(f"Route {sheet.route_id} – {sheet.session}", _TITLE),
            _p(sub, _SUB),
            Spacer(1, 3 * mm),
            _facts_table(sheet),
            Spacer(1, 4 * mm),
            _stops_table(sheet),
        ]
    if not story:
        story.append(_p(f"No routes for {operator} in this plan.", _TITLE))
    return story


def _build(
    target: Any,
    sheets: list[RouteSheet],
    operator: str,
    date_text: str,
    counts: dict[str, int],
    banner: str = "",
) -> _SheetDoc:
    contact = next((s.council_contact for s in sheets if s.council_contact), "")

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(REGULAR, 9)
        call = f"Council contact: {contact} · " if contact else ""
        canvas.drawString(
            doc.leftMargin,
            9 * mm,
            f"{call}Plan of {date_text} · contains pupils' personal data: keep it secure and "
            "destroy it when replaced",
        )
        canvas.drawRightString(doc.pagesize[0] - doc.rightMargin, 9 * mm, f"Sheet {doc.page}")
        canvas.restoreState()

    doc = _SheetDoc(
        target,
        page_counts=counts,
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=14 * mm,
        bottomMargin=16 * mm,
        title=f"Route sheets – {operator} – {date_text}",
        author="send-routes",
        initialFontName=REGULAR,  # no unembedded Helvetica anywhere in the file
        initialFontSize=10,
    )
    doc.header = operator
    doc.banner = banner
    doc.build(_story(sheets, operator, date_text), onFirstPage=footer, onLaterPages=footer)
    return doc


def write_operator_pdf(
    sheets: list[RouteSheet], operator: str, date: str, path: Path, banner: str = ""
) -> Path:
    """One operator's PDF: each route from a new page, every page headed with its route (and
    ``banner``, e.g. that the plan is superseded, when given).

    Built twice: the first pass counts each route's pages for "page 2 of 3".
    """
    register_fonts()
    first = _build(io.BytesIO(), sheets, operator, date, {}, banner)
    counts: dict[str, int] = {}
    for route_id in first.page_routes:
        counts[route_id] = counts.get(route_id, 0) + 1
    _build(str(path), sheets, operator, date, counts, banner)
    return path


def write_operator_csv(rows: list[dict[str, str]], path: Path) -> Path:
    """The CSV in UTF-8 with a byte-order mark, every cell safe to open in a spreadsheet."""
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(csv_row(r) for r in rows)
    return path


def operator_file_names(plan: Plan) -> dict[str, str]:
    """Each operator's file name stem, in operator order; two that read the same differ by "_"."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for operator in operators(plan):
        name = slug(operator)
        while name.lower() in used:
            name += "_"
        used.add(name.lower())
        names[operator] = name
    return names


def write_operator_files(
    plan: Plan, dataset: Dataset, operator: str, out_dir: Path, name: str, banner: str = ""
) -> list[Path]:
    """One operator's ``<name>.pdf`` and ``<name>.csv``."""
    sheets = operator_sheets(plan, dataset, operator)
    pdf = write_operator_pdf(sheets, operator, plan_date(plan), out_dir / f"{name}.pdf", banner)
    csv_path = write_operator_csv(sheet_rows(plan, dataset, operator), out_dir / f"{name}.csv")
    return [pdf, csv_path]


def write_route_sheets(
    plan: Plan, dataset: Dataset, out_dir: Path | str, *, banner: str = ""
) -> list[Path]:
    """Write every operator's route sheets: ``<operator>.pdf`` and ``<operator>.csv``.

    Parameters
    ----------
    plan, dataset
        The plan and the dataset it was made from.
    out_dir
        Folder to write into (created if needed).
    banner
        A line printed at the top of every PDF page, e.g. that the plan is superseded.

    Returns
    -------
    list of pathlib.Path
        The files written, PDF then CSV for each operator in name order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for operator, name in operator_file_names(plan).items():
        written += write_operator_files(plan, dataset, operator, out, name, banner)
    return written
