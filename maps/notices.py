"""Change notices after a re-plan: one page per family, a list per school, and a CSV of both.

Councils must tell families before a SEND child's transport changes. From the changes a re-plan
records (:mod:`optimiser.replan`) this writes, for a date in effect:

- ``notices.pdf``: one A4 page per family (pupils of one sibling group together, else each
  pupil alone): for each journey that changes, the pick-up and set-down times before and after,
  the vehicle and operator before and after, whether a passenger assistant rides, and why, with
  the council's contact. Nothing about other children: no names, addresses or fellow passengers;
- ``notices.csv``: the same, one row per journey, for a mail merge or the council's records;
- ``schools/URN.csv``: for each school, its pupils whose time at school, vehicle or operator
  changes (arrival in the morning, collection in the afternoon), and nothing else.

The PDF embeds DejaVu Sans as the route sheets do (:mod:`maps.sheet_fonts`).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from maps.plan_facts import SLUG_MAX
from maps.safe_cells import csv_row
from maps.sheet_fonts import BOLD, REGULAR, markup, register_fonts
from optimiser.domain.entities import Dataset, Pupil, Session
from optimiser.domain.times import format_hm
from optimiser.plan.changes import Journey
from optimiser.replan import REASON_TEXT, ReasonedChange

NOTICE_COLUMNS = (
    "family",
    "pupil_id",
    "pupil_name",
    "school",
    "session",
    "effective_from",
    "reason",
    "pickup_before",
    "pickup_after",
    "dropoff_before",
    "dropoff_after",
    "vehicle_before",
    "vehicle_after",
    "passenger_assistant_before",
    "passenger_assistant_after",
)
SCHOOL_COLUMNS = (
    "school_id",
    "school_name",
    "pupil_id",
    "pupil_name",
    "session",
    "effective_from",
    "at_school_before",
    "at_school_after",
    "operator_before",
    "operator_after",
    "vehicle_type_before",
    "vehicle_type_after",
)
SESSION_TEXT = {Session.AM: "Morning (home to school)", Session.PM: "Afternoon (school to home)"}
# Reasons families are told in their own words; the officers' wording is in REASON_TEXT.
FAMILY_REASON = {
    "new_pupil": "Transport is arranged for your child",
    "moved_house": "Your new address",
    "school_change": "Your child's new school",
    "route_broke": "The route had to change to keep to the travel rules",
    "not_placed": "We have not yet found a place on a vehicle: the transport team will call you",
    "now_placed": "Transport is now arranged for your child",
    "improvement": "The routes have been re-planned",
    "knock_on": "Other children join or leave the route",
}


@dataclass(frozen=True)
class Notice:
    """One pupil journey that changes, as its family is told."""

    family: str
    pupil: Pupil
    session: Session
    reason: str
    before: Journey | None
    after: Journey | None


def _time(journey: Journey | None, attribute: str) -> str:
    value = getattr(journey, attribute, None) if journey is not None else None
    return format_hm(value) if value is not None else ""


def _vehicle(journey: Journey | None) -> str:
    return f"{journey.vehicle_type} ({journey.operator})" if journey is not None else "none"


def _assistant(journey: Journey | None) -> str:
    if journey is None:
        return ""
    return "yes" if journey.passenger_assistant else "no"


def family_of(pupil: Pupil) -> str:
    """Siblings of one group share a notice; any other pupil has their own."""
    return f"group {pupil.group}" if pupil.group else pupil.pupil_id


def notices(changes: list[ReasonedChange], dataset: Dataset) -> list[Notice]:
    """The changes families are told about: every changed journey of a pupil in the dataset
    (leavers are not written to)."""
    out = []
    for item in changes:
        pupil = dataset.find_pupil(item.change.pupil_id)
        if pupil is None or item.reason == "leaver":
            continue
        out.append(
            Notice(
                family_of(pupil),
                pupil,
                item.change.session,
                item.reason,
                item.change.before,
                item.change.after,
            )
        )
    return sorted(out, key=lambda n: (n.family, n.pupil.pupil_id, str(n.session)))


def _long_date(text: str) -> str:
    day = date.fromisoformat(text)
    return f"{day:%A} {day.day} {day:%B %Y}"


def notice_rows(items: list[Notice], dataset: Dataset, effective: str) -> list[dict[str, str]]:
    return [
        {
            "family": n.family,
            "pupil_id": n.pupil.pupil_id,
            "pupil_name": n.pupil.name,
            "school": dataset.schools[n.pupil.school_id].name,
            "session": str(n.session),
            "effective_from": effective,
            "reason": FAMILY_REASON.get(n.reason, REASON_TEXT.get(n.reason, n.reason)),
            "pickup_before": _time(n.before, "pickup_s"),
            "pickup_after": _time(n.after, "pickup_s"),
            "dropoff_before": _time(n.before, "dropoff_s"),
            "dropoff_after": _time(n.after, "dropoff_s"),
            "vehicle_before": _vehicle(n.before) if n.before else "",
            "vehicle_after": _vehicle(n.after) if n.after else "",
            "passenger_assistant_before": _assistant(n.before),
            "passenger_assistant_after": _assistant(n.after),
        }
        for n in items
    ]


def _at_school(journey: Journey | None, session: Session) -> str:
    return _time(journey, "dropoff_s" if session is Session.AM else "pickup_s")


def school_rows(items: list[Notice], dataset: Dataset, effective: str) -> dict[str, list[dict]]:
    """For each school, its pupils whose time at school, vehicle type or operator changes."""
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for n in items:
        before, after = n.before, n.after
        same = (
            before is not None
            and after is not None
            and _at_school(before, n.session) == _at_school(after, n.session)
            and (before.operator, before.vehicle_type) == (after.operator, after.vehicle_type)
        )
        if same:
            continue
        school = dataset.schools[n.pupil.school_id]
        out[school.school_id].append(
            {
                "school_id": school.school_id,
                "school_name": school.name,
                "pupil_id": n.pupil.pupil_id,
                "pupil_name": n.pupil.name,
                "session": str(n.session),
                "effective_from": effective,
                "at_school_before": _at_school(before, n.session),
                "at_school_after": _at_school(after, n.session),
                "operator_before": before.operator if before else "",
                "operator_after": after.operator if after else "",
                "vehicle_type_before": before.vehicle_type if before else "",
                "vehicle_type_after": after.vehicle_type if after else "",
            }
        )
    return dict(out)


_BODY = ParagraphStyle("notice", fontName=REGULAR, fontSize=11.5, leading=15)
_BOLD = ParagraphStyle("notice-bold", parent=_BODY, fontName=BOLD)
_TITLE = ParagraphStyle("notice-title", fontName=BOLD, fontSize=18, leading=23)


def _p(text: str, style: ParagraphStyle = _BODY) -> Paragraph:
    return Paragraph(markup(text), style)


def _journey_table(n: Notice) -> Table:
    home_first = n.session is Session.AM
    pick, drop = (
        ("Picked up at home", "Arrives at school")
        if home_first
        else (
            "Collected from school",
            "Arrives home",
        )
    )
    rows = [
        [_p("", _BOLD), _p("Until now", _BOLD), _p("From the date above", _BOLD)],
        [_p(pick), _p(_time(n.before, "pickup_s") or "–"), _p(_time(n.after, "pickup_s") or "–")],
        [_p(drop), _p(_time(n.before, "dropoff_s") or "–"), _p(_time(n.after, "dropoff_s") or "–")],
        [_p("Vehicle"), _p(_vehicle(n.before)), _p(_vehicle(n.after))],
        [
            _p("Passenger assistant"),
            _p(_assistant(n.before) or "–"),
            _p(_assistant(n.after) or "–"),
        ],
    ]
    table = Table(rows, colWidths=[55 * mm, 55 * mm, 65 * mm])
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.5, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _family_page(items: list[Notice], dataset: Dataset, effective: str) -> list[Any]:
    names = ", ".join(dict.fromkeys(n.pupil.name for n in items))
    contact = dataset.settings.council_contact
    story: list[Any] = [
        _p("Changes to home-to-school transport", _TITLE),
        Spacer(1, 4 * mm),
        _p(f"For the family of {names}"),
        _p(f"From {_long_date(effective)}", _BOLD),
        Spacer(1, 4 * mm),
    ]
    for n in items:
        school = dataset.schools[n.pupil.school_id].name
        story += [
            _p(f"{n.pupil.name} ({n.pupil.pupil_id}), {school}: {SESSION_TEXT[n.session]}", _BOLD),
            _p(FAMILY_REASON.get(n.reason, REASON_TEXT.get(n.reason, n.reason))),
            Spacer(1, 2 * mm),
            _journey_table(n),
            Spacer(1, 5 * mm),
        ]
    story.append(
        _p(
            "Times are when the vehicle is planned to leave or arrive; please be ready a few"
            " minutes before." + (f" Questions: {contact}." if contact else "")
        )
    )
    return story


def write_family_pdf(items: list[Notice], dataset: Dataset, effective: str, path: Path) -> Path:
    """One page per family, in order of family."""
    register_fonts()
    by_family: dict[str, list[Notice]] = defaultdict(list)
    for n in items:
        by_family[n.family].append(n)
    story: list[Any] = []
    for k, family in enumerate(sorted(by_family)):
        if k:
            story.append(PageBreak())
        story += _family_page(by_family[family], dataset, effective)
    if not story:
        story.append(_p("No family's transport changes.", _TITLE))
    doc = SimpleDocTemplate(
        str(path),
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=f"Transport change notices from {effective}",
        author="send-routes",
        initialFontName=REGULAR,
    )
    doc.build(story)
    return path


def _file_name(text: str) -> str:
    """A file-name-safe form of a school's id, short enough for any file system."""
    return "".join(c if c.isalnum() or c in "-_" else "_" for c in text)[:SLUG_MAX] or "school"


def _write_csv(path: Path, columns: tuple[str, ...], rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(csv_row(r) for r in rows)
    return path


def write_notices(
    changes: list[ReasonedChange], dataset: Dataset, effective: str, out_dir: Path | str
) -> dict[str, Path]:
    """Write ``notices.pdf``, ``notices.csv`` and ``schools/URN.csv`` under ``out_dir``.

    Raises
    ------
    ValueError
        If ``effective`` is not a date ``YYYY-MM-DD``.
    """
    date.fromisoformat(effective)  # a wrong date fails before anything is written
    out = Path(out_dir)
    (out / "schools").mkdir(parents=True, exist_ok=True)
    items = notices(changes, dataset)
    written = {
        "pdf": write_family_pdf(items, dataset, effective, out / "notices.pdf"),
        "csv": _write_csv(
            out / "notices.csv", NOTICE_COLUMNS, notice_rows(items, dataset, effective)
        ),
    }
    used: set[str] = set()
    for school_id, rows in sorted(school_rows(items, dataset, effective).items()):
        name = _file_name(school_id)
        while name.lower() in used:  # two ids that read the same: each school its own file
            name += "_"
        used.add(name.lower())
        written[f"school {school_id}"] = _write_csv(
            out / "schools" / f"{name}.csv", SCHOOL_COLUMNS, rows
        )
    return written
