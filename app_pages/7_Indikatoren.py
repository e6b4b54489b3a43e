"""Indikatoren: the city's indicator definitions – label, unit, direction, status and Dynamik index – edited later."""

from __future__ import annotations

import streamlit as st

from app_pages import _definitions as tables
from app_pages import _shared as ui
from geo import DataError
from geo.ingest import commit_definitions, edit_definitions

EDITABLE = (*tables.DEFINITION_FIELDS, "keep")

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
st.markdown(
    "Für die **Dynamik** (wie sich die Lage verändert, Seite **Methodik**) legen Sie die **Art** fest: Ein "
    "*Status-Indikator* beschreibt einen Zustand; mit **im Dynamikindex** geht seine Veränderung zwischen zwei "
    "Jahren in den Dynamikindex ein. Ein *Dynamik-Indikator* ist eine gelieferte Veränderung (z. B. in "
    "Prozentpunkten) und geht nur in den Dynamikindex ein. **Gewicht Dynamik** ist sein Gewicht dort."
)
if definitions.empty:
    st.info("Noch keine Indikatoren festgelegt. Laden Sie auf der Seite „Daten“ eine Indikatorentabelle hoch und "
            "markieren Sie dort die Spalten, die Indikatoren sind.", icon=":material/info:")
    st.stop()

version = dataset.stored_versions.get("definitions")
st.caption("Stand: " + (ui.md(dataset.versions.get("definitions", "")) if version is not None
                        else "mitgelieferte NRW-Indikatoren (noch nicht geändert)"))
frame = definitions[list(tables.DEFINITION_FIELDS)].copy()
frame.insert(0, "key", definitions.index.astype(str))
frame["keep"] = True
edited = st.data_editor(
    tables.definition_editor_frame(frame), key=f"ind_editor_{version}", hide_index=True, width="stretch",
    num_rows="fixed", disabled=[tables.DEFINITION_HEADERS["key"]],
    column_config=tables.definition_column_config(editable=EDITABLE),
)
fields = tables.definition_editor_fields(edited).set_index("key")
kept = fields[fields["keep"].astype(bool)].drop(columns="keep")
new, report = edit_definitions(definitions, kept)
for problem in report.errors:
    st.error(ui.md(problem), icon=":material/error:")
for problem in report.warnings:
    st.warning(ui.md(problem), icon=":material/warning:")
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
