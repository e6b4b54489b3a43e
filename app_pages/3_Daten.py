"""Daten: upload offers, boundaries, indicators, residents, catchments, births per clinic – check, preview, store."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from app_pages import _definitions as definition_tables
from app_pages import _shared as ui
from geo import DataError, settings
from geo.analysis.schools import primary_schools
from geo.crs import KNOWN_POINT_CRS
from geo.formatting import format_distance, format_number
from geo.ingest import check_upload, commit_upload, max_upload_bytes
from geo.ingest.changes import removal_warning
from geo.ingest.check import DEFAULT_OFFER_MODE, OFFER_MODES
from geo.ingest.clinic_births import births_by_clinic
from geo.ingest.columns import detect_district_columns
from geo.ingest.templates import FORMAT_LABELS, MIME_TYPES, file_name, template_bytes, upload_template
from geo.io import boundaries, spreadsheets
from geo.render.web.leaflet import need_map
from geo.render.web.preview import MAX_PREVIEW_POINTS, upload_preview_map
from geo.store import check_name, create_workspace

KINDS = {
    "offers": "Angebotsstandorte (CSV/XLSX)",
    "districts": "Sozialraumgrenzen (GeoJSON, GeoPackage, Shapefile als ZIP)",
    "indicators": "Indikatoren je Sozialraum und Jahr (CSV/XLSX)",
    "residents": "Wohnorte (Einwohner/Kinder je Adresse, Block oder Zensus-Gitterzelle)",
    "catchments": "Einzugsgebiete (Zuständigkeitsgebiete, Schuleinzugsbereiche: GeoJSON, GeoPackage, Shapefile als "
                  "ZIP)",
    "clinic_births": "Geburten je Klinik und Sozialraum (CSV/XLSX)",
    "sozialindex": "Schulsozialindex NRW je Schule (CSV/XLSX)",
}
FILE_TYPES = {
    "offers": ["csv", "txt", "xlsx"],
    "districts": ["geojson", "json", "gpkg", "zip"],
    "indicators": ["csv", "txt", "xlsx"],
    "residents": ["csv", "txt", "xlsx", "gpkg", "zip", "geojson", "json"],
    "catchments": ["geojson", "json", "gpkg", "zip"],
    "clinic_births": ["csv", "txt", "xlsx"],
    "sozialindex": ["csv", "txt", "xlsx"],
}
AUTO = "automatisch erkennen"

st.title("Daten hochladen")
dataset, params = ui.current()
ui.stamp(dataset)
workspace = ui.workspace()
created = st.session_state.pop("ws_created", None)
if created:
    next_step = "die Sozialraumgrenzen" if "districts" in dataset.missing_layers else "Ihre Dateien"
    st.success(f"Arbeitsbereich „{ui.md(created)}“ angelegt. Laden Sie jetzt {next_step} hoch.",
               icon=":material/check_circle:")


def _create_workspace() -> None:
    """Create the workspace named in the form and work in it from now on (runs on the click)."""
    name, ags = st.session_state.get("ws_new_name", ""), st.session_state.get("ws_new_ags", "").strip()
    problems = check_name(name, ags or None)
    if problems:
        st.session_state["ws_problems"] = problems
        return
    try:
        new = create_workspace(name, ags=ags or None, demo_copy=bool(st.session_state.get("ws_new_copy")))
    except DataError as err:
        st.session_state["ws_problems"] = [str(err)]
        return
    ui.switch_workspace(new.path.name)
    ui.clear_caches()
    st.session_state["ws_created"] = name.strip()
    for key in ("ws_new_name", "ws_new_ags", "ws_new_copy"):
        st.session_state.pop(key, None)


with st.expander("Eigene Stadt anlegen (neuer Arbeitsbereich)", expanded=workspace.read_only):
    st.markdown(
        "Jede Stadt (oder jede Gemeinde eines Kreises) bekommt einen eigenen Arbeitsbereich. Er beginnt **leer**: "
        "Es werden nur Ihre eigenen Dateien verwendet, nie Daten der Demo Musterstadt. Was noch fehlt, wird "
        "angezeigt. Die Demo bleibt in der Seitenleiste unter „Arbeitsbereich“ wählbar."
    )
    left, right = st.columns([3, 1])
    left.text_input("Name der Stadt, Gemeinde oder des Kreises", key="ws_new_name", max_chars=80)
    right.text_input("Gemeindeschlüssel (AGS, optional)", key="ws_new_ags", max_chars=8)
    st.checkbox("Übungskopie der Demo (enthält die erfundenen Musterstadt-Daten, bleibt als Beispieldaten "
                "gekennzeichnet)", key="ws_new_copy")
    st.button("Arbeitsbereich anlegen", on_click=_create_workspace, icon=":material/add_location_alt:",
              key="ws_create")
    for problem in st.session_state.pop("ws_problems", []):
        st.error(ui.md(problem), icon=":material/error:")


def template_downloads(kind: str) -> None:
    """The template of ``kind``: its columns explained and the files to download (example rows of this city)."""
    template = upload_template(kind, dataset)
    with st.expander(f"{template.title}: erwartete Spalten und Beispieldatei"):
        st.markdown("\n".join(
            f"- **{ui.md(c.header)}** ({'Pflichtspalte' if c.required else 'optional'}): {ui.md(c.explanation)} "
            f"Beispiel: „{ui.md(c.examples[0])}“" for c in template.columns
        ))
        for note in template.notes:
            st.caption(ui.md(note))
        cols = st.columns(len(template.formats))
        for col, fmt in zip(cols, template.formats, strict=True):
            col.download_button(
                FORMAT_LABELS[fmt], data=template_bytes(template, fmt), file_name=file_name(template, fmt),
                mime=MIME_TYPES[fmt], key=f"up_template_{kind}_{fmt}", icon=":material/download:", on_click="ignore",
            )


if workspace.read_only:
    st.info("Die Demo Musterstadt ist schreibgeschützt. Legen Sie oben eine eigene Stadt an (oder eine "
            "Übungskopie der Demo) und laden Sie dort Ihre Dateien hoch.", icon=":material/lock:")
    st.subheader("Vorlagen zum Herunterladen")
    st.caption("So sehen die Dateien aus, die der Präventionsatlas erwartet (mit Beispielzeilen der Demo). Füllen "
               "Sie sie mit den Daten Ihrer Stadt und laden Sie sie in Ihrem eigenen Arbeitsbereich hoch.")
    for each in KINDS:
        template_downloads(each)
    st.stop()
st.markdown(f"Arbeitsbereich: **{ui.md(workspace.name)}**")
st.markdown(
    "Laden Sie eigene Dateien hoch. Jede Datei wird **vollständig geprüft**; gespeichert wird erst, wenn Sie "
    "bestätigen. Jede Übernahme wird eine neue Version – frühere Stände lassen sich auf der Seite "
    "**Verlauf** jederzeit wiederherstellen. Zu jeder Dateiart gibt es unten eine **Vorlage** zum Herunterladen."
)

if "districts" in dataset.missing_layers:
    st.info("Als Erstes die **Sozialraumgrenzen**: Sie legen die Stadt fest, gegen die alle weiteren Dateien "
            "geprüft werden.", icon=":material/looks_one:")
kind = st.radio("Was möchten Sie hochladen?", list(KINDS), format_func=KINDS.get, key="up_kind",
                index=list(KINDS).index("districts") if "districts" in dataset.missing_layers else 0)


template_downloads(kind)
upload = st.file_uploader(
    "Datei auswählen", type=FILE_TYPES[kind], key=f"up_file_{kind}",
    help=f"Höchstens {max_upload_bytes(kind) // 1024**2} MB.", max_upload_size=max_upload_bytes(kind) // 1024**2,
)

options: dict[str, object] = {}
types = list(dataset.offer_types.index)
if kind == "offers":
    left, right = st.columns(2)
    modes = list(OFFER_MODES)
    mode = left.radio(
        "Wie sollen die Standorte übernommen werden?", modes, index=modes.index(DEFAULT_OFFER_MODE),
        format_func=OFFER_MODES.get, key="up_mode",
        help="Abgeglichen wird über die Kennung (Nr.) der Angebote. Ersetzen entfernt alle bisherigen Angebote "
        "der Arten in der Datei, die die Datei nicht enthält.",
    )
    options["mode"] = mode
    crs_choice = right.selectbox(
        "Koordinatensystem", [AUTO, *KNOWN_POINT_CRS],
        format_func=lambda c: c if c == AUTO else f"{c} – {KNOWN_POINT_CRS[c]}", key="up_crs",
    )
    if crs_choice != AUTO:
        options["crs"] = crs_choice
    default_type = right.selectbox(
        "Angebotsart, falls die Datei keine Spalte „Art“ hat (bei der NRW-Schuldatei: Art der Schulen)",
        ["– aus der Datei –", *types], format_func=lambda t: t if t.startswith("–") else
        dataset.type_labels(t).label, key="up_default_type",
    )
    if not default_type.startswith("–"):
        options["default_type"] = default_type
        options["offer_type"] = default_type
elif kind == "districts":
    epsg = st.text_input(
        "Koordinatensystem, nur falls die Datei keines mitbringt (z. B. EPSG:25832)", key="up_district_crs"
    )
    if epsg.strip():
        options["crs"] = epsg.strip()
elif kind == "indicators":
    year = st.number_input(
        "Jahr, falls die Datei keine Spalte „Jahr“ hat", min_value=1990, max_value=2100, value=None,
        step=1, key="up_year",
    )
    if year:
        options["year"] = int(year)
elif kind == "residents":
    st.caption(
        "Punkte mit Einwohner- und/oder Kinderzahlen (CSV/XLSX mit Koordinaten, GeoPackage, Shapefile als ZIP; "
        "Flächen stehen an einem Punkt in ihrem Inneren) oder das **Zensus-2022-Gitter** als CSV, wie es "
        "veröffentlicht wird (`GITTER_ID_100m;x_mp_100m;y_mp_100m;Einwohner`, auch mit Altersgruppen wie "
        "`Unter18`). Wohnorte außerhalb der Sozialräume werden weggelassen."
    )
    crs_choice = st.selectbox(
        "Koordinatensystem, nur falls es nicht erkannt wird", [AUTO, *KNOWN_POINT_CRS, "EPSG:3035"],
        format_func=lambda c: c if c == AUTO else f"{c} – {KNOWN_POINT_CRS.get(c, 'ETRS89-LAEA (Zensus-Gitter)')}",
        key="up_res_crs",
    )
    if crs_choice != AUTO:
        options["crs"] = crs_choice
elif kind == "catchments":
    st.caption(
        "Flächen, die zu einer Angebotsart gehören: das **Zuständigkeitsgebiet** eines Familienbüros oder die "
        "**Schuleinzugsbereiche** der Grundschulen (Angebotsart Grundschule, Angebots-Kennung = Schulnummer). Die "
        "Datei ersetzt die Gebiete der Angebotsarten, die sie enthält; Gebiete anderer Arten bleiben."
    )
    left, right = st.columns(2)
    epsg = left.text_input(
        "Koordinatensystem, nur falls die Datei keines mitbringt (z. B. EPSG:25832)", key="up_catchment_crs"
    )
    if epsg.strip():
        options["crs"] = epsg.strip()
    area_type = right.selectbox(
        "Angebotsart, falls die Datei keine Spalte „Angebotsart“ hat", ["– aus der Datei –", *types],
        format_func=lambda t: t if t.startswith("–") else dataset.type_labels(t).label, key="up_catchment_type",
    )
    if not area_type.startswith("–"):
        options["default_type"] = area_type
elif kind == "clinic_births":
    st.caption(
        "Wie viele Kinder aus jedem Sozialraum in welcher Klinik geboren wurden: Sozialraum-Nr., Klinik (Kennung "
        "oder Name wie bei den Angeboten „Lotsendienst“ bzw. „Geburtsklinik“), Geburten, optional Jahr. Die "
        "Jahre der Datei ersetzen diese Jahre; eine Datei ohne Jahr ersetzt alle bisherigen Geburtenzahlen."
    )
    births_year = st.number_input(
        "Jahr, falls die Datei keine Spalte „Jahr“ hat", min_value=1990, max_value=2100, value=None,
        step=1, key="up_births_year",
    )
    if births_year:
        options["year"] = int(births_year)
elif kind == "sozialindex":
    st.caption(
        "Die Liste des Landes (`schulen_sozialindex_….csv`, IT.NRW) unverändert oder eine eigene Liste mit den "
        "Spalten `Schulnummer;Sozialindex` (Stufe 1 bis 9, optional `Schulname`). Die Liste ersetzt die "
        "bisherige; zugeordnet wird über die Schulnummer der gespeicherten Grundschulen."
    )
    ags = st.text_input("Nur Schulen der Gemeinde (Gemeindeschlüssel, optional, z. B. 05513000)",
                        value=workspace.meta().get("ags", ""),
                        key="up_si_ags", max_chars=8)
    if ags.strip():
        options["gemeindeschluessel"] = ags.strip()

if upload is None:
    st.info("Noch keine Datei gewählt.", icon=":material/upload_file:")
    st.stop()

data = upload.getvalue()
checksum = hashlib.sha256(data).hexdigest()


def once(purpose: str, key: tuple, compute):
    """compute() once per upload and key: reruns (every widget change) reuse it instead of re-reading the file.

    One entry per purpose is kept in the session, so memory holds at most the latest upload's results.
    """
    slot = f"_up_once_{purpose}"
    cached = st.session_state.get(slot)
    if cached is None or cached[0] != key:
        st.session_state[slot] = (key, compute())
    return st.session_state[slot][1]


def file_columns(read) -> list[str]:
    """Column names of the uploaded file for the manual assignment (empty when it cannot be read)."""
    try:
        return [c for c in read().columns if c != "geometry"]
    except DataError:
        return []  # the check below reports why the file cannot be read


def district_columns(read) -> tuple[list[str], dict[str, str]]:
    """Column names of an uploaded boundary layer and the detected district columns (empty when unreadable)."""
    try:
        layer = read()
    except DataError:
        return [], {}  # the check below reports why the file cannot be read
    return [c for c in layer.columns if c != "geometry"], detect_district_columns(layer)


if kind == "districts":
    # Let the planner pick the id and name columns; the detected ones are preselected.
    # The guess looks at the values too (a "Bezirk" of numbers is no name), so it is made from the layer read.
    columns, found = once("columns", (checksum, upload.name, kind, options.get("crs")), lambda: district_columns(
        lambda: boundaries.read_boundaries(data, upload.name, crs=options.get("crs"))))
    if columns:
        left, right = st.columns(2)
        for col, key, label in [(left, "id_column", "Spalte mit der Sozialraum-Nr."),
                                (right, "name_column", "Spalte mit dem Sozialraumnamen")]:
            default = found.get(key)
            choice = col.selectbox(label, columns, index=columns.index(default) if default in columns else 0,
                                   key=f"up_{key}")
            options[key] = choice
        NONE = "– keine –"
        for col, key, label in [(left, "area_id_column", "Spalte mit der Stadtbezirk-Nr. (optional)"),
                                (right, "area_name_column", "Spalte mit dem Stadtbezirk-Namen (optional)")]:
            default = found.get(key)
            choices = [NONE, *columns]
            choice = col.selectbox(label, choices, index=choices.index(default) if default in columns else 0,
                                   key=f"up_{key}")
            if choice != NONE:
                options[key] = choice

if kind == "indicators":
    # Assign columns by hand where the automatic recognition (by key, label or usual name) is not wanted.
    columns = once("columns", (checksum, upload.name, kind), lambda: file_columns(
        lambda: spreadsheets.read_table(data, upload.name)))
    if columns:
        with st.expander("Spalten zuordnen (optional – sonst automatisch erkannt)"):
            st.caption("Richtung aus der Indikatoren-Tabelle: ↑ höherer Wert = mehr Bedarf, "
                       "↓ höherer Wert = weniger Bedarf.")
            defs = dataset.indicator_definitions
            targets = {settings.INHABITANTS: "Einwohnerinnen und Einwohner", settings.CHILDREN: "Kinder 0–17",
                       settings.BIRTHS: "Geburten"}
            targets |= {k: f"{ui.md(r['label'])} ({'↑' if r['direction'] > 0 else '↓'})" for k, r in defs.iterrows()}
            cols = st.columns(2)
            id_choice = cols[0].selectbox("Sozialraum-Nr.", [AUTO, *columns], key="up_ind_id")
            year_choice = cols[1].selectbox("Jahr", [AUTO, *columns], key="up_ind_year")
            if id_choice != AUTO:
                options["id_column"] = id_choice
            if year_choice != AUTO:
                options["year_column"] = year_choice
            column_map = {}
            for i, (target, label) in enumerate(targets.items()):
                source = cols[i % 2].selectbox(label, [AUTO, *columns], key=f"up_map_{target}")
                if source != AUTO:
                    column_map[source] = target
            if column_map:
                options["column_map"] = column_map



def run_check(purpose: str, options: dict):
    """check_upload once per file, options and stored versions the check compares with."""
    key = (checksum, upload.name, kind, json.dumps(options, sort_keys=True, default=str),
           dataset.workspace, dataset.source, tuple(sorted(dataset.versions.items())))

    def checked():  # its steps in a status box, only when the check really runs
        with ui.progress_status("Datei wird geprüft", done="Prüfung fertig") as progress:
            return check_upload(data, upload.name, kind=kind, context=dataset, options=options, progress=progress)

    return once(purpose, key, checked)


check = run_check("check", options)
if kind == "indicators" and check.indicator_columns is not None and len(check.indicator_columns):
    # The proposal (stored definitions, NRW suggestions, other numeric columns) as a table the planner edits;
    # the check runs again with the planner's choices.
    st.markdown("**Welche Spalten sind Indikatoren?** Vorschlag aus den gespeicherten Indikatoren, den "
                "NRW-Indikatoren und allen weiteren Zahlenspalten – bitte prüfen und bei Bedarf ändern.")
    st.caption("Art „Dynamik-Indikator“: Die Spalte enthält schon die Veränderung über einen Zeitraum (z. B. "
               "Veränderung der SGB-II-Quote in Prozentpunkten, auch negativ). Sie geht in den Dynamikindex ein, nie "
               "in den Statusindex. Liefert die Datei Dynamik-Indikatoren, gehen ihre Status-Indikatoren nicht "
               "zusätzlich in den Dynamikindex ein.")
    choices = definition_tables.indicator_choices(check.indicator_columns, key=f"up_ind_editor_{checksum[:16]}")
    if choices:
        check = run_check("check_choices", options | {"indicators": choices})

if check.info:
    st.caption(" · ".join(f"{ui.md(k)}: {ui.md(v)}" for k, v in check.info.items()))
if check.crs_guess is not None and check.crs_guess.crs:
    swapped = " – Spalten waren vertauscht und wurden getauscht" if check.crs_guess.swapped else ""
    st.caption(f"Koordinatensystem: **{ui.md(check.crs_guess.crs)}** ({ui.md(check.crs_guess.reason)}{swapped}). "
               "Falls das nicht stimmt, wählen Sie es oben aus.")

errors, warnings = check.report.errors, check.report.warnings
SHOWN_PROBLEMS = 15


def problem_list(problems) -> str:
    """The first problems as a Markdown list, with their Excel row numbers; the rest are in the table."""
    lines = [f"- {ui.md(p)}" for p in problems[:SHOWN_PROBLEMS]]
    if len(problems) > SHOWN_PROBLEMS:
        lines.append(f"- … und {len(problems) - SHOWN_PROBLEMS} weitere (siehe Prüfbericht)")
    return "\n".join(lines)


if errors:
    st.error(
        f"**Die Datei kann so nicht übernommen werden ({len(errors)} Fehler).** Es wurde nichts gespeichert.\n\n"
        + problem_list(errors),
        icon=":material/error:",
    )
if warnings:
    st.warning(f"**{len(warnings)} Hinweise** – bitte prüfen:\n\n" + problem_list(warnings), icon=":material/warning:")
if check.report.problems:
    table = pd.DataFrame(
        {
            "Art": ["Fehler" if p.severity == "error" else "Hinweis" for p in check.report.problems],
            "Zeile": [p.row if p.row is not None else "" for p in check.report.problems],
            "Spalte": [p.column or "" for p in check.report.problems],
            "Meldung": [p.message for p in check.report.problems],
        }
    ).astype(str)
    with st.expander(f"Prüfbericht: {len(errors)} Fehler, {len(warnings)} Hinweise", expanded=bool(errors)):
        ui.table(table, hide_index=True, width="stretch", key="up_report")
if not check.ok:
    st.stop()

layer_name = {"offers": "Angebote", "districts": "Sozialräume", "indicators": "Indikatoren",
              "residents": "Wohnorte", "catchments": "Einzugsgebiete", "clinic_births": "Geburten je Klinik",
              "sozialindex": "Schulsozialindex"}[kind]
changes = check.changes
st.subheader("Was sich ändert")
if kind == "residents":
    # A residents layer replaces the one in use as a whole: its totals instead of per-id changes.
    before = dataset.residents
    cols = st.columns(4)
    cols[0].metric("Wohnorte", format_number(len(check.layer)),
                   help="Punkte bzw. Gitterzellen in den Sozialräumen")
    cols[1].metric("Einwohner", check.info.get("Einwohner", "–"))
    cols[2].metric("Kinder", check.info.get("Kinder", "–"))
    cols[3].metric("bisher", "–" if before is None else format_number(len(before)),
                   help="Wohnorte der Ebene in Gebrauch (ohne: gleichmäßiges Raster, "
                        f"Zellen ab {format_distance(settings.FALLBACK_GRID_M)})")
    for label in ("Abgleich Einwohner", "Abgleich Kinder"):
        if label in check.info:
            st.caption(f"**{label}:** {ui.md(check.info[label])}")
else:
    cols = st.columns(4)
    cols[0].metric("neu", format_number(len(changes.added)))
    cols[1].metric("geändert", format_number(len(changes.changed)))
    cols[2].metric("entfällt", format_number(len(changes.removed)))
    cols[3].metric("unverändert", format_number(changes.unchanged))
    for label, ids in [("Neu", changes.added), ("Geändert", changes.changed), ("Entfällt", changes.removed)]:
        if ids:
            shown = ", ".join(ui.md(" / ".join(map(str, i)) if isinstance(i, tuple) else i) for i in ids[:30])
            more = f" … und {len(ids) - 30} weitere" if len(ids) > 30 else ""
            st.caption(f"**{label}:** {shown}{more}")


def sozialindex_preview(check) -> None:
    """The Sozialindex list against the stored Grundschulen: how many are matched, schools per level."""
    schools = primary_schools(dataset.with_layers(sozialindex=check.layer))
    matched = int(schools[settings.SOZIALINDEX].notna().sum())
    high = settings.SOZIALINDEX_HIGH
    cols = st.columns(3)
    cols[0].metric("Schulen in der Liste", format_number(len(check.layer)))
    cols[1].metric("Grundschulen zugeordnet", f"{format_number(matched)} von {format_number(len(schools))}",
                   help="Gespeicherte Angebote der Art „Grundschule“, deren Schulnummer in der Liste steht.")
    cols[2].metric(f"davon Sozialindex ≥ {high}", format_number(int((schools[settings.SOZIALINDEX] >= high).sum())))
    if not len(schools):
        st.info("Es sind noch keine Grundschulen gespeichert. Laden Sie die NRW-Schuldatei als Angebotsstandorte "
                "hoch (Angebotsart „Grundschule“); sie werden dann über die Schulnummer zugeordnet.",
                icon=":material/school:")
    levels = range(1, 10)
    listed = check.layer[settings.SOZIALINDEX].value_counts()
    stored = schools[settings.SOZIALINDEX].dropna().astype(int).value_counts()
    ui.table(pd.DataFrame({"Sozialindex": [str(v) for v in levels],
                           "Schulen in der Liste": [int(listed.get(v, 0)) for v in levels],
                           "davon gespeicherte Grundschulen": [int(stored.get(v, 0)) for v in levels]}),
             hide_index=True, key="up_si_levels")


st.subheader("Vorschau")
if kind in ("offers", "districts", "residents", "catchments"):
    current = {"offers": dataset.offers, "districts": dataset.districts, "residents": dataset.residents,
               "catchments": dataset.catchments}[kind]
    if kind == "offers" and len(check.layer) > MAX_PREVIEW_POINTS:
        st.caption(f"Die Karte zeigt die ersten {MAX_PREVIEW_POINTS:,} Standorte.".replace(",", "."))
    if kind == "residents" and len(check.layer) > MAX_PREVIEW_POINTS:
        st.caption(f"Die Karte zeigt eine Stichprobe von {MAX_PREVIEW_POINTS:,} Wohnorten.".replace(",", "."))
    st.caption({"offers": "Blau: neu oder geändert · Grau: unverändert · Orange Ringe: entfällt",
                "residents": "Grau: bisherige Wohnorte · Blau: hochgeladene Wohnorte",
                "catchments": "Grau gestrichelt: bisherige Gebiete · Blau: Gebiete nach dem Hochladen"}.get(
        kind, "Grau: bisheriger Stand · Blau: hochgeladene Datei"))
    preview = upload_preview_map(districts=dataset.districts, current=current, new=check.layer, kind=kind)
    st_folium(preview, height=460, returned_objects=[], key=f"up_preview_{kind}", use_container_width=True)
elif kind == "clinic_births":
    st.caption("Geburten je Klinik nach dem Hochladen (alle Jahre und Sozialräume zusammen):")
    ui.table(births_by_clinic(check.layer, dataset.offers, dataset.offer_types), hide_index=True, width="stretch",
             key="up_births_clinics")
elif kind == "sozialindex":
    sozialindex_preview(check)
else:
    # Indicators: the status map of the current data beside the map the new values would give.
    left, right = st.columns(2)
    try:
        year = int(check.layer[settings.YEAR].max())
        new_params = dataclasses.replace(params, year=year)  # every other setting as in the sidebar
        before = ui.analysis(dataset, new_params) \
            if year in dataset.years else None
        after_ds = dataset.with_layers(indicators=check.layer, indicator_definitions=check.definitions)
        # Indicators new with this file enter the preview's index as defined; the others as in the sidebar.
        added = check.definitions[check.definitions["in_index"] & ~check.definitions.index.isin(
            dataset.indicator_definitions.index)]
        after_params = dataclasses.replace(new_params, weights={**(params.weights or {}), **added["weight"].to_dict()})
        after = ui.analysis(after_ds, after_params)
        left.markdown(f"**Bisher ({year})**")
        if before is not None:
            with left:
                st_folium(need_map(before, dataset, labels=False), height=380, returned_objects=[],
                          key="up_before", use_container_width=True)
        else:
            left.caption(f"Für {year} gibt es bisher keine Werte.")
        right.markdown(f"**Mit der neuen Datei ({year})**")
        with right:
            st_folium(need_map(after, after_ds, labels=False), height=380, returned_objects=[],
                      key="up_after", use_container_width=True)
    except DataError as err:
        st.warning(f"Eine Vorschau-Analyse ist mit diesen Werten nicht möglich: {ui.md(err)}")
with st.expander("Tabelle der hochgeladenen Daten"):
    shown = pd.DataFrame(check.layer.drop(columns="geometry", errors="ignore"))
    ui.table(shown.head(1000), plain=(settings.YEAR,), hide_index=True, width="stretch", key="up_table")

st.divider()
# Removing offers is never a side effect: the planner sees which ones before the button (and on it).
removal = removal_warning(dataset.offers, changes) if kind == "offers" else None
if removal:
    st.warning(f"**{ui.md(removal)}** Prüfen Sie, ob das gewollt ist; sonst wählen Sie oben „Hinzufügen und "
               "aktualisieren“.", icon=":material/delete:")
comment = st.text_input("Kommentar zur Version (optional)", key="up_comment", max_chars=200)


def _remember_preview(base_versions: dict) -> None:
    """Runs on the click, before the rerun recomputes the check: keeps the state the planner saw."""
    st.session_state["up_previewed"] = base_versions


save_label = (f"{layer_name} übernehmen und {len(changes.removed)} entfernen" if removal
              else f"{layer_name} übernehmen und speichern")
if st.button(save_label, type="primary", icon=":material/save:", key="up_save",
             on_click=_remember_preview, args=(dict(check.base_versions),)):
    try:
        info = commit_upload(workspace, check, filename=upload.name, comment=comment,
                             previewed=st.session_state.pop("up_previewed", None))
    except DataError as err:
        st.error(ui.md(err), icon=":material/error:")
    else:
        ui.clear_caches()
        st.success(f"Gespeichert: {ui.md(info.label)}. Alle Seiten rechnen jetzt mit diesem Stand.",
                   icon=":material/check_circle:")
