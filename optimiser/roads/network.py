"""The road network: import an OpenStreetMap extract once, then load a compact graph in a blink.

:func:`import_osm` turns an extract into a :class:`~optimiser.roads.graph.RoadGraph` with osmnx;
:func:`save_graph` and :func:`load_graph` keep it in one compressed ``.npz`` file;
:func:`load_network` accepts either and caches imports.

This is the only module that imports osmnx (lazily: it takes seconds to import, and loading a
saved graph must not pay for it).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from optimiser.domain.errors import InputError, InputProblem
from optimiser.roads.graph import EARTH_RADIUS_M, LENGTH_BITS, RoadGraph, Routing

__all__ = [
    "ATTRIBUTION",
    "EARTH_RADIUS_M",
    "LENGTH_BITS",
    "RoadGraph",
    "Routing",
    "import_osm",
    "load_graph",
    "load_network",
    "save_graph",
]

ATTRIBUTION = "© OpenStreetMap contributors, ODbL 1.0"
FORMAT_NAME = "send-routes road graph"
FORMAT_VERSION = 1
#: Bump when import rules change: cached imports of older versions are then rebuilt.
IMPORTER_VERSION = 1
_COORD_SCALE = 1e7  # OSM's own precision: 1e-7 degree, about 1 cm
_OSM_SUFFIXES = (".osm.pbf", ".pbf", ".osm", ".osm.gz", ".osm.bz2")

Progress = Callable[[str], None]


def _problem(path: Path, message: str) -> InputError:
    return InputError([InputProblem(file=str(path), row=None, column=None, message=message)])


def _check_file(path: Path) -> None:
    if not path.exists():
        raise _problem(path, "file not found")
    if not path.is_file():
        raise _problem(path, "not a file")


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_osm(path: Path, *, progress: Progress | None = None) -> RoadGraph:
    """Build the drivable road graph of an OpenStreetMap extract.

    Keeps drivable public roads (see :func:`optimiser.roads.osm_filter.is_drivable`), respects
    one-way streets, sets UK speeds (:func:`optimiser.roads.osm_filter.maxspeed_kph`, class
    defaults where ``maxspeed`` is missing), keeps the largest strongly connected component
    and simplifies the topology with osmnx, summing length and travel time along merged edges.

    Parameters
    ----------
    path
        An ``.osm.pbf`` or ``.osm`` XML extract (``.osm.gz``/``.osm.bz2`` also work).
    progress
        Called with a short message as each stage starts.

    Returns
    -------
    RoadGraph
        The graph, with metadata naming the source file and the OSM attribution.

    Raises
    ------
    InputError
        If the file is missing or unreadable, or has no drivable roads.
    """
    from optimiser.roads import osm_filter  # osmium: only imports need it

    path = Path(path)
    say = progress or (lambda _message: None)
    _check_file(path)
    with tempfile.TemporaryDirectory() as tmp:
        xml = Path(tmp) / "drivable.osm"
        say(f"reading {path.name}")
        try:
            summary = osm_filter.write_drivable_xml(path, xml)
        except (RuntimeError, ValueError, OSError) as exc:
            raise _problem(path, f"not a readable OpenStreetMap extract ({exc})") from exc
        if summary.n_ways == 0:
            raise _problem(path, "the extract has no drivable roads")
        say(f"building graph from {summary.n_ways:,} drivable ways")
        import osmnx as ox  # slow to import: only imports need it

        G = ox.graph_from_xml(xml, bidirectional=False, simplify=False, retain_all=True)
    say("setting speeds and travel times")
    # per OSM segment, before simplification merges ways with different limits
    speed_of: dict[tuple[Any, Any], float] = {}
    for _, _, data in G.edges(data=True):
        key = (data.get("maxspeed"), data.get("highway"))
        if key not in speed_of:
            parsed = osm_filter.maxspeed_kph(*key)
            speed_of[key] = parsed or osm_filter.default_speed_kph(key[1])
        data["speed_kph"] = speed_of[key]
        data["travel_time"] = data["length"] / (data["speed_kph"] / 3.6)
    say("keeping the largest strongly connected component")
    G = ox.truncate.largest_component(G, strongly=True)
    if G.number_of_edges() == 0:
        raise _problem(path, "the extract has no drivable roads that connect to each other")
    say("simplifying")
    G = ox.simplify_graph(G, edge_attr_aggs={"length": sum, "travel_time": sum})
    metadata = {
        "source_file": path.name,
        "source_sha256": _file_sha256(path),
        "import_date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "osm_replication_timestamp": summary.replication_timestamp,
        "attribution": ATTRIBUTION,
        "importer_version": IMPORTER_VERSION,
        "osmnx_version": ox.__version__,
        "drivable_ways": summary.n_ways,
        "unitless_maxspeed_ways": summary.unitless_maxspeed_ways,
        "default_speed_mph": osm_filter.DEFAULT_SPEED_MPH,
    }
    return _from_networkx(G, metadata)


def _from_networkx(G: Any, metadata: dict[str, Any]) -> RoadGraph:
    node_ids = np.array(sorted(G.nodes), dtype=np.int64)
    position = {int(node): i for i, node in enumerate(node_ids)}
    edges = sorted(G.edges(keys=True, data=True), key=lambda e: (position[e[0]], position[e[1]]))
    geom_lat: list[float] = []
    geom_lon: list[float] = []
    offsets = [0]
    for _, _, _, data in edges:
        if "geometry" in data:
            inner = np.asarray(data["geometry"].coords)[1:-1]
            geom_lon.extend(inner[:, 0].tolist())
            geom_lat.extend(inner[:, 1].tolist())
        offsets.append(len(geom_lat))
    length = np.array([d["length"] for *_, d in edges], dtype=np.float64)
    travel_time = np.array([d["travel_time"] for *_, d in edges], dtype=np.float64)
    return RoadGraph(
        node_ids=node_ids,
        node_lat=np.asarray([G.nodes[n]["y"] for n in node_ids.tolist()]),
        node_lon=np.asarray([G.nodes[n]["x"] for n in node_ids.tolist()]),
        edge_u=np.asarray([position[e[0]] for e in edges]),
        edge_v=np.asarray([position[e[1]] for e in edges]),
        length_m=length,
        travel_time_s=travel_time,
        # effective speed over merged segments, consistent with length and time
        speed_kph=length / np.maximum(travel_time, 1e-9) * 3.6,
        geom_offsets=np.asarray(offsets),
        geom_lat=np.rint(np.asarray(geom_lat) * _COORD_SCALE) / _COORD_SCALE,
        geom_lon=np.rint(np.asarray(geom_lon) * _COORD_SCALE) / _COORD_SCALE,
        metadata=metadata,
    )


def save_graph(graph: RoadGraph, path: Path) -> None:
    """Write a graph to one compressed ``.npz`` file (written atomically).

    Parameters
    ----------
    graph
        The graph.
    path
        Destination file; by convention ``*.npz``.
    """
    path = Path(path)
    metadata = {"format": FORMAT_NAME, "format_version": FORMAT_VERSION, **graph.metadata}
    arrays = {
        "node_ids": graph.node_ids,
        "node_lat": graph.node_lat,
        "node_lon": graph.node_lon,
        "edge_u": graph.edge_u,
        "edge_v": graph.edge_v,
        "length_m": graph.length_m,
        "travel_time_s": graph.travel_time_s,
        "speed_kph": graph.speed_kph,
        "geom_offsets": graph.geom_offsets,
        # integer 1e-7 degrees: OSM's own precision, lossless and compresses well
        "geom_lat_e7": np.rint(graph.geom_lat * _COORD_SCALE).astype(np.int32),
        "geom_lon_e7": np.rint(graph.geom_lon * _COORD_SCALE).astype(np.int32),
        "metadata_json": np.frombuffer(json.dumps(metadata).encode(), dtype=np.uint8),
    }
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)  # type: ignore[arg-type]  # stubs of numpy>=2.1
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_bytes(buffer.getvalue())
        os.replace(tmp, path)  # readers never see a half-written graph
    finally:
        tmp.unlink(missing_ok=True)


def load_graph(path: Path) -> RoadGraph:
    """Read a graph written by :func:`save_graph`.

    Parameters
    ----------
    path
        A ``.npz`` road graph file.

    Returns
    -------
    RoadGraph
        The graph, with its metadata (source, import date, attribution).

    Raises
    ------
    InputError
        If the file is missing, not a road graph, or of an unknown format version.
    """
    path = Path(path)
    _check_file(path)
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
        metadata = json.loads(arrays.pop("metadata_json").tobytes().decode())
    except Exception as exc:  # numpy raises many types for a damaged or foreign file
        raise _problem(path, f"not a readable road graph file ({exc})") from exc
    if metadata.get("format") != FORMAT_NAME:
        raise _problem(path, "not a send-routes road graph file")
    if metadata.get("format_version") != FORMAT_VERSION:
        raise _problem(
            path,
            f"road graph format version {metadata.get('format_version')} is not supported "
            f"(expected {FORMAT_VERSION}); rebuild it with 'send-routes roads import'",
        )
    for key in ("format", "format_version"):
        metadata.pop(key)
    geom_lat = arrays.pop("geom_lat_e7") / _COORD_SCALE
    geom_lon = arrays.pop("geom_lon_e7") / _COORD_SCALE
    try:
        return RoadGraph(**arrays, geom_lat=geom_lat, geom_lon=geom_lon, metadata=metadata)
    except (TypeError, ValueError) as exc:
        raise _problem(path, f"damaged road graph file ({exc})") from exc


def _default_cache_dir(source: Path) -> Path:
    if os.access(source.parent, os.W_OK):
        return source.parent
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "send-routes" / "roads"


def load_network(
    path: Path, *, cache_dir: Path | None = None, progress: Progress | None = None
) -> RoadGraph:
    """Load a road graph from a compact ``.npz`` file or an OSM extract (imported once, cached).

    Parameters
    ----------
    path
        A ``.npz`` graph, or an ``.osm.pbf``/``.osm`` extract.
    cache_dir
        Where to keep the imported graph of an extract, named by the extract's SHA-256. Default:
        next to the extract, or the user cache directory if that folder is read-only.
    progress
        Passed to :func:`import_osm` when an import is needed.

    Returns
    -------
    RoadGraph
        The graph.

    Raises
    ------
    InputError
        If the file is missing, unreadable, of an unknown kind, or has no drivable roads.
    """
    path = Path(path)
    _check_file(path)
    name = path.name.lower()
    if name.endswith(".npz"):
        return load_graph(path)
    if not name.endswith(_OSM_SUFFIXES):
        raise _problem(path, "unknown road network file: expected .npz, .osm.pbf or .osm")
    digest = _file_sha256(path)
    stem = path.name[: -len(next(s for s in _OSM_SUFFIXES if name.endswith(s)))]
    folder = Path(cache_dir) if cache_dir is not None else _default_cache_dir(path)
    cached = folder / f"{stem}.{digest[:16]}.v{IMPORTER_VERSION}.roads.npz"
    if cached.exists():
        try:
            return load_graph(cached)
        except InputError:
            pass  # a damaged cache file is rebuilt below
    started = time.perf_counter()
    graph = import_osm(path, progress=progress)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        save_graph(graph, cached)
    except OSError as exc:
        if progress:
            progress(f"could not cache the imported graph in {folder}: {exc}")
    if progress:
        progress(f"imported in {time.perf_counter() - started:.1f} s")
    return graph
