"""The key of a Gesamtindex map: a 4 × 3 grid (rows status, columns dynamik) with counts, or a framed note.

:attr:`~geo.render.print.content_base.MapContent.grid` holds ``{"title", "counts"}`` (counts: 4 rows × 3 columns
of districts, :func:`geo.render.print.content_dynamics.overall_counts`) or ``{"title", "note"}`` for a map without
a Dynamik; :func:`geo.render.print.drawing.draw_legend` places it above the legend sections.
"""

from __future__ import annotations

from typing import Final

import matplotlib as mpl
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from geo.analysis.dynamics import DYNAMIC_CLASSES, DYNAMIC_SIGNS, needs_attention
from geo.analysis.need import STATUS_CLASSES
from geo.render.palette import OVERALL_GRID
from geo.render.print.kit import TextMeasure

#: Cell size and the width of the row labels, in inches at font scale 1.
CELL_W, CELL_H, LABEL_W = 0.52, 0.27, 0.95
#: Rows of the status classes as the key names them: the class and its MSS code digit.
ROW_LABELS: Final[list[str]] = [f"{s.removeprefix('Status ')} ({i})" for i, s in enumerate(STATUS_CLASSES, start=1)]
NOTE_FILL, NOTE_EDGE = "#f4f4f4", "#9a9a9a"


def is_dark(colour: str) -> bool:
    """Whether white text reads better than black on ``colour`` (relative luminance below 0.3)."""
    r, g, b = mpl.colors.to_rgb(colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.3


def _title_lines(grid: dict, measure: TextMeasure, width: float, fs: float, fontscale: float) -> list[str]:
    """The title wrapped to the column, or to the grid where that is wider."""
    if "counts" in grid:
        width = max(width, (LABEL_W + 3 * CELL_W) * fontscale)
    return measure.wrap(grid["title"], width, fs * 1.05, "bold")


def _note_lines(grid: dict, measure: TextMeasure, width: float, fs: float) -> list[str]:
    return measure.wrap(grid["note"], width - 0.16, fs)


def grid_size(grid: dict, measure: TextMeasure, width: float, fs: float, fontscale: float) -> tuple[float, float]:
    """Width and height in inches of the key of ``grid`` in a column ``width`` inches wide."""
    title_h = len(_title_lines(grid, measure, width, fs, fontscale)) * fs * 1.05 / 72 * 1.3
    if "note" in grid:
        return width, title_h + len(_note_lines(grid, measure, width, fs)) * fs / 72 * 1.3 + 0.2
    return (LABEL_W + 3 * CELL_W) * fontscale + 0.05, title_h + (0.5 + 4 * CELL_H + 0.5) * fontscale


def draw_grid(fig: Figure, measure: TextMeasure, x: float, y_top: float, grid: dict, width: float, fs: float,
              fontscale: float) -> None:
    """Draw the key of ``grid`` with its top-left corner at (x, y_top) inches."""
    W, H = fig.get_size_inches()
    title = _title_lines(grid, measure, width, fs, fontscale)
    fig.text(x / W, y_top / H, "\n".join(title), ha="left", va="top", fontsize=fs * 1.05, fontweight="bold",
             linespacing=1.3)
    y = y_top - len(title) * fs * 1.05 / 72 * 1.3
    if "note" in grid:
        lines = _note_lines(grid, measure, width, fs)
        box_h = len(lines) * fs / 72 * 1.3 + 0.12
        fig.add_artist(Rectangle((x / W, (y - 0.04 - box_h) / H), width / W, box_h / H, transform=fig.transFigure,
                                 facecolor=NOTE_FILL, edgecolor=NOTE_EDGE, linewidth=0.6))
        fig.text((x + 0.08) / W, (y - 0.1) / H, "\n".join(lines), ha="left", va="top", fontsize=fs,
                 linespacing=1.3, color="#222222")
        return
    fig.text(x / W, (y - 0.02) / H, "Zahl im Feld = Sozialräume", ha="left", va="top", fontsize=fs * 0.85,
             color="#333333")
    cw, ch, lw = CELL_W * fontscale, CELL_H * fontscale, LABEL_W * fontscale
    top = y - 0.5 * fontscale  # below the column headers
    ax = fig.add_axes(((x + lw) / W, (top - 4 * ch) / H, 3 * cw / W, 4 * ch / H))
    for i in range(4):
        for j in range(3):
            colour = OVERALL_GRID[i][j]
            ax.add_patch(Rectangle((j, 3 - i), 1, 1, facecolor=colour, edgecolor="#ffffff", linewidth=1.0))
            ax.text(j + 0.5, 3.5 - i, str(grid["counts"][i][j]), ha="center", va="center", fontsize=fs * 0.95,
                    fontweight="bold", color="#ffffff" if is_dark(colour) else "#222222")
    for i, status in enumerate(STATUS_CLASSES):  # the cells the attention rule marks, outlined as on the map
        marked = needs_attention([status] * 3, list(DYNAMIC_CLASSES))
        for j in [j for j in range(3) if marked[j]]:
            ax.add_patch(Rectangle((j + 0.04, 3.04 - i), 0.92, 0.92, facecolor="none", edgecolor="#000000",
                                   linewidth=1.6, zorder=3, clip_on=False))
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 4)
    ax.set_xticks([0.5, 1.5, 2.5], [f"{c}\n{DYNAMIC_SIGNS[c]}" for c in DYNAMIC_CLASSES], fontsize=fs * 0.85,
                  linespacing=1.0)
    ax.xaxis.tick_top()
    ax.set_yticks([3.5, 2.5, 1.5, 0.5], ROW_LABELS, fontsize=fs * 0.85)
    ax.tick_params(length=0, pad=2)
    for spine in ax.spines.values():
        spine.set_visible(False)
    fig.text(x / W, (top + 0.02) / H, "Status", ha="left", va="bottom", fontsize=fs * 0.85, fontweight="bold")
    fig.text((x + lw) / W, (top - 4 * ch - 0.05) / H, "Dynamik → Lage verschlechtert sich", ha="left", va="top",
             fontsize=fs * 0.85, color="#333333")
    fig.text(x / W, (top - 4 * ch - 0.05 - 0.17 * fontscale) / H, "Schwarz umrandet: besonderer Aufmerksamkeitsbedarf",
             ha="left", va="top", fontsize=fs * 0.85, color="#333333")
