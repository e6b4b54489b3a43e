"""The fast reach path (integer codes, bincount or grouped sums, radix sort) equals a geopandas reference exactly.

Seeded random layouts on a 100 m lattice: residents and offers on whole metres, so many residents lie exactly on
shared borders and corners, many distances tie; districts with shuffled ids (the id that sorts first wins a
border point), districts nobody lives in, residents outside every district and residents with weight 0.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import settings
from geo.analysis import access

ID = settings.DISTRICT_ID


def reference(districts, residents, offers, radius_m):
    """Share in reach and weighted median per district: sjoin, brute-force distances, sort and cumsum."""
    joined = gpd.sjoin(residents, districts[[ID, "geometry"]], predicate="intersects")
    joined = joined.sort_values(ID, kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")].copy()
    p = shapely.get_coordinates(joined.geometry.to_numpy())
    o = shapely.get_coordinates(offers.geometry.to_numpy())
    joined["d"] = np.sqrt(((p[:, None, :] - o[None, :, :]) ** 2).sum(axis=-1)).min(axis=1) if len(o) else np.inf
    joined["w_in"] = joined["w"].where(joined["d"] <= radius_m, 0)
    sums = joined.groupby(ID)[["w", "w_in"]].sum().reindex(districts[ID], fill_value=0)
    share = (sums["w_in"] / sums["w"]).where(sums["w"] > 0)
    ordered = joined.sort_values([ID, "d"], kind="stable")
    cumulative = ordered.groupby(ID)["w"].cumsum()
    total = ordered.groupby(ID)["w"].transform("sum")
    median = ordered[(cumulative >= total / 2) & (total > 0)].groupby(ID)["d"].first()
    offers_inside = gpd.sjoin(offers, districts[[ID, "geometry"]], predicate="intersects")
    offers_inside = offers_inside.sort_values(ID, kind="stable")
    offers_inside = offers_inside[~offers_inside.index.duplicated(keep="first")][ID].value_counts()
    return pd.DataFrame({"located": sums["w"].astype(float), "share_in_reach": share,
                         "median_distance_m": median.reindex(districts[ID]),
                         "offers_inside": offers_inside.reindex(districts[ID], fill_value=0).astype(int)})


def layout(seed: int, *, side: int = 6, n_residents: int = 400, n_offers: int = 5):
    """Districts on a ``side`` × ``side`` lattice of 100 m squares (a few missing), residents and offers."""
    rng = np.random.default_rng(seed)
    cells = [(i, j) for i in range(side) for j in range(side) if rng.random() > 0.1]
    ids = [f"S{k:02d}" for k in rng.permutation(len(cells))]
    districts = gpd.GeoDataFrame(
        {ID: ids}, geometry=[shapely.box(100 * i, 100 * j, 100 * (i + 1), 100 * (j + 1)) for i, j in cells],
        crs=25832)
    # whole metres, on the lattice lines one time in three (border points and corners), some outside
    xy = rng.integers(-50, 100 * side + 50, size=(n_residents, 2)).astype(float)
    snap = rng.random(xy.shape) < 1 / 3
    xy[snap] = np.round(xy[snap] / 100) * 100
    weight = rng.integers(0, 6, size=n_residents)  # zero weights included
    residents = gpd.GeoDataFrame({"w": weight}, geometry=shapely.points(xy), crs=25832)
    offers = gpd.GeoDataFrame(geometry=shapely.points(rng.integers(0, 100 * side, size=(n_offers, 2)).astype(float)),
                              crs=25832)
    # nobody in (or on the border of) the squares of the two ids that sort first: empty districts
    empty = districts[districts[ID].isin(sorted(ids)[:2])].union_all()
    residents = residents[~residents.geometry.intersects(empty)].reset_index(drop=True)
    return districts, residents, offers


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("radius_m", [100.0, 250.0])
@pytest.mark.parametrize("weights", ["whole", "fractional"])
def test_reach_by_district_equals_reference(seed, radius_m, weights):
    """Whole numbers (people per address) take the bincount path, fractions (a grid's spread counts) grouped sums.

    Quarters are fractional yet exact in binary, so sums in any order are equal to the last bit and the grouped
    path can be compared exactly (thirds would differ in the last bit between any two summation orders).
    """
    districts, residents, offers = layout(seed)
    if weights == "fractional":
        residents["w"] = residents["w"] / 4.0
    ours = access.reach_by_district(districts, residents, offers, radius_m=radius_m, weight_column="w")
    expected = reference(districts, residents, offers, radius_m)
    assert ours.index.tolist() == districts[ID].tolist()
    for name in ("located", "share_in_reach", "median_distance_m"):
        assert np.array_equal(ours[name].to_numpy(), expected[name].to_numpy(dtype=float), equal_nan=True), name
    assert ours["offers_inside"].tolist() == expected["offers_inside"].tolist()


def test_layouts_hold_the_edge_cases():
    """The random layouts do contain what the test claims: border points, ties, empty districts, zero weights."""
    districts, residents, offers = layout(3)
    xy = shapely.get_coordinates(residents.geometry.to_numpy())
    assert ((xy % 100) == 0).any(axis=1).sum() > 50  # on a lattice line
    position = access.district_positions(residents, districts)
    assert (position < 0).any()  # outside every district
    assert (np.bincount(position[position >= 0], minlength=len(districts)) == 0).sum() >= 2
    assert (residents["w"] == 0).any()
    d = access.distance_to_nearest(residents, offers).to_numpy()
    assert len(np.unique(d)) < len(d)  # ties in distance


@pytest.mark.parametrize("seed", range(4))
def test_located_passed_in_equals_located_computed(seed):
    """One assignment per analysis (``located=``) gives the table the function computes for itself."""
    districts, residents, offers = layout(seed)
    located = access.district_positions(residents, districts)
    given = access.reach_by_district(districts, residents, offers, radius_m=150, weight_column="w", located=located)
    computed = access.reach_by_district(districts, residents, offers, radius_m=150, weight_column="w")
    pd.testing.assert_frame_equal(given, computed)


def test_border_point_goes_to_the_id_that_sorts_first():
    squares = [shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)]
    districts = gpd.GeoDataFrame({ID: ["B", "A"]}, geometry=squares,
                                 crs=25832)
    residents = gpd.GeoDataFrame({"w": [3]}, geometry=[shapely.Point(100, 50)], crs=25832)
    offers = gpd.GeoDataFrame(geometry=[shapely.Point(100, 0)], crs=25832)
    ours = access.reach_by_district(districts, residents, offers, radius_m=50, weight_column="w")
    assert ours["located"].tolist() == [0.0, 3.0]
    assert ours.loc["A", "median_distance_m"] == 50.0
    assert ours.loc["A", "share_in_reach"] == 1.0
    assert np.isnan(ours.loc["B", "share_in_reach"])


@pytest.mark.parametrize("seed", range(4))
def test_many_districts_sort_equals_radix_sort(seed):
    """Beyond 65,535 districts the codes do not fit the radix sort: the lexsort path gives the same table."""
    districts, residents, offers = layout(seed)
    located = access.district_positions(residents, districts)
    distance = access.distance_to_nearest(residents, offers).to_numpy()
    weight = residents["w"].to_numpy(dtype=float)
    n = len(districts)
    few = access._reach_core(located, distance, weight, 150.0, n)
    many = access._reach_core(located, distance, weight, 150.0, 70_000)
    for small, large in zip(few, many, strict=True):
        assert np.array_equal(small, large[:n], equal_nan=True)
        assert np.isnan(large[n:]).all() or (large[n:] == 0).all()


def test_missing_and_non_point_geometries_are_located_like_points():
    """A missing point lies in no district; a polygon (no plain point layer) falls back to the index predicate."""
    squares = [shapely.box(0, 0, 100, 100), shapely.box(100, 0, 200, 100)]
    districts = gpd.GeoDataFrame({ID: ["B", "A"]}, geometry=squares, crs=25832)
    points = gpd.GeoDataFrame(geometry=[shapely.Point(50, 50), None, shapely.Point(100, 50), shapely.Point(500, 0)],
                              crs=25832)
    assert access.district_positions(points, districts).tolist() == [0, -1, 1, -1]
    shapes = gpd.GeoDataFrame(geometry=[shapely.box(10, 10, 20, 20), shapely.Point(150, 50)], crs=25832)
    assert access.district_positions(shapes, districts).tolist() == [0, 1]


def test_locating_points_leaves_the_districts_geometries_unprepared():
    """Shared geometries (a cached data set serves every session's thread) are not prepared in place."""
    districts, residents, _ = layout(0)
    access.district_positions(residents, districts)
    assert not shapely.is_prepared(districts.geometry.to_numpy()).any()
