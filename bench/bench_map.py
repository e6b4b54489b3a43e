"""Web map payload (HTML size) and build time at 1×, 10× and 100× the demo (target: demo map < 1 MB).

The combined gap view (every offer type, badges) is timed against the single-type map built in the same run;
the change layers (Dynamik, Gesamtindex, change of an indicator) against the status map, at 1× and 10×.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import best_of, tiled  # noqa: E402
from geo.analysis import analyse  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.render.web import dynamics_map, leaflet  # noqa: E402
from geo.render.web.map_data import ALL_TYPES  # noqa: E402


def main() -> None:
    demo = load_demo()
    print(f"{'scale':>6} {'districts':>9} {'HTML MB':>8} {'build s':>8} {'raw GeoJSON MB':>15} "
          f"{'all types s':>11} {'ratio':>6}  target")
    for copies in (1, 10, 100):
        ds = tiled(demo, copies)
        result = analyse(ds)
        start = time.perf_counter()
        html = leaflet.need_map(result, ds, gap_type="fgz").get_root().render()
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        leaflet.need_map(result, ds, gap_type=ALL_TYPES).get_root().render()
        combined = time.perf_counter() - start
        raw = len(ds.districts.to_crs(4326).to_json()) / 1e6  # unsimplified, full precision, for comparison
        target = f"< 1 MB: {'ok' if len(html) < 1e6 else 'MISSED'}" if copies == 1 else ""
        print(f"{copies:>5}x {len(ds.districts):>9} {len(html) / 1e6:>8.2f} {seconds:>8.2f} {raw:>15.2f} "
              f"{combined:>11.2f} {combined / seconds:>6.2f}  {target}")


def change_layers() -> None:
    """Build + render time of each change layer against the status map of the same data, best of 3."""
    demo = load_demo()
    layers = (dynamics_map.DYNAMIC, dynamics_map.OVERALL, dynamics_map.CHANGE)
    print(f"{'scale':>6} {'status s':>9} " + " ".join(f"{k + ' s':>18} {'ratio':>6}" for k in layers))
    for copies in (1, 10):
        ds = tiled(demo, copies)
        result = analyse(ds)
        status, _ = best_of(3, lambda ds=ds, result=result: leaflet.need_map(result, ds).get_root().render())
        cells = []
        for key in layers:
            seconds, _ = best_of(3, lambda key=key, ds=ds, result=result: leaflet.need_map(
                result, ds, variable=key).get_root().render())
            cells.append(f"{seconds:>18.2f} {seconds / status:>6.2f}")
        print(f"{copies:>5}x {status:>9.2f} " + " ".join(cells))


if __name__ == "__main__":
    main()
    change_layers()
