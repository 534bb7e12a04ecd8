"""Cross-site request forgery: which requests come from this site, and each session's CSRF token.

A browser's session cookie is SameSite=Strict, and on top of that every state-changing request
authenticated by the cookie must come from this site (its ``Origin``, else ``Sec-Fetch-Site``)
and carry the session's CSRF token: in the ``csrf_token`` field of a page's form, or in the
``X-CSRF-Token`` header of a JSON request. A request with a bearer token needs neither (a browser
never adds that header by itself).
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import urlsplit

from starlette.requests import Request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"


def csrf_token(session_secret: str) -> str:
    """The CSRF token of one signed-in session: derived from its secret, so never stored, and
    useless to a site that cannot read the session cookie."""
    return hmac.new(session_secret.encode("utf-8"), b"send-routes form", hashlib.sha256).hexdigest()


def same_origin(request: Request) -> bool:
    """Whether a state-changing request comes from this site.

    Browsers send ``Origin`` with every form post and every cross-site request; without it,
    ``Sec-Fetch-Site`` decides, and a client that sends neither (not a browser) passes on to the
    token check.
    """
    origin = request.headers.get("origin")
    if origin is None:
        return request.headers.get("sec-fetch-site") in (None, "same-origin", "none")
    return origin != "null" and urlsplit(origin).netloc == request.headers.get("host")


def token_matches(submitted: str | None, session_secret: str) -> bool:
    return bool(submitted) and hmac.compare_digest(
        str(submitted).encode("utf-8"), csrf_token(session_secret).encode("utf-8")
    )
