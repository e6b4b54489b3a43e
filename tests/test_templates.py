"""Upload templates: built from the readers' column names, they pass the checks of their layer unchanged."""

from __future__ import annotations

import io
import json
from datetime import date

import pandas as pd
import pytest
from openpyxl import load_workbook
from shapely.geometry import box

from geo import settings
from geo.ingest import check_upload, commit_upload
from geo.ingest.templates import (
    TEMPLATE_KINDS,
    file_name,
    template_bytes,
    template_csv,
    template_xlsx,
    upload_template,
)
from geo.io import EXPLANATION_SHEET, read_table
from geo.store import create_workspace
from tests.conftest import xy

#: Two 1 km squares of a city of its own, ids without leading zero (as a GIS export may have them).
CITY = pd.DataFrame({"sr_nr": ["7", "12"], "sr_name": ["Am Hafen", "Über dem Bach"]})


@pytest.fixture
def city(data_root):
    """A city workspace with boundaries only (no offers, indicators, residents, no definitions)."""
    import geopandas as gpd

    workspace = create_workspace("Teststadt")
    layer = gpd.GeoDataFrame(CITY, geometry=[box(*xy(0, 0), *xy(1000, 1000)), box(*xy(1000, 0), *xy(2000, 1000))],
                             crs=settings.METRIC_CRS)
    check = check_upload(layer.to_json().encode(), "grenzen.geojson", kind="districts", context=workspace.dataset(),
                         options={"id_column": "sr_nr", "name_column": "sr_name"})
    assert check.ok, check.report.errors
    commit_upload(workspace, check, filename="grenzen.geojson")
    return workspace


def _upload(workspace, kind: str, fmt: str):
    dataset = workspace.dataset()
    template = upload_template(kind, dataset)
    return template, check_upload(template_bytes(template, fmt), file_name(template, fmt), kind=kind,
                                  context=dataset)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("kind", ["offers", "indicators", "residents"])
def test_each_table_template_passes_its_checks_unchanged(city, kind, fmt):
    template, check = _upload(city, kind, fmt)
    assert check.ok, check.report.errors
    assert len(check.layer) == 2
    # only the expected remarks: the indicator example covers 2 of the city's 2 districts, so none at all
    assert check.report.warnings == []


def test_the_offer_template_lies_in_the_citys_first_districts(city):
    template, check = _upload(city, "offers", "csv")
    offers = check.layer.set_index(settings.OFFER_ID)
    assert offers[settings.OFFER_TYPE].tolist() == ["familienbuero", "fgz"]  # the first two analysed types
    assert offers[settings.OFFER_CAPACITY].isna().tolist() == [False, True]  # the second example leaves it empty
    districts = city.dataset().districts.set_index(settings.DISTRICT_ID)
    assert districts.loc["7"].geometry.contains(offers.loc["A-001"].geometry)
    assert districts.loc["12"].geometry.contains(offers.loc["A-002"].geometry)


def test_the_indicator_template_has_the_ids_and_the_nrw_indicators(city):
    _, check = _upload(city, "indicators", "csv")
    layer = check.layer.set_index(settings.DISTRICT_ID)
    assert layer[settings.YEAR].tolist() == [date.today().year - 1] * 2  # a city without values: last year
    assert layer[settings.INHABITANTS].to_dict() == {"7": 5400, "12": 3800}
    assert layer[settings.CHILDREN].to_dict() == {"7": 980, "12": 610}
    # the city has no definitions yet: the template offers the NRW indicators, and the check takes them
    assert sorted(check.definitions.index) == ["sgb2_children_quota", "single_parent_share", "unemployment_rate"]
    assert layer["sgb2_children_quota"].to_dict() == {"7": 24.5, "12": 12.0}


def test_the_indicator_template_follows_the_citys_own_definitions(city):
    _, check = _upload(city, "indicators", "xlsx")
    definitions = check.definitions.copy()
    definitions.loc["sgb2_children_quota", "label"] = "Kinderarmut"
    own = city.dataset().with_layers(indicators=check.layer, indicator_definitions=definitions)
    template = upload_template("indicators", own)
    headers = [c.header for c in template.columns]
    assert headers[:4] == ["Sozialraum-Nr.", "Jahr", "Einwohner", "Kinder 0–17"]
    assert "Kinderarmut (%)" in headers and "SGB-II-Quote Kinder unter 15 Jahren (%)" not in headers
    assert template.columns[1].examples == (str(date.today().year - 1),) * 2  # the latest year of the city


def test_csv_is_written_as_a_german_excel_writes_it(city):
    template = upload_template("offers", city.dataset())
    data = template_csv(template)
    assert data.startswith("\ufeff".encode())  # UTF-8 with BOM
    lines = data.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Nr;Angebotsart;Name;Adresse;Kapazität;Rechtswert;Hochwert"
    x, y = xy(500, 500)  # the representative point of the 1 km square "7"
    assert lines[1] == f"A-001;Familienbüro;Familienbüro Am Hafen;Hauptstraße 1;60;{x:.0f},0;{y:.0f},0"
    assert len(lines) == 4 and lines[3] == ""  # two example rows and the closing line break


def test_xlsx_keeps_formula_like_text_as_text_and_explains_every_column(city):
    template = upload_template("indicators", city.dataset())
    first = template.columns[0]
    hostile = type(template)(template.kind, template.title, template.stem,
                             (type(first)(first.header, True, "=HYPERLINK(\"x\")", ("=1+1", "@SUMME(A1)")),
                              *template.columns[1:]))
    book = load_workbook(io.BytesIO(template_xlsx(hostile)))
    assert book.sheetnames == ["Daten", EXPLANATION_SHEET]
    data = book["Daten"]
    assert [c.value for c in data[1]][:2] == ["Sozialraum-Nr.", "Jahr"]
    assert data["A2"].value == "=1+1" and data["A2"].data_type == "s"  # text, not a formula
    assert data["A3"].data_type == "s"
    notes = [[c.value for c in row] for row in book[EXPLANATION_SHEET].iter_rows()]
    header = notes.index(["Spalte", "Pflicht", "Bedeutung", "Beispiel"])
    assert [row[0] for row in notes[header + 1:]] == [c.header for c in hostile.columns]
    assert all(row[2] for row in notes[header + 1:])  # every column has its explanation
    # the reader skips the explanations: the data sheet is read, without a note about further sheets
    table = read_table(template_xlsx(template), "vorlage.xlsx")
    assert table.attrs["sheet"] == "Daten" and table.attrs["notes"] == []


def test_the_boundary_template_is_geojson_with_the_attribute_columns(city):
    template = upload_template("districts", city.dataset())
    assert template.formats == ("geojson",)
    data = template_bytes(template, "geojson")
    features = json.loads(data)["features"]
    assert [f["properties"]["Sozialraum-Nr."] for f in features] == ["7-Beispiel", "12-Beispiel"]
    check = check_upload(data, file_name(template, "geojson"), kind="districts", context=city.dataset())
    assert check.ok, check.report.errors
    assert check.layer[settings.DISTRICT_NAME].tolist() == ["Beispiel Am Hafen", "Beispiel Über dem Bach"]
    assert check.layer[settings.AREA_NAME].tolist() == ["Mitte", "Mitte"]
    areas = check.layer.to_crs(settings.METRIC_CRS).geometry.area.round(-2)
    assert areas.tolist() == [250_000.0, 250_000.0]  # two 500 m squares


def test_templates_exist_without_boundaries(data_root):
    empty = create_workspace("Leerstadt").dataset()
    for kind in TEMPLATE_KINDS:
        template = upload_template(kind, empty)
        for fmt in template.formats:
            assert template_bytes(template, fmt)
    with pytest.raises(ValueError, match="kind must be one of"):
        upload_template("schools", empty)


def test_the_command_line_writes_a_template_that_uploads(city, tmp_path, capsys):
    from geo.cli import main

    out = tmp_path / "standorte.xlsx"
    assert main(["template", "offers", "--format", "xlsx", "--out", str(out), "--workspace", str(city.path)]) == 0
    assert f"Vorlage Angebotsstandorte geschrieben: {out}" in capsys.readouterr().out
    assert main(["upload", "offers", str(out), "--workspace", str(city.path)]) == 0
    assert city.history("offers")["rows"].tolist() == [2]
    assert main(["template", "districts", "--format", "csv", "--workspace", str(city.path)]) == 2
    assert "gibt es als geojson, nicht als csv" in capsys.readouterr().err
