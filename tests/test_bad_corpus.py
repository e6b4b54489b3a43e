"""The bad-upload corpus: every file yields exactly the problems ``tests/data/bad/expected.csv`` names,
and no generated CSV text makes :func:`geo.ingest.check_upload` fail with anything but a report."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import geopandas as gpd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo import settings as geo_settings
from geo._errors import DataError, Problem
from geo.demo import load_demo
from geo.ingest import UploadCheck, check_upload, commit_upload
from geo.store import Workspace

BAD = Path(__file__).resolve().parent / "data" / "bad"
#: Cases too big to commit: built here, named like a corpus file.
GENERATED = {
    # 200,010 characters on the first data row.
    "enormous_line.csv": lambda: ("Id;Art;Breite;Länge\nA;" + "x" * 200_008 + "\n").encode(),
}
SUPPORT_FILES = {"expected.csv", "make_corpus.py"}
DEMO = load_demo()


def _expected() -> dict[str, list[dict[str, str]]]:
    with (BAD / "expected.csv").open(encoding="utf-8", newline="") as handle:
        grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
        for row in csv.DictReader(handle, delimiter=";"):
            grouped[row["file"]].append(row)
    return dict(grouped)


EXPECTED = _expected()


def _matches(problem: Problem, expected: dict[str, str]) -> bool:
    row = int(expected["row"]) if expected["row"] else None
    return (
        problem.severity == expected["severity"]
        and problem.row == row
        and expected["fragment"] in problem.message
    )


def test_corpus_and_table_agree():
    files = {p.name for p in BAD.iterdir()} - SUPPORT_FILES
    assert len(files) >= 30
    assert files == set(EXPECTED) - set(GENERATED)


@pytest.fixture(scope="module")
def stored(tmp_path_factory) -> Workspace:
    """A workspace holding one confirmed version of each layer, as a planner's would."""
    ws = Workspace(tmp_path_factory.mktemp("arbeitsbereich"))
    for layer in ("districts", "offers", "indicators"):
        ws.save(layer, getattr(DEMO, layer), filename=f"{layer}.gpkg")
    return ws


def _snapshot(ws: Workspace) -> tuple[bytes, bytes, list]:
    wal = ws.file.with_name(ws.file.name + "-wal")
    return (ws.file.read_bytes(), wal.read_bytes() if wal.exists() else b"",
            ws.history()[["layer", "version", "sha256", "active"]].values.tolist())


def test_a_good_upload_is_stored_as_a_new_version(stored):
    template = (geo_settings.DATA_DIR / "vorlagen" / "angebote.csv").read_bytes()
    check = check_upload(template, "angebote.csv", kind="offers", context=stored.dataset())
    before = stored.history("offers")["version"].max()
    info = commit_upload(stored, check, filename="angebote.csv")
    assert (info.layer, info.version, info.filename) == ("offers", before + 1, "angebote.csv")
    offers = stored.load("offers").set_index(geo_settings.OFFER_ID)
    # by default the template's three ids are updated in their place; nothing is removed
    assert list(offers.index) == DEMO.offers[geo_settings.OFFER_ID].tolist()
    assert offers.loc["FGZ-01", geo_settings.OFFER_NAME] == "FGZ Grundschule Lindenhof"
    stored.restore("offers", before)  # leave the shared workspace as the other tests expect it


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_bad_file_reports_what_the_table_says(name, stored):
    rows = EXPECTED[name]
    data = GENERATED[name]() if name in GENERATED else (BAD / name).read_bytes()
    options = json.loads(rows[0]["options"]) if rows[0]["options"] else None
    check = check_upload(data, name, kind=rows[0]["kind"], context=DEMO, options=options)

    found = "\n".join(f"{p.severity} {p.row}: {p.message}" for p in check.report.problems)
    for expected in rows:
        assert any(_matches(p, expected) for p in check.report.problems), f"missing {expected}\ngot:\n{found}"
    wanted_errors = sum(r["severity"] == "error" for r in rows)
    assert len(check.report.errors) == wanted_errors, found
    assert len(check.report.warnings) == sum(r["severity"] == "warning" for r in rows), found
    assert check.ok is (wanted_errors == 0)
    assert (check.layer is None) is (wanted_errors > 0)
    if wanted_errors:
        before = _snapshot(stored)
        with pytest.raises(DataError, match="nicht gespeichert"):
            commit_upload(stored, check, filename=name)
        assert _snapshot(stored) == before  # the store is byte-for-byte unchanged
        assert stored.check() == []


# --------------------------------------------------------------------------------------------------------------
# Property: arbitrary CSV-like text gives a report, never a crash.

HEADERS = ["Id", "Art", "Typ", "Name", "Breite", "Länge", "lat", "lon", "x", "y", "Rechtswert", "Hochwert",
           "Kapazität", "Adresse", "Straße", "PLZ", "Ort", "EPSG", "", "geometry", "excel_row"]
CELLS = ["fgz", "FGZ", "Familienbüro", "familienbuero", "51,69", "7,78", "415000", "5728000", "32415000",
         "1.234,5", "-", "", " ", '"', '""', "sep=;", "\ufeff", "EPSG:25832", "null", "1e400", "nan", "inf"]


@st.composite
def csv_uploads(draw) -> bytes:
    delimiter = draw(st.sampled_from([";", ",", "\t", "|", " "]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    cell = st.one_of(
        st.sampled_from(CELLS),
        st.from_regex(r"-?\d{1,8}([.,]\d{1,6})?", fullmatch=True),
        st.text(max_size=8),
    )
    if draw(st.booleans()):  # a plausible offers file with some damage, to reach the deeper checks
        header = ["Id", "Art", "Breite", "Länge", *draw(st.lists(st.sampled_from(HEADERS), max_size=2))]
        good = st.tuples(
            st.from_regex(r"[A-Z]\d{1,2}", fullmatch=True),
            st.sampled_from(["fgz", "FGZ", "lotsendienst"]),
            st.sampled_from(["51,69", "51.70", "51,7", "7,78"]),
            st.sampled_from(["7,78", "7.79", "51,69"]),
        )
        rows = [list(r) for r in draw(st.lists(good, min_size=1, max_size=6))]
        rows += draw(st.lists(st.lists(cell, max_size=6), max_size=2))
    else:
        header = draw(st.lists(st.one_of(st.sampled_from(HEADERS), st.text(max_size=6)), max_size=7))
        rows = draw(st.lists(st.lists(cell, max_size=8), max_size=6))
    quote = draw(st.booleans())

    def line(values: list[str]) -> str:
        if quote:
            values = ['"' + v.replace('"', '""') + '"' for v in values]
        return delimiter.join(values)

    text = draw(st.sampled_from(["", "sep=;" + newline, "sep=," + newline]))
    text += newline.join(line(r) for r in [header, *rows])
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16", "latin-1"]))
    data = text.encode(encoding, errors="replace")
    return data + draw(st.one_of(st.just(b""), st.binary(max_size=32)))


@settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=csv_uploads(), suffix=st.sampled_from([".csv", ".txt"]))
def test_any_csv_gives_a_report_never_a_crash(data, suffix):
    try:
        check = check_upload(data, "upload" + suffix, kind="offers", context=DEMO)
    except DataError:  # allowed by the contract, though check_upload reports instead
        return
    assert isinstance(check, UploadCheck)
    assert all(isinstance(p.message, str) and p.message for p in check.report.problems)
    assert all(p.row is None or (isinstance(p.row, int) and p.row >= 1) for p in check.report.problems)
    if check.ok:
        assert isinstance(check.layer, gpd.GeoDataFrame)
        assert check.layer.crs == geo_settings.METRIC_CRS
        assert check.layer[geo_settings.OFFER_ID].is_unique
    else:
        assert check.layer is None and check.report.errors
