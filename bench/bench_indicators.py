"""Indicator upload with a city's own columns: how much the column proposal adds to reading the file.

A table of 10,000 rows (the demo's 57 districts over 175 years) with 40 numeric columns the workspace does not
know yet, so every one of them is proposed as a new indicator. Figures are ratios against reading the same file
(`read_table`) in the same run; no target, this is to see that proposing columns stays a small part of a check.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scale import best_of  # noqa: E402
from geo import catalog  # noqa: E402
from geo.demo import load_demo  # noqa: E402
from geo.ingest import check_upload  # noqa: E402
from geo.ingest.definitions import is_numeric_column  # noqa: E402
from geo.io import read_table  # noqa: E402

COLUMNS = 40
YEARS = range(1901, 2076)


def city_csv(seed: int = 1) -> bytes:
    """``;``, decimal commas, cp1252 headers with units, one row per district and year."""
    rng = np.random.default_rng(seed)
    ids = load_demo().districts["district_id"].tolist()
    header = ["Sozialraum-Nr", "Jahr", "Einwohner", "Kinder"] + [f"Indikator Nr. {j} – Anteil (%)"
                                                                for j in range(COLUMNS)]
    lines = [";".join(header)]
    values = rng.uniform(0, 100, size=(len(ids) * len(YEARS), COLUMNS))
    row = 0
    for year in YEARS:
        for d in ids:
            cells = ";".join(f"{v:.1f}".replace(".", ",") for v in values[row])
            lines.append(f"{d};{year};{1000 + row % 500};{100 + row % 50};{cells}")
            row += 1
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def main() -> None:
    demo = load_demo()
    city = demo.with_layers(indicator_definitions=catalog.empty_indicator_definitions(),
                            indicators=demo.indicators.iloc[0:0])
    data = city_csv()
    t_read, table = best_of(3, lambda: read_table(data, "stadt.csv"))
    print(f"file: {len(table):,} rows × {len(table.columns)} columns, {len(data) / 1024**2:.1f} MB")
    t_numeric, _ = best_of(3, lambda: [is_numeric_column(table[c]) for c in table.columns[4:]])
    t_check, check = best_of(3, lambda: check_upload(data, "stadt.csv", kind="indicators", context=city))
    assert check.ok and len(check.definitions) == COLUMNS, [str(p) for p in check.report.errors[:5]]
    print(f"read_table (peer)                          {t_read:.3f} s  1.00×")
    print(f"numeric test of the {COLUMNS} candidate columns   {t_numeric:.3f} s  {t_numeric / t_read:.2f}×")
    print(f"check_upload (read, propose, validate)     {t_check:.3f} s  {t_check / t_read:.2f}×")


if __name__ == "__main__":
    main()
