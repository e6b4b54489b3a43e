"""The section "Präventionskette" of the Analyse page: the Ketten-Matrix, the row text per district, the chain map."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import quote

import numpy as np
import streamlit as st

from app_pages import _map
from app_pages import _shared as ui
from geo.analysis import Result
from geo.analysis.chain import STATES, chain_matrix, most_missing_text, rule_text
from geo.dataset import Dataset
from geo.render import chain_tables as ct
from geo.render.palette import HIDDEN_COLOR, NO_CLASS_COLOR, REACH_LABELS, reach_colors
from geo.render.web import leaflet, map_data

#: Key of the sort choice and of the matrix's container (the browser test finds the grid by it).
SORT_KEY = "analyse_chain_sort"
MATRIX_KEY = "analyse_chain_matrix"
#: Rows the matrix shows before it scrolls, and the height of a row of Streamlit's grid (px).
VISIBLE_ROWS = 16
ROW_PX = 35


def _swatch(color: str, text: str) -> str:
    """A coloured square and its meaning as Markdown (an SVG image, as the Steckbrief's status colour)."""
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="12" height="12"><rect width="12" height="12" '
           f'fill="{color}" stroke="#888888"/></svg>')
    return f"![Farbe]({'data:image/svg+xml;utf8,' + quote(svg)}) {ui.md(text)}"


def legend() -> str:
    """The colours (the reach classes of the maps) and the signs of the matrix."""
    colors = reach_colors(len(REACH_LABELS))
    parts = [_swatch(c, f"{label} in Reichweite") for c, label in zip(colors, REACH_LABELS, strict=True)]
    parts += [_swatch(NO_CLASS_COLOR, "ohne Wert"), _swatch(HIDDEN_COLOR, "nicht ausgewiesen")]
    signs = " · ".join(f"{k} {v}" for k, v in STATES.items())
    return " · ".join(parts) + f"  \n{ui.md(signs)} · „{ct.GAP_MARK}“ = Versorgungslücke der Kette"


def show(dataset: Dataset, result: Result, *, district_ids: Collection[str] | None = None) -> None:
    """The section; ``district_ids`` limits the matrix to these districts (the page's Stadtbezirk filter)."""
    st.subheader("Präventionskette")
    chain = chain_matrix(result, dataset.offer_types, dataset.phases)
    st.markdown(
        "Je Sozialraum und Lebensphase der Anteil der Zielgruppe, der ein Angebot der Lebensphase in Reichweite "
        f"hat. {ui.md(rule_text(result.max_share_in_reach))}"
    )
    for note in chain.notes:
        st.caption(ui.md(note))
    if not chain.measured:
        st.info(ui.md(most_missing_text(chain)), icon=":material/info:")
        return
    st.markdown(f"**{ui.md(most_missing_text(chain))}**")

    c1, c2 = st.columns([3, 2])
    by = c1.radio("Sortieren nach", list(ct.SORTS), format_func=ct.SORTS.get, horizontal=True,
                  **ui.remember(SORT_KEY, "missing", options=list(ct.SORTS)))
    only_need = c2.toggle("nur Sozialräume mit hohem Bedarf", **ui.remember("analyse_chain_need", False))
    table = ct.matrix_table(chain, by=by)
    styles = ct.matrix_styles(chain, by=by)
    keep = table[ct.IN_NEED].to_numpy(dtype=bool, copy=True) if only_need else np.ones(len(table), dtype=bool)
    if district_ids is not None:
        keep = keep & table[ct.DISTRICT_NO].astype(str).isin(set(district_ids)).to_numpy()
    table, styles = table[keep].reset_index(drop=True), styles[keep].reset_index(drop=True)
    phases = list(ct.phase_headers(chain).values())
    n_need = int(table[ct.IN_NEED].sum())
    st.markdown(f"**{len(table)}** Sozialräume · davon **{n_need}** mit hohem Bedarf · **"
                f"{int((table[ct.MISSING_LINKS] > 0).sum())}** mit mindestens einem fehlenden Glied")
    ui.stamp(dataset)
    if table.empty:
        st.info("Keine Sozialräume für diese Auswahl.")
    else:
        styler = ui.german_numbers(table).apply(lambda _: styles, axis=None)
        st.container(key=MATRIX_KEY).dataframe(  # the container's key names it for the browser test
            styler, hide_index=True, height=ROW_PX * (min(len(table), VISIBLE_ROWS) + 1) + 3,
            column_config={
                ct.DISTRICT: st.column_config.TextColumn(pinned=True),
                ct.IN_NEED: st.column_config.CheckboxColumn(help="Status niedrig oder sehr niedrig"),
                ct.MISSING_LINKS: st.column_config.NumberColumn(
                    help="Zahl der Lebensphasen, deren Angebote die Zielgruppe nicht ausreichend erreichen (✘)"),
                **{h: st.column_config.TextColumn(width="medium") for h in phases},
                ct.ROW_TEXT: st.column_config.TextColumn(width="large"),
            },
        )
    st.caption(legend())

    st.markdown("##### Karte: fehlende Glieder je Sozialraum")
    with ui.shows_data_errors():
        m = leaflet.need_map(result, dataset, variable=map_data.CHAIN_MISSING, offer_types=[], labels=True)
    _map.show_map(m, key="analyse_chain_map", height=560)
