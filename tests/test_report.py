"""The committee report: cover with the answer, ranking options, contents, pages, methods, fonts, determinism."""

from __future__ import annotations

import dataclasses
import io
import json
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import numpy as np
import pypdf
import pytest
from PIL import Image

from geo import demo
from geo.analysis import Params, analyse
from geo.analysis.protect import HIDDEN_REASON, SMALL, protect_gaps
from geo.cli import main
from geo.export import ExportOptions, export
from geo.render.print.kit import TextMeasure, rc
from geo.render.print.page import paginate
from geo.render.print.ranking import ANNEX_CONTENTS, ANNEX_TITLE, GAP_HEADER, RANKINGS, gap_districts, gap_rows
from geo.render.print.report import REPORT_TITLE, render_report
from tests.export_cases import small_case, small_result

DAY = date(2025, 3, 1)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts"
#: The demo's gaps, by hand from the issue's walk-through: Eichkamp (FGZ, Familienbüro, Lotsendienst),
#: Buchenhain (FGZ), Lohfeld (Familienbüro) – 5 rows of 33 in-need rows (11 districts × 3 types).
DEMO_GAP_DISTRICTS = ["Eichkamp", "Buchenhain", "Lohfeld"]


def _texts(data: bytes) -> list[str]:
    """Text per page: pdftotext when installed (as a reader would copy it), else pypdf's text objects."""
    if shutil.which("pdftotext"):
        out = subprocess.run(["pdftotext", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()
        return out.split("\f")[:-1]
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages]


def _contents(data: bytes) -> list[tuple[str, int, int]]:
    """The contents list of the cover: (title, first page, last page), from the text objects in drawing order."""
    cover = pypdf.PdfReader(io.BytesIO(data)).pages[0].extract_text()
    lines = cover[cover.index("Inhalt\n"):].splitlines()[1:]
    entries = []
    for line in lines:
        m = re.fullmatch(r"(.+?) (\d+)(?:–(\d+))?", line.strip())
        if not m:
            break
        entries.append((m[1], int(m[2]), int(m[3] or m[2])))
    return entries


def _table_pages(data: bytes, title: str) -> list[str]:
    """Text objects (drawing order) of the pages of the ranked table ``title`` (its first page and continuations)."""
    pages = [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages[1:]]
    return [p for p in pages if "Begründung" in p and (title in p and "Rang" in p)]


def _ranks(pages: list[str]) -> list[int]:
    """Rank numbers of the rows of the ranked tables on ``pages``."""
    # not a wrapped reason's "… von 6 bis unter 10 Jahren"
    return [int(m) for p in pages for m in re.findall(r"^(\d+) (?!Jahren)[A-ZÄÖÜ]\S", p, flags=re.M)]


@pytest.fixture(scope="module")
def demo_report():
    dataset = demo.load_demo()
    result = analyse(dataset)
    data = render_report(dataset, result, export_date=DAY)
    reader = pypdf.PdfReader(io.BytesIO(data))
    return dataset, result, data, reader, [page.extract_text() for page in reader.pages]


@pytest.fixture(scope="module")
def demo_case():
    dataset = demo.load_demo()
    return dataset, analyse(dataset)


@pytest.fixture(scope="module")
def small_report():
    dataset = small_case()
    result = small_result(dataset)
    return dataset, result, render_report(dataset, result, export_date=DAY)


def test_structure_and_page_numbers(demo_report):
    dataset, result, _, reader, pages = demo_report
    n = len(reader.pages)
    # cover, need map, Soziale Lage und Dynamik (map and counts, attention list), one page per analysed type,
    # 1 ranking page (5 gaps), methods
    assert n >= 4 + len(result.offer_types) + 2
    for i, text in enumerate(pages, start=1):
        assert f"Seite {i} von {n}" in text
        assert "Quelle: Musterstadt – synthetische Beispieldaten, fiktiv" in text  # footer with source …
        assert "Export: 01.03.2025" in text  # … and date
        assert "synthetische Beispieldaten" in text
    assert pages[1].count("Bedarf: soziale Lage der Sozialräume") == 1
    assert "Soziale Lage und Dynamik" in pages[2] and "Sozialräume mit besonderem Aufmerksamkeitsbedarf" in pages[3]
    for offer_type, page in zip(result.offer_types, pages[4:], strict=False):
        assert f"{dataset.offer_types.at[offer_type, 'plural']}: Reichweite und Versorgungslücken" in page
    assert "Methoden und Einstellungen" in pages[-1] or "Methoden und Einstellungen" in pages[-2]


def test_cover_leads_with_the_gap_map_and_the_gap_districts(demo_report):
    _, result, data, _, _ = demo_report
    cover = _texts(data)[0]
    flat = " ".join(cover.split())
    assert "Ergebnis auf einen Blick: Versorgungslücken" in flat
    # the combined gaps map: its legend, the hatched classes per number of types, the type suffix of the names
    # Eichkamp lacks Familienbüro and FGZ; its births belong mostly to a clinic with a Lotsendienst (the
    # Lotsendienst is measured by the nearest Geburtsklinik, no longer by a 5 km radius)
    for legend in ("Lücke bei 1 Angebotsart (2)", "Lücke bei 2 Angebotsarten (1)", "Lücke bei 3 Angebotsarten (0)",
                   "hoher Bedarf, keine Lücke (8)", "Maßstab ca. 1 :"):
        assert legend in flat, legend
    assert "Eichkamp (Familienbüro, FGZ)" in flat and "Buchenhain (FGZ)" in flat  # the labels on the map
    gap_names = sorted(set(result.gaps.loc[result.gaps["is_gap"], "district_name"]))
    assert gap_names == sorted(DEMO_GAP_DISTRICTS)
    assert "3 Sozialräume mit Versorgungslücke" in flat
    # the list: largest gap first, the types with a gap, the people of the type's target group without an offer in
    # reach per type (children 6–9 for the FGZ, 0–2 for the Familienbüro: the demo's age bands)
    for row in ("Eichkamp niedrig FGZ, Familienbüro FGZ 472, Familienbüro 319",
                "Buchenhain sehr niedrig FGZ FGZ 313", "Lohfeld sehr niedrig Familienbüro Familienbüro 94"):
        assert row in flat, row
    assert flat.index("Eichkamp niedrig") < flat.index("Buchenhain sehr") < flat.index("Lohfeld sehr")
    assert "weitere in Abschnitt" not in flat  # all three fit
    # key figures, compact
    assert str(len(result.districts)) in cover and "44.925" in cover and "10.886" in cover
    assert "Kinder in Sozialräumen mit hohem Bedarf" in flat and "Kinder mit Bedarf" not in flat


def test_cover_lists_the_largest_gaps_and_names_the_rest(demo_case):
    dataset, _ = demo_case
    # a threshold above 100 %: every in-need row is a gap, 11 districts – more than the A4 cover holds
    result = analyse(dataset, Params(max_share_in_reach=1.01))
    districts = gap_districts(gap_rows(dataset, protect_gaps(result.gaps)))
    assert len(districts) == 11 and [g.types for g in districts[:1]] == [["FGZ", "Familienbüro", "Lotsendienst"]]
    data = render_report(dataset, result, export_date=DAY)
    pages = _texts(data)
    cover = " ".join(pages[0].split())
    assert "11 Sozialräume mit Versorgungslücke" in cover
    listed = [g.name for g in districts if re.search(rf"{re.escape(g.name)} (sehr )?niedrig ", cover)]
    m = re.search(r"… (\d+) weitere in Abschnitt „Rangliste der Versorgungslücken“ \(Seite (\d+)\)\.", cover)
    assert m, cover
    assert listed == [g.name for g in districts[: len(listed)]]  # the largest gaps, in the ranking's order
    assert 3 <= len(listed) < 11 and int(m[1]) == 11 - len(listed)
    ranking_page = int(m[2])
    assert "Rangliste der Versorgungslücken" in pages[ranking_page - 1]
    assert dict((e[0], e[1]) for e in _contents(data))["Rangliste der Versorgungslücken"] == ranking_page
    every = " ".join(" ".join(pages[ranking_page - 1:]).split())
    assert all(g.name in every for g in districts)  # the rest are in the ranking


def test_contents_lists_every_page(demo_report):
    dataset, result, data, reader, _ = demo_report
    pages = _texts(data)
    entries = _contents(data)
    plural = [dataset.offer_types.at[t, "plural"] for t in result.offer_types]
    assert [e[0] for e in entries] == ["Ergebnis auf einen Blick", "Bedarf: soziale Lage der Sozialräume",
                                       "Soziale Lage und Dynamik", *(f"Reichweite: {p}" for p in plural),
                                       "Rangliste der Versorgungslücken",
                                       "Präventionskette: fehlende Glieder", "Methoden und Einstellungen"]
    # contiguous from page 1 to the last page: no page is left out (the old list ended one page short)
    assert entries[0][1] == 1 and entries[-1][2] == len(reader.pages)
    assert all(b[1] == a[2] + 1 for a, b in zip(entries, entries[1:], strict=False))
    heading = {"Ergebnis auf einen Blick": "Ergebnis auf einen Blick: Versorgungslücken",
               "Rangliste der Versorgungslücken": "Rangliste der Versorgungslücken",
               "Methoden und Einstellungen": "Methoden und Einstellungen",
               "Präventionskette: fehlende Glieder": "Am häufigsten fehlt das Glied",
               "Bedarf: soziale Lage der Sozialräume": "Bedarf: soziale Lage der Sozialräume",
               "Soziale Lage und Dynamik": "Sozialräume je Statusklasse und Dynamikklasse",
               **{f"Reichweite: {p}": f"{p}: Reichweite und Versorgungslücken" for p in plural}}
    for title, first, _ in entries:
        assert heading[title] in " ".join(pages[first - 1].split()), title
    methods = dict((e[0], e[1:]) for e in entries)["Methoden und Einstellungen"]
    assert "Reproduzierbarkeit" in pages[methods[1] - 1]  # the methods' last block ends the report


def test_ranking_options_give_exactly_the_expected_rows(demo_case):
    dataset, result = demo_case
    n_gap = int(result.gaps["is_gap"].sum())
    n_rest = int((~result.gaps["is_gap"]).sum())
    assert (n_gap, n_rest) == (4, 29)  # 11 in-need districts × 3 types = 33 rows
    rest_districts = result.gaps.loc[~result.gaps["is_gap"], "district_id"].nunique()
    assert rest_districts == 11  # every in-need district has a type without gap (Eichkamp: the Lotsendienst)
    texts, body = {}, {}
    for ranking in RANKINGS:
        data = export("report", "pdf", dataset, result, ExportOptions(export_date=DAY, ranking=ranking))
        texts[ranking] = _texts(data)
        body[ranking] = _table_pages(data, "Rangliste der")
        if ranking == "annex":
            annex_data = data
    assert _ranks(body["gaps"]) == [1, 2, 3, 4]
    assert _ranks(body["all"]) == list(range(1, 34))
    assert len(body["all"]) >= 2  # 33 rows do not fit one page: the header repeats on every page
    for page in body["all"]:
        assert all(word in page for word in ("Rang", "Sozialraum", "Angebot", "Median-", "Begründung"))
    assert _ranks(body["annex"]) == [1, 2, 3, 4]
    assert _ranks(_table_pages(annex_data, "Anhang:")) == list(range(5, 34))  # the 29 rows, ranked as in the list
    gaps_text = " ".join(" ".join(texts["gaps"]).split())
    assert (f"Nicht aufgeführt: {n_rest} Kombinationen aus Sozialraum mit hohem Bedarf und Angebotsart ohne "
            f"Versorgungslücke ({rest_districts} Sozialräume); sie stehen in der Ergebnistabelle (XLSX") in gaps_text
    assert ("Rangliste (Option „gaps“): nur die Versorgungslücken je Angebotsart, absteigend nach der Zahl der "
            "Kinder ohne Angebot in Reichweite; die übrigen Sozialräume mit hohem Bedarf stehen in der "
            "Ergebnistabelle") in gaps_text
    zero = re.compile(r"(?<![\d,])0 % der Kinder von \d+ bis unter \d+ Jahren wohnen weiter als")  # found noise
    assert not zero.search(gaps_text) and zero.search(" ".join(" ".join(texts["all"]).split()))
    annex_text = " ".join(" ".join(texts["annex"]).split())
    first_annex = next(i for i, p in enumerate(texts["annex"], start=1) if ANNEX_TITLE in p)
    assert f"sie stehen im Anhang (ab Seite {first_annex})." in annex_text
    contents = dict((e[0], e[1:]) for e in _contents(annex_data))
    assert contents[ANNEX_CONTENTS][0] == first_annex  # in the contents, too
    assert contents[ANNEX_CONTENTS][1] == len(texts["annex"])
    assert first_annex > next(i for i, p in enumerate(texts["annex"], start=1) if "Reproduzierbarkeit" in p)
    assert "Option „annex“" in annex_text and "Option „all“" in " ".join(" ".join(texts["all"]).split())
    assert "Nicht aufgeführt" not in " ".join(texts["all"])
    # the methods name each type's target group and reach model, the Präventionskette has its page; the more rows
    # take two annex pages, and one more ranking page with "all"; two pages "Soziale Lage und Dynamik" in each
    assert (len(texts["gaps"]), len(texts["annex"]), len(texts["all"])) == (11, 13, 12)


def test_unknown_ranking_is_refused_in_german(demo_case):
    dataset, result = demo_case
    with pytest.raises(ValueError, match="Unbekannte Rangliste 'alles'; möglich: gaps, annex, all"):
        render_report(dataset, result, export_date=DAY, ranking="alles")


def test_paginate_repeats_header_budget():
    rows = [[str(i), "Ort", "FGZ", "niedrig", "100", "50 %", "50", "1 km", "ja", "Grund " * 12] for i in range(40)]
    with rc():
        measure = TextMeasure()
        widths = [0.05, 0.13, 0.1, 0.08, 0.065, 0.065, 0.08, 0.065, 0.05, 0.315]
        pages = paginate(measure, rows, [False] * 40, widths, 7.07, 7.4, 3.0, 4.0, header=GAP_HEADER)
    assert len(pages) > 2 and sum(len(p) for p in pages) == 40
    assert [i for p in pages for i in p] == list(range(40))


def test_methods_page_states_every_parameter(demo_report):
    dataset, result, _, _, pages = demo_report
    methods = "\n".join(p for p in pages if "Methoden und Einstellungen" in p or "Reproduzierbarkeit" in p)
    flat = " ".join(methods.split())
    for key in result.weights:
        assert dataset.indicator_definitions.at[key, "label"] in flat
    for expected in ("Gewicht 1,00", "höherer Wert = mehr Bedarf", "Familienbüros 1,5 km (1.500 m), 10 Standorte",
                     "(FGZ) 1 km (1.000 m)", "Geburtskliniken 5 km (5.000 m)", "300 Einwohnern", "weniger als 50 %",
                     "Luftlinie", "EPSG:25832",
                     "Indikatorjahr: 2024", "Musterstadt (eingebaut)", "Wohnblöcke", SMALL,
                     "ohne Hintergrundkarte", "Prüfsumme (SHA-256, gekürzt)", "Status sehr niedrig"):
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


def _not_blank(png: Path) -> float:
    """Share of pixels that are not near-white (a blank page has ~0)."""
    grey = np.asarray(Image.open(png).convert("L"))
    return float((grey < 235).mean())


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) fehlt: keine Seitenbilder")
def test_report_and_print_maps_are_rendered_for_review(demo_report, demo_case):
    """Every report page and every print map kind as a 70-dpi PNG in test-artifacts/report/ – to be looked at."""
    dataset, result = demo_case
    _, _, data, reader, _ = demo_report
    out = ARTIFACTS / "report"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    (out / "bericht.pdf").write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "70", "-png", str(out / "bericht.pdf"), str(out / "bericht")], check=True)
    pages = sorted(out.glob("bericht-*.png"))
    assert len(pages) == len(reader.pages)
    maps = [("status", None), ("gaps", None), *(("reach", t) for t in result.offer_types),
            *(("bivariate", t) for t in result.offer_types)]
    for kind, offer_type in maps:
        name = f"karte_{kind}" + (f"_{offer_type}" if offer_type else "")
        pdf = export(kind, "pdf", dataset, result, ExportOptions(offer_type=offer_type, export_date=DAY))
        (out / f"{name}.pdf").write_bytes(pdf)
        subprocess.run(["pdftoppm", "-r", "70", "-png", "-singlefile", str(out / f"{name}.pdf"), str(out / name)],
                       check=True)
    images = sorted(out.glob("*.png"))
    assert len(images) == len(reader.pages) + len(maps)
    for png in images:
        assert _not_blank(png) > 0.02, png.name  # drawn, not an empty page


def test_cli_report_with_annex(tmp_path, capsys):
    out = tmp_path / "bericht.pdf"
    assert main(["export", "--kind", "report", "--ranking", "annex", "--out", str(out), "--date", "2025-03-01"]) == 0
    assert "Bericht für den Jugendhilfeausschuss (PDF) geschrieben" in capsys.readouterr().out
    reader = pypdf.PdfReader(out)
    assert json.loads(reader.metadata["/Keywords"])["product"] == {"kind": "report", "paper": "A4", "ranking": "annex"}
    text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert ANNEX_TITLE in text and "Option „annex“" in text
    with pytest.raises(SystemExit):
        main(["export", "--kind", "report", "--ranking", "alles"])
    assert "alles" in capsys.readouterr().err  # argparse names the refused choice


def test_ranking_is_a_report_option_only():
    options = ExportOptions(ranking="all", export_date=DAY)
    assert options.product("report", "pdf") == {"kind": "report", "format": "pdf", "paper": "A4", "ranking": "all"}
    assert "ranking" not in options.product("gaps", "pdf") and "ranking" not in options.product("html", "html")


def test_report_of_a_city_without_offers_yet(demo_case):
    dataset, _ = demo_case
    bare = dataclasses.replace(dataset, offers=dataset.offers.iloc[0:0])
    result = analyse(bare)
    assert result.offer_types == []
    data = render_report(bare, result, export_date=DAY)
    pages = _texts(data)
    cover = " ".join(pages[0].split())
    assert "Keine Versorgungslücke Noch keine Angebotsart analysiert" in cover
    assert "Wo fehlen präventive Angebote in Sozialräumen mit hohem Bedarf?" in cover
    assert "hoher Bedarf, keine Lücke (11)" in cover  # the map still shows the districts in need
    assert [e[0] for e in _contents(data)] == ["Ergebnis auf einen Blick", "Bedarf: soziale Lage der Sozialräume",
                                               "Soziale Lage und Dynamik", "Rangliste der Versorgungslücken",
                                               "Methoden und Einstellungen"]
