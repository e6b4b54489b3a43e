"""Host facilities: the Grundschulen (Geburtskliniken) an offer type runs at, and which of them run it.

An FGZ is a Familiengrundschulzentrum *at a primary school*, a Lotsendienst works *in a birth clinic*. The
host layer is the offers of the host type (``grundschule``, ``geburtsklinik``; e.g. the NRW school file imported
as type ``grundschule``). An offer runs at the host with its id (an FGZ listed under the Schulnummer), else at
the nearest host within :data:`geo.settings.HOST_MATCH_M`; an offer with no host there is a host of its own (an
FGZ at a school the school list lacks, a clinic listed only as Lotsendienst).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo import crs, settings

HOST_COLUMNS = [settings.OFFER_ID, settings.OFFER_NAME, settings.OFFER_ADDRESS, "runs_offer", "offer_ids"]


def _text(table: pd.DataFrame, name: str) -> np.ndarray:
    """Column ``name`` as text, "" where missing (and all "" where the layer lacks the column)."""
    if name not in table.columns:
        return np.full(len(table), "", dtype=object)
    return table[name].fillna("").astype("str").to_numpy()


def match_hosts(host_xy: np.ndarray, xy: np.ndarray, *, match_m: float | None = None) -> np.ndarray:
    """Row of ``host_xy`` each point of ``xy`` runs at: the nearest host within ``match_m``, else -1.

    ``match_m`` defaults to :data:`geo.settings.HOST_MATCH_M` (read at call time).
    """
    match_m = settings.HOST_MATCH_M if match_m is None else float(match_m)
    if not len(host_xy) or not len(xy):
        return np.full(len(xy), -1, dtype=np.int64)
    distance, nearest = cKDTree(host_xy).query(xy, k=1)
    return np.where(distance <= match_m, nearest, -1).astype(np.int64)


def host_facilities(
    offers: gpd.GeoDataFrame, *, offer_type: str, host_type: str, match_m: float | None = None,
) -> gpd.GeoDataFrame:
    """The host facilities of ``offer_type`` and whether each runs it.

    Parameters
    ----------
    offers
        The offers layer (metric CRS) with the offers of both types.
    offer_type, host_type
        E.g. ``"fgz"`` and ``"grundschule"``.
    match_m
        Distance within which an offer belongs to a host (default :data:`geo.settings.HOST_MATCH_M` at call
        time).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per host in the order of the host layer, then the offers that became hosts of their own:
        ``offer_id``, ``name``, ``address`` of the host, ``runs_offer`` (bool) and ``offer_ids`` (the ids of
        the offers it runs, ``", "``-joined, "" for none); point geometry.
    """
    match_m = settings.HOST_MATCH_M if match_m is None else float(match_m)
    crs.require_metric(("Angebote", offers))
    kind = offers[settings.OFFER_TYPE].astype("str")
    hosts = offers[kind == host_type].reset_index(drop=True)
    runs = offers[kind == offer_type].reset_index(drop=True)
    host_ids = hosts[settings.OFFER_ID].astype("str").to_numpy()
    run_ids = runs[settings.OFFER_ID].astype("str").to_numpy()
    position = {i: p for p, i in enumerate(host_ids)}
    at = np.array([position.get(i, -1) for i in run_ids], dtype=np.int64)
    by_distance = at < 0
    if by_distance.any():
        at[by_distance] = match_hosts(shapely.get_coordinates(hosts.geometry.to_numpy()),
                                      shapely.get_coordinates(runs.geometry.to_numpy()[by_distance]), match_m=match_m)
    own = runs[at < 0]
    table = pd.concat([hosts, own], ignore_index=True)
    at[at < 0] = len(hosts) + np.arange(len(own))
    ids = [[] for _ in range(len(table))]
    for offer_id, p in zip(run_ids, at, strict=True):
        ids[p].append(offer_id)
    out = gpd.GeoDataFrame(
        {
            settings.OFFER_ID: table[settings.OFFER_ID].astype("str").to_numpy(),
            settings.OFFER_NAME: _text(table, settings.OFFER_NAME),
            settings.OFFER_ADDRESS: _text(table, settings.OFFER_ADDRESS),  # an offers layer may have no addresses
            "runs_offer": np.array([bool(i) for i in ids], dtype=bool),
            "offer_ids": [", ".join(i) for i in ids],
        },
        geometry=table.geometry.to_numpy(), crs=offers.crs,
    )
    return out
