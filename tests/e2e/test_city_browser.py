"""A real city in a real browser: create it on the Daten page, upload its files, see its map, download its report.

Boundaries are four municipalities of Kreis Unna from VG5000 (from ../shared/data) as a GeoJSON in WGS84, or
four generated districts when the shared data are absent; indicators and offers are German CSVs. The server of
tests/e2e/conftest.py keeps the demo as its default, so the city must be reached through the page, as a planner
would: every later page is opened through the sidebar of the same session.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess

import geopandas as gpd
import pytest
from pypdf import PdfReader
from shapely.geometry import box

from geo import settings
from geo.demo import load_demo
from tests.conftest import SHARED_DATA
from tests.e2e.test_browser import WAIT_MS, foreign_hosts, wait_for_map, wait_for_map_page

pytestmark = pytest.mark.e2e
expect = pytest.importorskip("playwright.sync_api").expect

VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"
#: Four neighbouring municipalities of Kreis Unna (AGS → name), or generated stand-ins without ../shared.
TOWNS = {"05978008": "Bönen", "05978016": "Holzwickede", "05978020": "Kamen", "05978036": "Unna"}
CITY = "Kreis Unna (Mitte)"
CITY_INDICATORS = importlib.util.find_spec("geo.ingest.definitions") is not None


def boundaries() -> gpd.GeoDataFrame:
    """AGS, GEN and polygons in EPSG:4326: real VG5000 municipalities when present, four squares otherwise."""
    if VG5000.is_file():
        gem = gpd.read_file(VG5000, engine="pyogrio")
        towns = gem[gem["AGS"].isin(TOWNS)][["AGS", "GEN", "geometry"]].sort_values("AGS")
        assert dict(zip(towns["AGS"], towns["GEN"], strict=True)) == TOWNS
    else:
        towns = gpd.GeoDataFrame(
            {"AGS": list(TOWNS), "GEN": list(TOWNS.values())},
            geometry=[box(400_000 + 4000 * i, 5_710_000, 404_000 + 4000 * i, 5_714_000) for i in range(4)],
            crs="EPSG:25832",
        )
    return towns.to_crs("EPSG:4326").reset_index(drop=True)


def files(towns: gpd.GeoDataFrame) -> dict[str, bytes]:
    """GeoJSON, the indicator CSV (cp1252, ``;``, decimal comma) and the offers CSV (Breite/Länge).

    Offers: an FGZ in every town but the first, one Familienbüro beside the last town's FGZ (four in all).
    """
    indicators = ["AGS;Gemeinde;Jahr;Einwohner;Kinder 0-17;SGB-II-Quote Kinder u15 (%);Arbeitslosenquote (%);"
                  "Alleinerziehende (%)"]
    for i, (ags, name) in enumerate(zip(towns["AGS"], towns["GEN"], strict=True)):
        indicators.append(f"{ags};{name};2024;{18_000 + 9_000 * i};{2_700 + 1_300 * i};{9 + 5 * i},5;{5 + i},5;"
                          f"{16 + 2 * i},0")
    inside = towns.to_crs("EPSG:25832").representative_point().to_crs("EPSG:4326")
    offers = ["Nr;Angebotsart;Name;Breite;Länge"]
    for i, (name, point) in enumerate(zip(towns["GEN"], inside, strict=True)):
        if i:  # the first town gets none: its tooltip is hovered without a marker in the way
            offers.append(f"GS-{i};FGZ;Grundschule {name};{point.y:.5f};{point.x:.5f}".replace(".", ","))
    point = inside.iloc[-1]
    offers.append(f"FB-1;Familienbüro;Familienbüro im Rathaus;{point.y:.5f};{point.x + 0.01:.5f}".replace(".", ","))
    return {
        "districts": towns.to_json(drop_id=True).encode("utf-8"),
        "indicators": "\r\n".join(indicators).encode("cp1252"),
        "offers": "\r\n".join(offers).encode("cp1252"),
    }


def upload(page, name: str, data: bytes, mime: str) -> None:
    """Upload into the page's one file box, once a rerun has replaced the box of the previous kind."""
    boxes = page.locator('[data-testid="stFileUploader"]')
    expect(boxes).to_have_count(1, timeout=WAIT_MS)
    boxes.locator('input[type="file"]').set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}]
    )


def choose(page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def save(page, layer: str, version: str) -> None:
    """Confirm the checked upload and wait for the stored version."""
    expect(page.get_by_text("Was sich ändert")).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name=f"{layer} übernehmen und speichern").click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        f"Gespeichert: {version}", timeout=WAIT_MS
    )


@pytest.mark.xfail(not CITY_INDICATORS, strict=True, reason="braucht stadteigene Indikatoren (geo.ingest.definitions)")
def test_a_city_from_an_empty_workspace_to_the_committee_report(app_url, page, artifacts):
    towns = boundaries()
    data = files(towns)
    sidebar = page.locator('[data-testid="stSidebar"]')
    page.goto(f"{app_url}/Daten")
    expect(page.get_by_role("heading", name="Daten hochladen")).to_be_visible(timeout=WAIT_MS)
    page.get_by_label("Name der Stadt, Gemeinde oder des Kreises").fill(CITY)
    page.get_by_label("Gemeindeschlüssel (AGS, optional)").fill("05978")
    page.get_by_role("button", name="Arbeitsbereich anlegen").click()
    expect(page.locator('[data-testid="stAlertContentSuccess"]')).to_contain_text(
        f"Arbeitsbereich „{CITY}“ angelegt", timeout=WAIT_MS
    )
    expect(page.get_by_text("Als Erstes die Sozialraumgrenzen")).to_be_visible()
    page.screenshot(path=artifacts / "e2e_stadt_angelegt.png", full_page=True)

    # 1. Boundaries: the id and name columns chosen as a planner would, preview, save.
    upload(page, "gemeinden.geojson", data["districts"], "application/geo+json")
    choose(page, "Spalte mit der Sozialraum-Nr.", "AGS")
    choose(page, "Spalte mit dem Sozialraumnamen", "GEN")
    wait_for_map(page, len(towns))  # the preview: the four new outlines, no old city behind them
    page.screenshot(path=artifacts / "e2e_stadt_grenzen.png", full_page=True)
    save(page, "Sozialräume", "Sozialräume v1")

    # 2. Indicators, 3. offers (three FGZ, one Familienbüro).
    page.get_by_text("Indikatoren je Sozialraum und Jahr (CSV/XLSX)").click()
    # The file box is a new one per kind: upload only once the page shows the indicators' own field.
    expect(page.get_by_role("spinbutton", name="Jahr, falls die Datei keine Spalte „Jahr“ hat")).to_be_visible(
        timeout=WAIT_MS)
    expect(page.get_by_text("Noch keine Datei gewählt.")).to_be_visible()
    upload(page, "indikatoren_2024.csv", data["indicators"], "text/csv")
    expect(page.get_by_text("Windows-1252")).to_be_visible(timeout=WAIT_MS)
    save(page, "Indikatoren", "Indikatoren v1")
    page.get_by_text("Angebotsstandorte (CSV/XLSX)").click()
    expect(page.get_by_role("radiogroup", name="Wie sollen die Standorte übernommen werden?")).to_be_visible(
        timeout=WAIT_MS)
    expect(page.get_by_text("Noch keine Datei gewählt.")).to_be_visible()
    upload(page, "angebote.csv", data["offers"], "text/csv")
    wait_for_map(page, len(towns) + 4)  # outlines plus one circle per new offer
    save(page, "Angebote", "Angebote v1")
    page.screenshot(path=artifacts / "e2e_stadt_gespeichert.png", full_page=True)

    # The Karte: exactly the city's districts, the types without locations named, no demo stamp.
    sidebar.get_by_role("link", name="Karte").click()
    expect(page).to_have_url(re.compile(r"/Karte$"), timeout=WAIT_MS)
    frame = wait_for_map_page(page, len(towns), legend="Sozialstatus 2024")
    expect(page.get_by_text(re.compile("Für .*Lotsendienste in Geburtskliniken.* liegen noch keine Standorte "
                                       "vor"))).to_be_visible()
    expect(frame.locator(".pa-stamp")).to_have_count(0)
    expect(frame.locator(".pa-legend")).to_contain_text("Familiengrundschulzentren")
    expect(frame.locator(".pa-legend")).not_to_contain_text("Lotsendienst")
    expect(page.get_by_text(settings.SYNTHETIC_STAMP)).to_have_count(0)
    frame.locator("path.leaflet-interactive").nth(0).hover(force=True)
    tooltip = frame.locator(".leaflet-tooltip.pa-tip")
    expect(tooltip).to_contain_text(towns["GEN"].iloc[0])
    expect(tooltip).to_contain_text("Einwohner")
    page.screenshot(path=artifacts / "e2e_stadt_karte.png")

    # The committee report from the Export page: the city's names, nothing of Musterstadt.
    sidebar.get_by_role("link", name="Export").click()
    page.get_by_role("button", name="Bericht erstellen (PDF, A4)").click(timeout=WAIT_MS)  # built in the page
    button = page.get_by_role("button", name="Bericht herunterladen (PDF, A4)")
    expect(button).to_be_visible(timeout=WAIT_MS)
    page.screenshot(path=artifacts / "e2e_stadt_export.png", full_page=True)
    with page.expect_download(timeout=WAIT_MS) as info:
        button.click()
    report = artifacts / "e2e_stadt_bericht.pdf"
    info.value.save_as(report)
    if shutil.which("pdftoppm"):  # page 1 as a picture to look at
        subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "2", str(report),
                        str(artifacts / "e2e_stadt_bericht")], check=True)
    pdf = PdfReader(report)
    text = "\n".join(p.extract_text() for p in pdf.pages)
    for name in TOWNS.values():
        assert name in text, name
    demo = load_demo()
    assert "Musterstadt" not in text and settings.SYNTHETIC_STAMP not in text
    for name in [*demo.offers[settings.OFFER_NAME], *demo.districts[settings.DISTRICT_NAME]]:
        assert name not in text, name
    assert not foreign_hosts(page.requests), sorted(foreign_hosts(page.requests))
    assert page.errors == []
