"""Offline postcode geocoding against the packaged ONS postcode directory."""

from __future__ import annotations

import pytest

from optimiser.dataset.geocode import (
    PostcodeDirectory,
    default_directory,
    lookup,
    normalise_postcode,
    postcodes_in_authority,
)
from optimiser.domain.entities import Location

ISLE_OF_WIGHT = "E06000046"
# The island's bounding box, generous by a few hundred metres.
LAT_RANGE = (50.57, 50.77)
LON_RANGE = (-1.59, -1.06)

ST_GEORGES_SCHOOL = "PO30 1XW"  # Watergate Road, Newport


def on_the_island(location: Location) -> bool:
    return (
        LAT_RANGE[0] <= location.lat <= LAT_RANGE[1]
        and LON_RANGE[0] <= location.lon <= LON_RANGE[1]
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PO30 1XW", "PO30 1XW"),
        ("po301xw", "PO30 1XW"),
        ("  Po30   1xw\t", "PO30 1XW"),
        ("B1 1AA", "B1 1AA"),
        ("ec1a1bb", "EC1A 1BB"),
        ("W1A 0AX", "W1A 0AX"),
        ("PO30", None),
        ("PO30 1X", None),
        ("12345", None),
        ("", None),
        (None, None),
        ("PO30 1XWW", None),
    ],
)
def test_normalise_postcode(text, expected):
    assert normalise_postcode(text) == expected


def test_known_island_postcode_resolves_on_the_island():
    location = lookup([ST_GEORGES_SCHOOL])[ST_GEORGES_SCHOOL]
    assert location is not None
    assert on_the_island(location)


def test_spelling_of_a_postcode_does_not_change_its_location():
    spellings = ["PO30 1XW", "PO301XW", "po30 1xw", "po301xw", " PO30  1XW "]
    result = lookup(spellings)
    assert set(result) == set(spellings)
    assert len(set(result.values())) == 1
    assert result["PO30 1XW"] is not None


@pytest.mark.parametrize("text", ["PO30", "not a postcode", "PO30 1XWW", "1234 5AB"])
def test_malformed_postcode_is_none(text):
    assert lookup([text]) == {text: None}


@pytest.mark.parametrize("text", ["PO30 0AA", "PO99 9ZZ", "AA1 1AA"])
def test_unknown_well_formed_postcode_is_none(text):
    assert normalise_postcode(text) is not None
    assert lookup([text]) == {text: None}


def test_lookup_mixes_known_unknown_and_malformed():
    result = lookup(["PO30 1XW", "PO30 0AA", "junk", "B1 1AA"])
    assert result["PO30 0AA"] is None and result["junk"] is None
    assert on_the_island(result["PO30 1XW"])
    assert 52.3 < result["B1 1AA"].lat < 52.6  # Birmingham


def test_northern_ireland_uses_the_irish_grid():
    belfast = lookup(["BT1 1AA"])["BT1 1AA"]
    assert belfast is not None
    assert 54.5 < belfast.lat < 54.7 and -6.1 < belfast.lon < -5.8


def test_postcodes_in_authority_are_live_island_postcodes():
    rows = postcodes_in_authority(ISLE_OF_WIGHT, areas=["PO"])
    assert 6000 < len(rows) < 7000  # 6,424 in the 2026 directory
    postcodes = [p for p, _ in rows]
    assert postcodes == sorted(postcodes)
    assert {p[:4] for p in postcodes} == {f"PO{d}" for d in range(30, 42)}
    assert all(on_the_island(loc) for _, loc in rows)
    assert lookup(postcodes[:50]) == dict(rows[:50])


def test_default_directory_is_cached():
    assert default_directory() is default_directory()


def test_directory_reads_only_the_letters_it_needs():
    directory = PostcodeDirectory()
    directory.lookup(["PO30 1XW", "po31 7es"])
    assert set(directory._tables) == {"P"}
