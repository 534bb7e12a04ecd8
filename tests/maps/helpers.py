"""A tiny hand-made dataset and plan for the output tests (maps, route sheets, finance).

Two schools, two operators, five pupils, four routes:

- ``AM-1``  Acme Taxis WAV: Ada (wheelchair) and Ben to Riverside.
- ``AM-2``  Blue Line minibus with a passenger assistant: Chloe, Dev, Erin; Erin set down at
  Riverside, Chloe and Dev at Hillview. Chloe (age 8) rides 50 minutes: over the 45-minute
  guidance.
- ``PM-1``  Acme Taxis WAV: Ada and Ben home from Riverside.
- ``PM-2``  Blue Line minibus with PA: Chloe and Dev home from Hillview (Dev to his afternoon
  address).

Daily cost £40 + £60 + £40 + £55 = £195.
"""

from __future__ import annotations

import json
import re
from copy import deepcopy
from types import SimpleNamespace

import numpy as np

from optimiser.domain.entities import (
    Dataset,
    Location,
    Pupil,
    School,
    Session,
    Settings,
    VehicleType,
)
from optimiser.plan.document import Plan, Route, Stop

BOTH = frozenset({Session.AM, Session.PM})


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


def make_dataset() -> Dataset:
    schools = {
        "S1": School("S1", "Riverside Academy", Location(51.760, -1.250), hm("8:30"),
                     hm("8:50"), hm("15:10"), hm("15:25"), postcode="OX1 1AA"),
        "S2": School("S2", "Hillview Special School", Location(51.780, -1.220), hm("8:45"),
                     hm("9:05"), hm("15:15"), hm("15:30"), postcode="OX2 2BB"),
    }  # fmt: skip
    pupils = (
        Pupil("P001", "Ada Lovelace", "S1", 9, BOTH, Location(51.740, -1.270), "OX3 3CC",
              wheelchair=True, notes="Ramp at side door"),
        Pupil("P002", "Ben Okafor", "S1", 12, BOTH, Location(51.745, -1.262), "OX3 4DD",
              notes="Sits behind driver"),
        Pupil("P003", "Chloe Smithson", "S2", 8, BOTH, Location(51.800, -1.200), "OX4 5EE",
              passenger_assistant=True),
        Pupil("P004", "Dev Patel", "S2", 14, BOTH, Location(51.805, -1.190), "OX4 6FF",
              pm_home=Location(51.790, -1.180), pm_postcode="OX4 9ZZ"),
        Pupil("P005", "Erin Walsh", "S1", 10, frozenset({Session.AM}), Location(51.770, -1.240),
              "OX1 7GG"),
    )  # fmt: skip
    fleet = (
        VehicleType("WAV", "Acme Taxis", 4, 1, 2, 3000, 100, 180, Location(51.750, -1.300)),
        VehicleType("Minibus", "Blue Line", 12, 0, 1, 4000, 150, 250, Location(51.810, -1.210)),
    )
    return Dataset("tiny", pupils, schools, fleet, Settings(school_days_per_year=190))


def _stop(kind, lat, lon, arrive, depart, pupils=(), school=None) -> Stop:
    return Stop(kind, lat, lon, hm(arrive), hm(depart), tuple(pupils), school)


def make_plan() -> Plan:
    routes = [
        Route("AM-1", Session.AM, "V1", "WAV", "Acme Taxis", False, [
            _stop("depot", 51.750, -1.300, "7:50", "7:50"),
            _stop("pickup", 51.740, -1.270, "8:00", "8:05", ["P001"]),
            _stop("pickup", 51.745, -1.262, "8:10", "8:11", ["P002"]),
            _stop("dropoff", 51.760, -1.250, "8:35", "8:40", ["P001", "P002"], "S1"),
            _stop("depot", 51.750, -1.300, "8:55", "8:55"),
        ], distance_km=10.0, duration_min=65, cost_pence=4000),
        Route("AM-2", Session.AM, "V2", "Minibus", "Blue Line", True, [
            _stop("depot", 51.810, -1.210, "7:45", "7:45"),
            _stop("pickup", 51.800, -1.200, "7:55", "7:56", ["P003"]),
            _stop("pickup", 51.805, -1.190, "8:00", "8:01", ["P004"]),
            _stop("pickup", 51.770, -1.240, "8:20", "8:21", ["P005"]),
            _stop("dropoff", 51.760, -1.250, "8:35", "8:36", ["P005"], "S1"),
            _stop("dropoff", 51.780, -1.220, "8:46", "8:48", ["P003", "P004"], "S2"),
            _stop("depot", 51.810, -1.210, "9:00", "9:00"),
        ], distance_km=10.0, duration_min=75, cost_pence=6000),
        Route("PM-1", Session.PM, "V1", "WAV", "Acme Taxis", False, [
            _stop("depot", 51.750, -1.300, "14:55", "14:55"),
            _stop("pickup", 51.760, -1.250, "15:10", "15:16", ["P001", "P002"], "S1"),
            _stop("dropoff", 51.745, -1.262, "15:30", "15:31", ["P002"]),
            _stop("dropoff", 51.740, -1.270, "15:35", "15:40", ["P001"]),
            _stop("depot", 51.750, -1.300, "15:50", "15:50"),
        ], distance_km=10.0, duration_min=55, cost_pence=4000),
        Route("PM-2", Session.PM, "V2", "Minibus", "Blue Line", True, [
            _stop("depot", 51.810, -1.210, "15:00", "15:00"),
            _stop("pickup", 51.780, -1.220, "15:15", "15:17", ["P003", "P004"], "S2"),
            _stop("dropoff", 51.790, -1.180, "15:30", "15:31", ["P004"]),
            _stop("dropoff", 51.800, -1.200, "15:40", "15:41", ["P003"]),
            _stop("depot", 51.810, -1.210, "15:50", "15:50"),
        ], distance_km=7.0, duration_min=50, cost_pence=5500),
    ]  # fmt: skip
    return Plan(
        "tiny",
        routes,
        summary={"baseline_cost_per_day": 300.0},
        generated_at="2026-03-02T09:00:00Z",
    )


def changed_plan() -> Plan:
    """The plan with one known change: Erin moves from AM-2 to a new solo taxi AM-3."""
    plan = deepcopy(make_plan())
    am2 = plan.routes[1]
    am2.stops = [s for s in am2.stops if "P005" not in s.pupil_ids]
    am2.cost_pence = 5500
    plan.routes.append(
        Route("AM-3", Session.AM, "V3", "WAV", "Acme Taxis", False, [
            _stop("depot", 51.750, -1.300, "8:05", "8:05"),
            _stop("pickup", 51.770, -1.240, "8:20", "8:21", ["P005"]),
            _stop("dropoff", 51.760, -1.250, "8:35", "8:36", ["P005"], "S1"),
            _stop("depot", 51.750, -1.300, "8:50", "8:50"),
        ], distance_km=12.0, duration_min=45, cost_pence=4200),
    )  # fmt: skip
    return plan


def fake_road(a: Stop, b: Stop) -> list[tuple[float, float]]:
    """An injected 'road': a dog-leg through the corner (a.lat, b.lon)."""
    return [(a.lat, a.lon), (a.lat, b.lon), (b.lat, b.lon)]


class TinyGraph:
    """A hand-made road graph in the project's RoadGraph shape: a 3x3 grid of two-way roads.

    Nodes ``r * 3 + c`` at lat ``51.74 + 0.035 r``, lon ``-1.30 + 0.06 c``; each edge has one
    interior shape point (a bend to the north-east). ``path_coords`` walks rows first, then columns.
    """

    def __init__(self) -> None:
        pos = [(r, c) for r in range(3) for c in range(3)]
        self.node_lat = np.array([51.74 + 0.035 * r for r, _ in pos])
        self.node_lon = np.array([-1.30 + 0.06 * c for _, c in pos])
        edges = []
        for r, c in pos:
            if c < 2:
                edges += [(r * 3 + c, r * 3 + c + 1), (r * 3 + c + 1, r * 3 + c)]
            if r < 2:
                edges += [(r * 3 + c, r * 3 + c + 3), (r * 3 + c + 3, r * 3 + c)]
        self.edge_u = np.array([e[0] for e in edges])
        self.edge_v = np.array([e[1] for e in edges])
        self.speed_kph = np.array([80.0 if u // 3 == v // 3 == 1 else 30.0 for u, v in edges])
        self.geom_offsets = np.arange(len(edges) + 1)
        self.geom_lat = (self.node_lat[self.edge_u] + self.node_lat[self.edge_v]) / 2 + 0.002
        self.geom_lon = (self.node_lon[self.edge_u] + self.node_lon[self.edge_v]) / 2 + 0.002
        self.calls: list[tuple[int, int]] = []

    def snap(self, lats, lons):
        lats, lons = np.asarray(lats, float), np.asarray(lons, float)
        d = (lats[:, None] - self.node_lat) ** 2 + (lons[:, None] - self.node_lon) ** 2
        return d.argmin(axis=1), np.sqrt(d.min(axis=1)) * 111_000

    def path_coords(self, a: int, b: int) -> list[tuple[float, float]]:
        self.calls.append((a, b))
        (ra, ca), (rb, cb) = divmod(a, 3), divmod(b, 3)
        nodes = [r * 3 + ca for r in _steps(ra, rb)] + [rb * 3 + c for c in _steps(ca, cb)[1:]]
        return [(float(self.node_lat[n]), float(self.node_lon[n])) for n in nodes]


def _steps(a: int, b: int) -> list[int]:
    return list(range(a, b + 1)) if a <= b else list(range(a, b - 1, -1))


def fake_travel(dataset: Dataset, graph: TinyGraph) -> SimpleNamespace:
    """Just enough of TravelData for the outputs: where each address snapped on the graph."""
    places = {f"home:{p.pupil_id}": p.home for p in dataset.pupils}
    places |= {f"pm_home:{p.pupil_id}": p.pm_home for p in dataset.pupils if p.pm_home}
    places |= {f"school:{s.school_id}": s.location for s in dataset.schools.values()}
    places |= {f"depot:{v.key}": v.depot for v in dataset.fleet}
    keys = list(places)
    nodes, _ = graph.snap([places[k].lat for k in keys], [places[k].lon for k in keys])
    return SimpleNamespace(
        location=places, index={k: i for i, k in enumerate(keys)}, node_positions=nodes
    )


_POLYLINE = re.compile(r"L\.polyline\(\s*(\[\[.*?\]\]),\s*(\{.*?\})\s*\)", re.S)


def polylines(page: str) -> dict[str, tuple[list, dict]]:
    """Route polylines on the page by route id (from the ``route-<id>`` class)."""
    found = {}
    for coords, options in _POLYLINE.findall(page):
        opts = json.loads(options)
        match = re.search(r"\broute-(\S+)", opts.get("className", ""))
        if match and "send-route" in opts["className"]:
            assert match[1] not in found, f"two polylines for route {match[1]}"
            found[match[1]] = (json.loads(coords), opts)
    return found
