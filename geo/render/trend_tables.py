"""Trend arrows in on-screen district tables: "↑ +2,1", "↓ −0,8", "→" for an indicator between two years.

The change and its protection come from :class:`geo.analysis.history.CityHistory` (a district not classified in
either year shows "•"), the cell text and help from :func:`geo.analysis.history.trend_cell` and
:func:`~geo.analysis.history.trend_help`, so the Steckbrief and every table say the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from geo.analysis.history import CityHistory, trend_cell, trend_help
from geo.analysis.population import COUNT_UNIT

#: Column of the Sozialraum-Nr. in the on-screen district tables (:func:`geo.render.tables.result_columns`).
ID_COLUMN = "Sozialraum-Nr."


@dataclass(frozen=True)
class TrendColumn:
    """A trend column added to a table: its header and what its arrows mean (for the column's help)."""

    name: str
    help: str


def with_trend(table: pd.DataFrame, history: CityHistory, key: str, year_from: int, year_to: int, *,
               after: str | None = None, id_column: str = ID_COLUMN) -> tuple[pd.DataFrame, TrendColumn]:
    """``table`` with a trend column for indicator ``key`` from ``year_from`` to ``year_to``.

    Parameters
    ----------
    table
        A district table with the Sozialraum-Nr. in ``id_column`` (not changed; a new frame is returned).
    history
        The stored years of the analysis (:class:`~geo.analysis.history.CityHistory`).
    key, year_from, year_to
        The indicator and the two years.
    after
        The column the trend goes behind (default: at the end).

    Returns
    -------
    (pandas.DataFrame, TrendColumn)
        The table with the column "<label>: Trend <from>–<to>" (text cells, "" where a year has no value), and
        its header and help text.
    """
    defs = history.definitions
    label = str(defs.at[key, "label"]) if key in defs.index else key
    unit = str(defs.at[key, "unit"]).strip() if key in defs.index and "unit" in defs else ""
    direction = int(defs.at[key, "direction"]) if key in defs.index else 1
    changes, codes = history.changes(key, year_from, year_to)
    decimals = 0 if unit == COUNT_UNIT else 1
    cells = pd.Series([trend_cell(c, direction, decimals=decimals, code=k) for c, k in zip(changes, codes,
                                                                                           strict=True)],
                      index=history.ids, dtype=object)
    name = f"{label}: Trend {year_from}–{year_to}"
    ids = table[id_column].astype(str).str.strip()
    values = ids.map(cells).fillna("").to_numpy(dtype=object)
    out = table.copy()
    position = out.columns.get_loc(after) + 1 if after in out.columns else len(out.columns)
    out.insert(position, name, values, allow_duplicates=False)
    return out, TrendColumn(name, trend_help(direction, unit, year_from, year_to))
