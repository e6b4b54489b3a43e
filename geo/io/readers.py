"""Turn uploaded bytes into raw tables (CSV, XLSX) and boundary layers (GeoJSON, GeoPackage, zipped Shapefile)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import lzma
import re
import tempfile
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Final

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pyogrio.errors

from geo import crs as crs_mod
from geo import settings
from geo._errors import DataError, Problem

#: At most this many entries in an uploaded ZIP archive (checked before anything is extracted).
MAX_ZIP_FILES: Final[int] = 200
#: At most this many bytes once a ZIP archive (also an .xlsx workbook) is unpacked (see settings).
MAX_ZIP_BYTES: Final[int] = settings.MAX_UNPACKED_BYTES
#: A CSV line longer than this is no table row (a binary file, a missing line break, a runaway quote).
MAX_LINE_CHARS: Final[int] = 100_000
#: What opening or unpacking a damaged archive raises (zlib.error: a broken deflate stream; bz2 and lzma raise
#: OSError or LZMAError; an unknown compression method NotImplementedError).
_UNPACK_ERRORS: Final[tuple[type[Exception], ...]] = (
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, lzma.LZMAError, OSError, EOFError, ValueError,
    NotImplementedError, RuntimeError, KeyError, OverflowError,
)
#: Name of the index of every table :func:`read_table` returns: the row number as Excel shows it.
EXCEL_ROW: Final[str] = "excel_row"

TABLE_SUFFIXES: Final[tuple[str, ...]] = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
BOUNDARY_SUFFIXES: Final[tuple[str, ...]] = (".geojson", ".json", ".gpkg", ".zip")

#: Delimiters tried when a CSV names none, in order of preference for German files.
_DELIMITERS: Final[tuple[str, ...]] = (";", "\t", ",", "|")
_DELIMITER_NAMES: Final[dict[str, str]] = {";": "Semikolon", "\t": "Tabulator", ",": "Komma", "|": "senkrechter Strich"}
_SEP_LINE = re.compile(r'^\s*"?sep=(.)["\s;,\t|]*$', re.IGNORECASE)
# C0 control characters other than tab, line feed, form feed and carriage return, plus DEL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# UTF-8 multi-byte sequences decoded as Latin-1/cp1252 ("Ã¼" for "ü"): a sign of the wrong encoding.
_MOJIBAKE = re.compile("[\u00c2-\u00c3][\u0080-\u00bf\u201a-\u203a\u0152-\u0178\u02c6\u02dc\u2013-\u2122]")
# A UTF-8 multi-byte sequence (lead byte and continuation bytes); Windows-1252 text practically never has one.
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_MAGIC: Final[tuple[tuple[bytes, str], ...]] = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"%PDF", "PDF"),
    (b"\x89PNG", "PNG-Bild"),
    (b"\xff\xd8\xff", "JPEG-Bild"),
    (b"\x1f\x8b", "gzip-Archiv"),
    (b"SQLite format 3\x00", "SQLite-Datenbank"),
)


def _fmt_int(n: int) -> str:
    """``1234567`` → ``"1.234.567"`` (German thousands separator)."""
    return f"{n:,}".replace(",", ".")


def _magic(data: bytes) -> str | None:
    for prefix, kind in _MAGIC:
        if data.startswith(prefix):
            return kind
    return None


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


# --------------------------------------------------------------------------------------------------------------
# Numbers


_GERMAN_DECIMAL = r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*),\d+$"
_ENGLISH_DECIMAL = r"^[+-]?\d{1,3}(?:,\d{3})+\.\d+$"
_GERMAN_THOUSANDS = r"^[+-]?\d{1,3}(?:\.\d{3}){2,}$"
_GERMAN_THOUSANDS_ONE = r"^[+-]?\d{1,3}\.\d{3}$"
_ENGLISH_THOUSANDS = r"^[+-]?\d{1,3}(?:,\d{3}){2,}$"


def parse_number(series: pd.Series, *, integer: bool = False) -> pd.Series:
    """Parse numbers as German and English spreadsheets write them; what is no number becomes NaN.

    Understands the decimal comma (``"51,48"``), the thousands point (``"1.234,5"``, ``"5.728.000"``),
    the plain decimal point (``"1234.5"``), English thousands (``"1,234.5"``), spaces and non-breaking
    spaces as thousands separators, a trailing ``%`` and the Unicode minus. A single comma is always a
    decimal comma (``"1,234"`` → 1.234): these are German files.

    Parameters
    ----------
    series
        Text values (or numbers, returned as float).
    integer
        The column holds counts: a single point followed by exactly three digits (``"1.234"``) is then a
        thousands separator (→ 1234) rather than a decimal point.

    Returns
    -------
    pandas.Series
        ``float64`` with the same index; blank, non-numeric and infinite values are NaN.
    """
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.astype("float64")
    if pd.api.types.is_numeric_dtype(series.dtype):
        out = series.astype("float64")
        return out.where(np.isfinite(out))
    text = series.astype("str")
    # Spelled-out characters, not \s or \u escapes: pyarrow's RE2 then runs the pattern, not Python's re per value.
    text = text.str.replace("[ \t\r\n\u00a0\u2009\u202f']+", "", regex=True).str.replace("\u2212", "-", regex=False)
    text = text.str.replace(r"%$", "", regex=True)
    german = text.str.match(_GERMAN_DECIMAL)
    english = text.str.match(_ENGLISH_DECIMAL)
    thousands = text.str.match(_GERMAN_THOUSANDS)
    if integer:
        thousands |= text.str.match(_GERMAN_THOUSANDS_ONE)
    english_thousands = text.str.match(_ENGLISH_THOUSANDS)
    no_points = text.str.replace(".", "", regex=False)
    text = text.mask(german, no_points.str.replace(",", ".", regex=False))
    text = text.mask(thousands, no_points)
    text = text.mask(english | english_thousands, text.str.replace(",", "", regex=False))
    # A lone comma left now sits in a value no pattern accepted ("1,2,3"): no number.
    text = text.mask(text.str.contains(",", regex=False), "")
    out = pd.to_numeric(text, errors="coerce").astype("float64")
    return out.where(np.isfinite(out))


# --------------------------------------------------------------------------------------------------------------
# Tables


def read_table(data: bytes, filename: str, *, sheet: str | None = None) -> pd.DataFrame:
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
    return _read_csv(data, name)


def _decode(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Bytes → text, the encoding's German label, and notes. Refuses empty and binary files."""
    notes: list[str] = []
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError as err:
            raise DataError(f"„{name}“ beginnt wie eine UTF-16-Textdatei, ist aber beschädigt.") from err
        encoding = "UTF-16"
    else:
        bom = data.startswith(b"\xef\xbb\xbf")
        body = data[3:] if bom else data
        if not body.strip():
            what = "nur eine Byte-Order-Markierung (BOM) und " if bom else ""
            raise DataError(f"Die Datei „{name}“ ist leer: sie enthält {what}keine Daten.")
        if b"\x00" in body:
            raise DataError(
                f"„{name}“ ist keine Textdatei (CSV): sie enthält Binärdaten. Bitte exportieren Sie die "
                "Tabelle als „CSV (Trennzeichen-getrennt)“."
            )
        try:
            text = body.decode("utf-8")
            encoding = "UTF-8 mit BOM" if bom else "UTF-8"
        except UnicodeDecodeError:
            text, encoding, notes = _decode_legacy(body)
    if not text.strip():
        raise DataError(f"Die Datei „{name}“ ist leer.")
    if len(_CONTROL.findall(text)) > max(2, 0.001 * len(text)):
        raise DataError(
            f"„{name}“ ist keine Textdatei (CSV): sie enthält Steuer- bzw. Binärzeichen. Bitte exportieren "
            "Sie die Tabelle als „CSV (Trennzeichen-getrennt)“."
        )
    return text, encoding, notes


def _decode_legacy(body: bytes) -> tuple[str, str, list[str]]:
    """Not UTF-8: all Windows-1252 unless some UTF-8 multi-byte sequence hints at a mixed file."""
    if not _UTF8_SEQUENCE.search(body):
        try:
            return body.decode("cp1252"), "Windows-1252", []
        except UnicodeDecodeError:
            pass  # one of cp1252's five undefined bytes: decode line by line, Latin-1 there
    return _decode_lines(body)


def _decode_lines(body: bytes) -> tuple[str, str, list[str]]:
    """Decode line by line: UTF-8 where a line is valid UTF-8, else Windows-1252 (Latin-1 for its gaps)."""
    lines = body.splitlines(keepends=True)
    out: list[str] = []
    legacy: list[int] = []
    utf8_non_ascii = 0
    for number, line in enumerate(lines, start=1):
        try:
            decoded = line.decode("utf-8")
            utf8_non_ascii += not line.isascii()
        except UnicodeDecodeError:
            try:
                decoded = line.decode("cp1252")
            except UnicodeDecodeError:
                decoded = line.decode("latin-1")
            legacy.append(number)
        out.append(decoded)
    notes: list[str] = []
    if utf8_non_ascii and legacy:
        shown = ", ".join(str(n) for n in legacy[:10]) + (" …" if len(legacy) > 10 else "")
        notes.append(
            "Die Datei mischt Zeichenkodierungen (UTF-8 und Windows-1252). Textzeile(n) "
            f"{shown} wurden als Windows-1252 gelesen; bitte prüfen Sie dort Umlaute und ß."
        )
        encoding = "gemischt (UTF-8 und Windows-1252)"
    else:
        encoding = "Windows-1252"
    return "".join(out), encoding, notes


# What str.splitlines() splits at ("\r\n" counts once).
_LINE_BREAKS: Final[tuple[str, ...]] = ("\n", "\r", "\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_LONG_LINE = re.compile("[^" + "".join(_LINE_BREAKS) + "]{" + str(MAX_LINE_CHARS + 1) + ",}")


def _check_line_length(text: str, name: str) -> None:
    """Refuse a line longer than :data:`MAX_LINE_CHARS`, without splitting the text into a list of lines."""
    longest, start = 0, 0
    for match in _LONG_LINE.finditer(text):
        if match.end() - match.start() > longest:
            longest, start = match.end() - match.start(), match.start()
    if longest:
        where = 1 + sum(text.count(b, 0, start) for b in _LINE_BREAKS) - text.count("\r\n", 0, start)
        message = (
            f"Die Zeile ist mit {_fmt_int(longest)} Zeichen extrem lang (erlaubt sind {_fmt_int(MAX_LINE_CHARS)}). "
            "Ist das wirklich eine Tabelle? Vielleicht fehlen Zeilenumbrüche oder ein Anführungszeichen wird "
            "nicht geschlossen."
        )
        raise DataError(f"„{name}“, Zeile {where}: {message}", [Problem(message, where)])


def _check_table_size(name: str, *, rows: int = 0, columns: int = 0, cells: int = 0, row: int | None = None,
                      header: bool = False) -> None:
    """Refuse a table beyond :data:`settings.MAX_TABLE_ROWS`, ``MAX_TABLE_COLUMNS`` or ``MAX_TABLE_CELLS``.

    Called while reading, before a frame is built, so a huge or absurdly wide file costs no more than the limit.
    """
    max_rows, max_columns, max_cells = settings.MAX_TABLE_ROWS, settings.MAX_TABLE_COLUMNS, settings.MAX_TABLE_CELLS
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


def _split_sep_line(text: str) -> tuple[str | None, str, int]:
    """Return (delimiter from a ``sep=`` line or None, remaining text, lines taken)."""
    first = re.match(r"[^\r\n]*(\r\n|\r|\n|$)", text)
    match = _SEP_LINE.match(first.group(0).rstrip("\r\n"))
    if match:
        return match.group(1), text[first.end():], 1
    return None, text, 0


def _sniff_delimiter(text: str) -> str | None:
    """Pick the delimiter that splits the header into ≥ 2 fields and the first rows into as many."""
    sample_end = text.find("\n", 65_536)
    sample = text if sample_end < 0 else text[:sample_end]
    best: tuple[float, str] | None = None
    for delimiter in _DELIMITERS:
        rows: list[list[str]] = []
        try:
            for record in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                if record:
                    rows.append(record)
                if len(rows) >= 50:
                    break
        except csv.Error:
            continue
        if not rows:
            return None
        width = _named_width(rows[0])
        if width < 2:
            continue
        data = rows[1:]
        share = 1.0 if not data else float(np.mean([_fits(r, len(rows[0]), width) for r in data]))
        if share >= 0.9:
            return delimiter
        if best is None or share > best[0]:
            best = (share, delimiter)
    return best[1] if best else None


def _named_width(header: list[str]) -> int:
    """Number of header fields up to the last named one (Excel often ends a header with ``;``)."""
    width = len(header)
    while width and not header[width - 1].strip():
        width -= 1
    return width


def _fits(record: list[str], header_len: int, width: int) -> bool:
    if width <= len(record) <= header_len:
        return True
    return len(record) > header_len and not any(f.strip() for f in record[header_len:])


def _read_csv(data: bytes, name: str) -> pd.DataFrame:
    text, encoding, notes = _decode(data, name)
    if text.startswith("\ufeff"):  # a BOM inside UTF-16
        text = text[1:]
    _check_line_length(text, name)
    delimiter, body, offset = _split_sep_line(text)
    if delimiter is None:
        delimiter = _sniff_delimiter(body) or ";"
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=delimiter)
    records: list[list[str]] = []
    start = 1  # physical line the record being read starts on
    header_seen = False
    cells = 0
    try:
        for record in reader:
            if not header_seen and any(f.strip() for f in record):
                header_seen = True
                row = start + offset
                _check_table_size(name, columns=_named_width(record), row=row, header=True)
            cells += len(record)
            if len(records) >= settings.MAX_TABLE_ROWS or cells > settings.MAX_TABLE_CELLS:
                _check_table_size(name, rows=len(records) + 1, cells=cells)
            records.append(record)
            start, previous = reader.line_num + 1, start
    except csv.Error as err:  # a field beyond csv's size limit: a quote swallowed the rest of the file
        raise _unclosed_quote(name, start + offset) from err
    # At the end of the file csv ends an open quoted field silently; an odd number of quotes gives it away.
    if records and body.count('"') % 2 and any(("\n" in f or "\r" in f) for f in records[-1]):
        raise _unclosed_quote(name, previous + offset)
    first_row = 1 + offset  # Excel row of the first record
    return _frame_from_records(
        records,
        first_row,
        name,
        attrs={"encoding": encoding, "delimiter": delimiter, "sheet": None, "notes": notes},
        strict_width=True,
    )


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
                    too_long.append(Problem(_too_many_fields(record, header, attrs["delimiter"]), row_number))
                    continue
                header = header + [""] * (len(record) - width)
                width = len(header)
            record = list(record[:width]) + [None] * (width - len(record))
        rows.append(record)
        numbers.append(row_number)
    if header is None:
        raise DataError(f"Die Datei „{name}“ ist leer: sie enthält keine Daten.")
    if too_long:
        lines = "\n".join(f"- {p}" for p in too_long[:20])
        more = f"\n- … und {len(too_long) - 20} weitere Zeilen" if len(too_long) > 20 else ""
        raise DataError(f"„{name}“ hat Zeilen mit mehr Feldern als die Kopfzeile:\n{lines}{more}", too_long)
    if rows and len(rows[0]) < width:  # a later record widened the header (XLSX): pad the earlier rows
        rows = [r + [None] * (width - len(r)) for r in rows]
    frame = pd.DataFrame(rows, columns=range(width), dtype="str") if rows else pd.DataFrame(columns=range(width))
    frame.index = pd.Index(numbers, name=EXCEL_ROW, dtype=np.int64)
    for position in frame.columns:
        text = frame[position].str.strip()
        frame[position] = text.mask(text == "")
    frame = frame[frame.notna().any(axis=1)]  # rows of blanks only, as Excel shows them, carry nothing
    if frame.empty:
        raise DataError(f"„{name}“ enthält nur die Kopfzeile (Zeile {header_row}), aber keine Daten.")
    columns, keep, notes = _column_names(header, frame)
    frame = frame[keep].set_axis(columns, axis=1)
    frame.attrs.update(attrs)
    frame.attrs["header_row"] = header_row
    frame.attrs["notes"] = list(attrs.get("notes", [])) + notes
    return frame


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
        candidates = [sheet] if sheet is not None else names
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
    """A read-only sheet's values, refused beyond the table limits before iterating (by its ``<dimension>``) and,
    for a sheet that states none or understates it, while iterating: openpyxl pads every row up to the last
    column and every gap up to the last row, so one far cell (``XFD1048576``) would mean 17 billion cells."""
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


# --------------------------------------------------------------------------------------------------------------
# ZIP archives


def _open_zip(data: bytes, name: str) -> zipfile.ZipFile:
    """Open a ZIP archive after checking, without extracting anything, that it is safe to unpack.

    Refuses a broken archive, more than :data:`MAX_ZIP_FILES` entries, more than :data:`MAX_ZIP_BYTES`
    unpacked, absolute paths or ``..`` components, and encrypted entries.
    """
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except _UNPACK_ERRORS as err:
        raise DataError(
            f"Die ZIP-Datei „{name}“ ist beschädigt oder unvollständig und lässt sich nicht öffnen. "
            "Bitte packen Sie die Dateien neu und laden Sie sie noch einmal hoch."
        ) from err
    try:
        if len(infos) > MAX_ZIP_FILES:
            raise DataError(
                f"Die ZIP-Datei „{name}“ enthält {_fmt_int(len(infos))} Dateien; erlaubt sind höchstens "
                f"{MAX_ZIP_FILES}. Bitte packen Sie nur die benötigten Dateien ein."
            )
        total = sum(info.file_size for info in infos)
        if total > MAX_ZIP_BYTES:
            raise DataError(
                f"Die ZIP-Datei „{name}“ wäre entpackt {total / 1024**2:,.0f} MB groß; erlaubt sind höchstens "
                f"{MAX_ZIP_BYTES / 1024**2:,.0f} MB.".replace(",", ".")
            )
        ratio = total / max(len(data), 1)
        if total > settings.COMPRESSION_RATIO_FROM_BYTES and ratio > settings.MAX_COMPRESSION_RATIO:
            raise DataError(
                f"Die ZIP-Datei „{name}“ wäre entpackt {total / 1024**2:,.0f} MB groß, {ratio:,.0f}-mal so groß "
                f"wie gepackt (üblich ist höchstens das {settings.MAX_COMPRESSION_RATIO}-Fache). So etwas enthält "
                "keine gewöhnliche Shapefile oder Arbeitsmappe; aus Sicherheitsgründen wird sie nicht entpackt. "
                "Bitte packen Sie nur die benötigten Dateien neu ein.".replace(",", ".")
            )
        for info in infos:
            path = info.filename
            parts = re.split(r"[\\/]+", path)
            if path.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", path) or ".." in parts:
                raise DataError(
                    f"Die ZIP-Datei „{name}“ enthält einen unzulässigen Pfad („{path}“: absolut oder mit „..“). "
                    "Aus Sicherheitsgründen wird sie nicht entpackt; bitte packen Sie die Dateien ohne Ordnerpfade neu."
                )
            if info.flag_bits & 0x1:
                raise DataError(f"Die ZIP-Datei „{name}“ ist passwortgeschützt; bitte ohne Passwort packen.")
    except DataError:
        archive.close()
        raise
    return archive


def _extract_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, budget: list[int], target: Path
) -> None:
    """Unpack one entry to ``target`` in chunks, counting real (not declared) unpacked bytes against the budget."""
    try:
        with archive.open(info) as stream, target.open("wb") as out:
            while chunk := stream.read(1 << 20):
                budget[0] -= len(chunk)
                if budget[0] < 0:
                    raise DataError(
                        f"Die ZIP-Datei „{name}“ wäre entpackt größer als "
                        f"{MAX_ZIP_BYTES // 1024**2} MB und wird nicht entpackt."
                    )
                out.write(chunk)
    except DataError:
        raise
    except _UNPACK_ERRORS as err:
        raise DataError(
            f"Die ZIP-Datei „{name}“ ist beschädigt: „{info.filename}“ lässt sich nicht entpacken. Bitte packen Sie "
            "die Dateien neu und laden Sie sie noch einmal hoch."
        ) from err


# --------------------------------------------------------------------------------------------------------------
# Boundaries


def read_boundaries(
    data: bytes, filename: str, *, crs: str | None = None, layer: str | None = None
) -> gpd.GeoDataFrame:
    """Read an uploaded boundary layer: GeoJSON, GeoPackage, or a zipped Shapefile.

    A ZIP archive is checked before anything is unpacked (see :func:`_open_zip`); only the Shapefile's
    own parts are written to a temporary directory. Attribute encodings follow the ``.cpg`` file, else
    Latin-1 (the DBF default), with a switch to UTF-8 when Latin-1 yields garbled umlauts.

    Parameters
    ----------
    data
        The file's bytes.
    filename
        The uploaded name; ``.geojson``/``.json``, ``.gpkg`` or ``.zip``.
    crs
        The layer's CRS when the file names none or the wrong one (``"EPSG:25832"``, ``"25832"``, WKT).
        It overrides what the file says.
    layer
        Layer (GeoPackage) or Shapefile name (ZIP with several) to read; default: the first polygon layer.

    Returns
    -------
    geopandas.GeoDataFrame
        Attributes and geometry as stored, CRS as the file says (or ``crs``; ``None`` if neither);
        ``attrs`` hold ``notes``, ``layer`` and ``encoding``.

    Raises
    ------
    DataError
        For unsupported types, broken or unsafe archives, a Shapefile without ``.prj`` and no ``crs``,
        files without features or geometry, and coordinates that contradict a geographic CRS.
    """
    name = Path(filename).name
    suffix = Path(filename).suffix.lower()
    override = crs_mod.parse_crs(crs) if crs is not None else None
    if suffix in (".shp", ".shx", ".dbf", ".prj"):
        raise DataError(
            "Eine Shapefile besteht aus mehreren Dateien (.shp, .shx, .dbf, .prj, oft .cpg). Bitte packen Sie "
            "alle zusammen in eine ZIP-Datei und laden Sie diese hoch."
        )
    if suffix not in BOUNDARY_SUFFIXES:
        raise DataError(
            f"Der Dateityp „{suffix or name}“ wird für Gebietsgrenzen nicht unterstützt. Erlaubt sind GeoJSON "
            "(.geojson), GeoPackage (.gpkg) und Shapefile als ZIP-Datei (.zip)."
        )
    if not data.strip():
        raise DataError(f"Die Datei „{name}“ ist leer.")
    if suffix == ".zip":
        gdf = _read_zip(data, name, override, layer)
    elif suffix == ".gpkg":
        if not data.startswith(b"SQLite format 3\x00"):
            raise DataError(f"„{name}“ ist kein GeoPackage (keine SQLite-Datenbank). Ist die Datei beschädigt?")
        gdf = _read_single(data, name, ".gpkg", "GeoPackage", layer)
    else:
        if _magic(data) is not None or b"\x00" in data[:4096]:
            raise DataError(f"„{name}“ ist keine GeoJSON-Datei (kein Text).")
        gdf = _read_single(data, name, ".geojson", "GeoJSON", layer)
    if override is not None:
        gdf = gdf.set_crs(override, allow_override=True)
    else:
        crs_mod.check_geographic_bounds(gdf, name=f"„{name}“")
    return gdf


def _read_single(data: bytes, name: str, suffix: str, label: str, layer: str | None) -> gpd.GeoDataFrame:
    with tempfile.TemporaryDirectory(prefix="praeventionsatlas-") as tmp:
        path = Path(tmp) / f"upload{suffix}"
        path.write_bytes(data)
        return _read_ogr(path, name, label, layer)


def _read_zip(data: bytes, name: str, override, layer: str | None) -> gpd.GeoDataFrame:
    with _open_zip(data, name) as archive:
        members = [
            info
            for info in archive.infolist()
            if not info.is_dir()
            and not info.filename.startswith("__MACOSX/")
            and not PurePosixPath(info.filename).name.startswith("._")
        ]
        by_suffix: dict[str, list[zipfile.ZipInfo]] = {}
        for info in members:
            by_suffix.setdefault(PurePosixPath(info.filename).suffix.lower(), []).append(info)
        shapefiles = by_suffix.get(".shp", [])
        budget = [MAX_ZIP_BYTES]
        if not shapefiles:
            inner = by_suffix.get(".gpkg", []) + by_suffix.get(".geojson", [])
            if len(inner) == 1:
                suffix = PurePosixPath(inner[0].filename).suffix.lower()
                label = "GeoPackage" if suffix == ".gpkg" else "GeoJSON"
                with tempfile.TemporaryDirectory(prefix="praeventionsatlas-") as tmp:
                    path = Path(tmp) / f"upload{suffix}"
                    _extract_member(archive, inner[0], name, budget, path)
                    return _read_ogr(path, name, label, layer)
            found = ", ".join(i.filename for i in members[:10]) or "nichts"
            raise DataError(
                f"Die ZIP-Datei „{name}“ enthält keine Shapefile (.shp). Gefunden: {found}. "
                "Bitte packen Sie .shp, .shx, .dbf und .prj derselben Ebene ein."
            )
        stems = {str(PurePosixPath(i.filename).with_suffix("")): i for i in shapefiles}
        if len(stems) > 1:
            chosen = [s for s in stems if PurePosixPath(s).name == layer] if layer else []
            if len(chosen) != 1:
                listed = ", ".join(f"„{PurePosixPath(s).name}“" for s in stems)
                raise DataError(
                    f"Die ZIP-Datei „{name}“ enthält mehrere Shapefiles ({listed}). Bitte laden Sie nur eine "
                    "hoch oder wählen Sie die Ebene aus."
                )
            stem = chosen[0]
        else:
            stem = next(iter(stems))
        parts: dict[str, zipfile.ZipInfo] = {}
        for info in members:
            path = PurePosixPath(info.filename)
            if str(path.with_suffix("")).casefold() == stem.casefold():
                parts[path.suffix.lower()] = info
        shown = PurePosixPath(stem).name
        for needed in (".shx", ".dbf"):
            if needed not in parts:
                raise DataError(
                    f"Zur Shapefile „{shown}.shp“ fehlt die Datei „{shown}{needed}“ in der ZIP-Datei. Eine "
                    "Shapefile besteht aus .shp, .shx, .dbf und .prj; bitte packen Sie alle zusammen."
                )
        if ".prj" not in parts and override is None:
            raise DataError(
                f"Zur Shapefile „{shown}.shp“ fehlt die .prj-Datei mit dem Koordinatensystem. Bitte packen Sie "
                f"die Datei „{shown}.prj“ mit in die ZIP-Datei oder geben Sie das Koordinatensystem an "
                f"(z. B. {settings.METRIC_CRS})."
            )
        with tempfile.TemporaryDirectory(prefix="praeventionsatlas-") as tmp:
            for suffix in (".shp", ".shx", ".dbf", ".prj", ".cpg"):
                if suffix in parts:
                    _extract_member(archive, parts[suffix], name, budget, Path(tmp) / f"upload{suffix}")
            path = Path(tmp) / "upload.shp"
            gdf = _read_ogr(path, name, "Shapefile", None)
            if ".cpg" not in parts and _garbled(gdf):
                gdf = _read_ogr(path, name, "Shapefile", None, encoding="UTF-8")
                gdf.attrs["encoding"] = "UTF-8"
                gdf.attrs["notes"].append(
                    "Die Shapefile nennt keine Zeichenkodierung (.cpg fehlt); die Texte wurden als UTF-8 gelesen."
                )
        gdf.attrs["layer"] = shown
        return gdf


def _garbled(gdf: gpd.GeoDataFrame) -> bool:
    """True when text columns show UTF-8 read as Latin-1 ("Ã¼")."""
    for column in gdf.columns:
        if column != gdf.geometry.name and pd.api.types.is_string_dtype(gdf[column].dtype):
            if gdf[column].astype("str").str.contains(_MOJIBAKE.pattern, regex=True).any():
                return True
    return False


_OGR_ERRORS = (
    pyogrio.errors.DataSourceError,
    pyogrio.errors.DataLayerError,
    pyogrio.errors.FieldError,
    pyogrio.errors.GeometryError,
    pyogrio.errors.FeatureError,
    pyogrio.errors.CRSError,
    RuntimeError,
    ValueError,
    OSError,
)


def _read_ogr(
    path: Path, name: str, label: str, layer: str | None, *, encoding: str | None = None
) -> gpd.GeoDataFrame:
    """Read one vector layer with pyogrio, turning GDAL's failures into a German :class:`DataError`."""
    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        # GDAL reports oddities of a file as RuntimeWarnings; they describe the upload, not our code.
        warnings.simplefilter("always")
        try:
            layers = pyogrio.list_layers(path)
            chosen = _choose_layer(layers, name, layer, notes)
            frame = pyogrio.read_dataframe(
                path, layer=chosen, encoding=encoding, force_2d=True, on_invalid="ignore", use_arrow=False
            )
        except DataError:
            raise
        except _OGR_ERRORS as err:
            raise DataError(
                f"„{name}“ lässt sich nicht als {label} lesen: die Datei ist beschädigt oder hat ein anderes "
                "Format."
            ) from err
    if caught:
        notes.append(f"Beim Lesen von „{name}“ meldete GDAL: " + "; ".join(str(w.message)[:200] for w in caught[:3]))
    if not isinstance(frame, gpd.GeoDataFrame):
        raise DataError(f"„{name}“ enthält keine Geometrien (nur eine Tabelle). Es werden Flächen gebraucht.")
    if frame.empty:
        raise DataError(f"„{name}“ enthält keine Objekte (die Ebene ist leer).")
    frame.attrs.update({"notes": notes, "layer": chosen, "encoding": encoding or "laut Datei"})
    return frame


def _choose_layer(layers: np.ndarray, name: str, layer: str | None, notes: list[str]) -> str | None:
    names = [str(n) for n, _ in layers]
    if layer is not None:
        if layer not in names:
            raise DataError(
                f"Die Ebene „{layer}“ gibt es in „{name}“ nicht. Vorhandene Ebenen: "
                + ", ".join(f"„{n}“" for n in names)
                + "."
            )
        return layer
    if len(names) <= 1:
        return names[0] if names else None
    polygonal = [str(n) for n, kind in layers if kind and "Polygon" in str(kind)]
    chosen = polygonal[0] if polygonal else names[0]
    notes.append(
        f"„{name}“ enthält mehrere Ebenen ({', '.join(names)}); gelesen wurde „{chosen}“. "
        "Wählen Sie bei Bedarf eine andere Ebene."
    )
    return chosen
