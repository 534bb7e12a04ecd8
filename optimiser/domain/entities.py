"""Domain model: the validated, immutable picture of a council's transport day.

Units are fixed here once and carried in names: times of day are integer seconds after midnight
(``*_s``), durations are seconds or minutes as named, money is integer pence (``*_pence``),
distances metres (``*_m``) or kilometres (``*_km``). Coordinates are WGS84 degrees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path


class Session(StrEnum):
    """The two school-day sessions, planned separately."""

    AM = "AM"
    PM = "PM"


@dataclass(frozen=True)
class Location:
    lat: float
    lon: float


@dataclass(frozen=True)
class Pupil:
    """One child's transport entitlement.

    ``home`` is the morning pickup address; ``pm_home`` the afternoon drop-off address when it
    differs (split households, respite), else ``None``.
    """

    pupil_id: str
    name: str
    school_id: str
    age: int
    sessions: frozenset[Session]
    home: Location
    postcode: str | None = None
    pm_home: Location | None = None
    pm_postcode: str | None = None
    wheelchair: bool = False
    passenger_assistant: bool = False
    solo: bool = False
    max_ride_min: int | None = None
    boarding_min: float | None = None
    group: str | None = None
    not_with: tuple[str, ...] = ()
    notes: str = ""
    row: int | None = None  # source row, for messages
    # Optional, for the operator's route sheet only: the home address's first lines, and the
    # parent or carer to call. The morning address (``home``); never printed for a PM address.
    home_address: str = ""  # the `address` column
    contact_name: str = ""
    contact_phone: str = ""

    def address(self, session: Session) -> Location:
        """Where the pupil is picked up (AM) or set down (PM)."""
        if session is Session.PM and self.pm_home is not None:
            return self.pm_home
        return self.home

    def postcode_for(self, session: Session) -> str | None:
        if session is Session.PM and self.pm_home is not None:
            return self.pm_postcode
        return self.postcode

    @property
    def first_name_initial(self) -> str:
        """ "Ada L." style: what an operator's route sheet shows."""
        parts = self.name.split()
        if not parts:
            return self.pupil_id
        if len(parts) == 1:
            return parts[0]
        return f"{parts[0]} {parts[-1][0]}."

    @property
    def initials(self) -> str:
        parts = self.name.split()
        return "".join(p[0].upper() for p in parts) if parts else self.pupil_id


@dataclass(frozen=True)
class School:
    """A school with its bell-time windows (seconds after midnight)."""

    school_id: str
    name: str
    location: Location
    am_arrive_from_s: int
    am_arrive_by_s: int
    pm_depart_from_s: int
    pm_depart_by_s: int
    postcode: str | None = None
    phone: str = ""  # optional: the school office, printed on route sheets
    school_type: str = ""  # optional: "special", "mainstream"...; finance reports cost by type


@dataclass(frozen=True)
class VehicleType:
    """One fleet row: a vehicle type offered by one operator from one depot."""

    vehicle_type: str
    operator: str
    seats: int  # passenger seats; a passenger assistant takes one
    wheelchair_spaces: int
    count: int  # available per session
    cost_per_session_pence: int
    cost_per_km_pence: int
    co2_g_per_km: int
    depot: Location
    depot_postcode: str | None = None
    row: int | None = None

    @property
    def key(self) -> str:
        """Stable identifier of this fleet row: ``operator/vehicle_type``."""
        return f"{self.operator}/{self.vehicle_type}"


# The national best-practice ride limits: 45 minutes for a primary-age pupil (under
# ``SECONDARY_AGE``), 75 for a secondary-age one. The council's own default limits start at them.
GUIDANCE_RIDE_MIN_PRIMARY = 45
GUIDANCE_RIDE_MIN_SECONDARY = 75
SECONDARY_AGE = 11


def guidance_ride_min(age: int) -> int:
    """The best-practice ride limit for a pupil of this age, in minutes."""
    return GUIDANCE_RIDE_MIN_PRIMARY if age < SECONDARY_AGE else GUIDANCE_RIDE_MIN_SECONDARY


@dataclass(frozen=True)
class Policy:
    """The council's rules for every pupil's journey.

    A pupil's ride is limited twice: by the council's maximum for their age (or their own
    ``max_ride_min``), and by a fair detour, ``detour_factor`` times their direct journey plus
    ``detour_min`` minutes (2 x direct + 15 min: a pupil 5 minutes from school rides at most 25,
    one 15 minutes away at most 45, always within the maximum). A route calls at no more than
    ``max_schools_per_route`` schools, so one late school delays few others. On the sample these
    defaults halve the longest detours (95th percentile of ride over direct drive 3.1 to 3.3,
    against 5.7 with no rule) at about 2-4% more cost; 1.6 x direct + 10 min and 3 schools cost
    about 8% more (``benchmarks/README.md``, "Fair rides").
    """

    max_ride_min_under_11: int = GUIDANCE_RIDE_MIN_PRIMARY
    max_ride_min_11_plus: int = GUIDANCE_RIDE_MIN_SECONDARY
    boarding_min: float = 1.0
    wheelchair_boarding_min: float = 5.0
    detour_factor: float = 2.0
    detour_min: float = 15.0
    max_schools_per_route: int = 4


@dataclass(frozen=True)
class Settings:
    """``settings.toml`` of a dataset, with defaults for everything but the road network."""

    network: Path | None = None
    am_speed_factor: float = 1.0  # multiply free-flow speeds (0.8 = 20% slower in the peak)
    pm_speed_factor: float = 1.0
    passenger_assistant_per_session_pence: int = 2500
    school_days_per_year: int = 190
    policy: Policy = field(default_factory=Policy)
    time_limit_s: float = 60.0
    # The council's price of a pupil's minute on board, so that of two routes costing about the
    # same the one with shorter rides wins (5p: a 10-minute detour for four pupils, £2, weighs
    # like 1.5 km of taxi).
    ride_time_weight_pence_per_min: float = 5.0
    # The price of each change of vehicle between a pupil's morning and afternoon: each pupil
    # carried on another vehicle than the twin given by their route of the other session (see
    # optimiser.solver.both_ways and optimiser.routing.continuity). Above 0 the sessions are
    # planned again in turns with each other in view; 0 plans each on its own. On the sample,
    # £20 keeps 70-78% of pupils on their vehicle, against 31% without (benchmarks/README.md,
    # "Fair rides and the same crew both ways").
    continuity_per_change_pence: int = 2000
    # The most the same crew both ways may add to the cost per placed journey, in percent of the
    # sessions planned on their own in the same run: the planner keeps the best pair (cost plus
    # the price of changes) within it, from the routes of every plan found (see
    # optimiser.solver.recombine); the sessions as planned on their own are always within it.
    # A council's budget for continuity, beside its price per change.
    continuity_max_extra_percent: float = 3.0
    # The price of changing a pupil's vehicle when re-planning from the routes run today (see
    # optimiser.replan): every vehicle beyond the first that carries the pupils kept from one
    # current route. A change is only made where it saves more than this a day.
    replan_per_change_pence: int = 1500
    # The price of each minute a kept pupil's pick-up or set-down time moves beyond a minute
    # when re-planning (optimiser.replan): a route keeps its times unless moving them pays.
    replan_per_minute_moved_pence: int = 50
    workers: int = 2
    ray_address: str | None = None  # a Ray cluster for large sessions' subproblems
    # [sheets]: printed on every route sheet; all optional.
    council_contact: str = ""  # who a driver calls about a route ("Transport team 01983 000000")
    operating_days: str = ""  # "Monday to Friday, term time only"
    operating_from: str = ""  # first day the routes run, YYYY-MM-DD
    operating_to: str = ""  # last day, YYYY-MM-DD

    def speed_factor(self, session: Session) -> float:
        return self.am_speed_factor if session is Session.AM else self.pm_speed_factor


@dataclass(frozen=True)
class Dataset:
    """A whole, validated dataset. Built only by :func:`optimiser.dataset.loading.load_dataset`."""

    name: str
    pupils: tuple[Pupil, ...]
    schools: dict[str, School]
    fleet: tuple[VehicleType, ...]
    settings: Settings
    source: Path | None = None

    def pupil(self, pupil_id: str) -> Pupil:
        return self._pupils_by_id[pupil_id]

    def find_pupil(self, pupil_id: str) -> Pupil | None:
        """The pupil with this id, or None (a plan may name a pupil the dataset lacks)."""
        return self._pupils_by_id.get(pupil_id)

    @property
    def _pupils_by_id(self) -> dict[str, Pupil]:
        cache = self.__dict__.get("_pupil_index")
        if cache is None:
            cache = {p.pupil_id: p for p in self.pupils}
            object.__setattr__(self, "_pupil_index", cache)
        return cache

    def vehicle_type(self, key: str) -> VehicleType:
        for vt in self.fleet:
            if vt.key == key:
                return vt
        raise KeyError(key)

    def pupils_in(self, session: Session) -> list[Pupil]:
        return [p for p in self.pupils if session in p.sessions]

    def max_ride_s(self, pupil: Pupil) -> int:
        """The pupil's ride limit: their own override, else the policy default for their age."""
        if pupil.max_ride_min is not None:
            return int(pupil.max_ride_min * 60)
        policy = self.settings.policy
        minutes = (
            policy.max_ride_min_under_11
            if pupil.age < SECONDARY_AGE
            else policy.max_ride_min_11_plus
        )
        return int(minutes * 60)

    def ride_limit_s(self, pupil: Pupil, direct_s: int) -> int:
        """The pupil's ride limit on a journey whose direct drive takes ``direct_s``: their
        maximum (:meth:`max_ride_s`) or the policy's fair detour, whichever is shorter."""
        policy = self.settings.policy
        detour = int(policy.detour_factor * direct_s + policy.detour_min * 60)
        return min(self.max_ride_s(pupil), detour)

    def guidance_ride_s(self, pupil: Pupil) -> int:
        """The national best-practice limit (:func:`guidance_ride_min`), in seconds."""
        return guidance_ride_min(pupil.age) * 60

    def boarding_s(self, pupil: Pupil) -> int:
        """Time to board (or alight) one pupil, in seconds."""
        if pupil.boarding_min is not None:
            return int(round(pupil.boarding_min * 60))
        policy = self.settings.policy
        minutes = policy.wheelchair_boarding_min if pupil.wheelchair else policy.boarding_min
        return int(round(minutes * 60))
