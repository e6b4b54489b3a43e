"""Steckbrief: one district's key figures, Dynamik, indicators and time series, reach, offers, PDF.

Opened with the query parameter ``sozialraum=<Sozialraum-Nr.>`` (e.g. from the map or the top-5 list of the
Übersicht); without it, or with an unknown number, the page shows the chooser.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import quote

import altair as alt
import pandas as pd
import streamlit as st

from app_pages import _shared as ui
from geo import settings
from geo.analysis.history import History, chart_frame
from geo.analysis.profile import Common, Profile, Section, Table, district_profile
from geo.export import ExportOptions, export, file_name, mime_type
from geo.render.palette import NO_CLASS_COLOR, STATUS_COLORS

PARAM = "sozialraum"
KEY = "steckbrief_sozialraum"


def _choose() -> None:
    """Keep the address in step with the chooser, so the page can be bookmarked and shared."""
    value = st.session_state.get(KEY)
    if value is None:
        st.query_params.pop(PARAM, None)
    else:
        st.query_params[PARAM] = value


def chooser(names: dict[str, str]) -> str | None:
    """The district chooser ("Nr. – Name"); the query parameter, when it names a district, preselects it."""
    wanted = st.query_params.get(PARAM)
    if wanted is not None:
        wanted = wanted.strip()
        if wanted in names:
            st.session_state[KEY] = wanted
        else:
            st.warning(f"Einen Sozialraum mit der Sozialraum-Nr. „{ui.md(wanted)}“ gibt es in diesen Daten nicht. "
                       "Bitte wählen Sie einen Sozialraum aus der Liste.", icon=":material/search_off:")
            st.session_state[KEY] = None
    elif st.session_state.get(KEY) not in names:
        st.session_state[KEY] = None
    return st.selectbox(
        "Sozialraum", sorted(names), key=KEY, on_change=_choose,
        format_func=lambda i: f"{i} – {names[i]}", placeholder="Sozialraum wählen (Nummer oder Name eintippen)",
        help="Der Steckbrief fasst für einen Sozialraum Kennzahlen, Indikatoren, Reichweite und Angebote zusammen.",
    )


def _swatch(colour: str) -> str:
    """A small square in the status colour of the maps, as a Markdown image (the class is also written out)."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="14" height="14"><rect width="14" height="14" '
           f'rx="2" fill="{colour}" stroke="#555555"/></svg>')
    return f"![Farbe der Statusklasse](data:image/svg+xml;utf8,{quote(svg)})"


def header(profile: Profile) -> None:
    """Name, Sozialraum-Nr., Stadtbezirk and the status class with its map colour and in words."""
    st.subheader(ui.md(profile.name))
    facts = [f"Sozialraum-Nr. {ui.md(profile.district_id)}"]
    if profile.area:
        facts.append(f"Stadtbezirk {ui.md(profile.area)}")
    facts.append(f"Indikatorjahr {profile.year}")
    st.markdown(" · ".join(facts))
    colour = STATUS_COLORS.get(profile.status_class, NO_CLASS_COLOR)
    need = " – Sozialraum mit hohem Bedarf" if profile.in_need else ""
    st.markdown(f"{_swatch(colour)} **{ui.md(profile.status_class)}**{need} · Statusindex "
                f"{ui.md(profile.status_index)}")


def _frame(table: Table) -> pd.DataFrame:
    """A profile table for st.table, every cell and header escaped (st.table renders Markdown)."""
    columns = [ui.md(c) for c in table.columns]
    return pd.DataFrame([[ui.md(c) for c in row] for row in table.rows], columns=columns)


def show_table(table: Table) -> None:
    """One table of a section (its caption above, the empty text when it has no rows)."""
    if table.caption:
        st.markdown(f"**{ui.md(table.caption)}**")
    if not table.rows:
        st.caption(ui.md(table.empty))
        return
    st.table(_frame(table), hide_index=True)


def show_facts(section: Section) -> None:
    """Label/value pairs as a two-column list, in two halves side by side."""
    for table in section.tables:
        half = (len(table.rows) + 1) // 2
        for col, rows in zip(st.columns(2), (table.rows[:half], table.rows[half:]), strict=True):
            if rows:
                col.table(_frame(replace(table, rows=rows)), hide_index=True, hide_header=True)


def show_generic(section: Section) -> None:
    """Any section: its tables one below the other."""
    for table in section.tables:
        show_table(table)


#: Vega-Lite number format of German text (1.234,5), for axes and tooltips of the charts.
GERMAN_LOCALE = {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["", "\u00a0€"],
                 "minus": "\u2212"}


def series_chart(frame: pd.DataFrame, title: str, decimals: int) -> alt.Chart:
    """Line chart of a time series (:func:`geo.analysis.history.chart_frame`): the district dark, the city grey.

    All text reaches Vega as data or titles (drawn as text, never markup); numbers German.
    """
    present = set(frame["Reihe"])
    rows = [r for r in ("Sozialraum", "Stadtdurchschnitt", "Ø Sozialräume") if r in present]
    dashes = {"Sozialraum": [1, 0]}
    number = f",.{decimals}f"
    return alt.Chart(frame).mark_line(point=True, strokeWidth=2.5).encode(
        x=alt.X("Jahr:O", title="Jahr", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("Wert:Q", title=title, scale=alt.Scale(zero=False), axis=alt.Axis(format=number)),
        color=alt.Color("Reihe:N", title=None, sort=rows, legend=alt.Legend(orient="bottom"),
                        scale=alt.Scale(domain=rows, range=["#1f4e79" if r == "Sozialraum" else "#8c8c8c"
                                                            for r in rows])),
        strokeDash=alt.StrokeDash("Reihe:N", sort=rows, legend=None,
                                  scale=alt.Scale(domain=rows, range=[dashes.get(r, [5, 3]) for r in rows])),
        tooltip=[alt.Tooltip("Jahr:O"), alt.Tooltip("Reihe:N", title="Reihe"),
                 alt.Tooltip("Wert:Q", title="Wert", format=number)],
    ).properties(height=260).configure(locale={"number": GERMAN_LOCALE})


def show_series(section: Section, history: History) -> None:
    """The time series: an indicator chooser, its chart (district and city average) and its table by year."""
    tables = dict(zip((s.key for s in history.series), section.tables, strict=True))
    keys = list(tables)
    default = keys[1] if len(keys) > 1 and keys[0] == "status_index" else keys[0]
    key = st.selectbox("Zeitreihe von", keys, format_func=lambda k: tables[k].caption,
                       **ui.remember("steckbrief_reihe", default, options=keys),
                       help="Alle gespeicherten Jahre; der Stadtdurchschnitt steht daneben.")
    series, table = history.get(key), tables[key]
    frame = chart_frame(series)
    mine = frame[frame["Reihe"] == "Sozialraum"]
    decimals = 2 if key == "status_index" else 0 if series.is_count else 1
    if len(mine):  # the axis says the unit; the caption below names the indicator
        unit = "Statusindex" if key == "status_index" else series.unit or "Wert"
        st.altair_chart(series_chart(frame, unit, decimals), width="stretch")
    years = f"{history.years[0]}–{history.years[-1]}"
    hidden = " Die Werte dieses Sozialraums sind aus Datenschutzgründen nicht ausgewiesen (•)." if (
        any(series.codes) and not len(mine)) else ""
    st.caption(f"Zeitreihe {ui.md(table.caption)}, {years}: dieser Sozialraum"
               + ("" if key == "status_index" else " und der Stadtdurchschnitt") + f".{hidden}")
    show_table(replace(table, caption=""))


#: Section kind → how it is drawn; a kind not listed is drawn as tables.
RENDERERS = {"facts": show_facts, "table": show_generic}


def show_section(section: Section, history: History | None = None) -> None:
    """Heading, content (by kind) and note of one section; a time series needs the district's ``history``."""
    st.markdown(f"#### {ui.md(section.title)}")
    if section.kind == "series" and section.tables and history is not None:
        show_series(section, history)
    else:
        RENDERERS.get(section.kind, show_generic)(section)
    if section.note:
        st.caption(ui.md(section.note))


def steckbrief() -> None:
    """The page."""
    st.title("Steckbrief")
    dataset, params = ui.current()
    with ui.shows_data_errors():
        result = ui.analysis(dataset, params)
    d = result.districts
    names = dict(zip(d[settings.DISTRICT_ID].astype(str).str.strip(), d[settings.DISTRICT_NAME].astype(str),
                     strict=True))
    chosen = chooser(names)
    ui.stamp(dataset)
    if chosen is None:
        st.info("Wählen Sie oben einen Sozialraum. Auf den Seiten „Übersicht“ und „Karte“ öffnet ein Klick auf "
                "einen Sozialraum seinen Steckbrief.", icon=":material/info:")
        return
    common = Common(dataset, result)
    with ui.shows_data_errors():
        profile = district_profile(dataset, result, chosen, common=common)
    ui.population_note(result)
    header(profile)
    options = ExportOptions(district=profile.district_id)
    st.download_button(
        "Steckbrief als PDF herunterladen (A4, eine Seite)",
        data=lambda: export("profile", "pdf", dataset, result, options),
        file_name=file_name("profile", "pdf", result, options), mime=mime_type("pdf"), key="steckbrief_pdf",
        type="primary", icon=":material/download:", on_click="ignore",
        help="Mit Übersichtskarte, allen Abschnitten, Datenquelle, Datenstand und Exportdatum.",
    )
    history = common.history.district(profile.district_id)
    for section in profile.sections:
        show_section(section, history)
    links = st.columns(3)
    links[0].page_link("app_pages/1_Karte.py", label="Zur Karte", icon=":material/map:")
    links[1].page_link("app_pages/0_Uebersicht.py", label="Zur Übersicht", icon=":material/home:")
    links[2].page_link("app_pages/5_Export.py", label="Steckbriefe aller Sozialräume", icon=":material/download:")


steckbrief()
