"""Where an offer file's points lie: rows that do not fit the other rows' CRS, and points outside the districts."""

from __future__ import annotations

import math
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import settings
from geo._errors import Report
from geo.crs import parse_crs, point_fit, to_metric, transform_xy
from geo.formatting import format_distance, format_number

#: Tolerance of the simplified district outline; a point nearer than this to it counts as inside.
_OUTLINE_TOLERANCE_M: Final[float] = 25.0


def report_misfits(
    x: np.ndarray,
    y: np.ndarray,
    usable: np.ndarray,
    source: str,
    columns: tuple[str, str],
    raw: tuple[np.ndarray, np.ndarray],
    rows: np.ndarray,
    report: Report,
    bad: np.ndarray,
) -> None:
    """One error per row whose coordinates lie outside the range of ``source`` that most rows fit.

    Nothing is reported when most rows do not fit either (then the CRS itself is in question) or when
    ``source`` has no known range (:func:`geo.crs.point_fit`). Marks the rows in ``bad``.

    Parameters
    ----------
    x, y
        Easting/longitude and northing/latitude as read (after a swap of the whole file, if any).
    usable
        Rows whose coordinates are numbers and not rejected yet.
    columns, raw
        The file's column names and text values for x and y, as the planner sees them.
    """
    fx, fy = point_fit(x, y, source)
    fit = fx & fy
    if not usable.any() or np.mean(fit[usable]) <= settings.MIN_SHARE_FOR_CRS_GUESS:
        return
    sx, sy = point_fit(y, x, source)
    for i in np.flatnonzero(usable & ~fit):
        both = f"{columns[0]} {raw[0][i]} und {columns[1]} {raw[1][i]}"
        if sx[i] and sy[i]:
            message, column = (f"{both} scheinen vertauscht: getauscht passen sie zu den übrigen Koordinaten "
                               f"({source})."), None
        elif not fx[i] and not fy[i]:
            message, column = f"{both} passen nicht zu den übrigen Koordinaten ({source}) – Tippfehler?", None
        else:
            k = 0 if not fx[i] else 1
            message, column = (f"{columns[k]} {raw[k][i]} passt nicht zu den übrigen Koordinaten ({source}) – "
                               "Tippfehler?"), columns[k]
        report.error(message, int(rows[i]), column)
        bad[i] = True


def check_outside(
    mx: np.ndarray,
    my: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    source: str,
    districts: gpd.GeoDataFrame,
    rows: np.ndarray,
    report: Report,
    bad: np.ndarray,
    *,
    skip_far: bool = False,
) -> int:
    """Report each point outside the districts: beyond MAX_DISTANCE_OUTSIDE_M an error, nearer a warning.

    Each names its row, with a hint when swapping x and y would bring the point near the districts
    (:data:`geo.settings.MAX_DISTANCE_OUTSIDE_M`).

    Parameters
    ----------
    mx, my
        The points in the metric CRS (NaN where unusable).
    x, y, source
        The same points as read and their CRS, to test the swapped pair.
    skip_far
        Leave far points out without an error instead (a file covering more than the city, such as the
        statewide school file): they are marked in ``bad`` and counted.

    Returns
    -------
    int
        The number of far points left out with ``skip_far`` (0 otherwise).
    """
    limit = settings.MAX_DISTANCE_OUTSIDE_M
    located = np.isfinite(mx) & np.isfinite(my) & ~bad
    area = _districts_outline(districts)
    distance = np.zeros(len(mx))
    outside = located.copy()
    outside[located] = ~shapely.contains_xy(area, mx[located], my[located])
    distance[outside] = shapely.distance(area, shapely.points(mx[outside], my[outside]))
    near = outside & (distance > _OUTLINE_TOLERANCE_M) & (distance <= limit)
    far = outside & (distance > limit)
    skipped = int(far.sum()) if skip_far else 0
    if skip_far:
        bad |= far
        far = np.zeros_like(far)
    hint = _inside_if_swapped(x, y, source, area, near | far, limit)
    for i in np.flatnonzero(near | far):
        tail = " Sind Rechts- und Hochwert (bzw. Länge und Breite) vertauscht?" if hint[i] else ""
        if far[i]:
            report.error(f"Der Standort liegt etwa {_km(distance[i], up=True)} außerhalb des Stadtgebiets (erlaubt "
                         f"sind höchstens {_km(limit)}). Bitte prüfen Sie die Koordinaten.{tail}", int(rows[i]))
        else:
            report.warn(f"Der Standort liegt etwa {_km(distance[i])} außerhalb des Stadtgebiets. Bitte prüfen Sie, "
                        f"ob er so gemeint ist (z. B. ein Angebot im Nachbarort).{tail}", int(rows[i]))
    bad |= far
    return skipped


def _km(metres: float, *, up: bool = False) -> str:
    """``"347 km"``, ``"4,9 km"``; ``up`` rounds up to 100 m, so that 5,040 m never reads as the 5 km limit."""
    if metres >= 100_000:
        return f"{format_number(metres / 1000)} km"
    return format_distance(math.ceil(metres / 100) * 100 if up else metres)


def _districts_outline(districts: gpd.GeoDataFrame) -> shapely.Geometry:
    """The districts' union in the metric CRS, simplified for speed and prepared for tests."""
    geoms = np.asarray(to_metric(districts, name="Sozialräume").geometry.array, dtype=object)
    geoms = shapely.simplify(geoms[~pd.isna(geoms)], _OUTLINE_TOLERANCE_M)
    area = shapely.union_all(geoms)
    shapely.prepare(area)
    return area


def _inside_if_swapped(
    x: np.ndarray, y: np.ndarray, source: str, area: shapely.Geometry, rows: np.ndarray, limit: float
) -> np.ndarray:
    """Per row in ``rows``, whether the point would lie within ``limit`` of the districts with x and y swapped."""
    hint = np.zeros(len(x), dtype=bool)
    if not rows.any():
        return hint
    sx, sy = to_metric_xy(y[rows], x[rows], source)
    finite = np.isfinite(sx) & np.isfinite(sy)
    close = np.zeros(len(sx), dtype=bool)
    close[finite] = shapely.distance(area, shapely.points(sx[finite], sy[finite])) <= limit
    hint[rows] = close
    return hint


def to_metric_xy(x: np.ndarray, y: np.ndarray, source: str) -> tuple[np.ndarray, np.ndarray]:
    """Coordinates in ``source`` → x and y in the metric CRS (not finite where they cannot be transformed).

    The transformation ``to_metric`` applies to points (pyproj, ``always_xy``), on the arrays without building
    points; coordinates already in the metric CRS are copied as they are.
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if parse_crs(source).equals(parse_crs(settings.METRIC_CRS)):
        return x.copy(), y.copy()
    return transform_xy(x, y, source, settings.METRIC_CRS)
