"""Grid fallback on real municipalities (VG5000): the per-district grid against the old one, time and peak memory."""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

VG5000 = ROOT.parent / "shared" / "data" / "vg5000" / "VG5000_GEM.shp"
TARGET_S, TARGET_MB = 5.0, 1500.0
#: (label, implementation, scope, cell_m, max_points): "new" without a cell is the adaptive default.
CASES = [
    ("old, 100 m (one grid over the bounding box + sjoin)", "old", "nrw", 100.0, None),
    ("new, 100 m forced (max_points 10⁹)", "new", "nrw", 100.0, 10**9),
    ("new, adaptive (default settings)", "new", "nrw", None, None),
    ("new, adaptive (default settings)", "new", "de", None, None),
]


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def _municipalities(scope: str):
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from geo import crs, settings

    gem = gpd.read_file(VG5000, engine="pyogrio", columns=["AGS"])
    if scope == "nrw":
        gem = gem[gem["AGS"].str.startswith("05")]
    gem = crs.to_metric(gem.rename(columns={"AGS": settings.DISTRICT_ID}), name="VG5000")  # EPSG:31467 → 25832
    rng = np.random.default_rng(14)
    counts = pd.Series(rng.integers(0, 5_000, len(gem)).astype(float), index=gem[settings.DISTRICT_ID].to_numpy())
    return gem.reset_index(drop=True), counts


def _dataset(districts, counts):
    """The municipalities as a data set without residents: demo indicator rows drawn per municipality (children
    set to ``counts``), offers of the analysed types at the inner point of a seeded fifth of the municipalities."""
    import geopandas as gpd
    import numpy as np
    import pandas as pd

    from geo import settings
    from geo.demo import load_demo

    demo = load_demo()
    rng = np.random.default_rng(14)
    ids = districts[settings.DISTRICT_ID].to_numpy()
    latest = demo.indicators[demo.indicators[settings.YEAR] == max(demo.years)]
    indicators = latest.iloc[rng.integers(0, len(latest), len(ids))].assign(
        **{settings.DISTRICT_ID: ids, settings.CHILDREN: counts.to_numpy()}).reset_index(drop=True)
    offers = []
    for offer_type in demo.analysed_types:
        at = rng.choice(len(districts), len(districts) // 5, replace=False)
        offers.append(gpd.GeoDataFrame(
            {settings.OFFER_ID: [f"{offer_type}-{i}" for i in at], settings.OFFER_TYPE: offer_type,
             settings.OFFER_NAME: "Angebot", settings.OFFER_ADDRESS: "", settings.OFFER_CAPACITY: np.nan},
            geometry=districts.geometry.iloc[at].representative_point().to_numpy(), crs=districts.crs))
    named = districts.assign(**{settings.DISTRICT_NAME: ids, settings.AREA_ID: [i[:5] for i in ids],
                                settings.AREA_NAME: [i[:5] for i in ids]})
    return demo.with_layers(districts=named, indicators=indicators, residents=None,
                            offers=gpd.GeoDataFrame(pd.concat(offers, ignore_index=True), crs=districts.crs))


def _digest(grid) -> str:
    """The points as (id, x, y, count), sorted: equal digests mean the same grid."""
    import numpy as np
    import shapely

    from geo import settings

    xy = shapely.get_coordinates(grid.geometry.to_numpy())
    ids = grid[settings.DISTRICT_ID].astype(str).to_numpy()
    order = np.lexsort((xy[:, 1], xy[:, 0], ids))
    h = hashlib.sha256("\n".join(ids[order]).encode())
    h.update(np.ascontiguousarray(xy[order]).tobytes())
    h.update(grid[settings.CHILDREN].to_numpy(dtype=float)[order].tobytes())
    return h.hexdigest()[:16]


def child(impl: str, scope: str, cell_m: float | None, max_points: int | None) -> dict:
    """One case in this (fresh) process: load, then time the grid alone; peak RSS of the whole process."""
    import numpy as np
    import shapely

    from geo.analysis import access

    districts, counts = _municipalities(scope)
    if impl == "analyse":
        return _analyse(districts, counts)
    loaded_mb = _rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    if impl == "old":
        from tests.test_grid import old_grid_residents

        grid, cell = old_grid_residents(districts, counts, cell_m=cell_m), cell_m
    else:
        grid = access.grid_residents(districts, counts, cell_m=cell_m, max_points=max_points)
        cell = grid.attrs["cell_m"]
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    peak_mb = _rss_mb()
    got = grid.groupby("district_id")["children"].sum().reindex(counts.index)
    xy = shapely.get_coordinates(grid.geometry.to_numpy())
    off_lattice = ~np.all(np.isclose(np.mod(xy / cell - 0.5, 1.0), 0.0, atol=1e-6), axis=1)
    return {"seconds": seconds, "cpu_s": cpu, "peak_mb": peak_mb, "loaded_mb": loaded_mb, "cell_m": cell,
            "points": len(grid),
            "districts": len(districts), "with_points": int(grid["district_id"].nunique()),
            "representative": int(off_lattice.sum()),
            "max_total_error": float((got - counts).abs().max()), "digest": _digest(grid)}


def _analyse(districts, counts) -> dict:
    """The whole analysis on the municipalities without a residents layer (the new grid, adaptive)."""
    from geo.analysis import analyse

    dataset = _dataset(districts, counts)
    loaded_mb = _rss_mb()
    start, cpu = time.perf_counter(), time.process_time()
    result = analyse(dataset)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    assert result.residents_on_grid
    return {"seconds": seconds, "cpu_s": cpu, "peak_mb": _rss_mb(), "loaded_mb": loaded_mb, "cell_m": result.grid_m,
            "districts": len(districts), "source": result.residents_source,
            "classified": int(result.districts["status_class"].notna().sum())}


def _run(impl: str, scope: str, cell_m: float | None, max_points: int | None) -> dict:
    args = [sys.executable, __file__, "--child", impl, scope]
    if cell_m is not None:
        args += ["--cell", str(cell_m)]
    if max_points is not None:
        args += ["--max-points", str(max_points)]
    out = subprocess.run(args, check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    if not VG5000.exists():
        print(f"skipped: {VG5000} is missing (the benchmark needs ../shared/data)")
        return
    print(f"load at start: {Path('/proc/loadavg').read_text().strip()}")
    results = []
    for label, impl, scope, cell_m, max_points in CASES:
        r = _run(impl, scope, cell_m, max_points)
        results.append(r)
        print(f"{scope.upper():3} {label:52} {r['seconds']:7.2f} s (CPU {r['cpu_s']:6.2f} s)  "
              f"peak {r['peak_mb']:7,.0f} MB "
              f"(after loading {r['loaded_mb']:5,.0f} MB)  cell {r['cell_m']:6,.0f} m  {r['points']:>10,} points  "
              f"{r['with_points']:,}/{r['districts']:,} municipalities with points "
              f"({r['representative']:,} at their representative point)  "
              f"max |Σ − count| {r['max_total_error']:.1e}  digest {r['digest']}", flush=True)
    old, forced, adaptive, germany = results
    assert forced["digest"] == old["digest"], "new at 100 m must make exactly the old grid"
    for r in results[1:]:
        assert r["with_points"] == r["districts"] and r["max_total_error"] < 1e-6
    print(f"NRW old ÷ new at 100 m: time {old['seconds'] / forced['seconds']:.1f}× "
          f"(CPU {old['cpu_s'] / forced['cpu_s']:.1f}×), "
          f"peak memory {old['peak_mb'] / forced['peak_mb']:.1f}× (same grid: digests equal)")
    print(f"NRW old ÷ new adaptive: time {old['seconds'] / adaptive['seconds']:.1f}× "
          f"(CPU {old['cpu_s'] / adaptive['cpu_s']:.1f}×), "
          f"peak memory {old['peak_mb'] / adaptive['peak_mb']:.1f}×")
    ok = adaptive["seconds"] < TARGET_S and adaptive["peak_mb"] < TARGET_MB
    print(f"NRW target < {TARGET_S:.0f} s and < {TARGET_MB:,.0f} MB (adaptive): {'met' if ok else 'MISSED'}")
    print(f"Germany ({germany['districts']:,} municipalities): {germany['seconds']:.2f} s, "
          f"peak {germany['peak_mb']:,.0f} MB, cell {germany['cell_m']:,.0f} m, {germany['points']:,} points")
    for scope in ("nrw", "de"):  # the whole analysis without residents: grid, positions, reach of three types
        r = _run("analyse", scope, None, None)
        print(f"{scope.upper():3} analyse without residents: {r['seconds']:.2f} s (CPU {r['cpu_s']:.2f} s), "
              f"peak {r['peak_mb']:,.0f} MB "
              f"(after loading {r['loaded_mb']:,.0f} MB), {r['classified']:,}/{r['districts']:,} classified; "
              f"„{r['source']}“", flush=True)
    print(f"load at end: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", nargs=2, metavar=("IMPL", "SCOPE"))
    parser.add_argument("--cell", type=float)
    parser.add_argument("--max-points", type=int)
    ns = parser.parse_args()
    if ns.child:
        print(json.dumps(child(*ns.child, ns.cell, ns.max_points)))
    else:
        main()
