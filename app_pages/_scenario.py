"""The scenario in every view: the sidebar's chooser "Szenario", the data set with its offers, the banner.

The frame (:func:`app_pages._shared.prelude`) asks :func:`frame_dataset` for the data set of the page: on the pages
that show results it is the chosen scenario's (:func:`geo.analysis.scenarios.scenario_dataset`, cached like the
data set), so key figures, gaps, chain, maps, Steckbrief and exports all show it, under the banner of
:func:`banner`. The pages of :data:`REAL_DATA_PAGES` always get the real data (the *Bestand*): uploads, indicator
and offer type definitions and the history are never based on a scenario's offers.
"""

from __future__ import annotations

from typing import Final

import streamlit as st

from app_pages import _shared as ui
from geo import Dataset
from geo.analysis.scenarios import STATUS_QUO, names, scenario_dataset, scenario_text

#: Widget key of the chooser ("ws_": "Standardwerte wiederherstellen" keeps it, like the workspace).
KEY: Final[str] = "ws_scenario"
#: The chooser's value of the real data (no scenario name is empty: the store refuses it).
BESTAND: Final[str] = ""
#: Page titles (:data:`app_pages._shared.PAGES`) that always work on the real data, whatever is chosen.
REAL_DATA_PAGES: Final[frozenset[str]] = frozenset(
    {"Daten", "Indikatoren", "Angebotsarten", "Verlauf", "Szenarien", "Standorte", "Entwicklung"})


def label(name: str) -> str:
    """How a chooser value is named: "Bestand" for the real data, else the scenario's name."""
    return STATUS_QUO if name == BESTAND else name


def choices(dataset: Dataset) -> list[str]:
    """The chooser's values: the real data, then every stored scenario in the order stored."""
    return [BESTAND, *names(dataset.scenarios)]


def chosen(dataset: Dataset) -> str:
    """The scenario the session chose in the sidebar ("" = Bestand; a scenario no longer stored: Bestand)."""
    name = ui.remembered(KEY, BESTAND)
    return name if name in choices(dataset) else BESTAND


@st.cache_resource(show_spinner="Szenario wird angewendet …", max_entries=16)
def _variant(_dataset: Dataset, serial: int, name: str) -> tuple[Dataset, tuple[str, ...]]:
    """The data set with scenario ``name`` applied (``serial`` identifies ``_dataset``, which is not hashed)."""
    dataset, notes = scenario_dataset(_dataset, name)
    return dataset, tuple(notes)


def variant(dataset: Dataset, name: str) -> tuple[Dataset, list[str]]:
    """``dataset`` with the offers of scenario ``name`` and the notes on skipped edits; ``""``: the data set itself.

    Cached per data set object and name, so the analyses of the variant are cached too (:func:`ui.analysis`).
    """
    if name == BESTAND:
        return dataset, []
    applied, notes = _variant(dataset, ui._serial(dataset), name)
    return applied, list(notes)


def banner(name: str, notes: list[str] | None = None) -> None:
    """"Szenario „NAME“ – kein Bestand, nur Planungsvariante" and the edits that could not be applied."""
    st.warning(f"**{ui.md(scenario_text(name))}.** Alle Zahlen, Karten und "
               "Exporte dieser Seite zeigen die Angebote des Szenarios. Zurück zum Bestand: in der Seitenleiste "
               "„Szenario: Bestand“ wählen.", icon=":material/compare:")
    for note in notes or []:
        st.caption(f"Hinweis zum Szenario: {ui.md(note)}")


def real_data_note(name: str) -> None:
    """The note of a page that works on the real data while a scenario is chosen in the sidebar."""
    st.info(f"In der Seitenleiste ist das Szenario „{ui.md(name)}“ gewählt. Diese Seite arbeitet immer mit dem "
            "**Bestand** (den gespeicherten echten Daten): Hochladen und Ändern betreffen nie ein Szenario.",
            icon=":material/info:")


def frame_dataset(real: Dataset, page_title: str | None) -> Dataset:
    """The data set the page ``page_title`` shows, with the banner or the note drawn at the top of the page."""
    name = chosen(real)
    if name == BESTAND:
        return real
    if page_title in REAL_DATA_PAGES:
        if page_title != "Szenarien":  # that page says it itself, beside its own choice of A and B
            real_data_note(name)
        return real
    dataset, notes = variant(real, name)
    banner(name, notes)
    return dataset


def chooser(container, dataset: Dataset) -> None:
    """The sidebar's "Szenario" (below the workspace): Bestand or a stored scenario, for every view of results."""
    options = choices(dataset)
    container.selectbox(
        "Szenario", options, format_func=label, disabled=len(options) == 1,
        help="Bestand = die gespeicherten echten Daten. Ein Szenario ist eine gespeicherte Planungsvariante der "
             "Angebote (neue, verlegte, geschlossene Angebote); Übersicht, Karte, Analyse, Steckbrief und Export "
             "zeigen es dann. Anlegen und vergleichen auf der Seite „Szenarien“.",
        **ui.remember(KEY, BESTAND, options=options),
    )
