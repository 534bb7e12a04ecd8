"""The seeded synthetic Isle of Wight cohort keeps to the dataset format and documented shares."""

from __future__ import annotations

import math
import tomllib
from collections import Counter
from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimiser.dataset.geocode import lookup, postcodes_in_authority
from optimiser.synth.cohort import PUPIL_COLUMNS, SPECIAL_SHARES
from optimiser.synth.fleet import FLEET_COLUMNS, fleet_rows, solo_taxi_cost_per_year
from optimiser.synth.generate import (
    ISLE_OF_WIGHT,
    SAMPLE_DIR,
    generate_cohort,
    settings_toml,
    write_isle_of_wight_dataset,
)
from optimiser.synth.schools import SPECIAL_SCHOOLS, school_profile
from send_routes.cli import app

N = 500
SEED = 2026
BOOLEAN_COLUMNS = ["wheelchair", "passenger_assistant", "solo"]


@pytest.fixture(scope="module")
def island():
    """Every Isle of Wight postcode in the bundled lookup (the area the cohort is drawn from)."""
    return postcodes_in_authority(ISLE_OF_WIGHT, areas=["PO"])


@pytest.fixture(scope="module")
def cohort(schools, island):
    """The seeded 500-pupil cohort and its fleet. Too large to read by hand: the tests check
    it against the documented shares and the dataset format, and the seed makes it the same
    every run."""
    return generate_cohort(N, seed=SEED, schools=schools, postcodes=island)


@pytest.fixture(scope="module")
def pupils(cohort):
    """The cohort's pupil rows (as written to pupils.csv)."""
    return cohort[0]


@pytest.fixture(scope="module")
def fleet(cohort):
    """The cohort's fleet rows (as written to fleet.csv)."""
    return cohort[1]


@pytest.fixture(scope="module")
def special(schools):
    """Whether each committed school is a special school, by school id."""
    return {s["school_id"]: school_profile(s["school_id"], s["name"]).special for s in schools}


def share(rows, column):
    return sum(r[column] == "yes" for r in rows) / len(rows)


def test_same_seed_same_cohort(cohort, schools, island):
    assert generate_cohort(N, seed=SEED, schools=schools, postcodes=island) == cohort


def test_different_seed_different_cohort(pupils, schools, island):
    other, _ = generate_cohort(N, seed=SEED + 1, schools=schools, postcodes=island)
    assert other != pupils
    assert [p["postcode"] for p in other] != [p["postcode"] for p in pupils]


def test_same_seed_same_files(tmp_path):
    for folder in ("a", "b"):
        write_isle_of_wight_dataset(tmp_path / folder, 60, 7)
    for name in ("pupils.csv", "schools.csv", "fleet.csv", "settings.toml"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_rows_follow_the_format(pupils):
    assert len(pupils) == N
    assert all(list(p) == PUPIL_COLUMNS for p in pupils)
    assert len({p["pupil_id"] for p in pupils}) == N
    assert {p["sessions"] for p in pupils} <= {"AM", "PM", "AM+PM"}
    for column in BOOLEAN_COLUMNS:
        assert {p[column] for p in pupils} <= {"yes", ""}
    assert all(p["name"].split()[-1] in {"Sample", "Example", "Specimen", "Testcase",
                                          "Placeholder", "Fictional"} for p in pupils)  # fmt: skip


def test_ages_match_the_school(pupils, schools):
    by_id = {s["school_id"]: s for s in schools}
    for p in pupils:
        profile = school_profile(p["school_id"], by_id[p["school_id"]]["name"])
        assert profile.min_age <= int(p["age"]) <= profile.max_age, p
        if profile.phase == "primary":
            assert 4 <= int(p["age"]) <= 10


def test_every_postcode_is_a_live_island_postcode(pupils, fleet, schools):
    postcodes = [p["postcode"] for p in pupils] + [p["pm_postcode"] for p in pupils]
    postcodes += [f["depot_postcode"] for f in fleet] + [s["postcode"] for s in schools]
    located = lookup(pc for pc in postcodes if pc)
    assert all(loc is not None for loc in located.values())
    assert all(50.57 < loc.lat < 50.77 and -1.59 < loc.lon < -1.06 for loc in located.values())


def test_most_pupils_are_at_special_schools(pupils, special):
    counts = Counter(p["school_id"] for p in pupils)
    assert 0.62 <= sum(counts[s] for s in SPECIAL_SHARES) / N <= 0.78
    assert counts.most_common(1)[0][0] == "118227"  # St George's is the largest
    assert all(counts[s] > 0 for s in SPECIAL_SCHOOLS)


def test_wheelchair_users_and_assistants_concentrate_at_special_schools(pupils, special):
    at_special = [p for p in pupils if special[p["school_id"]]]
    elsewhere = [p for p in pupils if not special[p["school_id"]]]
    assert 0.10 <= share(at_special, "wheelchair") <= 0.20
    assert share(elsewhere, "wheelchair") <= 0.05
    assert share(at_special, "passenger_assistant") > share(elsewhere, "passenger_assistant")
    wheelchair = [p for p in pupils if p["wheelchair"]]
    others = [p for p in pupils if not p["wheelchair"]]
    assert share(wheelchair, "passenger_assistant") > share(others, "passenger_assistant")
    assert all(p["wheelchair"] for p in pupils if p["boarding_min"])


def test_about_nine_percent_travel_solo(pupils):
    assert 0.07 <= share(pupils, "solo") <= 0.11
    assert not any(p["solo"] and p["group"] for p in pupils)


def test_sibling_groups_share_a_home(pupils):
    groups: dict[str, list[dict]] = {}
    for p in pupils:
        if p["group"]:
            groups.setdefault(p["group"], []).append(p)
    assert groups
    assert 0.03 <= sum(len(g) for g in groups.values()) / N <= 0.07
    for members in groups.values():
        assert 2 <= len(members) <= 3
        assert len({m["postcode"] for m in members}) == 1
        assert len({m["sessions"] for m in members}) == 1


def test_never_together_pairs_are_real_pupils_at_one_school(pupils):
    by_id = {p["pupil_id"]: p for p in pupils}
    with_pairs = [p for p in pupils if p["not_with"]]
    assert 6 <= len(with_pairs) <= 12  # about five pairs, listed on both pupils
    for p in with_pairs:
        for other_id in p["not_with"].split(";"):
            other = by_id[other_id]  # the reference exists
            assert other_id != p["pupil_id"]
            assert other["school_id"] == p["school_id"]
            assert p["pupil_id"] in other["not_with"].split(";")


def test_other_needs_are_present_in_small_numbers(pupils):
    pm_address = [p for p in pupils if p["pm_postcode"]]
    assert 0.03 <= len(pm_address) / N <= 0.07
    assert all("PM" in p["sessions"] and p["pm_postcode"] != p["postcode"] for p in pm_address)
    limits = [int(p["max_ride_min"]) for p in pupils if p["max_ride_min"]]
    assert 0.03 <= len(limits) / N <= 0.07 and all(30 <= m <= 40 for m in limits)
    assert 0.1 <= sum(bool(p["notes"]) for p in pupils) / N <= 0.3
    assert Counter(p["sessions"] for p in pupils).most_common(1)[0][0] == "AM+PM"


def test_fleet_rows_are_unique_and_complete(fleet):
    assert all(list(f) == FLEET_COLUMNS for f in fleet)
    assert len({(f["operator"], f["vehicle_type"]) for f in fleet}) == len(fleet)


def test_fleet_can_carry_every_pupil_alone(pupils, fleet):
    for session in ("AM", "PM"):
        riding = [p for p in pupils if session in p["sessions"]]
        wheelchair = sum(bool(p["wheelchair"]) for p in riding)
        vehicles = sum(int(f["count"]) for f in fleet)
        accessible = sum(int(f["count"]) for f in fleet if int(f["wheelchair_spaces"]) > 0)
        assert vehicles >= 1.1 * len(riding)
        assert accessible >= 1.3 * wheelchair


def test_solo_taxi_costs_about_ten_thousand_a_year(fleet):
    taxis = [f for f in fleet if f["vehicle_type"] == "saloon taxi"]
    assert taxis
    for taxi in taxis:
        assert 8_000 <= solo_taxi_cost_per_year(taxi) <= 12_000
    # The documented arithmetic: (£10 + £0.80/km x 20 km) x 190 days x 2 sessions.
    island_taxis = next(f for f in taxis if f["operator"] == "Island Taxis")
    assert solo_taxi_cost_per_year(island_taxis) == pytest.approx((10 + 0.8 * 20) * 380)


@pytest.mark.parametrize(("n_pupils", "factor"), [(250, 0.5), (1000, 2), (2000, 4)])
def test_fleet_scales_with_the_cohort(n_pupils, factor, schools, island):
    _, fleet = generate_cohort(n_pupils, seed=1, schools=schools, postcodes=island)
    base = fleet_rows(1.0)
    for row, base_row in zip(fleet, base, strict=True):
        assert int(row["count"]) == math.ceil(int(base_row["count"]) * factor)


def test_settings_parse_with_the_documented_values():
    settings = tomllib.loads(settings_toml())
    assert settings["roads"] == {
        "network": "roads.npz",
        "am_speed_factor": 0.85,
        "pm_speed_factor": 0.9,
    }
    assert settings["costs"]["passenger_assistant_per_session"] == 25.0
    assert settings["policy"]["max_ride_min_under_11"] == 45
    assert settings["policy"]["detour_factor"] == 2.0
    assert settings["costs"]["continuity_per_change"] == 20.0
    assert settings["costs"]["continuity_max_extra_percent"] == 3.0
    assert settings["solver"] == {"time_limit_s": 120, "ride_time_weight_per_min": 0.05}


def test_datasets_elsewhere_point_at_the_sample_road_network(tmp_path):
    folder = write_isle_of_wight_dataset(tmp_path / "scaled", 30, 3)
    network = tomllib.loads((folder / "settings.toml").read_text())["roads"]["network"]
    assert (folder / network).resolve() == (SAMPLE_DIR / "roads.npz").resolve()


def test_command_line_writes_a_dataset(tmp_path):
    result = CliRunner().invoke(
        app, ["synth", "cohort", "--pupils", "25", "--seed", "5", "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "fleet.csv",
        "pupils.csv",
        "schools.csv",
        "settings.toml",
    ]
    assert "25 pupils" in result.output


def test_committed_sample_is_what_the_command_writes(tmp_path):
    committed = Path(SAMPLE_DIR)
    if not (committed / "pupils.csv").exists():
        pytest.skip("sample not generated")
    write_isle_of_wight_dataset(tmp_path, N, SEED, network="roads.npz")
    for name in ("pupils.csv", "schools.csv", "fleet.csv", "settings.toml"):
        assert (tmp_path / name).read_text() == (committed / name).read_text(), name
