"""Data protection for every export: small counts shown as "< 3", values that would reveal them suppressed.

The rule (also printed on the methods page, see :func:`rule_text`)
-----------------------------------------------------------------
Counts of people (inhabitants, children, children without reach) from 1 to ``MIN_COUNT_SHOWN - 1``
(i.e. 1 and 2) are shown as ``"< 3"``. A zero is a true zero and is shown. Values from which a suppressed
count could be recomputed are replaced by ``"•"`` ("aus Datenschutzgründen nicht ausgewiesen"):

1. **Few children in a district** (children 1–2): the children count is ``"< 3"``; for every offer type the
   share in reach, the number of children without reach and the median distance are ``"•"`` (the median
   distance of one or two children is the distance of a single home).
2. **Few children without reach** (1–2 for an offer type): that count is ``"< 3"`` and the share in reach is
   ``"•"``, because children × (1 − share) gives the count back.
3. **Few children in reach** (children − children without reach is 1–2): the share in reach and the number
   without reach are ``"•"``, because children × share, or children − without, give the count back.
4. **Few inhabitants** (1–2): the inhabitants count is ``"< 3"``.
5. **Districts under the classification threshold** (default 300 inhabitants) get no status class
   ("nicht klassifiziert"); their indicator rates, z-values and status index are ``"•"``: rates of tiny
   populations reveal small counts too.
6. **Totals** (key figures on the report cover) are sums over the districts whose value is shown; districts
   with a suppressed value are left out of the total and the number left out is named, so no total minus the
   shown values gives a suppressed count back. Shares on the cover are whole percentages over those districts.

Counts of offers (facilities) are not personal data and are always shown. Maps draw districts with a
suppressed value as "nicht ausgewiesen (Datenschutz)", never in a value class, and the gap table replaces
the reason of such a row, whose percentage would reveal the count.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis import Result, column
from geo.analysis.dynamics import DYNAMIC_COLUMNS
from geo.analysis.need import IN_NEED_CLASSES
from geo.formatting import MINUS, format_number

SMALL: Final[str] = f"< {settings.MIN_COUNT_SHOWN}"
HIDDEN: Final[str] = "•"
HIDDEN_MEANING: Final[str] = "• = aus Datenschutzgründen nicht ausgewiesen"
#: Worded for people, not children: reach may be measured for inhabitants (:mod:`geo.analysis.population`).
HIDDEN_REASON: Final[str] = "Angaben aus Datenschutzgründen nicht ausgewiesen (weniger als 3 Personen betroffen)"

_RULE_TEXT: Final[str] = (
    f"Personenzahlen von 1 bis {settings.MIN_COUNT_SHOWN - 1} werden als „{SMALL}“ ausgewiesen, Nullen als 0. "
    "Werte, aus denen sich eine so verdeckte Zahl zurückrechnen ließe, stehen als „•“: bei weniger als 3 Personen "
    "im Sozialraum alle Reichweitenwerte und der Medianweg; bei 1–2 Personen ohne oder mit Angebot in Reichweite "
    "der Anteil in Reichweite (und die Zahl ohne Angebot in Reichweite). Sozialräume unter {min_inh} Einwohnern "
    "werden nicht klassifiziert; ihre Indikatorwerte und ihr Statusindex werden nicht ausgewiesen. Summen auf dem "
    "Deckblatt enthalten nur Sozialräume mit ausgewiesenem Wert (die Zahl der ausgelassenen Sozialräume steht "
    "dabei). In Karten erscheinen solche Sozialräume als „nicht ausgewiesen (Datenschutz)“. Angebotszahlen "
    "sind keine Personendaten und werden immer gezeigt."
)


def rule_text(min_inhabitants: int | None = None) -> str:
    """The suppression rule in German, for the methods page and the XLSX explanations.

    ``min_inhabitants`` defaults to :data:`geo.settings.MIN_INHABITANTS_FOR_CLASS`, read at call time.
    """
    if min_inhabitants is None:
        min_inhabitants = settings.MIN_INHABITANTS_FOR_CLASS
    return _RULE_TEXT.format(min_inh=min_inhabitants)


def _threshold(threshold: int | None) -> int:
    """The given threshold, or :data:`geo.settings.MIN_COUNT_SHOWN` as it is now (tests and users may change it)."""
    return settings.MIN_COUNT_SHOWN if threshold is None else threshold


def _small(values: np.ndarray, threshold: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(values) & (values > 0) & (values < threshold)


@dataclass(frozen=True)
class ReachCodes:
    """Display codes ("" = show, :data:`SMALL`, :data:`HIDDEN`) for one offer type's reach values."""

    children: np.ndarray
    without: np.ndarray
    share: np.ndarray
    median: np.ndarray


def reach_codes(
    children: np.ndarray, without: np.ndarray, *, threshold: int | None = None
) -> ReachCodes:
    """Numeric core of rules 1–3 for arrays of children and children without reach (same length).

    ``without`` may be NaN where no share exists (then there is nothing to reveal).
    """
    threshold = _threshold(threshold)
    # whole people: an estimated target group (4/18 of the children 0–17) is fractional, and 5,333.33 children
    # with 5,333 out of reach must not count as 0.33 "in reach", a small number to hide
    children = np.round(np.asarray(children, dtype=float))
    without = np.round(np.asarray(without, dtype=float))
    with np.errstate(invalid="ignore"):
        within = children - without
    few_children = _small(children, threshold)
    few_without = _small(without, threshold)
    few_within = _small(within, threshold)
    empty = np.full(len(children), "", dtype=object)
    code_children = np.where(few_children, SMALL, empty)
    code_without = np.where(few_without, SMALL, np.where(few_children | few_within, HIDDEN, empty))
    code_share = np.where(few_children | few_without | few_within, HIDDEN, empty)
    code_median = np.where(few_children, HIDDEN, empty)
    return ReachCodes(code_children, code_without, code_share, code_median)


def indicator_columns(result: Result) -> list[str]:
    """The indicator columns of ``result.districts``: the status index's first, then every other indicator.

    Rule 5 hides all of them for a Sozialraum that is not classified, not only those of the index.
    """
    d = result.districts
    counts = {settings.INHABITANTS, settings.CHILDREN, result.population.column}
    structural = {settings.DISTRICT_ID, settings.DISTRICT_NAME, settings.AREA_ID, settings.AREA_NAME,
                  d.geometry.name, "classified", "status_class", "index_sum", "status_index", *counts,
                  *DYNAMIC_COLUMNS}
    others = [c for c in d.columns if c not in structural and c not in result.weights and "__" not in c
              and not str(c).startswith(("z_", "dyn_")) and pd.api.types.is_numeric_dtype(d[c])]
    return [k for k in result.weights if k in d] + others


def _target_counts(result: Result, offer_type: str) -> np.ndarray:
    """Per district the people reach of ``offer_type`` is measured for (its target group, else the population)."""
    d = result.districts
    name = column("target", offer_type)
    return d[name if name in d else result.population.column].to_numpy(dtype=float)


def district_codes(result: Result, *, threshold: int | None = None) -> pd.DataFrame:
    """Display code of every protected cell of ``result.districts`` (same index, columns as there).

    Columns covered: inhabitants, children, every indicator column (:func:`indicator_columns`), ``z_<key>``,
    ``index_sum``, ``status_index``, the Dynamik (``dyn_<key>``, ``dynamic_index_sum``, ``dynamic_index``: "•"
    where the district has no Dynamik class), and per offer type ``target``, ``share_in_reach``, ``without_reach``,
    ``median_distance_m`` (rules 1–3 for the type's target group). A code is ``""`` where the value may be shown.
    """
    threshold = _threshold(threshold)
    d = result.districts
    codes = pd.DataFrame(index=d.index)
    for count in {settings.INHABITANTS, settings.CHILDREN} & set(d.columns):
        codes[count] = np.where(_small(d[count], threshold), SMALL, "")
    children = d[result.population.column].to_numpy(dtype=float)  # whom reach is measured for
    codes[result.population.column] = np.where(_small(children, threshold), SMALL, "")
    unclassified = ~d["classified"].to_numpy(dtype=bool) if "classified" in d else np.zeros(len(d), bool)
    need_columns = [*indicator_columns(result), *(f"z_{k}" for k in result.weights if f"z_{k}" in d)]
    need_columns += [c for c in ("index_sum", "status_index") if c in d]
    for name in need_columns:
        codes[name] = np.where(unclassified, HIDDEN, "")
    if "dynamic_classified" in d:  # the Dynamik of a district without a Dynamik class (e.g. too few inhabitants)
        no_dynamic = ~d["dynamic_classified"].to_numpy(dtype=bool)
        for name in [c for c in d.columns if c.startswith("dyn_")] + ["dynamic_index_sum", "dynamic_index"]:
            codes[name] = np.where(no_dynamic & d[name].notna().to_numpy(), HIDDEN, "")
    for t in result.offer_types:
        target = _target_counts(result, t)  # rules 1-3 for the type's target group (e.g. the births)
        rc = reach_codes(target, d[column("without_reach", t)].to_numpy(dtype=float), threshold=threshold)
        if column("target", t) in d:
            codes[column("target", t)] = rc.children
        codes[column("share_in_reach", t)] = rc.share
        codes[column("without_reach", t)] = rc.without
        codes[column("median_distance_m", t)] = rc.median
    return codes.astype(object)


def apply_codes(values: pd.Series, codes: pd.Series | np.ndarray) -> pd.Series:
    """``values`` with every coded cell replaced by its code; object dtype when anything was replaced."""
    codes = np.asarray(codes, dtype=object)
    if not (codes != "").any():
        return values
    out = values.astype(object).copy()
    out[codes != ""] = codes[codes != ""]
    return out


def protect_gaps(gaps: pd.DataFrame, *, threshold: int | None = None) -> pd.DataFrame:
    """The ranked gap table (:attr:`Result.gaps`) with rules 1–3 applied row by row.

    ``population``, ``without_reach``, ``share_in_reach`` and ``median_distance_m`` become object
    columns where a cell is coded; the ``reason`` of a row with a suppressed share is replaced by
    :data:`HIDDEN_REASON` (its percentage would give the count back).
    """
    out = gaps.copy()
    if out.empty:
        return out
    rc = reach_codes(
        out["population"].to_numpy(dtype=float), out["without_reach"].to_numpy(dtype=float),
        threshold=threshold,
    )
    out["population"] = apply_codes(out["population"], rc.children)
    out["without_reach"] = apply_codes(out["without_reach"], rc.without)
    out["share_in_reach"] = apply_codes(out["share_in_reach"], rc.share)
    out["median_distance_m"] = apply_codes(out["median_distance_m"], rc.median)
    out["reason"] = np.where(rc.share != "", HIDDEN_REASON, out["reason"].astype(object).to_numpy())
    return out


@dataclass(frozen=True)
class Total:
    """A published total: the sum over the districts whose value is shown, and how many were left out."""

    value: float
    left_out: int


def protected_totals(result: Result, *, threshold: int | None = None) -> dict[str, Total]:
    """Key figures for the report cover and the pages under rule 6.

    Keys: ``districts``, ``districts_in_need``, ``population``, ``population_in_need`` and per offer type
    ``share_in_need_reached__<type>`` (0–1, over in-need districts with shown share; NaN if none),
    ``in_need_reached__<type>`` (people in reach summed over the same districts) and
    ``gap_districts__<type>``.
    """
    d = result.districts
    codes = district_codes(result, threshold=threshold)
    in_need = d["status_class"].isin(IN_NEED_CLASSES).to_numpy()
    children = d[result.population.column].to_numpy(dtype=float)
    shown_children = (codes[result.population.column] == "").to_numpy()
    out = {
        "districts": Total(float(len(d)), 0),
        "districts_in_need": Total(float(in_need.sum()), 0),
        "population": Total(float(children[shown_children].sum()), int((~shown_children).sum())),
        "population_in_need": Total(
            float(children[shown_children & in_need].sum()), int((~shown_children & in_need).sum())
        ),
    }
    for t in result.offer_types:
        share = d[column("share_in_reach", t)].to_numpy(dtype=float)
        target = _target_counts(result, t)
        usable = in_need & (codes[column("share_in_reach", t)] == "").to_numpy() & np.isfinite(share)
        denominator = target[usable].sum()
        value = float((target[usable] * share[usable]).sum() / denominator) if denominator > 0 else float("nan")
        out[column("share_in_need_reached", t)] = Total(value, int((in_need & ~usable).sum()))
        out[column("in_need_reached", t)] = Total(
            float((target[usable] * share[usable]).sum()), int((in_need & ~usable).sum())
        )
        out[column("gap_districts", t)] = Total(float(d[column("gap", t)].sum()), 0)
    return out


def protected_sum(values: pd.Series | np.ndarray) -> Total:
    """Rule 6 for a column of protected values (numbers and codes): the sum of the numbers, codes left out.

    For totals under a protected table (e.g. the children without reach of the gap rows a page lists).
    """
    values = pd.Series(np.asarray(values, dtype=object))
    coded = values.map(lambda v: isinstance(v, str)).to_numpy(dtype=bool)
    numbers = pd.to_numeric(values[~coded], errors="coerce").to_numpy(dtype=float)
    return Total(float(np.nansum(numbers)) if len(numbers) else 0.0, int(coded.sum()))


def signed_count(value: float) -> str:
    """A change of people in German: ``+1.240``, ``−12``, ``±0``; 1 or 2 people as ``+< 3`` (rule 1)."""
    rounded = round(float(value))
    if rounded == 0:
        return "±0"
    sign = "+" if rounded > 0 else MINUS
    return sign + (SMALL if abs(rounded) < settings.MIN_COUNT_SHOWN else format_number(abs(rounded)))
