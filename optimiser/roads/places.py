"""Town and village names from an OpenStreetMap extract, for labelling maps offline.

Reads the nodes tagged ``place=city``, ``town`` or ``village`` that have a ``name`` and writes
them, with the extract's provenance and the ODbL attribution, as a small JSON file the map
draws (:mod:`maps.place_names`). Hamlets, suburbs and localities are left out: at the scale of a
council's routes they would cover the map.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

from optimiser.domain.errors import InputError, InputProblem

KINDS = ("city", "town", "village")
ATTRIBUTION = "© OpenStreetMap contributors"
LICENCE = "ODbL 1.0 (https://www.openstreetmap.org/copyright)"


def read_places(path: Path) -> list[dict[str, Any]]:
    """Named cities, towns and villages of an extract, biggest kind first, then by name.

    Raises
    ------
    InputError
        If the file cannot be read as an OpenStreetMap extract.
    """
    import osmium  # only importing places needs it

    found = []
    try:
        nodes = osmium.FileProcessor(str(path), osmium.osm.NODE).with_filter(
            osmium.filter.KeyFilter("place")
        )
        for node in nodes:
            kind, name = node.tags.get("place"), node.tags.get("name")
            if kind in KINDS and name and isinstance(node, osmium.osm.Node):
                found.append(
                    {
                        "name": name,
                        "kind": kind,
                        "lat": round(node.location.lat, 5),
                        "lon": round(node.location.lon, 5),
                    }
                )
    except (RuntimeError, ValueError, OSError) as exc:
        problem = InputProblem(
            str(path), None, None, f"not a readable OpenStreetMap extract ({exc})"
        )
        raise InputError([problem]) from exc
    return sorted(found, key=lambda p: (KINDS.index(p["kind"]), p["name"]))


def write_places(source: Path, out: Path) -> list[dict[str, Any]]:
    """Write the places of ``source`` to ``out`` as JSON with their provenance; the places."""
    places = read_places(source)
    document = {
        "source": source.name,
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "built": dt.date.today().isoformat(),
        "kinds": list(KINDS),
        "licence": LICENCE,
        "attribution": ATTRIBUTION,
        "places": places,
    }
    head = json.dumps({k: v for k, v in document.items() if k != "places"}, ensure_ascii=False)
    rows = ",\n".join(json.dumps(p, ensure_ascii=False) for p in places)
    out.write_text(f'{head[:-1]}, "places": [\n{rows}\n]}}\n', encoding="utf-8")
    return places
