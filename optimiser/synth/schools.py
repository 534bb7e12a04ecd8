"""Schools for the synthetic Isle of Wight sample: what kind each is, and where they come from.

The sample's ``schools.csv`` was built once from OpenStreetMap (© OpenStreetMap contributors, ODbL)
with :func:`extract_schools` and is committed, so generating pupils never needs the OSM extract::

    send-routes synth schools ../shared/osm/isle-of-wight-latest.osm.pbf \\
        --out sample_data/isle_of_wight/schools.csv

Bell times are invented but follow the usual pattern (special schools start later); see
``docs/sample_data.md``.
"""

from __future__ import annotations

import csv
import math
import random
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

SCHOOL_COLUMNS = [
    "school_id",
    "name",
    "postcode",
    "lat",
    "lon",
    "am_arrive_from",
    "am_arrive_by",
    "pm_depart_from",
    "pm_depart_by",
]


@dataclass(frozen=True)
class SchoolProfile:
    """What the generator needs to know about a school beyond its row in ``schools.csv``.

    ``special`` covers special schools and the pupil referral unit; ``phase`` is ``"primary"``,
    ``"secondary"`` or ``"all-through"``; pupils are aged ``min_age`` to ``max_age`` inclusive.
    """

    special: bool
    phase: str
    min_age: int
    max_age: int


# The island's special schools and pupil referral unit, by DfE URN. Ages are those of the pupils
# generated (4-18 at most), not the full registered range (St George's takes children from 2).
SPECIAL_SCHOOLS: dict[str, SchoolProfile] = {
    "118227": SchoolProfile(
        special=True, phase="all-through", min_age=4, max_age=18
    ),  # St George's
    "118228": SchoolProfile(special=True, phase="primary", min_age=4, max_age=10),  # Medina House
    "133744": SchoolProfile(special=True, phase="secondary", min_age=11, max_age=16),  # ILC (PRU)
    "118226": SchoolProfile(special=True, phase="all-through", min_age=7, max_age=18),  # St Cath's
}

_PRIMARY_WORDS = re.compile(r"\b(primary|infants?|junior|first|middle)\b", re.IGNORECASE)
_SECONDARY_WORDS = re.compile(
    r"\b(academy|college|high|secondary|sixth form|vi form)\b", re.IGNORECASE
)


def school_profile(school_id: str, name: str) -> SchoolProfile:
    """Classify a school from its URN and name.

    The four special schools are known by URN. Otherwise a name with Primary, Infant(s), Junior,
    First or Middle is a primary school (ages 4-10; this wins over "Academy", as in "Primary
    Academy"); a name with Academy, College, High, Secondary, Sixth Form or VI Form is a secondary
    school (11-18); any other name is taken as all-through (4-16).
    """
    known = SPECIAL_SCHOOLS.get(str(school_id))
    if known is not None:
        return known
    if _PRIMARY_WORDS.search(name):
        return SchoolProfile(special=False, phase="primary", min_age=4, max_age=10)
    if _SECONDARY_WORDS.search(name):
        return SchoolProfile(special=False, phase="secondary", min_age=11, max_age=18)
    return SchoolProfile(special=False, phase="all-through", min_age=4, max_age=16)


# Typical windows as (am_arrive_from, am_arrive_by, pm_depart_from, pm_depart_by), minutes after
# midnight. All-through schools keep secondary hours.
_BELLS_MIN = {
    "primary": (8 * 60 + 35, 8 * 60 + 50, 15 * 60 + 5, 15 * 60 + 20),
    "secondary": (8 * 60 + 25, 8 * 60 + 40, 14 * 60 + 55, 15 * 60 + 10),
    "all-through": (8 * 60 + 25, 8 * 60 + 40, 14 * 60 + 55, 15 * 60 + 10),
    "special": (9 * 60, 9 * 60 + 15, 15 * 60 + 15, 15 * 60 + 30),
}


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def bell_times(school_id: str, name: str) -> dict[str, str]:
    """Arrival and departure windows for a school, as ``HH:MM`` strings.

    The typical window for the kind of school is shifted by -5, 0 or +5 minutes, chosen from the
    URN, so that schools differ a little but the same school always gets the same times.
    """
    profile = school_profile(school_id, name)
    base = _BELLS_MIN["special" if profile.special else profile.phase]
    shift = random.Random(f"bells-{school_id}").choice((-5, 0, 5))
    am_from, am_by, pm_from, pm_by = (t + shift for t in base)
    return {
        "am_arrive_from": _hhmm(am_from),
        "am_arrive_by": _hhmm(am_by),
        "pm_depart_from": _hhmm(pm_from),
        "pm_depart_by": _hhmm(pm_by),
    }


def _ring_centroid(points: list[tuple[float, float]]) -> tuple[float, float, float]:
    """Centroid (lon, lat) and area (m²) of a closed ring of (lon, lat) points.

    Uses the shoelace formula on a local equirectangular projection: exact enough for a school
    site, and an affine projection leaves the centroid where it is.
    """
    lat0 = sum(p[1] for p in points) / len(points)
    kx, ky = 111_320.0 * math.cos(math.radians(lat0)), 110_540.0
    xy = [(lon * kx, lat * ky) for lon, lat in points]
    twice_area = cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(xy, xy[1:] + xy[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        twice_area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(twice_area) < 1e-9:  # degenerate ring: fall back to the mean of its points
        return sum(p[0] for p in points) / len(points), lat0, 0.0
    return cx / (3 * twice_area) / kx, cy / (3 * twice_area) / ky, abs(twice_area) / 2


def _weighted_centroid(parts: Iterable[tuple[float, float, float]]) -> tuple[float, float, float]:
    parts = list(parts)
    total = sum(a for _, _, a in parts)
    if total <= 0:
        return parts[0][0], parts[0][1], 0.0
    lon = sum(x * a for x, _, a in parts) / total
    lat = sum(y * a for _, y, a in parts) / total
    return lon, lat, total


def extract_schools(pbf: Path | str) -> list[dict[str, str]]:
    """Read every ``amenity=school`` with a ``name`` and a ``ref:edubase`` from an OSM extract.

    Nodes give their position; closed ways and multipolygon relations the centroid of their area;
    unclosed ways the mean of their nodes. Where several objects carry the same URN (split sites),
    the one with the largest area is kept. ``postcode`` is the object's ``addr:postcode`` when that
    is a live postcode, else blank.

    Returns
    -------
    list of dict
        Rows with the columns of ``schools.csv`` (:data:`SCHOOL_COLUMNS`), sorted by URN.
    """
    import osmium  # only needed to rebuild the committed schools.csv

    from optimiser.dataset.geocode import lookup, normalise_postcode

    found: dict[tuple[str, int], dict] = {}  # (kind, OSM id) -> candidate
    processor = osmium.FileProcessor(str(pbf)).with_locations().with_areas()
    for obj in processor:
        tags = obj.tags
        if tags.get("amenity") != "school" or "name" not in tags or "ref:edubase" not in tags:
            continue
        base = {
            "urn": tags["ref:edubase"].strip(),
            "name": tags["name"].strip(),
            "postcode": tags.get("addr:postcode", ""),
        }
        if isinstance(obj, osmium.osm.Node):
            found[("n", obj.id)] = base | {
                "lon": obj.location.lon,
                "lat": obj.location.lat,
                "area": 0.0,
            }
        elif isinstance(obj, osmium.osm.Area):
            rings = [[(n.lon, n.lat) for n in ring] for ring in obj.outer_rings()]
            lon, lat, area = _weighted_centroid(_ring_centroid(r[:-1]) for r in rings if len(r) > 3)
            key = ("w" if obj.from_way() else "r", obj.orig_id())
            found[key] = base | {"lon": lon, "lat": lat, "area": area}
        elif isinstance(obj, osmium.osm.Way) and ("w", obj.id) not in found:
            # Areas of closed ways arrive after the way; they replace this entry.
            points = [(n.lon, n.lat) for n in obj.nodes if n.location.valid()]
            if points:
                found[("w", obj.id)] = base | {
                    "lon": sum(p[0] for p in points) / len(points),
                    "lat": sum(p[1] for p in points) / len(points),
                    "area": 0.0,
                }

    best: dict[str, dict] = {}
    for candidate in found.values():
        kept = best.get(candidate["urn"])
        if kept is None or candidate["area"] > kept["area"]:
            best[candidate["urn"]] = candidate
    live = lookup(c["postcode"] for c in best.values() if c["postcode"])
    rows = []
    for urn, c in sorted(best.items()):
        postcode = normalise_postcode(c["postcode"]) if live.get(c["postcode"]) else None
        rows.append(
            {
                "school_id": urn,
                "name": c["name"],
                "postcode": postcode or "",
                "lat": f"{c['lat']:.6f}",
                "lon": f"{c['lon']:.6f}",
                **bell_times(urn, c["name"]),
            }
        )
    return rows


def write_schools_csv(rows: Iterable[dict[str, str]], path: Path | str) -> None:
    """Write school rows in the ``schools.csv`` format."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=SCHOOL_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def read_schools_csv(path: Path | str) -> list[dict[str, str]]:
    """Read a ``schools.csv`` written by :func:`write_schools_csv`."""
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))
