"""The columns of a residents table: Zensus 2022 grid columns, inhabitant and child counts, age bands."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo._errors import Report
from geo.ingest.age_bands import CHILDREN_BAND, Band, children_parts, find_age_columns
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
TARGETS: Final[tuple[str, ...]] = (settings.INHABITANTS, settings.CHILDREN, settings.BIRTHS, X, Y, CRS_COLUMN)
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
        Target (``inhabitants``, ``children``, ``births``, ``x``, ``y``, ``crs``) → the file's column.
    ages
        Further age-band columns → :class:`~geo.ingest.age_bands.Band` (see :mod:`geo.ingest.age_bands`).
    children_from
        Without a children's column: the age-band columns that split 0 to under 18, summed into ``children``.
    grid
        The Zensus grid's resolution (``"100m"``, ``"1km"``, or another the upload is refused for), else ``None``.
    cell_id
        The Zensus cell id column (``GITTER_ID_100m``), if any.
    flags
        The Zensus flag column (``werterlaeuternde_Zeichen``), if any.
    """

    roles: dict[str, str] = field(default_factory=dict)
    ages: dict[str, Band] = field(default_factory=dict)
    children_from: list[str] = field(default_factory=list)
    grid: str | None = None
    cell_id: str | None = None
    flags: str | None = None


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
    columns: pd.Index, column_map: Mapping[str, str] | None, report: Report, *, header_row: int = 1
) -> ResidentColumns:
    """Find the columns of a residents table (Zensus grid or address/block points) by their usual names.

    Counts by the names the indicator tables use ("Einwohner", "EW", "Kinder", …) and the Zensus' ("Einwohner",
    "Insgesamt_Bevoelkerung"); children also from an age band 0 to under 18 ("Unter18", "Kinder 0-17"), else as
    the sum of bands that split it; coordinates as for offers, or the Zensus' ``x_mp_100m``/``y_mp_100m``; every
    other column naming an age band is kept as one (:mod:`geo.ingest.age_bands`), births ("Geburten") as births.
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
    _age_columns(found, columns, used, report, header_row)
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


def _age_columns(found: ResidentColumns, columns: pd.Index, used: set[str], report: Report, header_row: int) -> None:
    """Age-band and births columns: 0 to under 18 is the children's count (unless one was found), the others kept.

    Without a children's count, bands that split 0 to under 18 ("0-2", "3-5", "6-9", "10-17") give it.
    """
    ages = find_age_columns(columns, report, used=used, header_row=header_row)
    for column, band in ages.bands.items():
        if (band.low, band.high) == CHILDREN_BAND and settings.CHILDREN not in found.roles:
            found.roles[settings.CHILDREN] = column
        else:
            found.ages[column] = band
        used.add(column)
    if ages.births is not None and settings.BIRTHS not in found.roles:
        found.roles[settings.BIRTHS] = ages.births
        used.add(ages.births)
    if settings.CHILDREN not in found.roles:
        found.children_from = children_parts(found.ages) or []


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
