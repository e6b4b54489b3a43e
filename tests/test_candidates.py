"""Candidate sites: Grundschulen without FGZ (with a Sozialindex threshold), an uploaded list checked as a city's
Excel writes it, a grid in the districts in need, exclusion by id and of sites where an offer already is – on hand-made
data in the three squares A | B | C and on the real NRW school files."""

from __future__ import annotations

import csv

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import Point

from geo import settings
from geo.analysis import analyse
from geo.analysis.candidates import (
    candidate_sites,
    exclude,
    grid_candidates,
    host_candidates,
    id_key,
    in_need_districts,
    not_at_offers,
)
from geo.analysis.run import prepare
from geo.analysis.sites import CANDIDATE_COLUMNS
from geo.ingest.candidates import read_candidates, validate_candidates
from geo.ingest.templates import template_bytes, upload_template
from geo.io import read_table
from tests.conftest import SHARED_DATA, xy

HOSTILE = ["<script>alert(1)</script>", "$x$ und $y$", "=cmd|' /C calc'!A0", "{{ 7*191 }}", "Ü" * 5000, ""]


@pytest.fixture
def schools(small_dataset):
    """Grundschulen 012345 (A, index 7; FGZ F1 stands on it), 100002 (B, 8), 100003 (B, 5), 100004 (C, 3, F2 is
    300 m away: no FGZ there). Stored ids as the NRW file has them; the index list writes 12345 without its zero."""
    rows = [("012345", 500, 500), ("100002", 1500, 500), ("100003", 1200, 300), ("100004", 2500, 800)]
    offers = gpd.GeoDataFrame(
        {settings.OFFER_ID: [r[0] for r in rows], settings.OFFER_TYPE: "grundschule",
         settings.OFFER_NAME: [f"GS {r[0]}" for r in rows], settings.OFFER_ADDRESS: [f"Schulweg {i}" for i in range(4)],
         settings.OFFER_CAPACITY: np.nan},
        geometry=[Point(xy(x, y)) for _, x, y in rows], crs=settings.METRIC_CRS)
    index = pd.DataFrame({settings.SCHOOL_ID: ["12345", "100002", "100003", "100004"],
                          settings.SOZIALINDEX: [7, 8, 5, 3]})
    return small_dataset.with_layers(offers=pd.concat([small_dataset.offers, offers], ignore_index=True),
                                     sozialindex=index)


def _csv(text: str, encoding: str = "utf-8-sig") -> bytes:
    return text.replace("\n", "\r\n").encode(encoding)


# ------------------------------------------------------------------------------------------------ sources


def test_grundschulen_without_fgz_with_their_index_and_a_threshold(schools):
    hosts = host_candidates(schools, "fgz")
    assert list(hosts.columns[:6]) == list(CANDIDATE_COLUMNS) and hosts.crs == settings.METRIC_CRS
    assert hosts["candidate_id"].tolist() == ["100002", "100003", "100004"]  # F1 runs at 012345
    assert hosts[settings.SOZIALINDEX].tolist() == [8.0, 5.0, 3.0]
    assert hosts[settings.DISTRICT_ID].tolist() == ["02", "02", "03"] and set(hosts["source"]) == {"host"}
    assert host_candidates(schools, "fgz", min_sozialindex=5)["candidate_id"].tolist() == ["100002", "100003"]
    assert host_candidates(schools, "familienbuero").empty  # no host type: no host candidates


def test_the_grid_lies_in_the_districts_in_need(schools):
    result = analyse(schools)
    needy = in_need_districts(result)
    assert needy[settings.DISTRICT_ID].tolist() == ["02"]  # B, "Status niedrig"
    assert in_need_districts(prepare(schools))[settings.DISTRICT_ID].tolist() == ["02"]
    assert in_need_districts(result, gaps_of="fgz")[settings.DISTRICT_ID].tolist() == \
        (["02"] if result.districts.set_index(settings.DISTRICT_ID).at["02", "gap__fgz"] else [])
    grid = grid_candidates(needy, spacing_m=500)
    assert grid["candidate_id"].tolist() == ["R-02-1", "R-02-2", "R-02-3", "R-02-4"]
    assert shapely.get_coordinates(grid.geometry.to_numpy()).tolist() == [
        list(xy(1250, 250)), list(xy(1750, 250)), list(xy(1250, 750)), list(xy(1750, 750))]
    assert grid[settings.OFFER_NAME].iloc[0] == "Rasterpunkt 1 in Südpark" and set(grid["source"]) == {"grid"}


def test_exclusion_by_id_compares_numbers_as_numbers(schools):
    hosts = host_candidates(schools, "fgz")
    assert id_key(" 0101 ") == "101" and id_key("R-01-1") == "R-01-1"
    assert exclude(hosts, ["100002", "00100004"])["candidate_id"].tolist() == ["100003"]


def test_a_candidate_where_an_offer_of_the_type_stands_is_dropped(schools):
    sites = grid_candidates(schools.districts, spacing_m=1000)  # the squares' centres: F1 and F2 stand at A and C
    assert sites["candidate_id"].tolist() == ["R-01-1", "R-02-1", "R-03-1"]
    assert not_at_offers(sites, schools.offers, "fgz")["candidate_id"].tolist() == ["R-02-1"]
    assert len(not_at_offers(sites, schools.offers, "familienbuero")) == 3


def test_candidate_sites_gathers_the_sources_and_says_what_it_left_out(schools):
    listed = validate_candidates(read_table(_csv("Nr;Schulnummer;Rechtswert;Hochwert\n"
                                                 "100003;;401250,0;5700750,0\nL-2;;401500,0;5700500,0\n"
                                                 "L-3;;401900,0;5700900,0\n"), "k.csv"),
                                 dataset=schools, offer_type="fgz")
    assert listed.ok, listed.report.problems
    sites, notes = candidate_sites(schools, "fgz", listed=listed.candidates,
                                   grid_in=in_need_districts(analyse(schools)), spacing_m=1000,
                                   excluded=["L-3", "nicht-da"])
    assert sites["candidate_id"].tolist() == ["100002", "100003", "100004", "L-2", "R-02-1"]
    assert sites["source"].tolist() == ["host", "host", "host", "list", "grid"]
    assert notes == ["1 Kandidaten mit einer schon genannten Kennung weggelassen", "1 Kandidaten ausgeschlossen",
                     "keine Kandidaten mit der Kennung „nicht-da“"]
    assert candidate_sites(schools, "familienbuero")[0].empty


# ------------------------------------------------------------------------------------------------ the upload


def test_the_template_passes_unchanged(schools):
    template = upload_template("candidates", schools)
    assert [c.header for c in template.columns] == ["Nr", "Name", "Adresse", "Rechtswert", "Hochwert",
                                                    "Schulnummer"]
    for fmt in ("csv", "xlsx"):
        check = read_candidates(template_bytes(template, fmt), f"vorlage.{fmt}", dataset=schools, offer_type="fgz")
        assert check.ok and check.report.problems == [], check.report.problems
        assert check.candidates["candidate_id"].tolist() == ["K-1", "K-2"]
        assert check.candidates[settings.SOZIALINDEX].tolist()[1] == 7.0  # K-2 is the school 012345
        assert check.candidates[settings.DISTRICT_ID].tolist() == ["01", "01"]


def test_a_citys_excel_list_cp1252_gauss_krueger_decimal_commas_and_short_school_numbers(schools):
    # Gauß-Krüger zone 3 (EPSG:31467), as older city GIS export it; "12345" names the stored school 012345
    from pyproj import Transformer

    to_gk = Transformer.from_crs(settings.METRIC_CRS, "EPSG:31467", always_xy=True)
    (r1, h1), (r2, h2) = (to_gk.transform(*xy(1250, 750)), to_gk.transform(*xy(2750, 250)))
    def de(value: float) -> str:
        return f"{value:.2f}".replace(".", ",")

    text = ("sep=;\nLfd. Nr.;Bezeichnung;Straße;Hausnr.;PLZ;Ort;Rechtswert;Hochwert;Schulnummer\n"
            f"01;Jugendzentrum Süd;Parkstraße;3;44100;Musterstadt;{de(r1)};{de(h1)};\n"
            f"2;Bürgerhaus Höhe;;;;;{de(r2)};{de(h2)};100004\n"
            "3;;;;;;;;12345\n")
    check = read_candidates(_csv(text, "cp1252"), "kandidaten.csv", dataset=schools, offer_type="fgz")
    assert check.ok, check.report.problems
    assert check.crs_guess.crs == "EPSG:31467"
    c = check.candidates
    assert c["candidate_id"].tolist() == ["01", "2", "3"]  # ids stay text: "01" keeps its zero
    assert c[settings.OFFER_NAME].tolist() == ["Jugendzentrum Süd", "Bürgerhaus Höhe", "GS 012345"]
    assert c[settings.OFFER_ADDRESS].tolist() == ["Parkstraße 3, 44100 Musterstadt", "", "Schulweg 0"]
    assert c[settings.SOZIALINDEX].tolist()[1:] == [3.0, 7.0] and np.isnan(c[settings.SOZIALINDEX].iloc[0])
    assert c[settings.DISTRICT_ID].tolist() == ["02", "03", "01"] and c["row"].tolist() == [3, 4, 5]
    got = shapely.get_coordinates(c.geometry.to_numpy())
    np.testing.assert_allclose(got[:2], [xy(1250, 750), xy(2750, 250)], atol=0.01)
    assert got[2].tolist() == list(xy(500, 500))  # at the school


def test_longitude_latitude_with_decimal_commas(schools):
    points = gpd.GeoSeries([Point(xy(1400, 600))], crs=settings.METRIC_CRS).to_crs("EPSG:4326")
    lon, lat = f"{points.x[0]:.7f}".replace(".", ","), f"{points.y[0]:.7f}".replace(".", ",")
    check = read_candidates(_csv(f"Name;Breite;Länge\nKita-Neubau;{lat};{lon}\n"), "k.csv", dataset=schools,
                            offer_type="fgz")
    assert check.ok and check.candidates["candidate_id"].tolist() == ["Z2"]
    assert shapely.get_coordinates(check.candidates.geometry.to_numpy())[0].tolist() == pytest.approx(
        list(xy(1400, 600)), abs=0.05)


def test_every_problem_of_a_list_is_reported_at_once_by_excel_row(schools):
    text = ("Nr;Name;Rechtswert;Hochwert;Schulnummer\n"
            "A;erste;401500,0;5700500,0;\n"        # row 2: first of a duplicate id
            "A;doppelt;401600,0;5700500,0;\n"      # row 3: the id again
            ";ohne Nr;401700,0;5700500,0;\n"       # row 4: no id
            "D;Text;401800,0;zwei;\n"              # row 5: not a number
            "E;weit weg;401800,0;5760500,0;\n"     # row 6: 60 km north
            "F;unbekannte Schule;;;999999\n"       # row 7: no such school
            "G;keine Nummer;;;12a\n"               # row 8: malformed
            "H;nirgends;;;\n"                      # row 9: no place
            "I;gut;401500,0;5700600,0;\n")         # row 10: fine
    check = read_candidates(_csv(text), "k.csv", dataset=schools, offer_type="fgz")
    assert not check.ok
    errors = [(p.row, p.message) for p in check.report.errors]
    assert [row for row, _ in errors] == [3, 4, 5, 6, 7, 8, 9]
    assert errors[0][1] == "Die Kennung „A“ kommt mehrfach vor (Zeilen 2 und 3)."
    assert errors[1][1] == "Die Kennung fehlt."
    assert errors[2][1] == "„zwei“ in Spalte „Hochwert“ ist keine Zahl (Koordinate)."
    assert errors[3][1].startswith("Der Standort liegt etwa ") and "außerhalb des Stadtgebiets" in errors[3][1]
    assert errors[4][1] == ("Die Schulnummer „999999“ gibt es unter den gespeicherten Grundschulen nicht. Bitte "
                            "prüfen Sie die Nummer oder geben Sie Koordinaten an.")
    assert errors[5][1] == "„12a“ ist keine Schulnummer (1 bis 6 Ziffern)."
    assert errors[6][1].startswith("Die Zeile nennt weder Koordinaten noch eine Schulnummer")
    # both rows of the duplicate and every faulty row are left out: the preview shows the clean row only
    assert check.candidates["row"].tolist() == [10]


@pytest.mark.parametrize(("data", "name", "expected"), [
    (b"", "k.csv", "leer"),
    (b"\x00\x01\x02PK\x03\x04garbage", "k.xlsx", "Excel"),
    (b"Nr;Name\n", "k.csv", "nur die Kopfzeile"),
    (b"Nr;Name\n1;Rathaus\n", "k.csv", "braucht Koordinaten"),
    (b"x", "k.xls", ".xls"),
])
def test_unreadable_files_end_in_the_report(schools, data, name, expected):
    check = read_candidates(data, name, dataset=schools, offer_type="fgz")
    assert not check.ok and check.candidates.empty
    assert expected in check.report.errors[0].message, check.report.errors[0].message


def test_hostile_text_is_data(schools):
    rows = "".join(f"{i};{name};{name};40{1100 + i * 50},0;5700500,0\n" for i, name in enumerate(HOSTILE))
    text = "Nr;Name;Adresse;Rechtswert;Hochwert\n" + rows + "=1+1;{{ x }};;401300,0;5700600,0\n"
    check = read_candidates(_csv(text), "k.csv", dataset=schools, offer_type="fgz")
    assert check.ok, check.report.problems
    names = check.candidates[settings.OFFER_NAME].tolist()
    assert names[:5] == HOSTILE[:5] and names[5] == "Kandidat 5"  # an empty name: named after its id
    assert check.candidates[settings.OFFER_ADDRESS].tolist()[:5] == HOSTILE[:5]
    assert check.candidates["candidate_id"].tolist()[-1] == "=1+1" and names[-1] == "{{ x }}"


# ------------------------------------------------------------------------------------------------ real NRW data


SCHOOLS_DIR = SHARED_DATA / "nrw-schulen"
VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"
GELSENKIRCHEN = "05513000"
FGZ_SCHOOLS = ("119076", "119180", "119039")


@pytest.mark.skipif(
    not ((SCHOOLS_DIR / "schuldaten_2021.csv").is_file() and (SCHOOLS_DIR / "schulen_sozialindex_2024_25.csv")
         .is_file() and VG5000.is_file()),
    reason="NRW school files or VG5000 not found in ../shared/data (real-data test; the repository has no copy)")
def test_gelsenkirchens_grundschulen_as_candidates(small_dataset):
    from geo.ingest.offers import validate_offers
    from geo.ingest.schools import schools_as_offers
    from geo.ingest.sozialindex import validate_sozialindex

    town = gpd.read_file(VG5000).query("AGS == @GELSENKIRCHEN").to_crs(settings.METRIC_CRS)
    districts = gpd.GeoDataFrame({settings.DISTRICT_ID: ["1"], settings.DISTRICT_NAME: ["Gelsenkirchen"]},
                                 geometry=town.geometry.to_numpy(), crs=settings.METRIC_CRS)
    master = SCHOOLS_DIR / "schuldaten_2021.csv"
    table = schools_as_offers(read_table(master.read_bytes(), master.name), offer_type="grundschule",
                              gemeindeschluessel=GELSENKIRCHEN)
    fgz = table[table[settings.OFFER_ID].isin(FGZ_SCHOOLS)]
    fgz = fgz.assign(**{settings.OFFER_TYPE: "fgz", settings.OFFER_ID: "FGZ-" + fgz[settings.OFFER_ID]})
    offers = validate_offers(pd.concat([table, fgz]).reset_index(drop=True), offer_types=small_dataset.offer_types,
                             districts=districts)
    listing = SCHOOLS_DIR / "schulen_sozialindex_2024_25.csv"
    index = validate_sozialindex(read_table(listing.read_bytes(), listing.name), gemeindeschluessel=GELSENKIRCHEN)
    dataset = small_dataset.with_layers(districts=districts, offers=offers.offers, sozialindex=index.layer)

    # the independent count: the csv module over both files
    with listing.open(encoding="utf-8", newline="") as f:
        level = {r["Schulnummer"]: int(float(r["Sozialindex"])) for r in csv.DictReader(f) if r["Sozialindex"]}
    with master.open(encoding="utf-8", newline="") as f:
        next(f)
        rows = [r for r in csv.DictReader(f, delimiter=";")
                if r["Schulform"] == "02" and r["Gemeindeschluessel"] == GELSENKIRCHEN]
    expected = sorted(r["Schulnummer"] for r in rows
                      if level.get(r["Schulnummer"], 0) >= 6 and r["Schulnummer"] not in FGZ_SCHOOLS)
    hosts = host_candidates(dataset, "fgz", min_sozialindex=6)
    assert sorted(hosts["candidate_id"]) == expected and len(expected) == 19
    assert (hosts[settings.SOZIALINDEX] >= 6).all() and set(hosts[settings.DISTRICT_ID]) == {"1"}
    assert len(host_candidates(dataset, "fgz")) == 39 - 3

    # a planner's list in cp1252 with semicolons: three real schools by Schulnummer, one by its UTM coordinates
    # from the master file (columns named as there)
    first = rows[0]
    text = ("Nr;Bezeichnung;Schulnummer;UTMRechtswert;UTMHochwert\n"
            + "".join(f"{i};Schule {i};{r['Schulnummer']};;\n" for i, r in enumerate(rows[1:4], start=1))
            + f"9;Am Stadtgarten;;{first['UTMRechtswert']},0;{first['UTMHochwert']},0\n")
    check = read_candidates(_csv(text, "cp1252"), "liste.csv", dataset=dataset, offer_type="fgz")
    assert check.ok, check.report.problems
    assert check.candidates[settings.SOZIALINDEX].tolist()[:3] == [
        float(level[r["Schulnummer"]]) if r["Schulnummer"] in level else pytest.approx(np.nan, nan_ok=True)
        for r in rows[1:4]]
    schools_xy = {r["Schulnummer"]: (float(r["UTMRechtswert"]), float(r["UTMHochwert"])) for r in rows}
    got = shapely.get_coordinates(check.candidates.geometry.to_numpy())
    assert got.tolist() == [list(schools_xy[r["Schulnummer"]]) for r in [*rows[1:4], first]]
