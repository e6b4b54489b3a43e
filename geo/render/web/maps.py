"""Web maps of a result (folium/Leaflet, no CDN): need choropleth, offer symbols, reach circles, gaps, labels."""

from __future__ import annotations

import base64
import html
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement
from folium.template import Template

from geo import crs, settings
from geo.analysis import Result, column
from geo.analysis.classify import classify_values
from geo.analysis.need import CLASS_BOUNDS, IN_NEED_CLASSES, NOT_CLASSIFIED, STATUS_CLASSES
from geo.dataset import Dataset
from geo.formatting import format_count, format_distance, format_number
from geo.render.palette import NO_CLASS_COLOR, STATUS_COLORS, YLORRD

#: Vendored front-end assets (Leaflet 1.9.4, see static/README.md).
STATIC_DIR: Final[Path] = settings.REPO_DIR / "static"
#: Where the browser finds ``static/``: relative to the streamlit-folium iframe
#: (``/component/streamlit_folium.st_folium/index.html``) Streamlit serves it at ``/app/static/``.
STATIC_URL: Final[str] = "../../app/static"
LEAFLET_JS: Final[str] = "leaflet/leaflet.js"
LEAFLET_CSS: Final[str] = "leaflet/leaflet.css"

#: The map variable of the status index (any other variable is an indicator key or a reach share).
STATUS: Final[str] = "status_index"
#: Classification schemes offered to the user.
SCHEMES: Final[dict[str, str]] = {
    "mss": "MSS-Statusklassen",
    "quantiles": "Quantile (gleich viele Bezirke je Klasse)",
    "natural_breaks": "Natürliche Brüche (Fisher-Jenks)",
    "equal_interval": "Gleiche Intervalle",
}
#: Background maps. "none" needs no network at all; OpenStreetMap tiles are fetched from tile.openstreetmap.org.
TILES: Final[dict[str, str]] = {"none": "ohne Hintergrundkarte", "osm": "OpenStreetMap"}
OSM_URL: Final[str] = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION: Final[str] = (
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>-Mitwirkende (ODbL)'
)

#: Marker shapes the offer type table may name; anything else is drawn as a circle.
MARKERS: Final[tuple[str, ...]] = ("square", "triangle", "diamond", "circle", "plus")
#: Tolerance of the coverage simplification for display, in metres of the metric CRS.
SIMPLIFY_M: Final[float] = 5.0
#: Below this zoom level district names are hidden; above it, names that would overlap wait for a closer zoom.
LABEL_MIN_ZOOM: Final[float] = 10.0

_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")
_FALLBACK_COLOR = "#555555"


def _esc(value: object) -> str:
    """HTML-escape any user-supplied value (names, addresses, labels from config tables)."""
    return html.escape("" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value))


def safe_color(value: object) -> str:
    """A colour from a config table as ``#rgb``/``#rrggbb``; anything else (it lands in SVG/CSS) is replaced."""
    text = str(value).strip()
    return text if _COLOR.match(text) else _FALLBACK_COLOR


# --------------------------------------------------------------------------------------------- classification


@dataclass(frozen=True)
class Classes:
    """A classification of one variable over the districts.

    Attributes
    ----------
    classes
        Class number per district (0 = lowest values), ``-1`` where not classified.
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
    """Variables the choropleth can show: the status index, every indicator, every reach share."""
    out = {STATUS: Variable(STATUS, "Statusindex (MSS)", "", 1, 2)}
    for key, row in dataset.indicator_definitions.iterrows():
        if key in result.districts.columns:
            unit = "" if row["unit"] is None else str(row["unit"])
            out[str(key)] = Variable(str(key), str(row["label"]), unit, int(row["direction"]), 1)
    for t in result.offer_types:
        short = dataset.offer_types.at[t, "short"] if t in dataset.offer_types.index else t
        out[column("share_in_reach", t)] = Variable(
            column("share_in_reach", t), f"Kinder in Reichweite: {short}", "%", -1, 0
        )
    return out


def _values(result: Result, var: Variable, min_inhabitants: int) -> np.ndarray:
    d = result.districts
    if var.key == STATUS:
        values = d["status_index"].to_numpy(dtype=float).copy()
        values[~d["classified"].to_numpy(dtype=bool)] = np.nan
        return values
    values = d[var.key].to_numpy(dtype=float).copy()
    if var.unit == "%" and var.key.startswith("share_in_reach"):
        values = values * 100
    values[d[settings.INHABITANTS].to_numpy(dtype=float) < min_inhabitants] = np.nan
    return values


def classify(
    result: Result, var: Variable, *, scheme: str, k: int = 5,
    min_inhabitants: int = settings.MIN_INHABITANTS_FOR_CLASS,
) -> Classes:
    """Classes, legend labels and colours of ``var``; darker always means more need."""
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
        values = _values(result, var, min_inhabitants)
        classes, bins = classify_values(values, scheme, k)
        finite = values[np.isfinite(values)]
        colors = list(YLORRD[len(bins)]) if len(bins) >= 2 else [YLORRD[3][1]] * len(bins)
        if var.direction < 0:
            colors = colors[::-1]  # lower values mean more need here (e.g. a low share in reach): darker
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


# ---------------------------------------------------------------------------------------------------- symbols


def marker_svg(shape: str, color: str, size: int = 18) -> str:
    """Inline SVG of an offer symbol: a filled shape with a dark outline on a white halo (readable on any fill)."""
    color = safe_color(color)
    s = size
    m = 3.0  # room for the halo
    c = s / 2
    if shape == "square":
        body = f'<rect x="{m}" y="{m}" width="{s - 2 * m}" height="{s - 2 * m}"/>'
    elif shape == "triangle":
        body = f'<polygon points="{c},{m - 0.5} {s - m + 0.5},{s - m} {m - 0.5},{s - m}"/>'
    elif shape == "diamond":
        body = f'<polygon points="{c},{m - 1} {s - m + 1},{c} {c},{s - m + 1} {m - 1},{c}"/>'
    elif shape == "plus":
        a, b = s * 0.36, s * 0.64
        body = (
            f'<polygon points="{a},{m} {b},{m} {b},{a} {s - m},{a} {s - m},{b} {b},{b} {b},{s - m} '
            f'{a},{s - m} {a},{b} {m},{b} {m},{a} {a},{a}"/>'
        )
    else:
        body = f'<circle cx="{c}" cy="{c}" r="{c - m}"/>'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{s}" height="{s}" viewBox="0 0 {s} {s}" aria-hidden="true">'
        f'<g fill="#fff" stroke="#fff" stroke-width="4" stroke-linejoin="round">{body}</g>'
        f'<g fill="{color}" stroke="#1a1a1a" stroke-width="1.2" stroke-linejoin="round">{body}</g></svg>'
    )


def _type_info(dataset: Dataset, offer_type: str) -> dict[str, str]:
    table = dataset.offer_types
    if offer_type in table.index:
        row = table.loc[offer_type]
        shape = str(row["marker"]).strip().lower()
        return {
            "label": str(row["label"]), "short": str(row["short"]), "plural": str(row["plural"]),
            "color": safe_color(row["color"]), "marker": shape if shape in MARKERS else "circle",
        }
    return {"label": offer_type, "short": offer_type, "plural": offer_type, "color": _FALLBACK_COLOR,
            "marker": "circle"}


# ------------------------------------------------------------------------------------------------- geometry


def display_geometry(districts: gpd.GeoDataFrame, *, tolerance_m: float = SIMPLIFY_M) -> gpd.GeoSeries:
    """District outlines for the web map: coverage-simplified (shared borders stay shared), WGS84, 6 decimals."""
    metric = crs.to_metric(districts[[districts.geometry.name]], name="Bezirke").geometry
    if tolerance_m > 0:
        try:
            simple = metric.simplify_coverage(tolerance_m)
        except shapely.errors.GEOSException:
            simple = None  # not a clean coverage (overlaps): simplify each polygon on its own instead
        if simple is None or not simple.is_valid.all() or simple.is_empty.any():
            simple = metric.simplify(tolerance_m, preserve_topology=True)
        metric = simple
    wgs = crs.to_map(gpd.GeoDataFrame(geometry=metric, crs=districts.crs)).geometry
    return gpd.GeoSeries(shapely.transform(wgs.to_numpy(), lambda xy: np.round(xy, 6)), index=wgs.index, crs=wgs.crs)


def _label_points(districts: gpd.GeoDataFrame) -> np.ndarray:
    """(lat, lon) of a label point per district: the centre of the largest inscribed circle."""
    metric = crs.to_metric(districts[[districts.geometry.name]], name="Bezirke").geometry
    centre = shapely.get_point(shapely.maximum_inscribed_circle(metric.to_numpy(), 5.0), 0)
    wgs = gpd.GeoSeries(centre, crs=metric.crs).to_crs(settings.MAP_CRS)
    return np.round(np.column_stack([wgs.y, wgs.x]), 6)


def _points_latlon(points: gpd.GeoDataFrame) -> np.ndarray:
    wgs = crs.to_map(points, name="Angebote").geometry
    return np.round(np.column_stack([wgs.y.to_numpy(), wgs.x.to_numpy()]), 6)


# ---------------------------------------------------------------------------------------------- map content


def _district_tip(row: pd.Series, result: Result, dataset: Dataset, var: Variable | None) -> str:
    name = _esc(row[settings.DISTRICT_NAME])
    area = row.get(settings.AREA_NAME)
    head = f"<b>{name}</b><div class='pa-muted'>Nr. {_esc(row[settings.DISTRICT_ID])}"
    if area is not None and str(area) not in ("", "nan"):
        head += f" · Stadtbezirk {_esc(area)}"
    head += "</div>"
    rows = [
        ("Einwohner", format_count(float(row[settings.INHABITANTS]))),
        ("Kinder 0–17", format_count(float(row[settings.CHILDREN]))),
        ("Statusindex", format_number(float(row["status_index"]), 2, signed=True)),
        ("Statusklasse", _esc(row["status_class"])),
    ]
    if var is not None and var.key != STATUS and not var.key.startswith("share_in_reach"):
        unit = f" {_esc(var.unit)}" if var.unit else ""
        rows.append((_esc(var.label), format_number(float(row[var.key]), var.decimals) + unit))
    cells = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    if result.offer_types:
        cells += "<tr><th colspan='2'>Kinder in Reichweite (Luftlinie)</th></tr>"
    for t in result.offer_types:
        info = _type_info(dataset, t)
        share = float(row[column("share_in_reach", t)])
        text = f"{format_number(100 * share)} %" if np.isfinite(share) else "–"
        if bool(row[column("gap", t)]):
            text += " <span class='pa-gap-flag'>Lücke</span>"
        cells += (
            f"<tr><td>{_esc(info['short'])} ({format_distance(result.radii[t])})</td><td>{text}</td></tr>"
        )
    return f"{head}<table>{cells}</table>"


def _offer_tip(row: pd.Series, info: dict[str, str]) -> str:
    parts = [f"<b>{_esc(row.get(settings.OFFER_NAME))}</b>", f"<div class='pa-muted'>{_esc(info['label'])}</div>"]
    address = row.get(settings.OFFER_ADDRESS)
    if address is not None and str(address).strip() not in ("", "nan", "None"):
        parts.append(f"<div>{_esc(address)}</div>")
    capacity = pd.to_numeric(pd.Series([row.get(settings.OFFER_CAPACITY)]), errors="coerce").iloc[0]
    if np.isfinite(capacity):
        parts.append(f"<div>Kapazität: {format_number(float(capacity))}</div>")
    return "".join(parts)


def _legend(
    *, title: str, subtitle: str, classes: Classes, gap: tuple[str, str, int] | None,
    offers: list[tuple[str, str, int]], reach: list[tuple[str, str]], no_class_count: int, no_class_text: str,
) -> str:
    rows = [f"<div class='pa-lt'>{_esc(title)}</div>", f"<div class='pa-ls'>{_esc(subtitle)}</div>"]
    for label, color, count in zip(classes.labels, classes.colors, classes.counts, strict=True):
        rows.append(
            f"<div class='pa-lr'><span class='pa-sw' style='background:{color}'></span>"
            f"<span>{_esc(label)} <span class='pa-n'>({count})</span></span></div>"
        )
    if no_class_count:
        rows.append(
            f"<div class='pa-lr'><span class='pa-sw' style='background:{NO_CLASS_COLOR}'></span>"
            f"<span>{_esc(no_class_text)} <span class='pa-n'>({no_class_count})</span></span></div>"
        )
    if gap is not None:
        kind, label, count = gap
        rows.append(
            f"<div class='pa-lt'>Versorgungslücke: {_esc(kind)}</div>"
            f"<div class='pa-lr'><span class='pa-sw pa-sw-gap'></span><span>{_esc(label)} "
            f"<span class='pa-n'>({count})</span></span></div>"
        )
    if offers:
        rows.append("<div class='pa-lt'>Angebote</div>")
        for svg, label, count in offers:
            rows.append(f"<div class='pa-lr'><span class='pa-sym'>{svg}</span><span>{_esc(label)} "
                        f"<span class='pa-n'>({count})</span></span></div>")
    if reach:
        rows.append("<div class='pa-lt'>Reichweite (Luftlinie)</div>")
        for color, label in reach:
            rows.append(f"<div class='pa-lr'><span class='pa-sw pa-sw-reach' style='border-color:{color}'></span>"
                        f"{_esc(label)}</div>")
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
    simplify_m: float = SIMPLIFY_M,
) -> dict:
    """Everything the map script draws, as JSON-ready data; every user text in it is already HTML-escaped.

    Parameters
    ----------
    result, dataset
        The analysis result and the data set it was computed from.
    variable
        ``"status_index"``, an indicator key or ``share_in_reach__<type>`` (see :func:`variables`).
    scheme
        A key of :data:`SCHEMES`; ``"mss"`` only for the status index.
    k
        Number of classes for the other schemes (2–7).
    offer_types
        Offer types whose locations are drawn (default: every type present in the offers layer).
    reach
        Draw reach circles (radius from ``result.radii``) around the offers of analysed types.
    gap_type
        Mark the gap districts (*Versorgungslücken*) of this analysed offer type.
    labels
        Show district names on the map.
    simplify_m
        Display simplification tolerance in metres.

    Returns
    -------
    dict
        ``districts`` (GeoJSON FeatureCollection), ``labels``, ``offers``, ``types``, ``legend``, ``stamp``,
        ``bounds`` and display switches.
    """
    choices = variables(result, dataset)
    if variable not in choices:
        raise ValueError(f"Unknown map variable {variable!r}")
    var = choices[variable]
    if scheme not in SCHEMES:
        raise ValueError(f"Unknown classification scheme {scheme!r}")
    if gap_type is not None and gap_type not in result.offer_types:
        gap_type = None
    k = int(min(7, max(2, k)))
    classes = classify(result, var, scheme=scheme, k=k)
    d = result.districts
    geometry = display_geometry(d, tolerance_m=simplify_m)
    label_xy = _label_points(d)

    features = []
    label_rows = []
    for i, (idx, row) in enumerate(d.iterrows()):
        gap = bool(row[column("gap", gap_type)]) if gap_type else False
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geometry.loc[idx]),
                "properties": {
                    "fill": classes.color_of(int(classes.classes[i])),
                    "gap": gap,
                    "tip": _district_tip(row, result, dataset, var),
                },
            }
        )
        label_rows.append([float(label_xy[i, 0]), float(label_xy[i, 1]), _esc(row[settings.DISTRICT_NAME])])
    # Label priority where names collide: gap districts, then districts in need, then the larger ones.
    in_need = d["status_class"].isin(IN_NEED_CLASSES).to_numpy()
    gaps = d[column("gap", gap_type)].to_numpy(dtype=bool) if gap_type else np.zeros(len(d), dtype=bool)
    order = np.lexsort((-d.geometry.area.to_numpy(), ~in_need, ~gaps))
    label_rows = [label_rows[i] for i in order]

    offers = dataset.offers
    offers = offers[offers.geometry.notna() & ~offers.geometry.is_empty]
    present = list(dict.fromkeys(str(t) for t in offers[settings.OFFER_TYPE]))
    ordered = [t for t in dataset.offer_types.index if t in present] + [
        t for t in present if t not in dataset.offer_types.index
    ]
    shown = ordered if offer_types is None else [t for t in ordered if t in set(offer_types)]
    offers = offers[offers[settings.OFFER_TYPE].astype(str).isin(shown)]
    latlon = _points_latlon(offers) if len(offers) else np.empty((0, 2))
    infos = {t: _type_info(dataset, t) for t in shown}
    types: dict[str, dict] = {}
    for t, info in infos.items():
        radius = result.radii.get(t)
        types[t] = {
            "label": _esc(info["plural"]),
            "color": info["color"],
            "icon": marker_svg(info["marker"], info["color"]),
            "radius": float(radius) if radius else None,
            "reach_label": _esc(f"Reichweite {info['short']} ({format_distance(radius)})") if radius else None,
            "count": int((offers[settings.OFFER_TYPE].astype(str) == t).sum()),
        }
    offer_rows = [
        [float(latlon[j, 0]), float(latlon[j, 1]), str(row[settings.OFFER_TYPE]),
         _offer_tip(row, infos[str(row[settings.OFFER_TYPE])])]
        for j, (_, row) in enumerate(offers.iterrows())
    ]

    year = result.year
    if var.key == STATUS:
        title = f"Sozialstatus {year} (Statusindex)"
    else:
        title = f"{var.label} {year}" + (f" ({var.unit})" if var.unit else "")
    subtitle = "MSS-Klassen" if scheme == "mss" else f"{SCHEMES[scheme].split(' (')[0]}, {len(classes.labels)} Klassen"
    subtitle += " · dunkler = mehr Bedarf" if var.direction > 0 else " · dunkler = weniger Reichweite"
    no_class = int((classes.classes < 0).sum())
    min_inh = format_number(settings.MIN_INHABITANTS_FOR_CLASS)
    no_class_text = (
        f"{NOT_CLASSIFIED} (unter {min_inh} EW)" if var.key == STATUS
        else f"{NOT_CLASSIFIED} (unter {min_inh} EW oder ohne Wert)"
    )
    gap_legend = None
    if gap_type:
        info = _type_info(dataset, gap_type)
        share = format_number(100 * result.max_share_in_reach)
        gap_legend = (
            info["short"],
            f"Status niedrig/sehr niedrig und unter {share} % der Kinder in Reichweite",
            int(d[column("gap", gap_type)].sum()),
        )
    legend = _legend(
        title=title, subtitle=subtitle, classes=classes, gap=gap_legend,
        offers=[(types[t]["icon"], info["plural"], types[t]["count"]) for t, info in infos.items()],
        reach=[
            (info["color"], f"{info['short']}: {format_distance(result.radii[t])}")
            for t, info in infos.items() if reach and t in result.radii
        ],
        no_class_count=no_class, no_class_text=no_class_text,
    )
    minx, miny, maxx, maxy = geometry.total_bounds
    return {
        "districts": {"type": "FeatureCollection", "features": features},
        "labels": label_rows if labels else [],
        "show_labels": bool(labels),
        "label_min_zoom": LABEL_MIN_ZOOM,
        "offers": offer_rows,
        "types": types,
        "reach": bool(reach),
        "gap_label": _esc(f"Versorgungslücken: {_type_info(dataset, gap_type)['short']}") if gap_type else None,
        "legend": legend,
        "stamp": _esc(settings.SYNTHETIC_STAMP) if dataset.synthetic else None,
        "bounds": [[round(float(miny), 6), round(float(minx), 6)], [round(float(maxy), 6), round(float(maxx), 6)]],
    }


#: A JSON string token as :func:`json.dumps` writes it.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
#: Characters written as ``\uXXXX`` inside JSON strings (see :func:`_script_json`).
_INERT = str.maketrans({c: f"\\u{ord(c):04x}" for c in "{}<>&\u2028\u2029"})


def _script_json(data: object) -> str:
    """JSON that is inert as Jinja template source and inside ``<script>``: user text stays data.

    folium/branca render a map element's script once, then branca's ``Element`` parses the result *again*
    as a Jinja template, so any ``{{ … }}``, ``{% … %}`` or ``{# … #}`` in the data would be executed on
    the server (``{{ 7*191 }}`` → 1337, or Python via ``cycler.__init__.__globals__``). Escaping the text
    for one known number of passes is fragile (``st_folium`` renders once, ``get_root().render()`` twice);
    instead, inside every JSON string ``{``, ``}``, ``<``, ``>``, ``&`` and U+2028/U+2029 are written as
    ``\\uXXXX``. JavaScript decodes them to the same text, while the literal can hold no Jinja delimiter
    (outside strings JSON's own ``{`` is always followed by ``"`` or ``}``), no ``</script``, no ``<!--``
    and no line terminator that ends a JavaScript string, however often it is rendered. A
    ``<script type="application/json">`` element would still pass through the same re-rendering.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _JSON_STRING.sub(lambda m: m.group(0).translate(_INERT), text)


class AtlasLayers(MacroElement):
    """Draws the :func:`map_data` payload with plain Leaflet (no plugins): one script, no external assets."""

    _template = Template(
        """
        {% macro header(this, kwargs) %}
        <style>
        .leaflet-container { background: #eef0ec; font: 13px/1.35 system-ui, -apple-system, "Segoe UI",
            Roboto, "Helvetica Neue", Arial, sans-serif; }
        .pa-label { pointer-events: none; }
        .pa-label span { position: absolute; transform: translate(-50%, -50%); max-width: 92px; width: max-content;
            text-align: center; font-size: 11px; font-weight: 600; line-height: 1.1; color: #1f1f1f;
            text-shadow: 0 0 2px #fff, 0 0 2px #fff, 0 0 3px #fff, 0 0 4px #fff; white-space: normal; }
        .pa-hide-labels .pa-label { display: none; }
        .pa-offer { background: none; border: none; }
        .pa-offer svg { display: block; }
        .pa-tip { font-size: 12.5px; }
        .pa-tip table { border-collapse: collapse; margin-top: 3px; }
        .pa-tip td { padding: 0 10px 0 0; vertical-align: top; }
        .pa-tip td + td { text-align: right; padding-right: 0; font-variant-numeric: tabular-nums; }
        .pa-tip th { text-align: left; padding-top: 4px; font-weight: 600; }
        .pa-muted { color: #555; font-size: 11.5px; }
        .pa-gap-flag { background: #1a1a1a; color: #fff; border-radius: 3px; padding: 0 4px; font-size: 11px; }
        .pa-legend { background: rgba(255,255,255,0.95); padding: 7px 9px; border-radius: 6px; max-width: 245px;
            max-height: calc(100vh - 90px); overflow-y: auto; box-shadow: 0 1px 4px rgba(0,0,0,0.3);
            font-size: 11.5px; line-height: 1.25; }
        .pa-lt { font-weight: 700; margin: 6px 0 2px; }
        .pa-lt:first-child { margin-top: 0; cursor: pointer; }
        .pa-lt:first-child::after { content: " ▾"; color: #777; font-weight: 400; }
        .pa-collapsed .pa-lt:first-child::after { content: " ▸"; }
        .pa-collapsed > :not(:first-child) { display: none; }
        .pa-ls { color: #555; font-size: 11px; margin-bottom: 3px; }
        .pa-lr { display: flex; align-items: center; gap: 6px; margin: 2px 0; }
        .pa-sw { flex: 0 0 auto; width: 18px; height: 13px; border: 1px solid #777; }
        .pa-sw-gap { background: #fff; border: 2.5px dashed #1a1a1a; height: 9px; width: 14px; }
        .pa-sw-reach { background: none; border: 2px dashed; border-radius: 50%; width: 13px; height: 13px; }
        .pa-sym { flex: 0 0 auto; width: 18px; height: 18px; }
        .pa-n { color: #666; }
        .leaflet-control.pa-stamp { background: #fff3cd; color: #6b4e00; border: 1px solid #e0b84c;
            border-radius: 4px; padding: 3px 12px; font-weight: 700; font-size: 12.5px; letter-spacing: 0.02em;
            pointer-events: none; box-shadow: 0 1px 3px rgba(0,0,0,0.2); }
        .leaflet-control-layers-overlays label span { display: inline-flex; align-items: center; gap: 4px; }
        .leaflet-control-layers-overlays svg { width: 14px; height: 14px; }
        </style>
        {% endmacro %}

        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var data = {{ this.payload }};
            L.Icon.Default.imagePath = {{ this.image_path }};
            var overlays = {};
            var districts = L.geoJSON(data.districts, {
                style: function (f) {
                    return {fillColor: f.properties.fill, fillOpacity: {{ this.fill_opacity }},
                            color: "#6b6b6b", weight: 0.8, opacity: 0.9};
                },
                onEachFeature: function (f, layer) {
                    layer.bindTooltip(f.properties.tip,
                        {sticky: true, className: "pa-tip", direction: "auto", opacity: 0.97});
                    layer.on("mouseover", function (e) { e.target.setStyle({weight: 2.5, color: "#1a1a1a"}); });
                    layer.on("mouseout", function (e) { districts.resetStyle(e.target); });
                }
            }).addTo(map);
            var reachGroups = [];
            Object.keys(data.types).forEach(function (t) {
                var info = data.types[t];
                if (!info.radius) { return; }
                var g = L.layerGroup();
                data.offers.forEach(function (o) {
                    if (o[2] !== t) { return; }
                    L.circle([o[0], o[1]], {radius: info.radius, color: info.color, weight: 2, opacity: 0.9,
                        dashArray: "6 4", fill: false, interactive: false}).addTo(g);
                });
                if (data.reach) { g.addTo(map); }
                overlays[info.reach_label] = g;
            });
            if (data.gap_label) {
                var gaps = L.featureGroup([
                    L.geoJSON(data.districts, {filter: function (f) { return f.properties.gap; }, interactive: false,
                        style: {fill: false, color: "#ffffff", weight: 6, opacity: 0.95}}),
                    L.geoJSON(data.districts, {filter: function (f) { return f.properties.gap; }, interactive: false,
                        style: {fill: false, color: "#1a1a1a", weight: 3, dashArray: "7 5", opacity: 1}})
                ]).addTo(map);
                overlays[data.gap_label] = gaps;
            }
            map.createPane("paLabels");
            map.getPane("paLabels").style.zIndex = 550;
            map.getPane("paLabels").style.pointerEvents = "none";
            var labels = L.layerGroup();
            var labelMarkers = data.labels.map(function (l) {
                return L.marker([l[0], l[1]], {pane: "paLabels", interactive: false, keyboard: false,
                    icon: L.divIcon({className: "pa-label", html: "<span>" + l[2] + "</span>", iconSize: [0, 0]})
                }).addTo(labels);
            });
            // Labels come in priority order; one that would overlap an earlier one waits for a closer zoom.
            function declutter() {
                var placed = [];
                labelMarkers.forEach(function (mk) {
                    var el = mk.getElement();
                    if (!el || !el.firstChild) { return; }
                    var span = el.firstChild;
                    span.style.visibility = "visible";
                    var r = span.getBoundingClientRect();
                    var free = placed.every(function (p) {
                        return r.right + 3 < p.left || r.left - 3 > p.right ||
                            r.bottom + 1 < p.top || r.top - 1 > p.bottom;
                    });
                    if (free) { placed.push(r); } else { span.style.visibility = "hidden"; }
                });
            }
            if (data.labels.length) {
                if (data.show_labels) { labels.addTo(map); }
                overlays["Bezirksnamen"] = labels;
            }
            Object.keys(data.types).forEach(function (t) {
                var info = data.types[t];
                var icon = L.divIcon({className: "pa-offer", html: info.icon, iconSize: [18, 18], iconAnchor: [9, 9]});
                var g = L.layerGroup();
                data.offers.forEach(function (o) {
                    if (o[2] !== t) { return; }
                    L.marker([o[0], o[1]], {icon: icon, keyboard: false, riseOnHover: true})
                        .bindTooltip(o[3], {className: "pa-tip", direction: "top", offset: [0, -8], opacity: 0.97})
                        .addTo(g);
                });
                g.addTo(map);
                overlays["<span>" + info.icon + info.label + "</span>"] = g;
            });
            L.control.layers(null, overlays, {collapsed: true, position: "topright"}).addTo(map);
            var legend = L.control({position: "bottomright"});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "pa-legend");
                div.innerHTML = data.legend;
                div.firstChild.title = "Legende ein- oder ausklappen";
                L.DomEvent.on(div.firstChild, "click", function () { div.classList.toggle("pa-collapsed"); });
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            legend.addTo(map);
            L.control.scale({imperial: false, position: "bottomleft"}).addTo(map);
            if (data.stamp) {
                // Bottom left, above the scale: tooltips open above the pointer and would hide under a top stamp.
                var stamp = L.control({position: "bottomleft"});
                stamp.onAdd = function () {
                    var div = L.DomUtil.create("div", "pa-stamp");
                    div.innerHTML = data.stamp;
                    return div;
                };
                stamp.addTo(map);
            }
            function labelZoom() {
                var hide = map.getZoom() < data.label_min_zoom;
                map.getContainer().classList.toggle("pa-hide-labels", hide);
                if (!hide) { declutter(); }
            }
            map.on("zoomend", labelZoom);
            map.on("overlayadd", function (e) { if (e.layer === labels) { labelZoom(); } });
            // On wide maps keep the city clear of the legend (right).
            function fit() {
                var size = map.getSize();
                if (!size.x || !size.y) { return; }  // hidden or being removed: nothing to fit into
                var legendWidth = legend.getContainer().offsetWidth;
                var right = size.x > 2.2 * legendWidth ? legendWidth + 16 : 8;
                map.fitBounds(data.bounds, {paddingTopLeft: [8, 8], paddingBottomRight: [right, 8], animate: false});
                labelZoom();
            }
            // The frame may get its final size only after this script ran: fit again until the user moves the map.
            var touched = false;
            L.DomEvent.on(map.getContainer(), "mousedown touchstart wheel keydown", function () { touched = true; });
            if (window.ResizeObserver) {
                new ResizeObserver(function () {
                    map.invalidateSize({animate: false});
                    if (!touched) { fit(); }
                }).observe(map.getContainer());
            }
            fit();
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, *, image_path: str, fill_opacity: float):
        super().__init__()
        self._name = "AtlasLayers"
        self.payload = _script_json(data)
        self.image_path = _script_json(image_path)
        self.fill_opacity = float(fill_opacity)


class OfflineMap(folium.Map):
    """A folium map that loads Leaflet from the app's ``static/`` folder and nothing else.

    folium's defaults pull Leaflet, jQuery, Bootstrap and Font Awesome from CDNs; the atlas needs only Leaflet
    (symbols are inline SVG, the legend is plain HTML).
    """

    def __init__(self, *args, static_url: str = STATIC_URL, **kwargs):
        super().__init__(*args, **kwargs)
        # Instance attributes: folium's class-level lists stay untouched for other maps in the process.
        self.default_js = [("leaflet", f"{static_url}/{LEAFLET_JS}")]
        self.default_css = [("leaflet_css", f"{static_url}/{LEAFLET_CSS}")]


def need_map(
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
    tiles: str = "none",
    static_url: str = STATIC_URL,
    simplify_m: float = SIMPLIFY_M,
) -> folium.Map:
    """The need × reach map: choropleth, offers, optional reach circles and gap outlines, district names.

    Parameters are those of :func:`map_data`, plus ``tiles`` (a key of :data:`TILES`; default ``"none"``:
    no network needed) and ``static_url`` (where the browser finds ``static/``).

    Returns
    -------
    folium.Map
        Loads only ``static/leaflet`` (plus OpenStreetMap tiles when chosen); render it with ``st_folium``
        or write it with :func:`standalone_html`.
    """
    if tiles not in TILES:
        raise ValueError(f"Unknown background {tiles!r}; use one of {sorted(TILES)}")
    data = map_data(
        result, dataset, variable=variable, scheme=scheme, k=k, offer_types=offer_types, reach=reach,
        gap_type=gap_type, labels=labels, simplify_m=simplify_m,
    )
    (s, w), (n, e) = data["bounds"]
    m = OfflineMap(
        location=[(s + n) / 2, (w + e) / 2], zoom_start=12, tiles=None, static_url=static_url,
        zoom_snap=0.25, zoom_delta=0.5, min_zoom=8, max_zoom=18,
    )
    if tiles == "osm":
        folium.TileLayer(OSM_URL, attr=OSM_ATTRIBUTION, name="OpenStreetMap", max_zoom=19).add_to(m)
    opacity = 0.6 if tiles == "osm" else 0.82  # let the streets show through when there is a background
    AtlasLayers(data, image_path=f"{static_url}/leaflet/images/", fill_opacity=opacity).add_to(m)
    return m


def _inline_css(css: str, base: Path) -> str:
    """Replace ``url(images/…)`` in a stylesheet by data URIs so it works without its folder."""

    def repl(match: re.Match) -> str:
        path = base / match.group(1)
        if not path.is_file():
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(path.read_bytes()).decode('ascii')})"

    return re.sub(r"url\((images/[A-Za-z0-9_.-]+\.png)\)", repl, css)


def standalone_html(m: folium.Map, *, title: str = "Präventionsatlas – Karte") -> str:
    """One self-contained HTML file of ``m`` (Leaflet and its images inlined) that opens offline, e.g. from e-mail.

    Raises
    ------
    ValueError
        If the map still references an external script or stylesheet after inlining.
    """
    page = m.get_root().render()
    js = (STATIC_DIR / LEAFLET_JS).read_text(encoding="utf-8")
    if "</script" in js.lower():
        raise ValueError("Leaflet bundle contains '</script': cannot inline it safely.")
    css = _inline_css((STATIC_DIR / LEAFLET_CSS).read_text(encoding="utf-8"), (STATIC_DIR / LEAFLET_CSS).parent)
    page = re.sub(
        r'<script src="[^"]*' + re.escape(LEAFLET_JS) + r'"></script>', lambda _: f"<script>{js}</script>", page
    )
    page = re.sub(
        r'<link rel="stylesheet" href="[^"]*' + re.escape(LEAFLET_CSS) + r'"\s*/>', lambda _: f"<style>{css}</style>",
        page,
    )
    if re.search(r'<script[^>]+src=|<link[^>]+rel="stylesheet"', page):
        raise ValueError("The map references external scripts or stylesheets that cannot be inlined.")
    return page.replace("<head>", f"<head>\n<title>{_esc(title)}</title>", 1)
