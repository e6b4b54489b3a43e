"""Dynamik and Gesamtindex in the style of Berlin's Monitoring Soziale Stadtentwicklung (MSS).

The MSS pairs the *status* of a district (how it is, :mod:`geo.analysis.need`) with its *dynamik* (how it
changes). Its steps, as implemented here:

1. **Dynamik indicators**: per indicator of the Dynamik index the change over the period, ``value(year) −
   value(base year)`` (percentage points for indicators in %), computed from two stored years; or a column a
   city supplies ready-made (an indicator of kind ``dynamik`` in the year's table).
2. **Dynamikindex**: every dynamik indicator is z-standardised over the districts with at least
   ``min_inhabitants`` inhabitants in both years and values for all indicators (population standard deviation),
   oriented (positive = the situation gets worse: e.g. the SGB-II share rises), summed with the weights and the
   sum standardised again: the same numeric core as the status index.
3. **Dynamikklasse**: *positiv* below −1, *stabil* from −1 to +1, *negativ* above +1 (:data:`DYNAMIC_BOUNDS`).
4. **Gesamtindex**: status class × dynamik class, 12 combinations ("Status niedrig, Dynamik negativ"), with the
   MSS's combined code ("3 −": status 1 hoch … 4 sehr niedrig, dynamik ``+``, ``+/−``, ``−``).
5. **Besonderer Aufmerksamkeitsbedarf** (:data:`geo.settings.ATTENTION_RULE`): by default status *niedrig* or
   *sehr niedrig* whatever the dynamik, or status *mittel* with dynamik *negativ*.

A district without a dynamik class gets the reason in ``dynamic_reason``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.need import NOT_CLASSIFIED, STATUS_CLASSES, standardised_index
from geo.formatting import MINUS

#: Dynamik classes of the MSS, from improving to worsening.
DYNAMIC_CLASSES: Final[tuple[str, ...]] = ("positiv", "stabil", "negativ")
#: Class bounds of the standardised Dynamik index: positiv < −1 ≤ stabil ≤ +1 < negativ.
DYNAMIC_BOUNDS: Final[tuple[float, float]] = (-1.0, 1.0)
#: The MSS's sign of each Dynamik class in the combined code.
DYNAMIC_SIGNS: Final[dict[str, str]] = {"positiv": "+", "stabil": f"+/{MINUS}", "negativ": MINUS}
#: Kinds of indicator definitions: ``status`` (a state, its change can enter the Dynamik index) or ``dynamik``
#: (already a change over a period, supplied ready-made; never in the status index).
KINDS: Final[dict[str, str]] = {"status": "Status-Indikator", "dynamik": "Dynamik-Indikator (Veränderung)"}

#: Columns this module adds to the districts of an analysis (``dyn_<key>``: each dynamik indicator's change).
DYNAMIC_COLUMNS: Final[tuple[str, ...]] = (
    "dynamic_index_sum", "dynamic_index", "dynamic_class", "dynamic_classified", "dynamic_reason", "overall_class",
    "overall_code", "attention",
)


def dynamic_key(key: str) -> str:
    """Column of an indicator's change in the districts: ``dyn_<key>``."""
    return f"dyn_{key}"


def overall_label(status_class: str, dynamic_class: str) -> str:
    """"Status mittel, Dynamik negativ"; "" when either class is missing."""
    if status_class not in STATUS_CLASSES or dynamic_class not in DYNAMIC_CLASSES:
        return ""
    return f"{status_class}, Dynamik {dynamic_class}"


def overall_code(status_class: str, dynamic_class: str) -> str:
    """The MSS code of a combination: "3 −" for status niedrig, dynamik negativ; "" when either class is missing."""
    if status_class not in STATUS_CLASSES or dynamic_class not in DYNAMIC_CLASSES:
        return ""
    return f"{STATUS_CLASSES.index(status_class) + 1} {DYNAMIC_SIGNS[dynamic_class]}"


#: The 12 combinations of the Gesamtindex in order: status hoch … sehr niedrig, each with positiv … negativ.
OVERALL_CLASSES: Final[tuple[str, ...]] = tuple(overall_label(s, d) for s in STATUS_CLASSES for d in DYNAMIC_CLASSES)


def classify_dynamic(index: np.ndarray | pd.Series) -> np.ndarray:
    """Standardised Dynamik index → class (:data:`DYNAMIC_CLASSES`); NaN → :data:`~geo.analysis.need.NOT_CLASSIFIED`."""
    index = np.asarray(index, dtype=float)
    low, high = DYNAMIC_BOUNDS
    return np.select([index < low, index > high, np.isfinite(index)], ["positiv", "negativ", "stabil"],
                     default=NOT_CLASSIFIED).astype(object)


def needs_attention(status_class: Sequence[str] | np.ndarray, dynamic_class: Sequence[str] | np.ndarray,
                    rule: Sequence[tuple[str, str | None]] | None = None) -> np.ndarray:
    """Per district: "mit besonderem Aufmerksamkeitsbedarf" by ``rule`` (default :data:`geo.settings.ATTENTION_RULE`).

    ``rule`` lists (status class, dynamik class) pairs; ``None`` as the dynamik class means any, even none.
    """
    rule = settings.ATTENTION_RULE if rule is None else rule
    status = np.asarray(status_class, dtype=object)
    dynamic = np.asarray(dynamic_class, dtype=object)
    out = np.zeros(len(status), dtype=bool)
    for s, d in rule:
        out |= (status == s) & (True if d is None else dynamic == d)
    return out


def attention_rule_text(rule: Sequence[tuple[str, str | None]] | None = None) -> str:
    """The rule in German.

    E.g. "Status niedrig oder Status sehr niedrig (jede Dynamik), Status mittel mit Dynamik negativ".
    """
    rule = settings.ATTENTION_RULE if rule is None else rule
    any_dynamic = [s for s, d in rule if d is None]
    parts = [" oder ".join(any_dynamic) + " (jede Dynamik)"] if any_dynamic else []
    parts += [f"{s} mit Dynamik {d}" for s, d in rule if d is not None]
    return ", ".join(parts) if parts else "keine Regel"


def default_base_year(years: Sequence[int], year: int) -> int | None:
    """The year the Dynamik of ``year`` starts from.

    ``year −`` :data:`geo.settings.DYNAMIC_PERIOD_YEARS` if stored, else the latest stored year before ``year``;
    ``None`` without an earlier year.
    """
    earlier = sorted(int(y) for y in years if int(y) < int(year))
    if not earlier:
        return None
    wanted = int(year) - settings.DYNAMIC_PERIOD_YEARS
    return wanted if wanted in earlier else earlier[-1]


def default_dynamic_weights(definitions: pd.DataFrame) -> dict[str, float]:
    """Indicator key → weight in the Dynamik index: the definitions' ``dynamic_weight`` where ``in_dynamic``."""
    if "in_dynamic" not in definitions:
        return {}
    return {str(k): float(r["dynamic_weight"]) for k, r in definitions.iterrows()
            if r["in_dynamic"] and float(r["dynamic_weight"]) > 0}


@dataclass(frozen=True)
class Dynamics:
    """How the Dynamik of one analysis was computed.

    Attributes
    ----------
    year, base_year
        The period: changes from ``base_year`` to ``year`` (``base_year`` ``None``: no earlier year stored, only
        ready-made dynamik indicators can be used).
    weights
        Indicator key → weight of the indicators the index was computed from (empty: no Dynamik index).
    ready_made
        The keys among ``weights`` whose change the city supplied (kind ``dynamik``); the others were computed.
    note
        German note for the pages: what was left out, or why no district has a Dynamik class ("" when nothing).
    """

    year: int
    base_year: int | None = None
    weights: dict[str, float] = field(default_factory=dict)
    ready_made: tuple[str, ...] = ()
    note: str = ""

    @property
    def computed(self) -> bool:
        """True when there is a Dynamik index (some districts may still lack a class)."""
        return bool(self.weights)

    @property
    def period(self) -> str:
        """"2022–2024", or the year alone where only ready-made indicators of it are used."""
        return f"{self.base_year}\u2013{self.year}" if self.base_year is not None else str(self.year)


def _label(definitions: pd.DataFrame, key: str) -> str:
    return str(definitions.at[key, "label"]) if key in definitions.index and "label" in definitions else str(key)


def _year_table(indicators: pd.DataFrame, year: int | None, ids: pd.Index) -> pd.DataFrame | None:
    """The rows of ``year`` indexed by district id, reindexed to ``ids`` (``None`` without that year)."""
    if year is None:
        return None
    rows = indicators[indicators[settings.YEAR].astype(int) == int(year)].copy()
    if rows.empty:
        return None
    rows.index = rows[settings.DISTRICT_ID].astype(str).str.strip()
    rows = rows[~rows.index.duplicated()]
    return rows.reindex(ids)


def _number(table: pd.DataFrame | None, key: str, n: int) -> np.ndarray:
    if table is None or key not in table:
        return np.full(n, np.nan)
    return pd.to_numeric(table[key], errors="coerce").to_numpy(dtype=float)


def unclassified_dynamics(index: pd.Index, reason: str, status_class: Sequence[str] | None = None) -> pd.DataFrame:
    """The Dynamik columns for districts that get no Dynamik index, each with ``reason``."""
    n = len(index)
    status = np.asarray(status_class if status_class is not None else [NOT_CLASSIFIED] * n, dtype=object)
    dynamic = np.full(n, NOT_CLASSIFIED, dtype=object)
    return pd.DataFrame({
        "dynamic_index_sum": np.nan, "dynamic_index": np.nan, "dynamic_class": dynamic, "dynamic_classified": False,
        "dynamic_reason": reason, "overall_class": "", "overall_code": "",
        "attention": needs_attention(status, dynamic),
    }, index=index)


def dynamics(
    indicators: pd.DataFrame,
    district_ids: Sequence[str],
    status_class: Sequence[str],
    *,
    definitions: pd.DataFrame,
    year: int,
    base_year: int | None,
    weights: Mapping[str, float] | None = None,
    min_inhabitants: int | None = None,
) -> tuple[pd.DataFrame, Dynamics]:
    """The Dynamik index, its class, the Gesamtindex and the attention flag per district.

    Parameters
    ----------
    indicators
        The indicator table of every stored year (``district_id``, ``year``, ``inhabitants``, indicator columns).
    district_ids, status_class
        The districts of the analysis, in its row order, and their status class (:mod:`geo.analysis.need`).
    definitions
        Indicator definitions (index = key; ``direction``, ``kind``; ``label`` for notes).
    year, base_year
        The period. Status indicators' changes need ``base_year``; ready-made ones (kind ``dynamik``) are read
        from ``year``'s rows.
    weights
        Indicator key → weight in the Dynamik index (default: :func:`default_dynamic_weights`).
    min_inhabitants
        Districts with fewer inhabitants (in either year) get no class; default
        :data:`geo.settings.MIN_INHABITANTS_FOR_CLASS` at call time.

    Returns
    -------
    (pandas.DataFrame, Dynamics)
        Rows in ``district_ids`` order (a plain RangeIndex): ``dyn_<key>`` per indicator used, then
        :data:`DYNAMIC_COLUMNS`; and how it was computed.
    """
    if min_inhabitants is None:
        min_inhabitants = settings.MIN_INHABITANTS_FOR_CLASS
    if weights is None:
        weights = default_dynamic_weights(definitions)
    ids = pd.Index([str(i).strip() for i in district_ids])
    n = len(ids)
    status = np.asarray(status_class, dtype=object)
    now, before = _year_table(indicators, year, ids), _year_table(indicators, base_year, ids)
    notes: list[str] = []
    if before is None and base_year is not None:
        notes.append(f"Für das Jahr {base_year} liegen keine Indikatorwerte vor.")
    chosen, changes, ready_made, left_out = _changes(ids, now, before, definitions, weights)
    if left_out and before is None and chosen:
        notes.append(f"Ohne früheres Jahr nicht im Dynamikindex (ihre Veränderung braucht zwei Jahre): "
                     f"{', '.join(left_out)}.")
    elif left_out and before is not None:
        notes.append(f"Ohne Werte für den Zeitraum und daher nicht im Dynamikindex: {', '.join(left_out)}.")
    info = Dynamics(year=int(year), base_year=base_year if before is not None else None, weights=chosen,
                    ready_made=tuple(ready_made))
    if not chosen:
        reason = ("kein früheres Jahr gespeichert und keine Dynamik-Indikatoren geliefert" if before is None
                  else "kein Indikator des Dynamikindex mit Werten")
        notes.append(f"Kein Dynamikindex: {reason}. Die Dynamik braucht zwei Jahre der Indikatoren oder gelieferte "
                     "Dynamik-Indikatoren.")
        return unclassified_dynamics(pd.RangeIndex(n), reason, status), _with_note(info, notes)

    inhabitants = _number(now, settings.INHABITANTS, n)
    inhabitants_before = _number(before, settings.INHABITANTS, n)
    values = np.column_stack([changes[k] for k in chosen])
    few = ~(inhabitants >= min_inhabitants) | (np.isfinite(inhabitants_before)
                                              & (inhabitants_before < min_inhabitants))
    complete = np.isfinite(values).all(axis=1)
    eligible = ~few & complete
    reason_text = _reasons(values, few, list(chosen), ready_made, now, definitions, year, base_year,
                           min_inhabitants)
    if eligible.sum() < 2:
        notes.append(f"Zu wenige Sozialräume mit mindestens {min_inhabitants} Einwohnern und vollständigen Werten "
                     "für einen Dynamikindex.")
        out = unclassified_dynamics(pd.RangeIndex(n), "", status)
        out["dynamic_reason"] = np.where(reason_text == "", "zu wenige Sozialräume mit Werten", reason_text)
        return _with_columns(out, changes), _with_note(replace(info, weights={}, ready_made=()), notes)

    directions = np.array([float(definitions.at[k, "direction"]) for k in chosen])
    w = np.array(list(chosen.values()))
    filled = np.where(np.isfinite(values), values, 0.0)
    _, total, index = standardised_index(filled, directions, w, eligible)
    total, index = np.where(eligible, total, np.nan), np.where(eligible, index, np.nan)
    classes = classify_dynamic(index)
    out = pd.DataFrame({
        "dynamic_index_sum": total, "dynamic_index": index, "dynamic_class": classes, "dynamic_classified": eligible,
        "dynamic_reason": reason_text,
        "overall_class": [overall_label(s, d) for s, d in zip(status, classes, strict=True)],
        "overall_code": [overall_code(s, d) for s, d in zip(status, classes, strict=True)],
        "attention": needs_attention(status, classes),
    })
    return _with_columns(out, changes), _with_note(info, notes)


def _changes(ids: pd.Index, now: pd.DataFrame | None, before: pd.DataFrame | None, definitions: pd.DataFrame,
             weights: Mapping[str, float]) -> tuple[dict[str, float], dict[str, np.ndarray], list[str], list[str]]:
    """Per weighted indicator its change (ready-made, or ``now − before``).

    Returns the weights used, the changes, the ready-made keys and the labels left out (no values).
    """
    chosen: dict[str, float] = {}
    changes: dict[str, np.ndarray] = {}
    ready_made: list[str] = []
    left_out: list[str] = []
    for key, weight in weights.items():
        if not weight or key not in definitions.index:
            continue
        kind = str(definitions.at[key, "kind"]) if "kind" in definitions else "status"
        if kind != "dynamik" and before is None:
            left_out.append(_label(definitions, key))
            continue
        n = len(ids)
        # ready-made, or value(year) − value(base year): trends.change on the year tables already made
        values = _number(now, key, n) if kind == "dynamik" else _number(now, key, n) - _number(before, key, n)
        if not np.isfinite(values).any():
            left_out.append(_label(definitions, key))
            continue
        chosen[str(key)], changes[str(key)] = float(weight), values
        if kind == "dynamik":
            ready_made.append(str(key))
    return chosen, changes, ready_made, left_out


def _reasons(values: np.ndarray, few: np.ndarray, keys: list[str], ready_made: list[str], now: pd.DataFrame | None,
             definitions: pd.DataFrame, year: int, base_year: int | None, min_inhabitants: int) -> np.ndarray:
    """Per district why it gets no Dynamik class ("" where it gets one): too few inhabitants, values missing."""
    n = len(few)
    reasons: list[list[str]] = [[] for _ in range(n)]
    for i in np.flatnonzero(few):
        reasons[i].append(f"weniger als {min_inhabitants} Einwohner")
    for j, key in enumerate(keys):
        missing = ~few & ~np.isfinite(values[:, j])
        absent_now = missing if key in ready_made else missing & ~np.isfinite(_number(now, key, n))
        label = _label(definitions, key)
        for i in np.flatnonzero(absent_now):
            reasons[i].append(f"kein Wert {year}: {label}")
        for i in np.flatnonzero(missing & ~absent_now):
            reasons[i].append(f"kein Wert {base_year}: {label}")
    return np.array(["; ".join(r) for r in reasons], dtype=object)


def _with_columns(out: pd.DataFrame, changes: Mapping[str, np.ndarray]) -> pd.DataFrame:
    front = pd.DataFrame({dynamic_key(k): v for k, v in changes.items()}, index=out.index)
    return pd.concat([front, out], axis=1)


def _with_note(info: Dynamics, notes: list[str]) -> Dynamics:
    return replace(info, note=" ".join(notes))
