"""The indicator definition tables the planner edits: the upload's proposal (Daten) and the Indikatoren page.

Both show the same German columns: label, unit, direction, status index and weight, and for the Dynamik
(:mod:`geo.analysis.dynamics`) the kind (Status-Indikator or Dynamik-Indikator, a ready-made change), whether
the indicator enters the Dynamik index and its weight there.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import pandas as pd
import streamlit as st

from geo import catalog
from geo.analysis.dynamics import KINDS
from geo.formatting import format_number
from geo.ingest.definitions import ORIGINS

#: Definition field → German header of the indicator tables (upload proposal and the Indikatoren page).
DEFINITION_HEADERS: dict[str, str] = {
    "column": "Spalte", "key": "Kennung", "indicator": "Indikator", "label": "Bezeichnung", "unit": "Einheit",
    "direction": "Richtung", "in_index": "im Index", "weight": "Gewicht", "kind": "Art",
    "in_dynamic": "im Dynamikindex", "dynamic_weight": "Gewicht Dynamik", "description": "Beschreibung",
    "origin": "Herkunft", "keep": "behalten",
}
#: The definition fields the Indikatoren page edits (besides ``keep``: the indicator stays).
DEFINITION_FIELDS: tuple[str, ...] = ("label", "unit", "direction", "in_index", "weight", "kind", "in_dynamic",
                                      "dynamic_weight", "description")
_UNIT_NAMES = dict(catalog.UNITS)
_DIRECTION_NAMES = {d: ("↑ " if d > 0 else "↓ ") + text for d, text in catalog.DIRECTIONS.items()}
_WEIGHTS = ("weight", "dynamic_weight")
_FLAGS = ("indicator", "in_index", "in_dynamic")
_WEIGHT_TEXT = re.compile(r"^\s*(100([.,]0+)?|\d{1,2}([.,]\d+)?)\s*$")


def _is_number(value: object) -> bool:
    return isinstance(value, int | float | np.number) and not isinstance(value, bool | np.bool_)


def definition_editor_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Definition fields (as in a proposal or the stored definitions) → the German table st.data_editor shows."""
    out = frame.copy()
    if "unit" in out:
        out["unit"] = out["unit"].map(lambda u: _UNIT_NAMES.get(str(u), _UNIT_NAMES[""]))
    if "direction" in out:
        out["direction"] = out["direction"].map(lambda d: _DIRECTION_NAMES[1 if d > 0 else -1])
    if "origin" in out:
        out["origin"] = out["origin"].map(lambda o: ORIGINS.get(o, o))
    if "kind" in out:
        out["kind"] = out["kind"].map(lambda k: KINDS.get(str(k), KINDS["status"]))
    for name in _WEIGHTS:  # German text ("1,5"): an editable number column shows the browser's format ("1.5")
        if name in out:
            out[name] = out[name].map(lambda w: format_number(w, 1))
    return out.rename(columns=DEFINITION_HEADERS)


def _weight(value: object) -> float | str:
    """A weight cell back to a number: German text ("1,5", also "1.5") or a number.

    Other text stays text, so the definitions' check names it ("Das Gewicht „101“ muss eine Zahl zwischen 0 und
    100 sein").
    """
    if _is_number(value):
        return float(value)
    text = "" if value is None else str(value).strip()
    return float(text.replace(",", ".")) if _WEIGHT_TEXT.match(text) else text


def definition_editor_fields(edited: pd.DataFrame) -> pd.DataFrame:
    """The edited German table back to definition fields (inverse of :func:`definition_editor_frame`)."""
    out = edited.rename(columns={v: k for k, v in DEFINITION_HEADERS.items()})
    units = {v: k for k, v in _UNIT_NAMES.items()}
    directions = {v: k for k, v in _DIRECTION_NAMES.items()}
    kinds = {v: k for k, v in KINDS.items()}
    if "unit" in out:
        out["unit"] = out["unit"].map(lambda u: units.get(u, ""))
    if "direction" in out:
        out["direction"] = out["direction"].map(lambda d: directions.get(d, 1))
    if "kind" in out:
        out["kind"] = out["kind"].map(lambda k: kinds.get(k, "status"))
    for name in _WEIGHTS:
        if name in out:
            out[name] = out[name].map(_weight)
    for name in ("label", "description"):
        if name in out:
            out[name] = out[name].fillna("").astype(str)
    return out


def definition_column_config(*, editable: Sequence[str]) -> dict:
    """Column types of the indicator tables: checkboxes, unit, direction and kind choosers, weights 0–100."""
    weight = {"validate": _WEIGHT_TEXT.pattern, "required": True, "max_chars": 6}
    config = {
        "indicator": st.column_config.CheckboxColumn(help="Ist diese Spalte ein Indikator?"),
        "label": st.column_config.TextColumn(help="Name des Indikators in allen Karten, Tabellen und Exporten",
                                             max_chars=120),
        "unit": st.column_config.SelectboxColumn(options=list(_UNIT_NAMES.values()), required=True),
        "direction": st.column_config.SelectboxColumn(
            options=list(_DIRECTION_NAMES.values()), required=True,
            help="Bei einem Dynamik-Indikator: ↑ ein steigender Wert bedeutet, dass sich die Lage verschlechtert."),
        "in_index": st.column_config.CheckboxColumn(help="Geht der Indikator in den Statusindex ein? (Nie bei "
                                                         "einem Dynamik-Indikator)"),
        "weight": st.column_config.TextColumn(help="0 bis 100, mit Komma, z. B. 1,5", **weight),
        "kind": st.column_config.SelectboxColumn(
            options=list(KINDS.values()), required=True,
            help="Status-Indikator: ein Zustand (z. B. SGB-II-Quote); seine Veränderung zwischen zwei Jahren kann "
                 "in den Dynamikindex eingehen. Dynamik-Indikator: die Datei liefert die Veränderung selbst "
                 "(z. B. Veränderung der SGB-II-Quote in Prozentpunkten)."),
        "in_dynamic": st.column_config.CheckboxColumn(help="Geht der Indikator (bzw. seine Veränderung) in den "
                                                           "Dynamikindex ein?"),
        "dynamic_weight": st.column_config.TextColumn(help="Gewicht im Dynamikindex: 0 bis 100, mit Komma",
                                                      **weight),
        "description": st.column_config.TextColumn(max_chars=300),
        "keep": st.column_config.CheckboxColumn(help="Aus: Der Indikator wird aus den Definitionen entfernt."),
    }
    return {DEFINITION_HEADERS[k]: v for k, v in config.items() if k in editable}


_PROPOSAL_EDITABLE = ("indicator", "label", "unit", "direction", "in_index", "weight", "kind", "in_dynamic",
                      "dynamic_weight")


def _typed(field: str, value: object) -> object:
    if field in _FLAGS:
        return bool(value)
    if field == "direction":
        return int(value)
    return _weight(value) if field in _WEIGHTS else str(value)


def indicator_choices(proposal: pd.DataFrame, *, key: str) -> dict[str, dict]:
    """The upload's proposed indicator columns as an editable table; returns the planner's changes as ``choices``.

    Only changed rows are returned (file column → every editable field), so an untouched table adds no option.
    """
    shown = ["column", *_PROPOSAL_EDITABLE, "origin"]
    frame = definition_editor_frame(proposal[shown])
    edited = st.data_editor(
        frame, key=key, hide_index=True, width="stretch", num_rows="fixed",
        disabled=[DEFINITION_HEADERS[c] for c in shown if c not in _PROPOSAL_EDITABLE],
        column_config=definition_column_config(editable=_PROPOSAL_EDITABLE),
    )
    back = definition_editor_fields(edited)
    choices: dict[str, dict] = {}
    for i in proposal.index:
        fields = {f: _typed(f, back.at[i, f]) for f in _PROPOSAL_EDITABLE}
        if any(fields[f] != proposal.at[i, f] for f in _PROPOSAL_EDITABLE):
            choices[str(proposal.at[i, "column"])] = fields
    return choices
