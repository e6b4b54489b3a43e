"""The Präventionskette in a real browser: the Ketten-Matrix on the Analyse page, its sorting and the chain map."""

from __future__ import annotations

import pytest

from app_pages import _chain
from app_pages import _shared as ui
from geo.analysis import analyse
from geo.analysis.chain import MISSING, chain_matrix
from geo.demo import load_demo
from geo.render import chain_tables
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect

WAIT_MS = 60_000
FOLDER = "test_chain_matrix_sorts_and_maps"
#: The chain map is the only map of the Analyse page: settled when Streamlit is idle, nothing is stale and its
#: frame shows every district with the chain legend.
_MAP_SETTLED_JS = """
([title, nPolygons]) => {
  const frames = [...document.querySelectorAll(`iframe[title="${title}"]`)];
  const doc = frames.length === 1 ? frames[0].contentDocument : null;
  const legend = doc && doc.querySelector('.pa-legend');
  return !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
    && document.querySelectorAll('[data-stale="true"]').length === 0
    && !!doc && doc.querySelectorAll('path.leaflet-interactive').length === nPolygons
    && !!legend && legend.textContent.includes('fehlende Glieder');
}
"""


@pytest.fixture(scope="module")
def chain():
    dataset = load_demo()
    return chain_matrix(analyse(dataset), dataset.offer_types, dataset.phases)


def first_row(grid):
    """The first data row of the grid (glide-data-grid's accessible table: row 1 is the header)."""
    return grid.locator('[role="row"][aria-rowindex="2"]')


def test_chain_matrix_sorts_and_maps(app_url, page, chain):
    page.goto(f"{app_url}/Analyse")
    heading = page.get_by_role("heading", name="Präventionskette")
    expect(heading).to_be_visible(timeout=WAIT_MS)
    # the grid draws on a canvas; its accessible table (hidden from the accessibility tree, so found by CSS)
    # holds the header and the rows in view
    grid = page.locator(f".st-key-{_chain.MATRIX_KEY}").get_by_test_id("stDataFrame")
    expect(grid).to_have_count(1, timeout=WAIT_MS)
    grid.evaluate("e => e.scrollIntoView({block: 'center'})")
    expect(grid.locator('[role="columnheader"]').last).to_be_attached(timeout=WAIT_MS)
    n = len(chain.districts)
    expect(grid.locator('[role="grid"]')).to_have_attribute("aria-rowcount", str(n + 1), timeout=WAIT_MS)
    headers = grid.locator('[role="columnheader"]').all_inner_texts()
    assert headers[:2] == ["Sozialraum", "fehlende Glieder"]
    assert [h for h in headers if h in chain_tables.phase_headers(chain).values()] == list(
        chain_tables.phase_headers(chain).values())

    # default order: most missing links first; the top row has a ✘ in every one of its missing links
    by_missing = chain_tables.matrix_table(chain, by="missing")
    top = by_missing.iloc[0]
    expect(first_row(grid)).to_contain_text(str(top["Sozialraum"]), timeout=WAIT_MS)
    assert first_row(grid).inner_text().count(MISSING) >= int(top["fehlende Glieder"]) > 0
    screenshot(page, FOLDER, "matrix_by_missing")

    page.get_by_text(chain_tables.SORTS["name"]).click()
    by_name = chain_tables.matrix_table(chain, by="name")
    expect(first_row(grid)).to_contain_text(str(by_name.iloc[0]["Sozialraum"]), timeout=WAIT_MS)
    screenshot(page, FOLDER, "matrix_by_name")

    page.get_by_text(chain_tables.SORTS["missing"]).click()
    expect(first_row(grid)).to_contain_text(str(top["Sozialraum"]), timeout=WAIT_MS)
    expect(first_row(grid)).to_contain_text(MISSING)

    page.get_by_role("heading", name="Karte: fehlende Glieder je Sozialraum").evaluate(
        "e => e.scrollIntoView({block: 'start'})")
    page.wait_for_function(_MAP_SETTLED_JS, arg=[ui.MAP_TITLE, n], timeout=WAIT_MS, polling=100)
    frame = page.frame_locator(f'iframe[title="{ui.MAP_TITLE}"]')
    legend = frame.locator(".pa-legend")
    worst = int(chain.districts["missing"].max())
    expect(legend).to_contain_text(f"{worst} fehlende Glieder" if worst > 1 else "1 fehlendes Glied")
    expect(legend).to_contain_text("Am häufigsten fehlt")
    screenshot(page, FOLDER, "chain_map")
    assert page.errors == []
