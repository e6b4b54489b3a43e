"""Build the covering problem of one offer type from a data set, following the type's reach model.

- ``radius``: a candidate reaches the resident points within the type's radius; the existing offers' reach is
  the same as in the analysis.
- ``zuordnung`` (an FGZ at its Grundschule): each resident point belongs to one host facility (by catchment
  area, else the nearest), so a new FGZ at a school without one reaches exactly the points of that school.
- ``gebiet``: new sites have no Zuständigkeitsgebiet yet, so they are measured by the radius; the existing
  offers reach the points inside their areas.

The demand units are the analysis' resident points weighted by the type's target group
(:meth:`geo.analysis.run.Prepared.group`), so "after" equals what the analysis shows for a scenario with the
new sites added.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from geo import catalog, crs, settings
from geo.analysis.hosts import host_facilities
from geo.analysis.reach_models import _areas, _text_ids, area_of_points, assign_hosts
from geo.analysis.run import Params, Prepared, prepare
from geo.analysis.sites import SiteProblem
from geo.dataset import Dataset


def need_weight(status_class: pd.Series, weights: dict[str, float] | None = None) -> np.ndarray:
    """Need weight per district row: :data:`geo.settings.SITE_NEED_WEIGHTS` by status class, else 1."""
    weights = settings.SITE_NEED_WEIGHTS if weights is None else weights
    return status_class.map(lambda c: float(weights.get(c, 1.0))).to_numpy(dtype=float)


def _within(points_xy: np.ndarray, sites_xy: np.ndarray, radius_m: float) -> sparse.csr_matrix:
    """Points × sites: the site lies within ``radius_m`` of the point."""
    if not len(sites_xy) or not len(points_xy):
        return sparse.csr_matrix((len(points_xy), len(sites_xy)), dtype=bool)
    lists = cKDTree(sites_xy).query_ball_point(points_xy, r=radius_m, workers=-1)
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    indices = np.fromiter((j for x in lists for j in x), dtype=np.int64, count=int(lengths.sum()))
    indptr = np.r_[0, np.cumsum(lengths)]
    return sparse.csr_matrix((np.ones(len(indices), dtype=bool), indices, indptr),
                             shape=(len(points_xy), len(sites_xy)))


def build_problem(
    dataset: Dataset, offer_type: str, candidates: gpd.GeoDataFrame, *, params: Params | None = None,
    need_weights: dict[str, float] | None = None, prepared: Prepared | None = None,
) -> SiteProblem:
    """The covering problem of ``offer_type`` for ``candidates`` (from :mod:`geo.analysis.candidates`).

    Parameters
    ----------
    params
        The analysis settings (year, radii, population); default ``Params()``.
    need_weights
        Status class → weight (default :data:`geo.settings.SITE_NEED_WEIGHTS`).
    prepared
        :func:`geo.analysis.run.prepare` of ``dataset`` and ``params`` when already at hand.
    """
    params = Params() if params is None else params
    prepared = prepare(dataset, params) if prepared is None else prepared
    layers = prepared.layers
    weights = dict(settings.SITE_NEED_WEIGHTS if need_weights is None else need_weights)
    _, _, people = prepared.group(offer_type, params.population)
    located = layers.located
    district_weight = need_weight(prepared.merged["status_class"], weights)
    inside = located >= 0
    weight = np.where(inside, district_weight[np.maximum(located, 0)], 1.0)
    in_need = np.where(inside, prepared.in_need[np.maximum(located, 0)], False)
    types = dataset.offer_types
    radius = float((params.radii or {}).get(offer_type, types.at[offer_type, "radius_m"]))
    model = str(types.at[offer_type, "reach_model"]) if "reach_model" in types else "radius"
    candidates = crs.to_metric(candidates, name="Kandidaten").reset_index(drop=True)
    points = layers.residents.geometry.to_numpy()
    points_xy = shapely.get_coordinates(points)
    site_xy = shapely.get_coordinates(candidates.geometry.to_numpy())
    offers = layers.offers[_text_ids(layers.offers[settings.OFFER_TYPE]) == offer_type]
    notes: list[str] = []
    host_type = str(types.at[offer_type, "host_type"]) if model == "zuordnung" else ""
    hosts = host_facilities(layers.offers, offer_type=offer_type, host_type=host_type) if host_type else None
    if model == "zuordnung" and hosts is not None and len(hosts):
        areas = _areas(layers, host_type)
        area_host = pd.Index(hosts[settings.OFFER_ID]).get_indexer(_text_ids(areas[settings.OFFER_ID])) \
            if len(areas) else np.empty(0, dtype=np.int64)
        assigned = assign_hosts(points, shapely.get_coordinates(hosts.geometry.to_numpy()), area_host, areas)
        covered = hosts["runs_offer"].to_numpy()[assigned]
        host_of = pd.Index(hosts[settings.OFFER_ID]).get_indexer(_text_ids(candidates["candidate_id"]))
        column = {int(h): j for j, h in enumerate(host_of) if h >= 0}
        if (host_of < 0).any():
            host = catalog.type_labels(types, host_type)
            notes.append(f"{int((host_of < 0).sum())} Kandidaten sind keine {host.plural} und erreichen nach dem "
                         "Modell der Zuordnung niemanden")
        cols = np.array([column.get(int(h), -1) for h in assigned], dtype=np.int64)
        rows = np.flatnonzero(cols >= 0)
        cover = sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols[rows])),
                                  shape=(len(points), len(candidates)))
    else:
        if model == "gebiet":
            areas = _areas(layers, offer_type)
            covered = area_of_points(points, areas) >= 0 if len(areas) else np.zeros(len(points), dtype=bool)
            notes.append("neue Standorte haben noch kein Zuständigkeitsgebiet: ihre Reichweite ist die Luftlinie")
        else:
            near = _within(points_xy, shapely.get_coordinates(offers.geometry.to_numpy()), radius)
            covered = np.asarray(near.sum(axis=1)).ravel() > 0
        if model == "zuordnung":
            notes.append("keine zugeordneten Einrichtungen erfasst – Reichweite als Luftlinie gemessen")
            model = "radius"
        cover = _within(points_xy, site_xy, radius)
    return SiteProblem(
        offer_type=offer_type, candidates=candidates, demand=np.nan_to_num(np.asarray(people, dtype=float)),
        weight=weight, in_need=in_need, district=located, covered=np.asarray(covered, dtype=bool),
        cover=sparse.csr_matrix(cover, dtype=bool), model=model, notes=tuple(notes), need_weights=weights,
    )
