"""Build the covering problem of one offer type from a data set, following the type's reach model.

The demand units are those the analysis measures on: resident points, and for the Lotsendienst with a
births-per-clinic table the table's rows (district × clinic) in the districts the table covers. Each district's
units carry its count of the type's target group (:meth:`geo.analysis.run.Prepared.group`) in proportion to their
people (births), so *before* is what :func:`geo.analysis.run.analyse` shows and *after* what it shows once the
chosen sites are added as offers (:func:`sites_as_offers`).

- ``radius``: a site reaches the points within the radius (the analysis' "≤ radius", the same distances).
- ``zuordnung`` (an FGZ at its Grundschule, a Lotsendienst in its clinic): each point belongs to a host facility
  (by the host type's catchment areas where given, else the nearest host). A site at a host (within
  :data:`geo.settings.HOST_MATCH_M`) reaches that host's points and, in the births table, its rows; a site at
  no host becomes a host of its own and reaches the points outside every catchment area that are nearer to it
  than to any host.
- ``gebiet``: the existing offers reach the points inside their Zuständigkeitsgebiete; a new site has none yet
  and reaches the radius (its area is taken as the circle of the radius, said in the notes).

A model that lacks its data falls back to the radius exactly as the analysis does (and says so in the notes).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy import sparse
from scipy.spatial import cKDTree

from geo import catalog, crs, settings
from geo._errors import DataError
from geo.analysis.access import distance_to_nearest
from geo.analysis.hosts import host_facilities, match_hosts
from geo.analysis.reach_models import (
    Layers,
    area_of_points,
    areas_of,
    assign_hosts,
    births_table,
    clinic_runs,
    host_areas,
    hosts_by_area,
    text_ids,
    type_areas,
)
from geo.analysis.run import Params, Prepared, prepare
from geo.analysis.scenarios import SCENARIO_COLUMNS, apply_edits
from geo.analysis.sites import SiteProblem
from geo.dataset import Dataset
from geo.formatting import format_distance, format_number

#: Segments per quarter circle of the area a new site of a ``gebiet`` type is given (:func:`sites_as_offers`):
#: the polygon lies within 8 cm of the circle of a 1 km radius.
CIRCLE_SEGMENTS = 64


def need_weight(status_class: pd.Series, weights: dict[str, float] | None = None) -> np.ndarray:
    """Need weight per district row: :data:`geo.settings.SITE_NEED_WEIGHTS` by status class, else 1."""
    weights = settings.SITE_NEED_WEIGHTS if weights is None else weights
    return status_class.map(lambda c: float(weights.get(c, 1.0))).to_numpy(dtype=float)


@dataclass(frozen=True)
class _Units:
    """Demand units of one model before they get their people: district, basis (people or births), coverage."""

    district: np.ndarray
    basis: np.ndarray
    covered: np.ndarray
    cover: sparse.csr_matrix


# ------------------------------------------------------------------------------------------------ numeric core


def _pairs_within(points_xy: np.ndarray, sites_xy: np.ndarray, radius_m: np.ndarray | float, *,
                  strict: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """(point, site) pairs at most ``radius_m`` apart (less than, with ``strict``), radius per point or one for all.

    Distances are computed as the analysis computes them (square root of the summed squares), so a point exactly
    at the radius is in reach here as it is in :func:`geo.analysis.access.reach_by_district`.
    """
    if not len(points_xy) or not len(sites_xy):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    radius = np.broadcast_to(np.asarray(radius_m, dtype=float), (len(points_xy),))
    slack = radius * (1 + 1e-9) + 1e-6
    if np.ndim(radius_m) == 0:  # one radius: ask from the (fewer) sites, the faster way round
        lists = cKDTree(points_xy).query_ball_point(sites_xy, r=float(slack[0]), workers=-1)
        site, point = _flatten(lists)
    else:
        point, site = _flatten(cKDTree(sites_xy).query_ball_point(points_xy, r=slack, workers=-1))
    delta = points_xy[point] - sites_xy[site]
    distance = np.sqrt(delta[:, 0] * delta[:, 0] + delta[:, 1] * delta[:, 1])
    keep = distance < radius[point] if strict else distance <= radius[point]
    return point[keep], site[keep]


def _flatten(lists) -> tuple[np.ndarray, np.ndarray]:
    """``query_ball_point``'s lists → (position of the query, found index) pairs."""
    lengths = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    found = np.fromiter((j for x in lists for j in x), dtype=np.int64, count=int(lengths.sum()))
    return np.repeat(np.arange(len(lists)), lengths), found


def _matrix(rows: np.ndarray, cols: np.ndarray, shape: tuple[int, int]) -> sparse.csr_matrix:
    cover = sparse.csr_matrix((np.ones(len(rows), dtype=bool), (rows, cols)), shape=shape)
    cover.sum_duplicates()
    return cover


def _radius(points_xy: np.ndarray, offers: gpd.GeoDataFrame, sites_xy: np.ndarray, radius_m: float,
            residents: gpd.GeoDataFrame) -> tuple[np.ndarray, sparse.csr_matrix]:
    """Radius model → (points the offers reach, points × sites within the radius)."""
    covered = distance_to_nearest(residents, offers).to_numpy() <= radius_m
    point, site = _pairs_within(points_xy, sites_xy, radius_m)
    return covered, _matrix(point, site, (len(points_xy), len(sites_xy)))


# ------------------------------------------------------------------------------------------------ the models


def _host_cover(layers: Layers, hosts: gpd.GeoDataFrame, host_type: str, n_hosts: int, sites_xy: np.ndarray):
    """Zuordnung on the points → (host of each point, points reached now, points × sites, site's host or -1)."""
    points = layers.residents.geometry.to_numpy()
    points_xy = shapely.get_coordinates(points)
    host_xy = shapely.get_coordinates(hosts.geometry.to_numpy())
    areas, area_host = host_areas(layers, hosts, host_type)
    by_area = hosts_by_area(points, area_host, areas)
    assigned = assign_hosts(points, host_xy, by_area=by_area)
    covered = hosts["runs_offer"].to_numpy(dtype=bool)[assigned]
    site_host = match_hosts(host_xy[:n_hosts], sites_xy)  # as host_facilities places a new offer
    at_host = np.flatnonzero(site_host >= 0)
    # points × hosts (each point its host) times hosts × sites (each site at its host)
    point_host = _matrix(np.arange(len(points)), assigned, (len(points), len(hosts)))
    host_site = _matrix(site_host[at_host], at_host, (len(hosts), len(sites_xy)))
    cover = (point_host.astype(np.int32) @ host_site.astype(np.int32)).astype(bool)
    own = np.flatnonzero(site_host < 0)
    rest = np.flatnonzero(by_area < 0)
    if len(own) and len(rest):
        # a site at no host is a host of its own: it takes the points nearer to it than to their nearest host
        delta = points_xy[rest] - host_xy[assigned[rest]]
        nearest = np.sqrt(delta[:, 0] * delta[:, 0] + delta[:, 1] * delta[:, 1])
        point, site = _pairs_within(points_xy[rest], sites_xy[own], nearest, strict=True)
        cover = cover + _matrix(rest[point], own[site], cover.shape)
    return assigned, covered, sparse.csr_matrix(cover, dtype=bool), site_host


def _births_rows(layers: Layers, hosts: gpd.GeoDataFrame, site_host: np.ndarray, n_sites: int) -> _Units | None:
    """The births table's rows of the analysis year as units (``None`` without any): a site covers its clinic's."""
    table = births_table(layers)
    if not len(table):
        return None
    district_ids = text_ids(layers.districts[settings.DISTRICT_ID])
    district = pd.Index(district_ids).get_indexer(text_ids(table[settings.DISTRICT_ID]))
    births = np.nan_to_num(pd.to_numeric(table[settings.BIRTHS], errors="coerce").to_numpy(dtype=float))
    clinic = text_ids(table["clinic_id"])
    runs = clinic_runs(hosts)
    covered = np.array([bool(runs.get(c, False)) for c in clinic], dtype=bool)
    host_ids = hosts[settings.OFFER_ID].astype("str").to_numpy(dtype=object)
    row_host = pd.Index(host_ids).get_indexer(clinic) if len(host_ids) else np.full(len(clinic), -1)
    # rows × hosts (each row its clinic) times hosts × sites (each site at its clinic)
    listed = np.flatnonzero(row_host >= 0)
    at_host = np.flatnonzero(site_host >= 0)
    row_clinic = _matrix(listed, row_host[listed], (len(table), len(hosts)))
    clinic_site = _matrix(site_host[at_host], at_host, (len(hosts), n_sites))
    cover = (row_clinic.astype(np.int32) @ clinic_site.astype(np.int32)).astype(bool)
    return _Units(district=district, basis=births, covered=covered, cover=cover)


def _points(layers: Layers, people: np.ndarray, covered: np.ndarray, cover: sparse.csr_matrix) -> _Units:
    return _Units(district=layers.located, basis=np.nan_to_num(np.asarray(people, dtype=float)),
                  covered=np.asarray(covered, dtype=bool), cover=sparse.csr_matrix(cover, dtype=bool))


def _stack(parts: list[tuple[_Units, np.ndarray]]) -> _Units:
    """The units of each part where its mask holds, one after the other."""
    return _Units(
        district=np.concatenate([u.district[m] for u, m in parts]),
        basis=np.concatenate([u.basis[m] for u, m in parts]),
        covered=np.concatenate([u.covered[m] for u, m in parts]),
        cover=sparse.vstack([u.cover[np.flatnonzero(m)] for u, m in parts], format="csr"),
    )


def _model_units(offer_type: str, model: str, layers: Layers, candidates: gpd.GeoDataFrame, people: np.ndarray,
                 radius_m: float, measured: str) -> tuple[_Units, str, list[str]]:
    """The units of ``offer_type``'s model in force → (units, the model's key, German notes)."""
    types = layers.offer_types
    me = catalog.type_labels(types, offer_type)
    residents = layers.residents
    points_xy = shapely.get_coordinates(residents.geometry.to_numpy())
    sites_xy = shapely.get_coordinates(candidates.geometry.to_numpy())
    offers = layers.offers[text_ids(layers.offers[settings.OFFER_TYPE]) == offer_type]
    radius_units = None

    def by_radius() -> _Units:
        nonlocal radius_units
        if radius_units is None:
            radius_units = _points(layers, people, *_radius(points_xy, offers, sites_xy, radius_m, residents))
        return radius_units

    if model == "gebiet":
        if not len(areas_of(layers, offer_type)):
            return by_radius(), "radius", [f"keine Zuständigkeitsgebiete der {me.plural} hochgeladen – Reichweite "
                                           "als Luftlinie gemessen"]
        areas, _ = type_areas(layers, offer_type)
        covered = area_of_points(residents.geometry.to_numpy(), areas) >= 0
        _, cover = _radius(points_xy, offers.iloc[:0], sites_xy, radius_m, residents)
        return _points(layers, people, covered, cover), "gebiet", [
            "neue Standorte haben noch kein Zuständigkeitsgebiet: ihre Reichweite ist der Umkreis von "
            f"{format_distance(radius_m)} (Luftlinie)"]
    if model != "zuordnung":
        return by_radius(), "radius", []
    host_type = str(types.at[offer_type, "host_type"]) if "host_type" in types else ""
    host = catalog.type_labels(types, host_type) if host_type else None
    n_hosts = int((text_ids(layers.offers[settings.OFFER_TYPE]) == host_type).sum()) if host_type else 0
    hosts = host_facilities(layers.offers, offer_type=offer_type, host_type=host_type) if host_type else None
    notes: list[str] = []
    points = by_radius() if not n_hosts else None
    site_host = np.full(len(candidates), -1, dtype=np.int64)
    if n_hosts:
        _, covered, cover, site_host = _host_cover(layers, hosts, host_type, n_hosts, sites_xy)
        points = _points(layers, people, covered, cover)
        if (site_host < 0).any():
            notes.append(f"{format_number(int((site_host < 0).sum()))} Kandidaten liegen an keiner {host.short}: "
                         f"sie erreichen, wem sie näher sind als jede {host.short} (außerhalb der Einzugsgebiete)")
    rows = _births_rows(layers, hosts, site_host, len(candidates)) \
        if measured == settings.BIRTHS and hosts is not None else None
    if rows is None:
        if not n_hosts:
            what = host.plural if host is not None else "zugeordneten Einrichtungen"
            return points, "radius", [f"keine {what} erfasst – Reichweite als Luftlinie gemessen"]
        return points, "zuordnung", notes
    total = np.bincount(rows.district[rows.district >= 0], weights=rows.basis[rows.district >= 0],
                        minlength=len(layers.districts))
    from_table = total > 0
    in_table = (rows.district >= 0) & from_table[np.maximum(rows.district, 0)]
    by_points = (layers.located >= 0) & ~from_table[np.maximum(layers.located, 0)]
    notes.append(f"Geburten je Klinik laut Geburtentabelle ({format_number(int(from_table.sum()))} Sozialräume): ein "
                 f"neuer {me.short} in einer Klinik erreicht die Geburten dieser Klinik")
    if by_points.any():
        notes.append(f"übrige Sozialräume: {'nächste ' + host.short if n_hosts else 'Luftlinie'}")
    return _stack([(rows, in_table), (points, by_points)]), "zuordnung", notes


def _configured(types: pd.DataFrame, offer_type: str) -> str:
    """The reach model configured for ``offer_type`` (``radius`` where the table has none)."""
    return str(types.at[offer_type, "reach_model"]) if "reach_model" in types else "radius"


def _radius_of(types: pd.DataFrame, offer_type: str, params: Params) -> float:
    radius = (params.radii or {}).get(offer_type, types.at[offer_type, "radius_m"])
    radius = float(pd.to_numeric(pd.Series([radius]), errors="coerce").iloc[0])
    if not np.isfinite(radius) or radius <= 0:
        raise DataError(f"Für {catalog.type_labels(types, offer_type).plural} ist kein Radius eingetragen; ohne "
                        "Radius lassen sich keine Standorte vorschlagen (Seite „Angebotsarten“).")
    return radius


def check_offer_type(dataset: Dataset, offer_type: str) -> None:
    """Raise a German :class:`DataError` unless ``offer_type`` is an analysed offer type of ``dataset``."""
    types = dataset.offer_types
    analysed = [t for t, row in types.iterrows() if row["analysed"]]
    if offer_type not in types.index or offer_type not in analysed:
        allowed = ", ".join(f"„{t}“ ({catalog.type_labels(types, t).short})" for t in analysed)
        raise DataError(f"Für die Angebotsart „{offer_type}“ lassen sich keine Standorte vorschlagen. Möglich sind: "
                        f"{allowed}.")


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

    Raises
    ------
    DataError
        If ``offer_type`` is not an analysed type or has no radius, or the layers cannot be prepared.
    """
    check_offer_type(dataset, offer_type)
    params = Params() if params is None else params
    prepared = prepare(dataset, params) if prepared is None else prepared
    layers = prepared.layers
    weights = dict(settings.SITE_NEED_WEIGHTS if need_weights is None else need_weights)
    group, counts, people = prepared.group(offer_type, params.population)
    types = layers.offer_types
    radius = _radius_of(types, offer_type, params)
    configured = _configured(types, offer_type)
    candidates = crs.to_metric(candidates, name="Kandidaten").reset_index(drop=True)
    units, model, notes = _model_units(offer_type, configured, layers, candidates, people, radius, group.column)
    # each district's units carry its target group count in proportion to their people, as the analysis' share
    inside = units.district >= 0
    district = np.maximum(units.district, 0)
    basis = np.where(inside, units.basis, 0.0)
    total = np.bincount(district[inside], weights=basis[inside], minlength=len(layers.districts))
    count = np.nan_to_num(np.asarray(counts, dtype=float))
    with np.errstate(invalid="ignore", divide="ignore"):
        demand = np.where(inside & (total[district] > 0), count[district] * basis / np.where(
            total[district] > 0, total[district], 1.0), 0.0)
    keep = np.flatnonzero(inside)
    district_weight = need_weight(prepared.merged["status_class"], weights)
    return SiteProblem(
        offer_type=offer_type, candidates=candidates, demand=demand[keep], weight=district_weight[district[keep]],
        in_need=prepared.in_need[district[keep]], district=units.district[keep], covered=units.covered[keep],
        cover=units.cover[keep], model=model, notes=tuple(notes), need_weights=weights,
    )


def sites_as_offers(dataset: Dataset, offer_type: str, sites: gpd.GeoDataFrame, *,
                    params: Params | None = None) -> Dataset:
    """``dataset`` with ``sites`` (e.g. :attr:`geo.analysis.sites.Suggestion.sites`) added as offers of the type.

    The new offers get the ids ``Vorschlag-1``, ``Vorschlag-2``, … in the order of ``sites``, their name and
    address. For a ``gebiet`` type with stored areas each new site also gets its area: the circle of the type's
    radius, as :func:`build_problem` assumes. What :func:`geo.analysis.run.analyse` shows for the result is the
    *after* of the suggestion. The stored data are not touched (a new data set is returned).
    """
    params = Params() if params is None else params
    sites = crs.to_metric(sites, name="Standorte").reset_index(drop=True)
    ids = [f"Vorschlag-{i}" for i in range(1, len(sites) + 1)]
    xy = shapely.get_coordinates(sites.geometry.to_numpy())
    edits = pd.DataFrame({
        "scenario": "Vorschlag", "step": np.arange(1, len(sites) + 1, dtype=float), "action": "add",
        settings.OFFER_ID: ids, settings.OFFER_TYPE: offer_type,
        settings.OFFER_NAME: sites[settings.OFFER_NAME].fillna("").astype("str").to_numpy(),
        settings.OFFER_ADDRESS: sites[settings.OFFER_ADDRESS].fillna("").astype("str").to_numpy(),
        settings.OFFER_CAPACITY: np.nan, "x": xy[:, 0] if len(xy) else [], "y": xy[:, 1] if len(xy) else [],
        "source": "suggestion", "note": "",
    }, columns=list(SCENARIO_COLUMNS))
    offers, _ = apply_edits(dataset.offers, edits)
    out = dataset.with_layers(offers=offers)
    types = dataset.offer_types
    catchments = dataset.catchments
    has_areas = catchments is not None and len(catchments) and \
        (text_ids(catchments[settings.OFFER_TYPE]) == offer_type).any()
    if _configured(types, offer_type) == "gebiet" and has_areas and len(sites):
        radius = _radius_of(types, offer_type, params)
        circles = gpd.GeoDataFrame({
            settings.CATCHMENT_ID: ids, settings.OFFER_TYPE: offer_type, settings.OFFER_ID: ids,
            settings.OFFER_NAME: edits[settings.OFFER_NAME].to_numpy(),
        }, geometry=sites.geometry.buffer(radius, quad_segs=CIRCLE_SEGMENTS).to_numpy(), crs=sites.crs)
        existing = crs.to_metric(catchments, name="Einzugsgebiete")
        out = out.with_layers(catchments=gpd.GeoDataFrame(pd.concat([existing, circles], ignore_index=True),
                                                          geometry="geometry", crs=existing.crs))
    return out
