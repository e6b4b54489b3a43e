"""Large CSV tables (residents, Zensus grid extracts: up to millions of rows) read column-wise by pandas' C parser.

:func:`geo.io.read_table` reads a table record by record in Python, which is right for the few thousand rows of an
offers list or an indicator table and too slow for a Zensus 100 m grid extract of a Kreis (10^5–10^6 cells). This
reader gives the same frame — every value as stripped text, blanks missing, indexed by the row number Excel shows,
the same ``attrs`` — with the splitting done in C and no Python loop per row. It uses the same decoding, ``sep=``
line and delimiter sniffing as :func:`geo.io.read_table`.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo._errors import DataError, Problem
from geo.io.spreadsheets import EXCEL_ROW, _check_table_size, _column_names
from geo.io.text import (
    _DELIMITER_NAMES,
    _check_line_length,
    _decode,
    _fmt_int,
    _magic,
    _named_width,
    _sniff_delimiter,
    _split_sep_line,
)

#: Most rows with too many fields listed in one error.
SHOWN_BAD_ROWS: Final[int] = 20


def read_large_csv(data: bytes, filename: str, *, max_rows: int) -> pd.DataFrame:
    """Read a big uploaded CSV table with every value as text, like :func:`geo.io.read_table` does.

    Parameters
    ----------
    data
        The file's bytes (the caller has checked their size).
    filename
        The uploaded name, for messages.
    max_rows
        Most data rows the table may have; checked on the line count before anything is split.

    Returns
    -------
    pandas.DataFrame
        ``str`` columns named after the header row, indexed by :data:`geo.io.EXCEL_ROW` (header = row 1, or row 2
        after a ``sep=;`` line); ``attrs`` hold ``encoding``, ``delimiter``, ``sheet`` (``None``), ``header_row``
        and ``notes``.

    Raises
    ------
    DataError
        If the file is empty, no text, has only a header, more rows than ``max_rows``, a header wider than
        :data:`geo.settings.MAX_TABLE_COLUMNS`, an unclosed quote, or rows with more fields than the header (every
        such row listed, up to :data:`SHOWN_BAD_ROWS`).
    """
    name = Path(filename).name
    if not data:
        raise DataError(f"Die Datei „{name}“ ist leer (0 Byte).")
    kind = _magic(data)
    if kind is not None:
        raise DataError(f"„{name}“ ist keine CSV-Tabelle, sondern eine {kind}-Datei.")
    text, encoding, notes = _decode(data, name)
    if text.startswith("\ufeff"):  # a BOM inside UTF-16
        text = text[1:]
    _check_line_length(text, name)
    delimiter, body, offset = _split_sep_line(text)
    del text
    if delimiter is None:
        delimiter = _sniff_delimiter(body) or ";"
    lone_cr = body.count("\r") - body.count("\r\n")
    if lone_cr:  # old Mac line ends: Excel breaks lines there, pandas' skiprows would not (rows lost)
        body = body.replace("\r\n", "\n").replace("\r", "\n")
    lines = body.count("\n") + (not body.endswith("\n"))
    if lines > max_rows + 1:
        limit = _fmt_int(max_rows)
        message = (f"Die Tabelle hat mehr als {limit} Zeilen; erlaubt sind höchstens {limit}. Bitte schneiden "
                   "Sie die Datei auf das Stadtgebiet zu (z. B. im GIS) oder teilen Sie sie auf.")
        raise DataError(f"„{name}“: {message}", [Problem(message)])
    header, skipped = _header(body, delimiter)
    if header is None:
        raise DataError(f"Die Datei „{name}“ ist leer: sie enthält keine Daten.")
    header_row = 1 + offset + skipped
    width = _named_width(header)
    _check_table_size(name, columns=width, row=header_row, header=True)
    frame = _split(body, delimiter, skipped + 1, width, name, header_row)
    del body
    frame.index = pd.Index(np.arange(len(frame), dtype=np.int64) + header_row + 1, name=EXCEL_ROW)
    frame = _strip(frame)
    _refuse_long_rows(frame, width, delimiter, name)
    frame = frame.iloc[:, :width]
    frame = frame[frame.notna().any(axis=1)]  # rows of blanks only carry nothing
    if frame.empty:
        raise DataError(f"„{name}“ enthält nur die Kopfzeile (Zeile {header_row}), aber keine Daten.")
    columns, keep, more_notes = _column_names(header[:width], frame)
    frame = frame.iloc[:, keep].set_axis(columns, axis=1)
    frame.attrs.update({"encoding": encoding, "delimiter": delimiter, "sheet": None, "header_row": header_row,
                        "notes": notes + more_notes})
    return frame


def _header(body: str, delimiter: str) -> tuple[list[str] | None, int]:
    """The first record with a non-blank field, and how many records (blank lines) come before it."""
    reader = csv.reader(io.StringIO(body[:1_000_000], newline=""), delimiter=delimiter)
    try:
        for skipped, record in enumerate(reader):
            cells = [c.strip() for c in record]
            if any(cells):
                return cells, skipped
    except csv.Error:
        return None, 0
    return None, 0


def _split(body: str, delimiter: str, skip: int, width: int, name: str, header_row: int) -> pd.DataFrame:
    """The records after the header as a text frame of ``width + 1`` columns (the last catches extra fields).

    Blank lines stay as rows of blanks, so a row's position gives its Excel row number; a quoted field spanning
    lines is one record, as in Excel.
    """
    try:
        with warnings.catch_warnings():
            # The first data row two or more fields wider than the header: pandas would cut it with a warning.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            return pd.read_csv(
                io.StringIO(body), sep=delimiter, header=None, skiprows=skip, names=range(width + 1),
                index_col=False, dtype="str", na_filter=False, keep_default_na=False,
                skip_blank_lines=False, engine="c", quoting=csv.QUOTE_MINIMAL, doublequote=True,
            )
    except pd.errors.ParserWarning as err:
        row = header_row + 1
        message = (f"Die Zeile hat mehr Felder als die Kopfzeile ({width}). Prüfen Sie Trennzeichen "
                   f"({_DELIMITER_NAMES.get(delimiter, delimiter)}) und Anführungszeichen.")
        raise DataError(f"„{name}“, Zeile {row}: {message}", [Problem(message, row)]) from err
    except pd.errors.EmptyDataError as err:
        raise DataError(f"„{name}“ enthält nur die Kopfzeile (Zeile {header_row}), aber keine Daten.") from err
    except pd.errors.ParserError as err:
        wide = re.search(r"Expected \d+ fields in line (\d+), saw (\d+)", str(err))
        if wide:  # two or more fields beyond the header: the C parser stops at the first such line
            row = header_row - skip + int(wide.group(1))
            message = (f"Die Zeile hat {wide.group(2)} Felder, die Kopfzeile aber nur {width}. Prüfen Sie "
                       f"Trennzeichen ({_DELIMITER_NAMES.get(delimiter, delimiter)}) und Anführungszeichen.")
            raise DataError(f"„{name}“, Zeile {row}: {message}", [Problem(message, row)]) from err
        found = re.search(r"row (\d+)", str(err))
        row = header_row + 1 + int(found.group(1)) if found else None
        message = (
            "Ein Anführungszeichen („\"“) wird nicht geschlossen, deshalb lässt sich die Datei ab hier nicht in "
            "Zeilen und Spalten teilen. Bitte prüfen Sie diese Zeile."
        )
        where = f", Zeile {row}" if row is not None else ""
        raise DataError(f"„{name}“{where}: {message}", [Problem(message, row)]) from err


def _strip(frame: pd.DataFrame) -> pd.DataFrame:
    """Every column stripped, blanks as missing (NaN)."""
    out = {}
    for position in frame.columns:
        text = frame[position].astype("str").str.strip()
        out[position] = text.mask(text == "")
    return pd.DataFrame(out, index=frame.index)


def _refuse_long_rows(frame: pd.DataFrame, width: int, delimiter: str, name: str) -> None:
    """Rows with a value beyond the header's last named column: one error listing them."""
    extra = frame.iloc[:, width:].notna().any(axis=1).to_numpy()
    if not extra.any():
        return
    rows = frame.index.to_numpy()[extra]
    message = f"Die Zeile hat mehr Felder als die Kopfzeile ({width})."
    if delimiter == ",":
        message += (" Vermutlich ist das Komma zugleich Trennzeichen und Dezimalzeichen: speichern Sie die Datei mit "
                    "Semikolon als Trennzeichen.")
    else:
        message += f" Prüfen Sie Trennzeichen ({_DELIMITER_NAMES.get(delimiter, delimiter)}) und Anführungszeichen."
    problems = [Problem(message, int(row)) for row in rows[:SHOWN_BAD_ROWS]]
    lines = "\n".join(f"- {p}" for p in problems)
    more = f"\n- … und {_fmt_int(len(rows) - SHOWN_BAD_ROWS)} weitere Zeilen" if len(rows) > SHOWN_BAD_ROWS else ""
    if len(rows) > SHOWN_BAD_ROWS:
        problems.append(Problem(f"… und {_fmt_int(len(rows) - SHOWN_BAD_ROWS)} weitere Zeilen mit zu vielen Feldern."))
    raise DataError(f"„{name}“ hat Zeilen mit mehr Feldern als die Kopfzeile:\n{lines}{more}", problems)
