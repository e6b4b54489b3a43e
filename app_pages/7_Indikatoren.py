"""Indikatoren: the city's indicator definitions – label, unit, direction, status index and weight – edited later."""

from __future__ import annotations

import streamlit as st

from app_pages import _shared as ui
from geo import DataError
from geo.ingest import commit_definitions, edit_definitions

EDITABLE = ("label", "unit", "direction", "in_index", "weight", "description", "keep")

st.title("Indikatoren")
dataset, params = ui.current()
ui.stamp(dataset)
definitions = dataset.indicator_definitions
st.markdown(
    "Hier legen Sie fest, wie jeder Indikator heißt, welche Einheit er hat, ob ein höherer Wert **mehr** oder "
    "**weniger** Bedarf bedeutet und ob und mit welchem Gewicht er in den **Statusindex** eingeht. Die "
    "Bezeichnungen erscheinen in allen Karten, Tabellen und Exporten. Jede Änderung wird eine neue Version "
    "(Seite **Verlauf**). Neue Indikatoren kommen mit einer Indikatorentabelle über die Seite **Daten**."
)
if definitions.empty:
    st.info("Noch keine Indikatoren festgelegt. Laden Sie auf der Seite „Daten“ eine Indikatorentabelle hoch und "
            "markieren Sie dort die Spalten, die Indikatoren sind.", icon=":material/info:")
    st.stop()

version = dataset.stored_versions.get("definitions")
st.caption("Stand: " + (ui.md(dataset.versions.get("definitions", "")) if version is not None
                        else "mitgelieferte NRW-Indikatoren (noch nicht geändert)"))
frame = definitions[["label", "unit", "direction", "in_index", "weight", "description"]].copy()
frame.insert(0, "key", definitions.index.astype(str))
frame["keep"] = True
edited = st.data_editor(
    ui.definition_editor_frame(frame), key=f"ind_editor_{version}", hide_index=True, width="stretch",
    num_rows="fixed", disabled=[ui.DEFINITION_HEADERS["key"]],
    column_config=ui.definition_column_config(editable=EDITABLE),
)
fields = ui.definition_editor_fields(edited).set_index("key")
kept = fields[fields["keep"].astype(bool)].drop(columns="keep")
new, report = edit_definitions(definitions, kept)
for problem in report.errors:
    st.error(ui.md(problem), icon=":material/error:")
changed = report.ok and not new.equals(definitions)
comment = st.text_input("Kommentar zur Version (optional)", key="ind_comment", max_chars=200)


def _remember_seen(base_versions: dict) -> None:
    """Runs on the click, before the rerun: keeps the version the planner edited."""
    st.session_state["ind_seen"] = base_versions


if st.button("Indikatoren speichern", type="primary", icon=":material/save:", key="ind_save", disabled=not changed,
             on_click=_remember_seen, args=({"definitions": version},)):
    try:
        info = commit_definitions(ui.workspace(), new, comment=comment,
                                  base_versions=st.session_state.pop("ind_seen", {"definitions": version}))
    except DataError as err:
        st.error(ui.md(err), icon=":material/error:")
    else:
        ui.clear_caches()
        st.success(f"Gespeichert: {ui.md(info.label)}. Alle Seiten verwenden jetzt diese Festlegungen.",
                   icon=":material/check_circle:")
