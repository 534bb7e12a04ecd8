"""What the solver reports while it searches: one :class:`ProgressEvent` per improving plan.

No ``ortools`` import here: the planner, the API and the command line read these events. An event
is a frozen dataclass of plain values, so it pickles across the planner's process queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ProgressEvent:
    """A plan the search has just found.

    Attributes
    ----------
    problem : str
        The routing problem's name.
    solutions : int
        Plans found so far in this solve (this one included).
    objective : int
        This plan's objective in the problem's cost units (millipence for a SEND session): route
        costs plus the penalty of every request left out.
    elapsed_s : float
        Seconds since the solve began, to a tenth of a second.
    build_s : float
        Seconds the first model took to build, to a tenth of a second.
    session : str or None
        The session the problem plans ("AM", "PM"); the solver leaves it None and the planner
        fills it in.
    """

    problem: str
    solutions: int
    objective: int
    elapsed_s: float
    build_s: float
    session: str | None = None


Progress = Callable[[ProgressEvent], None]
