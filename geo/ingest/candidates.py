"""Check an uploaded list of candidate sites (CSV/XLSX as a city's Excel makes it) for one site suggestion.

Each row is one place a new offer could go: an id (optional), a name, an address, and where it is – coordinates
(lon/lat, Rechtswert/Hochwert in EPSG:25832 or Gauß-Krüger, read exactly as the offers reader reads them, see
:func:`geo.ingest.offers.validate_offers`) or a Schulnummer of a stored Grundschule. Every problem is reported at
once by Excel row. Candidates are no stored layer: the page and the command line read the file for each suggestion.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import settings
from geo._errors import DataError, Report
from geo.analysis.candidates import list_candidates
from geo.analysis.sites import CANDIDATE_COLUMNS
from geo.crs import CrsGuess, to_metric
from geo.dataset import Dataset
from geo.formatting import format_number
from geo.ingest.columns import (
    _OFFER_ALIASES,
    CITY,
    CRS_COLUMN,
    HOUSE_NUMBER,
    POSTCODE,
    STREET,
    X,
    Y,
    _columns_list,
    _find_roles,
    _mapped_columns,
    _report_duplicates,
    _sort,
    _text,
    detect_coordinate_columns,
    excel_rows,
)
from geo.ingest.offers import validate_offers
from geo.io import EXCEL_ROW, read_table
from geo.school_ids import normalise_school_ids

#: Role of the column naming a stored Grundschule by its Schulnummer.
SCHOOL: Final[str] = settings.SCHOOL_ID
#: The offer type whose stored offers a Schulnummer refers to.
SCHOOL_TYPE: Final[str] = "grundschule"
#: Most rows of one list (a state's schools are about 2,800 Grundschulen).
MAX_CANDIDATES: Final[int] = 20_000
#: Column aliases of a candidate list, compared after :func:`geo.ingest.columns._norm`.
CANDIDATE_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    SCHOOL: ("schulnummer", "schulnr", "schulid"),
    "candidate_id": ("kandidatid", "kandidatnr", "kandidatennr", "kandidatennummer", "id", "kennung", "nr",
                     "nummer", "lfdnr", "standortnr", "standortnummer", "objektid", "objektnr"),
    settings.OFFER_NAME: (*_OFFER_ALIASES[settings.OFFER_NAME], "standortname", "gebaeude", "objekt", "kandidat"),
    settings.OFFER_ADDRESS: _OFFER_ALIASES[settings.OFFER_ADDRESS],
    STREET: _OFFER_ALIASES[STREET], HOUSE_NUMBER: _OFFER_ALIASES[HOUSE_NUMBER], POSTCODE: _OFFER_ALIASES[POSTCODE],
    CITY: _OFFER_ALIASES[CITY], CRS_COLUMN: _OFFER_ALIASES[CRS_COLUMN],
}
_TARGETS: Final[tuple[str, ...]] = (*CANDIDATE_ALIASES, X, Y)
#: Column of the table handed to the offers reader that holds each row's own id (never a file's column).
_ROW_ID: Final[str] = "\x00zeile"


@dataclass
class CandidateCheck:
    """The result of :func:`validate_candidates`.

    Attributes
    ----------
    candidates
        The valid rows as candidates (:data:`geo.analysis.sites.CANDIDATE_COLUMNS`, source ``list``, metric CRS)
        plus ``school_id`` and ``row`` (the Excel row); use them only when ``report.ok``.
    report
        Every error and warning, row numbers as Excel shows them.
    crs_guess
        The CRS the coordinates were read in and why (``None`` without coordinates).
    columns
        Role → the file's column it was read from.
    """

    candidates: gpd.GeoDataFrame
    report: Report
    crs_guess: CrsGuess | None = None
    columns: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """True when the list has no errors."""
        return self.report.ok


def _empty(report: Report, columns: dict[str, str] | None = None) -> CandidateCheck:
    frame = gpd.GeoDataFrame({c: pd.Series(dtype=object) for c in (*CANDIDATE_COLUMNS, SCHOOL, "row")},
                             geometry=[], crs=settings.METRIC_CRS)
    return CandidateCheck(frame, _sort(report), None, columns or {})


def _roles(table: pd.DataFrame, column_map: Mapping[str, str] | None, report: Report) -> dict[str, str]:
    roles = _mapped_columns(table.columns, column_map, _TARGETS, report)
    if X not in roles and Y not in roles:
        pair = detect_coordinate_columns(c for c in table.columns if c not in set(roles.values()))
        if pair:
            roles[X], roles[Y] = pair
    return _find_roles(table.columns, CANDIDATE_ALIASES, roles)


def _part(table: pd.DataFrame, roles: dict[str, str], role: str) -> pd.Series:
    column = roles.get(role)
    return _text(table[column]) if column else pd.Series(np.nan, index=table.index, dtype=object)


def _address(table: pd.DataFrame, roles: dict[str, str]) -> pd.Series:
    if settings.OFFER_ADDRESS in roles:
        return _part(table, roles, settings.OFFER_ADDRESS).fillna("")
    street = (_part(table, roles, STREET).fillna("") + " " + _part(table, roles, HOUSE_NUMBER).fillna("")).str.strip()
    town = (_part(table, roles, POSTCODE).fillna("") + " " + _part(table, roles, CITY).fillna("")).str.strip()
    return (street + np.where((street != "") & (town != ""), ", ", "") + town).astype(object)


def _located(table: pd.DataFrame, roles: dict[str, str], rows_at: np.ndarray, dataset: Dataset, offer_type: str,
             crs: str | None, report: Report) -> tuple[pd.Series, np.ndarray, CrsGuess | None]:
    """The rows with coordinates, through the offers reader → (metric points by Excel row, rows left out, guess)."""
    columns = [roles[X], roles[Y], *([roles[CRS_COLUMN]] if CRS_COLUMN in roles else [])]
    part = table.loc[rows_at, columns].copy()
    part.insert(0, _ROW_ID, [f"Z{r}" for r in part.index])
    column_map = {_ROW_ID: settings.OFFER_ID, roles[X]: X, roles[Y]: Y}
    if CRS_COLUMN in roles:
        column_map[roles[CRS_COLUMN]] = CRS_COLUMN
    checked = validate_offers(part, offer_types=dataset.offer_types, districts=dataset.districts, crs=crs,
                              default_type=offer_type, column_map=column_map)
    report.problems.extend(checked.report.problems)
    points = pd.Series(checked.offers.geometry.to_numpy(), index=checked.offers.index, dtype=object)
    return points, np.setdiff1d(part.index.to_numpy(), checked.offers.index.to_numpy()), checked.crs_guess


def _ids(table: pd.DataFrame, roles: dict[str, str], bad: pd.Series, report: Report) -> pd.Series:
    """The candidates' ids (``Z<row>`` without an id column); blank and duplicate ids are errors, marked in ``bad``."""
    rows = table.index.to_numpy(dtype=np.int64)
    ids = _part(table, roles, "candidate_id")
    if "candidate_id" in roles:
        for row in rows[ids.isna().to_numpy()]:
            report.error("Die Kennung fehlt.", int(row), roles["candidate_id"])
        bad |= ids.isna().to_numpy()
        bad |= _report_duplicates(ids, rows, "Die Kennung", roles["candidate_id"], report)
    return ids.fillna(pd.Series([f"Z{r}" for r in rows], index=table.index))


def _schools(dataset: Dataset) -> gpd.GeoDataFrame:
    """The stored Grundschulen (metric CRS) indexed by their 6-digit Schulnummer."""
    offers = to_metric(dataset.offers, name="Angebote")
    schools = offers[offers[settings.OFFER_TYPE].astype("str") == SCHOOL_TYPE]
    ids, _ = normalise_school_ids(schools[settings.OFFER_ID].astype("str"))
    schools = schools.assign(**{SCHOOL: ids.fillna(schools[settings.OFFER_ID].astype("str")).to_numpy()})
    return schools.drop_duplicates(SCHOOL).set_index(SCHOOL)


def validate_candidates(
    table: pd.DataFrame, *, dataset: Dataset, offer_type: str, crs: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> CandidateCheck:
    """Check a candidate list (all text, see :func:`geo.io.read_table`) against ``dataset``'s city.

    Columns are found by their usual German names: Nr/Kennung (optional; else ``Z<row>``), Name/Bezeichnung,
    Adresse or Straße + Hausnummer + PLZ + Ort, the coordinates (any pair the offers reader knows, in any CRS it
    recognises) and Schulnummer. A row needs coordinates or the Schulnummer of a stored Grundschule (then it
    stands at the school); a Schulnummer beside coordinates gives the row its Schulsozialindex. Reported, all at
    once: missing columns, rows without a place, coordinates the offers reader refuses (not numbers, not fitting
    the other rows, far outside the city), unknown or malformed Schulnummern and duplicate ids.

    Parameters
    ----------
    table
        Text table; its index is taken as Excel row numbers when named :data:`geo.io.EXCEL_ROW`.
    offer_type
        The offer type the sites are suggested for.
    crs
        The coordinates' CRS as the planner states it; default: a CRS column, else guessed from the values.
    column_map
        File column → role (``candidate_id``, ``school_id``, ``name``, ``address``, ``x``, ``y``, ``street``,
        ``house_number``, ``postcode``, ``city``, ``crs``).
    """
    report = Report()
    if not len(table):
        report.error("Die Kandidatenliste enthält keine Zeilen.")
        return _empty(report)
    if len(table) > MAX_CANDIDATES:
        report.error(f"Die Kandidatenliste hat {len(table)} Zeilen; höchstens {MAX_CANDIDATES} sind möglich. Bitte "
                     "teilen Sie die Liste oder wählen Sie die Standorte vorher aus.")
        return _empty(report)
    table = table.set_axis(pd.Index(excel_rows(table), name=EXCEL_ROW))
    roles = _roles(table, column_map, report)
    if (X in roles) != (Y in roles):
        report.error("Bitte ordnen Sie beide Koordinatenspalten zu (Rechtswert/Länge und Hochwert/Breite).")
    if X not in roles and SCHOOL not in roles:
        report.error("Die Kandidatenliste braucht Koordinaten (z. B. „Rechtswert“ und „Hochwert“ oder „Breite“ und "
                     "„Länge“) oder eine Spalte „Schulnummer“ einer gespeicherten Grundschule. Vorhandene Spalten: "
                     f"{_columns_list(table.columns)}.")
    if not report.ok:
        return _empty(report, roles)
    rows = table.index.to_numpy(dtype=np.int64)
    bad = pd.Series(False, index=table.index)
    ids = _ids(table, roles, bad, report)

    raw_school = _part(table, roles, SCHOOL)
    school, malformed = normalise_school_ids(raw_school)
    for row, value in zip(rows[malformed.to_numpy()], raw_school[malformed].to_numpy(), strict=True):
        report.error(f"„{value}“ ist keine Schulnummer (1 bis 6 Ziffern).", int(row), roles[SCHOOL])
    bad |= malformed.to_numpy()

    given = (_part(table, roles, X).notna() | _part(table, roles, Y).notna()).to_numpy() if X in roles \
        else np.zeros(len(table), dtype=bool)
    by_school = ~given & school.notna().to_numpy()
    nowhere = ~given & raw_school.isna().to_numpy()
    for row in rows[nowhere]:
        report.error("Die Zeile nennt weder Koordinaten noch eine Schulnummer: so lässt sich der Standort nicht "
                     "finden.", int(row))
    bad |= nowhere

    geometry = pd.Series(None, index=table.index, dtype=object)
    guess = None
    if given.any():
        points, refused, guess = _located(table, roles, table.index[given].to_numpy(), dataset, offer_type, crs,
                                          report)
        geometry.loc[points.index] = points
        bad.loc[refused] = True
    schools = _schools(dataset)
    name, address = _part(table, roles, settings.OFFER_NAME), _address(table, roles)
    if by_school.any():
        found = school[by_school].isin(schools.index).to_numpy()
        for row, value in zip(rows[by_school][~found], raw_school[by_school][~found].to_numpy(), strict=True):
            what = "unter den gespeicherten Grundschulen nicht" if len(schools) else \
                "nicht: es sind noch keine Grundschulen gespeichert (Seite „Daten“, NRW-Schuldatei)"
            report.error(f"Die Schulnummer „{value}“ gibt es {what}. Bitte prüfen Sie die Nummer oder geben Sie "
                         "Koordinaten an.", int(row), roles[SCHOOL])
        at = table.index[by_school][found]
        hit = schools.loc[school[at].to_numpy()]
        geometry.loc[at] = hit.geometry.to_numpy()
        name.loc[at] = name.loc[at].fillna(pd.Series(hit[settings.OFFER_NAME].astype("str").to_numpy(), index=at))
        address.loc[at] = address.loc[at].mask(address.loc[at] == "",
                                               hit[settings.OFFER_ADDRESS].astype("str").to_numpy())
        bad.loc[table.index[by_school][~found]] = True
    keep = ~bad.to_numpy() & geometry.notna().to_numpy()
    listed = gpd.GeoDataFrame({
        "candidate_id": ids.to_numpy(dtype=object)[keep],
        settings.OFFER_NAME: name.fillna(pd.Series("Kandidat " + ids, index=table.index)).to_numpy(dtype=object)[keep],
        settings.OFFER_ADDRESS: address.to_numpy(dtype=object)[keep],
        SCHOOL: school.fillna("").to_numpy(dtype=object)[keep],
    }, geometry=list(geometry.to_numpy()[keep]), crs=settings.METRIC_CRS)
    candidates = list_candidates(listed, dataset)
    candidates[SCHOOL] = listed[SCHOOL].to_numpy()
    candidates["row"] = rows[keep]
    return CandidateCheck(candidates, _sort(report), guess, roles)


def read_candidates(data: bytes, filename: str, *, dataset: Dataset, offer_type: str, crs: str | None = None,
                    sheet: str | None = None) -> CandidateCheck:
    """Read and check an uploaded candidate list; a file that cannot be read ends in the report, never raises."""
    report = Report()
    if len(data) > settings.MAX_UPLOAD_BYTES:
        report.error(f"Die Datei ist {format_number(len(data) / 1e6, 1)} MB groß; höchstens "
                     f"{format_number(settings.MAX_UPLOAD_BYTES / 1e6)} MB sind möglich.")
        return _empty(report)
    try:
        table = read_table(data, filename, sheet=sheet)
    except DataError as err:
        report.error(str(err))
        return _empty(report)
    check = validate_candidates(table, dataset=dataset, offer_type=offer_type, crs=crs)
    for note in table.attrs.get("notes", []):
        check.report.warn(note)
    return check
