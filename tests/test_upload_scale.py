"""Issue 14: the offer upload check at scale gives exactly the report, change summary and layer it gave before."""

from __future__ import annotations

import json
import random
import re
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from geopandas.testing import assert_geodataframe_equal

from geo import settings
from geo._errors import DataError
from geo.demo import load_demo
from geo.ingest import changes as changes_module
from geo.ingest import check_upload
from geo.ingest.changes import _OTHER_WHITESPACE, _offer_identity, find_duplicate_offers, merge_offers
from geo.io import read_table, spreadsheets, text
from tests.upload_scale_cases import cases, offer_csv, run

#: What ``tests/upload_scale_cases.py`` gave with the code before issue 14 (commit f43908d).
EXPECTED = Path(__file__).parent / "data" / "upload_scale_expected.json"


def frame_of(data: dict) -> gpd.GeoDataFrame:
    """The layer :func:`tests.upload_scale_cases.layer_data` wrote, with its dtypes."""
    columns = {c: pd.Series(values, dtype=data["dtypes"][c]) for c, values in data["columns"].items()}
    geometry = shapely.from_wkb(np.array(data["wkb"], dtype=object))
    index = pd.Index(data["index"], name=data["index_name"], dtype=np.int64)
    frame = pd.DataFrame(columns).set_axis(index)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, index=index, crs=data["crs"]), crs=data["crs"])


@pytest.fixture(scope="module")
def expected() -> dict:
    return json.loads(EXPECTED.read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", sorted(cases()))
def test_check_gives_the_report_and_layer_it_gave_before(name, expected):
    data, options, where = cases()[name]
    got, before = run(data, options, where, frames=True), expected[name]
    assert got["problems"] == before["problems"]
    assert got["validation_problems"] == before["validation_problems"]
    assert got["changes"] == before["changes"]
    assert got["crs_guess"] == before["crs_guess"]
    assert_geodataframe_equal(got["valid_frame"], frame_of(before["valid"]))
    if before["layer"] is None:
        assert got["layer_frame"] is None
    else:
        assert_geodataframe_equal(got["layer_frame"], frame_of(before["layer"]))


def test_the_cases_hold_every_kind_of_bad_row(expected):
    """The comparison above means something: each kind of finding occurs, and some checks pass."""
    messages = [p[3] for case in expected.values() for p in case["problems"]]
    for pattern in ("Die Koordinate fehlt", "ist unbekannt", "Die Angebotsart fehlt", "ist keine Zahl",
                    "darf nicht negativ sein", "Die Kennung fehlt", "kommt mehrfach vor", "außerhalb des Stadtgebiets",
                    "passt nicht zu den übrigen Koordinaten", "scheinen vertauscht", "steht schon in der bestehenden"):
        assert any(pattern in m for m in messages), pattern
    assert any(case["layer"] is not None for case in expected.values())
    assert sum(len(case["valid"]["index"]) for case in expected.values()) > 800


# --- reading: the C parser where it reads what csv reads ---------------------------------------------------------

_ALPHABET = ["a", "b", "1", ";", '"', "\n", "\r", "\r\n", " ", "ä", "\t", ",", "\x0b", "\u2028", "'", "\\", "#", "x;y"]


def _read(body: str, reader, **limits) -> tuple[str, object]:
    attrs = {"encoding": "UTF-8", "delimiter": ";", "sheet": None, "notes": []}
    try:
        return "frame", reader(body, ";", 0, "t.csv", attrs, **limits)
    except DataError as err:
        return "error", (str(err), [(p.message, p.row) for p in err.problems])


@pytest.mark.parametrize("chunk", [2, 50_000])
def test_column_reader_reads_what_the_record_reader_reads(monkeypatch, chunk):
    """Random text of delimiters, quotes and line breaks: the same frame (or the same error) by both readers."""
    monkeypatch.setattr(spreadsheets, "_CHUNK_ROWS", chunk)
    rng = random.Random(14)
    fast_used = 0
    for _ in range(3000):
        body = "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(1, 40)))
        limits = {"max_rows": 100, "max_cells": 1_000}
        slow = _read(body, spreadsheets._read_csv_records, **limits)
        columns = _read(body, spreadsheets._read_csv_columns, **limits)
        if columns[0] == "frame" and columns[1] is None:
            continue  # the column reader declined: read_table takes the record reader
        fast_used += 1
        assert columns[0] == slow[0], body
        if slow[0] == "frame":
            pd.testing.assert_frame_equal(columns[1], slow[1])
            assert columns[1].attrs == slow[1].attrs
        else:
            assert columns[1] == slow[1], body
    assert fast_used > 600


def test_limits_and_malformed_rows_read_as_before():
    data = "sep=;\r\nNr;Name\r\n1;a\r\n2;b\r\n3;c\r\n".encode("cp1252")
    with pytest.raises(DataError, match="Die Tabelle hat mehr als 3 Zeilen; erlaubt sind höchstens 3"):
        read_table(data, "t.csv", max_rows=3)
    assert len(read_table(data, "t.csv", max_rows=5)) == 3
    with pytest.raises(DataError, match="mehr als 5 Zellen"):
        read_table(data, "t.csv", max_cells=5)
    wide = b"Nr;Name\n1;a;x\n2;b\n3;c;;;y\n"
    with pytest.raises(DataError) as err:
        read_table(wide, "t.csv")
    assert [(p.row, p.message) for p in err.value.problems] == [
        (2, "Die Zeile hat 3 Felder, die Kopfzeile aber nur 2. Prüfen Sie Trennzeichen (Semikolon) und "
            "Anführungszeichen."),
        (4, "Die Zeile hat 5 Felder, die Kopfzeile aber nur 2. Prüfen Sie Trennzeichen (Semikolon) und "
            "Anführungszeichen."),
    ]


def test_offer_files_have_their_own_row_limit(monkeypatch):
    demo = load_demo()
    data = offer_csv(6, 40, clean=True)
    monkeypatch.setattr(settings, "MAX_TABLE_ROWS", 10)  # other tables' limit: not the offers'
    assert check_upload(data, "standorte.csv", kind="offers", context=demo).ok
    monkeypatch.setattr(settings, "MAX_OFFER_ROWS", 30)
    errors = check_upload(data, "standorte.csv", kind="offers", context=demo).report.errors
    assert errors[0].message.startswith("Die Tabelle hat mehr als 30 Zeilen; erlaubt sind höchstens 30.")


def test_encoding_hints_and_control_characters_count_as_the_regexes_do():
    rng = np.random.default_rng(14)
    pieces = [b"a", b";", b"\xc3\xa4", b"\xe4", b"\xc3", b"\xe2\x80\x9e", b"\xe2\x80", b"\xf0\x9f\x98\x80", b"\xf0",
              b"\x84", b"\xbf", b"\xdf", b"\x01", b"\x0b", b"\x7f", b"\t"]
    for _ in range(3000):
        body = b"".join(pieces[i] for i in rng.integers(len(pieces), size=rng.integers(0, 12)))
        assert text._has_utf8_sequence(body) == bool(text._UTF8_SEQUENCE.search(body)), body
        decoded = body.decode("latin-1")
        assert text._control_count(decoded) == len(text._CONTROL.findall(decoded)), body


def test_a_long_line_is_still_named_and_long_bytes_are_not_a_long_line():
    line = "ä" * text.MAX_LINE_CHARS  # twice as many UTF-8 bytes, but not too long
    text._check_line_length(f"a;b\n{line}\n", "t.csv")
    with pytest.raises(DataError, match=r"t.csv“, Zeile 3: Die Zeile ist mit 100.001 Zeichen extrem lang"):
        text._check_line_length("a;b\n1;2\n" + "x" * (text.MAX_LINE_CHARS + 1) + "\n", "t.csv")
    with pytest.raises(DataError, match=r"Zeile 2: "):  # a line break csv does not split at, str.splitlines does
        text._check_line_length("a\u2028" + "x" * (text.MAX_LINE_CHARS + 1), "t.csv")


# --- merging and the duplicate check: against the functions before issue 14 ---------------------------------------


def _identity_before(frame: pd.DataFrame) -> pd.Series:
    """``_offer_identity`` before issue 14: pandas' string methods over the whole column."""
    joined = (frame[settings.OFFER_NAME].astype("str").fillna("") + " | "
              + frame[settings.OFFER_ADDRESS].astype("str").fillna(""))
    joined = joined.str.casefold().str.replace(r"\s+", " ", regex=True).str.strip()
    return joined.str.replace(r"stra(?:ss|ß)e\b|str\.", "str", regex=True)


def _merge_before(existing: gpd.GeoDataFrame, new: gpd.GeoDataFrame, *, mode: str) -> gpd.GeoDataFrame:
    """``merge_offers`` before issue 14 (sets and a dictionary of positions)."""
    existing = (existing.to_crs(new.crs) if existing.crs else existing).reset_index(drop=True)
    new = new.reset_index(drop=True)
    old_ids = existing[settings.OFFER_ID].astype("str")
    new_ids = new[settings.OFFER_ID].astype("str")
    if mode == "replace":
        keep = ~(existing[settings.OFFER_TYPE].isin(set(new[settings.OFFER_TYPE])) | old_ids.isin(set(new_ids)))
        parts, order = [existing[keep], new], np.arange(int(keep.sum()) + len(new))
    else:
        position = dict(zip(old_ids, range(len(existing)), strict=True))
        keep = ~old_ids.isin(set(new_ids))
        new_order = [position.get(i, len(existing) + j) for j, i in enumerate(new_ids)]
        parts = [existing[keep], new]
        order = np.argsort(np.concatenate([np.flatnonzero(keep.to_numpy()), new_order]), kind="stable")
    merged = pd.concat([part.reset_index(drop=True) for part in parts], ignore_index=True)
    return gpd.GeoDataFrame(merged.iloc[order].reset_index(drop=True), geometry=new.geometry.name, crs=new.crs)


def _duplicates_before(existing: pd.DataFrame, new: pd.DataFrame) -> list:
    """``find_duplicate_offers`` before issue 14."""
    rows = new.index.to_numpy() if new.index.name == "excel_row" else np.arange(len(new)) + 2
    existing_ids = existing[settings.OFFER_ID].astype("str")
    same_id = new[settings.OFFER_ID].astype("str").isin(set(existing_ids)).to_numpy()
    old_named = (existing[settings.OFFER_NAME].astype("str").fillna("").str.strip() != "").to_numpy()
    id_of = dict(zip(_identity_before(existing).to_numpy()[old_named], existing_ids.to_numpy()[old_named],
                     strict=True))
    identity = _identity_before(new)
    named = new[settings.OFFER_NAME].astype("str").fillna("").str.strip().to_numpy() != ""
    same_place = named & ~same_id & identity.isin(set(id_of)).to_numpy()
    return [(int(r), f"„{n}, {a}“ … „{id_of[i]}“") for r, i, n, a in zip(
        rows[same_place], identity.to_numpy()[same_place], new[settings.OFFER_NAME].to_numpy()[same_place],
        new[settings.OFFER_ADDRESS].to_numpy()[same_place], strict=True)]


_TEXTS = ["Kita Sonne", "kita  sonne", "KITA\tSONNE ", " Kita\u00a0Sonne", "Hauptstraße 1", "hauptstrasse 1",
          "Hauptstr. 1", "HAUPTSTRASSEN 1", "Straßeä 2", "Σίσυφος", "ΣΊΣΥΦΟΣ", "ﬀ Zentrum", "ff zentrum", "",
          " ", "a\u2028b", "a\x1cb", "Straße", "strasse\u3000", "x\x00y", "İstanbul", "ß", "SS"]


def _offers(rng: np.random.Generator, n: int, prefix: str, ids: int) -> gpd.GeoDataFrame:
    pick = lambda values: [values[i] for i in rng.integers(len(values), size=n)]  # noqa: E731
    return gpd.GeoDataFrame(
        {
            settings.OFFER_ID: pd.Series([f"{prefix}{i}" for i in rng.integers(ids, size=n)], dtype="str"),
            settings.OFFER_TYPE: pd.Series(pick(["fgz", "familienbuero", "lotsendienst"]), dtype="str"),
            settings.OFFER_NAME: pd.Series(pick(_TEXTS), dtype="str"),
            settings.OFFER_ADDRESS: pd.Series(pick(_TEXTS), dtype="str"),
            settings.OFFER_CAPACITY: rng.integers(0, 9, size=n).astype(float),
        },
        geometry=gpd.points_from_xy(rng.integers(0, 5, size=n), rng.integers(0, 5, size=n)),
        crs=settings.METRIC_CRS,
        index=pd.Index(np.arange(n) + 2, name="excel_row"),
    )


@pytest.mark.parametrize("seed", range(6))
def test_identity_is_the_normalisation_before(seed, monkeypatch):
    rng = np.random.default_rng(seed)
    frame = _offers(rng, 400, "A", 50)
    if seed % 2:  # small chunks: the joined pass across chunk ends
        monkeypatch.setattr(changes_module, "_IDENTITY_CHUNK", 7)
    pd.testing.assert_series_equal(_offer_identity(frame), _identity_before(frame))
    clean = frame[~frame[settings.OFFER_NAME].str.contains("\x00")]  # no separator in the text: the joined pass
    pd.testing.assert_series_equal(_offer_identity(clean), _identity_before(clean))


def test_identity_keeps_the_digits_of_the_text():
    """What lets the duplicate check skip texts whose digits match no offer in use."""
    digits = set("0123456789")
    assert not [c for c in map(chr, range(sys.maxunicode + 1)) if (c in digits) != (set(c.casefold()) & digits != set())
                or (c in digits and c.casefold() != c)]
    frame = _offers(np.random.default_rng(1), 300, "A", 50)
    frame[settings.OFFER_ADDRESS] = frame[settings.OFFER_ADDRESS] + " 12, 59" + frame[settings.OFFER_ID].str[1:]
    identity = _identity_before(frame)
    assert identity.str.replace("[^0-9]+", "", regex=True).tolist() == changes_module._digits(frame).tolist()


def test_other_whitespace_is_what_python_calls_whitespace():
    assert set(_OTHER_WHITESPACE) | {" "} == {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace()}
    assert all(re.fullmatch(r"\s", c) for c in _OTHER_WHITESPACE)


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize("mode", ["update", "replace"])
def test_merge_and_duplicates_as_before(seed, mode):
    """Ids repeated within and across the lists, offers in use under other ids, empty lists."""
    rng = np.random.default_rng(seed)
    existing = _offers(rng, int(rng.integers(0, 60)), "A", 40)
    new = _offers(rng, int(rng.integers(1, 60)), "A" if seed % 2 else "B", 80)
    assert_geodataframe_equal(merge_offers(existing, new, mode=mode), _merge_before(existing, new, mode=mode))
    got = [(p.row, p.message) for p in find_duplicate_offers(existing, new)]
    before = _duplicates_before(existing, new)
    assert [r for r, _ in got] == [r for r, _ in before]
    for (_, message), (_, short) in zip(got, before, strict=True):
        name_address, offer_id = short.split(" … ")
        assert message.startswith(name_address) and f"(Kennung {offer_id})" in message
    if seed == 0:
        assert before, "no duplicate at all: the comparison would prove little"


# --- numbers: plain values and repeated values parsed once --------------------------------------------------------

_GERMAN_DECIMAL = r"^[+-]?(?:\d{1,3}(?:\.\d{3})+|\d*),\d+$"
_ENGLISH_DECIMAL = r"^[+-]?\d{1,3}(?:,\d{3})+\.\d+$"


def _parse_before(series: pd.Series, *, integer: bool = False) -> pd.Series:
    """``parse_number`` before issue 14 (every pattern over every value)."""
    text = series.astype("str")
    text = text.str.replace("[ \t\r\n\u00a0\u2009\u202f']+", "", regex=True).str.replace("\u2212", "-", regex=False)
    text = text.str.replace(r"%$", "", regex=True)
    german = text.str.match(_GERMAN_DECIMAL)
    english = text.str.match(_ENGLISH_DECIMAL)
    thousands = text.str.match(r"^[+-]?\d{1,3}(?:\.\d{3}){2,}$")
    if integer:
        thousands |= text.str.match(r"^[+-]?\d{1,3}\.\d{3}$")
    english_thousands = text.str.match(r"^[+-]?\d{1,3}(?:,\d{3}){2,}$")
    no_points = text.str.replace(".", "", regex=False)
    text = text.mask(german, no_points.str.replace(",", ".", regex=False))
    text = text.mask(thousands, no_points)
    text = text.mask(english | english_thousands, text.str.replace(",", "", regex=False))
    text = text.mask(text.str.contains(",", regex=False), "")
    out = pd.to_numeric(text, errors="coerce").astype("float64")
    return out.where(np.isfinite(out))


_NUMBER_PIECES = ["1", "0", "7", "12", "345", ",", ".", "-", "+", " ", "\u00a0", "%", "\u2212", "e", "x", "٣", "\n",
                  "1.234", ",5", "999999999999999999999", "inf", "nan"]


@pytest.mark.parametrize("repeat", [1, 5])
@pytest.mark.parametrize("integer", [False, True])
def test_numbers_are_read_as_before(repeat, integer):
    """Random number texts (with blanks, and repeated so that distinct values are parsed once): the same floats."""
    rng = random.Random(repeat * 2 + integer)
    values = ["".join(rng.choice(_NUMBER_PIECES) for _ in range(rng.randint(1, 5))) for _ in range(2000)]
    values += [f"{rng.uniform(-1e6, 1e6):.{rng.randint(0, 8)}f}".replace(".", ",") for _ in range(2000)]
    values += [None] * 50
    series = pd.Series(values * repeat, dtype="str", index=pd.Index(np.arange(len(values) * repeat) + 2))
    pd.testing.assert_series_equal(text.parse_number(series, integer=integer), _parse_before(series, integer=integer))
