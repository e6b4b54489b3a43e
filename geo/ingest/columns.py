"""Column aliases and detection, and the small text helpers every validator shares (names, row lists)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo._errors import Report
from geo.io import EXCEL_ROW, parse_number

#: ``column_map`` targets for the coordinate columns of an offers table.
X: Final[str] = "x"
Y: Final[str] = "y"
#: Further ``column_map`` targets of an offers table: address parts joined into ``address``, and a CRS column.
STREET, HOUSE_NUMBER, POSTCODE, CITY, CRS_COLUMN = "street", "house_number", "postcode", "city", "crs"
#: How official statistics mark a value that is missing, secret or not applicable (compared without spaces).
STATISTICAL_GAPS: Final[frozenset[str]] = frozenset(
    {"-", "–", "—", ".", "x", "/", "…", "...", "k.a.", "ka", "n.v.", "nv", "n/a", "na"}
)
#: Numbers official tables write for "no value" (``-9999``, ``-999``, ``-1``): read as missing where a value cannot
#: be negative (counts, percentages, shares, rates), so never reported as a wrong value. Other negatives stay errors.
NO_DATA_NUMBERS: Final[frozenset[float]] = frozenset({-9999.0, -999.0, -1.0})

# Column aliases, compared after :func:`_norm` (lower case, umlauts spelled out, only letters and digits).
COORDINATE_PAIRS: Final[tuple[tuple[str, str], ...]] = (
    ("lon", "lat"),
    ("lng", "lat"),
    ("long", "lat"),
    ("longitude", "latitude"),
    ("laenge", "breite"),
    ("laengengrad", "breitengrad"),
    ("geogrlaenge", "geogrbreite"),
    ("x", "y"),
    ("xkoordinate", "ykoordinate"),
    ("koordinatex", "koordinatey"),
    ("rechtswert", "hochwert"),
    ("utmrechtswert", "utmhochwert"),
    ("ostwert", "nordwert"),
    ("east", "north"),
    ("easting", "northing"),
    ("rw", "hw"),
)
_OFFER_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    settings.OFFER_ID: (
        "offerid", "id", "kennung", "nr", "nummer", "lfdnr", "angebotsid", "angebotsnr", "angebotsnummer",
        "einrichtungsnr", "einrichtungsnummer", "schulnummer", "objektid",
    ),
    settings.OFFER_TYPE: (
        "offertype", "art", "typ", "type", "angebotsart", "angebotstyp", "kategorie", "einrichtungsart",
    ),
    settings.OFFER_NAME: (
        "name", "bezeichnung", "schulname", "einrichtung", "einrichtungsname", "titel", "angebot",
        "schulbezeichnung", "schulbezeichnung1",
    ),
    settings.OFFER_ADDRESS: ("address", "adresse", "anschrift", "standort"),
    STREET: ("strasse", "str", "strasseundhausnummer", "strassehausnummer", "strassehausnr", "street"),
    HOUSE_NUMBER: ("hausnummer", "hausnr"),
    POSTCODE: ("plz", "postleitzahl", "postcode"),
    CITY: ("ort", "stadt", "gemeinde", "city"),
    settings.OFFER_CAPACITY: ("capacity", "kapazitaet", "plaetze", "anzahlplaetze", "platzzahl"),
    CRS_COLUMN: ("epsg", "crs", "koordinatensystem", "srid"),
}
_OFFER_TARGETS: Final[frozenset[str]] = frozenset(_OFFER_ALIASES) | {X, Y}
_DISTRICT_ID_ALIASES: Final[tuple[str, ...]] = (
    "districtid", "sozialraumid", "sozialraumnr", "sozialraumnummer", "srid", "srnr", "srnummer", "id", "nr",
    "nummer", "kennung", "schluessel", "gebietsschluessel", "ags", "code",
)
_DISTRICT_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "id_column": _DISTRICT_ID_ALIASES,
    "name_column": (
        "districtname", "sozialraumname", "sozialraum", "name", "bezeichnung", "gebietsname", "stadtteil", "gen",
    ),
    "area_id_column": ("areaid", "stadtbezirkid", "stadtbezirknr", "stadtbezirksnummer", "bezirkid", "bezirksnr"),
    "area_name_column": ("areaname", "stadtbezirk", "stadtbezirkname", "stadtbezirksname", "bezirk", "bezirksname"),
}
#: In an indicator table a column "Sozialraum" or "Bezirk-Nr." holds the district id (no name, no area there).
_INDICATOR_ID_ALIASES: Final[tuple[str, ...]] = (
    *_DISTRICT_ID_ALIASES, "sozialraum", "gebiet", "gebietsnr", "bezirknr", "bezirksnr", "bezirksnummer",
)
#: Normalised name endings of an id column, tried when no alias matches.
_ID_SUFFIXES: Final[tuple[str, ...]] = ("nr", "nummer", "id", "schluessel", "kennung")
#: Normalised name starts of count columns ("Kinder 0-17", "Einwohner insgesamt"), tried after the aliases.
_COUNT_PREFIXES: Final[dict[str, tuple[str, ...]]] = {
    settings.INHABITANTS: ("einwohner", "bevoelkerung", "inhabitants"),
    settings.CHILDREN: ("kinder", "children"),
}
#: Similarity (difflib ratio of normalised names) from which a column is taken for an indicator's label.
INDICATOR_NAME_SIMILARITY: Final[float] = 0.75
_YEAR_ALIASES: Final[tuple[str, ...]] = ("year", "jahr", "berichtsjahr")
_COUNT_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    settings.INHABITANTS: ("inhabitants", "einwohner", "einwohnerzahl", "ew", "bevoelkerung", "einwohnerinnen"),
    settings.CHILDREN: ("children", "kinder", "kinderunter15", "kinderu15", "anzahlkinder", "kinder015"),
}


def _norm(name: object) -> str:
    """Column names and type labels compared loosely: ``"Länge"``, ``"LAENGE "`` and ``"Laenge"`` agree."""
    text = unicodedata.normalize("NFC", str(name)).casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, spelled)
    return re.sub(r"[^0-9a-z]", "", text)


def excel_rows(table: pd.DataFrame) -> np.ndarray:
    """Row numbers as Excel shows them: the index of a :func:`geo.io.read_table` frame, else 2, 3, and so on."""
    if table.index.name == EXCEL_ROW:
        return table.index.to_numpy(dtype=np.int64)
    return np.arange(len(table), dtype=np.int64) + 2


def _text(series: pd.Series) -> pd.Series:
    """Any column → stripped text with NaN for blanks; ``101.0`` (a number read from Excel) → ``"101"``."""
    if pd.api.types.is_float_dtype(series.dtype):
        whole = series.notna() & (series.abs() < 1e15) & (series % 1 == 0)
        text = series.astype("str").mask(whole, series[whole].astype("int64").astype("str"))
    else:
        text = series.astype("str")
    text = text.str.strip()
    return text.mask(text == "")


def _gap_codes(raw: pd.Series, values: pd.Series | None = None) -> pd.Series:
    """The no-data code of each cell, NaN where it holds a value.

    ``""`` for a blank, a :data:`STATISTICAL_GAPS` text as compared (``"k.a."``) and, given the parsed ``values``
    of a column that cannot be negative, a :data:`NO_DATA_NUMBERS` number (``"-9999"``).
    """
    key = raw.str.casefold().str.replace(r"\s+", "", regex=True)
    codes = key.where(key.isin(STATISTICAL_GAPS)).mask(raw.isna(), "")
    if values is not None:
        numbers = values.isin(NO_DATA_NUMBERS)
        codes = codes.mask(numbers, values[numbers].map(lambda v: format(v, "g")))
    return codes


def _join_numbers(numbers: Iterable[object]) -> str:
    items = [str(n) for n in numbers]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " und " + items[-1]


def _rows_text(rows: np.ndarray, limit: int = 10) -> str:
    """``[3]`` → ``"Zeile 3"``, ``[3, 5, 9]`` → ``"Zeilen 3, 5 und 9"``, long lists cut with "…"."""
    if len(rows) == 1:
        return f"Zeile {rows[0]}"
    if len(rows) > limit:
        return "Zeilen " + ", ".join(str(r) for r in rows[:limit]) + " …"
    return "Zeilen " + _join_numbers(rows)


def _sample(values: Sequence[object], limit: int = 10) -> str:
    shown = ", ".join(f"„{v}“" for v in values[:limit])
    return shown + (f" und {len(values) - limit} weitere" if len(values) > limit else "")


def _find_column(columns: Iterable[object], aliases: Iterable[str], exclude: set[str] = frozenset()) -> str | None:
    normed: dict[str, str] = {}
    for column in columns:
        if column not in exclude:
            normed.setdefault(_norm(column), column)
    for alias in aliases:
        if alias in normed:
            return normed[alias]
    return None


def _mapped_columns(
    columns: pd.Index, column_map: Mapping[str, str] | None, targets: Sequence[str], report: Report
) -> dict[str, str]:
    """Target → column as the planner mapped them; a mapped column missing from the file is an error."""
    roles: dict[str, str] = {}
    for source, target in (column_map or {}).items():
        if target not in targets:
            raise ValueError(f"unknown column_map target {target!r}; use one of {list(targets)}")
        if source not in columns:
            report.error(f"Die zugeordnete Spalte „{source}“ gibt es in der Datei nicht. Vorhanden: "
                         f"{_columns_list(columns)}.")
        else:
            roles[target] = source
    return roles


def _sort(report: Report) -> Report:
    """File-level findings first, then by row: the order a planner reads the file in."""
    report.problems.sort(key=lambda p: (p.row is not None, p.row or 0))
    return report


def _report_duplicates(ids: pd.Series, rows: np.ndarray, what: str, column: str | None, report: Report) -> np.ndarray:
    """One error per duplicated id naming all its rows; returns the mask of rows involved."""
    dup = ids.duplicated(keep=False).to_numpy() & ids.notna().to_numpy()
    if dup.any():
        groups = pd.Series(rows[dup]).groupby(ids[dup].to_numpy(), sort=False)
        for value, members in groups:
            numbers = sorted(members.tolist())
            report.error(f"{what} „{value}“ kommt mehrfach vor (Zeilen {_join_numbers(numbers)}).", numbers[1], column)
    return dup


def _columns_list(columns: Iterable[object]) -> str:
    return ", ".join(f"„{c}“" for c in columns)


def detect_coordinate_columns(columns: Iterable[object]) -> tuple[str, str] | None:
    """Find the coordinate columns by name.

    Recognises lat/lon (lng, long), latitude/longitude, Breite/Länge (also Laenge, Breitengrad/Längengrad),
    x/y, Rechtswert/Hochwert, UTMRechtswert/UTMHochwert, Ostwert/Nordwert, East/North, Easting/Northing and
    rw/hw, in any case and with spaces, hyphens or underscores.

    Returns
    -------
    tuple of str or None
        ``(x_column, y_column)`` — easting/longitude first — as spelled in ``columns``, or ``None``.
    """
    normed: dict[str, str] = {}
    for column in columns:
        normed.setdefault(_norm(column), column)
    for x_alias, y_alias in COORDINATE_PAIRS:
        if x_alias in normed and y_alias in normed:
            return normed[x_alias], normed[y_alias]
    return None


#: The id keyword belonging to each name keyword of :func:`detect_district_columns`.
_ID_OF_NAME: Final[dict[str, str]] = {"name_column": "id_column", "area_name_column": "area_id_column"}
#: Normalised endings that make a column the text beside a number column ("Bezirk" → "Bezirk_Bez").
_NAME_ENDINGS: Final[tuple[str, ...]] = ("name", "bez", "bezeichnung")


def detect_district_columns(layer: pd.DataFrame | Iterable[object]) -> dict[str, str]:
    """Find the id, name, area id and area name columns of a district layer by their usual names.

    Given the layer itself, a name is taken only from a column holding text: a "Stadtteil" or "Bezirk"
    column holding numbers is the id of that level, and the text column beside it ("Bezirk_Bez",
    "Stadtteilname") the name. A layer with columns of one level only ("Bezirk", "Bezirk_Bez") has its
    Bezirke as districts. Given only column names, the names decide alone.

    Parameters
    ----------
    layer
        The boundary layer (:func:`geo.io.read_boundaries`), or only its column names.

    Returns
    -------
    dict
        Keyword → column, for the keywords of :func:`validate_districts` that were found.
    """
    frame = layer if isinstance(layer, pd.DataFrame) else None
    columns = [c for c in (layer.columns if frame is not None else layer) if c != "geometry"]
    if frame is not None and isinstance(getattr(frame, "geometry", None), pd.Series):
        columns = [c for c in columns if c != frame.geometry.name]
    numeric = {c for c in columns if frame is not None and _holds_numbers(frame[c])}
    found: dict[str, str] = {}
    used: set[str] = set()
    for keyword, aliases in _DISTRICT_ALIASES.items():
        if keyword not in found:
            _take_district_column(found, used, keyword, _find_columns(columns, aliases, used), columns, numeric)
    if "name_column" not in found:  # e.g. "SR_NAME", "Sozialraum_Bez": a name by its ending
        endings = [c for c in columns if c not in used and c not in numeric and _norm(c).endswith(_NAME_ENDINGS)]
        if endings:
            found["name_column"] = endings[0]
    if frame is not None and "id_column" not in found and "name_column" not in found:
        for keyword, area_keyword in (("id_column", "area_id_column"), ("name_column", "area_name_column")):
            if area_keyword in found:
                found[keyword] = found.pop(area_keyword)
    return found


def _take_district_column(
    found: dict[str, str], used: set[str], keyword: str, matches: list[str], columns: list, numeric: set[str]
) -> None:
    """Assign ``keyword`` from its alias ``matches``; a name only from text, numbers under a name's alias as id."""
    if keyword not in _ID_OF_NAME:
        if matches:
            found[keyword] = matches[0]
            used.add(matches[0])
        return
    # A name's alias on a column of numbers ("Bezirk": 1, 2, …) is the id of that level; the name is text.
    numbers = [c for c in matches if c in numeric]
    id_keyword = _ID_OF_NAME[keyword]
    if numbers and id_keyword not in found:
        found[id_keyword] = numbers[0]
        used.add(numbers[0])
    text = [c for c in matches if c not in numeric]
    name = text[0] if text else _text_beside(numbers[0], columns, used, numeric) if numbers else None
    if name is not None:
        found[keyword] = name
        used.add(name)


def _find_roles(columns: Iterable[object], aliases: dict[str, Iterable[str]], roles: dict[str, str]) -> dict[str, str]:
    """``roles`` (role → file column) completed by the aliases of each role not yet found; a column serves once."""
    used = set(roles.values())
    for role, names in aliases.items():
        if role not in roles:
            found = _find_column(columns, names, used)
            if found is not None:
                roles[role] = found
                used.add(found)
    return roles


def _find_columns(columns: Iterable[object], aliases: Iterable[str], exclude: set[str]) -> list[str]:
    """Every column matching an alias, in the order of the aliases (the first spelling of each)."""
    normed: dict[str, str] = {}
    for column in columns:
        if column not in exclude:
            normed.setdefault(_norm(column), column)
    return [normed[alias] for alias in aliases if alias in normed]


def _holds_numbers(series: pd.Series) -> bool:
    """True when every non-blank value of a column is a number ("101", 101, "0101"); False for a blank column."""
    text = _text(series).dropna()
    return bool(len(text)) and bool(parse_number(text).notna().all())


def _text_beside(column: str, columns: Iterable[object], used: set[str], numeric: set[str]) -> str | None:
    """The text column named after ``column`` plus a name ending: "Bezirk" → "Bezirk_Bez", "Bezirksname"."""
    stem = _norm(column)
    for other in columns:
        rest = _norm(other)[len(stem):] if _norm(other).startswith(stem) else None
        if other not in used and other not in numeric and rest is not None and rest.removeprefix("s") in _NAME_ENDINGS:
            return other
    return None
