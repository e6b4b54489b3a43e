"""The web map as a folium/Leaflet page: assets from ``static/``, the constant atlas script, the offline HTML file."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Final

import folium
from folium.elements import JSCSSMixin
from folium.template import Template

from geo import settings
from geo.analysis import Result
from geo.dataset import Dataset
from geo.render.web.map_data import map_data
from geo.render.web.symbols import esc

#: Vendored front-end assets (Leaflet 1.9.4, see static/README.md) and the atlas' own script and stylesheet.
STATIC_DIR: Final[Path] = settings.REPO_DIR / "static"
#: Where the browser finds ``static/``: relative to the streamlit-folium iframe
#: (``/component/streamlit_folium.st_folium/index.html``) Streamlit serves it at ``/app/static/``.
STATIC_URL: Final[str] = "../../app/static"
LEAFLET_JS: Final[str] = "leaflet/leaflet.js"
LEAFLET_CSS: Final[str] = "leaflet/leaflet.css"
ATLAS_JS: Final[str] = "atlas/atlas.js"
ATLAS_CSS: Final[str] = "atlas/atlas.css"

#: Background maps. "none" needs no network at all; "osm" fetches :data:`geo.settings.TILE_URL`.
TILES: Final[dict[str, str]] = {"none": "ohne Hintergrundkarte", "osm": "OpenStreetMap"}

#: Accessible name of the web map: the map document's title and its container's ``aria-label`` (the pages use it
#: as the title of the map's frame, too).
MAP_TITLE: Final[str] = "Karte: Sozialräume nach Bedarf, Angebote und Versorgungslücken"
#: Shown inside the map when background tiles cannot be loaded (no network).
TILE_NOTICE: Final[str] = (
    "Hintergrundkarte nicht erreichbar – die Daten sind vollständig; Hintergrund „ohne“ wählen."
)
#: Tooltip of the legend's title, which folds the legend.
LEGEND_TOGGLE: Final[str] = "Legende ein- oder ausklappen"
#: German names of Leaflet's own buttons (zoom, layer switch), which Leaflet writes in English.
CONTROL_TITLES: Final[dict[str, str]] = {
    "zoomIn": "Vergrößern", "zoomOut": "Verkleinern", "layers": "Ebenen ein- und ausblenden",
}
#: Name of the district names in the map's layer switch.
LABELS_LAYER: Final[str] = "Sozialraumnamen"


#: A JSON string token as :func:`json.dumps` writes it.
_JSON_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
#: Characters written as ``\uXXXX`` inside JSON strings (see :func:`script_json`).
_INERT = str.maketrans({c: f"\\u{ord(c):04x}" for c in "{}<>&\u2028\u2029"})


def script_json(data: object) -> str:
    r"""JSON that is inert as Jinja template source and inside ``<script>``: user text stays data.

    folium/branca render a map element's script once, then branca's ``Element`` parses the result *again*
    as a Jinja template, so any ``{{ … }}``, ``{% … %}`` or ``{# … #}`` in the data would be executed on
    the server (``{{ 7*191 }}`` → 1337, or Python via ``cycler.__init__.__globals__``). Escaping the text
    for one known number of passes is fragile (``st_folium`` renders once, ``get_root().render()`` twice);
    instead, inside every JSON string ``{``, ``}``, ``<``, ``>``, ``&`` and U+2028/U+2029 are written as
    ``\uXXXX``. JavaScript decodes them to the same text, while the literal can hold no Jinja delimiter
    (outside strings JSON's own ``{`` is always followed by ``"`` or ``}``), no ``</script``, no ``<!--``
    and no line terminator that ends a JavaScript string, however often it is rendered. A
    ``<script type="application/json">`` element would still pass through the same re-rendering.
    """
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return _JSON_STRING.sub(lambda m: m.group(0).translate(_INERT), text)


class AtlasLayers(JSCSSMixin):
    """Draws the :func:`~geo.render.web.map_data.map_data` payload with ``static/atlas/atlas.js`` (plain Leaflet).

    The template is constant: the payload and the options go in only as :func:`script_json` literals, so no
    user text ever becomes template source.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function () {
            var data = {{ this.payload }};
            window.paAtlas.draw({{ this._parent.get_name() }}, data, {{ this.options }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, data: dict, *, image_path: str, fill_opacity: float, static_url: str = STATIC_URL):
        super().__init__()
        self._name = "AtlasLayers"
        self.payload = script_json(data)
        self.options = script_json({
            "imagePath": image_path, "fillOpacity": float(fill_opacity), "title": MAP_TITLE,
            "tileNotice": esc(TILE_NOTICE), "legendToggle": LEGEND_TOGGLE, "labelsLayer": esc(LABELS_LAYER),
            "controls": CONTROL_TITLES,
        })
        # Instance attributes, loaded after the map's Leaflet (streamlit-folium loads them in tree order).
        self.default_js = [("pa_atlas", f"{static_url}/{ATLAS_JS}")]
        self.default_css = [("pa_atlas_css", f"{static_url}/{ATLAS_CSS}")]


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


def _tile_attribution() -> str:
    """The tile source's attribution (:data:`geo.settings.TILE_ATTRIBUTION`) as Leaflet shows it, linked."""
    return f'<a href="{esc(settings.TILE_COPYRIGHT_URL)}">{esc(settings.TILE_ATTRIBUTION)}</a>'


def need_map(
    result: Result,
    dataset: Dataset,
    *,
    tiles: str = "none",
    static_url: str = STATIC_URL,
    **options,
) -> folium.Map:
    """The need × reach map: choropleth, offers, optional reach circles and gap outlines, district names.

    Parameters
    ----------
    result, dataset
        The analysis result and its data set.
    tiles
        A key of :data:`TILES`; default ``"none"``: no network needed.
    static_url
        Where the browser finds ``static/``.
    **options
        What the map shows: the keyword options of :func:`~geo.render.web.map_data.map_data` (variable, scheme,
        k, offer_types, reach, gap_type – one type or :data:`~geo.render.web.map_data.ALL_TYPES` –, labels,
        simplify_m).

    Returns
    -------
    folium.Map
        Loads only ``static/leaflet`` and ``static/atlas`` (plus the tiles when chosen); render it with ``st_folium``
        or write it with :func:`standalone_html`.
    """
    if tiles not in TILES:
        raise ValueError(f"Unknown background {tiles!r}; use one of {sorted(TILES)}")
    data = map_data(result, dataset, **options)
    (s, w), (n, e) = data["bounds"]
    m = OfflineMap(
        location=[(s + n) / 2, (w + e) / 2], zoom_start=12, tiles=None, static_url=static_url,
        zoom_snap=0.25, zoom_delta=0.5, min_zoom=8, max_zoom=18,
    )
    if tiles == "osm":
        folium.TileLayer(settings.TILE_URL, attr=_tile_attribution(), name="OpenStreetMap", max_zoom=19).add_to(m)
    opacity = 0.6 if tiles == "osm" else 0.82  # let the streets show through when there is a background
    AtlasLayers(data, image_path=f"{static_url}/leaflet/images/", fill_opacity=opacity,
                static_url=static_url).add_to(m)
    return m


def _inline_css(css: str, base: Path) -> str:
    """Replace ``url(images/…)`` in a stylesheet by data URIs so it works without its folder."""

    def repl(match: re.Match) -> str:
        path = base / match.group(1)
        if not path.is_file():
            return match.group(0)
        return f"url(data:image/png;base64,{base64.b64encode(path.read_bytes()).decode('ascii')})"

    return re.sub(r"url\((images/[A-Za-z0-9_.-]+\.png)\)", repl, css)


def _inline_assets(page: str) -> str:
    """Replace the links to the ``static/`` scripts and stylesheets of the map by their text."""
    for path in (LEAFLET_JS, ATLAS_JS):
        js = (STATIC_DIR / path).read_text(encoding="utf-8")
        if "</script" in js.lower():
            raise ValueError(f"{path} contains '</script': cannot inline it safely.")
        page = re.sub(r'<script src="[^"]*' + re.escape(path) + r'"></script>', _literal(f"<script>{js}</script>"),
                      page)
    for path in (LEAFLET_CSS, ATLAS_CSS):
        css = _inline_css((STATIC_DIR / path).read_text(encoding="utf-8"), (STATIC_DIR / path).parent)
        page = re.sub(r'<link rel="stylesheet" href="[^"]*' + re.escape(path) + r'"\s*/>',
                      _literal(f"<style>{css}</style>"), page)
    return page


def _literal(text: str):
    """A :func:`re.sub` replacement that inserts ``text`` as it is (no backslash or group processing)."""
    return lambda _: text


def standalone_html(m: folium.Map, *, title: str = "Präventionsatlas – Karte") -> str:
    """One self-contained HTML file of ``m`` (Leaflet, the atlas script and images inlined) that opens offline.

    Raises
    ------
    ValueError
        If the map still references an external script or stylesheet after inlining.
    """
    page = _inline_assets(m.get_root().render())
    if re.search(r'<script[^>]+src=|<link[^>]+rel="stylesheet"', page):
        raise ValueError("The map references external scripts or stylesheets that cannot be inlined.")
    return page.replace("<head>", f"<head>\n<title>{esc(title)}</title>", 1)
