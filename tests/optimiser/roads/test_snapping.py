"""Places snapped onto road edges, and the matrices between them, on graphs checkable by hand.

Every graph here runs along latitude 50.70: ``east(m)`` is the longitude ``m`` metres east of
-1.30, ``north(m)`` the latitude ``m`` metres north of the road. The access leg is driven at
15 km/h, 4.1667 m/s: 100 m takes 24 s.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from optimiser.domain.errors import UnreachableLocationError
from optimiser.roads.matrices import build_place_matrices
from optimiser.roads.snapping import ACCESS_SPEED_KPH, snap_to_edges
from tests.optimiser.roads.helpers import make_graph

R = 6_371_009.0
LAT = 50.70


def east(metres: float) -> float:
    return -1.30 + math.degrees(metres / (R * math.cos(math.radians(LAT))))


def north(metres: float) -> float:
    return LAT + math.degrees(metres / R)


A, B, C = (LAT, east(0)), (LAT, east(2000)), (LAT, east(3500))
# A ==== B ---> C and back from C to A by a slow road bent far to the south: A-B is a two-way
# road, 2 km in 120 s; B -> C one-way, 1.5 km in 90 s; C -> A 10 km in 600 s.
TWO_WAY = [(0, 1, 2000.0, 120.0), (1, 0, 2000.0, 120.0), (1, 2, 1500.0, 90.0), (2, 0, 1e4, 600.0)]
SOUTH = {3: [(LAT - 0.05, east(3500)), (LAT - 0.05, east(0))]}


def graph(edges=TWO_WAY):
    return make_graph([A, B, C], edges, geometry=SOUTH)


def test_a_point_midway_along_a_long_edge_snaps_to_the_edge_not_a_far_node() -> None:
    snap = snap_to_edges(graph(), [north(100)], [east(1000)])
    assert snap.edge[0] in (0, 1) and snap.node[0] == -1
    assert snap.fraction[0] == pytest.approx(0.5, abs=1e-6)
    assert snap.twin[0] == 1 - snap.edge[0] and snap.twin_fraction[0] == pytest.approx(0.5)
    assert snap.access_m[0] == pytest.approx(100.0, abs=0.01)
    assert (snap.road_lat[0], snap.road_lon[0]) == pytest.approx((LAT, east(1000)))


def test_access_leg_and_part_edges_add_up_by_hand() -> None:
    # place 0: 100 m north of A-B's middle; place 1 at node A; place 2 at node C
    g = graph()
    snap = snap_to_edges(g, [north(100), A[0], C[0]], [east(1000), A[1], C[1]])
    np.testing.assert_array_equal(snap.node, [-1, 0, 2])
    m = build_place_matrices(g, snap)
    access_s = 100 / (ACCESS_SPEED_KPH / 3.6)  # 24 s
    assert access_s == pytest.approx(24.0)
    # half of A-B either way, then on along B -> C, or round by the slow road back to A
    expected_time = [[0, 84, 174], [84, 0, 210], [684, 600, 0]]
    expected_m = [[0, 1100, 2600], [1100, 0, 3500], [11100, 10000, 0]]
    np.testing.assert_array_equal(m.time_s, expected_time)
    np.testing.assert_array_equal(m.distance_m, expected_m)


def test_one_way_edges_are_respected() -> None:
    # A -> B is one-way now: a place on it leaves towards B only and is reached from A only
    one_way = [TWO_WAY[0], *TWO_WAY[2:], (1, 0, 2500.0, 300.0)]  # B back to A by a slow lane
    g = make_graph([A, B, C], one_way, geometry={2: SOUTH[3], 3: [(north(500), east(1000))]})
    snap = snap_to_edges(g, [north(10), A[0]], [east(500), A[1]])
    assert (snap.edge[0], snap.twin[0]) == (0, -1)
    assert snap.fraction[0] == pytest.approx(0.25)
    m = build_place_matrices(g, snap)
    access_s = 10 / (ACCESS_SPEED_KPH / 3.6)  # 2.4 s
    # to A: on to B (90 s), then B -> A by the slow lane (300 s)
    assert m.time_s[0, 1] == round(access_s + 90 + 300)
    assert m.time_s[1, 0] == round(30 + access_s)
    assert m.distance_m[0, 1] == 10 + 1500 + 2500


def test_two_places_on_one_edge_drive_straight_along_it() -> None:
    one_way = [TWO_WAY[0], *TWO_WAY[2:]]
    g = make_graph([A, B, C], one_way, geometry={2: SOUTH[3]})
    snap = snap_to_edges(g, [LAT, LAT], [east(500), east(1500)])
    m = build_place_matrices(g, snap)
    assert m.time_s[0, 1] == 60 and m.distance_m[0, 1] == 1000  # straight along A -> B
    # backwards is the long way: on to B, B -> C -> A, then a quarter of A -> B
    assert m.time_s[1, 0] == 30 + 90 + 600 + 30
    assert m.distance_m[1, 0] == 500 + 1500 + 10_000 + 500


def test_on_a_two_way_road_places_leave_towards_either_end() -> None:
    g = graph()
    snap = snap_to_edges(g, [LAT, LAT], [east(500), east(1500)])
    m = build_place_matrices(g, snap)
    np.testing.assert_array_equal(m.time_s, [[0, 60], [60, 0]])


def test_places_at_different_points_are_never_zero_seconds_apart() -> None:
    # either side of the road at the same point of it: only the two access legs between them
    g = graph()
    snap = snap_to_edges(g, [north(10), north(-10)], [east(1000), east(1000)])
    assert snap.fraction[0] == pytest.approx(snap.fraction[1]) or snap.edge[0] != snap.edge[1]
    m = build_place_matrices(g, snap)
    np.testing.assert_array_equal(m.time_s, [[0, 5], [5, 0]])  # 20 m at 15 km/h: 4.8 s
    np.testing.assert_array_equal(m.distance_m, [[0, 20], [20, 0]])


def test_the_nearest_edge_wins_over_a_nearer_node() -> None:
    # 30 m from the middle of A-B's road, far from every node: not snapped to a node 1 km away
    snap = snap_to_edges(graph(), [north(-30)], [east(1400)])
    assert snap.node[0] == -1 and snap.access_m[0] == pytest.approx(30.0, abs=0.01)


def test_interior_shape_points_are_followed() -> None:
    # C -> A bends 5.5 km south: a point near its south-west corner snaps onto it
    snap = snap_to_edges(graph(), [LAT - 0.05], [east(-40)])
    assert snap.edge[0] == 3 and snap.twin[0] == -1
    assert snap.access_m[0] == pytest.approx(40.0, abs=0.1)


def test_places_off_the_main_network_are_named() -> None:
    # B -> C is a dead end now: a place on it can be reached but cannot get back
    dead_end = [*TWO_WAY[:3]]
    g = make_graph([A, B, C], dead_end)
    snap = snap_to_edges(g, [LAT, LAT, LAT], [east(100), east(2500), east(300)])
    with pytest.raises(UnreachableLocationError) as info:
        build_place_matrices(g, snap)
    assert info.value.affected == ["1"]


def test_empty_and_bad_input() -> None:
    g = graph()
    assert build_place_matrices(g, snap_to_edges(g, [], [])).time_s.shape == (0, 0)
    with pytest.raises(ValueError):
        snap_to_edges(g, [50.7, 50.8], [-1.3])


def _split_graph(g, snap):
    """The graph with each place as a node of its own: its edge cut at its projection (both
    directions of a two-way road), joined to the place by an access road both ways."""
    k, n = len(snap.edge), g.n_nodes
    coords = [*zip(g.node_lat.tolist(), g.node_lon.tolist(), strict=True)]
    coords += [(lat, lon) for lat, lon in zip(snap.road_lat, snap.road_lon, strict=True)] * 2
    on_road = np.where(snap.node >= 0, snap.node, n + np.arange(k))
    edges = [
        (int(u), int(v), float(m), float(s))
        for u, v, m, s in zip(g.edge_u, g.edge_v, g.length_m, g.travel_time_s, strict=True)
    ]
    cuts: dict[int, list[tuple[float, int]]] = {}
    for p in np.flatnonzero(snap.node < 0).tolist():
        cuts.setdefault(int(snap.edge[p]), []).append((float(snap.fraction[p]), p))
        if snap.twin[p] >= 0:
            cuts.setdefault(int(snap.twin[p]), []).append((float(snap.twin_fraction[p]), p))
    for e, on_edge in cuts.items():
        chain = [(0.0, int(g.edge_u[e])), *((f, n + p) for f, p in sorted(on_edge))]
        chain.append((1.0, int(g.edge_v[e])))
        for (f0, a), (f1, b) in zip(chain, chain[1:], strict=False):
            part = f1 - f0
            edges.append((a, b, part * float(g.length_m[e]), part * float(g.travel_time_s[e])))
    speed = ACCESS_SPEED_KPH / 3.6
    for p in range(k):
        x, road, metres = n + k + p, int(on_road[p]), float(snap.access_m[p])
        edges += [(x, road, metres, metres / speed), (road, x, metres, metres / speed)]
    edges = [(u, v, m, max(s, 1e-4)) for u, v, m, s in edges]  # no zero speeds in the fixture
    return make_graph(coords, edges), n + k + np.arange(k)


@pytest.mark.parametrize("seed", [1, 2])
def test_place_matrices_agree_with_nodes_cut_into_the_graph(seed: int) -> None:
    from optimiser.roads.matrices import build_matrices
    from tests.optimiser.roads.helpers import random_graph

    g = random_graph(seed, n=120)
    component = g.routing.component
    main = np.bincount(component).argmax()
    rng = np.random.default_rng(seed)
    lats = np.r_[g.node_lat[:60] + rng.normal(0, 0.003, 60), g.node_lat[5:8]]
    lons = np.r_[g.node_lon[:60] + rng.normal(0, 0.003, 60), g.node_lon[5:8]]  # three at nodes
    snap = snap_to_edges(g, lats, lons)
    ends = np.r_[[g.edge_u[snap.edge], g.edge_v[snap.edge]]]
    keep = (component[ends] == main).all(axis=0)
    snap = snap_to_edges(g, lats[keep], lons[keep])
    assert len(snap.edge) > 30 and (snap.twin >= 0).any() and (snap.node >= 0).any()
    fast = build_place_matrices(g, snap)
    split, places = _split_graph(g, snap)
    slow = build_matrices(split, places)
    # the cut graph rounds each piece to a millisecond (at least 1): at most a second apart
    assert np.abs(fast.time_s.astype(int) - slow.time_s).max() <= 1
    assert np.abs(fast.distance_m.astype(int) - slow.distance_m).max() <= 1
    assert (fast.time_s == slow.time_s).mean() > 0.99
