"""Szenarien: the stored what-if scenarios, editing one (add, move, close, capacity, assumptions), comparing A → B."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages import _scenario
from app_pages import _shared as ui
from geo import DataError, settings
from geo.analysis.chain import chain_matrix
from geo.analysis.compare import compare, headline
from geo.analysis.scenarios import ACTIONS, STATUS_QUO, describe_edit, edits_of, empty_edits, names, scenario_text
from geo.ingest.scenario_edits import check_edit
from geo.render import compare_tables as cmp
from geo.render.web.compare_map import compare_map
from geo.render.web.leaflet import need_map
from geo.store.scenarios import check_name, copy_scenario, delete_scenario, rename_scenario, save_scenario

NEW = "__neu__"
VIEWS = {"compare": "Vergleichen", "edit": "Anlegen und bearbeiten"}
XY_MODES = {"click": "Klick in die Karte", "lonlat": "Länge / Breite (WGS84)",
            "utm": "Rechtswert / Hochwert (ETRS89/UTM 32N)"}
XY_CRS = {"click": "EPSG:4326", "lonlat": "EPSG:4326", "utm": settings.METRIC_CRS}

st.title("Szenarien")
st.markdown(
    "Ein **Szenario** ist eine gespeicherte Planungsvariante der Angebote: neue, verlegte oder geschlossene "
    "Angebote, geänderte Kapazitäten und die Annahmen dazu. Die echten Daten (**Bestand**) bleiben unverändert. "
    "Hier legen Sie Szenarien an, bearbeiten sie und vergleichen zwei Stände miteinander (A → B)."
)
dataset, params = ui.current()  # the real data: this page is in _scenario.REAL_DATA_PAGES
workspace = ui.workspace()
ui.stamp(dataset)
all_edits = dataset.scenarios if dataset.scenarios is not None else empty_edits()
stored_names = names(all_edits)
type_names = {t: dataset.type_labels(t).short for t in dataset.offer_types.index}
#: The stored versions this run shows; every write is refused once another session changed them.
seen = {"scenarios": dataset.stored_versions.get("scenarios"), "offers": dataset.stored_versions.get("offers")}
sidebar_choice = _scenario.chosen(dataset)
if sidebar_choice:
    st.caption(f"In der Seitenleiste ist „{ui.md(sidebar_choice)}“ gewählt; diese Seite zeigt den Bestand und die "
               "Szenarien, die Sie unten wählen.")

for message in st.session_state.pop("scen_done", []):
    st.success(ui.md(message), icon=":material/check_circle:")


def _remember_seen(base_versions: dict) -> None:
    """Runs on a click, before the rerun reloads the data: keeps the versions the planner saw."""
    st.session_state["scen_seen"] = base_versions


def _done(message: str, *, edit: str | None = None) -> None:
    """After a write: forget cached data, say what was stored on the next run, show ``edit`` in the editor."""
    ui.clear_caches()
    st.session_state["scen_done"] = [message]
    if edit is not None:
        st.session_state[ui._KEEP + "scen_edit"] = edit
        if edit != NEW:  # the comparison shows the scenario just written (Bestand → it)
            st.session_state[ui._KEEP + "scen_b"] = edit
    st.session_state.pop("scen_pending", None)
    st.rerun()


def _write(action, *args, message: str, edit: str | None = None, **kwargs) -> None:
    """Run one write with the versions seen at the click; a German message when it is refused."""
    try:
        action(workspace, *args, base_versions=st.session_state.pop("scen_seen", seen), **kwargs)
    except DataError as err:
        st.error(ui.md(err), icon=":material/error:")
    else:
        _done(message, edit=edit)


# ---------------------------------------------------------------------------------------------------- list


def _overview() -> None:
    st.subheader("Gespeicherte Szenarien")
    if not stored_names:
        st.info("In diesem Arbeitsbereich ist noch kein Szenario gespeichert. Legen Sie unter „Anlegen und "
                "bearbeiten“ eines an – oder übernehmen Sie einen Standortvorschlag als Szenario.",
                icon=":material/info:")
        return
    rows = []
    for name in stored_names:
        edits = edits_of(all_edits, name)
        counts = edits["action"].value_counts()
        notes = [str(n) for n in edits.loc[edits["action"] == "note", "note"] if str(n).strip()]
        rows.append({"Szenario": name, "Schritte": len(edits), "hinzugefügt": int(counts.get("add", 0)),
                     "verlegt": int(counts.get("move", 0)), "geschlossen": int(counts.get("close", 0)),
                     "Kapazität geändert": int(counts.get("capacity", 0)), "Annahmen": " · ".join(notes)})
    ui.table(pd.DataFrame(rows), hide_index=True, width="stretch", key="scen_list",
             column_config={"Annahmen": st.column_config.TextColumn(width="large")})
    with st.expander("Alle Änderungen der Szenarien"):
        for name in stored_names:
            st.markdown(f"**{ui.md(name)}**")
            for _, edit in edits_of(all_edits, name).iterrows():
                st.markdown(f"- {ui.md(describe_edit(edit))}")


# ------------------------------------------------------------------------------------------------ editing


def _coordinates(offer_type: str | None) -> tuple[object, object, str]:
    """The coordinates block: a click on the map, longitude/latitude or Rechtswert/Hochwert; returns x, y, crs."""
    mode = st.radio("Lage angeben als", list(XY_MODES), format_func=XY_MODES.get, horizontal=True,
                    **ui.remember("scen_xy_mode", "lonlat", options=list(XY_MODES)))
    if mode == "click":
        with ui.shows_data_errors():
            result = ui.analysis(dataset, params)
            m = need_map(result, dataset, labels=False, offer_types=[offer_type] if offer_type else [])
        returned = st_folium(m, key="scen_pick_map", height=420, use_container_width=True,
                             returned_objects=["last_clicked"])
        clicked = (returned or {}).get("last_clicked")
        if clicked:
            st.session_state["scen_click"] = (float(clicked["lng"]), float(clicked["lat"]))
        point = st.session_state.get("scen_click")
        st.caption("Klicken Sie in die Karte, wo das Angebot liegen soll." if point is None else
                   f"Gewählt: Länge {point[0]:.5f} / Breite {point[1]:.5f}".replace(".", ","))
        return (point or (None, None))[0], (point or (None, None))[1], XY_CRS[mode]
    left, right = st.columns(2)
    if mode == "lonlat":
        x = left.text_input("Längengrad", placeholder="z. B. 7,2160", key="scen_lon", max_chars=30)
        y = right.text_input("Breitengrad", placeholder="z. B. 51,4818", key="scen_lat", max_chars=30)
    else:
        x = left.text_input("Rechtswert", placeholder="z. B. 373500", key="scen_rw", max_chars=30)
        y = right.text_input("Hochwert", placeholder="z. B. 5705000", key="scen_hw", max_chars=30)
    return x, y, XY_CRS[mode]


def _offer_choice(edits: pd.DataFrame) -> str | None:
    """Choose one offer of the Bestand that this scenario has not closed."""
    closed = set(edits.loc[edits["action"] == "close", settings.OFFER_ID].astype(str))
    offers = dataset.offers[~dataset.offers[settings.OFFER_ID].astype(str).isin(closed)]
    labels = {str(r[settings.OFFER_ID]): f"{r[settings.OFFER_NAME]} "
              f"({type_names.get(str(r[settings.OFFER_TYPE]), '')}, {r[settings.OFFER_ID]})"
              for _, r in offers.iterrows()}
    if not labels:
        st.info("Der Bestand hat kein Angebot, das sich hier ändern ließe.")
        return None
    return st.selectbox("Angebot", list(labels), format_func=labels.get, key="scen_offer")


def _fields(action: str, edits: pd.DataFrame) -> dict:
    """The inputs of one kind of edit; returns the keyword arguments of ``check_edit``."""
    fields: dict = {}
    if action == "add":
        types = list(dataset.offer_types.index)
        c1, c2 = st.columns(2)
        fields["offer_type"] = c1.selectbox("Angebotsart", types, format_func=lambda t: dataset.type_labels(t).label,
                                            key="scen_add_type")
        fields["name"] = c2.text_input("Name des Angebots", key="scen_add_name", max_chars=200)
        c3, c4 = st.columns(2)
        fields["address"] = c3.text_input("Adresse (optional)", key="scen_add_address", max_chars=200)
        fields["capacity"] = c4.text_input("Kapazität (optional)", key="scen_add_capacity", max_chars=20)
        fields["x"], fields["y"], fields["crs"] = _coordinates(fields["offer_type"])
    elif action in ("move", "close", "capacity"):
        fields["offer_id"] = _offer_choice(edits)
        if action == "move":
            chosen = dataset.offers[dataset.offers[settings.OFFER_ID].astype(str) == str(fields["offer_id"])]
            fields["x"], fields["y"], fields["crs"] = _coordinates(
                str(chosen[settings.OFFER_TYPE].iloc[0]) if len(chosen) else None)
        if action == "capacity":
            fields["capacity"] = st.text_input("Neue Kapazität", key="scen_capacity", max_chars=20)
    note_label = "Annahme / Beschreibung" if action == "note" else "Begründung (optional)"
    fields["note"] = st.text_area(note_label, key="scen_note", max_chars=2000, height=80)
    return fields


def _lines(problems) -> list[str]:
    """German lines of ``check_edit``'s findings, each led by the field it concerns ("Kapazität: …")."""
    return [f"{p.column}: {p.message}" if p.column else p.message for p in problems]


def _edit_form(name: str, edits: pd.DataFrame) -> None:
    action = st.radio("Änderung", list(ACTIONS), format_func=ACTIONS.get, horizontal=True,
                      **ui.remember("scen_action", "add", options=list(ACTIONS)))
    fields = _fields(action, edits)
    if st.button("Änderung prüfen", key="scen_check", icon=":material/fact_check:"):
        check = check_edit(dataset, action, edits=edits, **fields)
        errors, warnings = _lines(check.report.errors), _lines(check.report.warnings)
        if errors:
            st.error("**Die Änderung lässt sich so nicht übernehmen:**\n\n" + "\n".join(
                f"- {ui.md(e)}" for e in errors), icon=":material/error:")
        else:
            st.session_state["scen_pending"] = {
                "name": name, "edits": check.edits, "base": dict(seen), "warnings": warnings,
                "text": describe_edit(check.edits.iloc[-1])}
    pending = st.session_state.get("scen_pending")
    if pending and pending["name"] == name:
        with st.container(border=True):
            st.markdown(f"**Vorschau für „{ui.md(name)}“:** {ui.md(pending['text'])}")
            for warning in pending["warnings"]:
                st.warning(ui.md(warning), icon=":material/warning:")
            yes, no = st.columns([2, 3])
            if yes.button("Im Szenario speichern", key="scen_save", type="primary", icon=":material/save:"):
                try:
                    save_scenario(workspace, name, pending["edits"], base_versions=pending["base"])
                except DataError as err:
                    st.session_state.pop("scen_pending", None)
                    st.error(f"{ui.md(err)} Die Vorschau ist veraltet und wurde verworfen: Bitte prüfen Sie die "
                             "Änderung erneut.", icon=":material/error:")
                else:
                    _done(f"Gespeichert im Szenario „{name}“: {pending['text']}", edit=name)
            if no.button("Verwerfen", key="scen_discard"):
                st.session_state.pop("scen_pending", None)
                st.rerun()


def _steps(name: str, edits: pd.DataFrame) -> None:
    st.markdown(f"**Schritte von „{ui.md(name)}“** – {len(edits)} Änderungen in dieser Reihenfolge angewendet:")
    for _, edit in edits.iterrows():
        st.markdown(f"- {ui.md(describe_edit(edit))}")
    if len(edits) > 1:
        left, right = st.columns([3, 2])
        step = left.selectbox("Schritt", list(range(1, len(edits) + 1)), format_func=lambda s: f"Schritt {s}",
                              key="scen_step", label_visibility="collapsed")
        if right.button("Schritt entfernen", key="scen_remove_step", icon=":material/remove:",
                        on_click=_remember_seen, args=(dict(seen),)):
            _write(save_scenario, name, edits.drop(index=step - 1).reset_index(drop=True),
                   message=f"Schritt {step} aus „{name}“ entfernt.", edit=name)


def _manage(name: str) -> None:
    with st.expander("Umbenennen, kopieren oder löschen"):
        new_name = st.text_input("Neuer Name", key="scen_new_name_for", max_chars=80)
        c1, c2, c3 = st.columns(3)
        if c1.button("Umbenennen", key="scen_rename", on_click=_remember_seen, args=(dict(seen),)):
            _write(rename_scenario, name, new_name, message=f"„{name}“ heißt jetzt „{new_name.strip()}“.",
                   edit=new_name.strip())
        if c2.button("Kopieren", key="scen_copy", on_click=_remember_seen, args=(dict(seen),)):
            _write(copy_scenario, name, new_name, message=f"„{name}“ kopiert als „{new_name.strip()}“.",
                   edit=new_name.strip())
        if c3.button("Löschen …", key="scen_delete", icon=":material/delete:"):
            st.session_state["scen_confirm_delete"] = (name, dict(seen))
        pending = st.session_state.get("scen_confirm_delete")
        if pending and pending[0] == name:
            st.warning(f"**Szenario „{ui.md(name)}“ löschen?** Seine Änderungen verschwinden aus allen Ansichten; "
                       "der Bestand bleibt unverändert. Die Seite „Verlauf“ kann den alten Stand der Szenarien "
                       "wiederherstellen.", icon=":material/warning:")
            yes, no = st.columns([2, 3])
            if yes.button("Ja, Szenario löschen", key="scen_delete_yes", type="primary"):
                st.session_state.pop("scen_confirm_delete", None)
                st.session_state["scen_seen"] = pending[1]
                _write(delete_scenario, name, message=f"Szenario „{name}“ gelöscht.", edit=NEW)
            if no.button("Abbrechen", key="scen_delete_no"):
                st.session_state.pop("scen_confirm_delete", None)
                st.rerun()


def _create() -> None:
    with st.form("scen_new", border=True):
        name = st.text_input("Name des Szenarios", key="scen_new_name", max_chars=80,
                             placeholder="z. B. Zwei neue FGZ im Norden")
        note = st.text_area("Annahmen (optional)", key="scen_new_note", max_chars=2000, height=80,
                            placeholder="z. B. Finanzierung ab 2027, Räume in der Grundschule")
        if st.form_submit_button("Szenario anlegen", icon=":material/add:", key="scen_create",
                                 on_click=_remember_seen, args=(dict(seen),)):
            try:
                text = check_name(name, stored_names)
            except DataError as err:
                st.error(ui.md(err), icon=":material/error:")
                return
            check = check_edit(dataset, "note", note=note.strip() or "Annahmen noch nicht beschrieben.")
            _write(save_scenario, text, check.edits, message=f"Szenario „{text}“ angelegt.", edit=text)


def _editor() -> None:
    st.subheader("Szenario anlegen oder bearbeiten")
    if workspace.read_only:
        st.info("Die Demo Musterstadt ist schreibgeschützt: Szenarien lassen sich in einem eigenen Arbeitsbereich "
                "oder einer Übungskopie der Demo speichern (Seite **Daten** → „Neuer Arbeitsbereich“).",
                icon=":material/lock:")
        return
    options = [NEW, *stored_names]
    name = st.selectbox("Szenario", options, format_func=lambda n: "Neues Szenario anlegen …" if n == NEW else n,
                        **ui.remember("scen_edit", NEW, options=options))
    if name == NEW:
        _create()
        return
    st.caption(f"{ui.md(scenario_text(name))}. Änderungen betreffen nur dieses "
               "Szenario, nie die gespeicherten Angebote.")
    edits = edits_of(all_edits, name)
    _steps(name, edits)
    st.markdown("##### Änderung hinzufügen")
    _edit_form(name, edits)
    _manage(name)


# ------------------------------------------------------------------------------------------------- compare


def _side_text(name: str) -> str:
    return STATUS_QUO + " (echte Daten)" if not name else scenario_text(name)


def _comparison() -> None:
    st.subheader("Vergleich A → B")
    options = _scenario.choices(dataset)
    c1, c2 = st.columns(2)
    a = c1.selectbox("A (Ausgangsstand)", options, format_func=_scenario.label,
                     **ui.remember("scen_a", _scenario.BESTAND, options=options))
    default_b = sidebar_choice or (stored_names[0] if stored_names else _scenario.BESTAND)
    b = c2.selectbox("B (Vergleichsstand)", options, format_func=_scenario.label,
                     **ui.remember("scen_b", default_b, options=options))
    st.markdown(f"**A:** {ui.md(_side_text(a))}  \n**B:** {ui.md(_side_text(b))}")
    with ui.shows_data_errors():
        ds_a, notes_a = _scenario.variant(dataset, a)
        ds_b, notes_b = _scenario.variant(dataset, b)
        result_a, result_b = ui.analysis(ds_a, params), ui.analysis(ds_b, params)
        comparison = compare(result_a, result_b)
    for note in dict.fromkeys([*notes_a, *notes_b]):
        st.caption(f"Hinweis zum Szenario: {ui.md(note)}")
    if a == b:
        st.info("A und B sind derselbe Stand: Wählen Sie für B ein anderes Szenario.", icon=":material/info:")
    ui.population_note(result_b)
    types = list(comparison.key_figures[settings.OFFER_TYPE])
    for t in types:
        words = cmp.target_words(result_a, result_b, t)
        st.markdown(f"**{ui.md(type_names.get(t, t))}:** {ui.md(headline(comparison, t, words))}")
    st.markdown("##### Kennzahlen je Angebotsart")
    ui.table(cmp.key_figure_table(comparison, result_a, result_b, type_names), hide_index=True, width="stretch",
             key="scen_key_figures")
    st.caption("In Reichweite: Personen der Zielgruppe der Angebotsart, Summe über die Sozialräume, deren Werte in A "
               "und B ausgewiesen sind („nicht ausgewiesen“: aus Datenschutzgründen ausgelassene Sozialräume). "
               "Versorgungslücken: Sozialräume mit hohem Bedarf unter "
               f"{ui.pct(result_b.max_share_in_reach)} in Reichweite.")
    changes = cmp.offer_changes(ds_a.offers, ds_b.offers)
    st.markdown("##### Geänderte Angebote")
    if changes.empty:
        st.caption("A und B haben dieselben Angebote.")
    else:
        ui.table(cmp.offer_change_table(changes, type_names), hide_index=True, width="stretch",
                 key="scen_offer_changes")
    st.markdown("##### Sozialräume: geschlossene und neue Versorgungslücken")
    districts = cmp.district_changes(comparison, result_a, result_b, type_names)
    if districts.empty:
        st.caption("In keinem Sozialraum ändert sich die Reichweite.")
    else:
        ui.table(districts, hide_index=True, width="stretch", key="scen_districts")
        st.caption("„•“: aus Datenschutzgründen nicht ausgewiesen; „< 3“ = 1 oder 2 Personen.")
    if not types:
        return
    st.markdown("##### Karten: A | B und Differenz")
    changed = [t for t in changes[settings.OFFER_TYPE] if t in types]  # first the type whose offers changed
    offer_type = st.selectbox("Angebotsart der Karten", types, format_func=lambda t: type_names.get(t, t),
                              **ui.remember("scen_type", changed[0] if changed else types[0], options=types))
    label_a, label_b = _scenario.label(a), _scenario.label(b)
    left, right = st.columns(2)
    for column, side, key in ((left, "a", "scen_map_a"), (right, "b", "scen_map_b")):
        with column, ui.shows_data_errors():
            m = compare_map(result_a, result_b, ds_a, ds_b, offer_type, changes, side=side,
                            names=(label_a, label_b), labels=False)
            st_folium(m, key=key, height=460, use_container_width=True, returned_objects=[])
    with ui.shows_data_errors():
        m = compare_map(result_a, result_b, ds_a, ds_b, offer_type, changes, side="difference",
                        names=(label_a, label_b))
    st_folium(m, key="scen_map_diff", height=560, use_container_width=True, returned_objects=[])
    st.caption("Differenzkarte: Veränderung des Anteils der Zielgruppe in Reichweite von A nach B "
               "(braun = weniger, grün-blau = mehr in Reichweite); schraffiert: Versorgungslücken in B. "
               "Symbole: neue (+), geschlossene (×) und verlegte (◆) Angebote.")
    _chain_side_by_side(result_a, result_b, ds_a, ds_b)


def _chain_side_by_side(result_a, result_b, ds_a, ds_b) -> None:
    chain_a = chain_matrix(result_a, ds_a.offer_types, ds_a.phases)
    chain_b = chain_matrix(result_b, ds_b.offer_types, ds_b.phases)
    if not chain_b.measured:
        return
    st.markdown("##### Präventionskette: A | B")
    table_a, table_b, _ = cmp.chain_pair(chain_a, chain_b)
    n_changed = int(table_b.map(lambda v: isinstance(v, str) and v.startswith(cmp.CHANGED_MARK)).to_numpy().sum())
    st.caption(f"Gleiche Reihenfolge (B: die meisten fehlenden Glieder zuerst). „{cmp.CHANGED_MARK}“ in B: anders "
               f"als in A ({n_changed} Zellen).")
    left, right = st.columns(2)
    height = 35 * (min(len(table_b), 12) + 1) + 3
    left.markdown("**A**")
    left.dataframe(ui.german_numbers(table_a), hide_index=True, height=height, key="scen_chain_a")
    right.markdown("**B**")
    right.dataframe(ui.german_numbers(table_b).map(
        lambda v: "font-weight: bold; background-color: #fff3b0" if isinstance(v, str)
        and v.startswith(cmp.CHANGED_MARK) else ""), hide_index=True, height=height, key="scen_chain_b")


_overview()
view = st.radio("Ansicht", list(VIEWS), format_func=VIEWS.get, horizontal=True, label_visibility="collapsed",
                            **ui.remember("scen_view", "compare", options=list(VIEWS)))
if view == "edit":
    _editor()
else:
    _comparison()
