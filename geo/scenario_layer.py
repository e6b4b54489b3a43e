"""The ``scenarios`` workspace layer as a table: its columns, an empty table, the names and one scenario's rows.

Shared by :mod:`geo.analysis.scenarios` (which applies the edits) and :mod:`geo.store.scenarios` (which stores
them), so that neither layer imports the other.
"""

from __future__ import annotations

import pandas as pd

from geo import settings

#: Columns of the ``scenarios`` layer: one row per edit. ``x``/``y`` in :data:`geo.settings.METRIC_CRS` (add, move);
#: ``source`` is "manual" or "suggestion"; ``note`` holds the assumptions of a ``note`` row (or of any edit).
SCENARIO_COLUMNS: tuple[str, ...] = (
    "scenario", "step", "action", settings.OFFER_ID, settings.OFFER_TYPE, settings.OFFER_NAME,
    settings.OFFER_ADDRESS, settings.OFFER_CAPACITY, "x", "y", "source", "note",
)
#: Name of the real data in every chooser and comparison.
STATUS_QUO = "Bestand"
#: The number columns of the layer (the others are text).
NUMBERS: tuple[str, ...] = ("step", settings.OFFER_CAPACITY, "x", "y")


def empty_edits() -> pd.DataFrame:
    """An edits table without rows, with the columns and dtypes of :data:`SCENARIO_COLUMNS`."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in SCENARIO_COLUMNS})
    for number in NUMBERS:
        frame[number] = pd.Series(dtype=float)
    return frame


def names(edits: pd.DataFrame | None) -> list[str]:
    """The scenario names in ``edits``, in the order they were first stored."""
    if edits is None or not len(edits):
        return []
    return list(dict.fromkeys(edits["scenario"].astype("str")))


def edits_of(edits: pd.DataFrame | None, name: str) -> pd.DataFrame:
    """The edits of scenario ``name``, in step order."""
    if edits is None or not len(edits):
        return empty_edits()
    rows = edits[edits["scenario"].astype("str") == name]
    return rows.sort_values("step", kind="stable").reset_index(drop=True)
