"""The print map sheet: title, subtitle, map, legend, footer with sources and method, and the sample-data stamp."""

from __future__ import annotations

from datetime import date
from typing import Final

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from geo import settings
from geo.analysis import Result
from geo.analysis.protect import HIDDEN_MEANING
from geo.dataset import Dataset
from geo.render.print.content import MapContent, MapSpec, map_content
from geo.render.print.drawing import background_note, draw_legend, draw_map, legend_height, map_background, tiles_record
from geo.render.print.kit import fit_text, new_figure, paper_size_in, rc
from geo.render.provenance import (
    APP_NAME,
    attribution,
    german_date,
    resolve_date,
    settings_json,
    settings_record,
    software_version,
    versions_text,
)

STAMP_COLOR: Final[str] = "#b2182b"


def draw_stamp(fig: Figure, renderer, x_right_in: float, y_top_in: float, fontscale: float = 1.0) -> float:
    """The "synthetische Beispieldaten" stamp, right-aligned at the given point; returns its width in inches."""
    W, H = fig.get_size_inches()
    t = fig.text(x_right_in / W, y_top_in / H, settings.SYNTHETIC_STAMP, ha="right", va="top",
                 fontsize=9.5 * fontscale, fontweight="bold", color=STAMP_COLOR,
                 bbox=dict(boxstyle="round,pad=0.35", facecolor="#ffffff", edgecolor=STAMP_COLOR, linewidth=1.3))
    return t.get_window_extent(renderer).width / fig.dpi + 0.1


def render_map(
    spec: MapSpec | str,
    dataset: Dataset,
    result: Result,
    *,
    export_date: date | None = None,
    **options,
) -> Figure:
    """A complete print map: title, subtitle, map, legend, scale bar, north arrow, labels, sources, date, note.

    Parameters
    ----------
    spec
        The map (:class:`~geo.render.print.content.MapSpec`), or its kind (one of
        :data:`~geo.render.print.content.KINDS`) with the other fields as keywords:
        ``render_map("reach", dataset, result, offer_type="fgz", paper="A3")``.
    dataset, result
        The data and its analysis.
    export_date
        Date printed on the map (default today).
    **options
        Fields of :class:`~geo.render.print.content.MapSpec` when ``spec`` is a kind. ``labels`` writes district
        names (placed so that they do not overlap; names that fit nowhere are left out and counted in the note).
        ``tiles`` puts background tiles (:data:`geo.settings.TILE_URL`, cached) under semi-transparent district
        fills; when they cannot be had, the vector map is drawn and the method note says so. An export never
        fails for it.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot; save it with :func:`~geo.render.print.kit.figure_bytes`.
    """
    spec = MapSpec.of(spec, **options)
    content = map_content(spec, dataset, result)
    kind, paper, orientation, labels, tiles = spec.kind, spec.paper, spec.orientation, spec.labels, spec.tiles
    W, H = paper_size_in(paper, orientation)
    fontscale = 1.0 if paper == "A4" else 1.3
    m = 0.42 * fontscale
    top = H - m - 0.78 * fontscale  # below title and subtitle
    bottom = m + 0.62 * fontscale  # above the footer
    if orientation == "landscape":
        panel_w = 2.75 * fontscale
        map_rect = (m, bottom, W - 2 * m - panel_w - 0.15, top - bottom)
        legend_rect = (W - m - panel_w, bottom + 0.1, panel_w, top - bottom - 0.1)
    else:
        with rc():
            panel_h = min(2.6 * fontscale, legend_height(content, W - 2 * m, fontscale) + 0.1)
        map_rect = (m, bottom + panel_h + 0.1, W - 2 * m, top - bottom - panel_h - 0.1)
        legend_rect = (m, bottom, W - 2 * m, panel_h)
    # outside rc(): the tiles may wait for the network, and rc() holds a lock every export needs
    background = map_background(result, map_rect, fontscale=fontscale) if tiles else None
    with rc():
        fig, renderer = new_figure(W, H)
        fig.set_facecolor("#ffffff")
        stamp_w = draw_stamp(fig, renderer, W - m, H - m, fontscale) if dataset.synthetic else 0.0
        title, size = fit_text(fig, renderer, content.title, W - 2 * m - stamp_w - 0.15, 15 * fontscale,
                               max_lines=1, weight="bold")
        fig.text(m / W, (H - m) / H, title, ha="left", va="top", fontsize=size, fontweight="bold")
        subtitle = (f"{_subtitle_what(kind, result)} · Indikatorjahr {result.year} · "
                    f"Datenstand: {versions_text(dataset)}")
        sub, sub_size = fit_text(fig, renderer, subtitle, W - 2 * m - stamp_w - 0.15, 8.8 * fontscale,
                                 max_lines=2)
        fig.text(m / W, (H - m - 0.33 * fontscale) / H, sub, ha="left", va="top", fontsize=sub_size,
                 color="#333333", linespacing=1.15)
        stats = draw_map(fig, renderer, map_rect, content, result, labels=labels, fontscale=fontscale,
                         background=background)
        draw_legend(fig, renderer, legend_rect, content, fontscale=fontscale)
        fig.add_artist(Line2D([m / W, (W - m) / W], [(bottom - 0.06) / H] * 2, color="#999999", linewidth=0.5))
        draw_footer(fig, renderer, dataset, result, content, stats, export_date=export_date, margin=m,
                    top_in=bottom - 0.1, fontscale=fontscale)
        record = settings_record(dataset, result, export_date=export_date, product=spec.product())
        record["background_tiles"] = tiles_record(stats)
        fig._praeventionsatlas = {  # read by figure_bytes for the file metadata
            "title": content.title, "subject": f"{subtitle}. Methode: {content.method}",
            "export_date": export_date, "kind": kind, "settings": settings_json(record, indent=None),
        }
    return fig


def _subtitle_what(kind: str, result: Result) -> str:
    return f"{len(result.districts)} Sozialräume"


def draw_footer(fig: Figure, renderer, dataset: Dataset, result: Result, content: MapContent, stats: dict, *,
                export_date: date | None, margin: float, top_in: float, fontscale: float = 1.0,
                extra: str = "") -> None:
    """Source and licence line, method note, data protection and version line, export date."""
    W, H = fig.get_size_inches()
    width = W - 2 * margin
    fs = 6.4 * fontscale
    method = f"Methode: {content.method}; {background_note(stats)}."
    method += omitted_note(stats)
    source = attribution(dataset)
    if stats.get("background") is not None:
        source += f" · Hintergrundkarte: {stats['background'].attribution}"
    lines = [
        (source, 1),
        (method, 2),
        (f"Datenschutz: Personenzahlen unter 3 als „< 3“, {HIDDEN_MEANING}. Export: "
         f"{german_date(resolve_date(export_date))} · {APP_NAME} {software_version()}" + (f" · {extra}" if extra
                                                                                           else ""), 1),
    ]
    y = top_in
    for text, max_lines in lines:
        wrapped, size = fit_text(fig, renderer, text, width, fs, max_lines=max_lines, min_size=5.2)
        t = fig.text(margin / W, y / H, wrapped, ha="left", va="top", fontsize=size, color="#333333",
                     linespacing=1.15)
        y -= t.get_window_extent(renderer).height / fig.dpi + 0.03


def omitted_note(stats: dict) -> str:
    """Sentence naming the districts left unlabelled (only their number when there are many)."""
    omitted = stats.get("omitted") or []
    if not omitted:
        return ""
    if len(omitted) <= 8:
        return f" Ohne Beschriftung (kein Platz): {', '.join(omitted)}."
    return f" {len(omitted)} Sozialräume ohne Beschriftung (kein Platz)."

