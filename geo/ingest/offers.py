"""Validate an offers table (locations of offers) into the offers layer: ids, types, coordinates, CRS."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo._errors import DataError, Report
from geo.crs import KNOWN_POINT_CRS, CrsGuess, guess_point_crs, parse_crs
from geo.ingest.columns import (
    _OFFER_ALIASES,
    _OFFER_TARGETS,
    CITY,
    CRS_COLUMN,
    HOUSE_NUMBER,
    POSTCODE,
    STREET,
    X,
    Y,
    _columns_list,
    _find_roles,
    _mapped_columns,
    _norm,
    _report_duplicates,
    _sort,
    _text,
    detect_coordinate_columns,
    excel_rows,
)
from geo.ingest.locations import check_outside, report_misfits, to_metric_xy
from geo.io import EXCEL_ROW, parse_number


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
    roles = _mapped_columns(columns, column_map, sorted(_OFFER_TARGETS), report)
    used = set(roles.values())
    if (X in roles) != (Y in roles):
        report.error("Bitte ordnen Sie beide Koordinatenspalten zu (Rechtswert/Länge und Hochwert/Breite).")
    if X not in roles and Y not in roles:
        pair = detect_coordinate_columns(c for c in columns if c not in used)
        if pair:
            roles[X], roles[Y] = pair
            used.update(pair)
    return _find_roles(columns, _OFFER_ALIASES, roles)


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
    skip_far: bool = False,
) -> OfferValidation:
    """Validate a raw offers table (all text, see :func:`geo.io.read_table`) into the offers layer.

    Columns are found by their usual German names (Id/Nr/Schulnummer; Art/Typ/Angebotsart;
    Name/Bezeichnung/Schulname; Adresse/Anschrift or Straße + Hausnummer + PLZ + Ort; Kapazität/Plätze;
    coordinates, see :func:`detect_coordinate_columns`) or given in ``column_map``. Every problem of the
    file is collected: missing columns, blank or non-numeric coordinates, an unknown CRS, coordinates that do
    not fit the system most rows fit (a typo such as ``42030,0`` among ``415300,2``), points farther than
    :data:`geo.settings.MAX_DISTANCE_OUTSIDE_M` from every district, unknown offer types (with the allowed
    values), duplicate ids (naming all rows), bad capacities, and — warnings — swapped coordinates (swapped
    back) and points outside the districts but nearer than that.

    Parameters
    ----------
    table
        Text table; its index is taken as Excel row numbers when named :data:`geo.io.EXCEL_ROW`.
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
    skip_far
        Leave points far outside the districts out with one warning instead of an error per row: for a file
        that covers more than the city (the statewide school file).

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
    mx, my, guess, swapped = _offer_points(table, roles, crs, districts, rows, report, bad, skip_far)
    capacity = _optional_count(table, roles.get(settings.OFFER_CAPACITY), "Kapazität", rows, report, bad)
    name_col = roles.get(settings.OFFER_NAME)
    names = _text(table[name_col]).fillna("") if name_col else pd.Series("", index=table.index, dtype="str")
    address = _offer_address(table, roles)

    keep = ~bad
    # The text columns stay in pandas' str arrays (no round trip through Python strings); the values are the same.
    offers = gpd.GeoDataFrame(
        {
            settings.OFFER_ID: ids.astype("str").array[keep],
            settings.OFFER_TYPE: types.astype("str").array[keep],
            settings.OFFER_NAME: names.astype("str").array[keep],
            settings.OFFER_ADDRESS: address.astype("str").array[keep],
            settings.OFFER_CAPACITY: capacity.to_numpy()[keep],
        },
        geometry=gpd.points_from_xy(mx[keep], my[keep]),
        crs=settings.METRIC_CRS,
        index=pd.Index(rows[keep], name=EXCEL_ROW),
    )
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
        return ("Z" + pd.Series(rows, index=table.index).astype("str")).astype("str")
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
    # Each distinct value is looked up once and the answer taken back to the rows by its code.
    codes, values = pd.factorize(raw)
    found = np.array([lookup.get(_norm(value)) for value in values.tolist()] + [None], dtype=object)
    keys = pd.Series(found[codes], index=raw.index, dtype=object)  # code -1 (blank): the None at the end
    blank = codes < 0
    if default is not None:
        keys = keys.mask(blank, default)
    elif blank.any():
        for row in rows[blank]:
            report.error(f"Die Angebotsart fehlt. Erlaubt sind: {allowed}.", int(row), column)
    missing = keys.isna().to_numpy()
    unknown = ~blank & missing
    for row, value in zip(rows[unknown], raw[unknown].tolist(), strict=True):
        report.error(f"Die Angebotsart „{value}“ ist unbekannt. Erlaubt sind: {allowed}.", int(row), column)
    bad |= missing
    return keys.astype("str")


def _coordinate_values(
    table: pd.DataFrame, column: str, rows: np.ndarray, report: Report
) -> tuple[np.ndarray, pd.Series]:
    """The column's numbers (NaN where blank or no number, each reported) and its text."""
    raw = _text(table[column])
    values = parse_number(raw).to_numpy()
    blank = raw.isna().to_numpy()
    for row in rows[blank]:
        report.error(f"Die Koordinate fehlt (Spalte „{column}“).", int(row), column)
    wrong = ~blank & np.isnan(values)
    for row, value in zip(rows[wrong], raw[wrong].tolist(), strict=True):
        report.error(f"„{value}“ in Spalte „{column}“ ist keine Zahl (Koordinate).", int(row), column)
    return values, raw


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
    skip_far: bool,
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
    x, x_text = _coordinate_values(table, xcol, rows, report)
    y, y_text = _coordinate_values(table, ycol, rows, report)
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
    raw = (x_text.array, y_text.array)
    columns, raw = ((ycol, xcol), raw[::-1]) if swapped else ((xcol, ycol), raw)
    report_misfits(x, y, valid & ~bad, source, columns, raw, rows, report, bad)
    mx, my = _metric_points(x, y, valid & ~bad, source, rows, report, bad)
    if districts is not None and len(districts):
        left_out = check_outside(mx, my, x, y, source, districts, rows, report, bad, skip_far=skip_far)
        if left_out:
            report.warn(f"{left_out} Standort(e) liegen weiter als {settings.MAX_DISTANCE_OUTSIDE_M / 1000:g} km "
                        "von allen Sozialräumen entfernt und werden nicht übernommen.")
    return mx, my, CrsGuess(source, swapped, reason), swapped


def _metric_points(
    x: np.ndarray,
    y: np.ndarray,
    valid: np.ndarray,
    source: str,
    rows: np.ndarray,
    report: Report,
    bad: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Reproject the valid points from ``source`` to the metric CRS; NaN and an error where that fails."""
    mx, my = np.full(len(x), np.nan), np.full(len(x), np.nan)
    if valid.any():
        mx[valid], my[valid] = to_metric_xy(x[valid], y[valid], source)
    lost = valid & ~(np.isfinite(mx) & np.isfinite(my))
    for row in rows[lost]:
        report.error(f"Die Koordinaten lassen sich nicht aus {source} nach {settings.METRIC_CRS} umrechnen.",
                     int(row))
    bad |= lost
    return mx, my


def _optional_count(
    table: pd.DataFrame, column: str | None, label: str, rows: np.ndarray, report: Report, bad: np.ndarray
) -> pd.Series:
    if column is None:
        return pd.Series(np.nan, index=table.index, dtype="float64")
    raw = _text(table[column])
    values = parse_number(raw, integer=True)
    wrong = (raw.notna() & values.isna()).to_numpy()
    for row, value in zip(rows[wrong], raw[wrong].tolist(), strict=True):
        report.error(f"{label} „{value}“ ist keine Zahl.", int(row), column)
    negative = (values < 0).to_numpy()
    for row, value in zip(rows[negative], raw[negative].tolist(), strict=True):
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
    return (street + ", " + town).where(both, street + town).astype("str")
