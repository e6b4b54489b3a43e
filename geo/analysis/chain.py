"""The Präventionskette: per district and life phase whether the phase's offers reach its target group.

The rule (also on screen, in the report and in every chain export, see :func:`rule_text`)
-----------------------------------------------------------------------------------------
A *Glied der Kette* (link) is a life phase (:func:`geo.catalog.read_phases`) with the analysed offer types
assigned to it (column ``phase`` of the offer type table). In a district the link is

- **present** (✔) when at least ``result.max_share_in_reach`` of the target group lives in reach of an offer of
  the phase; where a phase has several analysed offer types, the **highest share among them** counts (one good
  offer closes the link);
- **missing** (✘) otherwise – in a *Sozialraum mit hohem Bedarf* (status niedrig/sehr niedrig) that is a
  *Versorgungslücke* of the chain;
- **"?"** when no share exists (no one of the target group is known to live there);
- **"•"** when the target group counts 1 or 2 people: then its share and state are not shown
  (:mod:`geo.analysis.protect`, rule 1), and the link counts neither as present nor as missing;
- **"–"** when no offer type of the phase is analysed (none configured, or none with stored locations). Such a
  phase is named once (:attr:`Chain.notes`) instead of counting as missing in every district.

Pure: a :class:`~geo.analysis.Result` and the two configuration tables in, a :class:`Chain` out.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis import Result, column
from geo.analysis.need import IN_NEED_CLASSES
from geo.analysis.protect import HIDDEN, SMALL, reach_codes
from geo.formatting import format_number

REACHED: Final[str] = "✔"
MISSING: Final[str] = "✘"
NO_TARGET: Final[str] = "?"
NOT_MEASURED: Final[str] = "–"
#: State of a link whose target group is too small to show (1 or 2 people).
PROTECTED: Final[str] = HIDDEN
#: State → German meaning (legends, method notes).
STATES: Final[dict[str, str]] = {
    REACHED: "Glied vorhanden",
    MISSING: "fehlendes Glied",
    NO_TARGET: "keine Zielgruppe im Sozialraum bekannt",
    PROTECTED: "aus Datenschutzgründen nicht ausgewiesen (1 oder 2 Personen der Zielgruppe)",
    NOT_MEASURED: "keine Angebotsart der Lebensphase ausgewertet",
}
CELL_COLUMNS = [
    settings.DISTRICT_ID, "phase", "offer_type", "target", "share_in_reach", "state", "target_code", "share_code",
    "gap",
]
DISTRICT_COLUMNS = [
    settings.DISTRICT_ID, settings.DISTRICT_NAME, "status_class", "in_need", "missing", "unknown", "row_text",
]


@dataclass(frozen=True)
class Chain:
    """The Ketten-Matrix of one analysis.

    Attributes
    ----------
    phases
        Every life phase, indexed by ``phase`` in order: ``label``, ``short``, ``order``, ``types`` (tuple of the
        analysed offer types of the phase, config order), ``missing`` and ``missing_in_need`` (districts with
        the link missing, of all and of those in need; 0 for a phase not measured).
    cells
        One row per district (order of ``result.districts``) and measured phase (:data:`CELL_COLUMNS`):
        ``offer_type`` whose share counts ("" where none), its ``target`` (people of its target group) and
        ``share_in_reach`` (0–1, NaN where none), ``state`` (a key of :data:`STATES`), the protection codes
        ``target_code`` ("< 3" or "") and ``share_code`` ("•" or "") and ``gap`` (link missing in a district
        in need).
    districts
        One row per district (:data:`DISTRICT_COLUMNS`): ``missing`` (number of missing links), ``unknown``
        (links with "?" or "•") and ``row_text`` ("Geburt ✔ · frühe Kindheit ✘ · Grundschule ✘").
    max_share_in_reach
        The share a link needs to be present.
    notes
        German sentences on phases not measured and offer types whose phase is not in the phase table.
    """

    phases: pd.DataFrame
    cells: pd.DataFrame
    districts: pd.DataFrame
    max_share_in_reach: float
    notes: tuple[str, ...] = ()

    @property
    def measured(self) -> list[str]:
        """The phases with at least one analysed offer type, in order: the columns of the matrix."""
        return [p for p, types in self.phases["types"].items() if types]

    @property
    def most_missing(self) -> list[str]:
        """The phase(s) missing in the most districts (ties: all of them, in order); empty when none is missing."""
        measured = self.phases.loc[self.measured, "missing"]
        if measured.empty or int(measured.max()) == 0:
            return []
        return [str(p) for p in measured.index[measured == measured.max()]]

    def wide(self, value: str = "state") -> pd.DataFrame:
        """One cell value per district (rows, by ``district_id`` in the order of :attr:`districts`) and phase."""
        ids = self.districts[settings.DISTRICT_ID]
        if not self.measured:
            return pd.DataFrame(index=pd.Index(ids, name=settings.DISTRICT_ID))
        table = self.cells.pivot(index=settings.DISTRICT_ID, columns="phase", values=value)
        return table.reindex(index=ids, columns=self.measured)


def _german_list(items: list[str]) -> str:
    """``["a", "b", "c"]`` → "a, b und c"."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " und " + items[-1]


def _phase_types(result: Result, offer_types: pd.DataFrame, phases: pd.DataFrame) -> tuple[dict, dict, list[str]]:
    """Per phase the analysed offer types of the result and those configured (analysed), and notes on others."""
    phase_of = offer_types["phase"].astype(str).str.strip() if "phase" in offer_types else pd.Series(dtype=str)
    analysed = offer_types["analysed"].astype(bool) if "analysed" in offer_types else pd.Series(dtype=bool)
    in_result = {p: [] for p in phases.index}
    configured = {p: [] for p in phases.index}
    notes = []
    for t, phase in phase_of.items():
        if not phase or not bool(analysed.get(t, False)):
            continue
        if phase not in configured:
            notes.append(f"Die Angebotsart „{t}“ ist der Lebensphase „{phase}“ zugeordnet, die es in der "
                         "Lebensphasen-Tabelle nicht gibt; sie zählt in keinem Glied der Kette.")
            continue
        configured[phase].append(str(t))
        if t in result.offer_types:
            in_result[phase].append(str(t))
    return in_result, configured, notes


def _unmeasured_notes(phases: pd.DataFrame, in_result: dict, configured: dict, offer_types: pd.DataFrame) -> list:
    """One sentence for the phases without any type, one per phase whose types have no stored locations."""
    none = [str(phases.at[p, "short"]) for p in phases.index if not configured[p]]
    notes = []
    if none:
        notes.append(f"Für {_german_list(none)} ist keine Angebotsart erfasst; "
                     f"{'dieses Glied' if len(none) == 1 else 'diese Glieder'} der Kette "
                     f"{'wird' if len(none) == 1 else 'werden'} nicht ausgewertet.")
    for p in phases.index:
        if configured[p] and not in_result[p]:
            plural = [str(offer_types.at[t, "plural"]) if "plural" in offer_types else t for t in configured[p]]
            notes.append(f"Für {phases.at[p, 'short']} liegen noch keine Standorte vor ({_german_list(plural)}); "
                         "das Glied wird nicht ausgewertet.")
    return notes


def _phase_cells(result: Result, types: list[str], in_need: np.ndarray, threshold: int) -> dict[str, np.ndarray]:
    """The cells of one measured phase for every district: the best type's share and the protected state."""
    d = result.districts
    n = len(d)
    shares = np.column_stack([d[column("share_in_reach", t)].to_numpy(dtype=float) for t in types])
    finite = np.isfinite(shares)
    best = np.argmax(np.where(finite, shares, -np.inf), axis=1)
    rows = np.arange(n)
    share = np.where(finite.any(axis=1), shares[rows, best], np.nan)

    def per_type(metric: str) -> np.ndarray:
        return np.column_stack([d[column(metric, t)].to_numpy(dtype=float) for t in types])[rows, best]

    # results from before the per-type target column measured every type for the one population
    target = per_type("target") if all(column("target", t) in d for t in types) else (
        d[result.population.column].to_numpy(dtype=float))
    without = np.where(np.isfinite(share), per_type("without_reach"), np.nan)
    codes = reach_codes(target, without, threshold=threshold)
    with np.errstate(invalid="ignore"):
        reached = share >= result.max_share_in_reach
    state = np.where(reached, REACHED, MISSING).astype(object)
    state[~np.isfinite(share) | (target == 0)] = NO_TARGET
    small = codes.children != ""
    state[small] = PROTECTED
    return {
        "offer_type": np.where(finite.any(axis=1), np.asarray(types, dtype=object)[best], ""),
        "target": target, "share_in_reach": share, "state": state,
        "target_code": codes.children.astype(object), "share_code": codes.share.astype(object),
        "gap": in_need & (state == MISSING),
    }


def chain_matrix(
    result: Result, offer_types: pd.DataFrame, phases: pd.DataFrame, *, threshold: int | None = None,
) -> Chain:
    """The Ketten-Matrix: per district and life phase the reach of the phase's offers for its target group.

    Parameters
    ----------
    result
        The analysis: per analysed type ``share_in_reach``, ``target`` and ``without_reach`` (see
        :func:`geo.analysis.column`).
    offer_types
        The offer type table (``phase``, ``analysed``, ``plural``), e.g. ``dataset.offer_types``.
    phases
        The life phases (``label``, ``short``, ``order``), indexed by ``phase`` in order (``dataset.phases``).
    threshold
        Smallest count shown (default :data:`geo.settings.MIN_COUNT_SHOWN` at call time).

    Returns
    -------
    Chain
        See the module docstring for the rule: a phase with several analysed types takes the highest share
        among them; a link is present at a share of at least ``result.max_share_in_reach``.
    """
    threshold = settings.MIN_COUNT_SHOWN if threshold is None else int(threshold)
    d = result.districts
    ids = d[settings.DISTRICT_ID].astype(str).to_numpy(dtype=object)
    in_need = d["status_class"].isin(IN_NEED_CLASSES).to_numpy(dtype=bool)
    in_result, configured, notes = _phase_types(result, offer_types, phases)
    notes = _unmeasured_notes(phases, in_result, configured, offer_types) + notes
    parts, missing, missing_in_need = [], {}, {}
    for p in phases.index:
        if not in_result[p]:
            missing[p] = missing_in_need[p] = 0
            continue
        cells = _phase_cells(result, in_result[p], in_need, threshold)
        parts.append(pd.DataFrame({settings.DISTRICT_ID: ids, "phase": p, **cells}))
        missing[p] = int((cells["state"] == MISSING).sum())
        missing_in_need[p] = int(cells["gap"].sum())
    cells = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=CELL_COLUMNS)
    table = phases[["label", "short", "order"]].copy()
    table["types"] = [tuple(in_result[p]) for p in phases.index]
    table["missing"] = [missing[p] for p in phases.index]
    table["missing_in_need"] = [missing_in_need[p] for p in phases.index]
    return Chain(phases=table, cells=cells[CELL_COLUMNS], districts=_district_rows(d, ids, in_need, cells, table),
                 max_share_in_reach=float(result.max_share_in_reach), notes=tuple(notes))


def _district_rows(d: pd.DataFrame, ids: np.ndarray, in_need: np.ndarray, cells: pd.DataFrame,
                   phases: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame({
        settings.DISTRICT_ID: ids,
        settings.DISTRICT_NAME: d[settings.DISTRICT_NAME].astype(str).to_numpy(dtype=object),
        "status_class": d["status_class"].astype(str).to_numpy(dtype=object),
        "in_need": in_need,
    })
    n = len(ids)
    state = {p: cells.loc[cells["phase"] == p, "state"].to_numpy() for p in phases.index}
    measured = [p for p in phases.index if len(state[p]) == n and n]
    out["missing"] = sum((state[p] == MISSING).astype(int) for p in measured) if measured else 0
    out["unknown"] = sum(np.isin(state[p], [NO_TARGET, PROTECTED]).astype(int) for p in measured) if measured else 0
    short = {p: phases.at[p, "short"] for p in measured}  # looked up once, not once per district
    out["row_text"] = [" · ".join(f"{short[p]} {state[p][i]}" for p in measured) for i in range(n)]
    return out[DISTRICT_COLUMNS]


def rule_text(max_share_in_reach: float) -> str:
    """The chain rule in German, for the page, the report and the method notes of the exports."""
    share = format_number(100 * max_share_in_reach, 0, unit="%")
    return (f"Ein Glied der Kette ist vorhanden ({REACHED}), wenn mindestens {share} der Zielgruppe der Lebensphase "
            f"im Sozialraum ein Angebot der Lebensphase in Reichweite haben; sonst fehlt es ({MISSING}). Hat eine "
            "Lebensphase mehrere Angebotsarten, zählt die mit dem höchsten Anteil. Ein fehlendes Glied in einem "
            f"Sozialraum mit hohem Bedarf (Status niedrig oder sehr niedrig) ist eine Versorgungslücke der Kette. "
            f"{NO_TARGET} = {STATES[NO_TARGET]}; {PROTECTED} = {STATES[PROTECTED]}; {NOT_MEASURED} = "
            f"{STATES[NOT_MEASURED]}.")


def most_missing_text(chain: Chain) -> str:
    """The sentence naming the phase missing most often, with its districts (of all and of those in need)."""
    if not chain.measured:
        return "Für keine Lebensphase ist eine Angebotsart mit Standorten ausgewertet."
    top = chain.most_missing
    if not top:
        return "In keinem Sozialraum fehlt ein Glied der Kette."
    n = len(chain.districts)
    n_need = int(chain.districts["in_need"].sum())
    first = chain.phases.loc[top[0]]
    names = _german_list([f"„{chain.phases.at[p, 'short']}“" for p in top])
    head = (f"Am häufigsten fehlt das Glied {names}: in" if len(top) == 1 else
            f"Am häufigsten fehlen die Glieder {names}: je in")
    text = f"{head} {format_number(first['missing'])} von {format_number(n)} Sozialräumen"
    if n_need:
        need = _german_list([format_number(chain.phases.at[p, "missing_in_need"]) for p in top])
        text += f", darunter {need} von {format_number(n_need)} Sozialräumen mit hohem Bedarf"
    return text + "."


def cell_text(state: str, share: float, share_code: str, target_code: str = "") -> str:
    """One cell for people: "✔ 74 %", "✘ 12 %", "✘ •" (share hidden), "• (< 3)", "?", "–"."""
    if state == PROTECTED:
        return f"{PROTECTED} ({target_code or SMALL})"
    if state in (NO_TARGET, NOT_MEASURED):
        return state
    if share_code:
        return f"{state} {share_code}"
    return f"{state} {format_number(100 * share, 0)} %"
