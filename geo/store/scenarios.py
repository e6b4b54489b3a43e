"""Store what-if scenarios in a workspace: the ``scenarios`` layer holds the edits of all of them.

Saving or removing a scenario writes a new version of that one layer (the real layers are never touched), in one
transaction that is refused when the layer changed since the planner's preview (``base_versions``).
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from geo._errors import DataError
from geo.analysis.scenarios import SCENARIO_COLUMNS, empty_edits, names
from geo.store.payload import VersionInfo
from geo.store.workspace import Workspace


def stored_edits(workspace: Workspace) -> pd.DataFrame:
    """The edits of every stored scenario (an empty table when none is stored)."""
    frame = workspace.load("scenarios") if not workspace.read_only else None
    return empty_edits() if frame is None else frame


def save_scenario(
    workspace: Workspace, name: str, edits: pd.DataFrame, *, base_versions: Mapping[str, int | None] | None = None,
) -> VersionInfo:
    """Store ``edits`` as scenario ``name`` (replacing a stored one of that name) as a new ``scenarios`` version.

    Raises
    ------
    DataError
        The workspace is read-only (the demo) or ``name`` is empty.
    VersionConflict
        ``base_versions`` are no longer the active versions.
    """
    name = str(name).strip()
    if workspace.read_only:
        raise DataError("Die Demo Musterstadt ist schreibgeschützt: Szenarien lassen sich in einem eigenen "
                        "Arbeitsbereich oder einer Übungskopie der Demo speichern.")
    if not name:
        raise DataError("Bitte geben Sie dem Szenario einen Namen.")
    rows = edits.assign(scenario=name, step=range(1, len(edits) + 1))[list(SCENARIO_COLUMNS)]
    current = stored_edits(workspace)
    others = current[current["scenario"].astype("str") != name]
    table = pd.concat([others, rows], ignore_index=True)[list(SCENARIO_COLUMNS)]
    verb = "geändert" if name in names(current) else "angelegt"
    return workspace.save("scenarios", table, filename=f"Szenario {verb}: {name}", base_versions=base_versions)
