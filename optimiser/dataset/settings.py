"""``settings.toml``: the dataset's roads, costs, policy and solver settings, with defaults.

In a workbook the same settings sit in a ``settings`` sheet with columns ``section``, ``key``,
``value``. Unknown sections and keys are errors: a typo must not fall back to a default silently.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from pathlib import Path

from optimiser.dataset.tables import Table
from optimiser.domain.entities import Policy, Settings
from optimiser.domain.errors import InputProblem

# settings.toml: section -> key -> (Settings field or Policy field, type, converter to model units)
_SETTINGS: dict[str, dict[str, tuple[str, type, Callable[[float], object]]]] = {
    "roads": {
        "network": ("network", str, str),
        "am_speed_factor": ("am_speed_factor", float, float),
        "pm_speed_factor": ("pm_speed_factor", float, float),
    },
    "costs": {
        "passenger_assistant_per_session": (
            "passenger_assistant_per_session_pence",
            float,
            lambda v: int(round(Decimal(str(v)) * 100)),
        ),
        "school_days_per_year": ("school_days_per_year", int, int),
        "continuity_per_change": (
            "continuity_per_change_pence",
            float,
            lambda v: int(round(Decimal(str(v)) * 100)),
        ),
        "continuity_max_extra_percent": (
            "continuity_max_extra_percent",
            float,
            float,
        ),
        "replan_per_change": (
            "replan_per_change_pence",
            float,
            lambda v: int(round(Decimal(str(v)) * 100)),
        ),
        "replan_per_minute_moved": (
            "replan_per_minute_moved_pence",
            float,
            lambda v: int(round(Decimal(str(v)) * 100)),
        ),
    },
    "policy": {
        "max_ride_min_under_11": ("policy.max_ride_min_under_11", int, int),
        "max_ride_min_11_plus": ("policy.max_ride_min_11_plus", int, int),
        "boarding_min": ("policy.boarding_min", float, float),
        "wheelchair_boarding_min": ("policy.wheelchair_boarding_min", float, float),
        "detour_factor": ("policy.detour_factor", float, float),
        "detour_minutes": ("policy.detour_min", float, float),
        "max_schools_per_route": ("policy.max_schools_per_route", int, int),
    },
    "solver": {
        "time_limit_s": ("time_limit_s", float, float),
        "ride_time_weight_per_min": (
            "ride_time_weight_pence_per_min",
            float,
            lambda v: float(v) * 100,
        ),
        "workers": ("workers", int, int),
    },
    # Where large sessions' subproblems are solved: a Ray cluster's address ("auto", or
    # "ray://head:10001"); unset, local worker processes (see optimiser.solver.executor).
    "compute": {
        "ray_address": ("ray_address", str, str),
    },
    # Printed on every operator's route sheet (maps.sheets); all optional.
    "sheets": {
        "council_contact": ("council_contact", str, str),
        "operating_days": ("operating_days", str, str),
        "operating_from": ("operating_from", str, str),
        "operating_to": ("operating_to", str, str),
    },
}


# The largest value of each number setting: far above any real policy, and small enough that
# the planner's sums in pence and seconds stay exact.
_MAXIMA: dict[str, float] = {
    "costs.passenger_assistant_per_session": 10_000,
    "costs.school_days_per_year": 366,
    "costs.continuity_per_change": 10_000,
    "costs.continuity_max_extra_percent": 1_000,
    "costs.replan_per_change": 10_000,
    "costs.replan_per_minute_moved": 1_000,
    "policy.max_ride_min_under_11": 300,
    "policy.max_ride_min_11_plus": 300,
    "policy.boarding_min": 60,
    "policy.wheelchair_boarding_min": 60,
    "solver.time_limit_s": 86_400,
    "solver.ride_time_weight_per_min": 1_000,
    "solver.workers": 1_024,
}


def _valid(value: object, kind: type) -> bool:
    """Whether a settings value has the setting's type: a string, or a finite number >= 0."""
    if kind is str:
        return isinstance(value, str)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if kind is int and isinstance(value, float) and not value.is_integer():
        return False
    return math.isfinite(value) and value >= 0


def _range_problems(fields: Mapping[str, object], file: str) -> list[InputProblem]:
    """Values of the right type that are still out of range."""
    problems = []
    limit, workers = fields.get("time_limit_s"), fields.get("workers")
    if isinstance(limit, float) and not limit > 0:
        problems.append(InputProblem(file, None, "solver.time_limit_s", "must be more than 0"))
    if isinstance(workers, int) and workers < 1:
        problems.append(InputProblem(file, None, "solver.workers", "must be at least 1"))
    for key in ("am_speed_factor", "pm_speed_factor"):
        factor = fields.get(key)
        if isinstance(factor, float) and not 0.1 <= factor <= 2:
            problems.append(InputProblem(file, None, f"roads.{key}", "must be between 0.1 and 2"))
    problems += _date_problems(fields, file)
    return problems


def _date_problems(fields: Mapping[str, object], file: str) -> list[InputProblem]:
    """``[sheets] operating_from`` and ``operating_to`` are dates, the first not after the last."""
    problems = []
    dates: dict[str, date] = {}
    for key in ("operating_from", "operating_to"):
        value = fields.get(key)
        if not isinstance(value, str) or not value:
            continue
        try:
            dates[key] = date.fromisoformat(value)
        except ValueError:
            problems.append(InputProblem(file, None, f"sheets.{key}", "must be a date YYYY-MM-DD"))
    if len(dates) == 2 and dates["operating_from"] > dates["operating_to"]:
        problems.append(
            InputProblem(file, None, "sheets.operating_to", "is before sheets.operating_from")
        )
    return problems


def _policy_problems(policy: Mapping[str, object], file: str) -> list[InputProblem]:
    problems = []
    factor, schools = policy.get("detour_factor"), policy.get("max_schools_per_route")
    if isinstance(factor, float) and factor < 1:
        message = "must be at least 1 (a ride is never shorter than the direct journey)"
        problems.append(InputProblem(file, None, "policy.detour_factor", message))
    if isinstance(schools, int) and schools < 1:
        problems.append(InputProblem(file, None, "policy.max_schools_per_route", "must be >= 1"))
    return problems


def parse_settings(
    values: Mapping[str, Mapping[str, object]], file: str, base_dir: Path | None
) -> tuple[Settings, list[InputProblem]]:
    """Turn ``{section: {key: value}}`` into :class:`Settings`, reporting every bad entry."""
    problems: list[InputProblem] = []
    fields: dict[str, object] = {}
    policy: dict[str, object] = {}
    for section, entries in values.items():
        known = _SETTINGS.get(section)
        if known is None or not isinstance(entries, Mapping):
            problems.append(InputProblem(file, None, section, f"unknown section [{section}]"))
            continue
        for key, value in entries.items():
            if key not in known:
                problems.append(InputProblem(file, None, f"{section}.{key}", "unknown setting"))
                continue
            target, kind, convert = known[key]
            if not _valid(value, kind):
                message = f"{value!r} is not a valid {kind.__name__}"
                problems.append(InputProblem(file, None, f"{section}.{key}", message))
                continue
            most = _MAXIMA.get(f"{section}.{key}")
            if most is not None and value > most:  # type: ignore[operator]
                message = f"{value!r} is above the maximum {most:,}"
                problems.append(InputProblem(file, None, f"{section}.{key}", message))
                continue
            converted = convert(value)  # type: ignore[arg-type]
            if target.startswith("policy."):
                policy[target.removeprefix("policy.")] = converted
            else:
                fields[target] = converted
    problems += _range_problems(fields, file)
    problems += _policy_problems(policy, file)
    if "network" in fields:
        network = Path(str(fields["network"]))
        if not network.is_absolute() and base_dir is not None:
            network = base_dir / network
        fields["network"] = network
    return Settings(policy=Policy(**policy), **fields), problems  # type: ignore[arg-type]


def settings_from_sheet(table: Table) -> tuple[dict[str, dict[str, object]], list[InputProblem]]:
    values: dict[str, dict[str, object]] = {}
    problems = list(table.problems)
    for row, cells in table.rows:
        section, key, raw = cells.get("section", ""), cells.get("key", ""), cells.get("value", "")
        if not section or not key:
            problems.append(InputProblem(table.file, row, "key", "section and key are required"))
            continue
        value: object = raw
        try:
            value = int(raw) if re.fullmatch(r"-?\d+", raw) else float(raw)
        except ValueError:
            pass
        values.setdefault(section, {})[key] = value
    return values, problems


def read_settings_toml(path: Path) -> tuple[dict[str, dict[str, object]], list[InputProblem]]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), []
    except tomllib.TOMLDecodeError as exc:
        return {}, [InputProblem(path.name, None, None, f"not valid TOML: {exc}")]
