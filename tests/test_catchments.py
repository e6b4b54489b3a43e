"""Catchment areas (Einzugsgebiete): read in every format and CRS, validated with all findings at once, stored."""

from __future__ import annotations

import io
import json
import tempfile
import warnings
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyogrio
import pytest
from geopandas.testing import assert_geodataframe_equal
from shapely.geometry import LineString, Point, Polygon, box

from geo import DataError, VersionConflict, settings
from geo.ingest import check_upload, commit_upload
from geo.ingest.catchments import OVERLAP_MIN_M2, overlapping_pairs
from geo.ingest.templates import file_name, template_bytes, upload_template
from geo.render.web.preview import upload_preview_map
from geo.store import create_workspace
from tests.apptest import open_page
from tests.conftest import SHARED_DATA, xy

VG5000 = SHARED_DATA / "vg5000" / "VG5000_GEM.shp"

HOSTILE = "<script>alert(1)</script> $x$ {{ 7*191 }} =cmd|' /C calc'!A0"


def city_offers() -> gpd.GeoDataFrame:
    """Two Familienbüros, two Grundschulen (Schulnummern), a Lotsendienst and a Geburtsklinik in the squares."""
    rows = [("FB1", "familienbuero", "Familienbüro West", 500, 500), ("FB2", "familienbuero", "Familienbüro Ost",
            2500, 500), ("100012", "grundschule", "GS Am Markt", 400, 600), ("100024", "grundschule", "GS Südpark",
            1500, 400), ("L1", "lotsendienst", "Lotsendienst St. Anna", 1200, 800),
            ("K1", "geburtsklinik", "Klinikum Nord", 2600, 700)]
    return gpd.GeoDataFrame(
        {settings.OFFER_ID: [r[0] for r in rows], settings.OFFER_TYPE: [r[1] for r in rows],
         settings.OFFER_NAME: [r[2] for r in rows], settings.OFFER_ADDRESS: "", settings.OFFER_CAPACITY: float("nan")},
        geometry=[Point(xy(r[3], r[4])) for r in rows], crs=settings.METRIC_CRS,
    )


@pytest.fixture
def city(data_root, squares):
    """A city workspace (the default one) with the three squares and the offers of :func:`city_offers`."""
    workspace = create_workspace("Teststadt", make_default=True)
    workspace.save("districts", squares, filename="grenzen.gpkg")
    workspace.save("offers", city_offers(), filename="angebote.csv")
    return workspace


def areas(rows: list[tuple], *, crs: str = settings.METRIC_CRS, columns=("Kennung", "Name", "Angebotsart",
                                                                         "Angebots-Kennung")) -> gpd.GeoDataFrame:
    """A layer of ``(id, name, type, offer id, geometry in metric fixture coordinates)`` rows, in ``crs``."""
    frame = gpd.GeoDataFrame({c: [r[i] for r in rows] for i, c in enumerate(columns)},
                             geometry=[r[-1] for r in rows], crs=settings.METRIC_CRS)
    return frame.to_crs(crs)


def square(x0: float, x1: float, y0: float = 0, y1: float = 1000) -> Polygon:
    return box(*xy(x0, y0), *xy(x1, y1))


def geojson(layer: gpd.GeoDataFrame) -> bytes:
    return layer.to_json(drop_id=True).encode("utf-8")


def check(data: bytes, name: str, context, **options):
    return check_upload(data, name, kind="catchments", context=context, options=options)


def messages(result, severity: str) -> list[str]:
    return [str(p) for p in result.report.problems if p.severity == severity]


def shapefile_zip(layer: gpd.GeoDataFrame, *, encoding: str = "cp1252", prj: bool = True) -> bytes:
    """A zipped Shapefile as a GIS writes it (.shp/.shx/.dbf, .cpg naming the encoding, .prj unless left out)."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "gebiete.shp"
        with warnings.catch_warnings():  # GDAL notes that it cuts long names to the DBF's 10 characters
            warnings.simplefilter("ignore", RuntimeWarning)
            pyogrio.write_dataframe(layer, path, encoding=encoding)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for part in sorted(Path(folder).iterdir()):
                if prj or part.suffix != ".prj":
                    archive.write(part, part.name)
        return buffer.getvalue()


# --- formats and coordinate systems -----------------------------------------------------------------------------


def test_a_geojson_in_wgs84_becomes_metric_areas_with_their_ids(city):
    layer = areas([("ZG-1", "Zuständigkeit West", "Familienbüro", "FB1", square(0, 1500)),
                   ("ZG-2", "Zuständigkeit Ost", "familienbuero", "FB2", square(1500, 3000))], crs="EPSG:4326")
    result = check(geojson(layer), "gebiete.geojson", city.dataset())
    assert result.ok, result.report.errors
    out = result.layer
    assert out.crs == settings.METRIC_CRS
    assert out[settings.CATCHMENT_ID].tolist() == ["ZG-1", "ZG-2"]
    assert out[settings.OFFER_TYPE].tolist() == ["familienbuero", "familienbuero"]
    assert out[settings.OFFER_ID].tolist() == ["FB1", "FB2"]
    assert out[settings.OFFER_NAME].tolist() == ["Zuständigkeit West", "Zuständigkeit Ost"]
    assert out.geometry.area.round(0).tolist() == [1_500_000.0, 1_500_000.0]
    assert list(out.columns) == ["catchment_id", "offer_type", "offer_id", "name", "geometry"]
    assert result.info["Gebiete"] == "2 Familienbüros"
    assert result.crs_guess.crs == "EPSG:4326"
    # the Familienbüro measures reach by radius (the NRW default): the areas are stored but say they do not act yet
    assert messages(result, "warning") == [
        "Die Gebiete der Familienbüros nutzt derzeit kein Reichweitenmodell. Sie werden gespeichert und wirken, "
        "sobald auf der Seite „Angebotsarten“ für diese Art das Modell „Zuständigkeitsgebiete (hochgeladene "
        "Flächen)“ gewählt ist (oder eine andere Art ihr als zugeordnete Einrichtung folgt)."]


def test_a_shapefile_in_gauss_krueger_with_cp1252_names_is_read_with_its_prj(city):
    # Schuleinzugsbereiche as a city's GIS exports them: Gauß-Krüger zone 2 (EPSG:31466), Windows-1252 attributes.
    layer = areas([("1", "Einzugsbereich Süd-Ost Ä", "Grundschule", "100012", square(0, 1000)),
                   ("2", "Straße am Bach", "Grundschule", "100024", square(1000, 2000))],
                  crs="EPSG:31466", columns=("Nr", "Bezeichnung", "Art", "Schulnummer"))
    result = check(shapefile_zip(layer), "schuleinzug.zip", city.dataset())
    assert result.ok, result.report.errors
    out = result.layer
    assert out[settings.OFFER_NAME].tolist() == ["Einzugsbereich Süd-Ost Ä", "Straße am Bach"]
    assert out[settings.OFFER_ID].tolist() == ["100012", "100024"]
    assert out[settings.OFFER_TYPE].tolist() == ["grundschule", "grundschule"]
    assert result.info["Koordinatensystem"] == "EPSG:31466"
    # back in UTM the squares are where they were, to the centimetre
    for got, want in zip(out.geometry, [square(0, 1000), square(1000, 2000)], strict=True):
        assert got.hausdorff_distance(want) < 0.01
    assert result.report.problems == []  # grundschule is the FGZ's host type: its areas are used


def test_a_shapefile_without_prj_needs_the_crs_chosen_on_the_page(city):
    layer = areas([("1", "Nord", "Grundschule", "100012", square(0, 1000))], crs="EPSG:31466")
    data = shapefile_zip(layer, prj=False)
    refused = check(data, "ohne_prj.zip", city.dataset())
    assert not refused.ok
    assert messages(refused, "error")[0].startswith("Zur Shapefile „gebiete.shp“ fehlt die .prj-Datei")
    chosen = check(data, "ohne_prj.zip", city.dataset(), crs="EPSG:31466")
    assert chosen.ok, chosen.report.errors
    assert chosen.layer.geometry.iloc[0].hausdorff_distance(square(0, 1000)) < 0.01
    assert chosen.crs_guess.reason == "vom Nutzer angegeben"


def test_a_school_file_without_type_column_is_taken_as_schuleinzugsbereiche(city):
    layer = areas([("100012", "GS Am Markt", square(0, 1000)), ("100024", "", square(1000, 2000))],
                  columns=("Schulnummer", "Schulname"))
    result = check(geojson(layer), "seb.geojson", city.dataset())
    assert result.ok, result.report.errors
    assert result.layer[settings.OFFER_TYPE].tolist() == ["grundschule", "grundschule"]
    # without an id column the Schulnummer is the area's id; without a name, the school's name
    assert result.layer[settings.CATCHMENT_ID].tolist() == ["100012", "100024"]
    assert result.layer[settings.OFFER_NAME].tolist() == ["GS Am Markt", "GS Südpark"]
    assert messages(result, "warning") == [
        "Keine Spalte „Angebotsart“ gefunden; wegen der Spalte „Schulnummer“ werden die Flächen als "
        "Schuleinzugsbereiche der Grundschulen übernommen."]


def test_the_type_for_the_whole_file_can_be_chosen(city):
    layer = areas([("A", "Nord", square(0, 1000))], columns=("Kennung", "Name"))
    missing = check(geojson(layer), "a.geojson", city.dataset())
    assert messages(missing, "error") == [
        "Die Spalte für die Angebotsart fehlt (z. B. „Angebotsart“ oder „Art“). Ergänzen Sie sie oder wählen Sie "
        "eine Angebotsart für die ganze Datei. Erlaubt sind: „familienbuero“ (Familienbüro), „fgz“ (FGZ), "
        "„lotsendienst“ (Lotsendienst), „familienzentrum“ (Familienzentrum), „kita_sozialarbeit“ "
        "(Kita-Sozialarbeit), „geburtsklinik“ (Geburtsklinik), „grundschule“ (Grundschule)."]
    chosen = check(geojson(layer), "a.geojson", city.dataset(), default_type="Familienbüro")
    assert chosen.ok and chosen.layer[settings.OFFER_TYPE].tolist() == ["familienbuero"]
    assert chosen.layer[settings.OFFER_ID].tolist() == [""]  # an area of the whole type


# --- validation: every finding at once, with the feature's row ----------------------------------------------------


def test_every_problem_of_a_file_is_reported_at_once_with_its_row(city):
    bowtie = Polygon([xy(0, 0), xy(1000, 1000), xy(1000, 0), xy(0, 1000)])
    layer = areas([
        ("E1", "ok", "Grundschule", "100012", square(0, 1000)),  # row 2
        ("E2", "Punkt", "Grundschule", "100024", Point(xy(1500, 500))),  # row 3: no area
        ("E3", "Schleife", "Grundschule", "100024", bowtie),  # row 4: self-intersection, repaired
        ("E4", "Unbekannt", "Schwimmbad", "", square(1000, 2000)),  # row 5: unknown type
        ("E1", "doppelt", "Grundschule", "", square(2000, 3000)),  # row 6: duplicate id
        ("", "ohne Nr", "Grundschule", "", square(2000, 3000)),  # row 7: blank id
        ("E8", "Strich", "Grundschule", "", LineString([xy(0, 0), xy(10, 10)])),  # row 8: a line
        ("E9", "fremde Schule", "Grundschule", "999999", square(2000, 3000)),  # row 9: unknown school
        ("", "leer", "Grundschule", "", None),  # row 10: neither id nor geometry
    ])
    result = check(geojson(layer), "fehler.geojson", city.dataset())
    assert not result.ok and result.layer is None
    errors = messages(result, "error")
    allowed = ("„familienbuero“ (Familienbüro), „fgz“ (FGZ), „lotsendienst“ (Lotsendienst), „familienzentrum“ "
               "(Familienzentrum), „kita_sozialarbeit“ (Kita-Sozialarbeit), „geburtsklinik“ (Geburtsklinik), "
               "„grundschule“ (Grundschule)")
    assert errors == [
        "Zeile 3: Einzugsgebiet „E2“ ist keine Fläche, sondern ein Punkt.",
        f"Zeile 5: Die Angebotsart „Schwimmbad“ ist unbekannt. Erlaubt sind: {allowed}.",
        "Zeile 6: Die Kennung „E1“ kommt mehrfach vor (Zeilen 2 und 6).",
        "Zeile 7: Die Kennung des Einzugsgebiets fehlt.",
        "Zeile 8: Einzugsgebiet „E8“ ist keine Fläche, sondern eine Linie.",
        "Zeile 10: Die Kennung des Einzugsgebiets fehlt.",
        "Zeile 10: Einzugsgebiet ohne Kennung hat keine Geometrie.",
    ]
    warnings = messages(result, "warning")
    assert "Zeile 4: Einzugsgebiet „E3“: ungültige Geometrie (Selbstüberschneidung) wurde automatisch repariert. " \
           "Bitte prüfen Sie die Grenze auf der Karte." in warnings
    assert "Zeile 9: Einzugsgebiet „E9“: Die Kennung „999999“ gibt es bei den Grundschulen nicht. Das Gebiet wird " \
           "übernommen, kann aber keinem Standort zugeordnet werden." in warnings
    # nothing is stored from a file with errors
    with pytest.raises(DataError, match="Die Datei wurde nicht gespeichert"):
        commit_upload(city, result, filename="fehler.geojson")
    assert "catchments" not in city.active_versions()


def test_overlapping_areas_of_one_type_are_named_both(city):
    layer = areas([
        ("N", "Nord", "Grundschule", "100012", square(0, 1200)),  # overlaps S by 200 m × 1000 m = 20 ha
        ("S", "Süd", "Grundschule", "100024", square(1000, 2000)),
        ("F", "Familienbüro", "Familienbüro", "FB1", square(0, 2000)),  # another type: no overlap warning
        ("T", "Rand", "Grundschule", "", square(2000, 3000)),  # touches S along a border only
    ])
    result = check(geojson(layer), "seb.geojson", city.dataset())
    assert result.ok
    overlaps = [m for m in messages(result, "warning") if "überschneiden" in m]
    assert overlaps == ["Zeile 3: Die Einzugsgebiete „N“ (Zeile 2) und „S“ (Zeile 3) der Grundschulen überschneiden "
                        "sich auf 20,0 ha. Familien dort zählen zu beiden; bitte prüfen Sie die Grenzen."]


def test_slivers_along_a_shared_border_are_no_overlap():
    a, b = square(0, 1000), square(999.995, 2000)  # 0.5 cm × 1000 m = 5 m² shared
    assert overlapping_pairs(gpd.GeoSeries([a, b]).to_numpy()) == []
    assert OVERLAP_MIN_M2 == 10.0
    c = square(990, 2000)  # 10 m × 1000 m = 10,000 m²
    assert overlapping_pairs(gpd.GeoSeries([a, c]).to_numpy()) == [(0, 1, pytest.approx(10_000.0))]


def test_areas_outside_every_sozialraum(city):
    layer = areas([
        ("IN", "in der Stadt", "Grundschule", "100012", square(0, 1000)),
        ("NAH", "Nachbarort", "Grundschule", "", square(3500, 4000)),  # 500 m east of the city: a warning
        ("FERN", "anderswo", "Grundschule", "", square(20_000, 21_000)),  # 17 km away: an error
    ])
    result = check(geojson(layer), "seb.geojson", city.dataset())
    assert messages(result, "error") == [
        "Zeile 4: Einzugsgebiet „FERN“ liegt außerhalb aller Sozialräume, 17,0 km entfernt. Stimmt das "
        "Koordinatensystem?"]
    assert "Zeile 3: Einzugsgebiet „NAH“ liegt außerhalb aller Sozialräume (an keiner Stelle in der Stadt); es wird " \
           "übernommen, erreicht aber niemanden." in messages(result, "warning")
    # all of them far away: one finding that asks about the coordinate system
    far = areas([("A", "x", "Grundschule", "", square(50_000, 51_000)), ("B", "y", "Grundschule", "",
                                                                          square(52_000, 53_000))])
    result = check(geojson(far), "seb.geojson", city.dataset())
    assert messages(result, "error") == [
        "Keines der Einzugsgebiete liegt in den Sozialräumen; alle sind weiter als 5 km entfernt. Stimmt das "
        "Koordinatensystem? Gehören Datei und Sozialräume zur selben Stadt?"]


def test_areas_of_a_type_without_offers_are_kept_with_a_note(city, squares):
    layer = areas([("K", "Klinikbezirk", "Familienzentrum", "FZ-9", square(0, 1000))])
    result = check(geojson(layer), "fz.geojson", city.dataset())
    assert result.ok
    assert "Es gibt noch keine Standorte der Angebotsart „Familienzentrum“: 1 Gebiet wird übernommen und den " \
           "Standorten zugeordnet, sobald diese hochgeladen sind." in messages(result, "warning")


def test_a_layer_of_points_is_no_catchment_layer(city):
    layer = areas([("A", "x", "Grundschule", "", Point(xy(10, 10))), ("B", "y", "Grundschule", "", Point(xy(20, 20)))])
    result = check(geojson(layer), "punkte.geojson", city.dataset())
    assert messages(result, "error") == [
        "Die Datei enthält keine Flächen (Polygone), sondern 2× ein Punkt. Einzugsgebiete müssen als Flächen "
        "vorliegen; Standorte (Punkte) laden Sie bitte als Angebote hoch."]


# --- storing: replace the types in the file, keep the others; what was previewed is stored ------------------------


def test_an_upload_replaces_the_areas_of_its_types_and_keeps_the_others(city):
    first = areas([("ZG-1", "West", "Familienbüro", "FB1", square(0, 1500)),
                   ("SEB-1", "Markt", "Grundschule", "100012", square(0, 1000))])
    stored = check(geojson(first), "alle.geojson", city.dataset())
    commit_upload(city, stored, filename="alle.geojson", previewed=stored.base_versions)
    schools = areas([("SEB-1", "Markt neu", "Grundschule", "100012", square(0, 1100)),
                     ("SEB-2", "Südpark", "Grundschule", "100024", square(1100, 2000))])
    result = check(geojson(schools), "schulen.geojson", city.dataset())
    assert result.ok
    assert result.layer[[settings.OFFER_TYPE, settings.CATCHMENT_ID]].values.tolist() == [
        ["familienbuero", "ZG-1"], ["grundschule", "SEB-1"], ["grundschule", "SEB-2"]]
    changes = result.changes
    assert (changes.added, changes.changed, changes.removed, changes.unchanged) == (
        ["grundschule / SEB-2"], ["grundschule / SEB-1"], [], 1)
    info = commit_upload(city, result, filename="schulen.geojson", previewed=result.base_versions)
    assert info.label.startswith("Einzugsgebiete v2 (schulen.geojson")
    assert_geodataframe_equal(city.load("catchments"), result.layer, check_dtype=False)
    assert_geodataframe_equal(city.dataset().catchments, result.layer, check_dtype=False)


def test_a_confirmation_of_a_stale_preview_stores_nothing(city):
    layer = areas([("SEB-1", "Markt", "Grundschule", "100012", square(0, 1000))])
    seen = check(geojson(layer), "seb.geojson", city.dataset())
    city.save("offers", city_offers().head(4), filename="andere_sitzung.csv")  # another session, meanwhile
    with pytest.raises(VersionConflict, match=r"Die Daten wurden inzwischen geändert \(Angebote: Version 2 statt 1\)"):
        commit_upload(city, seen, filename="seb.geojson")
    assert "catchments" not in city.active_versions()
    again = check(geojson(layer), "seb.geojson", city.dataset())
    with pytest.raises(VersionConflict):
        commit_upload(city, again, filename="seb.geojson", previewed=seen.base_versions)
    assert commit_upload(city, again, filename="seb.geojson", previewed=again.base_versions).version == 1


# --- hostile text --------------------------------------------------------------------------------------------------


def test_hostile_names_stay_text_in_the_layer_and_the_preview_map(city):
    layer = areas([(HOSTILE, HOSTILE, "Grundschule", "100012", square(0, 1000)),
                   ("x" * 5000, "", "Grundschule", "100024", square(1000, 2000))])
    result = check(geojson(layer), "böse.geojson", city.dataset())
    assert result.ok, result.report.errors
    assert result.layer[settings.CATCHMENT_ID].tolist() == [HOSTILE, "x" * 5000]
    assert result.layer[settings.OFFER_NAME].tolist() == [HOSTILE, "GS Südpark"]
    dataset = city.dataset()
    html = upload_preview_map(districts=dataset.districts, current=None, new=result.layer,
                              kind="catchments").get_root().render()
    assert "<script>alert(1)</script>" not in html and "1337" not in html
    # HTML-escaped for the tooltip, then written inert for the script (``&`` → ``\u0026``)
    assert "\\u0026lt;script\\u0026gt;alert(1)\\u0026lt;/script\\u0026gt;" in html


# --- the template, the command line, the page --------------------------------------------------------------------


def test_the_template_is_geojson_that_uploads_unchanged(city):
    dataset = city.dataset()
    template = upload_template("catchments", dataset)
    assert template.formats == ("geojson",)
    data = template_bytes(template, "geojson")
    features = json.loads(data)["features"]
    assert [f["properties"]["Angebots-Kennung"] for f in features] == ["FB1", "100012"]
    assert [f["properties"]["Name"] for f in features] == ["Zuständigkeitsgebiet Altstadt",
                                                           "Schuleinzugsbereich Südpark"]
    result = check(data, file_name(template, "geojson"), dataset)
    assert result.ok, result.report.errors
    assert result.layer[settings.OFFER_TYPE].tolist() == ["familienbuero", "grundschule"]


def test_the_command_line_uploads_areas_and_writes_the_template(city, tmp_path, capsys):
    from geo.cli import main

    out = tmp_path / "gebiete.geojson"
    assert main(["template", "catchments", "--out", str(out)]) == 0
    assert f"Vorlage Einzugsgebiete geschrieben: {out}" in capsys.readouterr().out
    assert main(["upload", "catchments", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Datei: gebiete.geojson (Einzugsgebiete)" in printed and "Gespeichert: Einzugsgebiete v1" in printed
    shp = tmp_path / "seb.zip"
    shp.write_bytes(shapefile_zip(areas([("1", "Nord", "100012", square(0, 1000))],
                                        columns=("Nr", "Name", "Schulnr"), crs="EPSG:31466"), prj=False))
    assert main(["upload", "catchments", str(shp), "--crs", "EPSG:31466", "--type", "grundschule"]) == 0
    stored = city.load("catchments")
    assert stored[[settings.OFFER_TYPE, settings.CATCHMENT_ID]].values.tolist() == [
        ["familienbuero", "ZG-1"], ["grundschule", "1"]]


def shown(markdown: str) -> str:
    return markdown.replace("\\", "")


def test_the_daten_page_previews_and_stores_areas(city):
    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("catchments").run()
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")] == ["GeoJSON (zwei Beispielflächen)"]
    layer = areas([("SEB-1", HOSTILE, "Grundschule", "100012", square(0, 1000)),
                   ("SEB-2", "Süd", "Grundschule", "999", square(1000, 2000))])
    at.file_uploader(key="up_file_catchments").upload("seb.geojson", geojson(layer)).run()
    assert not at.exception and not at.error
    assert {m.label: m.value for m in at.metric} == {"neu": "2", "geändert": "0", "entfällt": "0", "unverändert": "0"}
    assert "Die Kennung „999“ gibt es bei den Grundschulen nicht" in shown(at.warning[0].value)
    assert at.button(key="up_save").label == "Einzugsgebiete übernehmen und speichern"
    assert "catchments" not in city.active_versions()
    at.button(key="up_save").click().run()
    assert not at.exception
    assert shown(at.success[0].value).startswith("Gespeichert: Einzugsgebiete v1 (seb.geojson")
    assert city.load("catchments")[settings.OFFER_NAME].tolist() == [HOSTILE, "Süd"]


def test_the_daten_page_shows_every_error_of_an_area_file(city):
    at = open_page("app_pages/3_Daten.py", timeout=120)
    at.radio(key="up_kind").set_value("catchments").run()
    layer = areas([("<b>E1</b>", "x", "$Schwimmbad$", "", square(0, 1000))])
    at.file_uploader(key="up_file_catchments").upload("seb.geojson", geojson(layer)).run()
    assert not at.exception
    assert "Die Datei kann so nicht übernommen werden (1 Fehler)" in shown(at.error[0].value)
    assert "Die Angebotsart „$Schwimmbad$“ ist unbekannt" in shown(at.error[0].value)
    assert "\\$Schwimmbad\\$" in at.error[0].value  # escaped: no formula, no markup
    assert "up_save" not in [b.key for b in at.button]
    assert "catchments" not in city.active_versions()


@pytest.mark.parametrize("suffix", [".gpkg"])
def test_a_geopackage_is_read_like_the_boundaries(city, tmp_path, suffix):
    layer = areas([("SEB-1", "Markt", "Grundschule", "100012", square(0, 1000))], crs="EPSG:3035")
    path = tmp_path / f"seb{suffix}"
    pyogrio.write_dataframe(layer, path, layer="einzugsbereiche")
    result = check(path.read_bytes(), path.name, city.dataset())
    assert result.ok, result.report.errors
    assert result.info["Ebene"] == "einzugsbereiche"
    assert result.layer.geometry.iloc[0].hausdorff_distance(square(0, 1000)) < 0.01
    assert pd.Series(result.layer.geometry.area).round(0).tolist() == [1_000_000.0]


@pytest.mark.skipif(not VG5000.exists(), reason="../shared/data/vg5000 (BKG VG5000 Shapefile) not present")
def test_real_municipalities_in_gauss_krueger_zone_3_as_areas_of_a_kreis(data_root):
    # The BKG's VG5000 (EPSG:31467, .cpg UTF-8): Kreis Recklinghausen's ten towns are the Sozialräume; the same
    # towns and Bottrop, its neighbour, uploaded as Zuständigkeitsgebiete straight from the Shapefile's parts.
    gem = pyogrio.read_dataframe(VG5000)
    kreis = gem[gem["AGS"].str.startswith("05562")]
    workspace = create_workspace("Kreis Recklinghausen", make_default=True)
    districts = gpd.GeoDataFrame({settings.DISTRICT_ID: kreis["AGS"].to_numpy(),
                                  settings.DISTRICT_NAME: kreis["GEN"].to_numpy(), settings.AREA_ID: "",
                                  settings.AREA_NAME: ""}, geometry=kreis.geometry.to_numpy(), crs=gem.crs)
    workspace.save("districts", districts.to_crs(settings.METRIC_CRS), filename="vg5000.shp")
    upload = gem[gem["AGS"].str.startswith("05562") | (gem["AGS"] == "05512000")][["AGS", "GEN", "geometry"]]
    with tempfile.TemporaryDirectory() as folder:
        pyogrio.write_dataframe(upload, Path(folder) / "gebiete.shp", encoding="UTF-8")
        for part in (".prj", ".cpg"):  # the published parts, not ours
            (Path(folder) / f"gebiete{part}").write_bytes(VG5000.with_suffix(part).read_bytes())
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            for part in sorted(Path(folder).iterdir()):
                archive.write(part, part.name)
    result = check(buffer.getvalue(), "vg5000.zip", workspace.dataset(), default_type="familienbuero",
                   column_map={"AGS": "catchment_id", "GEN": "name"})
    assert result.ok, result.report.errors
    assert result.info["Koordinatensystem"] == "EPSG:31467"
    assert len(result.layer) == 11 and "Marl" in result.layer[settings.OFFER_NAME].tolist()
    # the towns' shared borders are no overlaps; Bottrop touches Gladbeck but lies outside the Kreis
    warnings = messages(result, "warning")
    assert not [m for m in warnings if "überschneiden" in m]
    assert [m for m in warnings if "außerhalb" in m] == [
        f"Zeile {2 + upload['AGS'].tolist().index('05512000')}: Einzugsgebiet „05512000“ liegt außerhalb aller "
        "Sozialräume (an keiner Stelle in der Stadt); es wird übernommen, erreicht aber niemanden."]
    kreis_area = districts.to_crs(settings.METRIC_CRS).area.sum()
    inside = result.layer[result.layer[settings.CATCHMENT_ID].str.startswith("05562")]
    assert inside.area.sum() == pytest.approx(kreis_area, rel=1e-9)
