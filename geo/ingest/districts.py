"""Validate a boundary layer into the districts layer (Sozialräume): ids, names, polygons, repairs."""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo._errors import Report
from geo.crs import to_metric
from geo.ingest.columns import (
    _columns_list,
    _report_duplicates,
    _sort,
    _text,
)
from geo.io import EXCEL_ROW

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
        The layer as read by :func:`geo.io.read_boundaries`.
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
        report.error("Die Sozialraum-Nr. fehlt.", int(row), id_column)
    bad |= _report_duplicates(ids, rows, "Die Sozialraum-Nr.", id_column, report)
    label = np.where(ids.isna(), "ohne Sozialraum-Nr.", "„" + ids.fillna("").astype(object) + "“")

    geoms = np.asarray(gdf.geometry.array, dtype=object).copy()
    _check_polygons(geoms, rows, label, report, bad)
    _repair_invalid(geoms, rows, label, report, bad)
    blank_name = ~bad & names.isna().to_numpy()
    for row, who in zip(rows[blank_name], label[blank_name], strict=True):
        report.warn(f"Sozialraum {who} hat keinen Namen; die Sozialraum-Nr. wird als Name verwendet.", int(row))

    keep = ~bad
    out = gpd.GeoDataFrame(
        {
            settings.DISTRICT_ID: ids.to_numpy()[keep],
            settings.DISTRICT_NAME: names.fillna(ids).to_numpy()[keep],
            settings.AREA_ID: _optional_text(gdf, area_id_column, keep),
            settings.AREA_NAME: _optional_text(gdf, area_name_column, keep),
        },
        geometry=gpd.array.from_shapely(geoms[keep], crs=gdf.crs),
        index=pd.Index(rows[keep], name=EXCEL_ROW),
    )
    for column in (settings.DISTRICT_ID, settings.DISTRICT_NAME, settings.AREA_ID, settings.AREA_NAME):
        out[column] = out[column].astype("str")
    if gdf.crs is None:
        return empty, _sort(report)
    return to_metric(out, name="Sozialräume"), _sort(report)


def _optional_text(gdf: gpd.GeoDataFrame, column: str | None, keep: np.ndarray) -> np.ndarray:
    """The kept rows' text of an optional column; ``None`` throughout when no column is given."""
    if column is None:
        return np.full(int(keep.sum()), None, dtype=object)
    return _text(gdf[column]).reset_index(drop=True).to_numpy()[keep]


#: What a layer without any polygon is told, by the noun of its features.
_NEEDS_POLYGONS: Final[dict[str, str]] = {
    "Sozialraum": "Sozialräume müssen als Flächen vorliegen; Standorte (Punkte) laden Sie bitte als Angebote hoch.",
    "Einzugsgebiet": "Einzugsgebiete müssen als Flächen vorliegen; Standorte (Punkte) laden Sie bitte als Angebote "
                     "hoch.",
}


def _check_polygons(
    geoms: np.ndarray, rows: np.ndarray, label: np.ndarray, report: Report, bad: np.ndarray,
    *, noun: str = "Sozialraum",
) -> None:
    """Refuse features without geometry or without area; keep the polygons of a collection (in place).

    ``noun`` names a feature in the messages ("Sozialraum", "Einzugsgebiet"; a key of :data:`_NEEDS_POLYGONS`).
    """
    missing_geom = pd.isna(geoms) | shapely.is_empty(geoms)
    for row, who in zip(rows[missing_geom], label[missing_geom], strict=True):
        report.error(f"{noun} {who} hat keine Geometrie.", int(row))
    bad |= missing_geom
    present = ~missing_geom
    kinds = np.array([g.geom_type if g is not None else "" for g in geoms])
    polygonal = np.isin(kinds, ["Polygon", "MultiPolygon"])
    collections = present & (kinds == "GeometryCollection")
    for i in np.flatnonzero(collections):
        geoms[i] = _polygonal(geoms[i])
        polygonal[i] = not geoms[i].is_empty
        if polygonal[i]:
            report.warn(f"{noun} {label[i]} enthält neben Flächen auch Punkte oder Linien; übernommen werden "
                        "nur die Flächen.", int(rows[i]))
    not_polygon = present & ~polygonal
    if not_polygon.any() and not polygonal.any():
        counts = pd.Series(kinds[present]).value_counts()
        found = ", ".join(f"{count}× {_GEOMETRY_NAMES.get(kind, kind)}" for kind, count in counts.items())
        report.error(
            f"Die Datei enthält keine Flächen (Polygone), sondern {found}. {_NEEDS_POLYGONS[noun]}"
        )
    else:
        for row, who, kind in zip(rows[not_polygon], label[not_polygon], kinds[not_polygon], strict=True):
            report.error(
                f"{noun} {who} ist keine Fläche, sondern {_GEOMETRY_NAMES.get(kind, kind)}.", int(row)
            )
    bad |= not_polygon


def _repair_invalid(
    geoms: np.ndarray, rows: np.ndarray, label: np.ndarray, report: Report, bad: np.ndarray,
    *, noun: str = "Sozialraum",
) -> None:
    """Repair invalid polygons of rows not refused yet with :func:`shapely.make_valid` (in place), with a warning."""
    check = ~bad
    invalid = np.zeros(len(geoms), dtype=bool)
    invalid[check] = ~shapely.is_valid(geoms[check].astype(object))
    for i in np.flatnonzero(invalid):
        reason = shapely.is_valid_reason(geoms[i])
        short = reason.split("[")[0].strip()
        repaired = _polygonal(shapely.make_valid(geoms[i]))
        if repaired.is_empty:
            report.error(f"{noun} {label[i]}: ungültige Geometrie ({_VALIDITY_REASONS.get(short, short)}), "
                         "die sich nicht reparieren lässt.", int(rows[i]))
            bad[i] = True
            continue
        geoms[i] = repaired
        report.warn(
            f"{noun} {label[i]}: ungültige Geometrie ({_VALIDITY_REASONS.get(short, short)}) wurde "
            "automatisch repariert. Bitte prüfen Sie die Grenze auf der Karte.",
            int(rows[i]),
        )


def _empty_districts() -> gpd.GeoDataFrame:
    columns = [settings.DISTRICT_ID, settings.DISTRICT_NAME, settings.AREA_ID, settings.AREA_NAME]
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype="str") for c in columns},
        geometry=gpd.GeoSeries([], crs=settings.METRIC_CRS),
        index=pd.Index([], name=EXCEL_ROW, dtype=np.int64),
    )
