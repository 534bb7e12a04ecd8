"""The words and lines of the route map, apart from folium: labels, popups, route polylines.

Everything here is plain HTML text or coordinates, escaped where it carries data, so it can be
read and tested without a map.
"""

from __future__ import annotations

import html
import json
from typing import Any

from maps.basemap import PathFunction
from maps.plan_facts import vehicle_for
from optimiser.domain.entities import Dataset, Session
from optimiser.domain.money import format_pounds
from optimiser.domain.times import format_hm
from optimiser.plan.document import Route, Stop, StopType

WHEELCHAIR = "\u267f"

# Characters that end or confuse an inline <script> when they appear inside a JSON string.
_SCRIPT_UNSAFE = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "'": "\\u0027",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(value: Any) -> str:
    """``value`` as JSON that is safe inside an inline ``<script>``.

    ``json.dumps`` leaves ``</script>`` and ``<!--`` as they are, so data such as an operator's
    name could close the script and start another; here ``<``, ``>``, ``&``, ``'`` and the line
    separators U+2028/U+2029 are written as ``\\u`` escapes, which JavaScript reads back unchanged.
    """
    text = json.dumps(value, ensure_ascii=False)
    return "".join(_SCRIPT_UNSAFE.get(ch, ch) for ch in text)


def pupil_label(dataset: Dataset, pupil_id: str, show_names: bool) -> str:
    pupil = dataset.find_pupil(pupil_id)
    if pupil is None:
        return html.escape(pupil_id)
    text = pupil.name if show_names else f"{pupil.pupil_id} ({pupil.initials})"
    return html.escape(text) + (f" {WHEELCHAIR}" if pupil.wheelchair else "")


def route_label(route: Route, wheelchair: bool) -> str:
    marks = (" PA" if route.passenger_assistant else "") + (f" {WHEELCHAIR}" if wheelchair else "")
    return f"{route.route_id} · {route.vehicle_type}{marks}"


def needs_text(dataset: Dataset, pupil_id: str) -> str:
    """A pupil's transport needs in words: "wheelchair, PA, solo", or "" when none."""
    pupil = dataset.find_pupil(pupil_id)
    if pupil is None:
        return ""
    flags = (("wheelchair", pupil.wheelchair), ("PA", pupil.passenger_assistant))
    return ", ".join([name for name, on in flags if on] + (["solo"] if pupil.solo else []))


def _stop_postcode(stop: Stop, session: str, dataset: Dataset) -> str:
    school = dataset.schools.get(stop.school_id) if stop.school_id else None
    if school is not None:
        return school.postcode or ""
    codes = []
    for pid in stop.pupil_ids:
        pupil = dataset.find_pupil(pid)
        code = pupil.postcode_for(Session(session)) if pupil else None
        if code and code not in codes:
            codes.append(code)
    return ", ".join(codes)


def stop_popup(route: Route, number: int, stop: Stop, dataset: Dataset, show_names: bool) -> str:
    """A stop's popup: what happens there, its postcode, and each pupil's school and needs."""
    verb = "Pick up" if stop.type == StopType.PICKUP else "Set down"
    where = ""
    school = dataset.schools.get(stop.school_id) if stop.school_id else None
    if school is not None:
        where = f" at {html.escape(school.name)}"
    rows = []
    for pid in stop.pupil_ids:
        pupil = dataset.find_pupil(pid)
        theirs = dataset.schools.get(pupil.school_id) if pupil else None
        parts = [pupil_label(dataset, pid, show_names)]
        if theirs is not None and school is None:
            parts.append(html.escape(theirs.name))
        needs = needs_text(dataset, pid)
        if needs:
            parts.append(f"<i>{html.escape(needs)}</i>")
        rows.append(" · ".join(parts))
    postcode = _stop_postcode(stop, str(route.session), dataset)
    return (
        f"<b>{html.escape(route.route_id)} · stop {number}</b><br>{verb}{where}"
        + (f"<br>Postcode {html.escape(postcode)}" if postcode else "")
        + "<br>"
        + "<br>".join(rows)
        + f"<br>Arrive {format_hm(stop.arrive)} · depart {format_hm(stop.depart)}"
    )


def route_search_text(route: Route, dataset: Dataset, show_names: bool) -> str:
    """What the map's filter matches a route on: its id, operator and vehicle, and its pupils'
    ids, initials (names when shown), postcodes and schools."""
    words = [route.route_id, route.operator, route.vehicle_type]
    for pid in route.pupil_ids:
        words.append(pid)
        pupil = dataset.find_pupil(pid)
        if pupil is None:
            continue
        words += [pupil.initials, pupil.postcode_for(route.session) or ""]
        if show_names:
            words.append(pupil.name)
        school = dataset.schools.get(pupil.school_id)
        if school is not None:
            words += [school.name, school.school_id, school.postcode or ""]
    return " | ".join(dict.fromkeys(w for w in words if w)).lower()


def unplaced_popup(dataset: Dataset, pupil_id: str, session: str, reason: str, names: bool) -> str:
    """A journey not placed, on the map at the pupil's address for that session."""
    pupil = dataset.find_pupil(pupil_id)
    school = dataset.schools.get(pupil.school_id) if pupil else None
    needs = needs_text(dataset, pupil_id)
    return (
        f"<b>Not placed ({html.escape(session)})</b><br>{pupil_label(dataset, pupil_id, names)}"
        + (f"<br>{html.escape(school.name)}" if school else "")
        + (f"<br>Needs: {html.escape(needs)}" if needs else "")
        + f"<br>{html.escape(reason)}"
    )


def route_popup(route: Route, dataset: Dataset, wheelchair: bool) -> str:
    vt = vehicle_for(route, dataset)
    spaces = f", {vt.seats} seats, {vt.wheelchair_spaces} wheelchair" if vt else ""
    return (
        f"<b>{html.escape(route.route_id)}</b> ({route.session})<br>"
        f"{html.escape(route.operator)} · {html.escape(route.vehicle_type)}{spaces}<br>"
        f"Passenger assistant: {'yes' if route.passenger_assistant else 'no'}"
        f"{' · carries a wheelchair user' if wheelchair else ''}<br>"
        f"{len(route.pupil_ids)} pupils · {route.distance_km:.1f} km · "
        f"{format_pounds(route.cost_pence)}"
        f"<br>Leaves depot {format_hm(route.start_s)} · back {format_hm(route.end_s)}"
    )


def straight(a: Stop, b: Stop) -> list[tuple[float, float]]:
    return [(a.lat, a.lon), (b.lat, b.lon)]


def route_line(route: Route, path: PathFunction) -> list[tuple[float, float]]:
    line: list[tuple[float, float]] = []
    for a, b in zip(route.stops, route.stops[1:], strict=False):
        leg = path(a, b)
        line.extend(leg[1:] if line and leg and leg[0] == line[-1] else leg)
    return [(round(lat, 6), round(lon, 6)) for lat, lon in line]
