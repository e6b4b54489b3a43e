"""Grundschulen: the primary schools by Schulsozialindex – burdened schools without FGZ, the signal per district."""

from __future__ import annotations

import streamlit as st

from app_pages import _shared as ui
from geo import settings
from geo.analysis.schools import SCHOOL_TYPE, primary_schools
from geo.formatting import format_number
from geo.render.school_tables import school_list, school_signal_table
from geo.render.tables import german_csv_bytes

#: Where the Sozialindex list comes from (quoted wherever it is shown).
SOURCE = ("Schulsozialindex: Schuldaten © IT.NRW / Ministerium für Schule und Bildung NRW, Datenlizenz Deutschland – "
          "Namensnennung – 2.0 (bzw. die hochgeladene Liste der Stadt).")

st.title("Grundschulen")
dataset, params = ui.current()
with ui.shows_data_errors():
    result = ui.analysis(dataset, params)
st.markdown(
    "Der **Schulsozialindex** ist das Maß des Landes NRW für die Belastung einer Schule durch die soziale Lage "
    "ihrer Schülerschaft: Stufe **1** (gering) bis **9** (sehr hoch), berechnet aus Kinderarmut, Anteil mit "
    "nichtdeutscher Familiensprache, Zuzug aus dem Ausland und Förderbedarf im Einzugsbereich. Das Land richtet "
    "Stellen und Programme danach aus; auch die Förderung von **Familiengrundschulzentren (FGZ)** und das "
    "**Startchancen-Programm** schauen darauf. Hier dient er als zweites Bedarfssignal neben dem Statusindex "
    "der Sozialräume."
)
with ui.shows_data_errors():
    schools = primary_schools(dataset)
school_label = dataset.type_labels(SCHOOL_TYPE).plural
if not len(schools):
    st.info(
        f"Es sind noch keine **{ui.md(school_label)}** gespeichert. Laden Sie auf der Seite **Daten** die "
        "NRW-Schuldatei (`schuldaten_….csv`) als Angebotsstandorte hoch und wählen Sie als Angebotsart "
        "„Grundschule“; danach die Liste des Schulsozialindex (Dateiart „Schulsozialindex“).",
        icon=":material/school:",
    )
    st.stop()
with_index = int(schools[settings.SOZIALINDEX].notna().sum())
if not with_index:
    st.info(
        f"Für die {format_number(len(schools))} gespeicherten {ui.md(school_label)} liegt noch kein "
        "**Schulsozialindex** vor. Laden Sie auf der Seite **Daten** die Liste des Landes "
        "(`schulen_sozialindex_….csv`) oder eine eigene Liste `Schulnummer;Sozialindex` hoch (Dateiart "
        "„Schulsozialindex“); zugeordnet wird über die Schulnummer.",
        icon=":material/school:",
    )
    st.stop()

threshold = st.select_slider(
    "Sozialindex ab", options=list(range(1, 10)),
    help="Grundschulen mit mindestens dieser Stufe gelten hier als stark belastet (Voreinstellung: "
         f"{settings.SOZIALINDEX_HIGH}).",
    **ui.remember("schulen_threshold", settings.SOZIALINDEX_HIGH, options=list(range(1, 10))),
)
table = school_list(schools, result, threshold)
high = int((schools[settings.SOZIALINDEX] >= threshold).sum())
cols = st.columns(4)
cols[0].metric(ui.md(school_label), format_number(len(schools)))
cols[1].metric("mit Sozialindex", format_number(with_index))
cols[2].metric(f"Sozialindex ≥ {threshold}", format_number(high))
cols[3].metric("davon ohne FGZ", format_number(len(table)))
if with_index < len(schools):
    st.caption(f"{format_number(len(schools) - with_index)} {ui.md(school_label)} stehen nicht in der "
               "Sozialindex-Liste (ohne Index); sie fehlen in dieser Auswahl.")

st.subheader(f"Grundschulen mit Sozialindex ≥ {threshold} ohne FGZ")
ui.stamp(dataset)
if table.empty:
    st.success(f"Jede Grundschule mit Sozialindex ≥ {threshold} hat ein FGZ.", icon=":material/check_circle:")
else:
    ui.table(table, hide_index=True, width="stretch", key="schulen_list")
    st.download_button(
        "Liste als CSV (Excel)", german_csv_bytes(table), file_name=f"grundschulen_sozialindex_ab_{threshold}.csv",
        mime="text/csv", icon=":material/download:", on_click="ignore", key="schulen_csv",
    )
st.caption("Nächstes FGZ = Luftlinie zum nächsten Familiengrundschulzentrum. Eine Grundschule hat ein FGZ, wenn "
           "ein FGZ unter ihrer Schulnummer gespeichert ist oder höchstens "
           f"{format_number(settings.HOST_MATCH_M)} m von ihr entfernt liegt. {ui.md(SOURCE)}")

st.subheader("Je Sozialraum")
st.markdown("Zahl der Grundschulen, höchster und mittlerer Schulsozialindex und die Zahl der Schulen ab der "
            "gewählten Stufe – neben der Statusklasse des Sozialraums.")
ui.table(school_signal_table(schools, result, threshold), hide_index=True, width="stretch",
         key="schulen_districts")
