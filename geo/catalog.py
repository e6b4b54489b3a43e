"""The configuration tables: offer types and indicator definitions (new types need no code change)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pandas as pd

from geo import settings
from geo._errors import Report

OFFER_TYPE_COLUMNS = [
    "type", "label", "short", "plural", "nearest_phrase", "radius_m", "color", "marker", "analysed", "description",
]
INDICATOR_COLUMNS = ["key", "label", "unit", "direction", "weight", "in_index", "description"]
#: Units an indicator can have → German name for choosers ("" = no unit). Values in ``%`` must lie in 0–100.
UNITS: Final[dict[str, str]] = {"%": "Prozent (%)", "je 1.000": "je 1.000", "Anzahl": "Anzahl", "": "ohne Einheit"}
#: Direction of an indicator → German name: +1 higher value = more need, -1 higher value = less need.
DIRECTIONS: Final[dict[int, str]] = {1: "höher = mehr Bedarf", -1: "höher = weniger Bedarf"}
_YES = {"ja", "j", "yes", "y", "true", "1", "x"}


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
    table["analysed"] = table["analysed"].map(_yes)
    table["radius_m"] = pd.to_numeric(table["radius_m"].str.replace(",", "."), errors="coerce")
    for i, row in table.iterrows():
        if row["analysed"] and not (row["radius_m"] > 0):
            report.error(f"Angebotsart „{row['type']}“ braucht einen Radius in Metern.", row=int(i) + 2)
    for i in table.index[table["type"].duplicated()]:
        report.error(f"Angebotsart „{table.at[i, 'type']}“ ist doppelt.", row=int(i) + 2)
    report.raise_if_errors("Die Angebotsarten-Tabelle ist fehlerhaft")
    return table.set_index("type")


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
    for i, row in table.iterrows():
        if row["direction"] not in (1, -1):
            report.error(f"Indikator „{row['key']}“: Richtung muss 1 oder -1 sein.", row=int(i) + 2)
    report.raise_if_errors("Die Indikatoren-Tabelle ist fehlerhaft")
    return definitions_from_table(table)


def _typed_definitions(table: pd.DataFrame) -> pd.DataFrame:
    """The definition columns in their dtypes: text, ``direction`` int64, ``weight`` float64, ``in_index`` bool."""
    out = pd.DataFrame(index=table.index)
    for name in INDICATOR_COLUMNS:
        values = table[name] if name in table.columns else pd.Series("", index=table.index)
        if name == "direction":
            out[name] = pd.to_numeric(values).astype("int64")
        elif name == "weight":
            out[name] = pd.to_numeric(values).astype("float64")
        elif name == "in_index":
            out[name] = values.astype("bool")
        else:
            out[name] = values.fillna("").astype("str")
    return out


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
