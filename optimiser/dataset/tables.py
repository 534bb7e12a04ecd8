"""Reading the raw tables of a dataset: CSV files in a folder, or sheets of one XLSX workbook.

Every cell comes back as a stripped string (blank = ``""``) with the row number a person sees in
a spreadsheet: the header is row 1, the first data row is row 2.

Reading is bounded whatever a file declares: at most :data:`MAX_ROWS` data rows and
:data:`MAX_COLUMNS` columns per table, :data:`MAX_CELL_CHARS` characters per cell, and a
workbook of at most :data:`MAX_WORKBOOK_XML_BYTES` once unzipped. Workbooks are read in streaming
mode with explicit column bounds, so a sheet declaring ``A1:XFD1048576`` costs no more than its
real cells. A file over a cap is refused with a problem naming the file or sheet.

A text cell this project writes that a spreadsheet would run as a formula (``=...``, ``+...``,
``-...``, ``@...``) is written with a leading ``'`` (:func:`formula_safe`); read back, a cell of
``'`` followed by one of those characters loses the ``'``, so such files round-trip unchanged.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from optimiser.domain.errors import InputProblem

TABLES = ("pupils", "schools", "fleet")
MAX_ROWS = 100_000  # data rows of one table (a county has a few thousand pupils)
MAX_COLUMNS = 100  # columns of one table (the widest, pupils, has 19)
MAX_CELL_CHARS = 5_000  # characters of one cell (notes are a few lines)
MAX_WORKBOOK_XML_BYTES = 256 * 1024 * 1024  # a workbook's parts once unzipped
#: A cell starting with one of these is a formula to Excel and LibreOffice.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def formula_safe(value: Any) -> Any:
    """``value`` for a CSV cell: text a spreadsheet would run gets a leading ``'``; numbers, and
    signed numbers written as text (``-2.5``), stay as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


@dataclass(frozen=True)
class Table:
    """One table: where it came from, its header, and its rows."""

    file: str  # what a person calls it: "pupils.csv" or "council.xlsx[pupils]"
    columns: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]  # (row number, column -> cell)
    problems: tuple[InputProblem, ...] = ()  # caps the file broke (then rows may be partial)


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
    text = str(value).strip()
    if text[:1] == "'" and text[1:2] in ("=", "+", "-", "@"):
        return text[1:]  # written by formula_safe: the text as it was
    return text


def _blank(values: Sequence[object]) -> bool:
    # count() runs in C: a sheet padded with a million empty rows is skipped quickly
    return values.count(None) + values.count("") == len(values)


def _bounded(
    file: str, lines: Iterable[tuple[int, Sequence[object]]]
) -> tuple[list[object], list[tuple[int, list[object]]], list[InputProblem]]:
    """The header and the non-blank rows of ``(row number, values)`` lines, within the caps.

    Stops at the first non-blank row past :data:`MAX_ROWS`; reports a row wider than
    :data:`MAX_COLUMNS` (once) and each cell longer than :data:`MAX_CELL_CHARS`.
    """
    header: list[object] | None = None
    body: list[tuple[int, list[object]]] = []
    problems: list[InputProblem] = []
    too_wide = False
    for number, values in lines:
        if header is not None and _blank(values):
            continue
        if len(values) > MAX_COLUMNS and not _blank(values[MAX_COLUMNS:]):
            if not too_wide:
                problems.append(
                    InputProblem(
                        file, number, None, f"has more than {MAX_COLUMNS:,} columns: too wide"
                    )
                )
            too_wide = True
        values = list(values[:MAX_COLUMNS])
        for i, value in enumerate(values):
            if isinstance(value, str) and len(value) > MAX_CELL_CHARS:
                problems.append(
                    InputProblem(
                        file,
                        number,
                        _clean_header(header[i]) if header and i < len(header) else None,
                        f"a cell of {len(value):,} characters: at most {MAX_CELL_CHARS:,}",
                    )
                )
                values[i] = ""
        if header is None:
            header = values
            continue
        if len(body) >= MAX_ROWS:
            problems.append(
                InputProblem(file, number, None, f"has more than {MAX_ROWS:,} rows: too long")
            )
            break
        body.append((number, values))
    return header or [], body, problems


def _table(
    file: str,
    header: list[object],
    body: list[tuple[int, list[object]]],
    problems: Iterable[InputProblem] = (),
) -> Table:
    columns = tuple(_clean_header(h) for h in header)
    rows = []
    for number, values in body:
        cells = [_cell(v) for v in values]
        if not any(cells):
            continue  # blank lines are not rows
        cells += [""] * (len(columns) - len(cells))
        rows.append((number, {c: cells[i] for i, c in enumerate(columns) if c}))
    return Table(
        file=file,
        columns=tuple(c for c in columns if c),
        rows=tuple(rows),
        problems=tuple(problems),
    )


def _csv_lines(text: str) -> Iterator[tuple[int, list[str]]]:
    yield from enumerate(csv.reader(io.StringIO(text)), start=1)


def read_csv_text(file: str, text: str) -> Table:
    """Parse CSV text (as uploaded or read from disk) into a :class:`Table`, within the caps."""
    header, body, problems = _bounded(file, _csv_lines(text))
    if not header:
        return Table(file=file, columns=(), rows=(), problems=tuple(problems))
    return _table(file, header, body, problems)


def read_csv(path: Path) -> Table:
    # utf-8-sig strips the byte-order mark Excel writes at the start of "CSV UTF-8" files.
    return read_csv_text(path.name, path.read_text(encoding="utf-8-sig"))


def _unzipped_size(source: Path | bytes) -> int:
    """What a workbook's parts take once unzipped, as its zip directory declares."""
    with zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source) as archive:
        return sum(info.file_size for info in archive.infolist())


def _sheet_lines(sheet: Any) -> Iterator[tuple[int, tuple[object, ...]]]:  # openpyxl: untyped
    """A read-only sheet's rows within explicit bounds (the header, the row cap and one row more;
    one column past the cap), whatever its declared dimension says: a far corner cell cannot make
    the reader pad a million rows of sixteen thousand cells."""
    first = sheet.min_row or 1
    rows = sheet.iter_rows(
        min_row=first, max_row=first + MAX_ROWS + 1, max_col=MAX_COLUMNS + 1, values_only=True
    )
    for offset, values in enumerate(rows):
        yield first + offset, values


def _declared_extent(sheet: Any, file: str) -> list[InputProblem]:
    """A problem when a sheet's declared used range is past the caps (its cells there are never
    read, so they would be lost without a word)."""
    from openpyxl.utils import get_column_letter

    first = sheet.min_row or 1
    last_row, last_column = sheet.max_row or 0, sheet.max_column or 0
    if last_row - first <= MAX_ROWS and last_column <= MAX_COLUMNS:
        return []
    used = f"A{first}:{get_column_letter(min(max(last_column, 1), 18_278))}{last_row}"
    message = (
        f"the sheet's used range is {used} ({last_row - first + 1:,} rows, {last_column:,} "
        f"columns): at most {MAX_ROWS:,} rows and {MAX_COLUMNS:,} columns are read. Delete the "
        "rows and columns past the data and save the workbook again"
    )
    return [InputProblem(file, None, None, message)]


def read_workbook(
    path_or_bytes: Path | bytes, name: str
) -> tuple[dict[str, Table], list[InputProblem]]:
    """Read the ``pupils``, ``schools``, ``fleet`` (and optional ``settings``) sheets.

    Sheets are streamed (read-only mode) with explicit column bounds and the row cap, and a
    workbook bigger than :data:`MAX_WORKBOOK_XML_BYTES` unzipped is refused before parsing.
    """
    from openpyxl import load_workbook

    problems: list[InputProblem] = []
    try:
        size = _unzipped_size(path_or_bytes)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        return {}, [InputProblem(name, None, None, f"cannot read the workbook: {exc}")]
    if size > MAX_WORKBOOK_XML_BYTES:
        message = (
            f"the workbook unzips to {size:,} bytes, over the limit of "
            f"{MAX_WORKBOOK_XML_BYTES:,}: save the sheets as CSV files, or remove unused sheets"
        )
        return {}, [InputProblem(name, None, None, message)]
    try:
        source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        return {}, [InputProblem(name, None, None, f"cannot read the workbook: {exc}")]
    try:
        sheets = {s.strip().lower(): s for s in book.sheetnames}
        tables: dict[str, Table] = {}
        for wanted in (*TABLES, "settings"):
            if wanted not in sheets:
                if wanted != "settings":
                    problems.append(
                        InputProblem(name, None, None, f"the workbook has no sheet '{wanted}'")
                    )
                continue
            file = f"{name}[{wanted}]"
            sheet = book[sheets[wanted]]
            header, body, capped = _bounded(file, _sheet_lines(sheet))
            tables[wanted] = _table(file, header, body, _declared_extent(sheet, file) + capped)
    except Exception as exc:  # a damaged sheet part: openpyxl raises many types
        return {}, [InputProblem(name, None, None, f"cannot read the workbook: {exc}")]
    finally:
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
        size = _unzipped_size(path_or_bytes)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(
            [InputProblem(name, None, None, f"cannot read the workbook: {exc}")]
        ) from None
    if size > MAX_WORKBOOK_XML_BYTES:
        message = (
            f"the workbook unzips to {size:,} bytes, over the limit of "
            f"{MAX_WORKBOOK_XML_BYTES:,}: save the sheet as a CSV file, or remove unused sheets"
        )
        raise InputError([InputProblem(name, None, None, message)])
    try:
        source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
        book = load_workbook(source, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged file
        raise InputError(
            [InputProblem(name, None, None, f"cannot read the workbook: {exc}")]
        ) from None
    try:
        sheets = {s.strip().lower(): s for s in book.sheetnames}
        chosen = sheets.get(sheet.lower(), book.sheetnames[0])
        file = f"{name}[{chosen}]"
        # Streamed within the caps, as read_workbook reads a dataset's sheets.
        header, body, capped = _bounded(file, _sheet_lines(book[chosen]))
        problems = _declared_extent(book[chosen], file) + capped
    except Exception as exc:  # a damaged sheet part: openpyxl raises many types
        raise InputError(
            [InputProblem(name, None, None, f"cannot read the workbook: {exc}")]
        ) from None
    finally:
        book.close()
    if not header:
        return Table(file=file, columns=(), rows=(), problems=tuple(problems))
    return _table(file, header, body, problems)
