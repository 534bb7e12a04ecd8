"""Tests for the travel-time and distance matrices, on hand-checkable graphs."""

from __future__ import annotations

import numpy as np
import pytest

from optimiser.domain.errors import UnreachableLocationError
from optimiser.roads.matrices import build_matrices, build_matrices_networkx
from tests.optimiser.roads.helpers import make_graph, random_graph

COORDS = [(50.70 + 0.01 * i, -1.30) for i in range(8)]

# 0 -> 1 is quick (10 s) but one-way: back from 1 to 0 goes 1 -> 2 -> 0 (35 s). Two slower or
# equally fast but longer parallel edges 0 -> 1 must lose to the fastest, shortest one.
# 0 -> 3 is 30 s both via 1, 2 (300 m) and via 4 (100 m): the distance is the shorter's.
EDGES = [
    (0, 1, 100.0, 10.0),
    (0, 1, 50.0, 30.0),  # shorter but slower
    (0, 1, 120.0, 10.0),  # as fast but longer
    (1, 2, 100.0, 10.0),
    (2, 1, 100.0, 10.0),
    (2, 0, 300.0, 25.0),
    (2, 3, 100.0, 10.0),
    (3, 2, 100.0, 10.0),
    (0, 4, 50.0, 15.0),
    (4, 0, 50.0, 15.0),
    (4, 3, 50.0, 15.0),
    (2, 2, 10.0, 1.0),  # a self-loop, ignored
]
EXPECTED_TIME = [
    [0, 10, 20, 30, 15],
    [35, 0, 10, 20, 50],
    [25, 10, 0, 10, 40],
    [35, 20, 10, 0, 50],
    [15, 25, 25, 15, 0],
]
EXPECTED_DISTANCE = [
    [0, 100, 200, 100, 50],
    [400, 0, 100, 200, 450],
    [300, 100, 0, 100, 350],
    [400, 200, 100, 0, 450],
    [50, 150, 150, 50, 0],
]
BUILDERS = [build_matrices, build_matrices_networkx]


@pytest.fixture
def graph():
    """The five-node graph drawn in ``EDGES``: one-way, parallel and self-loop edges whose
    shortest times and distances are worked out by hand in ``EXPECTED_*``."""
    return make_graph(COORDS[:5], EDGES)


@pytest.mark.parametrize("build", BUILDERS)
def test_known_shortest_paths(graph, build) -> None:
    m = build(graph, np.arange(5))
    np.testing.assert_array_equal(m.time_s, EXPECTED_TIME)
    np.testing.assert_array_equal(m.distance_m, EXPECTED_DISTANCE)
    assert m.time_s.dtype == np.int32 and m.distance_m.dtype == np.int32


@pytest.mark.parametrize("build", BUILDERS)
def test_one_way_street_is_respected(graph, build) -> None:
    m = build(graph, np.array([0, 1]))
    assert m.time_s[0, 1] == 10 and m.time_s[1, 0] == 35


@pytest.mark.parametrize("build", BUILDERS)
def test_parallel_edges_collapse_to_the_fastest(graph, build) -> None:
    m = build(graph, np.array([0, 1]))
    assert (m.time_s[0, 1], m.distance_m[0, 1]) == (10, 100)


@pytest.mark.parametrize("build", BUILDERS)
def test_duplicate_points_and_zero_diagonal(graph, build) -> None:
    points = np.array([0, 1, 1, 4, 0])
    m = build(graph, points)
    expected_time = np.array(EXPECTED_TIME)[np.ix_(points, points)]
    expected_distance = np.array(EXPECTED_DISTANCE)[np.ix_(points, points)]
    np.testing.assert_array_equal(m.time_s, expected_time)
    np.testing.assert_array_equal(m.distance_m, expected_distance)
    assert (np.diag(m.time_s) == 0).all() and m.time_s[1, 2] == 0 and m.time_s[0, 4] == 0


def test_times_round_to_whole_seconds() -> None:
    graph = make_graph(COORDS[:3], [(0, 1, 10.4, 2.4), (1, 0, 10.5, 2.6), (1, 2, 1.0, 0.5)])
    m = build_matrices(graph, np.array([0, 1]))
    assert (m.time_s[0, 1], m.time_s[1, 0]) == (2, 3)
    assert (m.distance_m[0, 1], m.distance_m[1, 0]) == (10, 11)  # halves round up


@pytest.mark.parametrize("build", BUILDERS)
def test_unreachable_points_are_named(build) -> None:
    # node 5 is a dead end off a one-way street; 6 and 7 are an island of their own
    edges = [*EDGES, (3, 5, 100.0, 10.0), (6, 7, 100.0, 10.0), (7, 6, 100.0, 10.0)]
    graph = make_graph(COORDS, edges)
    with pytest.raises(UnreachableLocationError) as info:
        build(graph, np.array([0, 5, 1, 2, 6, 0]))
    assert info.value.affected == ["1", "4"]
    assert "2 of 6 points" in str(info.value)


def test_empty_and_single_point(graph) -> None:
    assert build_matrices(graph, np.array([], dtype=np.int64)).time_s.shape == (0, 0)
    single = build_matrices(graph, np.array([3]))
    np.testing.assert_array_equal(single.time_s, [[0]])


@pytest.mark.parametrize("bad", [np.array([0, 5]), np.array([-1]), np.array([0.0, 1.0])])
def test_bad_positions_are_rejected(graph, bad) -> None:
    with pytest.raises(ValueError, match="node_positions"):
        build_matrices(graph, bad)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scipy_and_networkx_agree(seed: int) -> None:
    graph = random_graph(seed)
    component = graph.routing.component
    largest = np.flatnonzero(component == np.bincount(component).argmax())
    rng = np.random.default_rng(seed)
    points = rng.choice(largest, size=40)  # with replacement: duplicates included
    fast, slow = build_matrices(graph, points), build_matrices_networkx(graph, points)
    np.testing.assert_array_equal(fast.time_s, slow.time_s)
    np.testing.assert_array_equal(fast.distance_m, slow.distance_m)
    assert fast.time_s.max() > 0
