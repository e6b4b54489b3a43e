"""The time-series panel of the printed Steckbrief: small line charts of a district and the city average by year.

One small chart per series of :class:`geo.analysis.history.History` (the status index first, then the indicators
of the index), up to :data:`PANEL_SERIES`, side by side: the district as a dark line with points and its latest
value written at the end, the city average as a grey dashed line. Hidden values ("•") leave a gap; a series
without any shown value says so. Text is drawn inside :func:`geo.render.print.kit.rc` (no mathtext).
"""

from __future__ import annotations

from typing import Final

import numpy as np
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from geo.analysis.history import STATUS_KEY, History, Series
from geo.formatting import format_number
from geo.render.print.kit import fit_text

#: Height of the panel in inches (titles, charts, year labels).
PANEL_IN: Final[float] = 0.92
#: Most series in the panel.
PANEL_SERIES: Final[int] = 4
DISTRICT_COLOR: Final[str] = "#1f4e79"
CITY_COLOR: Final[str] = "#8c8c8c"
TITLE_SIZE: Final[float] = 6.3
TICK_SIZE: Final[float] = 5.3


def _decimals(series: Series) -> int:
    return 2 if series.key == STATUS_KEY else 0 if series.is_count else 1


def _title(series: Series) -> str:
    unit = f" ({series.unit})" if series.unit and not series.is_count else ""
    return series.label + unit


def _chart(fig, renderer, series: Series, rect: tuple[float, float, float, float]) -> None:
    """One small chart in ``rect`` (x, y of the lower left, width, height; inches)."""
    W, H = fig.get_size_inches()
    x, y, w, h = rect
    title, size = fit_text(fig, renderer, _title(series), w, TITLE_SIZE, max_lines=2, weight="bold")
    fig.text(x / W, (y + h) / H, title, ha="left", va="top", fontsize=size, fontweight="bold", linespacing=1.1)
    left, bottom = 0.36, 0.17
    ax = fig.add_axes(((x + left) / W, (y + bottom) / H, (w - left - 0.2) / W, (h - bottom - 0.3) / H))
    positions = np.arange(len(series.years))
    decimals = _decimals(series)
    if series.key == STATUS_KEY:
        ax.axhline(0.0, color=CITY_COLOR, linewidth=0.6, linestyle=(0, (5, 3)))
    elif np.isfinite(series.city).any():
        ax.plot(positions, series.city, color=CITY_COLOR, linewidth=0.9, linestyle=(0, (5, 3)), marker="o",
                markersize=1.8)
    values = series.values
    if np.isfinite(values).any():
        ax.plot(positions, values, color=DISTRICT_COLOR, linewidth=1.4, marker="o", markersize=2.4)
        last = int(np.flatnonzero(np.isfinite(values))[-1])
        ax.annotate(format_number(float(values[last]), decimals, signed=series.key == STATUS_KEY),
                    (positions[last], values[last]), xytext=(3, 0), textcoords="offset points", va="center",
                    fontsize=TICK_SIZE, color=DISTRICT_COLOR, annotation_clip=False)
    else:
        why = "nicht ausgewiesen (Datenschutz)" if any(series.codes) else "keine Werte"
        ax.text(0.5, 0.5, why, transform=ax.transAxes, ha="center", va="center", fontsize=TICK_SIZE,
                color="#555555")
        ax.set_yticks([])
    ax.xaxis.set_major_locator(FixedLocator(positions))
    ax.set_xticklabels([str(year) for year in series.years])
    ax.set_xlim(-0.3, len(positions) - 0.7)
    ax.yaxis.set_major_locator(MaxNLocator(3))
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: format_number(v, decimals)))
    ax.tick_params(labelsize=TICK_SIZE, length=2, pad=1.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_linewidth(0.5)


def draw_panel(fig, renderer, history: History, rect: tuple[float, float, float, float], *,
               count: int = PANEL_SERIES) -> None:
    """Draw the first ``count`` series of ``history`` side by side into ``rect``.

    ``rect``: x, y of the lower left corner, width and height, in inches.
    """
    chosen = history.series[:count]
    if not chosen:
        return
    x, y, w, h = rect
    gap = 0.12
    width = (w - gap * (count - 1)) / count  # same chart size whatever the number of series
    for i, series in enumerate(chosen):
        _chart(fig, renderer, series, (x + i * (width + gap), y, width, h))
