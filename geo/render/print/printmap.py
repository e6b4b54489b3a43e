"""Print maps drawn on the server with matplotlib: status, indicator, offers, reach, need × reach, gaps.

A map is built in two steps: :func:`map_content` turns an analysis :class:`~geo.analysis.Result` into what is
drawn (fill per district, legend sections, offers, reach areas, notes) without computing any indicator; then
:func:`render_map` lays it out on paper with title, legend, scale bar, north arrow, labels and footer, or
:func:`draw_map` / :func:`draw_legend` draw it into a page of the committee report. :func:`figure_bytes` saves
a figure as PDF (vector, TrueType fonts embedded) or PNG with fixed metadata, so that the same inputs give
byte-identical files. Figures are created without pyplot (no global state, safe in a web server).
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from typing import Final

import geopandas as gpd
import matplotlib as mpl
import numpy as np
import pandas as pd
import shapely
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Polygon, Rectangle
from matplotlib.path import Path as MplPath
from matplotlib.text import Text

from geo import crs, settings
from geo.analysis import Result, column
from geo.analysis.classify import classify_values
from geo.analysis.need import CLASS_BOUNDS, IN_NEED_CLASSES, NOT_CLASSIFIED, STATUS_CLASSES
from geo.analysis.protect import HIDDEN_MEANING, district_codes
from geo.dataset import Dataset
from geo.formatting import format_distance, format_number
from geo.render.palette import MARKERS, STATUS_COLORS, scheme_labels
from geo.render.print.tiles import Background, fetch_background
from geo.render.provenance import (
    APP_NAME,
    NO_TILES_NOTE,
    TILES_UNAVAILABLE_NOTE,
    attribution,
    export_timestamp,
    german_date,
    min_inhabitants,
    resolve_date,
    settings_json,
    settings_record,
    software_version,
    versions_text,
)

KINDS: Final[dict[str, str]] = {
    "status": "Soziale Lage (Statusklassen)",
    "indicator": "Einzelner Indikator",
    "offers": "Angebote mit Reichweite",
    "reach": "Erreichbarkeit einer Angebotsart",
    "bivariate": "Bedarf × Erreichbarkeit (bivariat)",
    "gaps": "Versorgungslücken",
}
#: Kinds that need one offer type (the others take one type or all).
KINDS_NEEDING_TYPE: Final[frozenset[str]] = frozenset({"reach", "bivariate"})
PAPERS_MM: Final[dict[str, tuple[float, float]]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
ORIENTATIONS: Final[dict[str, str]] = {"portrait": "Hochformat", "landscape": "Querformat"}
SCHEMES: Final[dict[str, str]] = scheme_labels(short=True, status=False)
FORMATS: Final[tuple[str, ...]] = ("pdf", "png")

#: matplotlib settings of every export: TrueType fonts embedded (Type 42), DejaVu Sans for umlauts.
RC: Final[dict[str, object]] = {
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "font.family": "DejaVu Sans",
    "axes.unicode_minus": True,
    "hatch.linewidth": 0.45,
    "pdf.compression": 6,
    # Every text on a print product may quote user data (names, labels, the source): "Preis $5 und $6" must
    # print as written, not as mathtext (or fail to parse). Text objects read this when created, so every
    # figure is built and saved inside rc().
    "text.parse_math": False,
}

# Status colours come from geo.render.palette, so print and screen read alike.
#: Share of children in reach from which the need × reach map calls a district well reached.
REACH_GOOD: Final[float] = 0.8
#: Bivariate 3×3 palette (Teuling et al. 2011, blue × orange, colour-blind safe), indexed [need][reach]:
#: need class 0–2 (low → high need), reach class 0–2 (low → high share in reach). High need with
#: low reach is black, high need with high reach blue, low need with low reach orange.
_TEULING: Final[list[list[str]]] = [  # rows: lack of reach 0–2, columns: need 0–2
    ["#f3f3f3", "#b4d3e1", "#509dc2"],
    ["#f3e6b3", "#b3b3b3", "#376387"],
    ["#f3b300", "#b36600", "#000000"],
]
BIVARIATE_COLORS: Final[list[list[str]]] = [[_TEULING[2 - r][n] for r in range(3)] for n in range(3)]
NEED_TINT: Final[str] = "#f6e3bd"
#: Need districts on the offers map: grey, so that the reach areas' colours stay readable on top.
NEED_GREY: Final[str] = "#cfcfcf"
GAP_COLORS: Final[list[str]] = ["#fb6a4a", "#cb181d", "#67000d"]
NEUTRAL: Final[str] = "#f2f2f2"
BORDER: Final[str] = "#8a8a8a"
AREA_BORDER: Final[str] = "#4d4d4d"
OUTLINE: Final[str] = "#1a1a1a"
EMPHASIS: Final[str] = "#000000"
STAMP_COLOR: Final[str] = "#b2182b"
#: Opacity of district fills over background tiles: the colours stay readable, streets and places show through.
FILL_ALPHA_ON_TILES: Final[float] = 0.75
#: How much of the tiles' colour saturation stays, and how far they are lightened towards white (see subdued()).
BACKGROUND_SATURATION: Final[float] = 0.5
BACKGROUND_WHITE: Final[float] = 0.25
#: Resolution of the warped background image, whatever the PNG dpi (keeps tile counts and PDF size moderate).
TILE_DPI: Final[int] = 150
#: Up to this many districts, names that fit nowhere inside get a leader line; above, they stay off.
MAX_LEADER_DISTRICTS: Final[int] = 80
_MARKERS: Final[dict[str, str]] = MARKERS


@dataclass(frozen=True)
class Style:
    """How a district or legend patch is filled."""

    face: str
    edge: str = BORDER
    hatch: str | None = None


NOT_CLASSIFIED_STYLE = Style("#ffffff", "#9a9a9a", "/////")
HIDDEN_STYLE = Style("#ffffff", "#9a9a9a", "xxxx")
NO_VALUE_STYLE = Style("#e3e3e3")


@dataclass(frozen=True)
class LegendItem:
    """One legend entry: a filled patch, a marker or a line."""

    label: str
    style: Style | None = None
    marker: str | None = None
    color: str = "#000000"
    line: str | None = None
    linewidth: float = 1.0
    alpha: float = 1.0


@dataclass(frozen=True)
class LegendSection:
    """A titled group of legend entries."""

    title: str
    items: list[LegendItem]


@dataclass(frozen=True)
class OfferLayer:
    """Offers of one type as drawn: points, marker, colour, and optionally their reach area."""

    offer_type: str
    points: gpd.GeoDataFrame
    marker: str
    color: str
    reach: object | None = None  # shapely geometry
    reach_filled: bool = True


@dataclass
class MapContent:
    """What one map shows; built by :func:`map_content`, drawn by :func:`draw_map` and :func:`draw_legend`."""

    kind: str
    title: str
    method: str
    styles: list[Style]
    sections: list[LegendSection]
    offers: list[OfferLayer] = field(default_factory=list)
    emphasis: np.ndarray | None = None
    emphasis_label: str = ""
    bold: np.ndarray | None = None
    label_suffix: list[str] | None = None
    bivariate: dict | None = None
    notes: list[str] = field(default_factory=list)


# --- public helpers ----------------------------------------------------------------------------------------------

def indicator_choices(dataset: Dataset, result: Result) -> dict[str, str]:
    """Map variables for kind ``"indicator"``: column of ``result.districts`` → German label."""
    out = {"status_index": "Statusindex (soziale Lage)"}
    for key in result.weights:
        out[key] = _indicator_label(dataset, key)
    for t in result.offer_types:
        short = type_short(dataset, t)
        out[column("share_in_reach", t)] = f"{short}: Anteil der Kinder in Reichweite"
        out[column("median_distance_m", t)] = f"{short}: Medianweg der Kinder"
        out[column("children_without_reach", t)] = f"{short}: Kinder ohne Erreichbarkeit"
    return out


def paper_size_in(paper: str = "A4", orientation: str = "landscape") -> tuple[float, float]:
    """Paper width and height in inches."""
    if paper not in PAPERS_MM:
        raise ValueError(f"Unbekanntes Papierformat {paper!r}; möglich: {', '.join(PAPERS_MM)}")
    if orientation not in ORIENTATIONS:
        raise ValueError(f"Unbekannte Ausrichtung {orientation!r}; möglich: {', '.join(ORIENTATIONS)}")
    short, long = (v / 25.4 for v in PAPERS_MM[paper])
    return (long, short) if orientation == "landscape" else (short, long)


def bivariate_classes(result: Result, offer_type: str) -> pd.DataFrame:
    """Classes for the need × reach map, one row per district of ``result.districts``.

    Fixed, explainable bounds instead of terciles: ``need`` 0–2 is the MSS status (``Status hoch`` |
    ``Status mittel`` | ``Status niedrig``/``sehr niedrig``, i.e. the districts in need); ``reach`` 0–2 is the
    share of children within the radius (below the gap threshold | up to :data:`REACH_GOOD` | from
    :data:`REACH_GOOD`). So the darkest corner, high need × few reached, holds exactly the gap districts.
    ``state``: ``"ok"``, ``"not_classified"``, ``"hidden"`` (data protection) or ``"no_value"``. ``attrs``
    holds the class bounds ``need_bins`` (status index) and ``reach_bins`` (shares).
    """
    d = result.districts
    codes = district_codes(result)
    share = d[column("share_in_reach", offer_type)].to_numpy(dtype=float)
    classified = d["classified"].to_numpy(dtype=bool) & np.isfinite(d["status_index"].to_numpy(dtype=float))
    hidden = (codes[column("share_in_reach", offer_type)] != "").to_numpy()
    has_share = np.isfinite(share) & ~hidden
    status = d["status_class"].to_numpy()
    need = np.where(np.isin(status, IN_NEED_CLASSES), 2, np.where(status == STATUS_CLASSES[1], 1, 0))
    need = np.where(classified, need, -1)
    reach_bins = [result.max_share_in_reach, REACH_GOOD]
    reach = np.where(has_share, np.searchsorted(reach_bins, np.nan_to_num(share), side="right"), -1)
    state = np.where(~classified, "not_classified", np.where(hidden, "hidden", np.where(~has_share, "no_value", "ok")))
    out = pd.DataFrame({"need": need, "reach": reach, "state": state}, index=d.index)
    out.attrs["need_bins"] = [CLASS_BOUNDS[0], CLASS_BOUNDS[1]]
    out.attrs["reach_bins"] = reach_bins
    return out


# --- content -----------------------------------------------------------------------------------------------------

def type_short(dataset: Dataset, offer_type: str) -> str:
    """Short German name of an offer type ("FGZ")."""
    ot = dataset.offer_types
    return str(ot.at[offer_type, "short"]) if offer_type in ot.index else offer_type


def type_plural(dataset: Dataset, offer_type: str) -> str:
    """German plural of an offer type ("Familiengrundschulzentren (FGZ)")."""
    ot = dataset.offer_types
    return str(ot.at[offer_type, "plural"]) if offer_type in ot.index else offer_type


def _indicator_label(dataset: Dataset, key: str) -> str:
    defs = dataset.indicator_definitions
    return str(defs.at[key, "label"]) if key in defs.index else key


def _need_note(dataset: Dataset, result: Result) -> str:
    return ", ".join(f"{_indicator_label(dataset, k)} ×{format_number(w, 1)}" for k, w in result.weights.items())


def _status_legend(result: Result, counts: pd.Series) -> list[LegendItem]:
    low, high, very = (format_number(b, 1) for b in CLASS_BOUNDS)
    ranges = [f"Index unter {low}", f"{low} bis unter {high}", f"{high} bis unter {very}", f"{very} und mehr"]
    items = [
        LegendItem(f"{cls} ({rng}; {int(counts.get(cls, 0))})", STATUS_COLORS_STYLE[cls])
        for cls, rng in zip(STATUS_CLASSES, ranges, strict=True)
    ]
    n_nc = int(counts.get(NOT_CLASSIFIED, 0))
    if n_nc:
        items.append(_not_classified_item(result, n_nc))
    return items


STATUS_COLORS_STYLE: Final[dict[str, Style]] = {k: Style(v) for k, v in STATUS_COLORS.items()}


def _not_classified_item(result: Result, n: int) -> LegendItem:
    return LegendItem(f"nicht klassifiziert (unter {min_inhabitants(result)} Einwohnern; {n})", NOT_CLASSIFIED_STYLE)


def _offer_layers(
    dataset: Dataset, result: Result, types: list[str], *, reach: bool, filled: bool, outline
) -> list[OfferLayer]:
    offers = crs.to_metric(dataset.offers, name="Angebote")
    layers = []
    for t in types:
        points = offers[offers[settings.OFFER_TYPE] == t]
        if t in dataset.offer_types.index:
            row = dataset.offer_types.loc[t]
            marker, color = _MARKERS.get(str(row["marker"]).strip().lower(), "o"), str(row["color"])
        else:
            marker, color = "o", "#555555"
        area = None
        if reach and t in result.radii and len(points):
            circles = shapely.buffer(points.geometry.to_numpy(), result.radii[t], quad_segs=24)
            area = shapely.intersection(shapely.union_all(circles), outline)
        layers.append(OfferLayer(t, points, marker, color, area, filled))
    return layers


def _offer_items(dataset: Dataset, result: Result, layers: list[OfferLayer]) -> list[LegendItem]:
    items = []
    for layer in layers:
        n = len(layer.points)
        items.append(LegendItem(f"{type_plural(dataset, layer.offer_type)} ({n})", marker=layer.marker,
                                color=layer.color))
        if layer.reach is not None:
            radius = format_distance(result.radii[layer.offer_type])
            items.append(LegendItem(
                f"Reichweite {radius} Luftlinie ({type_short(dataset, layer.offer_type)})",
                Style(layer.color if layer.reach_filled else "none", layer.color),
                line="--", alpha=0.22 if layer.reach_filled else 1.0,
            ))
    return items


def _classified_fill(
    values: np.ndarray, usable: np.ndarray, *, scheme: str, k: int, cmap: str, decimals: int, unit: str, scale: float
) -> tuple[list[Style | None], list[LegendItem], str]:
    """Colour classes for ``values`` where ``usable``; returns styles (None elsewhere), legend items, note."""
    styles: list[Style | None] = [None] * len(values)
    if not usable.any():
        return styles, [], "keine Werte"
    v = values[usable]
    bins = classify_values(v, scheme, k)[1]
    classes = np.searchsorted(bins, values, side="left").clip(0, len(bins) - 1)
    colours = [mpl.colors.to_hex(c) for c in mpl.colormaps[cmap](np.linspace(0.15, 0.85, max(len(bins), 2)))]
    if len(bins) == 1:
        colours = [colours[-1]]
    items = []
    lower = v.min()
    for i, upper in enumerate(bins):
        count = int((classes[usable] == i).sum())
        lo = format_number(lower * scale, decimals)
        hi = format_number(upper * scale, decimals, unit=unit)
        if i == 0:
            label = hi if lo == format_number(upper * scale, decimals) else f"{lo} – {hi}"
        else:  # upper bounds are inclusive: the next class starts above them
            label = f"über {lo} – {hi}"
        items.append(LegendItem(f"{label} ({count})", Style(colours[i])))
        lower = upper
    for j in np.flatnonzero(usable):
        styles[j] = Style(colours[classes[j]])
    n_classes = len(bins)
    note = (f"{SCHEMES[scheme]}, {n_classes} Klassen aus den Werten von {int(usable.sum())} Sozialräumen "
            "(obere Grenze eingeschlossen)")
    return styles, items, note


def ramp_away_from(colour: str) -> str:
    """The sequential colour map (Blues, Greens, Purples) whose hue is farthest from ``colour``.

    Offer symbols keep their catalogue colour, so a reach map must not shade districts in the same hue.
    """
    hue = mpl.colors.rgb_to_hsv(mpl.colors.to_rgb(colour))[0]
    ramps = {"Blues": 0.58, "Greens": 0.36, "Purples": 0.74}
    return max(ramps, key=lambda name: min(abs(hue - ramps[name]), 1 - abs(hue - ramps[name])))


def _share_fill(share: np.ndarray, usable: np.ndarray, cmap: str = "Blues") -> tuple[list[Style | None],
                                                                                     list[LegendItem]]:
    """Fixed quarter classes of a share (lower bound included), for reach maps."""
    # darker = fewer children reached, as on the web map (darker always means more need)
    colours = [mpl.colors.to_hex(c) for c in mpl.colormaps[cmap](np.linspace(0.85, 0.12, 4))]
    labels = ["unter 25 %", "25 bis unter 50 %", "50 bis unter 75 %", "75 % und mehr"]
    classes = np.digitize(np.nan_to_num(share), [0.25, 0.5, 0.75])
    styles: list[Style | None] = [Style(colours[c]) if u else None for c, u in zip(classes, usable, strict=True)]
    items = [LegendItem(f"{lab} ({int((classes[usable] == i).sum())})", Style(colours[i]))
             for i, lab in enumerate(labels)]
    return styles, items


def _variable(dataset: Dataset, result: Result, name: str) -> dict:
    """Label, unit, scale, decimals, colour map and whether it is a need variable, for an indicator map."""
    for t in result.offer_types:
        short = type_short(dataset, t)
        radius = format_distance(result.radii[t])
        if name == column("share_in_reach", t):
            colour = str(dataset.offer_types.at[t, "color"]) if t in dataset.offer_types.index else "#555555"
            return dict(label=f"Anteil der Kinder im Umkreis von {radius} um ein {short}", unit="%", scale=100,
                        decimals=0, cmap=ramp_away_from(colour) + "_r", need=False)
        if name == column("median_distance_m", t):
            return dict(label=f"Medianweg der Kinder zum nächsten {short}", unit="m", scale=1, decimals=0,
                        cmap="YlOrBr", need=False)
        if name == column("children_without_reach", t):
            return dict(label=f"Kinder weiter als {radius} vom nächsten {short}", unit="", scale=1, decimals=0,
                        cmap="YlOrBr", need=False)
    if name == "status_index":
        return dict(label="Statusindex (positiv = mehr Bedarf)", unit="", scale=1, decimals=2, cmap="YlOrBr",
                    need=True)
    if name in result.weights or name in dataset.indicator_definitions.index:
        defs = dataset.indicator_definitions
        unit = str(defs.at[name, "unit"]).strip() if name in defs.index else ""
        direction = float(defs.at[name, "direction"]) if name in defs.index else 1.0
        return dict(label=_indicator_label(dataset, name), unit=unit, scale=1, decimals=1,
                    cmap="YlOrBr" if direction > 0 else "Blues", need=True)
    raise ValueError(f"Unbekannter Indikator {name!r}; möglich: {', '.join(indicator_choices(dataset, result))}")


def _require_type(dataset: Dataset, result: Result, kind: str, offer_type: str | None) -> None:
    if offer_type is None and kind in KINDS_NEEDING_TYPE:
        raise ValueError(f"Die Karte „{KINDS[kind]}“ braucht eine Angebotsart.")
    if offer_type is not None and offer_type not in result.offer_types:
        raise ValueError(
            f"Angebotsart {offer_type!r} wurde nicht analysiert; möglich: {', '.join(result.offer_types)}"
        )


def map_content(
    kind: str,
    dataset: Dataset,
    result: Result,
    *,
    offer_type: str | None = None,
    indicator: str | None = None,
    scheme: str = "quantiles",
    k: int = 5,
) -> MapContent:
    """What a map of ``kind`` shows (see :data:`KINDS`), from an analysis result; computes no indicator.

    Parameters
    ----------
    offer_type
        Offer type for ``reach`` and ``bivariate`` (required), ``offers`` and ``gaps`` (``None`` = all).
    indicator
        Column for ``indicator`` maps (see :func:`indicator_choices`; default ``status_index``).
    scheme, k
        Classification of ``indicator`` maps (:data:`SCHEMES`) and number of classes.
    """
    if kind not in KINDS:
        raise ValueError(f"Unbekannte Kartenart {kind!r}; möglich: {', '.join(KINDS)}")
    if scheme not in SCHEMES:
        raise ValueError(f"Unbekannte Klassifizierung {scheme!r}; möglich: {', '.join(SCHEMES)}")
    _require_type(dataset, result, kind, offer_type)
    d = result.districts
    n = len(d)
    codes = district_codes(result)
    classes = d["status_class"].astype(str)
    classified = d["classified"].to_numpy(dtype=bool)
    in_need = classes.isin(IN_NEED_CLASSES).to_numpy()
    outline = shapely.union_all(d.geometry.to_numpy())
    nc_item = _not_classified_item(result, int((~classified).sum()))
    types = [offer_type] if offer_type else list(result.offer_types)
    radius_note = ", ".join(f"{type_short(dataset, t)} {format_distance(result.radii[t])}" for t in types)

    if kind == "status":
        styles = [STATUS_COLORS_STYLE.get(c, NOT_CLASSIFIED_STYLE) for c in classes]
        legend = [LegendSection("Statusklasse (Statusindex)", _status_legend(result, classes.value_counts()))]
        method = (
            "Statusindex nach dem Verfahren des Monitorings Soziale Stadtentwicklung: z-standardisierte "
            f"Indikatoren ({_need_note(dataset, result)}), gewichtet summiert und erneut standardisiert; "
            f"Bezirke unter {min_inhabitants(result)} Einwohnern nicht klassifiziert"
        )
        return MapContent(kind, "Soziale Lage: Statusklassen der Sozialräume", method, styles, legend,
                          bold=in_need)

    if kind == "indicator":
        name = indicator or "status_index"
        var = _variable(dataset, result, name)
        values = d[name].to_numpy(dtype=float) if name in d else np.full(n, np.nan)
        hidden = (codes[name] != "").to_numpy() if name in codes else np.zeros(n, bool)
        usable = np.isfinite(values) & ~hidden & (classified if var["need"] else True)
        fills, items, note = _classified_fill(values, usable, scheme=scheme, k=k, cmap=var["cmap"],
                                              decimals=var["decimals"], unit=var["unit"], scale=var["scale"])
        styles, extra = _fallback_styles(fills, classified if var["need"] else None, hidden, values, result)
        legend = [LegendSection(_wrap(var["label"], 40), items + extra)]
        layers = []
        if name.startswith(("share_in_reach__", "median_distance_m__", "children_without_reach__")):
            t = name.split("__", 1)[1]
            layers = _offer_layers(dataset, result, [t], reach=False, filled=False, outline=outline)
            legend.append(LegendSection("Angebote", _offer_items(dataset, result, layers)))
        return MapContent(kind, f"{var['label']} nach Sozialraum", f"Klassifizierung: {note}", styles, legend,
                          offers=layers)

    if kind == "offers":
        styles = [NOT_CLASSIFIED_STYLE if not c else Style(NEED_GREY) if nd else Style(NEUTRAL)
                  for c, nd in zip(classified, in_need, strict=True)]
        context = [] if offer_type else [
            t for t in dataset.offer_types.index
            if t not in result.offer_types and (dataset.offers[settings.OFFER_TYPE] == t).any()
        ]
        layers = _offer_layers(dataset, result, types, reach=True, filled=offer_type is not None, outline=outline)
        layers += _offer_layers(dataset, result, context, reach=False, filled=False, outline=outline)
        districts_items = [
            LegendItem(f"hoher Bedarf (Status niedrig oder sehr niedrig; {int(in_need.sum())})", Style(NEED_GREY)),
            LegendItem(f"übrige Sozialräume ({int((classified & ~in_need).sum())})", Style(NEUTRAL)),
        ]
        if (~classified).any():
            districts_items.append(nc_item)
        legend = [LegendSection("Angebote und Reichweite", _offer_items(dataset, result, layers)),
                  LegendSection("Sozialräume", districts_items)]
        title = (f"{type_plural(dataset, offer_type)} und ihre Reichweite" if offer_type
                 else "Präventive Angebote und ihre Reichweite")
        method = (f"Reichweite als Luftlinie um jedes Angebot ({radius_note}), innerhalb der Stadtgrenze; "
                  "Bedarf nach Statusklasse")
        return MapContent(kind, title, method, styles, legend, offers=layers, bold=in_need)

    if kind == "reach":
        t = offer_type
        share = d[column("share_in_reach", t)].to_numpy(dtype=float)
        hidden = (codes[column("share_in_reach", t)] != "").to_numpy()
        usable = np.isfinite(share) & ~hidden
        colour = str(dataset.offer_types.at[t, "color"]) if t in dataset.offer_types.index else "#555555"
        fills, items = _share_fill(share, usable, ramp_away_from(colour))
        styles, extra = _fallback_styles(fills, None, hidden, share, result)
        gap = d[column("gap", t)].to_numpy(dtype=bool)
        layers = _offer_layers(dataset, result, [t], reach=False, filled=False, outline=outline)
        threshold = format_number(100 * result.max_share_in_reach, 0)
        legend = [
            LegendSection(f"Kinder im Umkreis von {format_distance(result.radii[t])}", items + extra),
            LegendSection("Angebote", _offer_items(dataset, result, layers)),
        ]
        if gap.any():
            legend.append(LegendSection("Versorgungslücke", [LegendItem(
                f"hoher Bedarf und unter {threshold} % der Kinder in Reichweite ({int(gap.sum())})",
                Style("none", EMPHASIS), linewidth=2.2)]))
        method = (f"Anteil der Kinder (nach Wohnort) höchstens {format_distance(result.radii[t])} Luftlinie vom "
                  f"nächsten Angebot; feste Klassen in 25-%-Schritten; Lücke: Status niedrig/sehr niedrig und "
                  f"unter {threshold} % in Reichweite")
        return MapContent(kind, f"Erreichbarkeit: {type_plural(dataset, t)}", method, styles, legend, offers=layers,
                          emphasis=gap, emphasis_label="Versorgungslücke", bold=gap)

    if kind == "bivariate":
        t = offer_type
        bi = bivariate_classes(result, t)
        styles = []
        for need_c, reach_c, state in zip(bi["need"], bi["reach"], bi["state"], strict=True):
            if state == "ok":
                styles.append(Style(BIVARIATE_COLORS[need_c][reach_c], "#ffffff"))
            else:
                styles.append({"not_classified": NOT_CLASSIFIED_STYLE, "hidden": HIDDEN_STYLE}.get(state,
                                                                                                  NO_VALUE_STYLE))
        layers = _offer_layers(dataset, result, [t], reach=False, filled=False, outline=outline)
        extra = []
        if (bi["state"] == "not_classified").any():
            extra.append(nc_item)
        if (bi["state"] == "hidden").any():
            extra.append(LegendItem(f"nicht ausgewiesen (Datenschutz; {int((bi['state'] == 'hidden').sum())})",
                                    HIDDEN_STYLE))
        if (bi["state"] == "no_value").any():
            extra.append(LegendItem(f"keine Kinder bekannt ({int((bi['state'] == 'no_value').sum())})",
                                    NO_VALUE_STYLE))
        legend = [LegendSection("Angebote", _offer_items(dataset, result, layers))]
        if extra:
            legend.append(LegendSection("Ohne Klasse", extra))
        nb, rb = bi.attrs["need_bins"], bi.attrs["reach_bins"]
        low, good = (format_number(100 * b, 0, unit="%") for b in rb)
        radius = format_distance(result.radii[t])
        method = (f"Bedarf = MSS-Statusklasse (Status hoch | mittel | niedrig/sehr niedrig) × Anteil der Kinder im "
                  f"Umkreis von {radius} Luftlinie um ein {type_short(dataset, t)} (unter {low} | {low} bis unter "
                  f"{good} | ab {good}); schwarz = Versorgungslücke")
        worst = (bi["need"] == 2) & (bi["reach"] == 0) & (bi["state"] == "ok")
        return MapContent(kind, f"Bedarf und Erreichbarkeit: {type_plural(dataset, t)}", method, styles, legend,
                          offers=layers, bold=worst.to_numpy(),
                          bivariate={"need_bins": nb, "reach_bins": rb, "radius": radius,
                                     "short": type_short(dataset, t), "counts": _bivariate_counts(bi)})

    # gaps
    gap_matrix = np.column_stack([d[column("gap", t)].to_numpy(dtype=bool) for t in types])
    n_gaps = gap_matrix.sum(axis=1)
    threshold = format_number(100 * result.max_share_in_reach, 0)
    layers = _offer_layers(dataset, result, types, reach=False, filled=False, outline=outline)
    if offer_type:
        gap_colours = [GAP_COLORS[1]]
        gap_items = [LegendItem(f"Versorgungslücke ({int(n_gaps.astype(bool).sum())})", Style(GAP_COLORS[1]))]
    else:
        gap_colours = GAP_COLORS[: len(types)] if len(types) <= 3 else list(
            mpl.colors.to_hex(c) for c in mpl.colormaps["Reds"](np.linspace(0.3, 0.95, len(types))))
        gap_items = [LegendItem(f"Lücke bei {i} Angebotsart{'en' if i > 1 else ''} ({int((n_gaps == i).sum())})",
                                Style(gap_colours[i - 1])) for i in range(1, len(types) + 1)]
    styles = []
    for c, nd, g in zip(classified, in_need, n_gaps, strict=True):
        if g:
            styles.append(Style(gap_colours[min(g, len(gap_colours)) - 1]))
        elif nd:
            styles.append(Style(NEED_TINT))
        elif not c:
            styles.append(NOT_CLASSIFIED_STYLE)
        else:
            styles.append(Style(NEUTRAL))
    district_items = gap_items + [
        LegendItem(f"hoher Bedarf, keine Lücke ({int((in_need & (n_gaps == 0)).sum())})", Style(NEED_TINT)),
        LegendItem(f"übrige Sozialräume ({int((classified & ~in_need).sum())})", Style(NEUTRAL)),
    ]
    if (~classified).any():
        district_items.append(nc_item)
    legend = [LegendSection("Sozialräume", district_items),
              LegendSection("Angebote", _offer_items(dataset, result, layers))]
    suffix = None
    if not offer_type:
        suffix = [
            "(" + ", ".join(type_short(dataset, t) for t, g in zip(types, row, strict=True) if g) + ")" if row.any()
            else "" for row in gap_matrix
        ]
    title = f"Versorgungslücken: {type_plural(dataset, offer_type)}" if offer_type else "Versorgungslücken"
    method = (f"Lücke: Status niedrig/sehr niedrig und unter {threshold} % der Kinder im Umkreis "
              f"({radius_note}, Luftlinie) des nächsten Angebots")
    return MapContent(kind, title, method, styles, legend, offers=layers, bold=n_gaps > 0, label_suffix=suffix)


def _bivariate_counts(bi: pd.DataFrame) -> list[list[int]]:
    ok = bi[bi["state"] == "ok"]
    return [[int(((ok["need"] == n) & (ok["reach"] == r)).sum()) for r in range(3)] for n in range(3)]


def _fallback_styles(
    fills: list[Style | None], classified: np.ndarray | None, hidden: np.ndarray, values: np.ndarray, result: Result
) -> tuple[list[Style], list[LegendItem]]:
    """Fill districts without a class: not classified, suppressed (data protection) or without value."""
    styles, n_nc, n_hidden, n_none = [], 0, 0, 0
    for i, s in enumerate(fills):
        if s is not None:
            styles.append(s)
        elif classified is not None and not classified[i]:
            styles.append(NOT_CLASSIFIED_STYLE)
            n_nc += 1
        elif hidden[i]:
            styles.append(HIDDEN_STYLE)
            n_hidden += 1
        else:
            styles.append(NO_VALUE_STYLE)
            n_none += 1
    extra = []
    if n_nc:
        extra.append(_not_classified_item(result, n_nc))
    if n_hidden:
        extra.append(LegendItem(f"nicht ausgewiesen (Datenschutz; {n_hidden})", HIDDEN_STYLE))
    if n_none:
        extra.append(LegendItem(f"kein Wert ({n_none})", NO_VALUE_STYLE))
    return styles, extra


# --- drawing -----------------------------------------------------------------------------------------------------

_RC_LOCK = threading.RLock()


@contextmanager
def rc() -> Iterator[None]:
    """The matplotlib settings of every export (fonts embedded as TrueType).

    rcParams are process-global: a lock keeps two exports in different threads (web server, the page's
    deferred downloads) from restoring each other's settings halfway through a drawing.
    """
    with _RC_LOCK, mpl.rc_context(RC):
        yield


def new_figure(width_in: float, height_in: float) -> tuple[Figure, object]:
    """A pyplot-free figure with an Agg canvas, and its renderer for measuring text."""
    fig = Figure(figsize=(width_in, height_in), dpi=100)
    canvas = FigureCanvasAgg(fig)
    return fig, canvas.get_renderer()


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width=width, break_on_hyphens=False)) or text


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
        stats = _place_labels(fig, ax, renderer, content, result, pts, marker_size, fontscale)
    return {**stats, "tiles_requested": tiles_requested, "background": image, "tiles_reason": reason}


def map_background(result: Result, rect_in: tuple[float, float, float, float], *,
                   fontscale: float = 1.0) -> tuple[Background | None, str]:
    """Background tiles for the map :func:`draw_map` draws into ``rect_in``: ``(Background, "")`` or
    ``(None, German reason)``; never raises for network problems.

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


def _label_size(n: int, fontscale: float) -> float:
    base = 6.3 if n >= 40 else 7.2 if n >= 15 else 8.5
    return base * fontscale


def _wrapped_name(name: str) -> str | None:
    """Two-line variant of a district name, split at the space or hyphen nearest the middle."""
    cuts = [i for i, c in enumerate(name) if c in " -"]
    if not cuts:
        return None
    i = min(cuts, key=lambda j: abs(j - len(name) / 2))
    return (name[: i + 1] if name[i] == "-" else name[:i]) + "\n" + name[i + 1:]


def _place_labels(fig, ax, renderer, content: MapContent, result: Result, obstacles_xy: np.ndarray,
                  marker_size: float, fontscale: float) -> dict:
    """Greedy label placement: names inside their district, never over another name or an offer symbol.

    Districts are taken in order (emphasised first, then the roomiest). Pass 1 wants the label box at least
    90 % inside the district, pass 2 accepts 60 % and a smaller or two-line form, pass 3 puts the name
    nearby outside the district with a thin leader line. A name that fits nowhere stays off and is reported.
    """
    d = result.districts
    names = d[settings.DISTRICT_NAME].astype(str).tolist()
    n = len(d)
    size = _label_size(n, fontscale)
    bold = content.bold if content.bold is not None else np.zeros(n, bool)
    suffix = content.label_suffix or [""] * n
    to_disp = ax.transData.transform
    to_data = ax.transData.inverted().transform
    px_per_pt = fig.dpi / 72
    pad = 1.2 * px_per_pt
    axes_box = ax.get_window_extent(renderer)

    half = marker_size * px_per_pt / 2
    obs = to_disp(obstacles_xy) if len(obstacles_xy) else np.empty((0, 2))
    taken = np.column_stack([obs[:, 0] - half, obs[:, 1] - half, obs[:, 0] + half, obs[:, 1] + half])

    polys = [max(g.geoms, key=lambda p: p.area) if g.geom_type == "MultiPolygon" else g for g in d.geometry]
    circles = shapely.maximum_inscribed_circle(np.array(polys, dtype=object), tolerance=5.0)
    centres = shapely.get_coordinates(shapely.get_point(circles, 0))
    radii = shapely.length(circles)
    prepared = [shapely.prepared.prep(p) for p in polys]
    order = sorted(range(n), key=lambda i: (not bold[i], radii[i]))
    angles = np.linspace(0, 2 * np.pi, 8, endpoint=False)
    ring_angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    metres_per_px = 1.0 / abs(ax.transData.get_matrix()[0, 0])

    def measure(text: str, fs: float, weight: str) -> tuple[float, float]:
        t = Text(0, 0, text, fontsize=fs, fontweight=weight, ha="center", va="center", linespacing=1.0)
        t.set_figure(fig)
        bb = t.get_window_extent(renderer)
        return bb.width, bb.height

    def free(box: np.ndarray) -> bool:
        if box[0] < axes_box.x0 or box[2] > axes_box.x1 or box[1] < axes_box.y0 or box[3] > axes_box.y1:
            return False
        return not np.any((box[0] - pad < taken[:, 2]) & (box[2] + pad > taken[:, 0])
                          & (box[1] - pad < taken[:, 3]) & (box[3] + pad > taken[:, 1]))

    def inside_share(i: int, box: np.ndarray) -> float:
        (bx0, by0), (bx1, by1) = to_data([[box[0], box[1]], [box[2], box[3]]])
        b = shapely.box(bx0, by0, bx1, by1)
        if prepared[i].contains(b):
            return 1.0
        return polys[i].intersection(b).area / b.area

    def texts(i: int) -> list[str]:
        extra = "\n" + _wrap(suffix[i], 18) if suffix[i] else ""
        variants = [names[i] + extra]
        wrapped = _wrapped_name(names[i])
        if wrapped:
            variants.append(wrapped + extra)
        return variants

    placed: dict[int, tuple] = {}

    def attempt(i: int, rule: str) -> tuple | None:
        weight = "bold" if bold[i] else "normal"
        sizes = {"inside": [size], "mostly": [size, size * 0.86, size * 0.76], "leader": [size * 0.86]}[rule]
        cx, cy = centres[i]
        for fs in sizes:
            for text in texts(i):
                w, h = measure(text, fs, weight)
                if rule == "leader":
                    step = max(w, h) * 0.6 * metres_per_px
                    candidates = [(cx + (radii[i] + k * step) * np.cos(a), cy + (radii[i] + k * step) * np.sin(a))
                                  for k in range(1, 6) for a in ring_angles]
                else:
                    candidates = [(cx, cy)] + [(cx + f * radii[i] * np.cos(a), cy + f * radii[i] * np.sin(a))
                                               for f in (0.3, 0.6, 0.9) for a in angles]
                for px, py in to_disp(np.array(candidates)):
                    box = np.array([px - w / 2, py - h / 2, px + w / 2, py + h / 2])
                    if not free(box):
                        continue
                    if rule != "leader" and inside_share(i, box) < (0.9 if rule == "inside" else 0.6):
                        continue
                    return (text, fs, weight, px, py, box, rule == "leader")
        return None

    # Most constrained first: small districts take the spot inside themselves, big ones have room to move.
    for i in order:
        found = attempt(i, "inside") or attempt(i, "mostly")
        if found:
            placed[i] = found
            taken = np.vstack([taken, found[5][None, :]])
    # Leader lines help a few small central districts; with many districts they would criss-cross the map.
    leaders = n <= MAX_LEADER_DISTRICTS
    for i in order:
        if leaders and i not in placed and (found := attempt(i, "leader")):
            placed[i] = found
            taken = np.vstack([taken, found[5][None, :]])
    from matplotlib import patheffects

    halo = [patheffects.Stroke(linewidth=2.2, foreground="#ffffff")]
    for i, (text, fs, weight, px, py, box, leader) in placed.items():
        x, y = to_data([[px, py]])[0]
        if leader:
            # from the district's centre to the nearest point of the label box
            cx, cy = to_disp([centres[i]])[0]
            ex, ey = np.clip(cx, box[0], box[2]), np.clip(cy, box[1], box[3])
            (lx0, ly0), (lx1, ly1) = to_data([[cx, cy], [ex, ey]])
            ax.plot([lx0, lx1], [ly0, ly1], color="#333333", linewidth=0.5, zorder=9)
            ax.plot([lx0], [ly0], marker="o", markersize=1.6, color="#333333", zorder=9)
        # The halo is a separate path-only copy, so the name itself stays real (searchable) PDF text.
        ax.text(x, y, text, fontsize=fs, fontweight=weight, ha="center", va="center", linespacing=1.0,
                color="#ffffff", path_effects=halo, zorder=9)
        ax.text(x, y, text, fontsize=fs, fontweight=weight, ha="center", va="center", linespacing=1.0,
                color="#111111", zorder=10)
    omitted = [names[i] for i in range(n) if i not in placed]
    return {"labelled": len(placed), "omitted": omitted}


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
        else:
            handles = [_reach_handle(i) if i.line else _legend_handle(i) for i in section.items]
            labels = ["\n".join(measure.wrap(i.label, wrap_width - 0.45 * fontscale, fs)) for i in section.items]
            legend = Legend(fig, handles, labels, title=section.title, loc="upper left", frameon=False,
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
    """Height in inches the legend of ``content`` takes in a wide panel of ``width_in`` (measured on a scratch
    figure), so a portrait layout can give the map all the rest."""
    fig, renderer = new_figure(width_in + 1, 12)
    lowest = draw_legend(fig, renderer, (0.5, 0.5, width_in, 11), content, fontscale=fontscale)
    return 11.5 - lowest


def _bivariate_key_size(fontscale: float) -> tuple[float, float]:
    """Width and height in inches of the 3×3 key block."""
    return 2.5 * fontscale, 2.25 * fontscale


def _draw_bivariate_key(fig: Figure, x: float, y_top: float, info: dict, fs: float, fontscale: float) -> None:
    """The 3×3 key with its top-left corner at (x, y_top) in inches: need classes to the right, reach upwards."""
    W, H = fig.get_size_inches()
    fig.text(x / W, y_top / H, f"Bedarf × Erreichbarkeit ({info['short']})", ha="left", va="top",
             fontsize=fs * 1.05, fontweight="bold")
    fig.text(x / W, (y_top - 0.17 * fontscale) / H, "Zahl im Feld = Sozialräume", ha="left", va="top",
             fontsize=fs * 0.85, color="#333333")
    size = 1.05 * fontscale
    left = x + 0.72 * fontscale
    ax = fig.add_axes((left / W, (y_top - 0.42 * fontscale - size) / H, size / W, size / H))
    for n in range(3):
        for r in range(3):
            colour = BIVARIATE_COLORS[n][r]
            ax.add_patch(Rectangle((n, r), 1, 1, facecolor=colour, edgecolor="#ffffff", linewidth=1.0))
            dark = mpl.colors.rgb_to_hsv(mpl.colors.to_rgb(colour))[2] < 0.55
            ax.text(n + 0.5, r + 0.5, str(info["counts"][n][r]), ha="center", va="center", fontsize=fs * 0.85,
                    color="#ffffff" if dark else "#222222")
    ax.set_xlim(0, 3)
    ax.set_ylim(0, 3)
    ax.set_aspect("equal")
    low, good = (format_number(100 * b, 0) for b in info["reach_bins"])
    ax.set_xticks([0.5, 1.5, 2.5], ["niedrig", "mittel", "hoch"], fontsize=fs * 0.85)
    ax.set_yticks([0.5, 1.5, 2.5], [f"< {low} %", f"{low}–{good} %", f"≥ {good} %"], fontsize=fs * 0.85)
    ax.tick_params(length=0, pad=2)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_xlabel("Bedarf (MSS-Statusklasse) →", fontsize=fs * 0.9, labelpad=3)
    ax.set_ylabel(f"Kinder in Reichweite\n({info['radius']}) →", fontsize=fs * 0.9, labelpad=3)
    fig.text(x / W, (y_top - 0.42 * fontscale - size - 0.42 * fontscale) / H,
             "schwarz: Versorgungslücke (hoher Bedarf,\nwenige Kinder in Reichweite); blau: gut erreicht",
             ha="left", va="top", fontsize=fs * 0.85, color="#333333", linespacing=1.2)


def fit_text(fig: Figure, renderer, text: str, width_in: float, fontsize: float, *, max_lines: int = 2,
             min_size: float = 5.0, weight: str = "normal") -> tuple[str, float]:
    """Wrap ``text`` into at most ``max_lines`` lines that fit ``width_in``, shrinking the font if needed."""
    size = fontsize
    while True:
        t = Text(0, 0, text, fontsize=size, fontweight=weight)
        t.set_figure(fig)
        full = t.get_window_extent(renderer).width / fig.dpi / TextMeasure.SAFETY
        if full <= width_in:
            return text, size
        chars = max(10, int(len(text) * width_in / full) - 1)
        lines = textwrap.wrap(text, width=chars, break_on_hyphens=False)
        if len(lines) <= max_lines or size <= min_size:
            wrapped = "\n".join(lines[:max_lines])
            if len(lines) > max_lines:
                wrapped = wrapped.rstrip(" ,;·") + " …"
            return wrapped, size
        size = max(min_size, size * 0.92)


class TextMeasure:
    """Measures and wraps text as matplotlib will draw it (DejaVu Sans), for layouts planned before drawing."""

    def __init__(self, fig: Figure | None = None, renderer=None):
        if fig is None:
            fig, renderer = new_figure(8.27, 11.69)
        self.fig, self.renderer = fig, renderer
        self._cache: dict[tuple[str, float, str], float] = {}
        self._props: dict[tuple[float, str], FontProperties] = {}

    #: Agg measures hinted glyphs at screen resolution, up to ~2 % narrower than the PDF draws them.
    SAFETY = 0.97

    def width(self, text: str, size: float, weight: str = "normal") -> float:
        """Width of one line in inches."""
        key = (text, size, weight)
        if key not in self._cache:
            if not text:
                self._cache[key] = 0.0
            else:
                props = self._props.get((size, weight))
                if props is None:
                    props = self._props[(size, weight)] = FontProperties(size=size, weight=weight)
                w, _, _ = self.renderer.get_text_width_height_descent(text, props, ismath=False)
                self._cache[key] = w / self.fig.dpi
        return self._cache[key]

    def wrap(self, text: str, width_in: float, size: float, weight: str = "normal") -> list[str]:
        """Lines of ``text`` no wider than ``width_in``; keeps explicit line breaks, splits over-long words."""
        width_in *= self.SAFETY
        lines: list[str] = []
        space = self.width("a a", size, weight) - self.width("aa", size, weight)
        for paragraph in str(text).split("\n"):
            current, current_w = "", 0.0
            for word in paragraph.split(" "):
                # summing cached word widths instead of measuring every candidate line keeps this linear
                word_w = self.width(word, size, weight)
                candidate_w = current_w + space + word_w if current else word_w
                if candidate_w <= width_in:
                    current = f"{current} {word}" if current else word
                    current_w = candidate_w
                    continue
                if current:
                    lines.append(current)
                while self.width(word, size, weight) > width_in and len(word) > 1:
                    cut = len(word) - 1
                    while cut > 1 and self.width(word[:cut] + "-", size, weight) > width_in:
                        cut -= 1
                    lines.append(word[:cut] + "-")
                    word = word[cut:]
                current, current_w = word, self.width(word, size, weight)
            lines.append(current)
        return lines


def draw_stamp(fig: Figure, renderer, x_right_in: float, y_top_in: float, fontscale: float = 1.0) -> float:
    """The "synthetische Beispieldaten" stamp, right-aligned at the given point; returns its width in inches."""
    W, H = fig.get_size_inches()
    t = fig.text(x_right_in / W, y_top_in / H, settings.SYNTHETIC_STAMP, ha="right", va="top",
                 fontsize=9.5 * fontscale, fontweight="bold", color=STAMP_COLOR,
                 bbox=dict(boxstyle="round,pad=0.35", facecolor="#ffffff", edgecolor=STAMP_COLOR, linewidth=1.3))
    return t.get_window_extent(renderer).width / fig.dpi + 0.1


def render_map(
    kind: str,
    dataset: Dataset,
    result: Result,
    *,
    offer_type: str | None = None,
    indicator: str | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    paper: str = "A4",
    orientation: str = "landscape",
    labels: bool = True,
    export_date: date | None = None,
    tiles: bool = False,
) -> Figure:
    """A complete print map: title, subtitle, map, legend, scale bar, north arrow, labels, sources, date, note.

    Parameters
    ----------
    kind
        One of :data:`KINDS`.
    offer_type, indicator, scheme, k
        See :func:`map_content`.
    paper, orientation
        ``"A4"``/``"A3"``, ``"portrait"``/``"landscape"``.
    labels
        Write district names (placed so that they do not overlap; names that fit nowhere are left out and
        counted in the note).
    export_date
        Date printed on the map (default today).
    tiles
        Background tiles (:data:`geo.settings.TILE_URL`, cached) under semi-transparent district fills; when
        they cannot be had, the vector map is drawn and the method note says so. An export never fails for it.

    Returns
    -------
    matplotlib.figure.Figure
        Not attached to pyplot; save it with :func:`figure_bytes`.
    """
    content = map_content(kind, dataset, result, offer_type=offer_type, indicator=indicator, scheme=scheme, k=k)
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
        record = settings_record(dataset, result, export_date=export_date, product={
            "kind": kind, "offer_type": offer_type, "indicator": indicator, "scheme": scheme, "k": k,
            "paper": paper, "orientation": orientation, "labels": labels, "tiles": tiles})
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


def figure_bytes(fig: Figure, fmt: str = "pdf", *, dpi: int = 150) -> bytes:
    """Save ``fig`` as PDF or PNG with fixed metadata (same figure, same bytes).

    PDF: TrueType fonts embedded, ``CreationDate``/``ModDate`` = export date (midnight UTC), title, subject
    and the settings record (JSON) in ``Keywords``. PNG: ``dpi`` in the pHYs chunk, title, settings and the
    export date as text chunks.
    """
    if fmt not in FORMATS:
        raise ValueError(f"Unbekanntes Format {fmt!r}; möglich: {', '.join(FORMATS)}")
    info = getattr(fig, "_praeventionsatlas", {})
    stamp = export_timestamp(info.get("export_date"))
    buffer = io.BytesIO()
    with rc():
        if fmt == "pdf":
            fig.savefig(buffer, format="pdf", metadata={
                "Title": info.get("title", APP_NAME), "Author": APP_NAME, "Subject": info.get("subject", ""),
                "Keywords": info.get("settings", ""), "Creator": f"{APP_NAME} {software_version()}",
                "CreationDate": stamp, "ModDate": stamp,
            })
        else:
            fig.savefig(buffer, format="png", dpi=dpi, metadata={
                "Title": info.get("title", APP_NAME), "Author": APP_NAME, "Description": info.get("settings", ""),
                "Creation Time": stamp.date().isoformat(), "Software": f"{APP_NAME} {software_version()}",
            })
    return buffer.getvalue()
