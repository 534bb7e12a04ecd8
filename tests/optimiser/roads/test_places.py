"""Town and village names read from the OpenStreetMap extract (when it is beside the checkout):
the list bundled with the map is exactly what the extract gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from optimiser.roads.places import read_places, write_places
from tests.helpers.paths import IOW_PBF, REPO

BUNDLED = REPO / "maps" / "place_names_isle_of_wight.json"


@pytest.mark.skipif(not IOW_PBF.exists(), reason="needs the Isle of Wight extract in ../shared")
def test_bundled_isle_of_wight_names_match_the_extract(tmp_path: Path) -> None:
    places = write_places(IOW_PBF, tmp_path / "places.json")
    bundled = json.loads(BUNDLED.read_text(encoding="utf-8"))
    assert bundled["places"] == places
    written = json.loads((tmp_path / "places.json").read_text(encoding="utf-8"))
    assert written["source_sha256"] == bundled["source_sha256"]
    assert "OpenStreetMap contributors" in bundled["attribution"]
    towns = {p["name"] for p in places if p["kind"] == "town"}
    assert {"Newport", "Ryde", "Cowes", "Sandown", "Shanklin", "Ventnor"} <= towns


def test_an_unreadable_extract_is_an_input_error(tmp_path: Path) -> None:
    from optimiser.domain.errors import InputError

    bad = tmp_path / "bad.osm.pbf"
    bad.write_bytes(b"not an extract")
    with pytest.raises(InputError):
        read_places(bad)
