"""Age band and births columns in uploads: headers as cities write them, counts (not indicators), checked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo import settings
from geo._errors import Report
from geo.demo import load_demo
from geo.ingest import check_upload
from geo.ingest.age_bands import Band, children_parts, find_age_columns, read_band
from geo.ingest.indicators import validate_indicators
from geo.io import read_table


@pytest.fixture(scope="module")
def demo():
    return load_demo()


def indicator_upload(text: str, demo, encoding: str = "utf-8", **options):
    return validate_indicators(read_table(text.encode(encoding), "indikatoren.csv"), districts=demo.districts,
                               indicator_definitions=demo.indicator_definitions, **options)


def messages(report: Report, severity: str) -> list[str]:
    return [str(p) for p in report.problems if p.severity == severity]


# --- reading one header ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "band"), [
    ("0 bis unter 3 Jahre", (0, 3)), ("unter 3 Jahren", (0, 3)), ("Kinder 0-3", (0, 3)), ("0–2 Jahre", (0, 3)),
    ("3 bis 5 Jahre", (3, 6)), ("6 bis unter 10", (6, 10)), ("10-17", (10, 18)), ("U3", (0, 3)),
    ("Kinder im Alter von 6 bis unter 10 Jahren", (6, 10)), ("3- bis 5-Jährige", (3, 6)), ("Kinder 0 - 17", (0, 18)),
    ("6 bis einschließlich 9 Jahre", (6, 10)), ("Unter18", (0, 18)), ("a18bis29", (18, 30)), ("Unter10", (0, 10)),
    ("a10bis19", (10, 20)), ("6-9 Jahre", (6, 10)), ("65 und älter", (65, None)), ("a65undaelter", (65, None)),
    ("ab 80", (80, None)), ("75+", (75, None)), ("age_6_10", (6, 10)), ("age_65_plus", (65, None)),
    ("Anzahl Einwohner < 6 Jahre", (0, 6)),
])
def test_one_header_names_its_band(name, band):
    assert read_band(name) == Band(*band)


@pytest.mark.parametrize("name", [
    "Einwohner", "Kinder", "Insgesamt_Bevoelkerung", "x_mp_100m", "Jahr", "bis", "von", "Sozialraum-Nr.",
    "SGB-II-Quote Kinder u15 (%)", "Anteil unter 3 Jahre", "Kinder 0-3 (%)", "Arbeitslose 15 bis 64", "2024",
    "Geburten", "Unter0", "10 bis 6",
])
def test_other_headers_name_no_band(name):
    assert read_band(name) is None


def test_canonical_names_and_labels():
    assert Band(0, 3).column == "age_0_3" == settings.age_column(0, 3)
    assert Band(65, None).column == "age_65_plus"
    assert (Band(6, 10).label, Band(65, None).label) == ("6 bis unter 10 Jahre", "65 Jahre und älter")


# --- the bands of a file together -----------------------------------------------------------------------------


@pytest.mark.parametrize(("columns", "bands"), [
    # Planners' ranges share their ends: "bis unter".
    (["Kinder 0-3", "Kinder 3-6", "Kinder 6-10", "Kinder 10-18"], [(0, 3), (3, 6), (6, 10), (10, 18)]),
    # Statistics offices' ranges include their ends, here against a "unter" band.
    (["unter 3", "3-5", "6-9", "10-17"], [(0, 3), (3, 6), (6, 10), (10, 18)]),
    # The Zensus' five classes: "a18bis29" includes 29, as Unter18 and a30bis49 show.
    (["Unter18", "a18bis29", "a30bis49", "a50bis64", "a65undaelter"],
     [(0, 18), (18, 30), (30, 50), (50, 65), (65, None)]),
    # "10-15" alone would be 10 to under 15, but beside "0-9" the file includes the ends.
    (["0-9", "10-15"], [(0, 10), (10, 16)]),
])
def test_the_file_decides_how_ranges_are_read(columns, bands):
    report = Report()
    found = find_age_columns(columns, report)
    assert [(b.low, b.high) for b in found.bands.values()] == bands
    assert report.problems == []


def test_a_lone_range_read_as_bis_unter_is_named_in_a_warning():
    report = Report()
    found = find_age_columns(["Kinder 0-3", "Einwohner"], report)
    assert found.bands == {"Kinder 0-3": Band(0, 3)} and found.guessed == ("Kinder 0-3",)
    assert messages(report, "warning") == [
        "Zeile 1: Altersangaben wie „0-3“ sind mehrdeutig; gelesen als: „Kinder 0-3“ = 0 bis unter 3 Jahre. Ist das "
        "Alter am Ende mit gemeint, schreiben Sie es in die Überschrift (z. B. „0 bis 3 Jahre einschließlich“ oder "
        "„0 bis unter 4 Jahre“)."
    ]


def test_births_columns_and_not_rates():
    for columns, births in ((["Geburten"], "Geburten"), (["Lebendgeborene 2024"], "Lebendgeborene 2024"),
                            (["Geburtenrate", "Geburten je 1.000 Einwohner", "Geburtenüberschuss"], None),
                            (["Anzahl Geburten", "Geburtenziffer"], "Anzahl Geburten")):
        assert find_age_columns(columns, Report()).births == births


def test_the_split_of_the_children_prefers_the_finest_bands():
    bands = {"u6": Band(0, 6), "u3": Band(0, 3), "3-6": Band(3, 6), "6-10": Band(6, 10), "10-18": Band(10, 18),
             "65+": Band(65, None)}
    assert children_parts(bands) == ["u3", "3-6", "6-10", "10-18"]
    assert children_parts({"u3": Band(0, 3), "6-18": Band(6, 18)}) is None  # 3 to 6 is missing


# --- the indicator upload -------------------------------------------------------------------------------------


EXCEL_CSV = (
    "sep=;\r\n"
    "Sozialraum;Jahr;Einwohner;Kinder 0-17;0–2 Jahre;3 bis 5 Jahre;6 bis unter 10;10-17;Lebendgeborene;"
    "Arbeitslosenquote (%)\r\n"
    "101;2024;9.131;1.744;284;316;375;769;109;10,6\r\n"
    "102;2024;10.528;1.679;271;288;–;733;-9999;10,3\r\n"
)


def test_an_excel_csv_in_cp1252_gives_bands_and_births_as_counts(demo):
    upload = indicator_upload(EXCEL_CSV, demo, encoding="cp1252")
    layer = upload.layer
    assert list(layer.columns) == [settings.DISTRICT_ID, settings.YEAR, settings.INHABITANTS, settings.CHILDREN,
                                   "age_0_3", "age_3_6", "age_6_10", "age_10_18", settings.BIRTHS,
                                   *demo.indicator_definitions.index]
    assert layer[settings.DISTRICT_ID].tolist() == ["0101", "0102"]
    assert layer[settings.CHILDREN].tolist() == [1744, 1679]
    assert layer["age_0_3"].tolist() == [284, 271] and layer["age_10_18"].tolist() == [769, 733]
    assert layer["age_6_10"].iloc[0] == 375 and np.isnan(layer["age_6_10"].iloc[1])
    assert layer[settings.BIRTHS].iloc[0] == 109 and np.isnan(layer[settings.BIRTHS].iloc[1])
    # Bands and births are no indicators: only the rate is proposed.
    assert upload.columns["column"].tolist() == ["Arbeitslosenquote (%)"]
    assert messages(upload.report, "error") == []
    warnings = messages(upload.report, "warning")
    assert "„–“ (keine Angabe) als fehlende Werte gelesen: Spalte „6 bis unter 10“ (Zeile 4)." in warnings
    assert "„-9999“ (keine Angabe) als fehlende Werte gelesen: Spalte „Lebendgeborene“ (Zeile 4)." in warnings
    assert not any("mehrdeutig" in w or "Altersgruppen" in w for w in warnings)
    assert upload.ages.describe() == (
        "„0–2 Jahre“ = 0 bis unter 3 Jahre, „3 bis 5 Jahre“ = 3 bis unter 6 Jahre, „6 bis unter 10“ = 6 bis unter 10 "
        "Jahre, „10-17“ = 10 bis unter 18 Jahre, „Lebendgeborene“ = Geburten"
    )


def test_header_findings_name_the_header_row_as_excel_shows_it(demo):
    upload = indicator_upload("sep=;\r\nSozialraum-Nr.;Jahr;Einwohner;Kinder 0-3\r\n0101;2024;9131;284\r\n", demo,
                              encoding="cp1252")
    assert upload.layer["age_0_3"].tolist() == [284]
    assert [p.row for p in upload.report.problems if "mehrdeutig" in p.message] == [2]


def test_the_upload_check_shows_the_recognised_age_groups(demo):
    check = check_upload(EXCEL_CSV.encode("cp1252"), "indikatoren.csv", kind="indicators", context=demo)
    assert check.ok
    assert check.info["Altersgruppen"].startswith("„0–2 Jahre“ = 0 bis unter 3 Jahre, ")
    # The uploaded year replaces 2024 with the file's values; 2023 keeps the demo's bands.
    stored = check.layer.set_index([settings.YEAR, settings.DISTRICT_ID])
    assert stored.at[(2024, "0101"), "age_0_3"] == 284 and np.isnan(stored.at[(2024, "0102"), "age_6_10"])
    demo_2023 = demo.indicators.query("year == 2023").set_index(settings.DISTRICT_ID)
    assert stored.loc[2023, "age_0_3"].tolist() == demo_2023["age_0_3"].tolist()


def test_an_upload_without_bands_says_that_the_stored_bands_of_its_years_go(demo):
    text = "Sozialraum-Nr.;Jahr;Einwohner;Kinder\n0101;2024;9131;1744\n"
    check = check_upload(text.encode(), "indikatoren.csv", kind="indicators", context=demo)
    assert check.ok
    lost = ("Die Datei enthält keine Spalten für 0 bis unter 3 Jahre, 3 bis unter 6 Jahre, 6 bis unter 10 Jahre, "
            "10 bis unter 18 Jahre, Geburten; die gespeicherten Zahlen der hochgeladenen Jahre entfallen damit. "
            "Nehmen Sie die Spalten in die Datei auf, wenn sie bleiben sollen.")
    assert lost in [p.message for p in check.report.warnings]
    assert np.isnan(check.layer.set_index([settings.YEAR, settings.DISTRICT_ID]).at[(2024, "0101"), "age_0_3"])


def test_bands_that_split_the_children_give_the_children(demo):
    text = ("Sozialraum-Nr.;Jahr;Einwohner;Kinder 0-3;Kinder 3-6;Kinder 6-10;Kinder 10-18;Geburten\n"
            "0101;2024;9131;284;316;375;769;109\n")
    upload = indicator_upload(text, demo)
    assert upload.layer[settings.CHILDREN].tolist() == [1744]
    assert upload.layer["age_3_6"].tolist() == [316]
    assert "Die Datei hat keine Spalte mit allen Kindern; die Kinderzahl (0 bis unter 18 Jahre) ist die Summe der " \
           "Spalten „Kinder 0-3“, „Kinder 3-6“, „Kinder 6-10“, „Kinder 10-18“." in messages(upload.report, "warning")
    assert not any("keine Spalte für die Kinder" in w for w in messages(upload.report, "warning"))


def test_bands_not_matching_the_children_are_a_warning(demo):
    text = ("Sozialraum-Nr.;Jahr;Einwohner;Kinder;unter 3;3 bis unter 6;6 bis unter 10;10 bis unter 18\n"
            "0101;2024;9131;1744;284;316;375;769\n"
            "0102;2024;10528;1679;1700;288;387;733\n")
    upload = indicator_upload(text, demo)
    assert upload.report.ok and len(upload.layer) == 2
    warnings = messages(upload.report, "warning")
    assert "Spalte „unter 3“: mehr Kinder von 0 bis unter 3 Jahren als Kinder insgesamt (Zeile 3). Bitte prüfen Sie " \
           "die Spalten." in warnings
    assert "Die Altersgruppen „unter 3“, „3 bis unter 6“, „6 bis unter 10“, „10 bis unter 18“ ergeben zusammen nicht " \
           "die Kinderzahl der Spalte „Kinder“ (Zeile 3). Die Reichweite je Altersgruppe wird mit den Zahlen der " \
           "Altersgruppen gemessen." in warnings


def test_unreadable_overlapping_and_doubled_bands_are_all_reported_and_nothing_is_stored(demo):
    text = ("Sozialraum-Nr.;Jahr;Einwohner;Kinder;10 bis 6;0-4;3-6;unter 3;0 bis unter 3;Geburten\n"
            "0101;2024;9131;1744;1;2;3;4;5;abc\n"
            "0102;2024;10528;1679;1;2;-5;4;5;100\n")
    upload = indicator_upload(text, demo)
    assert messages(upload.report, "error") == [
        "Zeile 1: Die Spaltenüberschrift „10 bis 6“ nennt keine lesbare Altersgruppe. Schreiben Sie sie z. B. als "
        "„6 bis unter 10 Jahre“, „unter 3 Jahre“ oder „65 Jahre und älter“.",
        "Zeile 1: Die Altersgruppen der Spalten „0-4“ (0 bis unter 5 Jahre) und „3-6“ (3 bis unter 6 Jahre) "
        "überschneiden sich. Prüfen Sie die Überschriften (z. B. „0 bis unter 3 Jahre“, „3 bis unter 6 Jahre“).",
        "Zeile 1: Die Spalten „unter 3“ und „0 bis unter 3“ nennen dieselbe Altersgruppe (0 bis unter 3 Jahre). "
        "Lassen Sie eine davon weg oder benennen Sie sie eindeutig.",
        "Zeile 2: Spalte „Geburten“: „abc“ ist keine Zahl.",
        "Zeile 3: Spalte „3-6“: „-5“ darf nicht negativ sein.",
    ]
    check = check_upload(text.encode(), "indikatoren.csv", kind="indicators", context=demo)
    assert not check.ok and check.layer is None


def test_a_column_mapped_to_an_age_band_by_hand(demo):
    text = "Sozialraum-Nr.;Jahr;Einwohner;Kinder;Krippenkinder;Neugeborene\n0101;2024;9131;1744;284;109\n"
    upload = indicator_upload(text, demo, column_map={"Krippenkinder": "age_0_3"})
    assert upload.layer["age_0_3"].tolist() == [284] and upload.layer[settings.BIRTHS].tolist() == [109]
    assert upload.columns.empty or "Krippenkinder" not in upload.columns["column"].tolist()


@pytest.mark.parametrize("hostile", ["<script>alert(1)</script> 0-3", "$x$ unter 3", "=cmd|' /C calc'!A0 3 bis 6",
                                     "{{ 7*191 }} 6 bis unter 10"])
def test_hostile_headers_stay_text(demo, hostile):
    text = f"Sozialraum-Nr.;Jahr;Einwohner;Kinder;{hostile}\n0101;2024;9131;1744;284\n"
    upload = indicator_upload(text, demo)
    assert upload.report.ok
    # Not an age band (words before the ages that are no population words): a numeric column, proposed as indicator.
    assert upload.columns["column"].tolist() == [hostile]
    assert upload.ages.bands == {}


# --- the residents upload -------------------------------------------------------------------------------------


def test_a_residents_file_with_bands_and_births(demo):
    blocks = demo.residents.iloc[::60].reset_index(drop=True)
    lines = ["Rechtswert;Hochwert;Einwohner;0 bis 2 Jahre;3 bis 5 Jahre;6 bis 9 Jahre;10 bis 17 Jahre;Geburten"]
    for b in blocks.itertuples():
        x, y = f"{b.geometry.x:.1f}".replace(".", ","), f"{b.geometry.y:.1f}".replace(".", ",")
        lines.append(f"{x};{y};{b.inhabitants};{b.age_0_3};{b.age_3_6};{b.age_6_10};{b.age_10_18};{b.births}")
    check = check_upload("\r\n".join(lines).encode("cp1252"), "wohnorte.csv", kind="residents", context=demo)
    assert check.ok, check.report.errors
    layer = check.layer
    for name in ("age_0_3", "age_3_6", "age_6_10", "age_10_18", settings.BIRTHS, settings.CHILDREN,
                 settings.INHABITANTS):
        assert layer[name].tolist() == blocks[name].tolist(), name
    assert check.info["Altersgruppen"] == (
        "„0 bis 2 Jahre“ = 0 bis unter 3 Jahre, „3 bis 5 Jahre“ = 3 bis unter 6 Jahre, „6 bis 9 Jahre“ = 6 bis unter "
        "10 Jahre, „10 bis 17 Jahre“ = 10 bis unter 18 Jahre, „Geburten“ = Geburten"
    )
    summed = "Die Datei hat keine Spalte mit allen Kindern; die Kinderzahl (0 bis unter 18 Jahre) ist die Summe der " \
             "Spalten „0 bis 2 Jahre“"
    assert any(p.message.startswith(summed) for p in check.report.warnings)


def test_residents_with_doubled_bands_are_refused(demo):
    b = demo.residents.iloc[0]
    text = (f"Rechtswert;Hochwert;Einwohner;Kinder;unter 3;0 bis unter 3\n"
            f"{b.geometry.x};{b.geometry.y};{b.inhabitants};{b.children};1;1\n")
    check = check_upload(text.encode(), "wohnorte.csv", kind="residents", context=demo)
    assert not check.ok and check.layer is None
    assert [str(p) for p in check.report.errors] == [
        "Zeile 1: Die Spalten „unter 3“ und „0 bis unter 3“ nennen dieselbe Altersgruppe (0 bis unter 3 Jahre). "
        "Lassen Sie eine davon weg oder benennen Sie sie eindeutig."
    ]


def test_the_demo_residents_layer_round_trips_through_the_upload(demo):
    """The demo's own column names (``age_0_3``, ``births``) are read back as the same bands."""
    report = Report()
    found = find_age_columns(demo.residents.columns, report, used={settings.CHILDREN})
    assert {c: (b.low, b.high) for c, b in found.bands.items()} == {
        "age_0_3": (0, 3), "age_3_6": (3, 6), "age_6_10": (6, 10), "age_10_18": (10, 18)}
    assert found.births == settings.BIRTHS and report.problems == []
    assert pd.Series(children_parts(found.bands)).tolist() == ["age_0_3", "age_3_6", "age_6_10", "age_10_18"]


# --- the Daten page -------------------------------------------------------------------------------------------


def test_the_daten_page_shows_the_recognised_age_groups(practice):
    from tests.apptest import open_page

    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("indicators").run()
    at.file_uploader(key="up_file_indicators").upload("indikatoren.csv", EXCEL_CSV.encode("cp1252")).run()
    assert not at.exception and not at.error
    captions = [c.value.replace("\\", "") for c in at.caption]
    shown = next(c for c in captions if "Altersgruppen:" in c)
    assert "Altersgruppen: „0–2 Jahre“ = 0 bis unter 3 Jahre, „3 bis 5 Jahre“ = 3 bis unter 6 Jahre" in shown
    assert "„Lebendgeborene“ = Geburten" in shown
