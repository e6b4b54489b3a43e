"""Übersicht, the landing page: data state, key figures and the need × reach map."""

from __future__ import annotations

import numpy as np
import streamlit as st
from streamlit_folium import st_folium

from app_pages import _shared as ui
from geo import settings
from geo.analysis import column
from geo.analysis.protect import HIDDEN, protect_gaps, protected_totals
from geo.formatting import format_distance, format_number
from geo.render.web.leaflet import need_map


def _left_out(n: int) -> str:
    """The note of a total that leaves out districts with suppressed values (empty when none is left out)."""
    if not n:
        return ""
    return (f" (ohne {n} {'Bezirk' if n == 1 else 'Bezirke'}, deren Wert aus Datenschutzgründen nicht "
            "ausgewiesen wird)")


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
    ui.types_without_offers_note(dataset)
    ui.population_note(result)

    # Sums and shares over the districts whose values are shown, as on the report cover (protect, rule 6).
    totals = protected_totals(result)
    p = result.population
    st.subheader(f"Kennzahlen {result.year}")
    total, in_need = totals["population"], totals["population_in_need"]
    districts, districts_in_need = int(totals["districts"].value), int(totals["districts_in_need"].value)
    cols = st.columns(1 + len(result.offer_types))
    with cols[0]:
        st.metric(
            ui.md(f"{p.short} mit Bedarf"), format_number(in_need.value), border=True,
            help=ui.md(f"{p.description} in Bezirken mit Statusklasse „Status niedrig“ oder „Status sehr "
                       "niedrig“." + _left_out(in_need.left_out)),
        )
        share_text = ui.pct(in_need.value / total.value) if total.value else "–"
        st.caption(
            f"{share_text} aller {format_number(total.value)} {ui.md(p.plural)} · {districts_in_need} von "
            f"{districts} Bezirken haben Bedarf" + _left_out(total.left_out)
        )
    for col, t in zip(cols[1:], result.offer_types, strict=True):
        share, reached = totals[column("share_in_need_reached", t)], totals[column("in_need_reached", t)]
        radius = format_distance(result.radii[t])
        with col:
            st.metric(
                ui.md(dataset.type_labels(t).short), ui.pct(share.value) if np.isfinite(share.value) else "–",
                border=True,
                help=ui.md(f"Anteil {p.genitive} mit Bedarf, die höchstens {radius} (Luftlinie) vom nächsten "
                           "Angebot entfernt wohnen." + _left_out(share.left_out)),
            )
            n_gaps = int(totals[column("gap_districts", t)].value)
            st.caption(
                f"{ui.md(p.genitive)} mit Bedarf in Reichweite ({radius}): {format_number(reached.value)} · "
                f"{n_gaps} {'Versorgungslücke' if n_gaps == 1 else 'Versorgungslücken'}" + _left_out(reached.left_out)
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
        f"Bedarf, in dem weniger als {ui.pct(result.max_share_in_reach)} {ui.md(p.genitive)} ein Angebot in "
        "Reichweite "
        "haben. Fahren Sie mit der Maus über einen Bezirk für seine Zahlen."
    )

    gaps = protect_gaps(result.gaps)  # "< 3" and "•" where the exported gap table has them
    top = gaps[gaps["is_gap"]].head(5)
    if len(top):
        st.subheader("Die größten Versorgungslücken")
        ui.stamp(dataset)
        lines = []
        for i, (_, row) in enumerate(top.iterrows(), start=1):
            kind = dataset.type_labels(row["offer_type"]).short
            without = row["without_reach"]
            count = "" if without == HIDDEN else (
                f"{ui.md(format_number(without))} {ui.md(p.plural)} ohne Angebot in Reichweite. "
            )
            lines.append(
                f"{i}. **{ui.md(row[settings.DISTRICT_NAME])}** – {ui.md(kind)}: {count}{ui.md(row['reason'])}."
            )
        st.markdown("\n".join(lines))
        st.page_link(
            "app_pages/2_Analyse.py", label="Alle Bezirke mit Bedarf und Begründungen", icon=":material/arrow_forward:"
        )


overview()
