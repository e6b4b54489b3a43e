"""Reach: distance from where people live (children, or inhabitants) to the nearest offer, per district."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo import crs, settings
from geo._errors import DataError


def _nearest_distance(xy_from: np.ndarray, xy_to: np.ndarray) -> np.ndarray:
    """Euclidean distance from each row of ``xy_from`` to the nearest row of ``xy_to`` (inf if none)."""
    if len(xy_to) == 0:
        return np.full(len(xy_from), np.inf)
    if len(xy_from) == 0:
        return np.empty(0)
    distance, _ = cKDTree(xy_to).query(xy_from, k=1, workers=-1)
    return distance


def _xy(points: gpd.GeoSeries) -> np.ndarray:
    return shapely.get_coordinates(points.geometry.to_numpy())


def _plain_points(geometry: np.ndarray) -> bool:
    """Whether every geometry is a non-empty point, so that ``get_coordinates`` has one row per geometry."""
    return bool(np.all(shapely.get_type_id(geometry) == 0) and not shapely.is_empty(geometry).any())


def district_positions(
    points: gpd.GeoDataFrame,
    districts: gpd.GeoDataFrame,
    *,
    id_column: str = settings.DISTRICT_ID,
    xy: np.ndarray | None = None,
) -> np.ndarray:
    """Row position in ``districts`` of the district each point lies in (-1 outside every district).

    A point on a shared border belongs to the district that sorts first by id, so every point counts once. One
    spatial-index query for all points, no join table: a million points against thousands of districts in a second.
    ``xy`` are the points' coordinates when the caller has them.
    """
    crs.require_metric(("Punkte", points), ("Sozialräume", districts))
    out = np.full(len(points), -1, dtype=np.int64)
    if not len(points) or not len(districts):
        return out
    geometry = points.geometry.to_numpy()
    if _plain_points(geometry):
        # Candidates by bounding box, then the exact test on coordinates against prepared polygons: faster than
        # the index's own "intersects" predicate, and the same answer (a point on the boundary intersects).
        point_index, district_index = districts.sindex.query(geometry)
        polygons = districts.geometry.to_numpy()
        shapely.prepare(polygons)
        xy = shapely.get_coordinates(geometry) if xy is None else xy
        hit = shapely.intersects_xy(polygons[district_index], xy[point_index, 0], xy[point_index, 1])
        point_index, district_index = point_index[hit], district_index[hit]
    else:
        point_index, district_index = districts.sindex.query(geometry, predicate="intersects")
    order = np.argsort(districts[id_column].astype("str").to_numpy(dtype=object), kind="stable")
    rank = np.empty(len(districts), dtype=np.int64)
    rank[order] = np.arange(len(districts))
    best = np.full(len(points), len(districts), dtype=np.int64)
    np.minimum.at(best, point_index, rank[district_index])
    found = best < len(districts)
    out[found] = order[best[found]]
    return out


def assign_to_districts(
    points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, *, id_column: str = settings.DISTRICT_ID
) -> pd.Series:
    """District id of each point (NaN outside every district); on a shared border the id that sorts first."""
    position = district_positions(points, districts, id_column=id_column)
    ids = districts[id_column].iloc[np.maximum(position, 0)] if len(districts) else pd.Series(
        np.nan, index=range(len(points)), dtype=districts[id_column].dtype)
    return ids.set_axis(points.index).where(position >= 0)


def grid_residents(
    districts: gpd.GeoDataFrame,
    counts: pd.Series,
    *,
    cell_m: float = settings.FALLBACK_GRID_M,
    id_column: str = settings.DISTRICT_ID,
    count_column: str = settings.CHILDREN,
) -> gpd.GeoDataFrame:
    """Spread each district's count (children, or inhabitants) evenly over the centres of a grid inside it.

    The fallback when no residents layer exists or it lacks the count reach is measured for. A district too
    small to hold a grid centre gets one point at its representative point.

    Parameters
    ----------
    counts
        People per district, indexed by district id; written to ``count_column`` of the grid points.
    """
    crs.require_metric(("Sozialräume", districts))
    minx, miny, maxx, maxy = districts.total_bounds
    xs = np.arange(np.floor(minx / cell_m) * cell_m + cell_m / 2, maxx, cell_m)
    ys = np.arange(np.floor(miny / cell_m) * cell_m + cell_m / 2, maxy, cell_m)
    gx, gy = np.meshgrid(xs, ys)
    grid = gpd.GeoDataFrame(geometry=gpd.points_from_xy(gx.ravel(), gy.ravel()), crs=districts.crs)
    grid[id_column] = assign_to_districts(grid, districts, id_column=id_column)
    grid = grid.dropna(subset=[id_column])
    missing = districts.loc[~districts[id_column].isin(grid[id_column]), [id_column, "geometry"]]
    if len(missing):
        extra = gpd.GeoDataFrame(
            {id_column: missing[id_column].to_numpy()},
            geometry=missing.geometry.representative_point().to_numpy(),
            crs=districts.crs,
        )
        grid = pd.concat([grid, extra], ignore_index=True)
    cells_per_district = grid[id_column].map(grid[id_column].value_counts())
    grid[count_column] = grid[id_column].map(counts).fillna(0).to_numpy() / cells_per_district
    return gpd.GeoDataFrame(grid.reset_index(drop=True), geometry="geometry", crs=districts.crs)


def distance_to_nearest(points: gpd.GeoDataFrame, offers: gpd.GeoDataFrame) -> pd.Series:
    """Straight-line distance in metres from each point to the nearest offer (inf when there is none)."""
    if len(offers):
        crs.require_metric(("Wohnorte", points), ("Angebote", offers))
    else:
        crs.require_metric(("Wohnorte", points))
    return pd.Series(_nearest_distance(_xy(points), _xy(offers)), index=points.index, name="distance_m")


def reach_by_district(
    districts: gpd.GeoDataFrame,
    residents: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame,
    *,
    radius_m: float,
    id_column: str = settings.DISTRICT_ID,
    weight_column: str = settings.CHILDREN,
    located: np.ndarray | None = None,
    xy: np.ndarray | None = None,
) -> pd.DataFrame:
    """Reach of one offer type per district, measured where people (of ``weight_column``) live.

    Parameters
    ----------
    districts
        District polygons with ``id_column``.
    residents
        Points with ``weight_column`` (children, or the population reach is measured for); assigned to
        districts by location.
    offers
        Offer points of one type.
    radius_m
        Reach radius in metres (straight line).
    located, xy
        :func:`district_positions` and the coordinates of ``residents``, when the caller has them (one analysis
        measures several offer types for the same residents); computed otherwise.

    Returns
    -------
    pandas.DataFrame
        Indexed by district id: ``located`` (people of the residents layer in the district),
        ``share_in_reach`` (share of them within ``radius_m``, NaN where none live there),
        ``median_distance_m`` (distance the median person has to go) and ``offers_inside``.
    """
    if radius_m <= 0:
        raise DataError("Der Radius muss größer als 0 m sein.")
    with_offers = (("Angebote", offers),) if len(offers) else ()
    crs.require_metric(("Sozialräume", districts), ("Wohnorte", residents), *with_offers)
    if located is None:
        located = district_positions(residents, districts, id_column=id_column)
    if xy is None:
        xy = _xy(residents)
    weight = np.nan_to_num(residents[weight_column].to_numpy(dtype=float))
    # Points where nobody of the group lives, or outside every district, change no share and no median: only the
    # others are measured (a third to a half of all points for births or one age band).
    people = (located >= 0) & (weight > 0)
    distance = _nearest_distance(xy[people], _xy(offers))
    n = len(districts)
    total, share, median = _reach_core(located[people], distance, weight[people], radius_m, n)
    out = pd.DataFrame(
        {"located": total, "share_in_reach": share, "median_distance_m": median},
        index=pd.Index(districts[id_column].to_numpy(), name=id_column),
    )
    offer_position = district_positions(offers, districts, id_column=id_column) if len(offers) else np.empty(0, int)
    out["offers_inside"] = np.bincount(offer_position[offer_position >= 0], minlength=n).astype(int)
    return out


def _reach_core(
    located: np.ndarray, distance: np.ndarray, weight: np.ndarray, radius_m: float, n: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """People, share within ``radius_m`` and weighted median distance per district position ``0 … n-1``.

    The weighted median is the first distance (sorted) at which half of a district's people are reached.
    Whole-number weights (people per address or building) are summed with ``bincount`` and one global cumulative
    sum, exact in any order; fractional weights (a grid's spread counts) with pandas' compensated grouped sums in
    the points' own order, so the result does not depend on how the points are sorted.
    """
    inside = located >= 0
    code, d, w = located[inside], distance[inside], weight[inside]
    if _whole_numbers(w):
        total = np.bincount(code, weights=w, minlength=n)
        reached = np.bincount(code, weights=np.where(d <= radius_m, w, 0.0), minlength=n)
        order = _by_district_then_distance(code, d, n)
        cumulative = np.cumsum(w[order])
        # Per district: the people before its first point, then the first point where half of its own are reached.
        start = np.cumsum(total) - total
        with_people = np.flatnonzero(total > 0)
        hit = np.searchsorted(cumulative, start[with_people] + total[with_people] / 2.0, side="left")
        median = np.full(n, np.nan)
        median[with_people] = d[order][hit]
    else:
        groups = pd.DataFrame({"w": w, "w_in": np.where(d <= radius_m, w, 0.0)}).groupby(code, sort=True)
        sums = groups.sum().reindex(range(n), fill_value=0.0)
        total, reached = sums["w"].to_numpy(), sums["w_in"].to_numpy()
        order = np.lexsort((d, code))  # stable: ties keep the points' order
        code, d = code[order], d[order]
        cumulative = pd.Series(w[order]).groupby(code).cumsum().to_numpy()
        half = (cumulative >= total[code] / 2.0) & (total[code] > 0)
        hits = np.flatnonzero(half)
        with_median, first = np.unique(code[hits], return_index=True)
        median = np.full(n, np.nan)
        median[with_median] = d[hits[first]]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, reached / np.where(total > 0, total, 1.0), np.nan)
    return total, share, median


def _whole_numbers(w: np.ndarray) -> bool:
    """Whether float sums of ``w`` are exact whatever the order: non-negative whole numbers below 2**53 in all."""
    return bool(np.all(w >= 0) and np.all(np.floor(w) == w) and w.sum() < 2.0**53)


def _by_district_then_distance(code: np.ndarray, distance: np.ndarray, n: int) -> np.ndarray:
    """Order of points by district code, then distance (ties in any order: the median is the same)."""
    if n <= np.iinfo(np.uint16).max:
        by_distance = np.argsort(distance)
        return by_distance[np.argsort(code[by_distance].astype(np.uint16), kind="stable")]  # a radix sort
    return np.lexsort((distance, code))
