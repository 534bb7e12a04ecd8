"""Tiny hand-built road graphs for tests (no OSM file needed)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from optimiser.roads.network import RoadGraph


def make_graph(
    coords: Sequence[tuple[float, float]],
    edges: Sequence[tuple[int, int, float, float]],
    geometry: dict[int, list[tuple[float, float]]] | None = None,
) -> RoadGraph:
    """A RoadGraph from node ``(lat, lon)`` and edges ``(u, v, length_m, travel_time_s)``.

    ``geometry`` maps an edge's index to its interior ``(lat, lon)`` points.
    """
    geometry = geometry or {}
    offsets = [0]
    lat: list[float] = []
    lon: list[float] = []
    for i in range(len(edges)):
        for point_lat, point_lon in geometry.get(i, []):
            lat.append(point_lat)
            lon.append(point_lon)
        offsets.append(len(lat))
    length = np.array([e[2] for e in edges], dtype=float)
    seconds = np.array([e[3] for e in edges], dtype=float)
    return RoadGraph(
        node_ids=np.arange(1, len(coords) + 1) * 10,
        node_lat=[c[0] for c in coords],
        node_lon=[c[1] for c in coords],
        edge_u=[e[0] for e in edges],
        edge_v=[e[1] for e in edges],
        length_m=length,
        travel_time_s=seconds,
        speed_kph=length / seconds * 3.6,
        geom_offsets=offsets,
        geom_lat=lat,
        geom_lon=lon,
        metadata={"source_file": "hand-built"},
    )


def random_graph(seed: int, n: int = 300):
    """A random road-like graph: nearby nodes joined, some one-way, some parallel edges."""
    rng = np.random.default_rng(seed)
    coords = [(50.6 + 0.1 * a, -1.4 + 0.1 * b) for a, b in rng.random((n, 2))]
    xy = np.array(coords)
    edges = []
    for u in range(n):
        near = np.argsort(((xy - xy[u]) ** 2).sum(axis=1))[1:4]
        for v in near.tolist():
            length = float(rng.uniform(50, 3000))
            seconds = length / float(rng.uniform(4, 30))
            edges.append((u, v, length, seconds))
            if rng.random() < 0.8:
                edges.append((v, u, length, seconds))
            if rng.random() < 0.1:
                edges.append((u, v, length * 0.9, seconds * 1.2))
    return make_graph(coords, edges)
