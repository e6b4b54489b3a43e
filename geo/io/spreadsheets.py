"""Uploaded tables (CSV, XLSX) → text frames indexed by the row number Excel shows, within the size limits."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Final

import numpy as np
import pandas as pd

from geo import settings
from geo._errors import DataError, Problem
from geo.io.archives import _open_zip
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

#: Name of the index of every table :func:`read_table` returns: the row number as Excel shows it.
EXCEL_ROW: Final[str] = "excel_row"
TABLE_SUFFIXES: Final[tuple[str, ...]] = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
#: A workbook sheet of explanations (as in the upload templates): never read as the data sheet.
EXPLANATION_SHEET: Final[str] = "Erläuterungen"


def _column_letter(index: int) -> str:
    """0 → ``A``, 26 → ``AA``: the column letter Excel shows."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _old_excel(name: str) -> DataError:
    return DataError(
        f"„{name}“ ist eine Excel-Datei im alten Format (.xls). Bitte speichern Sie sie in Excel als "
        "„Excel-Arbeitsmappe (.xlsx)“ oder als „CSV UTF-8 (durch Trennzeichen getrennt)“."
    )


def read_table(
    data: bytes, filename: str, *, sheet: str | None = None, max_rows: int | None = None, max_cells: int | None = None
) -> pd.DataFrame:
    """Read an uploaded CSV or Excel table with every value as text.

    CSV files may use ``;``, tab, ``,`` or ``|`` (sniffed), start with Excel's ``sep=;`` line, and be
    UTF-8 (with or without BOM), UTF-16 (Excel's "Unicode-Text"), or Windows-1252/Latin-1; a file mixing
    UTF-8 and Windows-1252 lines is read line by line and noted. Values are stripped; blanks are missing
    (NaN); ids such as ``"0101"`` keep their zeros.

    Parameters
    ----------
    data
        The file's bytes.
    filename
        The file's name as uploaded; its suffix picks the format (``.csv``, ``.txt``, ``.tsv``, ``.xlsx``,
        ``.xlsm``).
    sheet
        Worksheet to read from a workbook; default: the first sheet holding data.
    max_rows, max_cells
        Limits of a CSV table (rows including the header; rows × columns); default
        :data:`geo.settings.MAX_TABLE_ROWS` and :data:`geo.settings.MAX_TABLE_CELLS`, read at call time. Workbooks
        keep those general limits (openpyxl reads a sheet cell by cell).

    Returns
    -------
    pandas.DataFrame
        ``str`` columns named after the header row, indexed by :data:`EXCEL_ROW`, the row number as Excel
        shows it (header = row 1, or row 2 after a ``sep=;`` line). ``attrs`` hold ``encoding``,
        ``delimiter``, ``sheet``, ``header_row`` and ``notes`` (German remarks worth a warning).

    Raises
    ------
    DataError
        If the file is empty, has only a header, is no text or no workbook, has an absurdly long line, an
        unclosed quote, or rows with more fields than the header (every such row listed).
    """
    name = Path(filename).name
    suffix = Path(filename).suffix.lower()
    if suffix == ".xls":
        raise _old_excel(name)
    if suffix not in TABLE_SUFFIXES and suffix != "":
        raise DataError(
            f"Der Dateityp „{suffix}“ wird für Tabellen nicht unterstützt. Erlaubt sind CSV (.csv, .txt) "
            "und Excel-Arbeitsmappen (.xlsx)."
        )
    if not data:
        raise DataError(f"Die Datei „{name}“ ist leer (0 Byte).")
    kind = _magic(data)
    if suffix in (".xlsx", ".xlsm"):
        if kind == "ole":
            raise _old_excel(name)
        if kind != "zip":
            raise DataError(f"„{name}“ ist keine gültige Excel-Arbeitsmappe (.xlsx). Ist die Datei beschädigt?")
        return _read_xlsx(data, name, sheet)
    if kind == "ole":
        raise _old_excel(name)
    if kind == "zip":
        try:
            table = _read_xlsx(data, name, sheet)
        except DataError as err:
            raise DataError(
                f"„{name}“ ist keine CSV-Datei, sondern ein ZIP-Archiv. Bitte laden Sie die Tabelle als "
                "CSV oder Excel-Arbeitsmappe (.xlsx) hoch."
            ) from err
        table.attrs["notes"].insert(0, f"„{name}“ ist eine Excel-Arbeitsmappe und wurde als solche gelesen.")
        return table
    if kind is not None:
        raise DataError(f"„{name}“ ist keine Tabelle, sondern eine {kind}-Datei.")
    return _read_csv(data, name, max_rows=max_rows, max_cells=max_cells)


def _check_table_size(name: str, *, rows: int = 0, columns: int = 0, cells: int = 0, row: int | None = None,
                      header: bool = False, max_rows: int | None = None, max_cells: int | None = None) -> None:
    """Refuse a table beyond :data:`settings.MAX_TABLE_ROWS`, ``MAX_TABLE_COLUMNS`` or ``MAX_TABLE_CELLS``.

    Called while reading, before a frame is built, so a huge or absurdly wide file costs no more than the limit.
    """
    max_rows = settings.MAX_TABLE_ROWS if max_rows is None else max_rows
    max_cells = settings.MAX_TABLE_CELLS if max_cells is None else max_cells
    max_columns = settings.MAX_TABLE_COLUMNS
    advice = ("Eine Tabelle für den Präventionsatlas hat eine Zeile je Angebot bzw. je Sozialraum und Jahr und "
              "höchstens einige Dutzend Spalten.")
    if columns > max_columns:
        what = "Die Kopfzeile" if header else "Die Tabelle"
        message = (f"{what} hat {_fmt_int(columns)} Spalten; erlaubt sind höchstens {_fmt_int(max_columns)} Spalten. "
                   f"{advice} Prüfen Sie das Trennzeichen und speichern Sie die Tabelle als CSV (UTF-8) neu.")
    elif rows > max_rows:
        message = (f"Die Tabelle hat mehr als {_fmt_int(max_rows)} Zeilen; erlaubt sind höchstens "
                   f"{_fmt_int(max_rows)}. "
                   f"{advice} Bitte teilen Sie die Datei auf oder entfernen Sie leere Zeilen am Ende.")
    elif cells > max_cells:
        message = (f"Die Tabelle hat mehr als {_fmt_int(max_cells)} Zellen (Zeilen × Spalten); erlaubt sind "
                   f"höchstens {_fmt_int(max_cells)}. {advice} Bitte entfernen Sie nicht benötigte Spalten.")
    else:
        return
    where = f", Zeile {row}" if row is not None else ""
    raise DataError(f"„{name}“{where}: {message}", [Problem(message, row)])


def _read_csv(data: bytes, name: str, *, max_rows: int | None, max_cells: int | None) -> pd.DataFrame:
    max_rows = settings.MAX_TABLE_ROWS if max_rows is None else max_rows
    max_cells = settings.MAX_TABLE_CELLS if max_cells is None else max_cells
    text, encoding, notes = _decode(data, name)
    if text.startswith("\ufeff"):  # a BOM inside UTF-16
        text = text[1:]
    _check_line_length(text, name)
    delimiter, body, offset = _split_sep_line(text)
    del text
    if delimiter is None:
        delimiter = _sniff_delimiter(body) or ";"
    attrs = {"encoding": encoding, "delimiter": delimiter, "sheet": None, "notes": notes}
    limits = {"max_rows": max_rows, "max_cells": max_cells}
    frame = _read_csv_columns(body, delimiter, offset, name, attrs, **limits)
    return frame if frame is not None else _read_csv_records(body, delimiter, offset, name, attrs, **limits)


def _read_csv_records(body: str, delimiter: str, offset: int, name: str, attrs: dict, *, max_rows: int,
                      max_cells: int) -> pd.DataFrame:
    """The CSV body read record by record (Python's ``csv``): every limit and malformed row named where it occurs."""
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    start = 1  # physical line the record being read starts on
    header_seen = False
    cells = 0
    limits = {"max_rows": max_rows, "max_cells": max_cells}
    try:
        for record in reader:
            if not header_seen and any(f.strip() for f in record):
                header_seen = True
                row = start + offset
                _check_table_size(name, columns=_named_width(record), row=row, header=True)
            cells += len(record)
            if len(records) >= max_rows or cells > max_cells:
                _check_table_size(name, rows=len(records) + 1, cells=cells, **limits)
            records.append(record)
            start, previous = reader.line_num + 1, start
    except csv.Error as err:  # a field beyond csv's size limit: a quote swallowed the rest of the file
        raise _unclosed_quote(name, start + offset) from err
    # At the end of the file csv ends an open quoted field silently; an odd number of quotes gives it away.
    if records and body.count('"') % 2 and any(("\n" in f or "\r" in f) for f in records[-1]):
        raise _unclosed_quote(name, previous + offset)
    first_row = 1 + offset  # Excel row of the first record
    return _frame_from_records(records, first_row, name, attrs=attrs, strict_width=True)


#: Lines before the header that :func:`_read_csv_columns` looks through; beyond, the record reader takes over.
_HEADER_SEARCH_LINES: Final[int] = 1_000
#: Rows the C parser hands over at a time.
_CHUNK_ROWS: int = 50_000
#: A line as ``csv`` reads them (``newline=""``): up to and with its ``\\r\\n``, ``\\r`` or ``\\n``.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")


def _read_csv_columns(body: str, delimiter: str, offset: int, name: str, attrs: dict, *, max_rows: int,
                      max_cells: int) -> pd.DataFrame | None:
    """The CSV body split column-wise by pandas' C parser: the frame :func:`_read_csv_records` gives, or ``None``.

    ``None`` wherever the record reader could answer differently or has a finding to name: an odd number of quotes,
    a quote before the end of the header, more lines than the row limit or possibly more cells than allowed, a row
    with more fields than the header (non-blank), a field beyond ``csv``'s size limit, no data rows. The C parser
    splits records as ``csv`` does (the same quoting and line breaks; checked against it on random text in the
    tests); a 500,000-row file is read without a Python list per row.
    """
    quotes = body.count('"')
    if quotes % 2:
        return None
    header, skipped, header_line, cells_before, header_end = None, 0, 1, 0, 0
    for number, line in enumerate(_LINE.finditer(body), start=1):
        if '"' in line.group(0) or number > min(_HEADER_SEARCH_LINES, max_rows):
            return None  # a quoted header may span lines, a limit may come first: the record reader says so
        cells = [c.strip() for c in line.group(0).rstrip("\r\n").split(delimiter)]
        if any(cells):
            header, skipped, header_line, header_end = cells, number - 1, number, line.end()
            break
        cells_before += len(cells)
    if header is None:
        return None
    _check_table_size(name, columns=_named_width(header), row=header_line + offset, header=True)
    width = len(header)
    # Records are at most lines, each after the header at most width + 1 fields (more: a ParserError below).
    lines = body.count("\n") + body.count("\r") - body.count("\r\n") + (not body.endswith(("\n", "\r")))
    if lines > max_rows or cells_before + lines * (width + 1) > max_cells:
        return None
    chunks = []
    try:
        with warnings.catch_warnings():
            # Rows wider than the names can be cut with only a ParserWarning: taken as the error it is here.
            warnings.simplefilter("error", pd.errors.ParserWarning)
            # From UTF-8 bytes (a StringIO holds 4 bytes per character), in chunks (the parser makes a Python
            # string per cell before the text columns take them).
            # The parser starts after the header line (its ``skiprows`` counts a lone ``\\r`` as no line break).
            source = io.BytesIO(body.encode("utf-8"))
            source.seek(len(body[:header_end].encode("utf-8")))
            reader = pd.read_csv(
                source, encoding="utf-8", sep=delimiter, header=None,
                names=range(width + 1), index_col=False, dtype="str", na_filter=False,
                keep_default_na=False, skip_blank_lines=False, engine="c", quoting=csv.QUOTE_MINIMAL,
                doublequote=True, chunksize=_CHUNK_ROWS,
            )
            with reader:
                for raw in reader:
                    chunk = _stripped_chunk(raw, width, check_size=bool(quotes))
                    if chunk is None:
                        return None
                    chunks.append(chunk)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, pd.errors.ParserWarning):
        return None
    if not chunks:
        return None
    frame = pd.concat(chunks, ignore_index=True) if len(chunks) > 1 else chunks[0]
    del chunks
    header_row = 1 + offset + skipped
    numbers = np.arange(len(frame), dtype=np.int64) + header_row + 1
    frame = frame.set_axis(pd.Index(numbers, name=EXCEL_ROW))
    return _finish_frame(frame, header, header_row, name, attrs)


def _stripped_chunk(raw: pd.DataFrame, width: int, *, check_size: bool) -> pd.DataFrame | None:
    """A chunk of the C parser stripped, blanks missing, the catch-all column dropped.

    ``None`` where that column is not blank (a row with more fields than the header) or, with ``check_size``, a field
    is beyond ``csv``'s size limit.
    """
    if check_size and len(raw) and max(int(raw[c].str.len().max()) for c in raw.columns) > csv.field_size_limit():
        return None
    columns = {}
    for position in raw.columns:
        text = raw[position].str.strip()
        columns[position] = text.mask(text == "")
    if columns.pop(width).notna().any():
        return None
    return pd.DataFrame(columns)


def _unclosed_quote(name: str, line: int) -> DataError:
    message = (
        "Ein Anführungszeichen („\"“) wird nicht geschlossen, deshalb lässt sich die Datei ab hier nicht in "
        "Zeilen und Spalten teilen. Bitte prüfen Sie diese Zeile."
    )
    return DataError(f"„{name}“, Zeile {line}: {message}", [Problem(message, line)])


def _frame_from_records(
    records: Iterable[list[str | None]],
    first_row: int,
    name: str,
    *,
    attrs: dict,
    strict_width: bool,
) -> pd.DataFrame:
    """Records (header first, blank records allowed) → text frame indexed by Excel row number.

    ``strict_width``: a record with more non-blank fields than the header is an error (CSV); otherwise
    the extra columns get Excel-letter names (XLSX). Stripping and blank detection run column-wise.
    """
    header, header_row, rows, numbers, too_long = _collect_rows(
        records, first_row, strict_width=strict_width, delimiter=attrs["delimiter"]
    )
    if header is None:
        raise DataError(f"Die Datei „{name}“ ist leer: sie enthält keine Daten.")
    if too_long:
        lines = "\n".join(f"- {p}" for p in too_long[:20])
        more = f"\n- … und {len(too_long) - 20} weitere Zeilen" if len(too_long) > 20 else ""
        raise DataError(f"„{name}“ hat Zeilen mit mehr Feldern als die Kopfzeile:\n{lines}{more}", too_long)
    width = len(header)
    if rows and len(rows[0]) < width:  # a later record widened the header (XLSX): pad the earlier rows
        rows = [r + [None] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(rows, columns=range(width), dtype="str") if rows else pd.DataFrame(columns=range(width))
    frame.index = pd.Index(numbers, name=EXCEL_ROW, dtype=np.int64)
    for position in frame.columns:
        text = frame[position].str.strip()
        frame[position] = text.mask(text == "")
    return _finish_frame(frame, header, header_row, name, attrs)


def _finish_frame(frame: pd.DataFrame, header: list[str], header_row: int, name: str, attrs: dict) -> pd.DataFrame:
    """Stripped text frame (columns numbered by position) → rows of blanks dropped, columns named, ``attrs`` set."""
    frame = frame[frame.notna().any(axis=1)]  # rows of blanks only, as Excel shows them, carry nothing
    if frame.empty:
        raise DataError(f"„{name}“ enthält nur die Kopfzeile (Zeile {header_row}), aber keine Daten.")
    columns, keep, notes = _column_names(header, frame)
    frame = frame[keep].set_axis(columns, axis=1)
    frame.attrs.update(attrs)
    frame.attrs["header_row"] = header_row
    frame.attrs["notes"] = list(attrs.get("notes", [])) + notes
    return frame


def _collect_rows(
    records: Iterable[list[str | None]], first_row: int, *, strict_width: bool, delimiter: str | None
) -> tuple[list[str] | None, int, list[list[str | None]], list[int], list[Problem]]:
    """Split records into header, header row, data rows, their Excel row numbers and rows with too many fields.

    The header is ``None`` if every record is blank. Data rows are cut or padded to the header's width; a
    longer row widens the header unless ``strict_width``, where it is reported instead.
    """
    header: list[str] | None = None
    header_row = 0
    width = 0
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    too_long: list[Problem] = []
    for row_number, record in enumerate(records, start=first_row):
        if not any(record):  # [] for a blank line, or only empty cells
            continue
        if header is None:
            cells = [c.strip() if c else "" for c in record]
            if any(cells):
                header, header_row, width = cells, row_number, len(cells)
            continue
        if len(record) != width:
            if len(record) > width and any(c and c.strip() for c in record[width:]):
                if strict_width:
                    too_long.append(Problem(_too_many_fields(record, header, delimiter), row_number))
                    continue
                header = header + [""] * (len(record) - width)
                width = len(header)
            record = list(record[:width]) + [None] * (width - len(record))
        rows.append(record)
        numbers.append(row_number)
    return header, header_row, rows, numbers, too_long


def _too_many_fields(cells: list[str | None], header: list[str], delimiter: str) -> str:
    message = f"Die Zeile hat {len(cells)} Felder, die Kopfzeile aber nur {len(header)}."
    if delimiter == "," and any(re.fullmatch(r"\s*-?\d+\s*", c or "") for c in cells):
        return (
            f"{message} Vermutlich ist das Komma zugleich Trennzeichen und Dezimalzeichen: speichern Sie die "
            "Datei mit Semikolon als Trennzeichen oder setzen Sie Zahlen mit Komma in Anführungszeichen."
        )
    return f"{message} Prüfen Sie Trennzeichen ({_DELIMITER_NAMES.get(delimiter, delimiter)}) und Anführungszeichen."


def _column_names(header: list[str], frame: pd.DataFrame) -> tuple[list[str], list[int], list[str]]:
    """Name unnamed columns after their Excel letter, drop unnamed empty ones, make duplicates unique."""
    columns: list[str] = []
    keep: list[int] = []
    notes: list[str] = []
    seen: dict[str, int] = {}
    for i, title in enumerate(header):
        if not title:
            if frame[i].isna().all():
                continue
            title = f"Spalte {_column_letter(i)}"
        if title.casefold() in seen:
            seen[title.casefold()] += 1
            unique = f"{title} ({seen[title.casefold()]})"
            notes.append(
                f"Die Spaltenüberschrift „{title}“ kommt mehrfach vor; Spalte {_column_letter(i)} "
                f"heißt jetzt „{unique}“."
            )
            title = unique
        seen.setdefault(title.casefold(), 1)
        columns.append(title)
        keep.append(i)
    return columns, keep, notes


def _cell_text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "WAHR" if value else "FALSCH"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _read_xlsx(data: bytes, name: str, sheet: str | None) -> pd.DataFrame:
    import openpyxl  # imported here: only workbook uploads need it

    with _open_zip(data, name) as archive:
        if "xl/workbook.xml" not in archive.namelist():
            raise DataError(f"„{name}“ ist keine Excel-Arbeitsmappe (.xlsx), sondern ein anderes ZIP-Archiv.")
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles, data validation and headers it cannot keep: noise for reading values.
            warnings.simplefilter("ignore")
            book = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as err:  # noqa: BLE001 - any failure of the third-party parser means an unreadable file
        raise DataError(f"„{name}“ lässt sich nicht als Excel-Arbeitsmappe öffnen. Ist die Datei beschädigt?") from err
    try:
        names = list(book.sheetnames)
        if sheet is not None and sheet not in names:
            raise DataError(
                f"Das Tabellenblatt „{sheet}“ gibt es in „{name}“ nicht. Vorhandene Tabellenblätter: "
                + ", ".join(f"„{n}“" for n in names)
                + "."
            )
        candidates = [sheet] if sheet is not None else [n for n in names if n != EXPLANATION_SHEET]
        filled: list[tuple[str, list[tuple]]] = []
        for title in candidates:
            rows = _sheet_rows(book[title], name)
            if any(any(v is not None and str(v).strip() for v in r) for r in rows):
                filled.append((title, rows))
                if sheet is None and len(filled) > 1:
                    break
    except DataError:
        raise
    except Exception as err:  # noqa: BLE001 - the sheet XML is parsed lazily, while iterating: same as above
        raise DataError(
            f"„{name}“ lässt sich nicht als Excel-Arbeitsmappe lesen: ein Tabellenblatt ist beschädigt. Bitte öffnen "
            "Sie die Datei in Excel und speichern Sie sie neu, oder speichern Sie sie als „CSV UTF-8 (durch "
            "Trennzeichen getrennt)“."
        ) from err
    finally:
        book.close()
    if not filled:
        if sheet is not None:
            raise DataError(f"Das Tabellenblatt „{sheet}“ in „{name}“ ist leer: es enthält keine Daten.")
        raise DataError(f"Die Excel-Arbeitsmappe „{name}“ enthält keine Daten (alle Tabellenblätter sind leer).")
    title, rows = filled[0]
    notes = []
    if len(filled) > 1:
        notes.append(
            f"Gelesen wurde das Tabellenblatt „{title}“; die Arbeitsmappe hat weitere Blätter mit Daten "
            f"({', '.join(f'„{n}“' for n in names if n != title)}). Wählen Sie bei Bedarf ein anderes Blatt."
        )
    records = ([_cell_text(v) for v in r] for r in rows)
    return _frame_from_records(
        records,
        1,
        f"{name}, Blatt {title}",
        attrs={"encoding": "Excel", "delimiter": None, "sheet": title, "notes": notes},
        strict_width=False,
    )


def _sheet_rows(ws, name: str) -> list[tuple]:
    """A read-only sheet's values, refused beyond the table limits.

    Checked before iterating (by the sheet's ``<dimension>``) and, for a sheet that states none or understates
    it, while iterating: openpyxl pads every row up to the last column and every gap up to the last row, so one
    far cell (``XFD1048576``) would mean 17 billion cells.
    """
    from openpyxl.utils import get_column_letter

    rows_declared, columns_declared = ws.max_row, ws.max_column
    where = f"{name}, Blatt {ws.title}"
    if rows_declared and columns_declared:
        max_rows, max_columns = settings.MAX_TABLE_ROWS, settings.MAX_TABLE_COLUMNS
        if (rows_declared > max_rows or columns_declared > max_columns
                or rows_declared * columns_declared > settings.MAX_TABLE_CELLS):
            corner = f"{get_column_letter(columns_declared)}{rows_declared}"
            message = (
                f"Das Tabellenblatt reicht bis Zelle {corner} ({_fmt_int(rows_declared)} Zeilen und "
                f"{_fmt_int(columns_declared)} Spalten); erlaubt sind höchstens {_fmt_int(max_columns)} Spalten, "
                f"{_fmt_int(max_rows)} Zeilen und {_fmt_int(settings.MAX_TABLE_CELLS)} Zellen. Vermutlich steht "
                "weit unter oder rechts der Tabelle noch ein Wert oder eine Formatierung: löschen Sie in Excel die "
                "leeren Zeilen und Spalten dort, oder speichern Sie das Blatt als „CSV UTF-8 (durch Trennzeichen "
                "getrennt)“."
            )
            raise DataError(f"„{where}“: {message}", [Problem(message)])
    rows: list[tuple] = []
    cells = 0
    for number, row in enumerate(ws.iter_rows(values_only=True), start=1):
        cells += len(row)
        if number > settings.MAX_TABLE_ROWS or cells > settings.MAX_TABLE_CELLS:
            _check_table_size(where, rows=number, cells=cells)
        if len(row) > settings.MAX_TABLE_COLUMNS:
            if any(v is not None for v in row[settings.MAX_TABLE_COLUMNS:]):
                _check_table_size(where, columns=len(row), row=number)
            row = row[: settings.MAX_TABLE_COLUMNS]
        rows.append(row)
    return rows
