"""Files as a city's Excel or GIS exports them (issue 9): GeoJSON in Windows-1252 and with GeoJSON 2008 ``crs``
members, a zipped Shapefile in an odd projection, name columns beside number columns, official no-data codes,
mistyped and far-away coordinates, and ids of another city. Exact rows and messages; nothing stored on errors."""

from __future__ import annotations

import io
import json
import math
import zipfile

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo import settings
from geo.demo import load_demo
from geo.ingest import check_upload
from geo.ingest.columns import detect_district_columns
from geo.io import read_boundaries
from tests.conftest import SHARED_DATA, X0, Y0

VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"
needs_vg5000 = pytest.mark.skipif(not VG5000.exists(),
                                  reason="../shared/data/vg5000 (BKG VG5000 Shapefile) not present")
#: Kreis Coesfeld: 11 municipalities, names with umlauts (Dülmen, Lüdinghausen).
COESFELD = "05558"


def messages(report, severity: str | None = None) -> list[str]:
    return [str(p) for p in report.problems if severity is None or p.severity == severity]


def _collection(features: list[dict], **top) -> dict:
    return {"type": "FeatureCollection", **top, "features": features}


def _square_features(crs_member: dict | None = None, level: str = "feature") -> list[dict]:
    """Three 1 km squares in EPSG:25832 with umlaut names; ``crs_member`` on each feature or geometry."""
    features = []
    for i, name in enumerate(["Altstadt", "Südpark", "Über der Höhe"]):
        x = X0 + 1000 * i
        geometry = {"type": "Polygon", "coordinates": [[[x, Y0], [x + 1000, Y0], [x + 1000, Y0 + 1000],
                                                         [x, Y0 + 1000], [x, Y0]]]}
        feature = {"type": "Feature", "properties": {"SR_NR": f"0{i + 1}", "SR_NAME": name}, "geometry": geometry}
        if crs_member is not None:
            (feature if level == "feature" else geometry)["crs"] = crs_member
        features.append(feature)
    return features


# --------------------------------------------------------------------------------------------------------------
# GeoJSON: encoding


@pytest.mark.parametrize(
    ("encode", "encoding", "note"),
    [
        (lambda t: t.encode("cp1252"), "Windows-1252", True),
        (lambda t: t.encode("latin-1"), "Windows-1252", True),
        (lambda t: b"\xef\xbb\xbf" + t.encode("utf-8"), "UTF-8 mit BOM", False),
        (lambda t: t.encode("utf-8"), "UTF-8", False),
    ],
    ids=["cp1252", "latin-1", "utf-8-bom", "utf-8"],
)
def test_geojson_in_windows_1252_or_utf8_keeps_its_umlauts(encode, encoding, note):
    text = json.dumps(_collection(_square_features(), crs={"type": "name", "properties": {"name": "EPSG:25832"}}),
                      ensure_ascii=False)
    gdf = read_boundaries(encode(text), "sozialraeume.geojson")
    assert gdf["SR_NAME"].tolist() == ["Altstadt", "Südpark", "Über der Höhe"]
    assert gdf.attrs["encoding"] == encoding and gdf.crs.to_epsg() == 25832
    expected = ["Zeichenkodierung: Windows-1252 erkannt (nicht UTF-8). Bitte prüfen Sie die Umlaute in den Namen."]
    assert gdf.attrs["notes"] == (expected if note else [])


def test_cp1252_geojson_upload_is_checked_with_a_note():
    text = json.dumps(_collection(_square_features(), crs={"type": "name", "properties": {"name": "EPSG:25832"}}),
                      ensure_ascii=False)
    check = check_upload(text.encode("cp1252"), "sozialraeume.geojson", kind="districts", context=load_demo())
    assert check.ok and check.layer[settings.DISTRICT_NAME].tolist() == ["Altstadt", "Südpark", "Über der Höhe"]
    assert messages(check.report) == [
        "Zeichenkodierung: Windows-1252 erkannt (nicht UTF-8). Bitte prüfen Sie die Umlaute in den Namen.",
        "Für 3 der neuen Sozialräume gibt es noch keine Indikatorwerte (z. B. 01, 02, 03). Laden Sie danach "
        "passende Indikatoren hoch.",
    ]


# --------------------------------------------------------------------------------------------------------------
# GeoJSON: crs members of GeoJSON 2008 at any level

CRS_FORMS = {
    "urn": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::25832"}},
    "epsg-name": {"type": "name", "properties": {"name": "EPSG:25832"}},
    "epsg-code": {"type": "EPSG", "properties": {"code": 25832}},
}


@pytest.mark.parametrize("form", CRS_FORMS, ids=list(CRS_FORMS))
@pytest.mark.parametrize("level", ["collection", "feature", "geometry"])
def test_crs_member_at_each_level_is_honoured(form, level):
    member = CRS_FORMS[form]
    if level == "collection":
        doc = _collection(_square_features(), crs=member)
    else:
        doc = _collection(_square_features(member, level))
    gdf = read_boundaries(json.dumps(doc).encode(), "sr.geojson")
    assert gdf.crs.to_epsg() == 25832 and gdf.attrs["notes"] == []
    assert gdf.total_bounds.tolist() == [X0, Y0, X0 + 3000, Y0 + 1000]


def test_contradicting_crs_members_are_an_error_and_nothing_is_read():
    features = _square_features(CRS_FORMS["urn"], "geometry")
    features[2]["geometry"]["crs"] = {"type": "name", "properties": {"name": "EPSG:31467"}}
    data = json.dumps(_collection(features)).encode()
    check = check_upload(data, "sr.geojson", kind="districts", context=load_demo())
    assert check.layer is None
    assert messages(check.report) == [
        "„sr.geojson“ nennt verschiedene Koordinatensysteme: EPSG:25832 in der Geometrie von Objekt 1 (Zeile 2), "
        "aber EPSG:31467 in der Geometrie von Objekt 3 (Zeile 4). Bitte speichern Sie alle Objekte in einem "
        "Koordinatensystem oder wählen Sie es aus."
    ]


def test_an_unreadable_crs_member_asks_for_the_crs_and_the_users_crs_wins():
    link = {"type": "link", "properties": {"href": "sr.prj", "type": "esriwkt"}}
    data = json.dumps(_collection(_square_features(), crs=link)).encode()
    check = check_upload(data, "sr.geojson", kind="districts", context=load_demo())
    assert check.layer is None and len(check.report.errors) == 1
    assert check.report.errors[0].message.startswith(
        "„sr.geojson“ nennt in der Datei ein Koordinatensystem, das nicht gelesen werden kann ({\"type\": \"link\"")
    # The planner names the CRS: it wins over what the file says (here 31467 on every feature).
    data = json.dumps(_collection(_square_features({"type": "EPSG", "properties": {"code": 31467}}))).encode()
    gdf = read_boundaries(data, "sr.geojson", crs="EPSG:25832")
    assert gdf.crs.to_epsg() == 25832
    assert gdf.attrs["notes"] == ["„sr.geojson“ nennt ein anderes Koordinatensystem; verwendet wird das angegebene "
                                  "(EPSG:25832)."]


def test_geojson_in_a_zip_gets_the_same_treatment():
    text = json.dumps(_collection(_square_features(CRS_FORMS["epsg-code"], "geometry")), ensure_ascii=False)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("sozialraeume.geojson", text.encode("cp1252"))
    gdf = read_boundaries(buffer.getvalue(), "sozialraeume.zip")
    assert gdf.crs.to_epsg() == 25832 and gdf["SR_NAME"].tolist()[1] == "Südpark"
    assert gdf.attrs["encoding"] == "Windows-1252"


@pytest.fixture(scope="module")
def coesfeld() -> gpd.GeoDataFrame:
    """Kreis Coesfeld from the real VG5000, as geopandas reads the Shapefile (EPSG:31467)."""
    gdf = gpd.read_file(VG5000)
    return gdf[gdf["AGS"].str.startswith(COESFELD)][["AGS", "GEN", "BEZ", "geometry"]].reset_index(drop=True)


def _expected_centroids(coesfeld: gpd.GeoDataFrame) -> gpd.GeoSeries:
    return coesfeld.to_crs(settings.METRIC_CRS).set_index("GEN").geometry.centroid


@pytest.mark.shared
@needs_vg5000
@pytest.mark.parametrize("level", ["collection", "feature", "geometry"])
def test_real_vg5000_geojson_in_gauss_krueger_lands_where_it_belongs(coesfeld, level):
    assert len(coesfeld) == 11 and coesfeld.crs.to_epsg() == 31467
    doc = json.loads(coesfeld.to_json(drop_id=True))  # coordinates stay in EPSG:31467
    doc.pop("crs", None)
    member = {"collection": CRS_FORMS["urn"], "feature": CRS_FORMS["epsg-name"],
              "geometry": CRS_FORMS["epsg-code"]}[level]
    member = json.loads(json.dumps(member).replace("25832", "31467"))
    if level == "collection":
        doc["crs"] = member
    for feature in doc["features"]:
        if level != "collection":
            (feature if level == "feature" else feature["geometry"])["crs"] = member
    data = json.dumps(doc, ensure_ascii=False).encode("cp1252")
    check = check_upload(data, "kreis_coesfeld.geojson", kind="districts", context=load_demo())
    assert check.ok and check.crs_guess.crs == "EPSG:31467" and check.layer.crs == settings.METRIC_CRS
    layer = check.layer.set_index(settings.DISTRICT_NAME)
    assert sorted(layer.index) == sorted(coesfeld["GEN"]) and "Dülmen" in layer.index  # cp1252 umlauts right
    assert layer.loc["Dülmen", settings.DISTRICT_ID] == "05558016"
    expected = _expected_centroids(coesfeld)
    for name in ("Dülmen", "Lüdinghausen", "Coesfeld"):
        assert layer.loc[name].geometry.centroid.distance(expected[name]) < 5.0


@pytest.mark.shared
@needs_vg5000
def test_real_vg5000_zipped_shapefile_in_an_odd_projection(coesfeld, tmp_path):
    """A Lambert projection the office uses (EPSG:3034, ETRS89-LCC), a DBF in Windows-1252 without .cpg."""
    coesfeld.to_crs("EPSG:3034").to_file(tmp_path / "kreis.shp", encoding="cp1252")
    (tmp_path / "kreis.cpg").unlink(missing_ok=True)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for part in sorted(tmp_path.glob("kreis.*")):
            archive.writestr(part.name, part.read_bytes())
    check = check_upload(buffer.getvalue(), "kreis.zip", kind="districts", context=load_demo())
    assert check.ok and check.layer.crs == settings.METRIC_CRS
    assert check.crs_guess.crs is not None and "3034" in check.crs_guess.crs
    layer = check.layer.set_index(settings.DISTRICT_NAME)
    expected = _expected_centroids(coesfeld)
    assert layer.loc["Lüdinghausen"].geometry.centroid.distance(expected["Lüdinghausen"]) < 5.0


# --------------------------------------------------------------------------------------------------------------
# The name column: text, not numbers


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ({"bezirk": ["1", "2"], "bezirk_bez": ["Nord", "Süd"]}, {"id_column": "bezirk", "name_column": "bezirk_bez"}),
        ({"stadtteil": [101, 102], "stadtteil_bez": ["Altstadt", "Südpark"], "bezirk": [1, 1],
          "bezirk_bez": ["Mitte", "Mitte"]},
         {"id_column": "stadtteil", "name_column": "stadtteil_bez", "area_id_column": "bezirk",
          "area_name_column": "bezirk_bez"}),
        ({"SR_NR": ["0101", "0102"], "Sozialraum": ["Altstadt", "Südpark"], "Bezirk": ["1", "1"],
          "Bezirksname": ["Mitte", "Mitte"]},
         {"id_column": "SR_NR", "name_column": "Sozialraum", "area_id_column": "Bezirk",
          "area_name_column": "Bezirksname"}),
        ({"Nr": ["1", "2"], "Name": ["3", "4"], "Gebiet_Bez": ["Nord", "Süd"]},
         {"id_column": "Nr", "name_column": "Gebiet_Bez"}),
    ],
    ids=["bezirk-only", "stadtteil-and-bezirk", "sozialraum-text", "numeric-name"],
)
def test_the_name_is_the_text_column_beside_the_numbers(table, expected):
    assert detect_district_columns(pd.DataFrame(table)) == expected


def test_only_column_names_keep_the_guess_by_name():
    assert detect_district_columns(["bezirk", "bezirk_bez"]) == {"area_name_column": "bezirk",
                                                                 "name_column": "bezirk_bez"}
    assert detect_district_columns(["SR_NR", "SR_NAME"]) == {"id_column": "SR_NR", "name_column": "SR_NAME"}


def test_ortsteil_upload_takes_the_text_names():
    layer = gpd.GeoDataFrame(
        {"stadtteil": ["101", "102", "201"], "stadtteil_bez": ["Altstadt", "Südpark", "Über der Höhe"],
         "bezirk": ["1", "1", "2"], "bezirk_bez": ["Mitte", "Mitte", "Ost"]},
        geometry=[box(X0 + 1000 * i, Y0, X0 + 1000 * (i + 1), Y0 + 1000) for i in range(3)], crs="EPSG:25832",
    )
    check = check_upload(layer.to_json(drop_id=True).encode(), "ortsteile.geojson", kind="districts",
                         context=load_demo(), options={"crs": "EPSG:25832"})
    assert check.ok and [p.severity for p in check.report.problems] == ["warning"]  # no indicators for them yet
    out = check.layer
    assert out[settings.DISTRICT_ID].tolist() == ["101", "102", "201"]
    assert out[settings.DISTRICT_NAME].tolist() == ["Altstadt", "Südpark", "Über der Höhe"]
    assert out[settings.AREA_ID].tolist() == ["1", "1", "2"] and out[settings.AREA_NAME].tolist()[2] == "Ost"


@pytest.mark.shared
@needs_vg5000
def test_vg5000_keeps_gen_as_the_name(coesfeld):
    assert detect_district_columns(coesfeld) == {"id_column": "AGS", "name_column": "GEN"}


# --------------------------------------------------------------------------------------------------------------
# Official no-data codes in indicator tables

IND_HEAD = ("Sozialraum-Nr;Jahr;Einwohner;Kinder;SGB-II-Quote Kinder unter 15 Jahren;Arbeitslosenquote;"
            "Anteil Alleinerziehender")


def _indicators(rows: list[str], districts: gpd.GeoDataFrame):
    from geo import catalog
    from geo.ingest.indicators import validate_indicators
    from geo.io import read_table

    text = IND_HEAD + "\n" + "\n".join(rows) + "\n"
    upload = validate_indicators(read_table(text.encode("cp1252"), "indikatoren.csv"), districts=districts,
                                 indicator_definitions=catalog.read_indicator_definitions())
    return upload.layer, upload.report


@pytest.mark.parametrize("code", ["-9999", "-9999,0", "-999", "-1", ".", "x", "–", "k. A."])
def test_each_no_data_code_is_read_as_missing(squares, code):
    out, report = _indicators([f"01;2024;1000;100;{code};4;15", "02;2024;2000;250;40;14;35",
                               f"03;2024;1500;80;16;{code};{code}"], squares)
    assert report.errors == [] and len(out) == 3
    assert messages(report) == [f"„{code}“ (keine Angabe) als fehlende Werte gelesen: Spalte „SGB-II-Quote Kinder "
                                "unter 15 Jahren“ (Zeile 2); Spalte „Arbeitslosenquote“ (Zeile 4); Spalte „Anteil "
                                "Alleinerziehender“ (Zeile 4)."]
    assert out["sgb2_children_quota"].isna().tolist() == [True, False, False]
    assert out["unemployment_rate"].tolist()[:2] == [4.0, 14.0] and pd.isna(out["unemployment_rate"].iloc[2])


def test_one_warning_per_code_not_per_cell(squares):
    rows = ["01;2024;1000;100;-9999;-9999;k. A.", "02;2024;2000;250;-9999;x;k.A.", "03;2024;1500;80;16;;19"]
    out, report = _indicators(rows, squares)
    assert report.errors == [] and len(out) == 3
    assert messages(report) == [
        "„-9999“ (keine Angabe) als fehlende Werte gelesen: Spalte „SGB-II-Quote Kinder unter 15 Jahren“ (Zeilen 2 "
        "und 3); Spalte „Arbeitslosenquote“ (Zeile 2).",
        "„x“ (keine Angabe) als fehlende Werte gelesen: Spalte „Arbeitslosenquote“ (Zeile 3).",
        "Leere Zellen als fehlende Werte gelesen: Spalte „Arbeitslosenquote“ (Zeile 4).",
        "„k. A.“ (keine Angabe) als fehlende Werte gelesen: Spalte „Anteil Alleinerziehender“ (Zeilen 2 und 3).",
    ]  # in the order the codes first appear, column by column


def test_other_negative_values_and_codes_in_counts_stay_errors(squares):
    rows = ["01;2024;1000;100;-5;4;15", "02;2024;2000;-1;40;14;35", "03;2024;-3;80;-9999;6;19"]
    out, report = _indicators(rows, squares)
    assert [(p.row, p.message) for p in report.errors] == [
        (2, "Spalte „SGB-II-Quote Kinder unter 15 Jahren“: -5 % liegt nicht zwischen 0 und 100."),
        (3, "Spalte „Kinder“: Der Wert fehlt („-1“ steht für „keine Angabe“); die Zahl wird gebraucht."),
        (4, "Spalte „Einwohner“: „-3“ darf nicht negativ sein."),
    ]
    assert out.empty and report.warnings == []  # row 4's "-9999" is not reported again: the row is refused


def test_no_data_codes_never_store_anything_wrong(tmp_path):
    """A city's Excel export with codes checks and stores the codes as missing values, never as numbers."""
    from geo.ingest import commit_upload
    from geo.store import Workspace

    demo = load_demo()
    ids = demo.districts[settings.DISTRICT_ID].tolist()
    rows = [f"{d};2024;1000;100;{'-9999,0' if i == 0 else '20'};{'.' if i == 1 else '5'};15"
            for i, d in enumerate(ids)]
    data = (IND_HEAD + "\n" + "\n".join(rows) + "\n").encode("cp1252")
    check = check_upload(data, "indikatoren.csv", kind="indicators", context=demo)
    assert check.ok and [p.message.split(":")[0] for p in check.report.problems] == [
        "„-9999,0“ (keine Angabe) als fehlende Werte gelesen", "„.“ (keine Angabe) als fehlende Werte gelesen",
        # the demo stores age bands and births for 2024; a file without them drops them, and says so
        "Die Datei enthält keine Spalten für 0 bis unter 3 Jahre, 3 bis unter 6 Jahre, 6 bis unter 10 Jahre, 10 bis "
        "unter 18 Jahre, Geburten; die gespeicherten Zahlen der hochgeladenen Jahre entfallen damit. Nehmen Sie die "
        "Spalten in die Datei auf, wenn sie bleiben sollen."]
    ws = Workspace(tmp_path)
    commit_upload(ws, check, filename="indikatoren.csv")
    stored = ws.load("indicators")
    year = stored[stored[settings.YEAR] == 2024].set_index(settings.DISTRICT_ID)
    assert pd.isna(year.loc[ids[0], "sgb2_children_quota"]) and year.loc[ids[1], "sgb2_children_quota"] == 20.0
    assert pd.isna(year.loc[ids[1], "unemployment_rate"]) and (year["sgb2_children_quota"].dropna() >= 0).all()


# --------------------------------------------------------------------------------------------------------------
# Ids of another city that match the districts in use only by dropping leading zeros


def _city_ids() -> list[str]:
    """A city's Sozialraum numbers as its own office writes them: 101 … 105, 201 … 205, …, 1401 … 1405."""
    return [f"{area}{number:02d}" for area in range(1, 15) for number in range(1, 6)]


def test_another_citys_ids_matching_only_without_zeros_are_an_error(tmp_path):
    from geo._errors import DataError
    from geo.ingest import commit_upload
    from geo.store import Workspace

    demo = load_demo()
    ids = _city_ids()
    loose = [i for i in ids if i.zfill(4) in set(demo.districts[settings.DISTRICT_ID])]
    assert len(ids) == 70 and len(loose) == 39  # many match by chance (101 → 0101), 31 do not match at all
    data = (IND_HEAD + "\n" + "\n".join(f"{i};2024;1000;100;20;5;15" for i in ids) + "\n").encode("cp1252")
    check = check_upload(data, "indikatoren.csv", kind="indicators", context=demo)
    assert check.layer is None and messages(check.report) == [
        "Die Kennungen passen nur teilweise und nur ohne führende Nullen – gehören Datei und Sozialräume zur selben "
        "Stadt? 31 von 70 Kennungen passen zu keinem Sozialraum (z. B. „405“, „901“, „902“), die übrigen nur ohne "
        "führende Nullen (z. B. 101 → 0101, 102 → 0102, 103 → 0103). Laden Sie zuerst die Sozialräume dieser Stadt "
        "hoch oder prüfen Sie die Kennungen."
    ]
    ws = Workspace(tmp_path)
    with pytest.raises(DataError, match="nur ohne führende Nullen"):
        commit_upload(ws, check, filename="indikatoren.csv")
    assert ws.history().empty  # nothing stored


def test_the_same_citys_ids_without_zeros_stay_a_warning():
    demo = load_demo()
    ids = [i.lstrip("0") for i in demo.districts[settings.DISTRICT_ID]] + ["999"]  # Excel dropped the zeros
    data = (IND_HEAD + "\n" + "\n".join(f"{i};2024;1000;100;20;5;15" for i in ids) + "\n").encode("cp1252")
    check = check_upload(data, "indikatoren.csv", kind="indicators", context=demo)
    # the third warning: the demo's stored age bands and births of 2024 are dropped by a file without them
    assert check.ok and [p.severity for p in check.report.problems] == ["warning", "warning", "warning"]
    assert "die gespeicherten Zahlen der hochgeladenen Jahre entfallen" in messages(check.report)[2]
    assert messages(check.report)[0] == ("1 Kennung(en) passen zu keinem Sozialraum und werden nicht übernommen: "
                                         "„999“ (Zeile 59).")
    assert messages(check.report)[1].startswith("57 Kennung(en) wurden ohne führende Nullen zugeordnet (z. B. 101 → "
                                                "0101")


# --------------------------------------------------------------------------------------------------------------
# Offer coordinates: a typo names its row, far away is an error, a little outside a warning


def _de(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _offers_file(demo) -> tuple[bytes, dict[str, float]]:
    """An Excel export of 12 Familienbüros in UTM (Rechtswert/Hochwert, decimal comma, cp1252) with planners'
    mistakes: row 7 a Rechtswert missing a digit, row 9 a Hochwert 2,000 km south, row 11 a point far east of
    the city, row 12 one a little outside it, row 13 no number at all."""
    inside = demo.districts.representative_point().to_numpy()[:8]
    east = float(demo.districts.total_bounds[2])
    y_east = float(demo.districts.total_bounds[1] + demo.districts.total_bounds[3]) / 2
    points = [(p.x, p.y) for p in inside[:5]] + [(42_030.0, inside[5].y), (inside[6].x, inside[6].y),
                                                  (inside[7].x, inside[7].y - 2_000_000), (inside[0].x, inside[0].y),
                                                  (east + 40_000, y_east), (east + 1_200, y_east)]
    lines = ["Nr;Angebotsart;Name;Straße;Rechtswert;Hochwert"]
    for i, (x, y) in enumerate(points, start=1):
        lines.append(f"S-{i:02d};Familienbüro;Familienbüro {i};Hauptstraße {i};{_de(x)};{_de(y)}")
    lines.append("S-13;Familienbüro;Familienbüro Süd;Weg 1;41x300;5727859,9")
    outline = demo.districts.union_all()
    from shapely.geometry import Point

    distances = {"far": outline.distance(Point(east + 40_000, y_east)),
                 "near": outline.distance(Point(east + 1_200, y_east))}
    return ("\r\n".join(lines) + "\r\n").encode("cp1252"), distances


def test_one_typo_and_far_points_name_their_rows_and_nothing_is_stored(tmp_path):
    from geo._errors import DataError
    from geo.ingest import commit_upload
    from geo.store import Workspace

    demo = load_demo()
    data, distances = _offers_file(demo)
    check = check_upload(data, "familienbueros.csv", kind="offers", context=demo)
    assert check.layer is None and check.crs_guess.crs == "EPSG:25832"  # the other rows agree on UTM 32N
    found = [(p.row, p.severity, p.message) for p in check.report.problems]
    assert found[:3] == [
        (7, "error", "Rechtswert 42030,0 passt nicht zu den übrigen Koordinaten (EPSG:25832) – Tippfehler?"),
        (9, "error", f"Hochwert {_de(demo.districts.representative_point().iloc[7].y - 2_000_000)} passt nicht zu "
                     "den übrigen Koordinaten (EPSG:25832) – Tippfehler?"),
        (11, "error", f"Der Standort liegt etwa {_de(math.ceil(distances['far'] / 100) / 10).replace(',0', '')} km "
                      "außerhalb des Stadtgebiets (erlaubt sind höchstens 5 km). Bitte prüfen Sie die Koordinaten."),
    ]
    assert found[3] == (12, "warning", f"Der Standort liegt etwa {_de(round(distances['near'] / 1000, 1))} km "
                                       "außerhalb des Stadtgebiets. Bitte prüfen Sie, ob er so gemeint ist (z. B. ein "
                                       "Angebot im Nachbarort).")
    assert found[4] == (13, "error", "„41x300“ in Spalte „Rechtswert“ ist keine Zahl (Koordinate).")
    assert len(found) == 5
    ws = Workspace(tmp_path)
    with pytest.raises(DataError, match="Zeile 7: Rechtswert 42030,0 passt nicht"):
        commit_upload(ws, check, filename="familienbueros.csv")
    assert ws.history().empty


def test_the_corrected_file_is_stored(tmp_path):
    from geo.ingest import commit_upload
    from geo.store import Workspace

    demo = load_demo()
    data, _ = _offers_file(demo)
    lines = data.decode("cp1252").splitlines()
    kept = [line for number, line in enumerate(lines, start=1) if number not in (7, 9, 11, 13)]
    check = check_upload("\r\n".join(kept).encode("cp1252"), "familienbueros.csv", kind="offers", context=demo,
                         options={"mode": "update"})
    assert check.ok and [(p.row, p.severity) for p in check.report.problems] == [(9, "warning")]  # was row 12
    ws = Workspace(tmp_path)
    commit_upload(ws, check, filename="familienbueros.csv")
    stored = ws.load("offers")
    assert sorted(stored.loc[stored[settings.OFFER_ID].str.startswith("S-"), settings.OFFER_ID]) == [
        "S-01", "S-02", "S-03", "S-04", "S-05", "S-07", "S-09", "S-11"]


def test_a_file_of_another_system_with_one_typo_still_needs_the_system():
    """When most rows fit no system, no row is blamed: the file-level question stays."""
    from geo import catalog
    from geo.ingest.offers import validate_offers
    from geo.io import read_table

    text = "Id;Art;x;y\nA;fgz;10;20\nB;fgz;11;21\nC;fgz;415300,2;5727859,9\n"
    result = validate_offers(read_table(text.encode(), "a.csv"), offer_types=catalog.read_offer_types())
    assert [p.row for p in result.report.errors] == [None]
    assert "wurde nicht erkannt" in result.report.errors[0].message


def test_daten_page_preselects_the_text_name_beside_the_number(practice):
    """The Daten page guesses from the layer's values too: Stadtteil numbers as id, Stadtteil_Bez as name."""
    from tests.test_data_pages import daten_page, upload

    demo = load_demo()
    doc = json.loads(demo.districts.to_crs(4326).to_json(drop_id=True))
    for f in doc["features"]:
        p = f["properties"]
        f["properties"] = {"Stadtteil": int(p["district_id"]), "Stadtteil_Bez": p["district_name"],
                           "Bezirk": int(p["area_id"]), "Bezirk_Bez": p["area_name"]}
    text = json.dumps(doc, ensure_ascii=False)
    at = upload(daten_page(), "districts", "ortsteile.geojson", text.encode("cp1252"))
    chosen = {key: at.selectbox(key=f"up_{key}").value
              for key in ("id_column", "name_column", "area_id_column", "area_name_column")}
    assert chosen == {"id_column": "Stadtteil", "name_column": "Stadtteil_Bez", "area_id_column": "Bezirk",
                      "area_name_column": "Bezirk_Bez"}
