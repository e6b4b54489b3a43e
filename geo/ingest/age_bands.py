"""Age band and births columns of count tables, read from headers as cities write them ("0 bis unter 3 Jahre").

One reading for the indicator table and the residents layer. A band is ``low`` to under ``high`` years (the
convention of :func:`geo.settings.age_column` and :class:`geo.catalog.Target`); an open band ("65 und älter")
has ``high = None``. "unter 3", "U3", "0 bis unter 3" are explicit. A range "A-B" / "A bis B" is ambiguous:
statistics offices mean B included ("0–2 Jahre" = 0 to under 3, "10-17" = 10 to under 18), planners often not
("Kinder 0-3", "3-6", "6-10"). The file decides: if its bands fit together (one band ends where the next
begins) under one reading and not the other, that reading holds for all; otherwise each range is read as the
band that ends at a usual age boundary (3, 6, 10, 18, …), and a range read as "bis unter" is named in a warning.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Final

from geo import settings
from geo._errors import Report
from geo.ingest.columns import _norm

#: Upper ends of the age bands German statistics and youth-welfare planning use (from "low" to under these).
USUAL_BOUNDARIES: Final[frozenset[int]] = frozenset({3, 6, 10, 12, 14, 16, 18, 21, 27, *range(5, 100, 5)})
#: The band the children's count covers (0 to under 18): a column naming it is the ``children`` count.
CHILDREN_BAND: Final[tuple[int, int]] = (0, 18)
#: Oldest age a band may name.
MAX_AGE: Final[int] = 120
#: Normalised names (:func:`geo.ingest.columns._norm`) of a births column, and the starts of longer names.
BIRTHS_ALIASES: Final[tuple[str, ...]] = (
    "births", "geburten", "lebendgeborene", "lebendgeburten", "geborene", "neugeborene", "anzahlgeburten",
    "geburtenzahl", "anzahllebendgeborene", "anzahlgeborene",
)
_BIRTHS_PREFIXES: Final[tuple[str, ...]] = ("geburten", "lebendgeboren", "lebendgeburt", "geborene", "neugeboren",
                                            "births")
#: Words that make a column a rate or share, not a count ("Geburtenrate", "Anteil unter 3 (%)").
_NOT_A_COUNT: Final[tuple[str, ...]] = (
    "quote", "rate", "ziffer", "anteil", "prozent", "je", "ueberschuss", "saldo", "bilanz", "dichte", "share",
)
#: Words before the ages ("Kinder im Alter von …", "Anzahl Einwohner …", the Zensus' "a18bis29"), stripped.
_LEADING: Final[re.Pattern[str]] = re.compile(
    r"^(?:anzahl|davon|darunter|kinderundjugendliche|kinder|kind|jugendliche|einwohnerinnen|einwohner|ew|"
    r"personen|bevoelkerung|altersgruppe|altersklasse|alter|aged|age|im|von|a(?=\d))"
)
_TRAILING: Final[re.Pattern[str]] = re.compile(
    r"(?:jahrealt|jahren|jahre|jahr|jaehrigen|jaehrige|jaehr|j|alt|anzahl|insgesamt|gesamt|absolut|abs)$"
)


@dataclass(frozen=True)
class Band:
    """An age band: from ``low`` to under ``high`` years; ``high`` is ``None`` for an open band ("65 und älter")."""

    low: int
    high: int | None

    @property
    def column(self) -> str:
        """Canonical count column: ``age_0_3`` (:func:`geo.settings.age_column`), ``age_65_plus`` when open."""
        if self.high is None:
            return f"{settings.AGE_PREFIX}{self.low}_plus"
        return settings.age_column(self.low, self.high)

    @property
    def label(self) -> str:
        """German name: "0 bis unter 3 Jahre", "65 Jahre und älter"."""
        if self.high is None:
            return f"{self.low} Jahre und älter"
        return f"{self.low} bis unter {self.high} Jahre"

    def overlaps(self, other: Band) -> bool:
        """Whether the two bands share an age."""
        end, other_end = self.high or MAX_AGE + 1, other.high or MAX_AGE + 1
        return self.low < other_end and other.low < end

    def contains(self, other: Band) -> bool:
        """Whether every age of ``other`` lies in this band."""
        return self.low <= other.low and (other.high or MAX_AGE + 1) <= (self.high or MAX_AGE + 1)


@dataclass(frozen=True)
class _Reading:
    """What a header says: a band, or an ambiguous range "A-B" (``high`` = B, included or not), or unreadable."""

    low: int
    high: int | None
    ambiguous: bool = False
    unreadable: bool = False


@dataclass
class AgeColumns:
    """The age band and births columns of a table.

    Attributes
    ----------
    bands
        File column → :class:`Band`, in file order (the children's band 0–18 included where a column names it).
    births
        The births column, if any.
    guessed
        Columns of ambiguous ranges read as "bis unter" without the file showing it (named in a warning).
    children_from
        Set by a reader whose table has no children's count: the band columns that split 0 to under 18 and are
        summed into it (:func:`children_parts`).
    """

    bands: dict[str, Band]
    births: str | None = None
    guessed: tuple[str, ...] = ()
    children_from: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """German list for the upload preview, see :func:`describe`."""
        return describe(self.bands, self.births)


def describe(bands: Mapping[str, Band], births: str | None = None) -> str:
    """German list for the upload preview: "„Kinder 0-3“ = 0 bis unter 3 Jahre, „Geburten“ = Geburten"."""
    items = [f"„{column}“ = {band.label}" for column, band in bands.items()]
    if births is not None:
        items.append(f"„{births}“ = Geburten")
    return ", ".join(items)


def _loose(name: object) -> str:
    """Lower case, umlauts spelled out, a dash between ages read as "bis", "<" as "unter"; letters, digits, ``+``."""
    text = unicodedata.normalize("NFC", str(name)).casefold()
    for umlaut, spelled in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, spelled)
    text = re.sub(r"[–—−‐]", "-", text).replace("<", " unter ").replace("≥", " ab ")
    text = re.sub(r"-(?=\s*bis\b)", " ", text)  # "3- bis 5-Jährige"
    text = re.sub(r"(\d)\s*-(?=\s*[a-z])", r"\1 ", text)  # "5-Jährige"
    text = re.sub(r"(\d)\s*-\s*(?=\d)", r"\1bis", text)
    return re.sub(r"[^0-9a-z+]", "", text)


def _strip(text: str) -> str:
    """The ages of a loose name: leading population words and trailing units removed."""
    while (shorter := _LEADING.sub("", text, count=1)) != text:
        text = shorter
    while (shorter := _TRAILING.sub("", text, count=1)) != text and shorter:
        text = shorter
    return text


def _read(name: object) -> _Reading | None:
    """The band a header names, ``None`` when it names none (then it is no age column at all)."""
    if match := re.fullmatch(rf"{settings.AGE_PREFIX}(\d{{1,3}})_(\d{{1,3}}|plus)", str(name).strip()):
        low, high = int(match.group(1)), None if match.group(2) == "plus" else int(match.group(2))
        return _Reading(low, high, unreadable=high is not None and not low < high <= MAX_AGE + 1)  # our own names
    loose = _loose(name)
    if any(word in loose for word in _NOT_A_COUNT) or "%" in str(name):
        return None
    text = _strip(loose)
    if match := re.fullmatch(r"(?:unter|u)(\d{1,3})", text):
        high = int(match.group(1))
        return _Reading(0, high, unreadable=not 0 < high <= MAX_AGE + 1)
    if match := re.fullmatch(r"(\d{1,3})bisunter(\d{1,3})", text):
        low, high = int(match.group(1)), int(match.group(2))
        return _Reading(low, high, unreadable=not low < high <= MAX_AGE + 1)
    if match := re.fullmatch(r"(\d{1,3})bis(?:einschliesslich|einschl|inkl|inklusive)(\d{1,3})", text):
        low, high = int(match.group(1)), int(match.group(2)) + 1
        return _Reading(low, high, unreadable=not low < high <= MAX_AGE + 1)
    if match := re.fullmatch(r"(\d{1,3})bis(\d{1,3})", text):
        low, high = int(match.group(1)), int(match.group(2))
        return _Reading(low, high, ambiguous=True, unreadable=not low < high <= MAX_AGE)
    if match := re.fullmatch(r"(?:ab)?(\d{1,3})(?:undaelter|undmehr|undueber|plus|\+)|ab(\d{1,3})", text):
        low = int(match.group(1) or match.group(2))
        return _Reading(low, None, unreadable=low > MAX_AGE)
    if re.fullmatch(r"\d{1,3}bis(?:unter)?(?:\d{1,3}bis(?:unter)?\d{1,3})?", text):
        return _Reading(0, None, unreadable=True)  # "6 bis", "unter", "0-3-6"
    return None


def _fits(bands: list[Band]) -> int:
    """How well bands fit together: pairs where one ends as another begins, minus pairs that partly overlap."""
    score = 0
    for i, a in enumerate(bands):
        for b in bands[i + 1:]:
            if a.high == b.low or b.high == a.low:
                score += 1
            elif a.overlaps(b) and not (a.contains(b) or b.contains(a)):
                score -= 1
    return score


def _resolve(readings: Mapping[str, _Reading]) -> tuple[dict[str, Band], tuple[str, ...]]:
    """Bands of all readings, ambiguous ranges read as the file shows (see the module docstring)."""
    fixed = {c: Band(r.low, r.high) for c, r in readings.items() if not r.ambiguous}
    ranges = {c: r for c, r in readings.items() if r.ambiguous}
    included = {c: Band(r.low, r.high + 1) for c, r in ranges.items()}
    excluded = {c: Band(r.low, r.high) for c, r in ranges.items()}
    fit_included = _fits([*fixed.values(), *included.values()])
    fit_excluded = _fits([*fixed.values(), *excluded.values()])
    guessed: list[str] = []
    if fit_included > fit_excluded:
        chosen = included
    elif fit_excluded > fit_included:
        chosen = excluded
    else:
        chosen = {}
        for column, r in ranges.items():
            upper_is_end = r.high in USUAL_BOUNDARIES and r.high + 1 not in USUAL_BOUNDARIES
            chosen[column] = excluded[column] if upper_is_end else included[column]
            if upper_is_end:
                guessed.append(column)
    bands = {c: fixed.get(c) or chosen[c] for c in readings}
    return bands, tuple(guessed)


def read_band(name: object) -> Band | None:
    """The band one header names when read alone (as in a file with no other age column); ``None`` if none."""
    return find_age_columns([name], Report()).bands.get(str(name))


def births_column(columns: Iterable[object], used: Iterable[object] = ()) -> str | None:
    """The births column ("Geburten", "Lebendgeborene", "Anzahl Geburten 2024"), not rates ("Geburtenrate")."""
    taken = set(used)
    free = [c for c in columns if c not in taken]
    normed = {_norm(c): c for c in reversed(free)}
    for alias in BIRTHS_ALIASES:
        if alias in normed:
            return normed[alias]
    for column in free:
        name = _norm(column)
        if name.startswith(_BIRTHS_PREFIXES) and not any(w in name for w in _NOT_A_COUNT):
            return column
    return None


def find_age_columns(
    columns: Iterable[object], report: Report, *, used: Iterable[object] = (), header_row: int = 1
) -> AgeColumns:
    """The age band and births columns of a table's header (columns in ``used`` are taken already).

    Reports (at ``header_row``, the header's row as Excel shows it; column named) a header that names an age band
    unreadably ("10 bis 6", "6 bis"), two columns naming the same band, bands that partly overlap ("0-4" and
    "3-6"), and the ranges read as "bis unter" by the usual boundaries alone (a warning).

    Returns
    -------
    AgeColumns
    """
    taken = set(used)
    readings: dict[str, _Reading] = {}
    for column in columns:
        if column in taken or (reading := _read(column)) is None:
            continue
        if reading.unreadable:
            report.error(f"Die Spaltenüberschrift „{column}“ nennt keine lesbare Altersgruppe. Schreiben Sie sie z. B. "
                         "als „6 bis unter 10 Jahre“, „unter 3 Jahre“ oder „65 Jahre und älter“.", header_row, column)
        else:
            readings[str(column)] = reading
    bands, guessed = _resolve(readings)
    _check_overlaps(bands, report, header_row)
    if guessed:
        listed = ", ".join(f"„{c}“ = {bands[c].label}" for c in guessed)
        report.warn(f"Altersangaben wie „0-3“ sind mehrdeutig; gelesen als: {listed}. Ist das Alter am Ende mit "
                    "gemeint, schreiben Sie es in die Überschrift (z. B. „0 bis 3 Jahre einschließlich“ oder „0 bis "
                    "unter 4 Jahre“).", header_row, guessed[0] if len(guessed) == 1 else None)
    return AgeColumns(bands, births_column(columns, taken | set(bands)), guessed)


def _check_overlaps(bands: Mapping[str, Band], report: Report, header_row: int) -> None:
    """One error per pair of columns naming the same band or partly overlapping bands (nested bands are fine)."""
    items = list(bands.items())
    for i, (a, band_a) in enumerate(items):
        for b, band_b in items[i + 1:]:
            if band_a == band_b:
                report.error(f"Die Spalten „{a}“ und „{b}“ nennen dieselbe Altersgruppe ({band_a.label}). Lassen Sie "
                             "eine davon weg oder benennen Sie sie eindeutig.", header_row, b)
            elif band_a.overlaps(band_b) and not (band_a.contains(band_b) or band_b.contains(band_a)):
                report.error(f"Die Altersgruppen der Spalten „{a}“ ({band_a.label}) und „{b}“ ({band_b.label}) "
                             "überschneiden sich. Prüfen Sie die Überschriften (z. B. „0 bis unter 3 Jahre“, „3 bis "
                             "unter 6 Jahre“).", header_row, b)


def children_parts(bands: Mapping[str, Band]) -> list[str] | None:
    """Columns whose bands split 0 to under 18 exactly (no gap, no overlap), in age order; ``None`` if none do.

    Where nested bands allow several splits, the finest is taken ("0-3", "3-6" before "unter 6").
    """
    by_low: dict[int, list[str]] = {}
    for column, band in bands.items():
        if band.high is not None and band.high <= CHILDREN_BAND[1] and (band.low, band.high) != CHILDREN_BAND:
            by_low.setdefault(band.low, []).append(column)

    def split_from(age: int) -> list[str] | None:
        if age == CHILDREN_BAND[1]:
            return []
        for column in sorted(by_low.get(age, []), key=lambda c: bands[c].high):
            rest = split_from(bands[column].high)
            if rest is not None:
                return [column, *rest]
        return None

    return split_from(CHILDREN_BAND[0])
