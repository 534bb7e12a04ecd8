"""Where everything is on the road graph, and how long it takes to get between places.

Every address in a dataset (pupils' homes and afternoon addresses, schools, depots) gets a
*location key* and is snapped onto the nearest road edge in one vectorised call
(:func:`optimiser.roads.snapping.snap_to_edges`); one travel-time and one distance matrix are
built over the distinct places, one row per distinct point, so two places at different points
never share a row. Journeys include each end's access leg to the road at
:data:`~optimiser.roads.snapping.ACCESS_SPEED_KPH` (see :mod:`optimiser.roads.matrices`). Solver
and validator both read times from here, so they agree on what a journey takes.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from optimiser.domain.entities import Dataset, Location, Pupil, Session, VehicleType
from optimiser.domain.errors import InputError, InputProblem, UnreachableLocationError
from optimiser.roads.matrices import build_place_matrices
from optimiser.roads.network import RoadGraph, load_network
from optimiser.roads.snapping import EdgeSnap, snap_to_edges

SNAP_WARN_M = 500.0


def home_key(pupil: Pupil, session: Session) -> str:
    """The key of where a pupil is picked up (AM) or set down (PM)."""
    if session is Session.PM and pupil.pm_home is not None:
        return f"pm_home:{pupil.pupil_id}"
    return f"home:{pupil.pupil_id}"


def school_key(school_id: str) -> str:
    return f"school:{school_id}"


def depot_key(vehicle_type: VehicleType) -> str:
    return f"depot:{vehicle_type.key}"


def dataset_locations(dataset: Dataset) -> dict[str, Location]:
    """Every location key of a dataset with its coordinates."""
    places: dict[str, Location] = {}
    for p in dataset.pupils:
        places[f"home:{p.pupil_id}"] = p.home
        if p.pm_home is not None:
            places[f"pm_home:{p.pupil_id}"] = p.pm_home
    for s in dataset.schools.values():
        places[school_key(s.school_id)] = s.location
    for vt in dataset.fleet:
        places[depot_key(vt)] = vt.depot
    return places


def describe_key(key: str, dataset: Dataset) -> str:
    """What a person calls a location key: 'pupil P0001's home', 'school 118227 (Name)'."""
    kind, _, ident = key.partition(":")
    if kind == "home":
        return f"pupil {ident}'s home"
    if kind == "pm_home":
        return f"pupil {ident}'s afternoon address"
    if kind == "school":
        school = dataset.schools.get(ident)
        return f"school {ident} ({school.name})" if school else f"school {ident}"
    return f"the depot of {ident}"


@dataclass
class TravelData:
    """Snapped locations and matrices; ``index`` maps a location key to a matrix row.

    ``snap_m`` is each key's access distance in metres, from the place to the nearest road.
    ``node_positions`` holds, per row, the graph node nearest the row's point on the road (for
    drawing routes along the roads); ``road`` the row's position on its road edge, when the
    matrices were built from a road graph.
    """

    keys: tuple[str, ...]
    index: dict[str, int]
    location: dict[str, Location]
    snap_m: dict[str, float]
    node_positions: np.ndarray  # graph node nearest each matrix row's point on the road
    time_s: np.ndarray  # free-flow seconds, row = origin
    distance_m: np.ndarray
    speed_factors: dict[Session, float]
    build_s: float = 0.0
    road: EdgeSnap | None = None
    _scaled: dict[Session, np.ndarray] = field(default_factory=dict, repr=False)

    def times(self, session: Session) -> np.ndarray:
        """Travel times (s) in a session: free-flow times divided by the session's speed factor."""
        if session not in self._scaled:
            factor = self.speed_factors.get(session, 1.0)
            self._scaled[session] = np.rint(self.time_s / factor).astype(np.int64)
        return self._scaled[session]

    def row(self, key: str) -> int:
        return self.index[key]

    def direct_s(self, pupil: Pupil, session: Session) -> int:
        """The drive straight from a pupil's pickup to their drop-off in a session, in seconds."""
        home, school = self.row(home_key(pupil, session)), self.row(school_key(pupil.school_id))
        start, end = (home, school) if session is Session.AM else (school, home)
        return int(self.times(session)[start, end])

    def far_snaps(self, limit_m: float = SNAP_WARN_M) -> list[tuple[str, float]]:
        return sorted(
            ((k, d) for k, d in self.snap_m.items() if d > limit_m), key=lambda kd: -kd[1]
        )


def network_path(dataset: Dataset) -> Path:
    network = dataset.settings.network
    if network is None:
        raise InputError(
            [InputProblem("settings.toml", None, "roads.network", "no road network is set")]
        )
    if not network.exists():
        raise InputError(
            [
                InputProblem(
                    "settings.toml", None, "roads.network", f"road network {network} not found"
                )
            ]
        )
    return network


def build_travel(dataset: Dataset, graph: RoadGraph | None = None) -> TravelData:
    """Snap every location of the dataset onto the roads and build the matrices between them.

    Parameters
    ----------
    dataset
        The dataset; its road network is loaded unless ``graph`` is given.
    graph
        The road graph, if already loaded.

    Returns
    -------
    TravelData
        One matrix row per distinct point; ``snap_m`` the access distance of each key.

    Raises
    ------
    UnreachableLocationError
        Naming the places that cannot reach, or be reached from, the others by road.
    """
    if graph is None:
        graph = load_network(network_path(dataset))
    started = time.perf_counter()
    places = dataset_locations(dataset)
    keys = tuple(places)
    lats = np.array([places[k].lat for k in keys], dtype=float)
    lons = np.array([places[k].lon for k in keys], dtype=float)
    # one row per distinct point: places at one point share it, no other places do
    points, row_of = np.unique(np.column_stack((lats, lons)), axis=0, return_inverse=True)
    row_of = row_of.ravel()
    road = snap_to_edges(graph, points[:, 0], points[:, 1])
    try:
        matrices = build_place_matrices(graph, road)
    except UnreachableLocationError as exc:
        bad_rows = {int(a) for a in exc.affected}
        names = [
            describe_key(k, dataset) for k, r in zip(keys, row_of, strict=True) if r in bad_rows
        ]
        raise UnreachableLocationError(
            "these places cannot be reached by road from the others (or cannot reach them): "
            + "; ".join(names),
            affected=names,
        ) from None
    near_end = np.where(road.fraction < 0.5, graph.edge_u[road.edge], graph.edge_v[road.edge])
    return TravelData(
        keys=keys,
        index={k: int(r) for k, r in zip(keys, row_of, strict=True)},
        location=places,
        snap_m={k: float(road.access_m[r]) for k, r in zip(keys, row_of, strict=True)},
        node_positions=np.where(road.node >= 0, road.node, near_end).astype(np.int64),
        time_s=np.asarray(matrices.time_s, dtype=np.int64),
        distance_m=np.asarray(matrices.distance_m, dtype=np.int64),
        speed_factors={
            Session.AM: dataset.settings.am_speed_factor,
            Session.PM: dataset.settings.pm_speed_factor,
        },
        build_s=time.perf_counter() - started,
        road=road,
    )
