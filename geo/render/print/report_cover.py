"""The cover of the committee report: the answer first – the combined gap map, the gap districts, the key figures."""

from __future__ import annotations

from dataclasses import dataclass

from matplotlib.patches import FancyBboxPatch

from geo import settings
from geo.analysis import column
from geo.analysis.need import IN_NEED_CLASSES
from geo.analysis.protect import HIDDEN_MEANING, SMALL, protected_totals
from geo.formatting import format_number
from geo.render import reach_words
from geo.render.print.content import map_content
from geo.render.print.drawing import draw_legend, draw_map
from geo.render.print.kit import TextMeasure
from geo.render.print.page import (
    BOTTOM,
    MARGIN,
    TOP,
    PageCtx,
    auto_widths,
    count_text,
    heading,
    lines_height,
    paragraph,
    table,
    table_height,
    total_text,
)
from geo.render.print.ranking import GapDistrict
from geo.render.provenance import german_date, source_text, versions_text

COVER_TITLE = "Ergebnis auf einen Blick"
#: Least height (inches) of the cover's gap map, and most as a share of the page height; it takes what the
#: texts leave.
MAP_MIN, MAP_MAX_SHARE = 2.9, 0.5
#: Width (inches) of the legend column beside the cover map.
LEGEND_W = 2.15
#: Size (pt) of the cover's tables.
TABLE_SIZE = 7.4
#: At most this many gap districts on the cover; the others are named in the ranking.
MAX_LISTED = 12
#: Size (pt) and line step (inches) of the contents.
CONTENTS_SIZE = 8.0
CONTENTS_STEP = CONTENTS_SIZE / 72 * 1.45


@dataclass(frozen=True)
class CoverInfo:
    """What the cover needs beyond the analysis: the gap districts and where the ranking starts."""

    districts: list[GapDistrict]
    ranking_title: str
    ranking_page: int


def gap_list_rows(districts: list[GapDistrict]) -> list[list[str]]:
    """Rows of the cover's gap list: name, status, types with a gap, people without an offer in reach per type."""
    rows = []
    for g in districts:
        per_type = ", ".join(f"{t} {w}" for t, w in zip(g.types, g.without, strict=True))
        rows.append([g.name, g.status, ", ".join(g.types), per_type])
    return rows


def gap_list_header(short: str) -> list[str]:
    """Header of the cover's gap list, naming whom reach is measured for (``short``: "Kinder")."""
    return ["Sozialraum", "Status", "Versorgungslücke bei", f"{short} ohne Angebot in Reichweite"]


def _title_block(fig, ctx: PageCtx, y: float) -> float:
    W, H = fig.get_size_inches()
    d, r = ctx.dataset, ctx.result
    fig.text(MARGIN / W, y / H, "Bericht für den Jugendhilfeausschuss", ha="left", va="top", fontsize=18,
             fontweight="bold")
    y -= 0.4
    types = ", ".join(d.type_labels(t).plural for t in r.offer_types)
    y = paragraph(fig, ctx, f"Wo fehlen präventive Angebote{f' – {types} –' if types else ''} in Sozialräumen mit "
                  "hohem Bedarf?", y, size=9.5, color="#333333")
    facts = (f"Datenquelle: {source_text(d)} · Indikatorjahr {r.year} · Datenstand: {versions_text(d)} · "
             f"Export: {german_date(ctx.export_date)}")
    return paragraph(fig, ctx, facts, y, size=7.5, color="#444444")


def _boxes(fig, ctx: PageCtx, y: float, totals: dict) -> float:
    W, H = fig.get_size_inches()
    p = ctx.result.population
    boxes = [
        ("Sozialräume", total_text(totals["districts"])),
        ("davon mit hohem Bedarf", total_text(totals["districts_in_need"])),
        ("Kinder 0–17 Jahre" if p.is_children else p.heading, total_text(totals["population"])),
        (f"{p.short} in Sozialräumen\nmit hohem Bedarf", total_text(totals["population_in_need"])),
    ]
    box_w = (W - 2 * MARGIN - 3 * 0.15) / 4
    box_h = 0.58
    for i, (label, value) in enumerate(boxes):
        x = MARGIN + i * (box_w + 0.15)
        fig.add_artist(FancyBboxPatch((x / W, (y - box_h) / H), box_w / W, box_h / H,
                                      boxstyle="round,pad=0,rounding_size=0.008", transform=fig.transFigure,
                                      facecolor="#f3f3f3", edgecolor="#cccccc", linewidth=0.6))
        fig.text((x + 0.1) / W, (y - 0.07) / H, value, ha="left", va="top", fontsize=14, fontweight="bold",
                 color="#7a2a00")
        fig.text((x + 0.1) / W, (y - 0.32) / H, label, ha="left", va="top", fontsize=7, color="#333333",
                 linespacing=1.15)
    return y - box_h - 0.15


def _type_table(ctx: PageCtx, totals: dict) -> tuple[list[str], list[list[str]], list[float]]:
    d, r, p = ctx.dataset, ctx.result, reach_words.group(ctx.result)
    header = ["Angebotsart", "Standorte", "Reichweite", f"{p.short} in Reichweite (Sozialräume mit hohem Bedarf)",
              "Sozialräume mit Versorgungslücke"]
    rows = []
    for t in r.offer_types:
        n_offers = int((d.offers[settings.OFFER_TYPE] == t).sum())
        rows.append([d.type_labels(t).plural, count_text(n_offers), reach_words.model_short(r, t),
                     total_text(totals[column("share_in_need_reached", t)], percent=True),
                     total_text(totals[column("gap_districts", t)])])
    names = max(ctx.measure.width(row[0], TABLE_SIZE) for row in rows) / TextMeasure.SAFETY + 0.1 if rows else 0.0
    return header, rows, auto_widths(ctx.measure, header, rows, TABLE_SIZE, 0, _width(ctx), flex_min=names)


def _width(ctx: PageCtx) -> float:
    return ctx.measure.fig.get_size_inches()[0] - 2 * MARGIN


def _contents_rows(ctx: PageCtx) -> int:
    return (len(ctx.contents) + 1) // 2


def _contents(fig, ctx: PageCtx, y: float) -> float:
    """The contents in two columns: every section with its first (and last) page."""
    W, H = fig.get_size_inches()
    y = heading(fig, "Inhalt", y, 11)
    col_w = (W - 2 * MARGIN - 0.3) / 2
    rows = _contents_rows(ctx)
    for k, (title, first, last) in enumerate(ctx.contents):
        x = MARGIN + (k // rows) * (col_w + 0.3)
        yy = y - (k % rows) * CONTENTS_STEP
        pages = str(first) if first == last else f"{first}–{last}"
        lines = ctx.measure.wrap(title, col_w - 0.45, CONTENTS_SIZE)
        text = lines[0] if len(lines) == 1 else lines[0].rstrip() + " …"
        fig.text(x / W, yy / H, text, ha="left", va="top", fontsize=CONTENTS_SIZE)
        fig.text((x + col_w) / W, yy / H, pages, ha="right", va="top", fontsize=CONTENTS_SIZE)
    return y - rows * CONTENTS_STEP


def _heading_h(size: float) -> float:
    """Height :func:`~geo.render.print.page.heading` takes."""
    return size / 72 * 1.6


def _paragraph_h(ctx: PageCtx, text: str, width: float, size: float) -> float:
    """Height :func:`~geo.render.print.page.paragraph` takes."""
    return lines_height(len(ctx.measure.wrap(text, width, size)), size) + 0.08


def _table_h(ctx: PageCtx, header: list[str], rows: list[list[str]], widths: list[float], total_w: float) -> float:
    """Height :func:`~geo.render.print.page.table` takes."""
    head_h, heights = table_height(ctx.measure, header, rows, [False] * len(rows), widths, total_w, TABLE_SIZE)
    return head_h + sum(heights) + 0.1


def cover(fig, renderer, ctx: PageCtx, info: CoverInfo) -> None:
    """Draw the cover: title, key figures, the combined gap map with legend, the gap districts, types, contents.

    The map takes the height the texts leave (at least :data:`MAP_MIN`, at most half the page); when the gap list
    would not fit, the largest gaps are listed and the rest named by count with the ranking's page.
    """
    W, H = fig.get_size_inches()
    r, p = ctx.result, reach_words.group(ctx.result)
    totals = protected_totals(r)
    total_w = W - 2 * MARGIN
    y = _title_block(fig, ctx, H - TOP - 0.1)
    y = _boxes(fig, ctx, y, totals)

    content = map_content("gaps", ctx.dataset, r)
    type_header, type_rows, type_widths = _type_table(ctx, totals)
    list_header = gap_list_header(p.short)
    all_rows = gap_list_rows(info.districts)
    list_widths = auto_widths(ctx.measure, list_header, all_rows, TABLE_SIZE, 3, total_w, flex_min=2.0)
    threshold = format_number(100 * r.max_share_in_reach, 0)
    definition = (f"Versorgungslücke: Sozialraum mit hohem Bedarf („{IN_NEED_CLASSES[0]}“ oder "
                  f"„{IN_NEED_CLASSES[1]}“), in dem weniger als {threshold} % {p.genitive} ein Angebot der Art in "
                  f"Reichweite{reach_words.straight_line(r)} haben. „{SMALL}“ = 1 oder 2; {HIDDEN_MEANING}.")
    if r.population.note:
        definition += f" {r.population.note}."
    left_out = [tot for tot in totals.values() if tot.left_out]
    more = _paragraph_h(ctx, "… 99 weitere", total_w, 7.6) - 0.04
    base = (_heading_h(12) + 0.1 + _heading_h(10.5)
            + _paragraph_h(ctx, definition, total_w, 7.2) + 0.12 + 0.07  # 0.12: a line naming unlabelled districts
            + _heading_h(10.5) + _table_h(ctx, type_header, type_rows, type_widths, total_w)
            + (0.2 if left_out else 0.0) + 0.05 + _heading_h(11) + _contents_rows(ctx) * CONTENTS_STEP)

    def rest(shown: int) -> float:
        """Height of everything but the map with ``shown`` gap districts listed."""
        if not all_rows:
            return base + 0.3
        return base + _table_h(ctx, list_header, all_rows[:shown], list_widths, total_w) + (
            more if shown < len(all_rows) else 0.0)

    room = y - BOTTOM - 0.05
    shown = min(len(all_rows), MAX_LISTED)
    while shown > 1 and room - rest(shown) < MAP_MIN:
        shown -= 1
    map_h = max(MAP_MIN, min(MAP_MAX_SHARE * H, room - rest(shown)))

    y = heading(fig, f"{COVER_TITLE}: Versorgungslücken", y, 12)
    map_w = total_w - LEGEND_W - 0.15
    stats = draw_map(fig, renderer, (MARGIN, y - map_h, map_w, map_h), content, r, labels=True, fontscale=0.8)
    draw_legend(fig, renderer, (MARGIN + map_w + 0.15, y - map_h, LEGEND_W, map_h), content, fontscale=0.8)
    y -= map_h + 0.08
    if stats["omitted"]:
        n = len(stats["omitted"])
        definition += f" Auf der Karte ohne Namen (zu wenig Platz): {n} Sozialr{'aum' if n == 1 else 'äume'}."

    n_gap = len(all_rows)
    title = (f"{n_gap} Sozialr{'aum' if n_gap == 1 else 'äume'} mit Versorgungslücke" if n_gap
             else "Keine Versorgungslücke")
    y = heading(fig, title, y, 10.5)
    if all_rows:
        y = table(fig, ctx, list_header, all_rows[:shown], list_widths, y, aligns=["left", "left", "left", "left"],
                  size=TABLE_SIZE)
        if shown < n_gap:
            y = paragraph(fig, ctx, f"… {n_gap - shown} weitere in Abschnitt „{info.ranking_title}“ (Seite "
                          f"{info.ranking_page}).", y + 0.04, size=7.6, weight="bold")
    elif not r.offer_types:
        y = paragraph(fig, ctx, "Noch keine Angebotsart analysiert: für keine Art liegen Standorte vor.", y)
    else:
        y = paragraph(fig, ctx, f"Bei diesen Radien und dieser Schwelle haben in jedem Sozialraum mit hohem Bedarf "
                      f"mindestens {threshold} % {p.genitive} jedes Angebot in Reichweite.", y)
    y = paragraph(fig, ctx, definition, y, size=7.2, color="#444444") - 0.07

    y = heading(fig, "Angebote je Art", y, 10.5)
    if type_rows:
        y = table(fig, ctx, type_header, type_rows, type_widths, y,
                  aligns=["left", "right", "right", "right", "right"], size=TABLE_SIZE)
    if left_out:
        y = paragraph(fig, ctx, "* Ohne Sozialräume, deren Wert aus Datenschutzgründen nicht ausgewiesen wird "
                      f"({max(t.left_out for t in left_out)} höchstens).", y + 0.04, size=7.0, color="#444444")
    _contents(fig, ctx, y - 0.05)
