"""A 1,000,000-row Zensus 2022 grid CSV (generated over the demo city tiled 54 times) checked, stored and analysed.

Targets (issue 9): check and store < 20 s, analysis with it < 5 s. Peers computed in the same run: the straightforward
pandas read_csv + points_from_xy + to_crs + sjoin for the check, and the same analysis on the tiled demo's own
residential blocks for the analysis.
"""

from __future__ import annotations

import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import tiled  # noqa: E402
from geo import settings  # noqa: E402
from geo.analysis import analyse  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.ingest import check_upload, commit_upload  # noqa: E402
from geo.store import Workspace  # noqa: E402

ROWS = 1_000_000
COPIES = 54  # the demo city has ~18,600 cells of 100 m: 54 copies hold a little more than a million
CHECK_TARGET_S, ANALYSIS_TARGET_S = 20.0, 5.0


def zensus_csv(districts: gpd.GeoDataFrame, rows: int = ROWS, seed: int = 9) -> bytes:
    """``rows`` cells of the Zensus population grid as published (``;``, CRLF, cp1252, ``–`` for every 50th value).

    97 % of the cells lie in the districts, 3 % just outside (a Kreis extract around the city).
    """
    rng = np.random.default_rng(seed)
    laea = districts.to_crs("EPSG:3035")
    minx, miny, maxx, maxy = (np.floor(laea.total_bounds / 100) * 100).astype(np.int64)
    east, north = np.meshgrid(np.arange(minx, maxx, 100), np.arange(miny, maxy, 100))
    east, north = east.ravel(), north.ravel()
    centres = gpd.GeoDataFrame(geometry=gpd.points_from_xy(east + 50, north + 50), crs="EPSG:3035")
    inside = np.zeros(len(centres), dtype=bool)
    inside[gpd.sjoin(centres, laea[["geometry"]], predicate="intersects").index.unique()] = True
    n_in = int(rows * 0.97)
    pick = np.sort(np.concatenate([rng.choice(np.flatnonzero(inside), n_in, replace=False),
                                   rng.choice(np.flatnonzero(~inside), rows - n_in, replace=False)]))
    east, north = east[pick], north[pick]
    people = rng.integers(1, 80, rows).astype(str).astype(object)
    people[::50] = "–"
    ids = "CRS3035RES100mN" + pd.Series(north).astype(str) + "E" + pd.Series(east).astype(str)
    table = pd.DataFrame({"GITTER_ID_100m": ids, "x_mp_100m": east + 50, "y_mp_100m": north + 50,
                          "Einwohner": people})
    return table.to_csv(sep=";", index=False, lineterminator="\r\n").encode("cp1252")


def peer_check(data: bytes, districts: gpd.GeoDataFrame) -> int:
    """The straightforward way: pandas read_csv, points_from_xy, to_crs, sjoin."""
    frame = pd.read_csv(pd.io.common.BytesIO(data), sep=";", encoding="cp1252", na_values=["–"])
    frame["Einwohner"] = frame["Einwohner"].fillna(0).astype(int)
    points = gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["x_mp_100m"], frame["y_mp_100m"]),
                              crs="EPSG:3035").to_crs(settings.METRIC_CRS)
    joined = gpd.sjoin(points, districts[[settings.DISTRICT_ID, "geometry"]], predicate="intersects")
    return len(joined)


def timed(func):
    start = time.perf_counter()
    result = func()
    return time.perf_counter() - start, result


def main() -> None:
    city = tiled(load_demo(), COPIES)
    districts = city.districts
    data = zensus_csv(districts)
    print(f"Zensus grid CSV: {ROWS:,} rows, {len(data) / 1024**2:.1f} MB, {len(districts):,} districts")

    check_s, check = timed(lambda: check_upload(data, "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv",
                                                 kind="residents", context=city))
    assert check.ok, check.report.errors[:3]
    with tempfile.TemporaryDirectory() as tmp:
        store_s, _ = timed(lambda: commit_upload(Workspace(tmp), check, filename="zensus.csv"))
        load_s, stored = timed(lambda: city.with_layers(residents=Workspace(tmp).load("residents")))
    peer_s, peer_rows = timed(lambda: peer_check(data, districts))
    assert peer_rows >= len(check.layer)  # the peer counts a point on a shared border twice
    total = check_s + store_s
    print(f"check (read, validate, clip, compare)  {check_s:6.2f} s   {len(check.layer):,} cells in the city")
    print(f"store (GeoParquet in the workspace)    {store_s:6.2f} s")
    print(f"check + store                          {total:6.2f} s   target < {CHECK_TARGET_S:.0f} s "
          f"{'✔' if total < CHECK_TARGET_S else '✘'}")
    print(f"peer: read_csv + points + to_crs + sjoin {peer_s:4.2f} s   check + store / peer = {total / peer_s:.2f}")
    print(f"load the workspace's data set          {load_s:6.2f} s")

    analysis_s, result = timed(lambda: analyse(stored))
    blocks_s, _ = timed(lambda: analyse(city))
    print(f"analysis with the grid                 {analysis_s:6.2f} s   {len(stored.residents):,} points, "
          f"{len(result.offer_types)} offer types, target < {ANALYSIS_TARGET_S:.0f} s "
          f"{'✔' if analysis_s < ANALYSIS_TARGET_S else '✘'}")
    print(f"peer: analysis with the blocks         {blocks_s:6.2f} s   {len(city.residents):,} points; "
          f"ratio {analysis_s / blocks_s:.2f} for {len(stored.residents) / len(city.residents):.1f}× the points")
    print(f"peak memory of the process: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MB")


if __name__ == "__main__":
    main()
