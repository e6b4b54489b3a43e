"""Nothing of Musterstadt ever reaches a city workspace: not in the result, the web map, a legend or any export.

A city is built from its own files through the same upload path as the Daten page (check, then commit): four
districts of "Neuhafen" as GeoJSON, their indicators as a German CSV, three FGZ and one Familienbüro. Then every
product is made and its text searched for every name and id of the demo (districts, offers, the city's name, the
"synthetische Beispieldaten" stamp) and for the demo's resident totals.
"""

from __future__ import annotations

import importlib.util
import io
import json
import re
import sqlite3
import zipfile
from datetime import date
from functools import cache

import geopandas as gpd
import openpyxl
import pandas as pd
import pypdf
import pytest
from PIL import Image
from shapely.geometry import box

from geo import settings
from geo.analysis import analyse
from geo.demo import load_demo
from geo.export import FORMATS, KINDS, ExportOptions, export, sidecar
from geo.formatting import format_count
from geo.ingest import check_upload, commit_upload
from geo.render.tables import protected_district_table
from geo.render.web.map_data import map_data, variables
from geo.render.web.payload import features_of
from geo.store import create_workspace

X0, Y0 = 372_000.0, 5_690_000.0
#: The city's districts: 2 km squares in a row; names and ids that the demo does not use.
DISTRICTS = {"N-1": "Hafenkante", "N-2": "Zollberg", "N-3": "Mövenort", "N-4": "Rübenkamp"}
#: id → inhabitants, children, SGB-II quota, unemployment, single parents (made up, one decimal).
VALUES = {"N-1": (4200, 610, 31.5, 12.5, 27.5), "N-2": (3900, 540, 12.5, 5.5, 17.5),
          "N-3": (5100, 880, 22.5, 8.5, 21.5), "N-4": (2800, 350, 6.5, 3.5, 12.5)}
OFFERS = [  # id, type, name, x, y (metres from the origin)
    ("NH-F1", "FGZ", "Grundschule Am Kai", 1000, 1000),
    ("NH-F2", "FGZ", "Grundschule Zollstraße", 3000, 1000),
    ("NH-F3", "FGZ", "Grundschule Mövenort", 5000, 1500),
    ("NH-B1", "Familienbüro", "Familienbüro Rathaus Neuhafen", 3100, 900),
]
DAY = date(2026, 3, 1)
#: City-defined indicators (an empty city's upload proposes indicator columns) land with another part of issue 9;
#: until then an empty city cannot store indicator columns, and the analysis refuses to run.
CITY_INDICATORS = importlib.util.find_spec("geo.ingest.definitions") is not None
needs_city_indicators = pytest.mark.xfail(not CITY_INDICATORS, strict=True,
                                          reason="braucht stadteigene Indikatoren (geo.ingest.definitions)")


def city_files() -> dict[str, tuple[str, bytes]]:
    """The three uploads of Neuhafen, as a city would send them."""
    districts = gpd.GeoDataFrame(
        {"Kennung": list(DISTRICTS), "Name": list(DISTRICTS.values())},
        geometry=[box(X0 + 2000 * i, Y0, X0 + 2000 * (i + 1), Y0 + 2000) for i in range(len(DISTRICTS))],
        crs="EPSG:25832",
    )
    header = "Bezirk-Nr.;Jahr;Einwohner;Kinder 0-17;SGB-II-Quote Kinder u15 (%);Arbeitslosenquote (%);" \
             "Alleinerziehende (%)"
    rows = [header] + [";".join([k, "2024", *(str(v).replace(".", ",") for v in vals)])
                       for k, vals in VALUES.items()]
    offers = ["Nr;Angebotsart;Name;Adresse;Rechtswert;Hochwert"] + [
        f"{i};{t};{n};Hafenstraße {j}, Neuhafen;{X0 + x:.1f};{Y0 + y:.1f}".replace(".", ",")
        for j, (i, t, n, x, y) in enumerate(OFFERS, start=1)
    ]
    return {
        "districts": ("neuhafen.geojson", districts.to_json().encode("utf-8")),
        "indicators": ("indikatoren.csv", "\r\n".join(rows).encode("cp1252")),
        "offers": ("angebote.csv", "\r\n".join(offers).encode("cp1252")),
    }


@pytest.fixture(scope="module")
def city(tmp_path_factory):
    """Neuhafen's workspace, built once through check_upload/commit_upload; its data set and analysis result."""
    workspace = create_workspace("Neuhafen", root=tmp_path_factory.mktemp("neuhafen"), make_default=False)
    options = {"districts": {"id_column": "Kennung", "name_column": "Name"}}  # as the Daten page passes them
    for kind, (name, data) in city_files().items():
        check = check_upload(data, name, kind=kind, context=workspace.dataset(), options=options.get(kind))
        assert check.ok, (kind, [str(p) for p in check.report.errors])
        commit_upload(workspace, check, filename=name)
    dataset = workspace.dataset()
    return dataset, analyse(dataset)


@cache
def demo_needles() -> tuple[str, ...]:
    """Every name and id of Musterstadt that must not show up in a city's products (read once per run)."""
    demo = load_demo()
    names = [*demo.districts[settings.DISTRICT_NAME], *demo.offers[settings.OFFER_NAME],
             *demo.offers[settings.OFFER_ID], *demo.districts[settings.DISTRICT_ID]]
    names += [a for a in demo.districts[settings.AREA_NAME].dropna().unique()]
    children, inhabitants = int(demo.residents[settings.CHILDREN].sum()), int(
        demo.residents[settings.INHABITANTS].sum())
    return tuple(sorted({*map(str, names), "Musterstadt", settings.SYNTHETIC_STAMP, format_count(children),
                         format_count(inhabitants)}))


def leaks(text: str, needles: tuple[str, ...]) -> list[str]:
    """The needles found in ``text`` as whole words (so "0101" does not match inside "20101")."""
    return [n for n in needles if re.search(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text)]


def product_text(fmt: str, data: bytes) -> str:
    """The readable text of an export file."""
    if fmt == "pdf":
        reader = pypdf.PdfReader(io.BytesIO(data))
        return "\n".join([page.extract_text() for page in reader.pages] + [json.dumps(dict(reader.metadata or {}))])
    if fmt == "png":
        return json.dumps(Image.open(io.BytesIO(data)).text)
    if fmt == "xlsx":
        book = openpyxl.load_workbook(io.BytesIO(data))
        return "\n".join(str(c) for ws in book for row in ws.iter_rows(values_only=True) for c in row)
    if fmt == "gpkg":
        return _gpkg_text(data)
    if fmt == "zip":  # the profiles of all districts: every PDF's text, and the entry names
        archive = zipfile.ZipFile(io.BytesIO(data))
        return "\n".join(archive.namelist() + [product_text("pdf", archive.read(n)) for n in archive.namelist()])
    return data.decode("utf-8-sig")


def _gpkg_text(data: bytes) -> str:
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ebene.gpkg"
        path.write_bytes(data)
        with sqlite3.connect(path) as conn:
            tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
            parts = [pd.read_sql(f'SELECT * FROM "{t}"', conn).drop(columns=["geom"], errors="ignore").to_csv()
                     for t in tables if not t.startswith(("rtree_", "sqlite_"))]
        conn.close()
    return "\n".join(parts)


def test_the_city_fixture_shares_no_name_or_id_with_the_demo():
    needles = demo_needles()
    files = "\n".join(data.decode("cp1252") for _, data in city_files().values())
    assert leaks(files, needles) == []
    assert "FB-01" in needles and "Lotsendienst St.-Agnes-Hospital" in needles and "0101" in needles


@needs_city_indicators
def test_the_result_holds_only_the_city(city):
    dataset, result = city
    assert dataset.residents is None and dataset.synthetic is False and "Musterstadt" not in dataset.source
    assert sorted(result.offer_types) == ["familienbuero", "fgz"]
    assert set(dataset.offers[settings.OFFER_ID]) == {o[0] for o in OFFERS}
    d = result.districts.set_index(settings.DISTRICT_ID)
    assert dict(d[settings.DISTRICT_NAME]) == DISTRICTS
    for key, (inhabitants, children, sgb2, unemployment, single) in VALUES.items():
        assert d.at[key, settings.INHABITANTS] == inhabitants and d.at[key, settings.CHILDREN] == children
        row = d.loc[key, [c for c in d.columns if c in dataset.indicator_definitions.index]]
        assert sorted(row.astype(float)) == sorted([sgb2, unemployment, single])
    # Without a residents upload the children are spread evenly in the city's own districts, none elsewhere.
    assert "Musterstadt" not in result.residents_source
    assert set(result.gaps[settings.DISTRICT_ID]) <= set(DISTRICTS) if len(result.gaps) else True


@needs_city_indicators
def test_no_web_map_payload_or_legend_names_the_demo(city):
    dataset, result = city
    needles = demo_needles()
    for variable in variables(result, dataset):
        for gap_type in (None, *result.offer_types):
            data = map_data(result, dataset, variable=variable, scheme="quantiles", reach=True, gap_type=gap_type)
            payload = json.dumps(data, ensure_ascii=False)
            assert leaks(payload, needles) == [], (variable, gap_type)
            assert {f["properties"].get("id", "") for f in features_of(data["districts"])} <= set(DISTRICTS) | {""}
            assert "Lotsendienst" not in data["legend"] and "Geburtsklinik" not in data["legend"]
            assert not data["stamp"]
    table = protected_district_table(result, offer_types=dataset.offer_types,
                                     indicator_definitions=dataset.indicator_definitions)
    assert leaks(table.to_csv(), needles) == [] and len(table) == len(DISTRICTS)


@needs_city_indicators
@pytest.mark.parametrize(("kind", "fmt"), [(k, f) for k in KINDS for f in FORMATS[k]])
def test_no_export_names_the_demo(city, kind, fmt):
    dataset, result = city
    options = ExportOptions(export_date=DAY, offer_type="fgz" if kind in ("reach", "bivariate", "gaps") else None,
                            district="N-1" if kind == "profile" else None)
    data = export(kind, fmt, dataset, result, options)
    text = product_text(fmt, data)
    assert leaks(text, demo_needles()) == []
    if fmt in ("pdf", "csv", "xlsx", "html", "zip"):
        assert any(name in text for name in DISTRICTS.values()) or kind not in ("report", "table", "profile",
                                                                                "profiles"), kind
    side = sidecar(kind, fmt, dataset, result, options).decode("utf-8")
    assert leaks(side, demo_needles()) == [] and "Neuhafen" in side


@needs_city_indicators
def test_the_xlsx_and_gpkg_are_real_files(city):
    """The text search above only means something if the readers see the city in them."""
    dataset, result = city
    xlsx = product_text("xlsx", export("table", "xlsx", dataset, result, ExportOptions(export_date=DAY)))
    gpkg = product_text("gpkg", export("layer", "gpkg", dataset, result, ExportOptions(export_date=DAY)))
    for name in DISTRICTS.values():
        assert name in xlsx and name in gpkg
    assert zipfile.is_zipfile(io.BytesIO(export("table", "xlsx", dataset, result)))
