"""Compact JSON of the web map's districts: quantised, delta-coded outlines, property columns and shared tooltips."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs, settings
from geo.render.web.tips import Tips, tips_of

#: Metres per degree of latitude (and of longitude at the equator): how coarse a coordinate quantum may be.
_M_PER_DEGREE = 111_320.0
#: The finest and coarsest number of decimals of a coordinate in degrees (0.11 m … 11 m).
_DECIMALS = (4, 6)


def display_detail(districts: gpd.GeoDataFrame, *, city_tolerance_m: float) -> tuple[float, int]:
    """Simplification tolerance (m) and coordinate decimals for showing ``districts`` on the web map.

    The tolerance grows with the extent of the districts (:data:`geo.settings.WEB_MAP_DETAIL_PX`: the extent is
    drawn this many pixels wide at the closest zoom worth a detail), never below ``city_tolerance_m``; the decimals
    keep a quantum of at most a quarter of that tolerance (5 for a city at 5 m, 4 from about 45 m on).
    """
    metric = crs.to_metric(districts[[districts.geometry.name]], name="Sozialräume")
    if not len(metric) or metric.geometry.is_empty.all():
        return city_tolerance_m, _DECIMALS[1]
    minx, miny, maxx, maxy = metric.total_bounds
    tolerance = max(city_tolerance_m, max(maxx - minx, maxy - miny) / settings.WEB_MAP_DETAIL_PX)
    if tolerance <= 0:
        return 0.0, _DECIMALS[1]
    decimals = math.ceil(math.log10(4 * _M_PER_DEGREE / tolerance))
    return tolerance, int(min(_DECIMALS[1], max(_DECIMALS[0], decimals)))


def column(values) -> list:
    """A JSON column: ``[values]``, or ``[distinct values, index per row]`` where values repeat.

    ``static/atlas/atlas.js`` reads both (``pick``); :func:`pick` is its Python twin.
    """
    values = list(values)
    codes, uniques = pd.factorize(pd.Series(values, dtype=object))
    if 2 * len(uniques) > len(values):
        return [values]
    return [[_plain(u) for u in uniques], codes.tolist()]


def _plain(value):
    """A JSON-ready Python scalar (numpy's bool and int are not)."""
    return value.item() if isinstance(value, np.generic) else value


def pick(col: list, i: int):
    """Value ``i`` of a :func:`column`."""
    return col[0][i] if len(col) == 1 else col[0][col[1][i]]


def _rings(geometry: gpd.GeoSeries) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Coordinates (without each ring's closing vertex), ring, polygon and district offsets into them."""
    shapes = geometry.to_numpy().copy()
    missing = shapely.is_missing(shapes) | shapely.is_empty(shapes)
    shapes[missing] = shapely.MultiPolygon()
    _, coords, offsets = shapely.to_ragged_array(_as_multi(shapes))
    rings, polygons, parts = offsets
    closing = rings[1:] - 1  # the last vertex of each ring repeats its first
    keep = np.ones(len(coords), dtype=bool)
    keep[closing[rings[1:] > rings[:-1]]] = False
    new_rings = np.concatenate([[0], np.cumsum(np.diff(rings) - (np.diff(rings) > 0))])
    return coords[keep], new_rings, polygons, parts


def _as_multi(shapes: np.ndarray) -> np.ndarray:
    """Every outline as a MultiPolygon (a polygon becomes one with one part), so the offsets have one shape."""
    kinds = shapely.get_type_id(shapes)
    out = shapes.copy()
    single = kinds == shapely.GeometryType.POLYGON
    out[single] = [shapely.MultiPolygon([p]) for p in shapes[single]]
    other = ~single & (kinds != shapely.GeometryType.MULTIPOLYGON)
    if other.any():  # e.g. a GeometryCollection: its polygons only
        parts = [shapely.get_parts(g) for g in shapes[other]]
        out[other] = [shapely.MultiPolygon([p for p in ps if p.geom_type == "Polygon"]) for ps in parts]
    return out


def encode_districts(geometry: gpd.GeoSeries, properties: dict[str, list], tips: Tips, *, decimals: int) -> dict:
    """The districts as ``static/atlas/atlas.js`` reads them (``decodeDistricts``; :func:`features_of` here).

    Parameters
    ----------
    geometry
        Outlines in WGS84 (lon/lat), one per district.
    properties
        Per property name one value per district (JSON scalars).
    tips
        The districts' tooltips.
    decimals
        Coordinates are integers in units of ``10**-decimals`` degrees, each the difference to the vertex before
        it (across rings and districts), rings without their closing vertex.
    """
    n = len(geometry)
    coords, rings, polygons, parts = _rings(geometry)
    q = np.round(coords * 10**decimals).astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {
        "n": n,
        "scale": 10**decimals,
        "coords": delta.ravel().tolist(),
        "rings": rings.tolist(),
        "polygons": polygons.tolist(),
        "parts": parts.tolist(),
        "properties": {key: column(values) for key, values in properties.items()},
        "tips": tips.payload(),
    }


def features_of(districts: dict) -> list[dict]:
    """The GeoJSON features the map script rebuilds from :func:`encode_districts` (properties with ``tip``)."""
    n, scale = districts["n"], districts["scale"]
    xy = np.cumsum(np.asarray(districts["coords"], dtype=np.int64).reshape(-1, 2), axis=0) / scale
    rings, polygons, parts = districts["rings"], districts["polygons"], districts["parts"]
    tips = tips_of(districts["tips"], n)
    features = []
    for i in range(n):
        shapes = []
        for p in range(parts[i], parts[i + 1]):
            shape = []
            for r in range(polygons[p], polygons[p + 1]):
                ring = [[float(x), float(y)] for x, y in xy[rings[r]:rings[r + 1]]]
                shape.append([*ring, ring[0]] if ring else ring)
            shapes.append(shape)
        geometry = ({"type": "Polygon", "coordinates": shapes[0]} if len(shapes) == 1
                    else {"type": "MultiPolygon", "coordinates": shapes})
        properties = {key: pick(col, i) for key, col in districts["properties"].items()}
        features.append({"type": "Feature", "geometry": geometry, "properties": {**properties, "tip": tips[i]}})
    return features


def encode_points(latlon: np.ndarray, columns: list[list], tips: Tips, *, decimals: int = 6) -> dict:
    """Point rows ``[lat, lon, *columns, tip]`` as ``static/atlas/atlas.js`` reads them (``rowsOf``; :func:`rows_of`).

    Coordinates as in :func:`encode_districts` (lat, lon pairs, each the difference to the point before), every
    column as a :func:`column`, the tooltips as shared parts.
    """
    q = np.round(np.asarray(latlon, dtype=float).reshape(-1, 2) * 10**decimals).astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {"n": len(q), "scale": 10**decimals, "coords": delta.ravel().tolist(),
            "columns": [column(c) for c in columns], "tips": tips.payload()}


def rows_of(points: dict) -> list[list]:
    """The rows of :func:`encode_points` again, as the map script rebuilds them."""
    n = points["n"]
    xy = np.cumsum(np.asarray(points["coords"], dtype=np.int64).reshape(-1, 2), axis=0) / points["scale"]
    tips = tips_of(points["tips"], n)
    return [[float(xy[i, 0]), float(xy[i, 1]), *(pick(c, i) for c in points["columns"]), tips[i]] for i in range(n)]
