"""Town and village names for the map, from lists bundled with the package (no network).

Each ``place_names_*.json`` beside this module was written by ``send-routes roads places`` from an
OpenStreetMap extract and records its source, the extract's SHA-256, the date and the ODbL
attribution. The map labels the places that fall inside (or just around) the plan's area.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PlaceName:
    """A named city, town or village at a point (WGS84 degrees)."""

    name: str
    kind: str  # "city", "town" or "village"
    lat: float
    lon: float


@cache
def bundled_places() -> tuple[PlaceName, ...]:
    """Every place of every bundled list."""
    found = []
    for path in sorted(HERE.glob("place_names_*.json")):
        document = json.loads(path.read_text(encoding="utf-8"))
        found += [
            PlaceName(str(p["name"]), str(p["kind"]), float(p["lat"]), float(p["lon"]))
            for p in document.get("places", [])
        ]
    return tuple(found)


def places_within(
    south: float, west: float, north: float, east: float, places: tuple[PlaceName, ...] = ()
) -> list[PlaceName]:
    """The places (default: the bundled ones) inside a box of WGS84 degrees."""
    return [
        p for p in (places or bundled_places()) if south <= p.lat <= north and west <= p.lon <= east
    ]
