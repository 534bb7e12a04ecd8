"""The route sheets' fonts: DejaVu Sans embedded, with a per-character fallback for CJK.

DejaVu Sans (regular and bold) ships inside matplotlib (``mpl-data/fonts/ttf``), a dependency
already, so every installation has it with no system package: it covers Latin (Ł, Ș, Ŵ, Đ,
Vietnamese), Greek, Cyrillic, Armenian, Georgian, Hebrew and the Arabic letters. It has no
Chinese, Japanese or Korean characters; those are set, character by character, in a fallback
TrueType font when one is found: ``SEND_ROUTES_FALLBACK_FONT`` (a ``.ttf`` path) or Debian's
``fonts-droid-fallback``/``fonts-wqy-microhei``. Without one they print as empty boxes, and
:func:`missing_characters` names them so a caller can warn. Arabic letters are joined by
``arabic-reshaper`` (into the presentation forms DejaVu Sans has) and each right-to-left run is
reversed so it reads right to left; there is no full bidirectional layout or ligature shaping.
"""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import arabic_reshaper
import matplotlib
from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

REGULAR = "SheetSans"
BOLD = "SheetSans-Bold"
FALLBACK = "SheetFallback"
FALLBACK_CANDIDATES = (
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
)


def dejavu_dir() -> Path:
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _fallback_path() -> Path | None:
    wanted = os.environ.get("SEND_ROUTES_FALLBACK_FONT")
    for candidate in ([wanted] if wanted else []) + list(FALLBACK_CANDIDATES):
        if Path(candidate).is_file():
            return Path(candidate)
    return None


@cache
def register_fonts() -> bool:
    """Register the sheet fonts with reportlab (once); whether a CJK fallback font was found."""
    pdfmetrics.registerFont(TTFont(REGULAR, str(dejavu_dir() / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(dejavu_dir() / "DejaVuSans-Bold.ttf")))
    for bold in (0, 1):
        for italic in (0, 1):
            addMapping(REGULAR, bold, italic, BOLD if bold else REGULAR)
    path = _fallback_path()
    if path is None:
        return False
    try:
        pdfmetrics.registerFont(TTFont(FALLBACK, str(path), subfontIndex=0))
    except Exception:  # noqa: BLE001 - an unreadable fallback font leaves the boxes, not a crash
        return False
    return True


def _has(font: str, char: str) -> bool:
    face = pdfmetrics.getFont(font).face  # type: ignore[attr-defined]
    return ord(char) in face.charToGlyph


_RTL_RUN = re.compile(
    r"[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]+(?: +[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufeff]+)*"
)


def visual_order(text: str) -> str:
    """Arabic letters joined (their initial, medial and final forms), then runs of Hebrew or
    Arabic letters reversed, so they read right to left on the page.

    A simple stand-in for the bidirectional algorithm, enough for names: each run of
    right-to-left words keeps its place among left-to-right text.
    """
    if not _RTL_RUN.search(text):
        return text
    return _RTL_RUN.sub(lambda m: m[0][::-1], arabic_reshaper.reshape(text))


def markup(text: str) -> str:
    """``text`` as Paragraph markup: escaped, line breaks kept, CJK runs in the fallback font."""
    has_fallback = register_fonts()
    text = visual_order(text)
    out: list[str] = []
    run: list[str] = []
    in_fallback = False
    for char in text:
        wants = (
            has_fallback
            and char not in "\n\r\t "
            and not _has(REGULAR, char)
            and _has(FALLBACK, char)
        )
        if wants != in_fallback and run:
            out.append(_run("".join(run), in_fallback))
            run = []
        in_fallback = wants
        run.append(char)
    if run:
        out.append(_run("".join(run), in_fallback))
    return "".join(out).replace("\n", "<br/>")


def _run(text: str, fallback: bool) -> str:
    text = escape(text)
    return f'<font name="{FALLBACK}">{text}</font>' if fallback else text


def missing_characters(text: str) -> set[str]:
    """Characters of ``text`` that no registered sheet font can print."""
    has_fallback = register_fonts()
    return {
        c
        for c in set(text)
        if c.isprintable()
        and not c.isspace()
        and not _has(REGULAR, c)
        and not (has_fallback and _has(FALLBACK, c))
    }
