"""The transport officer's map: every route of a plan drawn along the roads, one layer per route.

The page works offline. Leaflet is copied beside the HTML from the installed ``xstatic-leaflet``
package and folium's default links to CDNs (jQuery, Bootstrap, Font Awesome, awesome-markers)
are removed; icons are plain HTML and CSS. Without a tile server the road network itself is
drawn as a light basemap. Pupils appear by id and initials unless ``show_names`` is set.

This is the only module that imports folium.
"""

from __future__ import annotations

import html
import shutil
from collections import defaultdict
from pathlib import Path
from typing import Any

import folium
import xstatic.pkg.leaflet as xleaflet
from branca.element import Element, Figure, MacroElement
from folium.template import Template

from maps.basemap import PathFunction, basemap_from_graph, plan_bbox, road_path_function
from maps.map_text import (
    WHEELCHAIR,
    route_label,
    route_line,
    route_popup,
    route_search_text,
    script_json,
    stop_popup,
    straight,
    unplaced_popup,
)
from maps.page_policy import origin_of, with_policy_meta
from maps.place_names import PlaceName, places_within
from maps.plan_facts import carries_wheelchair, slug
from optimiser.domain.entities import Dataset, Session
from optimiser.domain.times import format_hm
from optimiser.plan.document import Plan, Route, StopType

__all__ = ["render_map", "write_map", "copy_leaflet", "basemap_from_graph", "road_path_function"]

ASSET_DIR = "lib/leaflet"
OSM_ATTRIBUTION = (
    'Road data © <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
PROMPT = (
    "No routes shown yet: choose AM or PM, a group or a route on the right, or filter by route, "
    "pupil, postcode or school."
)


#: Leaflet panes of this map: place names under the routes' stops (above the road lines, never
#: catching a click), schools and journeys not placed above every stop marker (markerPane is 600).
PLACE_NAME_PANE, SCHOOL_PANE = "placeNames", "schools"
#: Where a stop's number is pinned at a school (pixels from its top left): above left of the
#: school's marker (18 px square, centred), so neither hides the other.
STOP_AT_SCHOOL_ANCHOR = (34, 34)
#: How far around the plan's stops a place is still named, in degrees (about 3 km).
PLACE_MARGIN_DEG = 0.03


def route_colour(i: int) -> str:
    """The ``i``-th route's colour: hues a golden angle apart, in three shades, so neighbouring
    routes in a list differ and a colour comes round again only after hundreds of routes."""
    hue = (i * 137.508) % 360
    lightness = (38, 48, 30)[(i // 7) % 3]
    return f"hsl({hue:.0f}, 75%, {lightness}%)"


_CSS = "<style>\n" + (Path(__file__).with_name("route_map.css")).read_text("utf-8") + "</style>"
_JS = "<script>\n" + (Path(__file__).with_name("route_map.js")).read_text("utf-8") + "</script>"


class _OfflineMap(folium.Map):
    """A folium map that links only Leaflet, from files written beside the page."""

    default_js = [("leaflet", f"{ASSET_DIR}/leaflet.js")]
    default_css = [("leaflet_css", f"{ASSET_DIR}/leaflet.css")]


class _RoutePanel(MacroElement):
    """Route layers grouped by session and operator, hidden until the officer picks some.

    Leaflet's own layer control has no groups and folium's grouped control loads its plugin
    from a CDN, so ``route_map.js`` (inlined in the page) does this with Leaflet's public API:
    AM, PM, All and None buttons, a filter by route, pupil, postcode or school, folding groups.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function(map){
          sendRoutesPanel(map, {{ this.groups_js }}, {{ this.prompt_js }});
          {% for text in this.attributions %}
          map.attributionControl.addAttribution({{ text|tojson }});
          {% endfor %}
        })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, groups: list[dict], attributions: list[str]) -> None:
        super().__init__()
        self._name = "RoutePanel"
        self.groups = groups
        self.attributions = attributions
        self.prompt_js = script_json(PROMPT)

    def render(self, **kwargs):
        # layer objects are JavaScript variables, so they are written unquoted
        parts = []
        for g in self.groups:
            items = ",".join(
                f"{{layer:{it['layer'].get_name()},label:{script_json(it['label'])},"
                f"color:{script_json(it['color'])},dashed:{script_json(bool(it['dashed']))},"
                f"text:{script_json(it.get('text', ''))},"
                f"initial:{script_json(bool(it.get('initial')))}}}"
                for it in g["items"]
            )
            head = (
                f"session:{script_json(g.get('session', ''))},"
                f"routes:{script_json(bool(g.get('routes', True)))}"
            )
            parts.append(f"{{{head},name:{script_json(g['name'])},items:[{items}]}}")
        self.groups_js = "[" + ",".join(parts) + "]"
        return super().render(**kwargs)


class _Bind(MacroElement):
    """A popup or tooltip bound with plain Leaflet.

    folium's own popup builds its content with jQuery, and its tooltip pastes the text into a
    JavaScript template literal; here the content goes in as a JSON string.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.{{ this.method }}({{ this.content|tojson }}, {maxWidth: 320});
        {% endmacro %}
        """
    )

    def __init__(self, content: str, *, tooltip: bool = False) -> None:
        super().__init__()
        self._name = "Tooltip" if tooltip else "Popup"
        self.method = "bindTooltip" if tooltip else "bindPopup"
        self.content = content


def _add_route(
    fmap: folium.Map, route: Route, color: str, dataset: Dataset, path: PathFunction, names: bool
) -> tuple[folium.FeatureGroup, bool]:
    wheelchair = carries_wheelchair(route, dataset)
    group = folium.FeatureGroup(name=route_label(route, wheelchair), control=False)
    coords = route_line(route, path)
    if len(coords) >= 2:  # a route with fewer than two stops has no line to draw
        line = (
            folium.PolyLine(
                coords,
                color=color,
                weight=6 if wheelchair else 4,
                opacity=0.85,
                dash_array="10 7" if route.passenger_assistant else None,
                class_name=f"send-route route-{slug(route.route_id)}",
            )
            .add_child(_Bind(route_popup(route, dataset, wheelchair)))
            .add_to(group)
        )
        line.add_child(_Bind(html.escape(route_label(route, wheelchair)), tooltip=True))
    number = 0
    for stop in route.stops:
        if stop.type == StopType.DEPOT:
            continue
        number += 1
        has_wc = any((p := dataset.find_pupil(i)) and p.wheelchair for i in stop.pupil_ids)
        at_school = stop.school_id in dataset.schools
        icon = folium.DivIcon(
            html=f'<div class="stop-num{" wc" if has_wc else ""}" style="background:{color}">'
            f"{number}</div>",
            icon_size=(24, 24),
            # at a school the number sits above left of it: the school's marker is drawn on top
            icon_anchor=STOP_AT_SCHOOL_ANCHOR if at_school else (12, 12),
            class_name="stop-icon",
        )
        folium.Marker(
            (stop.lat, stop.lon),
            icon=icon,
        ).add_child(_Bind(stop_popup(route, number, stop, dataset, names))).add_to(group)
    group.add_to(fmap)
    return group, wheelchair


def _add_places(fmap: folium.Map, plan: Plan, dataset: Dataset, names: bool) -> dict:
    schools = folium.FeatureGroup(name="Schools", control=False)
    used = {s.school_id for r in plan.routes for s in r.stops if s.school_id}
    used |= {
        p.school_id
        for p in dataset.pupils
        if p.pupil_id in {i for r in plan.routes for i in r.pupil_ids}
    }
    for sid in sorted(used):
        school = dataset.schools.get(sid)
        if school is None:
            continue
        times = (
            f"AM arrive {format_hm(school.am_arrive_from_s)}–{format_hm(school.am_arrive_by_s)}"
            f"<br>PM leave {format_hm(school.pm_depart_from_s)}–{format_hm(school.pm_depart_by_s)}"
        )
        postcode = f"<br>{html.escape(school.postcode)}" if school.postcode else ""
        folium.Marker(
            (school.location.lat, school.location.lon),
            icon=folium.DivIcon(
                html='<div class="place school">S</div>', icon_size=(18, 18), icon_anchor=(9, 9)
            ),
            pane=SCHOOL_PANE,  # schools stay above the stops drawn around them
        ).add_child(_Bind(f"<b>{html.escape(school.name)}</b>{postcode}<br>{times}")).add_to(
            schools
        )
    depots = folium.FeatureGroup(name="Depots", control=False)
    # where the plan's routes start and end, so the markers sit where the lines do
    by_place: dict[tuple[float, float], dict[str, None]] = defaultdict(dict)
    for route in plan.routes:
        for stop in route.stops:
            if stop.type == StopType.DEPOT:
                by_place[(stop.lat, stop.lon)][f"{route.operator}: {route.vehicle_type}"] = None
    for (lat, lon), rows in by_place.items():
        folium.Marker(
            (lat, lon),
            icon=folium.DivIcon(
                html='<div class="place depot"><span>D</span></div>',
                icon_size=(18, 18),
                icon_anchor=(9, 9),
            ),
        ).add_child(_Bind("<b>Depot</b><br>" + "<br>".join(map(html.escape, rows)))).add_to(depots)
    schools.add_to(fmap)
    depots.add_to(fmap)
    items = [
        {"layer": schools, "label": "Schools", "color": "#222", "dashed": False, "initial": True},
        {"layer": depots, "label": "Depots", "color": "#666", "dashed": False, "initial": True},
    ]
    if plan.unassigned:
        label = f"Journeys not placed ({len(plan.unassigned)})"
        layer = _unplaced_layer(fmap, plan, dataset, names)
        items.append(
            {"layer": layer, "label": label, "color": "#c00", "dashed": False, "initial": True}
        )
    return {"name": "Places", "session": "", "routes": False, "items": items}


def _place_names(fmap: folium.Map, places: list[PlaceName]) -> dict:
    """Town and village names as plain labels that no click or tooltip can land on."""
    layer = folium.FeatureGroup(name="Town and village names", control=False)
    for place in places:
        folium.Marker(
            (place.lat, place.lon),
            icon=folium.DivIcon(
                html=f'<span class="place-name {place.kind}">{html.escape(place.name)}</span>',
                icon_size=(0, 0),
                icon_anchor=(0, 0),
                class_name="place-label",
            ),
            pane=PLACE_NAME_PANE,
            interactive=False,
            keyboard=False,
        ).add_to(layer)
    layer.add_to(fmap)
    return {
        "layer": layer,
        "label": f"Town and village names ({len(places)})",
        "color": "#555",
        "dashed": False,
        "initial": True,
    }


def _unplaced_layer(fmap: folium.Map, plan: Plan, dataset: Dataset, names: bool) -> Any:
    """A marker for every journey not placed, at the pupil's address for that session."""
    layer = folium.FeatureGroup(name="Journeys not placed", control=False)
    for u in plan.unassigned:
        pupil = dataset.find_pupil(u.pupil_id)
        if pupil is None:
            continue
        where = pupil.address(Session(str(u.session)))
        folium.Marker(
            (where.lat, where.lon),
            icon=folium.DivIcon(
                html='<div class="place unplaced">!</div>', icon_size=(18, 18), icon_anchor=(9, 9)
            ),
            pane=SCHOOL_PANE,
            z_index_offset=1_000,
        ).add_child(
            _Bind(unplaced_popup(dataset, u.pupil_id, str(u.session), u.reason, names))
        ).add_to(layer)
    layer.add_to(fmap)
    return layer


def _legend(plan: Plan) -> Element:
    rows = [
        '<div><span class="swatch" style="border-top-color:#1f77b4"></span>'
        "route (one colour each)</div>",
        '<div><span class="swatch" style="border-top:4px dashed #1f77b4"></span>'
        "passenger assistant on board</div>",
        '<div><span class="swatch" style="border-top-width:7px;border-top-color:#1f77b4"></span>'
        f"carries a wheelchair user ({WHEELCHAIR})</div>",
        '<div><span class="stop-num" style="display:inline-block;background:#1f77b4">1</span>'
        " stop in order; black ring: wheelchair boarding</div>",
        '<div><span class="place school" style="display:inline-block">S</span> school (its stops'
        " above left) &nbsp;"
        '<span class="place depot" style="display:inline-block"><span>D</span></span> depot</div>',
    ]
    if plan.unassigned:
        rows.append(
            '<div><span class="place unplaced" style="display:inline-block">!</span> '
            f"<b>{len(plan.unassigned)} pupil journeys not placed</b> (at home)</div>"
        )
    title = html.escape(f"{plan.dataset} · {len(plan.routes)} routes · {plan.generated_at}")
    body = f'<div class="route-legend"><b>{title}</b>{"".join(rows)}</div>'
    legend = MacroElement()
    legend._template = Template(
        "{% macro script(this, kwargs) %}(function(map){var c=L.control({position:'bottomleft'});"
        "c.onAdd=function(){var d=L.DomUtil.create('div');d.innerHTML="
        + script_json(body)
        + ";return d.firstChild;};c.addTo(map);})({{ this._parent.get_name() }});{% endmacro %}"
    )
    return legend


def render_map(
    plan: Plan,
    dataset: Dataset,
    *,
    path_coords: PathFunction | None = None,
    basemap_lines: list[list[tuple[float, float]]] | None = None,
    tile_url: str | None = None,
    tile_attribution: str | None = None,
    show_names: bool = False,
    place_names: list[PlaceName] | None = None,
) -> str:
    """The plan as one self-contained HTML map page.

    Parameters
    ----------
    plan, dataset
        The plan to draw and the dataset it was made from.
    path_coords
        ``path(from_stop, to_stop) -> [(lat, lon), ...]`` along the roads (see
        :func:`maps.basemap.road_path_function`); straight lines when ``None``.
    basemap_lines
        Road polylines drawn faintly under the routes when there is no tile server.
    tile_url, tile_attribution
        A tile server URL template (``.../{z}/{x}/{y}.png``) and its attribution.
    show_names
        Show pupils' full names in popups (default: id and initials only).
    place_names
        Towns and villages to label; default: those of the bundled lists
        (:mod:`maps.place_names`) in and around the plan's area; ``[]`` for none.

    Returns
    -------
    str
        The HTML page; Leaflet must sit beside it in ``lib/leaflet`` (see :func:`write_map`).
    """
    path = path_coords or straight
    fmap = _OfflineMap(location=None, tiles=None, control_scale=True, zoom_start=11)
    root = fmap.get_root()
    assert isinstance(root, Figure)
    root.header.add_child(Element(_CSS), name="send_routes_css")
    root.header.add_child(Element(_JS), name="send_routes_js")
    folium.map.CustomPane(PLACE_NAME_PANE, z_index=450, pointer_events=False).add_to(fmap)
    folium.map.CustomPane(SCHOOL_PANE, z_index=620, pointer_events=True).add_to(fmap)
    attributions = [OSM_ATTRIBUTION]
    if tile_url:
        folium.TileLayer(tiles=tile_url, attr=tile_attribution or OSM_ATTRIBUTION).add_to(fmap)
    if basemap_lines:
        roads = folium.FeatureGroup(name="Roads", control=False)
        folium.PolyLine(
            [[(round(a, 5), round(b, 5)) for a, b in line] for line in basemap_lines],
            color="#9a9a9a",
            weight=1,
            opacity=0.6,
            class_name="basemap-road",
        ).add_to(roads)
        roads.add_to(fmap)
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    ordered = sorted(plan.routes, key=lambda r: (str(r.session), r.operator, r.route_id))
    for i, route in enumerate(ordered):
        color = route_colour(i)
        layer, wheelchair = _add_route(fmap, route, color, dataset, path, show_names)
        groups[(str(route.session), route.operator)].append(
            {
                "layer": layer,
                "label": route_label(route, wheelchair),
                "color": color,
                "dashed": route.passenger_assistant,
                "text": route_search_text(route, dataset, show_names),
            }
        )
    panel = [
        {"name": f"{s} · {op}", "session": s, "routes": True, "items": items}
        for (s, op), items in groups.items()
    ]
    places = _add_places(fmap, plan, dataset, show_names)
    if place_names is None and any(r.stops for r in plan.routes):
        place_names = places_within(*plan_bbox(plan, margin_deg=PLACE_MARGIN_DEG))
    if place_names:
        places["items"].append(_place_names(fmap, place_names))
    panel.append(places)
    _RoutePanel(panel, attributions).add_to(fmap)
    _legend(plan).add_to(fmap)
    if any(r.stops for r in plan.routes):
        south, west, north, east = plan_bbox(plan, margin_deg=0.005)
        fmap.fit_bounds([(south, west), (north, east)])
    # the page's own policy: its inline scripts by hash, images only from here (or the tiles)
    tiles = origin_of(tile_url) if tile_url else None
    return with_policy_meta(fmap.get_root().render(), (tiles,) if tiles else ())


def copy_leaflet(out_dir: Path) -> Path:
    """Copy Leaflet's script, style sheet and images into ``out_dir/lib/leaflet``."""
    target = Path(out_dir) / ASSET_DIR
    source = Path(xleaflet.BASE_DIR)
    (target / "images").mkdir(parents=True, exist_ok=True)
    for name in ("leaflet.js", "leaflet.css"):
        shutil.copyfile(source / name, target / name)
    for image in (source / "images").iterdir():
        shutil.copyfile(image, target / "images" / image.name)
    return target


def write_map(
    plan: Plan,
    dataset: Dataset,
    out_dir: Path | str,
    *,
    filename: str = "map.html",
    **options,
) -> Path:
    """Write the map page and the Leaflet files it needs into ``out_dir``.

    Parameters
    ----------
    plan, dataset
        As for :func:`render_map`.
    out_dir
        Folder to write into (created if needed).
    filename
        Name of the HTML file.
    **options
        Keyword options of :func:`render_map`.

    Returns
    -------
    pathlib.Path
        The HTML file.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    copy_leaflet(out)
    page = out / filename
    page.write_text(render_map(plan, dataset, **options), encoding="utf-8")
    return page
