"""Run a page as Streamlit does: app.py (the st.navigation frame) with that page selected."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import pytest
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


class SharedPages:
    """Pages of one data folder of their own, opened at most once each, for tests that only read what they show.

    Every test gets an empty data folder (``conftest.data_root``); a page that tests only read needs neither a
    new folder nor a new workspace per test, and with one workspace the app's cached data set and analysis are
    reused from page to page. ``prepare`` fills the folder (e.g. creates a practice copy) on first use.
    Interactions with a page must run inside :meth:`active` too, so the app reads this folder.
    """

    def __init__(self, root: Path, prepare):
        self.root, self._prepare, self._prepared = root, prepare, False
        self.prepared = None  #: what ``prepare`` returned
        self._pages: dict[str | None, AppTest] = {}

    @contextmanager
    def active(self):
        """Point the app's settings at this data folder (the test's own are back afterwards)."""
        from geo import settings

        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(settings, "DATA_ROOT", self.root)
            mp.setattr(settings, "DEFAULT_WORKSPACE", None)
            mp.setenv("PRAEVENTIONSATLAS_DATA", str(self.root))
            mp.delenv("PRAEVENTIONSATLAS_WORKSPACE", raising=False)
            if not self._prepared:
                self.prepared = self._prepare()
                self._prepared = True
            yield

    def page(self, page: str | None = None, *, timeout: float = 120) -> AppTest:
        """The AppTest of ``page`` after its first run (opened once; do not interact with the shared one)."""
        if page not in self._pages:
            with self.active():
                self._pages[page] = open_page(page, timeout=timeout)
        return self._pages[page]

    def fresh(self, page: str | None = None, *, timeout: float = 120) -> AppTest:
        """A new AppTest of ``page`` after its first run, for a test that interacts (inside :meth:`active`)."""
        with self.active():
            return open_page(page, timeout=timeout)
