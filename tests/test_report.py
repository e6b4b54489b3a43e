"""The committee report: pages, key figures, repeated table header, methods page, fonts, metadata, determinism."""

from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from datetime import date

import pypdf
import pytest

from geo import demo
from geo.analysis import analyse
from geo.analysis.protect import HIDDEN_REASON, SMALL
from geo.render.print.kit import TextMeasure, rc
from geo.render.print.report import GAP_HEADER, REPORT_TITLE, _paginate, render_report
from tests.export_cases import small_case, small_result

DAY = date(2025, 3, 1)


@pytest.fixture(scope="module")
def demo_report():
    dataset = demo.load_demo()
    result = analyse(dataset)
    data = render_report(dataset, result, export_date=DAY)
    reader = pypdf.PdfReader(io.BytesIO(data))
    return dataset, result, data, reader, [page.extract_text() for page in reader.pages]


@pytest.fixture(scope="module")
def small_report():
    dataset = small_case()
    result = small_result(dataset)
    return dataset, result, render_report(dataset, result, export_date=DAY)


def test_structure_and_page_numbers(demo_report):
    dataset, result, _, reader, pages = demo_report
    n = len(reader.pages)
    # cover, need map, one page per analysed type, ≥ 1 gap table page, ≥ 1 methods page
    assert n >= 2 + len(result.offer_types) + 2
    for i, text in enumerate(pages, start=1):
        assert f"Seite {i} von {n}" in text
        assert "Quelle: Musterstadt – synthetische Beispieldaten, fiktiv" in text  # footer with source …
        assert "Export: 01.03.2025" in text  # … and date
        assert "synthetische Beispieldaten" in text
    assert pages[1].count("Bedarf: soziale Lage der Sozialräume") == 1
    for offer_type, page in zip(result.offer_types, pages[2:], strict=False):
        assert f"{dataset.offer_types.at[offer_type, 'plural']}: Erreichbarkeit und Lücken" in page
    assert "Methoden und Einstellungen" in pages[-1] or "Methoden und Einstellungen" in pages[-2]


def test_cover_key_figures(demo_report):
    _, result, _, _, pages = demo_report
    cover = pages[0]
    assert "Präventionsatlas" in cover and "Bericht für den Jugendhilfeausschuss" in cover
    assert str(len(result.districts)) in cover
    assert f"{int(result.key_figures['population']):,}".replace(",", ".") in cover  # 44.925
    assert "Familiengrundschulzentren (FGZ)" in cover and "Versorgungslücke" in cover
    assert "Inhalt" in cover


def test_gap_table_spans_pages_with_repeated_header(demo_report):
    _, result, _, _, pages = demo_report
    table_pages = [p for p in pages if "Rangliste" in p and "Begründung" in p]
    assert len(table_pages) >= 2  # 33 rows do not fit one page
    for page in table_pages:
        assert all(word in page for word in ("Rang", "Sozialraum", "Angebot", "Median-", "Begründung"))
    ranks = [int(m) for p in table_pages for m in re.findall(r"^(\d+) \S", p, flags=re.M)]
    assert set(range(1, len(result.gaps) + 1)) <= set(ranks)


def test_paginate_repeats_header_budget():
    rows = [[str(i), "Ort", "FGZ", "niedrig", "100", "50 %", "50", "1 km", "ja", "Grund " * 12] for i in range(40)]
    with rc():
        measure = TextMeasure()
        widths = [0.05, 0.13, 0.1, 0.08, 0.065, 0.065, 0.08, 0.065, 0.05, 0.315]
        pages = _paginate(measure, rows, [False] * 40, widths, 7.07, 7.4, 3.0, 4.0)
    assert len(pages) > 2 and sum(len(p) for p in pages) == 40
    assert [i for p in pages for i in p] == list(range(40))


def test_methods_page_states_every_parameter(demo_report):
    dataset, result, _, _, pages = demo_report
    methods = "\n".join(p for p in pages if "Methoden und Einstellungen" in p or "Reproduzierbarkeit" in p)
    flat = " ".join(methods.split())
    for key in result.weights:
        assert dataset.indicator_definitions.at[key, "label"] in flat
    for expected in ("Gewicht 1,00", "höherer Wert = mehr Bedarf", "Radius 1,5 km (1.500 m)", "Radius 1 km",
                     "Radius 5 km", "300 Einwohnern", "weniger als 50 %", "Luftlinie", "EPSG:25832",
                     "Indikatorjahr: 2024", "Musterstadt (eingebaut)", "Wohnblöcke", SMALL,
                     "ohne Hintergrundkarte", "Prüfsumme der Einstellungen", "Status sehr niedrig"):
        assert expected in flat, expected


def test_metadata_and_fonts(demo_report):
    _, result, data, reader, _ = demo_report
    meta = reader.metadata
    assert meta["/Title"] == REPORT_TITLE
    assert meta["/CreationDate"] == "D:20250301000000Z" and meta["/ModDate"] == "D:20250301000000Z"
    record = json.loads(meta["/Keywords"])
    assert record["analysis"]["radii_m"] == result.radii and record["export_date"] == "2025-03-01"
    if shutil.which("pdffonts"):
        out = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True).stdout.decode()
        fonts = [line for line in out.splitlines()[2:] if line.strip()]
        assert fonts and all("TrueType" in line and " yes yes yes " in line for line in fonts), out


def test_small_case_report_protects_and_repeats_identically(small_report):
    dataset, result, data = small_report
    pages = [p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages]
    text = " ".join(" ".join(pages).split())
    assert "Quelle: Testfall Kleinstadt (handgebaut)" in text
    assert "synthetische Beispieldaten" not in text
    assert " ".join(HIDDEN_REASON.split()[:4]) in text  # D3's reason would reveal 1 child in reach
    assert "Ohne Sozialräume, deren Wert aus Datenschutzgründen nicht ausgewiesen wird" in text
    assert "Sozialräume v1 (test.gpkg)" in text
    assert render_report(dataset, result, export_date=DAY) == data


def test_gap_header_is_german():
    assert GAP_HEADER[0] == "Rang" and GAP_HEADER[-1] == "Begründung"
