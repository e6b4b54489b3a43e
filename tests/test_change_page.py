"""The page "Entwicklung" (AppTest): two years of the demo, two offer versions of a city, re-cut boundaries refused.

The city is the hand-made one of tests/test_over_time.py: three 1 km squares, an FGZ in A and in C, radius 800 m;
offers v2 adds an FGZ in B's centre, so B's 20 % in reach become 100 %: +0.8 × 250 × 4/18 = +44 children of 6 to
under 10 and B's gap closes ("neu versorgt").
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from geo import settings
from geo.analysis import Params
from geo.analysis.over_time import between_versions, between_years
from geo.demo import load_demo
from geo.export_change import change_csv_bytes, change_file_stem, change_xlsx_bytes
from geo.render import change_tables
from geo.store import create_workspace
from geo.store.versions import dataset_with_versions
from tests.apptest import open_page
from tests.test_over_time import PARAMS, moved_squares, store_city

PAGE = "app_pages/13_Entwicklung.py"
TIMEOUT = 120
HOSTILE = "=1+1 <b>Süd</b> $x$ {{ 7*191 }}"


def _texts(at, *kinds) -> str:
    return "\n".join(str(e.value) for kind in kinds for e in at.get(kind))


def _table(at, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns)


def test_two_years_of_the_demo():
    demo = load_demo()
    at = open_page(PAGE, timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert at.radio(key="chg_mode").value == "years"
    assert (at.selectbox(key="chg_year_a").value, at.selectbox(key="chg_year_b").value) == (2023, 2024)
    ot = between_years(demo, 2023, 2024, Params(year=2024))
    names = {t: demo.type_labels(t).short for t in demo.offer_types.index}
    expected = change_tables.headlines(ot, names)
    shown = _texts(at, "markdown")
    assert len(expected) == len(ot.comparison.key_figures) >= 3
    for name, text in expected:
        assert f"**{name}:** {text}" in shown.replace("\\", ""), text
    assert "Entwicklung 2023 → 2024" in [h.value for h in at.subheader]
    figures = _table(at, "2023: in Reichweite")
    assert list(figures["2024: in Reichweite"]) == [round(v) for v in ot.comparison.key_figures["reached_after"]]
    assert list(figures["neue Lücken"]) == list(ot.comparison.key_figures["gaps_opened"])
    assert "mit denselben Angeboten" in _texts(at, "caption")
    assert [b.key for b in at.get("download_button")] == ["chg_csv", "chg_xlsx"]
    # the demo has no stored versions: it says so instead of offering any
    at.radio(key="chg_mode").set_value("versions").run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert "Die Demo Musterstadt hat keine gespeicherten Datenstände" in _texts(at, "info")


@pytest.fixture
def city(data_root, squares, two_offers, residents, indicators):
    ws = create_workspace("Teststadt", make_default=True)
    store_city(ws, squares.assign(**{settings.DISTRICT_NAME: ["Altstadt", HOSTILE, "Über der Höhe"]}), two_offers,
               residents, indicators)
    return ws


def _versions_page():
    at = open_page(PAGE, timeout=TIMEOUT)
    assert not at.exception, at.exception
    at.sidebar.number_input(key="pa_r_fgz").set_value(800).run(timeout=TIMEOUT)
    at.radio(key="chg_mode").set_value("versions").run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    return at


def test_two_offer_versions_of_a_city(city):
    before = city.history()
    at = _versions_page()
    assert at.selectbox(key="chg_layer").value == "offers"
    assert (at.selectbox(key="chg_a_offers").value, at.selectbox(key="chg_b_offers").value) == (1, 2)
    assert "**FGZ:** \\+44 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 Versorgungslücke geschlossen" in \
        _texts(at, "markdown")
    figures = _table(at, "Angebote v1: in Reichweite").iloc[0]
    # A: 22.2 + 0.2 × 55.6 + 17.8 = 51.1; B: 22.2 + 55.6 + 17.8 = 95.6
    assert (figures["Angebote v1: in Reichweite"], figures["Angebote v2: in Reichweite"]) == (51, 96)
    assert (figures["neu versorgt"], figures["neue Lücken"]) == (1, 0)
    districts = _table(at, "Versorgungslücke")
    assert districts[["Sozialraum", "Sozialraum-Nr.", "Angebote v1: in Reichweite (%)",
                      "Angebote v2: in Reichweite (%)", "Veränderung (Personen)", "Versorgungslücke"]].values.tolist() \
        == [[HOSTILE, "02", 20, 100, "+44", "neu versorgt"]]
    offers = _table(at, "Änderung")
    assert offers[["Änderung", "Name"]].values.tolist() == [["neu", "FGZ Mitte"]]
    assert "1337" not in _texts(at, "markdown", "caption")
    # the other way round: the gap opens again
    at.selectbox(key="chg_b_offers").set_value(1).run(timeout=TIMEOUT)
    at.selectbox(key="chg_a_offers").set_value(2).run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    assert "**FGZ:** −44 Kinder von 6 bis unter 10 Jahren in Reichweite, 1 neue Versorgungslücke" in \
        _texts(at, "markdown")
    pd.testing.assert_frame_equal(city.history(), before)  # the page never writes


def test_recut_boundaries_are_refused_with_a_clear_error(city, squares):
    city.save("districts", moved_squares(squares.assign(**{settings.DISTRICT_NAME: ["Altstadt", HOSTILE, "Ost"]}),
                                         100.0), filename="sozialraeume_2025.geojson")
    at = _versions_page()
    at.selectbox(key="chg_layer").set_value("districts").run(timeout=TIMEOUT)
    assert not at.exception, at.exception
    error = _texts(at, "error")
    assert error.startswith("**Sozialraumgrenzen geändert.** Die Sozialraumgrenzen haben sich zwischen Sozialräume v1 "
                            "und Sozialräume v2 geändert: 2 Sozialräume neu zugeschnitten \\(01 Altstadt, 02 ")
    assert "02 =1\\+1 \\<b\\>Süd\\</b\\> \\$x\\$ \\{\\{ 7\\*191 \\}\\}" in error and "1337" not in error
    assert "Ein Vergleich wäre irreführend" in error
    assert not at.get("download_button") and not [h for h in at.subheader if h.value.startswith("Entwicklung")]


def test_the_files_hold_every_district_protected_and_formula_safe(city):
    sides = dataset_with_versions(city, {"offers": 1}), dataset_with_versions(city, {"offers": 2})
    ot = between_versions(*sides, PARAMS, labels=("Angebote v1", "Angebote v2"))
    assert change_file_stem(ot) == "entwicklung_angebote_v1_v2"
    text = change_csv_bytes(ot, {"fgz": "FGZ"}).decode("utf-8-sig")
    lines = text.splitlines()
    assert len(lines) == 1 + 3  # every district, not only the changed one
    assert lines[0].startswith("Sozialraum;Sozialraum-Nr.;Angebotsart;Statusklasse;Angebote v1: in Reichweite (%)")
    assert f"'{HOSTILE}" in text  # "=1+1" … would run in Excel: the apostrophe keeps it text
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(change_xlsx_bytes(ot, {"fgz": "FGZ"})))
    assert book.sheetnames == ["Entwicklung", "Erläuterungen"]
    sheet = book["Entwicklung"]
    assert sheet.max_row == 4 and [c.value for c in sheet[1]][-1] == "Versorgungslücke"
    notes = {row[0].value: row[1].value for row in book["Erläuterungen"].iter_rows(min_row=2)}
    assert notes["Vergleich"] == "Angebote v1 → Angebote v2"
