"""Primary schools by Schulsozialindex: FGZ at schools, burdened schools without FGZ, the signal per district, the
map markers, the Grundschulen page – on hand-made schools and on the real schools of Gelsenkirchen."""

from __future__ import annotations

import csv
import json
import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from geo import settings
from geo.analysis import Params, analyse
from geo.analysis.profile import district_profile
from geo.analysis.schools import district_signal, high_index_without_fgz, primary_schools
from geo.ingest.offers import validate_offers
from geo.ingest.schools import schools_as_offers
from geo.ingest.sozialindex import validate_sozialindex
from geo.io import read_table
from geo.render.school_tables import school_list, school_signal_table
from geo.render.tables import german_csv_bytes
from geo.render.web.leaflet import need_map, script_json
from geo.render.web.map_data import map_data
from geo.render.web.payload import rows_of
from geo.store import create_workspace
from tests.apptest import open_page
from tests.conftest import SHARED_DATA, xy

PAGE = "app_pages/10_Grundschulen.py"
HOSTILE = "=cmd|' /C calc'!A0 <script>alert(1)</script> {{ 7*191 }} $x$"


def points(*coordinates: tuple[float, float]) -> gpd.array.GeometryArray:
    return gpd.points_from_xy(*zip(*coordinates, strict=True))


@pytest.fixture
def school_dataset(small_dataset):
    """Four Grundschulen in the squares A | B | C, two of them with an FGZ.

    S1 (A, index 7) has FGZ F1 on its site (0 m); S2 (B, 8) none, √(300² + 100²) m from the FGZ of S3; S3 (B, 6)
    has FGZ F3 100 m north of it (within the 150 m of a host match); S4 (C, 3) none: F2 is 300 m away, beyond
    150 m, so F2 is a host of its own. (Offer ids are unique across types: an FGZ has an id of its own.)
    """
    schools = gpd.GeoDataFrame(
        {settings.OFFER_ID: ["100001", "100002", "100003", "100004"], settings.OFFER_TYPE: ["grundschule"] * 4,
         settings.OFFER_NAME: ["GS Altstadt", "GS Südpark", "GS Am Bach", "GS Höhe"],
         settings.OFFER_ADDRESS: ["Weg 1", "Weg 2", "Weg 3", "Weg 4"], settings.OFFER_CAPACITY: [None] * 4},
        geometry=points(xy(500, 500), xy(1500, 500), xy(1800, 500), xy(2500, 800)), crs="EPSG:25832")
    fgz_at_s3 = gpd.GeoDataFrame(
        {settings.OFFER_ID: ["F3"], settings.OFFER_TYPE: ["fgz"], settings.OFFER_NAME: ["FGZ Am Bach"],
         settings.OFFER_ADDRESS: [""], settings.OFFER_CAPACITY: [None]},
        geometry=points(xy(1800, 600)), crs="EPSG:25832")
    offers = pd.concat([small_dataset.offers, fgz_at_s3, schools], ignore_index=True)
    index = pd.DataFrame({settings.SCHOOL_ID: ["100001", "100002", "100003", "100004"],
                          settings.SOZIALINDEX: np.array([7, 8, 6, 3], dtype="int64"), "school_name": [""] * 4})
    return small_dataset.with_layers(offers=offers, sozialindex=index)


def test_primary_schools_know_their_district_index_and_fgz(school_dataset):
    schools = primary_schools(school_dataset)
    assert schools[settings.SCHOOL_ID].tolist() == ["100001", "100002", "100003", "100004"]
    assert schools[settings.DISTRICT_ID].tolist() == ["01", "02", "02", "03"]
    assert schools[settings.DISTRICT_NAME].tolist() == ["Altstadt", "Südpark", "Südpark", "Über der Höhe"]
    assert schools[settings.SOZIALINDEX].tolist() == [7.0, 8.0, 6.0, 3.0]
    assert schools["has_fgz"].tolist() == [True, False, True, False]
    assert schools["fgz_ids"].tolist() == ["F1", "", "F3", ""]
    assert schools["nearest_fgz_m"].tolist() == pytest.approx([0.0, math.hypot(300, 100), 0.0, 300.0])


def test_the_list_of_burdened_schools_without_fgz_at_thresholds_6_and_3(school_dataset):
    schools = primary_schools(school_dataset)
    assert high_index_without_fgz(schools, 6)[settings.SCHOOL_ID].tolist() == ["100002"]
    assert high_index_without_fgz(schools, 3)[settings.SCHOOL_ID].tolist() == ["100002", "100004"]
    assert high_index_without_fgz(schools, 9).empty


def test_the_threshold_defaults_to_the_setting_read_at_call_time(school_dataset, monkeypatch):
    schools = primary_schools(school_dataset)
    assert high_index_without_fgz(schools)[settings.SCHOOL_ID].tolist() == ["100002"]
    monkeypatch.setattr(settings, "SOZIALINDEX_HIGH", 3)
    assert high_index_without_fgz(schools)[settings.SCHOOL_ID].tolist() == ["100002", "100004"]


def test_the_signal_per_district(school_dataset):
    schools = primary_schools(school_dataset)
    signal = district_signal(schools, school_dataset.districts, 6)
    assert signal.to_dict("list") == {
        settings.DISTRICT_ID: ["01", "02", "03"], "schools": [1, 2, 1], "schools_with_index": [1, 2, 1],
        "sozialindex_max": [7.0, 8.0, 3.0], "sozialindex_mean": [7.0, 7.0, 3.0], "schools_high": [1, 2, 0],
    }
    assert district_signal(schools, school_dataset.districts, 3)["schools_high"].tolist() == [1, 2, 1]


def test_schools_the_list_does_not_name_have_no_index_and_stay_out_of_the_lists(school_dataset):
    partial = school_dataset.sozialindex.iloc[:2]  # S3 and S4 not in the list
    schools = primary_schools(school_dataset.with_layers(sozialindex=partial))
    assert np.isnan(schools[settings.SOZIALINDEX].to_numpy()[2:]).all()
    assert high_index_without_fgz(schools, 1)[settings.SCHOOL_ID].tolist() == ["100002"]
    signal = district_signal(schools, school_dataset.districts, 6)
    assert signal["schools"].tolist() == [1, 2, 1] and signal["schools_with_index"].tolist() == [1, 1, 0]
    assert math.isnan(signal["sozialindex_max"].iloc[2])
    none = primary_schools(school_dataset.with_layers(sozialindex=None))
    assert none[settings.SOZIALINDEX].isna().all()


def test_without_grundschulen_the_list_is_empty(small_dataset):
    schools = primary_schools(small_dataset)
    assert schools.empty and list(schools.columns[:-1]) == [
        settings.SCHOOL_ID, settings.OFFER_NAME, settings.OFFER_ADDRESS, settings.DISTRICT_ID, settings.DISTRICT_NAME,
        settings.SOZIALINDEX, "has_fgz", "fgz_ids", "nearest_fgz_m"]
    assert district_signal(schools, small_dataset.districts)["schools"].tolist() == [0, 0, 0]


def test_the_german_list_and_the_profile_section(school_dataset):
    result = analyse(school_dataset, Params())
    schools = primary_schools(school_dataset)
    table = school_list(schools, result, 3)
    assert table.to_dict("list") == {
        "Schulnummer": ["100002", "100004"], "Name": ["GS Südpark", "GS Höhe"], "Sozialraum": ["Südpark",
                                                                                             "Über der Höhe"],
        "Sozialraum-Nr.": ["02", "03"],
        "Status des Sozialraums": [result.districts.set_index(settings.DISTRICT_ID).at[d, "status_class"]
                                   for d in ("02", "03")],
        "Sozialindex": [8, 3], "Nächstes FGZ (m)": [320, 300],  # √(300² + 100²) = 316 m, to 10 m
    }
    signal = school_signal_table(schools, result, 6)
    assert signal["Grundschulen"].tolist() == [1, 2, 1] and signal["Sozialindex ≥ 6"].tolist() == [1, 2, 0]
    section = district_profile(school_dataset, result, "02").section("schulen")
    assert dict(section.tables[0].rows) == {
        "Grundschulen im Sozialraum": "2", "davon mit Schulsozialindex": "2", "Höchster Schulsozialindex": "8",
        "Mittlerer Schulsozialindex": "7,0", "Grundschulen mit Sozialindex ≥ 6": "2", "davon ohne FGZ": "1"}


def test_the_profile_has_no_school_section_without_grundschulen(small_dataset):
    result = analyse(small_dataset, Params())
    with pytest.raises(KeyError):
        district_profile(small_dataset, result, "02").section("schulen")


# ------------------------------------------------------------------------------------------------------ map


def test_the_map_draws_the_schools_by_index_with_the_fgz_on_top(school_dataset):
    from geo.render.palette import NO_INDEX_COLOR, SOZIALINDEX_COLORS

    result = analyse(school_dataset, Params())
    partial = school_dataset.with_layers(sozialindex=school_dataset.sozialindex.iloc[:3])  # S4 without index
    data = map_data(result, partial)
    assert "grundschule" not in data["types"]  # not drawn as one-colour offers
    assert [o[2] for o in rows_of(data["offers"])].count("fgz") == 3
    rows = rows_of(data["schools"]["rows"])
    assert [r[2] for r in rows] == [7, 8, 6, 0]
    assert SOZIALINDEX_COLORS[8] in data["schools"]["icons"][8] and NO_INDEX_COLOR in data["schools"]["icons"][0]
    assert rows[1][3] == ("<b>GS Südpark</b><div class='pa-muted'>Grundschule · Schulnummer 100002</div>"
                          "<div>Weg 2</div><div>Schulsozialindex: 8</div><div>FGZ: nein</div>")
    assert "<div>FGZ: ja</div>" in rows[0][3] and "Schulsozialindex: ohne Index" in rows[3][3]
    legend = data["legend"]
    assert "Grundschulen nach Schulsozialindex" in legend and "Schulsozialindex 1 (niedrig) … 9 (hoch)" in legend
    assert "ohne Index <span class='pa-n'>(1)</span>" in legend and "davon Sozialindex ≥ 6: 3" in legend
    hidden = map_data(result, partial, offer_types=["fgz"])
    assert hidden["schools"] is None and "Schulsozialindex" not in hidden["legend"]


def test_hostile_school_names_stay_text_on_the_map_and_in_the_list(school_dataset):
    offers = school_dataset.offers.copy()
    offers.loc[offers[settings.OFFER_ID] == "100002", settings.OFFER_NAME] = HOSTILE
    dataset = school_dataset.with_layers(offers=offers)
    result = analyse(dataset, Params())
    tip = rows_of(map_data(result, dataset)["schools"]["rows"])[1][3]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in tip and "<script>" not in tip
    page = need_map(result, dataset).get_root().render()
    assert "1337" not in page and "alert(1)</script>" not in page
    assert "{{" not in script_json(map_data(result, dataset))
    table = school_list(primary_schools(dataset), result, 6)
    assert table["Name"].tolist() == [HOSTILE]
    text = german_csv_bytes(table).decode("utf-8-sig")
    assert "'=cmd|" in text and "\n=cmd" not in text


# ----------------------------------------------------------------------------------------- Gelsenkirchen (real)


SCHOOLS_DIR = SHARED_DATA / "nrw-schulen"
VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"
GELSENKIRCHEN = "05513000"
#: Three real Gelsenkirchen Grundschulen taken as FGZ sites for the test (indices 9, 9 and 8 in 2024/25).
FGZ_SCHOOLS = ("119076", "119180", "119039")
needs_real = pytest.mark.skipif(
    not ((SCHOOLS_DIR / "schuldaten_2021.csv").is_file() and (SCHOOLS_DIR / "schulen_sozialindex_2024_25.csv")
         .is_file() and VG5000.is_file()),
    reason="NRW school files or VG5000 not found in ../shared/data (real-data test; the repository has no copy)",
)


@needs_real
def test_burdened_grundschulen_without_fgz_in_gelsenkirchen(small_dataset):
    # Gelsenkirchen from VG5000, cut into a northern and a southern Sozialraum at its centre's Hochwert.
    town = gpd.read_file(VG5000).query("AGS == @GELSENKIRCHEN").to_crs(settings.METRIC_CRS)
    (minx, miny, maxx, maxy), cy = town.total_bounds, float(town.geometry.iloc[0].centroid.y)
    halves = [shapely.intersection(town.geometry.iloc[0], shapely.box(minx, cy, maxx, maxy)),
              shapely.intersection(town.geometry.iloc[0], shapely.box(minx, miny, maxx, cy))]
    districts = gpd.GeoDataFrame({settings.DISTRICT_ID: ["1", "2"], settings.DISTRICT_NAME: ["Nord", "Süd"]},
                                 geometry=halves, crs=settings.METRIC_CRS)
    master = SCHOOLS_DIR / "schuldaten_2021.csv"
    table = schools_as_offers(read_table(master.read_bytes(), master.name), offer_type="grundschule",
                              gemeindeschluessel=GELSENKIRCHEN)
    # The FGZ have ids of their own (offer ids are unique) and stand at their school: matched by distance.
    fgz = table[table[settings.OFFER_ID].isin(FGZ_SCHOOLS)]
    fgz = fgz.assign(**{settings.OFFER_TYPE: "fgz", settings.OFFER_ID: "FGZ-" + fgz[settings.OFFER_ID]})
    checked = validate_offers(pd.concat([table, fgz]).reset_index(drop=True),
                              offer_types=small_dataset.offer_types, districts=districts)
    assert checked.report.ok, checked.report.errors
    listing = SCHOOLS_DIR / "schulen_sozialindex_2024_25.csv"
    index = validate_sozialindex(read_table(listing.read_bytes(), listing.name), gemeindeschluessel=GELSENKIRCHEN)
    dataset = small_dataset.with_layers(districts=districts, offers=checked.offers, sozialindex=index.layer)
    schools = primary_schools(dataset)

    # The independent filter: the csv module over both files.
    with listing.open(encoding="utf-8", newline="") as f:
        level = {r["Schulnummer"]: int(float(r["Sozialindex"])) for r in csv.DictReader(f) if r["Sozialindex"]}
    with master.open(encoding="utf-8", newline="") as f:
        next(f)
        rows = [r for r in csv.DictReader(f, delimiter=";")
                if r["Schulform"] == "02" and r["Gemeindeschluessel"] == GELSENKIRCHEN]
    expected = sorted(r["Schulnummer"] for r in rows
                      if level.get(r["Schulnummer"], 0) >= 6 and r["Schulnummer"] not in FGZ_SCHOOLS)
    north = {r["Schulnummer"] for r in rows if float(r["UTMHochwert"]) > cy}

    assert len(schools) == len(rows) == 39
    assert sorted(schools.loc[schools["has_fgz"], settings.SCHOOL_ID]) == sorted(FGZ_SCHOOLS)
    found = high_index_without_fgz(schools, 6)
    assert sorted(found[settings.SCHOOL_ID]) == expected
    assert len(expected) == 19  # 22 Grundschulen with index ≥ 6 in 2024/25, less the three FGZ
    assert found[settings.SOZIALINDEX].is_monotonic_decreasing
    assert {s for s, d in zip(found[settings.SCHOOL_ID], found[settings.DISTRICT_ID], strict=True) if d == "1"} == \
        north & set(expected)
    signal = district_signal(schools, districts, 6)
    assert signal["schools"].sum() == 39
    assert signal["schools_high"].sum() == len(expected) + len(FGZ_SCHOOLS)


# ----------------------------------------------------------------------------------------------------- page


def _city(small_dataset, dataset, name: str = "Schulstadt"):
    workspace = create_workspace(name, make_default=True)
    frames = {"districts": dataset.districts, "indicators": dataset.indicators, "offers": dataset.offers,
              "residents": small_dataset.residents}
    if dataset.sozialindex is not None:
        frames["sozialindex"] = dataset.sozialindex
    workspace.save_many(frames, filename="test")
    return workspace


def test_the_page_lists_the_burdened_schools_without_fgz(small_dataset, school_dataset):
    offers = school_dataset.offers.copy()
    offers.loc[offers[settings.OFFER_ID] == "100002", settings.OFFER_NAME] = HOSTILE
    _city(small_dataset, school_dataset.with_layers(offers=offers))
    at = open_page(PAGE, timeout=120)
    assert not at.exception, at.exception
    assert {m.label: m.value for m in at.metric} == {
        "Grundschulen": "4", "mit Sozialindex": "4", "Sozialindex ≥ 6": "3", "davon ohne FGZ": "1"}
    assert "Grundschulen mit Sozialindex ≥ 6 ohne FGZ" in [h.value for h in at.subheader]
    listed = at.dataframe[0].value
    assert listed["Schulnummer"].tolist() == ["100002"] and listed["Name"].tolist() == [HOSTILE]
    assert [b.proto.label for b in at.get("download_button")] == ["Liste als CSV (Excel)"]
    at.select_slider[0].set_value(3).run()
    assert not at.exception
    assert at.dataframe[0].value["Schulnummer"].tolist() == ["100002", "100004"]
    assert {m.label: m.value for m in at.metric}["davon ohne FGZ"] == "2"
    assert at.dataframe[1].value["Grundschulen"].tolist() == [1, 2, 1]


def test_the_page_says_what_to_upload(small_dataset, school_dataset):
    _city(small_dataset, small_dataset, "Ohne Schulen")
    at = open_page(PAGE, timeout=120)
    assert not at.exception
    assert "noch keine **Grundschulen** gespeichert" in at.info[0].value.replace("\\", "")
    assert not at.dataframe


def test_the_page_asks_for_the_index_when_only_schools_are_stored(small_dataset, school_dataset):
    _city(small_dataset, school_dataset.with_layers(sozialindex=None), "Ohne Index")
    at = open_page(PAGE, timeout=120)
    assert not at.exception
    assert "noch kein **Schulsozialindex** vor" in at.info[0].value.replace("\\", "")


def test_payload_is_json(school_dataset):
    result = analyse(school_dataset, Params())
    assert json.loads(json.dumps(map_data(result, school_dataset)["schools"]))["count"] == 4
