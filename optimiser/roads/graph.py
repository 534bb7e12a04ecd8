"""The road graph: an immutable, numpy-backed directed graph of drivable roads.

A :class:`RoadGraph` uses osmnx's units: edge ``length_m`` in metres, ``travel_time_s`` in seconds
at free-flow ``speed_kph``. Nodes are OSM node ids with WGS84 coordinates; each edge keeps the
road's shape for drawing routes. Build one with :func:`optimiser.roads.network.import_osm` or load
one with :func:`optimiser.roads.network.load_graph`.

Routing weights are exact integers: per edge, travel time in milliseconds shifted left by
:data:`LENGTH_BITS` bits plus length in decimetres, held in float64 (exact below 2**53). A
shortest path by this weight is the fastest path, and among equally fast paths the shortest;
its length is read straight out of the low bits, so time and distance always describe the same
path and every Dijkstra implementation agrees to the last digit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components, dijkstra
from scipy.spatial import cKDTree

from optimiser.domain.errors import UnreachableLocationError
from optimiser.roads.snapping import SegmentIndex, build_segment_index, points

#: Low bits of a routing weight that hold the length in decimetres (up to 1,677 km).
LENGTH_BITS = 24
EARTH_RADIUS_M = 6_371_009.0  # the mean radius osmnx uses for edge lengths


class Routing(NamedTuple):
    """Routing view of a graph: parallel edges collapsed to the fastest, self-loops dropped.

    ``csr`` holds the encoded weights (see the module docstring); ``edge_index[k]`` is the
    :class:`RoadGraph` edge behind the ``k``-th stored entry; ``keys`` (``u * n_nodes + v``,
    sorted) finds that entry for a node pair; ``component`` labels strongly connected components.
    """

    csr: sparse.csr_array
    edge_index: np.ndarray
    keys: np.ndarray
    component: np.ndarray


@dataclass(frozen=True, eq=False)
class RoadGraph:
    """A drivable directed road graph, immutable and numpy-backed.

    Nodes are addressed by position ``0..n_nodes-1``. Edge ``i`` runs from node ``edge_u[i]``
    to ``edge_v[i]``; its shape is the node ``edge_u[i]``, then the interior points
    ``geom_lat/geom_lon[geom_offsets[i]:geom_offsets[i+1]]``, then node ``edge_v[i]`` (no
    interior points: a straight line). Parallel edges are allowed.
    """

    node_ids: np.ndarray  # int64 OSM node ids
    node_lat: np.ndarray  # float64 degrees
    node_lon: np.ndarray
    edge_u: np.ndarray  # int32 node positions
    edge_v: np.ndarray
    length_m: np.ndarray  # float32
    travel_time_s: np.ndarray  # float32, free flow
    speed_kph: np.ndarray  # float32
    geom_offsets: np.ndarray  # int64, n_edges + 1
    geom_lat: np.ndarray  # float64 degrees, saved to 1e-7 degree (OSM precision)
    geom_lon: np.ndarray
    metadata: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        dtypes = {
            "node_ids": np.int64,
            "node_lat": np.float64,
            "node_lon": np.float64,
            "edge_u": np.int32,
            "edge_v": np.int32,
            "length_m": np.float32,
            "travel_time_s": np.float32,
            "speed_kph": np.float32,
            "geom_offsets": np.int64,
            "geom_lat": np.float64,
            "geom_lon": np.float64,
        }
        for name, dtype in dtypes.items():
            array = np.array(getattr(self, name), dtype=dtype).ravel()
            array.flags.writeable = False
            object.__setattr__(self, name, array)
        object.__setattr__(self, "metadata", MappingProxyType(dict(self.metadata)))
        n, m = len(self.node_ids), len(self.edge_u)
        same_n = len(self.node_lat) == len(self.node_lon) == n
        same_m = all(len(a) == m for a in (self.edge_v, self.length_m, self.travel_time_s))
        if not (same_n and same_m and len(self.speed_kph) == m):
            raise ValueError("RoadGraph arrays have inconsistent lengths")
        n_points = len(self.geom_lat)
        offsets = self.geom_offsets
        if len(offsets) != m + 1 or offsets[0] != 0 or offsets[-1] != n_points:
            raise ValueError("RoadGraph geometry offsets do not match the geometry arrays")
        if len(self.geom_lon) != n_points or np.any(np.diff(offsets) < 0):
            raise ValueError("RoadGraph geometry arrays are inconsistent")
        ends = np.concatenate((self.edge_u, self.edge_v))
        if m and (ends.min() < 0 or ends.max() >= n):
            raise ValueError("RoadGraph edge endpoints out of range")

    @property
    def n_nodes(self) -> int:
        """Number of nodes."""
        return len(self.node_ids)

    @property
    def n_edges(self) -> int:
        """Number of directed edges, parallel edges included."""
        return len(self.edge_u)

    @cached_property
    def routing(self) -> Routing:
        """The collapsed routing graph (built on first use, then kept)."""
        n = self.n_nodes
        u, v = self.edge_u.astype(np.int64), self.edge_v.astype(np.int64)
        time_ms = np.maximum(np.rint(self.travel_time_s.astype(np.float64) * 1000), 1)
        length_dm = np.rint(self.length_m.astype(np.float64) * 10)
        # a zero weight would read as "no edge" to scipy, hence at least 1 ms per edge
        weight = time_ms.astype(np.int64) * (1 << LENGTH_BITS) + length_dm.astype(np.int64)
        keep = np.flatnonzero(u != v)
        order = keep[np.lexsort((weight[keep], v[keep], u[keep]))]
        keys = u[order] * n + v[order]
        first = np.ones(len(order), dtype=bool)
        first[1:] = keys[1:] != keys[:-1]  # sorted by weight within a pair: first is fastest
        edge_index, keys = order[first], keys[first]
        indptr = np.searchsorted(u[edge_index], np.arange(n + 1))
        csr = sparse.csr_array(
            (weight[edge_index].astype(np.float64), v[edge_index].astype(np.int32), indptr),
            shape=(n, n),
        )
        _, component = connected_components(csr, directed=True, connection="strong")
        return Routing(csr, edge_index, keys, component)

    @cached_property
    def segment_index(self) -> SegmentIndex:
        """Straight segments of every edge shape, indexed for snapping (built on first use)."""
        return build_segment_index(self)

    @cached_property
    def _kdtree(self) -> cKDTree:
        return cKDTree(_unit_xyz(self.node_lat, self.node_lon))

    def snap(self, lats: Any, lons: Any) -> tuple[np.ndarray, np.ndarray]:
        """Find the nearest node to each point, all points in one call.

        Parameters
        ----------
        lats, lons
            WGS84 latitudes and longitudes in degrees (array-likes of equal length).

        Returns
        -------
        node_positions : numpy.ndarray
            int64 position of the nearest node for each point.
        snap_distance_m : numpy.ndarray
            float64 great-circle distance in metres from each point to its node.
        """
        lats, lons = points(lats, lons)
        if self.n_nodes == 0:
            raise ValueError("the road graph has no nodes")
        # chord length on the unit sphere is monotonic in great-circle distance: exact nearest
        chord, index = self._kdtree.query(_unit_xyz(lats, lons))
        distance = 2 * EARTH_RADIUS_M * np.arcsin(np.minimum(chord / 2, 1.0))
        return index.astype(np.int64), distance

    def edge_coords(self, edge: int) -> list[tuple[float, float]]:
        """The ``(lat, lon)`` shape of one edge, from its start node to its end node."""
        start, end = self.geom_offsets[edge], self.geom_offsets[edge + 1]
        u, v = self.edge_u[edge], self.edge_v[edge]
        inner = zip(
            self.geom_lat[start:end].tolist(), self.geom_lon[start:end].tolist(), strict=True
        )
        head = (float(self.node_lat[u]), float(self.node_lon[u]))
        return [head, *inner, (float(self.node_lat[v]), float(self.node_lon[v]))]

    def path_coords(self, from_node_pos: int, to_node_pos: int) -> list[tuple[float, float]]:
        """The ``(lat, lon)`` points along the roads of the fastest path between two nodes.

        Parameters
        ----------
        from_node_pos, to_node_pos
            Node positions, e.g. from :meth:`snap`.

        Returns
        -------
        list of (float, float)
            The path's shape for drawing on a map, starting and ending at the two nodes.

        Raises
        ------
        UnreachableLocationError
            If the destination cannot be reached from the origin.
        """
        src, dst = int(from_node_pos), int(to_node_pos)
        if src == dst:
            return [(float(self.node_lat[src]), float(self.node_lon[src]))]
        routing = self.routing
        _, pred = dijkstra(routing.csr, indices=src, return_predecessors=True)
        if pred[dst] < 0:
            raise UnreachableLocationError(
                f"node {dst} cannot be reached by road from node {src}", affected=[str(dst)]
            )
        nodes = [dst]
        while nodes[-1] != src:
            nodes.append(int(pred[nodes[-1]]))
        nodes.reverse()
        pairs = np.asarray(nodes[:-1], np.int64) * self.n_nodes + np.asarray(nodes[1:])
        edges = routing.edge_index[np.searchsorted(routing.keys, pairs)]
        coords = [(float(self.node_lat[src]), float(self.node_lon[src]))]
        for edge in edges:
            coords.extend(self.edge_coords(int(edge))[1:])
        return coords


def _unit_xyz(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    lat, lon = np.radians(lats), np.radians(lons)
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))
