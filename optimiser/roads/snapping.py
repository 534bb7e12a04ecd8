"""Places on road edges: snap each point to the nearest drivable road, not the nearest node.

A place is put at its *projection* on the nearest edge shape (the point of the road closest to it)
and reaches that point by an *access leg*: the straight line from the place to the road, driven
(or walked) at :data:`ACCESS_SPEED_KPH`, 15 km/h, a private drive or a slow last stretch. From the
projection a vehicle drives on along the edge: to the edge's end node, or, on a two-way road (two
directed edges with the same shape), to either end. See :mod:`optimiser.roads.matrices` for how
travel between two places is built from these pieces.

Candidates come from a KD-tree over points sampled along every edge shape at most
:data:`SAMPLE_SPACING_M` apart; each candidate segment is then projected on exactly, in a local
metric projection centred on the place (equirectangular, well under a metre off over a few km).
The search radius (distance to the nearest sample plus half the sample spacing) guarantees the
nearest segment is among the candidates.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from scipy.spatial import cKDTree

if TYPE_CHECKING:
    from optimiser.roads.graph import RoadGraph

#: Speed of the access leg between a place and its projection on the road, km/h.
ACCESS_SPEED_KPH = 15.0
#: Edge shapes are sampled at most this far apart for the candidate search, metres.
SAMPLE_SPACING_M = 50.0
#: A projection this close to an edge's end is at that end's node, metres.
NODE_TOL_M = 0.01
#: The reverse edge of a two-way road counts as the same road if it is no further than this.
TWIN_TOL_M = 0.5
_EARTH_RADIUS_M = 6_371_009.0  # as optimiser.roads.graph.EARTH_RADIUS_M


class SegmentIndex(NamedTuple):
    """Straight segments of every edge shape, and a KD-tree over points sampled along them.

    Segment ``s`` belongs to edge ``edge[s]`` and runs from ``(a_lat, a_lon)`` to
    ``(b_lat, b_lon)``; ``before_m[s]`` is the length of the edge's shape before it;
    ``shape_m[e]`` is the length of edge ``e``'s whole shape (great-circle metres).
    """

    edge: np.ndarray
    a_lat: np.ndarray
    a_lon: np.ndarray
    b_lat: np.ndarray
    b_lon: np.ndarray
    length_m: np.ndarray
    before_m: np.ndarray
    shape_m: np.ndarray
    sample_segment: np.ndarray
    tree: cKDTree


class EdgeSnap(NamedTuple):
    """Where each point meets the road (arrays of one entry per point).

    ``edge`` is the nearest directed edge and ``fraction`` (0-1, by length along its shape) where
    the projection lies on it. ``twin`` is the reverse edge of the same two-way road (``-1`` on a
    one-way road) and ``twin_fraction`` the projection's fraction along it. ``node`` is the node
    position when the projection is at an edge's end (``-1`` otherwise). ``access_m`` is the
    great-circle distance in metres from the point to its projection ``(road_lat, road_lon)``.
    """

    edge: np.ndarray
    fraction: np.ndarray
    twin: np.ndarray
    twin_fraction: np.ndarray
    node: np.ndarray
    access_m: np.ndarray
    road_lat: np.ndarray
    road_lon: np.ndarray


def unit_xyz(lats: np.ndarray, lons: np.ndarray) -> np.ndarray:
    """Points on the unit sphere: chord length there is monotonic in great-circle distance."""
    lat, lon = np.radians(lats), np.radians(lons)
    return np.column_stack((np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)))


def _haversine_m(lat1: Any, lon1: Any, lat2: Any, lon2: Any) -> np.ndarray:
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    h = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.sqrt(np.minimum(h, 1.0)))


def points(lats: Any, lons: Any) -> tuple[np.ndarray, np.ndarray]:
    """Latitudes and longitudes as two float arrays of one length; ``ValueError`` otherwise."""
    lats = np.atleast_1d(np.asarray(lats, dtype=np.float64))
    lons = np.atleast_1d(np.asarray(lons, dtype=np.float64))
    if lats.shape != lons.shape or lats.ndim != 1:
        raise ValueError("lats and lons must be 1-D and of equal length")
    if not (np.isfinite(lats).all() and np.isfinite(lons).all()):
        raise ValueError("lats and lons must be finite")
    return lats, lons


def build_segment_index(graph: RoadGraph) -> SegmentIndex:
    """Cut every edge shape into straight segments and index points sampled along them."""
    m = graph.n_edges
    offsets = graph.geom_offsets
    inner = np.diff(offsets)
    counts = inner + 2  # start node, interior points, end node
    starts = np.cumsum(counts) - counts
    lat = np.empty(int(counts.sum()))
    lon = np.empty_like(lat)
    lat[starts], lon[starts] = graph.node_lat[graph.edge_u], graph.node_lon[graph.edge_u]
    ends = starts + counts - 1
    lat[ends], lon[ends] = graph.node_lat[graph.edge_v], graph.node_lon[graph.edge_v]
    owner = np.repeat(np.arange(m), inner)
    k = np.arange(int(inner.sum())) - np.repeat(offsets[:-1], inner)
    lat[starts[owner] + 1 + k] = graph.geom_lat[offsets[:-1][owner] + k]
    lon[starts[owner] + 1 + k] = graph.geom_lon[offsets[:-1][owner] + k]
    # a segment joins each vertex to the next, except across the end of an edge
    first = np.delete(np.arange(len(lat)), ends)
    edge = np.repeat(np.arange(m), counts - 1)
    length = _haversine_m(lat[first], lon[first], lat[first + 1], lon[first + 1])
    running = np.cumsum(length) - length  # shape length before each segment, all edges
    before = running - running[(np.cumsum(counts - 1) - (counts - 1))[edge]]
    shape = np.bincount(edge, weights=length, minlength=m)
    pieces = np.maximum(np.ceil(length / SAMPLE_SPACING_M), 1).astype(np.int64)
    sample_segment = np.repeat(np.arange(len(first)), pieces + 1)
    first_sample = np.cumsum(pieces + 1) - pieces - 1
    step = np.arange(len(sample_segment)) - np.repeat(first_sample, pieces + 1)
    t = step / pieces[sample_segment]
    a, b = first[sample_segment], first[sample_segment] + 1
    sample_lat = lat[a] + t * (lat[b] - lat[a])
    sample_lon = lon[a] + t * (lon[b] - lon[a])
    return SegmentIndex(
        edge=edge,
        a_lat=lat[first],
        a_lon=lon[first],
        b_lat=lat[first + 1],
        b_lon=lon[first + 1],
        length_m=length,
        before_m=before,
        shape_m=shape,
        sample_segment=sample_segment,
        tree=cKDTree(unit_xyz(sample_lat, sample_lon)),
    )


def _candidates(index: SegmentIndex, xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(point, segment) pairs that include each point's nearest segment."""
    chord, _ = index.tree.query(xyz)
    nearest_m = 2 * _EARTH_RADIUS_M * np.arcsin(np.minimum(chord / 2, 1.0))
    # the nearest segment has a sample within half a spacing of its closest point; the margin
    # covers the gap between chord, great-circle and local planar distances
    radius_m = (nearest_m + SAMPLE_SPACING_M / 2) * 1.01 + 1.0
    found = index.tree.query_ball_point(xyz, r=radius_m / _EARTH_RADIUS_M)
    sizes = np.fromiter((len(f) for f in found), dtype=np.int64, count=len(found))
    samples = np.concatenate([np.asarray(f, dtype=np.int64) for f in found])
    pairs = np.repeat(np.arange(len(found)), sizes) * len(index.edge)
    pairs = np.unique(pairs + index.sample_segment[samples])
    return pairs // len(index.edge), pairs % len(index.edge)


def snap_to_edges(graph: RoadGraph, lats: Any, lons: Any) -> EdgeSnap:
    """Project each point on the nearest drivable edge, all points in one call.

    Parameters
    ----------
    graph
        The road graph (its segment index is built on first use, then kept).
    lats, lons
        WGS84 latitudes and longitudes in degrees (array-likes of equal length).

    Returns
    -------
    EdgeSnap
        The edge, the fraction along it, the reverse edge of a two-way road, the node when the
        projection is at an edge's end, and the access distance in metres, for each point.
    """
    lats, lons = points(lats, lons)
    if graph.n_edges == 0:
        raise ValueError("the road graph has no edges")
    index = graph.segment_index
    if len(lats) == 0:
        empty, none = np.empty(0, dtype=np.int64), np.empty(0)
        return EdgeSnap(empty, none, empty, none, empty, none, none, none)
    point, seg = _candidates(index, unit_xyz(lats, lons))
    # local metric frame centred on each point: x east, y north, metres
    kx = _EARTH_RADIUS_M * np.cos(np.radians(lats[point]))
    ax = kx * np.radians(index.a_lon[seg] - lons[point])
    ay = _EARTH_RADIUS_M * np.radians(index.a_lat[seg] - lats[point])
    dx = kx * np.radians(index.b_lon[seg] - index.a_lon[seg])
    dy = _EARTH_RADIUS_M * np.radians(index.b_lat[seg] - index.a_lat[seg])
    d2 = dx * dx + dy * dy
    t = np.clip(-(ax * dx + ay * dy) / np.where(d2 > 0, d2, 1.0), 0.0, 1.0)
    qx, qy = ax + t * dx, ay + t * dy
    distance = np.hypot(qx, qy)
    edge = index.edge[seg]
    along = index.before_m[seg] + t * index.length_m[seg]
    shape = index.shape_m[edge]
    fraction = np.where(shape > 0, np.clip(along / np.where(shape > 0, shape, 1.0), 0, 1), 0.0)
    # nearest first within each point; ties to the faster edge, then the lower edge index
    order = np.lexsort((edge, graph.travel_time_s[edge], distance, point))
    best = order[np.r_[True, point[order][1:] != point[order][:-1]]]
    e = edge[best]
    twin, twin_fraction = _twins(graph, point, edge, distance, fraction, order, best)
    at_start = fraction[best] * shape[best] <= NODE_TOL_M
    at_end = (1 - fraction[best]) * shape[best] <= NODE_TOL_M
    node = np.where(at_start, graph.edge_u[e], np.where(at_end, graph.edge_v[e], -1))
    return EdgeSnap(
        edge=e.astype(np.int64),
        fraction=fraction[best],
        twin=twin,
        twin_fraction=twin_fraction,
        node=node.astype(np.int64),
        access_m=_haversine_m(
            lats,
            lons,
            lats + np.degrees(qy[best] / _EARTH_RADIUS_M),
            lons + np.degrees(qx[best] / kx[best]),
        ),
        road_lat=lats + np.degrees(qy[best] / _EARTH_RADIUS_M),
        road_lon=lons + np.degrees(qx[best] / kx[best]),
    )


def _twins(
    graph: RoadGraph,
    point: np.ndarray,
    edge: np.ndarray,
    distance: np.ndarray,
    fraction: np.ndarray,
    order: np.ndarray,
    best: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """The reverse edge of each point's nearest edge, where the road is two-way (else -1)."""
    n = len(best)
    best_of_point = np.empty(point.max() + 1 if len(point) else 0, dtype=np.int64)
    best_of_point[point[best]] = best
    b = best_of_point[point]  # each candidate's point's best candidate
    reverse = (graph.edge_u[edge] == graph.edge_v[edge[b]]) & (
        graph.edge_v[edge] == graph.edge_u[edge[b]]
    )
    close = reverse & (distance <= distance[b] + TWIN_TOL_M) & (edge != edge[b])
    twin = np.full(n, -1, dtype=np.int64)
    twin_fraction = np.zeros(n)
    chosen = order[close[order]]  # in nearest-first order: keep the first per point
    chosen = chosen[np.r_[True, point[chosen][1:] != point[chosen][:-1]]] if len(chosen) else chosen
    twin[point[chosen]] = edge[chosen]
    twin_fraction[point[chosen]] = fraction[chosen]
    return twin, twin_fraction
