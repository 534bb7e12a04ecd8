"""The map page in a real browser: Leaflet starts, every route is drawn, nothing leaves the machine.

Headless Chromium is driven through the DevTools protocol over ``--remote-debugging-pipe``
(null-separated JSON on file descriptors 3 and 4), so no driver or websocket library is needed.
Set ``SEND_ROUTES_SCREENSHOT_DIR`` to keep the screenshot.
"""

from __future__ import annotations

import base64
import json
import os
import select
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse

import pytest

from maps.route_map import write_map
from tests.maps.helpers import fake_road, make_dataset, make_plan

CHROMIUM = Path("/usr/bin/chromium")
LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1", ""}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs /usr/bin/chromium"),
]


class _Assets(HTMLParser):
    """Collects every URL a page would fetch by itself: script src, link href, img src."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


class _DevTools:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, user_data_dir: Path) -> None:
        cmd_r, self._cmd_w = os.pipe()
        self._out_r, out_w = os.pipe()

        def wire_fds() -> None:
            # via fresh duplicates, in case the pipe ends are themselves fds 3 or 4
            high_r, high_w = os.dup(cmd_r), os.dup(out_w)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)

        self.proc = subprocess.Popen(
            [
                str(CHROMIUM),
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--remote-debugging-pipe",
                f"--user-data-dir={user_data_dir}",
                "--window-size=1200,800",
                "about:blank",
            ],
            pass_fds=(3, 4),  # kept open in the child after wire_fds
            preexec_fn=wire_fds,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(cmd_r)
        os.close(out_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict] = []
        self.session: str | None = None

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self._out_r], [], [], left)[0]:
                raise TimeoutError("no answer from Chromium")
            chunk = os.read(self._out_r, 1 << 20)
            if not chunk:
                raise RuntimeError("Chromium closed the debugging pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, *, timeout: float = 30) -> dict:
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if self.session and not method.startswith(("Target.", "Browser.")):
            message["sessionId"] = self.session
        os.write(self._cmd_w, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, *, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        for event in self.events:
            if event.get("method") == method:
                return event
        while True:
            event = self._read_message(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        os.close(self._cmd_w)
        os.close(self._out_r)


def _is_local(url: str) -> bool:
    parsed = urlparse(url)
    if parsed.scheme in ("file", "data", "blob", "about", ""):
        return True
    return parsed.scheme in ("http", "https", "ws", "wss") and parsed.hostname in LOCAL_HOSTS


@pytest.fixture()
def map_page(tmp_path: Path) -> Path:
    """The tiny plan's map written to disk: four routes on dog-leg roads, so every polyline
    and asset can be listed by hand."""
    return write_map(make_plan(), make_dataset(), tmp_path / "map", path_coords=fake_road)


def test_page_links_only_local_files(map_page: Path) -> None:
    parser = _Assets()
    parser.feed(map_page.read_text(encoding="utf-8"))
    assert parser.urls, "the page should link Leaflet"
    assert [u for u in parser.urls if not _is_local(u)] == []
    for url in parser.urls:
        assert (map_page.parent / url).is_file(), url


class _Page:
    """One map page open in headless Chromium: run JavaScript, click, screenshot."""

    def __init__(self, page: Path, profile: Path) -> None:
        self.browser = _DevTools(profile)
        target = self.browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        attached = self.browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})
        self.browser.session = attached["sessionId"]
        for domain in ("Network", "Page", "Runtime"):
            self.browser.send(f"{domain}.enable")
        self.browser.send("Page.navigate", {"url": page.as_uri()})
        self.browser.wait_for("Page.loadEventFired")

    def js(self, expression: str):
        reply = self.browser.send(
            "Runtime.evaluate",
            {"expression": f"JSON.stringify({expression})", "returnByValue": True},
        )
        return json.loads(reply["result"]["value"])

    def click(self, text: str) -> None:
        found = self.js(
            f"""(function(){{var b=Array.from(document.querySelectorAll('.route-panel button'))
            .find(b => b.textContent === {json.dumps(text)}); if (b) {{ b.click(); }}
            return !!b;}})()"""
        )
        assert found, text

    def filter(self, text: str) -> list[str]:
        """Type into the filter; the route names still listed."""
        return self.js(
            f"""(function(){{var i=document.querySelector('.route-panel .panel-filter');
            i.value={json.dumps(text)}; i.dispatchEvent(new Event('input'));
            return Array.from(document.querySelectorAll('.route-panel label'))
              .filter(l => l.style.display !== 'none' && l.closest('details').style.display
                      !== 'none' && l.closest('details').querySelector('summary')
                      .textContent.indexOf('Places') < 0)
              .map(l => l.textContent.split(' ')[0]);}})()"""
        )

    def routes_drawn(self) -> list[str]:
        return sorted(
            self.js(
                """Array.from(document.querySelectorAll('path.send-route')).map(p =>
                p.getAttribute('class').match(/route-(\\S+)/)[1])"""
            )
        )

    def screenshot(self, name: str, tmp_path: Path) -> bytes:
        png = base64.b64decode(
            self.browser.send("Page.captureScreenshot", {"format": "png"})["data"]
        )
        (tmp_path / name).write_bytes(png)
        keep = os.environ.get("SEND_ROUTES_SCREENSHOT_DIR")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            shutil.copyfile(tmp_path / name, Path(keep) / name)
        return png

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.browser.events
            if e.get("method") == "Network.requestWillBeSent"
        ]

    def events(self, method: str) -> list[dict]:
        return [e for e in self.browser.events if e.get("method") == method]

    def close(self) -> None:
        self.browser.close()


@pytest.fixture()
def opened(map_page: Path, tmp_path: Path):
    page = _Page(map_page, tmp_path / "chromium-profile")
    try:
        yield page
    finally:
        page.close()


def test_map_runs_offline_in_chromium(opened: _Page, tmp_path: Path) -> None:
    start = opened.js(
        """{leaflet: typeof L === 'object' && typeof L.map === 'function',
            containers: document.querySelectorAll('.leaflet-container').length,
            prompt: document.querySelector('.map-prompt').style.display !== 'none',
            count: document.querySelector('.panel-count').textContent,
            schools: document.querySelectorAll('.leaflet-marker-icon .place.school').length,
            attribution: document.querySelector('.leaflet-control-attribution').textContent}"""
    )
    first = opened.screenshot("map-opening.png", tmp_path)
    assert start["leaflet"] and start["containers"] == 1
    assert opened.routes_drawn() == []  # every route hidden at first, with a prompt
    assert start["prompt"] and start["count"] == "0 of 4 routes shown"
    assert start["schools"] == 2
    assert "OpenStreetMap contributors" in start["attribution"]

    opened.click("All")
    plan = make_plan()
    assert opened.routes_drawn() == sorted(r.route_id for r in plan.routes)
    stops = opened.js("document.querySelectorAll('.leaflet-marker-icon .stop-num').length")
    assert stops == sum(s.type != "depot" for r in plan.routes for s in r.stops)
    assert opened.js("document.querySelector('.map-prompt').style.display") == "none"
    # a stop at a school sits beside the school's marker, not under it: both can be seen
    hidden = opened.js(
        """(function(){
        function box(e) { return e.getBoundingClientRect(); }
        function over(a, b) { return a.left < b.right && b.left < a.right
                                     && a.top < b.bottom && b.top < a.bottom; }
        var schools = Array.from(document.querySelectorAll('.leaflet-marker-icon .place.school'));
        return Array.from(document.querySelectorAll('.leaflet-marker-icon .stop-num'))
          .filter(n => schools.some(s => over(box(n), box(s)))).map(n => n.textContent);})()"""
    )
    assert hidden == []
    png = opened.screenshot("map-all.png", tmp_path)

    # the page's own policy (a meta tag, as the file has no server): no other inline script runs
    injected = opened.js(
        """(function(){var s=document.createElement('script');
        s.textContent='window.injected=1'; document.head.appendChild(s);
        return window.injected === 1;})()"""
    )
    assert injected is False

    errors = opened.events("Runtime.exceptionThrown")
    assert errors == []
    requests = opened.requests()
    assert any(u.endswith("leaflet.js") for u in requests)
    assert [u for u in requests if not _is_local(u)] == []
    assert first.startswith(b"\x89PNG") and png.startswith(b"\x89PNG") and len(png) > 5000


def test_session_buttons_and_filter(opened: _Page, tmp_path: Path) -> None:
    opened.click("AM")
    assert opened.routes_drawn() == ["AM-1", "AM-2"]
    opened.click("PM")
    assert opened.routes_drawn() == ["PM-1", "PM-2"]
    opened.click("None")
    assert opened.routes_drawn() == []
    # by pupil id, by postcode (Dev's afternoon address), by school, by route id
    assert opened.filter("P005") == ["AM-2"]
    assert opened.filter("ox4 9zz") == ["PM-2"]
    assert opened.filter("Hillview") == ["AM-2", "PM-2"]
    assert opened.filter("PM-1") == ["PM-1"]
    assert opened.filter("nobody at all") == []
    assert opened.filter("P005") == ["AM-2"]
    opened.click("Show matching routes only")
    assert opened.routes_drawn() == ["AM-2"]
    opened.screenshot("map-filter.png", tmp_path)
    assert opened.js("document.querySelector('.panel-count').textContent") == (
        "1 of 4 routes shown"
    )
    # a route's name shows it (and zooms to it)
    opened.filter("")
    opened.js(
        """(Array.from(document.querySelectorAll('.route-panel .route-name'))
        .find(n => n.textContent.indexOf('PM-1') === 0).click(), true)"""
    )
    assert opened.routes_drawn() == ["AM-2", "PM-1"]
    strength = opened.js(
        """Object.fromEntries(Array.from(document.querySelectorAll('path.send-route')).map(p =>
        [p.getAttribute('class').match(/route-(\\S+)/)[1], p.getAttribute('stroke-opacity')]))"""
    )
    assert float(strength["PM-1"]) > 0.8 and float(strength["AM-2"]) < 0.3  # the rest dimmed
    time.sleep(0.5)  # let the zoom finish before the picture
    opened.screenshot("map-route.png", tmp_path)
    assert opened.events("Runtime.exceptionThrown") == []
    assert [u for u in opened.requests() if not _is_local(u)] == []


def test_hostile_operator_name_runs_no_script(tmp_path: Path) -> None:
    from tests.maps.test_route_map import HOSTILE, hostile_plan_and_dataset

    plan, dataset = hostile_plan_and_dataset()
    page_path = write_map(plan, dataset, tmp_path / "map", path_coords=fake_road)
    page = _Page(page_path, tmp_path / "profile")
    try:
        page.browser.send("Page.enable")
        page.click("All")
        labels = page.js(
            "Array.from(document.querySelectorAll('.route-panel summary')).map(s => s.textContent)"
        )
        dialogs = page.events("Page.javascriptDialogOpening")
        errors = page.events("Runtime.exceptionThrown")
    finally:
        page.close()
    assert dialogs == [] and errors == []
    assert any(HOSTILE in label for label in labels)  # shown as text, never run
