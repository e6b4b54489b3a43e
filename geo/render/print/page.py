"""Page primitives of the multi-page PDFs (committee report, district profiles): furniture, headings, text, tables.

All positions are inches from the bottom-left corner of an A4/A3 portrait page; texts are measured with
:class:`~geo.render.print.kit.TextMeasure`, so that a wrapped paragraph or table cell reports the height it took.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from geo.analysis import Result
from geo.analysis.scenarios import scenario_text
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.render.print.kit import TextMeasure, fit_text
from geo.render.print.sheet import draw_stamp
from geo.render.provenance import APP_NAME, attribution, german_date

MARGIN = 0.6  # inches
BODY = 8.6  # pt
#: Top of the body (below the header line) and bottom (above the footer line), inches from the page edge.
TOP = 0.85
BOTTOM = 0.85
#: Narrowest width (inches) of a table's long-text column.
FLEX_MIN = 1.9


@dataclass(frozen=True)
class PageCtx:
    """What every page drawer gets: the data, its analysis, the export date, page count, contents, measure."""

    dataset: Dataset
    result: Result
    export_date: date
    n_pages: int
    contents: list[tuple[str, int, int]]  # (title, first page, last page)
    measure: TextMeasure
    title: str = "Bericht für den Jugendhilfeausschuss"
    #: Name of the what-if scenario the page shows ("" = the Bestand, unless ``dataset.scenario`` names one):
    #: :func:`furniture` marks such a page with :func:`geo.analysis.scenarios.scenario_text`.
    scenario: str = ""


#: Fill and text colour of the scenario mark in the page header.
SCENARIO_FILL = "#fde8c8"
SCENARIO_INK = "#7a2a00"


def fitted_mark(measure: TextMeasure, name: str, width_in: float, size: float, weight: str = "normal", *,
                suffix: str = "") -> str:
    """The scenario mark of ``name`` (plus ``suffix``) on one line no wider than ``width_in``.

    The words are :func:`geo.analysis.scenarios.scenario_text`.

    A long name is shortened with "…", never the words that say the page shows no Bestand.
    """
    text = scenario_text(name) + suffix
    if measure.width(text, size, weight) <= width_in * TextMeasure.SAFETY:
        return text
    low, high = 0, len(name)  # the longest prefix of the name that fits
    while low < high:
        mid = (low + high + 1) // 2
        if measure.width(scenario_text(name[:mid].rstrip() + "…") + suffix, size, weight) <= width_in * \
                TextMeasure.SAFETY:
            low = mid
        else:
            high = mid - 1
    return scenario_text(name[:low].rstrip() + "…") + suffix


def count_text(value: float) -> str:
    """A count as German text (``1.809``)."""
    return format_number(value, 0)


def total_text(total, *, percent: bool = False) -> str:
    """A :class:`~geo.analysis.protect.Total` as text, with ``*`` when districts were left out."""
    text = format_number(100 * total.value, 0, unit="%") if percent else count_text(total.value)
    if total.left_out:
        text += "*"
    return text


def furniture(fig, renderer, ctx: PageCtx, page: int) -> None:
    """Header (product, indicator year, stamp of synthetic data), rules, footer (source, date, page i of n)."""
    W, H = fig.get_size_inches()
    stamp_w = draw_stamp(fig, renderer, W - MARGIN, H - 0.3, 0.85) if ctx.dataset.synthetic else 0.0
    scenario = ctx.scenario or ctx.dataset.scenario
    if scenario:  # a tinted band in place of the product line: no page of a scenario can pass for the Bestand
        room, year = W - 2 * MARGIN - stamp_w - 0.2, f" · Indikatorjahr {ctx.result.year}"
        full = [(s, f"{scenario_text(scenario)}{year}") for s in (8.0, 7.5, 7.0)]
        size, text = next(((s, t) for s, t in full if ctx.measure.width(t, s, "bold") <= room * TextMeasure.SAFETY),
                          (7.0, fitted_mark(ctx.measure, scenario, room, 7.0, "bold")))
        fig.add_artist(Rectangle((MARGIN / W, (H - 0.58) / H), (W - 2 * MARGIN - stamp_w - 0.05) / W, 0.26 / H,
                                 transform=fig.transFigure, facecolor=SCENARIO_FILL, edgecolor=SCENARIO_INK,
                                 linewidth=0.8, zorder=-1))
        fig.text((MARGIN + 0.08) / W, (H - 0.45) / H, text, ha="left", va="center", fontsize=size,
                 fontweight="bold", color=SCENARIO_INK)
    else:
        fig.text(MARGIN / W, (H - 0.38) / H, f"{APP_NAME} · {ctx.title} · Indikatorjahr "
                 f"{ctx.result.year}", ha="left", va="top", fontsize=7.5, color="#555555")
    fig.add_artist(Line2D([MARGIN / W, (W - MARGIN) / W], [(H - 0.62) / H] * 2, color="#999999", linewidth=0.5))
    fig.add_artist(Line2D([MARGIN / W, (W - MARGIN) / W], [0.62 / H] * 2, color="#999999", linewidth=0.5))
    footer = f"{attribution(ctx.dataset)} · Export: {german_date(ctx.export_date)}"
    text, size = fit_text(fig, renderer, footer, W - 2 * MARGIN - 1.1, 6.8, max_lines=2, min_size=5.5)
    fig.text(MARGIN / W, 0.55 / H, text, ha="left", va="top", fontsize=size, color="#444444", linespacing=1.15)
    fig.text((W - MARGIN) / W, 0.55 / H, f"Seite {page} von {ctx.n_pages}", ha="right", va="top", fontsize=7.5,
             color="#444444")


def heading(fig, text: str, y_in: float, size: float = 14) -> float:
    """A bold heading with its top at ``y_in``; returns the y below it."""
    W, H = fig.get_size_inches()
    fig.text(MARGIN / W, y_in / H, text, ha="left", va="top", fontsize=size, fontweight="bold")
    return y_in - size / 72 * 1.6


def paragraph(fig, ctx: PageCtx, text: str, y_in: float, *, size: float = BODY, width: float | None = None,
               x: float = MARGIN, color: str = "#111111", weight: str = "normal") -> float:
    """Wrapped text with its top at ``y_in``; returns the y below it."""
    W, H = fig.get_size_inches()
    width = width or W - 2 * MARGIN
    lines = ctx.measure.wrap(text, width, size, weight)
    fig.text(x / W, y_in / H, "\n".join(lines), ha="left", va="top", fontsize=size, color=color,
             fontweight=weight, linespacing=1.3)
    return y_in - lines_height(len(lines), size) - 0.08


def lines_height(n: int, size: float, spacing: float = 1.3) -> float:
    """Height in inches of ``n`` lines at line ``spacing`` (matplotlib: font size × 1.3 per line, ~1.2 for one)."""
    return n * size / 72 * spacing


def auto_widths(measure: TextMeasure, header: list[str], rows: list[list[str]], size: float, flexible: int,
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


def wrap_cells(ctx_measure: TextMeasure, row: list[str], widths: list[float], total: float, size: float,
           weight: str = "normal") -> list[list[str]]:
    """The lines of every cell of ``row`` wrapped to its column."""
    return [ctx_measure.wrap(str(c), widths[j] * total - 0.08, size, weight) or [""] for j, c in enumerate(row)]


def table(fig, ctx: PageCtx, header: list[str], rows: list[list[str]], widths: list[float], y_top: float, *,
           aligns: list[str], size: float = 7.8, bold_rows: list[bool] | None = None) -> float:
    """Draw a table with a grey header row; wraps cells to their column; returns the y below it (inches)."""
    W, H = fig.get_size_inches()
    total = W - 2 * MARGIN
    xs = np.concatenate([[0.0], np.cumsum(widths)]) * total + MARGIN
    head = wrap_cells(ctx.measure, header, widths, total, size, "bold")
    header_h = lines_height(max(len(c) for c in head), size) + 0.08
    fig.add_artist(Rectangle((MARGIN / W, (y_top - header_h) / H), total / W, header_h / H,
                             transform=fig.transFigure, facecolor="#e6e6e6", edgecolor="none"))
    for j, lines in enumerate(head):
        x = xs[j] + 0.04 if aligns[j] == "left" else xs[j + 1] - 0.04
        fig.text(x / W, (y_top - 0.04) / H, "\n".join(lines), ha=aligns[j], va="top", fontsize=size,
                 fontweight="bold", linespacing=1.3)
    y = y_top - header_h
    for i, row in enumerate(rows):
        weight = "bold" if bold_rows and bold_rows[i] else "normal"
        row_lines = wrap_cells(ctx.measure, row, widths, total, size, weight)
        row_h = lines_height(max(len(c) for c in row_lines), size) + 0.06
        if i % 2 == 1:
            fig.add_artist(Rectangle((MARGIN / W, (y - row_h) / H), total / W, row_h / H,
                                     transform=fig.transFigure, facecolor="#f4f4f4", edgecolor="none"))
        for j, lines in enumerate(row_lines):
            x = xs[j] + 0.04 if aligns[j] == "left" else xs[j + 1] - 0.04
            fig.text(x / W, (y - 0.03) / H, "\n".join(lines), ha=aligns[j], va="top", fontsize=size,
                     fontweight=weight, linespacing=1.3)
        y -= row_h
    fig.add_artist(Line2D([MARGIN / W, (MARGIN + total) / W], [y / H] * 2, color="#999999", linewidth=0.5,
                          transform=fig.transFigure))
    return y - 0.1


def table_height(measure: TextMeasure, header: list[str], rows: list[list[str]], bold: list[bool],
                  widths: list[float], total: float, size: float) -> tuple[float, list[float]]:
    """Height of the header and of every row (inches) of a table drawn by :func:`table`."""
    head = wrap_cells(measure, header, widths, total, size, "bold")
    heights = [lines_height(max(len(c) for c in wrap_cells(measure, row, widths, total, size,
                                                        "bold" if b else "normal")), size) + 0.06
               for row, b in zip(rows, bold, strict=True)]
    return lines_height(max(len(c) for c in head), size) + 0.08, heights


def paginate(measure: TextMeasure, rows: list[list[str]], bold: list[bool], widths: list[float], total: float,
              size: float, first_h: float, page_h: float, *, header: list[str]) -> list[list[int]]:
    """Row indices per page so that ``header`` plus rows fit; the header repeats on every page."""
    header_h, heights = table_height(measure, header, rows, bold, widths, total, size)
    pages: list[list[int]] = [[]]
    room = first_h - header_h
    for i, h in enumerate(heights):
        if h > room and pages[-1]:
            pages.append([])
            room = page_h - header_h
        pages[-1].append(i)
        room -= h
    return pages
