"""The configuration tables: offer types and indicator definitions (new types need no code change)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo._errors import Report

OFFER_TYPE_COLUMNS = [
    "type", "label", "short", "plural", "nearest_phrase", "radius_m", "color", "marker", "analysed", "description",
]
#: Columns of the Präventionskette an offer type table may have (issue 11); a table without them (stored
#: before, or a city's own) gets the defaults :data:`CHAIN_DEFAULTS`: no phase, all children, radius model.
CHAIN_COLUMNS = ["phase", "target", "reach_model", "host_type"]
CHAIN_DEFAULTS: Final[dict[str, str]] = {"phase": "", "target": "0-18", "reach_model": "radius", "host_type": ""}
PHASE_COLUMNS = ["phase", "label", "short", "order", "description"]
#: How reach of an offer type is measured → German name (Methodik, editor):
#: ``radius`` straight-line radius from home; ``zuordnung`` families belong to the facility of a host layer
#: (nearest, or by uploaded catchment areas), reach is the share whose facility runs the offer; ``gebiet``
#: uploaded catchment polygons (Zuständigkeitsgebiete).
REACH_MODELS: Final[dict[str, str]] = {
    "radius": "Luftlinie vom Wohnort (Radius)",
    "zuordnung": "zugeordnete Einrichtung (z. B. Grundschule, Geburtsklinik)",
    "gebiet": "Zuständigkeitsgebiete (hochgeladene Flächen)",
}
#: Marker shapes the offer type table may name, with their matplotlib marker code (web and print draw the same
#: shapes, :mod:`geo.render.palette`); anything else is drawn as a circle.
MARKERS: Final[dict[str, str]] = {
    "square": "s", "triangle": "^", "diamond": "D", "circle": "o", "plus": "P", "star": "*", "cross": "X",
    "pentagon": "p", "hexagon": "h",
}
DEFAULT_MARKER: Final[str] = "circle"
#: Target group of births (Lotsendienst) in the ``target`` column; any other target is an age band "A-B".
BIRTHS_TARGET: Final[str] = "geburten"
INDICATOR_COLUMNS = ["key", "label", "unit", "direction", "weight", "in_index", "description"]
#: Columns of the Dynamik index an indicator table may have (issue 13); a table without them (the built-in one,
#: or stored before) gets :func:`_dynamic_defaults`: every status indicator of the status index enters the
#: Dynamik index with its weight, as in the MSS. ``kind``: ``status`` or ``dynamik`` (a ready-made change).
DYNAMIC_DEFINITION_COLUMNS = ["kind", "in_dynamic", "dynamic_weight"]
#: Units an indicator can have → German name for choosers ("" = no unit). Values in ``%`` must lie in 0–100.
UNITS: Final[dict[str, str]] = {"%": "Prozent (%)", "je 1.000": "je 1.000", "Anzahl": "Anzahl", "": "ohne Einheit"}
#: Direction of an indicator → German name: +1 higher value = more need, -1 higher value = less need.
DIRECTIONS: Final[dict[int, str]] = {1: "höher = mehr Bedarf", -1: "höher = weniger Bedarf"}
_YES = {"ja", "j", "yes", "y", "true", "1", "x"}


@dataclass(frozen=True)
class Target:
    """Target group of an offer type: births, or children aged ``low`` to under ``high`` years.

    Attributes
    ----------
    births
        True for births (the ``target`` "geburten").
    low, high
        Age band in years, ``low`` inclusive, ``high`` exclusive (0 and 0 for births).
    """

    births: bool
    low: int = 0
    high: int = 0

    @property
    def column(self) -> str:
        """Canonical count column of the target group: ``births`` or ``age_<low>_<high>``."""
        return settings.BIRTHS if self.births else settings.age_column(self.low, self.high)

    @property
    def label(self) -> str:
        """German name, e.g. "Geburten", "Kinder von 6 bis unter 10 Jahren"."""
        return "Geburten" if self.births else f"Kinder von {self.low} bis unter {self.high} Jahren"


def parse_target(text: object) -> Target | None:
    """``"geburten"`` or an age band ``"6-10"`` (also "6–10", "6 - 10") → :class:`Target`; ``None`` if unreadable.

    Ages are whole years, 0 ≤ low < high ≤ 99.
    """
    value = str(text).strip().lower().replace("–", "-").replace(" ", "")
    if value == BIRTHS_TARGET:
        return Target(births=True)
    low, sep, high = value.partition("-")
    if not sep or not low.isdigit() or not high.isdigit():
        return None
    a, b = int(low), int(high)
    return Target(births=False, low=a, high=b) if 0 <= a < b <= 99 else None


@dataclass(frozen=True)
class TypeLabels:
    """German names of an offer type, as the offer type table gives them."""

    label: str  # "Familiengrundschulzentrum"
    short: str  # "FGZ"
    plural: str  # "Familiengrundschulzentren (FGZ)"


def type_labels(offer_types: pd.DataFrame, offer_type: str) -> TypeLabels:
    """Label, short name and plural of ``offer_type``; a type missing from the table is named by its key."""
    if offer_type not in offer_types.index:
        return TypeLabels(str(offer_type), str(offer_type), str(offer_type))
    row = offer_types.loc[offer_type]
    return TypeLabels(str(row["label"]), str(row["short"]), str(row["plural"]))


def _yes(value: object) -> bool:
    return str(value).strip().lower() in _YES


def _read_config(path: Path | str, columns, what: str) -> tuple[pd.DataFrame, Report]:
    """A ``;``-separated config table as text, and a report for its checks; refuses missing columns at once."""
    table = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False, encoding="utf-8-sig")
    report = Report()
    missing = [c for c in columns if c not in table.columns]
    if missing:
        report.error(f"Spalten fehlen in der {what}: {', '.join(missing)}")
        report.raise_if_errors()
    return table, report


def read_offer_types(path: Path | str = settings.OFFER_TYPES_FILE) -> pd.DataFrame:
    """Read the offer type table (``;``-separated, UTF-8), indexed by ``type``.

    Columns: label, short, plural, radius_m (float, NaN where not analysed), color, marker,
    analysed (bool), description.
    """
    table, report = _read_config(path, OFFER_TYPE_COLUMNS, "Angebotsarten-Tabelle")
    table = offer_types_from_table(table, report=report)
    report.raise_if_errors("Die Angebotsarten-Tabelle ist fehlerhaft")
    return table


def offer_types_from_table(table: pd.DataFrame, *, report: Report | None = None) -> pd.DataFrame:
    """An offer type table as text (``type`` a column, e.g. the stored ``offer_types`` layer) → typed, by ``type``.

    Missing chain columns get :data:`CHAIN_DEFAULTS`. Problems go to ``report`` (row numbers as in a file with
    a header line); without a report they are ignored (the stored layer was checked when it was saved).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``type``: the columns :data:`OFFER_TYPE_COLUMNS` and :data:`CHAIN_COLUMNS`, ``analysed``
        bool, ``radius_m`` float (NaN where not analysed), the others text.
    """
    report = report if report is not None else Report()
    table = table.reset_index(drop=True).copy()
    for name in OFFER_TYPE_COLUMNS + CHAIN_COLUMNS:
        if name not in table.columns:
            table[name] = CHAIN_DEFAULTS.get(name, "")
    for name in OFFER_TYPE_COLUMNS + CHAIN_COLUMNS:
        if name not in ("analysed", "radius_m"):
            table[name] = table[name].fillna("").astype("str").str.strip()
    table["analysed"] = table["analysed"].map(lambda v: v if isinstance(v, bool) else _yes(v)).astype(bool)
    table["radius_m"] = pd.to_numeric(table["radius_m"].astype("str").str.replace(",", "."), errors="coerce")
    table["reach_model"] = table["reach_model"].str.lower().replace("", "radius")
    table["target"] = table["target"].replace("", CHAIN_DEFAULTS["target"])
    for i, row in table.iterrows():
        where = int(i) + 2
        if row["analysed"] and not (row["radius_m"] > 0):
            report.error(f"Angebotsart „{row['type']}“ braucht einen Radius in Metern.", row=where)
        if row["reach_model"] not in REACH_MODELS:
            report.error(f"Angebotsart „{row['type']}“: unbekanntes Reichweitenmodell „{row['reach_model']}“ "
                         f"(möglich: {', '.join(REACH_MODELS)}).", row=where)
        if parse_target(row["target"]) is None:
            report.error(f"Angebotsart „{row['type']}“: Zielgruppe „{row['target']}“ ist weder „geburten“ noch "
                         "eine Altersspanne wie „6-10“ (von 6 bis unter 10 Jahren).", row=where)
        if row["reach_model"] == "zuordnung" and row["host_type"] not in set(table["type"]):
            report.error(f"Angebotsart „{row['type']}“: die zugeordnete Einrichtung „{row['host_type']}“ ist keine "
                         "Angebotsart der Tabelle.", row=where)
    for i in table.index[table["type"].duplicated()]:
        report.error(f"Angebotsart „{table.at[i, 'type']}“ ist doppelt.", row=int(i) + 2)
    return table[OFFER_TYPE_COLUMNS + CHAIN_COLUMNS].set_index("type")


def offer_types_table(offer_types: pd.DataFrame) -> pd.DataFrame:
    """Offer types indexed by ``type`` → the plain text table stored as the ``offer_types`` layer."""
    table = offer_types.rename_axis("type").reset_index()
    table["analysed"] = table["analysed"].map(lambda v: "ja" if v else "nein")
    table["radius_m"] = table["radius_m"].map(lambda v: "" if pd.isna(v) else f"{float(v):g}")
    return table[OFFER_TYPE_COLUMNS + CHAIN_COLUMNS].astype("str").reset_index(drop=True)


def read_phases(path: Path | str = settings.PHASES_FILE) -> pd.DataFrame:
    """Read the life phases of the Präventionskette (``;``-separated), indexed by ``phase``, sorted by ``order``."""
    table, report = _read_config(path, PHASE_COLUMNS, "Lebensphasen-Tabelle")
    table = phases_from_table(table, report=report)
    report.raise_if_errors("Die Lebensphasen-Tabelle ist fehlerhaft")
    return table


def phases_from_table(table: pd.DataFrame, *, report: Report | None = None) -> pd.DataFrame:
    """A phase table as text (``phase`` a column, e.g. the stored ``phases`` layer) → by ``phase``, in order.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``phase``: ``label``, ``short``, ``description`` (text) and ``order`` (int), sorted by it.
    """
    report = report if report is not None else Report()
    table = table.reset_index(drop=True).copy()
    for name in PHASE_COLUMNS:
        if name not in table.columns:
            table[name] = ""
        if name != "order":
            table[name] = table[name].fillna("").astype("str").str.strip()
    order = pd.to_numeric(table["order"], errors="coerce")
    for i in table.index[order.isna()]:
        report.error(f"Lebensphase „{table.at[i, 'phase']}“ braucht eine Reihenfolge (Zahl).", row=int(i) + 2)
    for i in table.index[table["phase"].duplicated() | (table["phase"] == "")]:
        report.error(f"Lebensphase „{table.at[i, 'phase']}“ ist leer oder doppelt.", row=int(i) + 2)
    table["order"] = order.fillna(0).astype("int64")
    return table[PHASE_COLUMNS].sort_values("order", kind="stable").set_index("phase")


def phases_table(phases: pd.DataFrame) -> pd.DataFrame:
    """Phases indexed by ``phase`` → the plain table stored as the ``phases`` layer."""
    table = phases.rename_axis("phase").reset_index()
    table["order"] = table["order"].astype("int64")
    return table[PHASE_COLUMNS].reset_index(drop=True)


def read_indicator_definitions(path: Path | str = settings.INDICATORS_FILE) -> pd.DataFrame:
    """Read the indicator definitions (``;``-separated), indexed by ``key``.

    ``direction`` is +1 where a higher value means more need and -1 where it means less. The built-in
    file (``data/indikatoren.csv``, the NRW set) is the demo's definitions and the suggestion offered for
    matching columns of a city's upload; a city's own definitions are stored in its workspace.
    """
    table, report = _read_config(path, INDICATOR_COLUMNS, "Indikatoren-Tabelle")
    table["direction"] = pd.to_numeric(table["direction"], errors="coerce")
    table["weight"] = pd.to_numeric(table["weight"].str.replace(",", "."), errors="coerce")
    table["in_index"] = table["in_index"].map(_yes)
    if "dynamic_weight" in table:
        table["dynamic_weight"] = pd.to_numeric(table["dynamic_weight"].str.replace(",", "."), errors="coerce")
    for i, row in table.iterrows():
        if row["direction"] not in (1, -1):
            report.error(f"Indikator „{row['key']}“: Richtung muss 1 oder -1 sein.", row=int(i) + 2)
        if "kind" in table and str(row["kind"]).strip().lower() not in ("", "status", "dynamik"):
            report.error(f"Indikator „{row['key']}“: Art muss „status“ oder „dynamik“ sein.", row=int(i) + 2)
    report.raise_if_errors("Die Indikatoren-Tabelle ist fehlerhaft")
    return definitions_from_table(table)


def _typed_definitions(table: pd.DataFrame) -> pd.DataFrame:
    """The definition columns in their dtypes: text, ``direction`` int64, ``weight`` float64, ``in_index`` bool."""
    out = pd.DataFrame(index=table.index)
    table = _dynamic_defaults(table)
    for name in [*INDICATOR_COLUMNS, *DYNAMIC_DEFINITION_COLUMNS]:
        values = table[name] if name in table.columns else pd.Series("", index=table.index)
        if name == "direction":
            out[name] = pd.to_numeric(values).astype("int64")
        elif name in ("weight", "dynamic_weight"):
            out[name] = pd.to_numeric(values).astype("float64")
        elif name in ("in_index", "in_dynamic"):
            out[name] = values.map(lambda v: v if isinstance(v, bool | np.bool_) else _yes(v)).astype("bool")
        else:
            out[name] = values.fillna("").astype("str")
    return out


def _dynamic_defaults(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the Dynamik columns it lacks.

    Kind ``status``; in the Dynamik index where in the status index (a status indicator), with the status weight.
    """
    table = table.copy()
    if "kind" not in table:
        table["kind"] = "status"
    table["kind"] = table["kind"].fillna("").astype(str).str.strip().str.lower().replace("", "status")
    if "in_dynamic" not in table:
        in_index = table["in_index"] if "in_index" in table else pd.Series(False, index=table.index)
        table["in_dynamic"] = in_index.map(lambda v: v if isinstance(v, bool | np.bool_) else _yes(v)) & (
            table["kind"] == "status")
    if "dynamic_weight" not in table:
        table["dynamic_weight"] = table["weight"] if "weight" in table else 1.0
    return table


def empty_indicator_definitions() -> pd.DataFrame:
    """Indicator definitions of a workspace that has none yet: no rows, the columns and dtypes of a full table."""
    return definitions_from_table(pd.DataFrame({name: [] for name in INDICATOR_COLUMNS}))


def definitions_from_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Stored ``definitions`` layer (``key`` as a column) → definitions indexed by ``key``.

    Parameters
    ----------
    frame
        One row per indicator with the columns :data:`INDICATOR_COLUMNS` (as :func:`definitions_table`
        writes them); ``description`` may be missing.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``key`` (str): ``label``, ``unit``, ``direction`` (+1/-1), ``weight``, ``in_index``,
        ``description``.
    """
    typed = _typed_definitions(frame.reset_index(drop=True))
    return typed.set_index("key")


def definitions_table(definitions: pd.DataFrame) -> pd.DataFrame:
    """Definitions indexed by ``key`` → the plain table stored as the ``definitions`` layer (``key`` a column)."""
    table = definitions.rename_axis("key").reset_index()
    return _typed_definitions(table).reset_index(drop=True)
