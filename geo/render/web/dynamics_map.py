"""Change on the web map: the MSS Dynamik and Gesamtindex layers and the change map of any indicator.

Three variables of :mod:`geo.render.web.map_data` with classes of their own (no classification scheme):

- :data:`DYNAMIC`: the Dynamik class of each district (:data:`geo.analysis.dynamics.DYNAMIC_CLASSES`);
- :data:`OVERALL`: the Gesamtindex, status × dynamik, 12 classes with a 4 × 3 legend grid;
- :data:`CHANGE`: the change of one indicator between two stored years (:func:`geo.analysis.trends.change`) in five
  diverging classes oriented by the indicator's direction (brown = the situation got worse, teal = better).

The first two outline the districts *mit besonderem Aufmerksamkeitsbedarf*
(:func:`~geo.analysis.dynamics.needs_attention`).
Every text this module returns is HTML-escaped: district names, indicator labels and reasons are user text.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis import Result, trends
from geo.analysis.dynamics import (
    DYNAMIC_BOUNDS,
    DYNAMIC_CLASSES,
    DYNAMIC_SIGNS,
    OVERALL_CLASSES,
    attention_rule_text,
    dynamic_key,
    needs_attention,
)
from geo.analysis.need import NOT_CLASSIFIED, STATUS_CLASSES
from geo.analysis.protect import HIDDEN
from geo.analysis.trends import TREND_TOLERANCE, change_unit
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.render import palette
from geo.render.web.symbols import esc

#: Map variable keys of the three layers.
DYNAMIC: Final[str] = "dynamic_class"
OVERALL: Final[str] = "overall_class"
CHANGE: Final[str] = "indicator_change"
#: Their names in the Karte's choice of the fill ("Flächenfarbe").
LABELS: Final[dict[str, str]] = {
    DYNAMIC: "Dynamik (MSS)",
    OVERALL: "Gesamtindex (Status × Dynamik)",
    CHANGE: "Veränderung eines Indikators",
}
#: Name of the attention outline in the legend and the map's layer switch.
ATTENTION_LABEL: Final[str] = "Besonderer Aufmerksamkeitsbedarf"
#: Most frequent reasons for a missing class named in the legend (the tooltip names each district's own).
MAX_REASONS: Final[int] = 3
#: Steps a change map's class bound is rounded up to (times a power of ten).
_NICE: Final[tuple[float, ...]] = (1.0, 2.0, 2.5, 5.0, 10.0)


@dataclass(frozen=True)
class ChangeChoice:
    """What a change map shows: indicator ``key`` from ``year_from`` to ``year_to``."""

    key: str
    year_from: int
    year_to: int


@dataclass(frozen=True)
class Layer:
    """A change layer as the map draws it: plain legend texts (the legend escapes them), HTML tooltips and grid.

    Attributes
    ----------
    classes
        Class number per district (row order of ``result.districts``), ``-1`` without class.
    labels, colors
        Legend label and fill colour per class.
    title, subtitle, no_class_text, note
        Legend texts (``no_class_text`` names the districts without class; ``note`` ends the legend).
    tips
        Per district the lines its tooltip gets (HTML, every user text escaped).
    grid
        Legend HTML that replaces the list of classes (the Gesamtindex's 4 × 3 grid), or "".
    attention
        Per district whether it is outlined as *mit besonderem Aufmerksamkeitsbedarf* (``None``: no outline).
    attention_legend
        The legend section of that outline (with the rule), or "".
    """

    classes: np.ndarray
    labels: list[str]
    colors: list[str]
    title: str
    subtitle: str
    no_class_text: str
    note: str
    tips: list[str]
    grid: str = ""
    attention: np.ndarray | None = None
    attention_legend: str = ""


def available(dataset: Dataset) -> list[str]:
    """The layers the Karte offers: Dynamik and Gesamtindex always, the change map with two stored years."""
    return [DYNAMIC, OVERALL] + ([CHANGE] if change_indicators(dataset) else [])


def change_indicators(dataset: Dataset) -> list[str]:
    """Indicator keys (definition order) with a value in at least two stored years; ready-made changes excluded."""
    table = dataset.indicators
    if table is None or not len(table) or settings.YEAR not in table:
        return []
    definitions = dataset.indicator_definitions
    out = []
    for key, row in definitions.iterrows():
        if key not in table or str(row.get("kind", "status")) == "dynamik":
            continue
        values = pd.to_numeric(table[key], errors="coerce")
        if table.loc[values.notna(), settings.YEAR].nunique() >= 2:
            out.append(str(key))
    return out


def indicator_years(dataset: Dataset, key: str) -> list[int]:
    """The stored years (ascending) in which indicator ``key`` has at least one value."""
    table = dataset.indicators
    if table is None or key not in table:
        return []
    values = pd.to_numeric(table[key], errors="coerce")
    return sorted(int(y) for y in table.loc[values.notna(), settings.YEAR].unique())


def default_change(result: Result, dataset: Dataset) -> ChangeChoice | None:
    """The first change map offered: the first indicator, to the analysis year.

    From the Dynamik's base year (else the latest year before) to the analysis year where the indicator has values
    then, else between its last two years.
    """
    keys = change_indicators(dataset)
    if not keys:
        return None
    years = indicator_years(dataset, keys[0])
    to = result.year if result.year in years else years[-1]
    base = result.dynamics.base_year if result.dynamics is not None else None
    earlier = [y for y in years if y < to] or [years[0]]
    return ChangeChoice(keys[0], base if base in earlier else earlier[-1], to)


def _unit(definitions: pd.DataFrame, key: str) -> str:
    """The unit of an indicator definition ("" for none)."""
    value = definitions.at[key, "unit"] if "unit" in definitions else ""
    return "" if value is None or (isinstance(value, float) and value != value) else str(value)


def _plain(value: float) -> str:
    """A bound as short German text: ``1``, ``2,5``, ``0,25`` (no trailing zeros)."""
    text = format_number(value, 2)
    return text.rstrip("0").rstrip(",") if "," in text else text


def change_step(changes: np.ndarray) -> float:
    """The bound between a small and a large change.

    The median size of the changes beyond the tolerance, rounded up to 1, 2, 2,5 or 5 times a power of ten (1 when
    nothing changed).
    """
    sizes = np.abs(changes[np.isfinite(changes)])
    sizes = sizes[sizes >= TREND_TOLERANCE]
    if not len(sizes):
        return 1.0
    median = float(np.median(sizes))
    power = 10.0 ** np.floor(np.log10(median))
    return float(next(n * power for n in _NICE if n * power >= median - 1e-12))


def change_classes(changes: np.ndarray, direction: int, step: float) -> np.ndarray:
    """Class per change in :data:`geo.render.palette.DIVERGING` order (-1 without value).

    0 = the situation got worse by more than ``step``, 1 = worse by up to ``step``, 2 = unchanged (smaller than
    :data:`geo.analysis.trends.TREND_TOLERANCE`, as the trend arrows), 3 = better by up to ``step``, 4 = better
    by more. ``direction`` +1: a rise means more need (worse).
    """
    c = np.asarray(changes, dtype=float)
    worse = np.sign(c) == (1 if direction > 0 else -1)
    big = np.abs(c) > step
    out = np.where(worse, np.where(big, 0, 1), np.where(big, 4, 3))
    out = np.where(np.abs(c) < TREND_TOLERANCE, 2, out)
    return np.where(np.isfinite(c), out, -1).astype(int)


def _bound_text(value: float, unit: str) -> str:
    if unit == "Prozentpunkte":
        unit = "Prozentpunkt" if value == 1 else unit
    return f"{_plain(value)} {unit}".strip()


def change_labels(step: float, unit: str) -> list[str]:
    """Legend labels of :func:`change_classes` in the change's ``unit`` (:func:`change_unit`)."""
    big, tolerance = _bound_text(step, unit), _bound_text(TREND_TOLERANCE, unit)
    return [f"Lage verschlechtert: um mehr als {big}", f"Lage verschlechtert: um bis zu {big}",
            f"unverändert (weniger als {tolerance})", f"Lage verbessert: um bis zu {big}",
            f"Lage verbessert: um mehr als {big}"]


def _year_rows(dataset: Dataset, year: int, ids: pd.Index) -> pd.DataFrame:
    table = dataset.indicators
    rows = table[table[settings.YEAR].astype(int) == int(year)].copy()
    rows.index = rows[settings.DISTRICT_ID].astype(str).str.strip()
    return rows[~rows.index.duplicated()].reindex(ids)


def _numbers(rows: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float) if column in rows else np.full(
        len(rows), np.nan)


@dataclass(frozen=True)
class ChangeValues:
    """A change map's numbers per district: both years' values, the change (NaN where not shown) and why not."""

    before: np.ndarray
    after: np.ndarray
    change: np.ndarray
    reasons: list[str]
    protected: np.ndarray


def change_values(result: Result, dataset: Dataset, choice: ChangeChoice) -> ChangeValues:
    """Values of ``choice`` per district of ``result``, protected as the indicator itself is.

    A rate of a district with fewer than ``result.min_inhabitants`` inhabitants in either year (or no
    inhabitants stated in either) is not shown (:mod:`geo.analysis.protect`, rule 5): its change is NaN and
    ``protected`` is True. A district without a value in one of the years gets the reason "kein Wert <year>".
    """
    ids = pd.Index(result.districts[settings.DISTRICT_ID].astype(str).str.strip())
    before_rows, after_rows = _year_rows(dataset, choice.year_from, ids), _year_rows(dataset, choice.year_to, ids)
    inh = np.column_stack([_numbers(before_rows, settings.INHABITANTS), _numbers(after_rows, settings.INHABITANTS)])
    known = np.isfinite(inh)
    few = ((known & (inh < result.min_inhabitants)).any(axis=1)) | ~known.any(axis=1)
    values = trends.change(dataset.indicators, choice.key, choice.year_from, choice.year_to, ids)
    before, after = _numbers(before_rows, choice.key), _numbers(after_rows, choice.key)
    reasons = []
    for i in range(len(ids)):
        missing = [str(y) for y, v in ((choice.year_from, before[i]), (choice.year_to, after[i])) if not np.isfinite(v)]
        if few[i]:
            reasons.append(f"weniger als {format_number(result.min_inhabitants)} Einwohner (Datenschutz)"
                           if known[i].any() else "keine Einwohnerzahl (Datenschutz)")
        else:
            reasons.append(f"kein Wert {' und '.join(missing)}" if missing else "")
    return ChangeValues(before, after, np.where(few, np.nan, values), reasons, few)


# -------------------------------------------------------------------------------------------------- legends


def _reason_note(reasons: list[str], classes: np.ndarray) -> str:
    """The most frequent reasons of the districts without class, with counts."""
    counted = Counter(r for r, c in zip(reasons, classes, strict=True) if c < 0 and r)
    parts = [f"{reason} ({n})" for reason, n in counted.most_common(MAX_REASONS)]
    return f"Ohne Klasse, weil: {'; '.join(parts)}." if parts else ""


def _text_color(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (relative luminance, WCAG)."""
    rgb = [int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def _attention_pairs() -> set[tuple[str, str]]:
    """The (status, dynamik) cells of the grid the attention rule (:func:`needs_attention`) covers."""
    cells = [(s, d) for s in STATUS_CLASSES for d in DYNAMIC_CLASSES]
    covered = needs_attention([s for s, _ in cells], [d for _, d in cells])
    return {cell for cell, yes in zip(cells, covered, strict=True) if yes}


def overall_grid(counts: list[int]) -> str:
    """The Gesamtindex legend: a 4 × 3 table, rows status hoch … sehr niedrig, columns dynamik positiv … negativ.

    Each cell has the class colour and the number of districts (``counts`` in
    :data:`~geo.analysis.dynamics.OVERALL_CLASSES` order); cells the attention rule covers are outlined.
    """
    attention = _attention_pairs()
    head = "".join(f"<th>{esc(DYNAMIC_SIGNS[d])}<br>{esc(d)}</th>" for d in DYNAMIC_CLASSES)
    rows = [f"<tr><th class='pa-gc'>Status ↓ · Dynamik →</th>{head}</tr>"]
    for i, s in enumerate(STATUS_CLASSES):
        cells = []
        for j, d in enumerate(DYNAMIC_CLASSES):
            fill = palette.OVERALL_GRID[i][j]
            label = OVERALL_CLASSES[3 * i + j]
            mark = (" pa-ga", f";outline-color:{palette.ATTENTION_COLOR}") if (s, d) in attention else ("", "")
            cells.append(f"<td class='pa-gv{mark[0]}' style='background:{fill};color:{_text_color(fill)}{mark[1]}' "
                         f"title='{esc(label)} ({esc(i + 1)} {esc(DYNAMIC_SIGNS[d])})'>{counts[3 * i + j]}</td>")
        name = s.removeprefix("Status ")
        rows.append(f"<tr><th class='pa-gr'>{i + 1} {esc(name)}</th>{''.join(cells)}</tr>")
    return f"<table class='pa-grid'>{''.join(rows)}</table>"


def _attention_legend(attention: np.ndarray) -> str:
    return (f"<div class='pa-lt'>{esc(ATTENTION_LABEL)}</div>"
            f"<div class='pa-lr'><span class='pa-sw pa-sw-att' style='border-color:{palette.ATTENTION_COLOR}'></span>"
            f"<span>dick umrandet <span class='pa-n'>({int(attention.sum())})</span></span></div>"
            f"<div class='pa-ls'>{esc('Regel: ' + attention_rule_text())}</div>")


# ---------------------------------------------------------------------------------------------------- layers


def _period(result: Result) -> str:
    return result.dynamics.period if result.dynamics is not None else str(result.year)


def _dynamic_tips(result: Result, dataset: Dataset, codes: pd.DataFrame) -> list[str]:
    """Tooltip lines per district.

    Dynamik index and class, Gesamtindex with its code and each indicator's change, or the reason without a class;
    the attention flag.
    """
    d = result.districts
    definitions = dataset.indicator_definitions
    weights = result.dynamics.weights if result.dynamics is not None else {}
    changes = [(dynamic_key(k), f"Veränderung {esc(definitions.at[k, 'label'])}", change_unit(_unit(definitions, k)))
               for k in weights if dynamic_key(k) in d and k in definitions.index]
    columns = [c for c in ("dynamic_classified", "dynamic_index", "dynamic_class", "overall_class", "overall_code",
                           "dynamic_reason", "attention") if c in d] + [name for name, _, _ in changes]
    code_rows = codes[[name for name, _, _ in changes if name in codes]].to_dict("records")
    head = f"<tr><th colspan='2'>Dynamik {esc(_period(result))}</th></tr>"
    tips = []
    for row, code in zip(d[columns].to_dict("records"), code_rows, strict=True):
        rows = []
        if bool(row.get("dynamic_classified", False)):
            rows.append(("Dynamikindex", format_number(float(row["dynamic_index"]), 2, signed=True)))
            rows.append(("Dynamikklasse", esc(row["dynamic_class"])))
            if row["overall_class"]:
                rows.append(("Gesamtindex", f"{esc(row['overall_class'])} ({esc(row['overall_code'])})"))
            for name, label, unit in changes:
                shown = code.get(name, "")
                rows.append((label, esc(shown) if shown else format_number(float(row[name]), 1, signed=True,
                                                                          unit=unit)))
        else:
            rows.append(("Dynamikklasse", esc(NOT_CLASSIFIED)))
            if row.get("dynamic_reason"):
                rows.append(("ohne Klasse, weil", esc(row["dynamic_reason"])))
        if bool(row.get("attention", False)):
            rows.append((esc(ATTENTION_LABEL), "ja"))
        cells = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
        tips.append(f"<table>{head}{cells}</table>")
    return tips


def _dynamic_layer(result: Result, dataset: Dataset, codes: pd.DataFrame, key: str) -> Layer:
    d = result.districts
    computed = result.dynamics is not None and result.dynamics.computed
    note = result.dynamics.note if result.dynamics is not None else "Keine Dynamik berechnet."
    reasons = [str(r or "") for r in d.get("dynamic_reason", pd.Series([""] * len(d)))]
    attention = d["attention"].to_numpy(dtype=bool) if "attention" in d else np.zeros(len(d), dtype=bool)
    tips = _dynamic_tips(result, dataset, codes)
    period = _period(result)
    if key == DYNAMIC:
        values = d["dynamic_class"].to_numpy() if "dynamic_class" in d else np.full(len(d), NOT_CLASSIFIED)
        classes = np.array([DYNAMIC_CLASSES.index(v) if v in DYNAMIC_CLASSES else -1 for v in values], dtype=int)
        low, high = (format_number(b, 0, signed=True) for b in DYNAMIC_BOUNDS)
        labels = [f"Dynamik positiv (Index unter {low})", f"Dynamik stabil ({low} bis {high})",
                  f"Dynamik negativ (Index über {high})"]
        colors = [palette.DYNAMIC_COLORS[c] for c in DYNAMIC_CLASSES]
        title, grid = f"Dynamik {period} (Dynamikindex)", ""
        subtitle = "MSS-Dynamikklassen · braun = Lage verschlechtert sich, türkis = verbessert sich"
    else:
        values = d["overall_class"].to_numpy() if "overall_class" in d else np.full(len(d), "")
        classes = np.array([OVERALL_CLASSES.index(v) if v in OVERALL_CLASSES else -1 for v in values], dtype=int)
        labels = list(OVERALL_CLASSES)
        colors = [palette.OVERALL_COLORS[c] for c in OVERALL_CLASSES]
        title = f"Gesamtindex {period} (Status × Dynamik)"
        subtitle = f"Statusklasse {result.year} × Dynamikklasse {period}; Zahl = Sozialräume"
        grid = overall_grid([int((classes == i).sum()) for i in range(len(labels))])
    no_class = "nicht klassifiziert" if computed else "nicht klassifiziert (keine Dynamik berechnet)"
    notes = [n for n in (_reason_note(reasons, classes), note) if n]
    return Layer(classes, labels, colors, title, subtitle, no_class, " ".join(notes), tips, grid, attention,
                 _attention_legend(attention))


def _change_tip(values: ChangeValues, i: int, label: str, unit: str, change_u: str, direction: int,
                choice: ChangeChoice) -> str:
    def value(v: float) -> str:
        return HIDDEN if values.protected[i] else format_number(v, 1, unit=unit)

    c = values.change[i]
    if np.isfinite(c):
        meaning = trends.trend(c, direction).meaning
        shown = f"{format_number(c, 1, signed=True, unit=change_u)} ({esc(meaning)})"
    else:
        shown = HIDDEN if values.protected[i] else "–"
    rows = [(str(choice.year_from), value(values.before[i])), (str(choice.year_to), value(values.after[i])),
            ("Veränderung", shown)]
    if values.reasons[i]:
        rows.append(("ohne Veränderung, weil", esc(values.reasons[i])))
    cells = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return f"<table><tr><th colspan='2'>{esc(label)}</th></tr>{cells}</table>"


def _change_layer(result: Result, dataset: Dataset, choice: ChangeChoice | None) -> Layer:
    n = len(result.districts)
    definitions = dataset.indicator_definitions
    if choice is None or choice.key not in definitions.index or choice.year_from == choice.year_to:
        why = ("Für die Veränderung zwei verschiedene Jahre wählen." if choice is not None
               and choice.year_from == choice.year_to else "Keine Indikatorwerte aus zwei Jahren gespeichert.")
        return Layer(np.full(n, -1), [], [], LABELS[CHANGE], "", "ohne Veränderung", why, [""] * n)
    row = definitions.loc[choice.key]
    unit = _unit(definitions, choice.key)
    direction = int(row["direction"])
    values = change_values(result, dataset, choice)
    step = change_step(values.change)
    change_u = change_unit(unit)
    classes = change_classes(values.change, direction, step)
    label = f"{row['label']} {choice.year_from}–{choice.year_to}"
    rising = "höher = mehr Bedarf" if direction > 0 else "höher = weniger Bedarf"
    unit_text = " in Prozentpunkten" if change_u == "Prozentpunkte" else f" ({change_u})" if change_u else ""
    subtitle = (f"Wert {choice.year_to} minus Wert {choice.year_from}{unit_text}, {rising} · braun = verschlechtert, "
                "türkis = verbessert")
    tips = [_change_tip(values, i, f"Veränderung {label}", unit, change_u, direction, choice) for i in range(n)]
    no_class = (f"ohne Veränderung (kein Wert in beiden Jahren oder unter {format_number(result.min_inhabitants)} "
                "Einwohnern)")
    return Layer(classes, change_labels(step, change_u), list(palette.DIVERGING), f"Veränderung {label}", subtitle,
                 no_class, _reason_note(values.reasons, classes), tips)


def layer(result: Result, dataset: Dataset, key: str, *, codes: pd.DataFrame,
          change: ChangeChoice | None = None) -> Layer:
    """The layer of variable ``key`` (:data:`DYNAMIC`, :data:`OVERALL` or :data:`CHANGE`).

    Parameters
    ----------
    result, dataset
        The analysis and its data set.
    key
        Which layer.
    codes
        :func:`geo.analysis.protect.district_codes` of ``result`` (the Dynamik of a district without class is "•").
    change
        The indicator and years of the change map (default :func:`default_change`).

    Returns
    -------
    Layer
        Without a Dynamik index (``result.dynamics.computed`` False) every district has no class and the legend
        says why (the Dynamik's note): the map is grey, never blank.
    """
    if key == CHANGE:
        return _change_layer(result, dataset, change or default_change(result, dataset))
    if key in (DYNAMIC, OVERALL):
        return _dynamic_layer(result, dataset, codes, key)
    raise ValueError(f"Unknown change layer {key!r}")
