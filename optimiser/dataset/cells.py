"""Reading the cells of one table: text, numbers, yes/no, times of day and places.

A :class:`RowReader` turns cells into values and collects a
:class:`~optimiser.domain.errors.InputProblem` (file, row, column, message) for each bad one instead
of stopping at the first, so loading a dataset reports every problem at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation

from optimiser.dataset import geocode
from optimiser.dataset.tables import Table
from optimiser.domain.entities import Location
from optimiser.domain.errors import InputProblem
from optimiser.domain.times import parse_hms

TRUE = {"yes", "y", "true", "1"}
FALSE = {"no", "n", "false", "0", ""}


class RowReader:
    """Parses the cells of one table, collecting problems instead of stopping at the first."""

    def __init__(
        self, table: Table, problems: list[InputProblem], places: Mapping[str, Location | None]
    ):
        self.table = table
        self.problems = problems
        self.places = places

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(InputProblem(self.table.file, row, column, message))

    def text(self, row: int, cells: dict[str, str], column: str, *, required: bool = False) -> str:
        value = cells.get(column, "")
        if required and not value:
            self.problem(row, column, "is empty; a value is required")
        return value

    def boolean(self, row: int, cells: dict[str, str], column: str) -> bool:
        value = cells.get(column, "").strip().lower()
        if value in TRUE:
            return True
        if value not in FALSE:
            self.problem(
                row, column, f"'{cells[column]}' is not yes/no (yes, no, true, false, 1, 0)"
            )
        return False

    def number(
        self,
        row: int,
        cells: dict[str, str],
        column: str,
        *,
        required: bool = False,
        integer: bool = False,
        minimum: float | None = None,
        maximum: float | None = None,
    ) -> Decimal | None:
        raw = cells.get(column, "").replace("£", "").replace(",", "").strip()
        if not raw:
            if required:
                self.problem(row, column, "is empty; a number is required")
            return None
        try:
            value = Decimal(raw)
            if not value.is_finite():
                raise InvalidOperation
        except InvalidOperation:
            kind = "a whole number" if integer else "a number"
            self.problem(row, column, f"'{cells[column]}' is not {kind}")
            return None
        if integer and value != value.to_integral_value():
            self.problem(row, column, f"'{cells[column]}' is not a whole number")
            return None
        if minimum is not None and value < minimum:
            self.problem(row, column, f"{raw} is below the minimum {minimum}")
            return None
        if maximum is not None and value > maximum:
            self.problem(row, column, f"{raw} is above the maximum {maximum}")
            return None
        return value

    def time_of_day(self, row: int, cells: dict[str, str], column: str) -> int | None:
        raw = cells.get(column, "")
        if not raw:
            self.problem(row, column, "is empty; a time HH:MM is required")
            return None
        try:
            return parse_hms(raw)
        except ValueError:
            self.problem(row, column, f"'{raw}' is not a time HH:MM")
            return None

    def location(
        self, row: int, cells: dict[str, str], lat_col: str, lon_col: str, postcode_col: str
    ) -> tuple[Location | None, str | None, bool]:
        """Coordinates from explicit lat/lon (which win) or the postcode.

        Returns (location, normalised postcode, given) where ``given`` says whether any of the
        three columns held something; a missing location is reported by the caller when needed.
        """
        lat_raw, lon_raw = cells.get(lat_col, ""), cells.get(lon_col, "")
        postcode_raw = cells.get(postcode_col, "")
        postcode = geocode.normalise_postcode(postcode_raw) if postcode_raw else None
        if lat_raw or lon_raw:
            lat = self.number(row, cells, lat_col, required=True, minimum=-90, maximum=90)
            lon = self.number(row, cells, lon_col, required=True, minimum=-180, maximum=180)
            if lat is None or lon is None:
                return None, postcode, True
            return Location(float(lat), float(lon)), postcode, True
        if not postcode_raw:
            return None, None, False
        if postcode is None:
            self.problem(row, postcode_col, f"'{postcode_raw}' is not a UK postcode")
            return None, None, True
        place = self.places.get(postcode)
        if place is None:
            self.problem(
                row, postcode_col, f"postcode '{postcode}' is not in the postcode directory"
            )
        return place, postcode, True
