"""Sozialraumsteckbrief timings on the demo city, each beside a peer measured in the same run.

- the sections of all 57 profiles (``geo.analysis.profile.profiles``) against the analysis itself;
- one profile PDF against one A4 print map (both one page with a map; the peer sets the machine's pace);
- the ZIP of all 57 profiles against 57 × one profile (the shared parts are computed once).

Run: ``.venv/bin/python bench/bench_profile.py`` (prints seconds and ratios; never part of the test run's pass/fail).
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import best_of  # noqa: E402
from geo.analysis import analyse  # noqa: E402
from geo.analysis.profile import profiles  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.export import ExportOptions, export  # noqa: E402
from geo.render.print.profile import profiles_zip, render_profile  # noqa: E402

DAY = date(2025, 3, 1)


def row(label: str, seconds: float, peer_label: str, peer: float) -> None:
    print(f"{label:<44} {seconds:7.2f} s   {peer_label:<36} {peer:7.2f} s   Verhältnis {seconds / peer:5.2f}")


def main() -> None:
    dataset = load_demo()
    result = analyse(dataset)
    n = len(result.districts)
    export("status", "pdf", dataset, result, ExportOptions(export_date=DAY))  # warm font and import caches
    t_analyse, _ = best_of(3, lambda: analyse(dataset))
    t_sections, _ = best_of(3, lambda: profiles(dataset, result))
    row(f"Abschnitte aller {n} Steckbriefe", t_sections, "Analyse (analyse)", t_analyse)
    t_map, _ = best_of(3, lambda: export("status", "pdf", dataset, result, ExportOptions(export_date=DAY)))
    t_one, data = best_of(3, lambda: render_profile(dataset, result, "0108", export_date=DAY))
    row(f"ein Steckbrief-PDF ({len(data) / 1024:.0f} KiB)", t_one, "Karte Statusklassen A4 PDF", t_map)
    t_zip, zipped = best_of(1, lambda: profiles_zip(dataset, result, export_date=DAY))
    row(f"ZIP aller {n} Steckbriefe ({len(zipped) / 1024 / 1024:.1f} MiB)", t_zip, f"{n} × ein Steckbrief",
        n * t_one)


if __name__ == "__main__":
    main()
