"""Validation of offers, districts and indicators, change summaries, duplicates, and the upload check."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from pyproj import Transformer
from shapely.geometry import GeometryCollection, MultiPolygon, Point, Polygon, box

from geo import catalog, settings
from geo._errors import DataError
from geo.demo import load_demo
from geo.ingest import check_upload
from geo.ingest.changes import ChangeSummary, find_duplicate_offers, removal_warning, summarise_changes
from geo.ingest.columns import detect_coordinate_columns, detect_district_columns
from geo.ingest.districts import validate_districts
from geo.ingest.indicators import validate_indicators
from geo.ingest.offers import validate_offers
from geo.ingest.schools import schools_as_offers
from geo.io import EXCEL_ROW, read_table
from tests.conftest import SHARED_DATA, X0, Y0

OFFER_TYPES = catalog.read_offer_types()
DEFINITIONS = catalog.read_indicator_definitions()
TO_UTM = Transformer.from_crs("EPSG:4326", "EPSG:25832", always_xy=True)
TO_WGS = Transformer.from_crs("EPSG:25832", "EPSG:4326", always_xy=True)
SCHOOLS = SHARED_DATA / "nrw-schulen" / "schuldaten_2021.csv"
VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"


def table(text: str, encoding: str = "utf-8") -> pd.DataFrame:
    return read_table(text.encode(encoding), "test.csv")


def wgs(x: float, y: float) -> tuple[str, str]:
    """Latitude and longitude of a metric point as a German CSV writes them (decimal comma)."""
    lon, lat = TO_WGS.transform(x, y)
    return f"{lat:.7f}".replace(".", ","), f"{lon:.7f}".replace(".", ",")


def messages(report, severity: str | None = None) -> list[str]:
    return [str(p) for p in report.problems if severity is None or p.severity == severity]


# --------------------------------------------------------------------------------------------------------------
# Coordinate columns


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["Id", "lat", "lon"], ("lon", "lat")),
        (["LAT", "LNG"], ("LNG", "LAT")),
        (["Breite", "Länge"], ("Länge", "Breite")),
        (["breite", "LAENGE"], ("LAENGE", "breite")),
        (["Breitengrad", "Längengrad"], ("Längengrad", "Breitengrad")),
        (["Latitude", "Longitude"], ("Longitude", "Latitude")),
        (["X", "Y"], ("X", "Y")),
        (["Rechtswert", "Hochwert"], ("Rechtswert", "Hochwert")),
        (["UTMRechtswert", "UTMHochwert"], ("UTMRechtswert", "UTMHochwert")),
        (["utm_rechtswert", "UTM-Hochwert"], ("utm_rechtswert", "UTM-Hochwert")),
        (["East", "North"], ("East", "North")),
        (["Easting", "Northing"], ("Easting", "Northing")),
        (["rw", "hw"], ("rw", "hw")),
        (["Name", "Ort"], None),
        (["lat", "Ort"], None),
        ([], None),
    ],
)
def test_detect_coordinate_columns(columns, expected):
    assert detect_coordinate_columns(columns) == expected


# --------------------------------------------------------------------------------------------------------------
# Offers: coordinates


def test_wgs84_with_decimal_comma_is_reprojected_like_pyproj():
    result = validate_offers(table("Id;Art;Name;Breite;Länge\nA;fgz;S;51,4812;7,2165\n"), offer_types=OFFER_TYPES)
    assert result.report.problems == []
    assert result.crs_guess.crs == "EPSG:4326" and not result.swapped
    x, y = TO_UTM.transform(7.2165, 51.4812)
    point = result.offers.geometry.iloc[0]
    assert abs(point.x - x) < 0.01 and abs(point.y - y) < 0.01
    assert result.offers.crs == settings.METRIC_CRS


@pytest.mark.parametrize(
    ("crs", "x", "y"),
    [
        ("EPSG:25832", "415000,5", "5728000"),
        ("EPSG:4647", "32393000", "5700000"),
        ("EPSG:31466", "2580000", "5700000"),
        ("EPSG:31467", "3415000", "5728000"),
    ],
)
def test_projected_systems_are_guessed_and_reprojected_like_pyproj(crs, x, y):
    result = validate_offers(table(f"Id;Art;Rechtswert;Hochwert\nA;fgz;{x};{y}\n"), offer_types=OFFER_TYPES)
    assert result.report.problems == []
    assert result.crs_guess.crs == crs
    ex, ey = Transformer.from_crs(crs, "EPSG:25832", always_xy=True).transform(
        float(x.replace(",", ".")), float(y)
    )
    point = result.offers.geometry.iloc[0]
    assert abs(point.x - ex) < 0.01 and abs(point.y - ey) < 0.01


def test_zone_prefix_is_just_an_offset():
    result = validate_offers(table("Id;Art;x;y\nA;fgz;32393000;5700000\n"), offer_types=OFFER_TYPES)
    point = result.offers.geometry.iloc[0]
    assert abs(point.x - 393_000) < 0.01 and abs(point.y - 5_700_000) < 0.01


def test_swapped_utm_columns_are_swapped_back():
    result = validate_offers(table("Id;Art;Rechtswert;Hochwert\nA;fgz;5728000;415000\n"), offer_types=OFFER_TYPES)
    assert result.swapped and result.crs_guess.crs == "EPSG:25832"
    assert result.offers.geometry.iloc[0].equals(Point(415_000, 5_728_000))
    assert len(messages(result.report, "warning")) == 1 and "vertauscht" in messages(result.report)[0]


def test_user_crs_is_used_and_a_swap_still_detected():
    result = validate_offers(table("Id;Art;lat;lon\nA;fgz;7,2165;51,4812\n"), offer_types=OFFER_TYPES,
                             crs="4326")
    assert result.swapped and result.crs_guess.reason == "vom Nutzer angegeben"
    x, y = TO_UTM.transform(7.2165, 51.4812)
    assert result.offers.geometry.iloc[0].distance(Point(x, y)) < 0.01


def test_user_crs_contradicting_the_values_warns():
    result = validate_offers(table("Id;Art;lat;lon\nA;fgz;51,4812;7,2165\n"), offer_types=OFFER_TYPES,
                             crs="EPSG:25832")
    assert [p.severity for p in result.report.problems] == ["warning"]
    assert "passen aber eher zu EPSG:4326" in result.report.problems[0].message


def test_unknown_user_crs_is_an_error():
    result = validate_offers(table("Id;Art;lat;lon\nA;fgz;51,4812;7,2165\n"), offer_types=OFFER_TYPES,
                             crs="EPSG:99999")
    assert "ist unbekannt" in messages(result.report, "error")[0] and result.offers.empty


def test_crs_column_names_the_system():
    text = "Id;Art;x;y;EPSG\nA;fgz;3415000;5728000;EPSG:31467\nB;fgz;3415100;5728000;31467\n"
    result = validate_offers(table(text), offer_types=OFFER_TYPES)
    assert result.crs_guess.crs == "EPSG:31467" and result.crs_guess.reason == "laut Spalte „EPSG“"
    mixed = validate_offers(table(text.replace(";31467", ";EPSG:25832")), offer_types=OFFER_TYPES)
    assert "mehrere Koordinatensysteme" in messages(mixed.report, "error")[0]


def test_unrecognised_values_ask_for_the_crs():
    result = validate_offers(table("Id;Art;x;y\nA;fgz;10;20\n"), offer_types=OFFER_TYPES)
    assert len(result.report.errors) == 1 and "nicht erkannt" in result.report.errors[0].message
    assert "EPSG:25832" in result.report.errors[0].message and result.offers.empty


# --------------------------------------------------------------------------------------------------------------
# Offers: columns, types, all problems at once


def test_german_columns_and_type_labels_cp1252():
    text = (
        "Nr;Angebotsart;Bezeichnung;Straße;Hausnummer;PLZ;Ort;Kapazität;Breite;Länge\n"
        "1;Familienbüro;Büro Süd;Hauptstraße;1;44135;Dortmund;1.200;51,51;7,46\n"
        "2;FGZ;Grundschule Am Ölbach;;;44139;Dortmund;;51,50;7,47\n"
        "3;lotsendienst in der geburtsklinik;Klinik;Weg;2;;;80;51,52;7,45\n"
        "4;KITA-SOZIALARBEIT;Kita;;;;;;51,53;7,44\n"
    )
    result = validate_offers(table(text, "cp1252"), offer_types=OFFER_TYPES)
    assert result.report.problems == []
    offers = result.offers
    assert offers[settings.OFFER_TYPE].tolist() == ["familienbuero", "fgz", "lotsendienst", "kita_sozialarbeit"]
    assert offers[settings.OFFER_NAME].tolist()[:2] == ["Büro Süd", "Grundschule Am Ölbach"]
    assert offers[settings.OFFER_ADDRESS].tolist() == ["Hauptstraße 1, 44135 Dortmund", "44139 Dortmund", "Weg 2", ""]
    assert offers[settings.OFFER_CAPACITY].tolist()[0] == 1200.0 and np.isnan(offers[settings.OFFER_CAPACITY].iloc[1])
    assert list(offers.index) == [2, 3, 4, 5] and offers.index.name == EXCEL_ROW
    assert list(offers.columns) == [settings.OFFER_ID, settings.OFFER_TYPE, settings.OFFER_NAME,
                                    settings.OFFER_ADDRESS, settings.OFFER_CAPACITY, "geometry"]
    assert offers[settings.OFFER_ID].dtype == "str" and offers[settings.OFFER_CAPACITY].dtype == "float64"
    assert result.columns["street"] == "Straße" and result.columns[settings.OFFER_ID] == "Nr"


def test_xlsx_upload_with_numbers_and_text_ids():
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [["Id", "Typ", "Name", "lat", "lon"], ["01", "fgz", "A", 51.4812, 7.2165], [2, "FGZ", "B", 51.5, 7.2]]:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    result = validate_offers(read_table(buffer.getvalue(), "liste.xlsx"), offer_types=OFFER_TYPES)
    assert result.report.problems == []
    assert result.offers[settings.OFFER_ID].tolist() == ["01", "2"]
    x, y = TO_UTM.transform(7.2165, 51.4812)
    assert result.offers.geometry.iloc[0].distance(Point(x, y)) < 0.01


def test_every_problem_of_a_file_at_once(squares):
    inside, sea = wgs(X0 + 500, Y0 + 500), ("54,5", "6,5")
    text = (
        "sep=;\nId;Art;Name;Breite;Länge;Plätze\n"
        f"A;fgz;ok;{inside[0]};{inside[1]};10\n"  # row 3, duplicate of row 6
        f"B;Hort;unbekannt;{inside[0]};{inside[1]};\n"  # row 4
        f"C;fgz;ohne Länge;{inside[0]};;\n"  # row 5
        f"A;fgz;doppelt;{inside[0]};{inside[1]};\n"  # row 6
        f"D;fgz;Nordsee;{sea[0]};{sea[1]};\n"  # row 7, far outside the city
        f"E;fgz;Text;abc;{inside[1]};\n"  # row 8
        f"F;fgz;minus;{inside[0]};{inside[1]};-3\n"  # row 9
        f"G;fgz;gut;{inside[0]};{inside[1]};1.200\n"  # row 10
    )
    result = validate_offers(table(text), offer_types=OFFER_TYPES, districts=squares)
    errors = [(p.row, p.message.split(" Erlaubt")[0]) for p in result.report.errors]
    assert errors == [
        (4, "Die Angebotsart „Hort“ ist unbekannt."),
        (5, "Die Koordinate fehlt (Spalte „Länge“)."),
        (6, "Die Kennung „A“ kommt mehrfach vor (Zeilen 3 und 6)."),
        (7, "Der Standort liegt etwa 347 km außerhalb des Stadtgebiets (erlaubt sind höchstens 5 km). Bitte prüfen "
            "Sie die Koordinaten."),
        (8, "„abc“ in Spalte „Breite“ ist keine Zahl (Koordinate)."),
        (9, "Kapazität „-3“ darf nicht negativ sein."),
    ]
    assert result.report.warnings == []
    assert list(result.offers.index) == [10]
    assert result.offers.loc[10, settings.OFFER_CAPACITY] == 1200.0
    assert result.offers.loc[10].geometry.distance(Point(X0 + 500, Y0 + 500)) < 0.01
    assert "Familienbüro" in result.report.errors[0].message and "„fgz“ (FGZ)" in result.report.errors[0].message


def test_a_single_swapped_row_gets_a_hint(squares):
    lat, lon = wgs(X0 + 1500, Y0 + 500)
    rows = [f"R{i};fgz;{lat};{lon}" for i in range(10)] + [f"S;fgz;{lon};{lat}"]
    result = validate_offers(table("Id;Art;Breite;Länge\n" + "\n".join(rows)), offer_types=OFFER_TYPES,
                             districts=squares)
    assert not result.swapped
    assert [(p.row, p.severity) for p in result.report.problems] == [(12, "error")]
    assert result.report.problems[0].message == (
        f"Länge {lat} und Breite {lon} scheinen vertauscht: getauscht passen sie zu den übrigen Koordinaten "
        "(EPSG:4326).")
    assert list(result.offers.index) == list(range(2, 12))


def test_outside_test_uses_a_5_km_margin(squares):
    near = wgs(X0 + 3000 + 4_900, Y0 + 500)  # 4.9 km east of the last district: a warning
    far = wgs(X0 + 3000 + 5_100, Y0 + 500)  # 5.1 km: an error
    text = f"Id;Art;Breite;Länge\nA;fgz;{near[0]};{near[1]}\nB;fgz;{far[0]};{far[1]}\n"
    result = validate_offers(table(text), offer_types=OFFER_TYPES, districts=squares.to_crs(4326))
    assert [(p.row, p.severity) for p in result.report.problems] == [(2, "warning"), (3, "error")]
    assert "etwa 4,9 km außerhalb des Stadtgebiets" in result.report.problems[0].message
    assert "etwa 5,1 km außerhalb des Stadtgebiets (erlaubt sind höchstens 5 km)" in result.report.problems[1].message


def test_default_type_fills_blanks_and_must_exist():
    text = "Id;Art;lat;lon\nA;;51,4;7,2\nB;fgz;51,4;7,2\n"
    assert validate_offers(table(text), offer_types=OFFER_TYPES, default_type="Lotsendienst").offers[
        settings.OFFER_TYPE].tolist() == ["lotsendienst", "fgz"]
    missing = validate_offers(table(text), offer_types=OFFER_TYPES)
    assert [p.row for p in missing.report.errors] == [2] and "Angebotsart fehlt" in missing.report.errors[0].message
    unknown = validate_offers(table(text), offer_types=OFFER_TYPES, default_type="Hort")
    assert "gewählte Angebotsart „Hort“ ist unbekannt" in unknown.report.errors[0].message
    no_column = validate_offers(table("Id;lat;lon\nA;51,4;7,2\n"), offer_types=OFFER_TYPES, default_type="fgz")
    assert no_column.report.ok and no_column.offers[settings.OFFER_TYPE].tolist() == ["fgz"]


def test_column_map_overrides_names():
    text = "Kennziffer;Kategorie2;Ost;Nord;Titel\nK1;fgz;415000;5728000;Schule\n"
    column_map = {"Kennziffer": settings.OFFER_ID, "Kategorie2": settings.OFFER_TYPE, "Ost": "x", "Nord": "y"}
    result = validate_offers(table(text), offer_types=OFFER_TYPES, column_map=column_map)
    assert result.report.ok and result.offers[settings.OFFER_ID].tolist() == ["K1"]
    assert result.offers[settings.OFFER_NAME].tolist() == ["Schule"]
    bad = validate_offers(table(text), offer_types=OFFER_TYPES, column_map={"Fehlt": settings.OFFER_ID})
    assert "zugeordnete Spalte „Fehlt“" in messages(bad.report)[0]
    with pytest.raises(ValueError, match="unknown column_map target"):
        validate_offers(table(text), offer_types=OFFER_TYPES, column_map={"Ost": "east"})


def test_missing_id_column_numbers_rows_with_a_warning():
    result = validate_offers(table("Art;lat;lon\nfgz;51,4;7,2\n"), offer_types=OFFER_TYPES)
    assert result.report.ok and result.offers[settings.OFFER_ID].tolist() == ["Z2"]
    assert len(result.report.warnings) == 1


def test_input_table_is_not_modified():
    raw = table("Id;Art;lat;lon\nA;FGZ;7,2;51,4\n")
    before = raw.copy()
    validate_offers(raw, offer_types=OFFER_TYPES)
    pd.testing.assert_frame_equal(raw, before)


def test_plain_dataframe_rows_start_at_2():
    raw = pd.DataFrame({"Id": ["A", "A"], "Art": ["fgz", "fgz"], "lat": ["51,4", "51,4"], "lon": ["7,2", "7,2"]})
    result = validate_offers(raw, offer_types=OFFER_TYPES)
    assert "Zeilen 2 und 3" in result.report.errors[0].message


# --------------------------------------------------------------------------------------------------------------
# NRW school file

SCHOOL_HEADER = ("Schulnummer;Schulform;Schulbezeichnung_1;Schulbezeichnung_2;PLZ;Ort;Strasse;Gemeindeschluessel;"
                 "EPSG;UTMRechtswert;UTMHochwert")


def test_schools_as_offers_keeps_primary_schools():
    text = (
        f"sep=;\n{SCHOOL_HEADER}\n"
        '"100020";"02";"Städt. Grundschule";"Kartause";"40468";"Düsseldorf";"Unterrather Str. 76";"05111000";'
        '"EPSG:25832";"344000";"5680000"\n'
        '"100030";"10";"Gymnasium";"";"40468";"Düsseldorf";"Weg 1";"05111000";"EPSG:25832";"344100";"5680000"\n'
        '"100040";"2";"GS Ost";"";"44135";"Dortmund";"";"05913000";"EPSG:25832";"393000";"5707000"\n'
    )
    raw = table(text)
    offers = schools_as_offers(raw)
    assert offers[settings.OFFER_ID].tolist() == ["100020", "100040"] and list(offers.index) == [3, 5]
    assert offers[settings.OFFER_NAME].tolist() == ["Städt. Grundschule Kartause", "GS Ost"]
    assert offers[settings.OFFER_ADDRESS].tolist() == ["Unterrather Str. 76, 40468 Düsseldorf", "44135 Dortmund"]
    result = validate_offers(offers, offer_types=OFFER_TYPES)
    assert result.report.ok and result.crs_guess.reason == "laut Spalte „EPSG“"
    assert result.offers.geometry.iloc[0].equals(Point(344_000, 5_680_000))
    assert schools_as_offers(raw, gemeindeschluessel="05913")[settings.OFFER_ID].tolist() == ["100040"]
    with pytest.raises(DataError, match="keine Schulen der Schulform „30“"):
        schools_as_offers(raw, schulform="30")
    with pytest.raises(DataError, match="Aufbau der NRW-Schuldaten"):
        schools_as_offers(table("Id;lat;lon\nA;1;2\n"))


def test_school_file_through_check_upload(small_dataset):
    text = (f"sep=;\n{SCHOOL_HEADER}\n"
            '"1";"02";"GS";"";"1";"O";"S";"0";"EPSG:25832";"400500";"5700500"\n'
            '"2";"02";"GS 2";"";"1";"O";"S";"0";"EPSG:25832";"401500";"5700500"\n').encode()
    check = check_upload(text, "schulen.csv", kind="offers", context=small_dataset,
                         options={"offer_type": "Familienzentrum"})
    # Replace per type: the two uploaded Familienzentren join the FGZ already in use.
    assert check.ok and check.layer[settings.OFFER_TYPE].tolist() == ["fgz"] * 2 + ["familienzentrum"] * 2
    assert messages(check.report) == ["NRW-Schuldatei erkannt: 2 Schulen der Schulform 02 werden als Standorte "
                                      "„Familienzentrum“ übernommen."]
    check = check_upload(text, "schulen.csv", kind="offers", context=small_dataset, options={"offer_type": "Hort"})
    assert not check.ok and len(check.report.problems) == 1
    assert "Angebotsart „Hort“ für die Schulen ist unbekannt" in check.report.problems[0].message


def _independent_school_rows(ags: str | None = None) -> dict[str, tuple[float, float]]:
    with SCHOOLS.open(encoding="utf-8", newline="") as handle:
        handle.readline()  # sep=;
        rows = csv.DictReader(handle, delimiter=";")
        return {
            r["Schulnummer"]: (float(r["UTMRechtswert"]), float(r["UTMHochwert"]))
            for r in rows
            if r["Schulform"] == "02" and (ags is None or r["Gemeindeschluessel"] == ags)
        }


@pytest.mark.shared
@pytest.mark.skipif(not SCHOOLS.exists(), reason="../shared/data/nrw-schulen/schuldaten_2021.csv not present")
def test_real_nrw_school_file_imports_primary_schools_as_fgz():
    demo = load_demo()
    data = SCHOOLS.read_bytes()
    expected = _independent_school_rows()
    assert len(expected) == 2793
    # The file covers all of NRW: only the schools within 5 km of the city's districts are taken, the rest are
    # left out with one warning (not one error per school).
    outline = demo.districts.union_all()
    near = {n for n, xy in expected.items() if outline.distance(Point(*xy)) <= settings.MAX_DISTANCE_OUTSIDE_M}
    check = check_upload(data, SCHOOLS.name, kind="offers", context=demo, options={"mode": "replace"})
    others = (demo.offers[settings.OFFER_TYPE] != "fgz").sum()  # the other types stay in use
    assert check.ok and len(check.layer) == len(near) + others and len(near) == 47
    assert set(check.layer.loc[check.layer[settings.OFFER_TYPE] == "fgz", settings.OFFER_ID]) == near
    assert check.crs_guess.crs == "EPSG:25832"
    assert check.changes.removed == sorted(demo.offers.query("offer_type == 'fgz'")[settings.OFFER_ID])
    layer = check.layer.set_index(settings.OFFER_ID)
    for number in sorted(near):
        assert layer.loc[number].geometry.equals(Point(*expected[number]))
    left_out = f"{2793 - 47} Standort(e) liegen weiter als 5 km von allen Sozialräumen entfernt"
    assert sum(p.message.startswith(left_out) for p in check.report.warnings) == 1
    outside = [p for p in check.report.warnings if "außerhalb des Stadtgebiets" in p.message]
    assert len(check.report.warnings) == len(outside) + 2  # plus the note "NRW-Schuldatei erkannt"
    assert outside and all(p.row >= 3 for p in outside)  # the sep=; line is row 1, the header row 2


@pytest.mark.shared
@pytest.mark.skipif(not (SCHOOLS.exists() and VG5000.exists()), reason="../shared/data (schools, VG5000) not present")
def test_real_school_file_of_one_municipality_against_its_boundary():
    from dataclasses import replace

    demo = load_demo()
    data = SCHOOLS.read_bytes()
    municipalities = gpd.read_file(VG5000)
    dortmund = municipalities[municipalities["AGS"] == "05913000"].to_crs(settings.METRIC_CRS)
    districts = gpd.GeoDataFrame({settings.DISTRICT_ID: ["05913000"], settings.DISTRICT_NAME: ["Dortmund"],
                                  settings.AREA_ID: [""], settings.AREA_NAME: [""]},
                                 geometry=dortmund.geometry.to_numpy(), crs=settings.METRIC_CRS)
    options = {"gemeindeschluessel": "05913000", "mode": "replace"}
    check = check_upload(data, SCHOOLS.name, kind="offers", context=replace(demo, districts=districts),
                         options=options)
    assert check.ok
    fgz = check.layer[check.layer[settings.OFFER_TYPE] == "fgz"]
    assert sorted(fgz[settings.OFFER_ID]) == sorted(_independent_school_rows("05913000"))
    # Dortmund's schools against Musterstadt's districts: another city, an error per school, nothing to store.
    wrong = check_upload(data, SCHOOLS.name, kind="offers", context=demo, options=options)
    assert wrong.layer is None and wrong.report.errors
    assert all("außerhalb des Stadtgebiets (erlaubt sind höchstens 5 km)" in p.message and p.row >= 3
               for p in wrong.report.errors)


# --------------------------------------------------------------------------------------------------------------
# Districts


def _layer(geoms, ids=None, crs="EPSG:25832", **columns) -> gpd.GeoDataFrame:
    ids = ids if ids is not None else [f"0{i + 1}" for i in range(len(geoms))]
    data = {"sr": ids, "name": [f"Gebiet {i}" for i in ids], **columns}
    return gpd.GeoDataFrame(data, geometry=list(geoms), crs=crs)


def square_at(i: int) -> Polygon:
    return box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000)


def test_valid_districts_in_canonical_form():
    gdf = _layer([square_at(0), square_at(1)], sb=["1", "1"], sbname=["Mitte", "Mitte"]).to_crs(4326)
    out, report = validate_districts(gdf, id_column="sr", name_column="name", area_id_column="sb",
                                     area_name_column="sbname")
    assert report.problems == []
    assert list(out.columns) == [settings.DISTRICT_ID, settings.DISTRICT_NAME, settings.AREA_ID,
                                 settings.AREA_NAME, "geometry"]
    assert out.crs == settings.METRIC_CRS and out[settings.DISTRICT_ID].tolist() == ["01", "02"]
    assert np.allclose(out.total_bounds, [X0, Y0, X0 + 2000, Y0 + 1000], atol=0.01)
    assert out[settings.AREA_NAME].tolist() == ["Mitte", "Mitte"]


def test_bowtie_is_repaired_with_a_warning():
    bowtie = Polygon([(X0, Y0), (X0 + 2000, Y0 + 2000), (X0 + 2000, Y0), (X0, Y0 + 2000)])
    out, report = validate_districts(_layer([bowtie, square_at(3)]), id_column="sr", name_column="name")
    assert [(p.row, p.severity) for p in report.problems] == [(2, "warning")]
    assert "„01“: ungültige Geometrie (Selbstüberschneidung) wurde automatisch repariert" in report.problems[0].message
    repaired = out.geometry.iloc[0]
    assert isinstance(repaired, MultiPolygon) and repaired.is_valid
    assert repaired.area == pytest.approx(2_000_000.0)  # two triangles of 1 km² each


def test_collections_keep_their_polygons_and_points_are_errors():
    collection = GeometryCollection([square_at(0), Point(X0, Y0)])
    out, report = validate_districts(_layer([collection, Point(X0, Y0), square_at(2)]), id_column="sr",
                                     name_column="name")
    assert [(p.row, p.severity) for p in report.problems] == [(2, "warning"), (3, "error")]
    assert "keine Fläche, sondern ein Punkt" in report.problems[1].message
    assert out.geometry.iloc[0].area == pytest.approx(1e6)


def test_a_layer_of_points_gets_one_error():
    out, report = validate_districts(_layer([Point(X0, Y0), Point(X0 + 1, Y0)]), id_column="sr", name_column="name")
    assert messages(report) == ["Die Datei enthält keine Flächen (Polygone), sondern 2× ein Punkt. Sozialräume "
                                "müssen als Flächen vorliegen; Standorte (Punkte) laden Sie bitte als Angebote hoch."]
    assert out.empty


def test_district_errors_collected():
    gdf = _layer([square_at(0), square_at(1), None, square_at(3), Polygon()], ids=["01", "01", "03", None, "05"])
    gdf.loc[0, "name"] = None
    out, report = validate_districts(gdf, id_column="sr", name_column="name")
    assert [(p.row, p.severity, p.message) for p in report.problems] == [
        (3, "error", "Die Sozialraum-Nr. „01“ kommt mehrfach vor (Zeilen 2 und 3)."),
        (4, "error", "Sozialraum „03“ hat keine Geometrie."),
        (5, "error", "Die Sozialraum-Nr. fehlt."),
        (6, "error", "Sozialraum „05“ hat keine Geometrie."),
    ]
    assert out.empty


def test_missing_crs_and_columns():
    out, report = validate_districts(_layer([square_at(0)], crs=None), id_column="sr", name_column="name")
    assert "kein Koordinatensystem" in messages(report)[0] and out.empty
    out, report = validate_districts(_layer([square_at(0)]), id_column="SR_NR", name_column="name")
    assert "„SR_NR“ fehlen" in messages(report)[0] and "Vorhanden: „sr“, „name“" in messages(report)[0]


def test_numeric_ids_and_blank_names():
    gdf = _layer([square_at(0), square_at(1)], ids=[101, 102])
    gdf["sr_float"] = [101.0, 102.0]
    gdf.loc[1, "name"] = "  "
    out, report = validate_districts(gdf, id_column="sr_float", name_column="name")
    assert out[settings.DISTRICT_ID].tolist() == ["101", "102"]
    assert out[settings.DISTRICT_NAME].tolist() == ["Gebiet 101", "102"]
    assert [(p.row, p.severity) for p in report.problems] == [(3, "warning")]


# --------------------------------------------------------------------------------------------------------------
# Indicators

def _validated(raw, **kwargs):
    upload = validate_indicators(raw, **kwargs)
    return upload.layer, upload.report


IND_HEAD = "Sozialraum-Nr;Jahr;Einwohner;Kinder;sgb2_children_quota;Arbeitslosenquote;single_parent_share"


def test_demo_indicator_file_validates_to_the_demo_values():
    demo = load_demo()
    raw = read_table((settings.DEMO_DIR / "indikatoren.csv").read_bytes(), "indikatoren.csv")
    out, report = _validated(raw, districts=demo.districts, indicator_definitions=DEFINITIONS)
    assert report.problems == []
    expected = demo.indicators.reset_index(drop=True)
    pd.testing.assert_frame_equal(out.reset_index(drop=True), expected, check_dtype=False)
    assert out[settings.YEAR].dtype == "int64" and out[settings.INHABITANTS].dtype == "int64"


def test_ids_without_leading_zeros_match_where_unambiguous(squares):
    raw = table(f"{IND_HEAD}\n1;2024;1000;100;10,5;4;15\n2;2024;2000;250;40,0 %;14;35\n03;2024;1500;80;16;6;19\n")
    out, report = _validated(raw, districts=squares, indicator_definitions=DEFINITIONS)
    assert out[settings.DISTRICT_ID].tolist() == ["01", "02", "03"]
    assert out["sgb2_children_quota"].tolist() == [10.5, 40.0, 16.0]
    assert out["unemployment_rate"].tolist() == [4.0, 14.0, 6.0]  # found by its label "Arbeitslosenquote"
    assert messages(report) == ["2 Kennung(en) wurden ohne führende Nullen zugeordnet (z. B. 1 → 01, 2 → 02)."]


def test_ambiguous_ids_need_the_exact_spelling(squares):
    districts = squares.assign(**{settings.DISTRICT_ID: ["01", "001", "02"]})
    raw = table(f"{IND_HEAD}\n1;2024;1000;100;10;4;15\n01;2024;1000;100;10;4;15\n2;2024;2000;250;40;14;35\n")
    out, report = _validated(raw, districts=districts, indicator_definitions=DEFINITIONS)
    assert out[settings.DISTRICT_ID].tolist() == ["01", "02"]
    assert messages(report) == [
        "1 Kennung(en) passen zu keinem Sozialraum und werden nicht übernommen: „1“ (Zeile 2).",
        "1 Kennung(en) wurden ohne führende Nullen zugeordnet (z. B. 2 → 02).",
        "Für 1 Sozialräume fehlen Werte für 2024: „001“.",
    ]


def test_indicator_value_problems_per_row_and_column(squares):
    raw = table(
        f"{IND_HEAD}\n"
        "01;2024;1.000;100;viel;4;15\n"  # row 2: text in a percentage
        "02;2024;2000;2500;40;-;35\n"  # row 3: more children than inhabitants; "-" is a gap
        "03;20x4;1500;80;120,5;.;19\n"  # row 4: bad year and 120.5 %
        "01;2023;;80;16;6;x\n"  # row 5: inhabitants missing, "x" is a gap
    )
    out, report = _validated(raw, districts=squares, indicator_definitions=DEFINITIONS)
    assert [(p.row, p.message) for p in report.errors] == [
        (2, "Spalte „sgb2_children_quota“: „viel“ ist keine Zahl."),
        (3, "Es sind mehr Kinder als Einwohnerinnen und Einwohner angegeben."),
        (4, "„20x4“ ist kein gültiges Jahr."),
        (4, "Spalte „sgb2_children_quota“: 120,5 % liegt nicht zwischen 0 und 100."),
        (5, "Spalte „Einwohner“: Der Wert fehlt."),
    ]
    assert out.empty
    # Gaps in rows that have errors anyway are not reported twice.
    assert report.warnings == []


def test_gaps_year_parameter_and_column_map(squares):
    raw = table("SR;EW;Kinder u15;Quote;AL;AE\n01;1000;100;10;4;15\n02;2000;250;40;–;35\n03;1500;80;16;6;19\n")
    column_map = {"EW": "inhabitants", "Kinder u15": "children", "Quote": "sgb2_children_quota",
                  "AL": "unemployment_rate", "AE": "single_parent_share"}
    out, report = _validated(raw, districts=squares, indicator_definitions=DEFINITIONS, id_column="SR",
                                      year=2025, column_map=column_map)
    assert report.errors == [] and out[settings.YEAR].tolist() == [2025] * 3
    assert messages(report) == ["„–“ (keine Angabe) als fehlende Werte gelesen: Spalte „AL“ (Zeile 3)."]
    assert np.isnan(out["unemployment_rate"].iloc[1]) and out[settings.INHABITANTS].tolist() == [1000, 2000, 1500]


def test_missing_columns_and_year(squares):
    out, report = _validated(table("Sozialraum;X\n01;1\n"), districts=squares,
                                      indicator_definitions=DEFINITIONS)
    # Only the id and the year are required; missing counts and stored indicators are warnings.
    assert [p.message for p in report.errors] == [
        "Das Jahr fehlt: Die Datei hat keine Spalte „Jahr“. Bitte geben Sie das Jahr der Werte an."]
    assert len(report.warnings) == 3  # inhabitants, children, the three stored indicators in one
    assert out.empty


# --------------------------------------------------------------------------------------------------------------
# Change summaries and duplicates


def test_summarise_changes_compares_attributes_and_geometry(two_offers):
    new = two_offers.copy()
    new.loc[0, "geometry"] = Point(X0 + 501, Y0 + 500)  # moved 1 m: changed
    new.loc[1, "geometry"] = Point(X0 + 2500.001, Y0 + 500)  # moved 1 mm: unchanged
    new = pd.concat([new, two_offers.iloc[[0]].assign(offer_id="F3")], ignore_index=True)
    summary = summarise_changes(two_offers, new, key=settings.OFFER_ID)
    assert (summary.added, summary.changed, summary.removed, summary.unchanged) == (["F3"], ["F1"], [], 1)
    assert str(summary) == "1 neu, 1 geändert, 0 entfernt, 1 unverändert"
    renamed = two_offers.assign(name=["FGZ West", "FGZ Mitte"]).iloc[1:]
    summary = summarise_changes(two_offers, renamed.to_crs(4326), key=settings.OFFER_ID)
    assert (summary.added, summary.changed, summary.removed) == ([], ["F2"], ["F1"])
    assert summarise_changes(None, two_offers, key=settings.OFFER_ID).added == ["F1", "F2"]
    assert not summarise_changes(two_offers, two_offers.copy(), key=settings.OFFER_ID).has_changes


def test_summarise_changes_with_a_composite_key(indicators):
    new = indicators.copy()
    new.loc[1, "unemployment_rate"] = 14.5
    new.loc[2, settings.YEAR] = 2025
    summary = summarise_changes(indicators, new, key=[settings.DISTRICT_ID, settings.YEAR])
    assert summary.added == ["03 / 2025"] and summary.changed == ["02 / 2024"] and summary.removed == ["03 / 2024"]


def test_find_duplicate_offers(two_offers):
    new = gpd.GeoDataFrame(
        {settings.OFFER_ID: ["F2", "N1", "N2"], settings.OFFER_TYPE: ["fgz"] * 3,
         settings.OFFER_NAME: ["x", " fgz  WEST ", "FGZ West"], settings.OFFER_ADDRESS: ["", "weg 1", "Weg 9"],
         settings.OFFER_CAPACITY: [np.nan] * 3},
        geometry=[Point(0, 0)] * 3, crs=settings.METRIC_CRS,
    )
    problems = find_duplicate_offers(two_offers, new)
    # F2 is an update of F2, not a duplicate; N2 is F1's name and address under another id
    assert [(p.row, p.severity) for p in problems] == [(3, "warning")]
    assert "Kennung „F1“" in problems[0].message and "doppelt eingetragen" in problems[0].message
    street = two_offers.assign(address=["Lange Straße 3", "x"])
    moved = new.assign(address=["", "lange str. 3", ""])
    assert [p.row for p in find_duplicate_offers(street, moved)] == [3]


# --------------------------------------------------------------------------------------------------------------
# check_upload


def _csv_points(rows: list[tuple[str, str, float, float]]) -> bytes:
    lines = ["Id;Art;Name;Breite;Länge"]
    for offer_id, kind, x, y in rows:
        lat, lon = wgs(x, y)
        lines.append(f"{offer_id};{kind};{offer_id};{lat};{lon}")
    return "\n".join(lines).encode("cp1252")


def test_check_upload_offers_update_by_default_and_replace_on_request(small_dataset):
    before = small_dataset.offers.copy()
    # F1 moves from A's centre to B's, N1 is new; F2 is not in the file
    data = _csv_points([("F1", "fgz", X0 + 1500, Y0 + 500), ("N1", "familienbuero", X0 + 1500, Y0 + 500)])
    check = check_upload(data, "angebote.csv", kind="offers", context=small_dataset)
    assert check.ok and check.report.problems == []
    assert (check.changes.added, check.changes.changed, check.changes.removed) == (["N1"], ["F1"], [])
    assert check.layer[settings.OFFER_ID].tolist() == ["F1", "F2", "N1"]  # F1 updated in its place
    assert check.layer.geometry.x.round(0).tolist() == [X0 + 1500, X0 + 2500, X0 + 1500]
    assert check.layer[settings.OFFER_NAME].tolist() == ["F1", "FGZ Ost", "N1"]
    assert isinstance(check.layer.index, pd.RangeIndex) and check.info["Zeichenkodierung"] == "Windows-1252"
    assert check_upload(data, "angebote.csv", kind="offers", context=small_dataset,
                        options={"mode": "update"}).layer.equals(check.layer)

    replaced = check_upload(data, "angebote.csv", kind="offers", context=small_dataset, options={"mode": "replace"})
    assert replaced.ok and replaced.layer[settings.OFFER_ID].tolist() == ["F1", "N1"]  # the FGZ list replaced
    assert (replaced.changes.added, replaced.changes.changed, replaced.changes.removed) == (["N1"], ["F1"], ["F2"])
    assert removal_warning(small_dataset.offers, replaced.changes) == "1 Angebot wird entfernt: FGZ Ost."
    assert removal_warning(small_dataset.offers, check.changes) is None
    with pytest.raises(ValueError, match="mode must be one of"):
        check_upload(data, "angebote.csv", kind="offers", context=small_dataset, options={"mode": "append"})
    pd.testing.assert_frame_equal(small_dataset.offers, before)  # the context is untouched


def test_replace_drops_an_id_of_the_file_from_another_type(small_dataset):
    # F2 comes back as a Familienbüro: the replaced FGZ list and the new type must not both hold F2
    data = _csv_points([("F2", "familienbuero", X0 + 2500, Y0 + 500)])
    check = check_upload(data, "angebote.csv", kind="offers", context=small_dataset, options={"mode": "replace"})
    assert check.layer[settings.OFFER_ID].tolist() == ["F1", "F2"]
    assert check.layer[settings.OFFER_TYPE].tolist() == ["fgz", "familienbuero"]


def test_removal_warning_names_at_most_fifty(small_dataset):
    offers = pd.concat([small_dataset.offers] * 30, ignore_index=True)
    offers[settings.OFFER_ID] = [f"X{i}" for i in range(60)]
    offers[settings.OFFER_NAME] = [f"Angebot {i}" if i != 1 else " " for i in range(60)]
    changes = ChangeSummary([], [], [f"X{i}" for i in range(55)], 5)
    text = removal_warning(offers, changes)
    assert text.startswith("55 Angebote werden entfernt: Angebot 0, X1, Angebot 2, ")  # no name: the id
    assert text.endswith(", Angebot 49 … und 5 weitere.")


def test_check_upload_districts_roundtrip_of_the_demo():
    demo = load_demo()
    doc = json.loads(demo.districts.to_crs(4326).to_json())
    for f in doc["features"]:
        f["properties"] = {"SR_NR": f["properties"]["district_id"], "Name": f["properties"]["district_name"],
                           "Stadtbezirk": f["properties"]["area_name"]}
    check = check_upload(json.dumps(doc).encode(), "sr.geojson", kind="districts", context=demo)
    assert check.ok, messages(check.report)
    assert check.changes.added == [] and check.changes.removed == []
    assert check.changes.changed == demo.districts[settings.DISTRICT_ID].tolist()  # area_id is not in the file
    assert check.layer.crs == settings.METRIC_CRS and check.crs_guess.crs == "EPSG:4326"
    assert np.allclose(check.layer.total_bounds, demo.districts.total_bounds, atol=0.01)


def test_check_upload_districts_without_names_uses_the_ids(small_dataset):
    doc = json.loads(small_dataset.districts[["district_id", "geometry"]].to_json())
    for f in doc["features"]:
        f["properties"] = {"SR_NR": f["properties"]["district_id"]}
    check = check_upload(json.dumps(doc).encode(), "sr.geojson", kind="districts", context=small_dataset)
    assert check.ok and check.layer[settings.DISTRICT_NAME].tolist() == ["01", "02", "03"]
    assert [p.severity for p in check.report.problems] == ["warning"]
    assert "Sozialraum-Nummern werden als Namen verwendet" in check.report.problems[0].message
    # Same ids and shapes, but names and Stadtbezirke differ from the layer in use: all three changed.
    assert check.changes.changed == ["01", "02", "03"]


def test_check_upload_indicators_compares_the_years_in_the_file():
    demo = load_demo()
    text = (settings.DEMO_DIR / "indikatoren.csv").read_text(encoding="utf-8").splitlines()
    only_2024 = "\n".join([text[0]] + [line for line in text[1:] if ";2024;" in line])
    only_2024 = only_2024.replace("0101;2024;", "101;2024;")
    check = check_upload(only_2024.encode(), "ind.csv", kind="indicators", context=demo)
    assert check.ok and check.info["Jahre"] == "2024"
    assert not check.changes.has_changes and check.changes.unchanged == 57
    assert messages(check.report) == ["1 Kennung(en) wurden ohne führende Nullen zugeordnet (z. B. 101 → 0101)."]


def test_the_upload_templates_pass():
    demo = load_demo()
    template = (settings.DATA_DIR / "vorlagen" / "angebote.csv").read_bytes()
    offers = check_upload(template, "angebote.csv", kind="offers", context=demo)
    assert offers.ok and offers.report.problems == []
    # By default the template's three ids are updated and nothing is removed.
    assert offers.layer[settings.OFFER_ID].tolist() == demo.offers[settings.OFFER_ID].tolist()
    assert (len(offers.changes.added), len(offers.changes.removed)) == (0, 0)
    # Replacing: the template's three types are replaced; the demo's clinics without a Lotsendienst and its
    # Grundschulen stay.
    replaced = check_upload(template, "angebote.csv", kind="offers", context=demo, options={"mode": "replace"})
    assert replaced.layer[settings.OFFER_TYPE].tolist() == (
        ["geburtsklinik"] * 2 + ["grundschule"] * 45 + ["familienbuero", "fgz", "lotsendienst"]
    )
    indicators = check_upload((settings.DATA_DIR / "vorlagen" / "indikatoren.csv").read_bytes(), "indikatoren.csv",
                              kind="indicators", context=demo)
    # 2023 is replaced by the template's four rows; 2024 stays as it is.
    assert indicators.ok and len(indicators.layer) == 4 + 57
    assert indicators.info["Weitere Jahre (bleiben)"] == "2024"
    guessed, coverage = messages(indicators.report)
    assert "„Alleinerziehende (%)“ als „Anteil Alleinerziehender“" in guessed
    assert "„SGB-II-Quote Kinder u15 (%)“ als „SGB-II-Quote Kinder unter 15 Jahren“" in guessed
    assert coverage.startswith("Für 53 Sozialräume fehlen Werte für 2023")
    expected = demo.indicators[demo.indicators[settings.YEAR] == 2023].head(4).reset_index(drop=True)
    uploaded = indicators.layer[indicators.layer[settings.YEAR] == 2023].reset_index(drop=True)
    pd.testing.assert_frame_equal(uploaded, expected, check_dtype=False)


def test_check_upload_refuses_big_files_and_bad_arguments(small_dataset, monkeypatch):
    monkeypatch.setattr(settings, "MAX_UPLOAD_BYTES", 10)
    check = check_upload(b"x" * 11, "a.csv", kind="offers", context=small_dataset)
    assert not check.ok and "höchstens" in check.report.errors[0].message
    with pytest.raises(ValueError, match="unknown options"):
        check_upload(b"x", "a.csv", kind="offers", context=small_dataset, options={"id_column": "x"})
    with pytest.raises(ValueError, match="kind must be"):
        check_upload(b"x", "a.csv", kind="wohnungen", context=small_dataset)


@pytest.mark.parametrize(
    ("limit_mb", "size_bytes", "expected"),
    [
        (50, 52 * 1024**2 + 1, "Die Datei ist 52,0 MB groß; erlaubt sind höchstens 50 MB."),
        (2, 2_621_440, "Die Datei ist 2,5 MB groß; erlaubt sind höchstens 2 MB."),
        (1.5, 1_600_000, "Die Datei ist 1,5 MB groß; erlaubt sind höchstens 1,5 MB."),
    ],
    ids=["50-MB", "2-MB", "1,5-MB"],
)
def test_big_file_message_is_one_german_sentence(small_dataset, monkeypatch, limit_mb, size_bytes, expected):
    monkeypatch.setattr(settings, "MAX_UPLOAD_BYTES", int(limit_mb * 1024**2))
    check = check_upload(b"x" * size_bytes, "a.csv", kind="offers", context=small_dataset)
    assert [p.message for p in check.report.errors] == [expected]




@pytest.mark.shared
@pytest.mark.skipif(not VG5000.exists(), reason="../shared/data/vg5000 (BKG VG5000 Shapefile) not present")
def test_real_vg5000_shapefile_zip_in_gauss_krueger():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(VG5000.parent.glob("VG5000_GEM.*")):
            archive.writestr(part.name, part.read_bytes())
    demo = load_demo()
    check = check_upload(buffer.getvalue(), "vg5000.zip", kind="districts", context=demo)
    assert check.ok and len(check.layer) == 10_997
    assert check.crs_guess.crs == "EPSG:31467" and check.layer.crs == settings.METRIC_CRS
    repaired = [p for p in check.report.warnings if "automatisch repariert" in p.message]
    assert [p.row for p in repaired] == [8084, 10729, 10968]  # AGS 09677452, 16071004, 16076039
    assert check.layer[settings.DISTRICT_ID].str.len().eq(8).all()  # AGS keep their leading zero
    assert "Münster" in set(check.layer[settings.DISTRICT_NAME])  # the .cpg (UTF-8) is honoured
    assert check.layer.geometry.is_valid.all()


@pytest.mark.parametrize(
    ("columns", "name"), [(["SR_NR", "SR_NAME"], "SR_NAME"), (["id", "Nr", "Gebiet_Bez"], "Gebiet_Bez"),
                          (["SR_NR", "Name"], "Name"), (["SR_NR", "Flaeche"], None)],
)
def test_district_name_column_is_found_by_its_ending(columns, name):
    assert detect_district_columns(columns).get("name_column") == name
