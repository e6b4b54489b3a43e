"""Entwicklung: reach and gaps between two years or two data versions of the Bestand, with a change map."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from app_pages import _shared as ui
from geo import settings, store
from geo.analysis.dynamics import default_base_year
from geo.analysis.over_time import BoundariesChanged, between_versions, between_years
from geo.export_change import change_csv_bytes, change_file_stem, change_xlsx_bytes
from geo.render import change_tables
from geo.render import compare_tables as cmp
from geo.render.web.compare_map import compare_map
from geo.store.versions import DEMO_HAS_NO_VERSIONS, dataset_with_versions

MODES = {"years": "zwischen zwei Jahren", "versions": "zwischen zwei Datenständen"}

st.title("Entwicklung")
st.markdown(
    "Wie haben sich **Reichweite** und **Versorgungslücken** verändert – zwischen zwei Jahren oder zwischen zwei "
    "Datenständen (etwa vor und nach einer neuen Angebotsliste)? Diese Seite zeigt immer den **Bestand**, die "
    "gespeicherten echten Daten, nie ein Szenario. Haben sich die Sozialraumgrenzen geändert, wird nicht verglichen."
)
dataset, params = ui.current()  # the real data: this page is in _scenario.REAL_DATA_PAGES
workspace = ui.workspace()
ui.stamp(dataset)
type_names = {t: dataset.type_labels(t).short for t in dataset.offer_types.index}


@st.cache_resource(show_spinner="Datenstand wird geladen …", max_entries=8)
def _versioned(state: tuple, layer: str, version: int):
    """The workspace's data set with ``version`` of ``layer`` (``state``: the workspace and its active versions)."""
    return dataset_with_versions(store.open_workspace(state[0]), {layer: version})


def _years():
    years = dataset.years if len(dataset.indicators) else []
    if len(years) < 2:
        st.info("Für einen Vergleich zwischen zwei Jahren braucht es Indikatoren aus mindestens zwei Jahren; "
                f"gespeichert: {', '.join(map(str, years)) or 'keine'}. Weitere Jahre laden Sie auf der Seite "
                "**Daten** hoch.", icon=":material/info:")
        st.stop()
    c1, c2 = st.columns(2)
    b = c2.selectbox("B (Jahr)", years[::-1], **ui.remember("chg_year_b", years[-1], options=years))
    earlier = [y for y in years if y < b] or [y for y in years if y != b]
    a = c1.selectbox("A (Vergleichsjahr)", earlier[::-1],
                     **ui.remember("chg_year_a", default_base_year(years, b) or earlier[-1], options=earlier))
    return lambda: between_years(dataset, a, b, params, run=ui.analysis)


def _versions():
    if workspace.read_only:
        st.info(DEMO_HAS_NO_VERSIONS, icon=":material/info:")
        st.stop()
    history = workspace.history()
    counts = history["layer"].value_counts()
    layers = [layer for layer in store.LAYERS if counts.get(layer, 0) >= 2 and layer != "scenarios"]
    if not layers:
        st.info("Von keiner Ebene sind zwei Datenstände gespeichert. Jedes Hochladen auf der Seite **Daten** legt "
                "einen neuen Stand an; der Verlauf steht auf der Seite **Verlauf**.", icon=":material/info:")
        st.stop()
    c0, c1, c2 = st.columns([2, 3, 3])
    layer = c0.selectbox("Ebene", layers, format_func=store.LAYER_LABELS.get,
                         **ui.remember("chg_layer", "offers" if "offers" in layers else layers[0], options=layers))
    part = history[history["layer"] == layer]
    versions = part["version"].tolist()  # newest first
    labels = dict(zip(versions, part["label"], strict=True))
    active = part.loc[part["active"], "version"].tolist()
    b = c2.selectbox("B (Datenstand)", versions, format_func=labels.get,
                     **ui.remember(f"chg_b_{layer}", active[0] if active else versions[0], options=versions))
    others = [v for v in versions if v != b]
    a = c1.selectbox("A (früherer Datenstand)", others, format_func=labels.get,
                     **ui.remember(f"chg_a_{layer}", next((v for v in others if v < b), others[0]), options=others))
    label = store.LAYER_LABELS[layer]
    st.caption("Alle anderen Ebenen sind die Stände in Gebrauch: " + ui.md("; ".join(
        v for k, v in dataset.versions.items() if k not in (layer, "scenarios")) or "keine") + ".")

    def run():
        state = ui._workspace_state()
        sides = _versioned(state, layer, int(a)), _versioned(state, layer, int(b))
        for side in sides:
            if side.missing_layers:
                ui.missing_data_notice(side)
                st.stop()
        return between_versions(*sides, params, labels=(f"{label} v{a}", f"{label} v{b}"), run=ui.analysis)
    return run


mode = st.radio("Vergleich", list(MODES), format_func=MODES.get, horizontal=True,
                **ui.remember("chg_mode", "years", options=list(MODES)))
if dataset.missing_layers:
    ui.missing_data_notice(dataset)
    st.stop()
compute = _years() if mode == "years" else _versions()
with ui.shows_data_errors():
    try:
        ot = compute()
    except BoundariesChanged as err:
        st.error(f"**Sozialraumgrenzen geändert.** {ui.md(err)}", icon=":material/error:")
        st.stop()

st.subheader(f"Entwicklung {ot.period}")
for note in ot.notes:
    st.caption(ui.md(note))
ui.population_note(ot.result_b)
types = list(ot.comparison.key_figures[settings.OFFER_TYPE])
if not types:
    st.info("Es gibt keine Angebotsart mit Standorten, deren Reichweite sich vergleichen ließe.",
            icon=":material/info:")
    st.stop()
with st.container(key="chg_headlines"):
    for name, text in change_tables.headlines(ot, type_names):
        st.markdown(f"**{ui.md(name)}:** {ui.md(text)}")

st.markdown("##### Kennzahlen je Angebotsart")
ui.table(change_tables.key_figures(ot, type_names), hide_index=True, width="stretch", key="chg_key_figures")
st.caption("In Reichweite: Personen der Zielgruppe der Angebotsart, Summe über die Sozialräume, deren Werte in beiden "
           "Ständen ausgewiesen sind („nicht ausgewiesen“: aus Datenschutzgründen ausgelassene Sozialräume). "
           "Versorgungslücken: Sozialräume mit hohem Bedarf unter "
           f"{ui.pct(ot.result_b.max_share_in_reach)} in Reichweite.")

changes = cmp.offer_changes(ot.dataset_a.offers, ot.dataset_b.offers)
if len(changes):
    st.markdown("##### Geänderte Angebote")
    ui.table(cmp.offer_change_table(changes, type_names), hide_index=True, width="stretch", key="chg_offers")

st.markdown("##### Sozialräume: neu versorgt und neue Lücken")
districts = change_tables.district_table(ot, type_names)
if districts.empty:
    st.caption("In keinem Sozialraum ändert sich die Reichweite.")
else:
    ui.table(districts, hide_index=True, width="stretch", key="chg_districts")
    st.caption("„•“: aus Datenschutzgründen nicht ausgewiesen; „< 3“ = 1 oder 2 Personen. Die Dateien enthalten alle "
               "Sozialräume.")
d1, d2, _ = st.columns([2, 2, 4])
stem = change_file_stem(ot)
d1.download_button("Tabelle als CSV (Excel)", lambda: change_csv_bytes(ot, type_names), file_name=f"{stem}.csv",
                   mime="text/csv", on_click="ignore", icon=":material/download:", key="chg_csv")
d2.download_button("Tabelle als XLSX", lambda: change_xlsx_bytes(ot, type_names), file_name=f"{stem}.xlsx",
                   on_click="ignore", icon=":material/download:", key="chg_xlsx",
                   mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

st.markdown("##### Karten: Veränderung und A | B")
changed = [t for t in changes[settings.OFFER_TYPE] if t in types]  # first the type whose offers changed
offer_type = st.selectbox("Angebotsart der Karten", types, format_func=lambda t: type_names.get(t, t),
                          **ui.remember("chg_type", changed[0] if changed else types[0], options=types))
names = (ot.label_a, ot.label_b)
note = f"A: {ot.label_a} · B: {ot.label_b} · Entwicklung im Bestand"
with ui.shows_data_errors():
    m = compare_map(ot.result_a, ot.result_b, ot.dataset_a, ot.dataset_b, offer_type, changes, side="difference",
                    names=names, note=note)
st_folium(m, key="chg_map_diff", height=560, use_container_width=True, returned_objects=[])
st.caption("Veränderung des Anteils der Zielgruppe in Reichweite von A nach B (braun = weniger, grün-blau = mehr in "
           "Reichweite); schraffiert: Versorgungslücken in B. Symbole: neue (+), geschlossene (×) und verlegte (◆) "
           "Angebote.")
left, right = st.columns(2)
for column, side, key in ((left, "a", "chg_map_a"), (right, "b", "chg_map_b")):
    with column, ui.shows_data_errors():
        m = compare_map(ot.result_a, ot.result_b, ot.dataset_a, ot.dataset_b, offer_type, changes, side=side,
                        names=names, labels=False, note=note)
        st_folium(m, key=key, height=460, use_container_width=True, returned_objects=[])
