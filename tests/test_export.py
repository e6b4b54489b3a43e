"""Exports: data protection, German CSV, XLSX, GeoPackage, HTML, sidecar, byte-identical repeats, CLI."""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
import sqlite3
import time
import zipfile
from datetime import date

import geopandas as gpd
import numpy as np
import openpyxl
import openpyxl.writer.excel
import pandas as pd
import pyogrio
import pytest

from geo import cli, demo, settings
from geo.analysis import analyse, column
from geo.analysis.protect import (
    HIDDEN,
    HIDDEN_REASON,
    SMALL,
    district_codes,
    protect_gaps,
    protected_totals,
    reach_codes,
)
from geo.export import (
    ExportOptions,
    export,
    file_name,
    sidecar,
)
from geo.render.tables import german_csv_bytes, neutralise_formulas, protected_district_table, write_german_csv
from tests.apptest import open_page
from tests.export_cases import (
    FORMULA_AREA,
    FORMULA_DISTRICT,
    FORMULA_INDICATOR,
    NAMES,
    formula_case,
    small_case,
    small_result,
)

DAY = date(2025, 3, 1)
OPTIONS = ExportOptions(export_date=DAY)


@pytest.fixture(scope="module")
def small():
    dataset = small_case()
    return dataset, small_result(dataset)


@pytest.fixture(scope="module")
def demo_case():
    dataset = demo.load_demo()
    return dataset, analyse(dataset)


def _read_german_csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig", dtype={"Sozialraum-Nr.": str})


# --- the rule ----------------------------------------------------------------------------------------------------

def test_reach_codes_core():
    children = np.array([2, 100, 50, 40, 0, np.nan])
    without = np.array([2, 2, 49, 40, 0, np.nan])
    rc = reach_codes(children, without)
    assert list(rc.children) == [SMALL, "", "", "", "", ""]
    assert list(rc.without) == [SMALL, SMALL, HIDDEN, "", "", ""]
    assert list(rc.share) == [HIDDEN, HIDDEN, HIDDEN, "", "", ""]
    assert list(rc.median) == [HIDDEN, "", "", "", "", ""]


def test_district_codes_small_case(small):
    _, result = small
    codes = district_codes(result).set_index(result.districts[settings.DISTRICT_ID])
    share, without = column("share_in_reach", "fgz"), column("without_reach", "fgz")
    assert codes.loc["D1", settings.CHILDREN] == SMALL
    assert codes.loc["D1", without] == SMALL and codes.loc["D1", share] == HIDDEN
    assert codes.loc["D1", column("median_distance_m", "fgz")] == HIDDEN
    assert codes.loc["D2", without] == SMALL and codes.loc["D2", share] == HIDDEN
    assert codes.loc["D3", without] == HIDDEN and codes.loc["D3", share] == HIDDEN  # 1 child in reach
    assert codes.loc["D4", share] == "" and codes.loc["D4", without] == ""
    # D4 has 100 inhabitants: not classified, its rates and index are hidden
    assert codes.loc["D4", "status_index"] == HIDDEN and codes.loc["D4", "sgb2_children_quota"] == HIDDEN
    assert codes.loc["D1", "status_index"] == ""


def test_protected_table_values(small):
    dataset, result = small
    table = protected_district_table(result, offer_types=dataset.offer_types,
                                     indicator_definitions=dataset.indicator_definitions).set_index("Sozialraum-Nr.")
    assert table.loc["D1", "Kinder 0–17"] == SMALL
    assert table.loc["D2", "Kinder 0–17"] == 100
    assert table.loc["D2", "FGZ: Kinder ohne Angebot in Reichweite"] == SMALL
    assert table.loc["D2", "FGZ: Kinder in Reichweite (%)"] == HIDDEN
    assert table.loc["D4", "FGZ: Kinder in Reichweite (%)"] == 0.0
    assert table.loc["D4", "Statusklasse"] == "nicht klassifiziert"
    assert table.loc["D4", "Statusindex"] == HIDDEN


def test_protect_gaps_replaces_reason(small):
    _, result = small
    gaps = protect_gaps(result.gaps)
    row = gaps[gaps[settings.DISTRICT_ID] == "D3"].iloc[0]
    assert row["share_in_reach"] == HIDDEN and row["without_reach"] == HIDDEN
    assert row["reason"] == HIDDEN_REASON
    assert "%" not in row["reason"]


def test_protected_totals_leave_out_suppressed(small):
    _, result = small
    totals = protected_totals(result)
    assert totals["population"].value == 190 and totals["population"].left_out == 1  # D1 (2 children) left out
    assert np.isnan(totals[column("share_in_need_reached", "fgz")].value)  # D3's share is suppressed


# --- CSV ---------------------------------------------------------------------------------------------------------

def test_csv_round_trip_german_excel(small):
    dataset, result = small
    data = export("table", "csv", dataset, result, OPTIONS)
    assert data.startswith(b"\xef\xbb\xbf")
    table = _read_german_csv(data).set_index("Sozialraum-Nr.")
    assert list(table.index) == ["D1", "D2", "D3", "D4"]
    assert table["Einwohner"].tolist() == [500, 600, 700, 100]
    assert pd.api.types.is_integer_dtype(table["Einwohner"])
    assert table.loc["D1", "Kinder 0–17"] == SMALL
    assert table.loc["D2", "FGZ: Kinder in Reichweite (%)"] == HIDDEN
    # numbers in a column that also holds "< 3" keep the decimal comma
    assert table.loc["D1", "SGB-II-Quote Kinder unter 15 Jahren (%)"] == "10"
    assert table.loc["D2", "Statusindex"].replace(",", ".").lstrip("-").replace(".", "").isdigit()
    assert "," in table.loc["D2", "Statusindex"]
    assert table.loc["D4", "Sozialraum"] == "'" + NAMES[3]  # "@…" neutralised


def test_csv_plain_numbers_use_decimal_comma(demo_case):
    dataset, result = demo_case
    data = export("table", "csv", dataset, result, OPTIONS)
    assert b";" in data and b"\r\n" in data
    table = _read_german_csv(data)
    assert len(table) == len(result.districts)
    share = table["FGZ: Kinder in Reichweite (%)"]
    # the FGZ is measured for children 6–9 (estimated 4/18 of the demo's children): a few districts' shares are
    # protected ("•"); every other cell is a number with a decimal comma
    shown = share[share != HIDDEN].str.replace(",", ".").astype(float)
    assert 0 < (share == HIDDEN).sum() < len(share) / 2 and shown.between(0, 100).all()
    raw = data.decode("utf-8-sig")
    assert "." not in raw.splitlines()[1].split(";")[11]  # share column written with a comma, never a point


def test_write_german_csv_keeps_behaviour(tmp_path):
    frame = pd.DataFrame({"a": ["=1+1", "ok"], "b": [1.5, 2.0], "c": pd.Series([1.25, "< 3"], dtype=object)})
    path = write_german_csv(frame, tmp_path / "x.csv")
    back = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig")
    assert back["a"].tolist() == ["'=1+1", "ok"]
    assert back["b"].tolist() == [1.5, 2.0]
    assert back["c"].tolist() == ["1,25", "< 3"]
    assert german_csv_bytes(frame).decode("utf-8-sig").splitlines()[0] == "a;b;c"


@pytest.mark.parametrize("value", ["=SUM(A1)", "+49 30", "-1", "@cmd", "\tx"])
def test_neutralise_formulas(value):
    assert neutralise_formulas(pd.DataFrame({"t": [value]}))["t"][0] == "'" + value


# --- formula text in every export ------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def formulas():
    dataset = formula_case()
    return dataset, small_result(dataset)


def _is_german_number(text: str) -> bool:
    return re.fullmatch(r"[-+]?\d+(,\d+)?", text) is not None


def test_csv_neutralises_district_area_and_indicator_names(formulas):
    dataset, result = formulas
    data = export("table", "csv", dataset, result, OPTIONS)
    table = _read_german_csv(data).set_index("Sozialraum-Nr.")
    assert "'" + FORMULA_INDICATOR + " (%)" not in table.columns  # the unit was emptied in formula_case
    assert "'" + FORMULA_INDICATOR in table.columns
    assert table.loc["D1", "Sozialraum"] == "'" + FORMULA_DISTRICT
    assert table.loc[["D1", "D2"], "Stadtbezirk"].tolist() == ["'" + FORMULA_AREA] * 2
    # Every cell, headers included, that Excel would start as a formula is a plain (negative) number.
    cells = [c for line in csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";") for c in line]
    assert [c for c in cells if c.startswith(FORMULA_START) and not _is_german_number(c)] == []


def test_xlsx_neutralises_district_area_and_indicator_names(formulas):
    dataset, result = formulas
    wb = openpyxl.load_workbook(io.BytesIO(export("table", "xlsx", dataset, result, OPTIONS)))
    ws = wb["Ergebnis"]
    header = [c.value for c in ws[1]]
    assert "'" + FORMULA_INDICATOR in header
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["D1"]["Sozialraum"] == "'" + FORMULA_DISTRICT
    assert rows["D2"]["Stadtbezirk"] == "'" + FORMULA_AREA
    assert rows["D2"]["'" + FORMULA_INDICATOR] == 20  # the column keeps its numbers and their format
    assert ws.cell(row=3, column=header.index("'" + FORMULA_INDICATOR) + 1).number_format == "0.0"
    explained = [r[0] for r in wb["Erläuterungen"].iter_rows(min_row=2, values_only=True)]
    assert "'" + FORMULA_INDICATOR in explained
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                assert not (isinstance(cell.value, str) and cell.value.startswith(FORMULA_START)), (
                    sheet.title, cell.coordinate, cell.value)


def test_gpkg_neutralises_district_area_and_indicator_names(formulas, tmp_path):
    dataset, result = formulas
    path = tmp_path / "ergebnis.gpkg"
    path.write_bytes(export("layer", "gpkg", dataset, result, OPTIONS))
    layer = gpd.read_file(path, layer="sozialraeume").set_index("sozialraum_nr")
    assert layer.loc["D1", "sozialraum"] == "'" + FORMULA_DISTRICT
    assert layer.loc[["D1", "D2"], "stadtbezirk"].tolist() == ["'" + FORMULA_AREA] * 2
    assert layer.loc["D4", "sozialraum"] == "'" + NAMES[3]
    fields = pyogrio.read_dataframe(path, layer="erlaeuterungen").set_index("feld")
    assert fields.loc["sgb2_children_quota", "spalte"] == "'" + FORMULA_INDICATOR
    for name, _ in pyogrio.list_layers(path):
        frame = pyogrio.read_dataframe(path, layer=name, read_geometry=False)
        for col in frame.columns:
            texts = [v for v in frame[col] if isinstance(v, str)]
            assert [v for v in texts if v.startswith(FORMULA_START)] == [], (name, col)


# --- XLSX --------------------------------------------------------------------------------------------------------

def test_xlsx_sheets_and_values(small):
    dataset, result = small
    wb = openpyxl.load_workbook(io.BytesIO(export("table", "xlsx", dataset, result, OPTIONS)))
    assert wb.sheetnames == ["Ergebnis", "Erläuterungen", "Versorgungslücken", "Einstellungen"]
    ws = wb["Ergebnis"]
    header = [c.value for c in ws[1]]
    rows = {r[0]: dict(zip(header, r, strict=True)) for r in ws.iter_rows(min_row=2, values_only=True)}
    assert rows["D1"]["Kinder 0–17"] == SMALL
    assert rows["D2"]["Kinder 0–17"] == 100 and isinstance(rows["D2"]["Kinder 0–17"], int)
    assert rows["D2"]["FGZ: Kinder in Reichweite (%)"] == HIDDEN
    assert rows["D4"]["FGZ: Kinder in Reichweite (%)"] == 0.0
    assert rows["D4"]["Sozialraum"] == "'@Gewerbe"
    assert all(c.data_type != "f" for row in ws.iter_rows() for c in row)  # no formula anywhere
    explained = {r[0]: r[2] for r in wb["Erläuterungen"].iter_rows(min_row=2, values_only=True)}
    assert set(header) <= set(explained)
    assert "< 3" in explained["Datenschutz"]
    settings_rows = dict(wb["Einstellungen"].iter_rows(min_row=2, values_only=True))
    assert settings_rows["analysis.radii_m.fgz"] == "600.0"
    assert settings_rows["data.versions.Angebote"] == "Angebote v2 (fgz.csv)"
    assert wb.properties.created.date() == DAY


class _ThreeDaysLater(datetime.datetime):
    @classmethod
    def now(cls, tz=None):
        return super().now(tz) + datetime.timedelta(days=3)


def test_xlsx_byte_identical_across_clock(small, monkeypatch):
    dataset, result = small
    first = export("table", "xlsx", dataset, result, OPTIONS)
    real = time.time
    # openpyxl reads the clock twice: ZIP entry times (time.time) and the "modified" property (datetime.now)
    monkeypatch.setattr(time, "time", lambda: real() + 86_400 * 3)
    monkeypatch.setattr(openpyxl.writer.excel.datetime, "datetime", _ThreeDaysLater)
    assert export("table", "xlsx", dataset, result, OPTIONS) == first
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode("utf-8")
    assert "2025-03-01T00:00:00Z" in core and str(date.today().year + 10) not in core


# --- GeoPackage --------------------------------------------------------------------------------------------------

def test_gpkg_reads_back_in_qgis_terms(small, tmp_path):
    dataset, result = small
    path = tmp_path / "ergebnis.gpkg"
    path.write_bytes(export("layer", "gpkg", dataset, result, OPTIONS))
    layers = {name for name, _ in pyogrio.list_layers(path)}
    assert layers == {"sozialraeume", "angebote", "erlaeuterungen", "metadaten"}
    layer = gpd.read_file(path, layer="sozialraeume")
    assert layer.crs.to_epsg() == 25832
    assert len(layer) == 4 and layer.geometry.area.round().tolist() == [1e6] * 4
    for name, dtype in layer.drop(columns="geometry").dtypes.items():
        values = layer[name].dropna()
        assert all(isinstance(v, str | int | float | np.integer | np.floating) for v in values), name
        assert dtype.kind in "iufOT" or str(dtype) in ("str", "string"), name
    row = layer.set_index("sozialraum_nr").loc["D2"]
    assert pd.isna(row["anteil_erreicht_fgz"]) and pd.isna(row["kinder_ohne_fgz"])
    assert "< 3" in row["datenschutz"] and "•" in row["datenschutz"]
    assert layer.set_index("sozialraum_nr").loc["D4", "anteil_erreicht_fgz"] == 0.0
    assert layer.set_index("sozialraum_nr").loc["D4", "luecke_fgz"] == "nein"
    offers = gpd.read_file(path, layer="angebote")
    assert offers.crs.to_epsg() == 25832 and offers["adresse"].tolist() == ["'=Schulweg 1"]
    fields = pyogrio.read_dataframe(path, layer="erlaeuterungen")
    assert set(layer.columns) - {"geometry"} <= set(fields["feld"])
    with sqlite3.connect(path) as con:
        stamps = {r[0] for r in con.execute("SELECT last_change FROM gpkg_contents")}
    assert stamps == {"2025-03-01T00:00:00.000Z"}


def test_gpkg_byte_identical(small):
    dataset, result = small
    first = export("layer", "gpkg", dataset, result, OPTIONS)
    time.sleep(1.05)  # GDAL stamps seconds; a repeat one second later must not differ
    assert export("layer", "gpkg", dataset, result, OPTIONS) == first
    assert pyogrio.get_gdal_config_option("OGR_CURRENT_DATE") is None  # the process-wide option is restored


# --- HTML and sidecar ----------------------------------------------------------------------------------------------

def test_html_is_self_contained_and_stable(small):
    dataset, result = small
    options = ExportOptions(export_date=DAY, offer_type="fgz")
    first = export("html", "html", dataset, result, options)
    assert first == export("html", "html", dataset, result, options)
    html = first.decode("utf-8")
    assert not re.search(r"<script[^>]+src=|<link[^>]+stylesheet", html)  # Leaflet inlined, nothing fetched
    assert not re.search(r"""src=["']https?://""", html)
    assert "Präventionsatlas" in html


def test_sidecar_records_settings(small):
    dataset, result = small
    record = json.loads(sidecar("table", "csv", dataset, result, OPTIONS))
    assert record["export_date"] == "2025-03-01"
    assert record["analysis"]["radii_m"] == {"fgz": 600.0}
    assert record["analysis"]["year"] == 2024
    assert record["data"]["versions"]["Sozialräume"] == "Sozialräume v1 (test.gpkg)"
    assert record["data"]["synthetic"] is False
    assert record["file"] == "praeventionsatlas_table_2024.csv"
    assert sidecar("table", "csv", dataset, result, OPTIONS) == sidecar("table", "csv", dataset, result, OPTIONS)


def test_csv_byte_identical(demo_case):
    dataset, result = demo_case
    assert export("table", "csv", dataset, result, OPTIONS) == export("table", "csv", dataset, result, OPTIONS)


# --- entry point and CLI -----------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kind", "fmt", "message"),
    [("karte", "pdf", "Unbekanntes Produkt"), ("table", "pdf", "gibt es als csv, xlsx"),
     ("report", "png", "gibt es als pdf")],
)
def test_export_rejects_unknown(small, kind, fmt, message):
    dataset, result = small
    with pytest.raises(ValueError, match=message):
        export(kind, fmt, dataset, result, OPTIONS)


def test_file_names_are_ascii(small):
    _, result = small
    name = file_name("offers", "png", result, ExportOptions(offer_type="fgz", dpi=300, orientation="portrait"))
    assert name == "praeventionsatlas_offers_fgz_2024_A4_hoch_300dpi.png"
    assert file_name("report", "pdf", result) == "praeventionsatlas_report_2024_A4.pdf"


def test_cli_export_table_with_sidecar(tmp_path, capsys):
    out = tmp_path / "tabelle.csv"
    assert cli.main(["export", "--kind", "table", "--out", str(out), "--date", "2025-03-01"]) == 0
    assert out.exists() and (tmp_path / "tabelle.json").exists()
    assert json.loads((tmp_path / "tabelle.json").read_text(encoding="utf-8"))["export_date"] == "2025-03-01"
    assert "geschrieben" in capsys.readouterr().out


def test_cli_export_reports_missing_offer_type(tmp_path, capsys):
    assert cli.main(["export", "--kind", "bivariate", "--out", str(tmp_path / "x.pdf")]) == 2
    assert "braucht eine Angebotsart" in capsys.readouterr().err


# --- the page ----------------------------------------------------------------------------------------------------

def _walk(node, found: list[str]) -> list[str]:
    for child in getattr(node, "children", {}).values():
        found.append(getattr(child, "type", ""))
        _walk(child, found)
    return found


def test_export_page(tmp_path, monkeypatch):
    at = open_page("app_pages/5_Export.py", timeout=60)
    assert not at.exception, at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels[0] == "Soziale Lage (Statusklassen) herunterladen (PDF, A4 Querformat)"
    assert "Bericht erstellen (PDF, A4)" == at.button(key="export_report_build").label  # then its download button
    for expected in ("CSV herunterladen", "XLSX herunterladen",
                     "GeoPackage herunterladen", "Interaktive Karte (HTML) herunterladen"):
        assert expected in labels
    at.selectbox(key="export_kind").set_value("bivariate").run()
    assert not at.exception, at.exception
    assert at.get("download_button")[0].label.startswith("Bedarf × Reichweite (bivariat) herunterladen")
    at.toggle(key="export_preview").set_value(True).run()
    assert not at.exception, at.exception
    assert "image" in _walk(at.main, [])
    tiles = at.toggle(key="export_tiles")
    assert tiles.label == "Hintergrundkarte (OpenStreetMap, falls erreichbar)" and tiles.value is False
    tiles.set_value(True).run()  # conftest: the tile URL is a closed local port, so the preview falls back
    assert not at.exception, at.exception
    assert "image" in _walk(at.main, [])
    assert "< 3" in "\n".join(str(e.value) for e in at.info)


@pytest.mark.parametrize(
    ("versions", "source", "expected"),
    [
        ({"Sozialräume": "Sozialräume v1 (VG5000_GEM.shp, 01.03.2025 10:00)"}, "eigene Daten", "GeoBasis-DE / BKG"),
        ({"Angebote": "Angebote v2 (schuldaten_2021.csv, 01.03.2025 10:00)"}, "", "Datenlizenz Deutschland"),
        ({"Angebote": "Angebote v3 (schulen_sozialindex_2024_25.csv)"}, "", "OpenStreetMap-Mitwirkende (ODbL)"),
        ({"Sozialräume": "Sozialräume v1 (stadtteile.gpkg)"}, "eigene Daten", None),
    ],
)
def test_licence_notes_follow_the_data(small, versions, source, expected):
    from geo.render.provenance import attribution, licence_notes

    dataset = small[0].with_layers(versions=versions, source=source)
    notes = licence_notes(dataset)
    if expected is None:
        assert notes == []
    else:
        assert any(expected in note for note in notes)
        assert expected in attribution(dataset)
    assert licence_notes(demo.load_demo()) == []  # the fictional demo needs none


def test_versions_text_hides_internal_layer_keys(small):
    from geo.render.provenance import versions_text

    dataset = small[0].with_layers(versions={"districts": "Sozialräume v2 (a.gpkg, 01.03.2025 10:00)",
                                             "Demo": "Musterstadt (eingebaut)"})
    assert versions_text(dataset) == "Sozialräume v2 (a.gpkg, 01.03.2025 10:00); Demo: Musterstadt (eingebaut)"
    assert versions_text(dataset.with_layers(versions={})) == "nicht angegeben"
