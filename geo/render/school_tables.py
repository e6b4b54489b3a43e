"""German tables of the primary schools: the list of burdened schools without FGZ and the signal per district."""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo.analysis import Result
from geo.analysis.schools import district_signal, high_index_without_fgz

#: Cell text where a value is missing (no district, no FGZ in the city).
MISSING: Final[str] = "–"


def _distance_m(value: float) -> object:
    """Distance rounded to 10 m as a number (the page formats it German), "–" where there is none."""
    return int(round(value, -1)) if np.isfinite(value) else MISSING


def school_list(schools: pd.DataFrame, result: Result, threshold: int | None = None) -> pd.DataFrame:
    """"Grundschulen mit Sozialindex ≥ threshold ohne FGZ" as a German table, highest index first.

    Columns: Schulnummer, Name, Sozialraum, Sozialraum-Nr., Status des Sozialraums (status class of ``result``;
    "außerhalb der Sozialräume" for a school outside them), Sozialindex, Nächstes FGZ (m).
    """
    rows = high_index_without_fgz(schools, threshold)
    status = result.districts.set_index(result.districts[settings.DISTRICT_ID].astype(str))["status_class"]
    district = rows[settings.DISTRICT_ID]
    return pd.DataFrame({
        "Schulnummer": rows[settings.SCHOOL_ID].astype(str).to_numpy(),
        "Name": rows[settings.OFFER_NAME].astype(str).to_numpy(),
        "Sozialraum": rows[settings.DISTRICT_NAME].fillna(MISSING).astype(str).to_numpy(),
        "Sozialraum-Nr.": district.fillna(MISSING).astype(str).to_numpy(),
        "Status des Sozialraums": [str(status.get(str(d), "außerhalb der Sozialräume")) if isinstance(d, str)
                                   else "außerhalb der Sozialräume" for d in district],
        "Sozialindex": rows[settings.SOZIALINDEX].astype(int).to_numpy(),
        "Nächstes FGZ (m)": [_distance_m(float(v)) for v in rows["nearest_fgz_m"]],
    })


def school_signal_table(schools: pd.DataFrame, result: Result, threshold: int | None = None) -> pd.DataFrame:
    """The second need signal per district (all districts of ``result``) as a German table."""
    threshold = settings.SOZIALINDEX_HIGH if threshold is None else int(threshold)
    signal = district_signal(schools, result.districts, threshold)
    d = result.districts
    return pd.DataFrame({
        "Sozialraum": d[settings.DISTRICT_NAME].astype(str).to_numpy(),
        "Sozialraum-Nr.": signal[settings.DISTRICT_ID].to_numpy(),
        "Status des Sozialraums": d["status_class"].astype(str).to_numpy(),
        "Grundschulen": signal["schools"].to_numpy(),
        "mit Sozialindex": signal["schools_with_index"].to_numpy(),
        "Höchster Sozialindex": signal["sozialindex_max"].to_numpy(),
        "Ø Sozialindex": signal["sozialindex_mean"].round(1).to_numpy(),
        f"Sozialindex ≥ {threshold}": signal["schools_high"].to_numpy(),
    })

