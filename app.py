"""Präventionsatlas: the frame around every page – page list, tab title, data set and settings sidebar."""

from __future__ import annotations

import streamlit as st

from app_pages import _shared as ui

ui.page_setup()
# expanded: every page in the sidebar (beyond ten, Streamlit would hide the rest behind "weitere anzeigen")
page = st.navigation({ui.APP_TITLE: ui.navigation()}, expanded=True)
ui.page_title(page.title)
ui.language()
with ui.shows_data_errors():
    ui.prelude(page.title)
page.run()
