"""Scenarios in a real browser: create one in a practice copy, choose it in the sidebar, compare it with the Bestand.

The planner makes a practice copy of the demo (page Daten), creates scenario "Neues FGZ" on the page Szenarien and
adds an FGZ by longitude/latitude in the FGZ gap district with the most children of the target group. The sidebar's
"Szenario" then switches the Übersicht to it (banner, the FGZ key figure as the analysis of the scenario gives it),
and the page Szenarien shows the maps A | B and the difference map, each with every district drawn.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from app_pages import _shared as ui
from geo import settings
from geo.analysis import analyse, column
from geo.analysis.compare import compare
from geo.analysis.compare import headline as headline_of
from geo.analysis.protect import protected_totals
from geo.analysis.scenarios import SCENARIO_COLUMNS, scenario_dataset
from geo.crs import transform_xy
from geo.demo import load_demo
from geo.formatting import format_number
from geo.render.compare_tables import target_words
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e
_sync_api = pytest.importorskip("playwright.sync_api")
expect, PlaywrightError = _sync_api.expect, _sync_api.Error

WAIT_MS = 90_000
FOLDER = "e2e_scenarios"
NAME = "Neues FGZ"
#: Settled: Streamlit idle, nothing stale, ``nMaps`` map frames, each with every district and its legend drawn.
_MAPS_SETTLED_JS = """
([title, nMaps, nPolygons, legendText]) => {
  const frames = [...document.querySelectorAll(`iframe[title="${title}"]`)];
  if (document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')) { return false; }
  if (document.querySelectorAll('[data-stale="true"]').length) { return false; }
  if (frames.length !== nMaps) { return false; }
  return frames.every(f => {
    const doc = f.contentDocument;
    const legend = doc && doc.querySelector('.pa-legend');
    return !!doc && doc.querySelectorAll('path.leaflet-interactive').length >= nPolygons && !!legend
      && legend.textContent.length > 0;
  }) && frames.some(f => f.contentDocument.querySelector('.pa-legend').textContent.includes(legendText));
}
"""


@pytest.fixture(scope="module")
def plan():
    """Where the new FGZ goes (lon/lat text as typed) and the FGZ figure of the Übersicht before and after."""
    demo = load_demo()
    result = analyse(demo)
    d = result.districts
    gaps = d[d[column("gap", "fgz")]].sort_values(column("target", "fgz"), ascending=False)
    site = gaps.geometry.iloc[0].representative_point()
    lon, lat = transform_xy(np.array([site.x]), np.array([site.y]), settings.METRIC_CRS, settings.MAP_CRS)
    lon_text, lat_text = f"{lon[0]:.5f}".replace(".", ","), f"{lat[0]:.5f}".replace(".", ",")
    x, y = transform_xy(np.array([float(lon_text.replace(",", "."))]), np.array([float(lat_text.replace(",", "."))]),
                        settings.MAP_CRS)
    row = {c: "" for c in SCENARIO_COLUMNS}
    row.update(scenario=NAME, step=1.0, action="add", offer_id="S-1", offer_type="fgz", name="FGZ Planung",
               capacity=float("nan"), x=float(x[0]), y=float(y[0]), source="manual")
    variant, _ = scenario_dataset(dataclasses.replace(demo, scenarios=pd.DataFrame([row])), NAME)

    def figure(dataset) -> str:
        share = protected_totals(analyse(dataset))[column("share_in_need_reached", "fgz")].value
        return f"{format_number(100 * share)} %"

    after = analyse(variant)
    headline = headline_of(compare(result, after), "fgz", target_words(result, after, "fgz"))
    assert headline.startswith("+")
    return {"lon": lon_text, "lat": lat_text, "before": figure(demo), "after": figure(variant), "headline": headline,
            "districts": len(d), "district": str(gaps[settings.DISTRICT_NAME].iloc[0])}


def choose(page, label: str, option: str, *, within=None) -> None:
    (within or page).get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def settled(page) -> None:
    """Wait until Streamlit has finished the rerun a widget change started."""
    page.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidgetRunningIcon\"]') && "
                           "document.querySelectorAll('[data-stale=\"true\"]').length === 0", timeout=WAIT_MS)


def type_in(page, label: str, text: str) -> None:
    """Type into a text field and commit it (Enter); settled once the app has finished and the field holds ``text``.

    A rerun started by the previous widget may still redraw the field while the text goes in (the new node then shows
    the server's old value): first there must be exactly one such field, then the text is typed again until the
    settled page keeps it.
    """
    field = page.get_by_label(label)
    for _ in range(5):
        settled(page)
        # a rerun may still show the field of the form before it beside the new one (a stale node, not yet marked)
        expect(field).to_have_count(1, timeout=WAIT_MS)
        try:
            field.fill(text)
            field.press("Enter")
        except PlaywrightError as err:  # the second node came back between the count and the fill: try again
            if "strict mode violation" not in str(err):
                raise
            continue
        settled(page)
        if field.input_value() == text:
            return
    expect(field).to_have_value(text)


def fgz_metric(page):
    return page.locator('[data-testid="stMetric"]').filter(has_text="FGZ").locator('[data-testid="stMetricValue"]')


def test_choose_a_scenario_and_compare_it(app_url, page, plan):
    assert plan["before"] != plan["after"]
    sidebar = page.locator('[data-testid="stSidebar"]')
    # 1. a practice copy of the demo (the demo itself is read-only)
    page.goto(f"{app_url}/Daten")
    expect(page.get_by_role("heading", name="Daten hochladen")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Name der Stadt, Gemeinde oder des Kreises").fill("Szenarienübung")
    page.locator('[data-testid="stCheckbox"]').filter(has_text="Übungskopie der Demo").click()
    page.get_by_role("button", name="Arbeitsbereich anlegen").click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        "Arbeitsbereich „Szenarienübung“ angelegt", timeout=WAIT_MS)

    # 2. the scenario with one new FGZ, typed as longitude/latitude
    page.get_by_role("link", name="Szenarien").click()
    expect(page.get_by_role("heading", name="Szenarien", exact=True)).to_be_visible(timeout=WAIT_MS)
    page.get_by_text("Anlegen und bearbeiten", exact=True).click()
    page.get_by_label("Name des Szenarios").fill(NAME)
    page.get_by_label("Annahmen (optional)").fill("Räume in der Grundschule ab 2027")
    page.get_by_role("button", name="Szenario anlegen").click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        f"Szenario „{NAME}“ angelegt", timeout=WAIT_MS)
    choose(page, "Angebotsart", "Familiengrundschulzentrum")
    settled(page)
    type_in(page, "Name des Angebots", "FGZ Planung")
    type_in(page, "Längengrad", plan["lon"])
    type_in(page, "Breitengrad", plan["lat"])
    page.get_by_role("button", name="Änderung prüfen").click()
    settled(page)
    screenshot(page, FOLDER, "vorschau", full_page=True)
    expect(page.get_by_text(f"Vorschau für „{NAME}“")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Im Szenario speichern").click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        f"Gespeichert im Szenario „{NAME}“", timeout=WAIT_MS)
    screenshot(page, FOLDER, "szenario_bearbeitet", full_page=True)

    # 3. the Übersicht in the Bestand, then with the scenario chosen in the sidebar
    page.get_by_role("link", name="Übersicht").click()
    expect(fgz_metric(page)).to_have_text(plan["before"], timeout=WAIT_MS)
    choose(page, "Szenario", NAME, within=sidebar)
    banner = page.locator('[data-testid="stAlertContentWarning"]').filter(has_text="Planungsvariante")
    expect(banner).to_contain_text(f"Szenario „{NAME}“ – kein Bestand, nur Planungsvariante", timeout=WAIT_MS)
    expect(fgz_metric(page)).to_have_text(plan["after"], timeout=WAIT_MS)
    screenshot(page, FOLDER, "uebersicht_szenario")

    # 4. the comparison: Bestand (A) → the scenario (B), maps side by side and the difference map
    page.get_by_role("link", name="Szenarien").click()
    page.get_by_text("Vergleichen", exact=True).click()
    expect(page.get_by_role("heading", name="Vergleich A → B")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Kennzahlen je Angebotsart")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(plan["headline"], exact=False)).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("heading", name="Karten: A | B und Differenz").evaluate(
        "e => e.scrollIntoView({block: 'start'})")
    # the settled state is the difference map of the type whose offers changed (any difference legend says "mehr in
    # Reichweite"; a first render may still show another type)
    page.wait_for_function(_MAPS_SETTLED_JS, arg=[ui.MAP_TITLE, 3, plan["districts"], "FGZ neu (1)"],
                           timeout=WAIT_MS, polling=200)
    frames = page.locator(f'iframe[title="{ui.MAP_TITLE}"]')
    boxes = [frames.nth(i).bounding_box() for i in range(3)]
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2 and boxes[0]["x"] < boxes[1]["x"]  # A | B side by side
    screenshot(page, FOLDER, "vergleich_karten")
    legends = [frames.nth(i).content_frame.locator(".pa-legend").text_content() for i in range(3)]
    assert legends[0].startswith("A: Bestand") and legends[1].startswith(f"B: {NAME}"), legends
    assert "mehr in Reichweite" in legends[2] and "FGZ neu (1)" in legends[2], legends[2]
    frames.nth(2).scroll_into_view_if_needed()
    screenshot(page, FOLDER, "differenzkarte")
    assert page.errors == []
