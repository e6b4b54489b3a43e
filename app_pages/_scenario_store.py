"""Checks and writes of the Szenarien page: SCENARIO's functions, with minimal stand-ins until those are merged.

The page calls only these names. Where ``geo.ingest.scenario_edits.check_edit`` and ``geo.store.scenarios``'
``check_name``/``rename_scenario``/``copy_scenario``/``delete_scenario`` exist they are used as they are; until
then (branch i12-scenario not merged yet) the stand-ins below do the minimal checks (numbers, the coordinate
ranges of the system typed in, names, the offer an edit names) with the same signatures. Delete the stand-ins
once the real functions are in main.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import DataError, Dataset, settings
from geo.analysis import scenarios
from geo.crs import point_fit, transform_xy
from geo.io import parse_number
from geo.store import scenarios as stored

try:  # SCENARIO's checks (geo/ingest/scenario_edits.py)
    from geo.ingest.scenario_edits import check_edit
except ImportError:  # pragma: no cover - the stand-in below, until merged
    check_edit = None
try:
    from geo.store.scenarios import check_name, copy_scenario, delete_scenario, rename_scenario
except ImportError:  # pragma: no cover - the stand-ins below, until merged
    check_name = copy_scenario = delete_scenario = rename_scenario = None

MAX_NAME = 80
save_scenario = stored.save_scenario


@dataclass(frozen=True)
class _Problems:
    """What the stand-in found: German lines (a :class:`geo._errors.Report` look-alike for the page)."""

    errors: list[str]
    warnings: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Check:
    report: _Problems
    edits: pd.DataFrame | None
    crs: str = ""

    @property
    def ok(self) -> bool:
        return self.report.ok


def _number(value: object) -> float:
    text = "" if value is None else str(value).strip()
    return float(parse_number(pd.Series([text], dtype=object)).iloc[0]) if text else float("nan")


def _append(edits: pd.DataFrame, row: dict) -> pd.DataFrame:
    full = {c: "" for c in scenarios.SCENARIO_COLUMNS}
    full.update({c: float("nan") for c in ("step", settings.OFFER_CAPACITY, "x", "y")})
    full.update(row, source="manual", step=float(len(edits) + 1))
    new = pd.DataFrame([full])[list(scenarios.SCENARIO_COLUMNS)]
    return pd.concat([edits, new], ignore_index=True) if len(edits) else new


def _point(errors: list[str], x: object, y: object, crs: str) -> dict:
    """The typed coordinates in the metric CRS (``x``, ``y``), or nothing and an error line."""
    vx, vy = _number(x), _number(y)
    if not (np.isfinite(vx) and np.isfinite(vy)):
        errors.append("Koordinaten: Bitte geben Sie beide Koordinaten als Zahlen an.")
        return {}
    fit_x, fit_y = point_fit(np.array([vx]), np.array([vy]), crs)
    if not (fit_x[0] and fit_y[0]):
        errors.append(f"Koordinaten: {x} / {y} passen nicht zu {crs} in Deutschland.")
        return {}
    mx, my = transform_xy(np.array([vx]), np.array([vy]), crs)
    return {"x": float(mx[0]), "y": float(my[0])}


def _stand_in_check(dataset: Dataset, action: str, *, edits=None, offer_type="", offer_id="", name="", address="",
                    x=None, y=None, crs=None, capacity=None, note="") -> _Check:
    """Minimal checks of one edit (stand-in of ``geo.ingest.scenario_edits.check_edit``)."""
    edits = scenarios.empty_edits() if edits is None else edits
    errors: list[str] = []
    name, address, note = (str(v or "").strip() for v in (name, address, note))
    row: dict = {"action": action, settings.OFFER_ID: str(offer_id or ""), "note": note}
    if action == "add":
        if offer_type not in dataset.offer_types.index:
            errors.append("Angebotsart: Bitte wählen Sie die Angebotsart.")
        if not name:
            errors.append("Name: Bitte geben Sie einen Namen an.")
        taken = set(dataset.offers[settings.OFFER_ID].astype(str)) | set(edits[settings.OFFER_ID].astype(str))
        n = 1
        while f"S-{n}" in taken:
            n += 1
        row.update({settings.OFFER_ID: f"S-{n}", settings.OFFER_TYPE: offer_type, settings.OFFER_NAME: name,
                    settings.OFFER_ADDRESS: address})
    elif action in ("move", "close", "capacity"):
        if str(offer_id) not in set(dataset.offers[settings.OFFER_ID].astype(str)):
            errors.append("Angebot: Bitte wählen Sie ein Angebot des Bestands.")
    elif action == "note" and not note:
        errors.append("Annahme: Bitte beschreiben Sie die Annahme.")
    if action in ("add", "move"):
        row.update(_point(errors, x, y, crs or settings.METRIC_CRS))
    if action in ("add", "capacity"):
        number = _number(capacity)
        if action == "capacity" and not np.isfinite(number):
            errors.append("Kapazität: Bitte geben Sie die neue Kapazität als Zahl an.")
        if np.isfinite(number) and number < 0:
            errors.append("Kapazität: Die Kapazität kann nicht negativ sein.")
        row[settings.OFFER_CAPACITY] = number
    return _Check(_Problems(errors, []), None if errors else _append(edits, row), crs or "")


def _stand_in_name(name: object, taken=()) -> str:
    text = str("" if name is None else name).strip()
    if not text:
        raise DataError("Bitte geben Sie dem Szenario einen Namen.")
    if len(text) > MAX_NAME:
        raise DataError(f"Der Name des Szenarios ist {len(text)} Zeichen lang; erlaubt sind höchstens {MAX_NAME}.")
    if any(ord(c) < 32 for c in text):
        raise DataError("Der Name des Szenarios enthält Steuerzeichen. Bitte geben Sie ihn in einer Zeile ein.")
    if text.casefold() == scenarios.STATUS_QUO.casefold():
        raise DataError("„Bestand“ steht für die echten Daten; bitte wählen Sie einen anderen Namen.")
    if text in taken:
        raise DataError(f"Ein Szenario „{text}“ gibt es schon. Bitte wählen Sie einen anderen Namen.")
    return text


def _table_write(workspace, table: pd.DataFrame, what: str, base_versions) -> object:
    if workspace.read_only:
        raise DataError("Die Demo Musterstadt ist schreibgeschützt.")
    table = table[list(scenarios.SCENARIO_COLUMNS)].reset_index(drop=True) if len(table) else scenarios.empty_edits()
    return workspace.save("scenarios", table, filename=what, base_versions=base_versions)


def _stand_in_rename(workspace, name, new_name, *, base_versions=None):
    current = stored.stored_edits(workspace)
    new = _stand_in_name(new_name, [n for n in scenarios.names(current) if n != name])
    table = current.copy()
    table.loc[table["scenario"].astype(str) == name, "scenario"] = new
    return _table_write(workspace, table, f"Szenario umbenannt: {name} → {new}", base_versions)


def _stand_in_copy(workspace, name, new_name, *, base_versions=None):
    current = stored.stored_edits(workspace)
    new = _stand_in_name(new_name, scenarios.names(current))
    rows = scenarios.edits_of(current, name).assign(scenario=new)
    return _table_write(workspace, pd.concat([current, rows], ignore_index=True), f"Szenario kopiert: {new}",
                        base_versions)


def _stand_in_delete(workspace, name, *, base_versions=None):
    current = stored.stored_edits(workspace)
    return _table_write(workspace, current[current["scenario"].astype(str) != name], f"Szenario gelöscht: {name}",
                        base_versions)


check_edit = check_edit or _stand_in_check
check_name = check_name or _stand_in_name
rename_scenario = rename_scenario or _stand_in_rename
copy_scenario = copy_scenario or _stand_in_copy
delete_scenario = delete_scenario or _stand_in_delete


def problems(check) -> tuple[list[str], list[str]]:
    """German error and warning lines of a check (SCENARIO's :class:`geo._errors.Report` or the stand-in's)."""
    report = check.report
    if isinstance(report, _Problems):
        return report.errors, report.warnings
    return [str(p) for p in report.errors], [str(p) for p in report.warnings]


def describe(edit: pd.Series, type_names: dict[str, str]) -> str:
    """One German line on an edit (SCENARIO's ``describe_edit`` where merged)."""
    describe_edit = getattr(scenarios, "describe_edit", None)
    if describe_edit is not None:
        return describe_edit(edit)
    action = str(edit["action"])
    text = f"Schritt {int(edit['step'])} – {scenarios.ACTIONS.get(action, action)}"
    if action == "note":
        return f"{text}: {edit['note']}"
    kind = type_names.get(str(edit[settings.OFFER_TYPE]), str(edit[settings.OFFER_TYPE]))
    return f"{text}: „{edit[settings.OFFER_NAME] or edit[settings.OFFER_ID]}“ ({edit[settings.OFFER_ID]}) {kind}"
