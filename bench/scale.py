"""Scaled copies of the demo city for benchmarks: the city tiled n times side by side."""

from __future__ import annotations

import math
import time

import geopandas as gpd
import pandas as pd
from shapely import affinity

from geo import settings
from geo.dataset import Dataset

TILE_M = 20_000.0


def _shift(gdf: gpd.GeoDataFrame, dx: float, dy: float) -> gpd.GeoDataFrame:
    out = gdf.copy()
    out["geometry"] = out.geometry.apply(lambda g: affinity.translate(g, dx, dy))
    return out


def tiled(dataset: Dataset, copies: int) -> Dataset:
    """``copies`` copies of the data set on a square grid, 20 km apart, ids prefixed by the copy number."""
    if copies == 1:
        return dataset
    side = math.ceil(math.sqrt(copies))
    districts, indicators, offers, residents = [], [], [], []
    for k in range(copies):
        dx, dy = (k % side) * TILE_M, (k // side) * TILE_M
        prefix = f"{k:03d}-"
        districts.append(_shift(dataset.districts, dx, dy).assign(
            **{settings.DISTRICT_ID: prefix + dataset.districts[settings.DISTRICT_ID]}))
        indicators.append(dataset.indicators.assign(
            **{settings.DISTRICT_ID: prefix + dataset.indicators[settings.DISTRICT_ID]}))
        offers.append(_shift(dataset.offers, dx, dy).assign(
            **{settings.OFFER_ID: prefix + dataset.offers[settings.OFFER_ID]}))
        residents.append(_shift(dataset.residents, dx, dy))
    return dataset.with_layers(
        districts=gpd.GeoDataFrame(pd.concat(districts, ignore_index=True), crs=dataset.districts.crs),
        indicators=pd.concat(indicators, ignore_index=True),
        offers=gpd.GeoDataFrame(pd.concat(offers, ignore_index=True), crs=dataset.offers.crs),
        residents=gpd.GeoDataFrame(pd.concat(residents, ignore_index=True), crs=dataset.residents.crs),
    )


def best_of(n: int, func) -> tuple[float, object]:
    """The fastest of ``n`` runs of ``func()`` in seconds, and the last run's result."""
    best, result = float("inf"), None
    for _ in range(n):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, result
