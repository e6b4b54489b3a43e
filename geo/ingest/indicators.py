"""Validate an indicator table (one row per district and year) against the districts layer."""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import catalog, settings
from geo._errors import Report
from geo.district_ids import match_district_ids as _match_district_ids
from geo.ingest import definitions
from geo.ingest.age_bands import CHILDREN_BAND, AgeColumns, children_parts, find_age_columns
from geo.ingest.columns import (
    _COUNT_ALIASES,
    _COUNT_PREFIXES,
    _ID_SUFFIXES,
    _INDICATOR_ID_ALIASES,
    _YEAR_ALIASES,
    INDICATOR_NAME_SIMILARITY,
    _columns_list,
    _find_column,
    _gap_codes,
    _join_numbers,
    _mapped_columns,
    _norm,
    _rows_text,
    _sample,
    _sort,
    _text,
    excel_rows,
)
from geo.io import EXCEL_ROW, parse_number

#: Inhabitants or children above this in one district are a typo, not a city.
MAX_COUNT: Final[int] = 100_000_000
#: When no id matches exactly and some only without leading zeros, more than this share of ids matching nothing
#: means another city's file (101, 102, 1405 against 0101 … 0807), not Excel's dropped zeros: an error.
LOOSE_IDS_MAX_UNMATCHED: Final[float] = 0.1
#: ``column_map`` targets of age band counts: ``age_0_3`` (from 0 to under 3), ``age_65_plus``.
_AGE_TARGET: Final[re.Pattern[str]] = re.compile(rf"{settings.AGE_PREFIX}\d+_(?:\d+|plus)")


@dataclass(frozen=True)
class IndicatorUpload:
    """A validated indicator table, the definitions it brings and the proposal per column.

    Attributes
    ----------
    layer
        ``district_id``, ``year``, ``inhabitants``, ``children``, the age band counts ``age_<from>_<to>`` and
        ``births`` the file has (see :mod:`geo.ingest.age_bands`; NaN where no value is given) and one float
        column per key of ``definitions``, indexed by Excel row number; rows with errors or without a district
        are left out. A count column the file lacks is all NaN (float); an indicator it lacks is NaN.
    definitions
        The full indicator definitions after the upload, indexed by key: the stored ones, then the new ones.
    columns
        Per proposed file column (:data:`geo.ingest.definitions.PROPOSAL_COLUMNS`): the key it becomes, whether
        it is taken as an indicator, its definition fields and where the proposal came from.
    report
        Every error and warning.
    ages
        The file's age band and births columns as recognised (for the preview: "Altersgruppen").
    """

    layer: pd.DataFrame
    definitions: pd.DataFrame
    columns: pd.DataFrame
    report: Report
    ages: AgeColumns = field(default_factory=lambda: AgeColumns({}))


def validate_indicators(
    table: pd.DataFrame,
    *,
    districts: gpd.GeoDataFrame,
    indicator_definitions: pd.DataFrame,
    suggestions: pd.DataFrame | None = None,
    choices: Mapping[str, object] | None = None,
    id_column: str | None = None,
    year_column: str | None = None,
    year: int | None = None,
    column_map: Mapping[str, str] | None = None,
) -> IndicatorUpload:
    """Validate a raw indicator table (one row per district and year) against the districts.

    Only the district id and the year are required. Indicator columns are proposed (stored definitions by key,
    label or similar name, then the NRW suggestions, then every other numeric column as a new indicator outside
    the status index; see :mod:`geo.ingest.definitions`) and ``choices`` override the proposal. An indicator the
    file lacks is NaN for its years (a warning, never an error). Without inhabitants no district of these years
    can be classified, without children the counts stay empty (a warning each).

    Age band and births columns ("0 bis unter 3 Jahre", "Kinder 0-3", "10-17", "Geburten", see
    :mod:`geo.ingest.age_bands`) are counts, not indicators: stored as ``age_<from>_<to>`` and ``births``; a band
    0 to under 18 is the children's count, and without one, bands that split 0 to under 18 are summed into it.
    Missing values there are NaN (a warning); bands larger than the children or not adding up to them are
    warnings, unreadable or overlapping bands errors.

    Ids match the districts exactly or, where unambiguous, ignoring leading zeros (``101`` ↔ ``"0101"``,
    as Excel drops them); if two district ids collapse to the same number, only the exact id matches.
    Values may use the decimal comma and a ``%`` sign; official no-data codes (``-``, ``.``, ``x``, ``–``,
    ``k. A.``, see :data:`~geo.ingest.columns.STATISTICAL_GAPS`, and in columns that cannot be negative
    ``-9999``, ``-999``, ``-1``, see :data:`~geo.ingest.columns.NO_DATA_NUMBERS`) count as missing. Errors: no id
    or year, non-numeric values (per row and column), counts that are blank, negative or fractional, more
    children than inhabitants, percentages outside 0–100 (a ready-made change, kind ``dynamik``, may be negative:
    outside −100 … +100 percentage points), duplicate district/year rows, no id matching at all, wrong choices.
    Warnings: unmatched ids (one list), ids matched without leading zeros, columns matched by a
    similar name, missing values (one warning per no-data code, naming columns and rows), districts without
    values.

    Parameters
    ----------
    table
        Text table (see :func:`geo.io.read_table`).
    districts
        The districts layer the ids must match (``district_id``).
    indicator_definitions
        The definitions stored so far, indexed by key (:func:`geo.catalog.definitions_from_table`; may be empty).
    suggestions
        Ready-made definitions offered for matching columns; default: the built-in NRW set
        (:func:`geo.catalog.read_indicator_definitions`).
    choices
        The planner's choices per file column, see :func:`geo.ingest.definitions.apply_choices`.
    id_column
        Column with the district id; default: found by name (``district_id``, ``Sozialraum-Nr``, ``Id``, …).
    year_column
        Column with the year; default: found by name (``Jahr``, ``year``).
    year
        Year of every row when the table has no year column.
    column_map
        File column → ``inhabitants``, ``children``, ``births``, an age band (``age_0_3``) or an indicator key
        (stored or suggested); the rest is found by key, label or usual name (``Einwohner``, ``Kinder``).

    Returns
    -------
    IndicatorUpload
    """
    report = Report()
    rows = excel_rows(table)
    stored = indicator_definitions
    known, origin = definitions.known_definitions(
        stored, catalog.read_indicator_definitions() if suggestions is None else suggestions
    )
    header_row = int(rows[0]) - 1 if len(rows) else 1
    roles, id_col, year_col, ages = _indicator_roles(table.columns, known, id_column, year_column, year, column_map,
                                                     report, header_row)
    extra = _extra_counts(roles)
    counts = {settings.INHABITANTS, settings.CHILDREN, *extra}
    proposal = definitions.propose(
        table, roles={k: c for k, c in roles.items() if k not in counts}, known=known, origin=origin,
        used={c for k, c in roles.items() if k in counts} | {id_col, year_col},
    )
    proposal = definitions.apply_choices(proposal, choices, columns=table.columns, report=report)
    taken = proposal[proposal["indicator"]]
    after = definitions.definitions_after(stored, proposal)
    bad = np.full(len(table), year_col is None and year is None, dtype=bool)
    out = pd.DataFrame(index=pd.Index(rows, name=EXCEL_ROW))
    out[settings.DISTRICT_ID] = _district_ids(table, id_col, districts, rows, out.index, report, bad)
    out[settings.YEAR] = _years(table, year_col, year, rows, out.index, report, bad)
    for target in (settings.INHABITANTS, settings.CHILDREN):
        out[target] = _counts(table, roles.get(target), rows, out.index, report, bad)
    gaps: list[tuple[str, pd.Series, pd.Series]] = []
    for target in extra:
        out[target] = _counts(table, roles[target], rows, out.index, report, bad, gaps=gaps)
    if settings.CHILDREN not in roles and ages.children_from:
        out[settings.CHILDREN] = out[[ages.bands[c].column for c in ages.children_from]].sum(axis=1, min_count=1)
        parts = ", ".join(f"„{c}“" for c in ages.children_from)
        report.warn(f"Die Datei hat keine Spalte mit allen Kindern; die Kinderzahl (0 bis unter 18 Jahre) ist die "
                    f"Summe der Spalten {parts}.")
    if settings.INHABITANTS in roles and settings.CHILDREN in roles:
        _check_children(out, roles[settings.CHILDREN], rows, report, bad)
    _check_bands(out, roles, ages, rows, report, bad)
    column_of = dict(zip(taken["key"], taken["column"], strict=True))
    for key in after.index:
        column = column_of.get(key)
        unit = str(after.at[key, "unit"]).strip()
        out[key] = _indicator_values(table, column, unit, rows, out.index, report, bad, gaps,
                                     change=after.at[key, "kind"] == "dynamik")
    _warn_gaps(gaps, rows, bad, report)
    _warn_absent(table, roles, stored, column_of, report, children_from=bool(ages.children_from))
    if id_col is not None:
        _check_duplicate_years(out, id_col, rows, report, bad)
        _warn_coverage(out[~bad], districts, report)
    columns = [settings.DISTRICT_ID, settings.YEAR, settings.INHABITANTS, settings.CHILDREN, *extra, *after.index]
    return IndicatorUpload(out.loc[~bad, columns], after, proposal, _sort(report), ages)


# Finding the columns.


def _indicator_roles(
    columns: pd.Index,
    definitions: pd.DataFrame,
    id_column: str | None,
    year_column: str | None,
    year: int | None,
    column_map: Mapping[str, str] | None,
    report: Report,
    header_row: int = 1,
) -> tuple[dict[str, str], str | None, str | None, AgeColumns]:
    """Target → column for counts and known indicators, the id and year columns (``None`` where missing), the ages."""
    ages = sorted({t for t in (column_map or {}).values() if _AGE_TARGET.fullmatch(str(t))})
    targets = [settings.INHABITANTS, settings.CHILDREN, settings.BIRTHS, *ages, *definitions.index]
    roles = _mapped_columns(columns, column_map, targets, report)
    used = set(roles.values())
    id_col = _id_column(columns, id_column, used, report)
    year_col = _year_column(columns, year_column, year, used, report)
    found = _find_indicator_columns(columns, definitions, roles, used, report, header_row)
    return roles, id_col, year_col, found


def _extra_counts(roles: Mapping[str, str]) -> list[str]:
    """The age band targets (youngest first) and ``births`` among ``roles``."""
    bands = [t for t in roles if _AGE_TARGET.fullmatch(t)]
    bands.sort(key=lambda t: [int(p) if p.isdigit() else 999 for p in t.removeprefix(settings.AGE_PREFIX).split("_")])
    return bands + ([settings.BIRTHS] if settings.BIRTHS in roles else [])


def _warn_absent(
    table: pd.DataFrame, roles: Mapping[str, str], stored: pd.DataFrame, column_of: Mapping[str, str], report: Report,
    *, children_from: bool = False,
) -> None:
    """Say what follows from a missing count column or stored indicator (no error: only id and year are needed)."""
    if settings.INHABITANTS not in roles:
        report.warn(
            "Die Datei hat keine Spalte für die Einwohnerinnen und Einwohner (z. B. „Einwohner“). Für diese Jahre "
            f"bekommt kein Sozialraum einen Statusindex und eine Statusklasse (dafür sind mindestens "
            f"{settings.MIN_INHABITANTS_FOR_CLASS} Einwohner nötig). Ergänzen Sie die Spalte oder ordnen Sie sie zu."
        )
    if settings.CHILDREN not in roles and not children_from:
        report.warn(
            "Die Datei hat keine Spalte für die Kinder (z. B. „Kinder“). Die Kinderzahlen bleiben leer; die "
            "Reichweite wird dann für die Einwohnerinnen und Einwohner gemessen."
        )
    absent = [str(stored.at[k, "label"]) for k in stored.index if k not in column_of]
    if absent:
        report.warn(f"Die Datei enthält keine Werte für {len(absent)} gespeicherte(n) Indikator(en): "
                    f"{_sample(absent)}. Sie bleiben für diese Jahre leer.")
    if not column_of:
        report.warn("Die Datei enthält keine Indikatorspalte. Markieren Sie die Spalten, die Indikatoren sind.")


def _id_column(columns: pd.Index, id_column: str | None, used: set[str], report: Report) -> str | None:
    id_col = id_column
    if id_col is None:
        id_col = _find_column(columns, _INDICATOR_ID_ALIASES, used) or next(
            (c for c in columns if c not in used and _norm(c).endswith(_ID_SUFFIXES)), None
        )
    if id_col is None or id_col not in columns:
        report.error(
            "Die Spalte mit der Sozialraum-Nr. fehlt (z. B. „district_id“, „Sozialraum-Nr“ oder „Id“). "
            f"Vorhandene Spalten: {_columns_list(columns)}."
        )
        return None
    used.add(id_col)
    return id_col


def _year_column(
    columns: pd.Index, year_column: str | None, year: int | None, used: set[str], report: Report
) -> str | None:
    year_col = year_column if year_column is not None else _find_column(columns, _YEAR_ALIASES, used)
    if year_col is not None and year_col not in columns:
        report.error(f"Die Jahresspalte „{year_col}“ gibt es in der Datei nicht.")
        year_col = None
    if year_col is not None:
        used.add(year_col)
    elif year is None:
        report.error("Das Jahr fehlt: Die Datei hat keine Spalte „Jahr“. Bitte geben Sie das Jahr der Werte an.")
    return year_col


def _find_indicator_columns(
    columns: pd.Index,
    definitions: pd.DataFrame,
    roles: dict[str, str],
    used: set[str],
    report: Report,
    header_row: int = 1,
) -> AgeColumns:
    """Assign columns to counts and indicators not mapped yet: exact names first, then close ones.

    Counts: usual names, age bands and births (:func:`geo.ingest.age_bands.find_age_columns`), then name starts
    ("Kinder gesamt"); columns naming a share or quote are skipped. Indicators: key or label, then the most
    similar label ("Alleinerziehende (%)" → "Anteil Alleinerziehender"), reported in one warning so the planner
    can check the guess. Returns the age columns found.
    """
    for target, aliases in _COUNT_ALIASES.items():
        if target not in roles and (found := _find_column(_free(columns, used), aliases)) is not None:
            _take(roles, used, target, found)
    for key, row in definitions.iterrows():
        names = (_norm(key), _norm(row["label"]))
        if key not in roles and (found := _find_column(_free(columns, used), names)) is not None:
            _take(roles, used, key, found)
    ages = _take_age_columns(columns, roles, used, report, header_row)
    _take_counts_by_prefix(columns, roles, used)
    guessed = _take_similar_indicators(columns, definitions, roles, used)
    if guessed:
        report.warn("Spalten nach ähnlichem Namen zugeordnet: " + ", ".join(guessed) + ". Bitte prüfen Sie die "
                    "Zuordnung.")
    return ages


def _take_age_columns(
    columns: pd.Index, roles: dict[str, str], used: set[str], report: Report, header_row: int
) -> AgeColumns:
    """Age band and births columns as counts: 0 to under 18 is the children (unless found), the others by band.

    ``children_from`` of the result is set when the children are missing and the bands split 0 to under 18.
    """
    ages = find_age_columns(columns, report, used=used, header_row=header_row)
    for column, band in ages.bands.items():
        if (band.low, band.high) == CHILDREN_BAND and settings.CHILDREN not in roles:
            _take(roles, used, settings.CHILDREN, column)
        elif band.column not in roles:
            _take(roles, used, band.column, column)
    if ages.births is not None and settings.BIRTHS not in roles:
        _take(roles, used, settings.BIRTHS, ages.births)
    ages.bands = {c: b for c, b in ages.bands.items() if roles.get(b.column) == c}  # not the children, not twice
    if settings.CHILDREN not in roles:
        ages.children_from = children_parts(ages.bands) or []
    return ages


def _free(columns: pd.Index, used: set[str]) -> list[str]:
    return [c for c in columns if c not in used]


def _take(roles: dict[str, str], used: set[str], target: str, column: str) -> None:
    roles[target] = column
    used.add(column)


def _take_counts_by_prefix(columns: pd.Index, roles: dict[str, str], used: set[str]) -> None:
    """Counts not found by alias, by name start ("Kinder 0-17"), skipping shares and quotes."""
    for target, prefixes in _COUNT_PREFIXES.items():
        if target in roles:
            continue
        for column in _free(columns, used):
            name = _norm(column)
            if name.startswith(prefixes) and not any(w in name for w in ("quote", "anteil", "prozent", "je")):
                _take(roles, used, target, column)
                break


def _take_similar_indicators(
    columns: pd.Index, definitions: pd.DataFrame, roles: dict[str, str], used: set[str]
) -> list[str]:
    """Indicators not found by key or label, by the most similar column name; returns what was guessed."""
    scores = []
    for key, row in definitions.iterrows():
        if key in roles:
            continue
        for column in _free(columns, used):
            name = _norm(column)
            score = max(_similarity(name, _norm(v)) for v in (key, row["label"]))
            if score >= INDICATOR_NAME_SIMILARITY:
                scores.append((score, key, column))
    guessed = []
    for _, key, column in sorted(scores, key=lambda t: -t[0]):
        if key not in roles and column not in used:
            _take(roles, used, key, column)
            guessed.append(f"„{column}“ als „{definitions.at[key, 'label']}“")
    return guessed


def _similarity(name: str, target: str) -> float:
    """Similarity of two normalised names: a name of 6+ characters that starts the other counts 0.9.

    ("SGB-II-Quote" for "SGB-II-Quote Kinder unter 15 Jahren"); otherwise the difflib ratio.
    """
    if min(len(name), len(target)) >= 6 and (target.startswith(name) or name.startswith(target)):
        return 0.9
    return difflib.SequenceMatcher(None, name, target).ratio()


# Reading the values. Each function reports its findings and marks the rows it rejects in ``bad``.


def _district_ids(
    table: pd.DataFrame,
    id_col: str | None,
    districts: gpd.GeoDataFrame,
    rows: np.ndarray,
    index: pd.Index,
    report: Report,
    bad: np.ndarray,
) -> pd.Series:
    """The district ids the file's ids match (see :func:`_match_district_ids`), NaN where none."""
    if id_col is None:
        bad[:] = True
        return pd.Series(np.nan, index=index, dtype="str")
    ids = _text(table[id_col]).set_axis(index)
    blank = ids.isna().to_numpy()
    for row in rows[blank]:
        report.error("Die Sozialraum-Nr. fehlt.", int(row), id_col)
    matched, loose = _match_district_ids(ids, districts[settings.DISTRICT_ID])
    unmatched = ~blank & matched.isna().to_numpy()
    if _another_city(ids, unmatched, loose.to_numpy(), blank):
        report.error(_another_city_message(ids, matched, unmatched, loose), column=id_col)
        bad[:] = True
        return matched.astype("str")
    if unmatched.any():
        values = list(dict.fromkeys(ids[unmatched]))
        where = _rows_text(rows[unmatched])
        if (~blank & ~unmatched).any():
            report.warn(f"{len(values)} Kennung(en) passen zu keinem Sozialraum und werden nicht übernommen: "
                        f"{_sample(values)} ({where}).", column=id_col)
        else:
            examples = _sample(list(districts[settings.DISTRICT_ID].astype(str)), 3)
            report.error(f"Keine Kennung passt zu den Sozialräumen (z. B. {_sample(values, 3)}; erwartet "
                         f"werden Kennungen wie {examples}).", column=id_col)
    if loose.any():
        pairs = list(dict.fromkeys(f"{a} → {b}" for a, b in zip(ids[loose], matched[loose], strict=True)))
        report.warn(f"{int(loose.sum())} Kennung(en) wurden ohne führende Nullen zugeordnet "
                    f"(z. B. {', '.join(pairs[:3])}).", column=id_col)
    bad |= blank | unmatched
    return matched.astype("str")


def _another_city(ids: pd.Series, unmatched: np.ndarray, loose: np.ndarray, blank: np.ndarray) -> bool:
    """No id matches exactly, some only without leading zeros, and many match nothing (see LOOSE_IDS_MAX_UNMATCHED)."""
    exact = ~blank & ~unmatched & ~loose
    if exact.any() or not loose.any():
        return False
    share = ids[unmatched].nunique() / max(ids[~blank].nunique(), 1)
    return share > LOOSE_IDS_MAX_UNMATCHED


def _another_city_message(ids: pd.Series, matched: pd.Series, unmatched: np.ndarray, loose: pd.Series) -> str:
    pairs = list(dict.fromkeys(f"{a} → {b}" for a, b in zip(ids[loose], matched[loose], strict=True)))
    values = list(dict.fromkeys(ids[unmatched]))
    return (
        "Die Kennungen passen nur teilweise und nur ohne führende Nullen – gehören Datei und Sozialräume zur selben "
        f"Stadt? {len(values)} von {ids.dropna().nunique()} Kennungen passen zu keinem Sozialraum (z. B. "
        f"{', '.join(f'„{v}“' for v in values[:3])}), die übrigen nur ohne führende Nullen (z. B. "
        f"{', '.join(pairs[:3])}). Laden Sie zuerst die Sozialräume dieser Stadt hoch oder prüfen Sie die Kennungen."
    )


def _years(
    table: pd.DataFrame,
    year_col: str | None,
    year: int | None,
    rows: np.ndarray,
    index: pd.Index,
    report: Report,
    bad: np.ndarray,
) -> pd.Series | np.int64:
    """The year of each row: from the year column (1900–2100), else ``year`` (0 when neither is given)."""
    if year_col is None:
        return np.int64(year if year is not None else 0)
    raw = _text(table[year_col]).set_axis(index)
    years = parse_number(raw)
    wrong = ~((years % 1 == 0) & years.between(1900, 2100)).to_numpy()
    for row, value in zip(rows[wrong], raw.to_numpy()[wrong], strict=True):
        text = "Das Jahr fehlt." if pd.isna(value) else f"„{value}“ ist kein gültiges Jahr."
        report.error(text, int(row), year_col)
    bad |= wrong
    return years.where(~wrong).fillna(0).astype("int64")


def _counts(
    table: pd.DataFrame,
    column: str | None,
    rows: np.ndarray,
    index: pd.Index,
    report: Report,
    bad: np.ndarray,
    *,
    gaps: list[tuple[str, pd.Series, pd.Series]] | None = None,
) -> pd.Series | np.int64 | np.float64:
    """A count column: whole, non-negative, plausible numbers; 0 where rejected.

    Without a column the counts are NaN (float). Given ``gaps`` (age bands, births), a missing value is allowed:
    NaN, its no-data code added to ``gaps`` for one warning; otherwise (inhabitants, children) it is an error.
    """
    if column is None:
        return np.float64(np.nan)
    raw = _text(table[column]).set_axis(index)
    values = parse_number(raw, integer=True)
    codes = _gap_codes(raw, values)
    gap = codes.notna()
    values = values.mask(gap)  # "-9999" is no negative count but a missing one
    allowed = gaps is not None
    needed = [] if allowed else [
        (codes == "", "Der Wert fehlt."),
        (gap & (codes != ""), "Der Wert fehlt („{}“ steht für „keine Angabe“); die Zahl wird gebraucht."),
    ]
    for mask, message in (
        *needed,
        (values.isna() & ~gap, "„{}“ ist keine Zahl."),
        (values < 0, "„{}“ darf nicht negativ sein."),
        (values % 1 > 0, "„{}“ ist keine ganze Zahl."),
        (values > MAX_COUNT, "„{}“ ist unplausibel groß."),
    ):
        mask = mask.to_numpy()
        for row, value in zip(rows[mask], raw.to_numpy()[mask], strict=True):
            report.error(f"Spalte „{column}“: " + message.format(value), int(row), column)
        bad |= mask
    if allowed:
        gaps.append((column, codes, raw))
        kept = values.where(gap | (values.abs() <= MAX_COUNT), 0).round()  # rejected rows: 0, gaps: NaN
        return kept.astype("int64") if kept.notna().all() else kept.astype("float64")
    return values.where(values.abs() <= MAX_COUNT).fillna(0).round().astype("int64")


def _check_children(out: pd.DataFrame, column: str, rows: np.ndarray, report: Report, bad: np.ndarray) -> None:
    """Refuse rows (not refused yet) with more children than inhabitants."""
    more = (out[settings.CHILDREN] > out[settings.INHABITANTS]).to_numpy() & ~bad
    for row in rows[more]:
        report.error("Es sind mehr Kinder als Einwohnerinnen und Einwohner angegeben.", int(row), column)
    bad |= more


def _check_bands(
    out: pd.DataFrame, roles: Mapping[str, str], ages: AgeColumns, rows: np.ndarray, report: Report, bad: np.ndarray
) -> None:
    """Warn (once per finding, rows named) where a children's band exceeds the children or the split misses them."""
    if settings.CHILDREN not in out or not out[settings.CHILDREN].notna().any():
        return
    children = out[settings.CHILDREN]
    for column, band in ages.bands.items():
        target = band.column
        if band.high is None or band.high > CHILDREN_BAND[1]:
            continue
        more = (out[target] > children).to_numpy() & ~bad
        if more.any():
            report.warn(f"Spalte „{column}“: mehr Kinder von {band.label.removesuffix(' Jahre')} Jahren als Kinder "
                        f"insgesamt ({_rows_text(rows[more])}). Bitte prüfen Sie die Spalten.", column=column)
    parts = children_parts(ages.bands)
    if parts and settings.CHILDREN in roles:
        total = out[[ages.bands[c].column for c in parts]].sum(axis=1, min_count=len(parts))
        differs = (total.notna() & (total != children)).to_numpy() & ~bad
        if differs.any():
            report.warn(f"Die Altersgruppen {', '.join(f'„{c}“' for c in parts)} ergeben zusammen nicht die Kinderzahl "
                        f"der Spalte „{roles[settings.CHILDREN]}“ ({_rows_text(rows[differs])}). Die Reichweite je "
                        "Altersgruppe wird mit den Zahlen der Altersgruppen gemessen.")


def _nonnegative(unit: str) -> bool:
    """Whether an indicator of this unit cannot be negative: percentages, shares, rates per 1,000, counts."""
    text = unit.casefold()
    return text in ("%", "‰") or any(w in text for w in ("prozent", "promille", "1.000", "1000", "anzahl", "count"))


def _indicator_values(
    table: pd.DataFrame,
    column: str | None,
    unit: str,
    rows: np.ndarray,
    index: pd.Index,
    report: Report,
    bad: np.ndarray,
    gaps: list[tuple[str, pd.Series, pd.Series]],
    *,
    change: bool = False,
) -> pd.Series | float:
    """An indicator column as floats; NaN for no-data codes, which are added to ``gaps`` (column, codes, raw).

    Non-numbers, and for percentages (unit ``%``) values outside 0–100, are refused. Where the unit allows
    no negative value, :data:`NO_DATA_NUMBERS` (``-9999``, ``-999``, ``-1``) are no-data codes. A ``change``
    (a ready-made Dynamik indicator) may be negative: in ``%`` it is a change in percentage points, refused
    outside −100 … +100, and only ``-9999`` and ``-999`` (impossible changes) are no-data codes.
    """
    if column is None:
        return np.nan
    raw = _text(table[column]).set_axis(index)
    values = parse_number(raw)
    percent = unit == "%"
    if change:
        codes = _gap_codes(raw, values.where(values <= -999) if percent else None)
    else:
        codes = _gap_codes(raw, values if _nonnegative(unit) else None)
    gap = codes.notna().to_numpy()
    values = values.mask(gap)
    wrong = ~gap & values.isna().to_numpy()
    for row, value in zip(rows[wrong], raw.to_numpy()[wrong], strict=True):
        report.error(f"Spalte „{column}“: „{value}“ ist keine Zahl.", int(row), column)
    if percent:
        low, what = (-100, "Prozentpunkte liegt nicht zwischen −100 und +100") if change else (
            0, "% liegt nicht zwischen 0 und 100")
        outside = (~values.between(low, 100) & values.notna()).to_numpy()
        for row, value in zip(rows[outside], raw.to_numpy()[outside], strict=True):
            report.error(f"Spalte „{column}“: {value} {what}.", int(row), column)
        wrong |= outside
    gaps.append((column, codes, raw))
    bad |= wrong
    return values.astype("float64")


def _warn_gaps(
    gaps: list[tuple[str, pd.Series, pd.Series]], rows: np.ndarray, bad: np.ndarray, report: Report
) -> None:
    """One warning per no-data code (blank, ``x``, ``-9999``, …) naming its columns and rows.

    Rows refused for other reasons are left out: they are reported as errors already.
    """
    found: dict[str, tuple[str, list[tuple[str, np.ndarray]]]] = {}
    for column, codes, raw in gaps:
        codes = codes.where(~bad)
        for code in dict.fromkeys(codes.dropna()):
            mask = (codes == code).to_numpy()
            shown = raw[mask].iloc[0] if code else ""
            found.setdefault(code, (shown, []))[1].append((column, rows[mask]))
    for code, (shown, places) in found.items():
        where = "; ".join(f"Spalte „{column}“ ({_rows_text(at)})" for column, at in places)
        what = "Leere Zellen" if code == "" else f"„{shown}“ (keine Angabe)"
        report.warn(f"{what} als fehlende Werte gelesen: {where}.", column=places[0][0] if len(places) == 1 else None)


# Duplicates and coverage.


def _check_duplicate_years(out: pd.DataFrame, id_col: str, rows: np.ndarray, report: Report, bad: np.ndarray) -> None:
    """One error per district and year given more than once, naming all its rows."""
    pair = (out[settings.DISTRICT_ID].astype("str") + " / " + out[settings.YEAR].astype("str")).where(~bad)
    dup = pair.duplicated(keep=False).to_numpy() & pair.notna().to_numpy()
    if dup.any():
        groups = pd.Series(rows[dup]).groupby(pair[dup].to_numpy(), sort=False)
        for value, members in groups:
            numbers = sorted(members.tolist())
            report.error(f"Sozialraum und Jahr {value} kommen mehrfach vor (Zeilen {_join_numbers(numbers)}).",
                         numbers[1], id_col)
        bad |= dup


def _warn_coverage(good: pd.DataFrame, districts: gpd.GeoDataFrame, report: Report) -> None:
    """Warn, per year, about districts without values (when the year has values for some)."""
    for each_year in sorted(good[settings.YEAR].unique()):
        present = set(good.loc[good[settings.YEAR] == each_year, settings.DISTRICT_ID])
        absent = [d for d in districts[settings.DISTRICT_ID].astype(str) if d not in present]
        if absent and present:
            report.warn(f"Für {len(absent)} Sozialräume fehlen Werte für {each_year}: {_sample(absent)}.")
