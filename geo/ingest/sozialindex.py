"""The NRW Schulsozialindex as a layer: the state's school list or a city's own list, validated at once.

Two layouts are read. The state's list (``schulen_sozialindex_*.csv`` of IT.NRW / MSB NRW: ``Schulnummer``,
``Schulform``, ``Amtlicher Gemeindeschlüssel``, ``Amtliche Bezeichnung 1``, ``Sozialindex`` as ``5.0``, empty for
schools the state gives no index) and a city's simple list (``Schulnummer;Sozialindex`` as Excel writes it: ``;``,
Windows-1252, ids ``012345`` or ``12345``, optionally a name column). Either becomes the ``sozialindex`` layer:
``school_id`` (the 6-digit Schulnummer as text), ``sozialindex`` (int64 1–9) and ``school_name``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo._errors import Report
from geo.formatting import format_number
from geo.ingest.columns import (
    _columns_list,
    _find_column,
    _gap_codes,
    _join_numbers,
    _mapped_columns,
    _norm,
    _rows_text,
    _sort,
    _text,
    excel_rows,
)
from geo.io import parse_number
from geo.school_ids import normalise_school_ids

#: Column of the optional school name in the layer.
SCHOOL_NAME: Final[str] = "school_name"
#: Columns of the ``sozialindex`` layer, in order.
LAYER_COLUMNS: Final[tuple[str, ...]] = (settings.SCHOOL_ID, settings.SOZIALINDEX, SCHOOL_NAME)
#: Lowest and highest level of the Schulsozialindex.
LOWEST, HIGHEST = 1, 9
#: Header names (after :func:`geo.ingest.columns._norm`) per layer column, tried in order.
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    settings.SCHOOL_ID: ("schulnummer", "schulnr", "schulid", "schoolid", "snr", "schulnummer6stellig",
                         "dienststellennummer", "nr", "nummer", "kennung"),
    settings.SOZIALINDEX: ("sozialindex", "schulsozialindex", "sozialindexstufe", "stufe", "sozialindexwert",
                           "index"),
    SCHOOL_NAME: ("schoolname", "schulname", "name", "schule", "bezeichnung", "schulbezeichnung",
                  "amtlichebezeichnung1", "schulbezeichnung1"),
}
#: The state's list: recognised by these columns; its name is Bezeichnung 1 and 2, its AGS has no leading zero.
NRW_COLUMNS: Final[frozenset[str]] = frozenset({"schulnummer", "schulform", "amtlichergemeindeschluessel",
                                                "sozialindex"})
_NRW_NAME: Final[tuple[str, str]] = ("amtlichebezeichnung1", "amtlichebezeichnung2")
_NRW_AGS: Final[str] = "amtlichergemeindeschluessel"


@dataclass(frozen=True)
class SozialindexUpload:
    """The result of :func:`validate_sozialindex`.

    Attributes
    ----------
    layer
        ``school_id``, ``sozialindex``, ``school_name``, one row per school with an index, sorted by Schulnummer;
        ``None`` when ``report`` has errors.
    report
        Every error and warning at once, rows as Excel shows them.
    info
        German labels about the file for the page ("Aufbau", "Schulen mit Sozialindex", …).
    """

    layer: pd.DataFrame | None
    report: Report
    info: dict[str, str] = field(default_factory=dict)


def is_nrw_sozialindex_table(columns: Iterable[object]) -> bool:
    """True for the state's school list with the Sozialindex (Schulnummer, Schulform, AGS, Sozialindex)."""
    return NRW_COLUMNS <= {_norm(c) for c in columns}


def validate_sozialindex(
    table: pd.DataFrame,
    *,
    gemeindeschluessel: str | None = None,
    column_map: Mapping[str, str] | None = None,
) -> SozialindexUpload:
    """Validate a Sozialindex list (the state's or a city's) into the ``sozialindex`` layer.

    Every problem is collected before anything is returned: a missing column, a Schulnummer that is not 1–6
    digits, an index that is not a whole number from 1 to 9 (``"5,0"`` and ``5.0`` are 5), the same Schulnummer
    with different values. Official no-data codes (blank, ``x``, ``–``, ``k. A.``, ``-9999``, …) leave a school
    without index, one warning per code naming the rows; the state's list leaves the index of many schools
    blank (schools it gives none), which is one warning with their count. Repeated rows with the same value
    are one school (a warning).

    Parameters
    ----------
    table
        As read by :func:`geo.io.read_table` (text, indexed by Excel row).
    gemeindeschluessel
        Keep only schools of this municipality (AGS, e.g. ``"05513000"``; ``"5513000"`` and a prefix such as
        ``"05513"`` match too); only where the file has a Gemeindeschlüssel column.
    column_map
        File column → ``school_id``, ``sozialindex`` or ``school_name`` where the names are not recognised.

    Returns
    -------
    SozialindexUpload
    """
    report = Report()
    nrw = is_nrw_sozialindex_table(table.columns) and not column_map
    roles = _mapped_columns(table.columns, column_map, LAYER_COLUMNS, report)
    for role, aliases in ALIASES.items():
        if role not in roles:
            found = _find_column(table.columns, aliases, exclude=set(roles.values()))
            if found is not None:
                roles[role] = found
    missing = [label for role, label in ((settings.SCHOOL_ID, "Schulnummer"), (settings.SOZIALINDEX, "Sozialindex"))
               if role not in roles]
    if missing:
        report.error(f"Die Spalte{'n' if len(missing) > 1 else ''} {' und '.join(f'„{m}“' for m in missing)} "
                     f"fehlt. Vorhandene Spalten: {_columns_list(table.columns)}. Erwartet wird eine Liste mit "
                     "Schulnummer und Sozialindex (Stufe 1 bis 9) je Schule.")
        return SozialindexUpload(None, _sort(report))
    info = {"Aufbau": "NRW-Schulliste mit Sozialindex (IT.NRW)" if nrw else "Liste Schulnummer und Sozialindex"}
    table = _only_municipality(table, gemeindeschluessel, report, info)
    rows = excel_rows(table)
    ids, bad_ids = normalise_school_ids(table[roles[settings.SCHOOL_ID]])
    id_raw = _text(table[roles[settings.SCHOOL_ID]])
    for row, value in zip(rows[bad_ids.to_numpy()], id_raw[bad_ids], strict=True):
        report.error(f"Die Schulnummer „{value}“ ist keine Schulnummer (bis zu sechs Ziffern, z. B. „123456“). "
                     "Bitte die sechsstellige Schulnummer der Schule eintragen.", int(row), roles[settings.SCHOOL_ID])
    blank_id = id_raw.isna().to_numpy()
    if blank_id.any():
        report.error(f"Ohne Schulnummer: {_rows_text(rows[blank_id])}. Bitte jede Zeile mit der Schulnummer der "
                     "Schule versehen oder die Zeile löschen.", int(rows[blank_id][0]), roles[settings.SCHOOL_ID])
    index, known = _index_values(table[roles[settings.SOZIALINDEX]], rows, roles[settings.SOZIALINDEX], nrw, report)
    names = _names(table, roles, nrw)
    use = ids.notna().to_numpy() & known
    frame = pd.DataFrame({settings.SCHOOL_ID: ids.to_numpy(), settings.SOZIALINDEX: index, SCHOOL_NAME: names,
                          "_row": rows})[use]
    frame = _one_row_per_school(frame, report, roles[settings.SCHOOL_ID])
    if not report.ok:
        return SozialindexUpload(None, _sort(report), info)
    if not len(frame):
        report.error("Die Datei enthält keine Schule mit Sozialindex.")
        return SozialindexUpload(None, _sort(report), info)
    layer = (frame.drop(columns="_row").astype({settings.SOZIALINDEX: "int64"})
             .sort_values(settings.SCHOOL_ID, kind="stable").reset_index(drop=True))
    layer[SCHOOL_NAME] = layer[SCHOOL_NAME].astype(str)
    info["Schulen mit Sozialindex"] = format_number(len(layer))
    info["Sozialindex ≥ " + str(settings.SOZIALINDEX_HIGH)] = format_number(
        int((layer[settings.SOZIALINDEX] >= settings.SOZIALINDEX_HIGH).sum()))
    return SozialindexUpload(layer, _sort(report), info)


def _only_municipality(table: pd.DataFrame, ags: str | None, report: Report, info: dict[str, str]) -> pd.DataFrame:
    """The rows of one municipality, where a Gemeindeschlüssel is chosen and the file has the column."""
    if not ags:
        return table
    wanted = str(ags).strip()
    column = _find_column(table.columns, (_NRW_AGS, "gemeindeschluessel", "ags"))
    if column is None:
        report.warn(f"Die Datei hat keine Spalte „Gemeindeschlüssel“: alle Schulen werden übernommen, nicht nur die "
                    f"der Gemeinde {wanted}.")
        return table
    # The state's list writes the AGS as a number ("5513000"); the official key has 8 digits ("05513000").
    keys = _text(table[column]).fillna("").str.zfill(8)
    keep = keys.str.startswith(wanted.zfill(8) if len(wanted) >= 7 else wanted)
    info["Gemeindeschlüssel"] = wanted
    if not keep.any():
        report.error(f"Die Datei enthält keine Schule mit dem Gemeindeschlüssel „{wanted}“. Bitte den "
                     "Gemeindeschlüssel prüfen (achtstellig, z. B. „05513000“ für Gelsenkirchen).")
    return table[keep.to_numpy()]


def _index_values(raw_column: pd.Series, rows: np.ndarray, column: str, nrw: bool, report: Report
                  ) -> tuple[np.ndarray, np.ndarray]:
    """The index as float (NaN where none) and where a school has one; errors for values that are no level."""
    raw = _text(raw_column)
    values = parse_number(raw)
    codes = _gap_codes(raw, values)
    level = values.notna() & (values % 1 == 0) & values.between(LOWEST, HIGHEST) & codes.isna()
    wrong = (raw.notna() & codes.isna() & ~level).to_numpy()
    for row, value in zip(rows[wrong], raw[wrong], strict=True):
        report.error(f"Der Sozialindex „{value}“ ist keine Stufe: erlaubt sind die ganzen Zahlen {LOWEST} bis "
                     f"{HIGHEST} (1 = niedrige, 9 = höchste Belastung). Bitte die Stufe aus der Liste des "
                     "Ministeriums eintragen oder das Feld leer lassen.", int(row), column)
    gaps = codes.notna().to_numpy()
    if gaps.any():
        for code, members in pd.Series(rows[gaps]).groupby(codes[gaps].to_numpy(), sort=True):
            where = _rows_text(np.sort(members.to_numpy()))
            if code == "" and nrw:
                report.warn(f"{format_number(len(members))} Schulen der Liste haben keinen Sozialindex (das Land "
                            "weist ihn z. B. für Ersatzschulen und Berufskollegs nicht aus); sie bleiben ohne Index.",
                            None, column)
            elif code == "":
                report.warn(f"Ohne Sozialindex ({where}): diese Schulen bleiben ohne Index.", int(members.min()),
                            column)
            else:
                report.warn(f"„{code}“ steht für einen fehlenden Wert ({where}): diese Schulen bleiben ohne Index.",
                            int(members.min()), column)
    return values.where(level).to_numpy(dtype=float), level.to_numpy(dtype=bool)


def _names(table: pd.DataFrame, roles: dict[str, str], nrw: bool) -> np.ndarray:
    """School names: Bezeichnung 1 and 2 of the state's list, else the name column ("" without one)."""
    columns = {_norm(c): c for c in table.columns}
    if nrw and all(c in columns for c in _NRW_NAME):
        first, second = (_text(table[columns[c]]).fillna("") for c in _NRW_NAME)
        return (first + " " + second).str.strip().to_numpy(dtype=object)
    if SCHOOL_NAME in roles:
        return _text(table[roles[SCHOOL_NAME]]).fillna("").to_numpy(dtype=object)
    return np.full(len(table), "", dtype=object)


def _one_row_per_school(frame: pd.DataFrame, report: Report, column: str) -> pd.DataFrame:
    """Repeated Schulnummern: the same value is one school (a warning), different values an error."""
    repeated = frame[settings.SCHOOL_ID].duplicated(keep=False)
    if not repeated.any():
        return frame
    for school, group in frame[repeated].groupby(settings.SCHOOL_ID, sort=True):
        numbers = sorted(int(r) for r in group["_row"])
        levels = sorted({int(v) for v in group[settings.SOZIALINDEX]})
        if len(levels) > 1:
            report.error(f"Die Schulnummer „{school}“ steht mehrfach mit verschiedenem Sozialindex da (Zeilen "
                         f"{_join_numbers(numbers)}: Stufen {_join_numbers(levels)}). Bitte nur den gültigen Wert "
                         "stehen lassen.", numbers[1], column)
        else:
            report.warn(f"Die Schulnummer „{school}“ steht mehrfach da (Zeilen {_join_numbers(numbers)}), mit "
                        "demselben Sozialindex: sie zählt einmal.", numbers[1], column)
    return frame.drop_duplicates(settings.SCHOOL_ID, keep="first")


def matched_schools(layer: pd.DataFrame, offers: pd.DataFrame | None, *, school_type: str = "grundschule"
                    ) -> tuple[int, int]:
    """How many stored schools (offers of ``school_type``) have an index in ``layer``: (matched, schools)."""
    if offers is None or not len(offers):
        return 0, 0
    schools = offers[offers[settings.OFFER_TYPE].astype(str) == school_type]
    ids, _ = normalise_school_ids(schools[settings.OFFER_ID].astype(str))
    return int(ids.isin(set(layer[settings.SCHOOL_ID])).sum()), len(schools)
