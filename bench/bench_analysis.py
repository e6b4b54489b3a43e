"""Analysis time at 1×, 10× and 100× the demo city (targets: 1× < 0.5 s, 100× < 5 s on 2 cores)."""

from __future__ import annotations

import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import best_of, tiled  # noqa: E402
from geo.analysis import analyse  # noqa: E402
from geo.demo import load_demo  # noqa: E402

TARGETS = {1: 0.5, 100: 5.0}


def main() -> None:
    demo = load_demo()
    base = None
    print(f"{'scale':>6} {'districts':>9} {'residents':>9} {'offers':>6} {'seconds':>8} {'vs 1x':>6} target")
    for copies in (1, 10, 100):
        ds = tiled(demo, copies)
        seconds, _ = best_of(3 if copies < 100 else 2, lambda ds=ds: analyse(ds))
        base = base or seconds
        target = TARGETS.get(copies)
        verdict = "" if target is None else f"< {target} s: {'ok' if seconds < target else 'MISSED'}"
        print(f"{copies:>5}x {len(ds.districts):>9} {len(ds.residents):>9} {len(ds.offers):>6} "
              f"{seconds:>8.3f} {seconds / base:>6.1f} {verdict}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS): {peak_mb:.0f} MB")


if __name__ == "__main__":
    main()
