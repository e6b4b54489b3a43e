"""Store what-if scenarios in a workspace: the ``scenarios`` layer holds the edits of all of them.

Saving, renaming, copying or deleting a scenario writes a new version of that one layer (the real layers are never
touched), in one transaction that is refused when the layer changed since the planner's preview (``base_versions``,
:class:`~geo._errors.VersionConflict`). Deleting is a new version without the scenario's rows: the page "Verlauf"
can bring the old version back. Names are data: they are trimmed and checked (:func:`check_name`), never parsed.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping

import pandas as pd

from geo._errors import DataError
from geo.scenario_layer import NUMBERS, SCENARIO_COLUMNS, STATUS_QUO, edits_of, empty_edits, names
from geo.store.payload import VersionInfo
from geo.store.workspace import Workspace

#: Longest scenario name (characters, after trimming).
MAX_NAME_LENGTH = 80

Bases = Mapping[str, int | None] | None


def stored_edits(workspace: Workspace) -> pd.DataFrame:
    """The edits of every stored scenario (an empty table when none is stored)."""
    frame = workspace.load("scenarios") if not workspace.read_only else None
    return empty_edits() if frame is None else frame


def check_name(name: object, taken: list[str] | tuple[str, ...] = ()) -> str:
    """``name`` trimmed, or a German :class:`DataError`.

    Refused: empty, longer than :data:`MAX_NAME_LENGTH`, with control characters, "Bestand" (the real data's
    name) or already in ``taken``.
    """
    text = unicodedata.normalize("NFC", str("" if name is None else name)).strip()
    if not text:
        raise DataError("Bitte geben Sie dem Szenario einen Namen.")
    if len(text) > MAX_NAME_LENGTH:
        raise DataError(f"Der Name des Szenarios ist {len(text)} Zeichen lang; erlaubt sind höchstens "
                        f"{MAX_NAME_LENGTH}. Bitte kürzen Sie ihn.")
    if any(unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") for c in text):
        raise DataError("Der Name des Szenarios enthält Steuerzeichen (z. B. einen Zeilenumbruch). Bitte geben Sie "
                        "ihn in einer Zeile ein.")
    if text.casefold() == STATUS_QUO.casefold():
        raise DataError(f"„{STATUS_QUO}“ steht für die echten Daten; bitte wählen Sie für das Szenario einen anderen "
                        "Namen.")
    if text in taken:
        raise DataError(f"Ein Szenario „{text}“ gibt es schon. Bitte wählen Sie einen anderen Namen.")
    return text


def _writable(workspace: Workspace) -> None:
    if workspace.read_only:
        raise DataError("Die Demo Musterstadt ist schreibgeschützt: Szenarien lassen sich in einem eigenen "
                        "Arbeitsbereich oder einer Übungskopie der Demo speichern.")


def _existing(current: pd.DataFrame, name: object) -> str:
    text = str("" if name is None else name).strip()
    if text not in names(current):
        raise DataError(f"Ein Szenario „{text}“ gibt es in diesem Arbeitsbereich nicht (mehr). Bitte wählen Sie es "
                        "neu aus.")
    return text


def _normal(edits: pd.DataFrame) -> pd.DataFrame:
    """``edits`` with exactly the layer's columns: text columns as text ("" where empty), numbers as floats."""
    out = edits.reindex(columns=list(SCENARIO_COLUMNS)).reset_index(drop=True)
    for c in SCENARIO_COLUMNS:
        if c in NUMBERS:
            out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
        else:
            out[c] = out[c].map(lambda v: "" if v is None or (isinstance(v, float) and v != v) else str(v))
    return out


def _store(workspace: Workspace, table: pd.DataFrame, what: str, base_versions: Bases) -> VersionInfo:
    if base_versions is not None and "scenarios" not in base_versions:
        # Dataset.stored_versions lists stored layers only: no entry means none was stored at the preview
        base_versions = {**base_versions, "scenarios": None}
    table = table[list(SCENARIO_COLUMNS)].reset_index(drop=True) if len(table) else empty_edits()
    return workspace.save("scenarios", table, filename=what, base_versions=base_versions)


def save_scenario(workspace: Workspace, name: str, edits: pd.DataFrame, *, base_versions: Bases = None,
                  new: bool = False) -> VersionInfo:
    """Store ``edits`` as scenario ``name`` (replacing a stored one of that name) as a new ``scenarios`` version.

    ``new``: refuse a name that is stored already (creating rather than saving over). Steps are renumbered 1, 2, ….

    Raises
    ------
    DataError
        The workspace is read-only (the demo) or the name fails :func:`check_name`.
    VersionConflict
        ``base_versions`` are no longer the active versions.
    """
    _writable(workspace)
    current = stored_edits(workspace)
    name = check_name(name, names(current) if new else ())
    rows = _normal(edits).assign(scenario=name, step=[float(i) for i in range(1, len(edits) + 1)])
    others = current[current["scenario"].astype("str") != name]
    verb = "geändert" if name in names(current) else "angelegt"
    return _store(workspace, pd.concat([others, rows], ignore_index=True), f"Szenario {verb}: {name}", base_versions)


def rename_scenario(workspace: Workspace, name: str, new_name: str, *, base_versions: Bases = None) -> VersionInfo:
    """Give scenario ``name`` the name ``new_name`` (its edits unchanged, its place in the list kept)."""
    _writable(workspace)
    current = stored_edits(workspace)
    old = _existing(current, name)
    new = check_name(new_name, [n for n in names(current) if n != old])
    table = current.copy()
    table.loc[table["scenario"].astype("str") == old, "scenario"] = new
    return _store(workspace, table, f"Szenario umbenannt: {old} → {new}", base_versions)


def copy_scenario(workspace: Workspace, name: str, new_name: str, *, base_versions: Bases = None) -> VersionInfo:
    """Store a copy of scenario ``name`` as ``new_name`` (a name not taken yet), e.g. to vary it."""
    _writable(workspace)
    current = stored_edits(workspace)
    old = _existing(current, name)
    new = check_name(new_name, names(current))
    rows = edits_of(current, old).assign(scenario=new)
    return _store(workspace, pd.concat([current, rows], ignore_index=True), f"Szenario kopiert: {old} → {new}",
                  base_versions)


def delete_scenario(workspace: Workspace, name: str, *, base_versions: Bases = None) -> VersionInfo:
    """Remove scenario ``name``: a new version of the layer without its rows (Verlauf can restore the old one).

    The page asks for confirmation first and passes the versions it showed as ``base_versions``.
    """
    _writable(workspace)
    current = stored_edits(workspace)
    old = _existing(current, name)
    table = current[current["scenario"].astype("str") != old]
    return _store(workspace, table, f"Szenario gelöscht: {old}", base_versions)
