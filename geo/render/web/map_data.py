"""What the web map draws, as JSON-ready data: classes of a variable, district tooltips, offers, legend HTML."""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import crs, settings
from geo.analysis import Result, column
from geo.analysis.classify import classify_values
from geo.analysis.need import CLASS_BOUNDS, IN_NEED_CLASSES, NOT_CLASSIFIED, STATUS_CLASSES
from geo.analysis.protect import HIDDEN_MEANING, SMALL, district_codes
from geo.analysis.schools import SCHOOL_TYPE
from geo.catalog import TypeLabels
from geo.dataset import Dataset
from geo.formatting import format_distance, format_number
from geo.render import palette, reach_words
from geo.render.palette import HIDDEN_COLOR, NO_CLASS_COLOR, STATUS_COLORS, YLORRD
from geo.render.web import chain_map, dynamics_map, payload, tips
from geo.render.web.schools import school_layer
from geo.render.web.symbols import FALLBACK_COLOR, esc, marker_svg, safe_color

#: The map variable of the status index (any other variable is an indicator key or a reach share).
STATUS: Final[str] = "status_index"
#: Classification schemes offered to the user, with the label they are chosen by.
SCHEMES: Final[dict[str, str]] = palette.scheme_labels()
#: Tolerance of the coverage simplification for display, in metres of the metric CRS.
SIMPLIFY_M: Final[float] = 5.0
#: Below this zoom level district names are hidden; above it, names that would overlap wait for a closer zoom.
LABEL_MIN_ZOOM: Final[float] = 10.0
#: Class number of a district whose value data protection suppresses (:mod:`geo.analysis.protect`).
HIDDEN_CLASS: Final[int] = -2
#: Legend text of those districts (as on the print maps).
HIDDEN_TEXT: Final[str] = "nicht ausgewiesen (Datenschutz)"
#: The chain map: per district the number of missing links of the Präventionskette (:mod:`.chain_map`).
CHAIN_MISSING: Final[str] = chain_map.VARIABLE
#: ``gap_type`` that marks the gaps of every analysed offer type at once (the print "Versorgungslücken" map).
ALL_TYPES: Final[str] = "__alle__"
#: How that choice is named in the UI and on the map.
ALL_TYPES_LABEL: Final[str] = "alle Angebotsarten"


# --------------------------------------------------------------------------------------------- classification


@dataclass(frozen=True)
class Classes:
    """A classification of one variable over the districts.

    Attributes
    ----------
    classes
        Class number per district (0 = lowest values), ``-1`` where not classified or without value,
        :data:`HIDDEN_CLASS` where data protection suppresses the value.
    labels
        Legend label per class.
    colors
        Fill colour per class.
    counts
        Number of districts per class.
    """

    classes: np.ndarray
    labels: list[str]
    colors: list[str]
    counts: list[int]

    def color_of(self, i: int) -> str:
        """Fill colour of class ``i`` (``-1``: not classified, :data:`HIDDEN_CLASS`: suppressed)."""
        if i == HIDDEN_CLASS:
            return HIDDEN_COLOR
        return self.colors[i] if i >= 0 else NO_CLASS_COLOR


@dataclass(frozen=True)
class Variable:
    """A mappable per-district number with its German label."""

    key: str
    label: str
    unit: str
    direction: int  # +1: higher = more need
    decimals: int


def variables(result: Result, dataset: Dataset) -> dict[str, Variable]:
    """Variables the choropleth can show.

    The status index, Dynamik and Gesamtindex, every indicator, the change of an indicator (with two stored years),
    every reach share, the chain map.
    """
    layers = dynamics_map.available(dataset)
    out = {STATUS: Variable(STATUS, "Statusindex (MSS)", "", 1, 2)}
    out |= {k: Variable(k, dynamics_map.LABELS[k], "", 1, 0) for k in layers if k != dynamics_map.CHANGE}
    for key, row in dataset.indicator_definitions.iterrows():
        if key in result.districts.columns:
            unit = "" if row["unit"] is None else str(row["unit"])
            out[str(key)] = Variable(str(key), str(row["label"]), unit, int(row["direction"]), 1)
    if dynamics_map.CHANGE in layers:
        out[dynamics_map.CHANGE] = Variable(dynamics_map.CHANGE, dynamics_map.LABELS[dynamics_map.CHANGE], "", 1, 1)
    for t in result.offer_types:
        short = dataset.type_labels(t).short
        out[column("share_in_reach", t)] = Variable(
            column("share_in_reach", t), f"{reach_words.target(result, t).in_reach}: {short}", "%", -1, 0
        )
    if chain_map.available(result, dataset):
        out[CHAIN_MISSING] = Variable(CHAIN_MISSING, chain_map.LABEL, "", 1, 0)
    return out


def _is_share(result: Result, var: Variable) -> bool:
    return var.key in {column("share_in_reach", t) for t in result.offer_types}


def _values(result: Result, var: Variable, codes: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """The values of ``var`` the map may show (the others NaN), and where a shown value would be suppressed.

    Data protection (:func:`geo.analysis.protect.district_codes`) decides: the status index and indicator rates
    of a district that is not classified fall into no class ("nicht klassifiziert"); a reach share that would
    reveal a small count is "nicht ausgewiesen (Datenschutz)".
    """
    d = result.districts
    values = d[var.key].to_numpy(dtype=float).copy()
    coded = (codes[var.key] != "").to_numpy(dtype=bool) if var.key in codes else np.zeros(len(d), dtype=bool)
    values[coded] = np.nan
    if not _is_share(result, var):
        if "classified" in d:
            values[~d["classified"].to_numpy(dtype=bool)] = np.nan
        return values, np.zeros(len(d), dtype=bool)
    return values * 100, coded


def classify(
    result: Result, var: Variable, *, scheme: str, k: int = 5, codes: pd.DataFrame | None = None
) -> Classes:
    """Classes, legend labels and colours of ``var``; darker always means more need.

    A share in reach uses the one reach scheme of :func:`geo.render.palette.reach_colors` (darker = fewer reached).

    Values suppressed by data protection fall into no class (:data:`HIDDEN_CLASS` for reach shares); ``codes``
    is :func:`~geo.analysis.protect.district_codes` of ``result`` when the caller has it already.
    """
    if scheme == "mss":
        if var.key != STATUS:
            raise ValueError("The MSS classes exist only for the status index.")
        status = result.districts["status_class"].to_numpy()
        classes = np.array([STATUS_CLASSES.index(s) if s in STATUS_CLASSES else -1 for s in status])
        low, high, very = (format_number(b, 1, signed=True) for b in CLASS_BOUNDS)
        labels = [
            f"Status hoch (unter {low})",
            f"Status mittel ({low} bis unter {high})",
            f"Status niedrig ({high} bis unter {very})",
            f"Status sehr niedrig (ab {very})",
        ]
        colors = [STATUS_COLORS[c] for c in STATUS_CLASSES]
    else:
        values, hidden = _values(result, var, district_codes(result) if codes is None else codes)
        classes, bins = classify_values(values, scheme, k)
        classes = np.where(hidden, HIDDEN_CLASS, classes)
        finite = values[np.isfinite(values)]
        if _is_share(result, var):
            colors = palette.reach_colors(len(bins))  # one reach scheme for every type, as in print: darker = fewer
        else:
            colors = list(YLORRD[len(bins)]) if len(bins) >= 2 else [YLORRD[3][1]] * len(bins)
            if var.direction < 0:
                colors = colors[::-1]  # lower values mean more need here: darker
        unit = f" {var.unit}" if var.unit else ""
        signed = var.key == STATUS

        def text(v: float) -> str:
            return format_number(v, var.decimals, signed=signed) + unit

        labels = []
        for i, upper in enumerate(bins):
            low = text(finite.min()) if i == 0 else f"über {text(bins[i - 1])}"
            labels.append(text(upper) if i == 0 and low == text(upper) else f"{low} – {text(upper)}")
    counts = [int((classes == i).sum()) for i in range(len(labels))]
    return Classes(classes=classes, labels=labels, colors=colors, counts=counts)


def _layer_classes(layer: dynamics_map.Layer) -> Classes:
    """The classes of a Dynamik, Gesamtindex or change layer (:mod:`.dynamics_map`)."""
    n = len(layer.labels)
    return Classes(layer.classes, layer.labels, layer.colors, [int((layer.classes == i).sum()) for i in range(n)])


def _chain_classes(chain) -> Classes:
    """The chain map's classes: whole numbers 0 … n of missing links, no classification scheme."""
    numbers, labels, colors = chain_map.classes(chain)
    return Classes(numbers, labels, colors, [int((numbers == i).sum()) for i in range(len(labels))])


# ------------------------------------------------------------------------------------------------ offer types


@dataclass(frozen=True)
class _TypeInfo:
    """How an offer type is named and drawn on the web map."""

    names: TypeLabels
    color: str
    marker: str


def _type_info(dataset: Dataset, offer_type: str) -> _TypeInfo:
    table = dataset.offer_types
    if offer_type not in table.index:
        return _TypeInfo(dataset.type_labels(offer_type), FALLBACK_COLOR, palette.DEFAULT_MARKER)
    return _TypeInfo(dataset.type_labels(offer_type), safe_color(table.at[offer_type, "color"]),
                     palette.marker_of(table.at[offer_type, "marker"]))


# ------------------------------------------------------------------------------------------------- geometry


def display_geometry(districts: gpd.GeoDataFrame, *, tolerance_m: float = SIMPLIFY_M, decimals: int = 6
                     ) -> gpd.GeoSeries:
    """District outlines for the web map: coverage-simplified (shared borders stay shared), WGS84, rounded."""
    metric = crs.to_metric(districts[[districts.geometry.name]], name="Sozialräume").geometry
    if tolerance_m > 0:
        try:
            simple = metric.simplify_coverage(tolerance_m)
        except shapely.errors.GEOSException:
            simple = None  # not a clean coverage (overlaps): simplify each polygon on its own instead
        if simple is None or not simple.is_valid.all() or simple.is_empty.any():
            simple = metric.simplify(tolerance_m, preserve_topology=True)
        metric = simple
    wgs = crs.to_map(gpd.GeoDataFrame(geometry=metric, crs=districts.crs)).geometry
    rounded = shapely.transform(wgs.to_numpy(), lambda xy: np.round(xy, decimals))
    return gpd.GeoSeries(rounded, index=wgs.index, crs=wgs.crs)


#: Candidate label points per district (a grid over its bounding box) when offers sit near its centre.
_LABEL_GRID: Final[int] = 15


def _label_points(districts: gpd.GeoDataFrame, offers: gpd.GeoDataFrame | None = None) -> np.ndarray:
    """(lat, lon) of a label point per district: inside it and clear of the offer symbols drawn on the map.

    The point is the centre of the largest circle inside the district that holds no offer location: the centre of
    the largest inscribed circle when no offer lies in that circle, else the best of a grid of points in the
    district, scored by the smaller of the distances to the district's border and to the nearest offer. So a
    symbol in the middle of a district ("Lo▲feld") pushes its name aside, never out of the district.
    """
    metric = crs.to_metric(districts[[districts.geometry.name]], name="Sozialräume").geometry
    polygons = metric.to_numpy()
    circles = shapely.maximum_inscribed_circle(polygons, 5.0)
    centre = shapely.get_point(circles, 0)
    radius = shapely.length(circles)
    points = shapely.get_coordinates(centre)
    if offers is not None and len(offers):
        sites = crs.to_metric(offers[[offers.geometry.name]], name="Angebote").geometry.to_numpy()
        tree = shapely.STRtree(sites)
        crowded = np.flatnonzero(_nearest_distance(tree, centre) < radius)
        if len(crowded):
            points[crowded] = _clear_points(polygons[crowded], tree)
    wgs = gpd.GeoSeries(shapely.points(points), crs=metric.crs).to_crs(settings.MAP_CRS)
    return np.round(np.column_stack([wgs.y, wgs.x]), 6)


def _clear_points(polygons: np.ndarray, offers: shapely.STRtree) -> np.ndarray:
    """Per polygon the grid point farthest from both its border and the nearest offer (see :func:`_label_points`).

    The grid is :data:`_LABEL_GRID` × :data:`_LABEL_GRID` points over the polygon's bounding box (``np.linspace``,
    ``np.meshgrid`` order); of the points inside it, the first with the highest score wins; a polygon that holds
    none of them gets its ``point_on_surface``. All polygons are tested in one vectorised pass.
    """
    g = _LABEL_GRID
    bounds = shapely.bounds(polygons)
    if (bounds[:, 2] == bounds[:, 0]).any() or (bounds[:, 3] == bounds[:, 1]).any():  # linspace rounds these apart
        return np.array([_clear_points_one(p, offers) for p in polygons]).reshape(-1, 2)
    xs = np.linspace(bounds[:, 0], bounds[:, 2], g, axis=1)  # (k, g), the same numbers as one linspace per polygon
    ys = np.linspace(bounds[:, 1], bounds[:, 3], g, axis=1)
    x = np.broadcast_to(xs[:, None, :], (len(polygons), g, g)).reshape(len(polygons), -1)
    y = np.broadcast_to(ys[:, :, None], (len(polygons), g, g)).reshape(len(polygons), -1)
    inside = shapely.contains_xy(polygons[:, None], x, y)
    row, col = np.nonzero(inside)
    grid = shapely.points(x[row, col], y[row, col])
    score = np.full(inside.shape, -np.inf)
    border = shapely.distance(grid, shapely.boundary(polygons)[row])
    score[row, col] = np.minimum(border, _nearest_distance(offers, grid))
    best = np.argmax(score, axis=1)
    out = np.column_stack([x[np.arange(len(polygons)), best], y[np.arange(len(polygons)), best]])
    empty = ~inside.any(axis=1)
    if empty.any():
        out[empty] = shapely.get_coordinates(shapely.point_on_surface(polygons[empty]))
    return out


def _clear_points_one(polygon, offers: shapely.STRtree) -> np.ndarray:
    """:func:`_clear_points` of one polygon, one linspace per axis (for degenerate bounding boxes)."""
    minx, miny, maxx, maxy = polygon.bounds
    xs, ys = np.meshgrid(np.linspace(minx, maxx, _LABEL_GRID), np.linspace(miny, maxy, _LABEL_GRID))
    grid = shapely.points(xs.ravel(), ys.ravel())
    grid = grid[shapely.contains_xy(polygon, xs.ravel(), ys.ravel())]
    if not len(grid):
        return shapely.get_coordinates(shapely.point_on_surface(polygon))[0]
    border = shapely.distance(grid, polygon.boundary)
    return shapely.get_coordinates(grid[int(np.argmax(np.minimum(border, _nearest_distance(offers, grid))))])[0]


def _nearest_distance(tree: shapely.STRtree, points: np.ndarray) -> np.ndarray:
    """Distance from each of ``points`` to the nearest geometry of ``tree`` (``inf`` for an empty point)."""
    (which, _), distance = tree.query_nearest(points, return_distance=True, all_matches=False)
    out = np.full(len(points), np.inf)
    out[which] = distance
    return out


def _points_latlon(points: gpd.GeoDataFrame) -> np.ndarray:
    wgs = crs.to_map(points, name="Angebote").geometry
    return np.round(np.column_stack([wgs.y.to_numpy(), wgs.x.to_numpy()]), 6)


# ---------------------------------------------------------------------------------------------- map content


def clicked_district(returned: dict | None) -> tuple[str, object] | None:
    """The district id of a clicked map feature and what makes that click unique, from ``st_folium``'s value.

    ``returned`` is what ``st_folium(..., returned_objects=["last_active_drawing"])`` gives back: the clicked
    district's GeoJSON feature, whose properties carry the id (HTML-escaped, as every text of the payload) and the
    time of the click. ``None`` when nothing (or something else than a district) was clicked.
    """
    feature = (returned or {}).get("last_active_drawing") or {}
    properties = feature.get("properties") if isinstance(feature, dict) else None
    if not isinstance(properties, dict) or not isinstance(properties.get("id"), str):
        return None
    return html.unescape(properties["id"]), properties.get("clicked")


def gap_types_of(result: Result, gap_type: str | None) -> list[str]:
    """The analysed offer types whose gaps the map marks: one, all (:data:`ALL_TYPES`) or none."""
    if gap_type == ALL_TYPES:
        return list(result.offer_types)
    return [gap_type] if gap_type in result.offer_types else []


def gap_counts(result: Result, gap_types: Iterable[str]) -> np.ndarray:
    """Per district, for how many of ``gap_types`` it is a *Versorgungslücke* (0 = none)."""
    counts = np.zeros(len(result.districts), dtype=int)
    for t in gap_types:
        counts += result.districts[column("gap", t)].to_numpy(dtype=bool)
    return counts


def gap_name(dataset: Dataset, gap_type: str | None) -> str:
    """How a gap choice is named: the plural of the offer type, :data:`ALL_TYPES_LABEL` or "keine"."""
    if gap_type is None:
        return "keine"
    return ALL_TYPES_LABEL if gap_type == ALL_TYPES else dataset.type_labels(gap_type).plural


def _gap_legend(result: Result, dataset: Dataset, gap_type: str, gap_types: list[str], n_gaps: np.ndarray) -> str:
    """The legend section of the marked gaps: the rule, then hatched swatches (with the badge when combined)."""
    share = format_number(100 * result.max_share_in_reach)
    rule = f"Sozialraum mit hohem Bedarf, unter {share} % {reach_words.group_genitive(result)} in Reichweite"
    rows = [f"<div class='pa-lt'>Versorgungslücken: {esc(gap_name(dataset, gap_type))}</div>",
            f"<div class='pa-ls'>{esc(rule)}</div>"]
    if gap_type != ALL_TYPES:
        rows.append(f"<div class='pa-lr'><span class='pa-sw pa-sw-gap'></span><span>schraffiert, gestrichelter Rand "
                    f"<span class='pa-n'>({int((n_gaps > 0).sum())})</span></span></div>")
        return "".join(rows)
    for n in range(1, len(gap_types) + 1):
        count = int((n_gaps == n).sum())
        if count:
            kinds = "Angebotsart" if n == 1 else "Angebotsarten"
            rows.append(f"<div class='pa-lr'><span class='pa-sw pa-sw-gap'><span class='pa-badge'>{n}</span></span>"
                        f"<span>Versorgungslücke bei {n} {kinds} <span class='pa-n'>({count})</span></span></div>")
    if not n_gaps.any():
        rows.append("<div class='pa-lr'><span class='pa-sw pa-sw-gap'></span><span>keine Versorgungslücke "
                    "<span class='pa-n'>(0)</span></span></div>")
    return "".join(rows)


def _legend_texts(result: Result, var: Variable, scheme: str, classes: Classes, chain,
                  layer: dynamics_map.Layer | None) -> tuple[str, str, str, str]:
    """Title, subtitle, the text of the districts without class and the note of the legend (plain text)."""
    year = result.year
    if var.key == STATUS:
        title = f"Sozialstatus {year} (Statusindex)"
    else:
        title = f"{var.label} {year}" + (f" ({var.unit})" if var.unit else "")
    subtitle = palette.SCHEMES[scheme].short
    if scheme != "mss":
        subtitle += f", {len(classes.labels)} Klassen"
    if _is_share(result, var):
        subtitle += " · " + palette.reach_scheme_note(result.population.plural)
    else:
        subtitle += " · dunkler = mehr Bedarf"
    min_inh = format_number(result.min_inhabitants)
    if var.key == STATUS:
        no_class_text = f"{NOT_CLASSIFIED} (unter {min_inh} EW)"
    elif _is_share(result, var):
        no_class_text = "kein Wert"
    else:
        no_class_text = f"{NOT_CLASSIFIED} (unter {min_inh} EW oder ohne Wert)"
    note = result.population.note
    if chain is not None:  # the chain map's own legend texts
        subtitle, no_class_text = chain_map.subtitle(chain), chain_map.NO_CLASS_TEXT
        note = " ".join(n for n in (chain_map.note(chain), note) if n)
    if layer is not None:  # the change layers' own legend texts
        title, subtitle, no_class_text = layer.title, layer.subtitle, layer.no_class_text
        note = " ".join(n for n in (layer.note, note) if n)
    return title, subtitle, no_class_text, note


def _class_rows(classes: Classes, grid: str) -> list[str]:
    """The legend rows of the classes: one per class, or ``grid`` (the Gesamtindex's 4 × 3 table) instead."""
    if grid:
        return [grid]
    return [f"<div class='pa-lr'><span class='pa-sw' style='background:{color}'></span>"
            f"<span>{esc(label)} <span class='pa-n'>({count})</span></span></div>"
            for label, color, count in zip(classes.labels, classes.colors, classes.counts, strict=True)]


def _legend(
    *, title: str, subtitle: str, classes: Classes, gap: str,
    offers: list[tuple[str, str, int]], reach: list[tuple[str, str]], no_class_count: int, no_class_text: str,
    note: str = "", hidden_count: int = 0, protection_note: bool = False, schools: str = "", grid: str = "",
) -> str:
    rows = [f"<div class='pa-lt'>{esc(title)}</div>", f"<div class='pa-ls'>{esc(subtitle)}</div>"]
    rows += _class_rows(classes, grid)
    if no_class_count:
        rows.append(
            f"<div class='pa-lr'><span class='pa-sw' style='background:{NO_CLASS_COLOR}'></span>"
            f"<span>{esc(no_class_text)} <span class='pa-n'>({no_class_count})</span></span></div>"
        )
    if hidden_count:
        rows.append(
            f"<div class='pa-lr'><span class='pa-sw' style='background:{HIDDEN_COLOR}'></span>"
            f"<span>{esc(HIDDEN_TEXT)} <span class='pa-n'>({hidden_count})</span></span></div>"
        )
    if gap:
        rows.append(gap)
    if offers:
        rows.append("<div class='pa-lt'>Angebote</div>")
        for svg, label, count in offers:
            rows.append(f"<div class='pa-lr'><span class='pa-sym'>{svg}</span><span>{esc(label)} "
                        f"<span class='pa-n'>({count})</span></span></div>")
    if schools:
        rows.append(schools)
    if reach:
        rows.append("<div class='pa-lt'>Reichweite (Luftlinie)</div>")
        for color, label in reach:
            rows.append(f"<div class='pa-lr'><span class='pa-sw pa-sw-reach' style='border-color:{color}'></span>"
                        f"{esc(label)}</div>")
    if protection_note:
        rows.append(f"<div class='pa-ls'>{esc(f'„{SMALL}“ = 1 oder 2 Personen · {HIDDEN_MEANING}')}</div>")
    if note:
        rows.append(f"<div class='pa-ls'>{esc(note)}</div>")
    return "".join(rows)


def map_data(
    result: Result,
    dataset: Dataset,
    *,
    variable: str = STATUS,
    scheme: str = "mss",
    k: int = 5,
    offer_types: Iterable[str] | None = None,
    reach: bool = False,
    gap_type: str | None = None,
    labels: bool = True,
    simplify_m: float | None = None,
    change: dynamics_map.ChangeChoice | None = None,
) -> dict:
    """Everything the map script draws, as JSON-ready data; every user text in it is already HTML-escaped.

    Figures follow the data-protection rule of the exports (:mod:`geo.analysis.protect`): tooltips show
    ``"< 3"`` and ``"•"`` where the result table does, suppressed values fall into no class.

    Parameters
    ----------
    result, dataset
        The analysis result and the data set it was computed from.
    variable
        ``"status_index"``, an indicator key, ``share_in_reach__<type>`` or :data:`CHAIN_MISSING` (the number
        of missing links of the Präventionskette, classes 0 … n of their own; ``scheme`` and ``k`` do not apply)
        (see :func:`variables`).
    scheme
        A key of :data:`SCHEMES`; ``"mss"`` only for the status index.
    k
        Number of classes for the other schemes (2–7).
    offer_types
        Offer types whose locations are drawn (default: every type present in the offers layer).
    reach
        Draw reach circles (radius from ``result.radii``) around the offers of analysed types.
    gap_type
        Mark the gap districts (*Versorgungslücken*) of this analysed offer type, or of every analysed type with
        :data:`ALL_TYPES` (each gap district then carries the number of types with a gap as a badge).
    labels
        Show district names on the map.
    simplify_m
        Display simplification tolerance in metres; default: :data:`SIMPLIFY_M` for a city, coarser for a larger
        extent, with coordinates rounded to match (:func:`~geo.render.web.payload.display_detail`).
    change
        Indicator and years of the change map (``variable`` :data:`~.dynamics_map.CHANGE`; default
        :func:`~.dynamics_map.default_change`).

    Returns
    -------
    dict
        ``districts`` (outlines, properties ``id``, ``fill``, ``gap``, ``gaps``, ``attention`` and tooltips in the
        compact form of :func:`~geo.render.web.payload.encode_districts`; :func:`~geo.render.web.payload.features_of`
        reads them as GeoJSON features), ``labels``, ``offers``, ``types``, ``schools`` (the
        Grundschulen by Schulsozialindex, :func:`geo.render.web.schools.school_layer`, or ``None`` when not
        shown), ``legend``, ``stamp``, ``bounds`` and display switches.
    """
    choices = variables(result, dataset)
    if variable not in choices:
        raise ValueError(f"Unknown map variable {variable!r}")
    var = choices[variable]
    if scheme not in SCHEMES:
        raise ValueError(f"Unknown classification scheme {scheme!r}")
    gap_types = gap_types_of(result, gap_type)
    k = int(min(7, max(2, k)))
    d = result.districts
    codes = district_codes(result)
    chain = chain_map.chain_of(result, dataset) if var.key == CHAIN_MISSING else None
    layer = dynamics_map.layer(result, dataset, var.key, codes=codes, change=change) if (
        var.key in dynamics_map.LABELS) else None
    if layer is not None:
        classes = _layer_classes(layer)
    else:
        classes = classify(result, var, scheme=scheme, k=k, codes=codes) if chain is None else _chain_classes(chain)
    attention = layer.attention if layer is not None and layer.attention is not None else None
    tolerance, decimals = (payload.display_detail(d, city_tolerance_m=SIMPLIFY_M) if simplify_m is None
                           else (simplify_m, 6))
    geometry = display_geometry(d, tolerance_m=tolerance, decimals=decimals)
    n_gaps = gap_counts(result, gap_types)
    in_need = d["status_class"].isin(IN_NEED_CLASSES).to_numpy()

    offers = dataset.offers
    offers = offers[offers.geometry.notna() & ~offers.geometry.is_empty]
    present = list(dict.fromkeys(str(t) for t in offers[settings.OFFER_TYPE]))
    ordered = [t for t in dataset.offer_types.index if t in present] + [
        t for t in present if t not in dataset.offer_types.index
    ]
    shown = ordered if offer_types is None else [t for t in ordered if t in set(offer_types)]
    # The Grundschulen are drawn by their Schulsozialindex (geo.render.web.schools), not as one-colour offers.
    schools = school_layer(dataset) if SCHOOL_TYPE in shown else None
    shown = [t for t in shown if t != SCHOOL_TYPE]
    offers = offers[offers[settings.OFFER_TYPE].astype(str).isin(shown)]
    latlon = _points_latlon(offers) if len(offers) else np.empty((0, 2))
    infos = {t: _type_info(dataset, t) for t in shown}
    types: dict[str, dict] = {}
    for t, info in infos.items():
        radius = result.radii.get(t)
        types[t] = {
            "label": esc(info.names.plural),
            "color": info.color,
            "icon": marker_svg(info.marker, info.color),
            "radius": float(radius) if radius else None,
            "reach_label": esc(f"Reichweite {info.names.short} ({format_distance(radius)})") if radius else None,
            "count": int((offers[settings.OFFER_TYPE].astype(str) == t).sum()),
        }
    offer_type = offers[settings.OFFER_TYPE].astype(str).tolist()
    offer_rows = payload.encode_points(latlon, [offer_type],
                                       tips.offer_tips(offers, [infos[t].names.label for t in offer_type]))

    label_xy = _label_points(d, offers)
    short_names = {t: dataset.type_labels(t).short for t in result.offer_types}
    extra = tips.ExtraRow(var.key, var.label, var.unit, var.decimals) if (
        var.key != STATUS and not _is_share(result, var) and var.key not in dynamics_map.LABELS) else None
    district_tips = tips.district_tips(result, codes, short_names, extra)
    if chain is not None:
        district_tips += tips.per_district([chain_map.tip_line(chain, i) for i in range(len(d))])
    if layer is not None:
        district_tips += tips.per_district(layer.tips)
    ids = [esc(v) for v in d[settings.DISTRICT_ID].tolist()]  # escaped like every text; see clicked_district
    names = [esc(v) for v in d[settings.DISTRICT_NAME].tolist()]
    districts = payload.encode_districts(geometry, {
        "id": ids,
        "fill": [classes.color_of(int(c)) for c in classes.classes],
        "gap": (n_gaps > 0).tolist(),
        "gaps": n_gaps.tolist(),
        "attention": attention.astype(bool).tolist() if attention is not None else [False] * len(d),
    }, district_tips, decimals=decimals)
    # [lat, lon, name, priority, badge]: a badge (number of types with a gap) only in the combined view
    label_rows = [[float(label_xy[i, 0]), float(label_xy[i, 1]), names[i], bool(n_gaps[i] or in_need[i]),
                   int(n_gaps[i]) if gap_type == ALL_TYPES and n_gaps[i] else 0] for i in range(len(d))]
    # Label priority where names collide: gap districts, then districts in need, then the larger ones.
    order = np.lexsort((-d.geometry.area.to_numpy(), ~in_need, n_gaps == 0))
    label_rows = [label_rows[i] for i in order]

    title, subtitle, no_class_text, note = _legend_texts(result, var, scheme, classes, chain, layer)
    no_class = int((classes.classes == -1).sum())
    gap_legend = (layer.attention_legend if layer is not None else "") + (
        _gap_legend(result, dataset, gap_type, gap_types, n_gaps) if gap_types else "")
    legend = _legend(
        title=title, subtitle=subtitle, classes=classes, gap=gap_legend,
        offers=[(types[t]["icon"], info.names.plural, types[t]["count"]) for t, info in infos.items()],
        reach=[
            (info.color, f"{info.names.short}: {format_distance(result.radii[t])}")
            for t, info in infos.items() if reach and t in result.radii
        ],
        no_class_count=no_class, no_class_text=no_class_text,
        note=note,
        schools=schools["legend"] if schools else "",
        hidden_count=int((classes.classes == HIDDEN_CLASS).sum()), protection_note=bool((codes != "").any(axis=None)),
        grid=layer.grid if layer is not None else "",
    )
    minx, miny, maxx, maxy = geometry.total_bounds
    return {
        "districts": districts,
        "labels": label_rows if labels else [],
        "show_labels": bool(labels),
        "label_min_zoom": LABEL_MIN_ZOOM,
        "offers": offer_rows,
        "types": types,
        "schools": schools,
        "reach": bool(reach),
        "gap_label": esc(f"Versorgungslücken: {gap_name(dataset, gap_type)}") if gap_types else None,
        "attention_label": esc(dynamics_map.ATTENTION_LABEL) if attention is not None else None,
        "attention_color": palette.ATTENTION_COLOR,
        "legend": legend,
        "stamp": esc(settings.SYNTHETIC_STAMP) if dataset.synthetic else None,
        "bounds": [[round(float(miny), 6), round(float(minx), 6)], [round(float(maxy), 6), round(float(maxx), 6)]],
    }
