"""Reach models: radius from home, assigned facility (Grundschule, Geburtsklinik) or catchment polygons.

Every model gives, per district, the share of the target group in reach; the median distance stays the
straight-line distance to the nearest offer of the type in every model (:func:`geo.analysis.access.reach_by_district`).

- ``radius``: the share living within the type's radius.
- ``zuordnung``: each resident point belongs to a host facility (:func:`geo.analysis.hosts.host_facilities`):
  by the host type's catchment areas (Schuleinzugsbereiche) where given, else (and outside every area) the
  nearest host. Reach = share whose host runs the offer. For births with a births-per-clinic table: per district
  the births at clinics that run the offer ÷ all births of the district in the table.
- ``gebiet``: the share living inside a catchment polygon (Zuständigkeitsgebiet) of an offer of the type.

A model that lacks its data falls back to ``radius`` and says why (:attr:`ReachModel.note`).
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo import catalog, crs, settings
from geo.analysis import access
from geo.analysis.hosts import host_facilities
from geo.formatting import format_distance, format_number


@dataclass(frozen=True)
class ReachModel:
    """How reach of one offer type was measured in an analysis (shown on Methodik and in every method note).

    Attributes
    ----------
    kind
        The model in force, a key of :data:`geo.catalog.REACH_MODELS` (``radius`` where the configured model
        lacked its data and fell back to it; ``note`` says so).
    description
        One German phrase, e.g. "Luftlinie vom Wohnort, Radius 1 km", "zugeordnete Grundschule (nächste; 3 von
        12 Einrichtungen mit FGZ)".
    note
        Why the configured model is not (fully) in force ("" when it is).
    reason
        What those out of reach are, after "62 % der Kinder …" in a gap's reason, e.g. "gehören zu einer
        Grundschule ohne FGZ"; "" for the radius (its reason names the radius and the median way).
    """

    kind: str
    description: str
    note: str = ""
    reason: str = ""


@dataclass(frozen=True)
class Layers:
    """What the models measure on, shared by every offer type of one analysis.

    Attributes
    ----------
    districts
        District polygons (metric CRS) with ``district_id``.
    residents
        Resident points (metric CRS): the residents layer or the fallback grid.
    located
        District position of each resident point (-1 outside every district).
    resident_xy
        Coordinates of the resident points, ``(n, 2)``: taken out of the geometries once per analysis.
    offers
        All offers (metric CRS), host types included.
    offer_types
        The offer type table.
    catchments, clinic_births
        :attr:`geo.dataset.Dataset.catchments` (metric CRS) and ``clinic_births``, or ``None``.
    year
        The analysis year (rows of ``clinic_births`` with another ``year`` are left out).
    """

    districts: gpd.GeoDataFrame
    residents: gpd.GeoDataFrame
    located: np.ndarray
    resident_xy: np.ndarray
    offers: gpd.GeoDataFrame
    offer_types: pd.DataFrame
    catchments: gpd.GeoDataFrame | None = None
    clinic_births: pd.DataFrame | None = None
    year: int | None = None


# ------------------------------------------------------------------------------------------------ numeric core


def district_share(located: np.ndarray, weight: np.ndarray, reached: np.ndarray, n: int) -> np.ndarray:
    """Per district position: weight of the points with ``reached`` ÷ weight of all its points (NaN for none)."""
    inside = located >= 0
    w = np.nan_to_num(np.asarray(weight, dtype=float))[inside]
    total = np.bincount(located[inside], weights=w, minlength=n)
    got = np.bincount(located[inside], weights=np.where(reached[inside], w, 0.0), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(total > 0, got / np.where(total > 0, total, 1.0), np.nan)


def nearest(xy_from: np.ndarray, xy_to: np.ndarray) -> np.ndarray:
    """Row of ``xy_to`` nearest to each row of ``xy_from`` (``xy_to`` must not be empty)."""
    if len(xy_from) == 0:
        return np.empty(0, dtype=np.int64)
    _, index = cKDTree(xy_to).query(xy_from, k=1, workers=-1)
    return np.asarray(index, dtype=np.int64)


def area_of_points(points: np.ndarray, areas: gpd.GeoDataFrame) -> np.ndarray:
    """Row position in ``areas`` of the (first) polygon each point lies in, -1 outside every polygon.

    ``points`` is a shapely geometry array; on overlapping areas the first row wins, so every point has one.
    """
    out = np.full(len(points), len(areas), dtype=np.int64)
    if len(points) and len(areas):
        point_index, area_index = areas.sindex.query(points, predicate="intersects")
        np.minimum.at(out, point_index, area_index)
    out[out == len(areas)] = -1
    return out


def hosts_by_area(points: np.ndarray, area_host: np.ndarray, areas: gpd.GeoDataFrame | None) -> np.ndarray:
    """Host position of each point by the area it lies in (``area_host[area]``); -1 outside every area with a host."""
    host = np.full(len(points), -1, dtype=np.int64)
    if areas is not None and len(areas):
        area = area_of_points(points, areas)
        host[area >= 0] = area_host[area[area >= 0]]
    return host


def assign_hosts(points: np.ndarray, host_xy: np.ndarray, area_host: np.ndarray | None = None,
                 areas: gpd.GeoDataFrame | None = None, *, by_area: np.ndarray | None = None,
                 xy: np.ndarray | None = None) -> np.ndarray:
    """Host position of each point: by the area it lies in (``area_host[area]``, -1 = none), else the nearest host.

    ``by_area``: :func:`hosts_by_area` of the points, and ``xy`` their coordinates, when the caller has them.
    """
    host = hosts_by_area(points, area_host, areas) if by_area is None else np.array(by_area, dtype=np.int64)
    rest = host < 0
    if rest.any():
        host[rest] = nearest(shapely.get_coordinates(points[rest]) if xy is None else xy[rest], host_xy)
    return host


# ------------------------------------------------------------------------------------------------ the models


def text_ids(values: pd.Series) -> np.ndarray:
    """Ids as every model compares them: stripped text, "" for a blank."""
    return values.fillna("").astype("str").str.strip().to_numpy(dtype=object)


def _names(ids) -> str:
    ids = sorted({str(i) for i in ids})
    shown = ", ".join(f"„{i}“" for i in ids[:5])
    return shown + (f" und {len(ids) - 5} weitere" if len(ids) > 5 else "")


def areas_of(layers: Layers, offer_type: str) -> gpd.GeoDataFrame:
    """The catchment polygons whose ``offer_type`` is ``offer_type`` (metric CRS; empty when none are stored)."""
    c = layers.catchments
    if c is None or not len(c):
        return gpd.GeoDataFrame({settings.OFFER_ID: []}, geometry=[], crs=layers.districts.crs)
    c = crs.to_metric(c, name="Einzugsgebiete")
    return c[text_ids(c[settings.OFFER_TYPE]) == offer_type].reset_index(drop=True)


def host_areas(layers: Layers, hosts: gpd.GeoDataFrame, host_type: str) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The host type's catchment areas and the row in ``hosts`` each belongs to (-1: no host has its id)."""
    areas = areas_of(layers, host_type)
    area_host = pd.Index(hosts[settings.OFFER_ID]).get_indexer(text_ids(areas[settings.OFFER_ID])) \
        if len(areas) else np.empty(0, dtype=np.int64)
    return areas, area_host


def type_areas(layers: Layers, offer_type: str) -> tuple[gpd.GeoDataFrame, np.ndarray]:
    """The Zuständigkeitsgebiete of ``offer_type`` that count, and the offer ids of those that do not.

    An area counts when it belongs to an offer of the type or (no offer id) to the whole type.
    """
    areas = areas_of(layers, offer_type)
    of_type = layers.offers[text_ids(layers.offers[settings.OFFER_TYPE]) == offer_type]
    ids = text_ids(areas[settings.OFFER_ID])
    known = (ids == "") | np.isin(ids, text_ids(of_type[settings.OFFER_ID]))
    return areas[known].reset_index(drop=True), ids[~known]


def births_table(layers: Layers) -> pd.DataFrame:
    """Rows of ``clinic_births`` for the analysis year (all rows where the table has no years)."""
    table = layers.clinic_births
    if table is None or not len(table):
        return pd.DataFrame(columns=[settings.DISTRICT_ID, "clinic_id", settings.BIRTHS])
    if settings.YEAR in table.columns and table[settings.YEAR].notna().any() and layers.year is not None:
        table = table[pd.to_numeric(table[settings.YEAR], errors="coerce") == layers.year]
    return table


def clinic_runs(hosts: gpd.GeoDataFrame) -> dict[str, bool]:
    """Clinic id of the births table → the clinic runs the offer: each host's id, and the ids of its offers."""
    runs = dict(zip(hosts[settings.OFFER_ID], hosts["runs_offer"], strict=True))
    for ids in hosts["offer_ids"]:
        runs.update({i: True for i in str(ids).split(", ") if i})
    return runs


def _births_share(table: pd.DataFrame, hosts: gpd.GeoDataFrame, district_ids: np.ndarray):
    """Per district the share of births at clinics that run the offer (NaN where the table has none).

    Also returns the clinic ids of the table that match no host.
    """
    runs = clinic_runs(hosts)
    clinic = text_ids(table["clinic_id"])
    births = np.nan_to_num(pd.to_numeric(table[settings.BIRTHS], errors="coerce").to_numpy(dtype=float))
    running = np.array([bool(runs.get(c, False)) for c in clinic], dtype=bool)
    position = pd.Index(district_ids).get_indexer(text_ids(table[settings.DISTRICT_ID]))
    share = district_share(position, births, running, len(district_ids))
    return share, sorted({c for c in clinic if c not in runs})


def _assigned(offer_type: str, host_type: str, layers: Layers, weight: np.ndarray, radius_share: np.ndarray,
              measured: str):
    """The ``zuordnung`` model → (share per district or ``None`` to fall back, description, note, reason)."""
    types = layers.offer_types
    me, host = catalog.type_labels(types, offer_type), catalog.type_labels(types, host_type)
    hosts = host_facilities(layers.offers, offer_type=offer_type, host_type=host_type)
    n_host_points = int((text_ids(layers.offers[settings.OFFER_TYPE]) == host_type).sum())
    counted = f"{format_number(int(hosts['runs_offer'].sum()))} von {format_number(len(hosts))} Einrichtungen " \
              f"mit {me.short}"
    births = births_table(layers) if measured == settings.BIRTHS else pd.DataFrame()
    district_ids = text_ids(layers.districts[settings.DISTRICT_ID])
    notes: list[str] = []
    share = None
    if n_host_points and host_type:
        host_xy = shapely.get_coordinates(hosts.geometry.to_numpy())
        areas, area_host = host_areas(layers, hosts, host_type)
        if len(areas) and (area_host < 0).any():
            unknown = areas[settings.OFFER_ID][area_host < 0]
            notes.append(f"Einzugsgebiete ohne passende {host.short}: {_names(unknown)}")
        # only points where people of the group live in a district count (as in access.reach_by_district)
        people = (layers.located >= 0) & (np.nan_to_num(np.asarray(weight, dtype=float)) > 0)
        assigned = assign_hosts(layers.residents.geometry.to_numpy()[people], host_xy, area_host, areas,
                                xy=layers.resident_xy[people])
        reached = np.zeros(len(people), dtype=bool)
        reached[people] = hosts["runs_offer"].to_numpy()[assigned]
        share = district_share(layers.located, weight, reached, len(district_ids))
        how = "nach Einzugsgebiet, sonst nächste" if (area_host >= 0).any() else "nächste"
        description = f"zugeordnete {host.short} ({how}; {counted})"
        reason = f"gehören zu einer {host.short} ohne {me.short}"
    if len(births):
        from_table, unmatched = _births_share(births, hosts, district_ids)
        base = share if share is not None else radius_share
        missing = int((~np.isfinite(from_table)).sum())
        share = np.where(np.isfinite(from_table), from_table, base)
        if unmatched:
            notes.append(f"Klinik-Nummern der Geburtentabelle ohne passende Klinik (gezählt als ohne {me.short}): "
                         f"{_names(unmatched)}")
        if missing:
            rest = f"nächste {host.short}" if n_host_points else "Luftlinie"
            districts = "Sozialraum" if missing == 1 else "Sozialräume"
            notes.append(f"{format_number(missing)} {districts} ohne Geburten in der Geburtentabelle: {rest}")
        description = f"Geburten je Klinik laut Geburtentabelle ({counted})"
        reason = f"kommen in einer Klinik ohne {me.short} zur Welt"
    if share is None:
        return None, "", f"keine {host.plural} erfasst – Reichweite als Luftlinie gemessen", ""
    return share, description, "; ".join(notes), reason


def _in_area(offer_type: str, layers: Layers, weight: np.ndarray):
    """The ``gebiet`` model → (share per district or ``None`` to fall back, description, note, reason)."""
    me = catalog.type_labels(layers.offer_types, offer_type)
    if not len(areas_of(layers, offer_type)):
        return None, "", f"keine Zuständigkeitsgebiete der {me.plural} hochgeladen – Reichweite als Luftlinie " \
                         "gemessen", ""
    areas, unknown = type_areas(layers, offer_type)
    note = f"Gebiete ohne passendes Angebot (nicht gezählt): {_names(unknown)}" if len(unknown) else ""
    inside = area_of_points(layers.residents.geometry.to_numpy(), areas) >= 0
    share = district_share(layers.located, weight, inside, len(layers.districts))
    return (share, f"Wohnort in einem Zuständigkeitsgebiet der {me.plural} ({format_number(len(areas))} "
            f"{'Fläche' if len(areas) == 1 else 'Flächen'})",
            note, f"wohnen außerhalb der Zuständigkeitsgebiete der {me.plural}")


def measure(
    offer_type: str, layers: Layers, *, weight: np.ndarray, radius_m: float, measured: str = "",
) -> tuple[pd.DataFrame, ReachModel]:
    """Reach of one offer type per district with its configured model.

    Parameters
    ----------
    weight
        People of the type's target group at each point of ``layers.residents``.
    radius_m
        The type's radius (the ``radius`` model, and the fallback of the others).
    measured
        Count column of whom reach is measured for; the births-per-clinic table applies to ``births`` only.

    Returns
    -------
    tuple
        The reach table of :func:`geo.analysis.access.reach_by_district` (``share_in_reach`` from the model in
        force; ``median_distance_m`` always the straight line to the nearest offer) and the :class:`ReachModel`.
    """
    residents = gpd.GeoDataFrame({"weight": weight}, geometry=layers.residents.geometry.to_numpy(),
                                 crs=layers.residents.crs)
    of_type = layers.offers[text_ids(layers.offers[settings.OFFER_TYPE]) == offer_type]
    table = access.reach_by_district(layers.districts, residents, of_type, radius_m=radius_m,
                                     weight_column="weight", located=layers.located,
                                     xy=layers.resident_xy)
    radius = ReachModel("radius", f"Luftlinie vom Wohnort, Radius {format_distance(radius_m)}")
    types = layers.offer_types
    configured = str(types.at[offer_type, "reach_model"]) if offer_type in types.index else "radius"
    if configured == "zuordnung":
        host_type = str(types.at[offer_type, "host_type"])
        share, description, note, reason = _assigned(
            offer_type, host_type, layers, weight, table["share_in_reach"].to_numpy(dtype=float), measured)
    elif configured == "gebiet":
        share, description, note, reason = _in_area(offer_type, layers, weight)
    else:
        return table, radius
    if share is None:
        return table, ReachModel("radius", radius.description, note=note)
    return table.assign(share_in_reach=share), ReachModel(configured, description, note=note, reason=reason)
