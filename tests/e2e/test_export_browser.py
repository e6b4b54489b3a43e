"""The Export page in a real browser: choose a map, download it through the button, check the files."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from pypdf import PdfReader

from tests.e2e.test_browser import WAIT_MS, foreign_hosts

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect


def choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option).click()


def test_print_map_and_table_download_through_the_real_buttons(app_url, page, artifacts, tmp_path):
    page.goto(f"{app_url}/Export")
    expect(page.get_by_role("heading", name="Karte für den Druck")).to_be_visible(timeout=WAIT_MS)
    choose(page, "Karte", "Bedarf × Reichweite (bivariat)")
    choose(page, "Angebotsart", "Familiengrundschulzentren (FGZ)")
    page.get_by_text("Hochformat").click()
    button = page.get_by_role("button", name="Bedarf × Reichweite (bivariat) herunterladen (PDF, A4 Hochformat)")
    expect(button).to_be_visible(timeout=WAIT_MS)
    with page.expect_download(timeout=WAIT_MS) as info:
        button.click()
    download = info.value
    assert download.suggested_filename == "praeventionsatlas_bivariate_fgz_2024_A4_hoch.pdf"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    pdf = PdfReader(path)
    assert len(pdf.pages) == 1
    width, height = (float(v) / 72 * 25.4 for v in pdf.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (210, 297)  # A4 portrait in mm
    text = pdf.pages[0].extract_text()
    for expected in ("Bedarf", "FGZ", "synthetische Beispieldaten", "2024"):
        assert expected in text, f"{expected!r} missing in the PDF text"
    page.screenshot(path=artifacts / "e2e_export.png", full_page=True)

    with page.expect_download(timeout=WAIT_MS) as info:
        page.get_by_role("button", name="CSV herunterladen").click()
    data = info.value.path().read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel
    table = pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig", dtype={"Sozialraum-Nr.": str})
    assert len(table) == 57 and table["Sozialraum-Nr."].iloc[0] == "0101"
    assert not foreign_hosts(page.requests), sorted(foreign_hosts(page.requests))
