"""Daten and Verlauf pages: upload, check, confirm, store, restore – through Streamlit's AppTest."""

from __future__ import annotations

import json

import pytest
from streamlit.testing.v1 import AppTest

from geo import settings
from geo.demo import load_demo
from geo.store import Workspace
from tests.apptest import open_page

TEMPLATE = (settings.DATA_DIR / "vorlagen" / "angebote.csv").read_bytes()


@pytest.fixture
def workspace(practice) -> Workspace:
    """The page's workspace: a practice copy of the demo (v1 of every layer = the demo's)."""
    return practice


def shown(markdown: str) -> str:
    """Text as the planner sees it: Markdown escapes removed."""
    return markdown.replace("\\", "")


def daten_page() -> AppTest:
    return open_page("app_pages/3_Daten.py", timeout=120)


def upload(at: AppTest, kind: str, name: str, data: bytes) -> AppTest:
    if kind != "offers":
        at.radio(key="up_kind").set_value(kind).run()
    at.file_uploader(key=f"up_file_{kind}").upload(name, data).run()
    assert not at.exception, at.exception
    return at


def test_offer_upload_is_previewed_and_stored_on_confirmation(workspace):
    at = upload(daten_page(), "offers", "angebote.csv", TEMPLATE)
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    # By default the template's three ids update the demo's offers of those ids; nothing is removed.
    assert metrics == {"neu": "0", "geändert": "3", "entfällt": "0", "unverändert": "76"}
    # Replacing: the demo's 10 Familienbüros, 20 FGZ and 2 Lotsendienste give way to one of each; the 2 clinics
    # and 45 Grundschulen stay.
    at.radio(key="up_mode").set_value("replace").run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"neu": "0", "geändert": "3", "entfällt": "29", "unverändert": "47"}
    assert workspace.active_versions()["offers"].version == 1  # nothing stored before the planner confirms
    at.button(key="up_save").click().run()
    assert not at.exception
    assert "Gespeichert: Angebote v2 (angebote.csv" in shown(at.success[0].value)
    stored = workspace.load("offers")
    assert sorted(stored[settings.OFFER_TYPE].value_counts().to_dict().items()) == [
        ("familienbuero", 1), ("fgz", 1), ("geburtsklinik", 2), ("grundschule", 45), ("lotsendienst", 1)
    ]


def test_bad_upload_names_the_row_and_stores_nothing(workspace):
    bad = TEMPLATE.decode("utf-8-sig").replace("FGZ;FGZ Grundschule", "Hort;FGZ Grundschule").encode("cp1252")
    at = upload(daten_page(), "offers", "falsch.csv", bad)
    assert "Es wurde nichts gespeichert" in at.error[0].value
    assert "Zeile 3: " in shown(at.error[0].value) and "Hort" in at.error[0].value
    report = at.dataframe[0].value
    row = report[report["Art"] == "Fehler"].iloc[0]
    assert row["Zeile"] == "3" and "Hort" in row["Meldung"]
    assert [b for b in at.button if b.key == "up_save"] == []  # no way to store a file with errors
    assert workspace.history("offers")["version"].tolist() == [1]  # only the practice copy's own version


def test_user_text_is_shown_as_text_not_markup(workspace):
    evil = TEMPLATE.decode("utf-8-sig").replace("Familienbüro Altstadt", "<img src=x onerror=alert(1)> [a](http://x)")
    at = upload(daten_page(), "offers", "<b>x</b>.csv", evil.encode("utf-8"))
    captions = " ".join(c.value for c in at.caption)
    assert "<b>" not in captions and "[a](http" not in captions
    table = at.dataframe[-1].value
    assert "<img src=x onerror=alert(1)> [a](http://x)" in table[settings.OFFER_NAME].tolist()


def test_district_upload_with_own_column_names(workspace):
    demo = load_demo()
    doc = json.loads(demo.districts.to_crs(4326).to_json())
    for f in doc["features"]:
        p = f["properties"]
        f["properties"] = {"SR_NR": p["district_id"], "SR_NAME": p["district_name"], "SB": p["area_name"]}
    at = upload(daten_page(), "districts", "sozialraeume.geojson", json.dumps(doc).encode())
    assert at.selectbox(key="up_id_column").value == "SR_NR"
    assert at.selectbox(key="up_name_column").value == "SR_NAME"
    assert {m.label: m.value for m in at.metric}["unverändert"] == "0"  # area ids are not in the file
    at.selectbox(key="up_area_name_column").set_value("SB").run()
    at.button(key="up_save").click().run()
    assert workspace.active_versions()["districts"].rows == 57
    stored = workspace.load("districts")
    assert stored.set_index(settings.DISTRICT_ID).loc["0101", settings.AREA_NAME] == "Mitte"


def test_history_page_restores_and_resets(workspace):
    demo = load_demo()
    workspace.save("offers", demo.offers.head(5), filename="erste.csv")
    workspace.save("offers", demo.offers.head(7), filename="zweite.csv")
    at = open_page("app_pages/4_Verlauf.py", timeout=120)
    assert not at.exception
    offers_table = at.dataframe[1].value  # after the Sozialräume
    assert offers_table["Datei"].tolist() == ["zweite.csv", "erste.csv", "Demo Musterstadt (Kopie)"]
    at.selectbox(key="hist_pick_offers").set_value(2).run()
    at.button(key="hist_restore_offers").click().run()
    assert not at.exception
    assert workspace.active_versions()["offers"].version == 2
    at.button(key="hist_reset_offers").click().run()  # asks first: removing data is an explicit, warned choice
    assert workspace.active_versions()["offers"].version == 2
    warning = shown(at.warning[0].value)
    assert warning.startswith("**Angebote aus der Analyse nehmen?** Version 2 bleibt im Verlauf erhalten")
    assert "nicht durch Beispieldaten ersetzt" in warning
    at.button(key="hist_reset_yes_offers").click().run()
    assert not at.exception
    assert "offers" not in workspace.active_versions()
    assert workspace.history("offers")["version"].tolist() == [3, 2, 1]  # nothing was deleted
    assert workspace.dataset().offers.empty  # missing now, not filled from the demo


def test_indicator_columns_can_be_assigned_by_hand(workspace):
    demo = load_demo()
    rows = demo.indicators[demo.indicators[settings.YEAR] == 2024]
    lines = ["SR;Jahr;EW;U18;0-2;3-5;6-9;10-17;Geburten;Quote A;Quote B;Quote C"] + [
        f"{r.district_id};{r.year};{r.inhabitants};{r.children};{r.age_0_3};{r.age_3_6};{r.age_6_10};{r.age_10_18};"
        f"{r.births};{r.sgb2_children_quota};{r.unemployment_rate};{r.single_parent_share}".replace(".", ",")
        for r in rows.itertuples()
    ]
    data = "\n".join(lines).encode("utf-8")
    at = upload(daten_page(), "indicators", "eigene_namen.csv", data)
    assert at.error  # "SR", "Quote A" etc. mean nothing by themselves
    at.selectbox(key="up_ind_id").set_value("SR")
    for key, column in [("inhabitants", "EW"), ("children", "U18"), ("sgb2_children_quota", "Quote A"),
                        ("unemployment_rate", "Quote B"), ("single_parent_share", "Quote C")]:
        at.selectbox(key=f"up_map_{key}").set_value(column)
    at.run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric}["unverändert"] == "57"  # the same values as the demo's 2024


FAMILIENZENTREN = (
    "Nr;Angebotsart;Name;Breite;Länge\r\nFZ-1;Familienzentrum;FZ Sonnenhügel;51,7195;7,7731\r\n"
    "FZ-2;Familienzentrum;FZ Ölmühle;51,6905;7,7412\r\n"
).encode("cp1252")
ONE_FGZ = "Nr;Angebotsart;Name;Breite;Länge\r\nG-1;FGZ;FGZ Neue Schule;51,7195;7,7731\r\n".encode("cp1252")


def test_confirming_a_preview_of_a_state_that_has_changed_stores_nothing(workspace):
    from geo.ingest import check_upload, commit_upload

    at = upload(daten_page(), "offers", "familienzentren.csv", FAMILIENZENTREN)  # session A sees the demo offers
    assert {m.label: m.value for m in at.metric}["neu"] == "2"
    # Meanwhile session B replaces the FGZ list.
    other = check_upload(ONE_FGZ, "fgz.csv", kind="offers", context=Workspace(workspace.path).dataset(),
                         options={"mode": "replace"})
    commit_upload(workspace, other, filename="fgz.csv")

    at.button(key="up_save").click().run()
    assert not at.exception and not at.success
    assert shown(at.error[-1].value).startswith(
        "Die Daten wurden inzwischen geändert (Angebote: Version 2 statt 1). Es wurde nichts gespeichert. "
        "Bitte prüfen Sie die Datei erneut"
    )
    assert workspace.history("offers")["filename"].tolist() == ["fgz.csv", "Demo Musterstadt (Kopie)"]
    # The page now previews the file against B's state; confirming that stores A's list beside B's.
    assert {m.label: m.value for m in at.metric}["unverändert"] == str(len(load_demo().offers) - 20 + 1)
    at.button(key="up_save").click().run()
    assert "Gespeichert: Angebote v3 (familienzentren.csv" in shown(at.success[0].value)
    counts = workspace.load("offers")[settings.OFFER_TYPE].value_counts().to_dict()
    assert counts["familienzentrum"] == 2 and counts["fgz"] == 1


def test_history_page_refuses_a_restore_chosen_from_an_old_table(workspace):
    demo = load_demo()
    workspace.save("offers", demo.offers.head(5), filename="erste.csv")
    workspace.save("offers", demo.offers.head(7), filename="zweite.csv")
    at = open_page("app_pages/4_Verlauf.py", timeout=120)
    at.selectbox(key="hist_pick_offers").set_value(2).run()
    workspace.save("offers", demo.offers.head(9), filename="dritte.csv")  # another session, after the page showed v3
    at.button(key="hist_restore_offers").click().run()
    assert not at.exception
    assert shown(at.error[0].value).startswith(
        "Die Daten wurden inzwischen geändert (Angebote: Version 4 statt 3). Es wurde nichts geändert."
    )
    assert workspace.active_versions()["offers"].version == 4
    at.button(key="hist_reset_offers").click().run()  # chosen from the table that now shows v4
    at.button(key="hist_reset_yes_offers").click().run()
    assert not at.exception and "offers" not in workspace.active_versions()


#: Three offers the demo does not have yet, one of each analysed type (ids new, coordinates in Musterstadt).
THREE_NEW = (
    "Nr;Angebotsart;Name;Adresse;Rechtswert;Hochwert\r\n"
    "FB-11;Familienbüro;Familienbüro Neumarkt;Marktplatz 2;415200,0;5727900,0\r\n"
    "FGZ-21;FGZ;FGZ Grundschule Neubau;Schulweg 5;414000,0;5729500,0\r\n"
    "LD-03;Lotsendienst;Lotsendienst Neue Klinik;Klinikweg 1;415300,0;5728100,0\r\n"
).encode("cp1252")


def removal_box(at: AppTest) -> list[str]:
    return [shown(w.value) for w in at.warning if "entfernt" in w.value]


def test_adding_offers_by_default_removes_none_and_replacing_names_what_goes(workspace):
    demo = load_demo()
    at = upload(daten_page(), "offers", "drei_neue.csv", THREE_NEW)
    assert at.radio(key="up_mode").value == "update"  # the safe default
    assert {m.label: m.value for m in at.metric} == {"neu": "3", "geändert": "0", "entfällt": "0",
                                                     "unverändert": "79"}
    assert removal_box(at) == []
    assert at.button(key="up_save").label == "Angebote übernehmen und speichern"
    at.button(key="up_save").click().run()
    assert not at.exception and "Gespeichert: Angebote v2" in shown(at.success[0].value)
    stored = workspace.load("offers")
    assert stored[settings.OFFER_ID].tolist() == [*demo.offers[settings.OFFER_ID], "FB-11", "FGZ-21", "LD-03"]

    # The same file replacing the lists of its three types: the demo's 32 offers of those types would go.
    at.radio(key="up_mode").set_value("replace").run()
    assert not at.exception
    gone = demo.offers[demo.offers[settings.OFFER_TYPE].isin(["familienbuero", "fgz", "lotsendienst"])]
    assert len(gone) == 32
    assert {m.label: m.value for m in at.metric}["entfällt"] == "32"
    expected = "32 Angebote werden entfernt: " + ", ".join(gone[settings.OFFER_NAME]) + "."
    assert removal_box(at) == [f"**{expected}** Prüfen Sie, ob das gewollt ist; sonst wählen Sie oben „Hinzufügen und "
                               "aktualisieren“."]
    assert "Familienbüro Altstadt, Familienbüro Kanalufer" in expected and expected.endswith(
        "Lotsendienst Klinikum Musterstadt.")
    # the box stands before the button: in the page's order of elements
    order = [e for e in at.main if getattr(e, "key", None) == "up_save" or (
        e.type == "warning" and "entfernt" in str(getattr(e, "value", "")))]
    assert [getattr(e, "key", None) for e in order] == [None, "up_save"]
    assert at.button(key="up_save").label == "Angebote übernehmen und 32 entfernen"
    assert workspace.active_versions()["offers"].version == 2  # nothing stored before the click
    at.button(key="up_save").click().run()
    assert not at.exception and "Gespeichert: Angebote v3" in shown(at.success[0].value)
    stored = workspace.load("offers")
    schools = demo.offers.loc[demo.offers[settings.OFFER_TYPE] == "grundschule", settings.OFFER_ID].tolist()
    assert stored[settings.OFFER_ID].tolist() == ["GK-01", "GK-02", *schools, "FB-11", "FGZ-21", "LD-03"]


@pytest.mark.parametrize(("kind", "labels"), [
    ("offers", ["CSV (Excel, Semikolon)", "Excel-Arbeitsmappe (XLSX)"]),
    ("districts", ["GeoJSON (zwei Beispielflächen)"]),
    ("indicators", ["CSV (Excel, Semikolon)", "Excel-Arbeitsmappe (XLSX)"]),
    ("residents", ["CSV (Excel, Semikolon)", "Excel-Arbeitsmappe (XLSX)"]),
    ("sozialindex", ["CSV (Excel, Semikolon)", "Excel-Arbeitsmappe (XLSX)"]),
])
def test_each_upload_offers_its_template_for_download(workspace, kind, labels):
    from geo.ingest.templates import upload_template

    at = daten_page()
    if kind != "offers":
        at.radio(key="up_kind").set_value(kind).run()
    assert not at.exception
    buttons = at.get("download_button")
    assert [b.proto.label for b in buttons] == labels
    suffixes = [b.proto.url.rsplit(".", 1)[-1] for b in buttons]
    assert suffixes == [{"CSV (Excel, Semikolon)": "csv", "Excel-Arbeitsmappe (XLSX)": "xlsx"}.get(lb, "geojson")
                        for lb in labels]
    template = upload_template(kind, workspace.dataset())
    columns = next(shown(m.value) for m in at.markdown if m.value.startswith("- **"))
    assert [line.split("**")[1] for line in columns.splitlines()] == [c.header for c in template.columns]
    if kind == "offers":  # the practice copy's first districts: the example names are the city's own
        assert columns.splitlines()[2].endswith("Beispiel: „Familienbüro Altstadt“")
        assert columns.splitlines()[0].startswith("- **Nr** (Pflichtspalte): Eindeutige Kennung")
        assert "- **Kapazität** (optional): " in columns
    assert "Programmordner" not in " ".join(m.value for m in at.markdown)


def test_the_read_only_demo_offers_every_template_before_a_city_exists():
    # No workspace of one's own yet (the default is the demo): the templates are there to prepare the files.
    at = daten_page()
    assert not at.exception
    assert [b.key for b in at.get("download_button")] == [
        "up_template_offers_csv", "up_template_offers_xlsx", "up_template_districts_geojson",
        "up_template_indicators_csv", "up_template_indicators_xlsx", "up_template_residents_csv",
        "up_template_residents_xlsx", "up_template_catchments_geojson", "up_template_clinic_births_csv",
        "up_template_clinic_births_xlsx", "up_template_sozialindex_csv", "up_template_sozialindex_xlsx"]
    assert not at.get("file_uploader") and "Vorlagen zum Herunterladen" in [h.value for h in at.subheader]


def test_history_log_reads_in_german(workspace):
    demo = load_demo()
    workspace.save("offers", demo.offers.head(5), filename="erste.csv")
    workspace.restore("offers", 1)
    at = open_page("app_pages/4_Verlauf.py", timeout=120)
    assert not at.exception
    log = at.dataframe[-1].value
    assert list(log.columns) == ["Zeitpunkt", "Ebene", "Aktion", "Version"]
    assert log[["Ebene", "Aktion", "Version"]].head(2).values.tolist() == [
        ["Angebote", "wiederhergestellt", 1], ["Angebote", "gespeichert", 2]]  # newest first
    assert not {"districts", "offers", "save", "restore"} & set(log[["Ebene", "Aktion"]].to_numpy().ravel())
    assert "**Arbeitsbereich:** Übung" in [m.value for m in at.markdown]


def test_shown_log_gives_local_time_and_german_names():
    from geo.store import shown_log
    from geo.store.listing import log_table

    log = log_table([("2026-11-21T09:14:00+00:00", "indicators", "save", 3),
                     ("2026-07-01T22:30:00+00:00", "offers", "reset", None)])
    shown = shown_log(log)
    assert shown["Zeitpunkt"].tolist() == ["02.07.2026 00:30", "21.11.2026 10:14"]  # CEST +2, CET +1
    assert shown["Ebene"].tolist() == ["Angebote", "Indikatoren"]
    assert shown["Aktion"].tolist() == ["nicht mehr verwendet", "gespeichert"]
    assert shown["Version"].isna().tolist() == [True, False]
