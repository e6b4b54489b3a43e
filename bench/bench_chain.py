"""The assigned-facility reach model (FGZ at Grundschulen) at state scale: target < 3 s.

A synthetic state: the demo city tiled 175 times (≈ 10,000 districts), 2,800 Grundschulen of which every third runs
an FGZ (under its Schulnummer), 1,000,000 resident points with children 6–9. Timed: the model as the analysis runs it
(:func:`geo.analysis.hosts.host_facilities`, each point's district position, nearest school by cKDTree, shares per
district by ``np.bincount``). Peer in the same run: the straightforward geopandas way (``sjoin_nearest`` points →
schools, ``sjoin`` points → districts, ``groupby``); the shares must be identical.
"""

from __future__ import annotations

import resource
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import best_of, tiled  # noqa: E402
from geo import settings  # noqa: E402
from geo.analysis.access import district_positions  # noqa: E402
from geo.analysis.hosts import host_facilities  # noqa: E402
from geo.analysis.reach_models import assign_hosts, district_share  # noqa: E402
from geo.demo import load_demo  # noqa: E402

COPIES, SCHOOLS, POINTS = 175, 2_800, 1_000_000
TARGET_S = 3.0


def _random_points(districts: gpd.GeoDataFrame, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points, each uniform in the bounding box of a random district (most fall inside it)."""
    bounds = districts.geometry.bounds.to_numpy()[rng.integers(0, len(districts), n)]
    x = bounds[:, 0] + rng.random(n) * (bounds[:, 2] - bounds[:, 0])
    y = bounds[:, 1] + rng.random(n) * (bounds[:, 3] - bounds[:, 1])
    return np.column_stack([x, y])


def state(seed: int = 11):
    """Districts, offers (Grundschulen and FGZ) and resident points with children 6–9 of the synthetic state."""
    rng = np.random.default_rng(seed)
    districts = tiled(load_demo(), COPIES).districts[[settings.DISTRICT_ID, "geometry"]].reset_index(drop=True)
    school_xy = _random_points(districts, SCHOOLS, rng)
    ids = np.array([f"{100_000 + i}" for i in range(SCHOOLS)], dtype=object)
    fgz = np.arange(SCHOOLS) % 3 == 0
    offers = gpd.GeoDataFrame(
        {settings.OFFER_ID: np.concatenate([ids, ids[fgz]]),
         settings.OFFER_TYPE: ["grundschule"] * SCHOOLS + ["fgz"] * int(fgz.sum()),
         settings.OFFER_NAME: "Schule", settings.OFFER_ADDRESS: ""},
        geometry=gpd.points_from_xy(*np.vstack([school_xy, school_xy[fgz]]).T), crs=settings.METRIC_CRS,
    )
    points_xy = _random_points(districts, POINTS, rng)
    residents = gpd.GeoDataFrame({"age_6_10": rng.integers(0, 6, POINTS).astype(float)},
                                 geometry=gpd.points_from_xy(*points_xy.T), crs=settings.METRIC_CRS)
    return districts, offers, residents


def model(districts, offers, residents) -> np.ndarray:
    """Share of children 6–9 whose nearest Grundschule runs an FGZ, per district (the analysis' model)."""
    located = district_positions(residents, districts)
    hosts = host_facilities(offers, offer_type="fgz", host_type="grundschule")
    assigned = assign_hosts(residents.geometry.to_numpy(), shapely.get_coordinates(hosts.geometry.to_numpy()))
    return district_share(located, residents["age_6_10"].to_numpy(), hosts["runs_offer"].to_numpy()[assigned],
                          len(districts))


def peer(districts, offers, residents) -> np.ndarray:
    """The straightforward geopandas way: ``sjoin_nearest`` to the schools, ``sjoin`` to the districts, ``groupby``."""
    schools = offers[offers[settings.OFFER_TYPE] == "grundschule"][[settings.OFFER_ID, "geometry"]]
    with_fgz = set(offers.loc[offers[settings.OFFER_TYPE] == "fgz", settings.OFFER_ID])
    schools = schools.assign(runs=schools[settings.OFFER_ID].isin(with_fgz))
    near = gpd.sjoin_nearest(residents, schools, how="left")
    near = near[~near.index.duplicated(keep="first")]  # equidistant schools: one each
    joined = gpd.sjoin(near.drop(columns=["index_right"]), districts, predicate="intersects", how="inner")
    joined = joined.sort_values(settings.DISTRICT_ID, kind="stable")
    joined = joined[~joined.index.duplicated(keep="first")]  # on a shared border: the first id, as the model does
    joined["reached"] = joined["age_6_10"].where(joined["runs"], 0.0)
    sums = joined.groupby(settings.DISTRICT_ID)[["age_6_10", "reached"]].sum()
    share = (sums["reached"] / sums["age_6_10"]).where(sums["age_6_10"] > 0)
    return share.reindex(districts[settings.DISTRICT_ID]).to_numpy(dtype=float)


def main() -> None:
    start = time.perf_counter()
    districts, offers, residents = state()
    print(f"synthetic state: {len(districts)} districts, {SCHOOLS} Grundschulen "
          f"({int((offers[settings.OFFER_TYPE] == 'fgz').sum())} with FGZ), {len(residents)} resident points "
          f"(built in {time.perf_counter() - start:.1f} s)")
    located = district_positions(residents, districts)
    seconds, share = best_of(3, lambda: model(districts, offers, residents))
    located_s, _ = best_of(3, lambda: district_positions(residents, districts))
    peer_s, expected = best_of(1, lambda: peer(districts, offers, residents))
    both = np.isfinite(share) & np.isfinite(expected)
    assert np.array_equal(np.isfinite(share), np.isfinite(expected)), "districts with people differ"
    assert np.allclose(share[both], expected[both], rtol=0, atol=1e-12), "shares differ from the peer"
    verdict = "ok" if seconds < TARGET_S else "MISSED"
    print(f"assigned-facility model: {seconds:.2f} s (of it district positions {located_s:.2f} s); "
          f"peer sjoin_nearest + sjoin + groupby: {peer_s:.2f} s; ratio {peer_s / seconds:.1f}× faster; "
          f"target < {TARGET_S:.0f} s: {verdict}")
    print(f"identical shares in {int(both.sum())} districts with people; "
          f"{int((located >= 0).sum())} of {len(residents)} points inside a district")
    print(f"peak memory (RSS): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
