"""The NRW Schulnummer: one normalisation for the uploads and every join by school (``12345`` → ``"012345"``)."""

from __future__ import annotations

from typing import Final

import pandas as pd

#: Digits of an NRW Schulnummer; shorter ids ("12345", a number in Excel) get their leading zeros back.
SCHOOL_ID_DIGITS: Final[int] = 6


def normalise_school_ids(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Schulnummern as 6-digit text (``"12345"``, ``12345.0`` → ``"012345"``), and where a value is none.

    Parameters
    ----------
    values
        Text or numbers (a column Excel turned into numbers).

    Returns
    -------
    tuple of pandas.Series
        The normalised ids (NaN for blanks and for values that are no Schulnummer) and a boolean mask of the
        values that are given but no Schulnummer (not 1 to 6 digits).
    """
    if pd.api.types.is_float_dtype(values.dtype):
        whole = values.notna() & (values.abs() < 1e15) & (values % 1 == 0)
        text = values.astype("str").mask(whole, values[whole].astype("int64").astype("str"))
        text = text.mask(values.isna())
    else:
        text = values.astype("str").mask(values.isna())
    text = text.str.strip().str.replace(r"\.0$", "", regex=True)
    text = text.mask(text == "")
    digits = text.str.fullmatch(rf"\d{{1,{SCHOOL_ID_DIGITS}}}").fillna(False).to_numpy(dtype=bool)
    ids = text.where(digits).str.zfill(SCHOOL_ID_DIGITS)
    return ids, pd.Series(text.notna().to_numpy() & ~digits, index=values.index, dtype=bool)
