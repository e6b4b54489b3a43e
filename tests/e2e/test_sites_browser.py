"""Site suggestions in a real browser: request 2 FGZ, see them numbered on the map and ranked, save, compare."""

from __future__ import annotations

import os

import pytest

from geo.analysis import analyse
from geo.demo import load_demo
from tests.e2e.conftest import screenshot, serve_app
from tests.e2e.test_browser import WAIT_MS, foreign_hosts, wait_for_map

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect

FOLDER = "e2e_sites"
#: The demo's FGZ suggestion for k = 2 (tests/test_site_page.py computes the same figures).
SITES = ["GGS Buchenhain", "GGS Eichkamp"]
#: The first run of a fresh server loads the practice copy: longer than a rerun on a busy machine.
FIRST_MS = 3 * WAIT_MS
CHANGE = "+668 Kinder von 6 bis unter 10 Jahren in Reichweite, 2 Versorgungslücken geschlossen"


@pytest.fixture(scope="module")
def practice_url(tmp_path_factory):
    """The app on its own port over a data folder of its own whose default workspace is a practice copy of the demo."""
    from geo.store import create_workspace

    root = tmp_path_factory.mktemp("e2e-sites-data")
    create_workspace("Übung Standorte", root=root, demo_copy=True, make_default=True)
    env = {k: v for k, v in os.environ.items() if k != "PRAEVENTIONSATLAS_WORKSPACE"}
    env["PRAEVENTIONSATLAS_DATA"] = str(root)
    with serve_app(env, tmp_path_factory, "e2e-sites") as url:
        yield url


def test_request_two_fgz_see_them_save_as_scenario_and_compare(practice_url, page):
    n_districts = len(analyse(load_demo()).districts)
    page.goto(f"{practice_url}/Standorte")
    expect(page.get_by_role("heading", name="Standorte", exact=True)).to_be_visible(timeout=FIRST_MS)
    expect(page.locator('[data-testid="stSidebar"]').get_by_role("combobox", name="Arbeitsbereich")).to_have_value(
        "Übung Standorte (Übungskopie)", timeout=WAIT_MS)
    count = page.get_by_role("spinbutton", name="Neue Standorte")
    count.fill("2")
    count.press("Enter")
    expect(count).to_have_value("2", timeout=WAIT_MS)
    page.get_by_role("button", name="Standorte vorschlagen").click()

    # the map: every district, the one candidate not chosen (a circle marker), the two numbered sites
    frame = wait_for_map(page, n_districts + 1, legend="Standortvorschläge")
    expect(frame.locator(".pa-site")).to_have_text(["1", "2"], timeout=WAIT_MS)
    expect(frame.locator(".pa-legend")).to_contain_text("Familiengrundschulzentren (FGZ) (Bestand, bleiben gesetzt)")
    grid = page.locator(".st-key-sites_ranked").get_by_test_id("stDataFrame")
    expect(grid).to_have_count(1, timeout=WAIT_MS)
    grid.evaluate("e => e.scrollIntoView({block: 'center'})")
    expect(grid.locator('[role="grid"]')).to_have_attribute("aria-rowcount", "3", timeout=WAIT_MS)
    for rank, name in enumerate(SITES, start=1):
        expect(grid.locator(f'[role="row"][aria-rowindex="{rank + 1}"]')).to_contain_text(name)
    expect(page.get_by_text("Löserstatus: optimal gelöst")).to_be_visible()
    screenshot(page, FOLDER, "table")
    heading = page.get_by_role("heading", name="Vorschlag für Familiengrundschulzentren (FGZ): 2 neue Standorte")
    heading.scroll_into_view_if_needed()
    screenshot(page, FOLDER, "suggestion")

    page.get_by_label("Name des Szenarios").fill("Plan A")
    page.get_by_label("Name des Szenarios").press("Enter")
    page.get_by_role("button", name="Als Szenario speichern").click()
    saved = page.locator('[data-testid="stAlertContentSuccess"]').filter(has_text="Szenario „Plan A“ – kein Bestand")
    expect(saved).to_be_visible(timeout=WAIT_MS)
    expect(saved).to_contain_text("kein Bestand, nur Planungsvariante")
    expect(saved).to_contain_text(CHANGE)
    saved.scroll_into_view_if_needed()
    screenshot(page, FOLDER, "saved")
    assert not foreign_hosts(page.requests), f"requests left the machine: {sorted(foreign_hosts(page.requests))}"
    assert page.errors == []
