"""Target groups: how many of an offer type's target group (an age band, or births) live in each district, and where.

Counts come, in this order, from the exact column of the indicator table (``age_6_10``, ``births``), from band
columns that partition the target band exactly (0–6 = ``age_0_3`` + ``age_3_6``), else they are **estimated**
with a stated share: a band inside 0–18 as (high − low)/18 of the children 0–17, births as 1/18 of them (one
year of age), any other band as (high − low)/:data:`LIFE_YEARS` of the inhabitants. The estimate is said on
screen (the population's ``note``).

Where people live: the residents layer's column of the target group per point where it has one; else each
district's count spread over its points in proportion to the points' children (else inhabitants); else evenly
over the fallback grid (:func:`geo.analysis.access.grid_residents`; 100 m cells, coarser at state scale, see
:func:`geo.analysis.access.grid_cell_m`).
"""

from __future__ import annotations

import re
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.population import CHILDREN, Population
from geo.analysis.population import inhabitants as inhabitants_population
from geo.catalog import Target

#: Years of age the inhabitants are spread over when a band outside 0–18 (or births without children counts) is
#: estimated from them: one year of age ≈ 1/80 of the inhabitants.
LIFE_YEARS: Final[int] = 80
#: Years of age the children counts cover (0 to under 18).
CHILD_YEARS: Final[int] = 18
_BAND = re.compile(rf"^{settings.AGE_PREFIX}(\d+)_(\d+)$")


def _span(low: int, high: int) -> str:
    """Ages as people say them: "6–9" (6 to under 10), "0" (under 1)."""
    return f"{low}" if high - low == 1 else f"{low}–{high - 1}"


def words(target: Target, *, column: str | None = None, source: str = "", note: str = "") -> Population:
    """The German words of a target group (count column ``column``, default :attr:`Target.column`).

    E.g. plural "Kinder von 6 bis unter 10 Jahren", dative "Kindern von 6 bis unter 10 Jahren", short "6–9 J.",
    heading "Kinder 6–9"; births: "Geburten".
    """
    column = column or target.column
    if target.births:
        return Population(column=column, plural="Geburten", dative="Geburten", short="Geburten",
                          heading="Geburten", description="Geburten im Jahr (Neugeborene)", counts="Geburtenzahlen",
                          note=note, source=source)
    a, b = target.low, target.high
    young = b <= CHILD_YEARS
    plural = f"{'Kinder' if young else 'junge Menschen'} von {a} bis unter {b} Jahren"
    dative = f"{'Kindern' if young else 'jungen Menschen'} von {a} bis unter {b} Jahren"
    return Population(column=column, plural=plural, dative=dative, short=f"{_span(a, b)} J.",
                      heading=f"{'Kinder' if young else 'Personen'} {_span(a, b)}", description=plural,
                      counts=f"Zahlen der {plural}", note=note, source=source)


def _values(table: pd.DataFrame, name: str) -> np.ndarray | None:
    """The column as floats (NaN → 0) when it holds any value, else ``None``."""
    if name not in table.columns:
        return None
    values = pd.to_numeric(table[name], errors="coerce").to_numpy(dtype=float)
    return np.nan_to_num(values) if np.isfinite(values).any() else None


def bands(table: pd.DataFrame) -> dict[tuple[int, int], str]:
    """Age band columns of ``table`` holding values: ``(low, high)`` → column name, e.g. ``(0, 3): "age_0_3"``."""
    out = {}
    for name in table.columns:
        match = _BAND.match(str(name))
        if match and int(match[1]) < int(match[2]) and _values(table, name) is not None:
            out[(int(match[1]), int(match[2]))] = str(name)
    return out


def partition(available: dict[tuple[int, int], str], low: int, high: int) -> list[str] | None:
    """Band columns that cover ``low`` to ``high`` exactly, without overlap (fewest bands); ``None`` if none do."""
    best: dict[int, list[str]] = {low: []}
    for start in range(low, high):  # ascending: every path to ``start`` is known when it is extended
        if start not in best:
            continue
        for (a, b), name in sorted(available.items()):
            if a == start and b <= high and (b not in best or len(best[b]) > len(best[start]) + 1):
                best[b] = [*best[start], name]
    return best.get(high)


def target_counts(target: Target, table: pd.DataFrame) -> tuple[Population, np.ndarray]:
    """Count of the target group per row of ``table`` (one year, one row per district) and its words.

    Returns
    -------
    tuple
        The :class:`Population` (``column`` the target's column, ``source`` where the counts come from,
        ``note`` the estimate when it is one) and the counts (float, one per row of ``table``).
    """
    exact = _values(table, target.column)
    if exact is not None:
        return words(target, source=f"Indikatorentabelle, Spalte „{target.column}“"), exact
    children = _values(table, settings.CHILDREN)
    if not target.births and (target.low, target.high) == (0, CHILD_YEARS) and children is not None:
        return CHILDREN, children
    available = bands(table)
    if not target.births:
        parts = partition(available, target.low, target.high)
        if parts:
            names = " + ".join(f"{_span(a, b)} J." for a, b in (tuple(map(int, _BAND.match(p).groups()))
                                                                   for p in parts))
            counts = np.sum([_values(table, p) for p in parts], axis=0)
            return words(target, source=f"Indikatorentabelle, Summe der Altersgruppen {names}"), counts
    lacks = ("keine Geburtenzahlen" if target.births else
             "keine passenden Altersgruppen" if available else "keine Altersgruppen")
    years = 1 if target.births else target.high - target.low
    inside = target.births or target.high <= CHILD_YEARS
    inhabitants = _values(table, settings.INHABITANTS)
    if inside and children is not None:
        share, counts, of = f"{years}/{CHILD_YEARS}", children * years / CHILD_YEARS, "der Kinder 0–17"
    elif inside and inhabitants is not None:
        # no children counts at all: measured for the inhabitants, as the whole city is (with its note)
        return inhabitants_population(), inhabitants
    elif inhabitants is not None:
        share, counts = f"{years}/{LIFE_YEARS}", inhabitants * years / LIFE_YEARS
        of = "der Einwohnerinnen und Einwohner"
    else:
        return words(target, source="keine Personenzahlen"), np.full(len(table), np.nan)
    note = f"geschätzt: {share} {of}, die Indikatorentabelle hat {lacks}"
    group = words(target, source=note)
    return words(target, source=note, note=f"{group.plural} {note}"), counts


def spread_over_points(basis: np.ndarray, located: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each district's ``counts`` over its points, in proportion to ``basis`` (0 outside every district).

    ``located`` gives each point's district position (-1 outside), ``counts`` one value per district position.
    A district whose points hold no ``basis`` keeps its count off the points (its share stays unknown).
    """
    basis = np.nan_to_num(np.asarray(basis, dtype=float))
    inside = located >= 0
    per_district = np.bincount(located[inside], weights=basis[inside], minlength=len(counts))
    out = np.zeros(len(basis))
    denominator = per_district[located[inside]]
    with np.errstate(invalid="ignore", divide="ignore"):
        out[inside] = np.where(denominator > 0, basis[inside] / denominator, 0.0) * np.nan_to_num(
            counts[located[inside]])
    return out


def layer_has(residents: pd.DataFrame | None, name: str) -> bool:
    """True when the residents layer has column ``name`` with at least one value."""
    return residents is not None and name in residents.columns and bool(residents[name].notna().any())


def point_counts(
    population: Population, residents: pd.DataFrame, located: np.ndarray, counts: np.ndarray, *,
    on_grid: bool, label: str, bases: tuple[str, ...] = (settings.CHILDREN, settings.INHABITANTS),
) -> tuple[np.ndarray, str]:
    """How many of ``population`` live at each point of ``residents``, and where that comes from (German).

    Parameters
    ----------
    residents
        The residents layer (metric CRS), or the fallback grid when ``on_grid``.
    located
        District position of each point (-1 outside).
    counts
        The population per district position (from the indicator table).
    label
        What the points are (:func:`geo.analysis.run.residents_label`, or the grid text when ``on_grid``).
    bases
        Count columns of the points the district counts are spread by, the first the layer has (a target
        group by the children, else the inhabitants); without any, evenly over the district's points.
    """
    if on_grid:
        return spread_over_points(np.ones(len(residents)), located, counts), label
    if layer_has(residents, population.column):
        return np.nan_to_num(residents[population.column].to_numpy(dtype=float)), label
    what = {settings.CHILDREN: "Kinderzahlen", settings.INHABITANTS: "Einwohnerzahlen"}
    for basis in bases:
        if basis != population.column and layer_has(residents, basis):
            spread = spread_over_points(residents[basis].to_numpy(dtype=float), located, counts)
            return spread, (f"{label}; {population.plural} je Sozialraum nach den {what.get(basis, basis)} "
                            "der Punkte verteilt")
    spread = spread_over_points(np.ones(len(residents)), located, counts)
    return spread, f"{label}; {population.plural} je Sozialraum gleichmäßig auf die Punkte verteilt"
