"""The project's small error hierarchy.

The CLI turns each of these into one clear line per problem; the API maps them to status codes
(``InputError`` -> 422, ``UnreachableLocationError`` -> 422, ``InfeasibleError`` -> 409).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class InputProblem:
    """One problem found in an input file.

    ``row`` is the 1-based line number in a CSV file (the header is row 1, so the first data row
    is row 2), or the spreadsheet row in a workbook. ``None`` where the problem is not about a row.
    """

    file: str
    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column:
            where += f", column '{self.column}'"
        return f"{where}: {self.message}"


class SendRoutesError(Exception):
    """Base class of every error this project raises on purpose."""


class InputError(SendRoutesError):
    """Input data is wrong. Carries every problem found, not just the first."""

    def __init__(self, problems: list[InputProblem]) -> None:
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} in the input"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class UnreachableLocationError(SendRoutesError):
    """Some points cannot be reached by road from others (names who is affected)."""

    def __init__(self, message: str, affected: list[str] | None = None) -> None:
        self.affected = list(affected or [])
        super().__init__(message)


class InfeasibleError(SendRoutesError):
    """A problem that cannot be solved at all (as opposed to pupils that cannot be placed)."""


class PlanFormatError(SendRoutesError):
    """A plan file that does not follow the documented format."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("plan file is not valid:\n" + "\n".join(f"  - {p}" for p in problems))
