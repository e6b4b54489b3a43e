"""Every page in a US-English Chromium: German throughout, German numbers, reachable by keyboard, and an axe scan.

The browser runs with ``--lang=en-US`` and an en-US context on purpose: Streamlit's own texts and number formats
follow the browser, so this is where English would show. Each page is screenshotted (1280×900) into
``test-artifacts/pages/``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from app_pages import _shared as ui
from tests.e2e.conftest import screenshot
from tests.e2e.test_browser import WAIT_MS

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect
axe_playwright = pytest.importorskip("axe_playwright_python.sync_playwright")

#: Streamlit 1.67's English interface texts (frontend bundle) that static/ui/german.js translates; none may be
#: visible. Whole phrases, so German words around them ("Browser") do not count.
ENGLISH = (
    "Upload", "Browse files", "Drag and drop", "per file", "Select all", "Clear all", "Choose an option",
    "Choose options", "No results", "No options to select", "Press Enter to", "Running...", "Made with Streamlit",
    "Skip to main content", "Type to search", "Rerun", "Record a screencast", "Record screen", "Clear cache",
    "Show/hide columns", "Print", "Settings", "About",
)
#: Rules whose findings lie in Streamlit's own markup, which the app cannot change, and exactly where:
#: Streamlit 1.67 wraps each ``<li>`` of the page navigation in a ``<div>`` inside the ``<ul>``.
AXE_EXEMPT = {
    "list": '[data-testid="stSidebarNavItems"]',
    "listitem": '[data-testid="stSidebarNavItems"] li',
}
#: An English thousands separator: "1,809" (German "1,809" would be a decimal with three places, which no page
#: shows: shares are percentages, distances have at most one decimal).
ENGLISH_THOUSANDS = re.compile(r"(?<![\d.,])\d{1,3}(?:,\d{3})+(?![\d,])")

# Settled: Streamlit runs no script, nothing is stale, no element is still loading (skeleton), the page title is
# drawn, the frame's script has set lang="de", and every map frame is mounted with its German title and has drawn
# its districts.
_SETTLED_JS = """
([mapTitle]) => {
  const frames = [...document.querySelectorAll('iframe[data-testid="stCustomComponentV1"]')];
  const state = {
    running: !!document.querySelector('[data-testid="stStatusWidgetRunningIcon"]'),
    stale: document.querySelectorAll('[data-stale="true"]').length,
    loading: document.querySelectorAll('[data-testid^="stSkeleton"], [data-testid="stAppSkeleton"]').length,
    title: !!document.querySelector('[data-testid="stMain"] h1'),
    lang: document.documentElement.lang,
    frames: frames.map(f => {
      const doc = f.contentDocument;
      return [f.title, f.getAttribute('width'), doc ? doc.querySelectorAll('path.leaflet-interactive').length : -1];
    }),
  };
  window.__paPageState = state;
  return !state.running && state.stale === 0 && state.loading === 0 && state.title && state.lang === 'de'
    && state.frames.every(([title, width, polygons]) => title === mapTitle && width !== '-1' && polygons > 0);
}
"""


def page_url(app_url: str, script: str) -> str:
    """The URL of a page of ``ui.PAGES``: the first is the root, the others are named after their file."""
    if script == ui.PAGES[0][0]:
        return app_url + "/"
    return f"{app_url}/{Path(script).stem.split('_', 1)[1]}"


def open_settled(page, url: str) -> None:
    """Open ``url`` and wait for the settled page (see ``_SETTLED_JS``)."""
    page.goto(url)
    try:
        page.wait_for_function(_SETTLED_JS, arg=[ui.MAP_TITLE], timeout=WAIT_MS, polling=100)
    except Exception as err:  # Playwright's TimeoutError says nothing about what was on the page
        raise AssertionError(f"page not settled: {page.evaluate('() => window.__paPageState')}") from err


def visible_text(page) -> str:
    """The text a person sees on the page and in its frames (the map's legend and labels)."""
    texts = [page.evaluate("() => document.body.innerText")]
    for frame in page.frames[1:]:
        texts.append(frame.evaluate("() => document.body ? document.body.innerText : ''"))
    return "\n".join(texts)


def english_left(text: str) -> list[str]:
    return [s for s in ENGLISH if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text)]


def serious_violations(page) -> list[str]:
    """axe-core's serious and critical findings on the page and in its frames, as "rule: selector" lines."""
    axe = axe_playwright.Axe()
    for frame in page.frames[1:]:  # axe tests a frame only where it was injected too
        frame.evaluate(axe.axe_script)
    results = axe.run(page, options={"resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        if violation["impact"] not in ("serious", "critical"):
            continue
        for node in violation["nodes"]:
            target = node["target"][-1] if isinstance(node["target"][-1], str) else node["target"][-1][-1]
            exempt = AXE_EXEMPT.get(violation["id"])
            if exempt and len(node["target"]) == 1 and page.evaluate(
                "([target, exempt]) => document.querySelector(target)?.matches(exempt) ?? false", [target, exempt]
            ):
                continue
            found.append(f"{violation['id']} ({violation['impact']}): {' > '.join(map(str, node['target']))} – "
                         f"{node['failureSummary'].splitlines()[-1].strip()}")
    return found


@pytest.mark.parametrize(("script", "title"), [(s, t) for s, t, _ in ui.PAGES], ids=[t for _, t, _ in ui.PAGES])
def test_page_is_german_and_accessible(english_page, app_url, script, title):
    """lang="de", no English Streamlit text, no "1,809", German map title, 0 serious axe findings."""
    page = english_page
    open_settled(page, page_url(app_url, script))
    position = [s for s, _, _ in ui.PAGES].index(script)
    screenshot(page, "pages", f"{position}_{title}")
    assert page.evaluate("() => document.documentElement.lang") == "de"
    assert page.get_by_test_id("stSidebar").get_attribute("aria-label") == "Seitenleiste"
    text = visible_text(page)
    assert english_left(text) == [], f"English Streamlit text on {title}"
    assert ENGLISH_THOUSANDS.findall(text) == [], f"English number format on {title}"
    violations = serious_violations(page)
    assert violations == [], f"axe on {title}:\n" + "\n".join(violations)
    assert page.errors == []


def test_opened_choosers_and_uploader_are_german(english_page, app_url):
    """What appears only on use: the multiselect's list ("Alle auswählen", "Keine Treffer"), the main menu and
    the uploader."""
    page = english_page
    open_settled(page, f"{app_url}/Analyse")
    page.get_by_role("combobox", name="Stadtbezirk").click()
    listbox = page.get_by_role("listbox")
    expect(listbox).to_contain_text("Alle auswählen", timeout=WAIT_MS)
    expect(listbox).to_contain_text("Nordost")
    screenshot(page, "test_opened_choosers_and_uploader_are_german", "multiselect")
    assert english_left(visible_text(page)) == []
    page.keyboard.type("zzzz")
    expect(page.get_by_text("Keine Treffer", exact=True)).to_be_visible(timeout=WAIT_MS)
    assert english_left(visible_text(page)) == []
    page.keyboard.press("Escape")

    menu_button = page.get_by_test_id("stMainMenuButton")
    expect(menu_button).to_have_attribute("aria-label", "Hauptmenü")
    menu_button.click()
    menu = page.get_by_role("menu")
    expect(menu).to_contain_text("Drucken", timeout=WAIT_MS)
    expect(page.get_by_text(re.compile(r"^Erstellt mit Streamlit 1\.\d+"))).to_be_visible()
    screenshot(page, "test_opened_choosers_and_uploader_are_german", "main_menu")
    assert english_left(visible_text(page)) == []
    page.keyboard.press("Escape")

    # The demo is read-only; an empty city workspace of its own shows the uploader (this session only).
    open_settled(page, f"{app_url}/Daten")
    page.get_by_label("Name der Stadt, Gemeinde oder des Kreises").fill("Sprachprobe")
    page.get_by_role("button", name="Arbeitsbereich anlegen").click()
    expect(page.get_by_text("Arbeitsbereich: Sprachprobe")).to_be_visible(timeout=WAIT_MS)
    uploader = page.get_by_test_id("stFileUploaderDropzone")
    expect(uploader).to_contain_text("Datei auswählen", timeout=WAIT_MS)
    expect(uploader).to_contain_text("Höchstens 50 MB je Datei")
    screenshot(page, "test_opened_choosers_and_uploader_are_german", "uploader")
    assert english_left(visible_text(page)) == []
    violations = serious_violations(page)
    assert violations == [], "axe on Daten with the uploader:\n" + "\n".join(violations)


def test_table_numbers_are_german_in_an_english_browser(english_page, app_url):
    """The grid draws on a canvas; its search matches the text shown: "1.809" is there, "1,809" and "1809" not.

    Eichkamp has 1.809 Kinder 0–17: its row of the Analyse page's table of all Sozialräume (the second table).
    """
    page = english_page
    open_settled(page, f"{app_url}/Analyse")
    grid = page.get_by_test_id("stDataFrame").nth(1)
    expect(grid.locator("canvas").first).to_be_attached(timeout=WAIT_MS)
    # The toolbar shows on hover at the grid's top edge, where the page's sticky header or the grid's scroller
    # can take a real click: the click is dispatched to the button itself, and the open search box is awaited.
    grid.evaluate("e => e.scrollIntoView({block: 'center'})")
    grid.hover()
    button = grid.get_by_role("button", name="Suchen")
    expect(button).to_be_attached(timeout=WAIT_MS)
    button.dispatch_event("click")
    search = grid.get_by_test_id("search-input")
    expect(search).to_be_visible(timeout=WAIT_MS)
    status = grid.locator(".gdg-search-status")
    expect(status).to_have_text("Suchbegriff eingeben", timeout=WAIT_MS)
    for query, hits in (("1,809", "0 Treffer"), ("1809", "0 Treffer"), ("Eichkamp", "1 Treffer")):
        search.fill(query)
        expect(status).to_have_text(hits, timeout=WAIT_MS)
    search.fill("1.809")
    expect(status).not_to_have_text("0 Treffer", timeout=WAIT_MS)
    expect(status).to_have_text(re.compile(r"^\d+ Treffer$"))
    screenshot(page, "test_table_numbers_are_german_in_an_english_browser", "search")


def test_keyboard_reaches_sidebar_map_and_download(english_page, app_url):
    """Tab alone reaches the workspace chooser, the map (its Leaflet container) and the download button."""
    page = english_page
    open_settled(page, f"{app_url}/Karte")
    describe = """() => {
      let el = document.activeElement, where = '';
      while (el && el.tagName === 'IFRAME') { where += `[${el.title}] `; el = el.contentDocument?.activeElement; }
      if (!el) return where;
      const label = (el.getAttribute('aria-label') || el.innerText || '').replace(/\\s+/g, ' ').trim();
      return where + el.tagName + (el.classList.contains('leaflet-container') ? '.leaflet-container' : '')
        + ' ' + label.slice(0, 60);
    }"""
    reached: list[str] = []
    for _ in range(800):  # once round the page: Tab until the first control has the focus again
        page.keyboard.press("Tab")
        reached.append(page.evaluate(describe))
        if len(reached) > 1 and reached[-1] == reached[0]:
            break
    joined = "\n".join(reached)
    assert reached[-1] == reached[0], f"no full round within {len(reached)} presses:\n{joined}"
    assert "INPUT Arbeitsbereich" in reached, joined
    assert any(r.startswith(f"[{ui.MAP_TITLE}] DIV.leaflet-container") for r in reached), joined
    assert any(r.startswith("BUTTON") and "Karte als HTML-Datei" in r for r in reached), joined
