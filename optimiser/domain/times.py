"""Times of day: integer seconds after midnight in memory, ``HH:MM[:SS]`` text at the edges.

The one parser and the formatters every stage uses.
"""

from __future__ import annotations

import re

from optimiser.domain.entities import Session

# The working day of each session: vehicles leave their depot and are back within these hours.
# One definition for the routing model, the plan's solo journeys and the validator.
SESSION_HOURS = {
    Session.AM: (6 * 3600 + 30 * 60, 11 * 3600),
    Session.PM: (13 * 3600 + 30 * 60, 18 * 3600 + 30 * 60),
}

_HMS = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def format_hms(seconds: int | None) -> str | None:
    if seconds is None:
        return None
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def format_hm(seconds: int | None) -> str:
    if seconds is None:
        return ""
    seconds = int(seconds)
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def parse_hms(text: str) -> int:
    """Seconds after midnight of ``HH:MM`` or ``HH:MM:SS``; ``ValueError`` if it is not a time."""
    match = _HMS.match(text.strip())
    if not match or int(match[1]) > 23 or int(match[2]) > 59 or int(match[3] or 0) > 59:
        raise ValueError(f"'{text}' is not a time HH:MM:SS")
    return int(match[1]) * 3600 + int(match[2]) * 60 + int(match[3] or 0)
