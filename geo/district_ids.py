"""Sozialraum ids: one rule for when two spellings name the same district ("0101" and "101", Excel's lost zeros).

The uploads match a file's ids onto the stored districts with it (:mod:`geo.ingest.indicators`,
:mod:`geo.ingest.clinic_births`) and the comparison over time pairs the districts of two years or two data versions
with it (:mod:`geo.analysis.over_time`): exactly where possible, else without leading zeros where that is
unambiguous.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd


def numeric_id(ids: pd.Series) -> pd.Series:
    """``"0101"`` and ``"101"`` → ``"101"``; ids that are not all digits stay as they are."""
    digits = ids.str.fullmatch(r"\d+").fillna(False).astype(bool)
    stripped = ids.str.lstrip("0").mask(lambda s: s == "", "0")
    return ids.mask(digits, stripped)


def match_district_ids(ids: pd.Series, known: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map ``ids`` onto the ``known`` district ids: exactly, else ignoring leading zeros where that is unambiguous.

    Returns the matched district ids (NaN where none) and a mask of rows matched only by the loose rule.
    """
    known = known.astype("str")
    exact = ids.isin(set(known))
    loose_known = numeric_id(known)
    unique = loose_known[~loose_known.duplicated(keep=False)]
    loose_map = dict(zip(unique, known[unique.index], strict=True))
    loose = numeric_id(ids).map(loose_map)
    matched = ids.where(exact, loose)
    return matched, (~exact & loose.notna())


def pair_district_ids(ids_a: Iterable[object], ids_b: Iterable[object]) -> tuple[dict[str, str], list[str], list[str]]:
    """The districts two layers share, by :func:`match_district_ids`: "01" in one and "1" in the other are one.

    Parameters
    ----------
    ids_a, ids_b
        The district ids of both sides (text or numbers; surrounding blanks ignored, duplicates counted once).

    Returns
    -------
    tuple
        B's id → A's id for every district of both, A's ids that B lacks, B's ids that A lacks (each in its
        side's order). An id of B that would pair with an A id another B id already pairs with exactly is B's own.
    """
    a = pd.Series(list(dict.fromkeys(str(i).strip() for i in ids_a)), dtype="str")
    b = pd.Series(list(dict.fromkeys(str(i).strip() for i in ids_b)), dtype="str")
    matched, loose = match_district_ids(b, a)
    taken = set(matched[~loose & matched.notna()])
    pairs: dict[str, str] = {}
    for own, other, by_zeros in zip(b, matched, loose, strict=True):
        if isinstance(other, str) and (not by_zeros or other not in taken):
            pairs[own] = other
            taken.add(other)
    paired = set(pairs.values())
    return pairs, [i for i in a if i not in paired], [i for i in b if i not in pairs]
