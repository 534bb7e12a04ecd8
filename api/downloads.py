"""Headers of file downloads: a ``Content-Disposition`` any file name survives, and no caching
of personal data."""

from __future__ import annotations

import re
from urllib.parse import quote

NO_STORE = "no-store"  # personal data: kept by no browser or proxy cache


def attachment(filename: str) -> str:
    """``Content-Disposition`` for ``filename``: an ASCII fallback and the exact UTF-8 name
    (RFC 6266 with RFC 5987's ``filename*``), so ``Données – SEND 2026.xlsx`` or ``学生.xlsx``
    download under their own names and no name can break the header."""
    fallback = re.sub(r"[^A-Za-z0-9 ._()-]", "_", filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"
