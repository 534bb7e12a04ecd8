"""The route map: routes follow the roads, one layer each, offline, no names by default."""

from __future__ import annotations

import json
import re

import pytest

from maps.basemap import basemap_from_graph, plan_bbox, road_path_function
from maps.route_map import render_map, write_map
from tests.helpers.pages import searchable
from tests.maps.helpers import (
    TinyGraph,
    fake_road,
    fake_travel,
    make_dataset,
    make_plan,
    polylines,
)


def js_strings(page: str, pattern: str) -> list[str]:
    """JSON string literals on the page captured by ``pattern``, decoded."""
    return [json.loads(s) for s in re.findall(pattern, page)]


def popups(page: str) -> list[str]:
    return js_strings(page, r'bind(?:Popup|Tooltip)\(("(?:[^"\\]|\\.)*")')


def readable(page: str) -> str:
    """The page with its popup and tooltip texts decoded, as a reader could see them."""
    return "\n".join([page, *popups(page)])


def attributions(page: str) -> list[str]:
    return js_strings(page, r'addAttribution\(("(?:[^"\\]|\\.)*")\)')


@pytest.fixture(scope="module")
def page() -> str:
    """The tiny plan's map as HTML, routes drawn along ``fake_road``: four polylines, each
    with a known dog-leg shape."""
    return render_map(make_plan(), make_dataset(), path_coords=fake_road)


def test_one_polyline_per_route_along_the_injected_roads(page: str) -> None:
    lines = polylines(page)
    plan = make_plan()
    assert set(lines) == {r.route_id for r in plan.routes}
    for route in plan.routes:
        coords, _ = lines[route.route_id]
        first, last = route.stops[0], route.stops[-1]
        assert coords[0] == [first.lat, first.lon]
        assert coords[-1] == [last.lat, last.lon]
        # every dog-leg corner of the injected road is on the line, in order
        corners = [[a.lat, b.lon] for a, b in zip(route.stops, route.stops[1:], strict=False)]
        positions = [coords.index(c) for c in corners]
        assert positions == sorted(positions)


def test_passenger_assistant_dashed_and_wheelchair_routes_thicker(page: str) -> None:
    lines = polylines(page)
    assert lines["AM-2"][1]["dashArray"] and lines["PM-2"][1]["dashArray"]
    assert not lines["AM-1"][1]["dashArray"]
    assert lines["AM-1"][1]["weight"] > lines["AM-2"][1]["weight"]
    assert "passenger assistant on board" in page and "wheelchair user" in page


def test_layers_grouped_by_session_and_operator(page: str) -> None:
    groups = re.findall(r'name:("[^"]+"),items:\[(.*?)\]\}', page)
    names = [json.loads(name) for name, _ in groups]
    assert names == [
        "AM \u00b7 Acme Taxis",
        "AM \u00b7 Blue Line",
        "PM \u00b7 Acme Taxis",
        "PM \u00b7 Blue Line",
        "Places",
    ]
    assert all(items.count("layer:feature_group_") == 1 for _, items in groups[:4])


def test_numbered_stops_and_popup_times(page: str) -> None:
    icons = js_strings(page, r'"html": ("(?:[^"\\]|\\.)*")')
    numbers = re.findall(r'class="stop-num[^>]*>(\d+)</div>', " ".join(icons))
    plan = make_plan()
    expected = [str(i) for r in plan.routes for i in range(1, len(r.stops) - 1)]
    assert sorted(numbers) == sorted(expected)
    assert any("Arrive 08:00 \u00b7 depart 08:05" in p for p in popups(page))


def test_no_full_names_unless_asked(page: str) -> None:
    dataset = make_dataset()
    text = readable(page)
    for pupil in dataset.pupils:
        assert pupil.name not in text
        assert pupil.name.split()[-1] not in text  # no surnames either
        assert f"{pupil.pupil_id} ({pupil.initials})" in text
    named = readable(render_map(make_plan(), dataset, path_coords=fake_road, show_names=True))
    assert all(p.name in named for p in dataset.pupils)


def test_offline_links_and_osm_attribution(tmp_path) -> None:
    path = write_map(make_plan(), make_dataset(), tmp_path)
    page = path.read_text(encoding="utf-8")
    text = searchable(page)
    for word in ("cdn", "jquery", "bootstrap", "awesome", "fontawesome", "googleapis"):
        assert word not in text
    assert '<script src="lib/leaflet/leaflet.js">' in page
    assert (tmp_path / "lib/leaflet/leaflet.js").is_file()
    assert (tmp_path / "lib/leaflet/images/marker-icon.png").is_file()
    assert any("OpenStreetMap</a> contributors" in a for a in attributions(page))
    assert "L.tileLayer" not in page


def test_tile_server_used_with_its_attribution() -> None:
    page = render_map(
        make_plan(),
        make_dataset(),
        tile_url="http://localhost:8080/{z}/{x}/{y}.png",
        tile_attribution="Local tiles",
    )
    assert "L.tileLayer" in page and "http://localhost:8080/{z}/{x}/{y}.png" in page
    assert "Local tiles" in page
    assert any("OpenStreetMap</a> contributors" in a for a in attributions(page))


def test_basemap_drawn_under_the_routes() -> None:
    lines = [[(51.74, -1.30), (51.76, -1.24)], [(51.78, -1.24), (51.80, -1.18)]]
    page = render_map(make_plan(), make_dataset(), basemap_lines=lines)
    assert "basemap-road" in page
    assert page.index("basemap-road") < page.index("send-route")


def test_road_path_function_follows_the_graph() -> None:
    graph, dataset, plan = TinyGraph(), make_dataset(), make_plan()
    path = road_path_function(graph, plan, travel=fake_travel(dataset, graph))
    route = plan.routes[0]
    legs = list(zip(route.stops, route.stops[1:], strict=False))
    drawn = [path(a, b) for a, b in legs]
    path(*legs[0])  # asked again: served from the cache
    assert len(graph.calls) == len(set(graph.calls)) == len(legs)
    for (a, b), coords, (na, nb) in zip(legs, drawn, list(graph.calls), strict=True):
        assert coords[0] == (a.lat, a.lon) and coords[-1] == (b.lat, b.lon)
        road = [p for p in graph.path_coords(na, nb) if p not in (coords[0], coords[-1])]
        assert road == [p for p in coords if p in road]  # the graph's road, in order


def test_basemap_from_graph_keeps_roads_in_the_box_once() -> None:
    graph = TinyGraph()
    everything = basemap_from_graph(graph, (51.0, -2.0, 52.0, 0.0))
    assert len(everything) == 12  # 24 directed edges, each two-way road drawn once
    assert all(len(line) == 3 for line in everything)  # node, bend, node
    corner = basemap_from_graph(graph, (51.735, -1.305, 51.745, -1.295))
    assert len(corner) == 2  # the two roads from the south-west node
    main = basemap_from_graph(graph, (51.0, -2.0, 52.0, 0.0), max_points=10)
    assert len(main) == 2  # only the fast middle row fits
    assert all(abs(p[0] - 51.775) < 0.003 for line in main for p in line)


def test_plan_bbox_covers_every_stop() -> None:
    plan = make_plan()
    south, west, north, east = plan_bbox(plan, margin_deg=0)
    stops = [s for r in plan.routes for s in r.stops]
    assert south == min(s.lat for s in stops) and north == max(s.lat for s in stops)
    assert west == min(s.lon for s in stops) and east == max(s.lon for s in stops)


HOSTILE = "Wight</script><script>alert(document.domain)</script>Cars"


def hostile_plan_and_dataset(text: str = HOSTILE):
    """The tiny plan with the Acme Taxis operator renamed to ``text`` everywhere."""
    from dataclasses import replace

    dataset = make_dataset()
    fleet = tuple(
        replace(v, operator=text) if v.operator == "Acme Taxis" else v for v in dataset.fleet
    )
    pupils = tuple(replace(p, notes=text) for p in dataset.pupils)
    dataset = replace(dataset, fleet=fleet, pupils=pupils, name=text)
    plan = make_plan()
    for route in plan.routes:
        if route.operator == "Acme Taxis":
            route.operator = text
            route.vehicle_type = text[:20] + route.vehicle_type
    plan.dataset = text
    return plan, dataset


@pytest.mark.parametrize(
    "text", [HOSTILE, "x<!--<script>alert(1)</script>", "line\u2028break\u2029para"]
)
def test_data_cannot_close_or_open_a_script(text: str) -> None:
    plan, dataset = hostile_plan_and_dataset(text)
    page = render_map(plan, dataset, path_coords=fake_road, show_names=True)
    scripts = re.findall(r"<script\b[^>]*>(.*?)</script>", page, re.S)
    for body in scripts:
        assert "<script" not in body.lower() and "<!--" not in body
        assert "\u2028" not in body and "\u2029" not in body
    assert "alert(document.domain)</script>" not in page
    assert page.lower().count("<script") == page.lower().count("</script>")
    # the name still reaches the reader, decoded by JavaScript
    names = [json.loads(n) for n in re.findall(r'name:("(?:[^"\\]|\\.)*")', page)]
    assert any(text in n for n in names)


def test_stop_popups_name_postcode_school_and_needs(page: str) -> None:
    texts = popups(page)
    chloe = next(p for p in texts if "AM-2 · stop 1" in p)
    assert "Postcode OX4 5EE" in chloe and "Hillview Special School" in chloe
    assert "<i>PA</i>" in chloe
    ada = next(p for p in texts if "AM-1 · stop 1" in p)
    assert "<i>wheelchair</i>" in ada and "Riverside Academy" in ada
    school_stop = next(p for p in texts if "AM-1 · stop 3" in p)
    assert "Postcode OX1 1AA" in school_stop


def test_unplaced_journeys_have_their_own_layer() -> None:
    from optimiser.domain.entities import Session
    from optimiser.plan.document import Unassigned

    plan = make_plan()
    plan.unassigned = [Unassigned("P005", Session.AM, "no vehicle could reach school in time")]
    page = render_map(plan, make_dataset(), path_coords=fake_road)
    assert "place unplaced" in page
    note = next(p for p in popups(page) if "Not placed" in p)
    assert "P005 (EW)" in note and "Riverside Academy" in note and "reach school" in note
    names = [json.loads(n) for n in re.findall(r'label:("(?:[^"\\]|\\.)*")', page)]
    assert "Journeys not placed (1)" in names


def test_route_colours_do_not_repeat_in_a_large_plan() -> None:
    from maps.route_map import route_colour

    colours = [route_colour(i) for i in range(200)]
    assert len(set(colours)) == 200


def test_filter_text_covers_route_pupil_postcode_school() -> None:
    from maps.map_text import route_search_text

    plan, dataset = make_plan(), make_dataset()
    text = route_search_text(plan.routes[3], dataset, show_names=False)  # PM-2
    for word in ("pm-2", "p004", "ox4 9zz", "hillview special school", "blue line"):
        assert word in text
    assert "patel" not in text  # no names unless they are shown


def test_a_route_with_no_stops_does_not_stop_the_map(tmp_path) -> None:
    from maps.outputs import write_all_outputs
    from optimiser.domain.entities import Session
    from optimiser.plan.document import Route

    plan = make_plan()
    plan.routes.append(Route("AM-9", Session.AM, "V9", "WAV", "Acme Taxis", False, []))
    written = write_all_outputs(plan, make_dataset(), None, None, tmp_path)
    assert "failed" not in written
    assert set(polylines(written["map"].read_text(encoding="utf-8"))) == {
        "AM-1",
        "AM-2",
        "PM-1",
        "PM-2",
    }
    empty = make_plan()
    empty.routes = [Route("AM-9", Session.AM, "V9", "WAV", "Acme Taxis", False, [])]
    assert "leaflet" in render_map(empty, make_dataset())


def test_place_names_labelled_offline_in_their_own_pane() -> None:
    from maps.place_names import PlaceName, bundled_places, places_within

    towns = [
        PlaceName("Ryde", "town", 51.75, -1.25),
        PlaceName("<b>Nowhere", "village", 51.7, -1.3),
    ]
    page = render_map(make_plan(), make_dataset(), place_names=towns)
    assert '"pane": "placeNames"' in page and '"interactive": false' in page
    assert "place-name town" in page and "Ryde" in page
    assert "<b>Nowhere" not in page  # names are text
    assert "Town and village names (2)" in page
    assert "Town and village names" not in render_map(make_plan(), make_dataset(), place_names=[])
    # the bundled Isle of Wight list, by the box of the island's north-east
    names = {p.name for p in places_within(50.70, -1.20, 50.75, -1.10)}
    assert {"Ryde", "Seaview"} <= names and "Newport" not in names
    assert len(bundled_places()) >= 50


def test_schools_drawn_in_a_pane_above_the_stops() -> None:
    page = render_map(make_plan(), make_dataset())
    assert re.search(r'createPane\(\s*"schools"\);\s*\S+\.style\.zIndex = 620;', page)
    assert page.count('"pane": "schools"') >= 2  # both schools of the tiny dataset


def test_the_page_carries_a_policy_naming_its_own_scripts() -> None:
    from maps.page_policy import inline_script_hashes

    page = render_map(make_plan(), make_dataset())
    meta = re.search(r'<meta http-equiv="Content-Security-Policy" content="([^"]+)">', page)
    assert meta is not None and page.index(meta[0]) < page.index("<script")
    policy = meta[1].replace("&#x27;", "'")
    assert "'unsafe-inline'" not in policy.split("style-src")[0]
    assert inline_script_hashes(page) and all(h in policy for h in inline_script_hashes(page))
    tiles = render_map(
        make_plan(), make_dataset(), tile_url="http://127.0.0.1:8080/{z}/{x}/{y}.png"
    )
    assert "img-src 'self' data: http://127.0.0.1:8080;" in tiles.replace("&#x27;", "'")
