"""Residents uploads: address/block points in every format and the Zensus 2022 grid, clipped, compared, stored, used."""

from __future__ import annotations

import io
import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from openpyxl import Workbook
from pyproj import Transformer
from shapely.geometry import box

from geo import DataError, catalog, settings
from geo.analysis import Params, analyse, column
from geo.analysis.run import RESIDENT_KINDS, RESIDENTS_FROM_LAYER
from geo.dataset import Dataset
from geo.demo import load_demo
from geo.ingest import check_upload, commit_upload
from geo.io import read_table
from geo.io.large_tables import read_large_csv
from geo.store import Workspace
from tests.conftest import SHARED_DATA, X0, Y0
from tests.residents_cases import AGE10_HEADER, age5_csv, cell_id, demo_cells, population_csv

NBSP = "\u00a0"


@pytest.fixture(scope="module")
def demo():
    return load_demo()


@pytest.fixture(scope="module")
def cells(demo) -> pd.DataFrame:
    return demo_cells(demo.residents)


def expected_inside(cells: pd.DataFrame, districts: gpd.GeoDataFrame) -> np.ndarray:
    """Reference: which cell centres lie in a district, by a plain geopandas join in EPSG:3035."""
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(cells["x"], cells["y"]), crs="EPSG:3035")
    joined = gpd.sjoin(points, districts.to_crs("EPSG:3035")[["geometry"]], how="left", predicate="intersects")
    return joined["index_right"].notna().groupby(level=0).any().sort_index().to_numpy()


def residents_check(data: bytes, name: str, context, **options):
    return check_upload(data, name, kind="residents", context=context, options=options)


def warnings_of(check) -> list[str]:
    return [p.message for p in check.report.warnings]


# --- the Zensus 2022 grid in its published CSV form -------------------------------------------------------------


def test_zensus_population_grid_is_recognised_by_its_columns(demo, cells):
    suppressed = set(range(0, len(cells), 97))
    name = "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv"
    check = residents_check(population_csv(cells, suppressed=suppressed), name, demo)
    assert check.ok, check.report.errors
    inside = expected_inside(cells, demo.districts)
    layer = check.layer
    assert len(layer) == int(inside.sum()) == len(cells) - 2  # two cells' centres lie just outside the city
    values = cells["inhabitants"].to_numpy().copy()
    values[sorted(suppressed)] = 0
    assert layer[settings.INHABITANTS].sum() == values[inside].sum()
    assert settings.CHILDREN not in layer  # the population file has no ages: the column is left out
    assert layer[settings.INHABITANTS].dtype == np.int64
    assert layer.crs == settings.METRIC_CRS
    assert set(layer[settings.RESIDENT_KIND]) == {"zensus_100m"}
    assert layer[settings.RESIDENT_ID].iloc[0] == cell_id(*cells.loc[np.flatnonzero(inside)[0], ["east", "north"]])
    assert check.crs_guess.crs == "EPSG:3035"
    assert check.info["Zeichenkodierung"] == "Windows-1252"
    rows = ", ".join(str(2 + i) for i in sorted(suppressed)[:10])
    assert (f"Spalte „Einwohner“: {len(suppressed)} Werte fehlen oder sind geheim gehalten („–“; Zeilen {rows} …). "
            "Sie wurden als 0 gelesen.") in warnings_of(check)
    assert "Die Datei enthält keine Kinderzahlen (eine Spalte wie „Unter18“ oder „Kinder“), nur Einwohner." \
        in warnings_of(check)


def test_zensus_cells_are_placed_at_their_centres(demo, cells):
    check = residents_check(population_csv(cells.head(50)), "grid.csv", demo)
    to_laea = Transformer.from_crs(settings.METRIC_CRS, "EPSG:3035", always_xy=True)
    x, y = to_laea.transform(check.layer.geometry.x.to_numpy(), check.layer.geometry.y.to_numpy())
    assert np.allclose(np.mod(x, 100), 50, atol=1e-3) and np.allclose(np.mod(y, 100), 50, atol=1e-3)


def test_cells_outside_the_city_are_dropped_and_counted(demo, cells):
    far = pd.DataFrame({"east": [4_000_000, 4_000_100, 4_000_200], "north": [3_000_000] * 3,
                        "inhabitants": [7, 8, 9], "children": [0, 0, 0]})
    far["x"], far["y"] = far["east"] + 50, far["north"] + 50
    grid = pd.concat([cells, far], ignore_index=True)
    check = residents_check(population_csv(grid), "grid.csv", demo)
    outside = cells.loc[~expected_inside(cells, demo.districts), "inhabitants"].sum() + 24
    n = len(grid)
    assert (f"5 von {n:,} Gitterzellen mit {outside} Einwohnern liegen außerhalb aller Sozialräume und wurden "
            "weggelassen.").replace(",", ".") in warnings_of(check)
    assert check.info["Außerhalb der Sozialräume (weggelassen)"] == "5"


def test_no_cell_inside_the_city_is_an_error(demo, cells):
    shifted = cells.head(20).assign(east=lambda c: c["east"] + 200_000, x=lambda c: c["x"] + 200_000)
    check = residents_check(population_csv(shifted), "grid.csv", demo)
    assert not check.ok and check.layer is None
    assert [p.message for p in check.report.errors] == [
        "Keine der 20 Gitterzellen liegt in einem der Sozialräume. Gehören Datei und Sozialräume zur selben Stadt, "
        "und stimmt das Koordinatensystem?"
    ]


def test_counts_are_compared_with_the_indicator_table(demo, cells):
    check = residents_check(age5_csv(cells), "Zensus2022_Alter_in_5_Altersklassen_100m-Gitter.csv", demo)
    inside = expected_inside(cells, demo.districts)
    latest = demo.indicators[demo.indicators[settings.YEAR] == 2024]
    layer_total, table_total = cells.loc[inside, "inhabitants"].sum(), latest[settings.INHABITANTS].sum()
    percent = f"{100 * (layer_total - table_total) / table_total:+.1f}".replace(".", ",").replace("-", "\u2212")
    layer_text, table_text = f"{layer_total:,}".replace(",", "."), f"{table_total:,}".replace(",", ".")
    summary = f"Wohnorte-Ebene: {layer_text} Einwohner, Indikatortabelle 2024: {table_text} ({percent}{NBSP}%)"
    warning = next(w for w in warnings_of(check) if w.startswith("Wohnorte-Ebene") and "Einwohner" in w)
    assert warning.startswith(summary + ". Größte Abweichungen je Sozialraum: „")
    assert check.info["Abgleich Einwohner"] == summary
    # The largest difference by hand: the district that loses the most to the snapping of blocks into cells.
    per_district = _cells_per_district(cells[inside], demo.districts).reindex(latest[settings.DISTRICT_ID])
    difference = per_district.fillna(0).to_numpy() - latest[settings.INHABITANTS].to_numpy()
    worst = latest[settings.DISTRICT_ID].to_numpy()[np.argmax(np.abs(difference))]
    name = demo.districts.set_index(settings.DISTRICT_ID).at[worst, settings.DISTRICT_NAME]
    assert warning.split("Sozialraum: ")[1].startswith(f"„{name}“ ({worst}): ")


def _cells_per_district(cells: pd.DataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    points = gpd.GeoDataFrame(cells[["inhabitants"]], geometry=gpd.points_from_xy(cells["x"], cells["y"]),
                              crs="EPSG:3035").to_crs(districts.crs)
    joined = gpd.sjoin(points, districts[[settings.DISTRICT_ID, "geometry"]], predicate="intersects")
    return joined.groupby(settings.DISTRICT_ID)["inhabitants"].sum()


def test_age_table_gives_children_and_age_bands(demo, cells):
    check = residents_check(age5_csv(cells), "alter.csv", demo)
    assert check.ok
    layer = check.layer
    inside = expected_inside(cells, demo.districts)
    # The Zensus' "a18bis29" includes 29: the band from 18 to under 30 (the bands fit together so).
    assert list(layer.columns) == [settings.INHABITANTS, settings.CHILDREN, "age_18_30", "age_30_50", "age_50_65",
                                   "age_65_plus", settings.RESIDENT_ID, settings.RESIDENT_KIND, "geometry"]
    assert layer[settings.CHILDREN].sum() == cells.loc[inside, "children"].sum()
    adults = (cells["inhabitants"] - cells["children"])[inside]
    assert layer[["age_18_30", "age_30_50", "age_50_65", "age_65_plus"]].to_numpy().sum() == adults.sum()
    assert check.info["Altersgruppen"] == (
        "„a18bis29“ = 18 bis unter 30 Jahre, „a30bis49“ = 30 bis unter 50 Jahre, „a50bis64“ = 50 bis unter 65 Jahre, "
        "„a65undaelter“ = 65 Jahre und älter"
    )


def test_ten_year_age_table_has_no_children(demo, cells):
    lines = [AGE10_HEADER] + [f"{cell_id(c.east, c.north)};{c.x};{c.y};{c.inhabitants};" + ";".join(["1"] * 9)
                              for c in cells.head(30).itertuples()]
    check = residents_check("\n".join(lines).encode(), "alter10.csv", demo)
    assert check.ok
    assert settings.CHILDREN not in check.layer and "age_0_10" in check.layer and "age_80_plus" in check.layer
    assert any("ihre Altersgruppen (0 bis unter 10 Jahre, 10 bis unter 20 Jahre, 20 bis unter 30 Jahre, 30 bis unter "
               "40 Jahre, 40 bis unter 50 Jahre, 50 bis unter 60 Jahre, 60 bis unter 70 Jahre, 70 bis unter 80 Jahre, "
               "80 Jahre und älter) ergeben zusammen nicht 0 bis unter 18 Jahre." in w for w in warnings_of(check))


def test_cell_ids_alone_give_the_centres(demo, cells):
    lines = ["GITTER_ID_100m;Einwohner"] + [f"{cell_id(c.east, c.north)};{c.inhabitants}"
                                            for c in cells.head(40).itertuples()]
    by_id = residents_check("\n".join(lines).encode(), "ids.csv", demo)
    by_centre = residents_check(population_csv(cells.head(40)), "centres.csv", demo)
    assert by_id.ok and len(by_id.layer) == len(by_centre.layer)
    assert np.allclose(by_id.layer.geometry.x, by_centre.layer.geometry.x)


def test_bad_zensus_rows_are_named_and_nothing_is_stored(demo, cells, tmp_path):
    text = population_csv(cells.head(10)).decode("cp1252").splitlines()
    text[3] = text[3].rsplit(";", 1)[0] + ";zwölf"
    text[5] = text[5].rsplit(";", 1)[0] + ";-4"
    text.append(text[2])  # a cell twice
    check = residents_check("\n".join(text).encode("cp1252"), "grid.csv", demo)
    assert not check.ok
    assert [str(p) for p in check.report.errors] == [
        "Zeile 4: „zwölf“ in Spalte „Einwohner“ ist keine Zahl.",
        "Zeile 6: −4 in Spalte „Einwohner“ ist negativ; Einwohner- und Kinderzahlen können nicht kleiner als 0 sein.",
        f"Zeile 12: Die Gitterzelle „{text[2].split(';')[0]}“ kommt mehrfach vor (zuerst in Zeile 3); sie würde "
        "doppelt gezählt.",
    ]
    ws = Workspace(tmp_path)
    with pytest.raises(DataError, match="Zeile 4"):
        commit_upload(ws, check, filename="grid.csv")
    assert ws.history().empty


def test_coarse_grids(demo):
    coarse = "GITTER_ID_10km;x_mp_10km;y_mp_10km;Einwohner\nCRS3035RES10000mN3100000E4100000;4105000;3105000;5\n"
    check = residents_check(coarse.encode(), "grid10km.csv", demo)
    assert [p.message for p in check.report.errors][0].startswith("Die Datei ist ein Zensus-Gitter mit 10-km-Zellen.")


def test_many_bad_rows_are_listed_up_to_a_limit(demo, cells):
    text = population_csv(cells.head(60)).decode("cp1252").splitlines()
    text = [text[0]] + [line.rsplit(";", 1)[0] + ";?" for line in text[1:]]
    check = residents_check("\n".join(text).encode(), "grid.csv", demo)
    errors = [str(p) for p in check.report.errors]
    assert len(errors) == 21 and errors[0] == "Zeile 2: „?“ in Spalte „Einwohner“ ist keine Zahl."
    assert errors[-1] == "Zeile 22: … und 40 weitere Zeilen ab hier mit demselben Befund in Spalte „Einwohner“."


# --- address and block points: a hand-computable city -----------------------------------------------------------

#: (x, y) relative to the fixtures' origin, inhabitants, children: A's centre, two in B, one in C, one outside.
POINTS = [((500, 500), 60, 10), ((1200, 500), 30, 5), ((1500, 500), 120, 20), ((2900, 500), 50, 8),
          ((5000, 500), 7, 1)]


def points_csv() -> bytes:
    lines = ["Adresse;Rechtswert;Hochwert;Einwohner;Kinder unter 18"]
    for i, ((x, y), inh, ch) in enumerate(POINTS):
        lines.append(f"Weg {i + 1};{X0 + x:.1f};{Y0 + y:.1f};{inh};{ch}".replace(".", ","))
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def test_points_csv_by_hand(small_dataset):
    check = residents_check(points_csv(), "wohnorte.csv", small_dataset)
    assert check.ok
    assert check.layer[settings.INHABITANTS].tolist() == [60, 30, 120, 50]
    assert check.layer[settings.CHILDREN].tolist() == [10, 5, 20, 8]
    assert check.crs_guess.crs == "EPSG:25832"
    assert set(check.layer[settings.RESIDENT_KIND]) == {"points"}
    assert "1 von 5 Wohnorten mit 7 Einwohnern liegen außerhalb aller Sozialräume und wurden weggelassen." \
        in warnings_of(check)
    # Indicator table: 1,000 / 2,000 / 1,500 inhabitants and 100 / 250 / 80 children in A, B, C.
    assert (
        "Wohnorte-Ebene: 260 Einwohner, Indikatortabelle 2024: 4.500 (−94,2\u00a0%). Größte Abweichungen je "
        "Sozialraum: „Südpark“ (02): 150 statt 2.000 (−92,5\u00a0%); „Über der Höhe“ (03): 50 statt 1.500 "
        "(−96,7\u00a0%); „Altstadt“ (01): 60 statt 1.000 (−94,0\u00a0%). Die Anteile in Reichweite kommen aus der "
        "Wohnorte-Ebene, die Zahlen je Sozialraum aus der Indikatortabelle."
    ) in warnings_of(check)
    assert check.info["Abgleich Kinder"] == "Wohnorte-Ebene: 43 Kinder, Indikatortabelle 2024: 430 (−90,0\u00a0%)"


def test_uploaded_residents_drive_the_analysis(small_dataset, tmp_path):
    check = residents_check(points_csv(), "wohnorte.csv", small_dataset.with_layers(residents=None))
    info = commit_upload(Workspace(tmp_path), check, filename="wohnorte.csv")
    assert info.layer == "residents" and info.rows == 4
    stored = small_dataset.with_layers(residents=Workspace(tmp_path).load("residents"))
    assert stored.residents[settings.RESIDENT_KIND].tolist() == ["points"] * 4
    result = analyse(stored, Params(radii={"fgz": 800}))
    # FGZ at A's and C's centres, 800 m: A's 10 children at 0 m; in B 5 at 700 m and 20 at 1,000 m; C's 8 at 400 m.
    share = dict(zip(result.districts[settings.DISTRICT_ID], result.districts[column("share_in_reach", "fgz")],
                     strict=True))
    assert share == pytest.approx({"01": 1.0, "02": 0.2, "03": 1.0})  # the FGZ's children 6–9 spread by children
    assert result.residents_source == RESIDENT_KINDS["points"]
    without = analyse(small_dataset.with_layers(residents=None), Params(radii={"fgz": 800}))
    assert without.residents_source.startswith("keine Wohnorte-Ebene")


def test_zensus_layer_is_named_in_the_analysis(demo, cells):
    check = residents_check(age5_csv(cells), "alter.csv", demo)
    result = analyse(demo.with_layers(residents=check.layer))
    assert result.residents_source == RESIDENT_KINDS["zensus_100m"]
    assert "Zensus-2022-Gitter" in result.residents_source
    assert analyse(demo).residents_source == RESIDENTS_FROM_LAYER  # the demo's blocks say nothing: blocks


def _squares_points() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"EW": [p[1] for p in POINTS], "Kinder": [p[2] for p in POINTS]},
        geometry=gpd.points_from_xy([X0 + p[0][0] for p in POINTS], [Y0 + p[0][1] for p in POINTS]),
        crs="EPSG:25832",
    )


def test_xlsx_with_wgs84(small_dataset):
    points = _squares_points().to_crs(4326)
    book = Workbook()
    sheet = book.active
    sheet.append(["Breite", "Länge", "Einwohner", "Kinder"])
    for geom, inh, ch in zip(points.geometry, points["EW"], points["Kinder"], strict=True):
        sheet.append([geom.y, geom.x, int(inh), int(ch)])
    buffer = io.BytesIO()
    book.save(buffer)
    check = residents_check(buffer.getvalue(), "wohnorte.xlsx", small_dataset)
    assert check.ok and check.crs_guess.crs == "EPSG:4326"
    assert check.layer[settings.INHABITANTS].tolist() == [60, 30, 120, 50]
    assert np.allclose(check.layer.geometry.x, [X0 + 500, X0 + 1200, X0 + 1500, X0 + 2900], atol=0.01)


def test_geopackage_points(small_dataset, tmp_path):
    path = tmp_path / "wohnorte.gpkg"
    _squares_points().to_crs("EPSG:31467").to_file(path, layer="wohnorte", engine="pyogrio")
    check = residents_check(path.read_bytes(), "wohnorte.gpkg", small_dataset)
    assert check.ok
    assert check.layer[settings.CHILDREN].tolist() == [10, 5, 20, 8]
    assert np.allclose(check.layer.geometry.y, Y0 + 500, atol=0.01)


def test_zipped_shapefile_polygons_stand_at_a_point_inside(small_dataset, tmp_path):
    blocks = gpd.GeoDataFrame(
        {"Einwohner": [60, 30, 999], "Kinder": [10, 5, 99]},
        geometry=[box(X0 + 400, Y0 + 400, X0 + 600, Y0 + 600), box(X0 + 1100, Y0 + 400, X0 + 1300, Y0 + 600),
                  box(X0 + 9000, Y0 + 400, X0 + 9100, Y0 + 600)],
        crs="EPSG:25832",
    )
    blocks.to_file(tmp_path / "bloecke.shp", engine="pyogrio")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for suffix in (".shp", ".shx", ".dbf", ".prj"):
            archive.write(tmp_path / f"bloecke{suffix}", f"bloecke{suffix}")
    check = residents_check(buffer.getvalue(), "bloecke.zip", small_dataset)
    assert check.ok
    assert check.layer[settings.INHABITANTS].tolist() == [60, 30]
    assert set(check.layer[settings.RESIDENT_KIND]) == {"areas"}
    assert "3 Flächen wurden je durch einen Punkt in ihrem Inneren ersetzt („representative point“); Entfernungen " \
           "werden von dort gemessen." in warnings_of(check)
    assert check.layer.geometry.within(blocks.geometry.iloc[0]).iloc[0]


def test_a_table_without_counts_or_coordinates(small_dataset):
    check = residents_check(b"Name;Ort\nA;B\n", "x.csv", small_dataset)
    errors = [p.message for p in check.report.errors]
    assert len(errors) == 2
    assert errors[0].startswith("Keine Spalte mit Einwohner- oder Kinderzahlen gefunden")
    assert errors[0].endswith("Vorhandene Spalten: „Name“, „Ort“.")
    assert errors[1].startswith("Keine Koordinatenspalten gefunden.") and "„x_mp_100m“ und „y_mp_100m“" in errors[1]


# --- limits ------------------------------------------------------------------------------------------------------


def test_residents_have_their_own_limits(demo, cells, monkeypatch):
    data = population_csv(cells.head(30))
    monkeypatch.setattr(settings, "MAX_UPLOAD_BYTES", 100)  # the other kinds' limit does not apply
    assert residents_check(data, "grid.csv", demo).ok
    monkeypatch.setattr(settings, "MAX_RESIDENT_UPLOAD_BYTES", 100)
    assert residents_check(data, "grid.csv", demo).report.errors[0].message.startswith("Die Datei ist 0,0 MB groß")
    monkeypatch.setattr(settings, "MAX_RESIDENT_UPLOAD_BYTES", 10**9)
    monkeypatch.setattr(settings, "MAX_RESIDENT_ROWS", 29)
    errors = residents_check(data, "grid.csv", demo).report.errors
    assert errors[0].message.startswith("Die Tabelle hat mehr als 29 Zeilen; erlaubt sind höchstens 29.")
    monkeypatch.setattr(settings, "MAX_RESIDENT_ROWS", 30)
    assert residents_check(data, "grid.csv", demo).ok
    # The other tables keep their row limit: 100,000.
    assert settings.MAX_TABLE_ROWS == 100_000


@pytest.mark.parametrize("text", [
    "sep=;\nA;B;C;\n\n1;2;3;\n\n4;5\n;;;\n10;11;12;\n13;\"x\ny\";z\n14;15;16\n",
    "\ufeffId;Wert\r\n1;\u00e4\r\n2;  b  \r\n",
    "a,b\n1,2\n3,4\n",
    "x;y\n\n\n1;2\n",
])
def test_large_reader_reads_like_read_table(text):
    data = text.encode("utf-8")
    fast, slow = read_large_csv(data, "t.csv", max_rows=100), read_table(data, "t.csv")
    pd.testing.assert_frame_equal(fast, slow)
    assert fast.attrs == slow.attrs


def test_large_reader_lists_rows_with_too_many_fields():
    with pytest.raises(DataError) as caught:
        read_large_csv(b"a;b\n1;2\n3;4;5\n6;7\n8;9;x\n", "t.csv", max_rows=100)
    assert [str(p) for p in caught.value.problems] == [
        "Zeile 3: Die Zeile hat mehr Felder als die Kopfzeile (2). Prüfen Sie Trennzeichen (Semikolon) und "
        "Anführungszeichen.",
        "Zeile 5: Die Zeile hat mehr Felder als die Kopfzeile (2). Prüfen Sie Trennzeichen (Semikolon) und "
        "Anführungszeichen.",
    ]


# --- the Daten page -----------------------------------------------------------------------------------------------


def test_daten_page_previews_and_stores_a_zensus_grid(cells, practice):
    from tests.apptest import open_page

    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("residents").run()
    at.file_uploader(key="up_file_residents").upload("Zensus2022_Alter_in_5_Altersklassen_100m-Gitter.csv",
                                                     age5_csv(cells)).run()
    assert not at.exception, at.exception
    assert not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Wohnorte"] == f"{len(cells) - 2:,}".replace(",", ".")
    assert metrics["bisher"] == "3.038"  # the demo's blocks
    assert any("Abgleich Einwohner" in c.value for c in at.caption)
    assert practice.active_versions()["residents"].version == 1  # nothing stored before the planner confirms
    at.button(key="up_save").click().run()
    assert not at.exception
    assert "Gespeichert: Wohnorte v2" in at.success[0].value.replace("\\", "")
    stored = practice.load("residents")
    assert len(stored) == len(cells) - 2 and set(stored[settings.RESIDENT_KIND]) == {"zensus_100m"}


def test_preview_samples_a_big_residents_layer(demo, cells):
    from geo.render.web.preview import MAX_PREVIEW_POINTS, sample_points, upload_preview_map

    check = residents_check(age5_csv(cells), "alter.csv", demo)
    sample = sample_points(check.layer)
    assert len(sample) == MAX_PREVIEW_POINTS and sample.index.is_monotonic_increasing
    assert sample.index.equals(sample_points(check.layer).index)  # the same on every rerun
    html = upload_preview_map(districts=demo.districts, current=demo.residents, new=check.layer,
                              kind="residents").get_root().render()
    assert html.count("Einwohner ") >= 2 * MAX_PREVIEW_POINTS  # both layers, each a sample with its counts


# --- real boundaries: the municipalities of Kreis Mettmann (VG5000, EPSG:31467) --------------------------------

VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"


@pytest.mark.shared
@pytest.mark.skipif(not VG5000.exists(), reason="../shared/data/vg5000 not present: the real-boundary test needs it")
def test_zensus_grid_over_real_municipalities_matches_a_plain_join():
    gem = gpd.read_file(VG5000, engine="pyogrio")
    kreis = gem[gem["AGS"].str.startswith("05158")].rename(columns={"AGS": settings.DISTRICT_ID,
                                                                    "GEN": settings.DISTRICT_NAME})
    kreis = kreis[[settings.DISTRICT_ID, settings.DISTRICT_NAME, "geometry"]].reset_index(drop=True)
    assert kreis.crs.to_epsg() == 31467 and len(kreis) == 10
    laea = kreis.to_crs("EPSG:3035")
    minx, miny, maxx, maxy = (np.floor(laea.total_bounds / 100) * 100).astype(int)
    east, north = np.meshgrid(np.arange(minx - 1000, maxx + 1000, 300), np.arange(miny - 1000, maxy + 1000, 300))
    grid = pd.DataFrame({"east": east.ravel(), "north": north.ravel()})
    grid["x"], grid["y"] = grid["east"] + 50, grid["north"] + 50
    grid["inhabitants"], grid["children"] = 10, 2
    # Reference: a plain geopandas join of the cell centres in EPSG:3035.
    centres = gpd.GeoDataFrame(geometry=gpd.points_from_xy(grid["x"], grid["y"]), crs="EPSG:3035")
    joined = gpd.sjoin(centres, laea[[settings.DISTRICT_ID, "geometry"]], predicate="intersects")
    joined = joined.sort_values(settings.DISTRICT_ID).groupby(level=0).first()
    per_district = joined.groupby(settings.DISTRICT_ID).size() * 10
    indicators = pd.DataFrame({settings.DISTRICT_ID: per_district.index, settings.YEAR: 2024,
                               settings.INHABITANTS: per_district.to_numpy()})
    city = Dataset(districts=kreis, indicators=indicators, offers=gpd.GeoDataFrame(geometry=[], crs=kreis.crs),
                   residents=None, offer_types=catalog.read_offer_types(),
                   indicator_definitions=catalog.read_indicator_definitions())
    check = residents_check(population_csv(grid), "Zensus2022_Bevoelkerungszahl_100m-Gitter.csv", city)
    assert check.ok, check.report.errors
    assert len(check.layer) == len(joined)
    assert check.layer[settings.INHABITANTS].sum() == 10 * len(joined)
    assert not any(w.startswith("Wohnorte-Ebene") for w in warnings_of(check))  # equal per district: no difference
    total = f"{10 * len(joined):,}".replace(",", ".")
    assert check.info["Abgleich Einwohner"] == (
        f"Wohnorte-Ebene: {total} Einwohner, Indikatortabelle 2024: {total} (±0,0{NBSP}%)")


def test_daten_page_shows_residents_errors_and_user_text_as_text(cells, practice):
    from tests.apptest import open_page

    text = population_csv(cells.head(5)).decode("cp1252").splitlines()
    text[0] += ";<b>x</b> [a](http://x) $y$"
    text = [text[0]] + [line + ";z" for line in text[1:]]
    text[2] = text[2].replace(";z", "").rsplit(";", 1)[0] + ";viele;z"
    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("residents").run()
    at.file_uploader(key="up_file_residents").upload("<i>grid</i>.csv", "\n".join(text).encode()).run()
    assert not at.exception, at.exception
    assert "Es wurde nichts gespeichert" in at.error[0].value
    assert "Zeile 3: „viele“ in Spalte „Einwohner“ ist keine Zahl." in at.error[0].value.replace("\\", "")
    captions = " ".join(c.value for c in at.caption)
    assert "<b>x</b>" not in captions and "[a](http" not in captions and "$y$" not in captions
    assert r"\<b\>x\</b\> \[a\]\(http://x\) \$y\$" in captions  # shown, escaped
    assert [b for b in at.button if b.key == "up_save"] == []
    assert practice.history("residents")["version"].tolist() == [1]


@pytest.mark.parametrize("text", [
    "\rGITTER_ID_100m;Einwohner\nA;6\nB;1\n",  # a lone CR before the header: a blank first line in Excel
    "GITTER_ID_100m;Einwohner\r\rA;6\rB;1\r",  # old Mac line ends throughout, with a blank line
])
def test_lone_carriage_returns_break_lines_as_in_excel_and_lose_no_row(text):
    table = read_large_csv(text.encode("cp1252"), "zensus.csv", max_rows=10)
    assert table["Einwohner"].tolist() == ["6", "1"]
    assert table.index.tolist() == [3, 4]  # Excel rows: a blank line first, or a blank line after the header


def test_a_first_row_two_fields_wider_than_the_header_is_refused_not_cut():
    """pandas cuts such a first row with a warning (the fourth field would be lost): it is an error naming the row."""
    with pytest.raises(DataError, match=r"Zeile 2: Die Zeile hat mehr Felder als die Kopfzeile \(2\)") as caught:
        read_large_csv(b"GITTER_ID_100m;Einwohner\nA;6;;7\nB;1\n", "zensus.csv", max_rows=10)
    assert [p.row for p in caught.value.problems] == [2]
