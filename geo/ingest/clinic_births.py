"""Validate a table of births per clinic and Sozialraum (Geburten je Klinik) into the ``clinic_births`` layer.

The table says how many children of each Sozialraum were born in which clinic (the Lotsendienst's reach is the
share of births in clinics that run one). A clinic is named by its Kennung (the ``offer_id`` of a Lotsendienst or
Geburtsklinik offer) or by its name, matched to those offers. Rows count as Excel shows them (header = row 1).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import catalog, settings
from geo._errors import Report
from geo.formatting import format_number
from geo.ingest.changes import ChangeSummary, summarise_changes
from geo.ingest.columns import (
    _INDICATOR_ID_ALIASES,
    _YEAR_ALIASES,
    _columns_list,
    _find_roles,
    _gap_codes,
    _join_numbers,
    _mapped_columns,
    _norm,
    _rows_text,
    _sort,
    _text,
    excel_rows,
)
from geo.ingest.indicators import _match_district_ids, _years
from geo.io import EXCEL_ROW, parse_number

CLINIC_ID: Final[str] = "clinic_id"
#: Columns of the layer, in order (``year`` only where the file or the planner gives one).
CLINIC_BIRTHS_COLUMNS: Final[list[str]] = [settings.DISTRICT_ID, CLINIC_ID, settings.BIRTHS, settings.YEAR]
#: Column names of a births table, compared after :func:`geo.ingest.columns._norm`, per layer column. The clinic
#: is looked for first, so that "Klinik-Nr." is never taken for the Sozialraum's number.
CLINIC_BIRTHS_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    CLINIC_ID: (
        "clinicid", "clinic", "klinik", "klinikkennung", "kliniknr", "kliniknummer", "klinikid", "klinikname",
        "geburtsklinik", "entbindungsklinik", "krankenhaus", "krankenhausnr", "krankenhausname", "geburtsort",
        "einrichtung", "angebotskennung",
    ),
    settings.BIRTHS: (
        "births", "geburten", "anzahlgeburten", "geburtenzahl", "lebendgeborene", "lebendgeburten", "neugeborene",
        "anzahl", "entbindungen",
    ),
    settings.YEAR: _YEAR_ALIASES,
    settings.DISTRICT_ID: _INDICATOR_ID_ALIASES,
}
#: Offer types whose offers are clinics when the offer type table names none (no type with births as target).
DEFAULT_CLINIC_TYPES: Final[tuple[str, ...]] = ("lotsendienst", "geburtsklinik")
#: Births above this in one row are a typo (a city's clinics see a few thousand a year).
MAX_BIRTHS: Final[float] = 100_000.0


@dataclass
class ClinicBirthsValidation:
    """The result of :func:`validate_clinic_births`.

    Attributes
    ----------
    layer
        ``district_id``, ``clinic_id`` (text), ``births`` (float ≥ 0) and, where given, ``year`` (int64), indexed
        by Excel row number; rows with errors and rows whose births are a no-data code are left out.
    report
        Every error and warning.
    columns
        Layer column → the file's column it was read from.
    """

    layer: pd.DataFrame
    report: Report
    columns: dict[str, str] = field(default_factory=dict)


def clinic_types(offer_types: pd.DataFrame) -> list[str]:
    """Offer types whose offers are clinics: the types with births as target and their host types.

    With the NRW defaults: ``lotsendienst`` (target "geburten") and ``geburtsklinik`` (its host type). Without
    such a type: :data:`DEFAULT_CLINIC_TYPES` as far as the table has them.
    """
    found: list[str] = []
    if "target" in offer_types:
        for key, row in offer_types.iterrows():
            target = catalog.parse_target(row["target"])
            if target is not None and target.births:
                found += [key, *([str(row["host_type"])] if str(row.get("host_type", "") or "") else [])]
    found = [t for t in dict.fromkeys(found) if t in offer_types.index]
    return found or [t for t in DEFAULT_CLINIC_TYPES if t in offer_types.index]


def validate_clinic_births(
    table: pd.DataFrame,
    *,
    districts: gpd.GeoDataFrame,
    offers: gpd.GeoDataFrame | None,
    offer_types: pd.DataFrame,
    year: int | None = None,
    column_map: Mapping[str, str] | None = None,
) -> ClinicBirthsValidation:
    """Validate a raw births table (all text, see :func:`geo.io.read_table`) into the ``clinic_births`` layer.

    Columns are found by name (:data:`CLINIC_BIRTHS_ALIASES`: Sozialraum-Nr., Klinik, Geburten, Jahr) or given in
    ``column_map``. Sozialraum ids match the districts exactly or, where unambiguous, without leading zeros
    (``1`` ↔ ``"01"``, a warning). A clinic matches an offer of the :func:`clinic_types` by its id, else by its
    name (case, spaces and punctuation ignored; a name the file gives without the type's prefix, "St.-Agnes-
    Hospital" for "Lotsendienst St.-Agnes-Hospital", matches too). Errors name the Excel row: missing columns,
    blank, unknown or ambiguous Sozialraum or clinic, births that are no number, negative or implausibly large,
    invalid years, the same Sozialraum, clinic and year twice. No-data codes ("–", "x", "-9999", …) leave the row
    out with one warning.

    Parameters
    ----------
    table
        Text table; its index is taken as Excel row numbers when named :data:`geo.io.EXCEL_ROW`.
    districts, offers, offer_types
        The Sozialräume, offers and offer types in use.
    year
        The year of every row when the file has no year column; ``None``: the layer has no ``year``.
    column_map
        File column → layer column (``district_id``, ``clinic_id``, ``births``, ``year``).

    Returns
    -------
    ClinicBirthsValidation
    """
    report = Report()
    rows = excel_rows(table)
    index = pd.RangeIndex(len(table))
    roles = _roles(table.columns, column_map, report)
    if table.shape[1] == 1:
        report.error(f"Die Tabelle hat nur eine Spalte („{table.columns[0]}“). Wahrscheinlich passt das Trennzeichen "
                     "nicht: bitte speichern Sie die Datei mit Semikolon, Komma oder Tabulator als Trennzeichen.")
    labels = {settings.DISTRICT_ID: "die Sozialraum-Nr. (z. B. „Sozialraum-Nr.“)",
              CLINIC_ID: "die Klinik (z. B. „Klinik“ mit Kennung oder Name)",
              settings.BIRTHS: "die Geburten (z. B. „Geburten“)"}
    missing = [text for role, text in labels.items() if role not in roles]
    if missing:
        report.error(f"Spalte für {_join_numbers(missing)} nicht gefunden. Vorhandene Spalten: "
                     f"{_columns_list(table.columns)}.")
        return ClinicBirthsValidation(_empty(year is not None or settings.YEAR in roles), _sort(report), roles)
    bad = np.zeros(len(table), dtype=bool)
    districts_ids = _districts(table, roles[settings.DISTRICT_ID], districts, rows, report, bad)
    clinics = _clinics(table, roles[CLINIC_ID], offers, offer_types, rows, report, bad)
    births, gap = _births(table, roles[settings.BIRTHS], rows, report, bad)
    out = pd.DataFrame({settings.DISTRICT_ID: districts_ids.to_numpy(dtype=object),
                        CLINIC_ID: clinics.to_numpy(dtype=object),
                        settings.BIRTHS: births.to_numpy(dtype="float64")}, index=index)
    if settings.YEAR in roles or year is not None:
        out[settings.YEAR] = _years(table, roles.get(settings.YEAR), year, rows, index, report, bad)
    _check_duplicates(out, rows, roles[settings.DISTRICT_ID], report, bad)
    keep = ~bad & ~gap
    layer = out[keep].set_axis(pd.Index(rows[keep], name=EXCEL_ROW))
    for column in (settings.DISTRICT_ID, CLINIC_ID):
        layer[column] = layer[column].astype("str")
    if settings.YEAR in layer:
        layer[settings.YEAR] = layer[settings.YEAR].astype("int64")
    return ClinicBirthsValidation(layer, _sort(report), roles)


def _roles(columns: pd.Index, column_map: Mapping[str, str] | None, report: Report) -> dict[str, str]:
    roles = _mapped_columns(columns, column_map, CLINIC_BIRTHS_COLUMNS, report)
    return _find_roles(columns, CLINIC_BIRTHS_ALIASES, roles)


def _districts(table: pd.DataFrame, column: str, districts: gpd.GeoDataFrame, rows: np.ndarray, report: Report,
               bad: np.ndarray) -> pd.Series:
    """The district id of each row (exactly, else without leading zeros); errors for blank and unknown ids."""
    ids = _text(table[column]).reset_index(drop=True)
    matched, loose = _match_district_ids(ids, districts[settings.DISTRICT_ID])
    blank = ids.isna().to_numpy()
    unknown = ~blank & matched.isna().to_numpy()
    for row in rows[blank]:
        report.error("Die Sozialraum-Nr. fehlt.", int(row), column)
    examples = ", ".join(f"„{i}“" for i in districts[settings.DISTRICT_ID].astype(str).head(3))
    for row, value in zip(rows[unknown], ids.to_numpy()[unknown], strict=True):
        report.error(f"Den Sozialraum „{value}“ gibt es nicht (Sozialraum-Nr. wie {examples}).", int(row), column)
    if loose.any():
        pairs = list(dict.fromkeys(f"{a} → {b}" for a, b in zip(ids[loose], matched[loose], strict=True)))
        report.warn(f"Sozialraum-Nr. ohne führende Nullen zugeordnet: {', '.join(pairs[:5])} "
                    f"({_rows_text(rows[loose.to_numpy()])}).", column=column)
    bad |= blank | unknown
    return matched.fillna("")


def _clinic_lookup(offers: pd.DataFrame, offer_types: pd.DataFrame) -> tuple[set[str], dict[str, list[str]]]:
    """The clinics' ids, and each normalised name (also without its type's label in front) → the ids bearing it."""
    ids = offers[settings.OFFER_ID].astype("str")
    names: dict[str, list[str]] = {}
    for offer_id, name, offer_type in zip(ids, offers[settings.OFFER_NAME].astype("str"),
                                          offers[settings.OFFER_TYPE].astype("str"), strict=True):
        labels = catalog.type_labels(offer_types, offer_type)
        spelled = {_norm(name)}
        for prefix in (_norm(labels.short), _norm(labels.label)):
            if prefix and _norm(name).startswith(prefix) and len(_norm(name)) > len(prefix):
                spelled.add(_norm(name)[len(prefix):])
        for key in spelled - {""}:
            names.setdefault(key, [])
            if offer_id not in names[key]:
                names[key].append(offer_id)
    return set(ids), names


def _clinics(table: pd.DataFrame, column: str, offers: gpd.GeoDataFrame | None, offer_types: pd.DataFrame,
             rows: np.ndarray, report: Report, bad: np.ndarray) -> pd.Series:
    """The clinic id of each row: its Kennung, else the one clinic of that name; errors name the row."""
    types = clinic_types(offer_types)
    kinds = _join_numbers([f"„{catalog.type_labels(offer_types, t).short}“" for t in types]) or "„Geburtsklinik“"
    clinics = pd.DataFrame(columns=[settings.OFFER_ID, settings.OFFER_NAME, settings.OFFER_TYPE]) if offers is None \
        else offers[offers[settings.OFFER_TYPE].astype("str").isin(types)]
    raw = _text(table[column]).reset_index(drop=True)
    blank = raw.isna().to_numpy()
    for row in rows[blank]:
        report.error("Die Klinik fehlt (Kennung oder Name).", int(row), column)
    bad |= blank
    if not len(clinics):
        if (~blank).any():
            report.error(f"Es gibt noch keine Standorte der Angebotsarten {kinds}. Bitte laden Sie zuerst die "
                         "Kliniken als Angebote hoch; dann werden die Geburten ihnen zugeordnet.", column=column)
        bad[:] = True
        return pd.Series("", index=raw.index, dtype="str")
    ids, names = _clinic_lookup(clinics, offer_types)
    name_of = dict(zip(clinics[settings.OFFER_ID].astype("str"), clinics[settings.OFFER_NAME].astype("str"),
                       strict=False))
    resolved: dict[str, str | None] = {}
    for value in raw.dropna().unique():
        resolved[value] = value if value in ids else (
            names[_norm(value)][0] if len(names.get(_norm(value), [])) == 1 else None)
    out = raw.map(resolved)
    for row, value in zip(rows[~blank & out.isna().to_numpy()], raw.to_numpy()[~blank & out.isna().to_numpy()],
                          strict=True):
        candidates = names.get(_norm(value), [])
        if len(candidates) > 1:
            listed = ", ".join(f"„{i}“ ({name_of.get(i, '')})" for i in candidates)
            report.error(f"Der Klinikname „{value}“ ist mehrdeutig: {listed}. Bitte geben Sie die Kennung an.",
                         int(row), column)
        else:
            examples = ", ".join(f"„{i}“ ({n})" for i, n in list(name_of.items())[:4])
            report.error(f"Die Klinik „{value}“ gibt es nicht unter den Standorten der Angebotsarten {kinds}. Bitte "
                         f"geben Sie ihre Kennung oder ihren Namen wie in den Angeboten an (z. B. {examples}).",
                         int(row), column)
    bad |= ~blank & out.isna().to_numpy()
    return out.fillna("")


def _births(table: pd.DataFrame, column: str, rows: np.ndarray, report: Report,
            bad: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Births as numbers ≥ 0 (decimals allowed: averages over years); the mask of no-data codes (left out)."""
    raw = _text(table[column]).reset_index(drop=True)
    values = parse_number(raw)
    codes = _gap_codes(raw, values)
    gap = codes.notna().to_numpy()
    values = values.mask(codes.notna())
    for mask, message in (
        (values.isna().to_numpy() & ~gap, "„{}“ ist keine Zahl (Geburten)."),
        ((values < 0).to_numpy(), "Die Geburten „{}“ dürfen nicht negativ sein."),
        ((values > MAX_BIRTHS).to_numpy(), "Die Geburten „{}“ sind unplausibel groß."),
    ):
        for row, value in zip(rows[mask], raw.to_numpy()[mask], strict=True):
            report.error(message.format(value), int(row), column)
        bad |= mask
    shown = gap & ~bad
    if shown.any():
        found = list(dict.fromkeys("leer" if c == "" else f"„{raw[i]}“" for i, c in zip(
            np.flatnonzero(shown), codes.to_numpy()[shown], strict=True)))
        report.warn(f"Keine Angabe zu den Geburten ({', '.join(found)}; {_rows_text(rows[shown])}): diese Zeilen "
                    "werden nicht berücksichtigt.", column=column)
    return values.fillna(0.0), gap


def _check_duplicates(out: pd.DataFrame, rows: np.ndarray, column: str, report: Report, bad: np.ndarray) -> None:
    """One error per Sozialraum, clinic (and year) given more than once, naming all its rows."""
    keys = [settings.DISTRICT_ID, CLINIC_ID, *([settings.YEAR] if settings.YEAR in out else [])]
    label = out[keys[0]].astype("str")
    for key in keys[1:]:
        label = label + " / " + out[key].astype("str")
    label = label.where(~bad)
    dup = label.duplicated(keep=False).to_numpy() & label.notna().to_numpy()
    what = "Sozialraum, Klinik und Jahr" if settings.YEAR in out else "Sozialraum und Klinik"
    for value, members in pd.Series(rows[dup]).groupby(label[dup].to_numpy(), sort=False):
        numbers = sorted(members.tolist())
        report.error(f"{what} {value} kommen mehrfach vor (Zeilen {_join_numbers(numbers)}).", numbers[1], column)
    bad |= dup


def merge_clinic_births(existing: pd.DataFrame | None, new: pd.DataFrame,
                        districts: gpd.GeoDataFrame) -> pd.DataFrame:
    """The births in use with the upload's years replaced: other years stay where their Sozialraum still exists.

    A file without years (or births in use without years) replaces the whole layer.
    """
    new = new.reset_index(drop=True)
    if existing is None or not len(existing) or settings.YEAR not in new or settings.YEAR not in existing:
        return new
    keep = ~existing[settings.YEAR].isin(set(new[settings.YEAR])) & existing[settings.DISTRICT_ID].astype(
        "str").isin(set(districts[settings.DISTRICT_ID].astype("str")))
    merged = pd.concat([existing[keep][CLINIC_BIRTHS_COLUMNS], new], ignore_index=True)
    return merged.sort_values([settings.YEAR, settings.DISTRICT_ID, CLINIC_ID], kind="stable").reset_index(drop=True)


def births_changes(existing: pd.DataFrame | None, merged: pd.DataFrame, uploaded: pd.DataFrame) -> ChangeSummary:
    """What the upload changes: rows by Sozialraum, clinic (and year, where both have years), of the years replaced.

    ``existing`` is the layer in use, ``merged`` the result of :func:`merge_clinic_births`, ``uploaded`` the
    validated upload.
    """
    with_years = settings.YEAR in merged and existing is not None and settings.YEAR in existing
    keys = [settings.DISTRICT_ID, CLINIC_ID, *([settings.YEAR] if with_years else [])]
    if with_years:
        years = set(uploaded[settings.YEAR])
        existing, merged = existing[existing[settings.YEAR].isin(years)], merged[merged[settings.YEAR].isin(years)]
    return summarise_changes(existing, merged, key=keys)


def births_summary(layer: pd.DataFrame) -> dict[str, str]:
    """German labels about a validated layer: Geburten (sum), Kliniken, Sozialräume, Jahre."""
    info = {"Geburten": format_number(float(layer[settings.BIRTHS].sum()), 0),
            "Kliniken": format_number(layer[CLINIC_ID].nunique()),
            "Sozialräume": format_number(layer[settings.DISTRICT_ID].nunique())}
    if settings.YEAR in layer and len(layer):
        info["Jahre"] = ", ".join(str(y) for y in sorted(layer[settings.YEAR].unique()))
    return info


def births_by_clinic(layer: pd.DataFrame, offers: pd.DataFrame | None, offer_types: pd.DataFrame) -> pd.DataFrame:
    """Klinik | Kennung | Angebotsart | Sozialräume | Geburten: the layer summed per clinic, most births first."""
    sums = layer.groupby(CLINIC_ID, sort=False).agg(
        districts=(settings.DISTRICT_ID, "nunique"), births=(settings.BIRTHS, "sum"))
    sums = sums.sort_values("births", ascending=False, kind="stable")
    known = pd.DataFrame(columns=[settings.OFFER_NAME, settings.OFFER_TYPE]) if offers is None else \
        offers.drop_duplicates(settings.OFFER_ID).set_index(offers.drop_duplicates(settings.OFFER_ID)[
            settings.OFFER_ID].astype("str"))[[settings.OFFER_NAME, settings.OFFER_TYPE]]
    names = known[settings.OFFER_NAME].reindex(sums.index).fillna("")
    types = known[settings.OFFER_TYPE].reindex(sums.index)
    return pd.DataFrame({
        "Klinik": names.astype("str").to_numpy(),
        "Kennung": sums.index.astype("str"),
        "Angebotsart": [catalog.type_labels(offer_types, t).short if isinstance(t, str) else "" for t in types],
        "Sozialräume": sums["districts"].to_numpy(),
        "Geburten": sums["births"].to_numpy(),
    })


def _empty(with_year: bool) -> pd.DataFrame:
    columns = {settings.DISTRICT_ID: pd.Series(dtype="str"), CLINIC_ID: pd.Series(dtype="str"),
               settings.BIRTHS: pd.Series(dtype="float64")}
    if with_year:
        columns[settings.YEAR] = pd.Series(dtype="int64")
    return pd.DataFrame(columns, index=pd.Index([], name=EXCEL_ROW, dtype=np.int64))
