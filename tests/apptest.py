"""Run a page as Streamlit does: app.py (the st.navigation frame) with that page selected."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "app.py"


def open_page(page: str | None = None, *, timeout: float = 60) -> AppTest:
    """An AppTest of ``app.py`` after its first run on ``page`` (a path like ``"app_pages/1_Karte.py"``; ``None``:
    the landing page).

    The frame registers the pages with their inferred URL paths, so the page can be chosen before the first run.
    """
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    if page is not None:
        at.switch_page(page)
    return at.run(timeout=timeout)
