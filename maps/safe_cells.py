"""Cells that spreadsheets read as data, never as formulas.

A CSV cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel and LibreOffice (``=HYPERLINK(...)``, ``=cmd|...``, ``@SUM(...)``), so a pupil's note or a
school's name could run as one when an operator opens the file. Text cells get a leading ``'``;
numbers stay numbers (a signed number written as text, ``-2.5``, too). In a workbook a text cell
is stored as a string, never as a formula.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from optimiser.dataset.tables import FORMULA_STARTS, formula_safe

__all__ = ["FORMULA_STARTS", "append_row", "csv_cell", "csv_row", "csv_text", "set_text_or_number"]


def csv_cell(value: Any) -> Any:
    """``value`` for a CSV writer: text that a spreadsheet would run is prefixed with ``'``
    (:func:`optimiser.dataset.tables.formula_safe`, which the readers undo)."""
    return formula_safe(value)


def csv_text(text: str) -> str:
    """CSV ``text`` made elsewhere (a re-plan's stored changes, a comparison) with every cell
    through :func:`csv_cell`, ready to download."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerows([csv_cell(cell) for cell in row] for row in csv.reader(io.StringIO(text)))
    return out.getvalue()


def csv_row(row: dict[str, Any]) -> dict[str, Any]:
    """Every cell of a ``csv.DictWriter`` row through :func:`csv_cell`."""
    return {key: csv_cell(value) for key, value in row.items()}


def set_text_or_number(cell: Any, value: Any) -> Any:
    """Put ``value`` in an openpyxl cell; text stays a string even when it starts with ``=``."""
    cell.value = value
    if isinstance(value, str):
        cell.data_type = "s"  # openpyxl would otherwise store "=..." as a live formula
    return cell


def append_row(sheet: Any, values: list[Any]) -> None:
    """``sheet.append(values)``, every text cell kept as text (:func:`set_text_or_number`)."""
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet.cell(1, 1).value is not None else 1
    for column, value in enumerate(values, start=1):
        set_text_or_number(sheet.cell(row=row, column=column), value)
