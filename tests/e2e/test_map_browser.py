"""The web map in a real browser: every gap at a glance, tooltips that stay visible, a click that opens the
Steckbrief, a notice when the background cannot be loaded. Screenshots go to ``test-artifacts/<test>/``."""

from __future__ import annotations

import re

import pytest

from geo import settings
from geo.analysis import analyse
from geo.demo import load_demo
from geo.render.web import leaflet
from tests.e2e.test_browser import CURRENT_MAP_FRAME, WAIT_MS, wait_for_map, wait_for_map_page

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect

SIZES = {"1280x800": (1280, 800), "1920x1080": (1920, 1080)}
#: Background tiles as the default settings fetch them; the tests answer them with a network error.
TILES = re.compile(r"^https?://[^/]*tile\.openstreetmap\.org/")

#: Boxes (left, top, right, bottom) of the map, its open district tooltip and its controls, in the frame's pixels.
_BOXES_JS = """() => {
  const box = e => { const b = e.getBoundingClientRect(); return [b.left, b.top, b.right, b.bottom]; };
  const tip = document.querySelector('.leaflet-tooltip.pa-tip');
  return {map: box(document.querySelector('.leaflet-container')), tip: tip ? box(tip) : null,
          controls: [...document.querySelectorAll('.leaflet-control')].map(box).filter(b => b[2] > b[0] && b[3] > b[1]),
          legend: box(document.querySelector('.pa-legend'))};
}"""

#: The first point from (x, y) stepping by (dx, dy) that lies on a district (not on a symbol or control).
_DISTRICT_AT_JS = """([x, y, dx, dy]) => {
  for (let i = 0; i < 400; i++, x += dx, y += dy) {
    const e = document.elementFromPoint(x, y);
    if (!e) { return null; }
    if (e.matches('path.leaflet-interactive')) { return [x, y]; }
  }
  return null;
}"""


@pytest.fixture(scope="module")
def districts():
    return analyse(load_demo()).districts


def map_frame(page):
    """The current map's frame as a Playwright Frame (for evaluate) and its box on the page."""
    handle = page.locator(CURRENT_MAP_FRAME).element_handle()
    return handle.content_frame(), handle.bounding_box()


def overlap(a, b) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def hover_tooltip(page, at: tuple[float, float]) -> dict:
    """Move the pointer to ``at`` (frame pixels); return the boxes once the district tooltip is open there."""
    page.locator(CURRENT_MAP_FRAME).evaluate("e => e.scrollIntoView({block: 'center'})")  # the whole map in view
    frame, box = map_frame(page)
    page.mouse.move(box["x"] + at[0], box["y"] + at[1])
    frame.wait_for_function("() => !!document.querySelector('.leaflet-tooltip.pa-tip')", timeout=WAIT_MS)
    return frame.evaluate(_BOXES_JS)


def assert_fully_visible(boxes: dict, where: str) -> None:
    tip, frame_box = boxes["tip"], boxes["map"]
    assert tip is not None, where
    assert (tip[0] >= frame_box[0] and tip[1] >= frame_box[1] and tip[2] <= frame_box[2]
            and tip[3] <= frame_box[3]), f"{where}: tooltip {tip} leaves the map {frame_box}"
    for control in boxes["controls"]:
        assert overlap(tip, control) == 0, f"{where}: tooltip {tip} under a control {control}"


def points_to_hover(frame) -> dict[str, tuple[float, float]]:
    """Districts just above and left of the legend and at the map's edges (where tooltips used to be cut)."""
    b = frame.evaluate(_BOXES_JS)
    left, top, right, bottom = b["map"]
    legend = b["legend"]
    starts = {
        "above the legend": [legend[2] - 10, legend[1] - 8, -4, 0],
        "left of the legend": [legend[0] - 6, (legend[1] + legend[3]) / 2, -4, 0],
        "right edge": [right - 4, top + 60, 0, 4],
        "bottom edge": [(left + right) / 2, bottom - 4, 0, -2],
        "top edge": [(left + right) / 2, top + 4, 0, 2],
        "left edge": [left + 4, (top + bottom) / 2, 2, 0],
    }
    found = {name: frame.evaluate(_DISTRICT_AT_JS, start) for name, start in starts.items()}
    return {name: tuple(p) for name, p in found.items() if p is not None}


@pytest.mark.parametrize("size", list(SIZES))
def test_overview_leads_with_every_gap_and_keeps_tooltips_visible(app_url, page, artifacts, districts, size):
    out = artifacts / "test_map_browser"
    out.mkdir(exist_ok=True)
    page.set_viewport_size(dict(zip(("width", "height"), SIZES[size], strict=True)))
    page.goto(app_url)
    frame_locator = wait_for_map(page, len(districts), legend="Versorgungslücken: alle Angebotsarten")
    # Eichkamp lacks two types (FGZ, Familienbüro), Buchenhain and Lohfeld one each: hatched, outlined and numbered
    expect(frame_locator.locator(".pa-badge-icon .pa-badge")).to_have_count(3)
    assert sorted(frame_locator.locator(".pa-badge-icon .pa-badge").all_inner_texts()) == ["1", "1", "2"]
    expect(frame_locator.locator('path[fill="url(#pa-hatch)"]')).to_have_count(3)
    expect(frame_locator.locator(".leaflet-container")).to_have_attribute("aria-label", leaflet.MAP_TITLE)
    # the gap districts and the small Möwenteich (in need) are named at the default zoom
    frame, _ = map_frame(page)
    shown = frame.evaluate("""() => [...document.querySelectorAll('.pa-label span')]
        .filter(s => s.style.visibility !== 'hidden').map(s => s.textContent)""")
    assert {"Eichkamp", "Buchenhain", "Lohfeld", "Möwenteich"} <= set(shown)
    page.locator(CURRENT_MAP_FRAME).scroll_into_view_if_needed()
    page.screenshot(path=out / f"uebersicht_{size}.png")

    points = points_to_hover(frame)
    assert {"above the legend", "left of the legend"} & set(points), points
    for where, point in points.items():
        boxes = hover_tooltip(page, point)
        assert_fully_visible(boxes, where)
        page.screenshot(path=out / f"uebersicht_{size}_tooltip_{where.replace(' ', '_')}.png")
    # the top-5 list beside the map: all four gaps, across two types
    expect(page.get_by_text("Die größten Versorgungslücken")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^4\. Lohfeld – Familienbüro")).first).to_be_visible()
    assert page.errors == []


def test_karte_tooltips_stay_off_the_legend_and_the_legend_folds(app_url, page, artifacts, districts):
    out = artifacts / "test_map_browser"
    out.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_url}/Karte")
    frame_locator = wait_for_map_page(page, len(districts), legend="Versorgungslücken: alle Angebotsarten")
    frame, _ = map_frame(page)
    for where, point in points_to_hover(frame).items():
        assert_fully_visible(hover_tooltip(page, point), where)
        page.screenshot(path=out / f"karte_1280x800_tooltip_{where.replace(' ', '_')}.png")
    toggle = frame_locator.get_by_role("button", name=re.compile("Sozialstatus 2024"))
    expect(toggle).to_have_attribute("aria-expanded", "true")
    toggle.focus()
    toggle.press("Enter")  # a real button: the keyboard folds the legend too
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(frame_locator.get_by_text("Status hoch (unter")).to_be_hidden()
    page.screenshot(path=out / "karte_1280x800_legend_folded.png")
    # keyboard: the map takes the focus and zooms with "+" (Leaflet's keyboard navigation)
    zoom = frame.evaluate("() => window.map.getZoom()")
    frame_locator.locator(".leaflet-container").focus()
    page.keyboard.press("+")
    frame.wait_for_function("z => window.map.getZoom() > z", arg=zoom, timeout=WAIT_MS)


def test_click_on_a_district_opens_its_profile(app_url, page, districts):
    page.goto(app_url)
    frame_locator = wait_for_map(page, len(districts), legend="Versorgungslücken: alle Angebotsarten")
    index = int((districts[settings.DISTRICT_NAME] == "Eichkamp").to_numpy().argmax())
    frame_locator.locator("path.leaflet-interactive").nth(index).click()
    expect(page).to_have_url(re.compile(r"/Steckbrief\?sozialraum=0401$"), timeout=WAIT_MS)
    assert page.errors == []


def test_top_gap_entries_link_to_the_profiles(app_url, page, districts):
    page.goto(app_url)
    wait_for_map(page, len(districts), legend="Versorgungslücken: alle Angebotsarten")
    link = page.get_by_role("link", name=re.compile(r"^3\. Buchenhain – FGZ"))  # after Eichkamp's FGZ and Familienbüro
    expect(link).to_have_attribute("href", re.compile(r"Steckbrief\?sozialraum=0305$"))


def test_background_out_of_reach_is_said_in_the_map_and_not_asked_again(app_url, page, artifacts, districts):
    out = artifacts / "test_map_browser"
    out.mkdir(exist_ok=True)
    page.context.route(TILES, lambda route: route.abort("internetdisconnected"))  # no network for the tiles
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto(f"{app_url}/Karte")
    wait_for_map_page(page, len(districts), legend="Sozialstatus 2024")
    page.get_by_text(leaflet.TILES["osm"], exact=True).click()
    frame_locator = wait_for_map(page, len(districts), legend="Sozialstatus 2024")
    notice = frame_locator.locator(".pa-notice")
    expect(notice).to_have_text(leaflet.TILE_NOTICE, timeout=WAIT_MS)
    expect(notice).to_have_attribute("role", "status")
    expect(frame_locator.locator(".leaflet-tile-pane img")).to_have_count(0)  # the failing layer is gone
    asked = sum(bool(TILES.match(u)) for u in page.requests)
    assert asked > 0
    frame_locator.get_by_role("button", name=leaflet.CONTROL_TITLES["zoomIn"]).click()
    frame, _ = map_frame(page)
    frame.wait_for_function("() => !document.querySelector('.leaflet-zoom-anim')", timeout=WAIT_MS)
    assert sum(bool(TILES.match(u)) for u in page.requests) == asked  # no new tile request after zooming
    page.locator(CURRENT_MAP_FRAME).scroll_into_view_if_needed()
    page.screenshot(path=out / "karte_osm_offline.png")
    assert page.errors == []
