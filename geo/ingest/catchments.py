"""Validate an uploaded layer of catchment areas (Zuständigkeitsgebiete, Schuleinzugsbereiche) into ``catchments``.

A catchment area belongs to an offer type (whose areas they are: ``familienbuero`` for a Familienbüro's
Zuständigkeitsgebiet, ``grundschule`` for the city's Schuleinzugsbereiche) and, where given, to one facility of
that type (its ``offer_id``, for schools the Schulnummer). Rows count as in the attribute table opened in Excel:
the first feature is row 2, as for the Sozialraum boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import catalog, settings
from geo._errors import Report
from geo.crs import to_metric
from geo.formatting import format_number
from geo.ingest.columns import _find_column, _mapped_columns, _norm, _report_duplicates, _sort, _text
from geo.ingest.districts import _check_polygons, _repair_invalid
from geo.ingest.offers import allowed_offer_types, resolve_offer_type
from geo.io import EXCEL_ROW

#: Columns of the catchments layer (besides the geometry), in order.
CATCHMENT_COLUMNS: Final[list[str]] = [
    settings.CATCHMENT_ID, settings.OFFER_TYPE, settings.OFFER_ID, settings.OFFER_NAME,
]
#: Column names of a catchment file, compared after :func:`geo.ingest.columns._norm`, per layer column; the
#: facility's id is looked for first so that "Schulnummer" is never taken for the area's own number.
CATCHMENT_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    settings.OFFER_ID: (
        "offerid", "angebotskennung", "angebotsid", "angebotsnr", "angebotsnummer", "schulnummer", "schulnr",
        "einrichtungskennung", "einrichtungsnr", "einrichtungsnummer", "standortkennung", "standortnr",
    ),
    settings.OFFER_TYPE: (
        "offertype", "angebotsart", "art", "typ", "type", "angebotstyp", "einrichtungsart", "kategorie",
    ),
    settings.CATCHMENT_ID: (
        "catchmentid", "kennung", "gebietskennung", "gebietsnr", "gebietsnummer", "gebietsid", "einzugsgebietnr",
        "einzugsgebietsnr", "einzugsgebietsnummer", "einzugsgebietid", "nr", "nummer", "id", "lfdnr", "objektid",
    ),
    settings.OFFER_NAME: (
        "name", "bezeichnung", "gebietsname", "einzugsgebiet", "einzugsgebietsname", "zustaendigkeitsgebiet",
        "gebiet", "schulname", "einrichtung",
    ),
}
#: Two areas of one type overlap when they share more than this many square metres *and* more than
#: :data:`OVERLAP_MIN_SHARE` of the smaller one; less is a digitising sliver along a shared border.
OVERLAP_MIN_M2: Final[float] = 10.0
OVERLAP_MIN_SHARE: Final[float] = 0.005
#: Most overlap warnings listed one by one; the rest are counted.
OVERLAPS_LISTED: Final[int] = 50
#: A facility id column by one of these name starts makes a file without a type column a school file.
_SCHOOL_STARTS: Final[tuple[str, ...]] = ("schul",)
_SCHOOL_TYPE: Final[str] = "grundschule"


@dataclass
class CatchmentValidation:
    """The result of :func:`validate_catchments`.

    Attributes
    ----------
    layer
        ``catchment_id``, ``offer_type``, ``offer_id`` ("" for an area of the whole type), ``name`` (all text)
        and polygons in :data:`geo.settings.METRIC_CRS`, indexed by row number; rows with errors are left out.
    report
        Every error and warning.
    columns
        Layer column → the file's column it was read from.
    """

    layer: gpd.GeoDataFrame
    report: Report
    columns: dict[str, str] = field(default_factory=dict)


def detect_catchment_columns(columns: pd.Index, column_map: Mapping[str, str] | None = None,
                             report: Report | None = None) -> dict[str, str]:
    """Layer column → file column: as ``column_map`` says (file column → layer column), else by name."""
    report = report if report is not None else Report()
    roles = _mapped_columns(columns, column_map, CATCHMENT_COLUMNS, report)
    used = set(roles.values())
    attributes = [c for c in columns if c != "geometry"]
    for role, aliases in CATCHMENT_ALIASES.items():
        if role not in roles:
            found = _find_column(attributes, aliases, used) or _find_truncated(attributes, aliases, used)
            if found is not None:
                roles[role] = found
                used.add(found)
    return roles


#: Longest field name a Shapefile's DBF keeps: "Schulnummer" arrives as "Schulnumme".
DBF_NAME_LENGTH: Final[int] = 10


def _find_truncated(columns: list, aliases: tuple[str, ...], used: set[str]) -> str | None:
    """A column cut to :data:`DBF_NAME_LENGTH` characters whose name starts an alias ("Bezeichnun")."""
    for alias in aliases:
        for column in columns:
            cut = _norm(column)
            if column not in used and len(str(column)) == DBF_NAME_LENGTH and len(cut) >= 6 and \
                    alias.startswith(cut):
                return column
    return None


def validate_catchments(
    gdf: gpd.GeoDataFrame,
    *,
    offer_types: pd.DataFrame,
    offers: gpd.GeoDataFrame | None,
    districts: gpd.GeoDataFrame | None,
    default_type: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> CatchmentValidation:
    """Validate a layer of catchment polygons (as read by :func:`geo.io.read_boundaries`).

    Columns are found by name (:data:`CATCHMENT_ALIASES`: Kennung/Nr., Name, Angebotsart as key, label or short
    name, Angebots-Kennung or Schulnummer) or given in ``column_map``. Errors: no CRS, no type (column or
    ``default_type``), an unknown type, blank or duplicate ids, features without geometry or without area,
    geometries that cannot be repaired, areas farther than :data:`geo.settings.MAX_DISTANCE_OUTSIDE_M` from
    every Sozialraum. Warnings: repaired geometries (:func:`shapely.make_valid`), facility ids that are not
    among the offers of the area's type (the area is kept but matches no facility), areas of one type that
    overlap (naming both), areas outside every Sozialraum but near, types whose reach model does not use
    areas, ids made up from the row numbers.

    Parameters
    ----------
    gdf
        The uploaded layer in its own CRS.
    offer_types
        The offer type table in use.
    offers, districts
        The offers and Sozialräume in use (any CRS), to match facility ids and to locate the areas.
    default_type
        Offer type of every area when the file has no type column (key, label or short name).
    column_map
        File column → layer column (``catchment_id``, ``offer_type``, ``offer_id``, ``name``).

    Returns
    -------
    CatchmentValidation
    """
    report = Report()
    rows = np.arange(len(gdf), dtype=np.int64) + 2
    roles = detect_catchment_columns(gdf.columns, column_map, report)
    if gdf.crs is None:
        report.error("Die Einzugsgebiete haben kein Koordinatensystem. Bitte laden Sie die .prj-Datei mit hoch "
                     f"oder geben Sie das Koordinatensystem an (z. B. {settings.METRIC_CRS}).")
    bad = np.zeros(len(gdf), dtype=bool)
    types = _types(gdf, roles, offer_types, default_type, rows, report, bad)
    facility = _text(gdf[roles[settings.OFFER_ID]]).reset_index(drop=True) if settings.OFFER_ID in roles \
        else pd.Series(np.nan, index=range(len(gdf)), dtype="str")
    ids = _ids(gdf, roles, facility, rows, report, bad)
    label = np.array([f"„{i}“" if i else "ohne Kennung" for i in ids], dtype=object)
    geoms = np.asarray(gdf.geometry.array, dtype=object).copy()
    _check_polygons(geoms, rows, label, report, bad, noun="Einzugsgebiet")
    _repair_invalid(geoms, rows, label, report, bad, noun="Einzugsgebiet")
    names = (_text(gdf[roles[settings.OFFER_NAME]]).reset_index(drop=True) if settings.OFFER_NAME in roles
             else pd.Series(np.nan, index=range(len(gdf)), dtype="str"))
    layer = gpd.GeoDataFrame(
        {
            settings.CATCHMENT_ID: ids.to_numpy(dtype=object),
            settings.OFFER_TYPE: types.fillna("").to_numpy(dtype=object),
            settings.OFFER_ID: facility.fillna("").to_numpy(dtype=object),
            settings.OFFER_NAME: names.to_numpy(dtype=object),
        },
        geometry=gpd.array.from_shapely(geoms, crs=gdf.crs),
        index=pd.Index(rows, name=EXCEL_ROW),
    )
    if gdf.crs is None or bad.all():
        return CatchmentValidation(_empty_catchments(), _sort(report), roles)
    layer = to_metric(layer[~bad], name="Einzugsgebiete")
    layer[settings.OFFER_NAME] = _names(layer, offers)
    for column in CATCHMENT_COLUMNS:
        layer[column] = layer[column].astype("str")
    _check_facilities(layer, offers, offer_types, report)
    inside = _check_location(layer, districts, report)
    _check_overlaps(layer[inside], offer_types, report)
    _check_use(layer, offer_types, report)
    return CatchmentValidation(layer, _sort(report), roles)


def _types(
    gdf: gpd.GeoDataFrame, roles: dict[str, str], offer_types: pd.DataFrame, default_type: str | None,
    rows: np.ndarray, report: Report, bad: np.ndarray,
) -> pd.Series:
    """The offer type key of each area (NaN where unknown: an error)."""
    allowed = allowed_offer_types(offer_types)
    default = None
    if default_type is not None:
        default = resolve_offer_type(default_type, offer_types)
        if default is None:
            report.error(f"Die gewählte Angebotsart „{default_type}“ ist unbekannt. Erlaubt sind: {allowed}.")
            bad[:] = True
    column = roles.get(settings.OFFER_TYPE)
    n = len(gdf)
    if column is None:
        school = settings.OFFER_ID in roles and _norm(roles[settings.OFFER_ID]).startswith(_SCHOOL_STARTS)
        if default is None and default_type is None and school and _SCHOOL_TYPE in offer_types.index:
            default = _SCHOOL_TYPE
            report.warn(f"Keine Spalte „Angebotsart“ gefunden; wegen der Spalte „{roles[settings.OFFER_ID]}“ werden "
                        f"die Flächen als Schuleinzugsbereiche der Grundschulen übernommen.")
        elif default is None and default_type is None:
            report.error("Die Spalte für die Angebotsart fehlt (z. B. „Angebotsart“ oder „Art“). Ergänzen Sie sie "
                         f"oder wählen Sie eine Angebotsart für die ganze Datei. Erlaubt sind: {allowed}.")
            bad[:] = True
        return pd.Series(default, index=range(n), dtype="str")
    raw = _text(gdf[column]).reset_index(drop=True)
    mapping = {value: resolve_offer_type(value, offer_types) for value in raw.dropna().unique()}
    keys = raw.map(mapping)
    if default is not None:
        keys = keys.mask(raw.isna(), default)
    for row in rows[raw.isna().to_numpy() & keys.isna().to_numpy()]:
        report.error(f"Die Angebotsart fehlt. Erlaubt sind: {allowed}.", int(row), column)
    unknown = raw.notna().to_numpy() & keys.isna().to_numpy()
    for row, value in zip(rows[unknown], raw.to_numpy()[unknown], strict=True):
        report.error(f"Die Angebotsart „{value}“ ist unbekannt. Erlaubt sind: {allowed}.", int(row), column)
    bad |= keys.isna().to_numpy()
    return keys.astype("str")


def _ids(
    gdf: gpd.GeoDataFrame, roles: dict[str, str], facility: pd.Series, rows: np.ndarray, report: Report,
    bad: np.ndarray,
) -> pd.Series:
    """The areas' ids: the id column, else the facility ids where they are unique, else made from row numbers."""
    column = roles.get(settings.CATCHMENT_ID)
    if column is None:
        if len(facility) and facility.notna().all() and not facility.duplicated().any():
            return facility.astype("str")
        report.warn("Keine Spalte mit Kennungen der Gebiete gefunden (z. B. „Kennung“ oder „Nr“). Die Kennungen "
                    "wurden aus den Zeilennummern gebildet (Z2, Z3, …); beim nächsten Hochladen passen sie nur, wenn "
                    "die Reihenfolge gleich bleibt.")
        return pd.Series([f"Z{r}" for r in rows], dtype="str")
    ids = _text(gdf[column]).reset_index(drop=True)
    blank = ids.isna().to_numpy()
    for row in rows[blank]:
        report.error("Die Kennung des Einzugsgebiets fehlt.", int(row), column)
    bad |= blank
    bad |= _report_duplicates(ids, rows, "Die Kennung", column, report)
    return ids.fillna("").astype("str")


def _type_name(offer_types: pd.DataFrame, offer_type: str) -> str:
    return catalog.type_labels(offer_types, offer_type).plural


def _check_facilities(layer: gpd.GeoDataFrame, offers: gpd.GeoDataFrame | None, offer_types: pd.DataFrame,
                      report: Report) -> None:
    """Warn about facility ids that are not among the offers of the area's type (the area stays, unmatched)."""
    given = layer[layer[settings.OFFER_ID] != ""]
    for offer_type, group in given.groupby(settings.OFFER_TYPE, sort=False):
        known = set() if offers is None else set(
            offers.loc[offers[settings.OFFER_TYPE].astype("str") == offer_type, settings.OFFER_ID].astype("str"))
        plural = _type_name(offer_types, offer_type)
        if not known:
            label = catalog.type_labels(offer_types, offer_type).label
            areas = "1 Gebiet wird" if len(group) == 1 else f"{format_number(len(group))} Gebiete werden"
            report.warn(f"Es gibt noch keine Standorte der Angebotsart „{label}“: {areas} übernommen und den "
                        "Standorten zugeordnet, sobald diese hochgeladen sind.")
            continue
        for row, area, facility in zip(group.index, group[settings.CATCHMENT_ID], group[settings.OFFER_ID],
                                       strict=True):
            if facility not in known:
                report.warn(f"Einzugsgebiet „{area}“: Die Kennung „{facility}“ gibt es bei den {plural} nicht. Das "
                            "Gebiet wird übernommen, kann aber keinem Standort zugeordnet werden.", int(row),
                            settings.OFFER_ID)


def _check_location(layer: gpd.GeoDataFrame, districts: gpd.GeoDataFrame | None, report: Report) -> np.ndarray:
    """Areas outside every Sozialraum: far away an error (a wrong CRS, another city), near a warning.

    Returns the mask of the areas that lie (partly) in a Sozialraum.
    """
    if districts is None or not len(districts) or not len(layer):
        return np.ones(len(layer), dtype=bool)
    city = shapely.union_all(to_metric(districts, name="Sozialräume").geometry.to_numpy())
    shapely.prepare(city)
    geoms = layer.geometry.to_numpy()
    inside = shapely.contains(city, geoms)
    near = ~inside & shapely.intersects(city, geoms)
    # A neighbour sharing a border with the city has a sliver of area "inside" from floating point only.
    inside[near] = shapely.area(shapely.intersection(geoms[near], city)) > OVERLAP_MIN_M2
    distance = np.zeros(len(geoms))
    distance[~inside] = shapely.distance(geoms[~inside], city)
    far = ~inside & (distance > settings.MAX_DISTANCE_OUTSIDE_M)
    limit = format_number(settings.MAX_DISTANCE_OUTSIDE_M / 1000, 0 if settings.MAX_DISTANCE_OUTSIDE_M % 1000 == 0
                          else 1)
    if far.all():
        report.error(f"Keines der Einzugsgebiete liegt in den Sozialräumen; alle sind weiter als {limit} km entfernt. "
                     "Stimmt das Koordinatensystem? Gehören Datei und Sozialräume zur selben Stadt?")
        return inside
    for row, area, near in zip(layer.index[~inside], layer[settings.CATCHMENT_ID].to_numpy()[~inside],
                               distance[~inside], strict=True):
        if near > settings.MAX_DISTANCE_OUTSIDE_M:
            report.error(f"Einzugsgebiet „{area}“ liegt außerhalb aller Sozialräume, {format_number(near / 1000, 1)} "
                         "km entfernt. Stimmt das Koordinatensystem?", int(row))
        else:
            report.warn(f"Einzugsgebiet „{area}“ liegt außerhalb aller Sozialräume (an keiner Stelle in der Stadt); "
                        "es wird übernommen, erreicht aber niemanden.", int(row))
    return inside


def overlapping_pairs(geoms: np.ndarray) -> list[tuple[int, int, float]]:
    """``(i, j, area)`` for every pair ``i < j`` of polygons that overlap by more than a digitising sliver.

    A pair counts when it shares more than :data:`OVERLAP_MIN_M2` square metres and more than
    :data:`OVERLAP_MIN_SHARE` of the smaller polygon (metric CRS).
    """
    if len(geoms) < 2:
        return []
    left, right = shapely.STRtree(geoms).query(geoms)  # pairs of overlapping bounding boxes
    pair = left < right
    left, right = left[pair], right[pair]
    # Two areas share at most the overlap of their boxes: neighbours that only touch are left out without the
    # costly intersection (in a tidy coverage that is nearly every pair).
    box, area = shapely.bounds(geoms), shapely.area(geoms)
    width = np.minimum(box[left, 2], box[right, 2]) - np.maximum(box[left, 0], box[right, 0])
    height = np.minimum(box[left, 3], box[right, 3]) - np.maximum(box[left, 1], box[right, 1])
    smaller = np.minimum(area[left], area[right])
    room = width * height
    maybe = (room > OVERLAP_MIN_M2) & (room > OVERLAP_MIN_SHARE * smaller)
    left, right, smaller = left[maybe], right[maybe], smaller[maybe]
    shared = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    big = (shared > OVERLAP_MIN_M2) & (shared > OVERLAP_MIN_SHARE * smaller)
    return [(int(i), int(j), float(a)) for i, j, a in zip(left[big], right[big], shared[big], strict=True)]


def _area_text(square_metres: float) -> str:
    if square_metres >= 10_000:
        return f"{format_number(square_metres / 10_000, 1)} ha"
    return f"{format_number(square_metres, 0)} m²"


def _check_overlaps(layer: gpd.GeoDataFrame, offer_types: pd.DataFrame, report: Report) -> None:
    """One warning per pair of areas of the same type that overlap, naming both."""
    found: list[tuple[int, str]] = []
    for offer_type, group in layer.groupby(settings.OFFER_TYPE, sort=False):
        ids, rows = group[settings.CATCHMENT_ID].to_numpy(), group.index.to_numpy()
        plural = _type_name(offer_types, offer_type)
        for i, j, area in overlapping_pairs(group.geometry.to_numpy()):
            found.append((int(rows[j]), f"Die Einzugsgebiete „{ids[i]}“ (Zeile {rows[i]}) und „{ids[j]}“ (Zeile "
                                        f"{rows[j]}) der {plural} überschneiden sich auf {_area_text(area)}. "
                                        "Familien dort zählen zu beiden; bitte prüfen Sie die Grenzen."))
    found.sort()
    for row, message in found[:OVERLAPS_LISTED]:
        report.warn(message, row)
    if len(found) > OVERLAPS_LISTED:
        report.warn(f"… und {len(found) - OVERLAPS_LISTED} weitere Überschneidungen.")


def uses_catchments(offer_types: pd.DataFrame) -> set[str]:
    """Offer types whose areas the analysis uses.

    Those measured by areas (``gebiet``), and the host types of those measured by assigned facility
    (``zuordnung``: families belong to the facility whose area they live in).
    """
    model = offer_types["reach_model"].astype("str") if "reach_model" in offer_types else pd.Series(dtype="str")
    hosts = offer_types.loc[model == "zuordnung", "host_type"].astype("str") if "host_type" in offer_types else []
    return set(model.index[model == "gebiet"]) | {h for h in hosts if h}


def _check_use(layer: gpd.GeoDataFrame, offer_types: pd.DataFrame, report: Report) -> None:
    """Warn about types whose reach model does not use areas: stored, but without effect until it is changed."""
    used = uses_catchments(offer_types)
    for offer_type in dict.fromkeys(layer[settings.OFFER_TYPE]):
        if offer_type not in used:
            report.warn(
                f"Die Gebiete der {_type_name(offer_types, offer_type)} nutzt derzeit kein Reichweitenmodell. Sie "
                "werden gespeichert und wirken, sobald auf der Seite „Angebotsarten“ für diese Art das Modell "
                f"„{catalog.REACH_MODELS['gebiet']}“ gewählt ist (oder eine andere Art ihr als zugeordnete "
                "Einrichtung folgt)."
            )


def _names(layer: gpd.GeoDataFrame, offers: gpd.GeoDataFrame | None) -> pd.Series:
    """The area's name; blank: the name of its facility, else its id."""
    names = layer[settings.OFFER_NAME]
    if offers is not None and len(offers):
        key = offers[settings.OFFER_TYPE].astype("str") + "\x1f" + offers[settings.OFFER_ID].astype("str")
        facility = dict(zip(key, offers[settings.OFFER_NAME].astype("str"), strict=False))
        own = (layer[settings.OFFER_TYPE] + "\x1f" + layer[settings.OFFER_ID]).map(facility)
        names = names.fillna(own.where(layer[settings.OFFER_ID] != ""))
    return names.fillna(layer[settings.CATCHMENT_ID]).astype("str")


def merge_catchments(existing: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """The areas in use with those of the upload's types replaced by the upload; other types stay, first.

    Returns
    -------
    geopandas.GeoDataFrame
        ``RangeIndex``, ``new``'s CRS; neither input is modified.
    """
    new = new.reset_index(drop=True)
    if existing is None or not len(existing):
        return new
    existing = existing.to_crs(new.crs) if existing.crs is not None else existing.set_crs(new.crs)
    keep = ~existing[settings.OFFER_TYPE].astype("str").isin(set(new[settings.OFFER_TYPE])).to_numpy()
    kept = gpd.GeoDataFrame(
        {c: existing[c].astype("str").to_numpy()[keep] for c in CATCHMENT_COLUMNS},
        geometry=gpd.GeoSeries(existing.geometry.to_numpy()[keep], crs=new.crs, name=new.geometry.name),
    )
    merged = pd.concat([kept, new[[*CATCHMENT_COLUMNS, new.geometry.name]]], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry=new.geometry.name, crs=new.crs)


def catchment_summary(layer: gpd.GeoDataFrame, offer_types: pd.DataFrame) -> str:
    """"12 Grundschulen, 3 Familienbüros": the areas per type, for the page and the command line."""
    counts = layer[settings.OFFER_TYPE].value_counts(sort=False)
    return ", ".join(f"{format_number(n)} {_type_name(offer_types, t)}" for t, n in counts.items()) or "keine"


def _empty_catchments() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {c: pd.Series(dtype="str") for c in CATCHMENT_COLUMNS},
        geometry=gpd.GeoSeries([], crs=settings.METRIC_CRS),
        index=pd.Index([], name=EXCEL_ROW, dtype=np.int64),
    )

