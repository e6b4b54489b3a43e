"""A district's history: every stored year of its indicators and status index, the city average beside it.

:class:`CityHistory` is computed once per data set and analysis; :meth:`CityHistory.district` gives the
:class:`History` of one district for the Steckbrief (page and PDF), :meth:`CityHistory.changes` the protected
change of an indicator between two years for the trend arrows of the tables.

Data protection (:mod:`geo.analysis.protect`, rule 5, applied in every year): a district's values of a year are
shown only where the district is classified in that year (its status index of that year, with at least
``min_inhabitants`` inhabitants and complete values) *and* in the analysis year; otherwise they are "•". A head
count (unit "Anzahl") of 1–2 is "< 3". The city average of a year is computed over the shown values only
(rule 6: no average minus the shown values gives a hidden one back): inhabitant-weighted for rates
(:func:`geo.analysis.trends.city_average`), the plain mean of the districts for head counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis import Result
from geo.analysis.need import NOT_CLASSIFIED, need_or_note
from geo.analysis.population import COUNT_UNIT
from geo.analysis.protect import HIDDEN, SMALL
from geo.analysis.trends import city_average, trend
from geo.dataset import Dataset
from geo.formatting import format_number

#: Key of the status index among the series (no indicator is called so: it is a column of the analysis).
STATUS_KEY: Final[str] = "status_index"
#: How the city average is computed (said under the time series).
CITY_NOTE: Final[str] = (
    "Stadtdurchschnitt = Mittelwert der Sozialräume mit ausgewiesenem Wert, gewichtet mit ihren Einwohnerzahlen "
    "(bei Anzahlen: ungewichteter Mittelwert je Sozialraum)."
)


def trend_cell(change_value: float, direction: int, *, decimals: int = 1, code: str = "") -> str:
    """A change as a table cell: "↑ +2,1", "↓ −0,8", "→" (below the tolerance), the code, or "" without values."""
    if code:
        return code
    t = trend(change_value, direction)
    if not t.arrow:
        return ""
    if t.meaning == "unverändert":
        return t.arrow
    return f"{t.arrow} {format_number(t.change, decimals, signed=True)}"


def trend_help(direction: int, unit: str, year_from: int, year_to: int) -> str:
    """What the arrows of an indicator's trend column mean (German help text)."""
    up, down = (("Lage verschlechtert", "Lage verbessert") if direction > 0
                else ("Lage verbessert", "Lage verschlechtert"))
    unit = "Prozentpunkten" if unit.strip() == "%" else unit.strip()  # "in Prozentpunkten", "in je 1.000"
    return (f"Veränderung {year_from}–{year_to}{f' in {unit}' if unit else ''}. ↑ = Wert gestiegen: {up}; "
            f"↓ = Wert gesunken: {down}; → = unverändert. • = aus Datenschutzgründen nicht ausgewiesen.")


@dataclass(frozen=True)
class Series:
    """One indicator (or the status index) of one district over the stored years.

    ``values`` is NaN where the district has no value or it is hidden (``codes``: "" shown, "•", "< 3");
    ``city`` the city average per year (NaN for the status index: it is standardised, its mean is 0);
    ``classes`` the status class per year (status index only).
    """

    key: str
    label: str
    unit: str
    direction: int
    years: tuple[int, ...]
    values: np.ndarray
    codes: tuple[str, ...]
    city: np.ndarray
    classes: tuple[str, ...] = ()

    @property
    def is_count(self) -> bool:
        """A head count (unit "Anzahl"): its city figure is the plain mean of the districts."""
        return self.unit == COUNT_UNIT

    def value(self, year: int) -> float:
        """The shown value of ``year`` (NaN where none or hidden)."""
        return float(self.values[self.years.index(year)]) if year in self.years else float("nan")

    def code(self, year: int) -> str:
        """The protection code of ``year`` ("" = shown)."""
        return self.codes[self.years.index(year)] if year in self.years else ""


@dataclass(frozen=True)
class History:
    """The time series of one district: ``series`` (the status index first, then the indicators) and a note."""

    district_id: str
    years: tuple[int, ...]
    series: tuple[Series, ...]
    note: str = ""

    @property
    def has_series(self) -> bool:
        """True with at least two stored years (one year is no time series)."""
        return len(self.years) >= 2

    def get(self, key: str) -> Series:
        """The series of ``key`` (KeyError when there is none)."""
        for s in self.series:
            if s.key == key:
                return s
        raise KeyError(key)


class CityHistory:
    """The stored years of every district of an analysis, protected; computed once per data set and result."""

    def __init__(self, dataset: Dataset, result: Result):
        self.dataset, self.result = dataset, result
        self.definitions = dataset.indicator_definitions
        self.ids = pd.Index(result.districts[settings.DISTRICT_ID].astype(str).str.strip())
        table = dataset.indicators.copy()
        table[settings.DISTRICT_ID] = table[settings.DISTRICT_ID].astype(str).str.strip()
        table[settings.YEAR] = table[settings.YEAR].astype(int)
        self.table = table[table[settings.DISTRICT_ID].isin(self.ids)]
        self.years: tuple[int, ...] = tuple(sorted(int(y) for y in table[settings.YEAR].unique()))
        self._cache: dict[tuple, object] = {}

    def _cached(self, key: tuple, make):
        if key not in self._cache:
            self._cache[key] = make()
        return self._cache[key]

    def _year_rows(self, year: int) -> pd.DataFrame:
        """The rows of ``year`` in the order of the analysis' districts (a district without a row: NaN)."""
        rows = self.table[self.table[settings.YEAR] == year].drop_duplicates(settings.DISTRICT_ID)
        return rows.set_index(settings.DISTRICT_ID).reindex(self.ids)

    @cached_property
    def statuses(self) -> dict[int, pd.DataFrame]:
        """Per year the status index, class and ``classified`` of every district (index: district ids).

        The analysis year is taken from the result itself; the other years are computed as the analysis does
        (same weights and threshold, :func:`geo.analysis.need.need_or_note`).
        """
        out = {}
        d = self.result.districts
        for year in self.years:
            if year == int(self.result.year):
                frame = pd.DataFrame({c: d[c].to_numpy() for c in ("status_index", "status_class", "classified")},
                                     index=self.ids)
            else:
                rows = self._year_rows(year)
                if settings.INHABITANTS not in rows:  # no inhabitants, no class (rule 5)
                    rows[settings.INHABITANTS] = 0.0
                rows[settings.INHABITANTS] = pd.to_numeric(rows[settings.INHABITANTS], errors="coerce").fillna(0)
                need, _, _ = need_or_note(rows, definitions=self.definitions, weights=self.result.weights,
                                          min_inhabitants=self.result.min_inhabitants)
                frame = need[["status_index", "status_class", "classified"]]
            out[year] = frame.assign(classified=frame["classified"].astype(bool))
        return out

    @cached_property
    def shown(self) -> pd.DataFrame:
        """True where a district's values of a year may be shown (index: district ids, columns: years)."""
        now = self.result.districts["classified"].to_numpy(dtype=bool)
        return pd.DataFrame({y: self.statuses[y]["classified"].to_numpy(dtype=bool) & now for y in self.years},
                            index=self.ids)

    def _unit(self, key: str) -> str:
        d = self.definitions
        return str(d.at[key, "unit"]).strip() if key in d.index and "unit" in d else ""

    def _direction(self, key: str) -> int:
        d = self.definitions
        return int(d.at[key, "direction"]) if key in d.index else 1

    def _label(self, key: str) -> str:
        d = self.definitions
        return str(d.at[key, "label"]) if key in d.index and "label" in d else str(key)

    @cached_property
    def _frames(self) -> dict[int, pd.DataFrame]:
        return {y: self._year_rows(y) for y in self.years}

    def values(self, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The shown values of ``key`` (NaN where none or hidden) and their codes; index ids, columns years."""
        return self._cached(("values", key), lambda: self._values(key))

    def _values(self, key: str) -> tuple[pd.DataFrame, pd.DataFrame]:
        raw = pd.DataFrame({y: pd.to_numeric(self._frames[y][key], errors="coerce") if key in self._frames[y]
                            else np.nan for y in self.years}, index=self.ids).astype(float)
        codes = pd.DataFrame("", index=self.ids, columns=list(self.years), dtype=object)
        codes = codes.mask(~self.shown & raw.notna(), HIDDEN)
        if self._unit(key) == COUNT_UNIT:
            codes = codes.mask((codes == "") & (raw > 0) & (raw < settings.MIN_COUNT_SHOWN), SMALL)
        return raw.where(codes == ""), codes

    def city(self, key: str) -> pd.Series:
        """The city average of ``key`` per year over the shown values (see the module's docstring)."""
        return self._cached(("city", key), lambda: self._city(key))

    def _city(self, key: str) -> pd.Series:
        values, _ = self.values(key)
        long = values.stack(future_stack=True).rename(key).rename_axis([settings.DISTRICT_ID, settings.YEAR])
        long = long.reset_index()
        if self._unit(key) != COUNT_UNIT:
            inhabitants = pd.DataFrame({y: pd.to_numeric(self._frames[y][settings.INHABITANTS], errors="coerce")
                                        if settings.INHABITANTS in self._frames[y] else np.nan
                                        for y in self.years}, index=self.ids)
            long[settings.INHABITANTS] = inhabitants.stack(future_stack=True).to_numpy(dtype=float)
        return city_average(long, key).reindex(list(self.years))

    def changes(self, key: str, year_from: int, year_to: int) -> tuple[np.ndarray, np.ndarray]:
        """Per district (analysis order) ``value(year_to) − value(year_from)`` and its code.

        The code is "•" where either value is hidden (or a count of 1–2): the change would give it back.
        """
        return self._cached(("changes", key, year_from, year_to), lambda: self._changes(key, year_from, year_to))

    def _changes(self, key: str, year_from: int, year_to: int) -> tuple[np.ndarray, np.ndarray]:
        values, codes = self.values(key)
        if year_from not in values or year_to not in values:
            n = len(self.ids)
            return np.full(n, np.nan), np.full(n, "", dtype=object)
        change = (values[year_to] - values[year_from]).to_numpy(dtype=float)
        coded = (codes[year_to] != "") | (codes[year_from] != "")
        return np.where(coded, np.nan, change), np.where(coded, HIDDEN, "").astype(object)

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """The status indicators with a value in some year: those of the index first, then the others defined."""
        d = self.definitions
        ready_made = set(d.index[d["kind"] == "dynamik"]) if "kind" in d else set()
        keys = [k for k in self.result.weights if k in self.table]
        keys += [str(k) for k in d.index if k not in keys and k in self.table and k not in ready_made
                 and k not in (settings.INHABITANTS, settings.CHILDREN)]
        return tuple(k for k in keys if pd.to_numeric(self.table[k], errors="coerce").notna().any())

    def _status_series(self, position: int) -> Series | None:
        if not self.result.weights:
            return None
        years = self.years
        shown = self.shown.iloc[position]
        index = np.array([float(self.statuses[y]["status_index"].iloc[position]) for y in years])
        classes = tuple(str(self.statuses[y]["status_class"].iloc[position]) for y in years)
        codes = tuple(HIDDEN if not shown[y] and np.isfinite(v) else "" for y, v in zip(years, index, strict=True))
        values = np.where([c == "" for c in codes], index, np.nan)
        classes = tuple(c if code == "" else NOT_CLASSIFIED for c, code in zip(classes, codes, strict=True))
        return Series(STATUS_KEY, "Statusindex", "", 1, years, values, codes, np.full(len(years), np.nan), classes)

    def district(self, district_id: object) -> History:
        """The :class:`History` of one district (its Sozialraum-Nr., compared as text without spaces)."""
        wanted = str(district_id).strip()
        position = self.ids.get_loc(wanted)
        series = []
        status = self._status_series(position)
        if status is not None:
            series.append(status)
        for key in self.keys:
            values, codes = self.values(key)
            series.append(Series(key, self._label(key), self._unit(key), self._direction(key), self.years,
                                 values.iloc[position].to_numpy(dtype=float), tuple(codes.iloc[position]),
                                 self.city(key).to_numpy(dtype=float)))
        note = ""
        if len(self.years) < 2:
            only = f" ({self.years[0]})" if self.years else ""
            note = (f"Für diese Daten ist nur ein Indikatorjahr gespeichert{only}: noch keine Zeitreihe. Laden Sie "
                    "auf der Seite „Daten“ die Indikatoren eines weiteren Jahres hoch.")
        return History(wanted, self.years, tuple(series), note)


def chart_frame(series: Series) -> pd.DataFrame:
    """A series as long data for a line chart: ``Jahr``, ``Reihe`` ("Sozialraum", "Stadtdurchschnitt"), ``Wert``.

    Hidden and missing values are left out (the line has a gap there); the status index has no city line.
    """
    city = "Ø Sozialräume" if series.is_count else "Stadtdurchschnitt"
    parts = [pd.DataFrame({"Jahr": series.years, "Reihe": "Sozialraum", "Wert": series.values})]
    if np.isfinite(series.city).any():
        parts.append(pd.DataFrame({"Jahr": series.years, "Reihe": city, "Wert": series.city}))
    out = pd.concat(parts, ignore_index=True)
    return out[np.isfinite(out["Wert"].to_numpy(dtype=float))].reset_index(drop=True)
