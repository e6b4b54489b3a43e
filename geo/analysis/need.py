"""Need: a status index in the style of Berlin's Monitoring Soziale Stadtentwicklung (MSS)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from geo import settings
from geo._errors import DataError

#: Status classes of the MSS, from least to most need; the index is positive where need is high.
STATUS_CLASSES = ["Status hoch", "Status mittel", "Status niedrig", "Status sehr niedrig"]
NOT_CLASSIFIED = "nicht klassifiziert"
IN_NEED_CLASSES = ("Status niedrig", "Status sehr niedrig")
#: Class bounds of the standardised index (MSS): < -1 | -1 … +1 | +1 … < +1.5 | >= +1.5.
CLASS_BOUNDS = (-1.0, 1.0, 1.5)


def _zscore(values: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Standardise with mean and population standard deviation (ddof=0) of the eligible rows."""
    ref = values[eligible]
    std = ref.std()
    if not np.isfinite(std) or std == 0:
        return np.zeros_like(values)
    return (values - ref.mean()) / std


def standardised_index(
    values: np.ndarray, directions: np.ndarray, weights: np.ndarray, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Numeric core of the status and the Dynamik index (MSS).

    Parameters
    ----------
    values
        (n_districts, n_indicators) indicator values.
    directions
        +1 where a higher value means more need, -1 where it means less.
    weights
        Weight of each indicator in the sum.
    eligible
        Districts the standardisation is computed over (enough inhabitants).

    Returns
    -------
    z, weighted sum, index
        z-scores oriented so that positive = more need, their weighted sum, and the sum standardised again.
    """
    z = np.column_stack([_zscore(values[:, j], eligible) for j in range(values.shape[1])]) * directions
    total = z @ weights
    return z, total, _zscore(total, eligible)


def classify(index: pd.Series | np.ndarray) -> pd.Series:
    """Map a standardised index onto the four MSS status classes."""
    index = np.asarray(index, dtype=float)
    low, high, very = CLASS_BOUNDS
    labels = np.select(
        [index < low, index < high, index < very, index >= very], STATUS_CLASSES, default=NOT_CLASSIFIED
    )
    return pd.Series(labels)


def status_index(
    indicators: pd.DataFrame,
    *,
    definitions: pd.DataFrame,
    weights: Mapping[str, float] | None = None,
    min_inhabitants: int | None = None,
) -> pd.DataFrame:
    """Compute the status index for one year's indicator table.

    Each chosen indicator is z-standardised over the districts with at least ``min_inhabitants``
    inhabitants, oriented by its direction, the weighted z-scores are summed, and the sum is
    standardised again. Districts below ``min_inhabitants`` get an index but no class.

    Parameters
    ----------
    indicators
        One row per district of a single year, with ``inhabitants`` and the indicator columns.
    definitions
        Indicator definitions (index = key; ``direction``, ``weight``, ``in_index``).
    weights
        Indicator key → weight; keys not given or with weight 0 are left out. Defaults to the
        definitions' ``weight`` for indicators marked ``in_index``.
    min_inhabitants
        Classification threshold; defaults to :data:`geo.settings.MIN_INHABITANTS_FOR_CLASS` at call time.

    Returns
    -------
    pandas.DataFrame
        Same index as ``indicators``: ``z_<key>`` per indicator, ``index_sum``, ``status_index``,
        ``status_class`` and ``classified`` (bool).
    """
    if min_inhabitants is None:
        min_inhabitants = settings.MIN_INHABITANTS_FOR_CLASS
    if weights is None:
        weights = {k: float(r["weight"]) for k, r in definitions.iterrows() if r["in_index"]}
    chosen = [k for k, w in weights.items() if w]
    if not chosen:
        raise DataError("Für den Statusindex ist kein Indikator gewählt.")
    missing = [k for k in chosen if k not in indicators.columns]
    if missing:
        raise DataError(f"Indikatoren fehlen in der Tabelle: {', '.join(missing)}")
    unknown = [k for k in chosen if k not in definitions.index]
    if unknown:
        raise DataError(f"Indikatoren ohne Definition (Richtung): {', '.join(unknown)}")
    values = indicators[chosen].to_numpy(dtype=float)
    eligible = (indicators[settings.INHABITANTS].to_numpy(dtype=float) >= min_inhabitants) & np.isfinite(
        values
    ).all(axis=1)
    if eligible.sum() < 2:
        raise DataError(
            f"Zu wenige Sozialräume mit mindestens {min_inhabitants} Einwohnern und vollständigen Werten "
            "für einen Statusindex."
        )
    directions = definitions.loc[chosen, "direction"].to_numpy(dtype=float)
    w = np.array([float(weights[k]) for k in chosen])
    z, total, index = standardised_index(values, directions, w, eligible)
    out = pd.DataFrame({f"z_{k}": z[:, j] for j, k in enumerate(chosen)}, index=indicators.index)
    out["index_sum"] = total
    out["status_index"] = index
    classes = classify(index).to_numpy()
    out["classified"] = eligible
    out["status_class"] = np.where(eligible, classes, NOT_CLASSIFIED)
    return out


def unclassified(index: pd.Index) -> pd.DataFrame:
    """The need columns of :func:`status_index` for districts that get no index: NaN, ``nicht klassifiziert``."""
    return pd.DataFrame(
        {"index_sum": np.nan, "status_index": np.nan, "classified": False, "status_class": NOT_CLASSIFIED},
        index=index,
    )


def need_or_note(
    indicators: pd.DataFrame,
    *,
    definitions: pd.DataFrame,
    weights: Mapping[str, float],
    min_inhabitants: int,
) -> tuple[pd.DataFrame, dict[str, float], str]:
    """:func:`status_index` where it can be computed; otherwise no district is classified and a note says why.

    Indicators chosen with a weight but without any value in ``indicators`` (a year whose file lacked them) or
    without a definition are left out of the index, and the note names them.

    Returns
    -------
    (pandas.DataFrame, dict, str)
        The need columns (as :func:`status_index`, or :func:`unclassified`), the weights actually used, and a
        German note for the pages ("" when the index is complete).
    """
    notes = []
    usable, left_out = {}, []
    for key, weight in weights.items():
        if not weight:
            continue
        present = key in definitions.index and key in indicators.columns
        if present and pd.to_numeric(indicators[key], errors="coerce").notna().any():
            usable[key] = float(weight)
        else:
            left_out.append(str(definitions.at[key, "label"]) if key in definitions.index else str(key))
    if left_out:
        notes.append(f"Ohne Werte in diesem Jahr und daher nicht im Statusindex: {', '.join(left_out)}.")
    if not usable:
        notes.append("Für den Statusindex ist kein Indikator mit Werten gewählt: Kein Sozialraum wird klassifiziert "
                     "und es werden keine Versorgungslücken bestimmt; die Reichweiten werden trotzdem berechnet. "
                     "Wählen Sie Indikatoren für den Index auf der Seite „Indikatoren“ oder in der Seitenleiste.")
        return unclassified(indicators.index), {}, " ".join(notes)
    try:
        need = status_index(indicators, definitions=definitions, weights=usable, min_inhabitants=min_inhabitants)
    except DataError as err:
        notes.append(f"{err} Kein Sozialraum wird klassifiziert; die Reichweiten werden trotzdem berechnet.")
        return unclassified(indicators.index), {}, " ".join(notes)
    return need, usable, " ".join(notes)
