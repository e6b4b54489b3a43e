"""The Gesamtindex layer of the Karte in a real browser: the 4 × 3 legend with the analysis' counts, the districts
mit besonderem Aufmerksamkeitsbedarf outlined, tooltips naming the classes. Screenshots go to
``test-artifacts/test_gesamtindex_layer/``."""

from __future__ import annotations

import pytest

from geo import settings
from geo.analysis import analyse
from geo.analysis.dynamics import OVERALL_CLASSES
from geo.demo import load_demo
from geo.render.web import dynamics_map
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser import CURRENT_MAP_FRAME, WAIT_MS, wait_for_map, wait_for_map_page
from tests.e2e.test_map_browser import _BOXES_JS, _DISTRICT_AT_JS, map_frame

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect

FOLDER = "test_gesamtindex_layer"


@pytest.fixture(scope="module")
def result():
    return analyse(load_demo())


def test_gesamtindex_layer_shows_the_grid_counts_and_attention(app_url, page, result):
    d = result.districts
    n = len(d)
    page.goto(f"{app_url}/Karte")
    wait_for_map_page(page, n, legend="Statusindex")
    page.get_by_role("combobox", name="Flächenfarbe").click()
    page.get_by_role("option", name=dynamics_map.LABELS[dynamics_map.OVERALL]).click()
    period = result.dynamics.period
    frame = wait_for_map(page, n, legend=f"Gesamtindex {period} (Status × Dynamik)")
    expect(page.get_by_role("combobox", name="Klasseneinteilung")).to_be_disabled()

    cells = frame.locator(".pa-legend table.pa-grid td.pa-gv")
    expect(cells).to_have_count(12, timeout=WAIT_MS)
    counts = d["overall_class"].value_counts()
    assert [int(t) for t in cells.all_inner_texts()] == [int(counts.get(c, 0)) for c in OVERALL_CLASSES]
    assert cells.nth(8).get_attribute("title") == "Status niedrig, Dynamik negativ (3 −)"
    no_class = int((d["overall_class"] == "").sum())
    legend = frame.locator(".pa-legend")
    if no_class:
        expect(legend).to_contain_text(f"nicht klassifiziert ({no_class})")
    attention = int(d["attention"].sum())
    expect(legend).to_contain_text(f"dick umrandet ({attention})")
    # the outline (white halo and dark line) of every district with attention
    expect(frame.locator("path.pa-attention")).to_have_count(attention)
    screenshot(page, FOLDER, "karte_gesamtindex")
    legend.screenshot(path=str(screenshot(page, FOLDER, "page").parent / "legend.png"))

    # a tooltip names the district's Gesamtindex with its MSS code (or why it has none)
    page.locator(CURRENT_MAP_FRAME).evaluate("e => e.scrollIntoView({block: 'center'})")
    handle, box = map_frame(page)
    left, top, right, bottom = handle.evaluate(_BOXES_JS)["map"]
    at = handle.evaluate(_DISTRICT_AT_JS, [left + 20, (top + bottom) / 2, 3, 0])
    assert at is not None
    page.mouse.move(box["x"] - 40, box["y"] - 40)  # off the map first: no tooltip left open from a pass over it
    expect(frame.locator(".leaflet-tooltip.pa-tip")).to_have_count(0, timeout=WAIT_MS)
    page.mouse.move(box["x"] + at[0], box["y"] + at[1])
    tip = frame.locator(".leaflet-tooltip.pa-tip")
    expect(tip).to_have_count(1, timeout=WAIT_MS)
    row = d[d[settings.DISTRICT_NAME] == tip.locator("b").first.inner_text()].iloc[0]
    expected = (f"{row['overall_class']} ({row['overall_code']})" if row["overall_class"]
                else "nicht klassifiziert")
    expect(tip).to_contain_text(expected)
    screenshot(page, FOLDER, "tooltip")

    # the Dynamik layer: three classes with their counts
    page.get_by_role("combobox", name="Flächenfarbe").click()
    page.get_by_role("option", name=dynamics_map.LABELS[dynamics_map.DYNAMIC]).click()
    frame = wait_for_map(page, n, legend=f"Dynamik {period} (Dynamikindex)")
    counts = d["dynamic_class"].value_counts()
    for label, key in (("Dynamik positiv (Index unter −1)", "positiv"), ("Dynamik stabil (−1 bis +1)", "stabil"),
                       ("Dynamik negativ (Index über +1)", "negativ")):
        expect(frame.locator(".pa-legend")).to_contain_text(f"{label} ({int(counts.get(key, 0))})")
    screenshot(page, FOLDER, "karte_dynamik")

    # the change map of an indicator: brown … teal, in Prozentpunkten
    page.get_by_role("combobox", name="Flächenfarbe").click()
    page.get_by_role("option", name=dynamics_map.LABELS[dynamics_map.CHANGE]).click()
    frame = wait_for_map(page, n, legend="Prozentpunkte")
    expect(page.get_by_role("combobox", name="Vergleichsjahr", exact=True)).to_be_visible()
    screenshot(page, FOLDER, "karte_veraenderung")
    assert page.errors == []
