"""Text and numbers as German files write them: decoding, the ``sep=`` line, delimiter sniffing, numbers."""

from __future__ import annotations

import csv
import io
import re
from typing import Final

import numpy as np
import pandas as pd

from geo._errors import DataError, Problem

#: A CSV line longer than this is no table row (a binary file, a missing line break, a runaway quote).
MAX_LINE_CHARS: Final[int] = 100_000
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
    text = series.astype("str").reset_index(drop=True)
    codes, distinct = pd.factorize(text)
    if len(distinct) <= len(text) // 2:  # few distinct values (counts, capacities): each parsed once
        parsed = _parse_text(pd.Series(distinct, dtype="str"), integer=integer).to_numpy()
        out = np.full(len(text), np.nan)
        out[codes >= 0] = parsed[codes[codes >= 0]]
        return pd.Series(out, index=series.index)
    return _parse_text(text, integer=integer).set_axis(series.index)


#: A plain number with or without a decimal comma ("5727859,3", "-12", "07"): the other patterns leave it as it is
#: but for the comma, which becomes a point. ``[0-9]`` as both regex engines read it (``\\d`` differs).
_PLAIN = "[+-]?[0-9]+(?:,[0-9]+)?"


def _parse_text(text: pd.Series, *, integer: bool) -> pd.Series:
    """:func:`parse_number` of a text column: plain values by one replacement, the others by every pattern."""
    normal = text.str.replace(",", ".", regex=False)
    other = ~(text.str.fullmatch(_PLAIN).fillna(False).to_numpy(dtype=bool) | text.isna().to_numpy())
    if other.any():
        normal = normal.mask(other, _normalised(text[other], integer=integer))
    # One conversion of the whole column, as before (pandas decides the number type from all values).
    out = pd.to_numeric(normal, errors="coerce").astype("float64")
    return out.where(np.isfinite(out))


def _normalised(text: pd.Series, *, integer: bool) -> pd.Series:
    """The text of each number in the form ``pd.to_numeric`` reads ("1.234,5" → "1234.5"); ``""`` for none."""
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
    return text.mask(text.str.contains(",", regex=False), "")


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
    if _control_count(text) > max(2, 0.001 * len(text)):
        raise DataError(
            f"„{name}“ ist keine Textdatei (CSV): sie enthält Steuer- bzw. Binärzeichen. Bitte exportieren "
            "Sie die Tabelle als „CSV (Trennzeichen-getrennt)“."
        )
    return text, encoding, notes


def _utf8_codes(text: str) -> np.ndarray:
    """The text's UTF-8 bytes: one byte per ASCII character (controls, line breaks), no byte below 0x80 else."""
    return np.frombuffer(text.encode("utf-8", errors="surrogatepass"), dtype=np.uint8)


#: The bytes of the characters :data:`_CONTROL` matches.
_CONTROL_BYTES: Final[np.ndarray] = np.isin(np.arange(256), [*range(0x09), 0x0B, *range(0x0E, 0x20), 0x7F])


#: Bytes looked at in one numpy step (bounds the temporary arrays of a 50 MB file).
_BYTE_CHUNK: Final[int] = 1 << 23


def _control_count(text: str) -> int:
    """How many characters of ``text`` :data:`_CONTROL` matches, counted on its bytes (no regex pass per character)."""
    return sum(int(np.count_nonzero(_CONTROL_BYTES[part])) for _, part in _byte_chunks(_utf8_codes(text)))


def _byte_chunks(codes: np.ndarray) -> list[tuple[int, np.ndarray]]:
    """``codes`` in views of :data:`_BYTE_CHUNK` bytes, each with its offset."""
    return [(i, codes[i:i + _BYTE_CHUNK]) for i in range(0, len(codes), _BYTE_CHUNK)]


def _has_utf8_sequence(body: bytes) -> bool:
    """Whether :data:`_UTF8_SEQUENCE` matches anywhere in ``body``: a lead byte followed by its continuation bytes.

    Tested with numpy at the (few) lead bytes only, instead of a regex scan of every byte.
    """
    codes = np.frombuffer(body, dtype=np.uint8)
    lead = np.flatnonzero(codes >= 0xC2)
    lead = lead[codes[lead] <= 0xF4]

    def continued(k: int) -> np.ndarray:
        at = lead + k
        inside = at < len(codes)
        out = np.zeros(len(lead), dtype=bool)
        out[inside] = (codes[at[inside]] >= 0x80) & (codes[at[inside]] <= 0xBF)
        return out

    first, kind = continued(1), codes[lead]
    two = (kind <= 0xDF) & first
    three = (kind >= 0xE0) & (kind <= 0xEF) & first & continued(2)
    four = (kind >= 0xF0) & first & continued(2) & continued(3)
    return bool((two | three | four).any())


def _decode_legacy(body: bytes) -> tuple[str, str, list[str]]:
    """Not UTF-8: all Windows-1252 unless some UTF-8 multi-byte sequence hints at a mixed file."""
    if not _has_utf8_sequence(body):
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
    """Refuse a line longer than :data:`MAX_LINE_CHARS`, without splitting the text into a list of lines.

    Measured first on the positions of line feeds and carriage returns in the UTF-8 bytes with numpy: those pieces
    are at least as long as the lines (fewer breaks, at least a byte per character), so only a file with a piece that
    long is searched character by character (a regex that tries every position: seconds for a 50 MB file).
    """
    codes = _utf8_codes(text)
    breaks = np.concatenate([np.flatnonzero((part == 10) | (part == 13)) + i for i, part in _byte_chunks(codes)]
                            or [np.zeros(0, dtype=np.int64)])
    ends = np.concatenate([breaks, [len(codes)]])
    starts = np.concatenate([[0], breaks + 1])
    del codes, breaks
    if (ends - starts).max(initial=0) <= MAX_LINE_CHARS:
        return
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
