"""Response headers every reply gets: no caching of anything personal, no content sniffing, and a
Content-Security-Policy on every HTML response that does not set its own.

The officers' pages set their own strict policy (:mod:`api.web.render`). The plan's map page is
a generated Leaflet document whose scripts are inline: its policy (:func:`map_policy`) allows
exactly those scripts, each by its SHA-256 hash, and Leaflet from this site; no other inline
script, nothing from another site, no connections, no forms, framed only by this site's own plan
page. Every other HTML (the finance report) may run no script at all.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CACHEABLE_PREFIXES = ("/static/", "/assets/")  # public library files and the pages' own assets
MAP_PATH = re.compile(r"^/plans/\d+/map$")
# Leaflet positions and colours markers through style attributes, so styles may be inline.
MAP_CSP = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)
INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def inline_script_hashes(page: str) -> list[str]:
    """The CSP source of every inline script of a page: ``'sha256-...'`` of its exact text."""
    return [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for body in INLINE_SCRIPT.findall(page)
    ]


def map_policy(page: str) -> str:
    """The map page's policy: Leaflet from this site and the page's own inline scripts only."""
    hashes = "".join(f" {h}" for h in dict.fromkeys(inline_script_hashes(page)))
    return MAP_CSP.format(hashes=hashes)


DOCUMENT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'"
)


class SecurityHeadersMiddleware:
    """Adds ``Cache-Control: no-store`` (except to public static files),
    ``X-Content-Type-Options: nosniff`` and a Content-Security-Policy to HTML."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if not path.startswith(CACHEABLE_PREFIXES):
                    headers["Cache-Control"] = "no-store"
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault(
                        "Content-Security-Policy",
                        MAP_CSP.format(hashes="") if MAP_PATH.match(path) else DOCUMENT_CSP,
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)
