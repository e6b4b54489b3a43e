"""The web maps of a scenario comparison: A and B side by side (same reach classes) and the difference map.

Payloads in the shape of :func:`geo.render.web.map_data.map_data`, drawn by the same ``static/atlas/atlas.js``
(:class:`geo.render.web.leaflet.AtlasLayers`): districts coloured by the share of one offer type's target group in
reach (A, B: the fixed classes of :data:`geo.render.palette.REACH_BOUNDS`, so both maps read alike) or by its
change from A to B (:data:`geo.render.palette.DIVERGING`), the offers of that type, and the new, closed and moved
offers marked (:data:`geo.render.palette.OFFER_CHANGE_SYMBOLS`). Every user text is HTML-escaped here; shares that
data protection suppresses in A or B are "nicht ausgewiesen" on every map.
"""

from __future__ import annotations

from typing import Final

import folium
import numpy as np
import pandas as pd

from geo import crs, settings
from geo.analysis import Result
from geo.analysis.compare import compare
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.render import palette
from geo.render.compare_tables import CHANGE_TEXT, GAP_TEXT, district_pairs, signed_points, target_words
from geo.render.palette import HIDDEN_COLOR, NO_CLASS_COLOR, REACH_BOUNDS, REACH_LABELS, reach_colors
from geo.render.web import payload
from geo.render.web.leaflet import STATIC_URL, AtlasLayers, OfflineMap
from geo.render.web.map_data import HIDDEN_TEXT, LABEL_MIN_ZOOM, SIMPLIFY_M, _label_points, display_geometry
from geo.render.web.symbols import FALLBACK_COLOR, esc, marker_svg, safe_color
from geo.render.web.tips import per_district

#: The maps a comparison draws.
SIDES: Final[tuple[str, ...]] = ("a", "b", "difference")
#: Payload type key of a changed offer's symbol (never an offer type key: those have no leading underscores).
CHANGE_KEY: Final[str] = "__{}__"


def _fills_reach(share: np.ndarray, shown: np.ndarray) -> tuple[list[str], list[int]]:
    """Fill per district and the count per reach class (fixed bounds; suppressed white, no value grey)."""
    colors = reach_colors(len(REACH_BOUNDS) + 1)
    classes = np.where(np.isfinite(share), np.searchsorted(REACH_BOUNDS, np.nan_to_num(share), side="right"), -1)
    fills = [HIDDEN_COLOR if not s else colors[c] if c >= 0 else NO_CLASS_COLOR
             for c, s in zip(classes, shown, strict=True)]
    return fills, [int(((classes == i) & shown).sum()) for i in range(len(colors))]


def _fills_change(change_pp: np.ndarray, shown: np.ndarray) -> tuple[list[str], list[int]]:
    classes = np.array([palette.change_class(v) for v in change_pp], dtype=int)
    fills = [HIDDEN_COLOR if not s else palette.DIVERGING[c] if c >= 0 else NO_CLASS_COLOR
             for c, s in zip(classes, shown, strict=True)]
    return fills, [int(((classes == i) & shown).sum()) for i in range(len(palette.DIVERGING))]


def _pct(share: float, shown: bool) -> str:
    if not shown:
        return "•"
    return f"{format_number(100 * share)} %" if np.isfinite(share) else "–"


def _tips(result_a: Result, offer_type: str, pairs: pd.DataFrame, gap_a, gap_b, names: tuple[str, str]) -> list[str]:
    d = result_a.districts
    tips = []
    for i in range(len(d)):
        shown = bool(pairs["shown"].iat[i])
        a, b = float(pairs["share_a"].iat[i]), float(pairs["share_b"].iat[i])
        change = "•" if not shown else (signed_points(100 * (b - a)) + " Prozentpunkte"
                                        if np.isfinite(a) and np.isfinite(b) else "–")
        rows = [(f"A: {esc(names[0])}", _pct(a, shown)), (f"B: {esc(names[1])}", _pct(b, shown)),
                ("Veränderung", esc(change))]
        if gap_a[i] or gap_b[i]:
            rows.append(("Versorgungslücke", esc(GAP_TEXT[(bool(gap_a[i]), bool(gap_b[i]))])))
        cells = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
        tips.append(f"<b>{esc(d[settings.DISTRICT_NAME].iat[i])}</b><div class='pa-muted'>Nr. "
                    f"{esc(d[settings.DISTRICT_ID].iat[i])} · {esc(d['status_class'].iat[i])}</div>"
                    f"<table>{cells}</table>")
    return tips


def _latlon(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    lon, lat = crs.transform_xy(x, y, settings.METRIC_CRS, settings.MAP_CRS)
    return np.round(np.column_stack([lat, lon]), 6)


def _offer_layers(dataset: Dataset, offer_type: str, changes: pd.DataFrame) -> tuple[dict, list]:
    """``types`` and ``offers`` of a payload: the type's offers of ``dataset``, then the changed ones marked."""
    offers = dataset.offers[dataset.offers[settings.OFFER_TYPE].astype(str) == offer_type]
    offers = offers[offers.geometry.notna() & ~offers.geometry.is_empty]
    labels = dataset.type_labels(offer_type)
    color = safe_color(dataset.offer_types.at[offer_type, "color"]) if offer_type in dataset.offer_types.index \
        else FALLBACK_COLOR
    marker = palette.marker_of(dataset.offer_types.at[offer_type, "marker"]) \
        if offer_type in dataset.offer_types.index else palette.DEFAULT_MARKER
    types = {offer_type: {"label": esc(labels.plural), "color": color, "icon": marker_svg(marker, color),
                          "radius": None, "reach_label": None, "count": len(offers)}}
    rows = []
    if len(offers):
        metric = crs.to_metric(offers, name="Angebote")
        xy = _latlon(metric.geometry.x.to_numpy(), metric.geometry.y.to_numpy())
        for j, (_, row) in enumerate(metric.iterrows()):
            rows.append([float(xy[j, 0]), float(xy[j, 1]), offer_type,
                         f"<b>{esc(row[settings.OFFER_NAME])}</b><div class='pa-muted'>{esc(labels.label)}</div>"])
    mine = changes[(changes[settings.OFFER_TYPE] == offer_type) & changes["change"].isin(
        list(palette.OFFER_CHANGE_SYMBOLS))]
    for kind, (shape, kind_color) in palette.OFFER_CHANGE_SYMBOLS.items():
        part = mine[mine["change"] == kind]
        if not len(part):
            continue
        key = CHANGE_KEY.format(kind)
        types[key] = {"label": esc(f"{labels.short} {CHANGE_TEXT[kind]}"), "color": kind_color,
                      "icon": marker_svg(shape, kind_color), "radius": None, "reach_label": None, "count": len(part)}
        x = part["x_a" if kind == "closed" else "x_b"].to_numpy(dtype=float)
        y = part["y_a" if kind == "closed" else "y_b"].to_numpy(dtype=float)
        xy = _latlon(x, y)
        for j, name in enumerate(part[settings.OFFER_NAME]):
            rows.append([float(xy[j, 0]), float(xy[j, 1]), key,
                         f"<b>{esc(name)}</b><div class='pa-muted'>{esc(labels.short)} {esc(CHANGE_TEXT[kind])}"
                         "</div>"])
    return types, rows


def _legend(title: str, subtitle: str, labels: list[str], colors: list[str], counts: list[int], hidden: int,
            types: dict, note: str) -> str:
    rows = [f"<div class='pa-lt'>{esc(title)}</div>", f"<div class='pa-ls'>{esc(subtitle)}</div>"]
    for label, color, count in zip(labels, colors, counts, strict=True):
        rows.append(f"<div class='pa-lr'><span class='pa-sw' style='background:{color}'></span>"
                    f"<span>{esc(label)} <span class='pa-n'>({count})</span></span></div>")
    if hidden:
        rows.append(f"<div class='pa-lr'><span class='pa-sw' style='background:{HIDDEN_COLOR}'></span>"
                    f"<span>{esc(HIDDEN_TEXT)} <span class='pa-n'>({hidden})</span></span></div>")
    if types:
        rows.append("<div class='pa-lt'>Angebote</div>")
        for info in types.values():  # labels are escaped already
            rows.append(f"<div class='pa-lr'><span class='pa-sym'>{info['icon']}</span><span>{info['label']} "
                        f"<span class='pa-n'>({info['count']})</span></span></div>")
    if note:
        rows.append(f"<div class='pa-ls'>{esc(note)}</div>")
    return "".join(rows)


def compare_data(result_a: Result, result_b: Result, dataset_a: Dataset, dataset_b: Dataset, offer_type: str,
                 changes: pd.DataFrame, *, side: str, names: tuple[str, str], labels: bool = True,
                 note: str | None = None) -> dict:
    """The payload of one comparison map for ``offer_type``: ``side`` "a", "b" or "difference".

    Parameters
    ----------
    result_a, result_b, dataset_a, dataset_b
        The two analyses (same districts and year) and their data sets.
    changes
        :func:`geo.render.compare_tables.offer_changes` of the two offers layers.
    names
        The names of A and B ("Bestand", the scenario's name) for tooltips and the legend.
    note
        The legend's last line; default: A, B and that B is a scenario. Comparisons over time name the period.
        The titles give each side's indicator year ("2023 → 2024" on the difference map when they differ).
    """
    if side not in SIDES:
        raise ValueError(f"Unknown side {side!r}; use one of {SIDES}")
    d = result_a.districts
    pairs = district_pairs(compare(result_a, result_b), offer_type)
    shown = pairs["shown"].to_numpy()
    gap_a, gap_b = pairs["gap_a"].to_numpy(), pairs["gap_b"].to_numpy()
    target = target_words(result_a, result_b, offer_type)
    short = dataset_b.type_labels(offer_type).short
    year = result_b.year if result_a.year == result_b.year else f"{result_a.year} \u2192 {result_b.year}"
    if side == "difference":
        fills, counts = _fills_change(100 * (pairs["share_b"] - pairs["share_a"]).to_numpy(), shown)
        legend_labels, legend_colors = list(palette.CHANGE_LABELS), list(palette.DIVERGING)
        title = f"Veränderung A → B: {target.plural} in Reichweite, {short} {year}"
        subtitle = "mehr in Reichweite / weniger (Prozentpunkte des Anteils)"
        gap, gap_label = gap_b, f"Versorgungslücken in B: {dataset_b.type_labels(offer_type).plural}"
        dataset = dataset_b
    else:
        share = pairs["share_a" if side == "a" else "share_b"].to_numpy()
        fills, counts = _fills_reach(share, shown)
        legend_labels, legend_colors = list(REACH_LABELS), reach_colors(len(REACH_BOUNDS) + 1)
        name = names[0] if side == "a" else names[1]
        title = (f"{'A' if side == 'a' else 'B'}: {name} – {target.plural} in Reichweite, {short} "
                 f"{(result_a if side == 'a' else result_b).year}")
        subtitle = palette.reach_scheme_note(target.plural)
        gap = gap_a if side == "a" else gap_b
        gap_label = f"Versorgungslücken: {dataset_b.type_labels(offer_type).plural}"
        dataset = dataset_a if side == "a" else dataset_b
    tolerance, decimals = payload.display_detail(d, city_tolerance_m=SIMPLIFY_M)
    geometry = display_geometry(d, tolerance_m=tolerance, decimals=decimals)
    tips = per_district(_tips(result_a, offer_type, pairs, gap_a, gap_b, names))
    districts = payload.encode_districts(geometry, {
        "id": [esc(v) for v in d[settings.DISTRICT_ID].tolist()], "fill": list(fills),
        "gap": [bool(g) for g in gap], "gaps": [int(g) for g in gap],
    }, tips, decimals=decimals)
    types, offer_rows = _offer_layers(dataset, offer_type, changes)
    label_xy = _label_points(d, dataset.offers)
    label_rows = [[float(label_xy[i, 0]), float(label_xy[i, 1]), esc(d[settings.DISTRICT_NAME].iat[i]),
                   bool(gap[i]), 0] for i in range(len(d))]
    if note is None:
        note = f"A: {names[0]} · B: {names[1]} · Szenario – kein Bestand, nur Planungsvariante"
    legend = _legend(title, subtitle, legend_labels, legend_colors, counts, int((~shown).sum()), types, note)
    minx, miny, maxx, maxy = geometry.total_bounds
    return {
        "districts": districts,
        "labels": label_rows if labels else [], "show_labels": bool(labels), "label_min_zoom": LABEL_MIN_ZOOM,
        "offers": offer_rows, "types": types, "schools": None, "reach": False,
        "gap_label": esc(gap_label) if gap.any() else None, "legend": legend,
        "stamp": esc(settings.SYNTHETIC_STAMP) if dataset_b.synthetic else None,
        "bounds": [[round(float(miny), 6), round(float(minx), 6)], [round(float(maxy), 6), round(float(maxx), 6)]],
    }


def compare_map(result_a: Result, result_b: Result, dataset_a: Dataset, dataset_b: Dataset, offer_type: str,
                changes: pd.DataFrame, *, side: str, names: tuple[str, str], labels: bool = True,
                note: str | None = None, static_url: str = STATIC_URL) -> folium.Map:
    """One comparison map (:func:`compare_data`) as a folium map that loads only ``static/`` (no tiles)."""
    data = compare_data(result_a, result_b, dataset_a, dataset_b, offer_type, changes, side=side, names=names,
                        labels=labels, note=note)
    (s, w), (n, e) = data["bounds"]
    m = OfflineMap(location=[(s + n) / 2, (w + e) / 2], zoom_start=12, tiles=None, static_url=static_url,
                   zoom_snap=0.25, zoom_delta=0.5, min_zoom=8, max_zoom=18)
    AtlasLayers(data, image_path=f"{static_url}/leaflet/images/", fill_opacity=0.82, static_url=static_url).add_to(m)
    return m
