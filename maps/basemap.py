"""Road shapes for drawing: routes along the roads, and the road network as a light basemap.

Both read the project's road graph (:class:`optimiser.roads.network.RoadGraph`): node positions
``0..n_nodes-1`` with ``node_lat``/``node_lon``; directed edges ``edge_u``/``edge_v`` whose
interior shape points are ``geom_lat``/``geom_lon[geom_offsets[i]:geom_offsets[i + 1]]``;
``speed_kph`` per edge; ``snap(lats, lons)`` and ``path_coords(from_node_pos, to_node_pos)``.
Coordinates are ``(lat, lon)`` in WGS84 degrees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import shapely

from optimiser.domain.errors import SendRoutesError
from optimiser.plan.document import Plan, Stop

LatLon = tuple[float, float]
PathFunction = Callable[[Stop, Stop], list[LatLon]]
#: (south, west, north, east) in degrees
BBox = tuple[float, float, float, float]

#: About 3 MB of HTML: each point costs about 20 characters.
DEFAULT_MAX_POINTS = 150_000
#: Douglas-Peucker tolerance in degrees (about 5 m): invisible at county zoom, halves the points.
DEFAULT_TOLERANCE_DEG = 0.00005


def plan_bbox(plan: Plan, *, margin_deg: float = 0.02) -> BBox:
    """The bounding box of every stop in the plan, widened by ``margin_deg`` on each side."""
    lats = [s.lat for r in plan.routes for s in r.stops]
    lons = [s.lon for r in plan.routes for s in r.stops]
    if not lats:
        raise ValueError("the plan has no stops, so it has no bounding box")
    return (
        min(lats) - margin_deg,
        min(lons) - margin_deg,
        max(lats) + margin_deg,
        max(lons) + margin_deg,
    )


def _join(a: Stop, coords: Iterable[LatLon], b: Stop) -> list[LatLon]:
    """Road points between two stops, beginning at ``a`` and ending at ``b`` exactly."""
    out: list[LatLon] = [(a.lat, a.lon)]
    for point in [*coords, (b.lat, b.lon)]:
        point = (float(point[0]), float(point[1]))
        if point != out[-1]:
            out.append(point)
    if len(out) == 1:
        out.append((b.lat, b.lon))
    return out


def road_path_function(graph: Any, plan: Plan, *, travel: Any = None) -> PathFunction:
    """A path function for :func:`maps.route_map.render_map` that follows the road graph.

    Each stop is matched to its graph node once: through ``travel`` (a
    :class:`optimiser.roads.travel.TravelData`, whose ``location`` and ``node_positions`` say where
    every dataset address was snapped) when the stop's coordinates are a known address, else by
    snapping all remaining stops in one call. Paths are cached per pair of nodes. A pair the
    graph cannot join is drawn as a straight line rather than failing the whole map.

    Parameters
    ----------
    graph
        The road graph.
    plan
        The plan whose stops will be joined.
    travel
        Optional travel data built over the same graph.

    Returns
    -------
    callable
        ``path(from_stop, to_stop) -> list[(lat, lon)]``, first and last points at the stops.
    """
    node_of: dict[LatLon, int] = {}
    if travel is not None:
        for key, loc in travel.location.items():
            node_of[(round(loc.lat, 6), round(loc.lon, 6))] = int(
                travel.node_positions[travel.index[key]]
            )
    missing = sorted(
        {(round(s.lat, 6), round(s.lon, 6)) for r in plan.routes for s in r.stops} - set(node_of)
    )
    if missing:
        nodes, _ = graph.snap([p[0] for p in missing], [p[1] for p in missing])
        node_of.update({p: int(n) for p, n in zip(missing, nodes, strict=True)})
    cache: dict[tuple[int, int], list[LatLon]] = {}

    def path(a: Stop, b: Stop) -> list[LatLon]:
        na = node_of.get((round(a.lat, 6), round(a.lon, 6)))
        nb = node_of.get((round(b.lat, 6), round(b.lon, 6)))
        if na is None or nb is None:
            return _join(a, [], b)
        if (na, nb) not in cache:
            try:
                cache[(na, nb)] = list(graph.path_coords(na, nb))
            except (SendRoutesError, ValueError):
                cache[(na, nb)] = []
        return _join(a, cache[(na, nb)], b)

    return path


def _edge_points(graph: Any, edges: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All shape points of the given edges: lats, lons and the edge (0..len-1) each belongs to."""
    offsets = np.asarray(graph.geom_offsets)
    inner = offsets[edges + 1] - offsets[edges]
    counts = inner + 2
    starts = np.cumsum(counts) - counts
    lat = np.empty(int(counts.sum()))
    lon = np.empty_like(lat)
    u, v = np.asarray(graph.edge_u)[edges], np.asarray(graph.edge_v)[edges]
    node_lat, node_lon = np.asarray(graph.node_lat), np.asarray(graph.node_lon)
    lat[starts], lon[starts] = node_lat[u], node_lon[u]
    ends = starts + counts - 1
    lat[ends], lon[ends] = node_lat[v], node_lon[v]
    owner = np.repeat(np.arange(len(edges)), inner)
    k = np.arange(int(inner.sum())) - np.repeat(np.cumsum(inner) - inner, inner)
    lat[starts[owner] + 1 + k] = np.asarray(graph.geom_lat)[offsets[edges][owner] + k]
    lon[starts[owner] + 1 + k] = np.asarray(graph.geom_lon)[offsets[edges][owner] + k]
    return lat, lon, np.repeat(np.arange(len(edges)), counts)


def basemap_from_graph(
    graph: Any,
    bbox: BBox,
    *,
    max_points: int = DEFAULT_MAX_POINTS,
    tolerance_deg: float = DEFAULT_TOLERANCE_DEG,
) -> list[list[LatLon]]:
    """Road polylines inside a bounding box, simplified, for drawing as a basemap.

    Every road touching the box is kept while the drawing stays under ``max_points`` points;
    past that, minor roads are dropped in order of speed (residential streets first) until the
    main roads fit. A two-way road is drawn once. Points are rounded to 5 decimals (about 1 m).

    Parameters
    ----------
    graph
        The road graph.
    bbox
        ``(south, west, north, east)`` in degrees, e.g. from :func:`plan_bbox`.
    max_points
        Budget of points in the whole drawing (about 20 bytes of HTML each).
    tolerance_deg
        Simplification tolerance in degrees.

    Returns
    -------
    list of list of (float, float)
        One ``(lat, lon)`` polyline per road segment.
    """
    south, west, north, east = bbox
    node_lat, node_lon = np.asarray(graph.node_lat), np.asarray(graph.node_lon)
    inside = (node_lat >= south) & (node_lat <= north) & (node_lon >= west) & (node_lon <= east)
    u, v = np.asarray(graph.edge_u, np.int64), np.asarray(graph.edge_v, np.int64)
    keep = (inside[u] | inside[v]) & (u != v)
    pair = np.minimum(u, v) * max(len(node_lat), 1) + np.maximum(u, v)
    candidates = np.flatnonzero(keep)
    _, first = np.unique(pair[candidates], return_index=True)
    edges = candidates[np.sort(first)]
    if len(edges) == 0:
        return []
    lat, lon, owner = _edge_points(graph, edges)
    lines = shapely.simplify(shapely.linestrings(lon, lat, indices=owner), tolerance_deg)
    sizes = shapely.get_num_coordinates(lines)
    speed = np.asarray(graph.speed_kph, dtype=float)[edges]
    if sizes.sum() > max_points:
        # keep the fastest roads that fit: whole speed bands, so no road class is half drawn
        order = np.argsort(-speed, kind="stable")
        fits = np.cumsum(sizes[order]) <= max_points
        cut = speed[order][np.argmin(fits)] if not fits.all() else -np.inf
        chosen = speed > cut
        lines, sizes = lines[chosen], sizes[chosen]
    coords, index = shapely.get_coordinates(lines, return_index=True)
    coords = np.round(coords, 5)
    bounds = np.searchsorted(index, np.arange(len(lines) + 1))
    return [
        [(float(y), float(x)) for x, y in coords[bounds[i] : bounds[i + 1]]]
        for i in range(len(lines))
    ]
