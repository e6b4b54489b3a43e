"""Dynamik on the pages: the sidebar's Vergleichsjahr and the Methodik section "Dynamik und Gesamtindex".

The method is :mod:`geo.analysis.dynamics`; this module only chooses its period and says what it does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from app_pages import _shared as ui
from geo import Dataset, Result, settings
from geo.analysis.dynamics import (
    DYNAMIC_BOUNDS,
    DYNAMIC_CLASSES,
    KINDS,
    OVERALL_CLASSES,
    Dynamics,
    attention_rule_text,
    default_base_year,
    dynamics,
    overall_code,
)
from geo.analysis.need import NOT_CLASSIFIED, STATUS_CLASSES
from geo.formatting import format_number

#: Widget key of the sidebar's Vergleichsjahr ("pa_": "Standardwerte wiederherstellen" resets it).
BASE_YEAR_KEY = "pa_dyn_base"


def base_year_choice(container, dataset: Dataset, year: int | None) -> int | None:
    """The sidebar's "Dynamik: Vergleichsjahr" and a caption with the period; the chosen year (``None``: default).

    Shown when a year before ``year`` is stored; default :func:`~geo.analysis.dynamics.default_base_year`. The
    caption gives the period, or why there is no Dynamik index (the analysis' note).
    """
    if year is None:
        return None
    earlier = [int(y) for y in dataset.years if int(y) < int(year)]
    base_year = None
    if earlier:
        default = default_base_year(earlier, year)
        base_year = container.selectbox(
            "Dynamik: Vergleichsjahr", earlier, format_func=str,
            help="Die Dynamik ist die Veränderung der Indikatoren vom Vergleichsjahr bis zum gewählten Jahr "
                 f"(Standard: {settings.DYNAMIC_PERIOD_YEARS} Jahre zuvor, sonst das letzte frühere Jahr). "
                 "Gelieferte Dynamik-Indikatoren gelten für das gewählte Jahr.",
            **ui.remember(BASE_YEAR_KEY, default, options=earlier),
        )
    info = period_info(dataset, year, base_year)
    if info is not None:
        container.caption(caption(info))
    return None if base_year is None else int(base_year)


def period_info(dataset: Dataset, year: int, base_year: int | None) -> Dynamics | None:
    """How the Dynamik of ``year`` would be computed (period, indicators, note); ``None`` without indicators."""
    table = dataset.indicators
    if table is None or not len(table) or dataset.indicator_definitions.empty:
        return None
    ids = table.loc[table[settings.YEAR] == year, settings.DISTRICT_ID].astype(str).unique()
    if base_year is None:
        base_year = default_base_year(dataset.years, year)
    _, info = dynamics(table, ids, np.full(len(ids), NOT_CLASSIFIED, dtype=object),
                       definitions=dataset.indicator_definitions, year=int(year), base_year=base_year)
    return info


def caption(info: Dynamics) -> str:
    """"Dynamik: Zeitraum 2022–2024" (with the note when there is no Dynamik index), as Markdown."""
    if not info.computed:
        return f"Dynamik: {ui.md(info.note)}"
    supplied = " (gelieferte Dynamik-Indikatoren)" if info.ready_made and info.base_year is None else ""
    return f"Dynamik: Zeitraum {info.period}{supplied}"


def _indicator_table(result: Result, dataset: Dataset) -> pd.DataFrame:
    definitions, info = dataset.indicator_definitions, result.dynamics
    keys = list(info.weights)
    return pd.DataFrame({
        "Indikator": [str(definitions.at[k, "label"]) if k in definitions.index else k for k in keys],
        "Art": [KINDS["dynamik"] if k in info.ready_made else f"Veränderung {info.period}" for k in keys],
        "Einheit": [("Prozentpunkte" if str(definitions.at[k, "unit"]) == "%" else str(definitions.at[k, "unit"]))
                    if k in definitions.index else "" for k in keys],
        "Gewicht Dynamik": [info.weights[k] for k in keys],
    })


def _counts(result: Result) -> str:
    districts = result.districts
    classes = districts["dynamic_class"].value_counts()
    shown = ", ".join(f"{int(classes.get(c, 0))} {c}" for c in DYNAMIC_CLASSES)
    classified = int(districts["dynamic_classified"].sum())
    attention = int(districts["attention"].sum())
    return (f"Im Zeitraum {result.dynamics.period} haben {classified} von {len(districts)} Sozialräumen eine "
            f"Dynamikklasse ({shown}); {attention} sind Sozialräume mit besonderem Aufmerksamkeitsbedarf.")


def _reasons(result: Result) -> pd.DataFrame:
    """Districts without a Dynamik class, with the reason (only when the index exists)."""
    districts = result.districts
    without = districts[~districts["dynamic_classified"].astype(bool)]
    return pd.DataFrame({
        "Sozialraum-Nr.": without[settings.DISTRICT_ID].astype(str).to_numpy(),
        "Sozialraum": without["district_name"].astype(str).to_numpy(),
        "ohne Dynamikklasse, weil": without["dynamic_reason"].astype(str).to_numpy(),
    })


def methodik_section(result: Result, dataset: Dataset) -> None:
    """Methodik's section "Dynamik und Gesamtindex": the rule in force, its period, indicators and reasons."""
    n = format_number
    low, high = (n(b, 0, signed=True) for b in DYNAMIC_BOUNDS)
    info = result.dynamics
    min_inh = n(result.min_inhabitants)
    st.subheader("Dynamik und Gesamtindex")
    period = (f"Zeitraum dieser Analyse: **{info.period}** (Vergleichsjahr in der Seitenleiste wählbar)."
              if info is not None and info.computed else
              f"In dieser Analyse gibt es keinen Dynamikindex: {ui.md(info.note if info else '')}")
    st.markdown(
        f"""
Die **Dynamik** zeigt, wo sich die Lage verändert – nach dem Verfahren des Berliner *Monitoring Soziale
Stadtentwicklung* (MSS), das jede Statusklasse mit einer Dynamikklasse zum **Gesamtindex** verbindet. {period}

1. **Dynamik-Indikatoren:** je Indikator mit Haken „im Dynamikindex“ (Seite **Indikatoren**) die Veränderung
   Wert im gewählten Jahr − Wert im Vergleichsjahr, bei Indikatoren in % in **Prozentpunkten**. Standard ist ein
   Zeitraum von {settings.DYNAMIC_PERIOD_YEARS} Jahren, sonst das letzte frühere gespeicherte Jahr.
   **Gelieferte Veränderungen:** Eine Spalte der Art *{KINDS["dynamik"]}* enthält die Veränderung schon
   (z. B. „Veränderung SGB-II-Quote 2022–2024“, auch negative Werte). Sie wird aus den Zeilen des gewählten
   Jahres gelesen, braucht kein zweites Jahr und geht nie in den Statusindex ein. Liefert eine Datei solche
   Spalten, gehen ihre Status-Indikatoren nicht zusätzlich in den Dynamikindex ein.
2. **Dynamikindex:** jede Veränderung wird z-standardisiert – über die Sozialräume mit mindestens {min_inh}
   Einwohnern in beiden Jahren und Werten für alle Dynamik-Indikatoren, mit der Standardabweichung der
   Grundgesamtheit –, nach ihrer Richtung ausgerichtet (positiv = die Lage verschlechtert sich, z. B. die
   SGB-II-Quote steigt), gewichtet summiert und die Summe noch einmal z-standardisiert.
3. **Dynamikklassen:** *positiv* (Lage verbessert sich) unter {low}, *stabil* von {low} bis {high}, *negativ*
   (Lage verschlechtert sich) über {high}.
4. **Gesamtindex:** Statusklasse × Dynamikklasse, zwölf Kombinationen wie „Status mittel, Dynamik negativ“, mit
   dem Code des MSS (Status 1 hoch … 4 sehr niedrig; Dynamik + positiv, +/− stabil, − negativ), z. B. „2 −“.
5. **Sozialräume mit besonderem Aufmerksamkeitsbedarf:** {ui.md(attention_rule_text())}.
6. **Ohne Dynamikklasse** bleibt ein Sozialraum mit weniger als {min_inh} Einwohnern (in einem der beiden Jahre)
   oder ohne gültigen Wert eines Dynamik-Indikators in einem der beiden Jahre – mit dem Grund („kein Wert 2022:
   SGB-II-Quote …“) in den Tabellen und Exporten (Spalte „Dynamik: ohne Klasse, weil“).
"""
    )
    if info is None or not info.computed:
        return
    st.markdown(ui.md(_counts(result)))
    ui.table(_indicator_table(result, dataset), hide_index=True, key="meth_dyn_indicators")
    codes = pd.DataFrame([{"Gesamtindex": label, "Code": code} for label, code in _codes()])
    with st.expander("Die zwölf Kombinationen des Gesamtindex"):
        ui.table(codes, hide_index=True, key="meth_dyn_codes")
    reasons = _reasons(result)
    if len(reasons):
        with st.expander(f"{len(reasons)} Sozialräume ohne Dynamikklasse und warum"):
            ui.table(reasons, hide_index=True, key="meth_dyn_reasons")


def _codes() -> list[tuple[str, str]]:
    pairs = [(s, d) for s in STATUS_CLASSES for d in DYNAMIC_CLASSES]
    return [(label, overall_code(s, d)) for label, (s, d) in zip(OVERALL_CLASSES, pairs, strict=True)]
