"""Response headers every reply gets: no caching of anything personal, no content sniffing, and a
Content-Security-Policy on every HTML response that does not set its own.

The officers' pages set their own strict policy (:mod:`api.web.render`). The plan's map page is
a generated Leaflet document whose scripts are inline: its policy (:func:`map_policy`) allows
exactly those scripts, each by its SHA-256 hash, and Leaflet from this site; no other inline
script, nothing from another site, no connections, no forms, framed only by this site's own plan
page. Every other HTML (the finance report) may run no script at all.
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from maps.page_policy import inline_script_hashes
from maps.page_policy import map_policy as page_map_policy

__all__ = ["SecurityHeadersMiddleware", "inline_script_hashes", "map_policy"]

CACHEABLE_PREFIXES = ("/static/", "/assets/")  # public library files and the pages' own assets
MAP_PATH = re.compile(r"^/plans/\d+/map$")


def map_policy(page: str) -> str:
    """The map page's policy: Leaflet from this site and the page's own inline scripts only
    (each by its hash), framed only by this site's own pages."""
    return page_map_policy(page) + "; frame-ancestors 'self'"


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
                        map_policy("") if MAP_PATH.match(path) else DOCUMENT_CSP,
                    )
            await send(message)

        await self.app(scope, receive, send_with_headers)
