"""The Sozialraumsteckbrief on paper, in the export, on the command line and on the page.

One A4 page also with 15 indicators and 43 offers in the district; user text printed as written; the same
inputs give the same bytes; the ZIP of all profiles has safe, fixed names; the page opens with ``?sozialraum=``.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pypdf
import pytest
from shapely.geometry import Point
from streamlit.testing.v1 import AppTest

from geo import demo, settings
from geo.analysis import analyse
from geo.cli import main
from geo.export import ExportOptions, export, file_name
from geo.render.print.profile import profile_file_name, profiles_zip, render_profile, slug
from tests.apptest import APP
from tests.e2e.conftest import ARTIFACTS
from tests.export_cases import small_case, small_result
from tests.test_city_cli import (
    SCHOOLS,
    VG5000,
    build_city,
    city_files,  # noqa: F401 - the fixture of the Kreis' files
    cli,
    needs_city_indicators,
)

DAY = date(2025, 3, 1)
IN_NEED = "0108"  # Zechenkolonie, Status niedrig in the demo
HOSTILE_ID = "../D3"
HOSTILE_NAME = "<b>Fett</b> $x$ =cmd|' /C calc'!A0 ../../etc"
ZIP_NAME = re.compile(r"^steckbrief_[A-Za-z0-9-]+(_[A-Za-z0-9-]+)*_\d{4}(_\d+)?\.pdf$")


def pages(data: bytes) -> list[str]:
    return [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]


def flat(text: str) -> str:
    return " ".join(text.split())


def look(data: bytes, name: str) -> Path:
    """The PDF and its page as PNG (80 dpi) under test-artifacts/<name>/, to look at."""
    folder = ARTIFACTS / name
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / f"{name}.pdf"
    pdf.write_bytes(data)
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", str(pdf), str(folder / name)], check=True)
    return pdf


@pytest.fixture(scope="module")
def demo_case():
    dataset = demo.load_demo()
    return dataset, analyse(dataset)


def crowded(dataset):
    """The demo with 12 more indicators (15 in all, 5 more in the index) and 40 more offers in Altstadt (0101)."""
    defs = dataset.indicator_definitions.copy()
    indicators = dataset.indicators.copy()
    for k in range(12):
        defs.loc[f"extra_{k}"] = {"label": f"Zusatzindikator {k} mit einem recht langen Namen",
                                  "unit": "%" if k % 2 else "je 1.000", "direction": 1 if k % 3 else -1,
                                  "weight": 1.0, "in_index": k < 5, "description": "", "kind": "status",
                                  "in_dynamic": k < 5, "dynamic_weight": 1.0}
        indicators[f"extra_{k}"] = np.linspace(1, 50, len(indicators)) + k
    districts = dataset.districts.to_crs(settings.METRIC_CRS)
    centre = districts.loc[districts[settings.DISTRICT_ID] == "0101"].geometry.iloc[0].representative_point()
    extra = gpd.GeoDataFrame(
        {settings.OFFER_ID: [f"X{i}" for i in range(40)], settings.OFFER_TYPE: ["fgz", "familienbuero"] * 20,
         settings.OFFER_NAME: [f"Angebot mit langem Namen Nummer {i:02d} im Quartier" for i in range(40)],
         settings.OFFER_ADDRESS: [f"Hauptstraße {i}, 12345 Musterstadt" for i in range(40)],
         settings.OFFER_CAPACITY: [None] * 40},
        geometry=[Point(centre.x + (i % 5) * 5, centre.y + (i // 5) * 5) for i in range(40)],
        crs=settings.METRIC_CRS,
    )
    # Without the demo's Grundschulen (context points): the district in need keeps its one offer, as the test says.
    own = dataset.offers[dataset.offers[settings.OFFER_TYPE] != "grundschule"]
    offers = pd.concat([own.to_crs(settings.METRIC_CRS), extra], ignore_index=True)
    return dataset.with_layers(indicator_definitions=defs, indicators=indicators,
                               offers=gpd.GeoDataFrame(offers, geometry="geometry", crs=settings.METRIC_CRS))


def hostile_case():
    """small_case with D3 renamed: an id with a path in it and a name with markup, mathtext and a formula."""
    dataset = small_case()
    layers = {}
    for name in ("districts", "indicators", "residents"):
        frame = getattr(dataset, name).copy()
        frame.loc[frame[settings.DISTRICT_ID] == "D3", settings.DISTRICT_ID] = HOSTILE_ID
        layers[name] = frame
    layers["districts"].loc[layers["districts"][settings.DISTRICT_ID] == HOSTILE_ID, settings.DISTRICT_NAME] = (
        HOSTILE_NAME)
    return dataset.with_layers(**layers)


def test_demo_profile_of_a_district_in_need_is_one_a4_page(demo_case):
    dataset, result = demo_case
    data = render_profile(dataset, result, IN_NEED, export_date=DAY)
    look(data, "test_demo_profile_of_a_district_in_need_is_one_a4_page")
    reader = pypdf.PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    width, height = (float(v) / 72 * 25.4 for v in reader.pages[0].mediabox[2:])
    assert (round(width), round(height)) == (210, 297)
    text = flat(reader.pages[0].extract_text())
    for expected in ("Sozialraumsteckbrief: Zechenkolonie", "Sozialraum-Nr. 0108 · Stadtbezirk Mitte",
                     "Status niedrig · Sozialraum mit hohem Bedarf", "Kennzahlen", "Indikatoren",
                     "Reichweite und Versorgungslücken", "Angebote", "SGB-II-Quote Kinder unter 15 Jahren",
                     "synthetische Beispieldaten", "Export: 01.03.2025", "Datenstand:", "Methode:",
                     "Datenschutz: Personenzahlen von 1 bis 2"):
        assert expected in text, expected
    record = json.loads(reader.metadata["/Keywords"])
    assert record["product"] == {"kind": "profile", "district_id": IN_NEED}
    assert reader.metadata["/CreationDate"] == "D:20250301000000Z"


def test_fifteen_indicators_and_many_offers_still_fit_on_one_page(demo_case):
    dataset = crowded(demo_case[0])
    result = analyse(dataset)
    # a district with one offer: the indicators fill the room left, the rest are counted; with the Dynamik and the
    # time series on the page the Präventionskette gives way and is named at the end (the page is full: before
    # the chain section all 15 indicators fitted)
    (text,) = pages(render_profile(dataset, result, IN_NEED, export_date=DAY))
    text = flat(text)
    listed = sorted(set(re.findall(r"Zusatzindikator (\d+)", text)), key=int)
    assert listed == [str(k) for k in range(len(listed))] and len(listed) >= 1
    assert "Aus Platzgründen nicht auf dieser Seite, aber im Steckbrief der Anwendung: Präventionskette." in text
    assert "SGB-II-Quote Kinder unter 15 Jahren" in text and f"… und {12 - len(listed)} weitere" in text
    # Altstadt with 43 offers: the offer list gives way first, then the indicators, and each says how many are left
    data = render_profile(dataset, result, "0101", export_date=DAY)
    look(data, "test_fifteen_indicators_and_many_offers_still_fit_on_one_page")
    (text,) = pages(data)
    text = flat(text)
    shown = len(set(re.findall(r"Zusatzindikator (\d+)", text)))
    offers = len(set(re.findall(r"Angebot mit langem Namen Nummer (\d\d) im Quartier (?:Familienbüro|FGZ) ", text)))
    more = [int(n) for n in re.findall(r"… und (\d+) weitere", text)]
    assert len(more) == 2 and shown + more[0] == 12, text
    assert offers + more[1] <= 43 and more[1] > 0
    assert "Nächstes Angebot je Angebotsart" in text and "Datenschutz:" in text


def test_user_text_is_printed_as_written_and_names_of_files_are_safe():
    dataset = hostile_case()
    result = small_result(dataset)
    data = render_profile(dataset, result, HOSTILE_ID, export_date=DAY)
    (text,) = pages(data)
    assert f"Sozialraumsteckbrief: {HOSTILE_NAME}" in flat(text)
    assert f"Sozialraum-Nr. {HOSTILE_ID}" in flat(text)
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
        assert HOSTILE_NAME in out
    name = profile_file_name(HOSTILE_ID, HOSTILE_NAME, 2024)
    assert name == "steckbrief_D3_b-Fett-b-x-cmd-C-calc-A0-etc_2024.pdf"
    options = ExportOptions(district=HOSTILE_ID, export_date=DAY)
    assert file_name("profile", "pdf", result, options) == name
    archive = zipfile.ZipFile(io.BytesIO(profiles_zip(dataset, result, export_date=DAY)))
    names = archive.namelist()
    assert names == [name, "steckbrief_D1_Nordhof_2024.pdf", "steckbrief_D2_Suederfeld_2024.pdf",
                     "steckbrief_D4_Gewerbe_2024.pdf"]  # sorted by number: "../D3" before "D1"
    assert all(ZIP_NAME.match(n) and ".." not in n and "/" not in n for n in names)
    assert all(info.date_time == (2025, 3, 1, 0, 0, 0) for info in archive.infolist())
    assert archive.read(name) == data  # the same bytes as the single profile (which is byte-stable, see below)
    assert all(len(pypdf.PdfReader(io.BytesIO(archive.read(n))).pages) == 1 for n in names)


def test_slug_keeps_letters_digits_and_umlauts_readable():
    assert slug("Über der Höhe / Süd") == "Ueber-der-Hoehe-Sued"
    assert slug("../../") == "" and profile_file_name("..", "$$", 2024) == "steckbrief_sozialraum_2024.pdf"


def test_same_inputs_same_bytes():
    dataset = small_case()
    result = small_result(dataset)
    first = export("profile", "pdf", dataset, result, ExportOptions(district="D2", export_date=DAY))
    assert export("profile", "pdf", dataset, result, ExportOptions(district="D2", export_date=DAY)) == first
    assert len(pages(first)) == 1
    with pytest.raises(ValueError, match="Sozialraum-Nr"):
        export("profile", "pdf", dataset, result, ExportOptions(export_date=DAY))


def two_districts():
    """small_case with D1 and D2 only (two classified districts: a status index can still be computed)."""
    dataset = small_case()
    keep = {name: getattr(dataset, name)[getattr(dataset, name)[settings.DISTRICT_ID].isin(["D1", "D2"])]
            for name in ("districts", "indicators", "residents")}
    return dataset.with_layers(**keep)


@pytest.fixture
def small_cli(monkeypatch):
    """The command line on two districts instead of the demo's 57."""
    import geo.cli

    monkeypatch.setattr(geo.cli, "_dataset", lambda args: two_districts())


def test_cli_writes_one_profile_and_the_zip(small_cli, tmp_path, capsys):
    out = tmp_path / "d2.pdf"
    assert main(["export", "profile", "--district", "D2", "--out", str(out), "--date", "2025-03-01",
                 "--radius", "fgz=600"]) == 0
    assert "Sozialraumsteckbrief (ein Sozialraum) (PDF) geschrieben" in capsys.readouterr().out
    assert out.read_bytes().startswith(b"%PDF") and len(pypdf.PdfReader(out).pages) == 1
    assert "Sozialraumsteckbrief: Süderfeld" in flat(pages(out.read_bytes())[0])
    zipped = tmp_path / "alle.zip"
    assert main(["export", "profiles", "--out", str(zipped), "--date", "2025-03-01"]) == 0
    assert zipfile.ZipFile(zipped).namelist() == ["steckbrief_D1_Nordhof_2024.pdf", "steckbrief_D2_Suederfeld_2024.pdf"]
    assert main(["export", "--kind", "profile", "--district", "D9", "--out", str(tmp_path / "x.pdf")]) == 2
    assert "Sozialraum-Nr. „D9“ gibt es in diesen Daten nicht" in capsys.readouterr().err
    assert main(["export", "profile"]) == 2
    assert "bitte die Sozialraum-Nr. angeben" in capsys.readouterr().err
    assert not (tmp_path / "x.pdf").exists()


def test_page_opens_the_district_of_the_address():
    at = open_page_with("0108")
    assert not at.exception, at.exception
    assert at.selectbox(key="steckbrief_sozialraum").value == "0108"
    assert [s.value for s in at.subheader] == ["Zechenkolonie"]
    markdown = [m.value for m in at.markdown]
    assert "Sozialraum-Nr. 0108 · Stadtbezirk Mitte · Indikatorjahr 2024" in markdown
    assert any("**Status niedrig** – Sozialraum mit hohem Bedarf" in m for m in markdown)
    assert [h for h in markdown if h.startswith("#### ")] == [
        "#### Kennzahlen", "#### Dynamik", "#### Indikatoren", "#### Zeitreihe",
        "#### Reichweite und Versorgungslücken", "#### Präventionskette", "#### Angebote",
        "#### Grundschulen und Schulsozialindex"]  # the demo has Grundschulen with an index
    indicators = at.table[4].value  # two halves of the key figures and of the Dynamik, then the indicators
    assert list(indicators["Indikator"]) == ["SGB\\-II\\-Quote Kinder unter 15 Jahren", "Arbeitslosenquote",
                                             "Anteil Alleinerziehender"]
    at.selectbox(key="steckbrief_sozialraum").select("0101").run()
    assert [s.value for s in at.subheader] == ["Altstadt"] and at.query_params["sozialraum"] == "0101"


def test_page_without_or_with_an_unknown_number_shows_the_chooser():
    at = open_page_with(None)
    assert not at.exception and at.selectbox(key="steckbrief_sozialraum").value is None
    assert not at.subheader and "Wählen Sie oben einen Sozialraum" in at.info[0].value
    at = open_page_with("../9999")
    assert not at.exception
    assert at.warning[0].value.startswith("Einen Sozialraum mit der Sozialraum-Nr. „\\.\\./9999“")
    assert not at.subheader


def test_page_shows_hostile_names_as_text(monkeypatch):
    import app_pages._shared as ui

    dataset = hostile_case()
    monkeypatch.setattr(ui, "load_dataset", lambda: dataset)
    at = open_page_with(HOSTILE_ID)
    assert not at.exception, at.exception
    assert [s.value for s in at.subheader] == [ui.md(HOSTILE_NAME)]
    assert "$" not in ui.md(HOSTILE_NAME).replace("\\$", "")


def open_page_with(district: str | None):
    """The Steckbrief page through the frame, with ``?sozialraum=district`` (set before the first run)."""
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.switch_page("app_pages/8_Steckbrief.py")
    if district is not None:
        at.query_params["sozialraum"] = district
    return at.run(timeout=90)



def test_export_page_offers_the_zip_of_all_profiles():
    at = AppTest.from_file(str(APP), default_timeout=90)
    at.switch_page("app_pages/5_Export.py")
    at.run(timeout=90)
    assert not at.exception, at.exception
    build = at.button(key="export_profiles_build")
    assert build.label == "Steckbriefe aller Sozialräume erstellen (ZIP)"  # built on a click, then downloaded


@needs_city_indicators
@pytest.mark.skipif(not (VG5000.is_file() and SCHOOLS.is_file()),
                    reason=f"Echte Daten fehlen: {VG5000} und {SCHOOLS} (../shared/data neben dem Repository)")
def test_profile_of_a_real_kreis_without_the_demo_names(data_root, city_files, capsys, tmp_path):  # noqa: F811
    """Kreis Unna as tests/test_city_cli.py builds it: its own indicator names, AGS as numbers, no residents layer."""
    build_city(capsys, city_files)
    out = tmp_path / "unna.pdf"
    code, stdout, err = cli(capsys, "export", "profile", "--district", "05978036", "--workspace", "Kreis Unna",
                            "--out", str(out), "--date", "2026-03-01")
    assert code == 0, err
    data = out.read_bytes()
    look(data, "test_profile_of_a_real_kreis_without_the_demo_names")
    (text,) = pages(data)
    text = flat(text)
    assert "Sozialraumsteckbrief: Unna" in text and "Sozialraum-Nr. 05978036" in text
    for label in ("SGB-II-Quote", "Arbeitslosenquote", "Alleinerziehende"):
        assert label in text, label
    assert "Flächenmittelpunkt des Sozialraums" in text  # no residents layer: the area centre
    assert "Musterstadt" not in text and settings.SYNTHETIC_STAMP not in text
