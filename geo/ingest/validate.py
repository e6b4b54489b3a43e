"""Validate raw tables and layers into the canonical offers, districts and indicators layers, all problems at once."""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo._errors import DataError, Problem, Report
from geo.crs import KNOWN_POINT_CRS, CrsGuess, guess_point_crs, parse_crs, to_metric
from geo.io.readers import EXCEL_ROW, parse_number

#: Offers farther than this from every district are reported as outside the city.
OUTSIDE_BUFFER_M: Final[float] = 5_000.0
#: Inhabitants or children above this in one district are a typo, not a city.
MAX_COUNT: Final[int] = 100_000_000
#: ``column_map`` targets for the coordinate columns of an offers table.
X: Final[str] = "x"
Y: Final[str] = "y"
#: Further ``column_map`` targets of an offers table: address parts joined into ``address``, and a CRS column.
STREET, HOUSE_NUMBER, POSTCODE, CITY, CRS_COLUMN = "street", "house_number", "postcode", "city", "crs"
#: How official statistics mark a value that is missing, secret or not applicable (compared without spaces).
STATISTICAL_GAPS: Final[frozenset[str]] = frozenset(
    {"-", "–", "—", ".", "x", "/", "…", "...", "k.a.", "ka", "n.v.", "nv", "n/a", "na"}
)

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
_GEOMETRY_NAMES: Final[dict[str, str]] = {
    "Point": "ein Punkt",
    "MultiPoint": "mehrere Punkte",
    "LineString": "eine Linie",
    "MultiLineString": "mehrere Linien",
    "LinearRing": "ein Ring",
    "GeometryCollection": "eine Geometriesammlung ohne Fläche",
}
_VALIDITY_REASONS: Final[dict[str, str]] = {
    "Self-intersection": "Selbstüberschneidung",
    "Ring Self-intersection": "Ring überschneidet sich selbst",
    "Too few points": "zu wenige Punkte",
    "Hole lies outside shell": "Loch liegt außerhalb der Fläche",
    "Nested holes": "verschachtelte Löcher",
    "Interior is disconnected": "Fläche zerfällt in Teile",
    "Nested shells": "verschachtelte Flächen",
    "Duplicate Rings": "doppelte Ringe",
    "Invalid Coordinate": "ungültige Koordinate",
}


# --------------------------------------------------------------------------------------------------------------
# Small helpers


def _norm(name: object) -> str:
    """Column names and type labels compared loosely: ``"Länge"``, ``"LAENGE "`` and ``"Laenge"`` agree."""
    text = unicodedata.normalize("NFC", str(name)).casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue")):
        text = text.replace(umlaut, spelled)
    return re.sub(r"[^0-9a-z]", "", text)


def excel_rows(table: pd.DataFrame) -> np.ndarray:
    """Row numbers as Excel shows them: the index of a :func:`geo.io.readers.read_table` frame, else 2, 3, …"""
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


def _gap(raw: pd.Series) -> pd.Series:
    """Blank, or a placeholder of official statistics (see :data:`STATISTICAL_GAPS`)."""
    return raw.isna() | raw.str.casefold().str.replace(r"\s+", "", regex=True).isin(STATISTICAL_GAPS)


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


# --------------------------------------------------------------------------------------------------------------
# Offers


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


@dataclass
class OfferValidation:
    """The result of :func:`validate_offers`.

    Attributes
    ----------
    offers
        Valid rows in ``settings.METRIC_CRS`` with the canonical columns, indexed by Excel row number.
        Rows with errors are left out; the layer may only be stored when ``report.ok``.
    report
        Every error and warning, row numbers as Excel shows them.
    crs_guess
        The CRS the coordinates were read in and why (``None`` when no coordinates could be read).
    swapped
        True when x and y (latitude and longitude) were swapped back.
    columns
        Role (canonical column, ``"x"``, ``"y"``, ``"street"``, …) → the file's column it was read from.
    """

    offers: gpd.GeoDataFrame
    report: Report
    crs_guess: CrsGuess | None = None
    swapped: bool = False
    columns: dict[str, str] = field(default_factory=dict)


def _offer_columns(
    columns: pd.Index, column_map: Mapping[str, str] | None, report: Report
) -> dict[str, str]:
    roles: dict[str, str] = {}
    for source, target in (column_map or {}).items():
        if target not in _OFFER_TARGETS:
            raise ValueError(f"unknown column_map target {target!r}; use one of {sorted(_OFFER_TARGETS)}")
        if source not in columns:
            report.error(f"Die zugeordnete Spalte „{source}“ gibt es in der Datei nicht. Vorhanden: "
                         f"{_columns_list(columns)}.")
        else:
            roles[target] = source
    used = set(roles.values())
    if (X in roles) != (Y in roles):
        report.error("Bitte ordnen Sie beide Koordinatenspalten zu (Rechtswert/Länge und Hochwert/Breite).")
    if X not in roles and Y not in roles:
        pair = detect_coordinate_columns(c for c in columns if c not in used)
        if pair:
            roles[X], roles[Y] = pair
            used.update(pair)
    for role, aliases in _OFFER_ALIASES.items():
        if role not in roles:
            found = _find_column(columns, aliases, used)
            if found is not None:
                roles[role] = found
                used.add(found)
    return roles


def _type_lookup(offer_types: pd.DataFrame) -> dict[str, str]:
    lookup: dict[str, str] = {}
    for column in (None, "label", "short", "plural"):
        values = offer_types.index if column is None else offer_types[column]
        for key, value in zip(offer_types.index, values, strict=True):
            if isinstance(value, str) and _norm(value):
                lookup.setdefault(_norm(value), key)
    return lookup


def allowed_offer_types(offer_types: pd.DataFrame) -> str:
    """The offer types a file may name, for messages: ``„fgz“ (FGZ), „lotsendienst“ (Lotsendienst), …``."""
    return ", ".join(f"„{key}“ ({row['short']})" for key, row in offer_types.iterrows())


def resolve_offer_type(value: str, offer_types: pd.DataFrame) -> str | None:
    """The type key a planner's value means (key, label, short or plural label, any case), or ``None``."""
    return _type_lookup(offer_types).get(_norm(value))


def validate_offers(
    table: pd.DataFrame,
    *,
    offer_types: pd.DataFrame,
    districts: gpd.GeoDataFrame | None = None,
    crs: str | None = None,
    default_type: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> OfferValidation:
    """Validate a raw offers table (all text, see :func:`geo.io.readers.read_table`) into the offers layer.

    Columns are found by their usual German names (Id/Nr/Schulnummer; Art/Typ/Angebotsart;
    Name/Bezeichnung/Schulname; Adresse/Anschrift or Straße + Hausnummer + PLZ + Ort; Kapazität/Plätze;
    coordinates, see :func:`detect_coordinate_columns`) or given in ``column_map``. Every problem of the
    file is collected: missing columns, blank or non-numeric coordinates, an unknown CRS, unknown offer
    types (with the allowed values), duplicate ids (naming all rows), bad capacities, and — warnings —
    swapped coordinates (swapped back) and points more than 5 km outside the districts.

    Parameters
    ----------
    table
        Text table; its index is taken as Excel row numbers when named :data:`geo.io.readers.EXCEL_ROW`.
    offer_types
        The offer type table (:func:`geo.catalog.read_offer_types`); values may be keys, labels or short
        labels, in any case.
    districts
        Districts to test the points against (any CRS); ``None`` skips that test.
    crs
        The coordinates' CRS as the planner states it; default: a column such as ``EPSG`` naming one CRS,
        else guessed from the value ranges (:func:`geo.crs.guess_point_crs`).
    default_type
        Offer type for rows (or a file) without one.
    column_map
        File column → target (``offer_id``, ``offer_type``, ``name``, ``address``, ``capacity``, ``x``,
        ``y``, ``street``, ``house_number``, ``postcode``, ``city``, ``crs``); unmapped roles are found by name.

    Returns
    -------
    OfferValidation
    """
    report = Report()
    rows = excel_rows(table)
    n = len(table)
    roles = _offer_columns(table.columns, column_map, report)
    if table.shape[1] == 1:
        report.error(
            f"Die Tabelle hat nur eine Spalte („{table.columns[0]}“). Wahrscheinlich passt das Trennzeichen "
            "nicht: bitte speichern Sie die Datei mit Semikolon, Komma oder Tabulator als Trennzeichen."
        )
    bad = np.zeros(n, dtype=bool)

    ids = _offer_ids(table, roles, rows, report, bad)
    types = _offer_type_keys(table, roles, offer_types, default_type, rows, report, bad)
    mx, my, guess, swapped = _offer_points(table, roles, crs, districts, rows, report, bad)
    capacity = _optional_count(table, roles.get(settings.OFFER_CAPACITY), "Kapazität", rows, report, bad)
    name_col = roles.get(settings.OFFER_NAME)
    names = _text(table[name_col]).fillna("") if name_col else pd.Series("", index=table.index, dtype="str")
    address = _offer_address(table, roles)

    keep = ~bad
    offers = gpd.GeoDataFrame(
        {
            settings.OFFER_ID: ids.to_numpy()[keep],
            settings.OFFER_TYPE: types.to_numpy()[keep],
            settings.OFFER_NAME: names.to_numpy()[keep],
            settings.OFFER_ADDRESS: address.to_numpy()[keep],
            settings.OFFER_CAPACITY: capacity.to_numpy()[keep],
        },
        geometry=gpd.points_from_xy(mx[keep], my[keep]),
        crs=settings.METRIC_CRS,
        index=pd.Index(rows[keep], name=EXCEL_ROW),
    )
    for column in (settings.OFFER_ID, settings.OFFER_TYPE, settings.OFFER_NAME, settings.OFFER_ADDRESS):
        offers[column] = offers[column].astype("str")
    return OfferValidation(offers, _sort(report), guess, swapped, roles)


def _offer_ids(
    table: pd.DataFrame, roles: dict[str, str], rows: np.ndarray, report: Report, bad: np.ndarray
) -> pd.Series:
    column = roles.get(settings.OFFER_ID)
    if column is None:
        report.warn(
            "Keine Spalte mit Kennungen gefunden (z. B. „Id“, „Nr“ oder „Schulnummer“). Die Kennungen wurden "
            "aus den Zeilennummern gebildet (Z2, Z3, …); beim nächsten Hochladen passen sie nur, wenn die "
            "Reihenfolge gleich bleibt."
        )
        return pd.Series([f"Z{r}" for r in rows], index=table.index, dtype="str")
    ids = _text(table[column])
    blank = ids.isna().to_numpy()
    for row in rows[blank]:
        report.error("Die Kennung fehlt.", int(row), column)
    bad |= blank
    bad |= _report_duplicates(ids, rows, "Die Kennung", column, report)
    return ids


def _offer_type_keys(
    table: pd.DataFrame,
    roles: dict[str, str],
    offer_types: pd.DataFrame,
    default_type: str | None,
    rows: np.ndarray,
    report: Report,
    bad: np.ndarray,
) -> pd.Series:
    lookup = _type_lookup(offer_types)
    allowed = allowed_offer_types(offer_types)
    default = None
    if default_type is not None:
        default = lookup.get(_norm(default_type))
        if default is None:
            report.error(f"Die gewählte Angebotsart „{default_type}“ ist unbekannt. Erlaubt sind: {allowed}.")
    column = roles.get(settings.OFFER_TYPE)
    if column is None:
        if default_type is None:
            report.error(
                "Die Spalte für die Angebotsart fehlt (z. B. „Art“, „Typ“ oder „Angebotsart“). Ergänzen Sie "
                f"sie oder wählen Sie eine Angebotsart für die ganze Datei. Erlaubt sind: {allowed}."
            )
        if default is None:
            bad[:] = True
        return pd.Series(default or "", index=table.index, dtype="str")
    raw = _text(table[column])
    mapping = {value: lookup.get(_norm(value)) for value in raw.dropna().unique()}
    keys = raw.map(mapping)
    blank = raw.isna().to_numpy()
    if default is not None:
        keys = keys.mask(raw.isna(), default)
    elif blank.any():
        for row in rows[blank]:
            report.error(f"Die Angebotsart fehlt. Erlaubt sind: {allowed}.", int(row), column)
    unknown = (~blank) & keys.isna().to_numpy()
    for row, value in zip(rows[unknown], raw.to_numpy()[unknown], strict=True):
        report.error(f"Die Angebotsart „{value}“ ist unbekannt. Erlaubt sind: {allowed}.", int(row), column)
    bad |= keys.isna().to_numpy()
    return keys.astype("str")


def _coordinate_values(
    table: pd.DataFrame, column: str, rows: np.ndarray, report: Report
) -> np.ndarray:
    raw = _text(table[column])
    values = parse_number(raw).to_numpy()
    blank = raw.isna().to_numpy()
    for row in rows[blank]:
        report.error(f"Die Koordinate fehlt (Spalte „{column}“).", int(row), column)
    wrong = ~blank & np.isnan(values)
    for row, value in zip(rows[wrong], raw.to_numpy()[wrong], strict=True):
        report.error(f"„{value}“ in Spalte „{column}“ ist keine Zahl (Koordinate).", int(row), column)
    return values


def _crs_from_column(table: pd.DataFrame, column: str | None, report: Report) -> str | None:
    if column is None:
        return None
    values = _text(table[column]).dropna()
    values = values[~values.str.casefold().isin(["null", "none", "nan"])].unique()
    if len(values) == 0:
        return None
    labels = sorted({f"EPSG:{v}" if str(v).isdigit() else str(v) for v in values})
    if len(labels) > 1:
        report.error(
            f"Die Spalte „{column}“ nennt mehrere Koordinatensysteme ({', '.join(labels)}). Bitte laden Sie "
            "Standorte in verschiedenen Koordinatensystemen getrennt hoch."
        )
        return None
    try:
        parse_crs(labels[0])
    except DataError as err:
        report.error(f"Spalte „{column}“: {err}")
        return None
    return labels[0]


def _offer_points(
    table: pd.DataFrame,
    roles: dict[str, str],
    crs: str | None,
    districts: gpd.GeoDataFrame | None,
    rows: np.ndarray,
    report: Report,
    bad: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, CrsGuess | None, bool]:
    """Parse, locate and reproject the coordinates; returns metric x, y (NaN where unusable)."""
    n = len(table)
    nan = np.full(n, np.nan)
    xcol, ycol = roles.get(X), roles.get(Y)
    if xcol is None or ycol is None:
        if xcol is None and ycol is None:
            report.error(
                "Keine Koordinatenspalten gefunden. Erwartet werden z. B. „lat“ und „lon“, „Breite“ und "
                "„Länge“, „x“ und „y“ oder „Rechtswert“ und „Hochwert“. Vorhandene Spalten: "
                f"{_columns_list(table.columns)}."
            )
        bad[:] = True
        return nan, nan.copy(), None, False
    x = _coordinate_values(table, xcol, rows, report)
    y = _coordinate_values(table, ycol, rows, report)
    valid = np.isfinite(x) & np.isfinite(y)
    bad |= ~valid

    source, reason = None, ""
    if crs is not None:
        try:
            source, reason = parse_crs(crs).to_string(), "vom Nutzer angegeben"
        except DataError as err:
            report.error(str(err))
            bad[:] = True
            return nan, nan.copy(), None, False
    else:
        source = _crs_from_column(table, roles.get(CRS_COLUMN), report)
        reason = f"laut Spalte „{roles.get(CRS_COLUMN)}“" if source else ""
    guess = guess_point_crs(x[valid], y[valid])
    swapped = guess.swapped and (source is None or parse_crs(source).equals(parse_crs(guess.crs)))
    if swapped:
        x, y = y, x
        report.warn(
            f"Die Spalten „{xcol}“ und „{ycol}“ sind offenbar vertauscht ({guess.reason}). Die Werte wurden "
            "getauscht; bitte prüfen Sie die Lage der Standorte auf der Karte."
        )
    if source is None:
        if guess.crs is None:
            if valid.any():
                systems = "; ".join(f"{code}: {label}" for code, label in KNOWN_POINT_CRS.items())
                report.error(
                    f"Das Koordinatensystem der Spalten „{xcol}“/„{ycol}“ wurde nicht erkannt ({guess.reason}). "
                    f"Bitte wählen Sie es aus. Üblich sind: {systems}."
                )
            bad[:] = True
            return nan, nan.copy(), guess, swapped
        source, reason = guess.crs, guess.reason
    elif guess.crs is not None and not parse_crs(source).equals(parse_crs(guess.crs)):
        report.warn(
            f"Die Koordinaten sollen in {source} sein, ihre Werte passen aber eher zu {guess.crs} "
            f"({guess.reason}). Bitte prüfen Sie das Koordinatensystem."
        )
    used = CrsGuess(source, swapped, reason)

    mx, my = nan.copy(), nan.copy()
    if valid.any():
        mx[valid], my[valid] = _to_metric_xy(x[valid], y[valid], source)
    lost = valid & ~(np.isfinite(mx) & np.isfinite(my))
    for row in rows[lost]:
        report.error(f"Die Koordinaten lassen sich nicht aus {source} nach {settings.METRIC_CRS} umrechnen.",
                     int(row))
    bad |= lost
    if districts is not None and len(districts):
        _warn_outside(mx, my, x, y, source, districts, rows, report)
    return mx, my, used, swapped


def _to_metric_xy(x: np.ndarray, y: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
    points = gpd.GeoSeries(gpd.points_from_xy(x, y), crs=source)
    metric = to_metric(gpd.GeoDataFrame(geometry=points), name="Angebote").geometry
    return shapely.get_x(metric.array), shapely.get_y(metric.array)


def _study_area(districts: gpd.GeoDataFrame) -> shapely.Geometry:
    """The districts' union grown by :data:`OUTSIDE_BUFFER_M`, in the metric CRS, prepared for tests."""
    geoms = np.asarray(to_metric(districts, name="Sozialräume").geometry.array, dtype=object)
    geoms = shapely.simplify(geoms[~pd.isna(geoms)], 25.0)
    area = shapely.buffer(shapely.union_all(geoms), OUTSIDE_BUFFER_M, quad_segs=8)
    shapely.prepare(area)
    return area


def _warn_outside(
    mx: np.ndarray,
    my: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    source: str,
    districts: gpd.GeoDataFrame,
    rows: np.ndarray,
    report: Report,
) -> None:
    located = np.isfinite(mx) & np.isfinite(my)
    area = _study_area(districts)
    outside = located.copy()
    outside[located] = ~shapely.contains_xy(area, mx[located], my[located])
    if not outside.any():
        return
    # Would the row lie inside with x and y swapped? Then say so.
    sx, sy = _to_metric_xy(y[outside], x[outside], source)
    finite = np.isfinite(sx) & np.isfinite(sy)
    hint = np.zeros(len(sx), dtype=bool)
    hint[finite] = shapely.contains_xy(area, sx[finite], sy[finite])
    for row, swap in zip(rows[outside], hint, strict=True):
        tail = " Sind Rechts- und Hochwert (bzw. Länge und Breite) vertauscht?" if swap else ""
        report.warn(
            f"Der Standort liegt außerhalb des Stadtgebiets (mehr als {OUTSIDE_BUFFER_M / 1000:.0f} km von "
            f"allen Sozialräumen entfernt).{tail}",
            int(row),
        )


def _optional_count(
    table: pd.DataFrame, column: str | None, label: str, rows: np.ndarray, report: Report, bad: np.ndarray
) -> pd.Series:
    if column is None:
        return pd.Series(np.nan, index=table.index, dtype="float64")
    raw = _text(table[column])
    values = parse_number(raw, integer=True)
    wrong = (raw.notna() & values.isna()).to_numpy()
    for row, value in zip(rows[wrong], raw.to_numpy()[wrong], strict=True):
        report.error(f"{label} „{value}“ ist keine Zahl.", int(row), column)
    negative = (values < 0).to_numpy()
    for row, value in zip(rows[negative], raw.to_numpy()[negative], strict=True):
        report.error(f"{label} „{value}“ darf nicht negativ sein.", int(row), column)
    bad |= wrong | negative
    return values


def _offer_address(table: pd.DataFrame, roles: dict[str, str]) -> pd.Series:
    def part(role: str) -> pd.Series:
        column = roles.get(role)
        return _text(table[column]).fillna("") if column else pd.Series("", index=table.index, dtype="str")

    if settings.OFFER_ADDRESS in roles:
        return part(settings.OFFER_ADDRESS)
    street = (part(STREET) + " " + part(HOUSE_NUMBER)).str.strip()
    town = (part(POSTCODE) + " " + part(CITY)).str.strip()
    both = (street != "") & (town != "")
    return (street + np.where(both, ", ", "") + town).astype("str")


def is_school_table(columns: Iterable[object]) -> bool:
    """True for the NRW school master data layout (Schulnummer, Schulform, UTM coordinates)."""
    names = {_norm(c) for c in columns}
    return {"schulnummer", "schulform", "utmrechtswert", "utmhochwert"} <= names


def schools_as_offers(
    table: pd.DataFrame,
    *,
    schulform: str = "02",
    offer_type: str = "fgz",
    gemeindeschluessel: str | None = None,
) -> pd.DataFrame:
    """Turn the NRW school master data (``schuldaten_*.csv``) into an offers table for :func:`validate_offers`.

    A planner marks the primary schools (Schulform ``"02"``) as sites of Familiengrundschulzentren: the
    rows of one Schulform become offers of one type, named ``Schulbezeichnung_1 Schulbezeichnung_2``,
    addressed ``Strasse, PLZ Ort``, located by ``UTMRechtswert``/``UTMHochwert`` with the ``EPSG`` column.

    Parameters
    ----------
    table
        The school file as read by :func:`geo.io.readers.read_table` (Excel row numbers are kept).
    schulform
        Schulform code to keep (``"02"`` = Grundschule; ``"2"`` matches too).
    offer_type
        Offer type key given to every kept school.
    gemeindeschluessel
        Keep only schools whose ``Gemeindeschluessel`` (AGS) starts with this, e.g. ``"05913"`` (Dortmund).

    Returns
    -------
    pandas.DataFrame
        Text columns ``offer_id``, ``offer_type``, ``name``, ``address``, ``UTMRechtswert``,
        ``UTMHochwert`` and ``EPSG`` (when present).

    Raises
    ------
    DataError
        If the table is not in the school layout or no school is left after filtering.
    """
    columns = {_norm(c): c for c in table.columns}
    if not is_school_table(table.columns):
        raise DataError(
            "Die Datei hat nicht den Aufbau der NRW-Schuldaten (Spalten Schulnummer, Schulform, "
            "UTMRechtswert, UTMHochwert)."
        )

    def col(key: str) -> pd.Series:
        return _text(table[columns[key]]).fillna("") if key in columns else pd.Series("", index=table.index)

    form = col("schulform").str.lstrip("0")
    keep = form == schulform.lstrip("0")
    if gemeindeschluessel:
        keep &= col("gemeindeschluessel").str.startswith(gemeindeschluessel)
    if not keep.any():
        where = f" mit Gemeindeschlüssel {gemeindeschluessel}…" if gemeindeschluessel else ""
        raise DataError(f"Die Schuldatei enthält keine Schulen der Schulform „{schulform}“{where}.")
    name = (col("schulbezeichnung1") + " " + col("schulbezeichnung2")).str.strip()
    town = (col("plz") + " " + col("ort")).str.strip()
    street = col("strasse")
    address = street + np.where((street != "") & (town != ""), ", ", "") + town
    out = pd.DataFrame(
        {
            settings.OFFER_ID: col("schulnummer"),
            settings.OFFER_TYPE: offer_type,
            settings.OFFER_NAME: name,
            settings.OFFER_ADDRESS: address,
            "UTMRechtswert": table[columns["utmrechtswert"]],
            "UTMHochwert": table[columns["utmhochwert"]],
        },
        index=table.index,
    )
    if "epsg" in columns:
        out["EPSG"] = table[columns["epsg"]]
    out = out[keep].astype("str")
    out.attrs = dict(table.attrs)
    return out


# --------------------------------------------------------------------------------------------------------------
# Districts


def detect_district_columns(columns: Iterable[object]) -> dict[str, str]:
    """Find the id, name, area id and area name columns of a district layer by their usual names.

    Returns
    -------
    dict
        Keyword → column, for the keywords of :func:`validate_districts` that were found.
    """
    columns = [c for c in columns if c != "geometry"]
    found: dict[str, str] = {}
    used: set[str] = set()
    for keyword, aliases in _DISTRICT_ALIASES.items():
        column = _find_column(columns, aliases, used)
        if column is not None:
            found[keyword] = column
            used.add(column)
    if "name_column" not in found:  # e.g. "SR_NAME", "Sozialraum_Bez": a name by its ending
        endings = [c for c in columns if c not in used and _norm(c).endswith(("name", "bez", "bezeichnung"))]
        if endings:
            found["name_column"] = endings[0]
    return found


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """The polygonal part of a geometry (a collection's polygons), possibly empty."""
    kind = geom.geom_type
    if kind in ("Polygon", "MultiPolygon"):
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in ("Polygon", "MultiPolygon")]
    polygons = [q for p in parts for q in shapely.get_parts(p)]
    return shapely.MultiPolygon(polygons) if polygons else shapely.Polygon()


def validate_districts(
    gdf: gpd.GeoDataFrame,
    *,
    id_column: str,
    name_column: str,
    area_id_column: str | None = None,
    area_name_column: str | None = None,
) -> tuple[gpd.GeoDataFrame, Report]:
    """Validate a boundary layer into the districts layer (Sozialräume).

    Invalid polygons are repaired with :func:`shapely.make_valid`, keeping the polygonal parts (a warning
    names each by id and row). Errors: missing columns or CRS, blank or duplicate ids, features without
    geometry, and geometries that are no polygons (a layer of points gets one file-level error).
    Rows count as in the attribute table opened in Excel: the first feature is row 2.

    Parameters
    ----------
    gdf
        The layer as read by :func:`geo.io.readers.read_boundaries`.
    id_column, name_column
        Columns holding the district id and name.
    area_id_column, area_name_column
        Optional columns of the Stadtbezirk each district belongs to.

    Returns
    -------
    (geopandas.GeoDataFrame, Report)
        ``district_id`` (str), ``district_name``, ``area_id``, ``area_name``, geometry in
        ``settings.METRIC_CRS``, indexed by row number; rows with errors are left out.
    """
    report = Report()
    rows = np.arange(len(gdf), dtype=np.int64) + 2
    wanted = {
        settings.DISTRICT_ID: id_column,
        settings.DISTRICT_NAME: name_column,
        settings.AREA_ID: area_id_column,
        settings.AREA_NAME: area_name_column,
    }
    attrs = [c for c in gdf.columns if c != gdf.geometry.name]
    missing = [c for c in wanted.values() if c is not None and c not in gdf.columns]
    if missing:
        report.error(f"Spalte(n) {_columns_list(missing)} fehlen in den Gebietsgrenzen. Vorhanden: "
                     f"{_columns_list(attrs)}.")
    if gdf.crs is None:
        report.error(
            "Die Gebietsgrenzen haben kein Koordinatensystem. Bitte laden Sie die .prj-Datei mit hoch oder "
            f"geben Sie das Koordinatensystem an (z. B. {settings.METRIC_CRS})."
        )
    empty = _empty_districts()
    if missing:
        return empty, _sort(report)

    ids = _text(gdf[id_column]).reset_index(drop=True)
    names = _text(gdf[name_column]).reset_index(drop=True)
    bad = np.array(ids.isna(), dtype=bool)
    for row in rows[bad]:
        report.error("Die Kennung des Sozialraums fehlt.", int(row), id_column)
    bad |= _report_duplicates(ids, rows, "Die Kennung", id_column, report)
    label = np.where(ids.isna(), "ohne Kennung", "„" + ids.fillna("").astype(object) + "“")

    geoms = np.asarray(gdf.geometry.array, dtype=object).copy()
    missing_geom = pd.isna(geoms) | shapely.is_empty(geoms)
    for row, who in zip(rows[missing_geom], label[missing_geom], strict=True):
        report.error(f"Sozialraum {who} hat keine Geometrie.", int(row))
    bad |= missing_geom
    present = ~missing_geom
    kinds = np.array([g.geom_type if g is not None else "" for g in geoms])
    polygonal = np.isin(kinds, ["Polygon", "MultiPolygon"])
    collections = present & (kinds == "GeometryCollection")
    for i in np.flatnonzero(collections):
        geoms[i] = _polygonal(geoms[i])
        polygonal[i] = not geoms[i].is_empty
        if polygonal[i]:
            report.warn(f"Sozialraum {label[i]} enthält neben Flächen auch Punkte oder Linien; übernommen werden "
                        "nur die Flächen.", int(rows[i]))
    not_polygon = present & ~polygonal
    if not_polygon.any() and not polygonal.any():
        counts = pd.Series(kinds[present]).value_counts()
        found = ", ".join(f"{count}× {_GEOMETRY_NAMES.get(kind, kind)}" for kind, count in counts.items())
        report.error(
            f"Die Datei enthält keine Flächen (Polygone), sondern {found}. Sozialräume müssen als Flächen "
            "vorliegen; Standorte (Punkte) laden Sie bitte als Angebote hoch."
        )
    else:
        for row, who, kind in zip(rows[not_polygon], label[not_polygon], kinds[not_polygon], strict=True):
            report.error(
                f"Sozialraum {who} ist keine Fläche, sondern {_GEOMETRY_NAMES.get(kind, kind)}.", int(row)
            )
    bad |= not_polygon

    check = ~bad
    invalid = np.zeros(len(geoms), dtype=bool)
    invalid[check] = ~shapely.is_valid(geoms[check].astype(object))
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[i])
        short = reason.split("[")[0].strip()
        repaired = _polygonal(shapely.make_valid(geoms[i]))
        if repaired.is_empty:
            report.error(f"Sozialraum {label[i]}: ungültige Geometrie ({_VALIDITY_REASONS.get(short, short)}), "
                         "die sich nicht reparieren lässt.", int(rows[i]))
            bad[i] = True
            continue
        geoms[i] = repaired
        report.warn(
            f"Sozialraum {label[i]}: ungültige Geometrie ({_VALIDITY_REASONS.get(short, short)}) wurde "
            "automatisch repariert. Bitte prüfen Sie die Grenze auf der Karte.",
            int(rows[i]),
        )
    blank_name = ~bad & names.isna().to_numpy()
    for row, who in zip(rows[blank_name], label[blank_name], strict=True):
        report.warn(f"Sozialraum {who} hat keinen Namen; die Kennung wird als Name verwendet.", int(row))

    keep = ~bad

    def optional(column: str | None) -> np.ndarray:
        if column is None:
            return np.full(int(keep.sum()), None, dtype=object)
        return _text(gdf[column]).reset_index(drop=True).to_numpy()[keep]

    out = gpd.GeoDataFrame(
        {
            settings.DISTRICT_ID: ids.to_numpy()[keep],
            settings.DISTRICT_NAME: names.fillna(ids).to_numpy()[keep],
            settings.AREA_ID: optional(area_id_column),
            settings.AREA_NAME: optional(area_name_column),
        },
        geometry=gpd.array.from_shapely(geoms[keep], crs=gdf.crs),
        index=pd.Index(rows[keep], name=EXCEL_ROW),
    )
    for column in (settings.DISTRICT_ID, settings.DISTRICT_NAME, settings.AREA_ID, settings.AREA_NAME):
        out[column] = out[column].astype("str")
    if gdf.crs is None:
        return empty, _sort(report)
    return to_metric(out, name="Sozialräume"), _sort(report)


def _empty_districts() -> gpd.GeoDataFrame:
    columns = [settings.DISTRICT_ID, settings.DISTRICT_NAME, settings.AREA_ID, settings.AREA_NAME]
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype="str") for c in columns},
        geometry=gpd.GeoSeries([], crs=settings.METRIC_CRS),
        index=pd.Index([], name=EXCEL_ROW, dtype=np.int64),
    )


# --------------------------------------------------------------------------------------------------------------
# Indicators


def _numeric_id(ids: pd.Series) -> pd.Series:
    """``"0101"`` and ``"101"`` → ``"101"``; ids that are not all digits stay as they are."""
    digits = ids.str.fullmatch(r"\d+").fillna(False).astype(bool)
    stripped = ids.str.lstrip("0").mask(lambda s: s == "", "0")
    return ids.mask(digits, stripped)


def _match_district_ids(ids: pd.Series, known: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map file ids onto district ids: exactly, else ignoring leading zeros where that is unambiguous.

    Returns the matched district ids (NaN where none) and a mask of rows matched only by the loose rule.
    """
    known = known.astype("str")
    exact = ids.isin(set(known))
    loose_known = _numeric_id(known)
    unique = loose_known[~loose_known.duplicated(keep=False)]
    loose_map = dict(zip(unique, known[unique.index], strict=True))
    loose = _numeric_id(ids).map(loose_map)
    matched = ids.where(exact, loose)
    return matched, (~exact & loose.notna())


def validate_indicators(
    table: pd.DataFrame,
    *,
    districts: gpd.GeoDataFrame,
    indicator_definitions: pd.DataFrame,
    id_column: str | None = None,
    year_column: str | None = None,
    year: int | None = None,
    column_map: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, Report]:
    """Validate a raw indicator table (one row per district and year) against the districts.

    Ids match the districts exactly or, where unambiguous, ignoring leading zeros (``101`` ↔ ``"0101"``,
    as Excel drops them); if two district ids collapse to the same number, only the exact id matches.
    Values may use the decimal comma and a ``%`` sign; official placeholders (``-``, ``.``, ``x``, ``/``)
    count as missing. Errors: missing columns, no year, non-numeric values (per row and column), counts
    that are blank, negative or fractional, more children than inhabitants, percentages outside 0–100,
    duplicate district/year rows, no id matching at all. Warnings: unmatched ids (one list), ids matched
    without leading zeros, missing indicator values per column, districts without values.

    Parameters
    ----------
    table
        Text table (see :func:`geo.io.readers.read_table`).
    districts
        The districts layer the ids must match (``district_id``).
    indicator_definitions
        Indicator table indexed by key with ``label`` and ``unit`` (:func:`geo.catalog.read_indicator_definitions`).
    id_column
        Column with the district id; default: found by name (``district_id``, ``Sozialraum-Nr``, ``Id``, …).
    year_column
        Column with the year; default: found by name (``Jahr``, ``year``).
    year
        Year of every row when the table has no year column.
    column_map
        File column → ``inhabitants``, ``children`` or an indicator key; the rest is found by key, label
        or usual name (``Einwohner``, ``Kinder``).

    Returns
    -------
    (pandas.DataFrame, Report)
        ``district_id``, ``year``, ``inhabitants``, ``children`` and one float column per indicator key,
        indexed by Excel row number; rows with errors or without a district are left out.
    """
    report = Report()
    rows = excel_rows(table)
    keys = list(indicator_definitions.index)
    targets = [settings.INHABITANTS, settings.CHILDREN, *keys]
    roles: dict[str, str] = {}
    for source, target in (column_map or {}).items():
        if target not in targets:
            raise ValueError(f"unknown column_map target {target!r}; use one of {targets}")
        if source not in table.columns:
            report.error(f"Die zugeordnete Spalte „{source}“ gibt es in der Datei nicht. Vorhanden: "
                         f"{_columns_list(table.columns)}.")
        else:
            roles[target] = source
    used = set(roles.values())
    id_col = id_column
    if id_col is None:
        id_col = _find_column(table.columns, _INDICATOR_ID_ALIASES, used) or next(
            (c for c in table.columns if c not in used and _norm(c).endswith(_ID_SUFFIXES)), None
        )
    if id_col is None or id_col not in table.columns:
        report.error(
            "Die Spalte mit der Kennung des Sozialraums fehlt (z. B. „district_id“, „Sozialraum-Nr“ oder „Id“). "
            f"Vorhandene Spalten: {_columns_list(table.columns)}."
        )
        id_col = None
    else:
        used.add(id_col)
    year_col = year_column if year_column is not None else _find_column(table.columns, _YEAR_ALIASES, used)
    if year_col is not None and year_col not in table.columns:
        report.error(f"Die Jahresspalte „{year_col}“ gibt es in der Datei nicht.")
        year_col = None
    if year_col is not None:
        used.add(year_col)
    elif year is None:
        report.error("Das Jahr fehlt: Die Datei hat keine Spalte „Jahr“. Bitte geben Sie das Jahr der Werte an.")
    _find_indicator_columns(table.columns, indicator_definitions, roles, used, report)
    for target in targets:
        if target not in roles:
            label = indicator_definitions.at[target, "label"] if target in keys else {
                settings.INHABITANTS: "Einwohnerinnen und Einwohner", settings.CHILDREN: "Kinder"}[target]
            report.error(f"Die Spalte für „{label}“ ({target}) fehlt. Bitte ergänzen Sie sie oder ordnen Sie "
                         "eine Spalte zu.")
    n = len(table)
    bad = np.full(n, year_col is None and year is None, dtype=bool)
    out = pd.DataFrame(index=pd.Index(rows, name=EXCEL_ROW))

    # District ids.
    if id_col is not None:
        ids = _text(table[id_col]).set_axis(out.index)
        blank = ids.isna().to_numpy()
        for row in rows[blank]:
            report.error("Die Kennung des Sozialraums fehlt.", int(row), id_col)
        matched, loose = _match_district_ids(ids, districts[settings.DISTRICT_ID])
        unmatched = ~blank & matched.isna().to_numpy()
        if unmatched.any():
            values = list(dict.fromkeys(ids[unmatched]))
            where = _rows_text(rows[unmatched])
            if (~blank & ~unmatched).any():
                report.warn(f"{len(values)} Kennung(en) passen zu keinem Sozialraum und werden nicht übernommen: "
                            f"{_sample(values)} ({where}).", column=id_col)
            else:
                examples = _sample(list(districts[settings.DISTRICT_ID].astype(str)), 3)
                report.error(f"Keine Kennung passt zu den Sozialräumen (z. B. {_sample(values, 3)}; erwartet "
                             f"werden Kennungen wie {examples}).", column=id_col)
        if loose.any():
            pairs = list(dict.fromkeys(f"{a} → {b}" for a, b in zip(ids[loose], matched[loose], strict=True)))
            report.warn(f"{int(loose.sum())} Kennung(en) wurden ohne führende Nullen zugeordnet "
                        f"(z. B. {', '.join(pairs[:3])}).", column=id_col)
        bad |= blank | unmatched
        out[settings.DISTRICT_ID] = matched.astype("str")
    else:
        bad[:] = True
        out[settings.DISTRICT_ID] = pd.Series(np.nan, index=out.index, dtype="str")

    # Years.
    if year_col is not None:
        raw = _text(table[year_col]).set_axis(out.index)
        years = parse_number(raw)
        wrong = ~((years % 1 == 0) & years.between(1900, 2100)).to_numpy()
        for row, value in zip(rows[wrong], raw.to_numpy()[wrong], strict=True):
            text = "Das Jahr fehlt." if pd.isna(value) else f"„{value}“ ist kein gültiges Jahr."
            report.error(text, int(row), year_col)
        bad |= wrong
        out[settings.YEAR] = years.where(~wrong).fillna(0).astype("int64")
    else:
        out[settings.YEAR] = np.int64(year if year is not None else 0)

    # Counts.
    for target in (settings.INHABITANTS, settings.CHILDREN):
        column = roles.get(target)
        if column is None:
            bad[:] = True
            out[target] = np.int64(0)
            continue
        raw = _text(table[column]).set_axis(out.index)
        values = parse_number(raw, integer=True)
        gap = _gap(raw)
        for mask, message in (
            (gap, "Der Wert fehlt."),
            (values.isna() & ~gap, "„{}“ ist keine Zahl."),
            (values < 0, "„{}“ darf nicht negativ sein."),
            (values % 1 > 0, "„{}“ ist keine ganze Zahl."),
            (values > MAX_COUNT, "„{}“ ist unplausibel groß."),
        ):
            mask = mask.to_numpy()
            for row, value in zip(rows[mask], raw.to_numpy()[mask], strict=True):
                report.error(f"Spalte „{column}“: " + message.format(value), int(row), column)
            bad |= mask
        out[target] = values.where(values.abs() <= MAX_COUNT).fillna(0).round().astype("int64")
    if settings.INHABITANTS in roles and settings.CHILDREN in roles:
        more = (out[settings.CHILDREN] > out[settings.INHABITANTS]).to_numpy() & ~bad
        for row in rows[more]:
            report.error("Es sind mehr Kinder als Einwohnerinnen und Einwohner angegeben.", int(row),
                         roles[settings.CHILDREN])
        bad |= more

    # Indicators.
    for key in keys:
        column = roles.get(key)
        if column is None:
            out[key] = np.nan
            continue
        raw = _text(table[column]).set_axis(out.index)
        values = parse_number(raw)
        gap = np.array(_gap(raw), dtype=bool)
        wrong = ~gap & values.isna().to_numpy()
        for row, value in zip(rows[wrong], raw.to_numpy()[wrong], strict=True):
            report.error(f"Spalte „{column}“: „{value}“ ist keine Zahl.", int(row), column)
        if str(indicator_definitions.at[key, "unit"]).strip() == "%":
            outside = (~values.between(0, 100) & values.notna()).to_numpy()
            for row, value in zip(rows[outside], raw.to_numpy()[outside], strict=True):
                report.error(f"Spalte „{column}“: {value} % liegt nicht zwischen 0 und 100.", int(row), column)
            wrong |= outside
        gap &= ~bad
        if gap.any():
            report.warn(f"Spalte „{column}“: {int(gap.sum())} Wert(e) fehlen ({_rows_text(rows[gap])}).",
                        column=column)
        bad |= wrong
        out[key] = values.astype("float64")

    # Duplicates and coverage.
    if id_col is not None:
        pair = (out[settings.DISTRICT_ID].astype("str") + " / " + out[settings.YEAR].astype("str")).where(~bad)
        dup = pair.duplicated(keep=False).to_numpy() & pair.notna().to_numpy()
        if dup.any():
            groups = pd.Series(rows[dup]).groupby(pair[dup].to_numpy(), sort=False)
            for value, members in groups:
                numbers = sorted(members.tolist())
                report.error(f"Sozialraum und Jahr {value} kommen mehrfach vor (Zeilen {_join_numbers(numbers)}).",
                             numbers[1], id_col)
            bad |= dup
        good = out[~bad]
        for each_year in sorted(good[settings.YEAR].unique()):
            present = set(good.loc[good[settings.YEAR] == each_year, settings.DISTRICT_ID])
            absent = [d for d in districts[settings.DISTRICT_ID].astype(str) if d not in present]
            if absent and present:
                report.warn(f"Für {len(absent)} Sozialräume fehlen Werte für {each_year}: {_sample(absent)}.")
    columns = [settings.DISTRICT_ID, settings.YEAR, settings.INHABITANTS, settings.CHILDREN, *keys]
    return out.loc[~bad, columns], _sort(report)


def _find_indicator_columns(
    columns: pd.Index,
    definitions: pd.DataFrame,
    roles: dict[str, str],
    used: set[str],
    report: Report,
) -> None:
    """Assign columns to counts and indicators not mapped yet: exact names first, then close ones.

    Counts: usual names, then name starts ("Kinder 0-17"); columns naming a share or quote are skipped.
    Indicators: key or label, then the most similar label ("Alleinerziehende (%)" → "Anteil
    Alleinerziehender"), reported in one warning so the planner can check the guess.
    """
    def free() -> list[str]:
        return [c for c in columns if c not in used]

    def take(target: str, column: str) -> None:
        roles[target] = column
        used.add(column)

    for target, aliases in _COUNT_ALIASES.items():
        if target not in roles and (found := _find_column(free(), aliases)) is not None:
            take(target, found)
    for key, row in definitions.iterrows():
        if key not in roles and (found := _find_column(free(), (_norm(key), _norm(row["label"])))) is not None:
            take(key, found)
    for target, prefixes in _COUNT_PREFIXES.items():
        if target in roles:
            continue
        for column in free():
            name = _norm(column)
            if name.startswith(prefixes) and not any(w in name for w in ("quote", "anteil", "prozent", "je")):
                take(target, column)
                break
    scores = []
    for key, row in definitions.iterrows():
        if key in roles:
            continue
        for column in free():
            name = _norm(column)
            score = max(difflib.SequenceMatcher(None, name, _norm(v)).ratio() for v in (key, row["label"]))
            if score >= INDICATOR_NAME_SIMILARITY:
                scores.append((score, key, column))
    guessed = []
    for _, key, column in sorted(scores, key=lambda t: -t[0]):
        if key not in roles and column not in used:
            take(key, column)
            guessed.append(f"„{column}“ als „{definitions.at[key, 'label']}“")
    if guessed:
        report.warn("Spalten nach ähnlichem Namen zugeordnet: " + ", ".join(guessed) + ". Bitte prüfen Sie die "
                    "Zuordnung.")


# --------------------------------------------------------------------------------------------------------------
# Changes and duplicates


@dataclass(frozen=True)
class ChangeSummary:
    """What an upload changes against the layer in use: ids added, changed and removed."""

    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int

    @property
    def has_changes(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def __str__(self) -> str:
        return (f"{len(self.added)} neu, {len(self.changed)} geändert, {len(self.removed)} entfernt, "
                f"{self.unchanged} unverändert")


def _key_labels(frame: pd.DataFrame, keys: list[str]) -> pd.Index:
    labels = frame[keys[0]].astype("str")
    for key in keys[1:]:
        labels = labels + " / " + frame[key].astype("str")
    return pd.Index(labels.to_numpy(dtype=object))


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise "value changed", NaN equal to NaN, numbers with a relative tolerance of 1e-9."""
    a_missing, b_missing = a.isna().to_numpy(), b.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(a.dtype) and pd.api.types.is_numeric_dtype(b.dtype):
        same = np.isclose(a.to_numpy(dtype="float64"), b.to_numpy(dtype="float64"), rtol=1e-9, atol=1e-9)
    else:
        same = a.astype("str").to_numpy(dtype=object) == b.astype("str").to_numpy(dtype=object)
    return ~((a_missing & b_missing) | (same & ~a_missing & ~b_missing))


def summarise_changes(old: pd.DataFrame | None, new: pd.DataFrame, *, key: str | Sequence[str]) -> ChangeSummary:
    """Compare an upload with the layer in use: which ids are new, changed (any attribute or the geometry,
    to 1 cm in a metric CRS) or gone.

    Parameters
    ----------
    old
        The layer in use, or ``None``.
    new
        The validated upload.
    key
        Id column, or several (``["district_id", "year"]``; reported as ``"0101 / 2024"``).

    Returns
    -------
    ChangeSummary
    """
    keys = [key] if isinstance(key, str) else list(key)
    new_k = new.drop_duplicates(keys).set_axis(_key_labels(new.drop_duplicates(keys), keys))
    if old is None or len(old) == 0:
        return ChangeSummary(list(new_k.index), [], [], 0)
    old = old.drop_duplicates(keys)
    old_k = old.set_axis(_key_labels(old, keys))
    added = new_k.index.difference(old_k.index, sort=False)
    removed = old_k.index.difference(new_k.index, sort=False)
    common = new_k.index.intersection(old_k.index, sort=False)
    a, b = old_k.loc[common], new_k.loc[common]
    changed = np.zeros(len(common), dtype=bool)
    geometry_a = a.geometry.name if isinstance(a, gpd.GeoDataFrame) else None
    geometry_b = b.geometry.name if isinstance(b, gpd.GeoDataFrame) else None
    for column in dict.fromkeys([*a.columns, *b.columns]):
        if column in keys or column in (geometry_a, geometry_b):
            continue
        left = a[column] if column in a.columns else pd.Series(np.nan, index=a.index)
        right = b[column] if column in b.columns else pd.Series(np.nan, index=b.index)
        changed |= _differs(left, right)
    if geometry_a and geometry_b:
        ga, gb = a.geometry, b.geometry
        if ga.crs is not None and gb.crs is not None and not ga.crs.equals(gb.crs):
            gb = gb.to_crs(ga.crs)
        tolerance = 1e-7 if ga.crs is not None and ga.crs.is_geographic else 0.01
        ga_arr, gb_arr = shapely.normalize(ga.array), shapely.normalize(gb.array)
        same = shapely.equals_exact(ga_arr, gb_arr, tolerance=tolerance) | (pd.isna(ga_arr) & pd.isna(gb_arr))
        changed |= ~np.asarray(same, dtype=bool)
    elif geometry_a or geometry_b:
        changed[:] = True
    return ChangeSummary(
        list(added), list(common[changed]), list(removed), int((~changed).sum())
    )


def _offer_identity(frame: pd.DataFrame) -> pd.Series:
    """Name and address, lower case, whitespace collapsed, "Straße"/"Strasse"/"Str." alike."""
    text = (frame[settings.OFFER_NAME].astype("str").fillna("") + " | "
            + frame[settings.OFFER_ADDRESS].astype("str").fillna(""))
    text = text.str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()
    return text.str.replace(r"stra(?:ss|ß)e\b|str\.", "str", regex=True)


def find_duplicate_offers(existing: pd.DataFrame, new: pd.DataFrame) -> list[Problem]:
    """Offers of ``new`` that ``existing`` already has, for the "add to the existing list" mode.

    Same id → error (ids must stay unique); same name and address under another id (whitespace, case and
    "Straße"/"Str." ignored) → warning. Rows are ``new``'s Excel row numbers.

    Returns
    -------
    list of Problem
    """
    problems: list[Problem] = []
    rows = excel_rows(new)
    existing_ids = existing[settings.OFFER_ID].astype("str")
    name_of = dict(zip(existing_ids, existing[settings.OFFER_NAME].astype("str"), strict=True))
    new_ids = new[settings.OFFER_ID].astype("str")
    same_id = new_ids.isin(set(existing_ids)).to_numpy()
    for row, value in zip(rows[same_id], new_ids.to_numpy()[same_id], strict=True):
        problems.append(Problem(f"Die Kennung „{value}“ gibt es schon in der bestehenden Liste "
                                f"(„{name_of[value]}“).", int(row), settings.OFFER_ID, "error"))
    old_named = (existing[settings.OFFER_NAME].astype("str").fillna("").str.strip() != "").to_numpy()
    id_of = dict(zip(_offer_identity(existing).to_numpy()[old_named], existing_ids.to_numpy()[old_named],
                     strict=True))
    identity = _offer_identity(new)
    named = new[settings.OFFER_NAME].astype("str").fillna("").str.strip().to_numpy() != ""
    same_place = named & ~same_id & identity.isin(set(id_of)).to_numpy()
    for row, ident, name, address in zip(rows[same_place], identity.to_numpy()[same_place],
                                         new[settings.OFFER_NAME].to_numpy()[same_place],
                                         new[settings.OFFER_ADDRESS].to_numpy()[same_place], strict=True):
        problems.append(Problem(f"„{name}, {address}“ steht schon in der bestehenden Liste (Kennung "
                                f"„{id_of[ident]}“). Ist das Angebot doppelt eingetragen?", int(row),
                                settings.OFFER_NAME, "warning"))
    return problems
