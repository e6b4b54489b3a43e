"""Candidate sites for new offers: host facilities without the offer, an uploaded list, or a grid in districts in need.

Every function returns a GeoDataFrame (metric CRS) with :data:`geo.analysis.sites.CANDIDATE_COLUMNS`;
:func:`candidate_sites` gathers the sources a planner chose for one suggestion, drops candidates standing where an
offer of the type already is and those ruled out by id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo import crs, settings
from geo.analysis import access
from geo.analysis.gaps import column
from geo.analysis.hosts import host_facilities
from geo.analysis.need import IN_NEED_CLASSES
from geo.analysis.run import Prepared, Result
from geo.analysis.sites import CANDIDATE_COLUMNS
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.school_ids import normalise_school_ids

#: A candidate nearer than this to an existing offer of the type stands where that offer is: it is dropped.
SAME_SITE_M: Final[float] = 1.0


def _table(values: dict, geometry, target_crs) -> gpd.GeoDataFrame:
    n = len(geometry)
    columns = {c: values[c] if c in values else np.full(n, "", dtype=object) for c in CANDIDATE_COLUMNS}
    frame = gpd.GeoDataFrame(columns, geometry=list(geometry), crs=target_crs)
    frame[settings.SOZIALINDEX] = pd.to_numeric(frame[settings.SOZIALINDEX], errors="coerce").astype(float)
    for name in ("candidate_id", settings.OFFER_NAME, settings.OFFER_ADDRESS, "source", settings.DISTRICT_ID):
        frame[name] = frame[name].fillna("").astype("str").astype(object)
    return frame


def with_districts(candidates: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``candidates`` with the ``district_id`` of the district each lies in ("" outside every district)."""
    position = access.district_positions(candidates, districts)
    ids = districts[settings.DISTRICT_ID].astype("str").to_numpy(dtype=object)
    out = candidates.copy()
    out[settings.DISTRICT_ID] = np.where(position >= 0, ids[np.maximum(position, 0)], "") if len(ids) else ""
    return out


def sozialindex_of(dataset: Dataset, school_ids: pd.Series) -> np.ndarray:
    """The NRW Schulsozialindex of each Schulnummer (``"12345"`` and ``"012345"`` agree); NaN where none is known."""
    index = np.full(len(school_ids), np.nan)
    layer = dataset.sozialindex
    if layer is None or not len(layer) or not len(school_ids):
        return index
    known, _ = normalise_school_ids(layer[settings.SCHOOL_ID])
    levels = pd.Series(pd.to_numeric(layer[settings.SOZIALINDEX], errors="coerce").to_numpy(dtype=float),
                       index=known.to_numpy(dtype=object))
    levels = levels[levels.index.notna() & ~levels.index.duplicated()]
    ids, _ = normalise_school_ids(school_ids.reset_index(drop=True))
    return ids.map(levels).to_numpy(dtype=float)


def host_candidates(dataset: Dataset, offer_type: str, *, min_sozialindex: int | None = None) -> gpd.GeoDataFrame:
    """The host facilities of ``offer_type`` that do not run it yet (e.g. Grundschulen without an FGZ).

    ``min_sozialindex``: only schools with at least this NRW Schulsozialindex (schools without one are left out).
    Empty when the type has no host type.
    """
    types = dataset.offer_types
    host_type = str(types.at[offer_type, "host_type"]) if offer_type in types.index and "host_type" in types else ""
    districts = crs.to_metric(dataset.districts, name="Sozialräume")
    if not host_type or host_type == "nan":
        return _table({}, [], districts.crs)
    offers = crs.to_metric(dataset.offers, name="Angebote")
    n_hosts = int((offers[settings.OFFER_TYPE].astype("str") == host_type).sum())
    hosts = host_facilities(offers, offer_type=offer_type, host_type=host_type).iloc[:n_hosts]
    hosts = hosts[~hosts["runs_offer"].to_numpy(dtype=bool)].reset_index(drop=True)
    table = _table({
        "candidate_id": hosts[settings.OFFER_ID].to_numpy(), settings.OFFER_NAME: hosts[settings.OFFER_NAME].to_numpy(),
        settings.OFFER_ADDRESS: hosts[settings.OFFER_ADDRESS].to_numpy(), "source": "host",
        settings.SOZIALINDEX: sozialindex_of(dataset, hosts[settings.OFFER_ID]),
    }, hosts.geometry.to_numpy(), offers.crs)
    if min_sozialindex is not None:
        table = table[table[settings.SOZIALINDEX] >= min_sozialindex].reset_index(drop=True)
    return with_districts(table, districts)


def list_candidates(listed: gpd.GeoDataFrame, dataset: Dataset) -> gpd.GeoDataFrame:
    """An uploaded list (:func:`geo.ingest.candidates.validate_candidates`) as candidates of source ``list``.

    ``listed`` has ``candidate_id``, ``name``, ``address`` and, where a row names a school, ``school_id``; the
    Sozialindex comes from the data set's Schulsozialindex by that Schulnummer.
    """
    listed = crs.to_metric(listed, name="Kandidaten").reset_index(drop=True)
    school = listed[settings.SCHOOL_ID] if settings.SCHOOL_ID in listed else pd.Series("", index=listed.index)
    table = _table({
        "candidate_id": listed["candidate_id"].to_numpy(), settings.OFFER_NAME: listed[settings.OFFER_NAME].to_numpy(),
        settings.OFFER_ADDRESS: listed[settings.OFFER_ADDRESS].to_numpy(), "source": "list",
        settings.SOZIALINDEX: sozialindex_of(dataset, school.fillna("").astype("str")),
    }, listed.geometry.to_numpy(), listed.crs)
    return with_districts(table, crs.to_metric(dataset.districts, name="Sozialräume"))


def in_need_districts(source: Prepared | Result, *, gaps_of: str | None = None) -> gpd.GeoDataFrame:
    """The districts in need (status *niedrig* or *sehr niedrig*) of an analysis or its preparation.

    ``gaps_of``: with a :class:`~geo.analysis.run.Result`, only the districts that are a gap for this offer type.
    """
    if isinstance(source, Result):
        districts = source.districts
        keep = districts["status_class"].isin(IN_NEED_CLASSES).to_numpy(dtype=bool)
        if gaps_of is not None:
            gap = column("gap", gaps_of)
            keep = keep & (districts[gap].to_numpy(dtype=bool) if gap in districts else False)
        target_crs = districts.crs
    else:
        districts, keep, target_crs = source.merged, np.asarray(source.in_need, dtype=bool), source.layers.districts.crs
    return gpd.GeoDataFrame(districts[keep], geometry="geometry", crs=target_crs).reset_index(drop=True)


def grid_candidates(districts: gpd.GeoDataFrame, *, spacing_m: float | None = None) -> gpd.GeoDataFrame:
    """Points on a square grid inside ``districts`` (e.g. :func:`in_need_districts`), at least one per district.

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


def id_key(value: object) -> str:
    """How ids are compared when a planner names them: stripped text, and digits as a number ("0101" = "101")."""
    text = str(value).strip()
    return str(int(text)) if text.isdigit() else text


def exclude(candidates: gpd.GeoDataFrame, ids: Iterable[str]) -> gpd.GeoDataFrame:
    """``candidates`` without those whose ``candidate_id`` is in ``ids`` (ruled out by a planner; :func:`id_key`)."""
    ruled_out = {id_key(i) for i in ids}
    keys = candidates["candidate_id"].map(id_key)
    return candidates[~keys.isin(ruled_out).to_numpy()].reset_index(drop=True)


def not_at_offers(candidates: gpd.GeoDataFrame, offers: gpd.GeoDataFrame, offer_type: str, *,
                  tolerance_m: float = SAME_SITE_M) -> gpd.GeoDataFrame:
    """``candidates`` without those standing where an offer of ``offer_type`` already is (within ``tolerance_m``)."""
    offers = crs.to_metric(offers, name="Angebote")
    existing = offers[offers[settings.OFFER_TYPE].astype("str") == offer_type]
    if not len(existing) or not len(candidates):
        return candidates.reset_index(drop=True)
    distance, _ = cKDTree(shapely.get_coordinates(existing.geometry.to_numpy())).query(
        shapely.get_coordinates(crs.to_metric(candidates, name="Kandidaten").geometry.to_numpy()), k=1)
    return candidates[distance >= tolerance_m].reset_index(drop=True)


def candidate_sites(
    dataset: Dataset, offer_type: str, *, hosts: bool = True, min_sozialindex: int | None = None,
    listed: gpd.GeoDataFrame | None = None, grid_in: gpd.GeoDataFrame | None = None,
    spacing_m: float | None = None, excluded: Iterable[str] = (),
) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The candidates of one suggestion and German notes on what was left out.

    Parameters
    ----------
    hosts, min_sozialindex
        Take the host facilities without the offer (:func:`host_candidates`), optionally only from that index.
    listed
        Candidates of an uploaded list (:func:`list_candidates`).
    grid_in
        Districts to lay a grid of candidates into (e.g. :func:`in_need_districts`), ``spacing_m`` apart.
    excluded
        Ids the planner ruled out (:func:`exclude`).

    Returns
    -------
    tuple
        The candidates, hosts first, then the list, then the grid; a candidate whose id came earlier is left
        out, as is one where an offer of the type already is.
    """
    parts = []
    if hosts:
        parts.append(host_candidates(dataset, offer_type, min_sozialindex=min_sozialindex))
    if listed is not None:
        parts.append(crs.to_metric(listed, name="Kandidaten"))
    if grid_in is not None and len(grid_in):
        parts.append(grid_candidates(grid_in, spacing_m=spacing_m))
    metric = crs.to_metric(dataset.districts, name="Sozialräume").crs
    parts = [p.to_crs(metric) for p in parts if len(p)]
    every = gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=metric) if parts \
        else _table({}, [], metric)
    notes: list[str] = []
    keys = every["candidate_id"].map(id_key)
    unique = every[~keys.duplicated().to_numpy()].reset_index(drop=True)
    if len(unique) < len(every):
        notes.append(f"{format_number(len(every) - len(unique))} Kandidaten mit einer schon genannten Kennung "
                     "weggelassen")
    free = not_at_offers(unique, dataset.offers, offer_type)
    if len(free) < len(unique):
        notes.append(f"{format_number(len(unique) - len(free))} Kandidaten stehen schon an einem Angebot dieser Art "
                     "und wurden weggelassen")
    excluded = list(excluded)
    out = exclude(free, excluded)
    if excluded:
        notes.append(f"{format_number(len(free) - len(out))} Kandidaten ausgeschlossen")
        known = set(every["candidate_id"].map(id_key))
        unknown = [str(i) for i in excluded if id_key(i) not in known]
        if unknown:
            notes.append("keine Kandidaten mit der Kennung " + ", ".join(f"„{i}“" for i in unknown))
    return out, notes
