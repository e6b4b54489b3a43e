"""Dynamik and Gesamtindex in the exports: CSV/XLSX/GeoPackage columns, notes, sidecar, two print maps, CLI, page."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from datetime import date

import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest

from geo import cli, demo, settings
from geo.analysis import analyse
from geo.analysis.dynamics import DYNAMIC_CLASSES, OVERALL_CLASSES, attention_rule_text
from geo.analysis.need import STATUS_CLASSES
from geo.analysis.protect import HIDDEN
from geo.export import ExportOptions, export, file_name, sidecar
from geo.render.palette import DYNAMIC_COLORS, OVERALL_COLORS
from geo.render.print.content import KINDS, map_content
from geo.render.print.content_dynamics import overall_counts
from geo.render.tables import RESERVED_KEYS, result_columns
from tests.apptest import open_page
from tests.export_cases import small_case, small_result
from tests.export_dynamics_cases import CLASSES, COLLIDING, HOSTILE, INDEX, analysed, hostile_case, two_year_case

DAY = date(2025, 3, 1)
OPTIONS = ExportOptions(export_date=DAY)
#: The demo's Dynamik 2023 → 2024 (commit 898320b): classes and attention districts.
DEMO_CLASSES = {"positiv": 7, "stabil": 41, "negativ": 6}
DEMO_ATTENTION = 15


@pytest.fixture(scope="module")
def demo_case():
    dataset = demo.load_demo()
    return dataset, analyse(dataset)


@pytest.fixture(scope="module")
def two_years():
    dataset = two_year_case()
    return dataset, analysed(dataset)


@pytest.fixture(scope="module")
def hostile():
    dataset = hostile_case()
    return dataset, analysed(dataset)


@pytest.fixture(scope="module")
def one_year():
    dataset = small_case()
    return dataset, small_result(dataset)


def _csv(data: bytes) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(data), sep=";", decimal=",", encoding="utf-8-sig", dtype=str,
                       keep_default_na=False).set_index("Sozialraum-Nr.")


def _by_id(result) -> pd.DataFrame:
    return result.districts.set_index(result.districts[settings.DISTRICT_ID].astype(str))


def _pdf_text(data: bytes) -> str:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) fehlt")
    return subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


# --- the tables ----------------------------------------------------------------------------------------------------

def test_csv_dynamik_columns_equal_the_analysis(demo_case):
    dataset, result = demo_case
    table, d = _csv(export("table", "csv", dataset, result, OPTIONS)), _by_id(result)
    assert table["Dynamikklasse"].value_counts().to_dict() == {**DEMO_CLASSES, "nicht klassifiziert": len(d) - 54}
    assert (table["Besonderer Aufmerksamkeitsbedarf"] == "ja").sum() == DEMO_ATTENTION
    d = d.loc[table.index]
    assert (table["Dynamikklasse"] == d["dynamic_class"]).all()
    assert (table["Gesamtindex"] == d["overall_class"]).all()
    assert (table["Gesamtindex-Code"] == d["overall_code"]).all()
    assert (table["Besonderer Aufmerksamkeitsbedarf"] == d["attention"].map({True: "ja", False: "nein"})).all()
    classified = d["dynamic_classified"].to_numpy(dtype=bool)
    shown = table.loc[classified, "Dynamikindex"].str.replace(",", ".").astype(float)
    assert np.allclose(shown, d.loc[classified, "dynamic_index"].round(2))
    assert set(table.loc[~classified, "Dynamikindex"]) <= {"", HIDDEN}
    assert set(table["Gesamtindex"]) - {""} <= set(OVERALL_CLASSES)


def test_change_columns_by_hand_and_protected(two_years):
    """The two-year case of tests/export_dynamics_cases.py: changes, index and classes as computed by hand."""
    dataset, result = two_years
    table = _csv(export("table", "csv", dataset, result, OPTIONS))
    change = table["Veränderung SGB-II-Quote Kinder unter 15 Jahren 2022–2024 (Prozentpunkte)"]
    assert change.to_dict() == {"D1": "-2", "D2": "0", "D3": "10", "D4": HIDDEN}  # D4: 100 inhabitants
    assert table["Dynamikklasse"].to_dict() == CLASSES
    assert {k: float(v.replace(",", ".")) for k, v in table["Dynamikindex"].items() if v} == INDEX
    assert table.loc["D4", "Dynamik: ohne Klasse, weil"] == "weniger als 300 Einwohner"
    assert table.loc["D3", "Gesamtindex"] == f"{result.districts.set_index('district_id').at['D3', 'status_class']}, " \
                                            "Dynamik negativ"


def test_xlsx_dynamik_columns_formats_and_notes(demo_case):
    dataset, result = demo_case
    wb = openpyxl.load_workbook(io.BytesIO(export("table", "xlsx", dataset, result, OPTIONS)))
    ws = wb["Ergebnis"]
    header = [c.value for c in ws[1]]
    col = {name: header.index(name) for name in ("Sozialraum-Nr.", "Dynamikindex", "Dynamikklasse", "Gesamtindex")}
    d = _by_id(result)
    numbers = 0
    for row in ws.iter_rows(min_row=2):
        district = d.loc[str(row[col["Sozialraum-Nr."]].value)]
        assert row[col["Dynamikklasse"]].value == district["dynamic_class"]
        assert (row[col["Gesamtindex"]].value or "") == district["overall_class"]
        cell = row[col["Dynamikindex"]]
        if district["dynamic_classified"]:
            assert cell.value == pytest.approx(round(district["dynamic_index"], 2)) and cell.number_format == "0.00"
            numbers += 1
    assert numbers == sum(DEMO_CLASSES.values())
    notes = {r[0].value: r[2].value for r in wb["Erläuterungen"].iter_rows(min_row=2)}
    assert notes["Dynamik"].startswith("Zeitraum 2023–2024; Dynamikindex aus ")
    assert notes["Besonderer Aufmerksamkeitsbedarf"] == attention_rule_text()
    assert "Veränderung 2023–2024" in notes["Dynamikindex"]
    record = {r[0].value: r[1].value for r in wb["Einstellungen"].iter_rows(min_row=2)}
    assert record["analysis.dynamics.period"] == "2023–2024"
    assert record["analysis.dynamics.attention_rule_text"] == attention_rule_text()


def test_gpkg_dynamik_fields_equal_the_analysis(demo_case, tmp_path):
    dataset, result = demo_case
    path = tmp_path / "ergebnis.gpkg"
    path.write_bytes(export("layer", "gpkg", dataset, result, OPTIONS))
    layer = pyogrio.read_dataframe(path, layer="sozialraeume").set_index("sozialraum_nr")
    d = _by_id(result).loc[layer.index]
    assert (layer["dynamikklasse"] == d["dynamic_class"]).all()
    assert (layer["gesamtindex"].fillna("") == d["overall_class"]).all()
    assert (layer["aufmerksamkeitsbedarf"] == "ja").sum() == DEMO_ATTENTION
    classified = d["dynamic_classified"].to_numpy(dtype=bool)
    assert np.allclose(layer.loc[classified, "dynamikindex"], d.loc[classified, "dynamic_index"].round(2))
    assert layer.loc[~classified, "dynamikindex"].isna().all()
    assert layer["dynamikindex"].dtype == float
    meta = pyogrio.read_dataframe(path, layer="metadaten").set_index("schluessel")["wert"]
    assert meta["analysis.dynamics.period"] == "2023–2024"


def test_sidecar_names_the_period_and_the_rule(demo_case):
    dataset, result = demo_case
    record = json.loads(sidecar("table", "csv", dataset, result, OPTIONS))["analysis"]["dynamics"]
    assert record["period"] == "2023–2024" and record["base_year"] == 2023 and record["computed"] is True
    assert record["attention_rule"] == [list(pair) for pair in settings.ATTENTION_RULE]
    assert record["attention_rule_text"] == ("Status niedrig oder Status sehr niedrig (jede Dynamik), Status mittel "
                                             "mit Dynamik negativ")


def test_hostile_names_and_colliding_indicator_names(hostile, tmp_path):
    dataset, result = hostile
    cols = result_columns(result, offer_types=dataset.offer_types, indicator_definitions=dataset.indicator_definitions)
    labels, keys = [c.label for c in cols], [c.key for c in cols]
    assert len(set(labels)) == len(labels) and len(set(keys)) == len(keys)
    assert all(k.isascii() and k.replace("_", "").isalnum() and not k[0].isdigit() for k in keys)
    assert not RESERVED_KEYS & set(keys)
    by_source = {c.source: c for c in cols}
    assert by_source["overall_class"].label == "Gesamtindex" and by_source["overall_class"].key == "gesamtindex"
    assert by_source["gesamtindex"].label == "Gesamtindex (Indikator)"
    assert [by_source[k].key for k, _ in COLLIDING] == ["gesamtindex_2", "fid_2", "geom_2", "groesse_l"]

    table = _csv(export("table", "csv", dataset, result, OPTIONS))
    assert table["Gesamtindex"].to_dict() == result.districts.set_index("district_id")["overall_class"].to_dict()
    assert table["Gesamtindex (Indikator)"].to_dict() == {"D1": "1", "D2": "2", "D3": "3", "D4": HIDDEN}
    assert table.loc["D1", "Sozialraum"] == "'=1+1" and table.loc["D2", "Sozialraum"] == HOSTILE["D2"]

    path = tmp_path / "h.gpkg"
    path.write_bytes(export("layer", "gpkg", dataset, result, OPTIONS))
    layer = pyogrio.read_dataframe(path, layer="sozialraeume").set_index("sozialraum_nr")
    assert layer.loc["D3", "gesamtindex"] == table.loc["D3", "Gesamtindex"]
    assert layer.loc["D2", "fid_2"] == 3.0 and layer.loc["D3", "groesse_l"] == 6.0
    assert layer.loc["D3", "sozialraum"] == HOSTILE["D3"]


def test_one_year_keeps_the_columns_with_the_reason(one_year):
    """One stored year: the same fields as every other year, empty or "nicht klassifiziert", and why."""
    dataset, result = one_year
    table = _csv(export("table", "csv", dataset, result, OPTIONS))
    assert set(table["Dynamikklasse"]) == {"nicht klassifiziert"}
    assert set(table["Dynamikindex"]) == {""} and set(table["Gesamtindex"]) == {""}
    assert set(table["Dynamik: ohne Klasse, weil"]) == {
        "kein früheres Jahr gespeichert und keine Dynamik-Indikatoren geliefert"}
    assert not any(c.startswith("Veränderung ") for c in table.columns)
    status = result.districts.set_index("district_id")["status_class"]
    expected = {k: "ja" if s in ("Status niedrig", "Status sehr niedrig") else "nein" for k, s in status.items()}
    assert table["Besonderer Aufmerksamkeitsbedarf"].to_dict() == expected  # the rule's part without a Dynamik
    wb = openpyxl.load_workbook(io.BytesIO(export("table", "xlsx", dataset, result, OPTIONS)))
    notes = {r[0].value: r[2].value for r in wb["Erläuterungen"].iter_rows(min_row=2)}
    assert notes["Dynamik"] == result.dynamics.note
    assert "Kein Dynamikindex: kein früheres Jahr gespeichert" in notes["Dynamik"]
    record = json.loads(sidecar("table", "csv", dataset, result, OPTIONS))["analysis"]["dynamics"]
    assert record["computed"] is False and record["period"] == ""


# --- the print maps -------------------------------------------------------------------------------------------------

def test_the_two_map_kinds_are_offered():
    assert KINDS["gesamtindex"] == "Gesamtindex (Status × Dynamik)"
    assert KINDS["dynamik"] == "Dynamik (Veränderung der sozialen Lage)"


def test_gesamtindex_map_counts_colours_and_outlines(demo_case):
    dataset, result = demo_case
    content = map_content("gesamtindex", dataset, result)
    d = result.districts
    expected = pd.crosstab(d["status_class"], d["dynamic_class"]).reindex(
        index=list(STATUS_CLASSES), columns=list(DYNAMIC_CLASSES), fill_value=0)
    assert content.grid["counts"] == expected.to_numpy().tolist()
    assert sum(map(sum, content.grid["counts"])) == 54 and overall_counts(result)[1] == len(d) - 54
    assert content.grid["title"] == "Gesamtindex (Status × Dynamik 2023–2024)"
    assert (content.emphasis == d["attention"].to_numpy()).all() and content.emphasis.sum() == DEMO_ATTENTION
    for style, overall in zip(content.styles, d["overall_class"], strict=True):
        assert style.face == OVERALL_COLORS.get(overall, "#ffffff")
    attention = [s for s in content.sections if s.title == "Besonderer Aufmerksamkeitsbedarf"][0]
    assert attention.items[0].label == f"umrandet und fett beschriftet (15): {attention_rule_text()}"
    unclassified = [s for s in content.sections if s.title == "Ohne Gesamtindex"][0]
    assert unclassified.items[0].label.startswith(f"nicht klassifiziert ({len(d) - 54})")


def test_dynamik_map_three_classes(demo_case):
    dataset, result = demo_case
    content = map_content("dynamik", dataset, result)
    items = content.sections[0].items
    assert [i.label.rsplit("; ", 1)[1] for i in items[:3]] == [f"{n})" for n in DEMO_CLASSES.values()]
    assert [i.style.face for i in items[:3]] == [DYNAMIC_COLORS[c] for c in DYNAMIC_CLASSES]
    assert content.title == "Dynamik der sozialen Lage 2023–2024"
    assert content.grid is None


@pytest.mark.parametrize("kind", ["gesamtindex", "dynamik"])
def test_maps_without_a_dynamik_print_a_note(one_year, kind):
    dataset, result = one_year
    content = map_content(kind, dataset, result)
    assert "counts" not in content.grid and content.grid["title"] == "Keine Dynamik"
    assert "kein früheres Jahr gespeichert" in content.grid["note"]
    text = " ".join(_pdf_text(export(kind, "pdf", dataset, result, OPTIONS)).split())
    assert "Keine Dynamik" in text and "kein früheres Jahr gespeichert" in text


def test_gesamtindex_pdf_names_the_key(demo_case):
    dataset, result = demo_case
    text = " ".join(_pdf_text(export("gesamtindex", "pdf", dataset, result, OPTIONS)).split())
    assert "Gesamtindex: soziale Lage und Dynamik 2023–2024" in text
    assert "Zahl im Feld = Sozialräume" in text and "Besonderer Aufmerksamkeitsbedarf" in text
    assert file_name("gesamtindex", "pdf", result, ExportOptions(offer_type="fgz")) == \
        "praeventionsatlas_gesamtindex_2024_A4_quer.pdf"


def test_hostile_names_print_as_written(hostile):
    dataset, result = hostile
    text = _pdf_text(export("gesamtindex", "pdf", dataset, result, ExportOptions(export_date=DAY,
                                                                                  orientation="portrait")))
    assert "1337" not in text and "{{7*191}}" in text and "x^2" in text


def test_cli_exports_the_gesamtindex_pdf(tmp_path, capsys):
    out = tmp_path / "gesamtindex.pdf"
    assert cli.main(["export", "--kind", "gesamtindex", "--format", "pdf", "--out", str(out),
                     "--date", "2025-03-01"]) == 0
    assert out.read_bytes().startswith(b"%PDF")
    assert "Gesamtindex: soziale Lage und Dynamik 2023–2024" in " ".join(_pdf_text(out.read_bytes()).split())


def test_export_page_offers_the_gesamtindex():
    at = open_page("app_pages/5_Export.py", timeout=90)
    assert not at.exception, at.exception
    at.selectbox(key="export_kind").set_value("gesamtindex").run(timeout=90)
    assert not at.exception, at.exception
    labels = [b.label for b in at.get("download_button")]
    assert labels[0] == "Gesamtindex (Status × Dynamik) herunterladen (PDF, A4 Querformat)"
