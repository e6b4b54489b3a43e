"""All coordinate reference system work: reprojection, metric checks, and guessing the CRS of raw coordinates."""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError

from geo import settings
from geo._errors import DataError

#: Systems a planner's coordinate columns come in, with a German label for the UI.
KNOWN_POINT_CRS: dict[str, str] = {
    "EPSG:4326": "WGS84 Längen-/Breitengrad (GPS, z. B. 7,21 / 51,48)",
    "EPSG:25832": "ETRS89 / UTM Zone 32N (z. B. 370000 / 5700000)",
    "EPSG:4647": "ETRS89 / UTM Zone 32N mit Zonenkennung (z. B. 32370000 / 5700000)",
    "EPSG:31466": "Gauß-Krüger Streifen 2 (z. B. 2580000 / 5700000)",
    "EPSG:31467": "Gauß-Krüger Streifen 3 (z. B. 3370000 / 5700000)",
    "EPSG:31468": "Gauß-Krüger Streifen 4 (z. B. 4470000 / 5700000)",
}


def to_metric(gdf: gpd.GeoDataFrame, *, crs: str = settings.METRIC_CRS, name: str = "Ebene") -> gpd.GeoDataFrame:
    """Return ``gdf`` reprojected into the metric analysis CRS; refuse a layer without CRS."""
    if gdf.crs is None:
        raise DataError(
            f"{name}: Die Geodaten haben kein Koordinatensystem. Bitte geben Sie das Koordinatensystem an "
            "(z. B. EPSG:25832) oder laden Sie die Datei mit .prj-Datei hoch."
        )
    target = CRS.from_user_input(crs)
    if gdf.crs.equals(target):
        return gdf.copy()
    return gdf.to_crs(target)


def to_map(gdf: gpd.GeoDataFrame, *, name: str = "Ebene") -> gpd.GeoDataFrame:
    """Return ``gdf`` in the web map's CRS (WGS84)."""
    if gdf.crs is None:
        raise DataError(f"{name}: Die Geodaten haben kein Koordinatensystem; die Karte kann sie nicht zeigen.")
    return gdf.to_crs(settings.MAP_CRS)


def require_metric(*layers: tuple[str, gpd.GeoDataFrame]) -> CRS:
    """Check that all named layers share one projected (metric) CRS and return it.

    Raises
    ------
    DataError
        If a layer has no CRS, a geographic CRS, or the layers' CRS differ; the message says what to do.
    """
    found: CRS | None = None
    for name, gdf in layers:
        if gdf.crs is None:
            raise DataError(
                f"{name}: kein Koordinatensystem gesetzt. Setzen Sie es (z. B. EPSG:25832) oder "
                "projizieren Sie die Daten mit geo.crs.to_metric, bevor Entfernungen berechnet werden."
            )
        if not gdf.crs.is_projected:
            raise DataError(
                f"{name}: Koordinatensystem {gdf.crs.to_string()} ist geografisch (Grad, nicht Meter). "
                f"Projizieren Sie die Daten zuerst in ein metrisches System, z. B. mit "
                f"geo.crs.to_metric (Standard {settings.METRIC_CRS})."
            )
        if found is None:
            found = gdf.crs
        elif not gdf.crs.equals(found):
            raise DataError(
                f"{name}: Koordinatensystem {gdf.crs.to_string()} passt nicht zu {found.to_string()}. "
                "Bringen Sie alle Ebenen mit geo.crs.to_metric in dasselbe System."
            )
    if found is None:
        raise DataError("Keine Ebene übergeben.")
    return found


@dataclass(frozen=True)
class CrsGuess:
    """A likely CRS for raw x/y columns, and whether x and y look swapped."""

    crs: str | None
    swapped: bool
    reason: str


#: German value ranges of each known system, (x low, x high, y low, y high), and why values fit it (German).
_NORTH: tuple[float, float] = (5_200_000, 6_150_000)
_POINT_RANGES: dict[str, tuple[tuple[float, float], tuple[float, float], str]] = {
    "EPSG:4326": ((5.0, 16.0), (47.0, 55.5), "Werte wie Längen-/Breitengrad"),
    "EPSG:25832": ((200_000, 950_000), _NORTH, "Rechtswerte um 200.000–950.000 (UTM 32N)"),
    "EPSG:4647": ((32_200_000, 32_950_000), _NORTH, "Rechtswerte mit Zonenkennung 32"),
    "EPSG:31466": ((2_250_000, 2_750_000), _NORTH, "Rechtswerte um 2,5 Mio. (Gauß-Krüger 2)"),
    "EPSG:31467": ((3_250_000, 3_750_000), _NORTH, "Rechtswerte um 3,5 Mio. (Gauß-Krüger 3)"),
    "EPSG:31468": ((4_250_000, 4_750_000), _NORTH, "Rechtswerte um 4,5 Mio. (Gauß-Krüger 4)"),
}
#: Systems whose swapped pairs (y in the x column) are recognised, with the German reason.
_SWAPPED: dict[str, str] = {
    "EPSG:4326": "Breiten- und Längengrad scheinen vertauscht",
    "EPSG:25832": "Rechts- und Hochwert scheinen vertauscht",
}


def point_fit(x: np.ndarray, y: np.ndarray, crs: str) -> tuple[np.ndarray, np.ndarray]:
    """Which x and which y values lie in the German range of ``crs`` (see :func:`guess_point_crs`).

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Boolean masks for x and y; all True for a system without a known range (any value may fit).
    """
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    known = crs if crs in _POINT_RANGES else next(
        (code for code in _POINT_RANGES if CRS.from_user_input(code).equals(parse_crs(crs))), None)
    if known is None:
        return np.ones(len(x), dtype=bool), np.ones(len(y), dtype=bool)
    return _in_range(x, y, known)


def _in_range(x: np.ndarray, y: np.ndarray, code: str) -> tuple[np.ndarray, np.ndarray]:
    (xlo, xhi), (ylo, yhi), _ = _POINT_RANGES[code]
    return (x >= xlo) & (x <= xhi), (y >= ylo) & (y <= yhi)


def guess_point_crs(x: np.ndarray, y: np.ndarray) -> CrsGuess:
    """Guess the CRS of coordinate columns from their value ranges (German/NRW data).

    ``x`` is the column read as easting/longitude, ``y`` as northing/latitude. The guess is the system whose
    German range holds most of the finite points, if more than :data:`geo.settings.MIN_SHARE_FOR_CRS_GUESS`
    of them: one mistyped value (``42030,0`` among ``415300,2``) does not hide the system of the others
    (:func:`point_fit` finds it). A swapped pair (latitude in x) is reported as such.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if not len(x):
        return CrsGuess(None, False, "keine gültigen Koordinaten")
    candidates: list[tuple[float, CrsGuess]] = []
    for code, (_, _, reason) in _POINT_RANGES.items():
        fx, fy = _in_range(x, y, code)
        candidates.append((float(np.mean(fx & fy)), CrsGuess(code, False, reason)))
    for code, reason in _SWAPPED.items():
        fx, fy = _in_range(y, x, code)
        candidates.append((float(np.mean(fx & fy)), CrsGuess(code, True, reason)))
    share, best = max(candidates, key=lambda c: c[0])  # the first of equals: unswapped before swapped
    if share > settings.MIN_SHARE_FOR_CRS_GUESS:
        return best
    return CrsGuess(None, False, "Wertebereich passt zu keinem bekannten Koordinatensystem")


def parse_crs(value: object) -> CRS:
    """Turn a planner's CRS input into a :class:`pyproj.CRS`.

    Parameters
    ----------
    value
        ``"EPSG:25832"``, ``"25832"``, ``25832``, a WKT or PROJ string, or a ``pyproj.CRS``.

    Raises
    ------
    DataError
        If the input names no known coordinate reference system (German message).
    """
    if isinstance(value, CRS):
        return value
    text = str(value).strip()
    if text.isdigit():
        text = f"EPSG:{text}"
    try:
        return CRS.from_user_input(text)
    except CRSError as err:
        raise DataError(
            f"Das Koordinatensystem „{text}“ ist unbekannt. Geben Sie es als EPSG-Code an, "
            f"z. B. {settings.METRIC_CRS} (ETRS89 / UTM 32N) oder EPSG:4326 (WGS84)."
        ) from err


def check_geographic_bounds(gdf: gpd.GeoDataFrame, *, name: str = "Ebene") -> None:
    """Refuse a layer that claims longitude/latitude but holds metre-sized coordinates.

    GeoJSON without a ``crs`` member is read as WGS84 (RFC 7946); a file written in EPSG:25832 then
    carries values like 415000 / 5728000, which no longitude/latitude can have.

    Raises
    ------
    DataError
        Telling the planner to name the real CRS.
    """
    if gdf.crs is None or not gdf.crs.is_geographic or gdf.empty:
        return
    minx, miny, maxx, maxy = gdf.total_bounds
    if np.isfinite([minx, miny, maxx, maxy]).all() and (
        min(minx, miny) < -180 or maxx > 180 or maxy > 90 or miny < -90
    ):
        raise DataError(
            f"{name}: Die Koordinaten (z. B. {minx:.0f} / {miny:.0f}) passen nicht zu Längen-/Breitengraden "
            f"({gdf.crs.name}). Die Datei nennt ihr Koordinatensystem nicht richtig; bitte wählen Sie es aus "
            f"(z. B. {settings.METRIC_CRS} für UTM-Koordinaten)."
        )


def transform_xy(x: np.ndarray, y: np.ndarray, source: object, target: object = None) -> tuple[np.ndarray, np.ndarray]:
    """Coordinate arrays from ``source`` into ``target`` (default: the metric CRS), without building geometries.

    The same transformation as ``GeoDataFrame.to_crs`` (pyproj, ``always_xy``), for a million points in a fraction
    of a second; where it fails the result is not finite.
    """
    transformer = Transformer.from_crs(parse_crs(source), parse_crs(target or settings.METRIC_CRS), always_xy=True)
    tx, ty = transformer.transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float), errcheck=False)
    return np.asarray(tx, dtype=float), np.asarray(ty, dtype=float)
