"""Uploads in a real browser: a German CSV is checked, confirmed and shown on the map; a bad one is refused."""

from __future__ import annotations

import re

import pytest

from geo.analysis import analyse
from geo.demo import load_demo
from tests.e2e.test_browser import WAIT_MS, foreign_hosts, wait_for_map, wait_for_map_page

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect

#: Two Familienzentren as Excel writes them: cp1252, semicolons, decimal comma, WGS84 Breite/Länge.
GOOD_CSV = (
    "Nr;Angebotsart;Name;Straße;PLZ;Ort;Breite;Länge\r\n"
    "FZ-1;Familienzentrum;Familienzentrum Sonnenhügel;Gartenweg 3;44100;Musterstadt;51,7195;7,7731\r\n"
    "FZ-2;Familienzentrum;Familienzentrum Ölmühle;Mühlenweg 9;44100;Musterstadt;51,6905;7,7412\r\n"
).encode("cp1252")
#: Row 3 (Excel's numbering, header = row 1) names a type the city has not configured.
BAD_CSV = (
    "Nr;Angebotsart;Name;Breite;Länge\r\n"
    "X-1;FGZ;Gut;51,7195;7,7731\r\n"
    "X-2;Hort;Unbekannte Art;51,6905;7,7412\r\n"
).encode("cp1252")


@pytest.fixture(scope="module")
def districts():
    return analyse(load_demo()).districts


#: The offers file's name: underscores, brackets, a dot after a digit, an asterisk pair and a backslash.
FILE_NAME = r"familien_zentren [2025] 1. Stand *neu* a\b.csv"


def upload(page, name: str, data: bytes) -> None:
    """Upload into the page's one file box, once a rerun has replaced the box of the previous kind."""
    boxes = page.locator('[data-testid="stFileUploader"]')
    expect(boxes).to_have_count(1, timeout=WAIT_MS)
    boxes.locator('input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": data}]
    )


def test_german_csv_upload_reaches_the_map_and_a_bad_file_is_refused(app_url, page, artifacts, districts):
    sidebar = page.locator('[data-testid="stSidebar"]')
    page.goto(f"{app_url}/Daten")
    expect(page.get_by_role("heading", name="Daten hochladen")).to_be_visible(timeout=WAIT_MS)
    # The demo is read-only: the planner creates a practice copy of it and works there.
    expect(page.get_by_text("Die Demo Musterstadt ist schreibgeschützt")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Name der Stadt, Gemeinde oder des Kreises").fill("Übung Browser")
    page.get_by_text("Übungskopie der Demo (enthält").click()
    page.get_by_role("button", name="Arbeitsbereich anlegen").click()
    expect(page.get_by_text("Arbeitsbereich: Übung Browser")).to_be_visible(timeout=WAIT_MS)

    upload(page, "falsch.csv", BAD_CSV)
    error = page.locator('[data-testid="stAlertContentError"]')
    expect(error).to_contain_text("Es wurde nichts gespeichert", timeout=WAIT_MS)
    expect(error).to_contain_text("Zeile 3:")
    expect(error).to_contain_text("Hort")
    expect(page.get_by_role("button", name=re.compile("übernehmen und speichern"))).to_have_count(0)
    page.screenshot(path=artifacts / "e2e_upload_fehler.png", full_page=True)

    # A file name full of Markdown characters: the Verlauf page shows it exactly as named, without escapes.
    upload(page, FILE_NAME, GOOD_CSV)
    expect(page.get_by_text("Was sich ändert")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Windows-1252")).to_be_visible()
    # The preview map: district outlines plus one circle per offer (79 in use, 45 of them Grundschulen, + 2 new).
    wait_for_map(page, len(districts) + 81)
    page.screenshot(path=artifacts / "e2e_upload_vorschau.png", full_page=True)
    page.get_by_role("button", name="Angebote übernehmen und speichern").click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        "Gespeichert: Angebote v2", timeout=WAIT_MS
    )
    page.screenshot(path=artifacts / "e2e_upload_gespeichert.png", full_page=True)

    sidebar.get_by_role("link", name="Karte").click()
    expect(page).to_have_url(re.compile(r"/Karte$"), timeout=WAIT_MS)
    wait_for_map_page(page, len(districts), legend="Familienzentr")
    page.screenshot(path=artifacts / "e2e_upload_karte.png")

    # Taking the offers out of use is an explicit, warned choice on the history page; nothing fills the gap.
    sidebar.get_by_role("link", name="Verlauf").click()
    expect(page.get_by_role("heading", name="Angebote")).to_be_visible(timeout=WAIT_MS)
    in_use = page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Die Analyse verwendet jetzt:")
    expect(in_use).to_contain_text(f"Angebote v2 ({FILE_NAME}, ", timeout=WAIT_MS)
    expect(page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="Arbeitsbereich:")).to_have_text(
        "Arbeitsbereich: Übung Browser")
    assert in_use.inner_text().count("\\") == 1  # the name's own backslash, no stray one of the escaping
    page.get_by_role("button", name="Angebote nicht mehr verwenden …").click()
    expect(page.locator('[data-testid="stAlertContentWarning"]')).to_contain_text(
        "Angebote aus der Analyse nehmen?", timeout=WAIT_MS
    )
    page.get_by_role("button", name="Ja, Angebote nicht mehr verwenden").click()
    expect(in_use).not_to_contain_text("Angebote v", timeout=WAIT_MS)
    expect(in_use).to_contain_text("Sozialräume v1")
    page.screenshot(path=artifacts / "e2e_verlauf.png", full_page=True)
    assert not foreign_hosts(page.requests), sorted(foreign_hosts(page.requests))
