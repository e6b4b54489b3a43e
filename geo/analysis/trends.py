"""Indicators over the stored years: a district's time series, the city average beside it, the change, its trend.

Pure functions over the indicator table (one row per district and year, :attr:`geo.dataset.Dataset.indicators`).
The city average of a year is the inhabitant-weighted mean over the districts with a value (the city's own rate
for a share), or the plain mean where the year has no inhabitants.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geo import settings

#: A change smaller than this (in the indicator's unit, e.g. percentage points) counts as unchanged ("→").
TREND_TOLERANCE: Final[float] = 0.05
#: Arrow of a value rising, falling, unchanged; "" without two values.
ARROWS: Final[dict[str, str]] = {"up": "\u2191", "down": "\u2193", "same": "\u2192"}


def change_unit(unit: str) -> str:
    """Unit of a change of an indicator in ``unit``: "Prozentpunkte" for "%", else the unit itself."""
    return "Prozentpunkte" if str(unit).strip() == "%" else str(unit).strip()


@dataclass(frozen=True)
class Trend:
    """The change of one indicator in one district.

    ``arrow``: the value's direction; ``meaning`` in German ("Lage verschlechtert", "Lage verbessert",
    "unverändert", "" without two values); ``change`` in the indicator's unit.
    """

    arrow: str
    meaning: str
    change: float


def _numbers(indicators: pd.DataFrame, key: str) -> pd.DataFrame:
    out = indicators[[settings.DISTRICT_ID, settings.YEAR]].copy()
    out[settings.DISTRICT_ID] = out[settings.DISTRICT_ID].astype(str).str.strip()
    out[settings.YEAR] = out[settings.YEAR].astype(int)
    out["value"] = pd.to_numeric(indicators[key], errors="coerce") if key in indicators else np.nan
    out["weight"] = (pd.to_numeric(indicators[settings.INHABITANTS], errors="coerce")
                     if settings.INHABITANTS in indicators else np.nan)
    return out


def city_average(indicators: pd.DataFrame, key: str) -> pd.Series:
    """Per stored year (ascending index) the city average of ``key`` (NaN for a year without values)."""
    rows = _numbers(indicators, key)
    out = {}
    for year, group in rows.groupby(settings.YEAR, sort=True):
        has = group["value"].notna().to_numpy()
        values, weights = group["value"].to_numpy()[has], group["weight"].to_numpy()[has]
        if not has.any():
            out[year] = np.nan
        elif np.isfinite(weights).all() and weights.sum() > 0:
            out[year] = float(np.average(values, weights=weights))
        else:
            out[year] = float(values.mean())
    return pd.Series(out, name=key, dtype=float).rename_axis(settings.YEAR)


def time_series(indicators: pd.DataFrame, key: str, district_id: str) -> pd.DataFrame:
    """Every stored year of ``key`` for one district, the city average beside it.

    Columns ``year``, ``value`` (NaN where the district has none that year), ``city``.
    """
    rows = _numbers(indicators, key)
    mine = rows[rows[settings.DISTRICT_ID] == str(district_id).strip()].set_index(settings.YEAR)["value"]
    city = city_average(indicators, key)
    years = city.index
    return pd.DataFrame({settings.YEAR: years.to_numpy(), "value": mine.reindex(years).to_numpy(dtype=float),
                         "city": city.to_numpy(dtype=float)})


def change(indicators: pd.DataFrame, key: str, year_from: int, year_to: int,
           district_ids: Sequence[str]) -> np.ndarray:
    """``value(year_to) − value(year_from)`` of ``key`` per district of ``district_ids`` (NaN without both)."""
    rows = _numbers(indicators, key)
    ids = pd.Index([str(i).strip() for i in district_ids])

    def year(y: int) -> np.ndarray:
        values = rows[rows[settings.YEAR] == int(y)].drop_duplicates(settings.DISTRICT_ID)
        return values.set_index(settings.DISTRICT_ID)["value"].reindex(ids).to_numpy(dtype=float)

    return year(year_to) - year(year_from)


def trend(change_value: float, direction: int) -> Trend:
    """The arrow and meaning of a change; ``direction`` +1 where a higher value means more need, −1 less."""
    if not np.isfinite(change_value):
        return Trend("", "", float("nan"))
    if abs(change_value) < TREND_TOLERANCE:
        return Trend(ARROWS["same"], "unverändert", float(change_value))
    worse = (change_value > 0) == (direction > 0)
    return Trend(ARROWS["up" if change_value > 0 else "down"], "Lage verschlechtert" if worse else "Lage verbessert",
                 float(change_value))
