"""The web map on a page: drawn with ``st_folium``; a click on a Sozialraum opens its Steckbrief."""

from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from app_pages import _shared as ui
from geo.analysis import Params, Result
from geo.dataset import Dataset
from geo.render.web import dynamics_map, leaflet
from geo.render.web.map_data import ALL_TYPES, clicked_district, gap_name

#: The district profile page (*Steckbrief*) and its query parameter: the district id as stored.
PROFILE_PAGE = "app_pages/8_Steckbrief.py"
PROFILE_PARAM = "sozialraum"
#: What the map returns to the page: only the clicked district (no rerun on pan, zoom or a click on a symbol).
RETURNED = ["last_active_drawing"]
#: Fill variables with classes of their own (Dynamik, Gesamtindex, change of an indicator): no scheme, no k.
OWN_CLASSES = frozenset(dynamics_map.LABELS)


#: Built maps kept, shared by all sessions (each a pickled folium map: about 2 MB at 6,000 districts).
MAP_CACHE_ENTRIES = 16


@st.cache_data(max_entries=MAP_CACHE_ENTRIES, show_spinner="Karte wird gezeichnet …")
def _cached_map(result_key: tuple, options_key: str, _result: Result, _dataset: Dataset, _options: dict
                ) -> folium.Map:
    """:func:`geo.render.web.leaflet.need_map`, stored per result (``result_key``) and map settings.

    ``st.cache_data`` hands every run its own copy (``st_folium`` changes the map it renders), so nothing a
    session draws stays behind in the cache, and the cache holds at most :data:`MAP_CACHE_ENTRIES` maps.
    """
    return leaflet.need_map(_result, _dataset, **_options)


def need_map(result: Result, dataset: Dataset, params: Params, **options) -> folium.Map:
    """The need × reach map of ``result`` (:func:`geo.render.web.leaflet.need_map` with ``options``), built once.

    A rerun that changes neither the result (the data set and ``params`` it was computed from) nor a map setting
    gets the built map from the cache instead of building it again.
    """
    key = repr(sorted((k, tuple(v) if isinstance(v, list) else v) for k, v in options.items()))
    return _cached_map(ui.result_key(dataset, params), key, result, dataset, options)


def gap_choices(offer_types: list[str]) -> list[str | None]:
    """The choices of "Versorgungslücken markieren für": every type at once first, then each type, then none."""
    return [ALL_TYPES, *offer_types, None] if offer_types else [None]


def gap_label(dataset: Dataset):
    """``format_func`` of those choices: "alle Angebotsarten", the type's plural, "keine"."""
    return lambda t: gap_name(dataset, t)


def open_profile(district_id: str) -> None:
    """Switch to the Steckbrief of ``district_id`` (contract of issue 10: ``?sozialraum=<id>``)."""
    st.switch_page(PROFILE_PAGE, query_params={PROFILE_PARAM: str(district_id)})


def show_map(m: folium.Map, *, key: str, height: int) -> None:
    """Draw ``m``; a new click on a Sozialraum opens its Steckbrief.

    Only a click not handled before counts (each click carries its time, see ``static/atlas/atlas.js``), so the
    value the map keeps after the switch never opens the profile again when the user comes back.
    """
    returned = st_folium(m, key=key, height=height, use_container_width=True, returned_objects=RETURNED)
    click = clicked_district(returned)
    handled = f"{key}__handled_click"
    if click is None or st.session_state.get(handled) == click:
        return
    st.session_state[handled] = click
    open_profile(click[0])


def change_choice(result: Result, dataset: Dataset) -> dynamics_map.ChangeChoice | None:
    """The change map's indicator, comparison year (*Vergleichsjahr*) and year, chosen in one row of widgets.

    ``None`` when no indicator has values in two stored years (the map then says so).
    """
    default = dynamics_map.default_change(result, dataset)
    if default is None:
        return None
    keys = dynamics_map.change_indicators(dataset)
    labels = dataset.indicator_definitions["label"]
    c1, c2, c3 = st.columns([3, 3, 2])
    key = c1.selectbox("Indikator", keys, format_func=lambda k: str(labels.get(k, k)),
                       **ui.remember("karte_change_key", default.key, options=keys))
    years = dynamics_map.indicator_years(dataset, key)
    to = c3.selectbox("bis Jahr", years[1:], format_func=str,
                      **ui.remember("karte_change_to", default.year_to if default.year_to in years[1:] else years[-1],
                                    options=years[1:]))
    earlier = [y for y in years if y < to]
    base = default.year_from if default.year_from in earlier else earlier[-1]
    year_from = c2.selectbox("Vergleichsjahr", earlier, format_func=str,
                             help="Die Karte zeigt Wert im Jahr „bis“ minus Wert im Vergleichsjahr.",
                             **ui.remember("karte_change_from", base, options=earlier))
    return dynamics_map.ChangeChoice(key, int(year_from), int(to))


def dynamics_note(result: Result, variable: str) -> None:
    """Under the Dynamik and Gesamtindex layers: why the map is grey without a Dynamik index, else its note."""
    if variable not in (dynamics_map.DYNAMIC, dynamics_map.OVERALL):
        return
    dynamics = result.dynamics
    note = dynamics.note if dynamics is not None else ""
    if dynamics is None or not dynamics.computed:
        st.info(f"Keine Dynamik für {result.year}: {ui.md(note or 'keine Dynamik berechnet.')} Die Karte zeigt alle "
                "Sozialräume als „nicht klassifiziert“.", icon=":material/info:")
    elif note:
        st.caption(f"Dynamik {ui.md(dynamics.period)}: {ui.md(note)}")
