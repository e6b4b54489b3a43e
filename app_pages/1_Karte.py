"""Karte: choropleth of the status index, Dynamik, Gesamtindex, an indicator or its change; offers, reach, gaps."""

from __future__ import annotations

import streamlit as st

from app_pages import _map
from app_pages import _shared as ui
from geo.analysis import RESIDENTS_FROM_LAYER
from geo.export import html_bytes
from geo.formatting import grid_name
from geo.render.web import dynamics_map, leaflet, map_data

st.title("Karte")
dataset, params = ui.current()
with ui.shows_data_errors():
    result = ui.analysis(dataset, params)
ui.types_without_offers_note(dataset)
ui.population_note(result)
people = ui.md(result.population.genitive)

choices = map_data.variables(result, dataset)
offer_types = dataset.offer_types
present = [t for t in offer_types.index if t in set(dataset.offers["offer_type"].astype(str))]
analysed = result.offer_types


def type_name(t: str) -> str:
    """German plural of an offer type."""
    return dataset.type_labels(t).plural


with st.container(border=True):
    c1, c2, c3 = st.columns([3, 3, 2])
    variable = c1.selectbox(
        "Flächenfarbe", list(choices), format_func=lambda k: choices[k].label,
        **ui.remember("karte_variable", map_data.STATUS, options=list(choices)),
    )
    schemes = list(map_data.SCHEMES) if variable == map_data.STATUS else [s for s in map_data.SCHEMES if s != "mss"]
    scheme_key = "karte_scheme_status" if variable == map_data.STATUS else "karte_scheme"  # MSS only for the index
    own = variable in _map.OWN_CLASSES  # Dynamik, Gesamtindex, change: classes of their own
    scheme = c2.selectbox(
        "Klasseneinteilung", schemes, format_func=map_data.SCHEMES.get, disabled=own,
        help="MSS-Statusklassen: feste Grenzen des standardisierten Index (−1 / +1 / +1,5). Die anderen "
        "Einteilungen bilden Klassen aus den Werten der Sozialräume (mapclassify).",
        **ui.remember(scheme_key, schemes[0], options=schemes),
    )
    k = c3.slider(
        "Anzahl Klassen", min_value=3, max_value=7, disabled=scheme == "mss" or own,
        help="Nur für Quantile, natürliche Brüche und gleiche Intervalle.", **ui.remember("karte_k", 5),
    )
    change = _map.change_choice(result, dataset) if variable == dynamics_map.CHANGE else None
    c4, c5, c6 = st.columns([3, 3, 2])
    shown = c4.multiselect(
        "Angebote zeigen", present, format_func=type_name, placeholder="keine Angebote",
        **ui.remember("karte_offers", present, options=present),
    )
    gap_choices = _map.gap_choices(analysed)
    gap_type = c5.selectbox(
        "Versorgungslücken markieren für", gap_choices, format_func=_map.gap_label(dataset),
        **ui.remember("karte_gap_type", gap_choices[0], options=gap_choices),
    )
    tiles = c6.radio(
        "Hintergrund", list(leaflet.TILES), format_func=leaflet.TILES.get, horizontal=True,
        help="OpenStreetMap lädt Kacheln aus dem Internet; die Daten sind auch ohne Hintergrund vollständig.",
        **ui.remember("karte_tiles", "none", options=list(leaflet.TILES)),
    )
    t1, t2, _ = st.columns([3, 3, 2])
    reach = t1.toggle("Reichweiten-Kreise zeigen", **ui.remember("karte_reach", False))
    labels = t2.toggle("Sozialraumnamen zeigen", **ui.remember("karte_labels", True))

ui.stamp(dataset)
ui.need_note(result)
_map.dynamics_note(result, variable)
with ui.shows_data_errors():
    m = _map.need_map(
        result, dataset, params, variable=variable, scheme=scheme, k=k, offer_types=shown, reach=reach,
        gap_type=gap_type, labels=labels, tiles=tiles, change=change,
    )
_map.show_map(m, key="karte_map", height=680)

if result.residents_on_grid:
    st.warning(
        f"Es liegt keine Wohnorte-Ebene{ui.layer_lacks(dataset, result)} vor: Die "
        f"{ui.md(result.population.plural)} jedes Sozialraums sind gleichmäßig auf ein {grid_name(result.grid_m)} "
        "im Sozialraum verteilt. Die Reichweiten sind daher Näherungen – besonders in Sozialräumen mit großen "
        "unbewohnten Flächen.",
        icon=":material/grid_on:",
    )
elif result.residents_source == RESIDENTS_FROM_LAYER:
    st.caption(f"Wohnorte {people}: Wohnblöcke mit Einwohner- und Kinderzahlen je Block.")
else:
    st.caption(f"Wohnorte {people}: {ui.md(result.residents_source)}")
st.caption(
    "Reichweite = Luftlinie (ETRS89/UTM 32N) vom Wohnort zum nächsten Angebot, kein Fußweg. "
    "Symbole und Ebenen lassen sich auch oben rechts in der Karte ein- und ausblenden. "
    + ("Hintergrundkarte © OpenStreetMap-Mitwirkende (ODbL)." if tiles == "osm" else "")
)


def offline_html() -> bytes:
    """The map as one offline file (protected like the map on screen: counts < 3 and what reveals them hidden)."""
    protected = _map.need_map(
        result, dataset, params, variable=variable, scheme=scheme, k=k, offer_types=shown, reach=reach,
        gap_type=gap_type, labels=labels, tiles="none", change=change,
    )
    return html_bytes(dataset, result, html_map=protected)


st.download_button(
    "Karte als HTML-Datei (offline lesbar)", offline_html, file_name=f"praeventionsatlas_karte_{result.year}.html",
    mime="text/html", icon=":material/download:", on_click="ignore",
    help="Eine einzelne Datei mit allen Bausteinen, z. B. zum Versenden per E-Mail.",
)
