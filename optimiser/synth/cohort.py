"""How a synthetic cohort is drawn: schools, homes, needs, groups and notes.

Every share and rule here is an assumption documented in ``docs/sample_data.md``. All random
choices go through one seeded :class:`random.Random` in a fixed order, so a seed always gives the
same pupils; nothing iterates over a ``set`` of strings, whose order changes between runs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from optimiser.domain.entities import Location
from optimiser.synth.schools import school_profile

PUPIL_COLUMNS = [
    "pupil_id", "name", "postcode", "school_id", "age", "sessions", "wheelchair",
    "passenger_assistant", "solo", "max_ride_min", "boarding_min", "group", "not_with",
    "pm_postcode", "notes",
]  # fmt: skip

# Shares of the cohort at each special school (the rest go to mainstream schools).
SPECIAL_SHARES = {"118227": 0.42, "118228": 0.13, "133744": 0.07, "118226": 0.08}
# Relative weight of one mainstream school of each phase when spreading the remaining pupils.
MAINSTREAM_PHASE_WEIGHT = {"primary": 1.0, "secondary": 3.0, "all-through": 2.0}
# Mainstream pupils live near their school: within this many km (straight line).
MAINSTREAM_RADIUS_KM = {"primary": 4.0, "secondary": 8.0, "all-through": 8.0}


@dataclass(frozen=True)
class Needs:
    """Chances of each need for a pupil at one kind of school."""

    wheelchair: float
    pa_if_wheelchair: float
    pa_otherwise: float
    solo_weight: float  # relative chance of being one of the cohort's solo travellers


NEEDS = {
    "special": Needs(wheelchair=0.15, pa_if_wheelchair=0.60, pa_otherwise=0.25, solo_weight=2.5),
    "mainstream": Needs(wheelchair=0.015, pa_if_wheelchair=0.40, pa_otherwise=0.045, solo_weight=1),
}
SOLO_SHARE = 0.09  # national share of SEND pupils under 16 travelling alone
GROUPED_SHARE = 0.05  # pupils in sibling groups of 2-3
PM_ADDRESS_SHARE = 0.05
TIGHT_LIMIT_SHARE = 0.05
TIGHT_LIMIT_MAX_KM = 6.0  # a 30-40 min limit only for pupils who live this close (straight line)
NOT_WITH_PER_PUPIL = 0.01  # about 5 never-together pairs in 500 pupils
NOTE_SHARE = 0.2
SESSION_MIX = (("AM+PM", 0.94), ("AM", 0.03), ("PM", 0.03))

FIRST_NAMES = [
    "Alex", "Ash", "Bailey", "Casey", "Charlie", "Drew", "Eden", "Finley", "Frankie", "Harley",
    "Jamie", "Jesse", "Jordan", "Kai", "Lee", "Logan", "Morgan", "Noor", "Parker", "Quinn",
    "Reese", "Riley", "Robin", "Rowan", "Sam", "Sasha", "Skyler", "Taylor", "Toni", "Zion",
]  # fmt: skip
# Surnames that say plainly the children are not real.
SURNAMES = ["Sample", "Example", "Specimen", "Testcase", "Placeholder", "Fictional"]


@dataclass
class _Pupil:
    """A pupil while the cohort is being built (turned into a CSV row at the end)."""

    school_id: str
    age: int
    postcode: str
    home: Location
    surname: str
    sessions: str
    group: int | None = None  # household number for sibling groups
    pm_postcode: str = ""
    fields: dict[str, str] = field(default_factory=dict)


class _Island:
    """Candidate home postcodes with vectorised distances to a point."""

    def __init__(self, postcodes: Sequence[tuple[str, Location]]) -> None:
        self.postcodes = list(postcodes)
        self.lat = np.array([loc.lat for _, loc in self.postcodes])
        self.lon = np.array([loc.lon for _, loc in self.postcodes])

    def km_from(self, point: Location) -> np.ndarray:
        """Straight-line km from ``point`` (equirectangular: fine across an island)."""
        dy = (self.lat - point.lat) * 110.54
        dx = (self.lon - point.lon) * 111.32 * math.cos(math.radians(point.lat))
        return np.hypot(dx, dy)

    def near(self, point: Location, radius_km: float, minimum: int = 20) -> np.ndarray:
        """Indices of postcodes within ``radius_km``, or the ``minimum`` nearest if fewer."""
        km = self.km_from(point)
        inside = np.flatnonzero(km <= radius_km)
        return inside if len(inside) >= minimum else np.argsort(km, kind="stable")[:minimum]


def _km(a: Location, b: Location) -> float:
    dy = (a.lat - b.lat) * 110.54
    dx = (a.lon - b.lon) * 111.32 * math.cos(math.radians(a.lat))
    return math.hypot(dx, dy)


class _Builder:
    """Draws one cohort; every random choice goes through ``self.rng`` in a fixed order."""

    def __init__(self, seed: int, schools: Sequence[dict[str, str]], island: _Island) -> None:
        self.rng = random.Random(seed)
        self.island = island
        self.schools = {s["school_id"]: s for s in schools}
        self.profiles = {sid: school_profile(sid, s["name"]) for sid, s in self.schools.items()}
        self.where = {
            sid: Location(float(s["lat"]), float(s["lon"])) for sid, s in self.schools.items()
        }
        missing = sorted(set(SPECIAL_SHARES) - set(self.schools))
        if missing:
            raise ValueError(f"schools list lacks the special schools {missing}")
        mainstream = [sid for sid, p in self.profiles.items() if not p.special]
        ms_total = sum(MAINSTREAM_PHASE_WEIGHT[self.profiles[s].phase] for s in mainstream)
        ms_share = 1.0 - sum(SPECIAL_SHARES.values())
        self.school_ids = list(SPECIAL_SHARES) + mainstream
        self.school_weights = list(SPECIAL_SHARES.values()) + [
            ms_share * MAINSTREAM_PHASE_WEIGHT[self.profiles[s].phase] / ms_total
            for s in mainstream
        ]

    def kind(self, school_id: str) -> str:
        return "special" if self.profiles[school_id].special else "mainstream"

    def draw_school(self) -> str:
        return self.rng.choices(self.school_ids, self.school_weights)[0]

    def draw_age(self, school_id: str) -> int:
        p = self.profiles[school_id]
        ages = list(range(p.min_age, p.max_age + 1))
        # Fewer post-16 pupils travel: half weight for ages 17 and 18.
        return self.rng.choices(ages, [0.5 if a >= 17 else 1.0 for a in ages])[0]

    def draw_home(self, school_id: str, exclude: str = "") -> tuple[str, Location]:
        """Special schools draw from the whole island, mainstream ones from nearby."""
        p = self.profiles[school_id]
        if p.special:
            pool = range(len(self.island.postcodes))
        else:
            pool = self.island.near(self.where[school_id], MAINSTREAM_RADIUS_KM[p.phase]).tolist()
        while True:
            postcode, location = self.island.postcodes[self.rng.choice(pool)]
            if postcode != exclude:
                return postcode, location

    def nearest_mainstream(self, phase: str, home: Location) -> str:
        same_phase = [s for s, p in self.profiles.items() if not p.special and p.phase == phase]
        return min(same_phase, key=lambda s: (_km(home, self.where[s]), s))

    def household(self, size: int, group: int | None) -> list[_Pupil]:
        """One home with ``size`` pupils; siblings may go to the same or different schools."""
        first_school = self.draw_school()
        postcode, home = self.draw_home(first_school)
        surname = self.rng.choice(SURNAMES)
        mixes, weights = [m for m, _ in SESSION_MIX], [w for _, w in SESSION_MIX]
        sessions = self.rng.choices(mixes, weights)[0]
        pupils = []
        for i in range(size):
            school = first_school
            if i > 0 and self.rng.random() < 0.5:
                school = self.draw_school()
                if not self.profiles[school].special:  # the local school of that phase
                    school = self.nearest_mainstream(self.profiles[school].phase, home)
            age = self.draw_age(school)
            pupils.append(_Pupil(school, age, postcode, home, surname, sessions, group))
        return pupils


def _yes(flag: bool) -> str:
    return "yes" if flag else ""


def _pick_weighted(rng: random.Random, items: list[int], weights: list[float], k: int) -> list[int]:
    """``k`` distinct items, each chosen with probability growing with its weight."""
    # Efraimidis-Spirakis: the k largest random()**(1/w) form a weighted sample without
    # replacement, with one random number per item, so the draw is stable in a seeded run.
    keys = [(rng.random() ** (1.0 / w), item) for item, w in zip(items, weights, strict=True)]
    return [item for _, item in sorted(keys, reverse=True)[:k]]


def _draw_pupils(b: _Builder, n_pupils: int) -> list[_Pupil]:
    """Households first (sibling groups, then single pupils), shuffled so ids say nothing."""
    pupils: list[_Pupil] = []
    target_grouped = round(GROUPED_SHARE * n_pupils)
    group = 0
    while target_grouped - len(pupils) >= 2:
        size = 3 if target_grouped - len(pupils) >= 3 and b.rng.random() < 0.25 else 2
        group += 1
        pupils += b.household(size, group)
    while len(pupils) < n_pupils:
        pupils += b.household(1, None)
    b.rng.shuffle(pupils)
    return pupils


def _add_needs(b: _Builder, pupils: list[_Pupil]) -> None:
    rng, n = b.rng, len(pupils)
    for p in pupils:
        needs = NEEDS[b.kind(p.school_id)]
        wheelchair = rng.random() < needs.wheelchair
        pa = rng.random() < (needs.pa_if_wheelchair if wheelchair else needs.pa_otherwise)
        p.fields |= {"wheelchair": _yes(wheelchair), "passenger_assistant": _yes(pa)}
        if wheelchair and rng.random() < 0.1:  # a large or complex chair: slower to secure
            p.fields["boarding_min"] = "8"

    # Solo travel conflicts with travelling as a sibling group, so siblings are never solo.
    singles = [i for i, p in enumerate(pupils) if p.group is None]
    weights = [NEEDS[b.kind(pupils[i].school_id)].solo_weight for i in singles]
    for i in _pick_weighted(rng, singles, weights, min(len(singles), round(SOLO_SHARE * n))):
        pupils[i].fields["solo"] = "yes"

    with_pm = [i for i, p in enumerate(pupils) if p.group is None and "PM" in p.sessions]
    for i in sorted(rng.sample(with_pm, min(len(with_pm), round(PM_ADDRESS_SHARE * n)))):
        pupils[i].pm_postcode, _ = b.draw_home(pupils[i].school_id, exclude=pupils[i].postcode)

    pm_home = dict(b.island.postcodes)
    close = [
        i
        for i, p in enumerate(pupils)
        if _km(p.home, b.where[p.school_id]) <= TIGHT_LIMIT_MAX_KM
        and (
            not p.pm_postcode
            or _km(pm_home[p.pm_postcode], b.where[p.school_id]) <= TIGHT_LIMIT_MAX_KM
        )
    ]
    for i in sorted(rng.sample(close, min(len(close), round(TIGHT_LIMIT_SHARE * n)))):
        pupils[i].fields["max_ride_min"] = str(rng.choice((30, 35, 40)))


def _add_not_with(b: _Builder, pupils: list[_Pupil], ids: list[str]) -> None:
    """Never-together pairs: two pupils at the same school, both in both sessions."""
    rng = b.rng
    eligible = [
        i for i, p in enumerate(pupils) if p.sessions == "AM+PM" and not p.fields.get("solo")
    ]
    by_school: dict[str, list[int]] = {}
    for i in eligible:
        by_school.setdefault(pupils[i].school_id, []).append(i)
    wanted = round(NOT_WITH_PER_PUPIL * len(pupils)) if eligible else 0
    paired: list[int] = []
    for _ in range(50 * wanted):
        if len(paired) >= 2 * wanted:
            break
        a = rng.choice(eligible)
        others = [
            j
            for j in by_school[pupils[a].school_id]
            if j != a
            and j not in paired
            and (pupils[a].group is None or pupils[j].group != pupils[a].group)
        ]
        if a in paired or not others:
            continue
        c = rng.choice(others)
        pupils[a].fields["not_with"] = ids[c]
        pupils[c].fields["not_with"] = ids[a]
        paired += [a, c]


def _add_notes(b: _Builder, pupils: list[_Pupil]) -> None:
    """A few notes a driver needs, only where they make sense for the pupil."""
    rng = b.rng
    for p in pupils:
        if rng.random() >= NOTE_SHARE:
            continue
        options = ["sits behind driver", "ear defenders"]
        if p.age <= 11 and not p.fields["wheelchair"]:
            options.append("booster seat")
        if p.fields["passenger_assistant"]:
            options.append("epilepsy-trained PA")
        if b.profiles[p.school_id].special and not p.fields["wheelchair"]:
            options.append("harness")
        if "PM" in p.sessions:
            options.append("hand over to named adult only")
        k = 2 if rng.random() < 0.2 else 1
        p.fields["notes"] = "; ".join(rng.sample(options, k))


def draw_pupils(
    n_pupils: int,
    *,
    seed: int,
    schools: Sequence[dict[str, str]],
    postcodes: Sequence[tuple[str, Location]],
) -> list[dict[str, str]]:
    """Draw ``n_pupils`` synthetic pupils as ``pupils.csv`` rows (all values strings).

    See :func:`optimiser.synth.generate.generate_cohort` for the parameters.
    """
    if n_pupils < 1:
        raise ValueError(f"n_pupils must be at least 1, got {n_pupils}")
    b = _Builder(seed, schools, _Island(postcodes))
    pupils = _draw_pupils(b, n_pupils)
    ids = [f"P{i:04d}" for i in range(1, len(pupils) + 1)]
    first_names = [b.rng.choice(FIRST_NAMES) for _ in pupils]
    _add_needs(b, pupils)
    _add_not_with(b, pupils, ids)
    _add_notes(b, pupils)

    group_labels: dict[int, str] = {}  # numbered in order of first pupil id
    rows = []
    for pid, first, p in zip(ids, first_names, pupils, strict=True):
        group = ""
        if p.group is not None:
            group = group_labels.setdefault(p.group, f"G{len(group_labels) + 1:03d}")
        row = dict.fromkeys(PUPIL_COLUMNS, "")
        row |= {"pupil_id": pid, "name": f"{first} {p.surname}", "postcode": p.postcode,
                "school_id": p.school_id, "age": str(p.age), "sessions": p.sessions,
                "group": group, "pm_postcode": p.pm_postcode}  # fmt: skip
        row |= p.fields
        rows.append(row)
    return rows
