"""Angebotsarten: the workspace's offer types and life phases of the Präventionskette, edited and stored together."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import _shared as ui
from geo import DataError, catalog, settings
from geo.ingest.offer_types import FIELD_TITLES, MAX_DESCRIPTION, MAX_NAME, commit_chain_config, edit_chain_config

#: Marker shape → German name (the shapes of :data:`geo.catalog.MARKERS`).
MARKER_NAMES = {
    "circle": "Kreis", "square": "Quadrat", "triangle": "Dreieck", "diamond": "Raute", "plus": "Plus",
    "star": "Stern", "cross": "Kreuz", "pentagon": "Fünfeck", "hexagon": "Sechseck",
}
TYPE_SHOWN = ["type", "label", "short", "plural", "analysed", "phase", "target", "reach_model", "host_type",
              "radius_m", "nearest_phrase", "color", "marker", "description"]
PHASE_SHOWN = ["phase", "order", "label", "short", "description"]
PHASE_TITLES = {"phase": "Kennung", **{k: FIELD_TITLES[k] for k in ("order", "label", "short", "description")}}
#: Layers the edit is checked against (the offers decide which types may be removed).
LAYERS = ("offer_types", "phases", "offers")
SAVED = "ot_saved"
#: The choice "none" of the phase and host columns (a type outside the chain, a model without host facilities).
NONE = "– keine –"
#: What a new row's select boxes start with.
DEFAULTS = {"phase": "", "reach_model": "radius", "host_type": "", "marker": catalog.DEFAULT_MARKER}

COLUMN_HELP = {
    "type": "Feste Kennung der Angebotsart (wird für neue Zeilen aus der Bezeichnung gebildet).",
    "label": "Name in Tabellen, Karten und Berichten, z. B. „Familiengrundschulzentrum“.",
    "short": "Kurzname für Legenden, Spalten und Kennzahlen, z. B. „FGZ“.",
    "plural": "Mehrzahl, z. B. „Familiengrundschulzentren (FGZ)“.",
    "analysed": "Wird die Reichweite dieser Angebotsart gemessen? Ohne Häkchen: nur als Standort gezeigt "
                "(z. B. Grundschulen, Geburtskliniken).",
    "phase": "Glied der Präventionskette, zu dem die Angebotsart gehört (leer: nicht in der Kette).",
    "target": "Zielgruppe: „geburten“ oder eine Altersspanne „von-bis“, z. B. „6-10“ = Kinder von 6 bis unter "
              "10 Jahren.",
    "reach_model": "Wie Reichweite gemessen wird: Luftlinie vom Wohnort, zugeordnete Einrichtung oder "
                   "Zuständigkeitsgebiete.",
    "host_type": "Nur beim Modell „zugeordnete Einrichtung“: an welcher Art von Einrichtung das Angebot läuft "
                 "(FGZ → Grundschule, Lotsendienst → Geburtsklinik).",
    "radius_m": "Luftlinie in Metern (100 bis 20.000), in der ein Angebot als erreichbar gilt; Standardwert der "
                "Seitenleiste.",
    "nearest_phrase": "Wendung für die Begründung einer Versorgungslücke: „weiter als 1,5 km *vom nächsten "
                      "Familienbüro*“.",
    "color": "Farbe des Symbols auf Karten, als #RRGGBB, z. B. #0072B2.",
    "marker": "Form des Symbols auf Karten.",
    "description": "Kurze Beschreibung (Methodik, Steckbrief).",
    "order": "Stelle in der Kette (1 = erstes Glied); jede Zahl nur einmal.",
}
PHASE_HELP = {
    "phase": "Feste Kennung der Lebensphase (wird für neue Zeilen aus der Bezeichnung gebildet).",
    "label": "Name der Lebensphase, z. B. „Grundschulalter (6–10 Jahre)“.",
    "short": "Kurzname für die Spalten der Ketten-Matrix, z. B. „Grundschule“.",
    "description": "Wen die Lebensphase umfasst.",
}


def _pick(options: dict[str, str]) -> dict[str, str]:
    """Display text → key (the inverse of ``options``)."""
    return {text: key for key, text in options.items()}


def _choices(types: pd.DataFrame, phases: pd.DataFrame) -> dict[str, dict[str, str]]:
    """Per select-box column: key → the text the table shows (stored phases and types by their labels)."""
    return {
        "phase": {"": NONE, **{str(k): str(v) for k, v in phases["label"].items()}},
        "reach_model": dict(catalog.REACH_MODELS),
        "host_type": {"": NONE, **{str(k): str(v) for k, v in types["label"].items()}},
        "marker": {shape: MARKER_NAMES.get(shape, shape) for shape in catalog.MARKERS},
    }


def type_frame(types: pd.DataFrame, choices: dict[str, dict[str, str]]) -> pd.DataFrame:
    """The offer types as the page shows them: German headers, select-box columns as their German texts."""
    frame = types.rename_axis("type").reset_index()
    for name, options in choices.items():
        frame[name] = frame[name].map(lambda v, o=options: o.get(v, v))
    return frame[TYPE_SHOWN].rename(columns=FIELD_TITLES)


def type_fields(edited: pd.DataFrame, choices: dict[str, dict[str, str]]) -> pd.DataFrame:
    """The edited table back to offer type fields (inverse of :func:`type_frame`); unknown texts stay as typed."""
    out = edited.rename(columns={v: k for k, v in FIELD_TITLES.items()})
    for name, options in choices.items():
        back = _pick(options)
        out[name] = out[name].map(lambda v, b=back: b.get(v, v) if isinstance(v, str) else "")
    return out


def phase_frame(phases: pd.DataFrame) -> pd.DataFrame:
    """The life phases as the page shows them (German headers)."""
    return phases.rename_axis("phase").reset_index()[PHASE_SHOWN].rename(columns=PHASE_TITLES)


def phase_fields(edited: pd.DataFrame) -> pd.DataFrame:
    """The edited phase table back to phase fields."""
    return edited.rename(columns={v: k for k, v in PHASE_TITLES.items()})


def type_config(choices: dict[str, dict[str, str]]) -> dict:
    """Column types of the offer type editor: check box, select boxes, number and text limits, help texts."""
    text = {name: st.column_config.TextColumn(help=COLUMN_HELP[name], max_chars=MAX_NAME)
            for name in ("label", "short", "plural", "nearest_phrase", "target")}
    config = {
        **text,
        "type": st.column_config.TextColumn(help=COLUMN_HELP["type"]),
        "analysed": st.column_config.CheckboxColumn(help=COLUMN_HELP["analysed"], default=True),
        "radius_m": st.column_config.NumberColumn(
            help=COLUMN_HELP["radius_m"], min_value=settings.RADIUS_MIN_M, max_value=settings.RADIUS_MAX_M,
            step=50, format="%d"),
        "color": st.column_config.TextColumn(help=COLUMN_HELP["color"], validate=r"^#[0-9A-Fa-f]{6}$",
                                             max_chars=7),
        "description": st.column_config.TextColumn(help=COLUMN_HELP["description"], max_chars=MAX_DESCRIPTION),
        **{name: st.column_config.SelectboxColumn(help=COLUMN_HELP[name], options=list(options.values()),
                                                  required=True, default=options[DEFAULTS[name]])
           for name, options in choices.items()},
    }
    return {FIELD_TITLES[k]: v for k, v in config.items()}


def phase_config() -> dict:
    """Column types of the life phase editor."""
    config = {
        "phase": st.column_config.TextColumn(help=PHASE_HELP["phase"]),
        "order": st.column_config.NumberColumn(help=COLUMN_HELP["order"], min_value=1, max_value=999, step=1,
                                               format="%d"),
        "label": st.column_config.TextColumn(help=PHASE_HELP["label"], max_chars=MAX_NAME),
        "short": st.column_config.TextColumn(help=PHASE_HELP["short"], max_chars=MAX_NAME),
        "description": st.column_config.TextColumn(help=PHASE_HELP["description"], max_chars=MAX_DESCRIPTION),
    }
    return {PHASE_TITLES[k]: v for k, v in config.items()}


def explanation() -> None:
    """What the Präventionskette is and what each column means."""
    st.markdown(
        "Die **Präventionskette** begleitet Kinder und Familien von der Geburt über Kita und Grundschule bis "
        "zum Übergang in den Beruf – ohne Lücken. Jedes Angebot gehört zu einer **Lebensphase** (einem *Glied "
        "der Kette*) und wird an seiner **Zielgruppe** gemessen: ein Lotsendienst an den Geburten, ein "
        "Familiengrundschulzentrum an den Kindern im Grundschulalter. Das **Reichweitenmodell** legt fest, wer "
        "als erreicht gilt: wer in einem Umkreis wohnt (*Radius*), wessen Einrichtung (Grundschule, "
        "Geburtsklinik) das Angebot hat (*zugeordnete Einrichtung*) oder wer in einem hochgeladenen "
        "*Zuständigkeitsgebiet* wohnt."
    )
    st.markdown(
        "Hier legen Sie für diesen Arbeitsbereich fest, welche Angebotsarten es gibt und welche Lebensphasen die "
        "Kette hat. Voreingestellt sind die NRW-Standardwerte (Familienbüro, FGZ, Lotsendienst, Familienzentrum, "
        "Kita-Sozialarbeit). Jede Änderung wird eine neue Version (Seite **Verlauf**); alle Seiten, Karten und "
        "Exporte verwenden danach die neuen Tabellen. Neue Zeilen fügen Sie unten in der Tabelle hinzu; Zeilen "
        "entfernen Sie, indem Sie sie links markieren und löschen."
    )
    with st.expander("Was die Spalten bedeuten"):
        st.markdown("\n".join(f"- **{FIELD_TITLES[name]}**: {COLUMN_HELP[name]}" for name in TYPE_SHOWN))
        st.markdown("**Lebensphasen:**\n\n" + "\n".join(
            f"- **{PHASE_TITLES[name]}**: {(PHASE_HELP | {'order': COLUMN_HELP['order']})[name]}"
            for name in PHASE_SHOWN))
        st.caption("„Zeile“ in einer Meldung zählt die Zeilen der Tabelle von oben, ab 1.")


def state_caption(dataset) -> None:
    """Which stored versions the tables are, or that they are the built-in defaults."""
    stored = [ui.md(dataset.versions[layer]) for layer in ("offer_types", "phases") if layer in dataset.versions]
    st.caption("Stand: " + (" · ".join(stored) if stored else "mitgelieferte NRW-Standardwerte (noch nicht geändert)"))


def _remember_seen(base_versions: dict) -> None:
    """Runs on the click, before the rerun: keeps the versions the planner edited."""
    st.session_state["ot_seen"] = base_versions


st.title("Angebotsarten und Lebensphasen")
dataset, params = ui.current()
ui.stamp(dataset)
if SAVED in st.session_state:
    st.success(st.session_state.pop(SAVED), icon=":material/check_circle:")
explanation()
types, phases = dataset.offer_types, dataset.phases
choices = _choices(types, phases)
with ui.shows_data_errors():
    workspace = ui.workspace()
state_caption(dataset)

if workspace.read_only:
    st.info("Die Demo Musterstadt ist schreibgeschützt: Die Tabellen werden hier nur gezeigt. Legen Sie auf der "
            "Seite **Daten** eine eigene Stadt oder eine Übungskopie der Demo an, um Angebotsarten und "
            "Lebensphasen zu ändern.", icon=":material/lock:")
    st.page_link("app_pages/3_Daten.py", label="Zur Seite Daten", icon=":material/upload_file:")
    st.subheader("Angebotsarten")
    ui.table(type_frame(types, choices), hide_index=True, width="stretch")
    st.subheader("Lebensphasen")
    ui.table(phase_frame(phases), hide_index=True, width="stretch")
    st.stop()

versions = {layer: dataset.stored_versions.get(layer) for layer in LAYERS}
state = "_".join(str(versions[layer]) for layer in LAYERS)
st.subheader("Angebotsarten")
edited_types = st.data_editor(
    type_frame(types, choices), key=f"ot_types_{state}", hide_index=True, width="stretch", num_rows="dynamic",
    disabled=[FIELD_TITLES["type"]], column_config=type_config(choices),
)
st.subheader("Lebensphasen")
st.caption("Eine neue Lebensphase steht nach dem Speichern in der Spalte „Lebensphase“ der Angebotsarten zur "
           "Auswahl.")
edited_phases = st.data_editor(
    phase_frame(phases), key=f"ot_phases_{state}", hide_index=True, width="stretch", num_rows="dynamic",
    disabled=[PHASE_TITLES["phase"]], column_config=phase_config(),
)
new_types, new_phases, report = edit_chain_config(
    types, type_fields(edited_types, choices), phases, phase_fields(edited_phases), offers=dataset.offers,
)
for problem in report.errors:
    st.error(ui.md(problem), icon=":material/error:")
changed = report.ok and not (new_types.equals(types) and new_phases.equals(phases))
comment = st.text_input("Kommentar zur Version (optional)", key="ot_comment", max_chars=200)
if st.button("Speichern", type="primary", icon=":material/save:", key="ot_save", disabled=not changed,
             on_click=_remember_seen, args=(versions,)):
    try:
        saved = commit_chain_config(workspace, new_types, new_phases, comment=comment,
                                    base_versions=st.session_state.pop("ot_seen", versions))
    except DataError as err:
        st.error(ui.md(err), icon=":material/error:")
    else:
        ui.clear_caches()
        for t in new_types.index:  # a new default radius shows in the sidebar, not the one remembered before
            before = types.at[t, "radius_m"] if t in types.index else None
            if before is not None and not pd.isna(before) and new_types.at[t, "radius_m"] != before:
                ui.forget(f"pa_r_{t}")
        labels = ", ".join(ui.md(info.label) for info in saved.values())
        st.session_state[SAVED] = f"Gespeichert: {labels}. Alle Seiten verwenden jetzt diese Tabellen."
        st.rerun()
