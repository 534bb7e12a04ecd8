"""Money as text: the one way every output writes an amount in pence as pounds."""

from __future__ import annotations


def format_pounds(pence: int | float, *, decimals: int = 2, minus: str = "-") -> str:
    """``£1,234.50`` from pence, with thousands separators.

    Parameters
    ----------
    pence : int or float
        The amount in pence.
    decimals : int, optional
        Places after the point: 2 for pence, 0 for whole pounds (yearly figures).
    minus : str, optional
        The sign put before ``£`` for a negative amount (the web pages use U+2212).

    Returns
    -------
    str
        For example ``£1,234.50``, ``-£12.00`` or, with ``decimals=0``, ``£1,235``.
    """
    sign = minus if pence < 0 else ""
    return f"{sign}£{abs(pence) / 100:,.{decimals}f}"


def pence_from_pounds(pounds: float) -> int:
    """Pence from an amount in pounds as written in plan.json (two decimals)."""
    return int(round(pounds * 100))
