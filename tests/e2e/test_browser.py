"""The dashboard in a real browser: maps drawn, no request leaves the machine, settings kept across pages."""

from __future__ import annotations

import re
from urllib.parse import urlparse

import pytest

from geo import settings
from geo.analysis import analyse
from geo.demo import load_demo

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect

MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
WAIT_MS = 30_000


@pytest.fixture(scope="module")
def districts():
    return analyse(load_demo()).districts


def wait_for_map(page, n_districts: int):
    """Wait until Leaflet has drawn one interactive polygon per district inside the st_folium frame.

    While a changed map mounts, Streamlit shows the old frame next to the new (still hidden) one.
    """
    expect(page.locator(MAP_FRAME)).to_have_count(1, timeout=WAIT_MS)
    frame = page.frame_locator(MAP_FRAME)
    expect(frame.locator("path.leaflet-interactive")).to_have_count(n_districts, timeout=WAIT_MS)
    return frame


def foreign_hosts(urls: list[str]) -> set[str]:
    hosts = {urlparse(u).hostname for u in urls if urlparse(u).scheme in ("http", "https", "ws", "wss")}
    return hosts - LOCAL_HOSTS


def test_overview_and_map_work_without_internet(app_url, page, artifacts, districts):
    page.goto(app_url)
    expect(page.get_by_role("heading", name="Präventionsatlas", exact=True)).to_be_visible(timeout=WAIT_MS)
    frame = wait_for_map(page, len(districts))
    expect(frame.locator(".pa-stamp")).to_have_text(settings.SYNTHETIC_STAMP)
    expect(frame.locator(".pa-legend")).to_contain_text("Status sehr niedrig")
    expect(page.get_by_text("Kinder mit Bedarf", exact=True)).to_be_visible()
    expect(page.get_by_text("10.886", exact=True)).to_be_visible()
    page.wait_for_timeout(400)  # the map fits itself to the frame once more after the first draw
    page.screenshot(path=artifacts / "e2e_uebersicht.png")

    page.locator('[data-testid="stSidebar"]').get_by_role("link", name="Karte").click()
    expect(page).to_have_url(re.compile(r"/Karte$"), timeout=WAIT_MS)
    frame = wait_for_map(page, len(districts))
    # Hover a large district without offers in it: its tooltip lists the district's figures.
    index = int((districts[settings.DISTRICT_NAME] == "Auf der Heide").to_numpy().argmax())
    frame.locator("path.leaflet-interactive").nth(index).hover(force=True)
    tooltip = frame.locator(".leaflet-tooltip.pa-tip")
    expect(tooltip).to_contain_text("Auf der Heide")
    expect(tooltip).to_contain_text("Einwohner")
    expect(tooltip).to_contain_text("Kinder in Reichweite")
    page.wait_for_timeout(200)
    page.screenshot(path=artifacts / "e2e_karte.png")

    assert any(u.endswith("/app/static/leaflet/leaflet.js") for u in page.requests), "Leaflet not from static/"
    assert not foreign_hosts(page.requests), f"requests left the machine: {sorted(foreign_hosts(page.requests))}"
    assert page.errors == []


def test_year_chosen_on_the_overview_holds_on_the_map_page(app_url, page, districts):
    page.goto(app_url)
    sidebar = page.locator('[data-testid="stSidebar"]')
    year = sidebar.get_by_role("combobox", name="Jahr")
    expect(year).to_have_value("2024", timeout=WAIT_MS)
    year.click()
    page.get_by_role("option", name="2023").click()
    expect(page.get_by_role("heading", name="Kennzahlen 2023")).to_be_visible(timeout=WAIT_MS)

    sidebar.get_by_role("link", name="Karte").click()
    frame = wait_for_map(page, len(districts))
    expect(year).to_have_value("2023")
    expect(frame.locator(".pa-legend")).to_contain_text("Sozialstatus 2023")

    # Other maps on the same page: an indicator, then reach circles; no script error while old maps go.
    page.get_by_role("combobox", name="Flächenfarbe").click()
    page.get_by_role("option", name="SGB-II-Quote Kinder unter 15 Jahren").click()
    expect(page.get_by_role("combobox", name="Klasseneinteilung")).to_have_value(re.compile("Quantile"))
    frame = wait_for_map(page, len(districts))
    expect(frame.locator(".pa-legend")).to_contain_text("SGB-II-Quote", timeout=WAIT_MS)
    page.get_by_text("Reichweiten-Kreise zeigen").click()
    page.wait_for_timeout(300)  # the rerun starts
    frame = wait_for_map(page, len(districts))
    expect(frame.locator(".pa-legend")).to_contain_text("Reichweite (Luftlinie)", timeout=WAIT_MS)
    assert not foreign_hosts(page.requests)
    assert page.errors == []


def test_downloaded_map_opens_offline(app_url, page, browser, artifacts, tmp_path, districts):
    page.goto(f"{app_url}/Karte")
    wait_for_map(page, len(districts))
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
