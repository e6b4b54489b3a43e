"""The Steckbrief page in a real browser: opened by address, another district chosen, the PDF downloaded."""

from __future__ import annotations

import pytest
from pypdf import PdfReader

from tests.e2e.test_browser import WAIT_MS, foreign_hosts

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect

#: Settled: Streamlit runs no script and shows no stale element.
_SETTLED_JS = """
() => !document.querySelector('[data-testid="stStatusWidgetRunningIcon"]')
      && document.querySelectorAll('[data-stale="true"]').length === 0
"""


def settled(page) -> None:
    page.wait_for_function(_SETTLED_JS, timeout=WAIT_MS, polling=100)


def indicator_table(page):
    """The table under the heading "Indikatoren" (the second st.table of the page: after the key figures come
    the indicators)."""
    return page.get_by_test_id("stTable").filter(has_text="Ø Sozialräume")


def test_profile_opened_by_address_chosen_and_downloaded(app_url, page, artifacts, tmp_path):
    page.goto(f"{app_url}/Steckbrief?sozialraum=0108")
    expect(page.get_by_role("heading", name="Zechenkolonie")).to_be_visible(timeout=WAIT_MS)
    table = indicator_table(page)
    expect(table).to_be_visible(timeout=WAIT_MS)
    expect(table).to_contain_text("SGB-II-Quote Kinder unter 15 Jahren")
    expect(table).to_contain_text("Arbeitslosenquote")
    expect(page.get_by_text("Sozialraum-Nr. 0108 · Stadtbezirk Mitte")).to_be_visible()
    expect(page.get_by_text("Status niedrig", exact=True).first).to_be_visible()
    settled(page)
    page.screenshot(path=artifacts / "e2e_steckbrief_0108.png", full_page=True)

    chooser = page.get_by_role("combobox", name="Sozialraum")
    chooser.click()
    page.get_by_role("option", name="0101 – Altstadt").click()
    expect(page.get_by_role("heading", name="Altstadt", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Zechenkolonie")).to_have_count(0, timeout=WAIT_MS)
    expect(page).to_have_url(f"{app_url}/Steckbrief?sozialraum=0101", timeout=WAIT_MS)
    settled(page)

    button = page.get_by_role("button", name="Steckbrief als PDF herunterladen (A4, eine Seite)")
    with page.expect_download(timeout=WAIT_MS) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "steckbrief_0101_Altstadt_2024.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    data = path.read_bytes()
    assert data.startswith(b"%PDF")
    pdf = PdfReader(path)
    assert len(pdf.pages) == 1
    text = pdf.pages[0].extract_text()
    assert "Sozialraumsteckbrief: Altstadt" in text and "Sozialraum-Nr. 0101" in text
    page.screenshot(path=artifacts / "e2e_steckbrief_0101.png", full_page=True)
    assert not foreign_hosts(page.requests), sorted(foreign_hosts(page.requests))
    assert not page.errors


def test_unknown_number_shows_a_notice_and_the_chooser(app_url, page):
    page.goto(f"{app_url}/Steckbrief?sozialraum=9999")
    expect(page.get_by_text("Einen Sozialraum mit der Sozialraum-Nr. „9999“ gibt es in diesen Daten nicht."))\
        .to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("combobox", name="Sozialraum")).to_be_visible()
    expect(indicator_table(page)).to_have_count(0)
