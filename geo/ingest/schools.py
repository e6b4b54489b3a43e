"""The NRW school master data as an offers table: recognise the layout, keep one Schulform."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from geo import settings
from geo._errors import DataError
from geo.ingest.columns import (
    _norm,
    _text,
)


def is_school_table(columns: Iterable[object]) -> bool:
    """True for the NRW school master data layout (Schulnummer, Schulform, UTM coordinates)."""
    names = {_norm(c) for c in columns}
    return {"schulnummer", "schulform", "utmrechtswert", "utmhochwert"} <= names


def schools_as_offers(
    table: pd.DataFrame,
    *,
    schulform: str = "02",
    offer_type: str = "fgz",
    gemeindeschluessel: str | None = None,
) -> pd.DataFrame:
    """Turn the NRW school master data (``schuldaten_*.csv``) into an offers table for :func:`validate_offers`.

    A planner marks the primary schools (Schulform ``"02"``) as sites of Familiengrundschulzentren: the
    rows of one Schulform become offers of one type, named ``Schulbezeichnung_1 Schulbezeichnung_2``,
    addressed ``Strasse, PLZ Ort``, located by ``UTMRechtswert``/``UTMHochwert`` with the ``EPSG`` column.

    Parameters
    ----------
    table
        The school file as read by :func:`geo.io.read_table` (Excel row numbers are kept).
    schulform
        Schulform code to keep (``"02"`` = Grundschule; ``"2"`` matches too).
    offer_type
        Offer type key given to every kept school.
    gemeindeschluessel
        Keep only schools whose ``Gemeindeschluessel`` (AGS) starts with this, e.g. ``"05913"`` (Dortmund).

    Returns
    -------
    pandas.DataFrame
        Text columns ``offer_id``, ``offer_type``, ``name``, ``address``, ``UTMRechtswert``,
        ``UTMHochwert`` and ``EPSG`` (when present).

    Raises
    ------
    DataError
        If the table is not in the school layout or no school is left after filtering.
    """
    columns = {_norm(c): c for c in table.columns}
    if not is_school_table(table.columns):
        raise DataError(
            "Die Datei hat nicht den Aufbau der NRW-Schuldaten (Spalten Schulnummer, Schulform, "
            "UTMRechtswert, UTMHochwert)."
        )

    def col(key: str) -> pd.Series:
        return _text(table[columns[key]]).fillna("") if key in columns else pd.Series("", index=table.index)

    form = col("schulform").str.lstrip("0")
    keep = form == schulform.lstrip("0")
    if gemeindeschluessel:
        keep &= col("gemeindeschluessel").str.startswith(gemeindeschluessel)
    if not keep.any():
        where = f" mit Gemeindeschlüssel {gemeindeschluessel}…" if gemeindeschluessel else ""
        raise DataError(f"Die Schuldatei enthält keine Schulen der Schulform „{schulform}“{where}.")
    name = (col("schulbezeichnung1") + " " + col("schulbezeichnung2")).str.strip()
    town = (col("plz") + " " + col("ort")).str.strip()
    street = col("strasse")
    address = street + np.where((street != "") & (town != ""), ", ", "") + town
    out = pd.DataFrame(
        {
            settings.OFFER_ID: col("schulnummer"),
            settings.OFFER_TYPE: offer_type,
            settings.OFFER_NAME: name,
            settings.OFFER_ADDRESS: address,
            "UTMRechtswert": table[columns["utmrechtswert"]],
            "UTMHochwert": table[columns["utmhochwert"]],
        },
        index=table.index,
    )
    if "epsg" in columns:
        out["EPSG"] = table[columns["epsg"]]
    out = out[keep].astype("str")
    out.attrs = dict(table.attrs)
    return out
