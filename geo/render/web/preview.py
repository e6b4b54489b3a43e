"""Preview maps for an upload: the layer in use and the uploaded one, side by side, before anything is stored."""

from __future__ import annotations

import json

import folium
import geopandas as gpd
import numpy as np
import shapely
from branca.element import MacroElement
from folium.template import Template

from geo import crs, settings
from geo.render.web.leaflet import STATIC_URL, OfflineMap, script_json
from geo.render.web.map_data import display_geometry
from geo.render.web.symbols import esc

#: Most points drawn per layer; a bigger upload of offers is previewed by its first rows, of residents by a sample.
MAX_PREVIEW_POINTS = 2_000
#: Tooltip labels of a residents layer's counts.
RESIDENT_COUNTS = {settings.INHABITANTS: "Einwohner", settings.CHILDREN: "Kinder"}

CURRENT_STYLE = {"color": "#7f7f7f", "weight": 1.5, "fillColor": "#d9d9d9", "fillOpacity": 0.35}
NEW_STYLE = {"color": "#0072B2", "weight": 2, "fillColor": "#56B4E9", "fillOpacity": 0.35}
#: Point colours by change (Okabe–Ito): new or changed, unchanged, removed.
CHANGED_COLOR, UNCHANGED_COLOR, REMOVED_COLOR = "#0072B2", "#8c8c8c", "#D55E00"


def _bounds(*layers: gpd.GeoDataFrame | None) -> list[list[float]]:
    boxes = [crs.to_map(g).total_bounds for g in layers if g is not None and len(g)]
    if not boxes:
        return [[47.3, 5.9], [55.1, 15.0]]  # Germany
    b = np.array(boxes)
    return [[float(b[:, 1].min()), float(b[:, 0].min())], [float(b[:, 3].max()), float(b[:, 2].max())]]


def _districts_geojson(districts: gpd.GeoDataFrame) -> dict:
    """District outlines as GeoJSON with escaped names for the tooltip (6 decimals)."""
    outlines = display_geometry(districts)  # coverage-simplified, WGS84, 6 decimals
    wgs = gpd.GeoDataFrame(districts[[settings.DISTRICT_ID, settings.DISTRICT_NAME]].copy(),
                           geometry=outlines.to_numpy(), crs=outlines.crs)
    wgs["tip"] = [f"{esc(i)} {esc(n)}" for i, n in zip(wgs[settings.DISTRICT_ID], wgs[settings.DISTRICT_NAME],
                                                        strict=True)]
    return json.loads(wgs[["tip", "geometry"]].to_json(drop_id=True))


class PreviewLayers(MacroElement):
    """Draws the preview layers (GeoJSON with an HTML ``tip`` per feature) with plain Leaflet.

    A constant template: the layers go in as one :func:`geo.render.web.leaflet.script_json` literal, which no Jinja pass
    can execute (folium's ``GeoJson`` embeds its data with ``tojson`` and branca renders that again as a
    template, so names like ``{{ 7*191 }}`` would run on the server).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var map = {{ this._parent.get_name() }};
            var layers = {{ this.payload }};
            layers.forEach(function (l) {
                L.geoJSON(l.data, {
                    style: function () { return l.style; },
                    pointToLayer: function (f, latlng) {
                        return L.circleMarker(latlng, {radius: l.style.radius || 5});
                    },
                    onEachFeature: function (f, layer) { layer.bindTooltip(f.properties.tip, {sticky: true}); }
                }).addTo(map);
            });
        })();
        {% endmacro %}
        """
    )

    def __init__(self, layers: list[dict]):
        super().__init__()
        self._name = "PreviewLayers"
        self.payload = script_json(layers)


def _district_layer(districts: gpd.GeoDataFrame, style: dict) -> dict:
    return {"data": _districts_geojson(districts), "style": style}


def _area_layer(areas: gpd.GeoDataFrame | None, style: dict, name: str) -> dict | None:
    """Catchment areas with their id and name in the tooltip (simplified by 2 m, WGS84, 6 decimals)."""
    if areas is None or not len(areas):
        return None
    metric = crs.to_metric(areas, name="Einzugsgebiete")
    shapes = metric.geometry.simplify(2.0, preserve_topology=True)
    wgs = crs.to_map(gpd.GeoDataFrame(geometry=shapes.to_numpy(), crs=metric.crs))
    wgs["tip"] = [f"{esc(name)}: {esc(i)} {esc(n)}" for i, n in zip(
        metric[settings.CATCHMENT_ID], metric[settings.OFFER_NAME], strict=True)]
    wgs = wgs.set_geometry(shapely.transform(wgs.geometry.to_numpy(), lambda xy: np.round(xy, 6)))
    return {"data": json.loads(wgs[["tip", "geometry"]].to_json(drop_id=True)), "style": style}


def _point_layer(points: gpd.GeoDataFrame, color: str, name: str, *, hollow: bool = False) -> dict | None:
    """One GeoJSON layer of circle markers (far lighter than a folium object per point)."""
    if not len(points):
        return None
    wgs = crs.to_map(points.head(MAX_PREVIEW_POINTS)[[c for c in (settings.OFFER_ID, settings.OFFER_NAME)
                                                      if c in points] + [points.geometry.name]])
    wgs["tip"] = [
        f"{esc(name)}: " + " – ".join(esc(v) for v in values)
        for values in wgs.drop(columns=wgs.geometry.name).itertuples(index=False)
    ]
    style = {"color": color, "weight": 2 if hollow else 1.5, "fillColor": color, "fill": not hollow,
             "fillOpacity": 0 if hollow else 0.8}
    return {"data": json.loads(wgs[["tip", wgs.geometry.name]].to_json(drop_id=True)), "style": style}


def sample_points(points: gpd.GeoDataFrame, limit: int = MAX_PREVIEW_POINTS) -> gpd.GeoDataFrame:
    """At most ``limit`` points spread over the whole layer: a fixed random sample (the same on every rerun)."""
    if len(points) <= limit:
        return points
    return points.sample(n=limit, random_state=0).sort_index()


def _resident_layer(points: gpd.GeoDataFrame | None, color: str, name: str) -> dict | None:
    """A sample of residents points with their counts in the tooltip."""
    if points is None or not len(points):
        return None
    counts = [c for c in RESIDENT_COUNTS if c in points]
    wgs = crs.to_map(sample_points(points)[[*counts, points.geometry.name]])
    wgs["tip"] = [
        f"{esc(name)}: " + " · ".join(f"{RESIDENT_COUNTS[c]} {esc(v)}" for c, v in zip(counts, values, strict=True))
        for values in wgs[counts].itertuples(index=False)
    ]
    style = {"color": color, "weight": 1, "fillColor": color, "fill": True, "fillOpacity": 0.7, "radius": 3}
    return {"data": json.loads(wgs[["tip", wgs.geometry.name]].to_json(drop_id=True)), "style": style}


def _split_offers(current: gpd.GeoDataFrame | None, new: gpd.GeoDataFrame):
    """(new or changed, unchanged, removed) offers, compared by id and location."""
    key = settings.OFFER_ID
    if current is None or not len(current):
        return new, new.iloc[0:0], new.iloc[0:0]
    old = crs.to_metric(current).set_index(key)
    fresh = new.set_index(key)
    same_id = fresh.index.isin(old.index)
    unchanged = np.zeros(len(fresh), dtype=bool)
    if same_id.any():
        ids = fresh.index[same_id]
        moved = ~fresh.loc[ids].geometry.geom_equals_exact(old.loc[ids].geometry.reindex(ids), tolerance=0.01)
        renamed = fresh.loc[ids, settings.OFFER_NAME].astype(str).to_numpy() != \
            old.loc[ids, settings.OFFER_NAME].astype(str).to_numpy()
        unchanged[np.flatnonzero(same_id)] = ~(moved.to_numpy() | renamed)
    removed = old[~old.index.isin(fresh.index)]
    return (new[~unchanged], new[unchanged], removed.reset_index())


def upload_preview_map(
    *,
    districts: gpd.GeoDataFrame,
    current: gpd.GeoDataFrame | None,
    new: gpd.GeoDataFrame,
    kind: str,
    static_url: str = STATIC_URL,
) -> folium.Map:
    """One map with the layer in use (grey) and the upload (blue).

    For offers the points are coloured by what the upload does to them: blue new or changed, grey
    unchanged, orange rings for offers that would be removed.

    Parameters
    ----------
    districts
        The districts in use, drawn as context for offers.
    current
        The layer in use (districts, offers or residents), or ``None``.
    new
        The validated upload.
    kind
        ``"districts"``, ``"offers"``, ``"residents"`` (a sample of :data:`MAX_PREVIEW_POINTS` points of each
        residents layer, the one in use grey, the upload blue) or ``"catchments"`` (the areas in use grey, the
        areas after the upload blue, over the districts).
    """
    m = OfflineMap(location=[51.5, 7.5], zoom_start=11, tiles=None, static_url=static_url)
    if kind == "districts":
        layers = [_district_layer(current, CURRENT_STYLE)] if current is not None and len(current) else []
        layers.append(_district_layer(new, NEW_STYLE))
        m.fit_bounds(_bounds(current, new))
    elif kind == "offers":
        changed, unchanged, removed = _split_offers(current, new)
        layers = [_district_layer(districts, {**CURRENT_STYLE, "fillOpacity": 0.1})] + [
            layer for layer in (
                _point_layer(unchanged, UNCHANGED_COLOR, "unverändert"),
                _point_layer(removed, REMOVED_COLOR, "entfällt", hollow=True),
                _point_layer(changed, CHANGED_COLOR, "neu oder geändert"),
            ) if layer is not None
        ]
        m.fit_bounds(_bounds(districts, new))
    elif kind == "residents":
        layers = [_district_layer(districts, {**CURRENT_STYLE, "fillOpacity": 0.1})] + [
            layer for layer in (_resident_layer(current, UNCHANGED_COLOR, "bisher"),
                                _resident_layer(new, CHANGED_COLOR, "neu")) if layer is not None
        ]
        m.fit_bounds(_bounds(districts, new))
    elif kind == "catchments":
        layers = [_district_layer(districts, {**CURRENT_STYLE, "fillOpacity": 0.05})] + [
            layer for layer in (_area_layer(current, {**CURRENT_STYLE, "dashArray": "4"}, "bisher"),
                                _area_layer(new, {**NEW_STYLE, "fillOpacity": 0.2}, "neu")) if layer is not None
        ]
        m.fit_bounds(_bounds(districts, new))
    else:
        raise ValueError(f"no preview map for {kind!r}")
    PreviewLayers(layers).add_to(m)
    return m
