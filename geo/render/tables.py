"""Result tables for people: German column labels, Excel-safe text, German CSV writing."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo import catalog, settings
from geo.analysis import Result, column
from geo.analysis.dynamics import attention_rule_text, dynamic_key
from geo.analysis.population import CHILDREN, Population, shown_counts
from geo.analysis.protect import HIDDEN, SMALL, district_codes, protect_gaps
from geo.analysis.trends import change_unit
from geo.formatting import format_distance, format_number
from geo.render.provenance import min_inhabitants

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise_text(value: object) -> object:
    """``value`` with an apostrophe in front if it is text Excel would read as a formula; anything else as is."""
    return "'" + value if isinstance(value, str) and value.startswith(_FORMULA_START) else value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Prefix with an apostrophe the text cells and column labels Excel would read as a formula (``=+-@``).

    Numbers are left alone: only string cells are changed (CSV injection, OWASP). Column labels are included
    because indicator names from the configuration become headers.
    """
    out = frame.copy()
    for name in out.columns:
        values = out[name]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            out[name] = values.map(neutralise_text).astype(object)
    out.columns = [neutralise_text(c) for c in out.columns]
    return out


def write_german_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write ``table`` for German Excel: ``;``, decimal comma, UTF-8 with BOM, formulas neutralised."""
    german_cells(neutralise_formulas(table)).to_csv(path, sep=";", decimal=",", index=False, encoding="utf-8-sig")
    return path


# --- German number text ----------------------------------------------------------------------------------------

def _csv_cell(value: object) -> object:
    """A cell of a mixed (object) column as German Excel reads it: floats with decimal comma."""
    if isinstance(value, bool | np.bool_) or isinstance(value, str) or value is None:
        return value
    if isinstance(value, float | np.floating):
        if not np.isfinite(value):
            return ""
        return repr(float(value)).replace(".", ",").removesuffix(",0")
    return value


def german_cells(table: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``table`` whose mixed text/number columns carry German decimal commas.

    pandas writes ``decimal=","`` only for float columns; a column that mixes numbers with ``"< 3"`` is
    object-typed, and its numbers would keep the point.
    """
    out = table.copy()
    for name in out.columns:
        if out[name].dtype == object:
            out[name] = out[name].map(_csv_cell).astype(object)
    return out


def german_csv_bytes(table: pd.DataFrame) -> bytes:
    """``table`` as CSV for German Excel: ``;``, decimal comma, UTF-8 with BOM, formulas neutralised."""
    text = german_cells(neutralise_formulas(table)).to_csv(sep=";", decimal=",", index=False, lineterminator="\r\n")
    return text.encode("utf-8-sig")


# --- Protected result tables for export ----------------------------------------------------------------------

@dataclass(frozen=True)
class Column:
    """One column of an exported result table.

    Attributes
    ----------
    label
        German header (CSV, XLSX).
    key
        Short ASCII field name (GeoPackage).
    description
        German explanation (sheet "Erläuterungen", GeoPackage table ``erlaeuterungen``).
    source
        Column of :attr:`Result.districts` it comes from.
    kind
        ``text``, ``int``, ``count``, ``percent`` (share 0–1 shown ×100), ``number`` or ``flag``.
    decimals
        Decimals shown.
    """

    label: str
    key: str
    description: str
    source: str
    kind: str
    decimals: int = 0


def _key(count_column: str) -> str:
    """GeoPackage field name of a count column: ``kinder``, ``einwohner`` or the column's own ASCII name."""
    return {settings.CHILDREN: "kinder", settings.INHABITANTS: "einwohner"}.get(count_column, _ascii_key(count_column))


def _ascii_key(text: str) -> str:
    """A GeoPackage field name from ``text``: lower-case ASCII letters, digits and ``_`` ("Größe ł" → "groesse_l")."""
    table = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "ß": "ss", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ł": "l",
                           "Ł": "L", "ø": "o", "Ø": "O", "æ": "ae", "œ": "oe", "đ": "d", "ı": "i"})
    plain = unicodedata.normalize("NFKD", str(text).translate(table)).encode("ascii", "ignore").decode("ascii")
    cleaned = "".join(c if c.isalnum() else "_" for c in plain.lower())
    return "_".join(part for part in cleaned.split("_") if part)


#: Field names the GeoPackage layer keeps for itself: GDAL's key and geometry, the protection note.
RESERVED_KEYS: Final[frozenset[str]] = frozenset({"fid", "geom", "geometry", "datenschutz"})


def _unique(cols: list[Column], user: frozenset[str] = frozenset()) -> list[Column]:
    """``cols`` with unique headers and unique, non-empty, non-reserved field names not starting with a digit.

    Indicator names come from a city's own table (their sources are ``user``): one may be called "Gesamtindex",
    "FID" or "2024". The built-in columns keep their names; a user column whose header is taken gets
    " (Indikator)", then " (2)" …, one whose field name is taken or reserved ``_2``, ``_3`` …, so no column
    overwrites another in CSV, XLSX or GeoPackage.
    """
    labels: set[str] = set()
    keys: set[str] = set(RESERVED_KEYS)
    renamed: dict[int, Column] = {}
    for i in sorted(range(len(cols)), key=lambda i: cols[i].source in user):  # built-in columns first
        col = cols[i]
        label, n = col.label, 1
        while label in labels:
            n += 1
            label = f"{col.label} (Indikator)" if n == 2 and col.source in user else f"{col.label} ({n})"
        base = col.key or "feld"
        base = f"f_{base}" if base[0].isdigit() else base
        key, n = base, 1
        while key in keys:
            n += 1
            key = f"{base}_{n}"
        labels.add(label)
        keys.add(key)
        renamed[i] = col if (label, key) == (col.label, col.key) else replace(col, label=label, key=key)
    return [renamed[i] for i in range(len(cols))]


def _indicator_keys(result: Result, definitions: pd.DataFrame | None) -> list[str]:
    """The indicators of the table: those of the index, then every other defined one the result has values for."""
    keys = list(result.weights)
    if definitions is not None:
        keys += [str(k) for k in definitions.index if k not in result.weights and k in result.districts.columns]
    return keys


def result_columns(
    result: Result, *, offer_types: pd.DataFrame | None = None, indicator_definitions: pd.DataFrame | None = None
) -> list[Column]:
    """The columns of the exported district table, in order, with German labels and descriptions."""
    d = result.districts
    short = (lambda t: catalog.type_labels(offer_types, t).short) if offer_types is not None else (lambda t: t)
    cols = [
        Column("Sozialraum-Nr.", "sozialraum_nr", "Kennung des Sozialraums", settings.DISTRICT_ID, "text"),
        Column("Sozialraum", "sozialraum", "Name des Sozialraums", settings.DISTRICT_NAME, "text"),
    ]
    if settings.AREA_NAME in d:
        cols.append(Column("Stadtbezirk", "stadtbezirk", "Stadtbezirk, zu dem der Sozialraum gehört",
                           settings.AREA_NAME, "text"))
    p = result.population
    cols += [
        Column("Jahr", "jahr", "Jahr der Indikatorwerte", settings.YEAR, "int"),
        Column("Einwohner", "einwohner", f"Einwohnerinnen und Einwohner; 1–2 als „{SMALL}“",
               settings.INHABITANTS, "count"),
    ]
    for count in shown_counts(p):  # the children where the year has children counts; a picked count column
        if count.column in d and d[count.column].notna().any():
            cols.append(Column(count.heading, _key(count.column), f"{count.description}; 1–2 als „{SMALL}“",
                               count.column, "count"))
    for key in _indicator_keys(result, indicator_definitions):
        if indicator_definitions is not None and key in indicator_definitions.index:
            row = indicator_definitions.loc[key]
            unit = f" ({row['unit']})" if str(row["unit"]).strip() else ""
            label, text = f"{row['label']}{unit}", str(row["description"]) or "Indikator"
        else:
            label, text = key, "Indikator"
        weight = (f"Gewicht im Statusindex {result.weights[key]:g}" if key in result.weights
                  else "nicht im Statusindex")
        if result.dynamics is not None and key in result.dynamics.weights:
            given = "gelieferte Veränderung, " if key in result.dynamics.ready_made else ""
            weight += f"; {given}Gewicht im Dynamikindex {result.dynamics.weights[key]:g}"
        cols.append(Column(label, _ascii_key(key), f"{text}; {weight}", key, "number", 1))
    cols += [
        Column("Statusindex", "statusindex",
               "Standardisierter Index der sozialen Lage (MSS-Verfahren); positiv = mehr Bedarf",
               "status_index", "number", 2),
        Column("Statusklasse", "statusklasse",
               "Status hoch / mittel / niedrig / sehr niedrig; „nicht klassifiziert“ unter "
               f"{min_inhabitants(result)} Einwohnern", "status_class", "text"),
    ]
    cols += dynamic_columns(result, indicator_definitions)
    for t in result.offer_types:
        s = short(t)
        radius = format_distance(result.radii[t])
        k = _ascii_key(t)
        cols += [
            Column(f"{s}: {p.in_reach} (%)", f"anteil_erreicht_{k}",
                   f"Anteil {p.genitive}, die höchstens {radius} (Luftlinie) vom nächsten Angebot wohnen",
                   column("share_in_reach", t), "percent", 1),
            Column(f"{s}: {p.plural} ohne Angebot in Reichweite", f"{_key(p.column)}_ohne_{k}",
                   f"{p.plural}, die weiter als {radius} vom nächsten Angebot wohnen; 1–2 als „{SMALL}“",
                   column("without_reach", t), "count"),
            Column(f"{s}: Medianweg {p.genitive} (m)", f"medianweg_m_{k}",
                   f"Luftlinie, die die Hälfte {p.genitive} höchstens zum nächsten Angebot hat",
                   column("median_distance_m", t), "number", 0),
            Column(f"{s}: Angebote im Sozialraum", f"angebote_{k}", "Zahl der Angebote dieser Art im Sozialraum",
                   column("offers_inside", t), "int"),
            Column(f"{s}: Versorgungslücke", f"luecke_{k}",
                   f"ja = Status niedrig/sehr niedrig und weniger als {100 * result.max_share_in_reach:.0f} % "
                   f"{p.genitive} in Reichweite", column("gap", t), "flag"),
        ]
    return _unique(cols, frozenset(_indicator_keys(result, indicator_definitions)))


def dynamic_columns(result: Result, indicator_definitions: pd.DataFrame | None = None) -> list[Column]:
    """The Dynamik and Gesamtindex columns (MSS, :mod:`geo.analysis.dynamics`); none without them.

    First the change of every computed dynamik indicator ("Veränderung SGB-II-Quote 2022–2024 (Prozentpunkte)";
    a ready-made one is already an indicator column), then Dynamikindex, Dynamikklasse, Gesamtindex, its code, the
    attention flag and why a district has no Dynamik class. Without a Dynamik index (e.g. one stored year) the
    columns stay, empty or "nicht klassifiziert" with the reason, so that every year's file has the same fields.
    """
    d, info = result.districts, result.dynamics
    if "dynamic_class" not in d or info is None:
        return []
    period = f"Veränderung {info.period}" if info.base_year is not None else f"gelieferte Veränderung {info.year}"
    cols = []
    for key, weight in info.weights.items():
        if key in info.ready_made or dynamic_key(key) not in d:
            continue
        label, unit = key, ""
        if indicator_definitions is not None and key in indicator_definitions.index:
            label, unit = str(indicator_definitions.at[key, "label"]), str(indicator_definitions.at[key, "unit"])
        unit = change_unit(unit)
        cols.append(Column(f"Veränderung {label} {info.period}" + (f" ({unit})" if unit else ""),
                           f"dyn_{_ascii_key(key)}",
                           f"Wert {info.year} minus Wert {info.base_year}; Gewicht im Dynamikindex {weight:g}; "
                           "„•“ ohne Dynamikklasse", dynamic_key(key), "number", 1))
    return cols + [
        Column("Dynamikindex", "dynamikindex",
               f"Standardisierter Index der Veränderung ({period}, MSS-Verfahren); positiv = Lage verschlechtert sich",
               "dynamic_index", "number", 2),
        Column("Dynamikklasse", "dynamikklasse",
               "positiv (unter −1) / stabil (−1 bis +1) / negativ (über +1, Lage verschlechtert sich); "
               "„nicht klassifiziert“ mit Begründung", "dynamic_class", "text"),
        Column("Gesamtindex", "gesamtindex", "Statusklasse × Dynamikklasse (MSS), z. B. „Status mittel, Dynamik "
               "negativ“; leer ohne beide Klassen", "overall_class", "text"),
        Column("Gesamtindex-Code", "gesamtindex_code", "Code des MSS: Status 1 (hoch) bis 4 (sehr niedrig), Dynamik "
               "+ / +/− / −", "overall_code", "text"),
        Column("Besonderer Aufmerksamkeitsbedarf", "aufmerksamkeitsbedarf",
               f"ja = {attention_rule_text()}", "attention", "flag"),
        Column("Dynamik: ohne Klasse, weil", "dynamik_begruendung",
               "Warum der Sozialraum keine Dynamikklasse hat (leer, wenn er eine hat)", "dynamic_reason", "text"),
    ]


def dynamic_notes(result: Result) -> list[tuple[str, str]]:
    """(topic, German text) for the notes of every table export: the Dynamik's period, the rule, what is missing."""
    info = result.dynamics
    if info is None:
        return []
    if info.computed:
        given = f", davon geliefert: {', '.join(info.ready_made)}" if info.ready_made else ""
        text = (f"Zeitraum {info.period}; Dynamikindex aus {len(info.weights)} Indikatoren "
                f"({', '.join(f'{k} ×{w:g}' for k, w in info.weights.items())}{given}); Klassen positiv unter −1, "
                "stabil −1 bis +1, negativ über +1.")
        text = f"{text} {info.note}".strip()
    else:
        text = info.note or "Kein Dynamikindex für diese Analyse."
    notes = [("Dynamik", text)]
    return notes + [("Besonderer Aufmerksamkeitsbedarf", attention_rule_text())]


def _values(result: Result, col: Column) -> pd.Series:
    d = result.districts
    if col.source == settings.YEAR:
        return pd.Series(result.year, index=d.index)
    values = d[col.source]
    if col.kind == "text":
        return values.astype(object)
    if col.kind == "flag":
        return values.map({True: "ja", False: "nein"}).astype(object)
    if col.kind in ("int", "count"):
        return values.astype(float).round(0).astype("Int64")
    if col.kind == "percent":
        return (100 * values.astype(float)).round(col.decimals)
    return values.astype(float).round(col.decimals)


def protected_district_table(
    result: Result,
    *,
    offer_types: pd.DataFrame | None = None,
    indicator_definitions: pd.DataFrame | None = None,
    threshold: int | None = None,
) -> pd.DataFrame:
    """The district result table for export, with the data-protection rule of :mod:`geo.analysis.protect` applied.

    One row per district sorted by id, German headers (:func:`result_columns`). Numeric columns stay numeric;
    a column with a coded cell (``"< 3"``, ``"•"``) holds numbers and those strings (object dtype).
    """
    codes = district_codes(result, threshold=threshold)
    out = {}
    for col in result_columns(result, offer_types=offer_types, indicator_definitions=indicator_definitions):
        values = _values(result, col)
        if col.source in codes:
            mask = codes[col.source].to_numpy(dtype=object)
            if (mask != "").any():
                values = values.astype(object).where(mask == "", mask)
                values = values.map(lambda v: None if v is pd.NA else v).astype(object)
        out[col.label] = values.to_numpy()
    table = pd.DataFrame(out)
    order = np.argsort(result.districts[settings.DISTRICT_ID].astype(str).to_numpy(), kind="stable")
    return table.iloc[order].reset_index(drop=True)


def _is_number(value: object) -> bool:
    """True for a number cell of a protected table (``None`` = empty); text and flags are not numbers."""
    if isinstance(value, str | bool | np.bool_):
        return False
    return value is None or isinstance(value, int | float | np.number)


def screen_table(table: pd.DataFrame) -> pd.DataFrame:
    """A protected table (``"< 3"``, ``"•"`` in number columns) for a sortable on-screen grid.

    A number column with a ``"< 3"`` becomes German text, so the code stays visible; in the other number columns
    a ``"•"`` becomes an empty cell and the column numeric (it sorts as numbers; the page explains empty cells).
    Text columns are left as they are.
    """
    out = table.copy()
    for name in out.columns:
        values = out[name]
        if values.dtype != object:
            continue
        coded = values.map(lambda v: isinstance(v, str) and v in (SMALL, HIDDEN)).to_numpy(dtype=bool)
        if not all(_is_number(v) for v in values[~coded]):
            continue
        if (values[coded] == SMALL).any():
            out[name] = values.map(
                lambda v: v if isinstance(v, str) else "" if v is None or not np.isfinite(float(v))
                else format_number(v, 0 if float(v).is_integer() else 1)
            ).astype(object)
        else:
            out[name] = pd.to_numeric(values.where(~coded), errors="coerce")
    return out


def column_descriptions(
    result: Result, *, offer_types: pd.DataFrame | None = None, indicator_definitions: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Table "Spalte | Feldname (GeoPackage) | Beschreibung" for the exported district table."""
    cols = result_columns(result, offer_types=offer_types, indicator_definitions=indicator_definitions)
    return pd.DataFrame(
        {
            "Spalte": [c.label for c in cols],
            "Feldname (GeoPackage)": [c.key for c in cols],
            "Beschreibung": [c.description for c in cols],
        }
    )


def gap_table_labels(population: Population = CHILDREN) -> dict[str, str]:
    """German headers of the exported gap table, by :attr:`Result.gaps` column, naming ``population``."""
    return {
        "rank": "Rang",
        settings.DISTRICT_ID: "Sozialraum-Nr.",
        settings.DISTRICT_NAME: "Sozialraum",
        "offer_type": "Angebotsart",
        "status_class": "Statusklasse",
        "population": population.heading,
        "share_in_reach": f"{population.in_reach} (%)",
        "without_reach": f"{population.plural} ohne Angebot in Reichweite",
        "median_distance_m": "Medianweg (m)",
        "radius_m": "Radius (m)",
        "is_gap": "Versorgungslücke",
        "reason": "Begründung",
    }


def protected_gap_table(
    result: Result, *, offer_types: pd.DataFrame | None = None, threshold: int | None = None
) -> pd.DataFrame:
    """The ranked gap table (districts in need × offer types, gaps first) for export, protected, German headers."""
    gaps = protect_gaps(result.gaps, threshold=threshold)
    out = pd.DataFrame({"rank": np.arange(1, len(gaps) + 1)})
    labels = gap_table_labels(result.population)
    for name in labels:
        if name == "rank":
            continue
        values = gaps[name].reset_index(drop=True) if name in gaps else pd.Series([], dtype=object)
        if name == "offer_type" and offer_types is not None:
            values = values.map(lambda t: catalog.type_labels(offer_types, t).short)
        elif name == "is_gap":
            values = values.map({True: "ja", False: "nein"})
        elif name == "share_in_reach":
            values = values.map(lambda v: v if isinstance(v, str) else round(100 * float(v), 1))
        elif name in ("population", "without_reach", "median_distance_m", "radius_m"):
            values = values.map(lambda v: v if isinstance(v, str) or not np.isfinite(float(v)) else int(round(v)))
        out[name] = values.astype(object).to_numpy() if len(values) else []
    return out.rename(columns=labels)
