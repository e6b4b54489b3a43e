"""The web map on a page: drawn with ``st_folium``; a click on a Sozialraum opens its Steckbrief."""

from __future__ import annotations

import folium
import streamlit as st
from streamlit_folium import st_folium

from geo.dataset import Dataset
from geo.render.web.map_data import ALL_TYPES, clicked_district, gap_name

#: The district profile page (*Steckbrief*) and its query parameter: the district id as stored.
PROFILE_PAGE = "app_pages/8_Steckbrief.py"
PROFILE_PARAM = "sozialraum"
#: What the map returns to the page: only the clicked district (no rerun on pan, zoom or a click on a symbol).
RETURNED = ["last_active_drawing"]


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
