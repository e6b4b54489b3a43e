"""Result tables for people: German column labels, Excel-safe text, German CSV writing."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from geo import settings
from geo.analysis import Result, column

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells that Excel would read as a formula (``=``, ``+``, ``-``, ``@``) with an apostrophe.

    Numbers are left alone: only string cells are changed (CSV injection, OWASP).
    """
    out = frame.copy()
    for name in out.columns:
        values = out[name]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out[name] = values.map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v
            ).astype(object)
    return out


def district_table(result: Result, *, offer_types: pd.DataFrame | None = None,
                   indicator_definitions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per-district result table with German column labels, one row per district, sorted by id."""
    d = result.districts
    label = (lambda t: offer_types.at[t, "short"]) if offer_types is not None else (lambda t: t)
    out = pd.DataFrame(
        {
            "Bezirk-Nr.": d[settings.DISTRICT_ID],
            "Sozialraum": d[settings.DISTRICT_NAME],
            "Stadtbezirk": d[settings.AREA_NAME] if settings.AREA_NAME in d else "",
            "Jahr": result.year,
            "Einwohner": d[settings.INHABITANTS].astype(int),
            "Kinder 0–17": d[settings.CHILDREN].astype(int),
        }
    )
    for key in result.weights:
        name = indicator_definitions.at[key, "label"] if indicator_definitions is not None else key
        out[name] = d[key]
    out["Statusindex"] = d["status_index"].round(2)
    out["Statusklasse"] = d["status_class"]
    for t in result.offer_types:
        out[f"{label(t)}: Kinder in Reichweite (%)"] = (100 * d[column("share_in_reach", t)]).round(1)
        out[f"{label(t)}: Medianweg der Kinder (m)"] = d[column("median_distance_m", t)].round(0)
        out[f"{label(t)}: Angebote im Bezirk"] = d[column("offers_inside", t)]
        out[f"{label(t)}: Versorgungslücke"] = d[column("gap", t)].map({True: "ja", False: "nein"})
    return out.sort_values("Bezirk-Nr.").reset_index(drop=True)


def write_german_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write ``table`` for German Excel: ``;``, decimal comma, UTF-8 with BOM, formulas neutralised."""
    neutralise_formulas(table).to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    return path
