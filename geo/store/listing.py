"""The workspace's history as tables for pages and the command line: versions and the action log."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

import pandas as pd

from geo.store.payload import LAYER_LABELS, LAYERS, VersionInfo, _display_tz

#: German column headers for :meth:`Workspace.history` and :meth:`Workspace.log` on a page.
COLUMN_LABELS: Final[dict[str, str]] = {
    "layer": "Ebene",
    "layer_label": "Ebene",
    "version": "Version",
    "created_at": "Gespeichert (UTC)",
    "created_local": "Gespeichert",
    "filename": "Datei",
    "rows": "Zeilen",
    "sha256": "Prüfsumme (SHA-256)",
    "comment": "Kommentar",
    "active": "aktiv",
    "label": "Bezeichnung",
    "at": "Zeitpunkt (UTC)",
    "action": "Aktion",
}
#: German words for the actions of :meth:`Workspace.log`.
ACTION_LABELS: Final[dict[str, str]] = {
    "save": "gespeichert", "restore": "wiederhergestellt", "reset": "nicht mehr verwendet",
}

def history_table(infos: list[VersionInfo], active: Mapping[str, VersionInfo]) -> pd.DataFrame:
    """The table :meth:`Workspace.history` returns, for ``infos`` (any order) and the active versions."""
    infos = sorted(infos, key=lambda i: (LAYERS.index(i.layer), -i.version))
    table = pd.DataFrame(
        {
            "layer": pd.Series([i.layer for i in infos], dtype="str"),
            "layer_label": pd.Series([LAYER_LABELS[i.layer] for i in infos], dtype="str"),
            "version": pd.Series([i.version for i in infos], dtype="int64"),
            "created_at": pd.Series(
                pd.to_datetime([i.created_at for i in infos], utc=True), dtype="datetime64[us, UTC]"
            ),
            "created_local": pd.Series([i.created_local for i in infos], dtype="str"),
            "filename": pd.Series([i.filename for i in infos], dtype="str"),
            "rows": pd.Series([i.rows for i in infos], dtype="int64"),
            "sha256": pd.Series([i.sha256 for i in infos], dtype="str"),
            "comment": pd.Series([i.comment for i in infos], dtype="str"),
            "active": pd.Series(
                [i.layer in active and active[i.layer].version == i.version for i in infos], dtype="bool"
            ),
            "label": pd.Series([i.label for i in infos], dtype="str"),
        }
    )
    return table


def log_table(rows: list[tuple]) -> pd.DataFrame:
    """The table :meth:`Workspace.log` returns, for rows ``(at, layer, action, version)``."""
    return pd.DataFrame(
        {
            "at": pd.Series(pd.to_datetime([r[0] for r in rows], utc=True), dtype="datetime64[us, UTC]"),
            "layer": pd.Series([r[1] for r in rows], dtype="str"),
            "action": pd.Series([r[2] for r in rows], dtype="str"),
            "version": pd.Series([r[3] for r in rows], dtype="Int64"),
        }
    )


def shown_log(log: pd.DataFrame) -> pd.DataFrame:
    """:meth:`Workspace.log` as planners read it: local time, the layer's and the action's German names.

    Columns "Zeitpunkt" (``21.11.2026 10:14``, Europe/Berlin), "Ebene", "Aktion", "Version"; newest first.
    """
    at = log["at"].dt.tz_convert(_display_tz()).dt.strftime("%d.%m.%Y %H:%M")
    return pd.DataFrame({
        "Zeitpunkt": at.astype("str"),
        "Ebene": log["layer"].map(lambda v: LAYER_LABELS.get(v, v)).astype("str"),
        "Aktion": log["action"].map(lambda v: ACTION_LABELS.get(v, v)).astype("str"),
        "Version": log["version"],
    }).iloc[::-1].reset_index(drop=True)
