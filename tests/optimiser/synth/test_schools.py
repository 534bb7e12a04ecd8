"""The sample's schools: classification, bell times and the committed schools.csv."""

from __future__ import annotations

import pytest

from optimiser.synth.schools import (
    SCHOOL_COLUMNS,
    SPECIAL_SCHOOLS,
    bell_times,
    extract_schools,
    school_profile,
)
from tests.helpers.paths import IOW_PBF


def minutes(hhmm: str) -> int:
    hours, mins = hhmm.split(":")
    return int(hours) * 60 + int(mins)


@pytest.mark.parametrize(
    ("urn", "name", "special", "phase"),
    [
        ("118227", "St George's School", True, "all-through"),
        ("118228", "Medina House Primary School", True, "primary"),
        ("133744", "Island Learning Centre", True, "secondary"),
        ("118226", "St Catherine's School", True, "all-through"),
        ("1", "Binstead Primary School", False, "primary"),
        ("1", "Oakfield C of E Primary School", False, "primary"),
        ("1", "St Francis Catholic and Church of England Primary Academy", False, "primary"),
        ("1", "Newtown Infant School", False, "primary"),
        ("1", "Ryde Academy", False, "secondary"),
        ("1", "Carisbrooke College", False, "secondary"),
        ("1", "Sandown High School", False, "secondary"),
        ("1", "Priory School", False, "all-through"),
    ],
)
def test_school_profile(urn, name, special, phase):
    profile = school_profile(urn, name)
    assert (profile.special, profile.phase) == (special, phase)


def test_special_schools_start_later_than_mainstream():
    special = minutes(bell_times("118227", "St George's School")["am_arrive_by"])
    primary = minutes(bell_times("118161", "Nettlestone Primary School")["am_arrive_by"])
    secondary = minutes(bell_times("136753", "Ryde Academy")["am_arrive_by"])
    assert secondary < special and primary < special


def test_bell_times_are_stable_per_school():
    assert bell_times("118161", "X Primary") == bell_times("118161", "X Primary")


def test_committed_schools_csv(schools):
    assert len(schools) >= 40
    assert all(list(s) == SCHOOL_COLUMNS for s in schools)
    assert len({s["school_id"] for s in schools}) == len(schools)
    assert set(SPECIAL_SCHOOLS) <= {s["school_id"] for s in schools}
    for s in schools:
        assert 50.57 < float(s["lat"]) < 50.77 and -1.59 < float(s["lon"]) < -1.06
        am = minutes(s["am_arrive_from"]), minutes(s["am_arrive_by"])
        pm = minutes(s["pm_depart_from"]), minutes(s["pm_depart_by"])
        assert am[0] < am[1] < pm[0] < pm[1]


@pytest.mark.skipif(not IOW_PBF.exists(), reason="OSM extract not available")
def test_extraction_rebuilds_the_committed_file(schools):
    assert extract_schools(IOW_PBF) == schools
