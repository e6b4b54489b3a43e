"""Print-map content of the Dynamik (three classes) and the Gesamtindex (status × dynamik, a 4 × 3 key).

Both read the columns :func:`geo.analysis.analyse` wrote (``dynamic_class``, ``overall_class``, ``attention``,
:mod:`geo.analysis.dynamics`) and compute nothing. Without a Dynamik index (e.g. one stored year) the Dynamik map
is grey with a note in place of its legend, and the Gesamtindex map shows the status classes with that note.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Final

import numpy as np

from geo.analysis import Result
from geo.analysis.dynamics import DYNAMIC_CLASSES, DYNAMIC_SIGNS, attention_rule_text, overall_label
from geo.analysis.need import NOT_CLASSIFIED, STATUS_CLASSES
from geo.formatting import MINUS, format_number
from geo.render.palette import DYNAMIC_COLORS, OVERALL_COLORS, STATUS_COLORS
from geo.render.print.content_base import (
    EMPHASIS,
    NO_VALUE_STYLE,
    NOT_CLASSIFIED_STYLE,
    LegendItem,
    LegendSection,
    MapContent,
    Style,
)

if TYPE_CHECKING:
    from geo.render.print.content import _Base

#: Map kind → German label (merged into :data:`geo.render.print.content.KINDS`).
DYNAMIC_KINDS: Final[dict[str, str]] = {
    "dynamik": "Dynamik (Veränderung der sozialen Lage)",
    "gesamtindex": "Gesamtindex (Status × Dynamik)",
}
#: Per Dynamik class: the index range and what it means, as the legend says it.
DYNAMIC_MEANINGS: Final[dict[str, str]] = {
    "positiv": f"Index unter {MINUS}1: Lage verbessert sich",
    "stabil": f"{MINUS}1 bis +1: kaum verändert",
    "negativ": "über +1: Lage verschlechtert sich",
}
ATTENTION_TITLE: Final[str] = "Besonderer Aufmerksamkeitsbedarf"
#: Reasons for a missing Dynamik class named in the method note (the others are counted together).
MAX_REASONS: Final[int] = 3


def has_dynamics(result: Result) -> bool:
    """Whether ``result`` has a Dynamik index (some districts may still lack a class)."""
    return result.dynamics is not None and result.dynamics.computed and "dynamic_class" in result.districts


def no_dynamics_note(result: Result) -> str:
    """Why a result has no Dynamik, in German (for the maps, the report and the Export page).

    The districts' common reason where they share one ("kein früheres Jahr gespeichert …"), else the analysis' note.
    """
    d = result.districts
    reasons = {str(r) for r in d["dynamic_reason"] if str(r).strip()} if "dynamic_reason" in d else set()
    if len(reasons) == 1:
        return (f"Kein Dynamikindex: {reasons.pop()}. Die Dynamik braucht zwei gespeicherte Indikatorjahre oder "
                "gelieferte Dynamik-Indikatoren.")
    note = result.dynamics.note if result.dynamics is not None else ""
    return note or "Kein Dynamikindex: die Analyse enthält keine Dynamik."


def attention_mask(result: Result) -> np.ndarray:
    """Per district: besonderer Aufmerksamkeitsbedarf (``attention``; all ``False`` without the column)."""
    d = result.districts
    return d["attention"].to_numpy(dtype=bool) if "attention" in d else np.zeros(len(d), dtype=bool)


def overall_counts(result: Result) -> tuple[list[list[int]], int]:
    """Districts per Gesamtindex cell and those without one.

    Rows are the status classes (hoch … sehr niedrig), columns the Dynamik classes (positiv … negativ), read from
    ``overall_class``; the second value counts the districts with no Gesamtindex (no status or no Dynamik class).
    """
    d = result.districts
    overall = d["overall_class"].astype(str) if "overall_class" in d else None
    grid = [[int((overall == overall_label(s, c)).sum()) if overall is not None else 0 for c in DYNAMIC_CLASSES]
            for s in STATUS_CLASSES]
    return grid, len(d) - sum(map(sum, grid))


def reason_summary(result: Result) -> str:
    """Why districts have no Dynamik class, counted ("3 × weniger als 300 Einwohner; 1 × kein Wert 2022: …")."""
    d = result.districts
    if "dynamic_reason" not in d:
        return ""
    counts = Counter(str(r) for r in d["dynamic_reason"] if str(r).strip())
    parts = [f"{n} × {reason}" for reason, n in counts.most_common(MAX_REASONS)]
    rest = sum(counts.values()) - sum(n for _, n in counts.most_common(MAX_REASONS))
    if rest:
        parts.append(f"{rest} aus anderen Gründen")
    return "; ".join(parts)


def _method(b: _Base) -> str:
    """The Dynamik index's method in one sentence (it closes the footer note of both maps)."""
    info = b.result.dynamics
    defs = b.dataset.indicator_definitions
    names = ", ".join(
        f"{defs.at[k, 'label'] if k in defs.index else k} ×{format_number(w, 1)}" for k, w in info.weights.items())
    reasons = reason_summary(b.result)
    return (f"Dynamikindex (MSS): Veränderung {info.period} von {names}; z-standardisiert (positiv = "
            f"Verschlechterung), gewichtet summiert, erneut standardisiert; positiv unter {MINUS}1, stabil {MINUS}1 "
            "bis +1, negativ über +1" + (f"; ohne Dynamikklasse: {reasons}" if reasons else ""))


def _attention_section(result: Result, mask: np.ndarray, *, without_dynamics: bool = False) -> list[LegendSection]:
    if not mask.any():
        return []
    rule = attention_rule_text()
    if without_dynamics:
        rule += " – ohne Dynamik gilt nur der Teil der Regel, der keine Dynamik braucht"
    return [LegendSection(ATTENTION_TITLE, [LegendItem(f"umrandet und fett beschriftet ({int(mask.sum())}): {rule}",
                                                      Style("none", EMPHASIS), linewidth=2.2)])]


def dynamic_map(b: _Base) -> MapContent:
    """The Dynamik classes: teal improves, brown worsens (:data:`geo.render.palette.DYNAMIC_COLORS`)."""
    result = b.result
    if not has_dynamics(result):
        return MapContent("dynamik", "Dynamik der sozialen Lage: keine Dynamik", no_dynamics_note(result).rstrip("."),
                          [NO_VALUE_STYLE] * b.n,
                          [], grid={"title": "Keine Dynamik", "note": no_dynamics_note(result)})
    classes = b.districts["dynamic_class"].astype(str)
    counts = classes.value_counts()
    styles = [Style(DYNAMIC_COLORS[c]) if c in DYNAMIC_COLORS else NOT_CLASSIFIED_STYLE for c in classes]
    items = [LegendItem(f"{c} ({DYNAMIC_SIGNS[c]}; {DYNAMIC_MEANINGS[c]}; {int(counts.get(c, 0))})",
                        Style(DYNAMIC_COLORS[c])) for c in DYNAMIC_CLASSES]
    n_without = int((~classes.isin(DYNAMIC_CLASSES)).sum())
    if n_without:
        items.append(LegendItem(f"ohne Dynamikklasse ({n_without}; Gründe unter der Karte)", NOT_CLASSIFIED_STYLE))
    period = result.dynamics.period
    return MapContent("dynamik", f"Dynamik der sozialen Lage {period}", _method(b), styles,
                      [LegendSection(f"Dynamikklasse (Veränderung {period})", items)],
                      bold=(classes == "negativ").to_numpy())


def _status_only(b: _Base) -> MapContent:
    """The Gesamtindex map without a Dynamik: the status classes, the attention districts, the note."""
    result = b.result
    counts = b.classes.value_counts()
    styles = [Style(STATUS_COLORS[c]) if c in STATUS_COLORS else NOT_CLASSIFIED_STYLE for c in b.classes]
    items = [LegendItem(f"{c} ({int(counts.get(c, 0))})", Style(STATUS_COLORS[c])) for c in STATUS_CLASSES]
    if int(counts.get(NOT_CLASSIFIED, 0)):
        items.append(b.nc_item)
    mask = attention_mask(result)
    note = f"{no_dynamics_note(result)} Die Karte zeigt nur die Statusklassen."
    return MapContent("gesamtindex", "Gesamtindex (Status × Dynamik): keine Dynamik", note.rstrip("."), styles,
                      [LegendSection("Statusklasse", items), *_attention_section(result, mask, without_dynamics=True)],
                      emphasis=mask, emphasis_label=ATTENTION_TITLE, bold=mask,
                      grid={"title": "Keine Dynamik", "note": note})


def overall_map(b: _Base) -> MapContent:
    """The Gesamtindex: status colour paled (positiv) or darkened (negativ), attention districts outlined."""
    result = b.result
    if not has_dynamics(result):
        return _status_only(b)
    overall = b.districts["overall_class"].astype(str)
    styles = [Style(OVERALL_COLORS[c]) if c in OVERALL_COLORS else NOT_CLASSIFIED_STYLE for c in overall]
    counts, n_without = overall_counts(result)
    mask = attention_mask(result)
    sections = _attention_section(result, mask)
    if n_without:
        sections.append(LegendSection("Ohne Gesamtindex", [LegendItem(
            f"nicht klassifiziert ({n_without}): ohne Status- oder Dynamikklasse", NOT_CLASSIFIED_STYLE)]))
    period = result.dynamics.period
    method = f"Gesamtindex = Statusklasse {result.year} × Dynamikklasse {period}. {_method(b)}"
    return MapContent("gesamtindex", f"Gesamtindex: soziale Lage und Dynamik {period}", method, styles, sections,
                      emphasis=mask, emphasis_label=ATTENTION_TITLE, bold=mask,
                      grid={"title": f"Gesamtindex (Status × Dynamik {period})", "counts": counts})


#: One content builder per kind (merged into :data:`geo.render.print.content.BUILDERS`).
DYNAMIC_BUILDERS: Final = {"dynamik": dynamic_map, "gesamtindex": overall_map}
