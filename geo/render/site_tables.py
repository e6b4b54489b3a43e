"""Site suggestions for people: the ranked table, coverage before/after, the change per district, the status line.

Every people count goes through the small-number rule of :mod:`geo.analysis.protect` (1–2 → "< 3"); shares of
districts whose share the analysis suppresses stay "•".
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis import Result, column
from geo.analysis.compare import Comparison
from geo.analysis.protect import HIDDEN, SMALL, apply_codes, district_codes
from geo.analysis.sites import CANDIDATE_SOURCES, Suggestion
from geo.formatting import format_number
from geo.render import reach_words

#: Column of the ranked table → German header (the table's order).
RANK_HEADERS: dict[str, str] = {
    "rank": "Rang", settings.OFFER_NAME: "Name", settings.OFFER_ADDRESS: "Adresse", "district": "Sozialraum",
    settings.SOZIALINDEX: "Sozialindex", "gain": "Zugewinn", "gain_in_need": "davon in Bedarfsgebieten",
    "reached_after": "erreicht danach", "source": "Herkunft",
}


def small_counts(values: pd.Series | np.ndarray) -> pd.Series:
    """People counts rounded to whole people, 1 and 2 (below :data:`geo.settings.MIN_COUNT_SHOWN`) as "< 3"."""
    numbers = pd.Series(np.rint(np.asarray(values, dtype=float)))
    codes = np.where((numbers > 0) & (numbers < settings.MIN_COUNT_SHOWN), SMALL, "")
    return apply_codes(numbers, codes)


def district_names(result: Result) -> dict[str, str]:
    """District id (text) → name, from the analysis' district table."""
    d = result.districts
    names = d[settings.DISTRICT_NAME] if settings.DISTRICT_NAME in d else d[settings.DISTRICT_ID]
    return dict(zip(d[settings.DISTRICT_ID].astype("str"), names.astype("str"), strict=True))


def ranked_table(suggestion: Suggestion, result: Result) -> pd.DataFrame:
    """The suggested sites in rank order with German headers (:data:`RANK_HEADERS`), counts protected.

    ``Zugewinn`` is the number of people newly in reach when the site is added after those ranked above it;
    ``erreicht danach`` the people in reach (existing offers and the sites up to this rank).
    """
    sites = suggestion.sites
    names = district_names(result)
    table = pd.DataFrame({
        "rank": sites["rank"].astype(int).to_numpy() if len(sites) else np.empty(0, dtype=int),
        settings.OFFER_NAME: sites[settings.OFFER_NAME].fillna("").astype("str").to_numpy(),
        settings.OFFER_ADDRESS: sites[settings.OFFER_ADDRESS].fillna("").astype("str").to_numpy(),
        "district": [names.get(str(i), "") for i in sites[settings.DISTRICT_ID]],
        settings.SOZIALINDEX: pd.to_numeric(sites[settings.SOZIALINDEX], errors="coerce").to_numpy(),
        "gain": small_counts(sites["gain"]).to_numpy(),
        "gain_in_need": small_counts(sites["gain_in_need"]).to_numpy(),
        "reached_after": small_counts(sites["reached_after"]).to_numpy(),
        "source": [CANDIDATE_SOURCES.get(str(s), str(s)) for s in sites["source"]],
    })
    return table.rename(columns=RANK_HEADERS)


def status_line(suggestion: Suggestion) -> str:
    """"Löserstatus: optimal gelöst (HiGHS, 0,1 s)"; with the optimality gap when the time limit was reached."""
    text = f"Löserstatus: {suggestion.status_text}"
    if suggestion.status == "time_limit":
        gap = suggestion.gap
        text += f", Optimalitätslücke {format_number(100 * gap, 1)} %" if np.isfinite(gap) else \
            ", Optimalitätslücke unbekannt"
    return text + f" (HiGHS, {format_number(suggestion.seconds, 1)} s)"


def coverage_table(suggestion: Suggestion, result: Result, offer_type: str) -> pd.DataFrame:
    """Coverage vorher / nachher / Zugewinn: people of the type's target group in reach, and those in need."""
    people = reach_words.target(result, offer_type).plural
    before, after = suggestion.before, suggestion.after
    rows = {
        f"{people} in Reichweite": (before.people, after.people),
        "davon in Sozialräumen mit hohem Bedarf": (before.in_need, after.in_need),
    }
    return pd.DataFrame({
        "": list(rows),
        "vorher": small_counts([b for b, _ in rows.values()]).to_numpy(),
        "nachher": small_counts([a for _, a in rows.values()]).to_numpy(),
        "Zugewinn": small_counts([a - b for b, a in rows.values()]).to_numpy(),
    })


def _figures(comparison: Comparison, offer_type: str) -> pd.Series:
    figures = comparison.key_figures
    rows = figures[figures[settings.OFFER_TYPE].astype("str") == offer_type]
    if not len(rows):
        raise ValueError(f"the comparison has no offer type {offer_type!r}")
    return rows.iloc[0]


def change_text(comparison: Comparison, result: Result, offer_type: str) -> str:
    """The change in one line: "+1.240 Kinder in Reichweite, 2 Versorgungslücken geschlossen"."""
    row = _figures(comparison, offer_type)
    people = reach_words.target(result, offer_type).plural
    change = float(np.rint(row["reached_change"]))
    amount = SMALL if 0 < abs(change) < settings.MIN_COUNT_SHOWN else format_number(abs(change))
    sign = "+" if change >= 0 else "−"
    closed = int(row["gaps_closed"])
    gaps = "Versorgungslücke" if closed == 1 else "Versorgungslücken"
    text = f"{sign}{amount} {people} in Reichweite, {format_number(closed)} {gaps} geschlossen"
    opened = int(row["gaps_opened"])
    if opened:
        text += f", {format_number(opened)} neu"
    return text


def district_changes(comparison: Comparison, base: Result, variant: Result, offer_type: str) -> pd.DataFrame:
    """Per district whose reach changes: share in reach before/after, people newly in reach, gap before/after.

    Shares the analysis suppresses in either result are "•"; people counts follow :func:`small_counts`.
    """
    rows = comparison.districts[comparison.districts[settings.OFFER_TYPE].astype("str") == offer_type]
    rows = rows.reset_index(drop=True)
    names = district_names(base)
    share = column("share_in_reach", offer_type)
    hidden_before = _hidden(base, share, rows[settings.DISTRICT_ID])
    hidden_after = _hidden(variant, share, rows[settings.DISTRICT_ID])
    changed = np.rint(rows["reached_change"].to_numpy(dtype=float)) != 0
    changed |= rows["gap_before"].to_numpy(dtype=bool) != rows["gap_after"].to_numpy(dtype=bool)
    percent = lambda v: np.round(100 * v.to_numpy(dtype=float))  # noqa: E731 - two uses right below
    table = pd.DataFrame({
        "Sozialraum": [names.get(str(i), str(i)) for i in rows[settings.DISTRICT_ID]],
        "Anteil vorher (%)": apply_codes(pd.Series(percent(rows["share_before"])), hidden_before),
        "Anteil nachher (%)": apply_codes(pd.Series(percent(rows["share_after"])), hidden_after),
        "Zugewinn": small_counts(rows["reached_change"]),
        "Versorgungslücke vorher": np.where(rows["gap_before"], "ja", "nein"),
        "Versorgungslücke nachher": np.where(rows["gap_after"], "ja", "nein"),
    })
    return table[changed].reset_index(drop=True)


def _hidden(result: Result, share: str, district_ids: pd.Series) -> np.ndarray:
    """Per row of ``district_ids``: :data:`HIDDEN` where ``result`` suppresses the share, else ""."""
    codes = district_codes(result)
    if share not in codes:
        return np.full(len(district_ids), "", dtype=object)
    by_id = dict(zip(result.districts[settings.DISTRICT_ID].astype("str"), codes[share].to_numpy(), strict=True))
    return np.array([HIDDEN if by_id.get(str(i), "") else "" for i in district_ids], dtype=object)
