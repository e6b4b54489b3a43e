"""Analyse: the ranked gaps with their reasons (filterable, sortable) and the table of all districts."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app_pages import _shared as ui
from geo import settings
from geo.formatting import format_distance, format_number
from geo.render.tables import protected_district_table

st.title("Analyse")
dataset, params = ui.current()
with ui.shows_data_errors():
    result = ui.analysis(dataset, params)

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
    f"Bezirke mit **Status niedrig** oder **sehr niedrig**, je Angebotsart. Eine **Versorgungslücke** liegt vor, "
    f"wenn weniger als {ui.pct(result.max_share_in_reach)} der Kinder im Bezirk ein Angebot in Reichweite haben. "
    "Rangfolge: zuerst die Lücken, dann nach der Zahl der Kinder ohne Reichweite. Spaltenköpfe anklicken sortiert."
)
with st.container(border=True):
    c1, c2, c3 = st.columns([3, 2, 3])
    chosen_types = c1.multiselect(
        "Angebotsart", types, format_func=short.get, **ui.remember("analyse_types", list(types), options=types),
    )
    only_gaps = c2.radio(
        "Zeigen", [True, False], format_func=lambda v: "nur Versorgungslücken" if v else "alle Bezirke mit Bedarf",
        **ui.remember("analyse_only_gaps", True, options=[True, False]),
    )
    chosen_areas = c3.multiselect(
        "Stadtbezirk", areas, placeholder="alle Stadtbezirke", **ui.remember("analyse_areas", [], options=areas),
    )

gaps = result.gaps.copy()
gaps.insert(0, "rank", range(1, len(gaps) + 1))
gaps["area"] = gaps[settings.DISTRICT_ID].map(area_of)
keep = gaps["offer_type"].isin(chosen_types)
if only_gaps:
    keep &= gaps["is_gap"]
if chosen_areas:
    keep &= gaps["area"].isin(chosen_areas)
shown = gaps[keep]
table = pd.DataFrame(
    {
        "Rang": shown["rank"],
        "Sozialraum": shown[settings.DISTRICT_NAME],
        "Angebotsart": shown["offer_type"].map(short),
        "Kinder ohne Reichweite": shown["children_without_reach"].astype("Int64"),
        "In Reichweite (%)": (100 * shown["share_in_reach"]).round(0),
        "Begründung": shown["reason"],
        "Statusklasse": shown["status_class"],
        "Stadtbezirk": shown["area"],
        "Nr.": shown[settings.DISTRICT_ID],
        "Kinder 0–17": shown[settings.CHILDREN].astype(int),
        "Medianweg (m)": shown["median_distance_m"].round(-1),
        "Angebote im Bezirk": shown["offers_inside"],
        "Lücke": shown["is_gap"],
    }
)
n_gaps = int(shown["is_gap"].sum())
st.markdown(
    f"**{len(table)}** Zeilen · **{n_gaps}** Versorgungslücken · "
    f"**{format_number(float(shown.loc[shown['is_gap'], 'children_without_reach'].sum()))}** Kinder in Lücken "
    "ohne Angebot in Reichweite"
)
ui.stamp(dataset)
ui.need_note(result)
if table.empty:
    st.info("Keine Zeilen für diese Auswahl." + (" Es gibt hier keine Versorgungslücken." if only_gaps else ""))
else:
    st.dataframe(
        table,
        hide_index=True,
        key="analyse_gaps",
        column_config={
            "Rang": st.column_config.NumberColumn(width="small"),
            "In Reichweite (%)": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f %%"),
            "Kinder 0–17": st.column_config.NumberColumn(format="localized"),
            "Kinder ohne Reichweite": st.column_config.NumberColumn(format="localized"),
            "Medianweg (m)": st.column_config.NumberColumn(
                format="localized", help="Die Hälfte der Kinder wohnt weiter als dieser Weg (Luftlinie)."
            ),
            "Lücke": st.column_config.CheckboxColumn(width="small"),
            "Begründung": st.column_config.TextColumn(width="large"),
        },
    )

st.subheader("Alle Bezirke")
st.markdown(
    "Indikatoren, Statusindex und Reichweite je Angebotsart für jeden Sozialraum "
    f"({result.year}; Reichweiten: "
    + ", ".join(f"{ui.md(short[t])} {format_distance(result.radii[t])}" for t in types)
    + ")."
)
districts = protected_district_table(
    result, offer_types=dataset.offer_types, indicator_definitions=dataset.indicator_definitions
)
# Protected cells: "•" (value suppressed) stays an empty cell so the column sorts as numbers;
# a column with "< 3" is shown as text, so the code stays visible.
for c in [c for c in districts.columns if districts[c].dtype == object]:
    if districts[c].isin(["< 3"]).any():
        districts[c] = districts[c].map(lambda v: format_number(v, 1) if isinstance(v, float) else str(v))
    else:
        districts[c] = pd.to_numeric(districts[c].where(districts[c] != "•"), errors="coerce")
if chosen_areas:
    districts = districts[districts["Stadtbezirk"].astype(str).isin(chosen_areas)]
ui.stamp(dataset)
st.caption("Leere Zellen sind aus Datenschutzgründen nicht ausgewiesen (Sozialräume unter "
           f"{result.min_inhabitants} Einwohnern; Werte, aus denen sich Personenzahlen unter 3 ergäben).")
st.dataframe(
    districts,
    hide_index=True,
    key="analyse_districts",
    column_config={
        **{
            c: st.column_config.NumberColumn(format="localized")
            for c in districts.columns if pd.api.types.is_numeric_dtype(districts[c])
        },
        **{
            c: st.column_config.ProgressColumn(min_value=0, max_value=100, format="%.0f %%")
            for c in districts.columns if c.endswith("Kinder in Reichweite (%)")
        },
        "Jahr": st.column_config.NumberColumn(format="%d"),
    },
)
