"""Übersicht, the landing page: data state, key figures, the combined gap map and the five largest gaps."""

from __future__ import annotations

import numpy as np
import streamlit as st

from app_pages import _map
from app_pages import _shared as ui
from geo import settings
from geo.analysis import column
from geo.analysis.protect import HIDDEN, protect_gaps, protected_totals
from geo.formatting import format_distance, format_number

#: Number of gaps listed beside the map.
TOP_GAPS = 5


def _left_out(n: int) -> str:
    """The note of a total that leaves out districts with suppressed values (empty when none is left out)."""
    if not n:
        return ""
    which = "1 Sozialraum, dessen Wert" if n == 1 else f"{n} Sozialräume, deren Werte"
    return f" (ohne {which} aus Datenschutzgründen nicht ausgewiesen {'wird' if n == 1 else 'werden'})"


def overview() -> None:
    """Landing page: data state, key figures and the need × reach map."""
    st.title("Präventionsatlas")
    st.markdown(
        "Wo fehlen in sozial benachteiligten Sozialräumen **Familienbüros**, **Familiengrundschulzentren** "
        "und **Lotsendienste in Geburtskliniken**? Bedarf nach dem Statusindex (Monitoring Soziale "
        "Stadtentwicklung), Reichweite je Angebotsart für ihre Zielgruppe (Methodik)."
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
            ui.md(f"{p.short} in Sozialräumen mit hohem Bedarf"), format_number(in_need.value), border=True,
            help=ui.md(f"{p.description} in Sozialräumen mit Statusklasse „Status niedrig“ oder „Status sehr "
                       "niedrig“." + _left_out(in_need.left_out)),
        )
        share_text = ui.pct(in_need.value / total.value) if total.value else "–"
        st.caption(
            f"{share_text} aller {format_number(total.value)} {ui.md(p.plural)} · {districts_in_need} von "
            f"{districts} Sozialräumen haben hohen Bedarf" + _left_out(total.left_out)
        )
    for col, t in zip(cols[1:], result.offer_types, strict=True):
        share, reached = totals[column("share_in_need_reached", t)], totals[column("in_need_reached", t)]
        target, model = result.targets.get(t, p), result.reach_models.get(t)
        how = model.description if model is not None else f"Luftlinie, {format_distance(result.radii[t])}"
        with col:
            st.metric(
                ui.md(dataset.type_labels(t).short), ui.pct(share.value) if np.isfinite(share.value) else "–",
                border=True,
                help=ui.md(f"Anteil {target.genitive} in Sozialräumen mit hohem Bedarf, die ein Angebot in "
                           f"Reichweite haben ({how})." + _left_out(share.left_out)),
            )
            n_gaps = int(totals[column("gap_districts", t)].value)
            st.caption(
                f"{ui.md(target.plural)} in Sozialräumen mit hohem Bedarf in Reichweite ({ui.md(how)}): "
                f"{format_number(reached.value)} · "
                f"{n_gaps} {'Versorgungslücke' if n_gaps == 1 else 'Versorgungslücken'}" + _left_out(reached.left_out)
            )

    st.subheader("Bedarf und Versorgungslücken")
    types = result.offer_types
    choices = _map.gap_choices(types)
    left, right = st.columns([2, 1])
    with left:
        gap_type = st.selectbox(
            "Versorgungslücken markieren für", choices, format_func=_map.gap_label(dataset),
            **ui.remember("overview_gap_type", choices[0], options=choices),
        )
    with right:
        labels = st.toggle("Sozialraumnamen zeigen", **ui.remember("overview_labels", True))
    map_col, list_col = st.columns([5, 2])
    with map_col:
        with ui.shows_data_errors():
            m = _map.need_map(
                result, dataset, params, gap_type=gap_type, labels=labels,
                tiles=ui.remembered("karte_tiles", "none"),
            )
        _map.show_map(m, key="overview_map", height=580)
    with list_col:
        _top_gaps(result, dataset)
    st.caption(
        "Flächenfarbe: Statusklasse des Sozialraums (dunkler = mehr Bedarf). Schraffiert mit gestricheltem Rand: "
        f"Versorgungslücke – ein Sozialraum mit hohem Bedarf, in dem weniger als {ui.pct(result.max_share_in_reach)} "
        "der Zielgruppe einer Angebotsart (z. B. Kinder von 6 bis unter 10 Jahren beim FGZ) ein Angebot in Reichweite "
        "haben; die Zahl im Kreis nennt, für wie viele Angebotsarten. "
        "Fahren Sie mit der Maus über einen Sozialraum für seine Zahlen; ein Klick öffnet seinen Steckbrief."
    )


def _top_gaps(result, dataset) -> None:
    """The :data:`TOP_GAPS` largest gaps across all offer types, each a link to its district's Steckbrief.

    Largest = most people without an offer in reach (the order of ``result.gaps``); protected counts stay
    protected (``"< 3"``, ``"•"``, as in the exported gap table).
    """
    st.markdown("**Die größten Versorgungslücken**")
    gaps = protect_gaps(result.gaps)
    top = gaps[gaps["is_gap"]].head(TOP_GAPS)
    if not len(top):
        st.caption("Keine Versorgungslücke: In jedem Sozialraum mit hohem Bedarf hat mindestens der vorgegebene "
                   f"Anteil {ui.md(result.population.genitive)} ein Angebot in Reichweite.")
        return
    p = result.population
    for i, (_, row) in enumerate(top.iterrows(), start=1):
        kind = dataset.type_labels(row["offer_type"]).short
        without, target = row["without_reach"], result.targets.get(row["offer_type"], p)
        count = "" if without == HIDDEN else f" · {format_number(without)} {target.plural} ohne Angebot in Reichweite"
        label = ui.md(f"{i}. {row[settings.DISTRICT_NAME]} – {kind}{count}")
        st.page_link(
            _map.PROFILE_PAGE, label=label, query_params={_map.PROFILE_PARAM: str(row[settings.DISTRICT_ID])},
            help=ui.md(f"Steckbrief öffnen: {row['reason']}"),
        )
    st.page_link(
        "app_pages/2_Analyse.py", label="Alle Sozialräume mit hohem Bedarf und Begründungen",
        icon=":material/arrow_forward:",
    )

overview()
