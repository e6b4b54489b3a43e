"""State scale: the project's analysis against a geopandas baseline, pysal ``access`` and the compute floor.

The set is :func:`bench.scale.state` (9,975 districts, 1.06 M resident points, 5,600 offers of three types,
radius model), written to GeoParquet in a temp folder. Timed, best of ``--repeat`` (default 2), in one run:

(a) project: read the GeoParquet files → :func:`geo.analysis.analyse` → Result (what ``python -m geo analyse``
    does, minus the workspace store and printing the table);
(b) geopandas baseline as an analyst writes it: read, ``gpd.sjoin`` residents → districts, per offer type
    ``gpd.sjoin_nearest`` residents → offers, ``groupby`` for the shares in reach and the weighted medians;
(c) pysal ``access``: read, ``gpd.sjoin`` residents → districts, per type the resident → offer cost table within
    the radius (scipy kd-tree pairs; ``Access.create_euclidean_distance`` would be a 1 M × 1,750 cross join) and
    ``Access.weighted_catchment`` (offers within the radius per resident point), then the share of each
    district's people whose catchment holds an offer;
(d) floor: read the files, one point-in-polygon pass, the kd-tree queries, the sorts by (district, distance),
    each done the fastest way found (bounding-box candidates with an exact test on coordinates; a float argsort
    followed by a radix sort of the district codes).

Asserts that (a), (b), (c) give identical shares in reach and (a), (b) identical medians per district and type.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from scipy.spatial import cKDTree

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import LAYER_FILES, best_of, read_parquet, state, write_parquet  # noqa: E402
from geo import settings  # noqa: E402
from geo.analysis import analyse  # noqa: E402
from geo.analysis.gaps import column  # noqa: E402
from geo.demo import load_demo  # noqa: E402

ID = settings.DISTRICT_ID
#: Offer type → column of the residents layer its target group is counted in (the demo's targets).
WEIGHTS = {"familienbuero": "age_0_3", "fgz": "age_6_10", "lotsendienst": "births"}


def _load(folder: Path) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame, gpd.GeoDataFrame]:
    read = {name: gpd.read_parquet(folder / LAYER_FILES[name]) for name in ("districts", "residents", "offers")}
    pd.read_parquet(folder / LAYER_FILES["indicators"], engine="pyarrow")
    return read["districts"], read["residents"], read["offers"]


def _located(residents: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Residents joined to the district they lie in; on a shared border the id that sorts first (as the project)."""
    joined = gpd.sjoin(residents, districts[[ID, "geometry"]].rename(columns={ID: "d_id"}), predicate="intersects")
    joined = joined.sort_values("d_id", kind="stable")
    return joined[~joined.index.duplicated(keep="first")].sort_index()


def _weighted_median(frame: pd.DataFrame, value: str, weight: str) -> pd.Series:
    frame = frame.sort_values(["d_id", value], kind="stable")
    cumulative = frame.groupby("d_id")[weight].cumsum()
    total = frame.groupby("d_id")[weight].transform("sum")
    hit = frame[(cumulative >= total / 2) & (total > 0)]
    return hit.groupby("d_id")[value].first()


def baseline(folder: Path, radii: dict[str, float]) -> dict[str, pd.DataFrame]:
    """(b): shares in reach and weighted medians per district with sjoin, sjoin_nearest and groupby."""
    districts, residents, offers = _load(folder)
    people = _located(residents, districts)
    out = {}
    for offer_type, radius in radii.items():
        w = WEIGHTS[offer_type]
        near = gpd.sjoin_nearest(people[["d_id", w, "geometry"]], offers[offers["offer_type"] == offer_type],
                                 distance_col="distance")
        near = near[~near.index.duplicated(keep="first")]
        near["w_in"] = near[w].where(near["distance"] <= radius, 0)
        sums = near.groupby("d_id")[[w, "w_in"]].sum()
        share = (sums["w_in"] / sums[w]).where(sums[w] > 0)
        out[offer_type] = pd.DataFrame({"share": share, "median": _weighted_median(near, "distance", w)})
    return out


def with_access(folder: Path, radii: dict[str, float]) -> dict[str, pd.Series]:
    """(c): pysal ``access`` weighted catchments (offers within the radius of each resident point)."""
    from access import Access

    districts, residents, offers = _load(folder)
    people = _located(residents, districts)
    xy = shapely.get_coordinates(people.geometry.to_numpy())
    out = {}
    for offer_type, radius in radii.items():
        w = WEIGHTS[offer_type]
        of_type = offers[offers["offer_type"] == offer_type].reset_index(drop=True)
        pairs = cKDTree(xy).sparse_distance_matrix(
            cKDTree(shapely.get_coordinates(of_type.geometry.to_numpy())), radius, output_type="coo_matrix")
        cost = pd.DataFrame({"origin": people.index.to_numpy()[pairs.row], "dest": pairs.col, "cost": pairs.data})
        demand = pd.DataFrame({w: people[w].to_numpy(dtype=float)}, index=people.index)
        supply = pd.DataFrame({"offers": np.ones(len(of_type))})
        model = Access(demand_df=demand, demand_value=w, supply_df=supply, supply_value="offers",
                       cost_df=cost, cost_origin="origin", cost_dest="dest", cost_name="cost")
        # weighted_catchment keeps cost < max_cost; the project counts distance <= radius
        catchment = model.weighted_catchment(name="c", max_cost=np.nextafter(radius, np.inf))["c_offers"]
        reached = catchment.reindex(people.index).fillna(0).to_numpy() > 0
        frame = pd.DataFrame({"d_id": people["d_id"].to_numpy(), "w": demand[w].to_numpy(),
                              "w_in": np.where(reached, demand[w].to_numpy(), 0.0)})
        sums = frame.groupby("d_id")[["w", "w_in"]].sum()
        out[offer_type] = (sums["w_in"] / sums["w"]).where(sums["w"] > 0)
    return out


def floor(folder: Path, radii: dict[str, float]) -> dict[str, float]:
    """(d): seconds of each unavoidable step (read, one point-in-polygon pass, kd-tree queries, sorts)."""
    seconds = {}
    start = time.perf_counter()
    districts, residents, offers = _load(folder)
    seconds["read GeoParquet"] = time.perf_counter() - start
    start = time.perf_counter()
    xy = shapely.get_coordinates(residents.geometry.to_numpy())
    point, district = districts.sindex.query(residents.geometry.array)  # bounding boxes, then the exact test
    polygons = districts.geometry.to_numpy()
    shapely.prepare(polygons)
    hit = shapely.intersects_xy(polygons[district], xy[point, 0], xy[point, 1])
    code = np.full(len(residents), -1)
    code[point[hit]] = district[hit]
    seconds["point in polygon"] = time.perf_counter() - start
    start = time.perf_counter()
    distances = []
    for offer_type in radii:
        to = shapely.get_coordinates(offers.geometry.to_numpy()[offers["offer_type"].to_numpy() == offer_type])
        distances.append(cKDTree(to).query(xy, k=1, workers=-1)[0])
    seconds["kd-tree queries"] = time.perf_counter() - start
    start = time.perf_counter()
    inside = code >= 0
    for d in distances:  # by distance, then a radix sort of the district codes (as fast as sorting gets here)
        by_distance = np.argsort(d[inside])
        by_distance[np.argsort(code[inside][by_distance].astype(np.uint16), kind="stable")]
    seconds["sorting"] = time.perf_counter() - start
    return seconds


def _project(folder: Path, config):
    return analyse(read_parquet(folder, config))


def _check(result, peer: dict, shares: dict | None = None) -> float:
    """Largest difference of the shares (and medians) of ``result`` and the peers; asserts it is 0."""
    frame = result.districts.set_index(ID)
    worst = 0.0
    for offer_type, table in peer.items():
        ours = frame[column("share_in_reach", offer_type)]
        theirs = (table["share"] if isinstance(table, pd.DataFrame) else table).reindex(ours.index)
        assert np.array_equal(ours.to_numpy(), theirs.to_numpy(), equal_nan=True), offer_type
        if isinstance(table, pd.DataFrame):
            median = table["median"].reindex(ours.index).to_numpy()
            assert np.array_equal(frame[column("median_distance_m", offer_type)].to_numpy(), median,
                                  equal_nan=True), offer_type
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--copies", type=int, default=None, help="demo copies (default: the state set, 175)")
    args = parser.parse_args()
    start = time.perf_counter()
    config = state(load_demo(), **({"copies": args.copies} if args.copies else {}))
    radii = {t: float(config.offer_types.at[t, "radius_m"]) for t in config.analysed_types}
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_parquet(config, Path(tmp))
        print(f"set: {len(config.districts):,} districts, {len(config.residents):,} resident points, "
              f"{len(config.offers):,} offers; built and written in {time.perf_counter() - start:.1f} s")
        load = os.getloadavg()
        print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
        ours, result = best_of(args.repeat, lambda: _project(folder, config))
        base, base_out = best_of(args.repeat, lambda: baseline(folder, radii))
        acc, acc_out = best_of(args.repeat, lambda: with_access(folder, radii))
        floors = [floor(folder, radii) for _ in range(args.repeat)]
        parts = {k: min(f[k] for f in floors) for k in floors[0]}
        _check(result, base_out)
        _check(result, acc_out)
        print("identical: shares of project = geopandas = access, medians of project = geopandas (max diff 0.0)")
    floor_s = sum(parts.values())
    print(f"{'step':<32}{'seconds':>9}")
    for name, s in parts.items():
        print(f"  floor: {name:<24}{s:>9.3f}")
    print(f"{'floor (sum)':<32}{floor_s:>9.3f}")
    print(f"{'(a) project analyse':<32}{ours:>9.3f}")
    print(f"{'(b) geopandas baseline':<32}{base:>9.3f}")
    print(f"{'(c) pysal access':<32}{acc:>9.3f}")
    verdict = {True: "met", False: "MISSED"}
    print(f"baseline / project = {base / ours:5.2f}  (target >= 3: {verdict[base / ours >= 3]})")
    print(f"access / project   = {acc / ours:5.2f}  (target >= 2: {verdict[acc / ours >= 2]})")
    print(f"project / floor    = {ours / floor_s:5.2f}  (target <= 1.5: {verdict[ours / floor_s <= 1.5]})")
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
