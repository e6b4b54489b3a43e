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


def _share_in(values: np.ndarray, low: float, high: float) -> float:
    return float(np.mean((values >= low) & (values <= high))) if len(values) else 0.0


def guess_point_crs(x: np.ndarray, y: np.ndarray) -> CrsGuess:
    """Guess the CRS of coordinate columns from their value ranges (German/NRW data).

    ``x`` is the column read as easting/longitude, ``y`` as northing/latitude. A guess needs 90 % of the
    finite values inside one system's German range; a swapped pair (latitude in x) is reported as such.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    ok = np.isfinite(x) & np.isfinite(y)
    x, y = x[ok], y[ok]
    if not len(x):
        return CrsGuess(None, False, "keine gültigen Koordinaten")
    north_ok = _share_in(y, 5_200_000, 6_150_000)
    candidates: list[tuple[str, float, float, str]] = [
        # (crs, share of x in range, share of y in range, German reason)
        ("EPSG:4326", _share_in(x, 5.0, 16.0), _share_in(y, 47.0, 55.5), "Werte wie Längen-/Breitengrad"),
        ("EPSG:25832", _share_in(x, 200_000, 950_000), north_ok, "Rechtswerte um 200.000–950.000 (UTM 32N)"),
        ("EPSG:4647", _share_in(x, 32_200_000, 32_950_000), north_ok, "Rechtswerte mit Zonenkennung 32"),
        ("EPSG:31466", _share_in(x, 2_250_000, 2_750_000), north_ok, "Rechtswerte um 2,5 Mio. (Gauß-Krüger 2)"),
        ("EPSG:31467", _share_in(x, 3_250_000, 3_750_000), north_ok, "Rechtswerte um 3,5 Mio. (Gauß-Krüger 3)"),
        ("EPSG:31468", _share_in(x, 4_250_000, 4_750_000), north_ok, "Rechtswerte um 4,5 Mio. (Gauß-Krüger 4)"),
    ]
    for crs, sx, sy, reason in candidates:
        if sx >= 0.9 and sy >= 0.9:
            return CrsGuess(crs, False, reason)
    # Latitude in the x column and longitude in y: a swapped WGS84 pair.
    if _share_in(x, 47.0, 55.5) >= 0.9 and _share_in(y, 5.0, 16.0) >= 0.9:
        return CrsGuess("EPSG:4326", True, "Breiten- und Längengrad scheinen vertauscht")
    if _share_in(x, 5_200_000, 6_150_000) >= 0.9 and _share_in(y, 200_000, 950_000) >= 0.9:
        return CrsGuess("EPSG:25832", True, "Rechts- und Hochwert scheinen vertauscht")
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
