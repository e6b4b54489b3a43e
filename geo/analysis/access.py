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


def district_positions(
    points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame, *, id_column: str = settings.DISTRICT_ID
) -> np.ndarray:
    """Row position in ``districts`` of the district each point lies in (-1 outside every district).

    A point on a shared border belongs to the district that sorts first by id, so every point counts once. One
    spatial-index query for all points, no join table: a million points against thousands of districts in a second.
    """
    crs.require_metric(("Punkte", points), ("Sozialräume", districts))
    out = np.full(len(points), -1, dtype=np.int64)
    if not len(points) or not len(districts):
        return out
    point_index, district_index = districts.sindex.query(points.geometry.array, predicate="intersects")
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
    located
        :func:`district_positions` of ``residents``, when the caller has them (one analysis measures several
        offer types for the same residents); computed otherwise.

    Returns
    -------
    pandas.DataFrame
        Indexed by district id: ``located`` (people of the residents layer in the district),
        ``share_in_reach`` (share of them within ``radius_m``, NaN where none live there),
        ``median_distance_m`` (distance the median person has to go) and ``offers_inside``.
    """
    if radius_m <= 0:
        raise DataError("Der Radius muss größer als 0 m sein.")
    crs.require_metric(("Sozialräume", districts), ("Wohnorte", residents))
    if located is None:
        located = district_positions(residents, districts, id_column=id_column)
    distance = distance_to_nearest(residents, offers).to_numpy()
    weight = np.nan_to_num(residents[weight_column].to_numpy(dtype=float))
    inside = located >= 0
    order = np.lexsort((distance[inside], located[inside]))  # by district, then distance; stable
    code, d, w = located[inside][order], distance[inside][order], weight[inside][order]
    n = len(districts)
    # pandas' grouped sums (compensated), as the shares and medians always were; on integer codes they are fast.
    groups = pd.DataFrame({"w": w, "w_in": np.where(d <= radius_m, w, 0.0)}).groupby(code, sort=True)
    sums = groups.sum().reindex(range(n), fill_value=0.0)
    total, reached = sums["w"].to_numpy(), sums["w_in"].to_numpy()
    # Weighted median: the first distance (sorted) at which half of the district's people are reached.
    cumulative = groups["w"].cumsum().to_numpy()
    half = (cumulative >= total[code] / 2.0) & (total[code] > 0)
    hits = np.flatnonzero(half)
    with_median, first = np.unique(code[hits], return_index=True)
    median = np.full(n, np.nan)
    median[with_median] = d[hits[first]]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, reached / np.where(total > 0, total, 1.0), np.nan)
    out = pd.DataFrame(
        {"located": total, "share_in_reach": share, "median_distance_m": median},
        index=pd.Index(districts[id_column].to_numpy(), name=id_column),
    )
    offer_position = district_positions(offers, districts, id_column=id_column) if len(offers) else np.empty(0, int)
    out["offers_inside"] = np.bincount(offer_position[offer_position >= 0], minlength=n).astype(int)
    out.index.name = id_column
    return out
