"""Reading a served or written HTML page in tests."""

from __future__ import annotations

import re

_HASH = re.compile(r"sha256-[A-Za-z0-9+/=]+")


def searchable(page: str) -> str:
    """``page`` in lower case without its script policy's hashes: they are base64 of scripts
    holding folium's random ids, so any word can turn up in them by chance ("...ucdn19o...")."""
    return _HASH.sub("sha256-", page).lower()
