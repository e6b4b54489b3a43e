"""The columns of a residents table: Zensus 2022 grid columns, inhabitant and child counts, age bands."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo._errors import Report
from geo.ingest.columns import (
    _COUNT_ALIASES,
    _COUNT_PREFIXES,
    _OFFER_ALIASES,
    CRS_COLUMN,
    X,
    Y,
    _find_column,
    _mapped_columns,
    _norm,
    detect_coordinate_columns,
)

#: CRS of the Zensus grid: cell centres ``x_mp_100m``/``y_mp_100m`` and cell ids are ETRS89-LAEA Europe.
ZENSUS_CRS: Final[str] = "EPSG:3035"
#: Grid resolutions an upload may have, in metres; a 10 km grid says nothing about walking distances.
ZENSUS_RESOLUTIONS: Final[dict[str, float]] = {"100m": 100.0, "1km": 1_000.0}
#: The Zensus' flag column (``werterlaeuternde_Zeichen``) and its flag for values of low reliability.
ZENSUS_FLAG_COLUMN: Final[str] = "werterlaeutern"
ZENSUS_LOW_RELIABILITY: Final[str] = "KLAMMERN"
#: Further names of a residents table's counts, beyond the indicator tables' (compared after ``_norm``):
#: the Zensus population tables ("Einwohner", and "Insgesamt_Bevoelkerung" in the age tables).
_INHABITANT_ALIASES: Final[tuple[str, ...]] = (
    *_COUNT_ALIASES[settings.INHABITANTS], "insgesamtbevoelkerung", "einwohnerinsgesamt", "personen",
    "anzahlpersonen", "anzahleinwohner",
)
_CHILD_ALIASES: Final[tuple[str, ...]] = (
    *_COUNT_ALIASES[settings.CHILDREN], "kinderunter18", "kinder017", "kinderu18", "anzahlkinderunter18",
)
#: ``column_map`` targets of a residents table.
TARGETS: Final[tuple[str, ...]] = (settings.INHABITANTS, settings.CHILDREN, X, Y, CRS_COLUMN)
_GRID_ID = re.compile(r"gitterid(\d+k?m)")
_GRID_X = re.compile(r"xmp(\d+k?m)")
_GRID_Y = re.compile(r"ymp(\d+k?m)")
#: The corner a Zensus cell id encodes: ``CRS3035RES100mN2689100E4337000`` → north 2689100, east 4337000.
CELL_ID_PATTERN: Final[str] = r"^CRS3035RES\d+mN(\d+)E(\d+)$"


@dataclass
class ResidentColumns:
    """Which column of a residents table holds what.

    Attributes
    ----------
    roles
        Target (``inhabitants``, ``children``, ``x``, ``y``, ``crs``) → the file's column.
    ages
        Further age-band columns → ``(from, to)`` in years (``to`` is ``None`` for "65 und älter").
    grid
        The Zensus grid's resolution (``"100m"``, ``"1km"``, or another the upload is refused for), else ``None``.
    cell_id
        The Zensus cell id column (``GITTER_ID_100m``), if any.
    flags
        The Zensus flag column (``werterlaeuternde_Zeichen``), if any.
    """

    roles: dict[str, str] = field(default_factory=dict)
    ages: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    grid: str | None = None
    cell_id: str | None = None
    flags: str | None = None


def _loose(name: object) -> str:
    """Lower case, umlauts spelled out, dashes read as "bis", only letters, digits and ``+`` kept."""
    text = unicodedata.normalize("NFC", str(name)).casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    text = re.sub(r"\s*[-–—]\s*", "bis", text)
    return re.sub(r"[^0-9a-z+]", "", text)


def age_band(name: object) -> tuple[int, int | None] | None:
    """The ages a count column covers, read from its name; ``None`` if the name names no age band.

    Understands the Zensus 2022 names (``Unter18``, ``a18bis29``, ``a65undaelter``, ``Unter10``, ``a10bis19``) and
    the usual German ones ("Unter 18", "18 bis unter 30", "6-9 Jahre", "65 und älter", "ab 80", "75+").

    Returns
    -------
    tuple or None
        ``(from, to)`` in whole years, both included; ``to`` is ``None`` for an open band.
    """
    text = re.sub(r"^(?:alter|age|einwohner|ew|personen|bevoelkerung|kinder)(?=\d|unter|ab)", "", _loose(name))
    text = re.sub(r"(?:jahren?|jaehrige)$", "", text)
    if match := re.fullmatch(r"(?:unter|u)(\d{1,3})", text):
        upper = int(match.group(1))
        return (0, upper - 1) if upper > 0 else None
    if match := re.fullmatch(r"a?(\d{1,3})bisunter(\d{1,3})", text):
        low, high = int(match.group(1)), int(match.group(2)) - 1
        return (low, high) if low <= high else None
    if match := re.fullmatch(r"a?(\d{1,3})bis(\d{1,3})", text):
        low, high = int(match.group(1)), int(match.group(2))
        return (low, high) if low <= high else None
    if match := re.fullmatch(r"(?:a|ab)?(\d{1,3})(?:undaelter|undmehr|undueber|plus|\+)|ab(\d{1,3})", text):
        return (int(match.group(1) or match.group(2)), None)
    return None


def age_column(band: tuple[int, int | None]) -> str:
    """Canonical name of an age-band column: ``age_18_29``, ``age_65_plus``."""
    low, high = band
    return f"age_{low}_plus" if high is None else f"age_{low}_{high}"


def age_label(band: tuple[int, int | None]) -> str:
    """German label of an age band: ``18–29``, ``65+``."""
    low, high = band
    return f"{low}+" if high is None else f"{low}–{high}"


def zensus_grid(columns: Iterable[object]) -> str | None:
    """The resolution of a Zensus grid table (``"100m"``, ``"1km"``, …) recognised by its columns, else ``None``.

    A table is a Zensus grid when it has the cell centre columns ``x_mp_<res>``/``y_mp_<res>`` or the cell id
    ``GITTER_ID_<res>``, in any case.
    """
    for column in columns:
        name = _norm(column)
        for pattern in (_GRID_ID, _GRID_X):
            if match := pattern.fullmatch(name):
                return match.group(1)
    return None


def find_resident_columns(
    columns: pd.Index, column_map: Mapping[str, str] | None, report: Report
) -> ResidentColumns:
    """Find the columns of a residents table (Zensus grid or address/block points) by their usual names.

    Counts by the names the indicator tables use ("Einwohner", "EW", "Kinder", …) and the Zensus' ("Einwohner",
    "Insgesamt_Bevoelkerung"); children also from an age band 0–17 ("Unter18", "Unter 18"); coordinates as for
    offers, or the Zensus' ``x_mp_100m``/``y_mp_100m``; every other column naming an age band is kept as one.
    """
    found = ResidentColumns(roles=_mapped_columns(columns, column_map, TARGETS, report))
    roles = found.roles
    used = set(roles.values())
    found.grid = zensus_grid(columns)
    if found.grid is not None:
        used |= _grid_columns(found, columns)
    elif X not in roles and Y not in roles:
        pair = detect_coordinate_columns(c for c in columns if c not in used)
        if pair:
            roles[X], roles[Y] = pair
            used.update(pair)
    for target, aliases in ((settings.INHABITANTS, _INHABITANT_ALIASES), (settings.CHILDREN, _CHILD_ALIASES),
                            (CRS_COLUMN, _OFFER_ALIASES[CRS_COLUMN])):
        if target not in roles and (column := _find_column(columns, aliases, used)) is not None:
            roles[target] = column
            used.add(column)
    _age_columns(found, columns, used)
    _counts_by_prefix(columns, roles, used)
    return found


def _grid_columns(found: ResidentColumns, columns: pd.Index) -> set[str]:
    """The Zensus columns of ``found.grid``'s resolution: cell centre, cell id, flags; returns those taken."""
    roles = found.roles
    for column in columns:
        name = _norm(column)
        if (match := _GRID_X.fullmatch(name)) and match.group(1) == found.grid and X not in roles:
            roles[X] = column
        elif (match := _GRID_Y.fullmatch(name)) and match.group(1) == found.grid and Y not in roles:
            roles[Y] = column
        elif (match := _GRID_ID.fullmatch(name)) and match.group(1) == found.grid:
            found.cell_id = column
        elif name.startswith(ZENSUS_FLAG_COLUMN):
            found.flags = column
    return {c for c in (roles.get(X), roles.get(Y), found.cell_id, found.flags) if c}


def _age_columns(found: ResidentColumns, columns: pd.Index, used: set[str]) -> None:
    """Columns naming an age band: 0–17 is the children's count (unless one was found), the others are kept."""
    for column in columns:
        band = None if column in used else age_band(column)
        if band is None:
            continue
        if band == (0, 17) and settings.CHILDREN not in found.roles:
            found.roles[settings.CHILDREN] = column
        else:
            found.ages[column] = band
        used.add(column)


def _counts_by_prefix(columns: pd.Index, roles: dict[str, str], used: set[str]) -> None:
    """Counts not found by name, by name start ("Einwohner gesamt", "Kinderzahl"), skipping shares and quotes."""
    for target, prefixes in _COUNT_PREFIXES.items():
        if target in roles:
            continue
        for column in columns:
            name = _norm(column)
            if column not in used and name.startswith(prefixes) and not any(
                    w in name for w in ("quote", "anteil", "prozent", "je", "dichte")):
                roles[target] = column
                used.add(column)
                break


def cell_corners(ids: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """East and north of each Zensus cell id's lower-left corner (NaN where the id is no cell id)."""
    parts = ids.astype("str").str.extract(CELL_ID_PATTERN)
    north = pd.to_numeric(parts[0], errors="coerce").to_numpy(dtype=float)
    east = pd.to_numeric(parts[1], errors="coerce").to_numpy(dtype=float)
    return east, north
