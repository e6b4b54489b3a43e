"""What-if scenarios: named variants of the offers layer, stored as edits beside the real data.

A scenario is a list of edits (add, move, close an offer, change its capacity; an accepted site suggestion
becomes one ``add`` per site) applied in order to the stored offers. The edits of all scenarios are one table,
the workspace layer ``scenarios`` (:data:`SCENARIO_COLUMNS`); the real layers are never changed. Coordinates are
stored in :data:`geo.settings.METRIC_CRS`.
"""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import crs, settings
from geo.dataset import Dataset

#: Edit → German label.
ACTIONS: dict[str, str] = {
    "add": "Angebot hinzufügen",
    "move": "Angebot verlegen",
    "close": "Angebot schließen",
    "capacity": "Kapazität ändern",
    "note": "Annahme / Beschreibung",
}
#: Columns of the ``scenarios`` layer: one row per edit. ``x``/``y`` in :data:`geo.settings.METRIC_CRS` (add, move);
#: ``source`` is "manual" or "suggestion"; ``note`` holds the assumptions of a ``note`` row (or of any edit).
SCENARIO_COLUMNS: tuple[str, ...] = (
    "scenario", "step", "action", settings.OFFER_ID, settings.OFFER_TYPE, settings.OFFER_NAME,
    settings.OFFER_ADDRESS, settings.OFFER_CAPACITY, "x", "y", "source", "note",
)
#: Name of the real data in every chooser and comparison.
STATUS_QUO = "Bestand"


def empty_edits() -> pd.DataFrame:
    """An edits table without rows, with the columns and dtypes of :data:`SCENARIO_COLUMNS`."""
    frame = pd.DataFrame({c: pd.Series(dtype="str") for c in SCENARIO_COLUMNS})
    for number in ("step", settings.OFFER_CAPACITY, "x", "y"):
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


def apply_edits(offers: gpd.GeoDataFrame, edits: pd.DataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The offers layer after ``edits`` (one scenario's), and German notes on edits that could not apply.

    An edit naming an offer id the offers no longer have (the layer was replaced since) is skipped and named.
    """
    metric = crs.to_metric(offers, name="Angebote").reset_index(drop=True)
    ids = metric[settings.OFFER_ID].astype("str")
    keep = np.ones(len(metric), dtype=bool)
    added: list[dict] = []
    notes: list[str] = []
    for _, edit in edits.iterrows():
        action, offer_id = str(edit["action"]), str(edit[settings.OFFER_ID])
        if action == "note":
            continue
        if action == "add":
            added.append({settings.OFFER_ID: offer_id, settings.OFFER_TYPE: str(edit[settings.OFFER_TYPE]),
                          settings.OFFER_NAME: str(edit[settings.OFFER_NAME]),
                          settings.OFFER_ADDRESS: str(edit[settings.OFFER_ADDRESS]),
                          settings.OFFER_CAPACITY: edit[settings.OFFER_CAPACITY],
                          "geometry": gpd.points_from_xy([edit["x"]], [edit["y"]])[0]})
            continue
        hit = (ids == offer_id).to_numpy() & keep
        if not hit.any():
            notes.append(f"Schritt {int(edit['step'])} ({ACTIONS.get(action, action)}): Angebot „{offer_id}“ gibt es "
                         "im Bestand nicht mehr – übersprungen")
            continue
        if action == "close":
            keep &= ~hit
        elif action == "move":
            metric.loc[hit, "geometry"] = gpd.points_from_xy([edit["x"]], [edit["y"]])[0]
        elif action == "capacity":
            metric.loc[hit, settings.OFFER_CAPACITY] = edit[settings.OFFER_CAPACITY]
    out = metric[keep]
    if added:
        out = pd.concat([out, gpd.GeoDataFrame(added, geometry="geometry", crs=metric.crs)], ignore_index=True)
    return gpd.GeoDataFrame(out, geometry="geometry", crs=metric.crs).reset_index(drop=True), notes


def scenario_dataset(dataset: Dataset, name: str) -> tuple[Dataset, list[str]]:
    """``dataset`` with the offers of scenario ``name`` (its stored edits) and ``scenario`` set to ``name``."""
    offers, notes = apply_edits(dataset.offers, edits_of(dataset.scenarios, name))
    return replace(dataset, offers=offers, scenario=name), notes
