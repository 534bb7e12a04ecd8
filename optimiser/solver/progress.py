"""What a run reports while it works: one model of progress for the command line and the web.

The solver emits a :class:`ProgressEvent` for each plan it finds; the planner, the command line
and the API job pass every stage of a run through one :class:`ProgressTracker`, which names the
phase (:data:`PHASES`), keeps one overall fraction that never goes backwards, estimates the
whole run's time from the search budgets and each phase's own, and adds up the best plan of
every session so far: its cost without the placement penalty and the journeys not yet placed.

No ``ortools`` import here. An event is a frozen dataclass of plain values, so it pickles across
the planner's process queue.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, replace

# The phases of a run, in order; "done" closes it (fraction 1).
PHASES = ("load", "roads", "model", "first routes", "improving", "checking", "writing", "done")
FIRST_ROUTES, IMPROVING = "first routes", "improving"
# Seconds expected of the phases no budget says anything about, before the caller says more.
DEFAULT_BUDGET_S = {
    "load": 1.0,
    "roads": 5.0,
    "model": 1.0,
    FIRST_ROUTES: 1.0,
    IMPROVING: 10.0,
    "checking": 2.0,
    "writing": 5.0,
    "done": 0.0,
}
# A phase running over its budget is still expected to take this share of what it has run.
OVERRUN_SHARE = 0.1
# The most a run reports before it is done: the bar shows 100% only once it is.
MAX_BEFORE_DONE = 0.99
HEARTBEAT_S = 1.0


@dataclass(frozen=True)
class ProgressEvent:
    """A plan the search has just found, or a step of a whole run.

    Attributes
    ----------
    problem : str
        The routing problem's name ("" for a step that is not a search's).
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
    penalty : int
        The part of ``objective`` that is the placement penalty of the requests left out.
    unplaced : int
        Requests this plan leaves out (the planner counts journeys: one per pupil and session).
    dropped : tuple of int
        The requests this plan leaves out (the planner turns them into journeys and drops them).
    phase : str
        One of :data:`PHASES`: the solver says "first routes" for its first plan and
        "improving" after; the tracker says the run's phase, which never goes back.
    fraction : float or None
        The whole run's share done, 0 to 1, never less than before (the tracker fills it in).
    wall_s, estimate_s : float or None
        Seconds since the run began, and the run's whole expected time (the tracker).
    total_cost : int or None
        The best plan so far of every session, added up, without placement penalties (the
        tracker; None before any plan).
    total_unplaced : int or None
        Journeys (requests outside the planner) that no plan so far places: every one of a
        session with no plan yet (the tracker).
    """

    problem: str
    solutions: int
    objective: int
    elapsed_s: float
    build_s: float
    session: str | None = None
    penalty: int = 0
    unplaced: int = 0
    dropped: tuple[int, ...] = ()
    phase: str = IMPROVING
    fraction: float | None = None
    wall_s: float | None = None
    estimate_s: float | None = None
    total_cost: int | None = None
    total_unplaced: int | None = None

    @property
    def cost(self) -> int:
        """The objective without the placement penalty of the requests left out."""
        return self.objective - self.penalty


Progress = Callable[[ProgressEvent], None]


class ProgressTracker:
    """One run's progress: phases in order, a fraction that never falls, an estimate of the
    whole time, and the best plan of each problem so far.

    Call it with the solver's events (it is a :data:`Progress`); call :meth:`enter` as the run
    moves on to a phase, :meth:`budget` when a phase's expected time is known, :meth:`expect`
    for each problem before its search, :meth:`tick` while waiting (:meth:`report` to report
    at once), and :meth:`finish` at the end. Each call hands ``sink`` an event with the run's
    fraction, phase and totals.
    """

    def __init__(self, sink: Progress | None, clock: Callable[[], float] = time.monotonic) -> None:
        self.sink = sink
        self.clock = clock
        self.started = clock()
        self.budgets = dict(DEFAULT_BUDGET_S)
        self.spent: dict[str, float] = {}
        self.phase = PHASES[0]
        self.phase_started = self.started
        self.fraction = 0.0
        self.solutions = 0
        self.journeys: dict[tuple[str, str], int] = {}
        self.best: dict[tuple[str, str], tuple[int, int]] = {}  # (unplaced, cost) of a problem
        self.last_sent = self.started

    # what the run says
    def budget(self, phase: str, seconds: float) -> None:
        """Expect ``phase`` to take ``seconds`` (in all, counting any time it has run)."""
        self.budgets[phase] = max(0.0, seconds)

    def add_budget(self, phase: str, seconds: float) -> None:
        """Expect ``phase`` to take ``seconds`` more than it was expected to."""
        self.budgets[phase] = self.budgets.get(phase, 0.0) + max(0.0, seconds)

    def expect(self, session: str, problem: str, journeys: int) -> None:
        """A problem of ``journeys`` requests will be searched: all of them unplaced until its
        first plan."""
        self.journeys[(session, problem)] = journeys

    def enter(self, phase: str) -> None:
        """Move on to ``phase`` (a phase before the current one is ignored: phases never go
        back) and report it."""
        if PHASES.index(phase) <= PHASES.index(self.phase):
            return
        now = self.clock()
        self.spent[self.phase] = now - self.phase_started
        for skipped in PHASES[PHASES.index(self.phase) + 1 : PHASES.index(phase)]:
            self.spent[skipped] = 0.0
        if self.phase == FIRST_ROUTES and phase == IMPROVING:
            # One search budget covers both: what the first routes did not use goes on.
            left = self.budgets[FIRST_ROUTES] - self.spent[FIRST_ROUTES]
            self.budgets[IMPROVING] = max(0.0, self.budgets[IMPROVING] + left)
        self.phase, self.phase_started = phase, now
        self.report()

    def __call__(self, event: ProgressEvent) -> None:
        """A solver's event: keep its problem's best plan, and report it with the run's state."""
        key = (event.session or "", event.problem)
        found = (event.unplaced, event.cost)
        if key not in self.best or found < self.best[key]:
            self.best[key] = found
        self.solutions += 1
        if event.phase in PHASES:
            self.enter(event.phase)
        self._send(event)

    def tick(self) -> None:
        """Report the run's state again if nothing has been reported for a second."""
        if self.clock() - self.last_sent >= HEARTBEAT_S:
            self.report()

    def report(self) -> None:
        """Report the run's state now (say, once the budgets ahead are known)."""
        self._send(ProgressEvent("", self.solutions, 0, 0.0, 0.0))

    def finish(self) -> None:
        """The run is over: report it done (fraction 1)."""
        self.enter("done")

    # what the run reports
    def estimate_s(self) -> float:
        """The whole run's expected seconds: the time so far, what is left of the current
        phase's budget (a share of its time so far once over it), and every later budget."""
        now = self.clock()
        running = now - self.phase_started
        budget = self.budgets.get(self.phase, 0.0)
        left = max(budget - running, OVERRUN_SHARE * max(budget, running))
        later = PHASES[PHASES.index(self.phase) + 1 :]
        if self.phase == FIRST_ROUTES:  # the first plan's time comes out of the search's
            later = tuple(p for p in later if p != IMPROVING)
            left = max(left, budget + self.budgets.get(IMPROVING, 0.0) - running)
        return now - self.started + left + sum(self.budgets.get(p, 0.0) for p in later)

    def totals(self) -> tuple[int | None, int | None]:
        """The best plans' cost without penalties, and the journeys they leave out (all of a
        problem's before it has a plan)."""
        costs = [cost for _, cost in self.best.values()]
        unplaced = sum(
            self.best[key][0] if key in self.best else n for key, n in self.journeys.items()
        )
        unplaced += sum(u for key, (u, _) in self.best.items() if key not in self.journeys)
        if not costs and not self.journeys:
            return None, None
        return (sum(costs) if costs else None), unplaced

    def _send(self, event: ProgressEvent) -> None:
        now = self.clock()
        estimate = self.estimate_s()
        if self.phase == "done":
            self.fraction = 1.0
        else:
            share = (now - self.started) / estimate if estimate > 0 else 0.0
            self.fraction = max(self.fraction, min(MAX_BEFORE_DONE, share))
        cost, unplaced = self.totals()
        self.last_sent = now
        if self.sink is not None:
            self.sink(
                replace(
                    event,
                    phase=self.phase,
                    fraction=round(self.fraction, 4),
                    wall_s=round(now - self.started, 1),
                    estimate_s=round(estimate, 1),
                    total_cost=cost,
                    total_unplaced=unplaced,
                )
            )
