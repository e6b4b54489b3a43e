"""Verlauf: every stored version of every layer of the workspace; restore any of them, or stop using a layer."""

from __future__ import annotations

import streamlit as st

from app_pages import _shared as ui
from geo import DataError, store

st.title("Verlauf der Datenstände")
dataset, _ = ui.current()
with ui.shows_data_errors():
    workspace = ui.workspace()
    history = workspace.history()
ui.stamp(dataset)
# No server path here: the page may be served to colleagues; the administrator knows PRAEVENTIONSATLAS_DATA.
st.caption("Gespeicherte Stände liegen im Arbeitsbereich auf dem Server und werden nie gelöscht.")

# Names and file names are the planner's text: escaped for Markdown, one list item each (no hard line breaks).
st.markdown(f"**Arbeitsbereich:** {ui.md(workspace.name)}")
in_use = [f"- {ui.md(v)}" for v in dataset.versions.values()]
st.markdown("**Die Analyse verwendet jetzt:**\n\n" + ("\n".join(in_use) or "noch keine Daten"))

if history.empty:
    st.info("Die Demo Musterstadt hat keine gespeicherten Stände; sie ist schreibgeschützt." if workspace.read_only
            else "In diesem Arbeitsbereich ist noch nichts gespeichert. Hochladen auf der Seite **Daten**.",
            icon=":material/info:")
    st.stop()


def _remember_shown(layer: str, base_versions: dict) -> None:
    """Runs on the click, before the rerun reads the history again: keeps the state the planner chose from."""
    st.session_state[f"hist_seen_{layer}"] = base_versions


shown = ["version", "created_local", "filename", "rows", "comment", "active", "sha256"]
for layer in store.LAYERS:
    part = history[history["layer"] == layer]
    if part.empty:
        continue
    label = store.LAYER_LABELS[layer]
    st.subheader(label)
    table = part[shown].rename(columns=store.COLUMN_LABELS)
    table["aktiv"] = table["aktiv"].map({True: "✔", False: ""})
    ui.table(table, plain=("Version",), hide_index=True, width="stretch", key=f"hist_{layer}")
    versions = part["version"].tolist()
    active = part.loc[part["active"], "version"].tolist()
    left, mid, right = st.columns([2, 2, 3])
    chosen = left.selectbox("Version", versions, key=f"hist_pick_{layer}", label_visibility="collapsed",
                            format_func=lambda v: f"Version {v}")
    # The active version this table shows; the store refuses a restore or reset once another session changed it.
    shown_base = {layer: int(active[0]) if active else None}
    if mid.button("Wiederherstellen", key=f"hist_restore_{layer}", icon=":material/restore:",
                  disabled=chosen in active, on_click=_remember_shown, args=(layer, shown_base)):
        try:
            info = workspace.restore(layer, int(chosen), base_versions=st.session_state.pop(f"hist_seen_{layer}"))
        except DataError as err:
            st.error(ui.md(err), icon=":material/error:")
        else:
            ui.clear_caches()
            st.success(f"{ui.md(info.label)} ist wieder in Gebrauch.", icon=":material/check_circle:")
            st.rerun()
    if active and right.button(f"{label} nicht mehr verwenden …", key=f"hist_reset_{layer}",
                               icon=":material/remove_circle:"):
        st.session_state["hist_confirm_reset"] = (layer, shown_base)
    pending = st.session_state.get("hist_confirm_reset")
    if active and pending and pending[0] == layer:
        st.warning(
            f"**{ui.md(label)} aus der Analyse nehmen?** Version {active[0]} bleibt im Verlauf erhalten und lässt "
            f"sich jederzeit wiederherstellen, aber bis dahin fehlt die Ebene „{ui.md(label)}“ auf allen Seiten "
            "und in allen Exporten (sie wird nicht durch Beispieldaten ersetzt).",
            icon=":material/warning:",
        )
        yes, no = st.columns([2, 5])
        if yes.button(f"Ja, {label} nicht mehr verwenden", key=f"hist_reset_yes_{layer}", type="primary"):
            st.session_state.pop("hist_confirm_reset", None)
            try:
                workspace.reset(layer, base_versions=pending[1])
            except DataError as err:
                st.error(ui.md(err), icon=":material/error:")
            else:
                ui.clear_caches()
                st.rerun()
        if no.button("Abbrechen", key=f"hist_reset_no_{layer}"):
            st.session_state.pop("hist_confirm_reset", None)
            st.rerun()

with st.expander("Protokoll aller Aktionen"):
    log = store.shown_log(workspace.log())
    ui.table(log, plain=("Version",), hide_index=True, width="stretch", key="hist_log")
