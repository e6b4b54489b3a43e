"""Analyse: the ranked gaps with their reasons (filterable, sortable), all districts, the Präventionskette."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import _chain
from app_pages import _shared as ui
from geo import settings
from geo.analysis.history import CityHistory
from geo.analysis.protect import protect_gaps, protected_sum
from geo.analysis.schools import primary_schools
from geo.formatting import format_distance, format_number
from geo.render.school_tables import school_signal_table
from geo.render.tables import protected_district_table, result_columns, screen_table
from geo.render.trend_tables import with_trend

st.title("Analyse")
dataset, params = ui.current()
with ui.shows_data_errors():
    result = ui.analysis(dataset, params)
ui.population_note(result)
p = result.population

types = result.offer_types
short = {t: str(dataset.offer_types.at[t, "short"]) for t in types}
d = result.districts
area_of = (
    d.set_index(settings.DISTRICT_ID)[settings.AREA_NAME].astype(str)
    if settings.AREA_NAME in d.columns else pd.Series(dtype=str)
)
areas = sorted(set(area_of))

st.subheader("Versorgungslücken nach Dringlichkeit")
st.markdown(
    "Sozialräume mit hohem Bedarf (**Status niedrig** oder **sehr niedrig**), je Angebotsart. Eine "
    f"**Versorgungslücke** liegt vor, wenn weniger als {ui.pct(result.max_share_in_reach)} {ui.md(p.genitive)} im "
    "Sozialraum ein Angebot in Reichweite haben. Rangfolge: zuerst die Versorgungslücken, dann nach der Zahl "
    f"{ui.md(p.genitive)} ohne Angebot in Reichweite. Spaltenköpfe anklicken sortiert."
)
with st.container(border=True):
    c1, c2, c3 = st.columns([3, 2, 3])
    chosen_types = c1.multiselect(
        "Angebotsart", types, format_func=short.get, placeholder="Angebotsart wählen",
        **ui.remember("analyse_types", list(types), options=types),
    )
    only_gaps = c2.radio(
        "Zeigen", [True, False],
        format_func=lambda v: "nur Versorgungslücken" if v else "alle Sozialräume mit hohem Bedarf",
        **ui.remember("analyse_only_gaps", True, options=[True, False]),
    )
    chosen_areas = c3.multiselect(
        "Stadtbezirk", areas, placeholder="alle Stadtbezirke", **ui.remember("analyse_areas", [], options=areas),
    )

gaps = protect_gaps(result.gaps)  # "< 3" and "•" exactly where the exported gap table has them
gaps.insert(0, "rank", range(1, len(gaps) + 1))
gaps["area"] = gaps[settings.DISTRICT_ID].map(area_of)
keep = gaps["offer_type"].isin(chosen_types)
if only_gaps:
    keep &= gaps["is_gap"]
if chosen_areas:
    keep &= gaps["area"].isin(chosen_areas)
shown = gaps[keep]
without = f"{p.plural} ohne Angebot in Reichweite"


def numbers(values: pd.Series, rounded) -> pd.Series:
    """Protected values with the numbers rounded for the grid; the codes "< 3" and "•" stay."""
    return values.map(lambda v: v if isinstance(v, str) else rounded(float(v))).astype(object)


table = screen_table(pd.DataFrame(
    {
        "Rang": shown["rank"],
        "Sozialraum": shown[settings.DISTRICT_NAME],
        "Angebotsart": shown["offer_type"].map(short),
        without: numbers(shown["without_reach"], round),
        "In Reichweite (%)": numbers(shown["share_in_reach"], lambda v: round(100 * v)),
        "Begründung": shown["reason"],
        "Statusklasse": shown["status_class"],
        "Stadtbezirk": shown["area"],
        "Sozialraum-Nr.": shown[settings.DISTRICT_ID],
        p.heading: numbers(shown["population"], round),
        "Medianweg (m)": numbers(shown["median_distance_m"], lambda v: round(v, -1)),
        "Angebote im Sozialraum": shown["offers_inside"],
        "Versorgungslücke": shown["is_gap"],
    }
))
n_gaps = int(shown["is_gap"].sum())
in_gaps = protected_sum(shown.loc[shown["is_gap"], "without_reach"])  # rule 6: codes left out
left_out = (f" (ohne {in_gaps.left_out} {'Zeile' if in_gaps.left_out == 1 else 'Zeilen'} mit geschützter Zahl)"
            if in_gaps.left_out else "")
st.markdown(
    f"**{len(table)}** Zeilen · **{n_gaps}** Versorgungslücken · "
    f"**{format_number(in_gaps.value)}** {ui.md(p.plural)} in Versorgungslücken ohne Angebot in Reichweite{left_out}"
)
ui.stamp(dataset)
st.caption(f"„< 3“ = 1 oder 2 {ui.md(p.plural)}; leere Zellen und „•“: aus Datenschutzgründen nicht ausgewiesen.")
ui.need_note(result)
if table.empty:
    st.info("Keine Zeilen für diese Auswahl." + (" Es gibt hier keine Versorgungslücken." if only_gaps else ""))
else:
    ui.table(
        table,
        hide_index=True,
        key="analyse_gaps",
        column_config={
            "Rang": st.column_config.NumberColumn(width="small"),
            **({"In Reichweite (%)": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f %%")}
               if pd.api.types.is_numeric_dtype(table["In Reichweite (%)"]) else {}),
            "Medianweg (m)": st.column_config.NumberColumn(
                help=ui.md(f"Die Hälfte {p.genitive} wohnt weiter als dieser Weg (Luftlinie).")
            ) if pd.api.types.is_numeric_dtype(table["Medianweg (m)"]) else st.column_config.TextColumn(
                help=ui.md(f"Die Hälfte {p.genitive} wohnt weiter als dieser Weg (Luftlinie).")
            ),
            "Versorgungslücke": st.column_config.CheckboxColumn(width="small"),
            "Begründung": st.column_config.TextColumn(width="large"),
        },
    )

st.subheader("Alle Sozialräume")
st.markdown(
    "Indikatoren, Statusindex und Reichweite je Angebotsart für jeden Sozialraum "
    f"({result.year}; Reichweiten: "
    + ", ".join(f"{ui.md(short[t])} {format_distance(result.radii[t])}" for t in types)
    + ")."
)
districts = screen_table(protected_district_table(
    result, offer_types=dataset.offer_types, indicator_definitions=dataset.indicator_definitions
))
# Schools: the Schulsozialindex of the district's Grundschulen as a second need signal (where any are stored).
signal = school_signal_table(primary_schools(dataset), result)
if signal["Grundschulen"].sum():
    districts = districts.merge(signal.drop(columns=["Sozialraum", "Status des Sozialraums"]), on="Sozialraum-Nr.",
                                how="left")
# Trend arrows of the status indicators over the Dynamik period (base year → analysis year), each behind its column.
trend_help: dict[str, str] = {}
period = result.dynamics.base_year if result.dynamics is not None else None
if period is not None:
    history = CityHistory(dataset, result)
    labels = {c.source: c.label for c in result_columns(result, offer_types=dataset.offer_types,
                                                        indicator_definitions=dataset.indicator_definitions)}
    for key in history.keys:
        districts, trend_column = with_trend(districts, history, key, period, result.year, after=labels.get(key))
        trend_help[trend_column.name] = trend_column.help
if chosen_areas:
    districts = districts[districts["Stadtbezirk"].astype(str).isin(chosen_areas)]
ui.stamp(dataset)
PROTECTION_NOTE = (
    "„< 3“ = 1 oder 2 Personen. „•“ und leere Zellen sind aus Datenschutzgründen nicht ausgewiesen (Sozialräume "
    f"unter {result.min_inhabitants} Einwohnern; Werte, aus denen sich Personenzahlen unter 3 ergäben)."
)
st.caption(PROTECTION_NOTE)
if trend_help:
    st.caption(f"Trend {period}–{result.year}: ↑ Wert gestiegen, ↓ gesunken, → unverändert (bei % in Prozentpunkten); "
               "ob das die Lage verbessert oder verschlechtert, steht in der Hilfe des Spaltenkopfs.")
ui.table(  # German numbers (1.809) whatever the browser's locale; years without a thousands point
    districts,
    hide_index=True,
    key="analyse_districts",
    column_config={
        c: st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f %%")
        for c in districts.columns if c.endswith(f"{p.in_reach} (%)")
    } | {name: st.column_config.TextColumn(help=ui.md(text)) for name, text in trend_help.items()},
)

_chain.show(dataset, result, district_ids=None if not chosen_areas else
            set(area_of[area_of.isin(chosen_areas)].index.astype(str)))
