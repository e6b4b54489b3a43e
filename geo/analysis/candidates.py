"""Candidate sites for new offers: host facilities without the offer, an uploaded list, or a grid in districts in need.

Every function returns a GeoDataFrame (metric CRS) with :data:`geo.analysis.sites.CANDIDATE_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs, settings
from geo.analysis import access
from geo.analysis.hosts import host_facilities
from geo.analysis.sites import CANDIDATE_COLUMNS
from geo.dataset import Dataset


def _table(values: dict, geometry, target_crs) -> gpd.GeoDataFrame:
    n = len(geometry)
    columns = {c: values[c] if c in values else np.full(n, "", dtype=object) for c in CANDIDATE_COLUMNS}
    frame = gpd.GeoDataFrame(columns, geometry=list(geometry), crs=target_crs)
    frame[settings.SOZIALINDEX] = pd.to_numeric(frame[settings.SOZIALINDEX], errors="coerce")
    return frame


def with_districts(candidates: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``candidates`` with the ``district_id`` of the district each lies in ("" outside every district)."""
    position = access.district_positions(candidates, districts)
    ids = districts[settings.DISTRICT_ID].astype("str").to_numpy(dtype=object)
    out = candidates.copy()
    out[settings.DISTRICT_ID] = np.where(position >= 0, ids[np.maximum(position, 0)], "") if len(ids) else ""
    return out


def host_candidates(dataset: Dataset, offer_type: str, *, min_sozialindex: int | None = None) -> gpd.GeoDataFrame:
    """The host facilities of ``offer_type`` that do not run it yet (e.g. Grundschulen without an FGZ).

    ``min_sozialindex``: only schools with at least this NRW Schulsozialindex (schools without one are left out).
    Empty when the type has no host type.
    """
    types = dataset.offer_types
    host_type = str(types.at[offer_type, "host_type"]) if offer_type in types.index else ""
    districts = crs.to_metric(dataset.districts, name="Sozialräume")
    if not host_type:
        return _table({}, [], districts.crs)
    hosts = host_facilities(crs.to_metric(dataset.offers, name="Angebote"), offer_type=offer_type,
                            host_type=host_type)
    hosts = hosts[~hosts["runs_offer"]].reset_index(drop=True)
    index = pd.Series(np.nan, index=hosts.index)
    if dataset.sozialindex is not None and len(dataset.sozialindex):
        by_school = dataset.sozialindex.assign(**{settings.SCHOOL_ID: dataset.sozialindex[settings.SCHOOL_ID]
                                                  .astype("str").str.strip()})
        by_school = by_school.drop_duplicates(settings.SCHOOL_ID).set_index(settings.SCHOOL_ID)
        index = hosts[settings.OFFER_ID].map(pd.to_numeric(by_school[settings.SOZIALINDEX], errors="coerce"))
    table = _table({
        "candidate_id": hosts[settings.OFFER_ID].to_numpy(), settings.OFFER_NAME: hosts[settings.OFFER_NAME].to_numpy(),
        settings.OFFER_ADDRESS: hosts[settings.OFFER_ADDRESS].to_numpy(), "source": "host",
        settings.SOZIALINDEX: index.to_numpy(),
    }, hosts.geometry.to_numpy(), hosts.crs)
    if min_sozialindex is not None:
        table = table[table[settings.SOZIALINDEX] >= min_sozialindex].reset_index(drop=True)
    return with_districts(table, districts)


def grid_candidates(districts: gpd.GeoDataFrame, *, spacing_m: float | None = None) -> gpd.GeoDataFrame:
    """Points on a square grid inside ``districts`` (e.g. those in need), at least one per district.

    ``spacing_m`` defaults to :data:`geo.settings.SITE_GRID_M`. Ids read "R-<district>-<n>".
    """
    spacing = settings.SITE_GRID_M if spacing_m is None else float(spacing_m)
    districts = crs.to_metric(districts, name="Sozialräume")
    ids, names, points, where = [], [], [], []
    for district_id, name, polygon in zip(districts[settings.DISTRICT_ID].astype("str"),
                                          districts.get(settings.DISTRICT_NAME, districts[settings.DISTRICT_ID]),
                                          districts.geometry, strict=True):
        x0, y0, x1, y1 = polygon.bounds
        xs, ys = np.meshgrid(np.arange(x0 + spacing / 2, x1, spacing), np.arange(y0 + spacing / 2, y1, spacing))
        grid = shapely.points(xs.ravel(), ys.ravel())
        inside = grid[shapely.contains(polygon, grid)] if len(grid) else grid
        if not len(inside):
            inside = np.array([polygon.representative_point()])
        for n, point in enumerate(inside, start=1):
            ids.append(f"R-{district_id}-{n}")
            names.append(f"Rasterpunkt {n} in {name}")
            points.append(point)
            where.append(district_id)
    return _table({"candidate_id": ids, settings.OFFER_NAME: names, settings.OFFER_ADDRESS: [""] * len(ids),
                   "source": ["grid"] * len(ids), settings.DISTRICT_ID: where}, points, districts.crs)


def exclude(candidates: gpd.GeoDataFrame, ids: Iterable[str]) -> gpd.GeoDataFrame:
    """``candidates`` without those whose ``candidate_id`` is in ``ids`` (a planner ruled them out)."""
    ruled_out = {str(i) for i in ids}
    return candidates[~candidates["candidate_id"].astype("str").isin(ruled_out)].reset_index(drop=True)
