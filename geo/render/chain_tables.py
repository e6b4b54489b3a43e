"""The Ketten-Matrix for people: German tables, sort orders, cell colours and method notes, for web, print, export.

Built from a :class:`geo.analysis.chain.Chain`; every cell carries the data protection of the chain (a share that
would reveal a count of 1 or 2 as "•", a target group of 1 or 2 as "< 3").
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from geo import catalog, settings
from geo.analysis import Result
from geo.analysis.chain import NO_TARGET, NOT_MEASURED, PROTECTED, STATES, Chain, cell_text, rule_text
from geo.analysis.need import NOT_CLASSIFIED, STATUS_CLASSES
from geo.analysis.protect import rule_text as protection_rule
from geo.render.palette import HIDDEN_COLOR, NO_CLASS_COLOR, REACH_BOUNDS, reach_colors

#: Sort orders of the matrix → German name (the page's choice).
SORTS: Final[dict[str, str]] = {
    "missing": "fehlende Glieder (die meisten zuerst)",
    "status": "Status (höchster Bedarf zuerst)",
    "name": "Name des Sozialraums",
}
#: Column headers shared by the screen, the print page and the export.
DISTRICT: Final[str] = "Sozialraum"
DISTRICT_NO: Final[str] = "Sozialraum-Nr."
STATUS: Final[str] = "Statusklasse"
IN_NEED: Final[str] = "hoher Bedarf"
MISSING_LINKS: Final[str] = "fehlende Glieder"
ROW_TEXT: Final[str] = "Kette"
#: Suffix of a missing link in a district in need (a *Versorgungslücke* of the chain) in a cell text.
GAP_MARK: Final[str] = "Lücke"
#: Status classes from the most need to the least, then the unclassified (sort order "status").
_STATUS_ORDER: Final[dict[str, int]] = {c: i for i, c in enumerate([*STATUS_CLASSES[::-1], NOT_CLASSIFIED])}


def order(chain: Chain, by: str = "missing") -> np.ndarray:
    """Row positions of :attr:`Chain.districts` in the sort order ``by`` (a key of :data:`SORTS`).

    ``missing``: most missing links first, then districts in need, then by name; ``status``: highest need first
    (sehr niedrig, niedrig, mittel, hoch, nicht klassifiziert), then most missing links, then name; ``name``:
    by name (case ignored), then Sozialraum-Nr.
    """
    if by not in SORTS:
        raise ValueError(f"Unbekannte Sortierung {by!r}; möglich: {', '.join(SORTS)}")
    d = chain.districts
    name = d[settings.DISTRICT_NAME].astype(str).str.casefold().to_numpy()
    ids = d[settings.DISTRICT_ID].astype(str).to_numpy()
    missing = d["missing"].to_numpy(dtype=int)
    status = d["status_class"].map(lambda c: _STATUS_ORDER.get(c, len(_STATUS_ORDER))).to_numpy(dtype=int)
    if by == "missing":
        keys = (ids, name, ~d["in_need"].to_numpy(dtype=bool), -missing)
    elif by == "status":
        keys = (ids, name, -missing, status)
    else:
        keys = (ids, name)
    return np.lexsort(keys)


def phase_headers(chain: Chain) -> dict[str, str]:
    """Measured phase → its column header (the phase's short name; made unique should two phases share one)."""
    out: dict[str, str] = {}
    for p in chain.measured:
        header = str(chain.phases.at[p, "short"]) or str(p)
        out[p] = header if header not in out.values() else f"{header} ({p})"
    return out


def cell_texts(chain: Chain, *, gap_mark: bool = True) -> pd.DataFrame:
    """The matrix as display text ("✔ 74 %", "✘ 12 % · Lücke"), districts × measured phases (by ``district_id``)."""
    texts = pd.Series([cell_text(s, v, c, t) for s, v, c, t in zip(
        chain.cells["state"], chain.cells["share_in_reach"], chain.cells["share_code"], chain.cells["target_code"],
        strict=True)], index=chain.cells.index, dtype=object)
    if gap_mark:
        texts = texts.where(~chain.cells["gap"].to_numpy(dtype=bool), texts + f" · {GAP_MARK}")
    cells = chain.cells.assign(text=texts)
    if not chain.measured:
        return chain.wide("state")
    return cells.pivot(index=settings.DISTRICT_ID, columns="phase", values="text").reindex(
        index=chain.districts[settings.DISTRICT_ID], columns=chain.measured)


def matrix_table(chain: Chain, *, by: str = "missing") -> pd.DataFrame:
    """The Ketten-Matrix for the screen and the print page, sorted ``by``: one text cell per measured phase.

    Columns: Sozialraum, fehlende Glieder (int), one column per measured phase (header: its short name), Statusklasse,
    hoher Bedarf (bool), Kette (the row text), Sozialraum-Nr.
    """
    d = chain.districts
    texts = cell_texts(chain)
    out = pd.DataFrame({
        DISTRICT: d[settings.DISTRICT_NAME].to_numpy(dtype=object),
        MISSING_LINKS: d["missing"].to_numpy(dtype=int),
    })
    for p, header in phase_headers(chain).items():
        out[header] = texts[p].to_numpy(dtype=object)
    out[STATUS] = d["status_class"].to_numpy(dtype=object)
    out[IN_NEED] = d["in_need"].to_numpy(dtype=bool)
    out[ROW_TEXT] = d["row_text"].to_numpy(dtype=object)
    out[DISTRICT_NO] = d[settings.DISTRICT_ID].to_numpy(dtype=object)
    return out.iloc[order(chain, by)].reset_index(drop=True)


def cell_color(state: str, share: float, share_code: str) -> str:
    """Fill of a matrix cell: the class colour of the reach maps for its share (darker = fewer reached).

    Shares in the classes of :data:`geo.render.palette.REACH_BOUNDS`; "nicht ausgewiesen" white (as on the
    maps); "?" and "–" grey.
    """
    if state == PROTECTED or share_code:
        return HIDDEN_COLOR
    if state in (NO_TARGET, NOT_MEASURED) or not np.isfinite(share):
        return NO_CLASS_COLOR
    colors = reach_colors(len(REACH_BOUNDS) + 1)
    return colors[int(np.searchsorted(REACH_BOUNDS, share, side="right"))]


def text_color(fill: str) -> str:
    """Black or white, whichever reads better on ``fill`` (``#rrggbb``; WCAG relative luminance)."""
    rgb = [int(fill[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if (luminance + 0.05) / 0.05 >= 1.05 / (luminance + 0.05) else "#ffffff"


def cell_colors(chain: Chain) -> pd.DataFrame:
    """Fill colour per cell of :func:`cell_texts` (same index and columns)."""
    colors = [cell_color(s, v, c) for s, v, c in zip(chain.cells["state"], chain.cells["share_in_reach"],
                                                      chain.cells["share_code"], strict=True)]
    if not chain.measured:
        return chain.wide("state")
    return chain.cells.assign(color=colors).pivot(index=settings.DISTRICT_ID, columns="phase", values="color") \
        .reindex(index=chain.districts[settings.DISTRICT_ID], columns=chain.measured)


def matrix_styles(chain: Chain, *, by: str = "missing") -> pd.DataFrame:
    """CSS per cell of :func:`matrix_table` (same shape): the phase cells' fill and text colour, else ""."""
    table = matrix_table(chain, by=by)
    styles = pd.DataFrame("", index=table.index, columns=table.columns)
    colors = cell_colors(chain)
    ids = table[DISTRICT_NO].to_numpy()
    for p, header in phase_headers(chain).items():
        fills = colors.loc[ids, p].to_numpy()
        styles[header] = [f"background-color: {f}; color: {text_color(f)}" for f in fills]
    return styles


def missing_colors(n: int) -> list[str]:
    """Colours of 0, 1, …, ``n`` missing links (chain map): the reach scheme, lightest for none missing."""
    return reach_colors(n + 1)[::-1] if n >= 1 else [reach_colors(2)[-1]]


def missing_label(n: int) -> str:
    """"kein fehlendes Glied", "1 fehlendes Glied", "3 fehlende Glieder"."""
    return "kein fehlendes Glied" if n == 0 else f"{n} fehlendes Glied" if n == 1 else f"{n} fehlende Glieder"


#: What the per-phase columns of :func:`export_table` hold (the method note of the export).
EXPORT_COLUMNS_NOTE: Final[str] = (
    "Je Lebensphase: Zustand (Zeichen wie oben); in Reichweite (%) = Anteil der Zielgruppe mit einem Angebot der "
    "Lebensphase in Reichweite (bei mehreren Angebotsarten der höchste); Zielgruppe (Anzahl) = Personen der "
    "Zielgruppe dieser Angebotsart im Sozialraum; Angebotsart = die Art, deren Anteil zählt; Versorgungslücke = "
    "fehlendes Glied in einem Sozialraum mit hohem Bedarf. fehlende Glieder = Zahl der Lebensphasen mit ✘; "
    "Glieder ohne Angabe = Lebensphasen mit ? oder •."
)


# --- export --------------------------------------------------------------------------------------------------------

def export_table(chain: Chain, *, offer_types: pd.DataFrame | None = None) -> pd.DataFrame:
    """The chain for CSV/XLSX, one row per district, sorted by Sozialraum-Nr.

    Per district its status, missing links and row text; per measured phase the state, the share in reach (%, one
    decimal; "•" where protected), the target group count ("< 3" where 1 or 2), the offer type whose share counts
    and whether the link is a gap (:data:`EXPORT_COLUMNS_NOTE`).
    """
    d = chain.districts
    out = pd.DataFrame({
        DISTRICT_NO: d[settings.DISTRICT_ID].to_numpy(dtype=object),
        DISTRICT: d[settings.DISTRICT_NAME].to_numpy(dtype=object),
        STATUS: d["status_class"].to_numpy(dtype=object),
        "Sozialraum mit hohem Bedarf": np.where(d["in_need"].to_numpy(dtype=bool), "ja", "nein").astype(object),
        "fehlende Glieder": d["missing"].to_numpy(dtype=int),
        "Glieder ohne Angabe": d["unknown"].to_numpy(dtype=int),
    })
    for p, header in phase_headers(chain).items():
        cells = chain.cells[chain.cells["phase"] == p].set_index(settings.DISTRICT_ID).reindex(
            d[settings.DISTRICT_ID])
        hidden = (cells["share_code"] != "") | (cells["state"] == PROTECTED)
        share = [PROTECTED if h else (round(100 * float(v), 1) if np.isfinite(v) else None)
                 for h, v in zip(hidden, cells["share_in_reach"], strict=True)]
        target = [c if c else (int(round(v)) if np.isfinite(v) else None)
                  for c, v in zip(cells["target_code"], cells["target"], strict=True)]
        kind = [catalog.type_labels(offer_types, t).short if offer_types is not None and t else t
                for t in cells["offer_type"]]
        out[f"{header}: Zustand"] = cells["state"].to_numpy(dtype=object)
        out[f"{header}: in Reichweite (%)"] = pd.Series(share, dtype=object).to_numpy()
        out[f"{header}: Zielgruppe (Anzahl)"] = pd.Series(target, dtype=object).to_numpy()
        out[f"{header}: Angebotsart"] = pd.Series(kind, dtype=object).to_numpy()
        out[f"{header}: Versorgungslücke"] = np.where(cells["gap"].to_numpy(dtype=bool), "ja", "nein").astype(object)
    out[ROW_TEXT] = d["row_text"].to_numpy(dtype=object)
    return out.iloc[np.argsort(out[DISTRICT_NO].astype(str).to_numpy(), kind="stable")].reset_index(drop=True)


def method_notes(chain: Chain, result: Result, offer_types: pd.DataFrame) -> list[tuple[str, str]]:
    """(topic, German text) lines of the chain's method note.

    The rule, per measured phase its offer types with their target group and reach model in force, the phases not
    measured, the states, the columns of the export and the data-protection rule.
    """
    lines = [("Regel", rule_text(chain.max_share_in_reach))]
    for p in chain.measured:
        parts = []
        for t in chain.phases.at[p, "types"]:
            name = catalog.type_labels(offer_types, t).short
            target = result.targets.get(t, result.population)
            model = result.reach_models.get(t)
            text = f"{name}: Zielgruppe {target.description}"
            if model is not None:
                text += f"; Reichweite: {model.description}" + (f" ({model.note})" if model.note else "")
            parts.append(text)
        lines.append((f"Lebensphase {chain.phases.at[p, 'label']}", " · ".join(parts)))
    lines += [("Hinweis", note) for note in chain.notes]
    lines.append(("Zustände", "; ".join(f"{k} = {v}" for k, v in STATES.items())))
    lines.append(("Spalten", EXPORT_COLUMNS_NOTE))
    lines.append(("Datenschutz", protection_rule(result.min_inhabitants)))
    return lines


__all__ = [
    "DISTRICT", "DISTRICT_NO", "GAP_MARK", "IN_NEED", "MISSING_LINKS", "ROW_TEXT", "SORTS", "STATUS",
    "cell_color", "cell_colors", "cell_texts", "export_table", "matrix_styles", "matrix_table", "method_notes",
    "missing_colors",
    "missing_label", "order", "phase_headers", "text_color",
]
