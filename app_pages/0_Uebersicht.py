"""Übersicht, the landing page: data state, key figures and the need × reach map."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from app_pages import _shared as ui
from geo import settings
from geo.analysis import column
from geo.formatting import format_distance, format_number
from geo.render.web.leaflet import need_map


def overview() -> None:
    """Landing page: data state, key figures and the need × reach map."""
    st.title("Präventionsatlas")
    st.markdown(
        "Wo fehlen in sozial benachteiligten Sozialräumen **Familienbüros**, **Familiengrundschulzentren** "
        "und **Lotsendienste in Geburtskliniken**? Bedarf nach dem Statusindex (Monitoring Soziale "
        "Stadtentwicklung), Reichweite als Luftlinie um jedes Angebot."
    )
    dataset, params = ui.current()
    with ui.shows_data_errors():
        result = ui.analysis(dataset, params)
    ui.stamp(dataset)
    ui.need_note(result)
    with st.container(border=True):
        ui.data_state(dataset, result)

    kf = result.key_figures
    st.subheader(f"Kennzahlen {result.year}")
    children, in_need = kf["children"], kf["children_in_need"]
    cols = st.columns(1 + len(result.offer_types))
    with cols[0]:
        st.metric(
            "Kinder mit Bedarf", format_number(in_need), border=True,
            help="Kinder von 0 bis 17 Jahren in Bezirken mit Statusklasse „Status niedrig“ oder „Status sehr "
            "niedrig“.",
        )
        share = ui.pct(in_need / children) if children else "–"
        st.caption(
            f"{share} aller {format_number(children)} Kinder · {kf['districts_in_need']} von "
            f"{kf['districts']} Bezirken haben Bedarf"
        )
    for col, t in zip(cols[1:], result.offer_types, strict=True):
        reached = kf[column("children_in_need_reached", t)]
        radius = format_distance(result.radii[t])
        with col:
            st.metric(
                ui.md(dataset.type_labels(t).short), ui.pct(reached / in_need) if in_need else "–", border=True,
                help=f"Anteil der Kinder mit Bedarf, die höchstens {radius} (Luftlinie) vom nächsten Angebot "
                "entfernt wohnen.",
            )
            gaps = kf[column("gap_districts", t)]
            st.caption(
                f"der Kinder mit Bedarf in Reichweite ({radius}): {format_number(reached)} · "
                f"{gaps} {'Versorgungslücke' if gaps == 1 else 'Versorgungslücken'}"
            )

    st.subheader("Bedarf und Reichweite")
    left, right = st.columns([2, 1])
    types = result.offer_types
    default_gap = ui.default_gap_type(result)
    with left:
        gap_type = st.selectbox(
            "Versorgungslücken markieren für", [None, *types],
            format_func=lambda t: "keine" if t is None else dataset.type_labels(t).plural,
            **ui.remember("overview_gap_type", default_gap, options=[None, *types]),
        )
    with right:
        labels = st.toggle("Bezirksnamen zeigen", **ui.remember("overview_labels", True))
    with ui.shows_data_errors():
        m = need_map(
            result, dataset, gap_type=gap_type, labels=labels, tiles=ui.remembered("karte_tiles", "none"),
        )
    st_folium(m, key="overview_map", height=580, use_container_width=True, returned_objects=[])
    st.caption(
        "Flächenfarbe: Statusklasse des Sozialraums (dunkler = mehr Bedarf). Gestrichelter Rand: Bezirk mit "
        f"Bedarf, in dem weniger als {ui.pct(result.max_share_in_reach)} der Kinder ein Angebot in Reichweite "
        "haben. Fahren Sie mit der Maus über einen Bezirk für seine Zahlen."
    )

    top = result.gaps[result.gaps["is_gap"]].head(5)
    if len(top):
        st.subheader("Die größten Versorgungslücken")
        ui.stamp(dataset)
        lines = []
        for i, (_, row) in enumerate(top.iterrows(), start=1):
            kind = dataset.offer_types.at[row["offer_type"], "short"]
            lines.append(
                f"{i}. **{ui.md(row[settings.DISTRICT_NAME])}** – {ui.md(kind)}: "
                f"{format_number(row['children_without_reach'])} Kinder ohne Angebot in Reichweite. "
                f"{ui.md(row['reason'])}."
            )
        st.markdown("\n".join(lines))
        st.page_link(
            "app_pages/2_Analyse.py", label="Alle Bezirke mit Bedarf und Begründungen", icon=":material/arrow_forward:"
        )


overview()
