"""Drawing a map's content with matplotlib: districts, reach areas, offers, scale bar, north arrow, labels, legend."""

from __future__ import annotations

from typing import Final

import matplotlib as mpl
import numpy as np
import shapely
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.path import Path as MplPath

from geo import settings
from geo.analysis import Result
from geo.formatting import format_number
from geo.render.palette import BIVARIATE_COLORS
from geo.render.print.content import EMPHASIS, LegendItem, MapContent, Style
from geo.render.print.kit import TextMeasure, new_figure
from geo.render.print.labels import place_labels
from geo.render.print.overall_key import draw_grid, grid_size, is_dark
from geo.render.print.tiles import Background, fetch_background
from geo.render.provenance import NO_TILES_NOTE, TILES_UNAVAILABLE_NOTE

AREA_BORDER: Final[str] = "#4d4d4d"
OUTLINE: Final[str] = "#1a1a1a"
#: Opacity of district fills over background tiles: the colours stay readable, streets and places show through.
FILL_ALPHA_ON_TILES: Final[float] = 0.75
#: How much of the tiles' colour saturation stays, and how far they are lightened towards white (see subdued()).
BACKGROUND_SATURATION: Final[float] = 0.5
BACKGROUND_WHITE: Final[float] = 0.25
#: Resolution of the warped background image, whatever the PNG dpi (keeps tile counts and PDF size moderate).
TILE_DPI: Final[int] = 150


def _extent(bounds: np.ndarray, w_in: float, h_in: float, band_in: float) -> tuple[float, float, float, float, float]:
    """Axis limits that show ``bounds`` at equal scale above a band of ``band_in`` inches; and metres per inch."""
    minx, miny, maxx, maxy = bounds
    pad = 0.02 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    scale = max((maxx - minx) / w_in, (maxy - miny) / max(h_in - band_in, 0.1))
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w = scale * w_in / 2
    usable_h = scale * (h_in - band_in)
    y0 = cy - usable_h / 2 - band_in * scale
    return cx - half_w, cx + half_w, y0, y0 + scale * h_in, scale


def _nice_length(target: float) -> float:
    exponent = np.floor(np.log10(target))
    for step in (5, 4, 2, 1):
        value = step * 10**exponent
        if value <= target:
            return float(value)
    return float(10**exponent)


def _length_text(metres: float, *, unit: bool = True) -> str:
    if metres >= 1000:
        return format_number(metres / 1000, 0 if metres % 1000 == 0 else 1) + (" km" if unit else "")
    return format_number(metres, 0) + (" m" if unit else "")


def _scale_bar(ax, x0: float, y0: float, scale: float, width_in: float, fontsize: float) -> None:
    """Alternating black/white scale bar of a round length at (x0, y0) in data units; with print scale."""
    length = _nice_length(width_in * scale * 0.22)
    height = 0.055 * scale
    metres_unit = 1000 if length >= 1000 else 1
    for i in range(4):
        ax.add_patch(Rectangle((x0 + i * length / 4, y0), length / 4, height, facecolor="#000000" if i % 2 == 0
                               else "#ffffff", edgecolor="#000000", linewidth=0.6, zorder=20))
    for pos in (0, length / 2, length):
        text = _length_text(pos, unit=False) if pos else "0"
        if metres_unit == 1000 and pos:
            text = format_number(pos / 1000, 0 if pos % 1000 == 0 else 1)
        ax.text(x0 + pos, y0 + height * 1.6, text, ha="center", va="bottom", fontsize=fontsize, zorder=20)
    ax.text(x0 + length + 0.08 * scale, y0 + height / 2, "km" if metres_unit == 1000 else "m", ha="left",
            va="center", fontsize=fontsize, zorder=20)
    ratio = scale / 0.0254
    nice = float(f"{ratio:.2g}")
    ax.text(x0, y0 - height * 1.2, f"Maßstab ca. 1 : {format_number(nice, 0)} (bei Druck in Originalgröße)",
            ha="left", va="top", fontsize=fontsize * 0.9, color="#333333", zorder=20)


def _north_arrow(ax, x: float, y: float, scale: float, fontsize: float) -> None:
    """North arrow with its tip at (x, y): the grid north of the metric CRS."""
    h, w = 0.32 * scale, 0.11 * scale
    ax.add_patch(Polygon([(x, y), (x - w, y - h), (x, y - 0.72 * h)], closed=True, facecolor="#000000",
                         edgecolor="#000000", linewidth=0.6, zorder=20))
    ax.add_patch(Polygon([(x, y), (x + w, y - h), (x, y - 0.72 * h)], closed=True, facecolor="#ffffff",
                         edgecolor="#000000", linewidth=0.6, zorder=20))
    ax.text(x, y - h - 0.04 * scale, "N", ha="center", va="top", fontsize=fontsize * 1.2, fontweight="bold",
            zorder=20)


def draw_map(
    fig: Figure,
    renderer,
    rect_in: tuple[float, float, float, float],
    content: MapContent,
    result: Result,
    *,
    labels: bool = True,
    fontscale: float = 1.0,
    background: tuple[Background | None, str] | None = None,
) -> dict:
    """Draw the map of ``content`` into the rectangle (left, bottom, width, height in inches) of ``fig``.

    The bottom band of the rectangle holds the scale bar and the north arrow, below the city, so neither
    ever covers a district. ``background`` is what :func:`map_background` gave for the same rectangle
    (``None`` = no tiles asked for): its image goes under semi-transparent district fills; ``(None, reason)``
    draws the plain map. Returns ``{"labelled": n, "omitted": [names], "tiles_requested": bool,
    "background": Background | None, "tiles_reason": German reason or ""}``.
    """
    W, H = fig.get_size_inches()
    left, bottom, width, height = rect_in
    ax = fig.add_axes((left / W, bottom / H, width / W, height / H))
    ax.set_axis_off()
    d = result.districts
    band = 0.5 * fontscale
    x0, x1, y0, y1, scale = _extent(d.total_bounds, width, height, band)
    geoms = d.geometry.to_numpy()

    tiles_requested = background is not None
    image, reason = background if background is not None else (None, "")
    if image is not None:
        bx0, bx1, by0, by1 = image.extent
        ax.imshow(subdued(image.image), extent=image.extent, origin="upper", interpolation="none", zorder=0)
        ax.add_patch(Rectangle((bx0, by0), bx1 - bx0, by1 - by0, facecolor="none", edgecolor="#9a9a9a",
                               linewidth=0.5, zorder=0.5))
    alpha = FILL_ALPHA_ON_TILES if image is not None else 1.0
    faces = [s.face if s.face == "none" else mpl.colors.to_rgba(s.face, alpha) for s in content.styles]
    edges = [s.edge for s in content.styles]
    plain = [i for i, s in enumerate(content.styles) if s.hatch is None]
    _add_polygons(ax, geoms[plain], [faces[i] for i in plain], [edges[i] for i in plain], zorder=1)
    for hatch in sorted({s.hatch for s in content.styles if s.hatch}):
        idx = [i for i, s in enumerate(content.styles) if s.hatch == hatch]
        _add_polygons(ax, geoms[idx], [faces[i] for i in idx], [edges[i] for i in idx], hatch=hatch, zorder=1)
    if settings.AREA_ID in d and d[settings.AREA_ID].nunique() > 1:
        areas = [shapely.union_all(geoms[(d[settings.AREA_ID] == a).to_numpy()])
                 for a in sorted(d[settings.AREA_ID].astype(str).unique())]
        _add_lines(ax, shapely.boundary(np.array(areas, dtype=object)), AREA_BORDER, 0.9, zorder=3)
    city = shapely.union_all(geoms)
    _add_lines(ax, [city.boundary], OUTLINE, 1.5, zorder=4)
    for layer in content.offers:
        if layer.reach is not None and not layer.reach.is_empty:
            if layer.reach_filled:
                _add_polygons(ax, [layer.reach], [mpl.colors.to_rgba(layer.color, 0.22)], ["none"], zorder=5)
            _add_lines(ax, [layer.reach.boundary], layer.color, 0.9, linestyle="--", zorder=5)
    if content.emphasis is not None and content.emphasis.any():
        # black with a white core: visible on light and dark fills alike
        _add_lines(ax, shapely.boundary(geoms[content.emphasis]), EMPHASIS, 3.0, zorder=6)
        _add_lines(ax, shapely.boundary(geoms[content.emphasis]), "#ffffff", 0.9, zorder=6)
    marker_size = (7.5 if len(content.offers) <= 1 else 6.5) * fontscale
    obstacles = []
    for layer in content.offers:
        if not len(layer.points):
            continue
        xy = shapely.get_coordinates(layer.points.geometry.to_numpy())
        # a dark ring under a white-edged symbol keeps it visible on light and dark fills alike
        ax.scatter(xy[:, 0], xy[:, 1], s=(marker_size + 2.2) ** 2, marker=layer.marker, color="#1a1a1a",
                   edgecolors="none", zorder=8)
        ax.scatter(xy[:, 0], xy[:, 1], s=marker_size**2, marker=layer.marker, color=layer.color,
                   edgecolors="#ffffff", linewidths=0.7, zorder=8)
        obstacles.append(xy)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")

    fs = 6.5 * fontscale
    _scale_bar(ax, x0 + 0.15 * scale, y0 + 0.17 * scale, scale, width, fs)
    _north_arrow(ax, x1 - 0.3 * scale, y0 + 0.44 * scale, scale, fs)

    stats = {"labelled": 0, "omitted": []}
    if labels:
        pts = np.vstack(obstacles) if obstacles else np.empty((0, 2))
        stats = place_labels(fig, ax, renderer, content, result, pts, marker_size, fontscale)
    return {**stats, "tiles_requested": tiles_requested, "background": image, "tiles_reason": reason}


def map_background(result: Result, rect_in: tuple[float, float, float, float], *,
                   fontscale: float = 1.0) -> tuple[Background | None, str]:
    """Background tiles for the map :func:`draw_map` draws into ``rect_in``; never raises for network problems.

    Returns ``(Background, "")`` or ``(None, German reason)``.

    Covers the map above the scale-bar band (scale bar and north arrow stay on white paper), at
    :data:`TILE_DPI`. Call it outside :func:`rc`, since it may wait for the network.
    """
    _, _, width, height = rect_in
    band = 0.5 * fontscale
    d = result.districts
    x0, x1, y0, y1, scale = _extent(d.total_bounds, width, height, band)
    shape = (max(1, round((height - band) * TILE_DPI)), max(1, round(width * TILE_DPI)))
    return fetch_background((x0, x1, y0 + band * scale, y1), shape, crs=d.crs or settings.METRIC_CRS)


def subdued(image: np.ndarray) -> np.ndarray:
    """Background tiles toned down so that the district colours lead: half desaturated, a quarter towards white.

    Street maps use the same yellows and oranges as the status classes; at full strength they would read as data.
    """
    rgb = image.astype(np.float32)
    grey = rgb @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    toned = (1 - BACKGROUND_SATURATION) * grey[..., None] + BACKGROUND_SATURATION * rgb
    return np.rint(BACKGROUND_WHITE * 255 + (1 - BACKGROUND_WHITE) * toned).clip(0, 255).astype(np.uint8)


def background_note(stats: dict) -> str:
    """What the map is drawn on, for the method note: tiles, tiles asked for but unreachable, or none."""
    background = stats.get("background")
    if background is not None:
        return f"Hintergrundkarte: Kacheln Zoomstufe {background.zoom}, nach {settings.METRIC_CRS} umprojiziert"
    return TILES_UNAVAILABLE_NOTE if stats.get("tiles_requested") else NO_TILES_NOTE


def tiles_record(stats: dict) -> dict | bool:
    """The background of a map for the settings record (``False`` when none was asked for).

    Holds nothing that differs between a fresh download and the cache, so both give the same file.
    """
    if not stats.get("tiles_requested"):
        return False
    background = stats.get("background")
    if background is None:
        return {"drawn": False, "reason": stats.get("tiles_reason", "")}
    return {"drawn": True, "url": settings.TILE_URL, "zoom": background.zoom, "tiles": background.tiles,
            "attribution": background.attribution}


def _polygon_path(geom) -> MplPath:
    """A matplotlib path of a (multi)polygon with its holes."""
    parts = getattr(geom, "geoms", [geom])
    vertices, codes = [], []
    for polygon in parts:
        if polygon.is_empty or polygon.geom_type != "Polygon":
            continue
        for ring in (polygon.exterior, *polygon.interiors):
            xy = np.asarray(ring.coords)
            vertices.append(xy)
            codes.append(np.r_[MplPath.MOVETO, np.full(len(xy) - 2, MplPath.LINETO), MplPath.CLOSEPOLY])
    if not vertices:
        return MplPath(np.empty((0, 2)))
    return MplPath(np.concatenate(vertices), np.concatenate(codes).astype(MplPath.code_type))


def _add_polygons(ax, geoms, faces, edges, *, hatch: str | None = None, linewidth: float = 0.4,
                  zorder: float = 1) -> None:
    """Fill polygons as one collection (faster than GeoSeries.plot, which also redraws the canvas)."""
    if not len(geoms):
        return
    collection = PathCollection([_polygon_path(g) for g in geoms], facecolors=faces, edgecolors=edges,
                                linewidths=linewidth, hatch=hatch, zorder=zorder)
    ax.add_collection(collection, autolim=False)


def _add_lines(ax, geoms, colour: str, linewidth: float, *, linestyle: str = "-", zorder: float = 3) -> None:
    """Draw (multi)line strings as one collection."""
    segments = []
    for geom in geoms:
        if geom is None or geom.is_empty:
            continue
        for part in getattr(geom, "geoms", [geom]):
            segments.append(np.asarray(part.coords))
    if segments:
        ax.add_collection(LineCollection(segments, colors=colour, linewidths=linewidth, linestyles=linestyle,
                                         zorder=zorder, capstyle="round", joinstyle="round"), autolim=False)


def _legend_handle(item: LegendItem):
    if item.marker:
        return Line2D([], [], linestyle="none", marker=item.marker, markersize=7, markerfacecolor=item.color,
                      markeredgecolor="#1a1a1a", markeredgewidth=0.7)
    style = item.style or Style("none")
    return Patch(facecolor=style.face, edgecolor=style.edge, hatch=style.hatch,
                 linewidth=0.6 if item.linewidth == 1.0 else item.linewidth)


def _reach_handle(item: LegendItem):
    face = mpl.colors.to_rgba(item.style.face, item.alpha) if item.style.face != "none" else "none"
    return Patch(facecolor=face, edgecolor=item.style.edge, linestyle=item.line, linewidth=0.9)


def draw_legend(
    fig: Figure,
    renderer,
    rect_in: tuple[float, float, float, float],
    content: MapContent,
    *,
    fontscale: float = 1.0,
) -> float:
    """Draw the legend sections (and the 3×3 key of a bivariate map) into a rectangle in inches.

    Returns the lowest y (inches) the legend reaches.

    A tall rectangle (landscape side panel) stacks the sections and opens a new column when one runs out of
    height; a wide one (below a portrait map) sets the sections side by side while they fit.
    """
    W, H = fig.get_size_inches()
    left, bottom, width, height = rect_in
    wide = width > 2 * height
    fs = 7.0 * fontscale
    gap = 0.12 * fontscale
    top = bottom + height
    x, y = left, top
    col_width = 0.0
    blocks: list = []
    if content.bivariate:
        blocks.append(("bivariate", None))
    if content.grid:  # the Gesamtindex's 4 × 3 key, or the note of a map without a Dynamik
        blocks.append(("grid", None))
    blocks += [("legend", s) for s in content.sections if s.items]
    n_blocks = len(blocks)
    wrap_width = width if not wide else max(2.2 * fontscale, width / max(n_blocks, 1) - 0.3)
    measure = TextMeasure(fig, renderer)
    lowest = top

    def next_position(w_block: float, h_block: float, first: bool) -> None:
        nonlocal x, y, col_width
        beside = wide and not first and x + col_width + 2 * gap + w_block <= left + width
        below_fits = y - h_block >= bottom - 1e-6
        if first:
            return
        if beside or not below_fits:
            x, y = x + col_width + 2 * gap, top
            col_width = 0.0

    for k, (kind, section) in enumerate(blocks):
        if kind == "bivariate":
            w_block, h_block = _bivariate_key_size(fontscale)
            next_position(w_block, h_block, k == 0)
            _draw_bivariate_key(fig, x, y, content.bivariate, fs, fontscale)
        elif kind == "grid":
            w_block, h_block = grid_size(content.grid, measure, wrap_width, fs, fontscale)
            next_position(w_block, h_block, k == 0)
            draw_grid(fig, measure, x, y, content.grid, wrap_width, fs, fontscale)
        else:
            handles = [_reach_handle(i) if i.line else _legend_handle(i) for i in section.items]
            labels = ["\n".join(measure.wrap(i.label, wrap_width - 0.45 * fontscale, fs)) for i in section.items]
            title = "\n".join(measure.wrap(section.title, wrap_width, fs * 1.05, "bold"))
            legend = Legend(fig, handles, labels, title=title, loc="upper left", frameon=False,
                            fontsize=fs, title_fontsize=fs * 1.05, alignment="left", borderaxespad=0, borderpad=0,
                            handlelength=1.6, handleheight=1.1, labelspacing=0.45,
                            bbox_to_anchor=(x / W, y / H), bbox_transform=fig.transFigure)
            legend.get_title().set_fontweight("bold")
            fig.legends.append(legend)
            bb = legend.get_window_extent(renderer)
            w_block, h_block = bb.width / fig.dpi, bb.height / fig.dpi
            before = (x, y)
            next_position(w_block, h_block, k == 0)
            if (x, y) != before:
                legend.set_bbox_to_anchor((x / W, y / H), transform=fig.transFigure)
        lowest = min(lowest, y - h_block)
        y -= h_block + gap
        col_width = max(col_width, w_block)
    return lowest


def legend_height(content: MapContent, width_in: float, fontscale: float = 1.0) -> float:
    """Height in inches the legend of ``content`` takes in a wide panel of ``width_in``.

    Measured on a scratch figure, so a portrait layout can give the map all the rest.
    """
    fig, renderer = new_figure(width_in + 1, 12)
    lowest = draw_legend(fig, renderer, (0.5, 0.5, width_in, 11), content, fontscale=fontscale)
    return 11.5 - lowest


def _bivariate_key_size(fontscale: float) -> tuple[float, float]:
    """Width and height in inches of the 3×3 key block."""
    return 2.6 * fontscale, 2.5 * fontscale


def _draw_bivariate_key(fig: Figure, x: float, y_top: float, info: dict, fs: float, fontscale: float) -> None:
    """The 3×3 key with its top-left corner at (x, y_top) in inches: need to the right, reach upwards.

    The need axis names the MSS status classes themselves ("Status hoch" … "Status sehr niedrig"), so that a
    "niedrig" on the axis can never be read as little need.
    """
    W, H = fig.get_size_inches()
    fig.text(x / W, y_top / H, f"Bedarf × Reichweite ({info['short']})", ha="left", va="top",
             fontsize=fs * 1.05, fontweight="bold")
    fig.text(x / W, (y_top - 0.17 * fontscale) / H, "Zahl im Feld = Sozialräume", ha="left", va="top",
             fontsize=fs * 0.85, color="#333333")
    size = 1.05 * fontscale
    left = x + 0.85 * fontscale
    ax = fig.add_axes((left / W, (y_top - 0.38 * fontscale - size) / H, size / W, size / H))
    for n in range(3):
        for r in range(3):
            colour = BIVARIATE_COLORS[n][r]
            ax.add_patch(Rectangle((n, r), 1, 1, facecolor=colour, edgecolor="#ffffff", linewidth=1.0))
            ax.text(n + 0.5, r + 0.5, str(info["counts"][n][r]), ha="center", va="center", fontsize=fs * 0.85,
                    color="#ffffff" if is_dark(colour) else "#222222")
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_aspect("equal")
    low, good = (format_number(100 * b, 0) for b in info["reach_bins"])
    ax.set_xticks([0.5, 1.5, 2.5], ["Status\nhoch", "Status\nmittel", "Status\nniedrig,\nsehr\nniedrig"],
                  fontsize=fs * 0.8, linespacing=1.0)
    ax.set_yticks([0.5, 1.5, 2.5], [f"unter {low} %", f"{low} bis\nunter {good} %", f"ab {good} %"],
                  fontsize=fs * 0.8, linespacing=1.0)
    ax.tick_params(length=0, pad=2)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("MSS-Statusklasse → mehr Bedarf", fontsize=fs * 0.9, labelpad=2)
    ax.set_ylabel(f"Anteil in Reichweite\n({info['radius']}) → besser", fontsize=fs * 0.9, labelpad=2)
    low_text = format_number(100 * info["reach_bins"][0], 0)
    fig.text(x / W, (y_top - 0.38 * fontscale - size - 0.72 * fontscale) / H,
             f"Je dunkler, desto dringender. Dunkelrot (unten rechts):\nVersorgungslücke – hoher Bedarf und unter "
             f"{low_text} %\n{info['genitive']} in Reichweite.",
             ha="left", va="top", fontsize=fs * 0.85, color="#333333", linespacing=1.2)
