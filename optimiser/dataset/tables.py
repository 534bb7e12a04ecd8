"""Reading the raw tables of a dataset: CSV files in a folder, or sheets of one XLSX workbook.

Every cell comes back as a stripped string (blank = ``""``) with the row number a person sees in
a spreadsheet: the header is row 1, the first data row is row 2.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from optimiser.domain.errors import InputProblem

TABLES = ("pupils", "schools", "fleet")


@dataclass(frozen=True)
class Table:
    """One table: where it came from, its header, and its rows."""

    file: str  # what a person calls it: "pupils.csv" or "council.xlsx[pupils]"
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]  # (row number, column -> cell)


def _clean_header(name: object) -> str:
    return str(name if name is not None else "").strip().lower().lstrip("\ufeff")


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "strftime") and not isinstance(value, str):
        # A time typed into Excel arrives as datetime.time; keep HH:MM.
        return value.strftime("%H:%M")
    return str(value).strip()


def _table(file: str, header: list[object], body: list[tuple[int, list[object]]]) -> Table:
    columns = tuple(_clean_header(h) for h in header)
    rows = []
    for number, values in body:
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue  # blank lines are not rows
        cells += [""] * (len(columns) - len(cells))
        rows.append((number, {c: cells[i] for i, c in enumerate(columns) if c}))
    return Table(file=file, columns=tuple(c for c in columns if c), rows=tuple(rows))


def read_csv_text(file: str, text: str) -> Table:
    """Parse CSV text (as uploaded or read from disk) into a :class:`Table`."""
    reader = csv.reader(io.StringIO(text))
    lines = list(reader)
    if not lines:
        return Table(file=file, columns=(), rows=())
    return _table(file, list(lines[0]), [(i + 2, list(r)) for i, r in enumerate(lines[1:])])


def read_csv(path: Path) -> Table:
    # utf-8-sig strips the byte-order mark Excel writes at the start of "CSV UTF-8" files.
    return read_csv_text(path.name, path.read_text(encoding="utf-8-sig"))


def read_workbook(
    path_or_bytes: Path | bytes, name: str
) -> tuple[dict[str, Table], list[InputProblem]]:
    """Read the ``pupils``, ``schools``, ``fleet`` (and optional ``settings``) sheets."""
    from openpyxl import load_workbook

    problems: list[InputProblem] = []
    try:
        source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        return {}, [InputProblem(name, None, None, f"cannot read the workbook: {exc}")]
    sheets = {s.strip().lower(): s for s in book.sheetnames}
    tables: dict[str, Table] = {}
    for wanted in (*TABLES, "settings"):
        if wanted not in sheets:
            if wanted != "settings":
                problems.append(
                    InputProblem(name, None, None, f"the workbook has no sheet '{wanted}'")
                )
            continue
        sheet = book[sheets[wanted]]
        values = list(sheet.iter_rows(values_only=True))
        if not values:
            tables[wanted] = Table(file=f"{name}[{wanted}]", columns=(), rows=())
            continue
        body = [(i + 2, list(r)) for i, r in enumerate(values[1:])]
        tables[wanted] = _table(f"{name}[{wanted}]", list(values[0]), body)
    book.close()
    return tables, problems


def read_single_table(path_or_bytes: Path | bytes, name: str, sheet: str) -> Table:
    """One table from a CSV file, or from a workbook's sheet ``sheet`` (else its first sheet).

    ``name`` is what a person calls the file (``routes.csv``); a name ending ``.xlsx`` is read as
    a workbook. Raises :class:`~optimiser.domain.errors.InputError` when a workbook cannot be read.
    """
    from optimiser.domain.errors import InputError

    if not name.lower().endswith((".xlsx", ".xlsm")):
        if isinstance(path_or_bytes, bytes):
            return read_csv_text(name, path_or_bytes.decode("utf-8-sig"))
        return read_csv(path_or_bytes)
    from openpyxl import load_workbook

    try:
        source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputError(
            [InputProblem(name, None, None, f"cannot read the workbook: {exc}")]
        ) from None
    sheets = {s.strip().lower(): s for s in book.sheetnames}
    chosen = sheets.get(sheet.lower(), book.sheetnames[0])
    values = list(book[chosen].iter_rows(values_only=True))
    book.close()
    if not values:
        return Table(file=f"{name}[{chosen}]", columns=(), rows=())
    body = [(i + 2, list(r)) for i, r in enumerate(values[1:])]
    return _table(f"{name}[{chosen}]", list(values[0]), body)
