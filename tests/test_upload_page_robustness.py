"""Daten page: an upload is read once, not on every rerun; an unexpected error shows a German message, no traceback."""

from __future__ import annotations

import json
import logging

import pytest

from app_pages import _shared
from geo.demo import load_demo
from geo.io import boundaries
from tests.apptest import open_page


@pytest.fixture(autouse=True)
def workspace(practice):
    """The page uploads into a practice copy of the demo (the demo itself is read-only)."""
    return practice


def _geojson() -> bytes:
    doc = json.loads(load_demo().districts.to_crs(4326).to_json())
    for f in doc["features"]:
        p = f["properties"]
        f["properties"] = {"SR_NR": p["district_id"], "SR_NAME": p["district_name"], "SB": p["area_name"]}
    return json.dumps(doc).encode()


def test_reruns_do_not_read_the_upload_again(monkeypatch):
    reads: list[str] = []
    original = boundaries.read_boundaries

    def counting(data, filename, **kwargs):
        reads.append(filename)
        return original(data, filename, **kwargs)

    monkeypatch.setattr(boundaries, "read_boundaries", counting)
    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("districts").run()
    at.file_uploader(key="up_file_districts").upload("sr.geojson", _geojson()).run()
    assert not at.exception and at.selectbox(key="up_id_column").value == "SR_NR"
    assert len(reads) == 2  # the column choice, then the check
    at.run()
    at.text_input(key="up_comment").input("nur ein Kommentar").run()
    assert len(reads) == 2  # reruns reuse both
    at.selectbox(key="up_area_name_column").set_value("SB").run()
    assert not at.exception and len(reads) == 3  # other options: checked again, the columns are still known


def test_an_unexpected_error_on_a_page_shows_an_incident_number_not_a_traceback(monkeypatch, caplog):
    def broken():
        raise RuntimeError("/srv/praeventionsatlas/geo/store.py kaputt")

    monkeypatch.setattr(_shared, "load_dataset", broken)
    with caplog.at_level(logging.ERROR, logger="praeventionsatlas.pages"):
        at = open_page("app_pages/3_Daten.py", timeout=120)
    assert not at.exception
    (error,) = at.error
    assert "Fehler-Nr. F-" in error.value and "/srv" not in error.value
    assert any(r.exc_info and r.exc_info[0] is RuntimeError for r in caplog.records)
