"""Daten and Indikatoren pages with a city's own indicators (AppTest), hostile headers included."""

from __future__ import annotations

import pytest

from geo import catalog, export, settings
from geo.analysis import analyse
from geo.demo import load_demo
from geo.store import Workspace
from tests.apptest import open_page

HOSTILE = "<script>alert(1)</script> {{ 7*191 }} $x$ **fett** (%)"
FORMULA = '=HYPERLINK("http://x") Quote'
MIGRATION = "Anteil Migrationshintergrund (%)"
EVALUATED = ("1337", "<script>alert")


@pytest.fixture
def workspace(practice) -> Workspace:
    """A practice copy of the demo (its districts), the app's default workspace."""
    return practice


def city_table() -> bytes:
    ids = load_demo().districts[settings.DISTRICT_ID].tolist()
    lines = [f"Sozialraum-Nr;Jahr;Einwohner;Kinder;{MIGRATION};{HOSTILE};{FORMULA}"]
    lines += [f"{d};2024;{1000 + 10 * i};{100 + i};{10 + i % 30},5;{5 + i % 7};{i % 9}" for i, d in enumerate(ids)]
    return ("\n".join(lines) + "\n").encode("cp1252")


def markdown_texts(at) -> list[str]:
    return [str(e.value) for kind in ("markdown", "caption", "warning", "info", "error", "success")
            for e in at.get(kind)]


def assert_escaped(at) -> None:
    """No user text became markup or was evaluated: ``<`` and ``$`` reach Streamlit Markdown escaped."""
    for text in markdown_texts(at):
        for residue in EVALUATED:
            assert residue not in text, text
        assert "$x$" not in text, text


def test_city_table_with_hostile_headers_is_proposed_stored_and_shown(workspace):
    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("indicators").run()
    at.file_uploader(key="up_file_indicators").upload("stadt.csv", city_table()).run()
    assert not at.exception, at.exception
    assert not at.error
    assert_escaped(at)
    # The proposal table: one row per indicator column, the headers as data.
    editors = [e for e in at.dataframe if str(e.key).startswith("up_ind_editor_")]
    assert len(editors) == 1
    proposal = editors[0].value
    assert proposal["Spalte"].tolist() == [MIGRATION, HOSTILE, FORMULA]
    assert proposal["Bezeichnung"].tolist() == ["Anteil Migrationshintergrund",
                                                "<script>alert(1)</script> {{ 7*191 }} $x$ **fett**", FORMULA]
    assert proposal["Einheit"].tolist() == ["Prozent (%)", "Prozent (%)", "Prozent (%)"]
    assert proposal["im Index"].tolist() == [False, False, False]

    # The planner renames the first column's indicator, takes it into the index and leaves the formula column out:
    # the check runs again with these choices.
    at.session_state[editors[0].key] = {
        "edited_rows": {0: {"Bezeichnung": "Migration", "im Index": True, "Gewicht": "2,5"}, 2: {"Indikator": False}},
        "added_rows": [], "deleted_rows": [],
    }
    at.run()
    assert not at.exception, at.exception
    assert any("Indikatoren: Migration, \\<script" in c.value for c in at.caption)

    at.button(key="up_save").click().run()
    assert not at.exception, at.exception
    assert at.success, markdown_texts(at)
    assert_escaped(at)
    definitions = catalog.definitions_from_table(workspace.load("definitions"))
    assert definitions["label"].tolist()[3:] == ["Migration", "<script>alert(1)</script> {{ 7*191 }} $x$ **fett**"]
    assert definitions.loc["anteil_migrationshintergrund", ["in_index", "weight"]].tolist() == [True, 2.5]
    assert "hyperlink_http_x_quote" not in workspace.load("indicators").columns
    assert list(definitions.index[:3]) == ["sgb2_children_quota", "unemployment_rate", "single_parent_share"]

    for page in ("app_pages/2_Analyse.py", "app_pages/7_Indikatoren.py", "app_pages/1_Karte.py"):
        at.switch_page(page).run(timeout=120)
        assert not at.exception, (page, at.exception)
        assert_escaped(at)
    at.switch_page("app_pages/7_Indikatoren.py").run(timeout=120)
    table = next(e.value for e in at.dataframe if str(e.key).startswith("ind_editor_"))
    assert table["Bezeichnung"].tolist()[3:] == definitions["label"].tolist()[3:]
    assert table["Kennung"].tolist()[3:] == list(definitions.index[3:])


def test_exports_keep_hostile_labels_as_data(workspace):
    demo = load_demo()
    defs = demo.indicator_definitions.copy()
    defs.loc["sgb2_children_quota", "label"] = FORMULA
    defs.loc["unemployment_rate", "label"] = HOSTILE
    data = demo.with_layers(indicator_definitions=defs)
    result = analyse(data)
    csv = export.csv_bytes(data, result).decode("utf-8-sig")
    header = csv.splitlines()[0].split(";")
    assert "'" + FORMULA + " (%)" in [h.strip('"').replace('""', '"') for h in header]
    assert any(HOSTILE in h for h in header)
    assert "1337" not in csv


def test_indikatoren_page_shows_the_definitions_in_use(workspace):
    at = open_page("app_pages/7_Indikatoren.py", timeout=120)
    assert not at.exception
    table = next(e.value for e in at.dataframe if str(e.key).startswith("ind_editor_"))
    assert "SGB-II-Quote Kinder unter 15 Jahren" in table["Bezeichnung"].tolist()
    assert at.button(key="ind_save").disabled  # nothing changed yet


def test_indikatoren_page_saves_into_the_sessions_workspace(workspace):
    at = open_page("app_pages/7_Indikatoren.py", timeout=120)
    key = next(e.key for e in at.dataframe if str(e.key).startswith("ind_editor_"))
    at.session_state[key] = {"edited_rows": {0: {"Bezeichnung": "SGB-II-Quote (Kinder)"}}, "added_rows": [],
                             "deleted_rows": []}
    at.run(timeout=120)
    at.button(key="ind_save").click().run(timeout=120)
    assert not at.exception, at.exception
    assert at.success
    assert catalog.definitions_from_table(workspace.load("definitions")).at["sgb2_children_quota", "label"] == (
        "SGB-II-Quote (Kinder)")
