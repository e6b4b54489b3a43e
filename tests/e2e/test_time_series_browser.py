"""The district's time series in a real browser: the Steckbrief of a demo district draws the chart, and the table
under it holds the values of both stored years exactly as the indicator table (the demo's 2023 and 2024 rows)."""

from __future__ import annotations

import pytest

from geo import demo, settings
from geo.formatting import format_number
from tests.e2e.test_browser import WAIT_MS, foreign_hosts
from tests.e2e.test_profile_browser import settled

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect

DISTRICT = "0108"  # Zechenkolonie, Status niedrig
KEY = "sgb2_children_quota"


def stored_values() -> dict[int, str]:
    """The demo's SGB-II quota of the district per year, as the page writes it (German, one decimal)."""
    table = demo.load_demo().indicators
    rows = table[table[settings.DISTRICT_ID].astype(str) == DISTRICT]
    return {int(r[settings.YEAR]): format_number(float(r[KEY]), 1) for _, r in rows.iterrows()}


def test_time_series_chart_and_table_of_a_demo_district(app_url, page, artifacts):
    page.goto(f"{app_url}/Steckbrief?sozialraum={DISTRICT}")
    expect(page.get_by_role("heading", name="Zechenkolonie")).to_be_visible(timeout=WAIT_MS)
    caption = page.get_by_text("Zeitreihe SGB-II-Quote Kinder unter 15 Jahren (%), 2023–2024: dieser Sozialraum "
                               "und der Stadtdurchschnitt.")
    expect(caption).to_be_visible(timeout=WAIT_MS)
    chart = page.get_by_test_id("stVegaLiteChart").locator("canvas, svg").first
    expect(chart).to_be_visible(timeout=WAIT_MS)
    settled(page)
    box = chart.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 150, box

    table = page.get_by_test_id("stTable").filter(has_text="Stadtdurchschnitt")
    expect(table).to_have_count(1)
    rows = table.locator("tbody tr")
    expect(rows).to_have_count(2)
    shown = {int(r.locator("th, td").nth(0).inner_text()): r.locator("td").nth(1).inner_text()
             for r in rows.all()}
    assert shown == stored_values()

    facts = page.get_by_test_id("stTable").filter(has_text="Dynamikklasse")
    expect(facts.first).to_contain_text("2023–2024")
    page.get_by_test_id("stVegaLiteChart").scroll_into_view_if_needed()
    page.screenshot(path=artifacts / "e2e_time_series_0108.png", full_page=True)
    assert not foreign_hosts(page.requests), sorted(foreign_hosts(page.requests))
    assert not page.errors
