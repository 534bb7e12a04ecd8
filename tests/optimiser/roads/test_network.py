"""Tests for the OSM importer, the RoadGraph and its file format."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from optimiser.domain.errors import InputError, UnreachableLocationError
from optimiser.roads import network as roads
from optimiser.roads.matrices import build_matrices, build_matrices_networkx, build_place_matrices
from optimiser.roads.network import ATTRIBUTION, load_graph, load_network, save_graph
from optimiser.roads.osm_filter import KPH_PER_MPH, default_speed_kph, is_drivable, maxspeed_kph
from optimiser.roads.snapping import snap_to_edges
from send_routes.roads import app
from tests.helpers.paths import IOW_PBF, REPO
from tests.optimiser.roads.helpers import make_graph

SAMPLE_GRAPH = REPO / "sample_data" / "isle_of_wight" / "roads.npz"
R = roads.EARTH_RADIUS_M

# A----B----C      A-B-C residential "20 mph"; C-F tertiary, no maxspeed; F-E-D residential
# ^    :    |      "30 mph"; D->A residential one-way north. B-E private service road and A-E
# |    :    |      footway must be left out. E->I one-way primary spur (a dead end the
# D----E----F      strongly connected component drops); G-H a separate street; F-J a parking
#      I    J      aisle; D-K an area=yes road.
NODES = {
    1: (50.7000, -1.3000),  # A
    2: (50.7000, -1.2985),  # B
    3: (50.7000, -1.2970),  # C
    4: (50.6990, -1.3000),  # D
    5: (50.6990, -1.2985),  # E
    6: (50.6990, -1.2970),  # F
    7: (50.7100, -1.3100),  # G
    8: (50.7100, -1.3085),  # H
    9: (50.6980, -1.2985),  # I
    10: (50.6980, -1.2970),  # J
    11: (50.6980, -1.3000),  # K
}
WAYS = [
    (100, [1, 2, 3], {"highway": "residential", "maxspeed": "20 mph"}),
    (101, [3, 6], {"highway": "tertiary"}),
    (102, [6, 5, 4], {"highway": "residential", "maxspeed": "30 mph"}),
    (103, [4, 1], {"highway": "residential", "oneway": "yes"}),
    (104, [2, 5], {"highway": "service", "access": "private"}),
    (105, [1, 5], {"highway": "footway"}),
    (106, [7, 8], {"highway": "residential"}),
    (107, [5, 9], {"highway": "primary", "oneway": "yes"}),
    (108, [6, 10], {"highway": "service", "service": "parking_aisle"}),
    (109, [4, 11], {"highway": "unclassified", "area": "yes"}),
]


def write_osm(path: Path, nodes: dict, ways: list) -> Path:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for node_id, (lat, lon) in nodes.items():
        lines.append(f'<node id="{node_id}" version="1" lat="{lat}" lon="{lon}"/>')
    for way_id, refs, tags in ways:
        lines.append(f'<way id="{way_id}" version="1">')
        lines += [f'<nd ref="{ref}"/>' for ref in refs]
        lines += [f'<tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("</way>")
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def haversine_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * R * math.asin(math.sqrt(h))


def way_length_m(refs: list[int]) -> float:
    return sum(haversine_m(NODES[a], NODES[b]) for a, b in zip(refs, refs[1:], strict=False))


@pytest.fixture(scope="module")
def osm_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The eleven-node town drawn above ``NODES`` written as an OSM XML file."""
    return write_osm(tmp_path_factory.mktemp("osm") / "town.osm", NODES, WAYS)


@pytest.fixture(scope="module")
def town(osm_file: Path) -> roads.RoadGraph:
    """The town imported as a road graph: few enough ways to say by hand which are kept."""
    return roads.import_osm(osm_file)


MPH = KPH_PER_MPH / 3.6  # metres per second in one mph
A_TO_D_S = (  # the long way round: a shortcut over the private road or footway is quicker
    way_length_m([1, 2, 3]) / (20 * MPH)  # "20 mph"
    + way_length_m([3, 6]) / (30 * MPH)  # tertiary without maxspeed: 30 mph default
    + way_length_m([6, 5, 4]) / (30 * MPH)  # "30 mph"
)
D_TO_A_S = way_length_m([4, 1]) / (25 * MPH)  # residential without maxspeed: 25 mph default


def test_import_keeps_only_the_strongly_connected_drivable_streets(town: roads.RoadGraph) -> None:
    # B, C, E and F only join two streets each, so simplification folds them into the edges:
    # A->D the long way, and D->A both directly (one-way) and the long way
    assert town.node_ids.tolist() == [1, 4]
    pairs = sorted(zip(town.edge_u.tolist(), town.edge_v.tolist(), strict=True))
    assert pairs == [(0, 1), (1, 0), (1, 0)]
    assert town.metadata["attribution"] == ATTRIBUTION
    assert town.metadata["source_file"] == "town.osm"


def test_import_sets_uk_speeds_per_segment(town: roads.RoadGraph) -> None:
    a_to_d = int(np.flatnonzero(town.edge_u == 0)[0])
    d_to_a = int(np.flatnonzero(town.length_m == town.length_m.min())[0])
    assert town.travel_time_s[a_to_d] == pytest.approx(A_TO_D_S, rel=1e-5)
    assert town.length_m[a_to_d] == pytest.approx(way_length_m([1, 2, 3, 6, 5, 4]), abs=0.05)
    assert town.travel_time_s[d_to_a] == pytest.approx(D_TO_A_S, rel=1e-5)
    assert town.speed_kph[d_to_a] == pytest.approx(25 * KPH_PER_MPH, rel=1e-5)


def test_import_respects_one_way_streets(town: roads.RoadGraph) -> None:
    m = build_matrices(town, np.array([0, 1]))
    assert m.time_s[1, 0] == round(D_TO_A_S)
    assert m.time_s[0, 1] == round(A_TO_D_S)
    assert m.distance_m[0, 1] == round(way_length_m([1, 2, 3, 6, 5, 4]))


def test_import_draws_paths_along_the_road(town: roads.RoadGraph) -> None:
    assert town.path_coords(0, 1) == [NODES[i] for i in (1, 2, 3, 6, 5, 4)]
    assert town.path_coords(1, 0) == [NODES[4], NODES[1]]  # the faster of two parallel edges


def test_maxspeed_on_a_way_with_mixed_limits_is_weighted_by_length(tmp_path: Path) -> None:
    # one street, 20 mph then 40 mph; simplification merges it into one edge
    nodes = {1: (50.70, -1.30), 2: (50.70, -1.29), 3: (50.70, -1.27)}
    ways = [
        (1, [1, 2], {"highway": "secondary", "maxspeed": "20 mph"}),
        (2, [2, 3], {"highway": "secondary", "maxspeed": "40 mph"}),
    ]
    graph = roads.import_osm(write_osm(tmp_path / "mixed.osm", nodes, ways))
    mph = KPH_PER_MPH / 3.6
    expected = haversine_m(nodes[1], nodes[2]) / (20 * mph) + haversine_m(nodes[2], nodes[3]) / (
        40 * mph
    )
    assert graph.n_edges == 2
    assert graph.travel_time_s == pytest.approx([expected, expected], rel=1e-5)


@pytest.mark.parametrize(
    ("value", "highway", "expected_kph"),
    [
        ("30 mph", "residential", 30 * KPH_PER_MPH),
        ("20 mph", "residential", 20 * KPH_PER_MPH),
        ("30", "residential", 30.0),  # a plain number is km/h by OSM convention
        ("50 km/h", "primary", 50.0),
        ("national", "primary", 60 * KPH_PER_MPH),
        ("national", "motorway", 70 * KPH_PER_MPH),
        ("GB:nsl_single", "unclassified", 60 * KPH_PER_MPH),
        ("UK:nsl_single", "unclassified", 60 * KPH_PER_MPH),
        ("GB:nsl_dual", "trunk", 70 * KPH_PER_MPH),
        ("GB:motorway", "motorway", 70 * KPH_PER_MPH),
        ("GB:zone20", "residential", 20 * KPH_PER_MPH),
        ("40 mph;30 mph", "secondary", 30 * KPH_PER_MPH),
        ("signals", "primary", None),
        ("", "primary", None),
        (None, "primary", None),
    ],
)
def test_maxspeed_kph(value: str | None, highway: str, expected_kph: float | None) -> None:
    assert maxspeed_kph(value, highway) == pytest.approx(expected_kph)


def test_default_speeds_are_realistic_uk_values() -> None:
    assert default_speed_kph("motorway") == pytest.approx(70 * KPH_PER_MPH)
    assert default_speed_kph("residential") == pytest.approx(25 * KPH_PER_MPH)
    assert default_speed_kph("motorway_link") < default_speed_kph("motorway")


@pytest.mark.parametrize(
    ("tags", "drivable"),
    [
        ({"highway": "residential"}, True),
        ({"highway": "service"}, True),
        ({"highway": "primary_link"}, True),
        ({"highway": "footway"}, False),
        ({"highway": "track"}, False),
        ({"highway": "service", "service": "driveway"}, False),
        ({"highway": "service", "service": "parking_aisle"}, False),
        ({"highway": "residential", "access": "private"}, False),
        ({"highway": "residential", "access": "no"}, False),
        ({"highway": "residential", "access": "no", "motor_vehicle": "yes"}, True),
        ({"highway": "residential", "motorcar": "no"}, False),
        ({"highway": "residential", "access": "destination"}, True),
        ({"highway": "pedestrian", "area": "yes"}, False),
        ({"highway": "unclassified", "area": "yes"}, False),
        ({"building": "yes"}, False),
    ],
)
def test_is_drivable(tags: dict[str, str], drivable: bool) -> None:
    assert is_drivable(tags) is drivable


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.osm.pbf"
    for load in (roads.import_osm, load_network, load_graph):
        with pytest.raises(InputError) as info:
            load(missing)
        assert info.value.problems[0].file == str(missing)
        assert "not found" in info.value.problems[0].message


@pytest.mark.parametrize("name", ["broken.osm.pbf", "broken.osm"])
def test_unreadable_extract_is_an_input_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"this is not OpenStreetMap data\x00\x01")
    with pytest.raises(InputError, match="not a readable OpenStreetMap extract"):
        roads.import_osm(path)


def test_extract_without_drivable_roads_is_an_input_error(tmp_path: Path) -> None:
    path = write_osm(tmp_path / "paths.osm", NODES, [(1, [1, 5], {"highway": "footway"})])
    with pytest.raises(InputError, match="no drivable roads"):
        roads.import_osm(path)


def test_save_load_round_trip(town: roads.RoadGraph, tmp_path: Path) -> None:
    path = tmp_path / "town.npz"
    save_graph(town, path)
    loaded = load_graph(path)
    for field in dataclasses.fields(roads.RoadGraph):
        if field.name == "metadata":
            assert dict(loaded.metadata) == dict(town.metadata)
        else:
            np.testing.assert_array_equal(getattr(loaded, field.name), getattr(town, field.name))
            assert getattr(loaded, field.name).dtype == getattr(town, field.name).dtype


def test_load_graph_rejects_other_files(tmp_path: Path) -> None:
    other = tmp_path / "other.npz"
    np.savez(other, x=np.arange(3))
    with pytest.raises(InputError, match="not a readable road graph"):
        load_graph(other)
    text = tmp_path / "roads.npz"
    text.write_text("hello")
    with pytest.raises(InputError):
        load_graph(text)


def test_load_network_imports_once_then_uses_the_cache(
    osm_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = load_network(osm_file, cache_dir=tmp_path)
    assert len(list(tmp_path.glob("town.*.roads.npz"))) == 1

    def no_import(*args: object, **kwargs: object) -> None:
        raise AssertionError("should have loaded the cached graph")

    monkeypatch.setattr(roads, "import_osm", no_import)
    second = load_network(osm_file, cache_dir=tmp_path)
    np.testing.assert_array_equal(first.node_ids, second.node_ids)
    np.testing.assert_array_equal(first.travel_time_s, second.travel_time_s)
    cached = next(tmp_path.glob("town.*.roads.npz"))
    assert load_network(cached).n_edges == first.n_edges


def test_load_network_rejects_unknown_file_kinds(tmp_path: Path) -> None:
    path = tmp_path / "roads.csv"
    path.write_text("a,b\n")
    with pytest.raises(InputError, match="unknown road network file"):
        load_network(path)


def test_road_graph_is_immutable(town: roads.RoadGraph) -> None:
    with pytest.raises(ValueError):
        town.length_m[0] = 1.0
    with pytest.raises(dataclasses.FrozenInstanceError):
        town.length_m = town.length_m  # type: ignore[misc]
    with pytest.raises(TypeError):
        town.metadata["attribution"] = "x"  # type: ignore[index]


def test_road_graph_rejects_inconsistent_arrays() -> None:
    with pytest.raises(ValueError, match="out of range"):
        make_graph([(50.0, -1.0), (50.0, -1.1)], [(0, 2, 10.0, 1.0)])


SNAP_NODES = [(50.70, -1.30), (50.71, -1.30), (50.70, -1.28)]


def test_snap_is_vectorised_and_measures_great_circle_metres() -> None:
    graph = make_graph(SNAP_NODES, [(0, 1, 1000.0, 60.0), (1, 0, 1000.0, 60.0)])
    north = SNAP_NODES[0][0] + math.degrees(100 / R)
    east = SNAP_NODES[2][1] + math.degrees(250 / (R * math.cos(math.radians(50.70))))
    positions, distances = graph.snap(
        [SNAP_NODES[1][0], north, SNAP_NODES[2][0]], [SNAP_NODES[1][1], -1.30, east]
    )
    np.testing.assert_array_equal(positions, [1, 0, 2])
    np.testing.assert_allclose(distances, [0.0, 100.0, 250.0], atol=0.01)


def test_snap_rejects_mismatched_input() -> None:
    graph = make_graph(SNAP_NODES, [(0, 1, 1000.0, 60.0)])
    with pytest.raises(ValueError):
        graph.snap([50.7, 50.8], [-1.3])


def test_path_coords_follow_the_geometry_of_the_fastest_edges() -> None:
    bend, detour = (50.705, -1.301), (50.705, -1.31)
    graph = make_graph(
        SNAP_NODES,
        [(0, 1, 1200.0, 60.0), (0, 1, 3000.0, 200.0), (1, 2, 1500.0, 80.0)],
        geometry={0: [bend], 1: [detour]},
    )
    assert graph.path_coords(0, 2) == [SNAP_NODES[0], bend, SNAP_NODES[1], SNAP_NODES[2]]
    assert graph.path_coords(1, 1) == [SNAP_NODES[1]]
    with pytest.raises(UnreachableLocationError) as info:
        graph.path_coords(2, 0)
    assert info.value.affected == ["0"]


def test_sample_graph_is_the_isle_of_wight_with_attribution() -> None:
    graph = load_graph(SAMPLE_GRAPH)
    assert graph.n_nodes > 5_000 and graph.n_edges > 10_000
    assert graph.metadata["attribution"] == "© OpenStreetMap contributors, ODbL 1.0"
    assert graph.metadata["source_file"] == "isle-of-wight-latest.osm.pbf"
    assert graph.metadata["osm_replication_timestamp"].startswith("2020-04-22")
    # Newport to Ryde: a real trip on the island, a quarter of an hour or so by road
    positions, snapped = graph.snap([50.7008, 50.7296], [-1.2920, -1.1610])
    assert (snapped < 200).all()
    m = build_matrices(graph, positions)
    assert 8 * 60 < m.time_s[0, 1] < 30 * 60 and 9_000 < m.distance_m[0, 1] < 16_000
    # on the nearest road rather than at its nearest junction: closer, and about as far apart
    on_road = snap_to_edges(graph, [50.7008, 50.7296], [-1.2920, -1.1610])
    assert (on_road.access_m <= snapped + 1e-6).all()
    between = build_place_matrices(graph, on_road)
    assert abs(int(between.time_s[0, 1]) - int(m.time_s[0, 1])) < 120


def test_sample_graph_matrices_agree_with_networkx() -> None:
    graph = load_graph(SAMPLE_GRAPH)
    rng = np.random.default_rng(7)
    positions = rng.integers(0, graph.n_nodes, 25)
    fast, slow = build_matrices(graph, positions), build_matrices_networkx(graph, positions)
    np.testing.assert_array_equal(fast.time_s, slow.time_s)
    np.testing.assert_array_equal(fast.distance_m, slow.distance_m)


@pytest.mark.osm
@pytest.mark.skipif(not IOW_PBF.exists(), reason="needs ../shared/osm/isle-of-wight-latest.osm.pbf")
def test_importing_the_isle_of_wight_rebuilds_the_sample_graph() -> None:
    graph = roads.import_osm(IOW_PBF)
    sample = load_graph(SAMPLE_GRAPH)
    np.testing.assert_array_equal(graph.node_ids, sample.node_ids)
    np.testing.assert_array_equal(graph.edge_v, sample.edge_v)
    np.testing.assert_array_equal(graph.travel_time_s, sample.travel_time_s)


def test_ways_cut_at_the_extract_boundary_are_kept_in_pieces(tmp_path: Path) -> None:
    # node 99 is outside the extract: the way is split there instead of bridging the gap
    nodes = {1: (50.70, -1.30), 2: (50.70, -1.29), 3: (50.70, -1.27), 4: (50.70, -1.26)}
    ways = [(1, [1, 2, 99, 3, 4], {"highway": "residential"}), (2, [4, 3], {"highway": "service"})]
    graph = roads.import_osm(write_osm(tmp_path / "cut.osm", nodes, ways))
    assert set(graph.node_ids.tolist()) in ({1, 2}, {3, 4})


def test_cli_import_writes_the_graph_and_reports_counts(osm_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "graphs" / "town.npz"
    result = CliRunner().invoke(app, ["import", str(osm_file), "--out", str(out), "--quiet"])
    assert result.exit_code == 0, result.output
    assert "2 nodes, 3 edges" in result.output
    assert load_graph(out).n_edges == 3
    missing = CliRunner().invoke(app, ["import", str(tmp_path / "none.osm"), "--out", str(out)])
    assert missing.exit_code == 1
    assert "file not found" in missing.output
