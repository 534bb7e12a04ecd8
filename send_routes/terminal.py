"""What the command line prints with: consoles that stay plain off a terminal, and the progress
of a run as a bar (on a terminal) or as lines (in a log)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from rich.console import Console, ConsoleDimensions
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn

from optimiser.domain.money import format_pounds
from optimiser.solver.progress import ProgressEvent

# Off a terminal no line is wrapped: a log or a pipe gets each line whole.
PLAIN_WIDTH = 1000
# Off a terminal, a line for each better plan at most this often (each phase always has one).
LINE_EVERY_S = 2.0
# Off a terminal, a line at least this often while a run goes on, better plan or not: a search
# that finds nothing better for minutes (the same crew both ways priced against the other
# session) still shows in a log that it runs, and how far it has come.
QUIET_LINE_S = 60.0


class Output(Console):
    """A Rich console that never highlights (a money figure is never split by colours) and, off
    a terminal, never wraps a line nor narrows a table to 80 columns."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("highlight", False)
        super().__init__(**kwargs)

    @property
    def size(self) -> ConsoleDimensions:
        size = Console.size.fget(self)  # type: ignore[attr-defined]
        return size if self.is_terminal else ConsoleDimensions(PLAIN_WIDTH, size.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


def by_file_and_row(problems: list[Any]) -> list[Any]:
    """Input problems by file, then row (a file's own problems first), in the order found
    within a row; anything without a file (a plan's problems, as text) keeps its order."""
    if not all(hasattr(p, "file") and hasattr(p, "row") for p in problems):
        return list(problems)
    return sorted(problems, key=lambda p: (p.file, p.row or 0))


def describe(event: ProgressEvent) -> str:
    """A run's state in words: the money of the best plans so far (no penalties), the journeys
    they leave out, and the time so far of the whole expected."""
    parts = []
    if event.total_cost is not None:  # millipence
        parts.append(f"{format_pounds(event.total_cost / 1000)} a day so far")
    if event.total_unplaced:
        n = event.total_unplaced
        parts.append(f"{n} journey{'s' if n != 1 else ''} not yet placed")
    if event.wall_s is not None and event.phase == "done":
        parts.append(f"{event.wall_s:.0f} s in all")
    elif event.wall_s is not None and event.estimate_s is not None:
        parts.append(f"{event.wall_s:.0f} s of about {event.estimate_s:.0f} s")
    return ", ".join(parts)


class ProgressDisplay:
    """Shows a run's :class:`ProgressEvent` stream: a bar with the phase on a terminal, else a
    line per phase and per better plan (at most every ``LINE_EVERY_S``), and one at least every
    ``QUIET_LINE_S`` while the run goes on."""

    def __init__(self, console: Console, clock: Callable[[], float] = time.monotonic) -> None:
        self.console = console
        self.clock = clock
        self.bar: Progress | None = None
        self.task: Any = None
        self.phase: str | None = None
        self.best: tuple[int | None, int | None] = (None, None)
        self.last_line = clock()
        if console.is_terminal:
            self.bar = Progress(
                TextColumn("{task.description:<13}"),
                BarColumn(),
                TaskProgressColumn(),
                TextColumn("{task.fields[detail]}"),
                console=console,
            )
            self.task = self.bar.add_task("load", total=100, detail="")
            self.bar.start()

    def __call__(self, event: ProgressEvent) -> None:
        percent = 100 * (event.fraction or 0.0)
        if self.bar is not None:
            self.bar.update(
                self.task, completed=percent, description=event.phase, detail=describe(event)
            )
            if event.phase == "done":
                self.close()
            return
        best = (event.total_unplaced, event.total_cost)
        now = self.clock()
        changed = event.phase != self.phase
        better = best != self.best and now - self.last_line >= LINE_EVERY_S
        quiet = now - self.last_line >= QUIET_LINE_S
        self.phase, self.best = event.phase, best
        if changed or better or quiet:
            self.last_line = now
            detail = describe(event)
            self.console.print(
                f"{percent:3.0f}%  {event.phase}" + (f": {detail}" if detail else ""),
                markup=False,
            )

    def close(self) -> None:
        """Stop the bar (it stays on screen at its last state)."""
        if self.bar is not None:
            self.bar.stop()
            self.bar = None
