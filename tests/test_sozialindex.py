"""The Schulsozialindex upload: the state's list and a city's own list, every validation message, store and CLI."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest

from geo import settings
from geo.cli import main
from geo.ingest import check_upload, commit_upload
from geo.ingest.schools import schools_as_offers
from geo.ingest.sozialindex import matched_schools, validate_sozialindex
from geo.ingest.templates import template_bytes, upload_template
from geo.io import read_table
from geo.school_ids import normalise_school_ids
from geo.store import create_workspace
from tests.conftest import SHARED_DATA

SCHOOLS_DIR = SHARED_DATA / "nrw-schulen"
NRW_LIST = SCHOOLS_DIR / "schulen_sozialindex_2024_25.csv"
MASTER_DATA = SCHOOLS_DIR / "schuldaten_2021.csv"
needs_nrw = pytest.mark.skipif(
    not (NRW_LIST.is_file() and MASTER_DATA.is_file()),
    reason="NRW school files not found in ../shared/data/nrw-schulen (real-data test; the repository has no copy)",
)


def city_list(text: str, encoding: str = "cp1252") -> pd.DataFrame:
    """A city's list as Excel saves it ("CSV (Trennzeichen-getrennt)": ``;``, Windows-1252, CRLF)."""
    return read_table(text.replace("\n", "\r\n").encode(encoding), "sozialindex.csv")


def messages(upload, severity: str = "error") -> list[str]:
    problems = upload.report.errors if severity == "error" else upload.report.warnings
    return [str(p) for p in problems]


# ------------------------------------------------------------------------------------------- the state's list


@needs_nrw
def test_the_state_list_is_read_with_every_school_that_has_an_index():
    with NRW_LIST.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    with_index = [r for r in rows if r["Sozialindex"].strip()]
    table = read_table(NRW_LIST.read_bytes(), NRW_LIST.name)
    assert len(table) == len(rows) == 5407
    assert (table.attrs["encoding"].lower().replace("-", ""), table.attrs["delimiter"]) == ("utf8", ",")
    upload = validate_sozialindex(table)
    assert upload.report.ok
    assert len(upload.layer) == len(with_index) == 4142
    assert list(upload.layer.columns) == [settings.SCHOOL_ID, settings.SOZIALINDEX, "school_name"]
    assert upload.layer[settings.SOZIALINDEX].dtype == "int64"
    expected = {r["Schulnummer"]: int(float(r["Sozialindex"])) for r in with_index}
    assert dict(zip(upload.layer[settings.SCHOOL_ID], upload.layer[settings.SOZIALINDEX], strict=True)) == expected
    # The schools the state gives no index are one warning with their number, not 1,265 lines.
    assert messages(upload, "warning") == [
        "1.265 Schulen der Liste haben keinen Sozialindex (das Land weist ihn z. B. für Ersatzschulen und "
        "Berufskollegs nicht aus); sie bleiben ohne Index."]
    first = upload.layer.set_index(settings.SCHOOL_ID).loc["100020"]
    assert (first[settings.SOZIALINDEX], first["school_name"]) == (5, "Städt. Kath. Grundschule Kartause-Hain-Schule")


@needs_nrw
def test_the_join_with_the_school_master_data_matches_the_independent_count_of_grundschulen():
    with NRW_LIST.open(encoding="utf-8", newline="") as f:
        indexed = {r["Schulnummer"] for r in csv.DictReader(f) if r["Sozialindex"].strip()}
    with MASTER_DATA.open(encoding="utf-8", newline="") as f:
        next(f)  # the "sep=;" line
        primary = [r["Schulnummer"] for r in csv.DictReader(f, delimiter=";") if r["Schulform"] == "02"]
    expected = len(set(primary) & indexed)
    layer = validate_sozialindex(read_table(NRW_LIST.read_bytes(), NRW_LIST.name)).layer
    offers = schools_as_offers(read_table(MASTER_DATA.read_bytes(), MASTER_DATA.name), offer_type="grundschule")
    assert matched_schools(layer, offers) == (expected, len(primary))
    assert (expected, len(primary)) == (2703, 2793)  # 2,779 of the 2,793 are listed, 76 without index


@needs_nrw
def test_one_municipality_of_the_state_list():
    with NRW_LIST.open(encoding="utf-8", newline="") as f:
        gelsenkirchen = [r for r in csv.DictReader(f) if r["Amtlicher Gemeindeschlüssel"] == "5513000"
                         and r["Sozialindex"].strip()]
    table = read_table(NRW_LIST.read_bytes(), NRW_LIST.name)
    for key in ("05513000", "5513000"):
        upload = validate_sozialindex(table, gemeindeschluessel=key)
        assert upload.report.ok
        assert sorted(upload.layer[settings.SCHOOL_ID]) == sorted(r["Schulnummer"] for r in gelsenkirchen)
    wrong = validate_sozialindex(table, gemeindeschluessel="09162000")
    assert messages(wrong) == ["Die Datei enthält keine Schule mit dem Gemeindeschlüssel „09162000“. Bitte den "
                               "Gemeindeschlüssel prüfen (achtstellig, z. B. „05513000“ für Gelsenkirchen)."]
    assert wrong.layer is None


# --------------------------------------------------------------------------------------------- a city's list


def test_a_city_list_from_excel_in_cp1252_with_short_schulnummern():
    table = city_list("Schulnummer;Sozialindex;Schulname\n12345;7;Grundschule Müllerstraße\n"
                      "118928;9,0;Städt. Gem. Grundschule Über dem Bach\n5;1;Kleine Schule\n")
    assert table.attrs["encoding"].lower() in {"cp1252", "windows-1252"}
    upload = validate_sozialindex(table)
    assert upload.report.ok and not upload.report.problems
    assert upload.layer.to_dict("list") == {
        settings.SCHOOL_ID: ["000005", "012345", "118928"],
        settings.SOZIALINDEX: [1, 7, 9],
        "school_name": ["Kleine Schule", "Grundschule Müllerstraße", "Städt. Gem. Grundschule Über dem Bach"],
    }


def test_schulnummern_from_excel_numbers_get_their_zeros_back():
    ids, bad = normalise_school_ids(pd.Series([12345.0, 118928.0, float("nan")]))
    assert ids.tolist()[:2] == ["012345", "118928"] and pd.isna(ids.iloc[2])
    assert bad.tolist() == [False, False, False]
    ids, bad = normalise_school_ids(pd.Series(["012345", " 99 ", "12a45", "1234567", None]))
    assert ids.tolist()[:2] == ["012345", "000099"]
    assert bad.tolist() == [False, False, True, True, False]


def test_every_problem_of_a_list_is_reported_at_once_with_its_excel_row():
    table = city_list(
        "Schulnummer;Sozialindex\n"
        "100001;5\n"      # row 2: fine
        "12a45;3\n"       # row 3: no Schulnummer
        "1234567;3\n"     # row 4: seven digits
        ";4\n"            # row 5: no Schulnummer at all
        "100002;10\n"     # row 6: above 9
        "100003;0\n"      # row 7: below 1
        "100004;5,5\n"    # row 8: not whole
        "100005;hoch\n"   # row 9: no number
        "100006;6\n"      # row 10 and 11: the same school with two levels
        "100006;7\n"
        "100007;2\n"      # rows 12 and 13: the same school twice with one level (a warning)
        "100007;2\n"
        "100008;x\n"      # rows 14 and 15: the official "x" for no value (a warning)
        "100009;x\n"
        "100010;\n"       # row 16: blank (a warning)
        "100011;-9999\n"  # row 17: the no-data number (a warning)
    )
    upload = validate_sozialindex(table)
    assert upload.layer is None
    assert messages(upload) == [
        "Zeile 3: Die Schulnummer „12a45“ ist keine Schulnummer (bis zu sechs Ziffern, z. B. „123456“). Bitte die "
        "sechsstellige Schulnummer der Schule eintragen.",
        "Zeile 4: Die Schulnummer „1234567“ ist keine Schulnummer (bis zu sechs Ziffern, z. B. „123456“). Bitte die "
        "sechsstellige Schulnummer der Schule eintragen.",
        "Zeile 5: Ohne Schulnummer: Zeile 5. Bitte jede Zeile mit der Schulnummer der Schule versehen oder die Zeile "
        "löschen.",
        *[f"Zeile {row}: Der Sozialindex „{value}“ ist keine Stufe: erlaubt sind die ganzen Zahlen 1 bis 9 (1 = "
          "niedrige, 9 = höchste Belastung). Bitte die Stufe aus der Liste des Ministeriums eintragen oder das Feld "
          "leer lassen." for row, value in ((6, "10"), (7, "0"), (8, "5,5"), (9, "hoch"))],
        "Zeile 11: Die Schulnummer „100006“ steht mehrfach mit verschiedenem Sozialindex da (Zeilen 10 und 11: Stufen "
        "6 und 7). Bitte nur den gültigen Wert stehen lassen.",
    ]
    assert messages(upload, "warning") == [
        "Zeile 13: Die Schulnummer „100007“ steht mehrfach da (Zeilen 12 und 13), mit demselben Sozialindex: sie "
        "zählt einmal.",
        "Zeile 14: „x“ steht für einen fehlenden Wert (Zeilen 14 und 15): diese Schulen bleiben ohne Index.",
        "Zeile 16: Ohne Sozialindex (Zeile 16): diese Schulen bleiben ohne Index.",
        "Zeile 17: „-9999“ steht für einen fehlenden Wert (Zeile 17): diese Schulen bleiben ohne Index.",
    ]
    assert {p.column for p in upload.report.problems} == {"Schulnummer", "Sozialindex"}


def test_a_list_without_the_columns_names_what_it_has():
    upload = validate_sozialindex(city_list("Schule;Wert\nA;5\n"))
    assert messages(upload) == [
        "Die Spalten „Schulnummer“ und „Sozialindex“ fehlt. Vorhandene Spalten: „Schule“, „Wert“. Erwartet wird eine "
        "Liste mit Schulnummer und Sozialindex (Stufe 1 bis 9) je Schule."]
    mapped = validate_sozialindex(city_list("Schule;Wert\n4711;5\n"),
                                  column_map={"Schule": settings.SCHOOL_ID, "Wert": settings.SOZIALINDEX})
    assert mapped.report.ok and mapped.layer[settings.SCHOOL_ID].tolist() == ["004711"]


def test_a_list_of_only_missing_values_is_refused():
    upload = validate_sozialindex(city_list("Schulnummer;Sozialindex\n100001;x\n100002;\n"))
    assert "Die Datei enthält keine Schule mit Sozialindex." in messages(upload)


# ------------------------------------------------------------------------------- upload, store, CLI, template


@pytest.fixture
def city(small_dataset):
    """A city workspace with the three squares and two Grundschulen (ids 012345 and 118928)."""
    import geopandas as gpd

    workspace = create_workspace("Schulstadt")
    schools = gpd.GeoDataFrame(
        {settings.OFFER_ID: ["012345", "118928"], settings.OFFER_TYPE: ["grundschule"] * 2,
         settings.OFFER_NAME: ["GS Nord", "GS Süd"], settings.OFFER_ADDRESS: ["", ""],
         settings.OFFER_CAPACITY: [None, None]},
        geometry=gpd.points_from_xy([400_200.0, 401_200.0], [5_700_500.0, 5_700_500.0]), crs="EPSG:25832")
    workspace.save_many({"districts": small_dataset.districts, "indicators": small_dataset.indicators,
                         "offers": pd.concat([small_dataset.offers, schools], ignore_index=True)},
                        filename="test")
    return workspace


def test_check_and_commit_store_the_layer_and_say_how_many_schools_match(city):
    data = "Schulnummer;Sozialindex\n12345;7\n999999;3\n".replace("\n", "\r\n").encode("cp1252")
    check = check_upload(data, "liste.csv", kind="sozialindex", context=city.dataset())
    assert check.ok
    assert check.info["Abgleich Grundschulen"] == "1 von 2 gespeicherten Grundschulen haben einen Sozialindex"
    assert (check.changes.added, check.base_versions) == (["012345", "999999"], {"sozialindex": None, "offers": 1})
    info = commit_upload(city, check, filename="liste.csv")
    assert info.label.startswith("Schulsozialindex v1 (liste.csv")
    stored = city.dataset().sozialindex
    assert stored.to_dict("list") == {settings.SCHOOL_ID: ["012345", "999999"], settings.SOZIALINDEX: [7, 3],
                                      "school_name": ["", ""]}


def test_a_bad_list_stores_nothing(city):
    check = check_upload(b"Schulnummer;Sozialindex\n12345;12\n", "liste.csv", kind="sozialindex",
                         context=city.dataset())
    assert not check.ok and check.layer is None
    assert [str(p) for p in check.report.errors][0].startswith("Zeile 2: Der Sozialindex „12“ ist keine Stufe")
    with pytest.raises(Exception, match="nicht gespeichert"):
        commit_upload(city, check, filename="liste.csv")
    assert city.dataset().sozialindex is None


def test_a_list_matching_no_stored_grundschule_is_a_warning(city):
    check = check_upload(b"Schulnummer;Sozialindex\n100001;5\n", "liste.csv", kind="sozialindex",
                         context=city.dataset())
    assert check.ok
    assert [p.message for p in check.report.warnings] == [
        "Keine der 2 gespeicherten Grundschulen steht in der Liste: Stimmen die Schulnummern (Kennung der "
        "Grundschulen) und die Gemeinde? Gespeichert werden kann sie trotzdem."]


def test_the_command_line_uploads_a_list(city, tmp_path, capsys):
    path = tmp_path / "sozialindex.csv"
    path.write_bytes("Schulnummer;Sozialindex;Schulname\n118928;9;Grundschule Ückendorf\n".encode("cp1252"))
    assert main(["upload", "sozialindex", str(path), "--workspace", city.path.name]) == 0
    out = capsys.readouterr().out
    assert "Abgleich Grundschulen: 1 von 2 gespeicherten Grundschulen haben einen Sozialindex" in out
    assert "Gespeichert: Schulsozialindex v1 (sozialindex.csv" in out
    assert city.dataset().sozialindex[settings.SCHOOL_ID].tolist() == ["118928"]
    path.write_bytes(b"Schulnummer;Sozialindex\n118928;neun\n")
    assert main(["upload", "sozialindex", str(path), "--workspace", city.path.name]) == 1
    assert "Zeile 2: Der Sozialindex „neun“ ist keine Stufe" in capsys.readouterr().out
    assert city.dataset().sozialindex[settings.SOZIALINDEX].tolist() == [9]


def test_the_template_names_the_city_schools_and_passes_its_own_check(city):
    template = upload_template("sozialindex", city.dataset())
    assert [c.header for c in template.columns] == ["Schulnummer", "Sozialindex", "Schulname"]
    assert template.columns[0].examples == ("012345", "118928")
    for fmt in template.formats:
        check = check_upload(template_bytes(template, fmt), f"vorlage.{fmt}", kind="sozialindex",
                             context=city.dataset())
        assert check.ok, check.report.problems
        assert check.layer[settings.SOZIALINDEX].tolist() == [7, 3]


def test_hostile_school_names_stay_text_in_the_layer():
    hostile = "=cmd|' /C calc'!A0 <script>alert(1)</script> {{ 7*191 }} $x$"
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=";").writerows([["Schulnummer", "Sozialindex", "Schulname"], ["1", "4", hostile]])
    upload = validate_sozialindex(city_list(buffer.getvalue()))
    assert upload.layer["school_name"].tolist() == [hostile]


def test_the_daten_page_previews_the_match_and_stores_on_confirmation(city):
    from geo.store import workspaces
    from tests.apptest import open_page

    workspaces.set_default(city.path.name)
    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("sozialindex").run()
    data = "Schulnummer;Sozialindex;Schulname\n12345;7;<b>GS</b> $x$\n999999;3;Andere\n".encode("cp1252")
    at.file_uploader(key="up_file_sozialindex").upload("liste.csv", data).run()
    assert not at.exception, at.exception
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Schulen in der Liste"] == "2"
    assert metrics["Grundschulen zugeordnet"] == "1 von 2"
    assert metrics["davon Sozialindex ≥ 6"] == "1"
    assert city.dataset().sozialindex is None  # nothing stored before the planner confirms
    at.button(key="up_save").click().run()
    assert not at.exception
    assert "Gespeichert: Schulsozialindex v1" in at.success[0].value.replace("\\", "")
    assert city.dataset().sozialindex["school_name"].tolist() == ["<b>GS</b> $x$", "Andere"]
