"""Compare two analyses of the same districts: the status quo and a scenario, two scenarios, two years or versions.

Data protection (:mod:`geo.analysis.protect`): the key figures are totals under rule 6, summed over the districts
whose share in reach is shown in both analyses (the number left out is given); the district table carries the
code of every share that is not shown (:func:`protected_districts` applies it).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.chain import Chain, chain_matrix
from geo.analysis.gaps import column
from geo.analysis.need import IN_NEED_CLASSES
from geo.analysis.population import Population
from geo.analysis.protect import HIDDEN, district_codes, signed_count
from geo.analysis.run import Result
from geo.analysis.scenarios import STATUS_QUO
from geo.formatting import format_number

KEY_FIGURE_COLUMNS: tuple[str, ...] = (
    settings.OFFER_TYPE, "reached_before", "reached_after", "reached_change", "in_need_before", "in_need_after",
    "in_need_change", "gaps_before", "gaps_after", "gaps_closed", "gaps_opened", "left_out",
)
DISTRICT_COLUMNS: tuple[str, ...] = (
    settings.DISTRICT_ID, settings.DISTRICT_NAME, settings.OFFER_TYPE, "in_need", "share_before", "share_after",
    "reached_before", "reached_after", "reached_change", "gap_before", "gap_after", "share_code",
)
CHAIN_CHANGE_COLUMNS: tuple[str, ...] = (
    settings.DISTRICT_ID, settings.DISTRICT_NAME, "phase", "state_before", "state_after", "share_before",
    "share_after", "gap_before", "gap_after",
)


@dataclass(frozen=True)
class Comparison:
    """What changes from ``base`` to ``variant``.

    Attributes
    ----------
    key_figures
        One row per offer type of either result (:data:`KEY_FIGURE_COLUMNS`): ``reached_before``,
        ``reached_after``, ``reached_change`` (people of the type's target group in reach, summed over the
        districts shown in both analyses), the same for the districts in need (``in_need_*``, each analysis' own:
        two years may differ in which districts are in need), ``gaps_before``,
        ``gaps_after``, ``gaps_closed``, ``gaps_opened`` (districts), ``left_out`` (districts left out of the
        sums because a share is not shown, data protection rule 6). A type one analysis has no offer of (a
        scenario adding the first Familienbüro, or closing every one) counts there as no one in reach and a gap in
        every district in need.
    districts
        One row per district and offer type (:data:`DISTRICT_COLUMNS`): shares (0–1) and people in reach before
        and after, ``reached_change``, ``gap_before``, ``gap_after`` and ``share_code`` ("•" where a share of
        either analysis is not shown; its people are then not shown either).
    chain_before, chain_after
        The Ketten-Matrix of both analyses (``None`` when the comparison was made without the configuration).
    chain_changes
        The cells of the matrix whose state changed (:data:`CHAIN_CHANGE_COLUMNS`), in district and phase order.
    base_name, variant_name
        What is compared: "Bestand" or a scenario's name.
    """

    key_figures: pd.DataFrame
    districts: pd.DataFrame
    chain_before: Chain | None = None
    chain_after: Chain | None = None
    chain_changes: pd.DataFrame | None = None
    base_name: str = STATUS_QUO
    variant_name: str = ""

    def figures(self, offer_type: str) -> pd.Series:
        """The key figures of one offer type."""
        rows = self.key_figures[self.key_figures[settings.OFFER_TYPE] == offer_type]
        if not len(rows):
            raise KeyError(offer_type)
        return rows.iloc[0]


def _values(result: Result, offer_type: str, metric: str, default: float) -> np.ndarray:
    name = column(metric, offer_type)
    d = result.districts
    return d[name].to_numpy(dtype=float) if name in d else np.full(len(d), default)


@dataclass(frozen=True)
class _Side:
    """One analysis' figures of one offer type, per district in the base's order."""

    target: np.ndarray
    share: np.ndarray
    reached: np.ndarray
    gap: np.ndarray
    hidden: np.ndarray


def _side(result: Result, offer_type: str, order: np.ndarray, codes: pd.DataFrame) -> _Side:
    """The figures of ``offer_type`` in ``result``, per district in ``order``."""
    name = column("share_in_reach", offer_type)
    target = _values(result, offer_type, "target", 0.0)[order]
    share = _values(result, offer_type, "share_in_reach", np.nan)[order]
    return _Side(target=target, share=share, reached=np.nan_to_num(target * share),
                 gap=_values(result, offer_type, "gap", 0.0).astype(bool)[order],
                 hidden=(codes[name] != "").to_numpy()[order] if name in codes else np.zeros(len(order), bool))


def measured_like(result: Result, other: Result) -> Result:
    """``result`` with every offer type of ``other`` it has no offer of measured as nobody in reach.

    :func:`~geo.analysis.analyse` leaves out a type without offers; a scenario that closes the last one (or a
    Bestand before the first) would otherwise seem to have no gaps of it. The type's target group, radius and
    reach model are ``other``'s (same districts and year); every district in need with people of the target group
    is a gap.
    """
    missing = [t for t in other.offer_types if t not in result.offer_types]
    if not missing:
        return result
    d = result.districts.copy()
    rows = pd.Index(other.districts[settings.DISTRICT_ID].astype("str")).get_indexer(
        d[settings.DISTRICT_ID].astype("str"))
    in_need = d["status_class"].isin(IN_NEED_CLASSES).to_numpy()
    for t in missing:
        target = other.districts[column("target", t)].to_numpy(dtype=float)[rows]
        share = np.where(target > 0, 0.0, np.nan)
        d[column("share_in_reach", t)] = share
        d[column("median_distance_m", t)] = np.nan
        d[column("offers_inside", t)] = 0
        d[column("target", t)] = target
        d[column("without_reach", t)] = np.round(target * (1 - share))
        d[column("gap", t)] = in_need & (share < result.max_share_in_reach)
    types = [t for t in other.offer_types if t in result.offer_types or t in missing] + [
        t for t in result.offer_types if t not in other.offer_types]
    return dataclasses.replace(
        result, districts=d, offer_types=types, radii={**other.radii, **result.radii},
        targets={**other.targets, **result.targets}, reach_models={**other.reach_models, **result.reach_models})


def _chain_changes(before: Chain, after: Chain) -> pd.DataFrame:
    keys = [settings.DISTRICT_ID, "phase"]
    a = before.cells[[*keys, "state", "share_in_reach", "gap"]]
    b = after.cells[[*keys, "state", "share_in_reach", "gap"]]
    both = a.merge(b, on=keys, how="outer", suffixes=("_before", "_after"), sort=False)
    names = before.districts.set_index(settings.DISTRICT_ID)[settings.DISTRICT_NAME]
    changed = both[both["state_before"].fillna("–") != both["state_after"].fillna("–")].copy()
    changed[settings.DISTRICT_NAME] = changed[settings.DISTRICT_ID].map(names)
    changed = changed.rename(columns={"share_in_reach_before": "share_before", "share_in_reach_after": "share_after"})
    for flag in ("gap_before", "gap_after"):
        changed[flag] = changed[flag].fillna(False).astype(bool)
    phase_order = {p: i for i, p in enumerate(before.phases.index)}
    district_order = {d: i for i, d in enumerate(before.districts[settings.DISTRICT_ID])}
    changed = changed.assign(_d=changed[settings.DISTRICT_ID].map(district_order),
                             _p=changed["phase"].map(phase_order)).sort_values(["_d", "_p"], kind="stable")
    return changed[list(CHAIN_CHANGE_COLUMNS)].reset_index(drop=True)


def compare(
    base: Result, variant: Result, *, offer_types: pd.DataFrame | None = None, phases: pd.DataFrame | None = None,
    base_name: str = STATUS_QUO, variant_name: str = "",
) -> Comparison:
    """The change from ``base`` to ``variant`` per offer type and per district (rows matched by district id).

    Parameters
    ----------
    base, variant
        Two analyses of the same districts (e.g. of the status quo and of :func:`geo.analysis.scenarios.
        scenario_dataset`, or of two scenarios).
    offer_types, phases
        The configuration tables (``dataset.offer_types``, ``dataset.phases``): with them the Ketten-Matrix of
        both analyses and its changed cells are part of the comparison.
    base_name, variant_name
        What the two analyses show, for texts ("Bestand", a scenario's name).
    """
    ids = base.districts[settings.DISTRICT_ID].astype("str").to_numpy()
    order = pd.Index(variant.districts[settings.DISTRICT_ID].astype("str")).get_indexer(ids)
    if (order < 0).any() or len(order) != len(variant.districts):
        raise ValueError("compare() needs two analyses of the same districts")
    in_need = base.districts["status_class"].isin(IN_NEED_CLASSES).to_numpy()
    # each side's own need (two years differ in it; a scenario and its Bestand do not)
    in_need_after = variant.districts["status_class"].isin(IN_NEED_CLASSES).to_numpy()[order]
    names = base.districts[settings.DISTRICT_NAME].astype("str").to_numpy() \
        if settings.DISTRICT_NAME in base.districts else ids
    # a scenario adding the first offers of a type, or closing all: there no one in reach
    measured = measured_like(base, variant), measured_like(variant, base)
    codes = district_codes(measured[0]), district_codes(measured[1])
    same = np.arange(len(ids))
    figures, rows = [], []
    for offer_type in dict.fromkeys([*base.offer_types, *variant.offer_types]):
        a, b = _side(measured[0], offer_type, same, codes[0]), _side(measured[1], offer_type, order, codes[1])
        before, after, hidden = a.reached, b.reached, a.hidden | b.hidden
        shown = ~hidden
        figures.append({
            settings.OFFER_TYPE: offer_type, "reached_before": before[shown].sum(), "reached_after": after[shown].sum(),
            "reached_change": (after - before)[shown].sum(), "in_need_before": before[shown & in_need].sum(),
            "in_need_after": after[shown & in_need_after].sum(),
            "in_need_change": after[shown & in_need_after].sum() - before[shown & in_need].sum(),
            "gaps_before": int(a.gap.sum()), "gaps_after": int(b.gap.sum()),
            "gaps_closed": int((a.gap & ~b.gap).sum()), "gaps_opened": int((~a.gap & b.gap).sum()),
            "left_out": int(hidden.sum()),
        })
        rows.append(pd.DataFrame({
            settings.DISTRICT_ID: ids, settings.DISTRICT_NAME: names, settings.OFFER_TYPE: offer_type,
            "in_need": in_need, "share_before": a.share, "share_after": b.share, "reached_before": before,
            "reached_after": after, "reached_change": after - before, "gap_before": a.gap, "gap_after": b.gap,
            "share_code": np.where(hidden, HIDDEN, ""),
        }))
    chain_before = chain_after = changes = None
    if offer_types is not None and phases is not None:
        chain_before = chain_matrix(base, offer_types, phases)
        chain_after = chain_matrix(variant, offer_types, phases)
        changes = _chain_changes(chain_before, chain_after)
    districts = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=list(DISTRICT_COLUMNS))
    return Comparison(key_figures=pd.DataFrame(figures, columns=list(KEY_FIGURE_COLUMNS)),
                      districts=districts[list(DISTRICT_COLUMNS)], chain_before=chain_before,
                      chain_after=chain_after, chain_changes=changes, base_name=base_name,
                      variant_name=variant_name)


def protected_districts(comparison: Comparison) -> pd.DataFrame:
    """The district table with "•" in the shares and people of every row whose ``share_code`` is set."""
    out = comparison.districts.copy()
    coded = out["share_code"].to_numpy() != ""
    for name in ("share_before", "share_after", "reached_before", "reached_after", "reached_change"):
        values = out[name].astype(object)
        values[coded] = HIDDEN
        out[name] = values
    return out


def _count(n: int, one: str, many: str) -> str:
    return f"{format_number(n)} {one if n == 1 else many}"


def headline(comparison: Comparison, offer_type: str, words: Population | str) -> str:
    """One German sentence on the change of an offer type.

    E.g. "+1.240 Kinder von 6 bis unter 10 Jahren in Reichweite, 2 Versorgungslücken geschlossen".

    ``words`` names the type's target group: ``result.targets[offer_type]``
    (:func:`geo.render.reach_words.target`) or its plural. Districts left out under rule 6 are named.
    """
    row = comparison.figures(offer_type)
    plural = words.plural if isinstance(words, Population) else str(words)
    parts = [f"{signed_count(row['reached_change'])} {plural} in Reichweite"]
    closed, opened = int(row["gaps_closed"]), int(row["gaps_opened"])
    if closed:
        parts.append(_count(closed, "Versorgungslücke", "Versorgungslücken") + " geschlossen")
    if opened:
        parts.append(_count(opened, "neue Versorgungslücke", "neue Versorgungslücken"))
    if not closed and not opened:
        parts.append("keine Versorgungslücke geschlossen")
    text = ", ".join(parts)
    if int(row["left_out"]):
        text += (f" ({_count(int(row['left_out']), 'Sozialraum', 'Sozialräume')} aus Datenschutzgründen nicht "
                 "mitgezählt)")
    return text
