"""CRS handling: metric checks and guessing systems from value ranges."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Transformer

from geo import crs
from geo._errors import DataError


@pytest.mark.parametrize(
    ("x", "y", "expected", "swapped"),
    [
        ([7.21, 6.95], [51.48, 51.23], "EPSG:4326", False),
        ([51.48, 51.23], [7.21, 6.95], "EPSG:4326", True),
        ([370_000.5, 415_000], [5_700_000, 5_728_000], "EPSG:25832", False),
        ([32_370_000, 32_415_000], [5_700_000, 5_728_000], "EPSG:4647", False),
        ([2_580_000, 2_590_000], [5_700_000, 5_710_000], "EPSG:31466", False),
        ([3_370_000, 3_415_000], [5_700_000, 5_728_000], "EPSG:31467", False),
        ([5_700_000, 5_728_000], [370_000, 415_000], "EPSG:25832", True),
        ([1.0, 2.0], [3.0, 4.0], None, False),
    ],
)
def test_guess_point_crs(x, y, expected, swapped):
    guess = crs.guess_point_crs(np.array(x), np.array(y))
    assert (guess.crs, guess.swapped) == (expected, swapped)


def test_zone_prefixed_utm_is_plain_utm_plus_32_million():
    to_4647 = Transformer.from_crs(25832, 4647, always_xy=True)
    x, y = to_4647.transform(415_000.0, 5_728_000.0)
    assert (x, y) == pytest.approx((32_415_000.0, 5_728_000.0), abs=1e-6)


def test_to_metric_hand_checked():
    point = gpd.GeoDataFrame(geometry=gpd.points_from_xy([7.0], [51.5]), crs=4326)
    out = crs.to_metric(point)
    expected = Transformer.from_crs(4326, 25832, always_xy=True).transform(7.0, 51.5)
    assert (out.geometry.x.iloc[0], out.geometry.y.iloc[0]) == pytest.approx(expected, abs=0.01)
    assert out.geometry.x.iloc[0] == pytest.approx(361_182.0, abs=5)  # 7°E is 2° west of the 9°E meridian


def test_to_metric_refuses_naive_layers():
    with pytest.raises(DataError, match="kein Koordinatensystem"):
        crs.to_metric(gpd.GeoDataFrame(geometry=gpd.points_from_xy([1], [2])), name="Angebote")
