"""The committee report: one multi-page PDF with key figures, need map, one page per offer type, gap table, methods."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.lines import Line2D
from matplotlib.patches import FancyBboxPatch, Rectangle

from geo import settings
from geo.analysis import Result, column
from geo.analysis.need import CLASS_BOUNDS, IN_NEED_CLASSES
from geo.analysis.population import CHILDREN, Population
from geo.analysis.protect import HIDDEN_MEANING, SMALL, protect_gaps, protected_totals, rule_text
from geo.dataset import Dataset
from geo.formatting import format_distance, format_number
from geo.render.print.content import map_content
from geo.render.print.drawing import draw_legend, draw_map, legend_height
from geo.render.print.kit import TextMeasure, fit_text, new_figure, paper_size_in, rc
from geo.render.print.sheet import draw_stamp, omitted_note
from geo.render.provenance import (
    APP_NAME,
    NO_TILES_NOTE,
    attribution,
    export_timestamp,
    german_date,
    licence_notes,
    min_inhabitants,
    resolve_date,
    settings_json,
    settings_record,
    software_version,
    source_text,
    version_items,
    versions_text,
)

REPORT_TITLE = "Präventionsatlas – Bericht für den Jugendhilfeausschuss"
MARGIN = 0.6  # inches
BODY = 8.6  # pt


@dataclass(frozen=True)
class _Ctx:
    dataset: Dataset
    result: Result
    export_date: date
    n_pages: int
    contents: list[tuple[str, int]]
    measure: TextMeasure


def _count(value: float) -> str:
    return format_number(value, 0)


def _total_text(total, *, percent: bool = False) -> str:
    text = format_number(100 * total.value, 0, unit="%") if percent else _count(total.value)
    if total.left_out:
        text += "*"
    return text


# --- page furniture ----------------------------------------------------------------------------------------------

def _furniture(fig, renderer, ctx: _Ctx, page: int) -> None:
    W, H = fig.get_size_inches()
    fig.text(MARGIN / W, (H - 0.38) / H, f"{APP_NAME} · Bericht für den Jugendhilfeausschuss · Indikatorjahr "
             f"{ctx.result.year}", ha="left", va="top", fontsize=7.5, color="#555555")
    if ctx.dataset.synthetic:
        draw_stamp(fig, renderer, W - MARGIN, H - 0.3, 0.85)
    fig.add_artist(Line2D([MARGIN / W, (W - MARGIN) / W], [(H - 0.62) / H] * 2, color="#999999", linewidth=0.5))
    fig.add_artist(Line2D([MARGIN / W, (W - MARGIN) / W], [0.62 / H] * 2, color="#999999", linewidth=0.5))
    footer = f"{attribution(ctx.dataset)} · Export: {german_date(ctx.export_date)}"
    text, size = fit_text(fig, renderer, footer, W - 2 * MARGIN - 1.1, 6.8, max_lines=2, min_size=5.5)
    fig.text(MARGIN / W, 0.55 / H, text, ha="left", va="top", fontsize=size, color="#444444", linespacing=1.15)
    fig.text((W - MARGIN) / W, 0.55 / H, f"Seite {page} von {ctx.n_pages}", ha="right", va="top", fontsize=7.5,
             color="#444444")


def _heading(fig, text: str, y_in: float, size: float = 14) -> float:
    W, H = fig.get_size_inches()
    fig.text(MARGIN / W, y_in / H, text, ha="left", va="top", fontsize=size, fontweight="bold")
    return y_in - size / 72 * 1.6


def _paragraph(fig, ctx: _Ctx, text: str, y_in: float, *, size: float = BODY, width: float | None = None,
               x: float = MARGIN, color: str = "#111111", weight: str = "normal") -> float:
    W, H = fig.get_size_inches()
    width = width or W - 2 * MARGIN
    lines = ctx.measure.wrap(text, width, size, weight)
    fig.text(x / W, y_in / H, "\n".join(lines), ha="left", va="top", fontsize=size, color=color,
             fontweight=weight, linespacing=1.3)
    return y_in - _lines_height(len(lines), size) - 0.08


def _lines_height(n: int, size: float) -> float:
    """Height in inches of ``n`` lines at line spacing 1.3 (matplotlib: font size × 1.3 per line, ~1.2 for one)."""
    return n * size / 72 * 1.3


# --- pages -------------------------------------------------------------------------------------------------------

def _cover(fig, renderer, ctx: _Ctx) -> None:
    W, H = fig.get_size_inches()
    d, r = ctx.dataset, ctx.result
    y = H - 1.25
    fig.text(MARGIN / W, y / H, APP_NAME, ha="left", va="top", fontsize=28, fontweight="bold")
    y -= 0.55
    fig.text(MARGIN / W, y / H, "Bericht für den Jugendhilfeausschuss", ha="left", va="top", fontsize=16)
    y -= 0.42
    types = ", ".join(d.type_labels(t).plural for t in r.offer_types)
    y = _paragraph(fig, ctx, f"Wo fehlen präventive Angebote – {types} – in Sozialräumen mit hohem Bedarf?", y,
                   size=10.5, color="#333333")
    y -= 0.1
    facts = [
        ("Datenquelle", source_text(d)),
        ("Indikatorjahr", str(r.year)),
        ("Datenstand", versions_text(d)),
        ("Export", german_date(ctx.export_date)),
    ]
    for label, value in facts:
        fig.text(MARGIN / W, y / H, label, ha="left", va="top", fontsize=BODY, fontweight="bold", linespacing=1.3)
        y = _paragraph(fig, ctx, value, y, x=MARGIN + 1.3, width=W - 2 * MARGIN - 1.3)
    y -= 0.15

    totals = protected_totals(r)
    p = r.population
    boxes = [
        ("Sozialräume", _total_text(totals["districts"])),
        ("davon mit hohem Bedarf", _total_text(totals["districts_in_need"])),
        ("Kinder 0–17 Jahre" if p.is_children else p.heading, _total_text(totals["population"])),
        (f"{p.short} in Sozialräumen\nmit hohem Bedarf", _total_text(totals["population_in_need"])),
    ]
    box_w = (W - 2 * MARGIN - 3 * 0.15) / 4
    box_h = 1.0
    for i, (label, value) in enumerate(boxes):
        x = MARGIN + i * (box_w + 0.15)
        fig.add_artist(FancyBboxPatch((x / W, (y - box_h) / H), box_w / W, box_h / H,
                                      boxstyle="round,pad=0,rounding_size=0.008", transform=fig.transFigure,
                                      facecolor="#f3f3f3", edgecolor="#cccccc", linewidth=0.6))
        fig.text((x + 0.12) / W, (y - 0.12) / H, value, ha="left", va="top", fontsize=20, fontweight="bold",
                 color="#7a2a00")
        fig.text((x + 0.12) / W, (y - 0.55) / H, label, ha="left", va="top", fontsize=8, color="#333333",
                 linespacing=1.2)
    y -= box_h + 0.3

    y = _heading(fig, "Angebote und Versorgungslücken", y, 12)
    header = ["Angebotsart", "Standorte", "Radius", f"{p.short} mit hohem Bedarf in Reichweite",
              "Sozialräume mit Versorgungslücke"]
    rows = []
    for t in r.offer_types:
        n_offers = int((d.offers[settings.OFFER_TYPE] == t).sum())
        rows.append([d.type_labels(t).plural, _count(n_offers), format_distance(r.radii[t]),
                     _total_text(totals[column("share_in_need_reached", t)], percent=True),
                     _total_text(totals[column("gap_districts", t)])])
    names = max(ctx.measure.width(row[0], 7.8) for row in rows) / TextMeasure.SAFETY + 0.1 if rows else 0.0
    widths = _auto_widths(ctx.measure, header, rows, 7.8, 0, W - 2 * MARGIN, flex_min=names)
    y = _table(fig, ctx, header, rows, widths, y, aligns=["left", "right", "right", "right", "right"])
    left_out = [tot for tot in totals.values() if tot.left_out]
    if left_out:
        y = _paragraph(fig, ctx, "* Ohne Sozialräume, deren Wert aus Datenschutzgründen nicht ausgewiesen wird "
                       f"({max(t.left_out for t in left_out)} höchstens).", y - 0.05, size=7.5, color="#444444")
    y -= 0.2
    y = _heading(fig, "Lesehilfe", y, 12)
    low, high, very = (format_number(b, 1) for b in CLASS_BOUNDS)
    threshold = format_number(100 * r.max_share_in_reach, 0)
    for text in (
        *([p.note + "."] if p.note else []),
        f"Hoher Bedarf: Statusklasse „{IN_NEED_CLASSES[0]}“ (Index {high} bis unter {very}) oder "
        f"„{IN_NEED_CLASSES[1]}“ (Index {very} und mehr) im Statusindex der sozialen Lage.",
        f"In Reichweite: {p.plural}, die höchstens den Radius (Luftlinie) vom nächsten Angebot der Art entfernt "
        "wohnen.",
        f"Versorgungslücke: ein Sozialraum mit hohem Bedarf, in dem weniger als {threshold} % {p.genitive} ein "
        "Angebot der Art in Reichweite haben.",
        f"Datenschutz: Personenzahlen unter 3 stehen als „{SMALL}“, {HIDDEN_MEANING}.",
    ):
        y = _paragraph(fig, ctx, "– " + text, y)
    y -= 0.15
    y = _heading(fig, "Inhalt", y, 12)
    for title, page in ctx.contents:
        fig.text(MARGIN / W, y / H, title, ha="left", va="top", fontsize=BODY)
        fig.text((W - MARGIN) / W, y / H, str(page), ha="right", va="top", fontsize=BODY)
        y -= BODY / 72 * 1.5


def _map_page(fig, renderer, ctx: _Ctx, *, kind: str, heading: str, intro: str, offer_type: str | None = None,
              table: tuple | None = None) -> None:
    W, H = fig.get_size_inches()
    y = _heading(fig, heading, H - 0.85)
    y = _paragraph(fig, ctx, intro, y, color="#333333")
    content = map_content(kind, ctx.dataset, ctx.result, offer_type=offer_type)
    legend_h = legend_height(content, W - 2 * MARGIN, 0.95) + 0.05
    map_h = 6.9 - legend_h if table else 8.4 - legend_h
    map_rect = (MARGIN, y - map_h, W - 2 * MARGIN, map_h)
    stats = draw_map(fig, renderer, map_rect, content, ctx.result, labels=True, fontscale=0.95)
    y -= map_h + 0.1
    y = draw_legend(fig, renderer, (MARGIN, y - legend_h, W - 2 * MARGIN, legend_h), content, fontscale=0.95)
    y -= 0.15
    note = f"Methode: {content.method}; {NO_TILES_NOTE}."
    note += omitted_note(stats)
    y = _paragraph(fig, ctx, note, y, size=7.2, color="#444444")
    if table:
        header, rows, widths, aligns, title = table
        y = _heading(fig, title, y - 0.05, 10.5)
        if rows:
            _table(fig, ctx, header, rows, widths, y, aligns=aligns, size=7.4)
        else:
            _paragraph(fig, ctx, "Keine Versorgungslücke bei diesem Radius und dieser Schwelle.", y)


@dataclass(frozen=True)
class _GapRow:
    """One row of the ranked gap list as the report prints it, with the analysis fields it is selected by."""

    offer_type: str
    is_gap: bool
    cells: dict[str, str]  # keyed by GAP_FIELDS

    def row(self, names: list[str] | tuple[str, ...]) -> list[str]:
        """The cells ``names`` (see :data:`GAP_FIELDS`), in that order."""
        return [self.cells[name] for name in names]


def _shown(value, decimals: int = 0, unit: str = "") -> str:
    """A number as German text; a code of the data protection (``"< 3"``, ``"•"``) as it is."""
    return value if isinstance(value, str) else format_number(value, decimals, unit=unit)


def _gap_rows(dataset: Dataset, gaps: pd.DataFrame) -> list[_GapRow]:
    """The ranked gap frame (:func:`~geo.analysis.protect.protect_gaps` of ``Result.gaps``) as report rows."""
    rows = []
    for rank, g in enumerate(gaps.to_dict("records"), start=1):
        share, median = g["share_in_reach"], g["median_distance_m"]
        rows.append(_GapRow(str(g["offer_type"]), bool(g["is_gap"]), {
            "rank": str(rank),
            "name": str(g[settings.DISTRICT_NAME]),
            "type": dataset.type_labels(g["offer_type"]).short,
            "status": str(g["status_class"]).replace("Status ", ""),
            "count": _shown(g["population"]),
            "reached": share if isinstance(share, str) else format_number(100 * float(share), 0, unit="%"),
            "not_reached": _shown(g["without_reach"]),
            "median": median if isinstance(median, str) else format_distance(float(median)),
            "gap": "ja" if g["is_gap"] else "nein",
            "reason": str(g["reason"]),
        }))
    return rows


#: Cells of the ranked gap list (columns of :data:`GAP_HEADER`) and of the gap table on an offer type's page.
GAP_FIELDS = ("rank", "name", "type", "status", "count", "reached", "not_reached", "median", "gap", "reason")
TYPE_GAP_FIELDS = ("name", "count", "reached", "not_reached", "median", "reason")


def gap_header(population: Population = CHILDREN) -> list[str]:
    """Header of the ranked gap list (cells :data:`GAP_FIELDS`), naming whom reach is measured for."""
    return ["Rang", "Sozialraum", "Angebot", "Status", population.short, "erreicht", "nicht\nerreicht",
            "Median-\nweg", "Lücke", "Begründung"]


GAP_HEADER = gap_header()
#: Narrowest width (inches) of a table's long-text column.
FLEX_MIN = 1.9
GAP_ALIGNS = ["right", "left", "left", "left", "right", "right", "right", "right", "left", "left"]


def gap_explained(population: Population = CHILDREN) -> str:
    """How to read the ranked gap list's columns."""
    p = population
    return (f"erreicht = Anteil {p.genitive} in Reichweite; nicht erreicht = Zahl {p.genitive} ohne "
            f"Erreichbarkeit; Medianweg = Luftlinie, innerhalb der die Hälfte {p.genitive} ein Angebot erreicht.")


def _auto_widths(measure: TextMeasure, header: list[str], rows: list[list[str]], size: float, flexible: int,
                 total: float, *, flex_min: float = 0.0) -> list[float]:
    """Column widths (fractions of ``total``) so that no word is split.

    Every column gets at least its widest word (header or cell), then grows towards its widest whole cell
    while the ``flexible`` column (long text, wraps) keeps at least ``flex_min`` (default ``FLEX_MIN``) inches
    and takes the rest.
    """
    pad = 0.09
    flex_min = flex_min or FLEX_MIN

    def widest(texts: list[str]) -> float:
        return max((measure.width(t, size, "bold") for t in texts if t), default=0.0) / TextMeasure.SAFETY

    minimum, preferred = [], []
    for j, head in enumerate(header):
        head_words = head.replace("\n", " ").split()
        cells = [str(row[j]) for row in rows]
        words = [w for c in cells for w in c.split()]
        minimum.append(widest(head_words + words) + pad)
        preferred.append(max(widest([" ".join(head_words)]), widest(cells)) + pad)  # header on one line
    minimum[flexible] = preferred[flexible] = 0.0
    spare = total - flex_min - sum(minimum)
    widths = list(minimum)
    growth = [p - m for p, m in zip(preferred, minimum, strict=True)]
    if spare > 0 and sum(growth) > 0:
        factor = min(1.0, spare / sum(growth))
        widths = [m + g * factor for m, g in zip(minimum, growth, strict=True)]
    elif spare < 0:  # even the words do not fit: shrink evenly (words may then be split)
        widths = [m * (total - flex_min) / sum(minimum) for m in minimum]
    widths[flexible] = total - sum(widths)
    return [w / total for w in widths]


def _cells(ctx_measure: TextMeasure, row: list[str], widths: list[float], total: float, size: float,
           weight: str = "normal") -> list[list[str]]:
    return [ctx_measure.wrap(str(c), widths[j] * total - 0.08, size, weight) or [""] for j, c in enumerate(row)]


def _table(fig, ctx: _Ctx, header: list[str], rows: list[list[str]], widths: list[float], y_top: float, *,
           aligns: list[str], size: float = 7.8, bold_rows: list[bool] | None = None) -> float:
    """Draw a table with a grey header row; wraps cells to their column; returns the y below it (inches)."""
    W, H = fig.get_size_inches()
    total = W - 2 * MARGIN
    xs = np.concatenate([[0.0], np.cumsum(widths)]) * total + MARGIN
    head = _cells(ctx.measure, header, widths, total, size, "bold")
    header_h = _lines_height(max(len(c) for c in head), size) + 0.08
    fig.add_artist(Rectangle((MARGIN / W, (y_top - header_h) / H), total / W, header_h / H,
                             transform=fig.transFigure, facecolor="#e6e6e6", edgecolor="none"))
    for j, lines in enumerate(head):
        x = xs[j] + 0.04 if aligns[j] == "left" else xs[j + 1] - 0.04
        fig.text(x / W, (y_top - 0.04) / H, "\n".join(lines), ha=aligns[j], va="top", fontsize=size,
                 fontweight="bold", linespacing=1.3)
    y = y_top - header_h
    for i, row in enumerate(rows):
        weight = "bold" if bold_rows and bold_rows[i] else "normal"
        cells = _cells(ctx.measure, row, widths, total, size, weight)
        row_h = _lines_height(max(len(c) for c in cells), size) + 0.06
        if i % 2 == 1:
            fig.add_artist(Rectangle((MARGIN / W, (y - row_h) / H), total / W, row_h / H,
                                     transform=fig.transFigure, facecolor="#f4f4f4", edgecolor="none"))
        for j, lines in enumerate(cells):
            x = xs[j] + 0.04 if aligns[j] == "left" else xs[j + 1] - 0.04
            fig.text(x / W, (y - 0.03) / H, "\n".join(lines), ha=aligns[j], va="top", fontsize=size,
                     fontweight=weight, linespacing=1.3)
        y -= row_h
    fig.add_artist(Line2D([MARGIN / W, (MARGIN + total) / W], [y / H] * 2, color="#999999", linewidth=0.5,
                          transform=fig.transFigure))
    return y - 0.1


def _table_height(measure: TextMeasure, header: list[str], rows: list[list[str]], bold: list[bool],
                  widths: list[float], total: float, size: float) -> tuple[float, list[float]]:
    head = _cells(measure, header, widths, total, size, "bold")
    heights = [_lines_height(max(len(c) for c in _cells(measure, row, widths, total, size,
                                                        "bold" if b else "normal")), size) + 0.06
               for row, b in zip(rows, bold, strict=True)]
    return _lines_height(max(len(c) for c in head), size) + 0.08, heights


def _paginate(measure: TextMeasure, rows: list[list[str]], bold: list[bool], widths: list[float], total: float,
              size: float, first_h: float, page_h: float, *, header: list[str] = GAP_HEADER) -> list[list[int]]:
    """Row indices per page so that ``header`` plus rows fit; the header repeats on every page."""
    header_h, heights = _table_height(measure, header, rows, bold, widths, total, size)
    pages: list[list[int]] = [[]]
    room = first_h - header_h
    for i, h in enumerate(heights):
        if h > room and pages[-1]:
            pages.append([])
            room = page_h - header_h
        pages[-1].append(i)
        room -= h
    return pages


def _methods_blocks(ctx: _Ctx) -> list[tuple[str, str]]:
    d, r = ctx.dataset, ctx.result
    defs = d.indicator_definitions
    low, high, very = (format_number(b, 1) for b in CLASS_BOUNDS)
    record = settings_record(d, r, export_date=ctx.export_date, product={"kind": "report"})
    digest = hashlib.sha256(settings_json(record).encode("utf-8")).hexdigest()[:16]
    blocks: list[tuple[str, str]] = [("h", "Datengrundlage")]
    blocks.append(("p", f"Quelle: {source_text(d)}." + (" Die Daten sind synthetisch (fiktive Stadt); sie "
                                                        "zeigen die Methode, keine reale Lage." if d.synthetic
                                                        else "")))
    for item in version_items(d):
        blocks.append(("li", f"Datenstand: {item}"))
    for note in licence_notes(d):
        blocks.append(("li", f"Lizenz: {note}"))
    blocks.append(("p", f"Indikatorjahr: {r.year}. Koordinatensystem der Analyse: {settings.METRIC_CRS} "
                        "(ETRS89 / UTM Zone 32N, Meter)."))
    blocks.append(("h", "Bedarf: Statusindex der sozialen Lage"))
    blocks.append(("p", "Verfahren nach dem Monitoring Soziale Stadtentwicklung (Berlin): jeder Indikator wird über "
                        f"die Sozialräume mit mindestens {min_inhabitants(r)} Einwohnern z-standardisiert "
                        "(Mittelwert 0, Standardabweichung 1 der Grundgesamtheit), so ausgerichtet, dass positive "
                        "Werte mehr Bedarf bedeuten, gewichtet summiert und die Summe erneut standardisiert."))
    for key, weight in r.weights.items():
        label = defs.at[key, "label"] if key in defs.index else key
        unit = f" in {defs.at[key, 'unit']}" if key in defs.index and str(defs.at[key, "unit"]).strip() else ""
        direction = defs.at[key, "direction"] if key in defs.index else 1
        sense = "höherer Wert = mehr Bedarf" if direction > 0 else "höherer Wert = weniger Bedarf"
        blocks.append(("li", f"{label}{unit}: Gewicht {format_number(weight, 2)}, {sense}"))
    if r.need_note:
        blocks.append(("p", r.need_note))
    blocks.append(("p", f"Statusklassen: „Status hoch“ Index unter {low}; „Status mittel“ {low} bis unter {high}; "
                        f"„Status niedrig“ {high} bis unter {very}; „Status sehr niedrig“ {very} und mehr. "
                        f"Hoher Bedarf = {' oder '.join(IN_NEED_CLASSES)}. Sozialräume unter {min_inhabitants(r)} "
                        "Einwohnern werden nicht klassifiziert."))
    blocks.append(("h", "Erreichbarkeit"))
    p = r.population
    if p.note:
        blocks.append(("p", f"{p.note}."))
    blocks.append(("p", f"Wohnorte {p.genitive}: {r.residents_source}. Für jeden Wohnort wird die Luftlinie zum "
                        "nächsten Angebot jeder Art gemessen (keine Wege, keine Kapazitäten). Anteil in Reichweite "
                        f"= {p.plural} im Radius / alle {p.plural} des Sozialraums; Medianweg = Entfernung, "
                        f"innerhalb der die Hälfte {p.genitive} ein Angebot erreicht."))
    for t in r.offer_types:
        n_offers = int((d.offers[settings.OFFER_TYPE] == t).sum())
        radius = f"{format_distance(r.radii[t])} ({format_number(r.radii[t], 0)} m)"
        blocks.append(("li", f"{d.type_labels(t).plural}: Radius {radius}, {n_offers} Standorte"))
    threshold = format_number(100 * r.max_share_in_reach, 0)
    blocks.append(("h", "Versorgungslücken und Rangfolge"))
    blocks.append(("p", f"Eine Versorgungslücke ist ein Sozialraum mit hohem Bedarf, in dem weniger als {threshold} % "
                        f"{p.genitive} ein Angebot der Art in Reichweite haben. Die Tabelle nennt alle Sozialräume "
                        "mit hohem Bedarf je Angebotsart: zuerst die Lücken, dann absteigend nach der Zahl "
                        f"{p.genitive} ohne Erreichbarkeit."))
    blocks.append(("h", "Karten"))
    blocks.append(("p", "Statuskarte: feste Klassengrenzen des Statusindex. Erreichbarkeitskarten: feste Klassen des "
                        "Anteils in Reichweite (unter 25 %, 25 bis unter 50 %, 50 bis unter 75 %, 75 % und mehr; "
                        f"dunkler = weniger {p.plural} erreicht, wie in der Web-Karte); Lücken schwarz-weiß "
                        "umrandet. "
                        "Kreise/Flächen der Reichweite: Luftlinienradius um jedes Angebot, "
                        f"auf die Stadtgrenze beschnitten. Kartengrundlage: {NO_TILES_NOTE}; Maßstabsleiste in "
                        "Metern, Nordpfeil = Gitternord des Koordinatensystems. Beschriftungen werden so gesetzt, "
                        "dass sie sich nicht überdecken; wo im Sozialraum kein Platz ist, führt eine Linie zum Namen."))
    blocks.append(("h", "Datenschutz"))
    blocks.append(("p", rule_text(min_inhabitants(r))))
    blocks.append(("h", "Reproduzierbarkeit"))
    blocks.append(("p", f"Erstellt mit {APP_NAME} {software_version()} am {german_date(ctx.export_date)}. Alle "
                        "Einstellungen und Datenstände dieses Berichts stehen maschinenlesbar (JSON) in den "
                        "PDF-Metadaten (Feld „Keywords“); gleiche Daten und Einstellungen ergeben eine identische "
                        f"Datei. Prüfsumme der Einstellungen (SHA-256, gekürzt): {digest}."))
    return blocks


def _block_height(measure: TextMeasure, kind: str, text: str, width: float) -> float:
    if kind == "h":
        return 11 / 72 * 1.6 + 0.04
    indent = 0.2 if kind == "li" else 0.0
    return _lines_height(len(measure.wrap(text, width - indent, BODY)), BODY) + 0.08


def _layout_methods(measure: TextMeasure, blocks: list[tuple[str, str]], width: float, first_h: float,
                    page_h: float) -> list[list]:
    """Blocks per page; a heading never ends a page (it moves on with the block that follows it)."""
    pages: list[list] = [[]]
    room = first_h
    for k, (kind, text) in enumerate(blocks):
        h = _block_height(measure, kind, text, width)
        need = h
        if kind == "h" and k + 1 < len(blocks):
            need += _block_height(measure, *blocks[k + 1], width)
        if need > room and pages[-1]:
            pages.append([])
            room = page_h
        pages[-1].append((kind, text))
        room -= h
    return pages


def _methods_page(fig, renderer, ctx: _Ctx, blocks: list, first: bool) -> None:
    W, H = fig.get_size_inches()
    y = H - 0.85
    if first:
        y = _heading(fig, "Methoden und Einstellungen", y)
    for kind, text in blocks:
        if kind == "h":
            y = _heading(fig, text, y - 0.04, 11)
        elif kind == "li":
            fig.text(MARGIN / W, y / H, "–", ha="left", va="top", fontsize=BODY)
            y = _paragraph(fig, ctx, text, y, x=MARGIN + 0.2, width=W - 2 * MARGIN - 0.2)
        else:
            y = _paragraph(fig, ctx, text, y)


def render_report(
    dataset: Dataset, result: Result, *, export_date: date | None = None, paper: str = "A4"
) -> bytes:
    """The committee report as PDF bytes (A4 or A3 portrait).

    Pages: cover with key figures and contents; need map (status classes); per analysed offer type a reach map
    with its gap districts; the ranked gap table (header repeated on every page); methods and settings.
    Every page has the source, the export date and "Seite i von n" in the footer. Fonts are embedded as
    TrueType; metadata dates are the export date, so the same inputs give byte-identical files.
    """
    export_date = resolve_date(export_date)
    W, H = paper_size_in(paper, "portrait")
    body = (H - 0.85) - 0.85
    total_w = W - 2 * MARGIN
    d, r = dataset, result
    stamp = export_timestamp(export_date)
    record = settings_record(d, r, export_date=export_date, product={"kind": "report", "paper": paper})
    buffer = io.BytesIO()
    with rc():
        measure = TextMeasure()
        probe = _Ctx(d, r, export_date, 0, [], measure)
        gaps = _gap_rows(d, protect_gaps(r.gaps))
        gap_rows = [g.row(GAP_FIELDS) for g in gaps]
        gap_flags = [g.is_gap for g in gaps]
        header = gap_header(r.population)
        gap_widths = _auto_widths(measure, header, gap_rows, 7.4, len(header) - 1, total_w)
        gap_pages = _paginate(measure, gap_rows, gap_flags, gap_widths, total_w, 7.4, body - 1.05, body - 0.35,
                              header=header)
        method_pages = _layout_methods(measure, _methods_blocks(probe), total_w, body - 0.4, body)

        plan: list[tuple[str, Callable]] = [("Deckblatt und Kennzahlen", _cover)]
        n_need = int(r.districts["status_class"].isin(IN_NEED_CLASSES).sum())
        plan.append(("Bedarf: soziale Lage der Sozialräume", lambda f, rd, c: _map_page(
            f, rd, c, kind="status", heading="Bedarf: soziale Lage der Sozialräume",
            intro=f"Statusindex {r.year} aus {len(r.weights)} Indikatoren; dunkle Flächen = hoher Bedarf. "
                  f"{n_need} von {len(r.districts)} Sozialräumen haben hohen Bedarf (fett beschriftet).")))
        totals = protected_totals(r)
        for t in r.offer_types:
            mine = [g for g in gaps if g.is_gap and g.offer_type == t]
            rows = [g.row(TYPE_GAP_FIELDS) for g in mine[:8]]
            n_offers = int((d.offers[settings.OFFER_TYPE] == t).sum())
            n_gap = int(totals[column("gap_districts", t)].value)
            intro = (f"{n_offers} Standorte, Radius {format_distance(r.radii[t])} (Luftlinie). In Sozialräumen mit "
                     f"hohem Bedarf wohnen {_total_text(totals[column('share_in_need_reached', t)], percent=True)} "
                     f"{r.population.genitive} in Reichweite; {n_gap} "
                     f"Sozialr{'aum hat' if n_gap == 1 else 'äume haben'} eine Versorgungslücke.")
            type_header = ["Sozialraum", r.population.short, "erreicht", "nicht erreicht", "Medianweg", "Begründung"]
            table = (type_header, rows, _auto_widths(measure, type_header, rows, 7.4, 5, total_w),
                     ["left", "right", "right", "right", "right", "left"],
                     "Versorgungslücken" + (" (die 8 größten)" if len(mine) > 8 else ""))
            heading = f"{d.type_labels(t).plural}: Erreichbarkeit und Lücken"
            plan.append((heading, _bind(_map_page, kind="reach", offer_type=t, heading=heading, intro=intro,
                                        table=table)))
        for k, rows in enumerate(gap_pages):
            plan.append(("Rangliste der Sozialräume mit hohem Bedarf" if k == 0 else "", _bind(
                _gap_page, rows=[gap_rows[i] for i in rows], bold=[gap_flags[i] for i in rows], widths=gap_widths,
                first=k == 0)))
        for k, blocks in enumerate(method_pages):
            plan.append(("Methoden und Einstellungen" if k == 0 else "", _bind(_methods_page, blocks=blocks,
                                                                                 first=k == 0)))

        contents = [(title, i + 1) for i, (title, _) in enumerate(plan) if title and i > 0]
        with PdfPages(buffer, metadata={
            "Title": REPORT_TITLE, "Author": APP_NAME,
            "Subject": f"Indikatorjahr {r.year}; Quelle: {source_text(d)}",
            "Keywords": settings_json(record, indent=None), "Creator": f"{APP_NAME} {software_version()}",
            "CreationDate": stamp, "ModDate": stamp,
        }) as pdf:
            for page, (_, draw) in enumerate(plan, start=1):
                fig, renderer = new_figure(W, H)
                ctx_page = _Ctx(d, r, export_date, len(plan), contents, TextMeasure(fig, renderer))
                _furniture(fig, renderer, ctx_page, page)
                draw(fig, renderer, ctx_page)
                pdf.savefig(fig)
    return buffer.getvalue()


def _bind(func: Callable, **kwargs) -> Callable:
    """A page drawer with its keyword arguments fixed."""
    return lambda fig, renderer, ctx: func(fig, renderer, ctx, **kwargs)


def _gap_page(fig, renderer, ctx: _Ctx, rows: list[list[str]], bold: list[bool], widths: list[float],
              first: bool) -> None:
    W, H = fig.get_size_inches()
    y = H - 0.85
    if first:
        y = _heading(fig, "Rangliste: Sozialräume mit hohem Bedarf je Angebotsart", y)
        p = ctx.result.population
        y = _paragraph(fig, ctx, f"Zuerst die Versorgungslücken (fett), dann nach der Zahl {p.genitive} ohne "
                       f"Erreichbarkeit. {gap_explained(p)} „{SMALL}“ = 1 oder 2; {HIDDEN_MEANING}.", y,
                       color="#333333", size=7.8)
    else:
        y = _paragraph(fig, ctx, "Rangliste (Fortsetzung)", y, weight="bold")
    if rows:
        _table(fig, ctx, gap_header(ctx.result.population), rows, widths, y, aligns=GAP_ALIGNS, size=7.4,
               bold_rows=bold)
    else:
        _paragraph(fig, ctx, "Kein Sozialraum hat hohen Bedarf: die Rangliste ist leer.", y)
