"""The committee report's scenario chapter: marked pages, edits in words, figures against analyse(), hostile text.

The demo scenario "Zwei neue FGZ" closes the FGZ of Grundschule Lohfeld and accepts two site suggestions, FGZ at
GGS Eichkamp and GGS Buchenhain (the schools' points). FGZ reach is the assigned Grundschule: Eichkamp's and
Buchenhain's children get an FGZ at their school, Lohfeld's (and their neighbours') lose theirs.
"""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pypdf
import pytest
from PIL import Image
from shapely.geometry import Point

from geo import DataError, settings
from geo.analysis import Params, analyse, column
from geo.analysis.protect import district_codes, protected_totals
from geo.analysis.scenarios import SCENARIO_COLUMNS, empty_edits, scenario_text
from geo.cli import main
from geo.export import ExportOptions, export
from geo.render.palette import CHANGE_LABELS, DIVERGING, change_class
from geo.render.print.scenario import scenario_chapter, scenario_chapters
from geo.render.print.scenario_map import offer_changes
from geo.store import create_workspace, open_workspace
from geo.store.scenarios import save_scenario
from tests.export_cases import X0, Y0, small_case, small_result

DAY = date(2025, 3, 1)
ARTIFACTS = Path(__file__).resolve().parents[1] / "test-artifacts" / "scenario_report"
NAME = "Zwei neue FGZ"
MARK = "kein Bestand, nur Planungsvariante"
#: The points of GGS Eichkamp and GGS Buchenhain in the demo (EPSG:25832).
EICHKAMP, BUCHENHAIN = (420148.4, 5726768.5), (418641.1, 5727492.1)
NOTE = "Bedarfsgewichte: Status sehr niedrig 3, niedrig 2; Kandidaten: Grundschulen ohne FGZ; k = 2; optimal gelöst"


def _edits(name: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame([{"scenario": name, "step": float(i), **row} for i, row in enumerate(rows, start=1)])
    return pd.concat([empty_edits(), frame], ignore_index=True)[list(SCENARIO_COLUMNS)]


def demo_edits() -> pd.DataFrame:
    return _edits(NAME, [
        {"action": "note", "note": NOTE, "source": "suggestion"},
        {"action": "close", settings.OFFER_ID: "FGZ-13", settings.OFFER_TYPE: "fgz", "source": "manual"},
        *({"action": "add", settings.OFFER_ID: f"S-{k}", settings.OFFER_TYPE: "fgz",
           settings.OFFER_NAME: f"Vorschlag {k}: {school}", settings.OFFER_ADDRESS: "", settings.OFFER_CAPACITY: 60.0,
           "x": xy[0], "y": xy[1], "source": "suggestion"}
          for k, (school, xy) in enumerate([("GGS Eichkamp", EICHKAMP), ("GGS Buchenhain", BUCHENHAIN)], start=1)),
    ])


def _texts(data: bytes) -> list[str]:
    """Text per page in drawing order (a table row by row), whitespace folded."""
    return [" ".join(page.extract_text().split()) for page in pypdf.PdfReader(io.BytesIO(data)).pages]


@pytest.fixture(scope="module")
def demo_case(tmp_path_factory):
    """The report of a demo practice copy with the stored scenario, made by the command line like a user would."""
    root = tmp_path_factory.mktemp("szenario-daten")
    workspace = create_workspace("Übung Szenario", root=root, demo_copy=True)
    save_scenario(workspace, NAME, demo_edits().drop(columns=["scenario", "step"]))
    out = root / "bericht.pdf"
    code = main(["export", "--kind", "report", "--workspace", str(workspace.path), "--scenario-chapter", NAME,
                 "--date", DAY.isoformat(), "--out", str(out)])
    assert code == 0
    dataset = open_workspace(str(workspace.path)).dataset()
    data = out.read_bytes()
    return dataset, analyse(dataset), data, _texts(data)


def _chapter_pages(texts: list[str]) -> list[int]:
    return [i for i, t in enumerate(texts) if MARK in t]


def test_the_chapter_follows_the_bestand_and_marks_each_of_its_pages(demo_case):
    _, result, data, texts = demo_case
    pages = _chapter_pages(texts)
    # one text page and one difference map (only the FGZ change), after the Bestand's chain page
    assert len(pages) == 2 and pages == list(range(pages[0], pages[0] + 2))
    for i in pages:
        assert scenario_text(NAME) in texts[i]
    assert f"Szenario: {NAME}" in texts[pages[0]] and "Differenzkarte: Familiengrundschulzentren (FGZ)" in \
        texts[pages[1]]
    assert "Präventionskette: fehlende Glieder" in texts[pages[0] - 1]
    assert "Methoden und Einstellungen" in texts[pages[-1] + 1]
    # the Bestand pages carry no mark; the contents list the chapter with its pages
    assert not any(MARK in t for i, t in enumerate(texts) if i not in pages)
    assert f"Szenario: {NAME} {pages[0] + 1}–{pages[1] + 1} " in texts[0]
    # the settings record names the scenario
    keywords = pypdf.PdfReader(io.BytesIO(data)).metadata["/Keywords"]
    assert f'"scenarios":["{NAME}"]' in keywords


def test_the_edits_and_assumptions_read_in_plain_words(demo_case):
    _, _, _, texts = demo_case
    page = texts[_chapter_pages(texts)[0]]
    assert "Vorschlag: 2 neue Standorte (FGZ) an „GGS Eichkamp“ und „GGS Buchenhain“." in page
    assert "Geschlossen: 1 Standort (FGZ): „FGZ Grundschule Lohfeld“." in page
    assert NOTE in page
    assert "Alles Übrige wie im Bestand: Indikatorjahr 2024" in page


def _variant(dataset):
    """The scenario's offers built by hand (not by apply_edits): FGZ-13 gone, two FGZ at the schools."""
    offers = dataset.offers[dataset.offers[settings.OFFER_ID] != "FGZ-13"]
    added = gpd.GeoDataFrame({settings.OFFER_ID: ["S-1", "S-2"], settings.OFFER_TYPE: "fgz",
                              settings.OFFER_NAME: ["GGS Eichkamp", "GGS Buchenhain"], settings.OFFER_ADDRESS: "",
                              settings.OFFER_CAPACITY: 60.0},
                             geometry=[Point(*EICHKAMP), Point(*BUCHENHAIN)], crs=offers.crs)
    return dataset.with_layers(offers=pd.concat([offers, added], ignore_index=True), scenarios=None)


def test_the_key_figures_are_those_of_analyse(demo_case):
    dataset, before, _, texts = demo_case
    after = analyse(_variant(dataset))
    fgz = "fgz"
    shown = ((district_codes(before)[column("share_in_reach", fgz)] == "")
             & (district_codes(after)[column("share_in_reach", fgz)] == "")).to_numpy()
    need = before.districts["status_class"].isin(["Status niedrig", "Status sehr niedrig"]).to_numpy()

    def reached(result, rows):
        d = result.districts
        return float((d[column("target", fgz)] * d[column("share_in_reach", fgz)]).to_numpy()[rows].sum())

    assert shown.sum() == len(shown) - 4  # four districts with a suppressed share: left out, marked *
    # the in-need figures need no suppression here: they are the analysis' own protected key figures
    assert protected_totals(before)[column("in_need_reached", fgz)].left_out == 0
    in_need = [protected_totals(r)[column("in_need_reached", fgz)].value for r in (before, after)]
    assert in_need == pytest.approx([reached(before, need), reached(after, need)])
    assert [round(v) for v in in_need] == [1512, 2013]
    assert [round(reached(r, shown)) for r in (before, after)] == [3311, 3801]
    page = texts[_chapter_pages(texts)[0]]
    assert "Kinder von 6 bis unter 10 Jahren in Reichweite 3.311* 3.801* +490*" in page
    assert "davon in Sozialräumen mit hohem Bedarf 1.512 2.013 +501" in page
    assert "Standorte 20 21 +1" in page
    assert int(before.districts[column("gap", fgz)].sum()) == 2 and int(after.districts[column("gap", fgz)].sum()) == 1
    assert "Sozialräume mit Versorgungslücke 2 1 −1 (2 geschlossen, 1 neu)" in page
    assert "FGZ: +490 Kinder von 6 bis unter 10 Jahren in Reichweite, 2 Versorgungslücken geschlossen, 1 neue " \
           "Versorgungslücke (" in page  # then how many districts rule 6 leaves out (the table's "*")
    # the other types do not change
    assert "Geburten in Reichweite 2.024* 2.024* ±0*" in page

    # gaps by district: the shares of analyse(), whole percent
    def share(result, name):
        d = result.districts
        value = d.loc[d[settings.DISTRICT_NAME] == name, column("share_in_reach", fgz)].iloc[0]
        return f"{round(100 * float(value))} %"

    for name, status, change in (("Buchenhain", "sehr niedrig", "neu versorgt"),
                                 ("Eichkamp", "niedrig", "neu versorgt"), ("Lohfeld", "sehr niedrig", "neue Lücke")):
        row = f"{name} {status} FGZ {share(before, name)} {share(after, name)} {change}"
        assert row.replace(" ", "") in page.replace(" ", "").replace("\u00a0", ""), row
    assert (share(before, "Eichkamp"), share(after, "Lohfeld")) == ("0 %", "15 %")


def test_offer_changes_and_change_classes():
    base = small_case().offers
    variant = pd.concat([base.assign(geometry=[Point(X0 + 1600, Y0 + 500)]),
                         gpd.GeoDataFrame({settings.OFFER_ID: ["S-1"], settings.OFFER_TYPE: ["fgz"]},
                                          geometry=[Point(X0 + 3500, Y0 + 500)], crs=base.crs)], ignore_index=True)
    changes = offer_changes(base, variant)
    assert sorted(changes["change"]) == ["moved_from", "moved_to", "new"]
    assert offer_changes(base, base.iloc[:0])["change"].tolist() == ["closed"]
    assert offer_changes(base, base)["change"].tolist() == ["kept"]
    # under 0.5 points unchanged, up to 10 points small, beyond large (percentage points)
    assert [change_class(v) for v in (-20, -10, -5, -0.5, 0.0, 0.4, 0.6, 10, 11)] == [0, 1, 1, 1, 2, 2, 3, 3, 4]
    assert len(DIVERGING) == len(CHANGE_LABELS) == 5


def _colour_pixels(image: Image.Image, hex_colour: str) -> int:
    rgb = np.asarray(image.convert("RGB"), dtype=int)
    target = np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)])
    return int((np.abs(rgb - target).sum(axis=2) < 12).sum())


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) is not installed")
def test_the_pages_render_with_a_readable_difference_map(demo_case, tmp_path):
    _, _, data, texts = demo_case
    first, last = _chapter_pages(texts)[0] + 1, _chapter_pages(texts)[-1] + 1
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("seite-*.png"):
        old.unlink()
    source = tmp_path / "bericht.pdf"
    source.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", str(first - 1), "-l", str(last), str(source),
                    str(ARTIFACTS / "seite")], check=True)
    images = sorted(ARTIFACTS.glob("seite-*.png"))
    assert len(images) == last - first + 2
    difference = Image.open(images[-1])
    # districts gaining a lot (blue-green), losing a lot (brown) and unchanged (near-white) are all drawn
    for colour in (DIVERGING[4], DIVERGING[0], DIVERGING[2]):
        assert _colour_pixels(difference, colour) > 500, colour
    # the header band of each chapter page (tinted) and none on the Bestand page before it
    assert _colour_pixels(Image.open(images[0]), "#fde8c8") == 0
    for image in images[1:]:
        assert _colour_pixels(Image.open(image), "#fde8c8") > 2000


HOSTILE = "<script>alert(1)</script> $x$ {{ x }} =cmd|' /C calc'!A0"
OFFER = "$\\frac{1}{2}$ <b>FGZ</b> =HYPERLINK(\"x\")"
LONG = "Sehr langer Szenarioname " * 14


@pytest.fixture(scope="module")
def hostile_report():
    dataset = small_case()
    edits = pd.concat([
        _edits(HOSTILE, [{"action": "add", settings.OFFER_ID: "S-1", settings.OFFER_TYPE: "fgz",
                          settings.OFFER_NAME: OFFER, settings.OFFER_ADDRESS: "{{ Straße }} 1",
                          settings.OFFER_CAPACITY: 40.0, "x": X0 + 3500, "y": Y0 + 500, "source": "manual",
                          "note": "Annahme mit <i>Markup</i> und $5 und $6"}]),
        _edits(LONG, [{"action": "close", settings.OFFER_ID: "FGZ-01", settings.OFFER_TYPE: "fgz",
                       "source": "manual"}]),
    ], ignore_index=True)
    dataset = dataclasses.replace(dataset, scenarios=edits)
    result = small_result(dataset)
    chapters = scenario_chapters(dataset, result, [HOSTILE, LONG, HOSTILE], Params(radii={"fgz": 600.0}))
    data = export("report", "pdf", dataset, result, ExportOptions(export_date=DAY), scenarios=chapters)
    return chapters, data, _texts(data)


def test_hostile_names_print_as_text_and_several_chapters_keep_their_marks(hostile_report):
    chapters, data, texts = hostile_report
    assert [c.name for c in chapters] == [HOSTILE, LONG]  # each name once, in the order asked
    hostile = [t for t in texts if scenario_text(HOSTILE) in t]
    assert hostile and all(f"Szenario: {HOSTILE}" in t or "Differenzkarte" in t for t in hostile)
    page = hostile[0]
    assert f"Neu: 1 neuer Standort (FGZ): „{OFFER}“ ({{{{ Straße }}}} 1)." in page
    assert "Annahme mit <i>Markup</i> und $5 und $6" in page
    # the long name: the title is cut after three lines, the mark keeps its words
    long_pages = [t for t in texts if "Sehr langer" in t and MARK in t]
    assert long_pages and all(re.search(r"Szenario „Sehr langer[^“]*…“ – kein Bestand, nur Planungsvariante", t)
                              for t in long_pages)
    assert "Geschlossen: 1 Standort (FGZ): „FGZ Grundschule Süderfeld“." in long_pages[0]
    assert len([t for t in texts if MARK in t]) == len(hostile) + len(long_pages)


def test_a_chapter_needs_a_stored_scenario_of_the_bestand(tmp_path, capsys):
    dataset, result = small_case(), small_result()
    with pytest.raises(DataError, match="„Nirgends“ ist in diesem Arbeitsbereich nicht gespeichert"):
        scenario_chapter(dataset, result, "Nirgends")
    with pytest.raises(DataError, match="Bericht über den Bestand"):
        scenario_chapter(dataclasses.replace(dataset, scenario="X"), result, "X")
    out = tmp_path / "b.pdf"
    args = ["export", "--workspace", "demo", "--scenario-chapter", "X", "--out", str(out)]
    assert main([*args, "--kind", "status"]) == 2
    assert "bitte mit --kind report" in capsys.readouterr().err
    assert main([*args, "--kind", "report"]) == 2
    assert "„X“ ist in diesem Arbeitsbereich nicht gespeichert (gespeichert: keine)" in capsys.readouterr().err
    assert not out.exists()


def test_the_export_page_offers_the_stored_scenarios_for_the_report(practice):
    from tests.apptest import open_page

    save_scenario(practice, HOSTILE, demo_edits().drop(columns=["scenario", "step"]))
    at = open_page("app_pages/5_Export.py", timeout=90)
    assert not at.exception, at.exception
    chooser = at.multiselect(key="export_report_scenarios")
    assert chooser.label == "Szenarien in den Bericht aufnehmen" and chooser.options == [HOSTILE]
    chooser.set_value([HOSTILE]).run()
    assert not at.exception, at.exception
    assert at.button(key="export_report_build").label == "Bericht erstellen (PDF, A4)"  # built on a click


def test_a_long_table_continues_on_the_next_page_with_its_header():
    from geo.render.print.kit import TextMeasure
    from geo.render.print.scenario import _Block, layout

    measure = TextMeasure()
    rows = [[f"Sozialraum {i}", "niedrig", "FGZ", "40 %", "60 %", "geschlossen"] for i in range(120)]
    widths = [0.3, 0.14, 0.12, 0.15, 0.15, 0.14]
    table = _Block("table", table=(["A", "B", "C", "D", "E", "F"], rows, widths, ["left"] * 6))
    pages = layout(measure, [_Block("h", "Versorgungslücken"), table, _Block("p", "Danach.")], 7.0, 9.0, 10.0)
    parts = [b.table[1] for page in pages for b in page if b.kind == "table"]
    assert len(pages) >= 3 and len(parts) == len(pages)
    assert [row for part in parts for row in part] == rows  # every row once, in order
    assert pages[0][0].kind == "h" and pages[-1][-1].text == "Danach."


def test_the_data_version_line_names_the_scenarios_only_for_a_scenario(demo_case):
    """The Bestand used no scenario: its Datenstand leaves the layer out; a scenario's names itself and the version."""
    from geo.analysis.scenarios import scenario_dataset
    from geo.render.provenance import version_items, versions_text

    dataset, _, _, texts = demo_case
    stored = dataset.versions["scenarios"]
    assert stored.startswith("Szenarien v1")
    assert not any("Szenarien v" in item for item in version_items(dataset))
    assert len(version_items(dataset)) == len(dataset.versions) - 1
    assert not any("Datenstand:" in t and "Szenarien v" in t for t in texts)
    variant, _ = scenario_dataset(dataset, NAME)
    assert f"Szenario „{NAME}“ aus {stored}" in versions_text(variant)
    assert version_items(variant)[:-1] == version_items(dataset)
