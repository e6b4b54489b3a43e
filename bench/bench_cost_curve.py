"""Cost curve of the analysis: time and memory at 1×, 10×, 100×, 200× the demo city and at state scale.

Each scale runs in two fresh processes: one builds the data set and writes it to GeoParquet, the other reads the
files and runs :func:`geo.analysis.analyse` (best of 2; the read is timed too, as ``python -m geo analyse`` pays
it). Memory is that process's peak RSS (``ru_maxrss``) and the part of it above the RSS after the imports. The
fitted exponent is the least-squares slope of log(time) over log(districts) and over log(resident points).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

#: Scales: copies of the demo city, and ``state`` (:func:`bench.scale.state`, residents densified).
SCALES = ("1", "10", "100", "200", "state")


def _rss_mb() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def build(scale: str, folder: Path) -> dict:
    """Child 1: the data set of ``scale`` written to ``folder``; its size."""
    from bench.scale import state, tiled, write_parquet
    from geo.demo import load_demo

    demo = load_demo()
    dataset = state(demo) if scale == "state" else tiled(demo, int(scale))
    write_parquet(dataset, folder)
    return {"districts": len(dataset.districts), "residents": len(dataset.residents), "offers": len(dataset.offers)}


def measure(scale: str, folder: Path) -> dict:
    """Child 2: read the files and analyse, best of 2; peak RSS of this process."""
    from bench.scale import best_of, read_parquet, state
    from geo.analysis import analyse
    from geo.demo import load_demo

    demo = load_demo()
    # the config tables (offer types, definitions) of the set; the layers come from the files
    config = state(demo, copies=1) if scale == "state" else demo
    after_imports = _rss_mb()
    seconds, _ = best_of(2, lambda: analyse(read_parquet(folder, config)))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak, "above_imports_mb": peak - after_imports}


def _child(role: str, scale: str, folder: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", role, scale, str(folder)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _slope(x: list[float], y: list[float]) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", nargs=3, metavar=("ROLE", "SCALE", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        role, scale, folder = args.child
        print(json.dumps((build if role == "build" else measure)(scale, Path(folder))))
        return
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (2 cores)")
    print(f"{'scale':>6} {'districts':>9} {'residents':>10} {'offers':>7} {'seconds':>8} {'peak MB':>8} "
          f"{'above imports MB':>17}")
    rows = []
    for scale in SCALES:
        with tempfile.TemporaryDirectory() as tmp:
            start = time.perf_counter()
            size = _child("build", scale, Path(tmp))
            built = time.perf_counter() - start
            row = size | _child("measure", scale, Path(tmp))
        rows.append(row)
        label = scale if scale == "state" else f"{scale}x"
        print(f"{label:>6} {row['districts']:>9,} {row['residents']:>10,} {row['offers']:>7,} "
              f"{row['seconds']:>8.3f} {row['peak_mb']:>8.0f} {row['above_imports_mb']:>17.0f}"
              f"   (set built in {built:.1f} s)")
    seconds = [r["seconds"] for r in rows]
    print(f"fitted exponent, time over districts:      {_slope([r['districts'] for r in rows], seconds):.2f}")
    print(f"fitted exponent, time over resident points: {_slope([r['residents'] for r in rows], seconds):.2f}")
    memory = [r["above_imports_mb"] for r in rows]
    big = [r for r, m in zip(rows, memory, strict=True) if m > 1]
    if len(big) >= 2:
        print(f"fitted exponent, memory over resident points (scales above 1 MB): "
              f"{_slope([r['residents'] for r in big], [r['above_imports_mb'] for r in big]):.2f}")
    load = os.getloadavg()
    print(f"load average at end: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")


if __name__ == "__main__":
    main()
