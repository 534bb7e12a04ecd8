"""Operators' route sheets: one PDF (one page per route) and one CSV per operator.

A sheet carries what a driver and passenger assistant need and nothing more: the vehicle, whether
a passenger assistant rides, the wheelchair spaces in use, the depot times, and the stops in
order with time, postcode, who gets on or off (first name and initial), that pupil's notes and
their school. No surnames, ages, dates of birth or needs flags beyond wheelchair boarding, and
never another operator's routes.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from maps.plan_facts import (
    depot_stops,
    plan_date,
    slug,
    vehicle_for,
    wheelchair_spaces_used,
)
from maps.safe_cells import csv_row
from optimiser.domain.entities import Dataset
from optimiser.domain.times import format_hm
from optimiser.plan.document import Plan, Route, Stop, StopType

CSV_COLUMNS = (
    "route_id",
    "session",
    "vehicle_id",
    "vehicle_type",
    "passenger_assistant",
    "wheelchair_spaces_used",
    "depot_depart",
    "depot_return",
    "stop",
    "time",
    "action",
    "postcode",
    "pupil",
    "wheelchair",
    "notes",
    "school",
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


def operators(plan: Plan) -> list[str]:
    """The operators with routes in the plan, sorted."""
    return sorted({r.operator for r in plan.routes})


def operator_routes(plan: Plan, operator: str) -> list[Route]:
    """One operator's routes, AM before PM, then by route id."""
    mine = [r for r in plan.routes if r.operator == operator]
    return sorted(mine, key=lambda r: (str(r.session), r.start_s or 0, r.route_id))


def _stop_lines(stop: Stop, number: int, route: Route, dataset: Dataset) -> list[SheetLine]:
    school = dataset.schools.get(stop.school_id) if stop.school_id else None
    action = "Pick up" if stop.type == StopType.PICKUP else "Set down"
    if school is not None:
        action += " at school"
    when = format_hm(stop.arrive if stop.arrive is not None else stop.depart)
    lines = []
    for pid in stop.pupil_ids:
        pupil = dataset.find_pupil(pid)
        pupils_school = dataset.schools.get(pupil.school_id) if pupil else None
        named = school or pupils_school
        if school is not None:
            postcode = school.postcode or ""
        else:
            postcode = (pupil.postcode_for(route.session) if pupil else None) or ""
        lines.append(
            SheetLine(
                stop=number,
                time=when,
                action=action,
                postcode=postcode,
                pupil=pupil.first_name_initial if pupil else pid,
                wheelchair=bool(pupil and pupil.wheelchair),
                notes=pupil.notes if pupil else "",
                school=named.name if named else "",
            )
        )
    return lines


def route_sheet(route: Route, dataset: Dataset) -> RouteSheet:
    """The sheet of one route."""
    first, last = depot_stops(route)
    lines: list[SheetLine] = []
    number = 0
    for stop in route.stops:
        if stop.type == StopType.DEPOT:
            continue
        number += 1
        lines.extend(_stop_lines(stop, number, route, dataset))
    vt = vehicle_for(route, dataset)
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
    )


def operator_sheets(plan: Plan, dataset: Dataset, operator: str) -> list[RouteSheet]:
    """The sheets of one operator's routes."""
    return [route_sheet(r, dataset) for r in operator_routes(plan, operator)]


def sheet_rows(plan: Plan, dataset: Dataset, operator: str) -> list[dict[str, str]]:
    """The operator's CSV: one row per pupil getting on or off, route facts on every row."""
    rows = []
    for sheet in operator_sheets(plan, dataset, operator):
        head = {
            "route_id": sheet.route_id,
            "session": sheet.session,
            "vehicle_id": sheet.vehicle_id,
            "vehicle_type": sheet.vehicle_type,
            "passenger_assistant": "yes" if sheet.passenger_assistant else "no",
            "wheelchair_spaces_used": str(sheet.wheelchair_spaces_used),
            "depot_depart": sheet.depot_depart,
            "depot_return": sheet.depot_return,
        }
        for line in sheet.lines:
            rows.append(
                head
                | {
                    "stop": str(line.stop),
                    "time": line.time,
                    "action": line.action,
                    "postcode": line.postcode,
                    "pupil": line.pupil,
                    "wheelchair": "yes" if line.wheelchair else "no",
                    "notes": line.notes,
                    "school": line.school,
                }
            )
    return rows


_BODY = ParagraphStyle("body", fontName="Helvetica", fontSize=13, leading=16)
_BOLD = ParagraphStyle("bold", parent=_BODY, fontName="Helvetica-Bold")
_TITLE = ParagraphStyle("title", fontName="Helvetica-Bold", fontSize=24, leading=29)
_SUB = ParagraphStyle("sub", fontName="Helvetica", fontSize=15, leading=19)


def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(escape(text).replace("\n", "<br/>"), style)


def _facts_table(sheet: RouteSheet) -> Table:
    pa = "YES – passenger assistant on board" if sheet.passenger_assistant else "No"
    cells = [
        [_p("Vehicle", _BOLD), _p(f"{sheet.vehicle_type} ({sheet.vehicle_id})")],
        [_p("Passenger assistant", _BOLD), _p(pa, _BOLD if sheet.passenger_assistant else _BODY)],
        [_p("Wheelchair spaces used", _BOLD), _p(str(sheet.wheelchair_spaces_used))],
        [_p("Leave depot", _BOLD), _p(sheet.depot_depart)],
        [_p("Back at depot", _BOLD), _p(sheet.depot_return)],
    ]
    table = Table(cells, colWidths=[70 * mm, 120 * mm], hAlign="LEFT")
    table.setStyle(
        TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)])
    )
    return table


def _by_stop(lines: tuple[SheetLine, ...]) -> list[list[SheetLine]]:
    groups: list[list[SheetLine]] = []
    for line in lines:
        if groups and groups[-1][0].stop == line.stop:
            groups[-1].append(line)
        else:
            groups.append([line])
    return groups


def _stop_row(group: list[SheetLine]) -> list[Paragraph]:
    """One table row per stop: everyone getting on or off there, stacked."""
    first = group[0]
    who = "\n".join(g.pupil + ("\nWHEELCHAIR" if g.wheelchair else "") for g in group)
    schools = "\n".join(dict.fromkeys(g.school for g in group))
    several = len(group) > 1
    notes = "\n".join(f"{g.pupil}: {g.notes}" if several else g.notes for g in group if g.notes)
    return [
        _p(str(first.stop), _BOLD),
        _p(first.time, _BOLD),
        _p(first.action),
        _p(first.postcode),
        _p(who, _BOLD),
        _p(schools),
        _p(notes),
    ]


def _stops_table(sheet: RouteSheet) -> Table:
    header = ["Stop", "Time", "", "Postcode", "Pupil", "School", "Notes"]
    rows: list[list] = [[_p(h, _BOLD) for h in header]]
    rows.append([_p("-"), _p(sheet.depot_depart, _BOLD), _p("Leave depot"), *[_p("")] * 4])
    rows += [_stop_row(group) for group in _by_stop(sheet.lines)]
    rows.append([_p("-"), _p(sheet.depot_return, _BOLD), _p("Back at depot"), *[_p("")] * 4])
    grey = colors.HexColor("#eeeeee")
    shade = [("BACKGROUND", (0, i), (-1, i), grey) for i in range(2, len(rows) - 1, 2)]
    widths = [15 * mm, 20 * mm, 30 * mm, 30 * mm, 50 * mm, 55 * mm, 67 * mm]
    table = Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 1.5, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.5, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 4),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
                *shade,
            ]
        )
    )
    return table


def write_operator_pdf(sheets: list[RouteSheet], operator: str, date: str, path: Path) -> Path:
    """One operator's PDF: a page per route (a long route runs on), with the plan date below."""

    def footer(canvas, doc) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 10)
        canvas.drawString(
            doc.leftMargin,
            10 * mm,
            f"{operator} · plan of {date} · contains pupils' personal data: keep it secure and "
            "destroy it when replaced",
        )
        canvas.drawRightString(doc.pagesize[0] - doc.rightMargin, 10 * mm, f"Page {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(
        str(path),
        pagesize=landscape(A4),
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=18 * mm,
        title=f"Route sheets – {operator} – {date}",
        author="send-routes",
    )
    story: list = []
    for i, sheet in enumerate(sheets):
        if i:
            story.append(PageBreak())
        story += [
            _p(f"Route {sheet.route_id} – {sheet.session}", _TITLE),
            _p(f"{operator} · contract route {sheet.route_id} · plan of {date}", _SUB),
            Spacer(1, 4 * mm),
            _facts_table(sheet),
            Spacer(1, 5 * mm),
            _stops_table(sheet),
        ]
    if not story:
        story.append(_p(f"No routes for {operator} in this plan.", _TITLE))
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return path


def write_route_sheets(plan: Plan, dataset: Dataset, out_dir: Path | str) -> list[Path]:
    """Write every operator's route sheets: ``<operator>.pdf`` and ``<operator>.csv``.

    Parameters
    ----------
    plan, dataset
        The plan and the dataset it was made from.
    out_dir
        Folder to write into (created if needed).

    Returns
    -------
    list of pathlib.Path
        The files written, PDF then CSV for each operator in name order.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    date = plan_date(plan)
    written = []
    used: set[str] = set()
    for operator in operators(plan):
        name = slug(operator)
        while name.lower() in used:  # two names that read the same as file names
            name += "_"
        used.add(name.lower())
        pdf = write_operator_pdf(
            operator_sheets(plan, dataset, operator), operator, date, out / f"{name}.pdf"
        )
        csv_path = out / f"{name}.csv"
        with csv_path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS)
            writer.writeheader()
            writer.writerows(csv_row(r) for r in sheet_rows(plan, dataset, operator))
        written += [pdf, csv_path]
    return written
