"""The dashboard in a real browser: maps drawn, no request leaves the machine, settings kept across pages."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from app_pages import _shared as ui
from geo import settings
from geo.analysis import analyse
from geo.demo import load_demo

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect

#: The map frame by its German title (static/ui/german.js names streamlit-folium's frame ``ui.MAP_TITLE``).
MAP_FRAME = f'iframe[title="{ui.MAP_TITLE}"]'
#: The map frame of the current run: not in a stale element (Streamlit keeps the old one during a rerun) and
#: not the new one still mounting (width="-1").
CURRENT_MAP_FRAME = f'[data-stale="false"] {MAP_FRAME}:not([width="-1"])'
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
WAIT_MS = 30_000

# One look at the whole page, so no rerun can fall between the checks: Streamlit is not running the script, no
# element is stale, exactly one map frame is on the page, displayed with a positive width, and inside it
# Leaflet has drawn the expected polygons (and legend) and is not animating a zoom.
_SETTLED_JS = """
([frameSelector, nPolygons, legend]) => {
  const state = {running: !!document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'),
                 stale: document.querySelectorAll('[data-stale="true"]').length, frames: [], polygons: null,
                 legend: null, zooming: null};
  const frames = [...document.querySelectorAll(frameSelector)];
  state.frames = frames.map(f => [f.getAttribute('width'), Math.round(f.getBoundingClientRect().width)]);
  const doc = frames.length === 1 ? frames[0].contentDocument : null;
  if (doc) {
    state.polygons = doc.querySelectorAll('path.leaflet-interactive').length;
    const box = doc.querySelector('.pa-legend');
    state.legend = box ? box.textContent : null;
    const map = doc.querySelector('.leaflet-container');
    state.zooming = map ? map.classList.contains('leaflet-zoom-anim') : null;
  }
  const settled = !state.running && state.stale === 0 && frames.length === 1
    && Number(frames[0].getAttribute('width')) > 0 && frames[0].getBoundingClientRect().width > 0
    && state.polygons === nPolygons && state.zooming === false
    && (legend === null || (state.legend || '').includes(legend));
  return settled ? true : (window.__paMapState = state, false);
}
"""


@pytest.fixture(scope="module")
def districts():
    return analyse(load_demo()).districts


def wait_for_map(page, n_polygons: int, *, legend: str | None = None):
    """Wait for a settled page with one drawn map (see ``_SETTLED_JS``); return that map's frame.

    A moment is never enough: during a rerun Streamlit shows the old map next to the new one, which mounts
    with ``width="-1"``, and the old map already has all its polygons. So the wait includes what the new map
    must show (``legend``, a text of its legend) where the old one would pass the other checks too.
    """
    try:
        page.wait_for_function(_SETTLED_JS, arg=[MAP_FRAME, n_polygons, legend], timeout=WAIT_MS, polling=100)
    except Exception as err:  # Playwright's TimeoutError says nothing about what was on the page
        state = page.evaluate("() => window.__paMapState")
        raise AssertionError(f"map not settled ({n_polygons} polygons, legend {legend!r}): {state}") from err
    return page.frame_locator(CURRENT_MAP_FRAME)


def wait_for_map_page(page, n_polygons: int, *, legend: str | None = None):
    """:func:`wait_for_map` once the Karte page's own widgets are drawn: right after a page switch the previous
    page's map (the same status map on the Übersicht) can still be the only one on the page."""
    expect(page.get_by_role("combobox", name="Flächenfarbe")).to_be_visible(timeout=WAIT_MS)
    return wait_for_map(page, n_polygons, legend=legend)


def foreign_hosts(urls: list[str]) -> set[str]:
    hosts = {urlparse(u).hostname for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    return hosts - LOCAL_HOSTS


def test_overview_and_map_work_without_internet(app_url, page, artifacts, districts):
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Präventionsatlas", exact=True)).to_be_visible(timeout=WAIT_MS)
    frame = wait_for_map(page, len(districts), legend="Status sehr niedrig")
    expect(frame.locator(".pa-stamp")).to_have_text(settings.SYNTHETIC_STAMP)
    expect(page.get_by_text("Kinder in Sozialräumen mit hohem Bedarf", exact=True)).to_be_visible()
    expect(page.get_by_text("10.886", exact=True)).to_be_visible()
    page.screenshot(path=artifacts / "e2e_uebersicht.png")

    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Karte").click()
    expect(page).to_have_url(re.compile(r"/Karte$"), timeout=WAIT_MS)
    frame = wait_for_map_page(page, len(districts), legend="Sozialstatus 2024")
    # Hover a large district without offers in it: its tooltip lists the district's figures.
    index = int((districts[settings.DISTRICT_NAME] == "Auf der Heide").to_numpy().argmax())
    frame.locator("path.leaflet-interactive").nth(index).hover(force=True)
    tooltip = frame.locator(".leaflet-tooltip.pa-tip")
    expect(tooltip).to_contain_text("Auf der Heide")
    expect(tooltip).to_contain_text("Einwohner")
    expect(tooltip).to_contain_text("Zielgruppe in Reichweite")
    page.screenshot(path=artifacts / "e2e_karte.png")

    assert any(u.endswith("/app/static/leaflet/leaflet.js") for u in page.requests), "Leaflet not from static/"
    assert not foreign_hosts(page.requests), f"requests left the machine: {sorted(foreign_hosts(page.requests))}"
    assert page.errors == []


def test_year_chosen_on_the_overview_holds_on_the_map_page(app_url, page, districts):
    page.goto(app_url)
    sidebar = page.locator('[data-testid="stSidebar"]')
    year = sidebar.get_by_role("combobox", name="Jahr", exact=True)
    expect(year).to_have_value("2024", timeout=WAIT_MS)
    year.click()
    page.get_by_role("option", name="2023").click()
    expect(page.get_by_role("heading", name="Kennzahlen 2023")).to_be_visible(timeout=WAIT_MS)

    sidebar.get_by_role("link", name="Karte").click()
    wait_for_map_page(page, len(districts), legend="Sozialstatus 2023")
    expect(year).to_have_value("2023")

    # Other maps on the same page: an indicator, then reach circles; no script error while old maps go.
    page.get_by_role("combobox", name="Flächenfarbe").click()
    page.get_by_role("option", name="SGB-II-Quote Kinder unter 15 Jahren").click()
    expect(page.get_by_role("combobox", name="Klasseneinteilung")).to_have_value(re.compile("Quantile"))
    frame = wait_for_map(page, len(districts), legend="SGB-II-Quote")
    expect(frame.locator(".pa-legend")).not_to_contain_text("Reichweite (Luftlinie)")
    page.get_by_text("Reichweiten-Kreise zeigen").click()
    frame = wait_for_map(page, len(districts), legend="Reichweite (Luftlinie)")
    expect(frame.locator(".pa-legend")).to_contain_text("SGB-II-Quote")  # the indicator stays chosen
    assert not foreign_hosts(page.requests)
    assert page.errors == []


def test_downloaded_map_opens_offline(app_url, page, browser, artifacts, tmp_path, districts):
    page.goto(f"{app_url}/Karte")
    wait_for_map_page(page, len(districts), legend="Sozialstatus 2024")
    with page.expect_download(timeout=WAIT_MS) as download:
        page.get_by_role("button", name=re.compile("Karte als HTML-Datei")).click()
    path = tmp_path / "karte.html"
    download.value.save_as(path)

    offline = browser.new_context(viewport={"width": 1200, "height": 800}, offline=True)
    requests: list[str] = []
    offline.on("request", lambda request: requests.append(request.url))
    try:
        sheet = offline.new_page()
        sheet.goto(path.as_uri())
        expect(sheet.locator("path.leaflet-interactive")).to_have_count(len(districts), timeout=WAIT_MS)
        expect(sheet.locator(".pa-legend")).to_contain_text("Angebote")
        sheet.screenshot(path=artifacts / "e2e_karte_datei.png")
    finally:
        offline.close()
    assert [u for u in requests if not u.startswith(("file:", "data:"))] == []
