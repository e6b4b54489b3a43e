"""Births per clinic and Sozialraum: German Excel files, ids and clinic names matched, every finding with its row."""

from __future__ import annotations

import io

import geopandas as gpd
import pandas as pd
import pytest
from openpyxl import Workbook
from pandas.testing import assert_frame_equal
from shapely.geometry import Point

from geo import DataError, VersionConflict, settings
from geo.ingest import check_upload, commit_upload
from geo.ingest.clinic_births import births_by_clinic, clinic_types
from geo.ingest.templates import file_name, template_bytes, upload_template
from geo.store import create_workspace
from tests.apptest import open_page
from tests.conftest import xy

HOSTILE = "<script>alert(1)</script> $x$ {{ 7*191 }} =cmd|' /C calc'!A0"


def clinics() -> gpd.GeoDataFrame:
    """Two Lotsendienste, two Geburtskliniken (one named like a Lotsendienst's clinic) and an FGZ."""
    rows = [("L1", "lotsendienst", "Lotsendienst St. Anna"), ("L2", "lotsendienst", "Lotsendienst Klinikum Süd"),
            ("K1", "geburtsklinik", "Ev. Krankenhaus Nord"), ("K2", "geburtsklinik", "Klinikum Süd"),
            ("F1", "fgz", "FGZ West")]
    return gpd.GeoDataFrame(
        {settings.OFFER_ID: [r[0] for r in rows], settings.OFFER_TYPE: [r[1] for r in rows],
         settings.OFFER_NAME: [r[2] for r in rows], settings.OFFER_ADDRESS: "", settings.OFFER_CAPACITY: float("nan")},
        geometry=[Point(xy(100 + 500 * i, 500)) for i in range(len(rows))], crs=settings.METRIC_CRS,
    )


@pytest.fixture
def city(data_root, squares):
    """A city workspace (the default one) with the squares 01, 02, 03 and the offers of :func:`clinics`."""
    workspace = create_workspace("Teststadt", make_default=True)
    workspace.save("districts", squares, filename="grenzen.gpkg")
    workspace.save("offers", clinics(), filename="angebote.csv")
    return workspace


def excel_csv(text: str) -> bytes:
    """A CSV as a German Excel saves it: ``;``, decimal comma, CRLF, Windows-1252."""
    return text.replace("\n", "\r\n").encode("cp1252")


def check(data: bytes, name: str, context, **options):
    return check_upload(data, name, kind="clinic_births", context=context, options=options)


def messages(result, severity: str) -> list[str]:
    return [str(p) for p in result.report.problems if p.severity == severity]


def test_an_excel_csv_with_ids_without_leading_zeros_and_clinic_names(city):
    data = excel_csv("Sozialraum-Nr.;Klinik;Geburten;Jahr;Bemerkung\n"
                     "1;St. Anna;12,5;2024;Mittel über 2 Jahre\n"  # the Lotsendienst's clinic, without "Lotsendienst"
                     "01;K1;7;2024;\n"
                     "2;Ev. Krankenhaus Nord;30;2024;\n"
                     "03;L1;4;2024;\n")
    result = check(data, "geburten.csv", city.dataset())
    assert result.ok, result.report.errors
    expected = pd.DataFrame({settings.DISTRICT_ID: ["01", "01", "02", "03"], "clinic_id": ["L1", "K1", "K1", "L1"],
                             settings.BIRTHS: [12.5, 7.0, 30.0, 4.0], settings.YEAR: [2024] * 4})
    assert_frame_equal(result.layer, expected.astype({settings.DISTRICT_ID: "str", "clinic_id": "str",
                                                      settings.YEAR: "int64"}))
    assert result.info["Zeichenkodierung"] == "Windows-1252" and result.info["Trennzeichen"] == "Semikolon"
    assert (result.info["Geburten"], result.info["Kliniken"], result.info["Sozialräume"], result.info["Jahre"]) == (
        "54", "2", "3", "2024")  # 53.5 rounded for the caption
    assert messages(result, "warning") == [
        "Sozialraum-Nr. ohne führende Nullen zugeordnet: 1 → 01, 2 → 02 (Zeilen 2 und 4)."]


def test_an_xlsx_with_numbers_for_ids_and_a_year_chosen_on_the_page(city):
    wb = Workbook()
    ws = wb.active
    for row in (["Sozialraum", "Geburtsklinik", "Anzahl Geburten"], [1, "L2", 20], [3, "Ev. Krankenhaus Nord", 11.5]):
        ws.append(row)
    buffer = io.BytesIO()
    wb.save(buffer)
    result = check(buffer.getvalue(), "geburten.xlsx", city.dataset(), year=2023)
    assert result.ok, result.report.errors
    assert result.layer[settings.DISTRICT_ID].tolist() == ["01", "03"]
    assert result.layer["clinic_id"].tolist() == ["L2", "K1"]
    assert result.layer[settings.BIRTHS].tolist() == [20.0, 11.5]
    assert result.layer[settings.YEAR].tolist() == [2023, 2023]


def test_every_wrong_row_is_an_error_naming_its_excel_row(city):
    data = excel_csv("Sozialraum-Nr.;Klinik;Geburten;Jahr\n"
                     "01;L1;10;2024\n"  # row 2: fine
                     "99;L1;3;2024\n"  # row 3: unknown Sozialraum
                     f"02;{HOSTILE};3;2024\n"  # row 4: unknown clinic
                     "02;L1;-4;2024\n"  # row 5: negative
                     "03;L1;viele;2024\n"  # row 6: no number
                     ";L1;2;2024\n"  # row 7: no Sozialraum
                     "03;;2;2024\n"  # row 8: no clinic
                     "01;L1;5;2024\n"  # row 9: row 2 again
                     "02;K1;1;20x4\n"  # row 10: no year
                     "03;FGZ West;1;2024\n")  # row 11: an FGZ is no clinic
    result = check(data, "geburten.csv", city.dataset())
    assert not result.ok and result.layer is None
    known = "„L1“ (Lotsendienst St. Anna), „L2“ (Lotsendienst Klinikum Süd), „K1“ (Ev. Krankenhaus Nord), „K2“ " \
            "(Klinikum Süd)"
    unknown = ("gibt es nicht unter den Standorten der Angebotsarten „Lotsendienst“ und „Geburtsklinik“. Bitte geben "
               f"Sie ihre Kennung oder ihren Namen wie in den Angeboten an (z. B. {known}).")
    assert messages(result, "error") == [
        "Zeile 3: Den Sozialraum „99“ gibt es nicht (Sozialraum-Nr. wie „01“, „02“, „03“).",
        f"Zeile 4: Die Klinik „{HOSTILE}“ {unknown}",
        "Zeile 5: Die Geburten „-4“ dürfen nicht negativ sein.",
        "Zeile 6: „viele“ ist keine Zahl (Geburten).",
        "Zeile 7: Die Sozialraum-Nr. fehlt.",
        "Zeile 8: Die Klinik fehlt (Kennung oder Name).",
        "Zeile 9: Sozialraum, Klinik und Jahr 01 / L1 / 2024 kommen mehrfach vor (Zeilen 2 und 9).",
        "Zeile 10: „20x4“ ist kein gültiges Jahr.",
        f"Zeile 11: Die Klinik „FGZ West“ {unknown}",
    ]
    with pytest.raises(DataError, match="Die Datei wurde nicht gespeichert"):
        commit_upload(city, result, filename="geburten.csv")
    assert "clinic_births" not in city.active_versions()


def test_an_ambiguous_clinic_name_asks_for_the_kennung(city):
    # "Klinikum Süd" is the Geburtsklinik K2 and, without its prefix, the Lotsendienst L2
    result = check(excel_csv("Sozialraum-Nr.;Klinik;Geburten\n01;Klinikum Süd;9\n02;K2;4\n"), "g.csv",
                   city.dataset())
    assert messages(result, "error") == [
        "Zeile 2: Der Klinikname „Klinikum Süd“ ist mehrdeutig: „L2“ (Lotsendienst Klinikum Süd), „K2“ (Klinikum "
        "Süd). Bitte geben Sie die Kennung an."]


@pytest.mark.parametrize("code", ["–", "x", ".", "-9999", ""])
def test_no_data_codes_leave_the_row_out_with_one_warning(city, code):
    data = excel_csv(f"Sozialraum-Nr.;Klinik;Geburten\n01;L1;8\n02;L1;{code}\n03;K1;{code}\n")
    result = check(data, "g.csv", city.dataset())
    assert result.ok, result.report.errors
    assert result.layer[settings.DISTRICT_ID].tolist() == ["01"]
    shown = "leer" if code == "" else f"„{code}“"
    assert messages(result, "warning") == [
        f"Keine Angabe zu den Geburten ({shown}; Zeilen 3 und 4): diese Zeilen werden nicht berücksichtigt."]
    assert settings.YEAR not in result.layer  # no year column, none chosen


def test_missing_columns_and_a_city_without_clinics(city, squares, data_root):
    result = check(excel_csv("Sozialraum-Nr.;Anmerkung\n01;x\n"), "g.csv", city.dataset())
    assert messages(result, "error") == [
        "Spalte für die Klinik (z. B. „Klinik“ mit Kennung oder Name) und die Geburten (z. B. „Geburten“) nicht "
        "gefunden. Vorhandene Spalten: „Sozialraum-Nr.“, „Anmerkung“."]
    bare = create_workspace("Ohne Kliniken")
    bare.save("districts", squares, filename="grenzen.gpkg")
    result = check(excel_csv("Sozialraum-Nr.;Klinik;Geburten\n01;L1;8\n"), "g.csv", bare.dataset())
    assert messages(result, "error") == [
        "Es gibt noch keine Standorte der Angebotsarten „Lotsendienst“ und „Geburtsklinik“. Bitte laden Sie zuerst "
        "die Kliniken als Angebote hoch; dann werden die Geburten ihnen zugeordnet."]


def test_clinic_types_follow_the_offer_type_table(city):
    types = city.dataset().offer_types
    assert clinic_types(types) == ["lotsendienst", "geburtsklinik"]  # births target, and its host type
    own = types.copy()
    own.loc["lotsendienst", "target"] = "0-3"
    assert clinic_types(own) == ["lotsendienst", "geburtsklinik"]  # none with births: the defaults


# --- storing -------------------------------------------------------------------------------------------------------


def test_uploaded_years_replace_those_years_and_the_stored_layer_is_the_preview(city):
    first = check(excel_csv("Sozialraum-Nr.;Klinik;Geburten;Jahr\n01;L1;10;2023\n02;K1;6;2023\n01;L1;11;2024\n"),
                  "g1.csv", city.dataset())
    commit_upload(city, first, filename="g1.csv", previewed=first.base_versions)
    second = check(excel_csv("Sozialraum-Nr.;Klinik;Geburten;Jahr\n01;L1;12;2024\n03;K2;5;2024\n"), "g2.csv",
                   city.dataset())
    assert second.ok
    assert second.layer.values.tolist() == [["01", "L1", 10.0, 2023], ["02", "K1", 6.0, 2023],
                                            ["01", "L1", 12.0, 2024], ["03", "K2", 5.0, 2024]]
    changes = second.changes  # compared within 2024 only: 2023 stays as it is
    assert (changes.added, changes.changed, changes.removed, changes.unchanged) == (
        ["03 / K2 / 2024"], ["01 / L1 / 2024"], [], 0)
    info = commit_upload(city, second, filename="g2.csv", previewed=second.base_versions)
    assert info.label.startswith("Geburten je Klinik v2 (g2.csv")
    assert_frame_equal(city.load("clinic_births"), second.layer, check_dtype=False)
    assert_frame_equal(city.dataset().clinic_births, second.layer, check_dtype=False)
    # a file without years replaces the whole layer
    third = check(excel_csv("Sozialraum-Nr.;Klinik;Geburten\n02;L2;3\n"), "g3.csv", city.dataset())
    assert third.layer.values.tolist() == [["02", "L2", 3.0]]
    assert third.changes.removed == ["01 / L1", "02 / K1", "03 / K2"] and third.changes.added == ["02 / L2"]


def test_a_confirmation_of_a_stale_preview_stores_nothing(city):
    seen = check(excel_csv("Sozialraum-Nr.;Klinik;Geburten\n01;L1;8\n"), "g.csv", city.dataset())
    city.save("offers", clinics().head(3), filename="andere_sitzung.csv")  # another session, meanwhile
    with pytest.raises(VersionConflict, match=r"Die Daten wurden inzwischen geändert \(Angebote: Version 2 statt 1\)"):
        commit_upload(city, seen, filename="g.csv")
    assert "clinic_births" not in city.active_versions()


def test_the_per_clinic_summary_sums_all_rows(city):
    result = check(excel_csv("Sozialraum-Nr.;Klinik;Geburten\n01;L1;8\n02;L1;4,5\n03;K1;20\n"), "g.csv",
                   city.dataset())
    table = births_by_clinic(result.layer, city.dataset().offers, city.dataset().offer_types)
    assert table.values.tolist() == [["Ev. Krankenhaus Nord", "K1", "Geburtsklinik", 1, 20.0],
                                     ["Lotsendienst St. Anna", "L1", "Lotsendienst", 2, 12.5]]


# --- the template, the command line, the page --------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_uploads_unchanged(city, fmt):
    dataset = city.dataset()
    template = upload_template("clinic_births", dataset)
    assert template.formats == ("csv", "xlsx")
    assert [c.header for c in template.columns] == ["Sozialraum-Nr.", "Klinik", "Geburten", "Jahr"]
    result = check(template_bytes(template, fmt), file_name(template, fmt), dataset)
    assert result.ok, result.report.errors
    assert result.layer[settings.DISTRICT_ID].tolist() == ["01", "02"]
    assert result.layer["clinic_id"].tolist() == ["L1", "L1"]  # the city's first clinic
    assert result.layer[settings.BIRTHS].tolist() == [48.0, 31.0]


def test_the_command_line_uploads_births_and_writes_the_template(city, tmp_path, capsys):
    from geo.cli import main

    out = tmp_path / "geburten.xlsx"
    assert main(["template", "clinic-births", "--format", "xlsx", "--out", str(out)]) == 0
    assert f"Vorlage Geburten je Klinik und Sozialraum geschrieben: {out}" in capsys.readouterr().out
    assert main(["upload", "clinic-births", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Datei: geburten.xlsx (Geburten je Klinik)" in printed and "Gespeichert: Geburten je Klinik v1" in printed
    bad = tmp_path / "falsch.csv"
    bad.write_bytes(excel_csv("Sozialraum-Nr.;Klinik;Geburten\n01;L1;-3\n"))
    assert main(["upload", "clinic-births", str(bad), "--year", "2022"]) == 1
    assert "Zeile 2: Die Geburten „-3“ dürfen nicht negativ sein." in capsys.readouterr().out
    assert city.history("clinic_births")["rows"].tolist() == [2]


def shown(markdown: str) -> str:
    return markdown.replace("\\", "")


def test_the_daten_page_previews_and_stores_births(city):
    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("clinic_births").run()
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")] == ["CSV (Excel, Semikolon)",
                                                                  "Excel-Arbeitsmappe (XLSX)"]
    data = excel_csv("Sozialraum-Nr.;Klinik;Geburten\n01;St. Anna;8\n02;K1;4\n")
    at.number_input(key="up_births_year").set_value(2024).run()
    at.file_uploader(key="up_file_clinic_births").upload("geburten.csv", data).run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric} == {"neu": "2", "geändert": "0", "entfällt": "0", "unverändert": "0"}
    assert at.button(key="up_save").label == "Geburten je Klinik übernehmen und speichern"
    at.button(key="up_save").click().run()
    assert not at.exception
    assert shown(at.success[0].value).startswith("Gespeichert: Geburten je Klinik v1 (geburten.csv")
    assert city.load("clinic_births").values.tolist() == [["01", "L1", 8.0, 2024], ["02", "K1", 4.0, 2024]]


def test_the_daten_page_shows_a_hostile_clinic_name_as_text(city):
    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("clinic_births").run()
    at.file_uploader(key="up_file_clinic_births").upload(
        "geburten.csv", excel_csv(f"Sozialraum-Nr.;Klinik;Geburten\n01;{HOSTILE};8\n")).run()
    assert not at.exception
    box = at.error[0].value
    assert "Die Datei kann so nicht übernommen werden (1 Fehler)" in shown(box)
    assert HOSTILE in shown(box)
    assert "\\$x\\$" in box and "\\<script\\>" in box  # Markdown-escaped: no LaTeX, no markup
    assert "up_save" not in [b.key for b in at.button]
    assert "clinic_births" not in city.active_versions()
