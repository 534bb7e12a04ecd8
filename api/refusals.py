"""Why the service refuses a request, independent of HTTP.

The service functions (:mod:`api.services`) raise these; :mod:`api.errors` maps them to status
codes for the API and :class:`api.web.render.PageRoute` to error pages, each with the same
sentence.
"""

from __future__ import annotations


class NotFound(LookupError):
    """An id that names nothing (or nothing the caller may see): 404."""


class Forbidden(PermissionError):
    """Something the caller's role may not have, past the role gates: 403."""


class Conflict(RuntimeError):
    """A change the current state does not allow: 409."""


class Unprocessable(ValueError):
    """A request that is well formed but cannot be answered as asked: 422."""
