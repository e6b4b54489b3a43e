"""Export timings on the demo city: one A4 PDF map (target < 3 s) and the whole committee report (target < 15 s).

Run: ``.venv/bin/python bench/bench_export.py`` (prints seconds; never part of the test run's pass/fail).
"""

from __future__ import annotations

import sys
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from geo.analysis import analyse  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.export import ExportOptions, export  # noqa: E402
from geo.render.print.ranking import RANKINGS  # noqa: E402

MAP_TARGET_S = 3.0
REPORT_TARGET_S = 15.0
DAY = date(2025, 3, 1)


def timed(label: str, func, target: float | None = None, repeat: int = 3) -> float:
    best = float("inf")
    size = 0
    for _ in range(repeat):
        start = time.perf_counter()
        size = len(func())
        best = min(best, time.perf_counter() - start)
    verdict = "" if target is None else (" ok" if best < target else f" ZU LANGSAM (Ziel < {target:g} s)")
    print(f"{label:<52} {best:6.2f} s  {size / 1024:8.0f} KiB{verdict}")
    return best


def main() -> None:
    dataset = load_demo()
    result = analyse(dataset)
    export("status", "pdf", dataset, result, ExportOptions(export_date=DAY))  # warm font and import caches
    a4 = ExportOptions(export_date=DAY)
    peer = timed("Karte Statusklassen, A4 quer, PDF", lambda: export("status", "pdf", dataset, result, a4),
                 MAP_TARGET_S)
    timed("Karte Bedarf × Erreichbarkeit FGZ, A4, PDF",
          lambda: export("bivariate", "pdf", dataset, result, ExportOptions(offer_type="fgz", export_date=DAY)),
          MAP_TARGET_S)
    timed("Karte Angebote (alle), A4, PNG 300 dpi",
          lambda: export("offers", "png", dataset, result, ExportOptions(dpi=300, export_date=DAY)), None)
    timed("Karte Lücken (alle), A3 hoch, PDF",
          lambda: export("gaps", "pdf", dataset, result,
                         ExportOptions(paper="A3", orientation="portrait", export_date=DAY)), None)
    for ranking in RANKINGS:  # the cover's gap map is one map more than the status map page
        options = replace(a4, ranking=ranking)
        seconds = timed(f"Bericht Jugendhilfeausschuss, Rangliste {ranking}",
                        lambda options=options: export("report", "pdf", dataset, result, options), REPORT_TARGET_S)
        print(f"{'':<52} {seconds / peer:6.1f} × Statuskarte")
    timed("Tabelle XLSX", lambda: export("table", "xlsx", dataset, result, a4), None)
    timed("GeoPackage", lambda: export("layer", "gpkg", dataset, result, a4), None)


if __name__ == "__main__":
    main()
