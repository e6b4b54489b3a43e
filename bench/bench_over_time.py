"""Change over time: the boundary check and the whole comparison, each against a peer measured in the same run.

* ``between_years`` (two analyses + the comparison) at 1×, 10× and 100× the demo, against one ``analyse`` of the
  same data: the ratio should stay near 2 (the boundary check and ``compare`` add little).
* ``layer_boundaries`` on real polygons (VG5000 municipalities from ``../shared/data``: Kreis Unna, NRW, all of
  Germany, stored again in another CRS with the AGS lacking its zero), against the reprojection of that layer.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import geopandas as gpd  # noqa: E402

from bench.scale import best_of, tiled  # noqa: E402
from geo import crs, settings  # noqa: E402
from geo.analysis import Params, analyse  # noqa: E402
from geo.analysis.over_time import between_years, layer_boundaries  # noqa: E402
from geo.demo import load_demo  # noqa: E402

VG5000 = Path(__file__).resolve().parents[2] / "shared" / "data" / "vg5000" / "VG5000_GEM.shp"


def years() -> None:
    demo = load_demo()
    print(f"{'scale':>6} {'districts':>9} {'analyse':>8} {'between_years':>13} {'ratio':>6}")
    for copies in (1, 10, 100):
        ds = tiled(demo, copies)
        runs = 3 if copies < 100 else 1
        one, _ = best_of(runs, lambda ds=ds: analyse(ds, Params(year=2024)))
        both, _ = best_of(runs, lambda ds=ds: between_years(ds, 2023, 2024))
        print(f"{copies:>5}x {len(ds.districts):>9} {one:>8.3f} {both:>13.3f} {both / one:>6.2f}")


def boundaries() -> None:
    if not VG5000.is_file():
        print(f"(no real boundaries: {VG5000} is missing)")
        return
    gem = gpd.read_file(VG5000, engine="pyogrio")[["AGS", "GEN", "geometry"]].dissolve("AGS", as_index=False)
    gem = gem.rename(columns={"AGS": settings.DISTRICT_ID, "GEN": settings.DISTRICT_NAME})
    print(f"{'area':<12} {'districts':>9} {'vertices':>9} {'reproject':>9} {'check':>7} {'ratio':>6}")
    for name, prefix in (("Kreis Unna", "05978"), ("NRW", "05"), ("Deutschland", "")):
        part = gem[gem[settings.DISTRICT_ID].str.startswith(prefix)].reset_index(drop=True)
        again = part.to_crs(settings.METRIC_CRS)
        again[settings.DISTRICT_ID] = again[settings.DISTRICT_ID].str.lstrip("0")
        runs = 3 if len(part) < 1000 else 1
        peer, _ = best_of(runs, lambda part=part: crs.to_metric(part))
        seconds, _ = best_of(runs, lambda part=part, again=again: layer_boundaries(part, again))
        change = layer_boundaries(part, again)
        assert not change.changed and len(change.pairs) == len(part), "the same boundaries must pass"
        vertices = int(part.geometry.count_coordinates().sum())
        print(f"{name:<12} {len(part):>9} {vertices:>9} {peer:>9.3f} {seconds:>7.3f} {seconds / peer:>6.1f}")


if __name__ == "__main__":
    years()
    boundaries()
