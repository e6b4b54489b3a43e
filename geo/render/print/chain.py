"""The committee report's page "Präventionskette": Ketten-Matrix of the districts in need, most-missing phase, rule.

The rows are the *Sozialräume mit hohem Bedarf* (all districts where there are few, :data:`ALL_ROWS`), most missing
links first; cells are coloured like the reach maps and a missing link of a district in need (a gap of the chain)
is framed in red. What does not fit on the page is named, with where to find it (the chain export).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from matplotlib.patches import Rectangle

from geo import settings
from geo.analysis.chain import Chain, chain_matrix, most_missing_text, rule_text
from geo.render import chain_tables as ct
from geo.render.palette import HIDDEN_COLOR, NO_CLASS_COLOR, REACH_LABELS, reach_colors
from geo.render.print.kit import TextMeasure
from geo.render.print.page import BOTTOM, MARGIN, TOP, PageCtx, heading, lines_height, paragraph

TITLE: Final[str] = "Präventionskette: fehlende Glieder"
#: With at most this many districts the page shows all of them, not only those in need.
ALL_ROWS: Final[int] = 25
#: Font size (pt) and row height (in) of the matrix.
SIZE: Final[float] = 7.2
ROW_H: Final[float] = 0.19
#: Frame of a missing link in a district in need.
GAP_EDGE: Final[str] = "#a50f15"
#: Where the full matrix is (said under a shortened one).
FULL_TABLE_HINT: Final[str] = "vollständig in der Tabelle „Präventionskette“ (Export CSV/XLSX)"


def chain_of(ctx: PageCtx) -> Chain:
    """The chain of the report's data and result."""
    return chain_matrix(ctx.result, ctx.dataset.offer_types, ctx.dataset.phases)


@dataclass(frozen=True)
class _Layout:
    """Column x positions and widths (inches) of the matrix: name, status, missing links, one per phase."""

    xs: list[float]
    widths: list[float]


def _layout(n_phases: int, total: float) -> _Layout:
    fixed = [0.95, 0.62]  # Status, fehlende Glieder
    phase_w = min(1.0, max(0.55, (total - sum(fixed) - 1.6) / max(n_phases, 1)))
    widths = [total - sum(fixed) - phase_w * n_phases, *fixed, *[phase_w] * n_phases]
    xs = list(MARGIN + np.concatenate([[0.0], np.cumsum(widths)[:-1]]))
    return _Layout(xs, widths)


def _clip(measure: TextMeasure, text: str, width: float, size: float) -> str:
    """``text`` shortened with "…" to fit ``width`` inches."""
    if measure.width(text, size) <= width * TextMeasure.SAFETY:
        return text
    while len(text) > 1 and measure.width(text + "…", size) > width * TextMeasure.SAFETY:
        text = text[:-1]
    return text.rstrip() + "…"


def rows_of(chain: Chain) -> tuple[list[int], str]:
    """Positions of :attr:`Chain.districts` the page lists (most missing links first) and which they are."""
    d = chain.districts
    ordered = ct.order(chain, "missing")
    if len(d) <= ALL_ROWS or not d["in_need"].any():
        return list(ordered), "alle Sozialräume"
    need = d["in_need"].to_numpy(dtype=bool)
    return [int(i) for i in ordered if need[i]], "die Sozialräume mit hohem Bedarf (Status niedrig oder sehr niedrig)"


def _draw_matrix(fig, ctx: PageCtx, chain: Chain, positions: list[int], y: float) -> float:
    W, H = fig.get_size_inches()
    total = W - 2 * MARGIN
    headers = list(ct.phase_headers(chain).values())
    lay = _layout(len(headers), total)
    texts = ct.cell_texts(chain, gap_mark=False)
    colors = ct.cell_colors(chain)
    gaps = chain.wide("gap")
    head = [ct.DISTRICT, "Status", "fehlende\nGlieder", *headers]
    head_lines = [ctx.measure.wrap(h, lay.widths[j] - 0.08, SIZE, "bold") for j, h in enumerate(head)]
    head_h = lines_height(max(len(lines) for lines in head_lines), SIZE) + 0.08
    fig.add_artist(Rectangle((MARGIN / W, (y - head_h) / H), total / W, head_h / H, transform=fig.transFigure,
                             facecolor="#e6e6e6", edgecolor="none"))
    for j, lines in enumerate(head_lines):
        left = j < 2
        x = lay.xs[j] + 0.04 if left else lay.xs[j] + lay.widths[j] / 2
        fig.text(x / W, (y - 0.04) / H, "\n".join(lines), ha="left" if left else "center", va="top", fontsize=SIZE,
                 fontweight="bold", linespacing=1.3)
    y -= head_h
    d = chain.districts
    measured = chain.measured
    for k, i in enumerate(positions):
        row = d.iloc[i]
        district = row[settings.DISTRICT_ID]
        if k % 2 == 1:
            fig.add_artist(Rectangle((MARGIN / W, (y - ROW_H) / H), (lay.xs[3] - MARGIN) / W, ROW_H / H,
                                     transform=fig.transFigure, facecolor="#f4f4f4", edgecolor="none"))
        weight = "bold" if row["in_need"] else "normal"
        middle = (y - ROW_H / 2) / H
        name = _clip(ctx.measure, str(row[settings.DISTRICT_NAME]), lay.widths[0] - 0.08, SIZE)
        fig.text((lay.xs[0] + 0.04) / W, middle, name, ha="left", va="center", fontsize=SIZE, fontweight=weight)
        fig.text((lay.xs[1] + 0.04) / W, middle, str(row["status_class"]).replace("Status ", ""), ha="left",
                 va="center", fontsize=SIZE)
        fig.text((lay.xs[2] + lay.widths[2] / 2) / W, middle, str(int(row["missing"])), ha="center", va="center",
                 fontsize=SIZE, fontweight="bold")
        for j, p in enumerate(measured, start=3):
            fill = colors.at[district, p]
            gap = bool(gaps.at[district, p])
            fig.add_artist(Rectangle(((lay.xs[j] + 0.015) / W, (y - ROW_H + 0.015) / H),
                                     (lay.widths[j] - 0.03) / W, (ROW_H - 0.03) / H, transform=fig.transFigure,
                                     facecolor=fill, edgecolor=GAP_EDGE if gap else "#bbbbbb",
                                     linewidth=1.3 if gap else 0.3))
            fig.text((lay.xs[j] + lay.widths[j] / 2) / W, middle, str(texts.at[district, p]), ha="center",
                     va="center", fontsize=SIZE, color=ct.text_color(fill))
        y -= ROW_H
    return y - 0.08


def _legend(fig, ctx: PageCtx, y: float) -> float:
    """Swatches of the reach classes, of the cells without a share and the red frame (the rule explains the signs)."""
    W, H = fig.get_size_inches()
    x = MARGIN
    items = [(c, f"{label} in Reichweite", "#bbbbbb") for c, label in
             zip(reach_colors(len(REACH_LABELS)), REACH_LABELS, strict=True)]
    items += [(NO_CLASS_COLOR, "ohne Wert", "#bbbbbb"), (HIDDEN_COLOR, "nicht ausgewiesen", "#bbbbbb"),
              ("#ffffff", "Versorgungslücke der Kette", GAP_EDGE)]
    for fill, text, edge in items:
        width = 0.16 + ctx.measure.width(text, SIZE) / TextMeasure.SAFETY + 0.18
        if x + width > W - MARGIN:
            x, y = MARGIN, y - 0.2
        fig.add_artist(Rectangle((x / W, (y - 0.13) / H), 0.13 / W, 0.13 / H, transform=fig.transFigure,
                                 facecolor=fill, edgecolor=edge, linewidth=1.3 if edge == GAP_EDGE else 0.5))
        fig.text((x + 0.18) / W, (y - 0.065) / H, text, ha="left", va="center", fontsize=SIZE)
        x += width
    return y - 0.3


def chain_page(fig, renderer, ctx: PageCtx) -> None:
    """The page "Präventionskette" of the committee report (one page; a long list is cut with a note)."""
    W, H = fig.get_size_inches()
    chain = chain_of(ctx)
    y = heading(fig, TITLE, H - TOP)
    y = paragraph(fig, ctx, most_missing_text(chain), y, weight="bold")
    positions, which = rows_of(chain)
    intro = (f"Je Zeile ein Sozialraum – hier {which}, die mit den meisten fehlenden Gliedern zuerst –, je Spalte "
             "eine Lebensphase: Anteil der Zielgruppe, der ein Angebot der Lebensphase in Reichweite hat.")
    y = paragraph(fig, ctx, " ".join([intro, *chain.notes]), y, color="#333333")
    rule_h = lines_height(len(ctx.measure.wrap(rule_text(chain.max_share_in_reach), W - 2 * MARGIN, SIZE)), SIZE)
    room = y - BOTTOM - 0.3 - rule_h - 0.7  # legend and rule below the matrix
    fits = max(1, int((room - 0.4) / ROW_H))
    shown = positions if len(positions) <= fits else positions[:fits - 1]
    y = _draw_matrix(fig, ctx, chain, shown, y - 0.05)
    if len(shown) < len(positions):
        y = paragraph(fig, ctx, f"… und {len(positions) - len(shown)} weitere ({FULL_TABLE_HINT}).", y, size=SIZE,
                      color="#333333")
    y = _legend(fig, ctx, y - 0.05)
    paragraph(fig, ctx, rule_text(chain.max_share_in_reach), y, size=SIZE, color="#333333")
