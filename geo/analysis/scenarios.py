"""What-if scenarios: named variants of the offers layer, stored as edits beside the real data.

A scenario is a list of edits (add, move, close an offer, change its capacity; an accepted site suggestion
becomes one ``add`` per site) applied in order to the stored offers. The edits of all scenarios are one table,
the workspace layer ``scenarios`` (:data:`SCENARIO_COLUMNS`); the real layers are never changed. Coordinates are
stored in :data:`geo.settings.METRIC_CRS`.

The edit builders (:func:`add_offer`, :func:`move_offer`, :func:`close_offer`, :func:`set_capacity`,
:func:`add_note`, :func:`edits_from_suggestion`) are pure: an edits table in, a new one with the edit appended
out. They expect values already checked (:func:`geo.ingest.scenario_edits.check_edit` checks what a planner typed).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import crs, settings
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.scenario_layer import NUMBERS as _NUMBERS
from geo.scenario_layer import SCENARIO_COLUMNS, STATUS_QUO, edits_of, empty_edits, names

if TYPE_CHECKING:
    from geo.analysis.sites import Suggestion

__all__ = ["ACTIONS", "SCENARIO_COLUMNS", "SOURCES", "STATUS_QUO", "add_note", "add_offer", "apply_edits",
           "close_offer", "describe_edit", "edits_from_suggestion", "edits_of", "empty_edits", "move_offer", "names",
           "new_offer_id", "scenario_dataset", "scenario_text", "set_capacity", "suggestion_note"]

#: Edit → German label.
ACTIONS: dict[str, str] = {
    "add": "Angebot hinzufügen",
    "move": "Angebot verlegen",
    "close": "Angebot schließen",
    "capacity": "Kapazität ändern",
    "note": "Annahme / Beschreibung",
}
#: Where an edit comes from → German label.
SOURCES: dict[str, str] = {"manual": "von Hand", "suggestion": "aus einem Standortvorschlag"}
#: Prefix of the ids of added offers ("S-1", "S-2", …).
ADDED_PREFIX = "S-"


def scenario_text(name: str) -> str:
    """The mark every view and export of a scenario carries.

    "Szenario „Plan 2027“ – kein Bestand, nur Planungsvariante".
    """
    return f"Szenario „{name}“ – kein Bestand, nur Planungsvariante"


# --- building edits ------------------------------------------------------------------------------------------------

def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else str(value)


def _number(value: object) -> float:
    return float("nan") if value is None or value == "" else float(value)


def _append(edits: pd.DataFrame | None, action: str, **fields: object) -> pd.DataFrame:
    """``edits`` with one row appended (its ``step`` the next number); absent fields are empty."""
    base = empty_edits() if edits is None else edits
    row = {c: "" for c in SCENARIO_COLUMNS}
    row.update({c: float("nan") for c in _NUMBERS})
    row.update(scenario=str(base["scenario"].iloc[-1]) if len(base) else "", action=action, source="manual")
    for key, value in fields.items():
        row[key] = _number(value) if key in _NUMBERS else _text(value)
    steps = pd.to_numeric(base["step"], errors="coerce")
    row["step"] = float(steps.max() + 1) if len(base) and steps.notna().any() else 1.0
    out = pd.concat([base, pd.DataFrame([row])[list(SCENARIO_COLUMNS)]], ignore_index=True) if len(base) \
        else pd.DataFrame([row])[list(SCENARIO_COLUMNS)]
    return out.astype({c: float for c in _NUMBERS})


def new_offer_id(offers: pd.DataFrame | None, edits: pd.DataFrame | None = None) -> str:
    """The next free id of an added offer, "S-<n>", unique against the offers and the ids the edits name."""
    taken: set[str] = set()
    for frame in (offers, edits):
        if frame is not None and len(frame) and settings.OFFER_ID in frame:
            taken |= set(frame[settings.OFFER_ID].astype("str").str.strip())
    numbers = [int(m.group(1)) for t in taken if (m := re.fullmatch(re.escape(ADDED_PREFIX) + r"(\d+)", t))]
    n = max(numbers, default=0) + 1
    while f"{ADDED_PREFIX}{n}" in taken:  # pragma: no cover - max + 1 is free; kept against odd ids
        n += 1
    return f"{ADDED_PREFIX}{n}"


def add_offer(
    edits: pd.DataFrame | None, offers: pd.DataFrame | None, *, offer_type: str, name: str, x: float, y: float,
    address: str = "", capacity: float | None = None, source: str = "manual", note: str = "",
    offer_id: str | None = None,
) -> pd.DataFrame:
    """``edits`` with an ``add`` of a new offer at ``x``/``y`` (metric CRS); its id is :func:`new_offer_id`."""
    offer_id = offer_id or new_offer_id(offers, edits)
    return _append(edits, "add", offer_id=offer_id, offer_type=offer_type, name=name, address=address,
                   capacity=capacity, x=x, y=y, source=source, note=note)


def _target(offers: pd.DataFrame | None, edits: pd.DataFrame | None, offer_id: str) -> dict[str, str]:
    """Type and name of the offer an edit names, from the offers or an earlier ``add`` (for readable edit lists)."""
    for frame in (edits, offers):
        if frame is None or not len(frame):
            continue
        hit = frame[frame[settings.OFFER_ID].astype("str") == str(offer_id)]
        if len(hit):
            row = hit.iloc[-1]
            return {settings.OFFER_TYPE: _text(row.get(settings.OFFER_TYPE)),
                    settings.OFFER_NAME: _text(row.get(settings.OFFER_NAME))}
    return {}


def move_offer(edits: pd.DataFrame | None, offers: pd.DataFrame | None, offer_id: str, *, x: float, y: float,
               note: str = "") -> pd.DataFrame:
    """``edits`` with a ``move`` of offer ``offer_id`` (stored or added before) to ``x``/``y`` (metric CRS)."""
    return _append(edits, "move", offer_id=offer_id, x=x, y=y, note=note,
                   **_target(offers, edits, offer_id))


def close_offer(edits: pd.DataFrame | None, offers: pd.DataFrame | None, offer_id: str, *,
                note: str = "") -> pd.DataFrame:
    """``edits`` with a ``close`` of offer ``offer_id``."""
    return _append(edits, "close", offer_id=offer_id, note=note, **_target(offers, edits, offer_id))


def set_capacity(edits: pd.DataFrame | None, offers: pd.DataFrame | None, offer_id: str, capacity: float, *,
                 note: str = "") -> pd.DataFrame:
    """``edits`` with a ``capacity`` change of offer ``offer_id``."""
    return _append(edits, "capacity", offer_id=offer_id, capacity=capacity, note=note,
                   **_target(offers, edits, offer_id))


def add_note(edits: pd.DataFrame | None, text: str) -> pd.DataFrame:
    """``edits`` with a ``note`` row: an assumption or description of the scenario (changes no offer)."""
    return _append(edits, "note", note=text)


def suggestion_note(suggestion: Suggestion, *, type_label: str, need_weights: Mapping[str, float] | None = None,
                    candidates: int | None = None) -> str:
    """The assumptions of a site suggestion in German, for its ``note`` row and the report."""
    from geo.analysis.sites import CANDIDATE_SOURCES, need_weights_text

    weights = settings.SITE_NEED_WEIGHTS if need_weights is None else need_weights
    n = len(suggestion.sites)
    how = ("mit der höchsten bedarfsgewichteten Abdeckung" if suggestion.method == "max_cover"
           else "als kleinste Zahl neuer Standorte für das Abdeckungsziel")
    sources = sorted({CANDIDATE_SOURCES.get(s, s) for s in suggestion.sites.get("source", pd.Series(dtype=str))})
    pool = f"{format_number(candidates)} Kandidaten" if candidates is not None else "Kandidaten"
    text = (f"Standortvorschlag {type_label}: {format_number(n)} neue Standorte {how}; bestehende Angebote bleiben "
            f"gesetzt. Bedarfsgewichte: {need_weights_text(dict(weights))}. {pool}"
            + (f" ({'; '.join(sources)})" if sources else "") + f". Löserstatus: {suggestion.status_text}")
    if suggestion.status != "optimal" and np.isfinite(suggestion.gap):
        text += f" (Optimalitätslücke {format_number(100 * suggestion.gap, 1)} %)"
    before, after = suggestion.before.people, suggestion.after.people
    return text + (f". Abdeckung vorher {format_number(before)}, nachher {format_number(after)} "
                   f"(Zugewinn {format_number(after - before)}); Entfernung: Luftlinie bzw. Reichweitenmodell "
                   "der Angebotsart.")


def edits_from_suggestion(
    suggestion: Suggestion, offer_type: str, *, note: str = "", offers: pd.DataFrame | None = None,
    edits: pd.DataFrame | None = None, type_label: str | None = None,
    need_weights: Mapping[str, float] | None = None, candidates: int | None = None,
) -> pd.DataFrame:
    """``edits`` (default none) with one ``add`` per suggested site in rank order and a ``note`` with the assumptions.

    Each added offer is named "Vorschlag <rank>: <candidate name>", has the candidate's address and point and the
    source "suggestion"; its id is :func:`new_offer_id` against ``offers`` and ``edits``. The note row holds
    :func:`suggestion_note` followed by ``note`` (the planner's own words, e.g. the coverage target).
    """
    out = empty_edits() if edits is None else edits
    sites = crs.to_metric(suggestion.sites, name="Standortvorschläge") if len(suggestion.sites) else suggestion.sites
    for _, site in sites.sort_values("rank", kind="stable").iterrows():
        name = _text(site.get(settings.OFFER_NAME)) or _text(site.get("candidate_id"))
        out = add_offer(out, offers, offer_type=offer_type, name=f"Vorschlag {int(site['rank'])}: {name}",
                        address=_text(site.get(settings.OFFER_ADDRESS)), x=site.geometry.x, y=site.geometry.y,
                        source="suggestion")
    text = suggestion_note(suggestion, type_label=type_label or offer_type, need_weights=need_weights,
                           candidates=candidates)
    return _append(out, "note", note=f"{text} {note}".strip(), offer_type=offer_type, source="suggestion")


def describe_edit(edit: pd.Series | Mapping) -> str:
    """One German line on an edit: "Schritt 2 – Angebot verlegen: „FGZ West“ (F1), fgz" (names are data, quoted)."""
    get = edit.get
    step = pd.to_numeric(pd.Series([get("step")]), errors="coerce").iloc[0]
    action = _text(get("action"))
    head = (f"Schritt {int(step)} – " if np.isfinite(step) else "") + ACTIONS.get(action, action)
    if action == "note":
        return f"{head}: {_text(get('note'))}"
    name, offer_id = _text(get(settings.OFFER_NAME)), _text(get(settings.OFFER_ID))
    what = f"„{name}“ ({offer_id})" if name else f"„{offer_id}“"
    offer_type = _text(get(settings.OFFER_TYPE))
    text = f"{head}: {what}" + (f", {offer_type}" if offer_type else "")
    if action == "capacity":
        text += f", Kapazität {format_number(_number(get(settings.OFFER_CAPACITY)), 1).removesuffix(',0')}"
    if action in ("add", "move"):
        x, y = _number(get("x")), _number(get("y"))
        text += f", bei {format_number(x)} / {format_number(y)} ({settings.METRIC_CRS})"
    if _text(get("source")) == "suggestion" and action == "add":
        text += f" – {SOURCES['suggestion']}"
    return text


# --- applying edits ------------------------------------------------------------------------------------------------

def _skipped(edit: pd.Series, why: str) -> str:
    step = pd.to_numeric(pd.Series([edit.get("step")]), errors="coerce").iloc[0]
    where = f"Schritt {int(step)}" if np.isfinite(step) else "Ein Schritt"
    action = ACTIONS.get(str(edit.get("action")), str(edit.get("action")))
    return f"{where} ({action}): {why} – übersprungen"


@dataclass
class _State:
    """The offers while edits apply: stored rows first, added ones after, each open or closed."""

    ids: list[str]
    types: list[str]
    geometry: list
    capacity: list
    open_: list[bool]
    added: list[dict] = field(default_factory=list)

    def find(self, offer_id: str, offer_type: str) -> int | None:
        hits = [i for i, v in enumerate(self.ids) if v == offer_id and (not offer_type or self.types[i] == offer_type)]
        hits = hits or [i for i, v in enumerate(self.ids) if v == offer_id]
        return hits[-1] if hits else None


def _point(edit: pd.Series):
    x, y = pd.to_numeric(pd.Series([edit.get("x"), edit.get("y")]), errors="coerce")
    return gpd.points_from_xy([x], [y])[0] if np.isfinite(x) and np.isfinite(y) else None


def _apply(state: _State, edit: pd.Series) -> str | None:
    """Apply one edit to ``state``; the German note when it is skipped."""
    action, offer_id = _text(edit.get("action")), _text(edit.get(settings.OFFER_ID)).strip()
    offer_type = _text(edit.get(settings.OFFER_TYPE)).strip()
    if action == "note":
        return None
    if action not in ACTIONS:
        return _skipped(edit, "unbekannte Änderung")
    point = _point(edit) if action in ("add", "move") else None
    if action in ("add", "move") and point is None:
        return _skipped(edit, "ohne Koordinaten")
    i = state.find(offer_id, offer_type) if offer_id else None
    if action == "add":
        if not offer_id or i is not None:
            return _skipped(edit, f"die Kennung „{offer_id}“ gibt es schon" if offer_id else "ohne Kennung")
        state.ids.append(offer_id)
        state.types.append(offer_type)
        state.geometry.append(point)
        state.capacity.append(_number(edit.get(settings.OFFER_CAPACITY)))
        state.open_.append(True)
        state.added.append({settings.OFFER_NAME: _text(edit.get(settings.OFFER_NAME)),
                            settings.OFFER_ADDRESS: _text(edit.get(settings.OFFER_ADDRESS))})
    elif i is None:
        return _skipped(edit, f"Angebot „{offer_id}“ gibt es im Bestand nicht mehr")
    elif not state.open_[i]:
        return _skipped(edit, f"Angebot „{offer_id}“ ist in diesem Szenario bereits geschlossen")
    elif action == "close":
        state.open_[i] = False
    elif action == "move":
        state.geometry[i] = point
    else:
        state.capacity[i] = _number(edit.get(settings.OFFER_CAPACITY))
    return None


def apply_edits(offers: gpd.GeoDataFrame, edits: pd.DataFrame) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The offers layer after ``edits`` (one scenario's, in step order), and German notes on edits skipped.

    Edits apply in order, each to the offers as the edits before it left them: an added offer can be moved,
    closed or get a capacity later; a repeated move or capacity change wins over the earlier one. Skipped, each
    with a note naming its step: an edit on an offer id the offers do not have (the layer was replaced since),
    on an offer closed by an earlier edit, an ``add`` of an id that exists, an ``add``/``move`` without
    coordinates, an unknown action. ``note`` rows change nothing. Stored offers keep their row order; added
    ones follow in the order they were added. Nothing of ``offers`` is changed.
    """
    metric = crs.to_metric(offers, name="Angebote").reset_index(drop=True)
    n = len(metric)
    state = _State(
        ids=metric[settings.OFFER_ID].astype("str").tolist() if n else [],
        types=metric[settings.OFFER_TYPE].astype("str").tolist() if n else [],
        geometry=list(metric.geometry),
        capacity=metric[settings.OFFER_CAPACITY].tolist() if settings.OFFER_CAPACITY in metric else [np.nan] * n,
        open_=[True] * n,
    )
    notes = [note for _, edit in edits.iterrows() if (note := _apply(state, edit)) is not None]
    out = metric.drop(columns="geometry")
    if state.added:
        new = pd.DataFrame(state.added)
        new[settings.OFFER_ID], new[settings.OFFER_TYPE] = state.ids[n:], state.types[n:]
        out = pd.concat([out, new], ignore_index=True)
    out[settings.OFFER_CAPACITY] = pd.to_numeric(pd.Series(state.capacity, dtype=object), errors="coerce").to_numpy()
    layer = gpd.GeoDataFrame(out, geometry=gpd.GeoSeries(state.geometry, crs=metric.crs).to_numpy(), crs=metric.crs)
    return layer[np.asarray(state.open_, dtype=bool)].reset_index(drop=True), notes


def scenario_dataset(dataset: Dataset, name: str) -> tuple[Dataset, list[str]]:
    """``dataset`` with the offers of scenario ``name`` (its stored edits) and ``scenario`` set to ``name``."""
    offers, notes = apply_edits(dataset.offers, edits_of(dataset.scenarios, name))
    return replace(dataset, offers=offers, scenario=name), notes
