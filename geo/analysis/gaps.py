"""Gaps: districts in need whose children (or inhabitants) are mostly out of reach of an offer type, ranked."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.need import IN_NEED_CLASSES
from geo.analysis.population import CHILDREN, Population
from geo.formatting import format_distance

GAP_COLUMNS = [
    settings.DISTRICT_ID, settings.DISTRICT_NAME, "offer_type", "status_class", "status_index",
    "population", "share_in_reach", "without_reach", "median_distance_m", "offers_inside",
    "radius_m", "is_gap", "reason",
]


def column(metric: str, offer_type: str) -> str:
    """Name of a per-type result column, e.g. ``column("share_in_reach", "fgz")``."""
    return f"{metric}__{offer_type}"


def reason(
    share_in_reach: float, radius_m: float, nearest_phrase: str, median_distance_m: float,
    population: Population = CHILDREN, out_of_reach: str = "",
) -> str:
    """Plain-German reason, e.g. "62 % der Kinder wohnen weiter als 1 km vom nächsten FGZ".

    ``out_of_reach`` is the phrase of a reach model other than the radius
    (:attr:`geo.analysis.reach_models.ReachModel.reason`): "62 % der Kinder von 6 bis unter 10 Jahren gehören zu
    einer Grundschule ohne FGZ".
    """
    p = population
    if not np.isfinite(share_in_reach):
        return f"Keine Wohnorte von {p.dative} im Sozialraum bekannt"
    out_pct = round(100 * (1 - share_in_reach))
    if out_of_reach:
        return f"{out_pct} % {p.genitive} {out_of_reach}"
    if not np.isfinite(median_distance_m):
        return (f"Es gibt kein Angebot dieser Art; alle {p.plural} wohnen weiter als "
                f"{format_distance(radius_m)} entfernt")
    text = f"{out_pct} % {p.genitive} wohnen weiter als {format_distance(radius_m)} {nearest_phrase}"
    if out_pct >= 50:
        text += f" (die Hälfte {p.genitive} hat mehr als {format_distance(median_distance_m)} Weg)"
    return text


def rank_gaps(
    districts: pd.DataFrame,
    *,
    reach: dict[str, pd.DataFrame],
    offer_types: pd.DataFrame,
    radii: dict[str, float],
    max_share_in_reach: float | None = None,
    population: Population = CHILDREN,
    targets: dict[str, Population] | None = None,
    models: dict | None = None,
) -> pd.DataFrame:
    """One row per district in need and analysed offer type, gaps first, by people without reach.

    Parameters
    ----------
    districts
        Per-district table with ``district_id``, ``district_name``, the population's column (``children``),
        ``status_class``, ``status_index``.
    reach
        Offer type → result of :func:`geo.analysis.access.reach_by_district`.
    offer_types
        Offer type table (``nearest_phrase``).
    radii
        Offer type → radius in metres used for ``reach``.
    max_share_in_reach
        A district in need is a gap (*Versorgungslücke*) when less than this share of its children is in reach;
        defaults to :data:`geo.settings.GAP_MAX_SHARE_IN_REACH` at call time.
    population
        Whom reach is measured for: its column gives the counts, its words the reasons.
    targets
        Offer type → its target group (:attr:`geo.analysis.run.Result.targets`): the counts are then the
        district's ``target__<type>`` column, the words the group's; types not listed use ``population``.
    models
        Offer type → :class:`geo.analysis.reach_models.ReachModel` in force: its ``reason`` phrase words the
        reasons of a model other than the radius.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GAP_COLUMNS` (``population``: the population's count, ``without_reach``: those of them
        out of reach); ``is_gap`` marks the *Versorgungslücken*.
    """
    if max_share_in_reach is None:
        max_share_in_reach = settings.GAP_MAX_SHARE_IN_REACH
    in_need = districts[districts["status_class"].isin(IN_NEED_CLASSES)]
    parts = []
    for offer_type, table in reach.items():
        r = table.reindex(in_need[settings.DISTRICT_ID].to_numpy())
        share = r["share_in_reach"].to_numpy(dtype=float)
        p = (targets or {}).get(offer_type, population)
        own = column("target", offer_type)
        counts = in_need[own if offer_type in (targets or {}) and own in in_need else p.column].to_numpy(
            dtype=float)
        phrase = offer_types.at[offer_type, "nearest_phrase"]
        model = (models or {}).get(offer_type)
        out_of_reach = model.reason if model is not None else ""
        part = pd.DataFrame(
            {
                settings.DISTRICT_ID: in_need[settings.DISTRICT_ID].to_numpy(),
                settings.DISTRICT_NAME: in_need[settings.DISTRICT_NAME].to_numpy(),
                "offer_type": offer_type,
                "status_class": in_need["status_class"].to_numpy(),
                "status_index": in_need["status_index"].to_numpy(dtype=float),
                "population": counts,
                "share_in_reach": share,
                "without_reach": np.round(counts * (1 - share)),
                "median_distance_m": r["median_distance_m"].to_numpy(dtype=float),
                "offers_inside": r["offers_inside"].to_numpy(),
                "radius_m": radii[offer_type],
                "is_gap": share < max_share_in_reach,
            }
        )
        part["reason"] = [
            reason(s, radii[offer_type], phrase, m, p, out_of_reach)
            for s, m in zip(part["share_in_reach"], part["median_distance_m"], strict=True)
        ]
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=GAP_COLUMNS)
    ranked = pd.concat(parts, ignore_index=True)
    ranked = ranked.sort_values(
        ["is_gap", "without_reach", settings.DISTRICT_ID, "offer_type"],
        ascending=[False, False, True, True], kind="stable",
    )
    return ranked[GAP_COLUMNS].reset_index(drop=True)
