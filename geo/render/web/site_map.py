"""The web map of a site suggestion: the need map with existing offers (locked, grey), candidates and numbered sites.

The districts, their status colours and the gaps of the offer type come from :func:`geo.render.web.map_data.map_data`
(drawn by ``static/atlas/atlas.js``); the site layers are one more JSON payload drawn by ``static/atlas/sites.js``.
Every user text (candidate names and addresses from an uploaded list) is HTML-escaped here and reaches the page
only as :func:`geo.render.web.leaflet.script_json` data.
"""

from __future__ import annotations

from typing import Final

import folium
import geopandas as gpd
import numpy as np
import shapely
from folium.elements import JSCSSMixin
from folium.template import Template

from geo import crs, settings
from geo.analysis import Result
from geo.analysis.sites import CANDIDATE_SOURCES, SiteProblem, Suggestion
from geo.dataset import Dataset
from geo.formatting import format_distance, format_number
from geo.render import palette
from geo.render.web import leaflet
from geo.render.web.map_data import map_data
from geo.render.web.symbols import esc, marker_svg, safe_color

SITES_JS: Final[str] = "atlas/sites.js"
#: Colour of the existing offers, which stay where they are (locked).
LOCKED_COLOR: Final[str] = "#8c8c8c"
#: Pixel size of a locked offer's symbol.
LOCKED_SIZE: Final[int] = 16
#: Buffer around the homes a new site reaches when its reach is no circle (assigned host, catchment), in metres.
AREA_BUFFER_M: Final[float] = 60.0


class SiteLayers(JSCSSMixin):
    """Draws the site payload with ``static/atlas/sites.js``.

    Like :class:`~geo.render.web.leaflet.AtlasLayers` the template is constant and the payload goes in only as a
    :func:`~geo.render.web.leaflet.script_json` literal.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            window.paSites.draw({{ this._parent.get_name() }}, {{ this.payload }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, *, static_url: str = leaflet.STATIC_URL):
        super().__init__()
        self._name = "SiteLayers"
        self.payload = leaflet.script_json(data)
        self.default_js = [("pa_sites", f"{static_url}/{SITES_JS}")]


def _latlon(points: gpd.GeoDataFrame) -> np.ndarray:
    if not len(points):
        return np.empty((0, 2))
    wgs = crs.to_map(points, name="Standorte").geometry
    return np.round(np.column_stack([wgs.y.to_numpy(), wgs.x.to_numpy()]), 6)


def _text(value: object) -> str:
    text = "" if value is None else str(value).strip()
    return "" if text in ("nan", "None") else text


def candidate_tip(row, *, heading: str = "") -> str:
    """Tooltip of a candidate or a suggested site: heading, name, address, source, Sozialindex (escaped)."""
    parts = [f"<div class='pa-muted'>{esc(heading)}</div>"] if heading else []
    parts.append(f"<b>{esc(_text(row.get(settings.OFFER_NAME))) or esc(row.get('candidate_id'))}</b>")
    address = _text(row.get(settings.OFFER_ADDRESS))
    if address:
        parts.append(f"<div>{esc(address)}</div>")
    parts.append(f"<div class='pa-muted'>{esc(CANDIDATE_SOURCES.get(str(row.get('source')), ''))}</div>")
    index = float(row.get(settings.SOZIALINDEX)) if row.get(settings.SOZIALINDEX) is not None else np.nan
    if np.isfinite(index):
        parts.append(f"<div>Schulsozialindex: {format_number(index)}</div>")
    return "".join(parts)


def site_tip(row, people: str) -> str:
    """Tooltip of a suggested site: rank, name, address and its gain (counts 1–2 as "< 3")."""
    gain = float(np.rint(row["gain"]))
    amount = "< 3" if 0 < gain < settings.MIN_COUNT_SHOWN else format_number(gain)
    return (candidate_tip(row, heading=f"Standortvorschlag {int(row['rank'])}")
            + f"<div>Zugewinn: {esc(amount)} {esc(people)} in Reichweite</div>")


def _reach_areas(problem: SiteProblem, suggestion: Suggestion, residents: gpd.GeoSeries) -> dict | None:
    """GeoJSON of the homes each suggested site reaches (their hull, buffered), for reach models without a radius."""
    features = []
    for rank, j in enumerate(suggestion.chosen, start=1):
        rows = problem.cover[:, j].nonzero()[0]
        if not len(rows):
            continue
        hull = shapely.convex_hull(shapely.multipoints(residents.to_numpy()[rows])).buffer(AREA_BUFFER_M)
        area = gpd.GeoSeries([hull], crs=residents.crs).to_crs(settings.MAP_CRS).iloc[0]
        features.append({"type": "Feature", "properties": {"rank": rank},
                         "geometry": shapely.geometry.mapping(shapely.set_precision(area, 1e-6))})
    return {"type": "FeatureCollection", "features": features} if features else None


def site_payload(
    result: Result, dataset: Dataset, problem: SiteProblem, suggestion: Suggestion, *,
    residents: gpd.GeoSeries | None = None,
) -> dict:
    """The site layers as JSON-ready data (every text escaped) and the legend block that explains them.

    Returns
    -------
    dict
        ``existing`` (``[lat, lon, tip]`` per offer of the type, locked), ``candidates`` (``[lat, lon, tip]``, those
        not suggested), ``suggested`` (``[lat, lon, rank, tip]``), ``reach_circles`` (``[lat, lon, radius_m]`` per
        suggested site for the radius model), ``reach_areas`` (GeoJSON for the other models, needs ``residents``:
        the demand units' points in the metric CRS), ``color``, ``locked_icon``, ``legend`` (HTML).
    """
    offer_type = problem.offer_type
    labels = dataset.type_labels(offer_type)
    table = dataset.offer_types
    color = safe_color(table.at[offer_type, "color"]) if offer_type in table.index else LOCKED_COLOR
    shape = palette.marker_of(table.at[offer_type, "marker"]) if offer_type in table.index else "circle"
    offers = dataset.offers[dataset.offers[settings.OFFER_TYPE].astype("str") == offer_type]
    offers = offers[offers.geometry.notna() & ~offers.geometry.is_empty]
    existing_xy = _latlon(offers)
    existing = [[float(existing_xy[i, 0]), float(existing_xy[i, 1]),
                 f"<b>{esc(row.get(settings.OFFER_NAME))}</b><div class='pa-muted'>{esc(labels.label)} – "
                 "bestehend, bleibt gesetzt</div>"]
                for i, (_, row) in enumerate(offers.iterrows())]
    chosen = set(suggestion.chosen)
    others = problem.candidates.iloc[[j for j in range(len(problem.candidates)) if j not in chosen]]
    other_xy = _latlon(others)
    candidates = [[float(other_xy[i, 0]), float(other_xy[i, 1]), candidate_tip(row, heading="Kandidat")]
                  for i, (_, row) in enumerate(others.iterrows())]
    people = result.targets[offer_type].plural if offer_type in result.targets else result.population.plural
    sites_xy = _latlon(suggestion.sites)
    suggested = [[float(sites_xy[i, 0]), float(sites_xy[i, 1]), int(row["rank"]), site_tip(row, people)]
                 for i, (_, row) in enumerate(suggestion.sites.iterrows())]
    radius = float(result.radii.get(offer_type) or 0.0)
    circles, areas = [], None
    if problem.model == "radius" and radius > 0:
        circles = [[s[0], s[1], radius] for s in suggested]
        reach_text = f"Reichweite der neuen Standorte ({format_distance(radius)} Luftlinie)"
    else:
        areas = _reach_areas(problem, suggestion, residents) if residents is not None else None
        reach_text = "Reichweite der neuen Standorte (erreichte Wohnorte)"
    locked_icon = marker_svg(shape, LOCKED_COLOR, LOCKED_SIZE)
    rows = [
        f"<div class='pa-lt'>{esc(f'Standortvorschläge: {labels.plural}')}</div>",
        f"<div class='pa-lr'><span class='pa-sw-site' style='background:{color}'>1</span><span>"
        f"{esc('neuer Standort, nach Rang nummeriert')} <span class='pa-n'>({len(suggested)})</span></span></div>",
        f"<div class='pa-lr'><span class='pa-sym'>{locked_icon}</span><span>"
        f"{esc(f'{labels.plural} (Bestand, bleiben gesetzt)')} <span class='pa-n'>({len(existing)})</span>"
        "</span></div>",
        f"<div class='pa-lr'><span class='pa-sw-candidate'></span><span>{esc('weiterer Kandidat')} "
        f"<span class='pa-n'>({len(candidates)})</span></span></div>",
        f"<div class='pa-lr'><span class='pa-sw pa-sw-reach' style='border-color:{color}'></span>"
        f"<span>{esc(reach_text)}</span></div>",
    ]
    return {"existing": existing, "candidates": candidates, "suggested": suggested, "reach_circles": circles,
            "reach_areas": areas, "color": color, "locked_icon": locked_icon, "legend": "".join(rows)}


def site_map(
    result: Result, dataset: Dataset, problem: SiteProblem, suggestion: Suggestion, *,
    residents: gpd.GeoSeries | None = None, static_url: str = leaflet.STATIC_URL,
) -> folium.Map:
    """The map of a suggestion: districts by status with the type's gaps, then the site layers on top.

    The atlas' own offer symbols are left out (the type's offers are drawn grey, locked); no background tiles.
    """
    data = map_data(result, dataset, offer_types=[], gap_type=problem.offer_type, labels=True)
    sites = site_payload(result, dataset, problem, suggestion, residents=residents)
    data["legend"] = sites["legend"] + data["legend"]
    (s, w), (n, e) = data["bounds"]
    m = leaflet.OfflineMap(location=[(s + n) / 2, (w + e) / 2], zoom_start=12, tiles=None, static_url=static_url,
                           zoom_snap=0.25, zoom_delta=0.5, min_zoom=8, max_zoom=18)
    leaflet.AtlasLayers(data, image_path=f"{static_url}/leaflet/images/", fill_opacity=0.82,
                        static_url=static_url).add_to(m)
    SiteLayers(sites, static_url=static_url).add_to(m)
    return m
