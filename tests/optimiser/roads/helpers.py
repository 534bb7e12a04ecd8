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
