"""Export: print maps (PDF/PNG), the committee report, result tables (CSV/XLSX), the GIS layer and the HTML map."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import streamlit as st

from app_pages import _shared as ui
from geo.analysis.protect import rule_text
from geo.analysis.scenarios import names as scenario_names
from geo.export import (
    DPI_CHOICES,
    KINDS,
    ExportOptions,
    export,
    file_name,
    mime_type,
    sidecar,
)
from geo.render.print import content, kit, ranking
from geo.render.print.content_dynamics import DYNAMIC_KINDS, has_dynamics, no_dynamics_note
from geo.render.print.scenario import scenario_chapters
from geo.render.provenance import min_inhabitants

st.title("Export")
dataset, params = ui.current()
with ui.shows_data_errors():
    result = ui.analysis(dataset, params)

st.caption(
    "Alle Dateien entstehen aus den Einstellungen links (Jahr, Gewichte, Radien) und nennen Datenquelle, "
    "Datenstand und Exportdatum. Personenzahlen unter 3 stehen als „< 3“; Werte, aus denen sie sich "
    "zurückrechnen ließen, sind unterdrückt."
)
ui.stamp(dataset)
ui.need_note(result)
offer_types = dataset.offer_types
analysed = list(result.offer_types)


def type_name(t: str | None) -> str:
    """German plural of an offer type for the choice box (``None``: all types)."""
    if t is None:
        return "alle Angebotsarten"
    return dataset.type_labels(t).plural


def download(label: str, kind: str, fmt: str, options: ExportOptions, *, key: str, primary: bool = False,
             tip: str | None = None, chapters: list[str] | None = None) -> None:
    """A download button that builds the file only when clicked (Streamlit runs the callable then).

    ``chapters``: names of stored scenarios whose chapters the report includes (built on the click as well).
    """
    st.download_button(
        label, data=lambda: export(kind, fmt, dataset, result, options, scenarios=scenario_chapters(
            dataset, result, chapters, params) if chapters else ()),
        file_name=file_name(kind, fmt, result, options), mime=mime_type(fmt), key=key,
        type="primary" if primary else "secondary", icon=":material/download:", help=tip,
        on_click="ignore",
    )


def built_download(build_label: str, label: str, kind: str, fmt: str, options: ExportOptions, *, key: str,
                   status: str, done: str, tip: str | None = None, chapters: list[str] | None = None) -> None:
    """A button that builds a long file in the page, its steps in a status box, then the download button for it.

    Streamlit runs a download button's callable outside the page (it can show nothing while it runs), so the
    committee report and the ZIP of all Steckbriefe are built on a click of their own. The file is kept in the
    session for the settings it was built with; other settings ask for a new build.
    """
    made_for = (repr(params), repr(options), tuple(chapters or ()), dataset.source, dataset.scenario or "",
                tuple(sorted(dataset.versions.items())))
    built = st.session_state.get(f"_built_{key}")
    if built is not None and built[0] != made_for:
        built = None
    if st.button(build_label, key=f"{key}_build", type="primary" if built is None else "secondary",
                 icon=":material/play_arrow:", help=tip):
        with ui.progress_status(status, done=done) as progress:
            data = export(kind, fmt, dataset, result, options, progress=progress, scenarios=scenario_chapters(
                dataset, result, chapters, params) if chapters else ())
        built = st.session_state[f"_built_{key}"] = (made_for, data)
    if built is not None:
        st.download_button(label, data=built[1], file_name=file_name(kind, fmt, result, options), mime=mime_type(fmt),
                           key=key, type="primary", icon=":material/download:", on_click="ignore")


def download_sidecar(kind: str, fmt: str, options: ExportOptions, *, key: str) -> None:
    """A download button for the JSON record of the settings an export was made with."""
    st.download_button(
        "Einstellungen dazu (JSON)", data=sidecar(kind, fmt, dataset, result, options),
        file_name=file_name(kind, fmt, result, options).rsplit(".", 1)[0] + ".json", mime="application/json",
        key=key, icon=":material/data_object:", on_click="ignore",
        help="Jahr, Gewichte, Radien, Schwellen, Datenstände und Exportdatum dieser Datei, maschinenlesbar.",
    )


# --------------------------------------------------------------------------------------------- print map
st.subheader("Karte für den Druck")
with st.container(border=True):
    c1, c2, c3 = st.columns([3, 3, 3])
    kinds = list(content.KINDS)
    kind = c1.selectbox("Karte", kinds, format_func=content.KINDS.get,
                        **ui.remember("export_kind", "status", options=kinds))
    offer_type = None
    if kind in content.KINDS_NEEDING_TYPE and analysed:
        offer_type = c2.selectbox("Angebotsart", analysed, format_func=type_name,
                                  **ui.remember("export_type_one", ui.default_gap_type(result), options=analysed))
    elif kind in ("offers", "gaps"):
        choices = [None, *analysed]
        offer_type = c2.selectbox("Angebotsart", choices, format_func=type_name,
                                  **ui.remember("export_type_any", None, options=choices))
    indicator, scheme, k = None, "quantiles", 5
    if kind == "indicator":
        variables = content.indicator_choices(dataset, result)
        indicator = c2.selectbox("Indikator", list(variables), format_func=variables.get,
                                 **ui.remember("export_indicator", "status_index", options=list(variables)))
        scheme = c3.selectbox("Klasseneinteilung", list(content.SCHEMES), format_func=content.SCHEMES.get,
                              **ui.remember("export_scheme", "quantiles", options=list(content.SCHEMES)))
    c4, c5, c6, c7 = st.columns([2, 3, 2, 2])
    paper = c4.radio("Papier", list(kit.PAPERS_MM), horizontal=True,
                     **ui.remember("export_paper", "A4", options=list(kit.PAPERS_MM)))
    orientation = c5.radio("Ausrichtung", list(kit.ORIENTATIONS), format_func=kit.ORIENTATIONS.get,
                           horizontal=True,
                           **ui.remember("export_orientation", "landscape", options=list(kit.ORIENTATIONS)))
    fmt = c6.radio("Format", ["pdf", "png"], format_func=str.upper, horizontal=True,
                   help="PDF: Vektorgrafik, beliebig vergrößerbar, Schriften eingebettet. PNG: Bild für Folien.",
                   **ui.remember("export_format", "pdf", options=["pdf", "png"]))
    dpi = c7.radio("Auflösung (PNG)", list(DPI_CHOICES), format_func=lambda v: f"{v} dpi", horizontal=True,
                   disabled=fmt != "png", **ui.remember("export_dpi", DPI_CHOICES[0], options=list(DPI_CHOICES)))
    if kind == "indicator":
        k = c3.slider("Anzahl Klassen", min_value=3, max_value=7, **ui.remember("export_k", 5))
    c8, c9, _ = st.columns([3, 3, 3])
    labels = c8.toggle("Sozialräume beschriften", **ui.remember("export_labels", True))
    export_date = c9.date_input("Exportdatum", value=date.today(), format="DD.MM.YYYY", key="export_date",
                                help="Steht auf jeder Datei. Gleiche Daten, Einstellungen und gleiches Datum "
                                     "ergeben eine identische Datei.")
    # a row of its own: in a third of the width the label would be cut off
    tiles = st.toggle("Hintergrundkarte (OpenStreetMap, falls erreichbar)",
                      help="Straßen und Orte unter den halbtransparenten Flächen. Die Kacheln werden aus dem "
                           "Internet geladen und zwischengespeichert; ohne Verbindung entsteht die Karte ohne "
                           "Hintergrund, mit einem Hinweis darauf. Gilt nicht für den Bericht.",
                      **ui.remember("export_tiles", False))
    options = ExportOptions(offer_type=offer_type, indicator=indicator, scheme=scheme, k=int(k), paper=paper,
                            orientation=orientation, dpi=int(dpi), labels=labels, export_date=export_date,
                            tiles=tiles)
    if kind in DYNAMIC_KINDS and not has_dynamics(result):  # the map prints this note in place of its legend
        st.info(f"{ui.md(no_dynamics_note(result))} Die Karte entsteht trotzdem, mit diesem Hinweis statt der "
                "Legende der Dynamik.", icon=":material/info:")
    drawable = kind not in content.KINDS_NEEDING_TYPE or offer_type is not None
    if not drawable:
        st.warning("Diese Karte braucht eine analysierte Angebotsart; in den Daten gibt es keine.",
                   icon=":material/info:")
    else:
        download(f"{content.KINDS[kind]} herunterladen ({fmt.upper()}, {paper} "
                 f"{kit.ORIENTATIONS[orientation]})", kind, fmt, options, key="export_map", primary=True)
    if drawable and st.toggle("Vorschau zeigen", key="export_preview",
                              help="Ein kleines Bild der Karte mit den gewählten Einstellungen (dauert etwa eine "
                                   "Sekunde)."):
        with ui.shows_data_errors():
            preview = export(kind, "png", dataset, result, replace(options, dpi=60))
        st.image(preview, caption="Vorschau (niedrige Auflösung)")

# ------------------------------------------------------------------------------------------------- report
st.subheader("Bericht für den Jugendhilfeausschuss")
with st.container(border=True):
    st.markdown(
        "Ein PDF: Deckblatt mit der Karte der Versorgungslücken, der Liste der Sozialräume mit Lücke und den "
        "Kennzahlen; Karte des Bedarfs; je analysierter Angebotsart eine Seite mit Reichweite und "
        "Versorgungslücken; die Rangliste; eine Methodenseite mit allen Einstellungen. Mit zwei gespeicherten "
        "Indikatorjahren dazu die Seite „Soziale Lage und Dynamik“: Karte des Gesamtindex, Zahl der Sozialräume je "
        "Status und Dynamik und die Liste der Sozialräume mit besonderem Aufmerksamkeitsbedarf."
    )
    rankings = list(ranking.RANKINGS)
    report_ranking = st.radio(
        "Rangliste im Bericht", rankings, format_func=ranking.RANKINGS.get,
        help="Sozialräume mit hohem Bedarf ohne Versorgungslücke: weglassen (sie stehen in der XLSX-/CSV-"
             "Tabelle), in einen Anhang am Ende setzen oder in der Rangliste nach den Lücken zeigen.",
        **ui.remember("export_ranking", ranking.DEFAULT_RANKING, options=rankings))
    report_options = ExportOptions(export_date=export_date, ranking=report_ranking)
    # scenario chapters: planning variants after the Bestand, each page marked as a scenario
    stored_scenarios = scenario_names(dataset.scenarios)
    chosen_scenarios: list[str] = []
    if stored_scenarios and dataset.scenario:
        st.caption(f"Szenario-Kapitel gibt es im Bericht über den Bestand: links ist das Szenario "
                   f"„{ui.md(dataset.scenario)}“ gewählt, der ganze Bericht zeigt es (jede Seite gekennzeichnet).")
    elif stored_scenarios:
        chosen_scenarios = st.multiselect(
            "Szenarien in den Bericht aufnehmen", stored_scenarios, key="export_report_scenarios",
            placeholder="keine (nur der Bestand)",
            help="Je Szenario ein Kapitel nach dem Bestand: Änderungen, Annahmen, Kennzahlen vorher und nachher, "
                 "geschlossene und neue Versorgungslücken und eine Differenzkarte. Jede Seite ist als Szenario "
                 "gekennzeichnet – kein Bestand, nur Planungsvariante.")
    built_download("Bericht erstellen (PDF, A4)", "Bericht herunterladen (PDF, A4)", "report", "pdf", report_options,
                   key="export_report", status="Bericht wird erstellt", done="Bericht fertig",
                   tip="Dauert einige Sekunden" + (" und je Szenario etwas länger." if chosen_scenarios else ".")
                   + " Danach steht der Bericht zum Herunterladen bereit.", chapters=chosen_scenarios)

# ----------------------------------------------------------------------------------------------- profiles
st.subheader("Steckbriefe der Sozialräume")
with st.container(border=True):
    st.markdown(
        "Je Sozialraum eine A4-Seite (PDF) mit Übersichtskarte, Kennzahlen, Indikatoren, Reichweite und "
        "Versorgungslücken sowie den Angeboten – für Stadtteilkonferenzen. Einzeln auf der Seite „Steckbrief“."
    )
    built_download("Steckbriefe aller Sozialräume erstellen (ZIP)", "Steckbriefe aller Sozialräume (ZIP)", "profiles",
                   "zip", ExportOptions(export_date=export_date), key="export_profiles",
                   status="Steckbriefe werden erstellt", done="Steckbriefe fertig",
                   tip=f"Eine PDF-Datei je Sozialraum ({len(result.districts)} Dateien); dauert etwa ein bis zwei "
                       "Sekunden je Sozialraum.")
    st.page_link("app_pages/8_Steckbrief.py", label="Steckbrief eines Sozialraums ansehen", icon=":material/id_card:")

# --------------------------------------------------------------------------------------- tables and layers
st.subheader("Tabellen und GIS-Daten")
with st.container(border=True):
    table_options = ExportOptions(export_date=export_date)
    t1, t2, t3 = st.columns(3)
    with t1:
        st.markdown("**Ergebnistabelle für Excel (CSV)**")
        st.caption("Semikolon, Dezimalkomma, UTF-8 – öffnet in deutschem Excel per Doppelklick.")
        download("CSV herunterladen", "table", "csv", table_options, key="export_csv")
        download_sidecar("table", "csv", table_options, key="export_csv_json")
    with t2:
        st.markdown("**Ergebnistabelle (XLSX)**")
        st.caption("Mit Blättern „Erläuterungen“ (jede Spalte erklärt), „Versorgungslücken“ und „Einstellungen“.")
        download("XLSX herunterladen", "table", "xlsx", table_options, key="export_xlsx")
    with t3:
        st.markdown("**Ergebnis-Ebene für QGIS (GeoPackage)**")
        st.caption("Sozialräume mit allen Ergebnissen und die Angebote, ETRS89 / UTM 32N (EPSG:25832).")
        download("GeoPackage herunterladen", "layer", "gpkg", table_options, key="export_gpkg")

# --------------------------------------------------------------------------------------- Präventionskette
st.subheader("Präventionskette")
with st.container(border=True):
    st.markdown(
        "Die Ketten-Matrix: je Sozialraum und Lebensphase der Anteil der Zielgruppe mit einem Angebot der "
        "Lebensphase in Reichweite, der Zustand des Glieds (✔/✘) und die fehlenden Glieder; mit Methodenhinweis."
    )
    k1, k2 = st.columns(2)
    with k1:
        download("Präventionskette (CSV)", "chain", "csv", table_options, key="export_chain_csv")
        download_sidecar("chain", "csv", table_options, key="export_chain_json")
    with k2:
        download("Präventionskette (XLSX)", "chain", "xlsx", table_options, key="export_chain_xlsx",
                 tip="Mit den Blättern „Erläuterungen“ (Regel, Zielgruppen, Reichweitenmodelle) und „Einstellungen“.")

# -------------------------------------------------------------------------------------------------- HTML
st.subheader("Interaktive Karte (HTML)")
with st.container(border=True):
    st.caption(
        "Eine einzelne Datei, die offline im Browser öffnet (z. B. per E-Mail). Sie zeigt die Statusklassen der "
        "Sozialräume"
        + (f" und {type_name(offer_type)} mit Reichweiten und Lücken (Angebotsart wie oben gewählt)."
           if offer_type else ". Für Reichweiten und Lücken oben eine Angebotsart wählen.")
    )
    html_options = ExportOptions(offer_type=offer_type, labels=labels, export_date=export_date)
    h1, h2 = st.columns(2)
    with h1:
        download(f"{KINDS['html']} herunterladen", "html", "html", html_options, key="export_html")
    with h2:
        download_sidecar("html", "html", html_options, key="export_html_json")

st.subheader("Datenschutz")
st.info(rule_text(min_inhabitants(result)), icon=":material/shield:")
