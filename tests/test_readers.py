"""Reading uploads: German CSVs as Excel writes them, workbooks, and boundary files (GeoJSON, GeoPackage, ZIP)."""

from __future__ import annotations

import datetime as dt
import io
import json
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pyogrio
import pytest
from pyproj import CRS, Transformer
from shapely.geometry import Point, box

from geo import settings
from geo._errors import DataError
from geo.io import EXCEL_ROW, parse_number, read_boundaries, read_table

# --------------------------------------------------------------------------------------------------------------
# parse_number


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1.234,5", 1234.5),
        ("1234.5", 1234.5),
        ("51,48", 51.48),
        ("-7,2", -7.2),
        ("+3", 3.0),
        (",5", 0.5),
        ("5.728.000", 5_728_000.0),
        ("5.728.000,25", 5_728_000.25),
        ("1,234.5", 1234.5),
        ("1,234,567", 1_234_567.0),
        ("12,5 %", 12.5),
        ("12,5%", 12.5),
        (" 1 234,5 ", 1234.5),
        ("1\u00a0234", 1234.0),
        ("\u22123,5", -3.5),
        ("1e3", 1000.0),
        ("1.234", 1.234),  # one point: a decimal point unless the column holds counts
        ("1,234", 1.234),  # one comma: always the German decimal comma
    ],
)
def test_parse_number_reads_german_and_english_numbers(text, value):
    assert parse_number(pd.Series([text]))[0] == pytest.approx(value)


@pytest.mark.parametrize("text", ["abc", "", "  ", "1,2,3", "1.2.3", "12.34,5", "inf", "-inf", "nan", "1e400", "7,78x"])
def test_parse_number_rejects_what_is_no_number(text):
    assert np.isnan(parse_number(pd.Series([text], dtype="str"))[0])


def test_parse_number_integer_mode_reads_thousands_point():
    out = parse_number(pd.Series(["1.234", "12.345", "999", "1.234,0"]), integer=True)
    assert out.tolist() == [1234.0, 12345.0, 999.0, 1234.0]


def test_parse_number_keeps_index_missing_values_and_numbers():
    series = pd.Series(["1,5", None, "x"], index=[7, 8, 9], dtype="str")
    out = parse_number(series)
    assert list(out.index) == [7, 8, 9] and out.dtype == "float64"
    assert out[7] == 1.5 and np.isnan(out[8]) and np.isnan(out[9])
    assert parse_number(pd.Series([1, 2])).tolist() == [1.0, 2.0]
    assert np.isnan(parse_number(pd.Series([np.inf]))[0])


# --------------------------------------------------------------------------------------------------------------
# read_table: CSV

HEADER = "Id;Art;Name;Breite;Länge"


def test_cp1252_csv_with_umlauts():
    data = f"{HEADER}\n0101;fgz;Grundschule Süd-Öst, Straße;51,48;7,21\n".encode("cp1252")
    table = read_table(data, "angebote.csv")
    assert list(table.columns) == ["Id", "Art", "Name", "Breite", "Länge"]
    assert table.loc[2, "Name"] == "Grundschule Süd-Öst, Straße"
    assert table.loc[2, "Id"] == "0101"  # ids keep their leading zero
    assert table.attrs["encoding"] == "Windows-1252" and table.attrs["delimiter"] == ";"
    assert table.attrs["notes"] == []


def test_utf8_bom_is_not_part_of_the_first_column():
    table = read_table(("\ufeff" + HEADER + "\nA;fgz;Süd;51,4;7,2\n").encode("utf-8"), "a.csv")
    assert table.columns[0] == "Id" and table.attrs["encoding"] == "UTF-8 mit BOM"


def test_sep_line_moves_rows_down_by_one():
    table = read_table(f"sep=;\n{HEADER}\nA;fgz;S;51,4;7,2\nB;fgz;T;51,5;7,3\n".encode(), "a.csv")
    assert table.attrs["header_row"] == 2
    assert table.index.name == EXCEL_ROW and list(table.index) == [3, 4]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
@pytest.mark.parametrize("delimiter", [";", ",", "\t", "|"])
def test_delimiter_is_sniffed(delimiter, newline):
    rows = [["Id", "Art", "Breite", "Länge"], ["A", "fgz", '"51,48"', '"7,21"'], ["B", "fgz", '"51,5"', '"7,3"']]
    text = newline.join(delimiter.join(r) for r in rows) + newline
    table = read_table(text.encode(), "a.csv")
    assert table.attrs["delimiter"] == delimiter
    assert table.loc[3, "Breite"] == "51,5"


def test_quoted_fields_with_delimiters_quotes_and_line_breaks():
    text = 'Id;Name;Breite\nA;"Kita ""Sonne""; Haus 2";51,4\nB;"Zwei\nZeilen";51,5\n\nC;x;51,6\n'
    table = read_table(text.encode(), "a.csv")
    assert table.loc[2, "Name"] == 'Kita "Sonne"; Haus 2'
    assert table.loc[3, "Name"] == "Zwei\nZeilen"
    # Excel shows the two-line record as one row, and the blank line as row 4.
    assert list(table.index) == [2, 3, 5]


def test_values_are_stripped_and_blanks_missing():
    table = read_table(b"Id;Name;Wert\n A ;  ;\n", "a.csv")
    assert table.loc[2, "Id"] == "A"
    assert table[["Name", "Wert"]].isna().all(axis=None)


def test_school_style_trailing_delimiter_in_header_is_dropped():
    table = read_table(b'sep=;\nA;B;\n"1";"2"\n', "a.csv")
    assert list(table.columns) == ["A", "B"] and table.loc[3, "A"] == "1"


def test_duplicate_and_missing_header_names():
    table = read_table(b"Id;Id;;Name\n1;2;3;x\n", "a.csv")
    assert list(table.columns) == ["Id", "Id (2)", "Spalte C", "Name"]
    assert "kommt mehrfach vor" in table.attrs["notes"][0]


def test_short_rows_are_padded():
    table = read_table(b"Id;Art;Breite\nA;fgz\n", "a.csv")
    assert np.isnan(table.loc[2, "Breite"])


def test_excel_unicode_text_utf16_tab():
    table = read_table("Id\tName\nA\tGroßstraße\n".encode("utf-16"), "export.txt")
    assert table.attrs["encoding"] == "UTF-16" and table.loc[2, "Name"] == "Großstraße"


def test_mixed_encodings_are_read_line_by_line_and_noted():
    data = "Id;Name\nA;Süd\n".encode() + "B;Nord-Öst\n".encode("cp1252")
    table = read_table(data, "a.csv")
    assert table.loc[2, "Name"] == "Süd" and table.loc[3, "Name"] == "Nord-Öst"
    assert "Textzeile(n) 3" in table.attrs["notes"][0]


def test_every_row_with_too_many_fields_is_listed():
    with pytest.raises(DataError, match="mehr Feldern als die Kopfzeile") as err:
        read_table(b"Id,Breite,Laenge\nA,51,4,7,2\nB,1,2\nC,51,5,7,3\n", "a.csv")
    assert [p.row for p in err.value.problems] == [2, 4]
    assert "Dezimalzeichen" in err.value.problems[0].message


def test_enormous_line():
    data = b"Id;Name\nA;" + b"x" * 150_000 + b"\n"
    with pytest.raises(DataError, match="extrem lang") as err:
        read_table(data, "a.csv")
    assert err.value.problems[0].row == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "ist leer"),
        (b"\xef\xbb\xbf", "Byte-Order-Markierung"),
        (b"  \n\r\n ", "ist leer"),
        (HEADER.encode() + b"\n\n", "nur die Kopfzeile"),
        (b"Id;Name\x00\x01\x02", "Binärdaten"),
        (bytes(range(1, 32)) * 20, "Steuer- bzw. Binärzeichen"),
        (b"%PDF-1.7 ...", "PDF-Datei"),
        (b"\x89PNG\r\n\x1a\n....", "PNG-Bild"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(50), "alten Format"),
        (b"PK\x03\x04garbage", "ZIP-Archiv"),
        (b'Id;Name\nA;"offen\nB;x\n', "Anführungszeichen"),
    ],
)
def test_unreadable_csv_gives_german_data_error(data, message):
    with pytest.raises(DataError, match=message):
        read_table(data, "a.csv")


def test_unsupported_suffix():
    with pytest.raises(DataError, match="„.ods“ wird für Tabellen nicht unterstützt"):
        read_table(b"x", "a.ods")
    with pytest.raises(DataError, match="alten Format"):
        read_table(b"x", "a.xls")


# --------------------------------------------------------------------------------------------------------------
# read_table: XLSX


def _xlsx(sheets: dict[str, list[list]], start_row: int = 1) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for i, row in enumerate(rows):
            for j, value in enumerate(row):
                sheet.cell(row=start_row + i, column=j + 1, value=value)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_xlsx_values_become_text_with_excel_rows():
    rows = [
        ["Id", "Breite", "Anzahl", "Seit", "Aktiv", None],
        ["0101", 51.4812, 3.0, dt.datetime(2024, 1, 2), True, None],
        [101, 7.5, 12, dt.datetime(2024, 1, 2, 8, 30), False, "spät"],
    ]
    table = read_table(_xlsx({"Standorte": rows}, start_row=3), "liste.xlsx")
    assert table.attrs["header_row"] == 3 and list(table.index) == [4, 5]
    assert table.loc[4].tolist()[:5] == ["0101", "51.4812", "3", "2024-01-02", "WAHR"]
    assert table.loc[5, "Id"] == "101" and table.loc[5, "Seit"] == "2024-01-02 08:30:00"
    assert table.loc[5, "Spalte F"] == "spät"  # data under an empty header cell keeps its column
    assert table.attrs["sheet"] == "Standorte"


def test_xlsx_first_sheet_with_data_is_read_and_others_noted():
    data = _xlsx({"Leer": [], "Standorte": [["Id"], ["A"]], "Alt": [["Id"], ["B"]]})
    table = read_table(data, "liste.xlsx")
    assert table.attrs["sheet"] == "Standorte" and table.loc[2, "Id"] == "A"
    assert "weitere Blätter" in table.attrs["notes"][0]
    assert read_table(data, "liste.xlsx", sheet="Alt").loc[2, "Id"] == "B"


def test_xlsx_named_csv_is_read_as_workbook():
    table = read_table(_xlsx({"T": [["Id"], ["A"]]}), "liste.csv")
    assert table.loc[2, "Id"] == "A" and "Excel-Arbeitsmappe" in table.attrs["notes"][0]


@pytest.mark.parametrize(
    ("sheets", "sheet", "message"),
    [
        ({"T1": [], "T2": []}, None, "enthält keine Daten"),
        ({"T1": [["Id"]]}, None, "nur die Kopfzeile"),
        ({"T1": [["Id"], ["A"]]}, "Angebote", "Tabellenblatt „Angebote“ gibt es"),
        ({"T1": [], "T2": [["Id"], ["A"]]}, "T1", "Tabellenblatt „T1“ in „a.xlsx“ ist leer"),
    ],
)
def test_xlsx_problems(sheets, sheet, message):
    with pytest.raises(DataError, match=message):
        read_table(_xlsx(sheets), "a.xlsx", sheet=sheet)


def test_xlsx_that_is_no_workbook():
    with pytest.raises(DataError, match="keine gültige Excel"):
        read_table(b"Id;Name\n", "a.xlsx")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "nothing")
    with pytest.raises(DataError, match="anderes ZIP-Archiv"):
        read_table(buffer.getvalue(), "a.xlsx")


def test_xlsx_is_bounded_like_any_zip(monkeypatch):
    monkeypatch.setattr(settings, "MAX_UNPACKED_BYTES", 1_000)
    with pytest.raises(DataError, match="entpackt"):
        read_table(_xlsx({"T": [["Id"], ["A"]]}), "a.xlsx")


# --------------------------------------------------------------------------------------------------------------
# read_boundaries

#: A transverse Mercator without EPSG code: GRS80, central meridian 7.5° E, false easting 500 km.
CUSTOM_TM = "+proj=tmerc +lat_0=0 +lon_0=7.5 +k=0.9996 +x_0=500000 +y_0=0 +ellps=GRS80 +units=m +no_defs"


def _districts(crs="EPSG:25832") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"sr_id": ["0101", "0102"], "name": ["Südpark", "Großer Hellweg"]},
        geometry=[box(414_000, 5_727_000, 415_000, 5_728_000), box(415_000, 5_727_000, 416_000, 5_728_000)],
        crs=crs,
    )


def _shapefile_zip(gdf: gpd.GeoDataFrame, *, encoding: str = "UTF-8", drop: tuple[str, ...] = (),
                   folder: str = "", cpg: bytes | None = None) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        pyogrio.write_dataframe(gdf, Path(tmp) / "sr.shp", encoding=encoding)
        for suffix in drop:
            (Path(tmp) / f"sr{suffix}").unlink()
        if cpg is not None:
            (Path(tmp) / "sr.cpg").write_bytes(cpg)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(Path(tmp).iterdir()):
                archive.writestr(folder + path.name, path.read_bytes())
    return buffer.getvalue()


def test_zipped_shapefile_custom_projection_latin1_with_cpg():
    metric = _districts()
    custom = metric.to_crs(CRS.from_proj4(CUSTOM_TM))
    data = _shapefile_zip(custom, encoding="ISO-8859-1")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("sr.cpg").strip() == b"ISO-8859-1"
        assert "Südpark".encode("latin-1") in archive.read("sr.dbf")
    gdf = read_boundaries(data, "grenzen.zip")
    assert gdf["name"].tolist() == ["Südpark", "Großer Hellweg"]
    assert gdf.crs.to_epsg() is None and gdf.crs.is_projected
    # The round trip through the custom projection lands on the original corners within 1 cm.
    back = gdf.to_crs("EPSG:25832")
    assert np.allclose(back.total_bounds, metric.total_bounds, atol=0.01)
    assert gdf.attrs["layer"] == "sr"


def test_latin1_dbf_without_cpg_is_read_as_latin1():
    gdf = read_boundaries(_shapefile_zip(_districts(), encoding="ISO-8859-1", drop=(".cpg",)), "g.zip")
    assert gdf["name"].tolist() == ["Südpark", "Großer Hellweg"]


def test_utf8_dbf_without_cpg_is_detected():
    gdf = read_boundaries(_shapefile_zip(_districts(), encoding="UTF-8", drop=(".cpg",)), "g.zip")
    assert gdf["name"].tolist() == ["Südpark", "Großer Hellweg"]
    assert "als UTF-8 gelesen" in gdf.attrs["notes"][-1]


def test_cp1252_cpg_is_honoured():
    gdf = read_boundaries(_shapefile_zip(_districts(), encoding="ISO-8859-1", drop=(".cpg",), cpg=b"1252"), "g.zip")
    assert gdf["name"].tolist() == ["Südpark", "Großer Hellweg"]


def test_shapefile_in_a_folder_of_the_zip():
    gdf = read_boundaries(_shapefile_zip(_districts(), folder="Daten/Sozialräume/"), "g.zip")
    assert len(gdf) == 2 and gdf.crs.to_epsg() == 25832


def test_shapefile_without_prj_needs_crs():
    data = _shapefile_zip(_districts(), drop=(".prj",))
    with pytest.raises(DataError, match=r"fehlt die \.prj-Datei.*Koordinatensystem an"):
        read_boundaries(data, "g.zip")
    gdf = read_boundaries(data, "g.zip", crs="25832")
    assert gdf.crs.to_epsg() == 25832


def test_zip_limits_are_checked_before_extraction(monkeypatch):
    data = _shapefile_zip(_districts())
    monkeypatch.setattr(settings, "MAX_ZIP_FILES", 3)
    with pytest.raises(DataError, match="enthält 5 Dateien; erlaubt sind höchstens 3"):
        read_boundaries(data, "g.zip")
    monkeypatch.setattr(settings, "MAX_ZIP_FILES", 200)
    monkeypatch.setattr(settings, "MAX_UNPACKED_BYTES", 500)
    with pytest.raises(DataError, match="entpackt"):
        read_boundaries(data, "g.zip")


@pytest.mark.parametrize("member", ["../sr.shp", "a/../../sr.shp", "/etc/sr.shp", "..\\sr.shp", "C:/sr.shp"])
def test_unsafe_zip_paths_are_refused(member):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(member, b"x")
    with pytest.raises(DataError, match="unzulässigen Pfad"):
        read_boundaries(buffer.getvalue(), "g.zip")


def test_several_shapefiles_need_a_choice():
    one = zipfile.ZipFile(io.BytesIO(_shapefile_zip(_districts())))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for info in one.infolist():
            archive.writestr(info.filename, one.read(info))
            archive.writestr(info.filename.replace("sr.", "alt."), one.read(info))
    one.close()
    with pytest.raises(DataError, match="mehrere Shapefiles"):
        read_boundaries(buffer.getvalue(), "g.zip")
    assert len(read_boundaries(buffer.getvalue(), "g.zip", layer="alt")) == 2


def test_geojson_from_bytes_is_wgs84_and_legacy_crs_member_is_honoured():
    wgs = _districts().to_crs("EPSG:4326")
    gdf = read_boundaries(wgs.to_json().encode(), "g.geojson")
    assert gdf.crs.to_epsg() == 4326 and gdf["name"].tolist() == ["Südpark", "Großer Hellweg"]
    legacy = _districts().to_json(to_wgs84=False).replace(
        '"type": "FeatureCollection"',
        '"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "EPSG:25832"}}',
    )
    assert read_boundaries(legacy.encode(), "g.json").crs.to_epsg() == 25832


def test_geojson_with_utm_values_but_no_crs():
    doc = json.loads(_districts().to_json(to_wgs84=False))
    doc.pop("crs", None)
    data = json.dumps(doc).encode()
    with pytest.raises(DataError, match="passen nicht zu Längen-/Breitengraden"):
        read_boundaries(data, "g.geojson")
    assert read_boundaries(data, "g.geojson", crs="EPSG:25832").crs.to_epsg() == 25832


def test_geopackage_layers(tmp_path):
    path = tmp_path / "g.gpkg"
    gpd.GeoDataFrame({"n": ["p"]}, geometry=[Point(415_000, 5_728_000)], crs=25832).to_file(path, layer="punkte")
    _districts().to_file(path, layer="sozialraeume")
    data = path.read_bytes()
    gdf = read_boundaries(data, "g.gpkg")
    assert gdf.attrs["layer"] == "sozialraeume" and len(gdf) == 2
    assert "mehrere Ebenen" in gdf.attrs["notes"][0]
    assert len(read_boundaries(data, "g.gpkg", layer="punkte")) == 1
    with pytest.raises(DataError, match="Ebene „fehlt“ gibt es"):
        read_boundaries(data, "g.gpkg", layer="fehlt")


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"", "g.geojson", "ist leer"),
        (b"{", "g.geojson", "lässt sich nicht als GeoJSON lesen"),
        (b"SQLite format 3\x00" + bytes(100), "g.gpkg", "lässt sich nicht als GeoPackage lesen"),
        (b"not sqlite", "g.gpkg", "kein GeoPackage"),
        (b"PK\x03\x04broken", "g.zip", "beschädigt"),
        (b'{"type": "FeatureCollection", "features": []}', "g.geojson", "keine Objekte"),
        (b"x", "g.kml", "„.kml“ wird für Gebietsgrenzen nicht unterstützt"),
        (b"x", "g.dbf", "in eine ZIP-Datei"),
    ],
)
def test_unreadable_boundaries(data, name, message):
    with pytest.raises(DataError, match=message):
        read_boundaries(data, name)


def test_unknown_crs_override():
    with pytest.raises(DataError, match="Koordinatensystem „EPSG:99999“ ist unbekannt"):
        read_boundaries(b"{}", "g.geojson", crs="EPSG:99999")


def test_custom_projection_matches_pyproj():
    """Reading keeps the file's CRS; reprojecting a corner agrees with pyproj to the millimetre."""
    custom = CRS.from_proj4(CUSTOM_TM)
    gdf = read_boundaries(_shapefile_zip(_districts().to_crs(custom)), "g.zip")
    corner = gdf.geometry[0].exterior.coords[0]
    x, y = Transformer.from_crs(custom, "EPSG:4326", always_xy=True).transform(*corner)
    lon, lat = gdf.to_crs("EPSG:4326").geometry[0].exterior.coords[0]
    assert abs(x - lon) < 1e-9 and abs(y - lat) < 1e-9
