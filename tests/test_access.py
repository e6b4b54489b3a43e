"""Reach: hand-computed distances, shares, medians and counts on three 1 km squares."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo import settings
from geo._errors import DataError
from geo.analysis import access
from tests.conftest import xy


def reference_weighted_median(values, weights):
    """Ten-line reference: expand each value by its integer weight and take the lower median."""
    expanded = np.repeat(np.asarray(values, float), np.asarray(weights, int))
    expanded.sort()
    return float(expanded[(len(expanded) - 1) // 2])


def test_nearest_distance_by_hand():
    d = access._nearest_distance(np.array([[0, 0], [3, 4], [10, 0]]), np.array([[0, 0], [10, 1]]))
    assert d == pytest.approx([0.0, 5.0, 1.0])
    assert np.isinf(access._nearest_distance(np.array([[0.0, 0.0]]), np.empty((0, 2)))).all()


def test_reach_by_district_by_hand(squares, residents, two_offers):
    out = access.reach_by_district(squares, residents, two_offers, radius_m=800)
    assert list(out.index) == ["01", "02", "03"]
    assert out["located"].tolist() == [10, 25, 8]
    # B: 5 children at 700 m are within 800 m, 20 at 1,000 m are not.
    assert out["share_in_reach"].tolist() == pytest.approx([1.0, 5 / 25, 1.0])
    assert out["median_distance_m"].tolist() == pytest.approx([0.0, 1000.0, 400.0])
    assert out["offers_inside"].tolist() == [1, 0, 1]


def test_radius_is_inclusive(squares, residents, two_offers):
    out = access.reach_by_district(squares, residents, two_offers, radius_m=1000)
    assert out.loc["02", "share_in_reach"] == pytest.approx(1.0)


def test_point_on_shared_border_counts_once_for_the_first_district(squares, two_offers):
    on_border = gpd.GeoDataFrame(
        {settings.CHILDREN: [7]}, geometry=gpd.points_from_xy([xy(1000, 500)[0]], [xy(1000, 500)[1]]), crs=25832
    )
    out = access.reach_by_district(squares, on_border, two_offers, radius_m=600)
    assert out["located"].tolist() == [7, 0, 0]
    assert out.loc["01", "median_distance_m"] == pytest.approx(500.0)


def test_offer_on_border_is_counted_in_one_district(squares, residents):
    offer = gpd.GeoDataFrame(geometry=gpd.points_from_xy([xy(2000, 500)[0]], [xy(2000, 500)[1]]), crs=25832)
    out = access.reach_by_district(squares, residents, offer, radius_m=500)
    assert out["offers_inside"].tolist() == [0, 1, 0]


def test_empty_offer_layer_means_nobody_in_reach(squares, residents, two_offers):
    out = access.reach_by_district(squares, residents, two_offers.iloc[0:0], radius_m=800)
    assert out["share_in_reach"].tolist() == [0.0, 0.0, 0.0]
    assert np.isinf(out["median_distance_m"]).all()
    assert out["offers_inside"].tolist() == [0, 0, 0]


def test_empty_residents_layer_gives_unknown_share(squares, residents, two_offers):
    out = access.reach_by_district(squares, residents.iloc[0:0], two_offers, radius_m=800)
    assert out["located"].tolist() == [0, 0, 0]
    assert out["share_in_reach"].isna().all()


def test_grid_fallback_spreads_children_evenly(squares, two_offers):
    children = pd.Series({"01": 50, "02": 100, "03": 0})
    grid = access.grid_residents(squares, children)
    assert grid.groupby(settings.DISTRICT_ID).size().tolist() == [100, 100, 100]  # 10 × 10 cells of 100 m
    assert grid.groupby(settings.DISTRICT_ID)[settings.CHILDREN].sum().tolist() == pytest.approx([50, 100, 0])
    out = access.reach_by_district(squares, grid, two_offers, radius_m=250)
    # Cells whose centre is within 250 m of A's centre: centres at ±50, ±150 (and combos) — count by hand.
    offsets = np.arange(-450, 500, 100)
    dx, dy = np.meshgrid(offsets, offsets)
    assert out.loc["01", "share_in_reach"] == pytest.approx(np.mean(np.hypot(dx, dy) <= 250))


def test_grid_fallback_gives_tiny_districts_one_point(squares):
    from shapely.geometry import box

    tiny = squares.iloc[[0]].copy()
    tiny["geometry"] = [box(*xy(10, 10), *xy(40, 40))]  # smaller than one 100 m cell, no centre inside
    grid = access.grid_residents(tiny, pd.Series({"01": 9}))
    assert len(grid) == 1 and grid[settings.CHILDREN].iloc[0] == 9


def test_vectorised_median_matches_reference(squares, two_offers):
    rng = np.random.default_rng(7)
    x = rng.uniform(0, 3000, 400)
    y = rng.uniform(0, 1000, 400)
    kids = rng.integers(0, 9, 400)
    pts = gpd.GeoDataFrame({settings.CHILDREN: kids}, geometry=gpd.points_from_xy(x + xy(0, 0)[0], y + xy(0, 0)[1]),
                           crs=25832)
    out = access.reach_by_district(squares, pts, two_offers, radius_m=600)
    district = access.assign_to_districts(pts, squares)
    dist = access.distance_to_nearest(pts, two_offers)
    for did in ["01", "02", "03"]:
        mask = (district == did).to_numpy()
        assert out.loc[did, "median_distance_m"] == pytest.approx(reference_weighted_median(dist[mask], kids[mask]))
        assert out.loc[did, "share_in_reach"] == pytest.approx(kids[mask][dist[mask] <= 600].sum() / kids[mask].sum())


@pytest.mark.parametrize(
    ("crs", "message"),
    [(None, "kein Koordinatensystem"), ("EPSG:4326", "geografisch"), ("EPSG:31467", "passt nicht")],
)
def test_metric_functions_refuse_bad_crs(squares, residents, two_offers, crs, message):
    bad = residents.copy()
    if crs is None:
        bad = bad.set_crs(None, allow_override=True)
    else:
        bad = bad.to_crs(crs)
    with pytest.raises(DataError, match=message):
        access.reach_by_district(squares, bad, two_offers, radius_m=800)


def test_radius_must_be_positive(squares, residents, two_offers):
    with pytest.raises(DataError, match="Radius"):
        access.reach_by_district(squares, residents, two_offers, radius_m=0)
