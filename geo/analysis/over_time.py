"""Change over time: reach and gaps of two years, or of two data versions, compared once the boundaries agree.

Two kinds of comparison, both made by :func:`geo.analysis.compare.compare` (one definition of what changes):

* **between two years** of one data set (:func:`between_years`): the indicators of each year give its population,
  need classes and so its gaps; the offers are the same (the data set's), so the change shows what the change of
  population and need means for reach and gaps;
* **between two data versions** (:func:`between_versions`): two data sets of one workspace that differ in some
  stored layers (e.g. the offers before and after a new offer list, :func:`geo.store.versions.dataset_with_versions`),
  analysed for the same year: did the new offers reach the children.

Before comparing, the districts of both sides are checked (:func:`year_boundaries`, :func:`layer_boundaries`): a city
that re-cut its Sozialräume has other ids in one year, or other polygons in one version, and a comparison of them
would be misleading. It is refused with :class:`BoundariesChanged` (a :class:`~geo.DataError` with a German message
naming the districts). Ids are paired as the uploads pair them (:mod:`geo.district_ids`): "01" and "1" are one
district; polygons are the same when their symmetric difference is below
:data:`geo.settings.BOUNDARY_CHANGE_TOLERANCE` of each one's area.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs, settings
from geo._errors import DataError
from geo.analysis.compare import Comparison, compare
from geo.analysis.need import IN_NEED_CLASSES
from geo.analysis.run import Params, Result, analyse
from geo.dataset import Dataset
from geo.district_ids import match_district_ids, pair_district_ids
from geo.formatting import format_number

#: What is compared: two years of one data set, or two data versions of one year.
KINDS: Final[tuple[str, ...]] = ("years", "versions")
#: Most districts a refusal names one by one (the rest are counted).
NAMED_DISTRICTS: Final[int] = 8
#: What to do instead, after a refusal.
YEARS_ADVICE: Final[str] = (
    "Bitte vergleichen Sie Jahre mit demselben Zuschnitt der Sozialräume – oder laden Sie die Werte des früheren "
    "Jahres auf die neuen Sozialräume umgerechnet hoch.")
VERSIONS_ADVICE: Final[str] = (
    "Bitte vergleichen Sie Datenstände mit denselben Sozialraumgrenzen (Seite „Verlauf“ zeigt, welche Grenzen zu "
    "welchem Stand gehören).")

Analyse = Callable[[Dataset, Params], Result]


@dataclass(frozen=True)
class BoundaryChange:
    """How the districts of two sides differ (nothing: they are the same).

    Attributes
    ----------
    pairs
        B's district id → A's for every district both have ("1" → "01" where only the leading zero differs).
    only_a, only_b
        Ids of one side that the other lacks (A's and B's spelling).
    recut
        A's ids of the districts both have whose polygons differ by :data:`~geo.settings.BOUNDARY_CHANGE_TOLERANCE`
        of the area or more.
    names
        District id → name, for the message.
    """

    pairs: Mapping[str, str] = field(default_factory=dict)
    only_a: tuple[str, ...] = ()
    only_b: tuple[str, ...] = ()
    recut: tuple[str, ...] = ()
    names: Mapping[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        """True when a district is only on one side or was re-cut."""
        return bool(self.only_a or self.only_b or self.recut)

    @property
    def renamed(self) -> dict[str, str]:
        """B's ids that are A's spelled otherwise (leading zeros), B's → A's."""
        return {b: a for b, a in self.pairs.items() if a != b}

    def _listed(self, ids: Sequence[str]) -> str:
        named = [f"{i} {self.names[i]}".strip() if self.names.get(i) else i for i in ids[:NAMED_DISTRICTS]]
        more = len(ids) - len(named)
        return ", ".join(named) + (f" und {format_number(more)} weitere" if more > 0 else "")

    def message(self, label_a: str, label_b: str) -> str:
        """German: which districts changed between ``label_a`` and ``label_b`` ("" when none did)."""
        if not self.changed:
            return ""

        def count(n: int) -> str:
            return f"{format_number(n)} {'Sozialraum' if n == 1 else 'Sozialräume'}"

        def only(label: str) -> str:
            return f"nur {label}" if label.isdigit() else f"nur in „{label}“"

        parts = []
        if self.recut:
            parts.append(f"{count(len(self.recut))} neu zugeschnitten ({self._listed(self.recut)})")
        if self.only_a:
            parts.append(f"{count(len(self.only_a))} {only(label_a)} ({self._listed(self.only_a)})")
        if self.only_b:
            parts.append(f"{count(len(self.only_b))} {only(label_b)} ({self._listed(self.only_b)})")
        return (f"Die Sozialraumgrenzen haben sich zwischen {label_a} und {label_b} geändert: " + "; ".join(parts)
                + ". Ein Vergleich wäre irreführend.")


class BoundariesChanged(DataError):
    """The districts of the two sides differ (``change`` says how): the comparison is refused, nothing is compared."""

    def __init__(self, change: BoundaryChange, label_a: str, label_b: str, advice: str):
        super().__init__(f"{change.message(label_a, label_b)} {advice}")
        self.change = change


def _names(*layers: pd.DataFrame | None) -> dict[str, str]:
    names: dict[str, str] = {}
    for layer in layers:
        if layer is not None and settings.DISTRICT_NAME in layer and len(layer):
            ids = layer[settings.DISTRICT_ID].astype("str").str.strip()
            names.update({i: str(n) for i, n in zip(ids, layer[settings.DISTRICT_NAME], strict=True)
                          if i not in names and pd.notna(n)})
    return names


def year_boundaries(indicators: pd.DataFrame, year_a: int, year_b: int,
                    districts: pd.DataFrame | None = None) -> BoundaryChange:
    """Whether the indicator tables of ``year_a`` and ``year_b`` cover the same districts (ids paired as on upload).

    A city that re-cut its Sozialräume uploads the new year with other ids: those only in one year are named.
    ``districts`` (the layer in use) gives the names for the message.
    """
    years = pd.to_numeric(indicators[settings.YEAR], errors="coerce")
    ids_a = indicators.loc[years == int(year_a), settings.DISTRICT_ID]
    ids_b = indicators.loc[years == int(year_b), settings.DISTRICT_ID]
    pairs, only_a, only_b = pair_district_ids(ids_a, ids_b)
    return BoundaryChange(pairs=pairs, only_a=tuple(only_a), only_b=tuple(only_b), names=_names(districts))


def layer_boundaries(districts_a: gpd.GeoDataFrame, districts_b: gpd.GeoDataFrame, *,
                     tolerance: float | None = None) -> BoundaryChange:
    """Whether two districts layers are the same Sozialräume: the same ids (paired as on upload), the same polygons.

    Parameters
    ----------
    districts_a, districts_b
        The two layers (any CRS with one set; compared in the metric CRS).
    tolerance
        Share of a district's area its polygons may differ by (symmetric difference, below it for both sides'
        areas); default :data:`geo.settings.BOUNDARY_CHANGE_TOLERANCE`, read at call time.
    """
    share = settings.BOUNDARY_CHANGE_TOLERANCE if tolerance is None else float(tolerance)
    a = crs.to_metric(districts_a, name="Sozialräume A")
    b = crs.to_metric(districts_b, name="Sozialräume B")
    ids_a = a[settings.DISTRICT_ID].astype("str").str.strip()
    ids_b = b[settings.DISTRICT_ID].astype("str").str.strip()
    pairs, only_a, only_b = pair_district_ids(ids_a, ids_b)
    first_a = ~ids_a.duplicated().to_numpy()
    first_b = ~ids_b.duplicated().to_numpy()
    geom_a = dict(zip(ids_a[first_a], a.geometry.to_numpy()[first_a], strict=True))
    geom_b = dict(zip(ids_b[first_b], b.geometry.to_numpy()[first_b], strict=True))
    own = list(pairs)
    left = np.array([geom_a[pairs[i]] for i in own], dtype=object)
    right = np.array([geom_b[i] for i in own], dtype=object)
    recut: list[str] = []
    if len(own):
        left, right = shapely.make_valid(left), shapely.make_valid(right)
        differs = shapely.area(shapely.symmetric_difference(left, right))
        smaller = np.minimum(shapely.area(left), shapely.area(right))
        moved = ~(differs < share * smaller) & (differs > 0)
        recut = [pairs[i] for i, m in zip(own, moved, strict=True) if m]
    return BoundaryChange(pairs=pairs, only_a=tuple(only_a), only_b=tuple(only_b), recut=tuple(recut),
                          names=_names(districts_a, districts_b))


@dataclass(frozen=True)
class OverTime:
    """Two analyses over time and what changed between them.

    Attributes
    ----------
    comparison
        :func:`geo.analysis.compare.compare` of ``result_a`` → ``result_b`` (B's district ids in A's spelling).
    result_a, result_b
        The two analyses (of the two years, or of the two data versions for one year).
    dataset_a, dataset_b
        Their data sets (the same object for two years).
    label_a, label_b
        What is compared, for texts: "2023" and "2024", or "Angebote v3" and "Angebote v5".
    kind
        ``"years"`` or ``"versions"`` (:data:`KINDS`).
    notes
        German notes on how the comparison was made (what stayed the same, ids paired without leading zeros …).
    """

    comparison: Comparison
    result_a: Result
    result_b: Result
    dataset_a: Dataset
    dataset_b: Dataset
    label_a: str
    label_b: str
    kind: str
    notes: tuple[str, ...] = ()

    @property
    def period(self) -> str:
        """"2023 → 2024" or "Angebote v3 → Angebote v5"."""
        return f"{self.label_a} \u2192 {self.label_b}"

    def need_ended(self) -> np.ndarray:
        """Per row of ``comparison.districts``: the gap closed because the district is no longer in need in B.

        Between years a gap also ends when the status class improves; that is no district newly served.
        """
        rows = self.comparison.districts
        status_b = self.result_b.districts.set_index(
            self.result_b.districts[settings.DISTRICT_ID].astype("str"))["status_class"]
        in_need_b = rows[settings.DISTRICT_ID].astype("str").map(status_b).isin(IN_NEED_CLASSES).to_numpy()
        return rows["gap_before"].to_numpy(dtype=bool) & ~rows["gap_after"].to_numpy(dtype=bool) & ~in_need_b

    def status_b(self) -> pd.Series:
        """B's status class per district id (A's spelling)."""
        d = self.result_b.districts
        return pd.Series(d["status_class"].to_numpy(dtype=object), index=d[settings.DISTRICT_ID].astype("str"))


def _years_of(dataset: Dataset) -> list[int]:
    return dataset.years if len(dataset.indicators) else []


def _year_params(params: Params, year: int) -> Params:
    """``params`` for ``year``; a Dynamik base year not before it is left to the default."""
    base = params.dynamic_base_year
    return dataclasses.replace(params, year=int(year),
                               dynamic_base_year=base if base is None or base < int(year) else None)


def between_years(dataset: Dataset, year_a: int, year_b: int, params: Params | None = None, *,
                  run: Analyse = analyse) -> OverTime:
    """Reach and gaps of ``year_a`` → ``year_b`` of one data set (its offers in both years).

    Parameters
    ----------
    dataset
        The data set (the indicators of both years are its ``indicators``).
    year_a, year_b
        The years compared (A the earlier one, usually).
    params
        The analysis settings (radii, population, …); their ``year`` is replaced by each side's.
    run
        The analysis (:func:`geo.analysis.analyse`, or a cached one of the same signature).

    Raises
    ------
    BoundariesChanged
        The two years' indicator tables cover other districts (re-cut Sozialräume).
    DataError
        A year without indicators, or the same year twice.
    """
    params = params or Params()
    year_a, year_b = int(year_a), int(year_b)
    stored = _years_of(dataset)
    missing = [y for y in (year_a, year_b) if y not in stored]
    if missing:
        raise DataError(f"Für {' und '.join(map(str, dict.fromkeys(missing)))} sind keine Indikatoren gespeichert "
                        f"(vorhanden: {', '.join(map(str, stored)) or 'keine'}).")
    if year_a == year_b:
        raise DataError("Bitte zwei verschiedene Jahre wählen.")
    label_a, label_b = str(year_a), str(year_b)
    change = year_boundaries(dataset.indicators, year_a, year_b, dataset.districts)
    if change.changed:
        raise BoundariesChanged(change, label_a, label_b, YEARS_ADVICE)
    dataset = _in_layer_spelling(dataset, (year_a, year_b))
    result_a, result_b = run(dataset, _year_params(params, year_a)), run(dataset, _year_params(params, year_b))
    comparison = compare(result_a, result_b, base_name=label_a, variant_name=label_b)
    offers = dataset.versions.get("offers")
    notes = [f"Beide Jahre sind mit denselben Angeboten gemessen ({offers or 'den Angeboten in Gebrauch'}): Die "
             f"Veränderung zeigt, was die Entwicklung von Bevölkerung und Bedarf zwischen {label_a} und {label_b} "
             "für Reichweite und Versorgungslücken bedeutet. Ob neue Angebote die Kinder erreichen, zeigt der "
             "Vergleich zweier Datenstände der Angebote."]
    status_a = result_a.districts["status_class"].to_numpy(dtype=object)
    status_b = result_b.districts.set_index(result_b.districts[settings.DISTRICT_ID].astype("str"))[
        "status_class"].reindex(result_a.districts[settings.DISTRICT_ID].astype("str")).to_numpy(dtype=object)
    moved = int((status_a != status_b).sum())
    if moved:
        notes.append(f"In {format_number(moved)} {'Sozialraum' if moved == 1 else 'Sozialräumen'} hat sich die "
                     f"Statusklasse geändert: Eine Versorgungslücke gilt im Bedarf des jeweiligen Jahres.")
    notes += _renamed_note(change)
    return OverTime(comparison=comparison, result_a=result_a, result_b=result_b, dataset_a=dataset,
                    dataset_b=dataset, label_a=label_a, label_b=label_b, kind="years", notes=tuple(notes))


def _in_layer_spelling(dataset: Dataset, years: Sequence[int]) -> Dataset:
    """``dataset`` with the indicator ids of ``years`` spelled as its districts layer spells them ("1" → "01").

    The analysis joins by the exact id; a year uploaded before the boundaries were stored again with other zeros
    would otherwise lose its values. The data set itself where nothing is spelled otherwise.
    """
    table = dataset.indicators
    rows = pd.to_numeric(table[settings.YEAR], errors="coerce").isin(list(years)).to_numpy()
    ids = table[settings.DISTRICT_ID].astype("str").str.strip()
    known = dataset.districts[settings.DISTRICT_ID].astype("str").str.strip()
    matched, loose = match_district_ids(ids, known)
    loose = loose.to_numpy() & rows
    if not loose.any():
        return dataset
    table = table.copy()
    table[settings.DISTRICT_ID] = ids.where(~loose, matched).to_numpy()
    return dataset.with_layers(indicators=table)


def _renamed_note(change: BoundaryChange) -> list[str]:
    renamed = change.renamed
    if not renamed:
        return []
    shown = ", ".join(f"{b} = {a}" for b, a in list(renamed.items())[:NAMED_DISTRICTS])
    return [f"{format_number(len(renamed))} Sozialraum-Nummern unterscheiden sich nur in führenden Nullen und "
            f"gelten als derselbe Sozialraum ({shown}{' …' if len(renamed) > NAMED_DISTRICTS else ''})."]


def common_year(dataset_a: Dataset, dataset_b: Dataset, year: int | None = None) -> int:
    """``year`` if both data sets have indicators of it, else (``None``) the latest year both have.

    Raises
    ------
    DataError
        No such year (German, naming the years of each side).
    """
    years_a, years_b = _years_of(dataset_a), _years_of(dataset_b)
    both = sorted(set(years_a) & set(years_b))
    if year is not None and int(year) in both:
        return int(year)
    if year is None and both:
        return both[-1]
    wanted = f"das Jahr {year}" if year is not None else "ein gemeinsames Jahr"
    listed = [", ".join(map(str, years)) or "kein Jahr" for years in (years_a, years_b)]
    raise DataError(f"Für den Vergleich fehlt {wanted}: A hat Indikatoren für {listed[0]}, B für {listed[1]}.")


def _in_a_spelling(result: Result, renamed: Mapping[str, str]) -> Result:
    """``result`` with its district ids spelled as A spells them."""
    if not renamed:
        return result
    d = result.districts.copy()
    d[settings.DISTRICT_ID] = d[settings.DISTRICT_ID].astype("str").map(lambda i: renamed.get(i, i))
    return dataclasses.replace(result, districts=d)


def between_versions(dataset_a: Dataset, dataset_b: Dataset, params: Params | None = None, *, labels: tuple[str, str],
                     run: Analyse = analyse) -> OverTime:
    """Reach and gaps of two data versions (e.g. the offers before and after a new list) for the same year.

    Parameters
    ----------
    dataset_a, dataset_b
        The two data sets (:func:`geo.store.versions.dataset_with_versions`).
    params
        The analysis settings; ``year`` ``None``: the latest year both have (:func:`common_year`).
    labels
        What the two sides are, e.g. ("Angebote v3", "Angebote v5").
    run
        The analysis (:func:`geo.analysis.analyse`, or a cached one of the same signature).

    Raises
    ------
    BoundariesChanged
        The districts layers differ in ids or polygons (re-cut Sozialräume).
    DataError
        No year both have.
    """
    params = params or Params()
    label_a, label_b = labels
    change = layer_boundaries(dataset_a.districts, dataset_b.districts)
    if change.changed:
        raise BoundariesChanged(change, label_a, label_b, VERSIONS_ADVICE)
    year = common_year(dataset_a, dataset_b, params.year)
    result_a = run(dataset_a, _year_params(params, year))
    result_b = _in_a_spelling(run(dataset_b, _year_params(params, year)), change.renamed)
    comparison = compare(result_a, result_b, base_name=label_a, variant_name=label_b)
    notes = [f"Beide Datenstände sind für das Indikatorjahr {year} analysiert."]
    notes += _renamed_note(change)
    return OverTime(comparison=comparison, result_a=result_a, result_b=result_b, dataset_a=dataset_a,
                    dataset_b=dataset_b, label_a=label_a, label_b=label_b, kind="versions", notes=tuple(notes))
