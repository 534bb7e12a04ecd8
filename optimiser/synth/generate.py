"""Seeded synthetic SEND transport cohorts for the Isle of Wight.

The children are invented; their homes are real, live Isle of Wight postcodes (ONS postcode
directory, OGL v3) and their schools are the island's real schools (OpenStreetMap, ODbL). The same
seed always gives the same files. Assumptions and shares are documented in ``docs/sample_data.md``.

Regenerate the committed sample with::

    send-routes synth cohort --pupils 500 --seed 2026 --out sample_data/isle_of_wight
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path

from optimiser.dataset.geocode import postcodes_in_authority
from optimiser.domain.entities import Location
from optimiser.synth.cohort import PUPIL_COLUMNS, draw_pupils
from optimiser.synth.fleet import BASE_PUPILS, FLEET_COLUMNS, fleet_rows
from optimiser.synth.schools import read_schools_csv, write_schools_csv

ISLE_OF_WIGHT = "E06000046"  # ONS local authority code
SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data" / "isle_of_wight"
SCHOOLS_CSV = SAMPLE_DIR / "schools.csv"


def generate_cohort(
    n_pupils: int,
    *,
    seed: int,
    schools: Sequence[dict[str, str]],
    postcodes: Sequence[tuple[str, Location]],
    fleet_scale: float | None = None,
) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """Generate a synthetic cohort and a fleet sized for it.

    Parameters
    ----------
    n_pupils
        Number of pupils (at least 1).
    seed
        Seed of the random draw: the same arguments always give the same rows.
    schools
        ``schools.csv`` rows; must include the island's four special schools (by URN).
    postcodes
        Candidate home postcodes with their locations, e.g. from
        :func:`optimiser.dataset.geocode.postcodes_in_authority`.
    fleet_scale
        Multiplier of the fleet counts; default ``n_pupils / 500``.

    Returns
    -------
    pupils, fleet
        Rows of ``pupils.csv`` (columns :data:`PUPIL_COLUMNS`) and of ``fleet.csv``, as strings.
    """
    pupils = draw_pupils(n_pupils, seed=seed, schools=schools, postcodes=postcodes)
    scale = fleet_scale if fleet_scale is not None else n_pupils / BASE_PUPILS
    return pupils, fleet_rows(scale)


def settings_toml(network: str = "roads.npz") -> str:
    """The sample's ``settings.toml``; ``network`` is relative to the dataset folder."""
    network = network.replace("\\", "/").replace('"', '\\"')
    return f"""\
# Synthetic Isle of Wight dataset from optimiser.synth: see docs/sample_data.md.
[roads]
network = "{network}"
am_speed_factor = 0.85
pm_speed_factor = 0.9

[costs]
passenger_assistant_per_session = 25.0
school_days_per_year = 190
continuity_per_change = 20.0
continuity_max_extra_percent = 3.0

[policy]
max_ride_min_under_11 = 45
max_ride_min_11_plus = 75
boarding_min = 1
wheelchair_boarding_min = 5
detour_factor = 2.0
detour_minutes = 15
max_schools_per_route = 4

[solver]
time_limit_s = 120
ride_time_weight_per_min = 0.05
"""


def _write_csv(path: Path, columns: list[str], rows: Sequence[dict[str, str]]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=columns, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_dataset(
    folder: Path | str,
    *,
    pupils: Sequence[dict[str, str]],
    schools: Sequence[dict[str, str]],
    fleet: Sequence[dict[str, str]],
    network: str = "roads.npz",
) -> Path:
    """Write ``pupils.csv``, ``schools.csv``, ``fleet.csv`` and ``settings.toml`` to ``folder``.

    Returns
    -------
    Path
        ``folder``, created if needed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / "pupils.csv", PUPIL_COLUMNS, pupils)
    write_schools_csv(schools, folder / "schools.csv")
    _write_csv(folder / "fleet.csv", FLEET_COLUMNS, fleet)
    (folder / "settings.toml").write_text(settings_toml(network), encoding="utf-8")
    return folder


def _network_for(out_dir: Path) -> str:
    """Point a dataset written anywhere at the sample's road network."""
    target = SAMPLE_DIR / "roads.npz"
    try:
        return os.path.relpath(target, out_dir.resolve()).replace(os.sep, "/")
    except ValueError:  # another drive on Windows
        return str(target)


def write_isle_of_wight_dataset(
    out_dir: Path | str,
    n_pupils: int = 500,
    seed: int = 2026,
    *,
    schools_csv: Path | str = SCHOOLS_CSV,
    network: str | None = None,
    fleet_scale: float | None = None,
) -> Path:
    """Generate an Isle of Wight cohort of ``n_pupils`` and write it as a dataset folder.

    Parameters
    ----------
    out_dir
        Folder to write (created if needed).
    n_pupils, seed
        Cohort size and seed; the fleet scales with ``n_pupils / 500``.
    schools_csv
        The school list (default: the committed sample's ``schools.csv``).
    network
        ``[roads] network`` path, relative to ``out_dir``; default: the sample's ``roads.npz``.
    fleet_scale
        Multiply the 500-pupil fleet's counts by this instead (e.g. a short fleet).

    Returns
    -------
    Path
        ``out_dir``.
    """
    out_dir = Path(out_dir)
    schools = read_schools_csv(schools_csv)
    homes = postcodes_in_authority(ISLE_OF_WIGHT, areas=["PO"])
    pupils, fleet = generate_cohort(
        n_pupils, seed=seed, schools=schools, postcodes=homes, fleet_scale=fleet_scale
    )
    if network is None:
        network = _network_for(out_dir)
    return write_dataset(out_dir, pupils=pupils, schools=schools, fleet=fleet, network=network)
