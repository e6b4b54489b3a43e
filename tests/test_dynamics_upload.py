"""How planners feed and configure the Dynamik: ``--dynamic`` columns, their values, the editors, sidebar, Methodik."""

from __future__ import annotations

import pandas as pd
import pytest

from app_pages import _definitions as tables
from geo import DataError, catalog, settings
from geo.analysis import analyse
from geo.analysis.dynamics import attention_rule_text
from geo.dataset import Dataset
from geo.demo import load_demo
from geo.ingest import check_upload, commit_upload, edit_definitions, parse_indicator_options
from geo.ingest.definitions import guess_kind
from geo.store import Workspace
from tests.apptest import open_page

TRANSFER, D_TRANSFER = "Transferbezug (%)", "Veränderung Transferbezug (%-Punkte)"
D_LABEL = "Veränderung Transferbezug"  # the header without its unit


def plain(markdown: str) -> str:
    """Streamlit Markdown as read: the escapes of ``ui.md`` removed."""
    return markdown.replace("\\", "")


def messages(check) -> list[str]:
    return [p.message for p in check.report.problems]


@pytest.fixture
def city(small_dataset) -> Dataset:
    """Three squares 01–03 and two FGZ, no indicators and no definitions yet."""
    return small_dataset.with_layers(indicator_definitions=catalog.empty_indicator_definitions(),
                                     indicators=small_dataset.indicators.iloc[0:0])


def table(*changes: str, year: int = 2024) -> bytes:
    """A city table as Excel writes it (cp1252, semicolons, decimal commas, ids without the leading zero)."""
    lines = [f"Sozialraum;Jahr;Einwohner;Kinder;{TRANSFER};{D_TRANSFER}"]
    lines += [f"{i};{year};1.000;100;{8 + 4 * i};{c}" for i, c in enumerate(changes, start=1)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


# -------------------------------------------------------------------------------------------- the options


@pytest.mark.parametrize(("header", "kind"), [
    ("Veränderung SGB-II-Quote (Prozentpunkte)", "dynamik"), ("Aenderung Arbeitslose", "dynamik"),
    ("Entwicklung Transferbezug 2022–2024", "dynamik"), ("SGB II (%-Punkte)", "dynamik"), ("Delta Quote", "dynamik"),
    ("SGB-II-Quote (%)", "status"), ("Deltaplan-Quote", "status"), ("Schwerpunkte", "status"),
])
def test_the_kind_of_a_new_column_is_guessed_from_its_header(header, kind):
    assert guess_kind(header) == kind


def test_dynamic_options_declare_ready_made_changes():
    choices = parse_indicator_options(["S1:+"], ["D1:+", "Veränderung: Quote (%):-"])
    assert choices == {
        "S1": {"indicator": True, "direction": 1, "kind": "status", "in_index": True, "weight": 1.0,
               "in_dynamic": False, "dynamic_weight": 1.0},  # the city supplies its Dynamik
        "D1": {"indicator": True, "direction": 1, "kind": "dynamik", "in_index": False, "in_dynamic": True,
               "dynamic_weight": 1.0},
        "Veränderung: Quote (%)": {"indicator": True, "direction": -1, "kind": "dynamik", "in_index": False,
                                   "in_dynamic": True, "dynamic_weight": 1.0},
    }
    assert parse_indicator_options(["S1:+"])["S1"]["in_dynamic"] is True  # without --dynamic: its change counts


def test_dynamic_options_report_every_problem_at_once():
    with pytest.raises(DataError) as caught:
        parse_indicator_options(["S1:+", "kaputt"], ["S1:-", "D1:+", "D1:-", "D2:x"])
    text = str(caught.value)
    assert len(caught.value.problems) == 4
    assert "„kaputt“ ist keine gültige Indikator-Angabe" in text
    assert "„D2:x“ ist keine gültige Angabe für --dynamic" in text
    assert "Die Spalte „S1“ ist mit --indicator und mit --dynamic angegeben" in text
    assert "Die Spalte „D1“ ist mehrfach mit --dynamic angegeben." in text


# ---------------------------------------------------------------------------------------------- the values


def test_negative_changes_and_no_data_codes_of_a_dynamik_column(city):
    choices = parse_indicator_options([f"{TRANSFER}:+"], [f"{D_TRANSFER}:+"])
    check = check_upload(table("-3,5", "-1", "-0,5"), "stadt.csv", kind="indicators", context=city,
                         options={"indicators": choices})
    assert check.ok, messages(check)
    key = check.definitions.index[check.definitions["label"] == D_LABEL][0]
    # −1 is a change of one percentage point here, not the no-data code it is in a share column.
    assert check.layer[key].tolist() == [-3.5, -1.0, -0.5]
    row = check.definitions.loc[key]
    assert (row["kind"], row["in_index"], row["in_dynamic"], row["dynamic_weight"], row["unit"]) == (
        "dynamik", False, True, 1.0, "%")
    status = check.definitions.loc[check.definitions["label"] == "Transferbezug"].iloc[0]
    assert (status["kind"], status["in_index"], status["in_dynamic"]) == ("status", True, False)
    assert check.info["Dynamik-Indikatoren (gelieferte Veränderungen)"] == D_LABEL


def test_codes_and_impossible_changes_are_named_by_row(city):
    choices = parse_indicator_options([f"{TRANSFER}:+"], [f"{D_TRANSFER}:+"])
    gaps = check_upload(table("-", ".", "x"), "stadt.csv", kind="indicators", context=city,
                        options={"indicators": choices})
    assert gaps.ok and gaps.layer.iloc[:, -1].isna().all()
    assert any(f"„-“ (keine Angabe) als fehlende Werte gelesen: Spalte „{D_TRANSFER}“ (Zeile 2)" in m
               for m in messages(gaps))
    bad = check_upload(table("-120", "abc", "+2,5"), "stadt.csv", kind="indicators", context=city,
                       options={"indicators": choices})
    assert not bad.ok
    errors = [(p.row, p.message) for p in bad.report.errors]
    assert errors == [(2, f"Spalte „{D_TRANSFER}“: -120 Prozentpunkte liegt nicht zwischen −100 und +100."),
                      (3, f"Spalte „{D_TRANSFER}“: „abc“ ist keine Zahl.")]
    # The same −3,5 in a status share is an error: a share lies within 0–100.
    status = check_upload(table("-3,5", "1", "2"), "stadt.csv", kind="indicators", context=city,
                          options={"indicators": parse_indicator_options([f"{D_TRANSFER}:+"])})
    assert [p.message for p in status.report.errors] == [
        f"Spalte „{D_TRANSFER}“: -3,5 % liegt nicht zwischen 0 und 100."]


def test_a_stored_dynamik_definition_stays_on_the_next_upload(city, tmp_path):
    ws = Workspace(tmp_path / "stadt")
    choices = parse_indicator_options([f"{TRANSFER}:+"], [f"{D_TRANSFER}:+"])
    check = check_upload(table("-3,5", "-1", "2"), "stadt.csv", kind="indicators", context=city,
                         options={"indicators": choices})
    commit_upload(ws, check, filename="stadt.csv")
    stored = ws.dataset()
    data = city.with_layers(indicators=stored.indicators, indicator_definitions=stored.indicator_definitions)
    later = check_upload(table("1,5", "-4", "0", year=2026), "stadt_2026.csv", kind="indicators", context=data)
    assert later.ok, messages(later)
    assert later.definitions[["kind", "in_index", "in_dynamic"]].values.tolist() == [
        ["status", True, False], ["dynamik", False, True]]
    assert later.layer[later.layer[settings.YEAR] == 2026].iloc[:, -1].tolist() == [1.5, -4.0, 0.0]


def test_a_dynamik_indicator_never_enters_the_status_index(city):
    check = check_upload(table("-3,5", "-1", "2"), "stadt.csv", kind="indicators", context=city, options={
        "indicators": {D_TRANSFER: {"kind": "Dynamik-Indikator (Veränderung)", "in_index": True, "in_dynamic": True},
                       TRANSFER: {"in_index": True, "in_dynamic": True}}})
    assert check.ok
    assert check.definitions[["kind", "in_index", "in_dynamic"]].values.tolist() == [
        ["status", True, True], ["dynamik", False, True]]  # the planner chose in_dynamic for the status one
    assert f"Spalte „{D_TRANSFER}“ ist ein Dynamik-Indikator (eine Veränderung) und geht daher nicht in den " \
           "Statusindex ein, nur in den Dynamikindex." in messages(check)
    wrong = check_upload(table("1", "2", "3"), "stadt.csv", kind="indicators", context=city,
                         options={"indicators": {D_TRANSFER: {"kind": "Trend", "dynamic_weight": "200"}}})
    assert [p.message for p in wrong.report.errors] == [
        f"Spalte „{D_TRANSFER}“: Die Art „Trend“ ist unbekannt; möglich sind „Status-Indikator“ oder "
        "„Dynamik-Indikator (Veränderung)“.",
        f"Spalte „{D_TRANSFER}“: Das Gewicht im Dynamikindex „200“ muss eine Zahl zwischen 0 und 100 sein."]


def test_editing_kind_and_dynamik_weight_of_stored_definitions():
    stored = load_demo().indicator_definitions
    key = stored.index[0]
    edited = stored.copy()
    edited.loc[key, ["kind", "in_dynamic", "dynamic_weight"]] = ["dynamik", True, 2.5]
    new, report = edit_definitions(stored, edited)
    assert not report.ok and report.errors[0].message.endswith(
        "Ein Dynamik-Indikator (eine Veränderung) geht nicht in den Statusindex ein. Bitte „im Index“ ausschalten "
        "oder die Art „Status-Indikator“ wählen.")
    assert new is stored
    edited.loc[key, "in_index"] = False
    new, report = edit_definitions(stored, edited)
    assert report.ok
    assert new.loc[key, ["kind", "in_index", "in_dynamic", "dynamic_weight"]].tolist() == ["dynamik", False, True, 2.5]
    assert catalog.definitions_from_table(catalog.definitions_table(new)).equals(new)  # stored as it is


def test_the_editor_table_shows_the_kind_in_german_and_reads_it_back():
    frame = pd.DataFrame({"key": ["a", "b"], "kind": ["status", "dynamik"], "dynamic_weight": [1.0, 0.5],
                          "in_dynamic": [True, False]})
    shown = tables.definition_editor_frame(frame)
    assert shown[["Art", "Gewicht Dynamik", "im Dynamikindex"]].values.tolist() == [
        ["Status-Indikator", "1,0", True], ["Dynamik-Indikator (Veränderung)", "0,5", False]]
    back = tables.definition_editor_fields(shown.assign(**{"Gewicht Dynamik": ["2,5", "x"]}))
    assert back[["kind", "dynamic_weight"]].values.tolist() == [["status", 2.5], ["dynamik", "x"]]


# -------------------------------------------------------------------------------------------------- pages


def demo_table_with_changes() -> bytes:
    """The demo's 2024 rows with a ready-made change column, as a city's German CSV."""
    demo = load_demo().indicators
    rows = demo[demo[settings.YEAR] == 2024]
    columns = [settings.DISTRICT_ID, settings.YEAR, settings.INHABITANTS, settings.CHILDREN, "sgb2_children_quota",
               "unemployment_rate", "single_parent_share"]
    lines = [";".join(["Sozialraum-Nr", "Jahr", "Einwohner", "Kinder", "sgb2_children_quota", "unemployment_rate",
                       "single_parent_share", "Veränderung SGB-II-Quote (Prozentpunkte)"])]
    for i, (_, r) in enumerate(rows[columns].iterrows()):
        values = [str(r[c]).replace(".", ",") for c in columns] + [f"{(i % 7) - 3},5"]
        lines.append(";".join(values))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_the_upload_proposal_sets_a_column_as_dynamik_indicator(practice):
    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("indicators").run()
    at.file_uploader(key="up_file_indicators").upload("stadt.csv", demo_table_with_changes()).run(timeout=120)
    assert not at.exception, at.exception
    editor = next(e for e in at.dataframe if str(e.key).startswith("up_ind_editor_"))
    proposal = editor.value
    assert list(proposal.columns) == ["Spalte", "Indikator", "Bezeichnung", "Einheit", "Richtung", "im Index",
                                      "Gewicht", "Art", "im Dynamikindex", "Gewicht Dynamik", "Herkunft"]
    row = proposal.index[proposal["Spalte"] == "Veränderung SGB-II-Quote (Prozentpunkte)"][0]
    # The header names a change: proposed as a Dynamik indicator (its negative values are no error), in neither
    # index until the planner says so.
    assert proposal.loc[row, ["Art", "im Index", "im Dynamikindex"]].tolist() == [
        "Dynamik-Indikator (Veränderung)", False, False]
    assert not at.error
    at.session_state[editor.key] = {"edited_rows": {int(row): {"im Dynamikindex": True, "Gewicht Dynamik": "2,0"}},
                                    "added_rows": [], "deleted_rows": []}
    at.run(timeout=120)
    assert not at.exception, at.exception
    assert any("Dynamik-Indikatoren (gelieferte Veränderungen): Veränderung SGB-II-Quote" in plain(c.value)
               for c in at.caption)
    assert any("gehen daher nicht in den Dynamikindex ein" in plain(w.value) for w in at.warning)
    at.button(key="up_save").click().run(timeout=120)
    assert not at.exception, at.exception
    assert at.success
    definitions = catalog.definitions_from_table(practice.load("definitions"))
    added = definitions.loc["veraenderung_sgb_ii_quote"]
    assert (added["kind"], added["in_index"], added["in_dynamic"], added["dynamic_weight"]) == (
        "dynamik", False, True, 2.0)
    assert not definitions.loc["sgb2_children_quota", "in_dynamic"]  # the file supplies the Dynamik
    result = analyse(practice.dataset())
    assert result.dynamics.ready_made == ("veraenderung_sgb_ii_quote",)
    assert result.dynamics.weights == {"veraenderung_sgb_ii_quote": 2.0}


def test_the_indikatoren_page_edits_kind_and_dynamik_weight(practice):
    at = open_page("app_pages/7_Indikatoren.py", timeout=120)
    editor = next(e for e in at.dataframe if str(e.key).startswith("ind_editor_"))
    assert editor.value[["Art", "im Dynamikindex", "Gewicht Dynamik"]].values.tolist()[0] == [
        "Status-Indikator", True, "1,0"]
    at.session_state[editor.key] = {"edited_rows": {0: {"Art": "Dynamik-Indikator (Veränderung)"}},
                                    "added_rows": [], "deleted_rows": []}
    at.run(timeout=120)
    assert not at.exception, at.exception
    assert any("geht nicht in den Statusindex ein" in e.value for e in at.error)
    assert at.button(key="ind_save").disabled
    at.session_state[editor.key] = {"edited_rows": {1: {"Gewicht Dynamik": "0,5"}, 2: {"im Dynamikindex": False}},
                                    "added_rows": [], "deleted_rows": []}
    at.run(timeout=120)
    at.button(key="ind_save").click().run(timeout=120)
    assert not at.exception, at.exception
    assert at.success
    stored = catalog.definitions_from_table(practice.load("definitions"))
    assert stored[["in_dynamic", "dynamic_weight"]].values.tolist() == [[True, 1.0], [True, 0.5], [False, 1.0]]
    assert analyse(practice.dataset()).dynamics.weights == {"sgb2_children_quota": 1.0, "unemployment_rate": 0.5}


def _third_year(practice) -> None:
    """The practice copy with a 2022 year too (the 2023 values, a little better): years 2022, 2023, 2024."""
    data = practice.dataset()
    rows = data.indicators[data.indicators[settings.YEAR] == 2023]
    lines = ["Sozialraum-Nr;Jahr;Einwohner;Kinder;sgb2_children_quota;unemployment_rate;single_parent_share"]
    for _, r in rows.iterrows():
        lines.append(";".join([str(r[settings.DISTRICT_ID]), "2022", str(int(r[settings.INHABITANTS])),
                               str(int(r[settings.CHILDREN])), f"{max(r['sgb2_children_quota'] - 1, 0):.1f}",
                               f"{r['unemployment_rate']:.1f}", f"{r['single_parent_share']:.1f}"]))
    check = check_upload("\n".join(lines).encode(), "2022.csv", kind="indicators", context=data)
    assert check.ok, messages(check)
    commit_upload(practice, check, filename="2022.csv")


def test_the_sidebar_chooses_the_vergleichsjahr_and_methodik_states_the_rule(practice):
    _third_year(practice)
    at = open_page("app_pages/6_Methodik.py", timeout=120)
    assert not at.exception, at.exception
    choice = at.selectbox(key="pa_dyn_base")
    assert choice.options == ["2022", "2023"] and choice.value == 2022  # two years before 2024
    assert any(c.value == "Dynamik: Zeitraum 2022–2024" for c in at.sidebar.caption)
    assert [s.value for s in at.subheader if s.value == "Dynamik und Gesamtindex"]
    text = "\n".join(m.value for m in at.markdown)
    assert "Zeitraum dieser Analyse: **2022–2024**" in text
    assert attention_rule_text().replace("(", "\\(").replace(")", "\\)") in text
    assert "*positiv* (Lage verbessert sich) unter −1, *stabil* von −1 bis +1, *negativ*" in text

    choice.set_value(2023).run(timeout=120)
    assert not at.exception, at.exception
    assert any(c.value == "Dynamik: Zeitraum 2023–2024" for c in at.sidebar.caption)
    text = plain("\n".join(m.value for m in at.markdown))
    # The demo's Dynamik 2023 → 2024: 54 districts classified (7 positiv, 41 stabil, 6 negativ), 15 with attention.
    assert "Im Zeitraum 2023–2024 haben 54 von" in text
    assert "(7 positiv, 41 stabil, 6 negativ); 15 sind Sozialräume mit besonderem Aufmerksamkeitsbedarf." in text

    at.selectbox(key="pa_year").set_value(2022).run(timeout=120)
    assert not at.exception, at.exception
    assert not [s for s in at.selectbox if s.key == "pa_dyn_base"]  # no earlier year than 2022
    assert any(c.value.startswith("Dynamik: Kein Dynamikindex: kein früheres Jahr gespeichert")
               for c in at.sidebar.caption)
    assert any("In dieser Analyse gibt es keinen Dynamikindex" in m.value for m in at.markdown)
