"""Gaps: districts in need whose children are mostly out of reach of an offer type, ranked with reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis.need import IN_NEED_CLASSES
from geo.formatting import format_distance

GAP_COLUMNS = [
    settings.DISTRICT_ID, settings.DISTRICT_NAME, "offer_type", "status_class", "status_index",
    settings.CHILDREN, "share_in_reach", "children_without_reach", "median_distance_m", "offers_inside",
    "radius_m", "is_gap", "reason",
]


def reason(share_in_reach: float, radius_m: float, nearest_phrase: str, median_distance_m: float) -> str:
    """Plain-German reason, e.g. "62 % der Kinder wohnen weiter als 1 km vom nächsten FGZ"."""
    if not np.isfinite(share_in_reach):
        return "Keine Wohnorte von Kindern im Bezirk bekannt"
    out_pct = round(100 * (1 - share_in_reach))
    if not np.isfinite(median_distance_m):
        return f"Es gibt kein Angebot dieser Art; alle Kinder wohnen weiter als {format_distance(radius_m)} entfernt"
    text = f"{out_pct} % der Kinder wohnen weiter als {format_distance(radius_m)} {nearest_phrase}"
    if out_pct >= 50:
        text += f" (die Hälfte der Kinder hat mehr als {format_distance(median_distance_m)} Weg)"
    return text


def rank_gaps(
    districts: pd.DataFrame,
    *,
    reach: dict[str, pd.DataFrame],
    offer_types: pd.DataFrame,
    radii: dict[str, float],
    max_share_in_reach: float | None = None,
) -> pd.DataFrame:
    """One row per district in need and analysed offer type, gaps first, by children without reach.

    Parameters
    ----------
    districts
        Per-district table with ``district_id``, ``district_name``, ``children``, ``status_class``,
        ``status_index``.
    reach
        Offer type → result of :func:`geo.analysis.access.reach_by_district`.
    offer_types
        Offer type table (``nearest_phrase``).
    radii
        Offer type → radius in metres used for ``reach``.
    max_share_in_reach
        A district in need is a gap (*Versorgungslücke*) when less than this share of its children is in reach;
        defaults to :data:`geo.settings.GAP_MAX_SHARE_IN_REACH` at call time.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`GAP_COLUMNS`; ``is_gap`` marks the *Versorgungslücken*.
    """
    if max_share_in_reach is None:
        max_share_in_reach = settings.GAP_MAX_SHARE_IN_REACH
    in_need = districts[districts["status_class"].isin(IN_NEED_CLASSES)]
    parts = []
    for offer_type, table in reach.items():
        r = table.reindex(in_need[settings.DISTRICT_ID].to_numpy())
        share = r["share_in_reach"].to_numpy(dtype=float)
        children = in_need[settings.CHILDREN].to_numpy(dtype=float)
        phrase = offer_types.at[offer_type, "nearest_phrase"]
        part = pd.DataFrame(
            {
                settings.DISTRICT_ID: in_need[settings.DISTRICT_ID].to_numpy(),
                settings.DISTRICT_NAME: in_need[settings.DISTRICT_NAME].to_numpy(),
                "offer_type": offer_type,
                "status_class": in_need["status_class"].to_numpy(),
                "status_index": in_need["status_index"].to_numpy(dtype=float),
                settings.CHILDREN: children,
                "share_in_reach": share,
                "children_without_reach": np.round(children * (1 - share)),
                "median_distance_m": r["median_distance_m"].to_numpy(dtype=float),
                "offers_inside": r["offers_inside"].to_numpy(),
                "radius_m": radii[offer_type],
                "is_gap": share < max_share_in_reach,
            }
        )
        part["reason"] = [
            reason(s, radii[offer_type], phrase, m)
            for s, m in zip(part["share_in_reach"], part["median_distance_m"], strict=True)
        ]
        parts.append(part)
    if not parts:
        return pd.DataFrame(columns=GAP_COLUMNS)
    ranked = pd.concat(parts, ignore_index=True)
    ranked = ranked.sort_values(
        ["is_gap", "children_without_reach", settings.DISTRICT_ID, "offer_type"],
        ascending=[False, False, True, True], kind="stable",
    )
    return ranked[GAP_COLUMNS].reset_index(drop=True)
