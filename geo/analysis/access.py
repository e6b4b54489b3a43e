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


def _prepared_copies(geometries: np.ndarray) -> np.ndarray:
    """Prepared private copies of ``geometries`` (one polygon tested against many points is fast prepared).

    The caller's geometries stay untouched: they may be in use in another session's thread at the same time.
    """
    private = shapely.from_wkb(shapely.to_wkb(geometries))
    shapely.prepare(private)
    return private


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
        polygons = _prepared_copies(districts.geometry.to_numpy())
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


#: Cell sizes the fallback grid grows through (times a power of ten) when the finest would make too many points.
_NICE_STEPS = (1.0, 2.0, 2.5, 5.0)


def grid_cell_m(districts: gpd.GeoDataFrame, *, cell_m: float | None = None, max_points: int | None = None) -> float:
    """Cell size of the fallback grid: ``cell_m``, else the next "nice" size above it that keeps it small.

    Starting from ``cell_m`` (default :data:`settings.FALLBACK_GRID_M`), the cell grows through 200, 250, 500,
    1000, 2000, 2500 … m until the estimated number of grid points, Σ (bounding-box area of a district) / cell²,
    is at most ``max_points`` (default :data:`settings.FALLBACK_MAX_POINTS`). Settings are read at call time.
    """
    start = float(settings.FALLBACK_GRID_M if cell_m is None else cell_m)
    limit = settings.FALLBACK_MAX_POINTS if max_points is None else max_points
    if start <= 0 or limit <= 0:
        raise ValueError("cell_m and max_points must be positive")
    bounds = districts.geometry.bounds.to_numpy(dtype=float)
    area = float(np.nansum((bounds[:, 2] - bounds[:, 0]) * (bounds[:, 3] - bounds[:, 1])))
    smallest = max(start, np.sqrt(area / limit))
    if smallest == start:
        return start
    power = 10.0 ** np.floor(np.log10(smallest))
    return next(float(s * power) for s in (*_NICE_STEPS, 10.0) if s * power >= smallest)


def _lattice(low: float, high: float, cell: float) -> np.ndarray:
    """Indices k of the lattice centres (k + ½) · cell in [low, high], one spare each side (against rounding)."""
    return np.arange(np.floor(low / cell - 0.5) - 1, np.floor(high / cell - 0.5) + 2, dtype=np.int64)


def _covered_cells(geometry: object, cell: float) -> tuple[np.ndarray, np.ndarray]:
    """Lattice indices (kx, ky) of the cell centres in ``geometry`` (border included), row by row from the south.

    ``geometry`` should be prepared (:func:`shapely.prepare`): one polygon is tested against many points.
    """
    if geometry is None or shapely.is_empty(geometry):
        return np.empty(0, np.int64), np.empty(0, np.int64)
    minx, miny, maxx, maxy = shapely.bounds(geometry)
    kx, ky = np.meshgrid(_lattice(minx, maxx, cell), _lattice(miny, maxy, cell))
    kx, ky = kx.ravel(), ky.ravel()
    # intersects, not contains: a centre on a shared border is in both districts and kept by the first
    inside = shapely.intersects_xy(geometry, (kx + 0.5) * cell, (ky + 0.5) * cell)
    return kx[inside], ky[inside]


def grid_residents(
    districts: gpd.GeoDataFrame,
    counts: pd.Series,
    *,
    cell_m: float | None = None,
    max_points: int | None = None,
    id_column: str = settings.DISTRICT_ID,
    count_column: str = settings.CHILDREN,
) -> gpd.GeoDataFrame:
    """Spread each district's count (children, or inhabitants) evenly over the centres of a grid inside it.

    The fallback when no residents layer exists or it lacks the count reach is measured for. The cell size is
    :func:`grid_cell_m` (``cell_m``, default :data:`settings.FALLBACK_GRID_M`, coarser when the grid would exceed
    about ``max_points`` points); it is stored in the result's ``attrs["cell_m"]``. Cell centres lie on one
    lattice, (k + ½) · cell in x and y, and are laid per district over its own bounding box, so neighbours
    share the lattice and no grid spans the empty space between districts. A centre on a shared border belongs
    to the district whose id sorts first (as in :func:`district_positions`), so every centre counts once. A
    district holding no centre gets one point at its representative point.

    Parameters
    ----------
    counts
        People per district, indexed by district id; written to ``count_column`` of the grid points
        (``count / cells`` of the district; 0 where the id is missing).

    Returns
    -------
    geopandas.GeoDataFrame
        ``geometry``, ``id_column`` and ``count_column``: the centres district by district in id order, then the
        representative points; ``attrs["cell_m"]`` is the cell size used.
    """
    crs.require_metric(("Sozialräume", districts))
    cell = grid_cell_m(districts, cell_m=cell_m, max_points=max_points)
    ids = districts[id_column]
    order = np.argsort(ids.astype("str").to_numpy(dtype=object), kind="stable")
    geometries = districts.geometry.to_numpy()
    private = _prepared_copies(geometries)
    cells = [_covered_cells(private[i], cell) for i in order]
    kx = np.concatenate([c[0] for c in cells] + [np.empty(0, np.int64)])
    ky = np.concatenate([c[1] for c in cells] + [np.empty(0, np.int64)])
    row = np.repeat(order, [len(c[0]) for c in cells])
    if len(kx):  # a centre on a border was found by each district touching it: keep the first (id order)
        key = (kx - kx.min()) * (ky.max() - ky.min() + 1) + (ky - ky.min())
        first = np.sort(np.unique(key, return_index=True)[1])
        kx, ky, row = kx[first], ky[first], row[first]
    # integer codes per id: one district may come in several rows, and string (arrow) ids are slow to compare
    codes, uniques = pd.factorize(ids, use_na_sentinel=False)
    empty = np.flatnonzero(np.bincount(codes[row], minlength=len(uniques))[codes] == 0)
    rows = np.concatenate([row, empty])
    points = np.concatenate([shapely.points((kx + 0.5) * cell, (ky + 0.5) * cell),
                             shapely.point_on_surface(geometries[empty])])
    people = pd.Series(uniques).map(counts).fillna(0).to_numpy(dtype=float)
    per_point = people[codes[rows]] / np.bincount(codes[rows], minlength=len(uniques))[codes[rows]]
    out = gpd.GeoDataFrame(geometry=points, crs=districts.crs)
    out[id_column] = ids.array.take(rows)
    out[count_column] = per_point
    out.attrs["cell_m"] = cell
    return out


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
