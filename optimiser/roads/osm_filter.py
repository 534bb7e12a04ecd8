"""Which OpenStreetMap ways a car or minibus may drive on, and how fast.

This module reads an OpenStreetMap extract with pyosmium and writes only the drivable ways and their
nodes to a small OSM XML file, which :func:`optimiser.roads.network.import_osm` hands to osmnx.
Filtering here, in libosmium's C++ reader, keeps osmnx's pure-Python XML parser away from the
footpaths, buildings and land use that make up most of an extract.

Speeds follow UK practice: ``maxspeed`` values carry ``" mph"``; a plain number is km/h by OSM
convention (even in the UK, where it is usually a mapping slip); the national speed limit is
60 mph on single and 70 mph on dual carriageways and motorways.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

import osmium

KPH_PER_MPH = 1.609344
KPH_PER_KNOT = 1.852

#: Highway classes a car or minibus may use (osmnx's "drive" network plus service roads).
DRIVABLE_HIGHWAYS = frozenset(
    {
        "motorway",
        "motorway_link",
        "trunk",
        "trunk_link",
        "primary",
        "primary_link",
        "secondary",
        "secondary_link",
        "tertiary",
        "tertiary_link",
        "unclassified",
        "residential",
        "living_street",
        "service",
        "road",
    }
)

#: ``service=*`` values excluded: osmnx's "drive" filter list plus drive-throughs and busways.
EXCLUDED_SERVICE = frozenset(
    {
        "alley",
        "busway",
        "drive-through",
        "driveway",
        "emergency_access",
        "parking",
        "parking_aisle",
        "private",
    }
)

#: Access values that keep a home-to-school car or minibus out.
NO_ACCESS = frozenset(
    {"no", "private", "agricultural", "forestry", "emergency", "military", "psv", "bus"}
)

#: Free-flow speed in mph where a way has no usable ``maxspeed``: typical UK driving speeds,
#: deliberately below the national limit on minor roads.
DEFAULT_SPEED_MPH: dict[str, float] = {
    "motorway": 70,
    "motorway_link": 50,
    "trunk": 60,
    "trunk_link": 40,
    "primary": 50,
    "primary_link": 35,
    "secondary": 40,
    "secondary_link": 30,
    "tertiary": 30,
    "tertiary_link": 25,
    "unclassified": 30,
    "residential": 25,
    "living_street": 10,
    "service": 15,
    "road": 25,
}

#: UK implicit limits, in mph. ``national`` depends on the carriageway, see :func:`maxspeed_kph`.
_UK_SPECIAL_MPH: dict[str, float] = {
    "GB:nsl_single": 60,
    "GB:nsl_dual": 70,
    "GB:motorway": 70,
    "GB:nsl_restricted": 30,  # a "restricted road" (street lights) is 30 mph by law
}
_DUAL_CARRIAGEWAY_CLASSES = frozenset({"motorway", "motorway_link"})
_NUMBER = re.compile(r"^(\d+(?:[.,]\d+)?)\s*(mph|km/h|kmh|kph|knots)?$", re.IGNORECASE)
_ZONE = re.compile(r"^(?:GB|UK):zone(\d+)$", re.IGNORECASE)

# Only these tags reach osmnx: keeps the temporary XML small.
_KEPT_TAGS = ("highway", "oneway", "junction", "maxspeed", "name", "ref", "service", "access")
# UK mappers sometimes put the limit's type here and leave ``maxspeed`` out.
_MAXSPEED_TYPE_KEYS = ("maxspeed:type", "source:maxspeed", "zone:maxspeed")
# Most specific first: the first of these present on a way decides access for a car.
_ACCESS_KEYS = ("motorcar", "motor_vehicle", "vehicle", "access")


def is_drivable(tags: Mapping[str, str]) -> bool:
    """Whether a car or minibus may drive along an OSM way with these tags.

    Parameters
    ----------
    tags
        The way's OSM tags.

    Returns
    -------
    bool
        True for public drivable highway classes, excluding areas, parking aisles, driveways
        and similar, and ways closed to motor cars (``access=private``/``no`` and the like,
        unless ``motorcar`` or ``motor_vehicle`` says otherwise).
    """
    if tags.get("highway") not in DRIVABLE_HIGHWAYS or tags.get("area") == "yes":
        return False
    if tags.get("service") in EXCLUDED_SERVICE:
        return False
    for key in _ACCESS_KEYS:
        if key in tags:
            return tags[key] not in NO_ACCESS
    return True


def _single_kph(value: str, highway: str) -> float | None:
    value = value.strip()
    match = _NUMBER.match(value)
    if match:
        number = float(match.group(1).replace(",", "."))
        unit = (match.group(2) or "km/h").lower()
        factor = {"mph": KPH_PER_MPH, "knots": KPH_PER_KNOT}.get(unit, 1.0)
        return number * factor if number > 0 else None
    if value.lower() == "national" or value.upper() == "UK:NSL_SINGLE":
        # plain "national" on a motorway means 70 mph; elsewhere the single-carriageway 60 mph
        mph = 70.0 if highway in _DUAL_CARRIAGEWAY_CLASSES else 60.0
        return mph * KPH_PER_MPH
    special = value.replace("UK:", "GB:", 1) if value.startswith("UK:") else value
    if special in _UK_SPECIAL_MPH:
        return _UK_SPECIAL_MPH[special] * KPH_PER_MPH
    zone = _ZONE.match(value)
    if zone:
        return float(zone.group(1)) * KPH_PER_MPH
    return None  # "signals", "variable", "none", "walk", typos: fall back to the class default


def maxspeed_kph(value: str | None, highway: str) -> float | None:
    """Parse an OSM ``maxspeed`` value into km/h, with UK conventions.

    Parameters
    ----------
    value
        The tag value, e.g. ``"30 mph"``, ``"50"`` (km/h), ``"national"``, ``"GB:nsl_dual"``.
        Several values separated by ``;`` or ``|`` (per lane) give the lowest.
    highway
        The way's highway class; decides whether ``"national"`` means 60 or 70 mph.

    Returns
    -------
    float or None
        The limit in km/h, or None where the value says nothing usable.
    """
    if not value:
        return None
    # the lowest of several limits: a minibus keeps to the slow lane
    speeds = [_single_kph(part, highway) for part in re.split(r"[;|]", value)]
    known = [s for s in speeds if s is not None]
    return min(known) if known else None


def default_speed_kph(highway: str) -> float:
    """The free-flow speed in km/h assumed for a highway class without a usable ``maxspeed``.

    Parameters
    ----------
    highway
        The OSM highway class.

    Returns
    -------
    float
        The speed from :data:`DEFAULT_SPEED_MPH` in km/h (residential speed if the class is
        not listed).
    """
    return DEFAULT_SPEED_MPH.get(highway, DEFAULT_SPEED_MPH["residential"]) * KPH_PER_MPH


def _maxspeed_value(tags: Mapping[str, str]) -> str | None:
    if "maxspeed" in tags:
        return tags["maxspeed"]
    for key in _MAXSPEED_TYPE_KEYS:
        value = tags.get(key, "")
        if value.upper().startswith(("GB:", "UK:")):
            return value
    return None


@dataclass
class ExtractSummary:
    """What :func:`write_drivable_xml` found in an extract."""

    n_ways: int = 0
    n_nodes: int = 0
    replication_timestamp: str | None = None
    unitless_maxspeed_ways: int = 0
    highway_counts: dict[str, int] = field(default_factory=dict)


def _runs_with_locations(way: Any) -> list[list[tuple[int, int, int]]]:
    """Split a way's node list at nodes missing from the extract (cut at its boundary)."""
    runs: list[list[tuple[int, int, int]]] = [[]]
    for node in way.nodes:
        if node.location.valid():
            runs[-1].append((node.ref, node.y, node.x))
        elif runs[-1]:
            runs.append([])
    return [run for run in runs if len(run) >= 2]


def _way_tags(tags: Mapping[str, str]) -> dict[str, str]:
    kept = {key: tags[key] for key in _KEPT_TAGS if key in tags}
    maxspeed = _maxspeed_value(tags)
    if maxspeed is not None:
        kept["maxspeed"] = maxspeed
    if tags.get("highway") == "motorway" and "oneway" not in tags:
        kept["oneway"] = "yes"  # implied by OSM convention; osmnx does not know it
    return kept


def write_drivable_xml(source: Path, out: Path) -> ExtractSummary:
    """Copy the drivable ways of an OSM extract and their nodes into an OSM XML file.

    Parameters
    ----------
    source
        An ``.osm.pbf``, ``.osm`` (optionally ``.gz``/``.bz2``) extract.
    out
        Where to write the OSM XML file for osmnx.

    Returns
    -------
    ExtractSummary
        Counts of what was kept, and the extract's replication timestamp if its header has one.

    Raises
    ------
    RuntimeError
        If pyosmium cannot read the file.
    """
    summary = ExtractSummary()
    processor = osmium.FileProcessor(str(source))
    summary.replication_timestamp = processor.header.get("osmosis_replication_timestamp") or None
    processor = (
        processor.with_locations()
        .with_filter(osmium.filter.EntityFilter(osmium.osm.WAY))
        .with_filter(osmium.filter.KeyFilter("highway"))
    )
    nodes: dict[int, tuple[int, int]] = {}
    ways: list[tuple[int, list[int], dict[str, str]]] = []
    synthetic_id = 0
    for way in processor:
        tags = {tag.k: tag.v for tag in way.tags}
        if not is_drivable(tags):
            continue
        for piece, run in enumerate(_runs_with_locations(way)):
            way_id = way.id
            if piece:
                # osmnx keys ways by id, so later pieces of a cut way need ids of their own
                synthetic_id -= 1
                way_id = synthetic_id
            for ref, y, x in run:
                nodes[ref] = (y, x)
            ways.append((way_id, [ref for ref, _, _ in run], _way_tags(tags)))
        highway = tags["highway"]
        summary.highway_counts[highway] = summary.highway_counts.get(highway, 0) + 1
        if tags.get("maxspeed", "").strip().replace(".", "", 1).isdigit():
            summary.unitless_maxspeed_ways += 1  # km/h by convention, often meant as mph
    summary.n_ways, summary.n_nodes = len(ways), len(nodes)
    _write_xml(out, nodes, ways)
    return summary


def _write_xml(
    out: Path, nodes: dict[int, tuple[int, int]], ways: list[tuple[int, list[int], dict[str, str]]]
) -> None:
    with out.open("w", encoding="utf-8") as f:
        f.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="send-routes">\n'
        )
        for ref, (y, x) in nodes.items():
            f.write(f'<node id="{ref}" lat="{y / 1e7:.7f}" lon="{x / 1e7:.7f}"/>\n')
        for way_id, refs, tags in ways:
            f.write(f'<way id="{way_id}">\n')
            f.writelines(f'<nd ref="{ref}"/>\n' for ref in refs)
            f.writelines(f"<tag k={quoteattr(k)} v={quoteattr(v)}/>\n" for k, v in tags.items())
            f.write("</way>\n")
        f.write("</osm>\n")
