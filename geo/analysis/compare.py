"""Compare two analyses (the status quo and a scenario, or two scenarios) of the same districts and year."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.gaps import column
from geo.analysis.run import Result


@dataclass(frozen=True)
class Comparison:
    """What changes from ``base`` to ``variant``.

    Attributes
    ----------
    key_figures
        One row per offer type of either result: ``offer_type``, ``reached_before``, ``reached_after``,
        ``reached_change`` (people of the type's target group in reach, all districts), the same for those in
        need (``in_need_*``), ``gaps_before``, ``gaps_after``, ``gaps_closed``, ``gaps_opened``.
    districts
        One row per district and offer type: ``district_id``, ``offer_type``, ``share_before``, ``share_after``,
        ``reached_change`` (people), ``gap_before``, ``gap_after``.
    """

    key_figures: pd.DataFrame
    districts: pd.DataFrame


def _reached(result: Result, offer_type: str) -> np.ndarray:
    d = result.districts
    if column("share_in_reach", offer_type) not in d:
        return np.zeros(len(d))
    return np.nan_to_num(d[column("target", offer_type)].to_numpy(dtype=float)
                         * d[column("share_in_reach", offer_type)].to_numpy(dtype=float))


def _gaps(result: Result, offer_type: str) -> np.ndarray:
    name = column("gap", offer_type)
    return result.districts[name].to_numpy(dtype=bool) if name in result.districts else \
        np.zeros(len(result.districts), dtype=bool)


def compare(base: Result, variant: Result) -> Comparison:
    """The change from ``base`` to ``variant`` per offer type and per district (rows matched by district id)."""
    ids = base.districts[settings.DISTRICT_ID].astype("str").to_numpy()
    order = pd.Index(variant.districts[settings.DISTRICT_ID].astype("str")).get_indexer(ids)
    if (order < 0).any():
        raise ValueError("compare() needs two analyses of the same districts")
    in_need = base.districts["status_class"].isin(("Status niedrig", "Status sehr niedrig")).to_numpy()
    figures, rows = [], []
    for offer_type in dict.fromkeys([*base.offer_types, *variant.offer_types]):
        before, after = _reached(base, offer_type), _reached(variant, offer_type)[order]
        gap_before, gap_after = _gaps(base, offer_type), _gaps(variant, offer_type)[order]
        figures.append({
            settings.OFFER_TYPE: offer_type, "reached_before": before.sum(), "reached_after": after.sum(),
            "reached_change": after.sum() - before.sum(), "in_need_before": before[in_need].sum(),
            "in_need_after": after[in_need].sum(), "in_need_change": after[in_need].sum() - before[in_need].sum(),
            "gaps_before": int(gap_before.sum()), "gaps_after": int(gap_after.sum()),
            "gaps_closed": int((gap_before & ~gap_after).sum()), "gaps_opened": int((~gap_before & gap_after).sum()),
        })
        share = column("share_in_reach", offer_type)
        rows.append(pd.DataFrame({
            settings.DISTRICT_ID: ids, settings.OFFER_TYPE: offer_type,
            "share_before": base.districts[share].to_numpy(dtype=float) if share in base.districts else np.nan,
            "share_after": variant.districts[share].to_numpy(dtype=float)[order] if share in variant.districts
            else np.nan,
            "reached_change": after - before, "gap_before": gap_before, "gap_after": gap_after,
        }))
    return Comparison(key_figures=pd.DataFrame(figures), districts=pd.concat(rows, ignore_index=True))
