"""Validate a residents layer (where people live: address or block points, Zensus grid cells) into canonical points.

Sources: tables with coordinates (CSV/XLSX, as offers), point or polygon layers (GeoPackage, zipped Shapefile,
GeoJSON; polygons stand at a point inside them) and the Zensus 2022 grid in its published CSV form
(``GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner``, cell centres in EPSG:3035, ``–`` for suppressed values),
recognised by its columns. The layer is clipped to the districts and its counts are compared with the indicator
table. Everything runs column-wise: a Zensus extract of a Kreis has 10^5–10^6 rows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo import settings
from geo._errors import DataError, Report
from geo.analysis.access import district_positions
from geo.analysis.run import RESIDENT_KINDS
from geo.crs import KNOWN_POINT_CRS, CrsGuess, guess_point_crs, parse_crs, to_metric, transform_xy
from geo.formatting import format_number
from geo.ingest.age_bands import describe
from geo.ingest.columns import CRS_COLUMN, X, Y, _columns_list, _gap_codes, _rows_text, _sort, _text, excel_rows
from geo.ingest.offers import _crs_from_column
from geo.ingest.zensus import (
    ZENSUS_CRS,
    ZENSUS_LOW_RELIABILITY,
    ZENSUS_RESOLUTIONS,
    ResidentColumns,
    cell_corners,
    find_resident_columns,
)
from geo.io import BOUNDARY_SUFFIXES, parse_number, read_boundaries, read_table
from geo.io.large_tables import read_large_csv

#: Per finding, this many rows are listed one by one; the rest are counted in one more line.
ROW_PROBLEMS_SHOWN: Final[int] = 20
#: Districts listed in the warning that compares the layer's counts with the indicator table.
SHOWN_DIFFERENCES: Final[int] = 5
CSV_SUFFIXES: Final[tuple[str, ...]] = (".csv", ".txt", ".tsv")
XLSX_SUFFIXES: Final[tuple[str, ...]] = (".xlsx", ".xlsm", ".xls")
#: What a count is called in messages.
COUNT_LABELS: Final[dict[str, str]] = {settings.INHABITANTS: "Einwohner", settings.CHILDREN: "Kinder",
                                       settings.BIRTHS: "Geburten"}
_POINT_TYPES = (0, 4)  # shapely type ids: Point, MultiPoint
_AREA_TYPES = (3, 6)  # Polygon, MultiPolygon


@dataclass
class ResidentsValidation:
    """The result of :func:`validate_residents`.

    Attributes
    ----------
    residents
        Points in ``settings.METRIC_CRS`` inside the districts, ``RangeIndex``: ``inhabitants`` and ``children``
        (int, each only where the file has it), ``age_<from>_<to>`` (from to under to years, see
        :func:`geo.settings.age_column`) / ``age_<from>_plus`` for further age bands, ``births`` where given,
        ``resident_id`` (the Zensus cell id, where given) and ``resident_kind`` (a key of
        :data:`geo.analysis.run.RESIDENT_KINDS`). ``None`` when ``report`` has errors.
    report
        Every error and warning, rows as Excel shows them (a layer's first feature is row 2).
    kind
        ``"zensus_100m"``, ``"zensus_1km"``, ``"points"`` or ``"areas"``.
    crs_guess
        The CRS the coordinates were read in and why.
    columns
        Which column held what.
    info
        German labels for the UI: what the file holds, totals, what was left out.
    """

    residents: gpd.GeoDataFrame | None
    report: Report
    kind: str = "points"
    crs_guess: CrsGuess | None = None
    columns: ResidentColumns = field(default_factory=ResidentColumns)
    info: dict[str, str] = field(default_factory=dict)


def read_residents(
    data: bytes, filename: str, *, sheet: str | None = None, layer: str | None = None, crs: str | None = None
) -> pd.DataFrame:
    """Read an uploaded residents file: a CSV (any size up to the residents limits), XLSX, or a vector layer.

    Returns
    -------
    pandas.DataFrame
        A text table indexed by Excel row (CSV: :func:`geo.io.large_tables.read_large_csv`, XLSX:
        :func:`geo.io.read_table`), or a GeoDataFrame (GeoPackage, zipped Shapefile, GeoJSON:
        :func:`geo.io.read_boundaries`).
    """
    suffix = Path(filename).suffix.lower()
    if suffix in CSV_SUFFIXES:
        return read_large_csv(data, filename, max_rows=settings.MAX_RESIDENT_ROWS)
    if suffix in XLSX_SUFFIXES:
        return read_table(data, filename, sheet=sheet)
    if suffix in BOUNDARY_SUFFIXES:
        return read_boundaries(data, filename, crs=crs, layer=layer)
    raise DataError(
        f"Der Dateityp „{suffix or Path(filename).name}“ wird für Wohnorte nicht unterstützt. Erlaubt sind CSV "
        "(auch das Zensus-2022-Gitter, .csv), Excel-Arbeitsmappen (.xlsx), GeoPackage (.gpkg), GeoJSON und "
        "Shapefile als ZIP-Datei (.zip)."
    )


def validate_residents(
    raw: pd.DataFrame,
    *,
    districts: gpd.GeoDataFrame,
    indicators: pd.DataFrame | None = None,
    crs: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> ResidentsValidation:
    """Validate a residents file (as :func:`read_residents` returns it) into the residents layer.

    Every problem is collected: missing count or coordinate columns, values that are no numbers or negative
    (rows named), suppressed values (``–``, read as 0, one warning counting them), an unknown CRS, duplicate Zensus
    cells. Points outside every district are dropped (one warning); none inside is an error. The layer's counts per
    district and in total are compared with the indicator table's latest year (a warning, never an error).

    Parameters
    ----------
    raw
        A text table (index = Excel rows) or a GeoDataFrame of points or polygons.
    districts
        The districts in use (any CRS); the layer is clipped to them.
    indicators
        The indicator table in use, for the comparison of counts; ``None`` skips it.
    crs
        The coordinates' CRS as the planner states it (tables only; a layer's own CRS is set when reading).
        Default: EPSG:3035 for the Zensus grid, else a CRS column or a guess from the value ranges.
    column_map
        File column → ``inhabitants``, ``children``, ``x``, ``y`` or ``crs``; other roles are found by name.

    Returns
    -------
    ResidentsValidation
    """
    report = Report()
    is_layer = isinstance(raw, gpd.GeoDataFrame)
    table = pd.DataFrame(raw.drop(columns=raw.geometry.name)) if is_layer else raw
    rows = np.arange(len(raw), dtype=np.int64) + 2 if is_layer else excel_rows(raw)
    columns = find_resident_columns(table.columns, column_map, report,
                                    header_row=int(rows[0]) - 1 if len(rows) and not is_layer else 1)
    kind = _kind(raw, columns, report)
    counts = [c for c in (settings.INHABITANTS, settings.CHILDREN) if c in columns.roles or
              (c == settings.CHILDREN and columns.children_from)]
    if not counts:
        report.error(
            "Keine Spalte mit Einwohner- oder Kinderzahlen gefunden (z. B. „Einwohner“, „EW“, „Kinder“, „Unter 18“ "
            f"oder beim Zensus-Gitter „Einwohner“). Vorhandene Spalten: {_columns_list(table.columns)}."
        )
    if is_layer:
        mx, my, guess = _layer_xy(raw, rows, report)
    else:
        mx, my, guess = _table_xy(table, columns, crs, rows, report)
    if counts == [settings.INHABITANTS]:
        bands = ", ".join(b.label for b in sorted(set(columns.ages.values()), key=lambda b: b.low))
        report.warn("Die Datei enthält keine Kinderzahlen (eine Spalte wie „Unter18“ oder „Kinder“), nur Einwohner"
                    + (f"; ihre Altersgruppen ({bands}) ergeben zusammen nicht 0 bis unter 18 Jahre."
                       if bands else "."))
    values = {target: _counts(table, columns.roles[target], rows, report) for target in counts
              if target in columns.roles}
    ages = _age_counts(table, columns, rows, report)
    if columns.children_from:
        values[settings.CHILDREN] = sum(ages[columns.ages[c].column] for c in columns.children_from)
        report.warn("Die Datei hat keine Spalte mit allen Kindern; die Kinderzahl (0 bis unter 18 Jahre) ist die Summe "
                    f"der Spalten {_columns_list(columns.children_from)}.")
    _note_flags(table, columns, report)
    ids = _cell_ids(table, columns, rows, report)
    info = _file_info(kind, len(raw), columns)
    if not report.ok:
        return ResidentsValidation(None, _sort(report), kind, guess, columns, info)
    points = gpd.points_from_xy(mx, my, crs=settings.METRIC_CRS)
    district_of = _clip(points, districts, values, kind, report, info)
    if not report.ok:
        return ResidentsValidation(None, _sort(report), kind, guess, columns, info)
    inside = district_of >= 0
    if settings.INHABITANTS in values and settings.CHILDREN in values and not kind.startswith("zensus"):
        # Not for the Zensus: its tables are perturbed one by one, so a cell may have more under-18s than people.
        _warn_more_children(values, rows, inside, report)
    if indicators is not None:
        compare_with_indicators(district_of[inside], {k: v[inside] for k, v in values.items()}, districts,
                                indicators, report, info)
    columns_kept = {name: v[inside] for name, v in {**values, **ages}.items()}
    layer = _layer(points[inside], columns_kept, None if ids is None else ids[inside], kind)
    for target in counts:
        info[COUNT_LABELS[target]] = format_number(layer[target].sum())
    return ResidentsValidation(layer, _sort(report), kind, guess, columns, info)


def _kind(raw: pd.DataFrame, columns: ResidentColumns, report: Report) -> str:
    """``zensus_<res>``, ``areas`` (a layer with polygons) or ``points``; a grid coarser than 1 km is refused."""
    if columns.grid is not None:
        if columns.grid not in ZENSUS_RESOLUTIONS:
            size = re.sub(r"(k?m)$", r"-\1", columns.grid)
            coarse = size.endswith("km")
            why = "Für Entfernungen zu Angeboten ist das zu grob" if coarse else "Dieses Gitter gibt es nicht"
            report.error(f"Die Datei ist ein Zensus-Gitter mit {size}-Zellen. {why}: bitte laden Sie das 100-m-Gitter "
                         "hoch (Datei „…_100m-Gitter.csv“).")
        elif columns.grid == "1km":
            report.warn("Die Datei ist das 1-km-Gitter des Zensus: Entfernungen werden von den Mittelpunkten der "
                        "1-km-Zellen gemessen und sind entsprechend grob. Genauer ist das 100-m-Gitter.")
        return f"zensus_{columns.grid}" if f"zensus_{columns.grid}" in RESIDENT_KINDS else "zensus_100m"
    if isinstance(raw, gpd.GeoDataFrame):
        types = shapely.get_type_id(np.asarray(raw.geometry.array, dtype=object))
        return "areas" if np.isin(types, _AREA_TYPES).any() else "points"
    return "points"


def _file_info(kind: str, n: int, columns: ResidentColumns) -> dict[str, str]:
    what = {"zensus_100m": "Zensus-2022-Gitter, 100-m-Zellen", "zensus_1km": "Zensus-2022-Gitter, 1-km-Zellen",
            "areas": "Flächen (je ein Punkt im Inneren)"}.get(kind, "Punkte (Adressen oder Blöcke)")
    info = {"Wohnorte": f"{what}: {format_number(n)}"}
    if columns.ages or settings.BIRTHS in columns.roles:
        info["Altersgruppen"] = describe(columns.ages, columns.roles.get(settings.BIRTHS))
    return info


def _row_problems(report: Report, rows: np.ndarray, message, column: str | None, *, values=None,
                  severity: str = "error") -> None:
    """One finding per row for the first :data:`ROW_PROBLEMS_SHOWN` rows, then one line counting the rest."""
    add = report.error if severity == "error" else report.warn
    shown = rows[:ROW_PROBLEMS_SHOWN]
    for i, row in enumerate(shown):
        add(message(None if values is None else values[i]), int(row), column)
    if len(rows) > ROW_PROBLEMS_SHOWN:
        rest = len(rows) - ROW_PROBLEMS_SHOWN
        add(f"… und {format_number(rest)} weitere Zeilen ab hier mit demselben Befund"
            + (f" in Spalte „{column}“." if column else "."), int(rows[ROW_PROBLEMS_SHOWN]), column)


def _numbers(raw: pd.Series, *, integer: bool) -> np.ndarray:
    """Numbers as :func:`geo.io.parse_number` reads them (NaN where none), plain digits parsed in one pass."""
    if not pd.api.types.is_string_dtype(raw.dtype) or pd.api.types.is_object_dtype(raw.dtype):
        if pd.api.types.is_numeric_dtype(raw.dtype) or pd.api.types.is_bool_dtype(raw.dtype):
            return parse_number(raw, integer=integer).to_numpy(dtype=float)
        raw = _text(raw)
    text = raw.astype("str")
    array = pa.array(text.array)
    plain = pc.fill_null(pc.match_substring_regex(array, r"^[+-]?\d+$" if integer else r"^[+-]?\d+(?:\.\d+)?$"),
                         False)
    values = pc.cast(pc.if_else(plain, array, pa.scalar(None, pa.string())), pa.float64())
    out = values.to_numpy(zero_copy_only=False).astype(float, copy=True)
    rest = ~plain.to_numpy(zero_copy_only=False) & text.notna().to_numpy()
    if rest.any():
        out[rest] = parse_number(text[rest], integer=integer).to_numpy(dtype=float)
    return out


def _counts(table: pd.DataFrame, column: str, rows: np.ndarray, report: Report) -> np.ndarray:
    """A count column as whole numbers: suppressed or blank values are 0 (one warning), the rest must be ≥ 0."""
    raw = table[column]
    values = _numbers(raw, integer=True)
    missing = np.isnan(values)
    if missing.any():
        text = _text(raw[missing])
        gap = _gap_codes(text).notna().to_numpy()
        wrong = ~gap
        _row_problems(report, rows[missing][wrong], lambda v: f"„{v}“ in Spalte „{column}“ ist keine Zahl.",
                      column, values=text.to_numpy()[wrong])
        if gap.any():
            shown = sorted({str(v) for v in text[gap].dropna().unique()[:5]})
            marks = " oder ".join(f"„{v}“" for v in shown) or "leer"
            report.warn(
                f"Spalte „{column}“: {format_number(int(gap.sum()))} Werte fehlen oder sind geheim gehalten "
                f"({marks}; {_rows_text(rows[missing][gap])}). Sie wurden als 0 gelesen."
            )
    negative = values < 0
    _row_problems(report, rows[negative], lambda v: f"{format_number(v)} in Spalte „{column}“ ist negativ; "
                  "Einwohner- und Kinderzahlen können nicht kleiner als 0 sein.", column, values=values[negative])
    fraction = np.isfinite(values) & (values % 1 != 0)
    if fraction.any():
        report.warn(f"Spalte „{column}“: {format_number(int(fraction.sum()))} Werte mit Nachkommastellen wurden auf "
                    f"ganze Zahlen gerundet ({_rows_text(rows[fraction])}).")
    return np.rint(np.nan_to_num(values, nan=0.0)).astype(np.int64)


def _age_counts(table: pd.DataFrame, columns: ResidentColumns, rows: np.ndarray, report: Report) -> dict:
    """Further age bands as ``age_<from>_<to>`` columns and the births as ``births`` (whole numbers, as counts)."""
    out = {band.column: _counts(table, column, rows, report) for column, band in columns.ages.items()}
    if settings.BIRTHS in columns.roles:
        out[settings.BIRTHS] = _counts(table, columns.roles[settings.BIRTHS], rows, report)
    return out


def _note_flags(table: pd.DataFrame, columns: ResidentColumns, report: Report) -> None:
    if columns.flags is None:
        return
    low = (table[columns.flags].astype("str").str.upper() == ZENSUS_LOW_RELIABILITY).fillna(False).to_numpy()
    if low.any():
        report.warn(f"{format_number(int(low.sum()))} Gitterzellen sind als wenig verlässlich gekennzeichnet "
                    f"(„{ZENSUS_LOW_RELIABILITY}“ in Spalte „{columns.flags}“); ihre Werte wurden übernommen.")


def _coordinates(table: pd.DataFrame, column: str, rows: np.ndarray, report: Report) -> np.ndarray:
    raw = table[column]
    values = _numbers(raw, integer=False)
    blank = raw.isna().to_numpy()
    _row_problems(report, rows[blank], lambda _: f"Die Koordinate fehlt (Spalte „{column}“).", column)
    wrong = ~blank & np.isnan(values)
    _row_problems(report, rows[wrong], lambda v: f"„{v}“ in Spalte „{column}“ ist keine Zahl (Koordinate).",
                  column, values=raw.to_numpy()[wrong])
    return values


def _table_xy(
    table: pd.DataFrame, columns: ResidentColumns, crs: str | None, rows: np.ndarray, report: Report
) -> tuple[np.ndarray, np.ndarray, CrsGuess | None]:
    """Metric x, y of a table's rows (NaN where unusable) and how their CRS was found."""
    roles = columns.roles
    nan = np.full(len(table), np.nan)
    if X in roles and Y in roles:
        x = _coordinates(table, roles[X], rows, report)
        y = _coordinates(table, roles[Y], rows, report)
    elif columns.cell_id is not None:  # a Zensus table without the centre columns: the id has the corner
        east, north = cell_corners(table[columns.cell_id])
        half = ZENSUS_RESOLUTIONS.get(columns.grid, 100.0) / 2
        x, y = east + half, north + half
        bad = np.isnan(x)
        _row_problems(report, rows[bad], lambda v: f"„{v}“ ist keine Zensus-Gitterzellen-Kennung.", columns.cell_id,
                      values=table[columns.cell_id].to_numpy()[bad])
    else:
        report.error(
            "Keine Koordinatenspalten gefunden. Erwartet werden z. B. „Rechtswert“ und „Hochwert“, „x“ und „y“, "
            "„lat“ und „lon“ oder beim Zensus-Gitter „x_mp_100m“ und „y_mp_100m“. Vorhandene Spalten: "
            f"{_columns_list(table.columns)}."
        )
        return nan, nan.copy(), None
    source, reason, swapped = _source_crs(x, y, columns, table, crs, report)
    if swapped:
        x, y = y, x
    if source is None:
        return nan, nan.copy(), None
    mx, my = _to_metric(x, y, source, rows, report)
    return mx, my, CrsGuess(source, swapped, reason)


def _source_crs(x, y, columns: ResidentColumns, table: pd.DataFrame, crs: str | None, report: Report):
    """(CRS, reason, swapped): the planner's, the Zensus', a CRS column's, or a guess from the value ranges."""
    valid = np.isfinite(x) & np.isfinite(y)
    if crs is not None:
        try:
            return parse_crs(crs).to_string(), "vom Nutzer angegeben", False
        except DataError as err:
            report.error(str(err))
            return None, "", False
    if columns.grid is not None:
        return ZENSUS_CRS, "Zensus-Gitter (ETRS89-LAEA)", False
    source = _crs_from_column(table, columns.roles.get(CRS_COLUMN), report)
    if source is not None:
        return source, f"laut Spalte „{columns.roles[CRS_COLUMN]}“", False
    guess = guess_point_crs(x[valid], y[valid])
    if guess.crs is None:
        if valid.any():
            systems = "; ".join(f"{code}: {label}" for code, label in KNOWN_POINT_CRS.items())
            report.error(f"Das Koordinatensystem der Spalten „{columns.roles[X]}“/„{columns.roles[Y]}“ wurde nicht "
                         f"erkannt ({guess.reason}). Bitte wählen Sie es aus. Üblich sind: {systems}.")
        return None, "", False
    if guess.swapped:
        report.warn(f"Die Spalten „{columns.roles[X]}“ und „{columns.roles[Y]}“ sind offenbar vertauscht "
                    f"({guess.reason}). Die Werte wurden getauscht.")
    return guess.crs, guess.reason, guess.swapped


def _to_metric(x: np.ndarray, y: np.ndarray, source: str, rows: np.ndarray, report: Report):
    valid = np.isfinite(x) & np.isfinite(y)
    mx, my = np.full(len(x), np.nan), np.full(len(x), np.nan)
    if valid.any():
        mx[valid], my[valid] = transform_xy(x[valid], y[valid], source)
    lost = valid & ~(np.isfinite(mx) & np.isfinite(my))
    _row_problems(report, rows[lost], lambda _: f"Die Koordinaten lassen sich nicht aus {source} nach "
                  f"{settings.METRIC_CRS} umrechnen.", None)
    return mx, my


def _layer_xy(gdf: gpd.GeoDataFrame, rows: np.ndarray, report: Report):
    """Metric x, y of a layer's features: points as they are, polygons at a point inside them (one warning)."""
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    missing = pd.isna(geoms) | shapely.is_empty(geoms)
    _row_problems(report, rows[missing], lambda _: "Das Objekt hat keine Geometrie.", None)
    types = shapely.get_type_id(geoms)
    other = ~missing & ~np.isin(types, (*_POINT_TYPES, *_AREA_TYPES))
    _row_problems(report, rows[other], lambda _: "Das Objekt ist weder Punkt noch Fläche (z. B. eine Linie); "
                  "Wohnorte müssen Punkte oder Flächen sein.", None)
    usable = ~missing & ~other
    points = geoms.copy()
    moved = usable & ~np.isin(types, 0)
    if moved.any():
        points[moved] = shapely.point_on_surface(geoms[moved])
        areas = int((moved & np.isin(types, _AREA_TYPES)).sum())
        if areas:
            report.warn(f"{format_number(areas)} Flächen wurden je durch einen Punkt in ihrem Inneren ersetzt "
                        "(„representative point“); Entfernungen werden von dort gemessen.")
        if multi := int((moved & np.isin(types, 4)).sum()):
            report.warn(f"{format_number(multi)} Mehrfachpunkte wurden je durch einen ihrer Punkte ersetzt.")
    nan = np.full(len(gdf), np.nan)
    if not usable.any():
        return nan, nan.copy(), None
    layer = gpd.GeoDataFrame(geometry=gpd.GeoSeries(points[usable], crs=gdf.crs))
    metric = to_metric(layer, name="Wohnorte").geometry.array
    mx, my = nan, nan.copy()
    mx[usable], my[usable] = shapely.get_x(metric), shapely.get_y(metric)
    source = gdf.crs.to_string() if gdf.crs is not None else None
    return mx, my, CrsGuess(source, False, "laut Datei")


def _cell_ids(table: pd.DataFrame, columns: ResidentColumns, rows: np.ndarray, report: Report) -> np.ndarray | None:
    """The Zensus cell ids as text; a cell given twice is an error (it would count twice)."""
    if columns.cell_id is None:
        return None
    ids = _text(table[columns.cell_id])
    later = (ids.duplicated(keep="first") & ids.notna()).to_numpy()
    if later.any():
        twice = ids.isin(set(ids[later])).to_numpy()
        first = pd.Series(rows[twice]).groupby(ids[twice].to_numpy()).min()
        _row_problems(report, rows[later], lambda v: f"Die Gitterzelle „{v}“ kommt mehrfach vor (zuerst in Zeile "
                      f"{first[v]}); sie würde doppelt gezählt.", columns.cell_id, values=ids.to_numpy()[later])
    return ids.to_numpy(dtype=object)


def _clip(points, districts: gpd.GeoDataFrame, values: dict, kind: str, report: Report,
          info: dict[str, str]) -> np.ndarray:
    """District position of each point (-1 outside); points outside are counted in a warning, none inside an error."""
    metric = to_metric(districts, name="Sozialräume")
    district_of = district_positions(gpd.GeoDataFrame(geometry=points), metric)
    outside = district_of < 0
    zensus = kind.startswith("zensus")
    n = len(district_of)
    if outside.all():
        none = f"Keine der {format_number(n)} Gitterzellen" if zensus else f"Keiner der {format_number(n)} Wohnorte"
        report.error(f"{none} liegt in einem der Sozialräume. Gehören Datei und Sozialräume zur selben Stadt, und "
                     "stimmt das Koordinatensystem?")
    elif outside.any():
        people = ""
        if settings.INHABITANTS in values:
            people = f" mit {format_number(values[settings.INHABITANTS][outside].sum())} Einwohnern"
        unit = "Gitterzellen" if zensus else "Wohnorten"
        report.warn(f"{format_number(int(outside.sum()))} von {format_number(n)} {unit}{people} liegen außerhalb aller "
                    "Sozialräume und wurden weggelassen.")
        info["Außerhalb der Sozialräume (weggelassen)"] = format_number(int(outside.sum()))
    return district_of


def _warn_more_children(values: dict, rows: np.ndarray, inside: np.ndarray, report: Report) -> None:
    more = inside & (values[settings.CHILDREN] > values[settings.INHABITANTS])
    if more.any():
        report.warn(f"{format_number(int(more.sum()))} Wohnorte haben mehr Kinder als Einwohner "
                    f"({_rows_text(rows[more])}). Bitte prüfen Sie die Spalten.")


def compare_with_indicators(
    district_of: np.ndarray,
    values: Mapping[str, np.ndarray],
    districts: gpd.GeoDataFrame,
    indicators: pd.DataFrame,
    report: Report,
    info: dict[str, str],
) -> None:
    """Compare the layer's counts per district and in total with the indicator table's latest year.

    ``district_of`` holds each point's position in ``districts``. Adds one warning per count (inhabitants,
    children) that differs anywhere, with the total and the districts of the largest differences ("Wohnorte-Ebene:
    12.340 Einwohner, Indikatortabelle 2024: 12.410 (−0,6 %)"), and the totals to ``info``. Never an error: the
    Zensus and a city's register count differently and on other dates.
    """
    ids = districts[settings.DISTRICT_ID].astype("str").str.strip()
    names = dict(zip(ids, districts[settings.DISTRICT_NAME].astype("str"), strict=False)) \
        if settings.DISTRICT_NAME in districts else {}
    table = indicators.assign(**{settings.DISTRICT_ID: indicators[settings.DISTRICT_ID].astype("str").str.strip()})
    table = table[table[settings.DISTRICT_ID].isin(set(ids))]
    if table.empty:
        return
    year = int(table[settings.YEAR].max())
    table = table[table[settings.YEAR] == year].groupby(settings.DISTRICT_ID)
    for target, counts in values.items():
        if target not in indicators.columns:
            continue
        stated = table[target].sum(min_count=1).dropna()
        if stated.empty:
            continue
        per_position = np.bincount(district_of, weights=counts.astype("float64"), minlength=len(ids))
        located = pd.Series(per_position, index=ids.to_numpy()).groupby(level=0).sum().reindex(stated.index)
        located = located.fillna(0.0)
        label = COUNT_LABELS[target]
        total_layer, total_table = float(located.sum()), float(stated.sum())
        summary = (f"Wohnorte-Ebene: {format_number(total_layer)} {label}, Indikatortabelle {year}: "
                   f"{format_number(total_table)} ({_percent(total_layer, total_table)})")
        info[f"Abgleich {label}"] = summary
        difference = located - stated
        if not (difference != 0).any():
            continue
        largest = difference[difference != 0].abs().sort_values(ascending=False, kind="stable")
        listed = "; ".join(
            f"„{names.get(i, i)}“ ({i}): {format_number(located[i])} statt {format_number(stated[i])} "
            f"({_percent(located[i], stated[i])})" for i in largest.index[:SHOWN_DIFFERENCES]
        )
        report.warn(f"{summary}. Größte Abweichungen je Sozialraum: {listed}. Die Anteile in Reichweite kommen aus "
                    "der Wohnorte-Ebene, die Zahlen je Sozialraum aus der Indikatortabelle.")


def _percent(value: float, reference: float) -> str:
    if reference == 0:
        return "Indikatortabelle: 0"
    if value == reference:
        return format_number(0.0, 1, unit="%").replace("0", "±0", 1)
    return format_number(100 * (value - reference) / reference, 1, unit="%", signed=True)


def _layer(points, values: dict[str, np.ndarray], ids: np.ndarray | None, kind: str) -> gpd.GeoDataFrame:
    data: dict[str, object] = dict(values)
    if ids is not None:
        data[settings.RESIDENT_ID] = pd.array(ids, dtype="str")
    data[settings.RESIDENT_KIND] = pd.Categorical.from_codes(np.zeros(len(points), dtype=np.int8), categories=[kind])
    return gpd.GeoDataFrame(data, geometry=points, crs=settings.METRIC_CRS)
