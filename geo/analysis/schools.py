"""Primary schools and the Schulsozialindex: which Grundschulen run an FGZ, which burdened ones do not, per district.

The Grundschulen are the offers of type ``grundschule`` (the NRW school file imported on the Daten page, their
``offer_id`` the Schulnummer); an FGZ runs at a school as :func:`geo.analysis.hosts.host_facilities` decides.
The index comes from the ``sozialindex`` layer by Schulnummer. Per district the schools give a second need signal
beside the status index: how many Grundschulen, their highest and mean index, how many at or above the threshold.
"""

from __future__ import annotations

from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

from geo import crs, settings
from geo.analysis.access import district_positions
from geo.analysis.hosts import host_facilities
from geo.dataset import Dataset
from geo.school_ids import normalise_school_ids

#: Offer type of the primary schools and of the offer that runs at them.
SCHOOL_TYPE: Final[str] = "grundschule"
FGZ_TYPE: Final[str] = "fgz"
#: Columns of :func:`primary_schools` (besides the geometry).
SCHOOL_COLUMNS: Final[tuple[str, ...]] = (
    settings.SCHOOL_ID, settings.OFFER_NAME, settings.OFFER_ADDRESS, settings.DISTRICT_ID, settings.DISTRICT_NAME,
    settings.SOZIALINDEX, "has_fgz", "fgz_ids", "nearest_fgz_m",
)
#: Columns of :func:`district_signal`.
SIGNAL_COLUMNS: Final[tuple[str, ...]] = (
    settings.DISTRICT_ID, "schools", "schools_with_index", "sozialindex_max", "sozialindex_mean", "schools_high",
)


def primary_schools(dataset: Dataset, *, fgz_type: str = FGZ_TYPE, school_type: str = SCHOOL_TYPE
                    ) -> gpd.GeoDataFrame:
    """The Grundschulen of the data set with their Sozialindex, district and FGZ.

    Parameters
    ----------
    dataset
        Offers (metric CRS) with the schools as type ``school_type``, districts, and the ``sozialindex`` layer
        (``None``: every index is NaN).
    fgz_type, school_type
        The offer type that runs at schools and the type of the schools.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per school in the order of the offers layer, metric CRS: ``school_id`` (the offer id; a
        Schulnummer as 6 digits), ``name``, ``address``, ``district_id`` and ``district_name`` (NaN outside every
        district), ``sozialindex`` (float, NaN where the layer has none for the school), ``has_fgz`` (an FGZ runs
        there), ``fgz_ids`` (their ids, ``", "``-joined) and ``nearest_fgz_m`` (straight line to the nearest FGZ,
        0 where one runs there, NaN without any FGZ).
    """
    offers = crs.to_metric(dataset.offers, name="Angebote")
    kinds = offers[settings.OFFER_TYPE].astype(str)
    n = int((kinds == school_type).sum())
    hosts = host_facilities(offers, offer_type=fgz_type, host_type=school_type).iloc[:n]
    ids, _ = normalise_school_ids(hosts[settings.OFFER_ID].astype(str))
    school_ids = ids.fillna(hosts[settings.OFFER_ID].astype(str))
    index = pd.Series(np.nan, index=hosts.index, dtype=float)
    if dataset.sozialindex is not None and len(dataset.sozialindex):
        levels = dataset.sozialindex.drop_duplicates(settings.SCHOOL_ID).set_index(settings.SCHOOL_ID)
        index = school_ids.map(levels[settings.SOZIALINDEX].astype(float)).astype(float)
    districts = dataset.districts
    if districts is not None and len(districts) and n:
        districts = crs.to_metric(districts, name="Sozialräume").reset_index(drop=True)
        where = district_positions(hosts, districts)
        inside = where >= 0
        district_id = np.where(inside, districts[settings.DISTRICT_ID].astype(str).to_numpy()[where], None)
        district_name = np.where(inside, districts[settings.DISTRICT_NAME].astype(str).to_numpy()[where], None)
    else:
        district_id = district_name = np.full(n, None, dtype=object)
    fgz = offers[kinds == fgz_type]
    out = gpd.GeoDataFrame(
        {
            settings.SCHOOL_ID: school_ids.to_numpy(dtype=object),
            settings.OFFER_NAME: hosts[settings.OFFER_NAME].to_numpy(dtype=object),
            settings.OFFER_ADDRESS: hosts[settings.OFFER_ADDRESS].to_numpy(dtype=object),
            settings.DISTRICT_ID: pd.array(district_id, dtype=object),
            settings.DISTRICT_NAME: pd.array(district_name, dtype=object),
            settings.SOZIALINDEX: index.to_numpy(dtype=float),
            "has_fgz": hosts["runs_offer"].to_numpy(dtype=bool),
            "fgz_ids": hosts["offer_ids"].to_numpy(dtype=object),
            "nearest_fgz_m": _nearest_m(hosts.geometry, fgz.geometry, hosts["runs_offer"].to_numpy(dtype=bool)),
        },
        geometry=hosts.geometry.to_numpy(), crs=offers.crs,
    )
    return out


def _nearest_m(points: gpd.GeoSeries, targets: gpd.GeoSeries, at: np.ndarray) -> np.ndarray:
    """Straight-line distance from each point to the nearest target (0 where ``at``; NaN without targets)."""
    if not len(targets) or not len(points):
        return np.full(len(points), np.nan)
    distance, _ = cKDTree(shapely.get_coordinates(targets.to_numpy())).query(
        shapely.get_coordinates(points.to_numpy()), k=1)
    return np.where(at, 0.0, distance)


def high_index_without_fgz(schools: pd.DataFrame, threshold: int | None = None) -> pd.DataFrame:
    """The schools with a Sozialindex of at least ``threshold`` that run no FGZ: highest index first.

    ``threshold`` defaults to :data:`geo.settings.SOZIALINDEX_HIGH` (read at call time). Ties are ordered by
    district and Schulnummer, so the list never depends on the order of a file.
    """
    threshold = settings.SOZIALINDEX_HIGH if threshold is None else int(threshold)
    keep = (schools[settings.SOZIALINDEX] >= threshold) & ~schools["has_fgz"].astype(bool)
    out = schools[keep.to_numpy()]
    order = np.lexsort((out[settings.SCHOOL_ID].astype(str).to_numpy(),
                        out[settings.DISTRICT_ID].astype(str).to_numpy(), -out[settings.SOZIALINDEX].to_numpy()))
    return out.iloc[order]


def district_signal(schools: pd.DataFrame, districts: pd.DataFrame, threshold: int | None = None) -> pd.DataFrame:
    """Per district the schools' need signal: number of Grundschulen, highest and mean index, how many ≥ threshold.

    Parameters
    ----------
    schools
        :func:`primary_schools`.
    districts
        Any frame with ``district_id`` (e.g. :attr:`Result.districts`); the output follows its rows.
    threshold
        Index from which a school counts as highly burdened (default :data:`geo.settings.SOZIALINDEX_HIGH`).

    Returns
    -------
    pandas.DataFrame
        :data:`SIGNAL_COLUMNS`: ``schools`` (Grundschulen in the district), ``schools_with_index``,
        ``sozialindex_max`` and ``sozialindex_mean`` (of the schools with an index; NaN without any),
        ``schools_high`` (index at or above the threshold).
    """
    threshold = settings.SOZIALINDEX_HIGH if threshold is None else int(threshold)
    ids = pd.Index(districts[settings.DISTRICT_ID].astype(str))
    index = schools[settings.SOZIALINDEX].astype(float)
    grouped = pd.DataFrame({"d": schools[settings.DISTRICT_ID], "i": index, "high": index >= threshold}).groupby("d")
    out = pd.DataFrame({
        settings.DISTRICT_ID: ids,
        "schools": grouped.size().reindex(ids, fill_value=0).to_numpy(dtype=np.int64),
        "schools_with_index": grouped["i"].count().reindex(ids, fill_value=0).to_numpy(dtype=np.int64),
        "sozialindex_max": grouped["i"].max().reindex(ids).to_numpy(dtype=float),
        "sozialindex_mean": grouped["i"].mean().reindex(ids).to_numpy(dtype=float),
        "schools_high": grouped["high"].sum().reindex(ids, fill_value=0).to_numpy(dtype=np.int64),
    })
    return out
