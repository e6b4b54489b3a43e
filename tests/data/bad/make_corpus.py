"""Regenerate the bad-upload corpus in this folder: ``python tests/data/bad/make_corpus.py``.

Every file is small and deterministic; ``expected.csv`` names what each must produce. The enormous-line
case is generated inside the test instead (megabytes do not belong in git).
"""

from __future__ import annotations

import io
import json
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import openpyxl
from shapely.geometry import Point, box

HERE = Path(__file__).resolve().parent
# Near the demo city "Musterstadt" (EPSG:25832 around E 415000 N 5728000 ≈ 51.69 N, 7.78 E).
LAT, LON = "51,6950", "7,7800"
HEADER = "Id;Art;Name;Adresse;Breite;Länge"


def text(name: str, content: str, encoding: str = "utf-8") -> None:
    (HERE / name).write_bytes(content.encode(encoding))


def raw(name: str, content: bytes) -> None:
    (HERE / name).write_bytes(content)


def geojson(name: str, features: list[dict], crs: str | None = None) -> None:
    doc: dict = {"type": "FeatureCollection", "features": features}
    if crs:
        doc["crs"] = {"type": "name", "properties": {"name": crs}}
    text(name, json.dumps(doc, ensure_ascii=False, indent=1))


def feature(props: dict, geometry: dict | None) -> dict:
    return {"type": "Feature", "properties": props, "geometry": geometry}


def square(x: float, y: float, size: float = 0.01) -> dict:
    ring = [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]
    return {"type": "Polygon", "coordinates": [ring]}


def shapefile_parts(with_prj: bool = True) -> dict[str, bytes]:
    gdf = gpd.GeoDataFrame(
        {"sr_id": ["0101", "0102"], "name": ["Altstadt", "Südpark"]},
        geometry=[box(414_000, 5_727_000, 415_000, 5_728_000), box(415_000, 5_727_000, 416_000, 5_728_000)],
        crs="EPSG:25832",
    )
    with tempfile.TemporaryDirectory() as tmp:
        gdf.to_file(Path(tmp) / "sozialraeume.shp", engine="pyogrio", encoding="UTF-8")
        parts = {p.name: p.read_bytes() for p in Path(tmp).iterdir()}
    if not with_prj:
        parts.pop("sozialraeume.prj")
    return parts


def zipped(name: str, members: dict[str, bytes]) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    raw(name, buffer.getvalue())


def workbook(name: str, sheets: dict[str, list[list]]) -> None:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    raw(name, buffer.getvalue())


def offers() -> None:
    text("offers_wrong_delimiter.csv", "Id,Art,Name,Breite,Länge\nA1,fgz,Schule,51,6950,7,7800\n"
         "A2,fgz,Schule 2,51,7,7,79\n")
    text("offers_one_column.csv", "Id Art Breite Länge\nA1 fgz 51.695 7.78\nA2 fgz 51.70 7.79\n")
    mixed = (f"{HEADER}\nA1;fgz;Schule Süd;Weg 1;{LAT};{LON}\n").encode() + (
        "A2;fgz;Schule Nord-Öst;Weg 2;51,70;7,79\n").encode("cp1252")
    raw("offers_mixed_encoding.csv", mixed)
    text("offers_no_coordinates.csv", "Id;Art;Name;Adresse\nA1;fgz;Schule;Weg 1\n")
    text("offers_nonnumeric_coords.csv", f"{HEADER}\nA1;fgz;S1;W 1;{LAT};{LON}\nA2;fgz;S2;W 2;51,7x;7,79\n")
    text("offers_missing_coords.csv", f"{HEADER}\nA1;fgz;S1;W 1;{LAT};{LON}\nA2;fgz;S2;W 2;51,70;7,79\n"
         "A3;fgz;S3;W 3;51,69;\n")
    text("offers_swapped_latlon.csv", "id;typ;lat;lon\nA1;fgz;7,7800;51,6950\nA2;fgz;7,79;51,70\n")
    text("offers_in_the_sea.csv", f"{HEADER}\nA1;fgz;S1;W 1;{LAT};{LON}\nA2;fgz;Nordsee;Doggerbank;54,5;6,5\n")
    text("offers_duplicate_ids.csv", f"{HEADER}\nA1;fgz;S1;W 1;{LAT};{LON}\nA2;fgz;S2;W 2;51,70;7,79\n"
         f"A3;fgz;S3;W 3;51,69;7,77\nA1;fgz;S4;W 4;51,71;7,78\n")
    raw("offers_empty.csv", b"")
    text("offers_header_only.csv", HEADER + "\n")
    raw("offers_only_bom.csv", b"\xef\xbb\xbf")
    text("offers_unknown_type.csv", f"{HEADER}\nA1;FGZ;S1;W 1;{LAT};{LON}\nA2;Jugendzentrum;J;W 2;51,70;7,79\n")
    raw("offers_binary_garbage.csv", np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8).tobytes())
    workbook("offers_wrong_sheet.xlsx", {"Hinweise": [["Bitte Standorte eintragen"]],
                                         "Standorte": [["Id", "Art", "Breite", "Länge"], ["A1", "fgz", 51.695, 7.78]]})
    workbook("offers_empty.xlsx", {"Tabelle1": [], "Tabelle2": []})
    raw("offers_old_format.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504))
    text("offers_unclosed_quote.csv", f"{HEADER}\nA1;fgz;S1;W 1;{LAT};{LON}\nA2;fgz;\"S2;W 2;51,70;7,79\n"
         "A3;fgz;S3;W 3;51,69;7,77\n")
    text("offers_sep_line_unknown_type.csv", f"sep=;\n{HEADER}\nA1;Hort;S1;W 1;{LAT};{LON}\n"
         "A2;fgz;S2;W 2;51,70;7,79\n")
    text("offers_missing_type_column.csv", f"Id;Name;Breite;Länge\nA1;S1;{LAT};{LON}\n")
    text("offers_bad_capacity.csv", f"{HEADER};Plätze\nA1;fgz;S1;W 1;{LAT};{LON};viele\n"
         "A2;fgz;S2;W 2;51,70;7,79;-5\nA3;fgz;S3;W 3;51,69;7,77;1.200\n")
    text("offers_unknown_crs.csv", "Id;Art;x;y\nA1;fgz;1000;2000\nA2;fgz;1100;2100\n")
    raw("offers_pdf.csv", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n")
    raw("offers_table.docx", b"PK\x03\x04" + bytes(100))
    text("offers_blank_id.csv", f"{HEADER}\nA1;fgz;S1;W 1;{LAT};{LON}\n;fgz;S2;W 2;51,70;7,79\n")
    text("offers_utf16_garbage_type.txt", f"Id\tArt\tBreite\tLänge\nA1\t???\t{LAT}\t{LON}\n", "utf-16")


def districts() -> None:
    parts = shapefile_parts()
    raw("districts_broken.zip", _truncated_zip(parts))
    zipped("districts_zip_slip.zip", {"../" + k: v for k, v in parts.items()})
    zipped("districts_absolute_path.zip", {"/tmp/" + k: v for k, v in parts.items()})
    zipped("districts_no_prj.zip", shapefile_parts(with_prj=False))
    zipped("districts_no_shapefile.zip", {"liesmich.txt": b"Hier fehlt die Shapefile."})
    zipped("districts_missing_dbf.zip", {k: v for k, v in parts.items() if not k.endswith(".dbf")})
    zipped("districts_too_many_files.zip", {f"f{i:03d}.txt": b"x" for i in range(201)})
    raw("districts_single.shp", parts["sozialraeume.shp"])
    bowtie = {"type": "Polygon", "coordinates": [[[7.77, 51.69], [7.79, 51.70], [7.79, 51.69], [7.77, 51.70],
                                                  [7.77, 51.69]]]}
    geojson("districts_bowtie.geojson", [feature({"id": "0101", "name": "Schleife"}, bowtie),
                                         feature({"id": "0102", "name": "Quadrat"}, square(7.80, 51.69))])
    geojson("districts_points.geojson", [feature({"id": f"0{i}", "name": f"P{i}"},
                                                 {"type": "Point", "coordinates": [7.78 + i / 100, 51.69]})
                                         for i in range(3)])
    geojson("districts_duplicate_ids.geojson", [feature({"id": "0101", "name": "A"}, square(7.77, 51.69)),
                                                feature({"id": "0102", "name": "B"}, square(7.78, 51.69)),
                                                feature({"id": "0101", "name": "C"}, square(7.79, 51.69))])
    geojson("districts_null_geometry.geojson", [feature({"id": "0101", "name": "A"}, square(7.77, 51.69)),
                                                feature({"id": "0102", "name": "B"}, None)])
    text("districts_broken.geojson", '{"type": "FeatureCollection", "features": [{"type": "Feature", ')
    geojson("districts_utm_without_crs.geojson", [feature({"id": "0101", "name": "A"},
                                                          square(414_000, 5_727_000, 1000))])
    geojson("districts_no_id_column.geojson", [feature({"foo": "a", "bar": "b"}, square(7.77, 51.69))])
    gdf = gpd.GeoDataFrame({"id": ["1", "2"], "name": ["a", "b"]}, geometry=[Point(415_000, 5_728_000),
                                                                              Point(416_000, 5_728_000)],
                           crs="EPSG:25832")
    with tempfile.TemporaryDirectory() as tmp:
        gdf.to_file(Path(tmp) / "p.gpkg", layer="standorte", engine="pyogrio")
        raw("districts_points.gpkg", (Path(tmp) / "p.gpkg").read_bytes())


def _truncated_zip(parts: dict[str, bytes]) -> bytes:
    """A Shapefile archive cut off after 300 bytes, as an aborted download leaves it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for member, content in parts.items():
            archive.writestr(member, content)
    return buffer.getvalue()[:300]


def indicators() -> None:
    head = "district_id;year;inhabitants;children;sgb2_children_quota;unemployment_rate;single_parent_share"
    text("indicators_nonnumeric.csv", f"{head}\n0101;2024;9131;1744;34,2;10,6;24,2\n"
         "0102;2024;10528;1679;viel;10,3;24,5\n")
    text("indicators_unknown_ids.csv", f"{head}\n0101;2024;9131;1744;34,2;10,6;24,2\n"
         "9999;2024;10528;1679;26,0;10,3;24,5\n")
    text("indicators_duplicate_rows.csv", f"{head}\n0101;2024;9131;1744;34,2;10,6;24,2\n"
         "0102;2024;10528;1679;26,0;10,3;24,5\n0101;2024;9131;1744;34,2;10,6;24,2\n")
    text("indicators_percent_over_100.csv", f"{head}\n0101;2024;9131;1744;134,2;10,6;24,2\n")
    text("indicators_missing_column.csv", "district_id;year;inhabitants;children;sgb2_children_quota;"
         "single_parent_share\n0101;2024;9131;1744;34,2;24,2\n")
    text("indicators_more_children.csv", f"{head}\n0101;2024;1744;9131;34,2;10,6;24,2\n")
    text("indicators_no_year.csv", "district_id;inhabitants;children;sgb2_children_quota;unemployment_rate;"
         "single_parent_share\n0101;9131;1744;34,2;10,6;24,2\n")
    text("indicators_no_match.csv", f"{head}\nX1;2024;9131;1744;34,2;10,6;24,2\n")


if __name__ == "__main__":
    offers()
    districts()
    indicators()
    print(f"{sum(p.suffix != '.py' for p in HERE.iterdir())} files in {HERE}")
