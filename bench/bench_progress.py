"""What showing progress costs: the analysis and the committee report with a listener against without (silent).

The issue asks that long work shows its steps; the steps must not slow the work. The peer is the same call
without a listener, timed in the same run (best of 3); the listener records every call as a page would.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import best_of, tiled  # noqa: E402
from geo.analysis import analyse  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.render.print.report import render_report  # noqa: E402

#: The listener may cost at most this share of the work.
MAX_OVERHEAD = 0.05


def _timed(label: str, run) -> float:
    """``run(progress)`` silent and with a listener (best of 3 each); prints both and returns the overhead."""
    calls: list[tuple[float, str]] = []
    plain, _ = best_of(3, lambda: run(None))
    shown, _ = best_of(3, lambda: run(lambda fraction, text: calls.append((fraction, text))))
    print(f"{label}: silent {plain:6.2f} s, with progress {shown:6.2f} s (ratio {shown / plain:.3f}, "
          f"{len(calls) // 3} steps per run)")
    return shown / plain - 1


def _call(func, *args, progress):
    return func(*args) if progress is None else func(*args, progress=progress)


def main() -> int:
    load = os.getloadavg()
    print(f"load average (1/5/15 min): {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f} (shared 2-core machine)")
    demo = load_demo()
    result = analyse(demo)
    overheads = [_timed(f"analyse, {len(demo.districts)} districts", lambda p: _call(analyse, demo, progress=p)),
                 _timed(f"render_report, {len(demo.districts)} districts",
                        lambda p: _call(render_report, demo, result, progress=p))]
    large = tiled(demo, 18)
    overheads.append(_timed(f"analyse, {len(large.districts)} districts", lambda p: _call(analyse, large, progress=p)))
    worst = max(overheads)
    met = worst <= MAX_OVERHEAD
    print(f"largest overhead {100 * worst:+.1f} % (target ≤ {100 * MAX_OVERHEAD:.0f} %, within timing noise): "
          f"{'met' if met else 'missed'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
