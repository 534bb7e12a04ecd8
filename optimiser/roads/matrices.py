"""Travel-time and distance matrices between points on the road graph.

Both matrices describe the same path for every pair: the fastest path on the graph with
parallel edges collapsed to the fastest (ties between equally fast paths go to the shorter).
Times and lengths come from one Dijkstra run on the exact integer weights described in
:mod:`optimiser.roads.graph` (milliseconds in the high bits, decimetres in the low bits), so no
second pass along the shortest-path tree is needed.

``time_s`` is free-flow time at the graph's speeds: the caller applies any speed factor
(congestion, minibus vs car) and adds boarding times.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.sparse.csgraph import dijkstra

from optimiser.domain.errors import UnreachableLocationError
from optimiser.roads.graph import LENGTH_BITS, RoadGraph

# dijkstra returns a float64 row per source: about 80 MB per batch
_BATCH_CELLS = 10_000_000
# high bits hold milliseconds; beyond 2**29 ms (149 h) float64 would lose the low bits
_MAX_TIME_MS = 1 << 29


@dataclass(frozen=True)
class Matrices:
    """Square matrices over the points given to :func:`build_matrices`.

    Row = origin, column = destination, both in the order of the ``node_positions`` given.
    ``time_s`` is free-flow travel time in whole seconds; ``distance_m`` the length of that same
    path in whole metres. Both are int32 with a zero diagonal.
    """

    time_s: np.ndarray
    distance_m: np.ndarray


def _check_positions(graph: RoadGraph, node_positions: np.ndarray) -> np.ndarray:
    positions = np.asarray(node_positions)
    if positions.ndim != 1 or not np.issubdtype(positions.dtype, np.integer):
        raise ValueError("node_positions must be a 1-D array of integer node positions")
    if len(positions) and (positions.min() < 0 or positions.max() >= graph.n_nodes):
        raise ValueError("node_positions out of range for this road graph")
    return positions.astype(np.int64)


def _check_reachable(graph: RoadGraph, positions: np.ndarray) -> None:
    """Raise naming the points outside the largest mutually reachable group.

    Two nodes reach each other both ways exactly when they share a strongly connected
    component, so one labelling of the graph answers for every pair at once.
    """
    labels = graph.routing.component[positions]
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    if len(values) <= 1:
        return
    # the group with the most points is "the network"; ties go to the first point's group
    main = values[np.lexsort((first, -counts))[0]]
    affected = np.flatnonzero(labels != main)
    raise UnreachableLocationError(
        f"{len(affected)} of {len(positions)} points cannot be reached by road from the "
        f"others, or cannot reach them (positions {', '.join(map(str, affected[:20]))}"
        f"{', ...' if len(affected) > 20 else ''})",
        affected=[str(i) for i in affected],
    )


def _decode(weights: np.ndarray, inverse: np.ndarray) -> Matrices:
    if not np.isfinite(weights).all():  # cannot happen after _check_reachable
        raise UnreachableLocationError("some points cannot reach each other by road")
    encoded = weights.astype(np.int64)[np.ix_(inverse, inverse)]
    time_ms = encoded >> LENGTH_BITS
    length_dm = encoded & ((1 << LENGTH_BITS) - 1)
    return Matrices(
        time_s=((time_ms + 500) // 1000).astype(np.int32),
        distance_m=((length_dm + 5) // 10).astype(np.int32),
    )


def _check_encoding(graph: RoadGraph, weights: np.ndarray) -> None:
    """Make sure no path's length overflowed into the time bits.

    A path's length is at most its time times the graph's top speed, so a time below the
    bound proves the length fitted (an overflow would only have made the time look larger).
    """
    encoded = graph.routing.csr.data.astype(np.int64)
    edge_ms = encoded >> LENGTH_BITS
    edge_dm = encoded & ((1 << LENGTH_BITS) - 1)
    top_dm_per_ms = float((edge_dm / edge_ms).max()) if len(encoded) else 0.0
    max_ms = float(np.max(weights, initial=0)) / (1 << LENGTH_BITS)
    if max_ms >= _MAX_TIME_MS or max_ms * top_dm_per_ms >= (1 << LENGTH_BITS):
        raise ValueError("paths too long for the exact time/length encoding of this graph")


def build_matrices(graph: RoadGraph, node_positions: np.ndarray) -> Matrices:
    """Travel times and distances between all pairs of points, with scipy's Dijkstra.

    Runs one Dijkstra per distinct node (duplicates in ``node_positions`` are computed once)
    on the collapsed graph, in batches of sources to bound memory.

    Parameters
    ----------
    graph
        The road graph.
    node_positions
        Node position of each point (e.g. from :meth:`RoadGraph.snap`); duplicates allowed.

    Returns
    -------
    Matrices
        ``time_s`` (free flow, whole seconds) and ``distance_m`` (whole metres), k x k.

    Raises
    ------
    UnreachableLocationError
        If some points cannot reach, or be reached from, the others; ``affected`` lists their
        indices in ``node_positions`` as strings.
    """
    positions = _check_positions(graph, node_positions)
    _check_reachable(graph, positions)
    unique, inverse = np.unique(positions, return_inverse=True)
    csr = graph.routing.csr
    weights = np.empty((len(unique), len(unique)), dtype=np.float64)
    batch = max(1, _BATCH_CELLS // max(graph.n_nodes, 1))
    for start in range(0, len(unique), batch):
        sources = unique[start : start + batch]
        rows = dijkstra(csr, directed=True, indices=sources)
        weights[start : start + len(sources)] = rows[:, unique]
    _check_encoding(graph, weights)
    return _decode(weights, inverse.ravel())


def build_matrices_networkx(graph: RoadGraph, node_positions: np.ndarray) -> Matrices:
    """The same as :func:`build_matrices`, with networkx per-source Dijkstra.

    A baseline for the benchmark and a cross-check in tests; much slower.

    Parameters
    ----------
    graph
        The road graph.
    node_positions
        Node position of each point; duplicates allowed.

    Returns
    -------
    Matrices
        Identical to :func:`build_matrices`.

    Raises
    ------
    UnreachableLocationError
        As :func:`build_matrices`.
    """
    positions = _check_positions(graph, node_positions)
    _check_reachable(graph, positions)
    unique, inverse = np.unique(positions, return_inverse=True)
    routing = graph.routing
    import networkx as nx  # the reference implementation only

    G = nx.DiGraph()
    G.add_nodes_from(range(graph.n_nodes))
    u = routing.keys // graph.n_nodes
    v = routing.keys % graph.n_nodes
    G.add_weighted_edges_from(zip(u.tolist(), v.tolist(), routing.csr.data.tolist(), strict=True))
    weights = np.empty((len(unique), len(unique)), dtype=np.float64)
    targets = unique.tolist()
    for i, source in enumerate(targets):
        lengths = nx.single_source_dijkstra_path_length(G, source, weight="weight")
        weights[i] = [lengths.get(t, np.inf) for t in targets]
    _check_encoding(graph, weights)
    return _decode(weights, inverse.ravel())
