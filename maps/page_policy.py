"""The Content-Security-Policy of a generated page whose scripts are inline: each script is
allowed by the SHA-256 hash of its exact text, and no other inline script can run."""

from __future__ import annotations

import base64
import hashlib
import html
import re
from urllib.parse import urlsplit

INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
# Leaflet positions and colours markers through style attributes, so styles may be inline.
MAP_POLICY = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:{images}; connect-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'none'"
)


def inline_script_hashes(page: str) -> list[str]:
    """The CSP source of every inline script of a page: ``'sha256-...'`` of its exact text,
    each once, in page order."""
    found = [
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for body in INLINE_SCRIPT.findall(page)
    ]
    return list(dict.fromkeys(found))


def map_policy(page: str, image_origins: tuple[str, ...] = ()) -> str:
    """A map page's policy: scripts from its own site and its own inline scripts only; images
    from its own site and ``image_origins`` (a tile server's ``scheme://host:port``)."""
    return MAP_POLICY.format(
        hashes="".join(f" {h}" for h in inline_script_hashes(page)),
        images="".join(f" {o}" for o in image_origins),
    )


def origin_of(url: str) -> str | None:
    """``scheme://host[:port]`` of a URL (or URL template), or None for a relative one."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    return f"{parts.scheme}://{parts.netloc}"


def with_policy_meta(page: str, image_origins: tuple[str, ...] = ()) -> str:
    """The page with its policy in a ``<meta>`` at the top of its head, so it holds when the
    file is opened from a disk too (a meta policy cannot say who may frame the page)."""
    policy = html.escape(map_policy(page, image_origins), quote=True)
    meta = f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
    return page.replace("<head>", "<head>\n    " + meta, 1)
