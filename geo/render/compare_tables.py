"""German tables of a scenario comparison (A → B): key figures and headline per type, districts, chain, offers.

Built from :func:`geo.analysis.compare.compare` and the two analyses it compared; every figure follows the data
protection of the exports (:mod:`geo.analysis.protect`): a share that would reveal a count of 1 or 2 in A or in B
is "•" (and so is every change computed from it), a change of 1 or 2 people is "< 3", and totals are sums over the
districts whose values are shown in both A and B, with the number left out named (rule 6).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis import Result
from geo.analysis.chain import Chain
from geo.analysis.compare import Comparison
from geo.analysis.population import Population
from geo.analysis.protect import HIDDEN, signed_count
from geo.formatting import format_number
from geo.render import chain_tables as ct
from geo.render import reach_words

#: Offer change → German word (tables, map legends and tooltips).
CHANGE_TEXT: Final[dict[str, str]] = {
    "new": "neu", "closed": "geschlossen", "moved": "verlegt", "capacity": "Kapazität geändert",
}
#: The fate of a district's gap from A to B, (gap in A, gap in B) → German words: one wording for scenarios, site
#: suggestions and the change over time (tables, map tooltips).
GAP_TEXT: Final[dict[tuple[bool, bool], str]] = {
    (True, False): "neu versorgt", (False, True): "neue Lücke", (True, True): "weiterhin Lücke",
    (False, False): "keine Lücke",
}
#: Moves shorter than this (metres) are no move (rounding of stored coordinates).
MOVE_TOLERANCE_M: Final[float] = 0.5
#: Mark of a chain cell of B that differs from A.
CHANGED_MARK: Final[str] = "◆"


# ------------------------------------------------------------------------------------------------- offers


def offer_changes(offers_a, offers_b) -> pd.DataFrame:
    """The offers that differ between A and B, matched by ``offer_id`` (both layers in the metric CRS).

    Returns
    -------
    pandas.DataFrame
        ``offer_id``, ``offer_type``, ``name``, ``change`` (a key of :data:`CHANGE_TEXT`), ``x_a``, ``y_a``, ``x_b``,
        ``y_b`` (NaN where the offer is missing on that side), ``capacity_a``, ``capacity_b``; new, closed, moved,
        capacity in this order, then by id.
    """
    def table(offers) -> pd.DataFrame:
        frame = pd.DataFrame({
            settings.OFFER_ID: offers[settings.OFFER_ID].astype(str).to_numpy(),
            settings.OFFER_TYPE: offers[settings.OFFER_TYPE].astype(str).to_numpy(),
            settings.OFFER_NAME: offers[settings.OFFER_NAME].astype(str).to_numpy(),
            "x": offers.geometry.x.to_numpy(dtype=float), "y": offers.geometry.y.to_numpy(dtype=float),
            "capacity": pd.to_numeric(offers[settings.OFFER_CAPACITY], errors="coerce").to_numpy(dtype=float)
            if settings.OFFER_CAPACITY in offers else np.nan,
        })
        return frame.drop_duplicates(settings.OFFER_ID).set_index(settings.OFFER_ID)

    a, b = table(offers_a), table(offers_b)
    both = a.add_suffix("_a").join(b.add_suffix("_b"), how="outer")
    in_a = both[f"{settings.OFFER_TYPE}_a"].notna().to_numpy()
    in_b = both[f"{settings.OFFER_TYPE}_b"].notna().to_numpy()
    moved = np.hypot(both["x_a"] - both["x_b"], both["y_a"] - both["y_b"]).to_numpy() > MOVE_TOLERANCE_M
    cap_a, cap_b = both["capacity_a"].to_numpy(), both["capacity_b"].to_numpy()
    capacity = ~((cap_a == cap_b) | (np.isnan(cap_a) & np.isnan(cap_b)))
    change = np.select([in_b & ~in_a, in_a & ~in_b, in_a & in_b & moved, in_a & in_b & capacity],
                       ["new", "closed", "moved", "capacity"], "")
    out = pd.DataFrame({
        settings.OFFER_ID: both.index.to_numpy(dtype=object),
        settings.OFFER_TYPE: both[f"{settings.OFFER_TYPE}_b"].fillna(both[f"{settings.OFFER_TYPE}_a"]).to_numpy(),
        settings.OFFER_NAME: both[f"{settings.OFFER_NAME}_b"].fillna(both[f"{settings.OFFER_NAME}_a"]).to_numpy(),
        "change": change,
        "x_a": both["x_a"].to_numpy(), "y_a": both["y_a"].to_numpy(),
        "x_b": both["x_b"].to_numpy(), "y_b": both["y_b"].to_numpy(),
        "capacity_a": cap_a, "capacity_b": cap_b,
    })
    out = out[out["change"] != ""]
    rank = out["change"].map({k: i for i, k in enumerate(CHANGE_TEXT)})
    return out.assign(_rank=rank).sort_values(["_rank", settings.OFFER_ID]).drop(columns="_rank") \
        .reset_index(drop=True)


def offer_change_table(changes: pd.DataFrame, type_names: dict[str, str]) -> pd.DataFrame:
    """:func:`offer_changes` for the screen: Änderung, Angebotsart, Name, Kennung, Kapazität A → B, Verlegung (m)."""
    distance = np.hypot(changes["x_a"] - changes["x_b"], changes["y_a"] - changes["y_b"])

    def capacity(value: float) -> str:
        return "–" if not np.isfinite(value) else format_number(value)

    return pd.DataFrame({
        "Änderung": changes["change"].map(CHANGE_TEXT).to_numpy(dtype=object),
        "Angebotsart": changes[settings.OFFER_TYPE].map(lambda t: type_names.get(t, t)).to_numpy(dtype=object),
        "Name": changes[settings.OFFER_NAME].to_numpy(dtype=object),
        "Kennung": changes[settings.OFFER_ID].to_numpy(dtype=object),
        "Kapazität A → B": [f"{capacity(a)} → {capacity(b)}" for a, b in zip(
            changes["capacity_a"], changes["capacity_b"], strict=True)],
        # "–" for an offer not moved: an empty number cell would read "None" in the grid
        "Verlegt um (m)": pd.Series([float(round(d)) if c == "moved" else "–" for d, c in zip(
            distance, changes["change"], strict=True)], dtype=object).to_numpy(),
    })


# ---------------------------------------------------------------------------------------------- key figures


def target_words(result_a: Result, result_b: Result, offer_type: str) -> Population:
    """The target group of ``offer_type`` in a comparison (B's, or A's when B has no offer of the type)."""
    return reach_words.target(result_b if offer_type in result_b.offer_types else result_a, offer_type)


def district_pairs(comparison: Comparison, offer_type: str) -> pd.DataFrame:
    """Per district of A (in A's order): ``share_a``, ``share_b``, ``gap_a``, ``gap_b``, ``shown`` (in A and B)."""
    rows = comparison.districts[comparison.districts[settings.OFFER_TYPE] == offer_type]
    return pd.DataFrame({
        "share_a": rows["share_before"].to_numpy(dtype=float), "share_b": rows["share_after"].to_numpy(dtype=float),
        "gap_a": rows["gap_before"].to_numpy(dtype=bool), "gap_b": rows["gap_after"].to_numpy(dtype=bool),
        "shown": rows["share_code"].to_numpy() == ""})


def signed_points(change_pp: float) -> str:
    """A change in percentage points, whole: ``+80``, ``−5``, ``±0``; "–" without a value."""
    if not np.isfinite(change_pp):
        return "–"
    rounded = round(float(change_pp))
    return "±0" if rounded == 0 else format_number(rounded, 0, signed=True)


def key_figure_table(comparison: Comparison, result_a: Result, result_b: Result,
                     type_names: dict[str, str]) -> pd.DataFrame:
    """Per offer type: people in reach in A and B, the change, the same in districts in need, and the gaps.

    Columns: target group, people in reach in A, B and the change, the same in districts in need, gaps in A and B,
    the districts "neu versorgt" (gap closed) and the "neue Lücken", and the districts left out of the sums
    (protected in A or B); the figures are :attr:`Comparison.key_figures`.
    """
    rows = []
    for _, row in comparison.key_figures.iterrows():
        t = row[settings.OFFER_TYPE]
        rows.append({
            "Angebotsart": type_names.get(t, t),
            "Zielgruppe": target_words(result_a, result_b, t).plural,
            "A: in Reichweite": round(row["reached_before"]), "B: in Reichweite": round(row["reached_after"]),
            "Veränderung": signed_count(row["reached_change"]),
            "A: davon hoher Bedarf": round(row["in_need_before"]), "B: davon hoher Bedarf": round(row["in_need_after"]),
            "Veränderung (hoher Bedarf)": signed_count(row["in_need_change"]),
            "A: Versorgungslücken": int(row["gaps_before"]), "B: Versorgungslücken": int(row["gaps_after"]),
            "neu versorgt": int(row["gaps_closed"]), "neue Lücken": int(row["gaps_opened"]),
            "nicht ausgewiesen": int(row["left_out"]),
        })
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------------- districts


def _percent(share: float, shown: bool) -> object:
    return HIDDEN if not shown else (round(100 * share) if np.isfinite(share) else None)


def district_changes(comparison: Comparison, result_a: Result, result_b: Result, type_names: dict[str, str],
                     *, only_changed: bool = True) -> pd.DataFrame:
    """Per district and offer type the share in reach in A and B, the change and the gap's fate.

    The gap's fate: :data:`GAP_TEXT`; ``only_changed``: rows whose share or gap changed. Closed gaps
    first, then new ones, then the largest changes.
    """
    d = result_a.districts
    frames = []
    for t in comparison.key_figures[settings.OFFER_TYPE]:
        pairs = district_pairs(comparison, t)
        rows = comparison.districts[comparison.districts[settings.OFFER_TYPE] == t]
        shown = pairs["shown"].to_numpy()
        pp = 100 * (pairs["share_b"] - pairs["share_a"]).to_numpy()
        people = rows["reached_change"].to_numpy(dtype=float)
        gap_a, gap_b = pairs["gap_a"].to_numpy(), pairs["gap_b"].to_numpy()
        changed = (np.nan_to_num(np.abs(pp)) >= 0.05) | (gap_a != gap_b) | (np.abs(people) >= 0.5)
        frame = pd.DataFrame({
            "Sozialraum": d[settings.DISTRICT_NAME].to_numpy(dtype=object),
            "Sozialraum-Nr.": d[settings.DISTRICT_ID].astype(str).to_numpy(dtype=object),
            "Angebotsart": type_names.get(t, t),
            "Statusklasse": d["status_class"].to_numpy(dtype=object),
            "A: in Reichweite (%)": [_percent(v, s) for v, s in zip(pairs["share_a"], shown, strict=True)],
            "B: in Reichweite (%)": [_percent(v, s) for v, s in zip(pairs["share_b"], shown, strict=True)],
            "Veränderung (Prozentpunkte)": [signed_points(v) if s else HIDDEN for v, s in zip(pp, shown, strict=True)],
            "Veränderung (Personen)": [signed_count(v) if s else HIDDEN for v, s in zip(people, shown, strict=True)],
            "Versorgungslücke": [GAP_TEXT[(bool(a), bool(b))] for a, b in zip(gap_a, gap_b, strict=True)],
            "_rank": np.select([gap_a & ~gap_b, ~gap_a & gap_b], [0, 1], 2),
            "_size": -np.where(shown, np.nan_to_num(np.abs(pp)), 0),
        })
        frames.append(frame[changed] if only_changed else frame)
    if not frames:
        return pd.DataFrame(columns=["Sozialraum", "Sozialraum-Nr.", "Angebotsart", "Versorgungslücke"])
    out = pd.concat(frames, ignore_index=True)
    out = out.sort_values(["_rank", "_size", "Sozialraum-Nr."], kind="stable")
    return out.drop(columns=["_rank", "_size"]).reset_index(drop=True)


# ----------------------------------------------------------------------------------------------------- chain


def chain_pair(chain_a: Chain, chain_b: Chain, *, by: str = "missing") -> tuple[pd.DataFrame, pd.DataFrame, list]:
    """The Ketten-Matrix of A and of B in the same row order (B's, sorted ``by``) and columns, for side by side.

    Each table: Sozialraum, fehlende Glieder, one text column per phase measured in A or B ("–" where a side does
    not measure it). B's cells that differ from A's are marked with :data:`CHANGED_MARK`. Returns the two tables
    and the phase headers.
    """
    texts_a, texts_b = ct.cell_texts(chain_a), ct.cell_texts(chain_b)
    headers = {**ct.phase_headers(chain_a), **ct.phase_headers(chain_b)}
    phases = [p for p in chain_b.phases.index if p in headers]
    rows = chain_b.districts.iloc[ct.order(chain_b, by)]
    ids = rows[settings.DISTRICT_ID].to_numpy()
    missing_a = chain_a.districts.set_index(settings.DISTRICT_ID)["missing"].reindex(ids)

    def frame(missing) -> pd.DataFrame:
        return pd.DataFrame({ct.DISTRICT: rows[settings.DISTRICT_NAME].to_numpy(dtype=object),
                             ct.MISSING_LINKS: np.asarray(missing, dtype=int)})

    table_a, table_b = frame(missing_a.to_numpy()), frame(rows["missing"].to_numpy())
    for p in phases:
        a = texts_a[p].reindex(ids).fillna("–").to_numpy(dtype=object) if p in texts_a else np.full(len(ids), "–")
        b = texts_b[p].reindex(ids).fillna("–").to_numpy(dtype=object) if p in texts_b else np.full(len(ids), "–")
        table_a[headers[p]] = a
        table_b[headers[p]] = [f"{CHANGED_MARK} {y}" if x != y else y for x, y in zip(a, b, strict=True)]
    return table_a, table_b, [headers[p] for p in phases]
