"""Regression tests for the five findings of issue 7: each upload ends in a German report, quickly.

The hang-prone cases run in a separate process (``tests.fuzz_cases.run_isolated``), so a regression fails
here after :data:`tests.fuzz_cases.HANG_S` seconds instead of blocking the suite.
"""

from __future__ import annotations

import logging
import re

import pytest

from geo import settings
from geo._errors import DataError
from geo.demo import load_demo
from geo.ingest import check_upload
from geo.io import boundaries, spreadsheets
from tests import fuzz_cases

DEMO = load_demo()


@pytest.fixture(scope="module")
def isolated():
    """Outcomes of the findings, each checked in a worker process with a hang guard."""
    names = [c.name for c in fuzz_cases.finding_cases()]
    outcomes, hung, _ = fuzz_cases.run_isolated(names, workers=2)
    return {o.name: o for o in outcomes}, hung


def _outcome(isolated, name: str):
    outcomes, hung = isolated
    assert name not in hung, f"{name}: no answer within {fuzz_cases.HANG_S} s"
    outcome = outcomes[name]
    assert not outcome.crashes, outcome.crashes
    assert outcome.seconds <= fuzz_cases.CASE_LIMIT_S, f"{name}: {outcome.seconds:.1f} s"
    assert outcome.incidents == 0  # a specific message, not the catch-all "Fehler-Nr."
    return outcome


def test_xlsx_with_malformed_sheet_xml_is_reported():
    check = check_upload(fuzz_cases.malformed_xml_xlsx(), "angebote.xlsx", kind="offers", context=DEMO)
    assert not check.ok
    (error,) = check.report.errors
    assert "lässt sich nicht als Excel-Arbeitsmappe lesen" in error.message
    assert "CSV" in error.message  # what to do instead


def test_zip_with_damaged_deflate_stream_is_reported():
    check = check_upload(fuzz_cases.damaged_deflate_zip(), "sozialraeume.zip", kind="districts", context=DEMO)
    assert not check.ok
    (error,) = check.report.errors
    assert "ist beschädigt" in error.message and "sr.shp" in error.message


@pytest.mark.parametrize("cell, corner, rows", [("XFD1048576", "XFD1048576", "1.048.576"), ("XFD1", "XFD4", "4")])
def test_xlsx_with_a_far_cell_is_refused_before_reading(isolated, cell, corner, rows):
    outcome = _outcome(isolated, f"finding: xlsx cell {cell}")
    assert outcome.results == {"offers": "refused"}
    (message,) = outcome.messages
    assert f"bis Zelle {corner}" in message and f"{rows} Zeilen und 16.384 Spalten" in message
    assert f"höchstens {settings.MAX_TABLE_COLUMNS} Spalten" in message


def test_csv_with_49000_header_columns_is_refused_quickly(isolated):
    outcome = _outcome(isolated, "finding: csv 49000 header columns")
    assert outcome.results == {"offers": "refused", "indicators": "refused"}
    assert all("Zeile 1: Die Kopfzeile hat 49.000 Spalten" in m for m in outcome.messages), outcome.messages
    assert outcome.seconds < 2


def test_zip_whose_dbf_unpacks_to_490_mb_is_refused_unread(isolated):
    outcome = _outcome(isolated, "finding: dbf unpacking to 490 MB")
    assert outcome.results == {"districts": "refused"}
    (message,) = outcome.messages
    assert "entpackt 490 MB" in message
    assert outcome.seconds < 2


def test_the_zip_bomb_is_cheap_to_make_and_really_unpacks_that_big():
    """The synthetic bomb is a real archive: its .dbf streams out as 490 MB (checked on a 20 MB sibling)."""
    import io
    import zipfile

    data = fuzz_cases.dbf_bomb_zip(20 * fuzz_cases.MB)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo("sr.dbf")
        with archive.open(info) as stream:
            total = sum(len(chunk) for chunk in iter(lambda: stream.read(1 << 20), b""))
    assert total == info.file_size >= 20 * fuzz_cases.MB - fuzz_cases.MB
    assert len(fuzz_cases.dbf_bomb_zip()) < 600_000


# ------------------------------------------------------------------------------------------------ the boundary


def test_an_unexpected_failure_becomes_a_german_report_with_an_incident_number(monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise KeyError("/srv/praeventionsatlas/geheim.py")

    monkeypatch.setattr(spreadsheets, "read_table", broken)
    with caplog.at_level(logging.ERROR, logger="geo.ingest"):
        check = check_upload(b"Nr;Art\nA;fgz\n", "angebote.csv", kind="offers", context=DEMO)
    (error,) = check.report.errors
    match = re.search(r"Fehler-Nr\. (F-[0-9a-f]{8})", error.message)
    assert match, error.message
    assert error.message.startswith("Die Datei konnte nicht gelesen werden")
    assert "CSV (UTF-8 oder Excel-CSV)" in error.message
    assert "/srv" not in error.message and "Traceback" not in error.message and "KeyError" not in error.message
    (record,) = caplog.records
    assert match.group(1) in record.getMessage() and record.exc_info[0] is KeyError


def test_a_district_incident_asks_for_a_boundary_format(monkeypatch):
    monkeypatch.setattr(boundaries, "read_boundaries", lambda *a, **k: 1 / 0)
    check = check_upload(b"{}", "sr.geojson", kind="districts", context=DEMO)
    (error,) = check.report.errors
    assert "Fehler-Nr. F-" in error.message and "GeoPackage" in error.message


def test_programming_errors_still_raise():
    with pytest.raises(ValueError, match="unknown options"):
        check_upload(b"x", "a.csv", kind="offers", context=DEMO, options={"nonsense": 1})
    with pytest.raises(DataError):  # DataError is what readers raise; check_upload turns it into a report
        spreadsheets.read_table(fuzz_cases.wide_header_csv(), "a.csv")
