"""Print products at scale: the status map (A4 PDF) at 57, ~1,000 and ~6,000 districts, the committee report at 57
and ~1,000, each against the old label placement (the peer, ``tests/label_reference.py``) in the same run.

Targets (issue 14): status map A4 at ~6,000 districts < 5 s; committee report at ~1,000 districts < 20 s. The new
and the old path must give byte-identical PDFs (same labels at the same places, nothing else differs): asserted.

Run: ``.venv/bin/python bench/bench_print_scale.py [--quick] [--out DIR]`` (``--quick``: no ~6,000 peer run, which
alone takes about a minute; ``--out``: write the PDFs there, e.g. to look at them with ``pdftoppm -r 50 -png``).
Prints seconds, ratios and the load average; never part of the test run's pass/fail.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench.scale import tiled  # noqa: E402
from geo import settings  # noqa: E402
from geo.analysis import analyse  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.export import ExportOptions, export  # noqa: E402
from geo.render.print import drawing  # noqa: E402
from tests.label_reference import reference_place_labels  # noqa: E402

MAP_TARGET_S = 5.0  # at ~6,000 districts
REPORT_TARGET_S = 20.0  # at ~1,000 districts
DAY = date(2025, 3, 1)
OPTIONS = ExportOptions(export_date=DAY)


def unique_names(dataset, copies: int):
    """The tiled city with a name of its own per district (copy number appended), as a real state has.

    Repeated names would let the label measurement cache flatter the new path.
    """
    if copies == 1:
        return dataset
    d = dataset.districts.copy()
    copy_no = d[settings.DISTRICT_ID].str.slice(0, 3).astype(int)
    d[settings.DISTRICT_NAME] = d[settings.DISTRICT_NAME].astype(str) + " " + (copy_no + 1).astype(str)
    return dataset.with_layers(districts=d)


def timed(func, repeat: int) -> tuple[float, bytes]:
    best, data = math.inf, b""
    for _ in range(repeat):
        start = time.perf_counter()
        data = func()
        best = min(best, time.perf_counter() - start)
    return best, data


def old_path(func):
    """``func()`` with the old label placement swapped in (everything else is the same code)."""
    new = drawing.place_labels
    drawing.place_labels = reference_place_labels
    try:
        return func()
    finally:
        drawing.place_labels = new


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f}/{five:.2f}/{fifteen:.2f} ({os.cpu_count()} cores)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the old path at ~6,000 districts")
    parser.add_argument("--out", type=Path, help="folder to write the PDFs to")
    args = parser.parse_args()
    demo = load_demo()
    export("status", "pdf", demo, analyse(demo), OPTIONS)  # warm imports and font caches
    cases = [("status", 1, 3), ("status", 18, 2), ("status", 105, 1), ("report", 1, 2), ("report", 18, 1)]
    print(f"{'product':<10} {'districts':>9} {'new s':>7} {'old s':>7} {'old/new':>8}  same PDF  target     {load()}")
    curve: dict[str, list[tuple[int, float]]] = {"status": [], "report": []}
    results = {}
    for kind, copies, repeat in cases:
        if copies not in results:
            dataset = unique_names(tiled(demo, copies), copies)
            results[copies] = (dataset, analyse(dataset))
        dataset, result = results[copies]
        n = len(result.districts)
        def run(kind=kind, dataset=dataset, result=result) -> bytes:
            return export(kind, "pdf", dataset, result, OPTIONS)

        new_s, new_pdf = timed(run, repeat)
        if args.quick and copies > 18:
            old_s, same = math.nan, "-"
        else:
            old_s, old_pdf = old_path(lambda run=run: timed(run, 1))
            same = "yes" if old_pdf == new_pdf else "NO"
        target = ""
        if (kind, copies) == ("status", 105):
            target = "met" if new_s < MAP_TARGET_S else f"MISSED (< {MAP_TARGET_S:g} s)"
        if (kind, copies) == ("report", 18):
            target = "met" if new_s < REPORT_TARGET_S else f"MISSED (< {REPORT_TARGET_S:g} s)"
        print(f"{kind:<10} {n:>9} {new_s:>7.2f} {old_s:>7.2f} {old_s / new_s:>7.1f}×  {same:<8}  {target:<9}  "
              f"{load()}", flush=True)
        curve[kind].append((n, new_s))
        if args.out:
            args.out.mkdir(parents=True, exist_ok=True)
            (args.out / f"{kind}_{n}.pdf").write_bytes(new_pdf)
    for kind, points in curve.items():
        if len(points) >= 2:
            n, s = np.log([p[0] for p in points]), np.log([p[1] for p in points])
            print(f"cost curve {kind}: time ∝ districts^{np.polyfit(n, s, 1)[0]:.2f} "
                  f"({', '.join(f'{a}: {b:.2f} s' for a, b in points)})")


if __name__ == "__main__":
    main()
