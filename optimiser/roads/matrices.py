"""Travel-time and distance matrices between points on the road graph.

Both matrices describe the same path for every pair: the fastest path on the graph with
parallel edges collapsed to the fastest (ties between equally fast paths go to the shorter).
Times and lengths come from one Dijkstra run on the exact integer weights described in
:mod:`optimiser.roads.graph` (milliseconds in the high bits, decimetres in the low bits), so no
second pass along the shortest-path tree is needed.

``time_s`` is free-flow time at the graph's speeds: the caller applies any speed factor
(congestion, minibus vs car) and adds boarding times.

:func:`build_matrices` joins graph nodes. :func:`build_place_matrices` joins places snapped onto
road edges (:func:`optimiser.roads.snapping.snap_to_edges`): from place ``a`` to place ``b`` is
``a``'s access leg (at :data:`~optimiser.roads.snapping.ACCESS_SPEED_KPH`), the rest of ``a``'s
edge to its end node (on a two-way road, to either end), the fastest path between nodes, the part
of ``b``'s edge from its start node (on a two-way road, from either end) and ``b``'s access leg;
or, when ``b`` lies further along the same directed edge than ``a``, straight along that edge.
The fastest of these wins, measured in the same exact integer weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import dijkstra

from optimiser.domain.errors import UnreachableLocationError
from optimiser.roads.graph import LENGTH_BITS, RoadGraph
from optimiser.roads.snapping import ACCESS_SPEED_KPH, EdgeSnap

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
    _raise_outside_main_group(graph.routing.component[positions], "points", "positions")


def _raise_outside_main_group(labels: np.ndarray, noun: str, listed_as: str) -> None:
    """Raise naming the items whose label is not the most common one (ties: the first item's)."""
    values, first, counts = np.unique(labels, return_index=True, return_counts=True)
    if len(values) <= 1:
        return
    # the group with the most items is "the network"; ties go to the first item's group
    main = values[np.lexsort((first, -counts))[0]]
    affected = np.flatnonzero(labels != main)
    raise UnreachableLocationError(
        f"{len(affected)} of {len(labels)} {noun} cannot be reached by road from the "
        f"others, or cannot reach them ({listed_as} {', '.join(map(str, affected[:20]))}"
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


def _weight(graph: RoadGraph, edge: np.ndarray, fraction: np.ndarray) -> np.ndarray:
    """Exact integer weight of driving ``fraction`` of each edge (ms and dm rounded once)."""
    time_ms = np.rint(fraction * graph.travel_time_s[edge].astype(np.float64) * 1000)
    length_dm = np.rint(fraction * graph.length_m[edge].astype(np.float64) * 10)
    return time_ms * (1 << LENGTH_BITS) + length_dm


def _access_weight(access_m: np.ndarray) -> np.ndarray:
    time_ms = np.rint(access_m / (ACCESS_SPEED_KPH / 3.6) * 1000)
    return time_ms * (1 << LENGTH_BITS) + np.rint(access_m * 10)


class _Ends(NamedTuple):
    """Per place, up to two ways onto the node graph: ``(k, 2)`` nodes and weights (inf: none)."""

    exit_node: np.ndarray
    exit_w: np.ndarray
    entry_node: np.ndarray
    entry_w: np.ndarray


def _ends(graph: RoadGraph, snap: EdgeSnap) -> _Ends:
    k = len(snap.edge)
    e, f, twin = snap.edge, snap.fraction, snap.twin
    has_twin = twin >= 0
    t = np.where(has_twin, twin, e)
    tf = np.where(has_twin, snap.twin_fraction, 0.0)
    exit_node = np.column_stack((graph.edge_v[e], graph.edge_v[t])).astype(np.int64)
    entry_node = np.column_stack((graph.edge_u[e], graph.edge_u[t])).astype(np.int64)
    exit_w = np.column_stack((_weight(graph, e, 1 - f), _weight(graph, t, 1 - tf)))
    entry_w = np.column_stack((_weight(graph, e, f), _weight(graph, t, tf)))
    exit_w[~has_twin, 1] = np.inf
    entry_w[~has_twin, 1] = np.inf
    at_node = snap.node >= 0  # at a node: leave and arrive there, at no cost
    exit_node[at_node] = entry_node[at_node] = snap.node[at_node, None]
    exit_w[at_node] = entry_w[at_node] = [0.0, np.inf]
    if k == 0:
        exit_w = entry_w = np.empty((0, 2))
    return _Ends(exit_node, exit_w, entry_node, entry_w)


def _check_places_reachable(graph: RoadGraph, ends: _Ends) -> None:
    """Raise naming the places outside the largest mutually reachable group.

    A place on a one-way edge ``u -> v`` reaches and is reached from a strongly connected
    component exactly when both ``u`` and ``v`` are in it (``u`` reaches ``v`` along the edge),
    so each place takes its nodes' component if they agree, or a group of its own if not.
    """
    k = len(ends.exit_node)
    if k <= 1:
        return
    nodes = np.column_stack((ends.exit_node, ends.entry_node))
    labels = graph.routing.component[nodes]
    agree = (labels == labels[:, :1]).all(axis=1)
    label = np.where(agree, labels[:, 0], -1 - np.arange(k))
    _raise_outside_main_group(label, "places", "places")


def _same_edge_pairs(graph: RoadGraph, snap: EdgeSnap, access_w: np.ndarray) -> tuple:
    """``(a, b, weight)`` of pairs where ``b`` is further along a directed edge ``a`` is on."""
    inside = np.flatnonzero(snap.node < 0)
    two_way = inside[snap.twin[inside] >= 0]
    place = np.concatenate((inside, two_way))
    edge = np.concatenate((snap.edge[inside], snap.twin[two_way]))
    fraction = np.concatenate((snap.fraction[inside], snap.twin_fraction[two_way]))
    order = np.argsort(edge, kind="stable")
    place, edge, fraction = place[order], edge[order], fraction[order]
    starts = np.flatnonzero(np.r_[True, edge[1:] != edge[:-1]]) if len(edge) else edge
    sizes = np.diff(np.r_[starts, len(edge)])
    group_start = np.repeat(starts, sizes)
    group_size = np.repeat(sizes, sizes)
    i = np.repeat(np.arange(len(edge)), group_size)
    j = np.repeat(group_start, group_size) + (
        np.arange(len(i)) - np.repeat(np.cumsum(group_size) - group_size, group_size)
    )
    keep = (place[i] != place[j]) & (fraction[j] >= fraction[i])
    i, j = i[keep], j[keep]
    drive = _weight(graph, edge[i], fraction[j] - fraction[i])
    a, b = place[i], place[j]
    return a, b, access_w[a] + drive + access_w[b]


# added to every link between a place and the graph: scipy reads a zero weight as "no edge"
_LINK = 1.0


def _with_place_nodes(graph: RoadGraph, ends: _Ends) -> sparse.csr_array:
    """The routing graph plus, per place ``p``, a source node ``n + p`` linked to the nodes where
    ``p`` leaves its edge and a target node ``n + k + p`` linked from those where it joins it.

    One Dijkstra from a source then reaches every target by the best of both ends at each side,
    at the cost of one run per place instead of one per end node.
    """
    n, k = graph.n_nodes, len(ends.exit_node)
    coo = graph.routing.csr.tocoo()
    place = np.repeat(np.arange(k), 2)
    out_ok, in_ok = np.isfinite(ends.exit_w.ravel()), np.isfinite(ends.entry_w.ravel())
    row = np.concatenate((coo.row, (n + place)[out_ok], ends.entry_node.ravel()[in_ok])).astype(
        np.int64
    )
    col = np.concatenate((coo.col, ends.exit_node.ravel()[out_ok], (n + k + place)[in_ok])).astype(
        np.int64
    )
    weight = np.concatenate(
        (coo.data, ends.exit_w.ravel()[out_ok] + _LINK, ends.entry_w.ravel()[in_ok] + _LINK)
    )
    # both ends of a place can be one node (a loop road): keep the lighter link, never the sum
    order = np.lexsort((weight, col, row))
    first = np.r_[True, (row[order][1:] != row[order][:-1]) | (col[order][1:] != col[order][:-1])]
    keep = order[first]
    size = n + 2 * k
    return sparse.csr_array((weight[keep], (row[keep], col[keep])), shape=(size, size))


def build_place_matrices(graph: RoadGraph, snap: EdgeSnap) -> Matrices:
    """Travel times and distances between all pairs of places snapped onto road edges.

    Dijkstra runs on the collapsed graph, from one added node per place linked to the nodes
    where it leaves its edge, to one added node per place linked from those where it joins its
    edge, in batches of places to bound memory; each batch's rows are finished (access legs,
    the same-edge case) and written straight into the two result matrices.

    Parameters
    ----------
    graph
        The road graph.
    snap
        Each place's position on the road (from :func:`optimiser.roads.snapping.snap_to_edges`).
        Places at different points should be given separately: each is its own row.

    Returns
    -------
    Matrices
        ``time_s`` (free flow, whole seconds) and ``distance_m`` (whole metres), k x k, with a
        zero diagonal; the access legs are included in both.

    Raises
    ------
    UnreachableLocationError
        If some places cannot reach, or be reached from, the others; ``affected`` lists their
        indices in ``snap`` as strings.
    """
    k = len(snap.edge)
    ends = _ends(graph, snap)
    _check_places_reachable(graph, ends)
    access_w = _access_weight(snap.access_m)
    pair_a, pair_b, pair_w = _same_edge_pairs(graph, snap, access_w)
    time_s = np.zeros((k, k), dtype=np.int32)
    distance_m = np.zeros((k, k), dtype=np.int32)
    csr = _with_place_nodes(graph, ends)
    n = graph.n_nodes
    batch = max(1, _BATCH_CELLS // max(n + 2 * k, 1))
    for start in range(0, k, batch):
        rows = np.arange(start, min(k, start + batch))
        reached = dijkstra(csr, directed=True, indices=n + rows)
        total = reached[:, n + k :] - 2 * _LINK  # each path uses one link out and one link in
        total += access_w[rows, None] + access_w[None, :]
        total[np.arange(len(rows)), rows] = 0
        mine = (pair_a >= rows[0]) & (pair_a <= rows[-1])
        np.minimum.at(total, (pair_a[mine] - start, pair_b[mine]), pair_w[mine])
        if not np.isfinite(total).all():  # cannot happen after _check_places_reachable
            raise UnreachableLocationError("some places cannot reach each other by road")
        _check_encoding(graph, total)
        encoded = total.astype(np.int64)
        time_s[rows] = ((encoded >> LENGTH_BITS) + 500) // 1000
        distance_m[rows] = ((encoded & ((1 << LENGTH_BITS) - 1)) + 5) // 10
    return Matrices(time_s=time_s, distance_m=distance_m)
