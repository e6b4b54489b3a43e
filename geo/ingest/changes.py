"""What an upload changes against the layer in use; offers merged by id, and offers a list already has."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo import settings
from geo._errors import Problem
from geo.formatting import format_number
from geo.ingest.columns import excel_rows


@dataclass(frozen=True)
class ChangeSummary:
    """What an upload changes against the layer in use: ids added, changed and removed."""

    added: list[str]
    changed: list[str]
    removed: list[str]
    unchanged: int

    @property
    def has_changes(self) -> bool:
        """True when any id is added, changed or removed."""
        return bool(self.added or self.changed or self.removed)

    def __str__(self) -> str:
        return (f"{len(self.added)} neu, {len(self.changed)} geändert, {len(self.removed)} entfernt, "
                f"{self.unchanged} unverändert")


def _key_labels(frame: pd.DataFrame, keys: list[str]) -> pd.Index:
    labels = frame[keys[0]].astype("str")
    for key in keys[1:]:
        labels = labels + " / " + frame[key].astype("str")
    return pd.Index(labels.array)


def _differs(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Element-wise "value changed", NaN equal to NaN, numbers with a relative tolerance of 1e-9."""
    a_missing, b_missing = a.isna().to_numpy(), b.isna().to_numpy()
    if pd.api.types.is_numeric_dtype(a.dtype) and pd.api.types.is_numeric_dtype(b.dtype):
        same = np.isclose(a.to_numpy(dtype="float64"), b.to_numpy(dtype="float64"), rtol=1e-9, atol=1e-9)
    elif _arrow_str(a) and _arrow_str(b):  # text against text: pyarrow compares without Python strings
        same = pc.equal(_arrow_text(a), _arrow_text(b)).fill_null(False).to_numpy(zero_copy_only=False)
    else:
        same = a.astype("str").to_numpy(dtype=object) == b.astype("str").to_numpy(dtype=object)
    return ~((a_missing & b_missing) | (same & ~a_missing & ~b_missing))


def _points_only(geometries: np.ndarray) -> bool:
    return bool((shapely.get_type_id(geometries) == 0).all())


def _arrow_str(series: pd.Series) -> bool:
    return isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow"


def summarise_changes(old: pd.DataFrame | None, new: pd.DataFrame, *, key: str | Sequence[str]) -> ChangeSummary:
    """Compare an upload with the layer in use: which ids are new, changed or gone.

    An id counts as changed when any attribute differs, or the geometry by more than 1 cm in a metric CRS.

    Parameters
    ----------
    old
        The layer in use, or ``None``.
    new
        The validated upload.
    key
        Id column, or several (``["district_id", "year"]``; reported as ``"0101 / 2024"``).

    Returns
    -------
    ChangeSummary
    """
    keys = [key] if isinstance(key, str) else list(key)
    new = new.drop_duplicates(keys)
    new_k = new.set_axis(_key_labels(new, keys))
    if old is None or len(old) == 0:
        return ChangeSummary(new_k.index.tolist(), [], [], 0)
    old = old.drop_duplicates(keys)
    old_k = old.set_axis(_key_labels(old, keys))
    added = new_k.index.difference(old_k.index, sort=False)
    removed = old_k.index.difference(new_k.index, sort=False)
    common = new_k.index.intersection(old_k.index, sort=False)
    if old_k.index.is_unique and new_k.index.is_unique:  # by position: no label look-up per row
        a, b = old_k.iloc[old_k.index.get_indexer(common)], new_k.iloc[new_k.index.get_indexer(common)]
    else:
        a, b = old_k.loc[common], new_k.loc[common]
    changed = np.zeros(len(common), dtype=bool)
    geometry_a = a.geometry.name if isinstance(a, gpd.GeoDataFrame) else None
    geometry_b = b.geometry.name if isinstance(b, gpd.GeoDataFrame) else None
    for column in dict.fromkeys([*a.columns, *b.columns]):
        if column in keys or column in (geometry_a, geometry_b):
            continue
        left = a[column] if column in a.columns else pd.Series(np.nan, index=a.index)
        right = b[column] if column in b.columns else pd.Series(np.nan, index=b.index)
        changed |= _differs(left, right)
    if geometry_a and geometry_b:
        ga, gb = a.geometry, b.geometry
        if ga.crs is not None and gb.crs is not None and not ga.crs.equals(gb.crs):
            gb = gb.to_crs(ga.crs)
        tolerance = 1e-7 if ga.crs is not None and ga.crs.is_geographic else 0.01
        ga_arr, gb_arr = np.asarray(ga.array, dtype=object), np.asarray(gb.array, dtype=object)
        if not (_points_only(ga_arr) and _points_only(gb_arr)):  # a point is its own normal form
            ga_arr, gb_arr = shapely.normalize(ga_arr), shapely.normalize(gb_arr)
        same = shapely.equals_exact(ga_arr, gb_arr, tolerance=tolerance) | (pd.isna(ga_arr) & pd.isna(gb_arr))
        changed |= ~np.asarray(same, dtype=bool)
    elif geometry_a or geometry_b:
        changed[:] = True
    return ChangeSummary(added.tolist(), common[changed].tolist(), removed.tolist(), int((~changed).sum()))


#: The offer identity's normalisations (Python's ``re``: whitespace and word boundaries as Unicode defines them).
_WHITESPACE = re.compile(r"\s+")
_STREET = re.compile(r"stra(?:ss|ß)e\b|str\.")
#: What ``\\s`` matches besides the space (``str.isspace``; checked in the tests).
_OTHER_WHITESPACE: Final[tuple[str, ...]] = (
    "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u1680",
    *(chr(c) for c in range(0x2000, 0x200B)), "\u2028", "\u2029", "\u202f", "\u205f", "\u3000",
)
#: Joins the texts for one pass of the patterns: no whitespace, no word character, never in a table read from a file.
_SEPARATOR = "\x00"


def _offer_identity(frame: pd.DataFrame) -> pd.Series:
    """Name and address, lower case, whitespace collapsed, "Straße"/"Strasse"/"Str." alike.

    Computed once per distinct name and address text, in one pass over all of them: pandas would run these
    normalisations per value in Python (there is no ``casefold`` kernel, and RE2's whitespace and word boundary are
    not Python's), with a frame of overhead per value on top.
    """
    text = (frame[settings.OFFER_NAME].astype("str").fillna("") + " | "
            + frame[settings.OFFER_ADDRESS].astype("str").fillna(""))
    codes, distinct = pd.factorize(text)
    del text
    parts = [_normal_identities(distinct[start:start + _IDENTITY_CHUNK].tolist())
             for start in range(0, len(distinct), _IDENTITY_CHUNK)]
    normal = pd.concat(parts, ignore_index=True) if parts else pd.Series([], dtype="str")
    return normal.take(codes).set_axis(frame.index)


#: Distinct texts normalised in one pass (bounds the memory of the joined text).
_IDENTITY_CHUNK: int = 50_000


def _normal_identities(values: list[str]) -> pd.Series:
    """The identity normalisation of each text, in one pass of each pattern over the texts joined."""
    joined = _SEPARATOR.join(values)
    if joined.count(_SEPARATOR) == len(values) - 1:
        # casefold works per character, and neither pattern matches the separator or needs more than a non-word
        # character beside a match (the end of a text is one as well).
        folded = joined.casefold()
        del joined
        if "  " in folded or any(space in folded for space in _OTHER_WHITESPACE):
            folded = _WHITESPACE.sub(" ", folded)  # else a no-op: every run of whitespace is one space already
        parts = _STREET.sub("str", folded).split(_SEPARATOR)
    else:
        parts = [_STREET.sub("str", _WHITESPACE.sub(" ", value.casefold())) for value in values]
    # Stripped last, by pandas' kernel as before; the street pattern never reaches into the stripped whitespace.
    return pd.Series(parts, dtype="str").str.strip()


def _digits(frame: pd.DataFrame) -> pd.Series:
    """The ASCII digits of name and address as :func:`_offer_identity` joins them, by one pyarrow regex."""
    text = (frame[settings.OFFER_NAME].astype("str").fillna("") + " | "
            + frame[settings.OFFER_ADDRESS].astype("str").fillna(""))
    return text.str.replace("[^0-9]+", "", regex=True)


def _is_in(values: pd.Series, pool: object) -> np.ndarray:
    """``values.isin(pool)`` compared as text, by pyarrow's ``is_in``.

    pandas' ``str`` dtype builds a pyarrow scalar per value of ``pool`` first: seconds for 500,000 ids.
    """
    data = _arrow_text(values)
    return pc.is_in(data, value_set=_arrow_text(pool).cast(data.type)).to_numpy(zero_copy_only=False)


def _arrow_text(values: object) -> pa.Array:
    """Any column or list of ids as one pyarrow text array (a column of pandas' str dtype as it is)."""
    series = values if isinstance(values, pd.Series) else pd.Series(np.asarray(values, dtype=object), dtype=object)
    array = pa.array(series.astype("str").array)
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def merge_offers(existing: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, mode: str = "update") -> gpd.GeoDataFrame:
    """The offers in use merged with a validated upload by offer id (ids compared as text).

    Parameters
    ----------
    existing
        The offers in use (any CRS; brought into ``new``'s).
    new
        The validated upload.
    mode
        ``"update"``: every id of ``new`` is added, or replaces the offer with that id in its place; nothing is
        removed. ``"replace"``: the offers of the types in ``new``, and any offer with an id of ``new``, are
        dropped; ``new`` follows the offers that stay.

    Returns
    -------
    geopandas.GeoDataFrame
        ``RangeIndex``, ``new``'s CRS and geometry column; ``existing`` and ``new`` are not modified.
    """
    if mode not in ("update", "replace"):
        raise ValueError(f"mode must be 'update' or 'replace', not {mode!r}")
    existing = (existing.to_crs(new.crs) if existing.crs else existing).reset_index(drop=True)
    new = new.reset_index(drop=True)
    old_ids = existing[settings.OFFER_ID].astype("str")
    new_ids = new[settings.OFFER_ID].astype("str")
    if mode == "replace":
        keep = ~(_is_in(existing[settings.OFFER_TYPE], new[settings.OFFER_TYPE].unique()) | _is_in(old_ids, new_ids))
        parts, order = [existing[keep], new], np.arange(int(keep.sum()) + len(new))
    else:
        # An updated offer takes its predecessor's place (the last one of a repeated id); new ids follow the list in
        # the file's order.
        last = pd.Index(old_ids.to_numpy(dtype=object), dtype=object)
        unique = ~last.duplicated(keep="last")
        found = last[unique].get_indexer(new_ids.to_numpy(dtype=object))
        new_order = np.where(found >= 0, np.flatnonzero(unique)[found], len(existing) + np.arange(len(new)))
        keep = ~_is_in(old_ids, new_ids)
        parts = [existing[keep], new]
        order = np.argsort(np.concatenate([np.flatnonzero(keep), new_order]), kind="stable")
    merged = pd.concat(parts, ignore_index=True)
    if not np.array_equal(order, np.arange(len(merged))):  # no copy for the order the parts already have
        merged = merged.iloc[order].reset_index(drop=True)
    return gpd.GeoDataFrame(merged, geometry=new.geometry.name, crs=new.crs)


#: Names listed in the warning about removed offers; the rest are counted.
REMOVED_NAMED: int = 50


def removal_warning(current: pd.DataFrame | None, changes: ChangeSummary) -> str | None:
    """German warning naming the offers an upload would remove ("30 Angebote werden entfernt: …"), or ``None``.

    ``current`` are the offers in use, ``changes`` the upload's :class:`ChangeSummary` against them; offers
    are named by name (their id where the name is empty), the first :data:`REMOVED_NAMED` of them.
    """
    if not changes.removed or current is None:
        return None
    ids = current[settings.OFFER_ID].astype("str")
    names = current[settings.OFFER_NAME].astype("str").str.strip() if settings.OFFER_NAME in current else ids
    name_of = dict(zip(ids, names.where(~names.isin(["", "nan", "None"]), ids), strict=True))
    removed = [name_of.get(str(i), str(i)) for i in changes.removed]
    listed = ", ".join(removed[:REMOVED_NAMED])
    more = f" … und {len(removed) - REMOVED_NAMED} weitere" if len(removed) > REMOVED_NAMED else ""
    noun = "Angebot wird" if len(removed) == 1 else "Angebote werden"
    return f"{format_number(len(removed))} {noun} entfernt: {listed}{more}."


def find_duplicate_offers(existing: pd.DataFrame, new: pd.DataFrame) -> list[Problem]:
    """Offers of ``new`` that ``existing`` already has under another id, for the "add and update" mode.

    Same name and address under another id (whitespace, case and "Straße"/"Str." ignored) → warning: the
    offer may be entered twice. The same id is an update, not a duplicate. Rows are ``new``'s Excel row numbers.

    Returns
    -------
    list of Problem
    """
    problems: list[Problem] = []
    rows = excel_rows(new)
    existing_ids = existing[settings.OFFER_ID].astype("str")
    new_ids = new[settings.OFFER_ID].astype("str")
    same_id = _is_in(new_ids, existing_ids)
    columns = [settings.OFFER_NAME, settings.OFFER_ADDRESS]
    named = new[settings.OFFER_NAME].astype("str").fillna("").str.strip().to_numpy() != ""
    old_named = (existing[settings.OFFER_NAME].astype("str").fillna("").str.strip() != "").to_numpy()
    # Only offers under a new id can be entered twice: the identity of the others is never needed. Nor is it where
    # the digits of name and address (house number, PLZ) match no offer in use: the identity keeps them as they
    # are (casefold makes and changes no ASCII digit, the patterns hold none; checked in the tests).
    asked, old_asked = np.flatnonzero(named & ~same_id), np.flatnonzero(old_named)
    new_text, old_text = pd.DataFrame(new[columns]).iloc[asked], pd.DataFrame(existing[columns]).iloc[old_asked]
    new_digits, old_digits = _digits(new_text), _digits(old_text)
    maybe = _is_in(new_digits, old_digits)
    old_maybe = _is_in(old_digits, new_digits[maybe])
    asked, identity = asked[maybe], _offer_identity(new_text[maybe])
    old_identity = _offer_identity(old_text[old_maybe])
    # The id of each identity asked for: the last offer in use with it (in the order of the offers in use).
    known = _is_in(old_identity, identity)
    old_ids = existing_ids.iloc[old_asked[old_maybe]][known]
    id_of = dict(zip(old_identity[known].tolist(), old_ids.tolist(), strict=True))
    hit = _is_in(identity, list(id_of))
    same_place = np.zeros(len(new), dtype=bool)
    same_place[asked[hit]] = True
    for row, ident, name, address in zip(rows[same_place], identity[hit].tolist(),
                                         new[settings.OFFER_NAME][same_place].tolist(),
                                         new[settings.OFFER_ADDRESS][same_place].tolist(), strict=True):
        problems.append(Problem(f"„{name}, {address}“ steht schon in der bestehenden Liste (Kennung "
                                f"„{id_of[ident]}“). Ist das Angebot doppelt eingetragen?", int(row),
                                settings.OFFER_NAME, "warning"))
    return problems
