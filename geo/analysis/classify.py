"""Classification of per-district values for choropleths (web map and print maps alike), via mapclassify."""

from __future__ import annotations

import warnings
from collections.abc import Sequence

import mapclassify
import numpy as np


def classify_values(values: Sequence[float] | np.ndarray, scheme: str, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
    """Classify numbers with mapclassify; NaN stays unclassified.

    Parameters
    ----------
    values
        One number per district; NaN for districts that are not classified.
    scheme
        ``"quantiles"``, ``"natural_breaks"`` (Fisher-Jenks, deterministic) or ``"equal_interval"``.
    k
        Wanted number of classes; fewer when there are fewer distinct values.

    Returns
    -------
    classes, bins
        Class number per value (``-1`` for NaN) and the upper bound of each class (upper bound inclusive,
        as in mapclassify).
    """
    y = np.asarray(values, dtype=float)
    finite = np.isfinite(y)
    classes = np.full(len(y), -1, dtype=int)
    if not finite.any():
        return classes, np.empty(0)
    data = y[finite]
    k = max(1, min(int(k), len(np.unique(data))))
    if k == 1:
        bins = np.array([data.max()])
    else:
        makers = {
            "quantiles": mapclassify.Quantiles,
            "natural_breaks": mapclassify.FisherJenks,
            "equal_interval": mapclassify.EqualInterval,
        }
        if scheme not in makers:
            raise ValueError(f"Unknown classification scheme {scheme!r}; use one of {sorted(makers)}")
        with warnings.catch_warnings():
            # mapclassify warns when ties leave fewer distinct bins than k; the bins are de-duplicated below.
            warnings.simplefilter("ignore", UserWarning)
            bins = np.asarray(makers[scheme](data, k=k).bins, dtype=float)
        bins = np.unique(bins)
    classes[finite] = np.minimum(np.searchsorted(bins, data, side="left"), len(bins) - 1)
    return classes, bins
