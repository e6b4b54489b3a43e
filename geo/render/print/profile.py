"""The Sozialraumsteckbrief as a one-page A4 PDF, and a ZIP of the profiles of all districts.

The page: title and status badge, a locator map (the city by status class, the district outlined, the offers in
it and the nearest one of each type), the sections of :mod:`geo.analysis.profile` as compact tables (the time
series as small charts under the map, :mod:`geo.render.print.series`), and the
source, data versions, method and data-protection footer. Long lists are shortened ("… und N weitere") until
everything fits on one page. Same inputs and export date, same bytes.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, replace
from datetime import date
from typing import Final

import matplotlib as mpl
import numpy as np
from matplotlib.lines import Line2D

from geo import settings
from geo.analysis import Result
from geo.analysis.history import History
from geo.analysis.need import NOT_CLASSIFIED
from geo.analysis.profile import Common, Profile, Section, Table, district_position, district_profile, profiles
from geo.analysis.protect import HIDDEN_MEANING, SMALL
from geo.dataset import Dataset
from geo.progress import Progress, silent
from geo.render.palette import NO_CLASS_COLOR, STATUS_COLORS
from geo.render.print.content import EMPHASIS, LegendItem, LegendSection, Style, map_content
from geo.render.print.drawing import draw_legend, draw_map
from geo.render.print.kit import TextMeasure, figure_bytes, fit_text, new_figure, paper_size_in, rc
from geo.render.print.page import lines_height
from geo.render.print.series import PANEL_IN, draw_panel
from geo.render.print.sheet import draw_stamp
from geo.render.provenance import (
    APP_NAME,
    attribution,
    export_timestamp,
    german_date,
    resolve_date,
    settings_json,
    settings_record,
    software_version,
    versions_text,
)

MARGIN: Final[float] = 0.45  # inches
TABLE_SIZE: Final[float] = 6.8  # pt
HEADING_SIZE: Final[float] = 9.5
NOTE_SIZE: Final[float] = 6.0
HEADING_SPACE: Final[float] = 1.4  # a section heading's height, in multiples of its size
PART_GAP: Final[float] = 0.07  # inches between sections
LINE: Final[float] = 1.25  # line spacing
ROW_PAD: Final[float] = 0.035  # inches above and below the text of a table row
#: Side of the square locator map in inches: the largest that lets every row fit, else the smallest.
MAP_SIZES: Final[tuple[float, ...]] = (2.9, 2.55, 2.2)
#: Room below the key figures for the map legend.
LEGEND_IN: Final[float] = 0.85
#: Widest a column grows for its header alone (longer headers wrap).
HEADER_IN: Final[float] = 0.8
#: Sections in the band beside the map; the others follow below, full width, in profile order.
BESIDE_MAP: Final[tuple[str, ...]] = ("kennzahlen", "dynamik")
#: On paper the Dynamik lines join the key figures (one table, one heading) with this short note.
DYNAMIC_NOTE: Final[str] = ("Dynamik (MSS): Veränderung der Indikatoren im Zeitraum, standardisiert; "
                            "Dynamikindex positiv = Lage verschlechtert sich; Klassen positiv (unter −1), stabil, "
                            "negativ (über +1).")
#: The time series under the locator map: its first series (the status index, the first indicator), the gap
#: above it in inches, and its note.
UNDER_MAP_SERIES: Final[int] = 2
UNDER_MAP_GAP: Final[float] = 0.12
UNDER_MAP_NOTE: Final[str] = "Zeitreihe: dunkel = dieser Sozialraum, grau gestrichelt = Stadtdurchschnitt."
#: Sections that give way, in this order, when the shortened lists still do not fit: left out and named at the
#: end of the page.
GIVE_WAY: Final[tuple[str, ...]] = ("schulen", "kette")
#: Fewest rows a shortened table keeps (the last of them says how many are left out), and the rows it keeps
#: before the sections of GIVE_WAY are left out for room.
MIN_ROWS: Final[int] = 2
FLOOR_ROWS: Final[int] = 5
PRODUCT: Final[str] = "Sozialraumsteckbrief"


@dataclass
class _Block:
    """A table as laid out: its rows (maybe shortened), column widths in inches, wrapped cells."""

    table: Table
    width: float
    limit: int

    def rows(self) -> list[tuple[str, ...]]:
        """The rows shown: all, or ``limit - 1`` and a last one saying how many are left out."""
        rows = list(self.table.rows)
        if self.limit >= len(rows):
            return rows
        keep = max(self.limit - 1, 0)
        more = len(rows) - keep
        return rows[:keep] + [(f"… und {more} weitere",) + ("",) * (len(self.table.columns) - 1)]


def _column_widths(measure: TextMeasure, table: Table, rows: list[tuple[str, ...]], width: float) -> list[float]:
    """Column widths in inches: no word split; the column with the longest text takes the rest and wraps.

    Every column gets at least its widest word, then grows towards its widest cell (header on one line) while
    the flexible column keeps at least a third of the width.
    """
    pad = 0.1

    def widest(texts, weight="normal") -> float:
        return max((measure.width(t, TABLE_SIZE, weight) for t in texts if t), default=0.0) / TextMeasure.SAFETY

    body = [r for r in rows if not str(r[0]).startswith("… und ")]
    minimum, preferred, text = [], [], []
    for j, head in enumerate(table.columns):
        cells = [str(r[j]) for r in body]
        text.append(widest(cells))
        words = [w for c in cells for w in c.split()]
        minimum.append(max(widest(head.split(), "bold"), widest(words)) + pad)
        # a long header may wrap: it asks for at most HEADER_IN on one line
        preferred.append(max(min(widest([head], "bold"), HEADER_IN), widest(cells), minimum[-1] - pad) + pad)
    if sum(preferred) <= width:
        flexible = max(range(len(preferred)), key=lambda j: (table.aligns[j] == "left", text[j]))
        widths = list(preferred)
        widths[flexible] += width - sum(preferred)
        return widths
    # Too wide: numbers (right-aligned) keep their width, the text columns wrap, each down to its longest word.
    texts = [j for j, a in enumerate(table.aligns) if a == "left"] or list(range(len(preferred)))
    fixed = [j for j in range(len(preferred)) if j not in texts]
    widths = list(preferred)
    room = width - sum(preferred[j] for j in fixed)
    least = sum(minimum[j] for j in texts)
    if room < least:  # even the words do not fit: every column gives way in proportion
        return [w * width / sum(minimum) for w in minimum]
    growth = sum(preferred[j] - minimum[j] for j in texts)
    factor = (room - least) / growth if growth > 0 else 0.0
    for j in texts:
        widths[j] = minimum[j] + (preferred[j] - minimum[j]) * factor
    return widths


def _wrapped(measure: TextMeasure, block: _Block) -> tuple[list[float], list[list[str]], list[list[list[str]]]]:
    rows = block.rows()
    widths = _column_widths(measure, block.table, rows, block.width)
    head = [measure.wrap(h, widths[j] - 0.08, TABLE_SIZE, "bold") for j, h in enumerate(block.table.columns)]
    cells = [[measure.wrap(str(c), widths[j] - 0.08, TABLE_SIZE) if not (j == 0 and str(c).startswith("… und "))
              else [str(c)] for j, c in enumerate(r)] for r in rows]
    return widths, head, cells


def _table_height(measure: TextMeasure, block: _Block) -> float:
    if not block.table.rows:
        caption = lines_height(1, TABLE_SIZE, LINE) + 0.04 if block.table.caption else 0
        return lines_height(1, TABLE_SIZE, LINE) + 0.06 + caption
    _, head, cells = _wrapped(measure, block)
    h = lines_height(max(len(c) for c in head), TABLE_SIZE, LINE) + 0.07
    h += sum(lines_height(max(len(c) for c in row), TABLE_SIZE, LINE) + ROW_PAD for row in cells)
    if block.table.caption:
        h += lines_height(1, TABLE_SIZE, LINE) + 0.04
    return h + 0.05


def _draw_table(fig, measure: TextMeasure, block: _Block, x: float, y: float) -> float:
    """Draw a table with its top-left at (x, y) inches; returns the y below it."""
    W, H = fig.get_size_inches()
    table = block.table
    if table.caption:
        fig.text(x / W, y / H, table.caption, ha="left", va="top", fontsize=TABLE_SIZE, fontweight="bold")
        y -= lines_height(1, TABLE_SIZE, LINE) + 0.04
    if not table.rows:
        fig.text(x / W, y / H, table.empty, ha="left", va="top", fontsize=TABLE_SIZE, color="#333333")
        return y - lines_height(1, TABLE_SIZE, LINE) - 0.06
    widths, head, cells = _wrapped(measure, block)
    xs = np.concatenate([[0.0], np.cumsum(widths)]) + x
    total = float(sum(widths))
    head_h = lines_height(max(len(c) for c in head), TABLE_SIZE, LINE) + 0.07
    fig.add_artist(mpl.patches.Rectangle((x / W, (y - head_h) / H), total / W, head_h / H, transform=fig.transFigure,
                                         facecolor="#e6e6e6", edgecolor="none"))
    for j, lines in enumerate(head):
        tx = xs[j] + 0.04 if table.aligns[j] == "left" else xs[j + 1] - 0.04
        fig.text(tx / W, (y - 0.035) / H, "\n".join(lines), ha=table.aligns[j], va="top", fontsize=TABLE_SIZE,
                 fontweight="bold", linespacing=LINE)
    y -= head_h
    for i, row in enumerate(cells):
        row_h = lines_height(max(len(c) for c in row), TABLE_SIZE, LINE) + ROW_PAD
        if i % 2 == 1:
            fig.add_artist(mpl.patches.Rectangle((x / W, (y - row_h) / H), total / W, row_h / H,
                                                 transform=fig.transFigure, facecolor="#f4f4f4", edgecolor="none"))
        more = str(row[0][0]).startswith("… und ") if row[0] else False
        for j, lines in enumerate(row):
            tx = xs[j] + 0.04 if table.aligns[j] == "left" or more else xs[j + 1] - 0.04
            fig.text(tx / W, (y - ROW_PAD / 2) / H, "\n".join(lines), ha="left" if more else table.aligns[j], va="top",
                     fontsize=TABLE_SIZE, linespacing=LINE, color="#555555" if more else "#000000")
        y -= row_h
    fig.add_artist(Line2D([x / W, (x + total) / W], [y / H] * 2, color="#999999", linewidth=0.5))
    return y - 0.05


@dataclass
class _Part:
    """A section in the flow: its blocks one below the other, its wrapped note; a time series' history."""

    section: Section
    blocks: list[_Block]
    note: list[str]
    panel: History | None = None
    width: float = 0.0
    #: False for the closing line naming the sections left out.
    heading: bool = True


def _paired(table: Table) -> Table:
    """Label/value pairs in two column pairs side by side (half the height)."""
    half = (len(table.rows) + 1) // 2
    left, right = table.rows[:half], table.rows[half:] + (("", ""),) * (2 * half - len(table.rows))
    rows = tuple(tuple(a) + tuple(b) for a, b in zip(left, right, strict=True))
    return replace(table, columns=table.columns * 2, rows=rows, aligns=("left", "right") * 2)


def _part(measure: TextMeasure, section: Section, width: float, history: History | None = None) -> _Part:
    tables = section.tables
    if section.kind == "series":  # drawn as a panel of small charts, not as one table per series
        panel = history if section.tables and history is not None else None  # drawn under the map
        return _Part(section, [], [] if panel is not None else measure.wrap(section.note, width, NOTE_SIZE), panel,
                     width)
    if section.kind == "facts" and width > 4.0:
        tables = tuple(_paired(t) if len(t.columns) == 2 and len(t.rows) >= 4 else t for t in tables)
    blocks = [_Block(t, width, len(t.rows)) for t in tables]
    note = measure.wrap(section.note, width, NOTE_SIZE) if section.note else []
    return _Part(section, blocks, note)


def _under_map(measure: TextMeasure, series: _Part | None, map_size: float) -> float:
    """Height the time-series panel and its note take under the map (0 without a time series)."""
    if series is None:
        return 0.0
    note = measure.wrap(UNDER_MAP_NOTE, map_size, NOTE_SIZE)
    return UNDER_MAP_GAP + PANEL_IN + 0.02 + lines_height(len(note), NOTE_SIZE, LINE)


def _beside(sections: tuple[Section, ...]) -> list[Section]:
    """The sections beside the map: the key figures with the Dynamik lines joined (one table, one heading)."""
    chosen = {s.key: s for s in sections if s.key in BESIDE_MAP}
    facts, dynamic = chosen.get("kennzahlen"), chosen.get("dynamik")
    if facts is None or dynamic is None:
        return list(chosen.values())
    rows = tuple(r for t in (*facts.tables, *dynamic.tables) for r in t.rows)
    note = f"{facts.note} {DYNAMIC_NOTE if dynamic.tables else dynamic.note}"
    return [replace(facts, title="Kennzahlen und Dynamik", tables=(Table(("Kennzahl", "Wert"), rows),), note=note)]


def _part_height(measure: TextMeasure, part: _Part) -> float:
    tables = sum(_table_height(measure, b) for b in part.blocks)
    note = lines_height(len(part.note), NOTE_SIZE, LINE) + 0.04 if part.note else 0.0
    return (HEADING_SIZE / 72 * HEADING_SPACE if part.heading else 0.0) + tables + note + PART_GAP


def _overflow(measure: TextMeasure, parts: list[_Part], room: float) -> bool:
    return sum(_part_height(measure, p) for p in parts) > room


def _fit(measure: TextMeasure, parts: list[_Part], room: float, width: float) -> list[_Part]:
    """The parts that fit into ``room`` inches, and a last part naming those left out.

    Lists are shortened one row at a time (later sections first) down to :data:`FLOOR_ROWS`; while that is not
    enough, the sections of :data:`GIVE_WAY` are left out one by one; then the lists go down to :data:`MIN_ROWS`.
    """
    parts = list(parts)
    left_out: list[str] = []
    blocks = [b for p in parts for b in p.blocks]
    full = {id(b): b.limit for b in blocks}

    def fits() -> bool:
        closing = [_left_out_part(measure, left_out, width)] if left_out else []
        return not _overflow(measure, parts + closing, room)

    def shorten(floor: int) -> None:
        while not fits():
            candidates = [b for p in reversed(parts) for b in p.blocks if b.table.shorten and b.limit > floor]
            if not candidates:
                return
            candidates[0].limit -= 1

    while True:
        for b in blocks:
            b.limit = full[id(b)]
        shorten(FLOOR_ROWS)
        giving = [p for key in GIVE_WAY for p in parts if p.section.key == key]
        if fits() or not giving:
            break
        parts.remove(giving[0])
        left_out.append(giving[0].section.title)
    shorten(MIN_ROWS)
    return parts + ([_left_out_part(measure, left_out, width)] if left_out else [])


def _left_out_part(measure: TextMeasure, titles: list[str], width: float) -> _Part:
    """The closing line naming the sections left out for room."""
    text = f"Aus Platzgründen nicht auf dieser Seite, aber im Steckbrief der Anwendung: {', '.join(titles)}."
    return _Part(Section("ausgelassen", "Weitere Abschnitte", "table", ()), [], measure.wrap(text, width, NOTE_SIZE),
                 None, width, heading=False)


def _draw_part(fig, measure: TextMeasure, part: _Part, x: float, y: float) -> float:
    W, H = fig.get_size_inches()
    if part.heading:
        fig.text(x / W, y / H, part.section.title, ha="left", va="top", fontsize=HEADING_SIZE, fontweight="bold")
        y -= HEADING_SIZE / 72 * HEADING_SPACE
    for block in part.blocks:
        y = _draw_table(fig, measure, block, x, y)
    if part.note:
        fig.text(x / W, y / H, "\n".join(part.note), ha="left", va="top", fontsize=NOTE_SIZE, color="#444444",
                 linespacing=LINE)
        y -= lines_height(len(part.note), NOTE_SIZE, LINE) + 0.04
    return y - PART_GAP


def _status_colour(status_class: str) -> str:
    return STATUS_COLORS.get(status_class, NO_CLASS_COLOR)


def _badge(fig, renderer, profile: Profile, x: float, y: float) -> float:
    """The status class as coloured box with its text (colour AND words); returns its right edge."""
    W, H = fig.get_size_inches()
    fill = _status_colour(profile.status_class)
    dark = fill == STATUS_COLORS.get("Status sehr niedrig")  # white text only on the darkest class
    text = profile.status_class + (" · Sozialraum mit hohem Bedarf" if profile.in_need else "")
    if profile.status_class == NOT_CLASSIFIED:
        text += " (zu wenige Einwohnerinnen und Einwohner oder kein Statusindex)"
    t = fig.text(x / W, y / H, text, ha="left", va="top", fontsize=8.8, fontweight="bold",
                 color="#ffffff" if dark else "#1a1a1a",
                 bbox=dict(boxstyle="round,pad=0.3", facecolor=fill, edgecolor="#555555", linewidth=0.6))
    return x + t.get_window_extent(renderer).width / fig.dpi


def _map_offers(common: Common, position: int) -> list[int]:
    """Rows of the offers the locator map shows: those in the district and the nearest of each type."""
    offers = common.offers
    chosen = set(np.flatnonzero((offers["position"] == position).to_numpy()))
    centre = common.centres[0][position]
    xy = np.array([[g.x, g.y] for g in offers.geometry]) if len(offers) else np.empty((0, 2))
    for t in common.types:
        idx = np.flatnonzero((offers[settings.OFFER_TYPE].astype(str) == t).to_numpy())
        if len(idx) and not any(i in chosen for i in idx):
            dist = np.hypot(xy[idx, 0] - centre[0], xy[idx, 1] - centre[1])
            chosen.add(int(idx[int(np.argmin(dist))]))
    return sorted(int(i) for i in chosen)


@dataclass(frozen=True)
class _MapBase:
    """What every locator map of one data set shares: the status fills and the offer layers (without reach)."""

    content: object  # MapContent of the status map
    layers: list

    @classmethod
    def of(cls, dataset: Dataset, result: Result) -> _MapBase:
        """Built once per data set and result (the offer layers come from the offers map, with its symbols)."""
        layers = [replace(layer, reach=None) for layer in map_content("offers", dataset, result).offers]
        return cls(map_content("status", dataset, result), layers)


@dataclass(frozen=True)
class Shared:
    """What the profiles of one data set and result share, computed once (e.g. for the ZIP of all)."""

    common: Common
    base: _MapBase

    @classmethod
    def of(cls, dataset: Dataset, result: Result) -> Shared:
        """Compute the shared parts."""
        return cls(Common(dataset, result), _MapBase.of(dataset, result))


def _locator(dataset: Dataset, result: Result, common: Common, base: _MapBase, position: int):
    """Map content: the status classes of the city, the district outlined, the offers in and nearest to it."""
    ids = set(common.offers[settings.OFFER_ID].astype(str).iloc[_map_offers(common, position)])
    layers = []
    for layer in base.layers:
        keep = layer.points[settings.OFFER_ID].astype(str).isin(ids).to_numpy()
        if keep.any():
            layers.append(replace(layer, points=layer.points[keep]))
    emphasis = np.zeros(len(result.districts), dtype=bool)
    emphasis[position] = True
    shown_classes = [c for c in STATUS_COLORS if c in set(result.districts["status_class"])]
    items = [LegendItem(c, Style(STATUS_COLORS[c])) for c in shown_classes]
    items.append(LegendItem("dieser Sozialraum", Style("none", EMPHASIS), line="-", linewidth=2.2))
    offer_items = [LegendItem(dataset.type_labels(layer.offer_type).short, marker=layer.marker, color=layer.color)
                   for layer in layers]
    sections = [LegendSection("Karte", items)]
    if offer_items:
        sections.append(LegendSection("Angebote (im Sozialraum, nächstes je Art)", offer_items))
    return replace(base.content, emphasis=emphasis, offers=layers, bold=None, sections=sections)


def _footer_lines(dataset: Dataset, result: Result, export_date: date) -> list[tuple[str, str]]:
    p = result.population
    method = (f"Methode: Statusindex nach dem Monitoring Soziale Stadtentwicklung aus {len(result.weights)} "
              f"Indikatoren (z-standardisiert über die Sozialräume mit mindestens {result.min_inhabitants} "
              f"Einwohnern, gewichtet summiert, erneut standardisiert); Reichweite als Luftlinie "
              f"(ETRS89/UTM 32N); Wohnorte {p.genitive}: {result.residents_source}. Karte: Flächenfarbe = "
              "Statusklasse, schwarz umrandet = dieser Sozialraum; ohne Hintergrundkarte.")
    protection = (f"Datenschutz: Personenzahlen von 1 bis 2 als „{SMALL}“, {HIDDEN_MEANING}. Export: "
                  f"{german_date(export_date)} · {APP_NAME} {software_version()}")
    return [(attribution(dataset), "#333333"), (f"Datenstand: {versions_text(dataset)}", "#333333"),
            (method, "#444444"), (protection, "#333333")]


def _footer(fig, measure: TextMeasure, lines: list[tuple[str, str]], width: float) -> float:
    """Draw the footer lines at the bottom of the page; returns the y of its top rule (inches)."""
    W, H = fig.get_size_inches()
    wrapped = [(measure.wrap(text, width, NOTE_SIZE), colour) for text, colour in lines]
    fy = MARGIN + sum(lines_height(len(w), NOTE_SIZE, LINE) + 0.03 for w, _ in wrapped) + 0.02
    fig.add_artist(Line2D([MARGIN / W, (W - MARGIN) / W], [(fy + 0.02) / H] * 2, color="#999999", linewidth=0.5))
    y = fy - 0.05
    for text_lines, colour in wrapped:
        fig.text(MARGIN / W, y / H, "\n".join(text_lines), ha="left", va="top", fontsize=NOTE_SIZE, color=colour,
                 linespacing=LINE)
        y -= lines_height(len(text_lines), NOTE_SIZE, LINE) + 0.03
    return fy


def render_profile(dataset: Dataset, result: Result, district_id: object, *, export_date: date | None = None,
                   shared: Shared | None = None) -> bytes:
    """The Sozialraumsteckbrief of one district as a one-page A4 portrait PDF.

    Parameters
    ----------
    dataset, result
        The data set and its analysis.
    district_id
        Sozialraum-Nr. as stored.
    export_date
        Date printed on and stamped into the file (default today).
    shared
        What the profiles of one data set share (:meth:`Shared.of`; made when not given).

    Raises
    ------
    DataError
        For an unknown Sozialraum-Nr.
    """
    export_date = resolve_date(export_date)
    shared = shared or Shared.of(dataset, result)
    common, base = shared.common, shared.base
    position = district_position(result, district_id)
    profile = district_profile(dataset, result, district_id, common=common)
    W, H = paper_size_in("A4", "portrait")
    width = W - 2 * MARGIN
    with rc():
        fig, renderer = new_figure(W, H)
        fig.set_facecolor("#ffffff")
        measure = TextMeasure(fig, renderer)
        top = H - MARGIN
        stamp_w = draw_stamp(fig, renderer, W - MARGIN, top, 0.85) if dataset.synthetic else 0.0
        title, size = fit_text(fig, renderer, f"{PRODUCT}: {profile.name}", width - stamp_w - 0.1, 15,
                               max_lines=1, weight="bold")
        fig.text(MARGIN / W, top / H, title, ha="left", va="top", fontsize=size, fontweight="bold")
        facts = [f"Sozialraum-Nr. {profile.district_id}"]
        if profile.area:
            facts.append(f"Stadtbezirk {profile.area}")
        if dataset.city:
            facts.append(dataset.city)
        facts.append(f"Indikatorjahr {profile.year}")
        sub, sub_size = fit_text(fig, renderer, " · ".join(facts), width - stamp_w - 0.1, 8.8, max_lines=1)
        fig.text(MARGIN / W, (top - 0.3) / H, sub, ha="left", va="top", fontsize=sub_size, color="#333333")
        _badge(fig, renderer, profile, MARGIN + 0.03, top - 0.56)
        y = top - 0.9
        fy = _footer(fig, measure, _footer_lines(dataset, result, export_date), width)
        beside = _beside(profile.sections)
        history = common.history.district(profile.district_id)
        parts = [_part(measure, s, width, history) for s in profile.sections if s.key not in BESIDE_MAP]
        series = next((p for p in parts if p.panel is not None), None)
        if series is not None:  # the time series goes under the map: the band has room beside the key figures
            parts.remove(series)
        for map_size in MAP_SIZES:
            right_w = width - map_size - 0.2
            side = [_part(measure, s, right_w) for s in beside]
            under = _under_map(measure, series, map_size)
            band = max(map_size + under, sum(_part_height(measure, p) for p in side) + LEGEND_IN)
            if not _overflow(measure, parts, y - band - 0.15 - fy - 0.05):
                break
        parts = _fit(measure, parts, y - band - 0.15 - fy - 0.05, width)

        # band: locator map left, key figures and the map legend right
        content = _locator(dataset, result, common, base, position)
        draw_map(fig, renderer, (MARGIN, y - map_size, map_size, map_size), content, result, labels=False,
                 fontscale=0.8)
        right_x, ry = MARGIN + map_size + 0.2, y
        for part in side:
            ry = _draw_part(fig, measure, part, right_x, ry)
        draw_legend(fig, renderer, (right_x, ry - LEGEND_IN, right_w, LEGEND_IN - 0.05), content, fontscale=0.85)
        if series is not None:
            top_of_panel = y - map_size - UNDER_MAP_GAP
            draw_panel(fig, renderer, series.panel, (MARGIN, top_of_panel - PANEL_IN, map_size, PANEL_IN),
                       count=UNDER_MAP_SERIES)
            note = measure.wrap(UNDER_MAP_NOTE, map_size, NOTE_SIZE)
            fig.text(MARGIN / W, (top_of_panel - PANEL_IN - 0.02) / H, "\n".join(note), ha="left", va="top",
                     fontsize=NOTE_SIZE, color="#444444", linespacing=LINE)
        y -= band + 0.15
        for part in parts:
            y = _draw_part(fig, measure, part, MARGIN, y)

        product = {"kind": "profile", "district_id": profile.district_id}
        record = settings_record(dataset, result, export_date=export_date, product=product)
        fig._praeventionsatlas = {  # read by figure_bytes for the file metadata
            "title": f"{PRODUCT}: {profile.name} ({profile.district_id})",
            "subject": f"{PRODUCT} Sozialraum-Nr. {profile.district_id}, Indikatorjahr {profile.year}",
            "export_date": export_date, "kind": "profile", "settings": settings_json(record, indent=None),
        }
    return figure_bytes(fig, "pdf")


_TRANSLITERATION = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue"})


def slug(text: object, *, limit: int = 60) -> str:
    """A safe ASCII file-name part: umlauts transliterated, anything but letters, digits and ``-`` → ``-``."""
    plain = unicodedata.normalize("NFKD", str(text).translate(_TRANSLITERATION))
    plain = plain.encode("ascii", "ignore").decode("ascii")
    cleaned = re.sub(r"[^A-Za-z0-9]+", "-", plain).strip("-")
    return cleaned[:limit].strip("-")


def profile_file_name(district_id: object, name: object, year: int) -> str:
    """File name of one profile, e.g. ``steckbrief_0101_Altstadt_2024.pdf`` (safe for any id and name)."""
    parts = [p for p in (slug(district_id, limit=24), slug(name)) if p] or ["sozialraum"]
    return f"steckbrief_{'_'.join(parts)}_{int(year)}.pdf"


def profiles_zip(dataset: Dataset, result: Result, *, export_date: date | None = None,
                 progress: Progress = silent) -> bytes:
    """A ZIP with the profile PDF of every district (sorted by Sozialraum-Nr.; fixed entry dates, same bytes).

    ``progress`` (:mod:`geo.progress`) hears one step per district ("Sozialraum 3 von 57: Altstadt").
    """
    export_date = resolve_date(export_date)
    stamp = export_timestamp(export_date)
    when = (stamp.year, stamp.month, stamp.day, 0, 0, 0)
    shared = Shared.of(dataset, result)
    buffer = io.BytesIO()
    used: set[str] = set()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        ordered = profiles(dataset, result, common=shared.common)
        for number, profile in enumerate(ordered, start=1):
            progress((number - 1) / len(ordered), f"Sozialraum {number} von {len(ordered)}: {profile.name}")
            name = profile_file_name(profile.district_id, profile.name, result.year)
            stem, k = name[:-4], 2
            while name in used:  # two ids that differ only in removed characters
                name, k = f"{stem}_{k}.pdf", k + 1
            used.add(name)
            entry = zipfile.ZipInfo(name, date_time=when)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, render_profile(dataset, result, profile.district_id, export_date=export_date,
                                                   shared=shared))
    progress(1.0, "Steckbriefe gepackt")
    return buffer.getvalue()
